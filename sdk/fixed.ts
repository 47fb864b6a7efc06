/**
 * Float <-> fixed64 conversion. `toFixed` rounds the exact value of each IEEE-754 number times
 * 10^scale (no intermediate floating-point rounding), halves away from zero, so every operator
 * gets the same integer from the same float.
 */
import { VerdictError } from "./errors.js";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const MAX_SCALE = 18;

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new VerdictError("TENSOR_SCALE", `scale ${String(scale)} not in 0..${MAX_SCALE}`, { scale });
  }
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** round(x · 10^scale), exact, halves away from zero. Throws TENSOR_NOT_FINITE / TENSOR_RANGE. */
function fixOne(x: number, pow: bigint, index: number): bigint {
  if (!Number.isFinite(x)) {
    throw new VerdictError("TENSOR_NOT_FINITE", `element ${index} is ${String(x)}`, { index });
  }
  f64[0] = x;
  const bits = u64[0]!;
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // |x| = mantissa · 2^shift exactly.
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = exponent === 0 ? -1074 : exponent - 1075;
  const scaled = mantissa * pow;
  let magnitude: bigint;
  if (shift >= 0) {
    magnitude = scaled << BigInt(shift);
  } else {
    const k = BigInt(-shift);
    const q = scaled >> k;
    const r = scaled - (q << k);
    magnitude = 2n * r >= 1n << k ? q + 1n : q; // ties round away from zero
  }
  const v = negative ? -magnitude : magnitude;
  if (v < INT64_MIN || v > INT64_MAX) {
    throw new VerdictError("TENSOR_RANGE", `element ${index} (${x}) overflows int64 at this scale`, {
      index,
    });
  }
  return v;
}

/** Converts floats to fixed64 integers at `scale` decimal digits. */
export function toFixed(values: ArrayLike<number>, scale: number): bigint[] {
  checkScale(scale);
  const pow = 10n ** BigInt(scale);
  const out = new Array<bigint>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fixOne(values[i]!, pow, i);
  return out;
}

/** One fixed64 integer back to the nearest double (correctly rounded decimal parse). */
export function fixedToNumber(value: bigint, scale: number): number {
  return Number(`${value}e-${scale}`);
}

/** Converts fixed64 integers at `scale` back to floats (the double nearest v / 10^scale). */
export function fromFixed(values: readonly bigint[], scale: number): number[] {
  checkScale(scale);
  return values.map((v) => fixedToNumber(v, scale));
}
