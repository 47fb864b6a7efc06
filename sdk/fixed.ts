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

const DECIMAL = /^([+-])?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^([+-])?\.(\d+)(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal string (as JSON or NumPy would print it: "2", "-2.5", "1e-3", ".5") to fixed64 at `scale`,
 * exactly: the decimal value itself times 10^scale, halves away from zero (the rule of `toFixed`, applied to
 * the decimal rather than to the nearest double). Throws TENSOR_MALFORMED on anything else, TENSOR_RANGE
 * outside int64.
 */
export function decimalToFixed(text: string, scale: number, index = 0): bigint {
  checkScale(scale);
  const m = DECIMAL.exec(text.trim());
  if (m === null) {
    throw new VerdictError("TENSOR_MALFORMED", `element ${index} ("${text}") is not a decimal number`, {
      index,
    });
  }
  const negative = (m[1] ?? m[5]) === "-";
  const whole = m[2] ?? "0";
  const frac = m[3] ?? m[6] ?? "";
  const exp = Number(m[4] ?? m[7] ?? "0");
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 4_000) {
    throw new VerdictError("TENSOR_RANGE", `element ${index} ("${text}") has an exponent out of range`, {
      index,
    });
  }
  // value = digits · 10^(exp - frac.length); times 10^scale.
  const digits = BigInt(whole + frac);
  const shift = exp - frac.length + scale;
  let magnitude: bigint;
  if (shift >= 0) {
    magnitude = digits * 10n ** BigInt(shift);
  } else {
    const d = 10n ** BigInt(-shift);
    const q = digits / d;
    magnitude = 2n * (digits - q * d) >= d ? q + 1n : q; // ties away from zero
  }
  const v = negative ? -magnitude : magnitude;
  if (v < INT64_MIN || v > INT64_MAX) {
    throw new VerdictError("TENSOR_RANGE", `element ${index} ("${text}") overflows int64 at scale ${scale}`, {
      index,
    });
  }
  return v;
}

/** A fixed64 integer at `scale` as its exact decimal string ("-0.25", "3", "0.000001"). */
export function fixedToDecimal(value: bigint, scale: number): string {
  checkScale(scale);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const frac = scale === 0 ? "" : digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac === "" ? "" : `.${frac}`}`;
}
