/**
 * Waiting and retrying, in one place for the SDK, the relayer, the CLI and the scripts.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
