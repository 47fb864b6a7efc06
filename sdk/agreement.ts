/**
 * Output agreement (docs/protocol.md, "Agreement"): two outputs agree when both decode, have the
 * same tensor names, dtypes, scales and shapes, and every element differs by at most `tolerance`
 * (integer units of the encoding). Equal bytes always agree.
 */
import { VerdictError } from "./errors.js";
import { decodeTensors, type Tensor } from "./tensor.js";

/** Why two outputs disagree; stable strings for logs and metrics. */
export type DisagreementReason =
  | "UNDECODABLE_A"
  | "UNDECODABLE_B"
  | "COUNT_MISMATCH"
  | "NAME_MISMATCH"
  | "DTYPE_MISMATCH"
  | "SCALE_MISMATCH"
  | "SHAPE_MISMATCH"
  | "BEYOND_TOLERANCE";

export interface AgreementResult {
  agree: boolean;
  reason?: DisagreementReason;
  /** Largest element difference seen, when the structures match. */
  maxDelta?: bigint;
}

function tryDecode(bytes: Uint8Array): Tensor[] | undefined {
  try {
    return decodeTensors(bytes);
  } catch (err) {
    if (err instanceof VerdictError) return undefined;
    throw err;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares two encoded outputs. Throws TOLERANCE_INVALID on a negative tolerance. */
export function outputsAgree(a: Uint8Array, b: Uint8Array, tolerance: bigint): AgreementResult {
  if (typeof tolerance !== "bigint" || tolerance < 0n) {
    throw new VerdictError("TOLERANCE_INVALID", `tolerance must be a non-negative bigint`, {
      tolerance: String(tolerance),
    });
  }
  if (sameBytes(a, b)) return { agree: true, maxDelta: 0n };
  const ta = tryDecode(a);
  if (ta === undefined) return { agree: false, reason: "UNDECODABLE_A" };
  const tb = tryDecode(b);
  if (tb === undefined) return { agree: false, reason: "UNDECODABLE_B" };
  if (ta.length !== tb.length) return { agree: false, reason: "COUNT_MISMATCH" };
  for (let i = 0; i < ta.length; i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x.name !== y.name) return { agree: false, reason: "NAME_MISMATCH" };
    if (x.dtype !== y.dtype) return { agree: false, reason: "DTYPE_MISMATCH" };
    if (x.scale !== y.scale) return { agree: false, reason: "SCALE_MISMATCH" };
    if (x.dims.length !== y.dims.length || x.dims.some((d, k) => d !== y.dims[k])) {
      return { agree: false, reason: "SHAPE_MISMATCH" };
    }
  }
  let maxDelta = 0n;
  for (let i = 0; i < ta.length; i++) {
    const x = ta[i]!.data;
    const y = tb[i]!.data;
    for (let k = 0; k < x.length; k++) {
      const d = x[k]! - y[k]!;
      const abs = d < 0n ? -d : d;
      if (abs > maxDelta) maxDelta = abs;
    }
  }
  return maxDelta <= tolerance
    ? { agree: true, maxDelta }
    : { agree: false, reason: "BEYOND_TOLERANCE", maxDelta };
}
