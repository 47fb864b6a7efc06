/**
 * The integer ("fixed-point") MLP family: definition, seeded construction, the packed on-chain weight
 * layout, a reference forward pass, and the worst-case accumulator bound that certifies no int64 overflow.
 *
 * Per layer l (widths n_l -> n_{l+1}):  a = x·W + b;  hidden: a = max(a, 0);  x' = a / d_l  (truncating
 * toward zero, like ONNX Div on int64 in onnxruntime and like the EVM's SDIV).
 */
import { Prng } from "./prng.js";

export interface IntegerMlp {
  /** Widths, input first: [n_0, n_1, ..., n_L]. */
  readonly layers: readonly number[];
  /** weights[l][i][j]: input i -> output j of layer l (int16 range). */
  readonly weights: readonly (readonly (readonly bigint[])[])[];
  /** biases[l][j] (int32 range). */
  readonly biases: readonly (readonly bigint[])[];
  /** divisors[l] > 0 (uint32 range). */
  readonly divisors: readonly bigint[];
  /** Inputs must satisfy |x| ≤ inputBound. */
  readonly inputBound: bigint;
}

export const INT16_MAX = 2n ** 15n - 1n;
export const INT32_MAX = 2n ** 31n - 1n;
export const INT64_MAX = 2n ** 63n - 1n;

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** Builds a seeded integer MLP: weights ~ U[-s·√(3/fan_in), +], biases ~ U[-s²/8, +s²/8] (s = value scale). */
export function seededIntegerMlp(
  seed: string,
  layers: readonly number[],
  valueScale: number,
  inputBound: bigint,
): IntegerMlp {
  const rng = new Prng(seed);
  const weights: bigint[][][] = [];
  const biases: bigint[][] = [];
  const divisors: bigint[] = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    const fanIn = layers[l]!;
    const fanOut = layers[l + 1]!;
    const a = Math.max(1, Math.floor(valueScale * Math.sqrt(3 / fanIn)));
    const w: bigint[][] = [];
    for (let i = 0; i < fanIn; i++) {
      const row: bigint[] = [];
      for (let j = 0; j < fanOut; j++) row.push(BigInt(rng.int(-a, a)));
      w.push(row);
    }
    const bMax = Math.floor((valueScale * valueScale) / 8);
    const b: bigint[] = [];
    for (let j = 0; j < fanOut; j++) b.push(BigInt(rng.int(-bMax, bMax)));
    weights.push(w);
    biases.push(b);
    divisors.push(BigInt(valueScale));
  }
  const mlp = { layers: [...layers], weights, biases, divisors, inputBound };
  validateIntegerMlp(mlp);
  return mlp;
}

/** Throws unless every parameter fits the packed layout and no intermediate can overflow int64. */
export function validateIntegerMlp(mlp: IntegerMlp): void {
  const L = mlp.layers.length - 1;
  if (L < 1 || L > 8) throw new Error("an integer MLP has 1..8 layers");
  for (const n of mlp.layers) if (n < 1 || n > 0xffff) throw new Error(`layer width ${n} out of 1..65535`);
  if (mlp.inputBound < 0n || mlp.inputBound > INT64_MAX) throw new Error("input bound out of range");
  for (let l = 0; l < L; l++) {
    const d = mlp.divisors[l]!;
    if (d < 1n || d > 0xffffffffn) throw new Error(`divisor ${d} out of 1..2^32-1`);
    for (const row of mlp.weights[l]!)
      for (const w of row) if (abs(w) > INT16_MAX) throw new Error("weight > int16");
    for (const b of mlp.biases[l]!) if (abs(b) > INT32_MAX) throw new Error("bias > int32");
  }
  if (worstCaseAccumulator(mlp) > INT64_MAX)
    throw new Error("an int64 accumulator can overflow within the bound");
}

/**
 * The largest |value| any partial sum can reach for inputs within the bound: per output, Σ|w|·bound + |b|
 * layer by layer (partial sums of a dot product never exceed the sum of absolute terms).
 */
export function worstCaseAccumulator(mlp: IntegerMlp): bigint {
  let bound = mlp.inputBound;
  let worst = bound;
  for (let l = 0; l + 1 < mlp.layers.length; l++) {
    let next = 0n;
    for (let j = 0; j < mlp.layers[l + 1]!; j++) {
      let s = abs(mlp.biases[l]![j]!);
      for (let i = 0; i < mlp.layers[l]!; i++) s += abs(mlp.weights[l]![i]![j]!) * bound;
      if (s > worst) worst = s;
      const out = s / mlp.divisors[l]!;
      if (out > next) next = out;
    }
    bound = next;
  }
  return worst;
}

/** Reference forward pass with exact bigint arithmetic and truncating division. */
export function integerForward(mlp: IntegerMlp, x: readonly bigint[]): bigint[] {
  let h = [...x];
  const L = mlp.layers.length - 1;
  for (let l = 0; l < L; l++) {
    const out: bigint[] = [];
    for (let j = 0; j < mlp.layers[l + 1]!; j++) {
      let acc = mlp.biases[l]![j]!;
      for (let i = 0; i < mlp.layers[l]!; i++) acc += h[i]! * mlp.weights[l]![i]![j]!;
      if (l + 1 < L && acc < 0n) acc = 0n;
      out.push(acc / mlp.divisors[l]!); // bigint division truncates toward zero
    }
    h = out;
  }
  return h;
}

/**
 * The referee's weight blob (docs/referee.md): for each layer, for each output j: bias_j as int32
 * big-endian, then w[0][j] .. w[n_in-1][j] as int16 big-endian. No padding, no header.
 */
export function packIntegerMlp(mlp: IntegerMlp): Uint8Array {
  let size = 0;
  for (let l = 0; l + 1 < mlp.layers.length; l++) size += mlp.layers[l + 1]! * (4 + 2 * mlp.layers[l]!);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let p = 0;
  for (let l = 0; l + 1 < mlp.layers.length; l++) {
    for (let j = 0; j < mlp.layers[l + 1]!; j++) {
      view.setInt32(p, Number(mlp.biases[l]![j]!));
      p += 4;
      for (let i = 0; i < mlp.layers[l]!; i++) {
        view.setInt16(p, Number(mlp.weights[l]![i]![j]!));
        p += 2;
      }
    }
  }
  return out;
}

/** Inverse of packIntegerMlp, given the widths, divisors and bound. */
export function unpackIntegerMlp(
  blob: Uint8Array,
  layers: readonly number[],
  divisors: readonly bigint[],
  inputBound: bigint,
): IntegerMlp {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const weights: bigint[][][] = [];
  const biases: bigint[][] = [];
  let p = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const nIn = layers[l]!;
    const nOut = layers[l + 1]!;
    const w: bigint[][] = Array.from({ length: nIn }, () => new Array<bigint>(nOut).fill(0n));
    const b: bigint[] = [];
    for (let j = 0; j < nOut; j++) {
      b.push(BigInt(view.getInt32(p)));
      p += 4;
      for (let i = 0; i < nIn; i++) {
        w[i]![j] = BigInt(view.getInt16(p));
        p += 2;
      }
    }
    weights.push(w);
    biases.push(b);
  }
  if (p !== blob.length) throw new Error(`weight blob is ${blob.length} bytes, layout needs ${p}`);
  return { layers: [...layers], weights, biases, divisors: [...divisors], inputBound };
}
