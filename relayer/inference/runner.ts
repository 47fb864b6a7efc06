/**
 * Inference runner: validates a VTN1 input against the model's schema, runs the model with
 * onnxruntime-node under fixed (reproducible) session options, and canonicalises the outputs to VTN1
 * (floats as fixed64 at the model's outputScale).
 *
 * Inference itself runs in a pool of child processes (relayer/inference/pool.ts): off the relayer's
 * event loop, away from its secrets (empty working directory, no secrets in the environment), under a
 * memory limit and a per-job deadline. Validation and canonicalisation stay here, in the relayer
 * process: only typed arrays cross the process boundary, so outputs are bit-identical to a plain
 * session's. Models are fetched and checked against their sha256 by the model store here, and refused
 * when they reference external data (relayer/inference/onnx-guard.ts), before any child gets them.
 *
 * Outcomes:
 * - a result: `{ output, outputHash }`;
 * - `InvalidInputError` with the protocol reason code (docs/protocol.md) when the input is at fault:
 *   1 undecodable, 2 names, 3 dtype, 4 shape, 5 value range, 7 the model failed on it (including
 *   NaN/Inf or int64-overflowing outputs and outputs that do not match the registered schema);
 * - `RunnerError` / `ModelError` when the input is not at fault (model not fetchable, not loadable or
 *   unsafe, schema inconsistent with the model, the job's deadline or memory limit hit): never an
 *   "invalid input" (relayer/outcomes.ts maps them to the operator's "cannot serve" outcomes).
 */
import type { Logger } from "pino";
import { DTYPES } from "../../sdk/dtype.js";
import { VerdictError } from "../../sdk/errors.js";
import { toFixed } from "../../sdk/fixed.js";
import { decodeTensors, encodeTensors, tensorHash, toTypedArray, type Tensor } from "../../sdk/tensor.js";
import { InvalidInputError, InvalidInputReason, RunnerError } from "../errors.js";
import type { ModelStore } from "../models/cache.js";
import { normaliseModelHash } from "../models/cache.js";
import { assertSelfContainedModel } from "./onnx-guard.js";
import { defaultWorkers, InferencePool } from "./pool.js";
import type { ModelMeta, WireTensor, WireType } from "./protocol.js";
import { isFloatSpec, type ModelSchema, type TensorSpec } from "./schema.js";

export { sessionOptions } from "./session-options.js";
export { defaultWorkers } from "./pool.js";

/** What the runner needs to know about a registered model. */
export interface ModelRef {
  /** sha256 of the ONNX bytes (0x-prefixed or bare hex). */
  modelHash: string;
  /** Where to fetch it when not cached. */
  uris: readonly string[];
  schema: ModelSchema;
  /** Decimal digits of float outputs (fixed64 scale), 0..18. */
  outputScale: number;
}

export interface RunResult {
  /** Canonical VTN1 output bytes. */
  output: Uint8Array;
  /** keccak256 of `output`. */
  outputHash: string;
  /** The decoded output tensors (for logs and agreement checks). */
  tensors: Tensor[];
}

export interface RunnerOptions {
  models: ModelStore;
  /**
   * Inference worker threads, i.e. inferences at once (default `defaultWorkers()`: min(2, cores)).
   * Each worker has its own session per model (relayer/inference/pool.ts).
   */
  workers?: number;
  /** onnxruntime intra-op threads per inference (default 1). */
  threads?: number;
  /** Per-job deadline (ms): a longer inference is killed with its child process (default 30 s). */
  jobTimeoutMs?: number;
  /** Address-space limit per inference child (MiB, Linux; default 4096). */
  memoryLimitMb?: number;
  /** Models kept loaded at once; the least recently used is released beyond it (default 16). */
  maxLoadedModels?: number;
  logger?: Logger;
}

type OrtType = WireType;

