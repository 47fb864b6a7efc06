/**
 * The on-chain referee and onnxruntime agree byte for byte on the canonical output of the integer models,
 * over thousands of seeded random inputs (including extremes), and the referee rejects bad input with a
 * typed error carrying the protocol's reason code.
 */
import { expect } from "chai";
import { network } from "hardhat";
import * as ort from "onnxruntime-node";
import path from "node:path";
import { hexlify, toBeHex, zeroPadValue } from "ethers";
import { encodeTensors, type Tensor } from "../../sdk/tensor.js";
import { ensureModels } from "../../scripts/models/generate.js";
import { integerForward, unpackIntegerMlp, type IntegerMlp } from "../../scripts/models/intmlp.js";
import { GENERATED_DIR, type ModelEntry } from "../../scripts/models/manifest.js";
import { Prng } from "../../scripts/models/prng.js";
import { deployIntegerReferee, readPackedWeights } from "../../scripts/models/deploy-referee.js";
import type { IntegerMlpReferee } from "../../types/ethers-contracts/index.js";

const { ethers } = await network.connect();

const INT_MODELS = ["int-mlp-16x32x1", "int-mlp-8x8x4", "int-mlp-32x64x16x4"] as const;
/** Total random inputs across the architectures (CI may lower it). */
const TOTAL_INPUTS = Number(process.env.VERDICT_REFEREE_FUZZ ?? 3000);
const BATCH = 50;

const reason = (code: number): string => zeroPadValue(toBeHex(code), 32);
const REASON = {
  UNDECODABLE: reason(1),
  NAME: reason(2),
  DTYPE: reason(3),
  SHAPE: reason(4),
  RANGE: reason(5),
};

function inputTensor(data: readonly bigint[], overrides: Partial<Tensor> = {}): Tensor {
  return { name: "x", dtype: "int64", scale: 0, dims: [1, data.length], data: [...data], ...overrides };
}

/** Seeded inputs: uniform over the bound, small "realistic" values, and extreme patterns. */
function inputs(n: number, bound: bigint, count: number, rng: Prng): bigint[][] {
  const out: bigint[][] = [
    new Array<bigint>(n).fill(0n),
    new Array<bigint>(n).fill(bound),
    new Array<bigint>(n).fill(-bound),
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? bound : -bound)),
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -bound : bound)),
    Array.from({ length: n }, (_, i) => (i === 0 ? bound : 0n)),
    Array.from({ length: n }, (_, i) => (i === n - 1 ? -bound : 1n)),
    new Array<bigint>(n).fill(-1n),
  ];
  while (out.length < count) {
    const mode = out.length % 4;
    out.push(
      Array.from({ length: n }, () => {
        if (mode === 0) return rng.bigint(-bound, bound);
        if (mode === 1) return BigInt(rng.int(-4096, 4096));
        if (mode === 2)
          return rng.nextU32() % 2 === 0 ? bound - BigInt(rng.int(0, 3)) : -bound + BigInt(rng.int(0, 3));
        return BigInt(rng.int(-(2 ** 20), 2 ** 20)) * BigInt(rng.int(-(2 ** 10), 2 ** 10));
      }).map((v) => (v > bound ? bound : v < -bound ? -bound : v)),
    );
  }
  return out.slice(0, count);
}

