/**
 * Entry point: `tsx relayer/main.ts <command>` (see relayer/cli.ts). node:sqlite prints an
 * ExperimentalWarning on load under Node 22; that one warning is filtered here, before anything
 * imports node:sqlite (hence the dynamic import). Every other warning still reaches stderr.
 */
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]): void => {
  const text = typeof warning === "string" ? warning : warning.message;
  const type = typeof rest[0] === "string" ? rest[0] : typeof warning === "string" ? undefined : warning.name;
  const typeInOptions =
    typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { type?: string }).type : undefined;
  if ((type ?? typeInOptions) === "ExperimentalWarning" && /SQLite/i.test(text)) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const { buildCli } = await import("./cli.js");
await buildCli().parseAsync(process.argv);