/** The onnxruntime element type a schema dtype is fed to / read from the model as. */
function ortTypeOf(spec: TensorSpec): OrtType {
  return isFloatSpec(spec) ? "float32" : spec.dtype === "bool" ? "bool" : (spec.dtype as OrtType);
}

/** onnxruntime output types a float spec may be read from. */
const FLOAT_OUT: readonly OrtType[] = ["float32", "float64"];

const invalid = (
  reason: (typeof InvalidInputReason)[keyof typeof InvalidInputReason],
  msg: string,
): never => {
  throw new InvalidInputError(reason, msg);
};

function shapeMatches(spec: readonly number[], dims: readonly number[]): boolean {
  return spec.length === dims.length && spec.every((d, i) => d === -1 || d === dims[i]);
}

/**
 * Decodes `input` and checks it against the schema; returns the tensors in schema order. Throws
 * InvalidInputError with the reason code of the first problem, checked in the order of the codes.
 */
export function validateInput(schema: ModelSchema, input: Uint8Array): Tensor[] {
  let tensors: Tensor[];
  try {
    tensors = decodeTensors(input);
  } catch (e) {
    if (e instanceof VerdictError) {
      throw new InvalidInputError(InvalidInputReason.UNDECODABLE, `undecodable input: ${e.message}`, e);
    }
    throw e;
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const spec of schema.inputs) {
    if (!byName.has(spec.name)) invalid(InvalidInputReason.NAME_MISMATCH, `input "${spec.name}" is missing`);
  }
  const expected = new Set(schema.inputs.map((s) => s.name));
  for (const t of tensors) {
    if (!expected.has(t.name)) invalid(InvalidInputReason.NAME_MISMATCH, `unexpected input "${t.name}"`);
  }
  const ordered = schema.inputs.map((spec) => byName.get(spec.name) as Tensor);
  schema.inputs.forEach((spec, i) => {
    const t = ordered[i] as Tensor;
    const wire = isFloatSpec(spec) ? "fixed64" : spec.dtype;
    if (t.dtype !== wire) {
      invalid(InvalidInputReason.DTYPE_MISMATCH, `input "${t.name}" is ${t.dtype}, expected ${wire}`);
    }
    if (spec.scale !== undefined && t.scale !== spec.scale) {
      invalid(
        InvalidInputReason.DTYPE_MISMATCH,
        `input "${t.name}" has scale ${t.scale}, expected ${spec.scale}`,
      );
    }
  });
  schema.inputs.forEach((spec, i) => {
    const t = ordered[i] as Tensor;
    if (!shapeMatches(spec.shape, t.dims)) {
      invalid(
        InvalidInputReason.SHAPE_MISMATCH,
        `input "${t.name}" has shape [${t.dims.join(",")}], expected [${spec.shape.join(",")}]`,
      );
    }
  });
  schema.inputs.forEach((spec, i) => {
    const t = ordered[i] as Tensor;
    if (spec.min === undefined && spec.max === undefined) return;
    const pow = 10 ** t.scale;
    t.data.forEach((v, k) => {
      const x = t.dtype === "fixed64" ? Number(v) / pow : Number(v);
      if ((spec.min !== undefined && x < spec.min) || (spec.max !== undefined && x > spec.max)) {
        invalid(
          InvalidInputReason.VALUE_OUT_OF_RANGE,
          `input "${t.name}" element ${k} is outside [${spec.min ?? "-inf"}, ${spec.max ?? "inf"}]`,
        );
      }
    });
  });
  return ordered;
}

