/**
 * Reverts, in one place for the SDK, the relayer and the CLI: where the revert data sits in an ethers /
 * JSON-RPC error (it nests differently per provider and per ethers code path), and which custom error it is.
 * Depends on ethers only, so any part can import it without a build.
 */
import { type ErrorDescription, type Interface, isHexString } from "ethers";

/** Keys under which ethers and JSON-RPC providers nest the revert data. */
const NESTING = ["data", "error", "info", "cause", "revert"] as const;

/**
 * The revert data inside `err`: the first hex string that carries a 4-byte selector, searched depth first
 * through `data`, `error`, `info`, `cause` and `revert`. With `bare`, a revert without a selector ("0x",
 * a require without a message) counts too when no selector-bearing data is found: it tells a revert from an
 * RPC failure.
 */
export function revertDataOf(err: unknown, opts: { bare?: boolean } = {}): string | undefined {
  const seen = new Set<unknown>();
  let bare: string | undefined;
  const visit = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && isHexString(o.data)) {
      if (o.data.length >= 10) return o.data;
      bare ??= o.data;
    }
    for (const key of NESTING) {
      const found = visit(o[key]);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err) ?? (opts.bare ? bare : undefined);
}

/** The custom error `data` encodes, decoded with the first of `ifaces` that knows it, or null. */
export function decodeRevertData(data: string | undefined, ...ifaces: Interface[]): ErrorDescription | null {
  if (data === undefined || data.length < 10) return null;
  for (const iface of ifaces) {
    try {
      const desc = iface.parseError(data);
      if (desc !== null) return desc;
    } catch {
      // not this interface's error
    }
  }
  return null;
}

/** The custom error a call reverted with (`err` from ethers), decoded with `ifaces`, or null. */
export function decodeRevert(err: unknown, ...ifaces: Interface[]): ErrorDescription | null {
  return decodeRevertData(revertDataOf(err), ...ifaces);
}
