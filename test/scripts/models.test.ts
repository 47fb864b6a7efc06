/**
 * The generated models: the generator is deterministic and matches the committed manifest, every file
 * loads in onnxruntime with the recorded names, dtypes and shapes, the integer twin certifies its bound,
 * and the heavy model is heavy.
 */
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ensureModels, HEAVY_MODEL, integerMlpFor, modelBytes } from "../../scripts/models/generate.js";
import {
  INT64_MAX,
  packIntegerMlp,
  seededIntegerMlp,
  validateIntegerMlp,
  worstCaseAccumulator,
} from "../../scripts/models/intmlp.js";
import { GENERATED_DIR, readManifest } from "../../scripts/models/manifest.js";
import { readPackedWeights, RefereeDeployError } from "../../scripts/models/deploy-referee.js";

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const SESSION: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, graphOptimizationLevel: "all" };

describe("generated models", function () {
  const manifest = ensureModels();

  it("regenerates byte-identical files whose sha256 the manifest records", function () {
    expect(manifest.models.map((m) => m.name)).to.include.members([
      "mlp-8x16x4",
      "int-mlp-16x32x1",
      "int-mlp-8x8x4",
      "int-mlp-32x64x16x4",
    ]);
    for (const entry of manifest.models) {
      const bytes = modelBytes(entry.name);
      expect(sha256(bytes), entry.name).to.equal(entry.sha256);
      expect(sha256(readFileSync(path.join(GENERATED_DIR, entry.file))), entry.name).to.equal(entry.sha256);
      expect(entry.committed).to.equal(bytes.length <= 200 * 1024);
      if (entry.integer)
        expect(sha256(packIntegerMlp(integerMlpFor(entry.name)))).to.equal(entry.integer.weightsSha256);
    }
    expect(readManifest()).to.deep.equal(manifest);
  });

  it("every model loads in onnxruntime with the manifest's names, dtypes and shapes", async function () {
    for (const entry of manifest.models) {
      const session = await ort.InferenceSession.create(path.join(GENERATED_DIR, entry.file), SESSION);
      expect(session.inputNames).to.deep.equal(entry.inputs.map((t) => t.name));
      expect(session.outputNames).to.deep.equal(entry.outputs.map((t) => t.name));
      const spec = entry.inputs[0]!;
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const x =
        spec.dtype === "float32"
          ? new ort.Tensor(
              "float32",
              Float32Array.from({ length: size }, (_, i) => Math.sin(i)),
              [...spec.shape],
            )
          : new ort.Tensor(
              "int64",
              BigInt64Array.from({ length: size }, (_, i) => BigInt(i * 100 - 500)),
              [...spec.shape],
            );
      const result = await session.run({ [spec.name]: x });
      const y = result[entry.outputs[0]!.name]!;
      expect(y.type, entry.name).to.equal(entry.outputs[0]!.dtype);
      expect(y.dims, entry.name).to.deep.equal(entry.outputs[0]!.shape);
      await session.release();
    }
  });

  it("the float MLP mlp-8x16x4 gives finite outputs that depend on its input", async function () {
    const entry = manifest.models.find((m) => m.name === "mlp-8x16x4")!;
    const session = await ort.InferenceSession.create(path.join(GENERATED_DIR, entry.file), SESSION);
    const zero = await session.run({ x: new ort.Tensor("float32", new Float32Array(8), [1, 8]) });
    const one = await session.run({ x: new ort.Tensor("float32", new Float32Array(8).fill(1), [1, 8]) });
    const a = Array.from(zero.y!.data as Float32Array);
    const b = Array.from(one.y!.data as Float32Array);
    expect(a).to.have.length(4);
    expect(a.every(Number.isFinite) && b.every(Number.isFinite)).to.equal(true);
    expect(a).to.not.deep.equal(b); // the input matters
    await session.release();
  });

  // How long it takes is a benchmark figure (relayer.heavy.*), not a test: here, that the graph really is the
  // deep stack the benchmark relies on and that its output depends on its input.
  it("the heavy model is the deep stack the benchmark expects (≥ 100M multiply-adds) and depends on its input", async function () {
    const entry = manifest.models.find((m) => m.name === HEAVY_MODEL.name)!;
    const macs =
      HEAVY_MODEL.input * HEAVY_MODEL.width +
      HEAVY_MODEL.depth * HEAVY_MODEL.width ** 2 +
      HEAVY_MODEL.width * HEAVY_MODEL.output;
    expect(macs).to.be.at.least(100_000_000);
    const bytes = readFileSync(path.join(GENERATED_DIR, entry.file));
    const matmuls = bytes.toString("latin1").split("MatMul").length - 1;
    expect(matmuls).to.be.at.least(HEAVY_MODEL.depth);
    const session = await ort.InferenceSession.create(bytes, SESSION);
    const shape = entry.inputs[0]!.shape;
    const run = async (v: number) =>
      Array.from(
        (
          await session.run({
            x: new ort.Tensor("float32", new Float32Array(shape[0]! * shape[1]!).fill(v), [...shape]),
          })
        ).y!.data as Float32Array,
      );
    const [a, b] = [await run(0.25), await run(-0.5)];
    expect(a).to.have.length(HEAVY_MODEL.output);
    expect(a.every(Number.isFinite)).to.equal(true);
    expect(a).to.not.deep.equal(b);
    await session.release();
  });

  it("integer models certify that no int64 intermediate can overflow within the input bound", function () {
    for (const entry of manifest.models.filter((m) => m.integer)) {
      const mlp = integerMlpFor(entry.name);
      expect(worstCaseAccumulator(mlp) <= INT64_MAX).to.equal(true);
      expect(worstCaseAccumulator(mlp).toString()).to.equal(entry.integer!.worstCaseAccumulator);
    }
    // A bound that would overflow is refused at generation time.
    expect(() => seededIntegerMlp("too-wide", [16, 32, 1], 256, 2n ** 60n)).to.throw(/overflow/);
    const mlp = integerMlpFor("int-mlp-8x8x4");
    expect(() => validateIntegerMlp({ ...mlp, divisors: [0n, 100n] })).to.throw(/divisor/);
  });

  it("the deploy helper refuses weights that differ from the manifest", function () {
    const entry = manifest.models.find((m) => m.name === "int-mlp-8x8x4")!;
    expect(readPackedWeights(entry)).to.have.length(240);
    const tampered = { ...entry, integer: { ...entry.integer!, weightsSha256: "00".repeat(32) } };
    expect(() => readPackedWeights(tampered))
      .to.throw(RefereeDeployError)
      .with.property("code", "WEIGHTS_HASH_MISMATCH");
    const float = manifest.models.find((m) => m.kind === "float-mlp")!;
    expect(() => readPackedWeights(float))
      .to.throw(RefereeDeployError)
      .with.property("code", "NOT_INTEGER_MODEL");
  });
});