/** Checks that the registered schema fits the model's own inputs/outputs (operator-side check). */
function checkSchemaAgainstSession(session: ModelMeta, schema: ModelSchema, hash: string): void {
  const problems: string[] = [];
  const inMeta = new Map(session.inputs.map((m) => [m.name, m]));
  const outMeta = new Map(session.outputs.map((m) => [m.name, m]));
  const schemaIn = new Set(schema.inputs.map((s) => s.name));
  for (const name of session.inputNames)
    if (!schemaIn.has(name)) problems.push(`model input "${name}" not in schema`);
  for (const spec of schema.inputs) {
    const m = inMeta.get(spec.name);
    if (m === undefined) problems.push(`schema input "${spec.name}" is not a model input`);
    else if (m.isTensor && m.type !== ortTypeOf(spec)) {
      problems.push(`input "${spec.name}": model wants ${m.type}, schema says ${spec.dtype}`);
    }
  }
  for (const spec of schema.outputs) {
    const m = outMeta.get(spec.name);
    if (m === undefined) problems.push(`schema output "${spec.name}" is not a model output`);
    else if (m.isTensor) {
      const ok = isFloatSpec(spec) ? FLOAT_OUT.includes(m.type as OrtType) : m.type === ortTypeOf(spec);
      if (!ok) problems.push(`output "${spec.name}": model gives ${m.type}, schema says ${spec.dtype}`);
    }
  }
  if (problems.length > 0) {
    throw new RunnerError("MODEL_SCHEMA_MISMATCH", `model ${hash}: ${problems.join("; ")}`, {
      modelHash: hash,
      problems,
    });
  }
}

/** Converts one model output to its canonical tensor; InvalidInputError(7) when not representable. */
function canonicalOutput(spec: TensorSpec, value: WireTensor, outputScale: number): Tensor {
  const dims = value.dims.map(Number);
  if (!shapeMatches(spec.shape, dims)) {
    invalid(
      InvalidInputReason.MODEL_FAILED,
      `output "${spec.name}" has shape [${dims.join(",")}], schema says [${spec.shape.join(",")}]`,
    );
  }
  if (isFloatSpec(spec)) {
    if (!(value.data instanceof Float32Array || value.data instanceof Float64Array)) {
      invalid(InvalidInputReason.MODEL_FAILED, `output "${spec.name}" is ${value.type}, expected a float`);
    }
    let data: bigint[];
    try {
      data = toFixed(value.data as Float32Array | Float64Array, outputScale);
    } catch (e) {
      // TENSOR_NOT_FINITE (NaN/Inf) or TENSOR_RANGE (overflows int64 at the scale)
      const why = e instanceof VerdictError ? e.message : "not representable";
      throw new InvalidInputError(InvalidInputReason.MODEL_FAILED, `output "${spec.name}": ${why}`, e);
    }
    return { name: spec.name, dtype: "fixed64", scale: outputScale, dims, data };
  }
  const dtype = spec.dtype as Exclude<TensorSpec["dtype"], "float32" | "fixed64">;
  if (value.type !== ortTypeOf(spec)) {
    invalid(InvalidInputReason.MODEL_FAILED, `output "${spec.name}" is ${value.type}, expected ${dtype}`);
  }
  const raw = value.data as ArrayLike<number | bigint | boolean>;
  const data = Array.from(raw, (v) => BigInt(typeof v === "boolean" ? Number(v) : v));
  const info = DTYPES[dtype];
  if (data.some((v) => v < info.min || v > info.max)) {
    invalid(InvalidInputReason.MODEL_FAILED, `output "${spec.name}" has values outside ${dtype}`);
  }
  return { name: spec.name, dtype, scale: 0, dims, data };
}

export class InferenceRunner {
  readonly #models: ModelStore;
  readonly #pool: InferencePool;
  readonly #log: Logger | undefined;
  readonly #sessions = new Map<string, Promise<ModelMeta>>();
  readonly #maxLoaded: number;