describe("IntegerMlpReferee ≡ onnxruntime (bit for bit)", function () {
  const manifest = ensureModels([...INT_MODELS]);
  const perModel = Math.ceil(TOTAL_INPUTS / INT_MODELS.length);

  for (const name of INT_MODELS) {
    const entry = manifest.models.find((m) => m.name === name) as ModelEntry;
    const integer = entry.integer!;
    const bound = BigInt(integer.inputBound);
    const n = entry.layers[0]!;
    const m = entry.layers[entry.layers.length - 1]!;

    describe(name, function () {
      let referee: IntegerMlpReferee;
      let session: ort.InferenceSession;
      let mlp: IntegerMlp;

      before(async function () {
        const [signer] = await ethers.getSigners();
        ({ referee } = await deployIntegerReferee(signer!, entry));
        session = await ort.InferenceSession.create(path.join(GENERATED_DIR, entry.file), {
          intraOpNumThreads: 1,
          interOpNumThreads: 1,
          executionMode: "sequential",
          graphOptimizationLevel: "all",
        });
        mlp = unpackIntegerMlp(readPackedWeights(entry), entry.layers, integer.divisors.map(BigInt), bound);
      });

      after(async function () {
        await session.release();
      });

      it(`agrees with onnxruntime on ${perModel} seeded inputs, extremes included`, async function () {
        const all = inputs(n, bound, perModel, new Prng(`referee-equality/${name}`));
        let compared = 0;
        let nonZero = 0;
        for (let start = 0; start < all.length; start += BATCH) {
          const batch = all.slice(start, start + BATCH);
          const onChain = await Promise.all(
            batch.map((x) => referee.evaluate(encodeTensors([inputTensor(x)]))),
          );
          for (let k = 0; k < batch.length; k++) {
            const x = batch[k]!;
            const result = await session.run({ x: new ort.Tensor("int64", BigInt64Array.from(x), [1, n]) });
            const y = result[entry.outputs[0]!.name]!;
            expect(y.type).to.equal("int64");
            const data = Array.from(y.data as BigInt64Array);
            const expected = hexlify(
              encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1, m], data }]),
            );
            expect(onChain[k], `input #${start + k}: ${x.join(",")}`).to.equal(expected);
            // A third, independent opinion: exact bigint arithmetic in TypeScript.
            expect(data).to.deep.equal(integerForward(mlp, x));
            if (data.some((v) => v !== 0n)) nonZero++;
            compared++;
          }
        }
        expect(compared).to.equal(perModel);
        // The comparison is not vacuous: most outputs carry information.
        expect(nonZero).to.be.greaterThan(perModel / 2);
      });

      it("truncates negative quotients toward zero, like onnxruntime (floor would differ)", async function () {
        // Find a seeded input whose last-layer sum is negative and not a multiple of the divisor.
        const L = mlp.layers.length - 1;
        const d = mlp.divisors[L - 1]!;
        const undivided = { ...mlp, divisors: [...mlp.divisors.slice(0, L - 1), 1n] };
        const rng = new Prng(`negative/${name}`);
        for (let tries = 0; tries < 500; tries++) {
          const x = Array.from({ length: n }, () => BigInt(rng.int(-50_000, 50_000)));
          const acc = integerForward(undivided, x);
          if (!acc.some((v) => v < 0n && v % d !== 0n)) continue;
          const truncated = acc.map((v) => v / d);
          const floored = acc.map((v) => (v < 0n && v % d !== 0n ? v / d - 1n : v / d));
          const result = await session.run({ x: new ort.Tensor("int64", BigInt64Array.from(x), [1, n]) });
          expect(Array.from(result.y!.data as BigInt64Array)).to.deep.equal(truncated);
          const out = await referee.evaluate(encodeTensors([inputTensor(x)]));
          const encode = (data: bigint[]): string =>
            hexlify(encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1, m], data }]));
          expect(out).to.equal(encode(truncated));
          expect(out).to.not.equal(encode(floored));
          return;
        }
        expect.fail("no negative, inexact output found");
      });

      it("rejects bad input with RefereeInvalidInput(reason)", async function () {
        const x = new Array<bigint>(n).fill(7n);
        const good = encodeTensors([inputTensor(x)]);
        const cases: [string, Uint8Array, string][] = [
          ["int32 dtype", encodeTensors([inputTensor(x, { dtype: "int32" })]), REASON.DTYPE],
          ["fixed64 dtype", encodeTensors([inputTensor(x, { dtype: "fixed64", scale: 2 })]), REASON.DTYPE],
          ["shape [1, n+1]", encodeTensors([inputTensor([...x, 1n])]), REASON.SHAPE],
          ["shape [n]", encodeTensors([inputTensor(x, { dims: [n] })]), REASON.SHAPE],
          ["shape [n, 1]", encodeTensors([inputTensor(x, { dims: [n, 1] })]), REASON.SHAPE],
          ["shape [1, 1, n]", encodeTensors([inputTensor(x, { dims: [1, 1, n] })]), REASON.SHAPE],
          ["wrong name", encodeTensors([inputTensor(x, { name: "z" })]), REASON.NAME],
          ["no tensors", encodeTensors([]), REASON.NAME],
          ["extra tensor", encodeTensors([inputTensor(x), inputTensor([1n], { name: "y" })]), REASON.NAME],
          [
            "x + bound",
            encodeTensors([inputTensor(x.map((v, i) => (i === n - 1 ? bound + 1n : v)))]),
            REASON.RANGE,
          ],
          [
            "x - bound",
            encodeTensors([inputTensor(x.map((v, i) => (i === 0 ? -bound - 1n : v)))]),
            REASON.RANGE,
          ],
          ["int64 min", encodeTensors([inputTensor(x.map(() => -(2n ** 63n)))]), REASON.RANGE],
          ["empty bytes", new Uint8Array(), REASON.UNDECODABLE],
          ["garbage", Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff), REASON.UNDECODABLE],
          ["bad magic", Uint8Array.from([0x56, 0x54, 0x4e, 0x32, ...good.slice(4)]), REASON.UNDECODABLE],
          ["truncated", good.slice(0, good.length - 1), REASON.UNDECODABLE],
          ["trailing byte", Uint8Array.from([...good, 0]), REASON.UNDECODABLE],
          ["header only", good.slice(0, good.length - 8 * n), REASON.UNDECODABLE],
          ["bad scale", Uint8Array.from(good.map((b, i) => (i === 8 ? 1 : b))), REASON.UNDECODABLE],
        ];
        expect(good[8]).to.equal(0); // the scale byte patched above ("VTN1", count, len, "x", dtype, scale)
        for (const [label, bytes, expectedReason] of cases) {
          await expect(referee.evaluate(bytes), label)
            .to.be.revertedWithCustomError(referee, "RefereeInvalidInput")
            .withArgs(expectedReason);
        }
        // The good input still evaluates (the bad ones changed nothing).
        expect(await referee.evaluate(good)).to.match(/^0x56544e31/);
      });
    });
  }
});
