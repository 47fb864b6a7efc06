/**
 * VTN1 encoding: the TypeScript SDK and TensorLib (Solidity) agree. Seeded fuzz round-trips
 * (int64 extremes, scalars, zero dimensions, several named inputs as in Silero VAD), byte-for-byte
 * re-encoding on chain, and malformed inputs rejected by both sides with the same rule.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getBytes, hexlify, keccak256 } from "ethers";
import {
  DTYPES,
  MAX_ELEMENTS,
  TENSOR_RULES,
  decodeTensors,
  encodeTensors,
  fromFixed,
  fromTypedArray,
  tensorHash,
  toFixed,
  toTypedArray,
  type DType,
  type Tensor,
} from "../../sdk/tensor.js";
import { VerdictError } from "../../sdk/errors.js";
import {
  TensorLibHarness__factory,
  TensorLib__factory,
  type TensorLibHarness,
} from "../../types/ethers-contracts/index.js";

const { ethers } = await network.connect();

const FUZZ_CASES = Number(process.env.VERDICT_TENSOR_FUZZ ?? 600);
const MUTATION_CASES = Number(process.env.VERDICT_TENSOR_MUTATIONS ?? 400);
const BATCH = 20;
const NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-";
const DTYPE_NAMES = Object.keys(DTYPES) as DType[];
const tensorLib = TensorLib__factory.createInterface();

/** mulberry32: small, seeded, reproducible. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  big(lo: bigint, hi: bigint): bigint {
    let r = 0n;
    for (let i = 0; i < 3; i++) r = (r << 32n) | BigInt(this.int(0, 0xffffffff));
    return lo + (r % (hi - lo + 1n));
  }
}

function randomValue(rng: Rng, dtype: DType): bigint {
  const { min, max } = DTYPES[dtype];
  const roll = rng.next();
  if (roll < 0.15) return min;
  if (roll < 0.3) return max;
  if (roll < 0.4) return dtype === "bool" || dtype === "uint8" ? 1n : -1n;
  if (roll < 0.45) return 0n;
  return rng.big(min, max);
}

function randomName(rng: Rng): string {
  const len = rng.next() < 0.1 ? 64 : rng.int(1, 12);
  let s = "";
  for (let i = 0; i < len; i++) s += rng.pick([...NAME_CHARS]);
  return s;
}

function randomDims(rng: Rng): number[] {
  const roll = rng.next();
  if (roll < 0.15) return []; // scalar
  if (roll < 0.2) return [0xffffffff, 0xffffffff, 0]; // huge dims, zero elements
  if (roll < 0.25) return [1, 1, 1, 1, 1, 1, 1, 2]; // rank 8
  const rank = rng.int(1, 4);
  return Array.from({ length: rank }, () => (rng.next() < 0.1 ? 0 : rng.int(1, 4)));
}

function randomTensor(rng: Rng, name: string): Tensor {
  const dtype = rng.pick(DTYPE_NAMES);
  const dims = randomDims(rng);
  const n = dims.reduce((a, b) => a * b, 1);
  return {
    name,
    dtype,
    scale: dtype === "fixed64" ? rng.int(0, 18) : 0,
    dims,
    data: Array.from({ length: n }, () => randomValue(rng, dtype)),
  };
}

/** Silero VAD's inputs: audio chunk, sample rate, recurrent state. */
function sileroLike(rng: Rng): Tensor[] {
  const audio = Array.from({ length: 64 }, () => rng.next() * 2 - 1);
  const state = Array.from({ length: 2 * 1 * 16 }, () => rng.next() - 0.5);
  return [
    { name: "state", dtype: "fixed64", scale: 6, dims: [2, 1, 16], data: toFixed(state, 6) },
    { name: "input", dtype: "fixed64", scale: 6, dims: [1, 64], data: toFixed(audio, 6) },
    { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
  ];
}

function randomCase(rng: Rng, i: number): Tensor[] {
  if (i % 25 === 0) return sileroLike(rng);
  if (i % 97 === 0) return [];
  const count = i % 61 === 0 ? 32 : rng.int(1, 5);
  const names = new Set<string>();
  while (names.size < count) names.add(randomName(rng));
  return [...names].map((name) => randomTensor(rng, name));
}

const sortByName = (ts: readonly Tensor[]): Tensor[] =>
  [...ts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Decodes TensorLib revert data to its error name ("" when the call succeeded). */
function solidityRule(revertData: string): string {
  if (revertData === "0x") return "";
  const parsed = tensorLib.parseError(revertData);
  if (parsed === null) throw new Error(`unknown revert data ${revertData}`);
  return parsed.name;
}

function tsRule(bytes: Uint8Array): string {
  try {
    decodeTensors(bytes);
    return "";
  } catch (err) {
    if (!(err instanceof VerdictError)) throw err;
    const rule = String(err.details.rule);
    expect(err.code).to.equal(TENSOR_RULES[rule as keyof typeof TENSOR_RULES]);
    return rule;
  }
}

function expectTsThrows(fn: () => unknown, code: string, rule?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(VerdictError);
    expect((err as VerdictError).code).to.equal(code);
    if (rule !== undefined) expect((err as VerdictError).details.rule).to.equal(rule);
    return;
  }
  expect.fail(`expected ${code}`);
}

/** Hand-built VTN1 pieces for malformed inputs. */
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
function block(name: number[], dtype: number, scale: number, dims: number[], data: number[]): number[] {
  return [name.length, ...name, dtype, scale, dims.length, ...dims.flatMap(u32), ...data];
}
const vtn = (count: number, ...blocks: number[][]): Uint8Array =>
  Uint8Array.from([0x56, 0x54, 0x4e, 0x31, count, ...blocks.flat()]);

describe("SDK tensors (VTN1) vs TensorLib", function () {
  let harness: TensorLibHarness;

  before(async function () {
    const [deployer] = await ethers.getSigners();
    harness = await new TensorLibHarness__factory(deployer).deploy();
  });

  it(`round-trips ${FUZZ_CASES} seeded cases in TS and decodes/re-encodes them identically on chain`, async function () {
    const rng = new Rng(0x5eed);
    const cases = Array.from({ length: FUZZ_CASES }, (_, i) => randomCase(rng, i));
    const encoded = cases.map((ts) => {
      const bytes = encodeTensors(ts);
      const decoded = decodeTensors(bytes);
      expect(decoded).to.deep.equal(sortByName(ts));
      // Canonical: input order does not matter, re-encoding is identical.
      expect(hexlify(encodeTensors([...ts].reverse()))).to.equal(hexlify(bytes));
      expect(hexlify(encodeTensors(decoded))).to.equal(hexlify(bytes));
      expect(tensorHash(bytes)).to.equal(keccak256(bytes));
      return bytes;
    });
    for (let start = 0; start < encoded.length; start += BATCH) {
      const batch = encoded.slice(start, start + BATCH);
      const [decoded, reencoded] = await harness.roundTripMany(batch);
      for (let i = 0; i < batch.length; i++) {
        expect(reencoded[i]).to.equal(hexlify(batch[i]!), `case ${start + i} re-encoding`);
        const onChain = decoded[i]!.map((t) => ({
          name: t.name,
          dtype: DTYPE_NAMES.find((d) => DTYPES[d].code === Number(t.dtype)),
          scale: Number(t.scale),
          dims: t.dims.map(Number),
          data: t.data.map(BigInt),
        }));
        expect(onChain).to.deep.equal(decodeTensors(batch[i]!), `case ${start + i} decoding`);
      }
    }
  });

  it("round-trips int64 extremes, scalars and zero dimensions exactly", async function () {
    const ts: Tensor[] = [
      { name: "a", dtype: "int64", scale: 0, dims: [3], data: [-(1n << 63n), (1n << 63n) - 1n, -1n] },
      { name: "b", dtype: "fixed64", scale: 18, dims: [], data: [-(1n << 63n)] },
      { name: "c", dtype: "int8", scale: 0, dims: [2, 0, 5], data: [] },
      { name: "d", dtype: "uint8", scale: 0, dims: [2], data: [0n, 255n] },
    ];
    const bytes = encodeTensors(ts);
    expect(decodeTensors(bytes)).to.deep.equal(ts);
    expect(await harness.count(bytes)).to.equal(4n);
    expect(await harness.readInt(bytes, "a", 0)).to.equal(-(1n << 63n));
    expect(await harness.readInt(bytes, "a", 1)).to.equal((1n << 63n) - 1n);
    expect(await harness.readInt(bytes, "b", 0)).to.equal(-(1n << 63n));
    expect(await harness.readInt(bytes, "d", 1)).to.equal(255n);
    const c = await harness.find(bytes, "c");
    expect(c.elementCount).to.equal(0n);
    expect(c.dims.map(Number)).to.deep.equal([2, 0, 5]);
    const at1 = await harness.at(bytes, 1);
    expect(at1.name).to.equal("b");
    expect(at1.scale).to.equal(18n);
    await expect(harness.find(bytes, "zz")).to.be.revertedWithCustomError(harness, "TensorNotFound");
    await expect(harness.at(bytes, 4)).to.be.revertedWithCustomError(harness, "TensorIndexOutOfBounds");
    await expect(harness.readInt(bytes, "c", 0)).to.be.revertedWithCustomError(
      harness,
      "TensorIndexOutOfBounds",
    );
    const empty = encodeTensors([]);
    expect(hexlify(empty)).to.equal("0x56544e3100");
    expect(decodeTensors(empty)).to.deep.equal([]);
    expect(await harness.count(empty)).to.equal(0n);
  });

  it("rejects each kind of malformed input on both sides with the same rule", async function () {
    const good = block(ascii("x"), 4, 0, [2], [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    const valid = vtn(1, good);
    const cases: Array<[string, Uint8Array, string]> = [
      ["empty", new Uint8Array(), "TensorTruncated"],
      ["truncated header", valid.slice(0, 4), "TensorTruncated"],
      ["truncated data", valid.slice(0, -1), "TensorTruncated"],
      ["trailing byte", Uint8Array.from([...valid, 0]), "TensorTrailingBytes"],
      ["bad magic", Uint8Array.from([0x56, 0x54, 0x58, 0x31, 0]), "TensorBadMagic"],
      ["version 2", Uint8Array.from([0x56, 0x54, 0x4e, 0x32, 0]), "TensorBadVersion"],
      ["33 tensors", vtn(33), "TensorTooMany"],
      ["count larger than blocks", vtn(2, good), "TensorTruncated"],
      ["empty name", vtn(1, block([], 4, 0, [], [0, 0, 0, 0])), "TensorBadName"],
      ["65-char name", vtn(1, block(ascii("a".repeat(65)), 1, 0, [], [0])), "TensorBadName"],
      ["space in name", vtn(1, block(ascii("a b"), 1, 0, [], [0])), "TensorBadName"],
      ["non-ASCII name", vtn(1, block([0xc3, 0xa9], 1, 0, [], [0])), "TensorBadName"],
      [
        "unsorted",
        vtn(2, block(ascii("b"), 1, 0, [], [0]), block(ascii("a"), 1, 0, [], [0])),
        "TensorUnsorted",
      ],
      [
        "duplicate",
        vtn(2, block(ascii("a"), 1, 0, [], [0]), block(ascii("a"), 1, 0, [], [0])),
        "TensorUnsorted",
      ],
      [
        "prefix sorts first",
        vtn(2, block(ascii("ab"), 1, 0, [], [0]), block(ascii("a"), 1, 0, [], [0])),
        "TensorUnsorted",
      ],
      ["dtype 0", vtn(1, block(ascii("a"), 0, 0, [], [0])), "TensorBadDType"],
      ["dtype 8", vtn(1, block(ascii("a"), 8, 0, [], [0])), "TensorBadDType"],
      ["scale on int32", vtn(1, block(ascii("a"), 4, 1, [], [0, 0, 0, 0])), "TensorBadScale"],
      ["fixed64 scale 19", vtn(1, block(ascii("a"), 7, 19, [], [0, 0, 0, 0, 0, 0, 0, 0])), "TensorBadScale"],
      ["rank 9", vtn(1, block(ascii("a"), 1, 0, [1, 1, 1, 1, 1, 1, 1, 1, 1], [0])), "TensorBadRank"],
      ["too many elements", vtn(1, block(ascii("a"), 1, 0, [1024, 1025], [])), "TensorTooLarge"],
      [
        "u32 overflow dims",
        vtn(1, block(ascii("a"), 1, 0, [0xffffffff, 0xffffffff, 2], [])),
        "TensorTooLarge",
      ],
      ["bool 2", vtn(1, block(ascii("a"), 6, 0, [3], [0, 1, 2])), "TensorValueOutOfRange"],
      ["bool 255", vtn(1, block(ascii("a"), 6, 0, [], [255])), "TensorValueOutOfRange"],
    ];
    const errors = await harness.validateMany(cases.map(([, b]) => b));
    cases.forEach(([label, bytes, rule], i) => {
      expect(tsRule(bytes), `TS: ${label}`).to.equal(rule);
      expect(solidityRule(errors[i]!), `Solidity: ${label}`).to.equal(rule);
    });
    // And the limits themselves are accepted.
    const atLimits = [
      vtn(1, block(ascii("a".repeat(64)), 7, 18, [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0])),
      vtn(1, block(ascii("a"), 6, 0, [2], [0, 1])),
      vtn(1, block(ascii("a"), 1, 0, [MAX_ELEMENTS, 0], [])),
    ];
    const okErrors = await harness.validateMany(atLimits);
    atLimits.forEach((bytes, i) => {
      expect(tsRule(bytes)).to.equal("");
      expect(okErrors[i]).to.equal("0x");
    });
  });

  it("rejects every strict prefix of a valid encoding as truncated on both sides", async function () {
    const bytes = encodeTensors(
      sileroLike(new Rng(7)).map((t) => ({ ...t, dims: t.dims.length ? [1] : [], data: t.data.slice(0, 1) })),
    );
    const prefixes = Array.from({ length: bytes.length }, (_, n) => bytes.slice(0, n));
    const errors = await harness.validateMany(prefixes);
    prefixes.forEach((p, i) => {
      expect(tsRule(p)).to.equal("TensorTruncated");
      expect(solidityRule(errors[i]!)).to.equal("TensorTruncated");
    });
  });

  it("validates a full 4 KiB inline input (Silero-shaped) on chain for a bounded gas cost", async function () {
    const rng = new Rng(4096);
    const input = encodeTensors([
      {
        name: "input",
        dtype: "fixed64",
        scale: 6,
        dims: [1, 480],
        data: toFixed(
          Array.from({ length: 480 }, () => rng.next() * 2 - 1),
          6,
        ),
      },
      { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
      {
        name: "state",
        dtype: "fixed64",
        scale: 6,
        dims: [2, 1, 10],
        data: toFixed(
          Array.from({ length: 20 }, () => rng.next()),
          6,
        ),
      },
    ]);
    expect(input.length).to.be.within(4000, 4096); // MAX_INLINE_INPUT
    const [sender] = await ethers.getSigners();
    const tx = await sender!.sendTransaction({
      to: await harness.getAddress(),
      data: harness.interface.encodeFunctionData("validate", [input]),
    });
    const receipt = await tx.wait();
    expect(receipt?.status).to.equal(1);
    const gas = receipt!.gasUsed;
    console.log(`      validate(${input.length} bytes, 3 tensors): receipt gasUsed ${gas}`);
    expect(gas).to.be.lessThan(200_000n);
  });

  it(`agrees with TensorLib on ${MUTATION_CASES} randomly mutated encodings`, async function () {
    const rng = new Rng(0xbad);
    const mutated: Uint8Array[] = [];
    for (let i = 0; i < MUTATION_CASES; i++) {
      const bytes = Uint8Array.from(encodeTensors(randomCase(rng, i + 1).slice(0, 3)));
      const flips = rng.int(1, 3);
      for (let f = 0; f < flips && bytes.length > 0; f++) {
        const at = rng.int(0, bytes.length - 1);
        bytes[at] = rng.next() < 0.5 ? rng.int(0, 255) : bytes[at]! ^ (1 << rng.int(0, 7));
      }
      mutated.push(bytes);
    }
    let rejected = 0;
    for (let start = 0; start < mutated.length; start += BATCH) {
      const batch = mutated.slice(start, start + BATCH);
      const errors = await harness.validateMany(batch);
      batch.forEach((bytes, i) => {
        const rule = tsRule(bytes);
        if (rule !== "") rejected++;
        expect(solidityRule(errors[i]!), `mutation ${start + i}: ${hexlify(bytes)}`).to.equal(rule);
      });
    }
    expect(rejected).to.be.greaterThan(MUTATION_CASES / 4);
  });
});

describe("SDK tensor encoder validation", function () {
  const t = (over: Partial<Tensor>): Tensor => ({
    name: "x",
    dtype: "int32",
    scale: 0,
    dims: [1],
    data: [1n],
    ...over,
  });

  it("rejects duplicates, bad names, dtypes, scales, shapes, ranges and oversize lists", function () {
    expectTsThrows(() => encodeTensors([t({}), t({})]), "TENSOR_DUPLICATE");
    expectTsThrows(() => encodeTensors([t({ name: "" })]), "TENSOR_NAME");
    expectTsThrows(() => encodeTensors([t({ name: "é" })]), "TENSOR_NAME");
    expectTsThrows(() => encodeTensors([t({ name: "a".repeat(65) })]), "TENSOR_NAME");
    expectTsThrows(() => encodeTensors([t({ dtype: "float32" as DType })]), "TENSOR_DTYPE");
    expectTsThrows(() => encodeTensors([t({ scale: 1 })]), "TENSOR_SCALE");
    expectTsThrows(() => encodeTensors([t({ dtype: "fixed64", scale: 19 })]), "TENSOR_SCALE");
    expectTsThrows(() => encodeTensors([t({ dims: [2] })]), "TENSOR_SHAPE");
    expectTsThrows(() => encodeTensors([t({ dims: [-1] })]), "TENSOR_SHAPE");
    expectTsThrows(() => encodeTensors([t({ dims: [1.5] })]), "TENSOR_SHAPE");
    expectTsThrows(
      () => encodeTensors([t({ dims: [1, 1, 1, 1, 1, 1, 1, 1, 1] })]),
      "TENSOR_MALFORMED",
      "TensorBadRank",
    );
    expectTsThrows(() => encodeTensors([t({ dims: [MAX_ELEMENTS + 1], data: [] })]), "TENSOR_TOO_LARGE");
    expectTsThrows(() => encodeTensors([t({ data: [1n << 31n] })]), "TENSOR_RANGE");
    expectTsThrows(() => encodeTensors([t({ dtype: "int8", data: [-129n] })]), "TENSOR_RANGE");
    expectTsThrows(() => encodeTensors([t({ dtype: "uint8", data: [-1n] })]), "TENSOR_RANGE");
    expectTsThrows(() => encodeTensors([t({ dtype: "bool", data: [2n] })]), "TENSOR_RANGE");
    expectTsThrows(() => encodeTensors([t({ dtype: "int64", data: [1n << 63n] })]), "TENSOR_RANGE");
    expectTsThrows(() => encodeTensors([t({ data: [1 as unknown as bigint] })]), "TENSOR_RANGE");
    const many = Array.from({ length: 33 }, (_, i) => t({ name: `t${i}` }));
    expectTsThrows(() => encodeTensors(many), "TENSOR_MALFORMED", "TensorTooMany");
    expect(decodeTensors(encodeTensors(many.slice(0, 32)))).to.have.length(32);
  });

  it("does not modify the caller's array", function () {
    const ts = [t({ name: "b" }), t({ name: "a" })];
    encodeTensors(ts);
    expect(ts.map((x) => x.name)).to.deep.equal(["b", "a"]);
  });
});

describe("SDK fixed-point and typed arrays", function () {
  it("rounds the exact float value, halves away from zero", function () {
    expect(toFixed([0.125, -0.125, 2.5, -2.5, 0.5, -0.5, 0], 2).slice(0, 2)).to.deep.equal([13n, -13n]);
    expect(toFixed([2.5, -2.5, 0.5, -0.5, 1.4999999999999998], 0)).to.deep.equal([3n, -3n, 1n, -1n, 1n]);
    // 1.005 is stored as 1.00499999999999989...: exact rounding gives 100, not 101.
    expect(toFixed([1.005], 2)).to.deep.equal([100n]);
    expect(toFixed([5e-324, -5e-324], 18)).to.deep.equal([0n, 0n]);
    expect(toFixed([9.223372036854775e18], 0)).to.deep.equal([9223372036854774784n]);
    expect(toFixed(new Float32Array([0.1]), 9)).to.deep.equal([100000001n]); // float32 0.1 = 0.100000001490116...
  });

  it("throws TENSOR_NOT_FINITE on NaN/Inf, TENSOR_RANGE on int64 overflow, TENSOR_SCALE on bad scales", function () {
    expectTsThrows(() => toFixed([1, Number.NaN], 6), "TENSOR_NOT_FINITE");
    expectTsThrows(() => toFixed([Number.POSITIVE_INFINITY], 6), "TENSOR_NOT_FINITE");
    expectTsThrows(() => toFixed([Number.NEGATIVE_INFINITY], 0), "TENSOR_NOT_FINITE");
    expectTsThrows(() => toFixed([9.3e18], 0), "TENSOR_RANGE");
    expectTsThrows(() => toFixed([10], 18), "TENSOR_RANGE");
    expectTsThrows(() => toFixed([1], 19), "TENSOR_SCALE");
    expectTsThrows(() => fromFixed([1n], -1), "TENSOR_SCALE");
  });

  it("fromFixed inverts toFixed for |v| < 2^52", function () {
    const rng = new Rng(42);
    for (let i = 0; i < 500; i++) {
      const scale = rng.int(0, 18);
      const v = rng.big(-(1n << 52n), 1n << 52n);
      expect(toFixed(fromFixed([v], scale), scale)).to.deep.equal([v]);
    }
  });

  it("converts onnxruntime-style typed arrays both ways", function () {
    const f = fromTypedArray("input", "fixed64", [1, 3], new Float32Array([0.5, -0.25, 1]), 4);
    expect(f).to.deep.equal({
      name: "input",
      dtype: "fixed64",
      scale: 4,
      dims: [1, 3],
      data: [5000n, -2500n, 10000n],
    });
    expect(Array.from(toTypedArray(f) as Float32Array)).to.deep.equal([0.5, -0.25, 1]);
    const big = new BigInt64Array([-(1n << 63n), 16000n]);
    const i64 = fromTypedArray("sr", "int64", [2], big);
    expect(i64.data).to.deep.equal([-(1n << 63n), 16000n]);
    expect(toTypedArray(i64)).to.deep.equal(big);
    for (const [dtype, arr] of [
      ["int8", new Int8Array([-128, 127])],
      ["uint8", new Uint8Array([0, 255])],
      ["bool", new Uint8Array([0, 1])],
      ["int16", new Int16Array([-32768, 32767])],
      ["int32", new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ] as const) {
      const tensor = fromTypedArray("x", dtype, [2], arr);
      expect(decodeTensors(encodeTensors([tensor]))).to.deep.equal([tensor]);
      expect(toTypedArray(tensor)).to.deep.equal(arr);
    }
    expectTsThrows(() => fromTypedArray("x", "int32", [1], new Float32Array([1])), "TENSOR_DTYPE");
    expectTsThrows(() => fromTypedArray("x", "int64", [1], new Int32Array([1])), "TENSOR_DTYPE");
    expectTsThrows(() => fromTypedArray("x", "bool", [1], new Uint8Array([2])), "TENSOR_RANGE");
    expectTsThrows(
      () => fromTypedArray("x", "fixed64", [1], new Float32Array([Number.NaN]), 3),
      "TENSOR_NOT_FINITE",
    );
  });

  it("decodes bytes given as a subarray view", function () {
    const bytes = encodeTensors([{ name: "a", dtype: "int16", scale: 0, dims: [2], data: [-2n, 3n] }]);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    expect(decodeTensors(padded.subarray(3, 3 + bytes.length))).to.deep.equal(
      decodeTensors(getBytes(hexlify(bytes))),
    );
  });
});