  constructor(options: RunnerOptions) {
    this.#models = options.models;
    this.#maxLoaded = options.maxLoadedModels ?? 16;
    this.#log = options.logger;
    this.#pool = new InferencePool({
      size: options.workers ?? defaultWorkers(),
      threads: options.threads ?? 1,
      ...(options.jobTimeoutMs !== undefined ? { jobTimeoutMs: options.jobTimeoutMs } : {}),
      ...(options.memoryLimitMb !== undefined ? { memoryLimitMb: options.memoryLimitMb } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
  }

  /** Worker threads (inferences at once). */
  get workers(): number {
    return this.#pool.size;
  }

  /** The worker pool (tests and benchmarks). */
  get pool(): InferencePool {
    return this.#pool;
  }

  /** Inferences running and waiting (for the queue gauge). */
  get load(): { active: number; waiting: number } {
    return this.#pool.load;
  }

  /**
   * The model's metadata, loading it once: fetched and verified against its sha256 by the model
   * store here, in the main thread, then its verified bytes are handed to every worker.
   */
  session(model: Pick<ModelRef, "modelHash" | "uris">): Promise<ModelMeta> {
    const hash = normaliseModelHash(model.modelHash);
    let s = this.#sessions.get(hash);
    if (s === undefined) {
      s = this.#createSession(hash, model.uris);
      s.catch(() => {
        if (this.#sessions.get(hash) === s) this.#sessions.delete(hash); // a failed load may be retried
      });
    }
    this.#sessions.delete(hash); // most recently used last
    this.#sessions.set(hash, s);
    while (this.#sessions.size > this.#maxLoaded) {
      const oldest = this.#sessions.keys().next().value as string;
      this.#sessions.delete(oldest);
      this.#pool.removeModel(oldest);
      this.#log?.info({ modelHash: oldest }, "model released (least recently used)");
    }
    return s;
  }

  async #createSession(hash: string, uris: readonly string[]): Promise<ModelMeta> {
    // Verified against the hash, and refused when it references data outside its bytes, before loading.
    const load = async (): Promise<Uint8Array> => {
      const b = await this.#models.load(hash, uris);
      assertSelfContainedModel(b, hash);
      return b;
    };
    const meta = await this.#pool.addModel(hash, await load(), load);
    this.#log?.info(
      { modelHash: hash, inputs: meta.inputNames, outputs: meta.outputNames, workers: this.#pool.size },
      "model loaded",
    );
    return meta;
  }

  /**
   * Runs `model` on the VTN1 `input`. Input problems throw InvalidInputError (checked before the
   * model is even fetched); operator-side problems throw RunnerError / ModelError.
   */
  async run(model: ModelRef, input: Uint8Array): Promise<RunResult> {
    if (!Number.isInteger(model.outputScale) || model.outputScale < 0 || model.outputScale > 18) {
      throw new RunnerError("MODEL_SCHEMA_INVALID", `outputScale ${model.outputScale} not in 0..18`);
    }
    const tensors = validateInput(model.schema, input);
    const hash = normaliseModelHash(model.modelHash);
    const meta = await this.session(model);
    checkSchemaAgainstSession(meta, model.schema, hash);

    // Built per try (a retry after a worker crash builds them again): their buffers are transferred.
    const feeds = (): WireTensor[] =>
      model.schema.inputs.map((spec, i) => {
        const t = tensors[i] as Tensor;
        return { name: spec.name, type: ortTypeOf(spec), dims: t.dims, data: toTypedArray(t) };
      });
    const outputNames = model.schema.outputs.map((s) => s.name);
    const results = await this.#pool.run(hash, feeds, outputNames);
    const byName = new Map(results.map((r) => [r.name, r]));

    const out = model.schema.outputs.map((spec) => {
      const value = byName.get(spec.name);
      if (value === undefined)
        invalid(InvalidInputReason.MODEL_FAILED, `the model produced no "${spec.name}"`);
      return canonicalOutput(spec, value as WireTensor, model.outputScale);
    });
    const output = encodeTensors(out);
    return { output, outputHash: tensorHash(output), tensors: out };
  }

  /** Stops the workers (running inferences finish first) and releases every session. */
  async close(): Promise<void> {
    this.#sessions.clear();
    await this.#pool.close();
  }
}
