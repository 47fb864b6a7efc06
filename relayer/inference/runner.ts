/**
 * Inference runner: validates a VTN1 input against the model's schema, runs the model with
 * onnxruntime-node under fixed (reproducible) session options, and canonicalises the outputs to VTN1
 * (floats as fixed64 at the model's outputScale).
 *
 * Outcomes:
 * - a result: `{ output, outputHash }`;
 * - `InvalidInputError` with the protocol reason code (docs/protocol.md) when the input is at fault:
 *   1 undecodable, 2 names, 3 dtype, 4 shape, 5 value range, 7 the model failed on it (including
 *   NaN/Inf or int64-overflowing outputs and outputs that do not match the registered schema);
 * - `RunnerError` / `ModelError` when the operator is at fault (model not fetchable, not loadable,
 *   schema inconsistent with the model): the operator must not attest anything then.
 */
import * as ort from "onnxruntime-node";
import type { Logger } from "pino";
import { DTYPES } from "../../sdk/dtype.js";
import { VerdictError } from "../../sdk/errors.js";
import { toFixed } from "../../sdk/fixed.js";
import { decodeTensors, encodeTensors, tensorHash, toTypedArray, type Tensor } from "../../sdk/tensor.js";
import { InvalidInputError, InvalidInputReason, RunnerError } from "../errors.js";
import type { ModelStore } from "../models/store.js";
import { normaliseModelHash } from "../models/store.js";
import { isFloatSpec, type ModelSchema, type TensorSpec } from "./schema.js";
import { Semaphore } from "./semaphore.js";

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
  /** Inferences at once (default 1). */
  concurrency?: number;
  /** onnxruntime intra-op threads per inference (default 1). */
  threads?: number;
  logger?: Logger;
}

/**
 * The session options every operator uses, so outputs are reproducible on one machine and as close
 * as the hardware allows across machines: fixed thread counts, sequential execution, and only the
 * semantics-preserving "basic" graph rewrites (no hardware-specific layout or fused kernels).
 */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "basic",
    logSeverityLevel: 4, // errors reach the caller as typed errors; keep stderr clean
  };
}

type OrtType = ort.Tensor.Type;

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
function checkSchemaAgainstSession(session: ort.InferenceSession, schema: ModelSchema, hash: string): void {
  const problems: string[] = [];
  const inMeta = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const outMeta = new Map(session.outputMetadata.map((m) => [m.name, m]));
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
      const ok = isFloatSpec(spec) ? FLOAT_OUT.includes(m.type) : m.type === ortTypeOf(spec);
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
function canonicalOutput(spec: TensorSpec, value: ort.Tensor, outputScale: number): Tensor {
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
  readonly #threads: number;
  readonly #sem: Semaphore;
  readonly #log: Logger | undefined;
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(options: RunnerOptions) {
    this.#models = options.models;
    this.#threads = options.threads ?? 1;
    this.#sem = new Semaphore(options.concurrency ?? 1);
    this.#log = options.logger;
  }

  /** Inferences running and waiting (for the queue gauge). */
  get load(): { active: number; waiting: number } {
    return { active: this.#sem.active, waiting: this.#sem.waiting };
  }

  /** The cached session for a model, loading (fetch + verify + create) it once. */
  session(model: Pick<ModelRef, "modelHash" | "uris">): Promise<ort.InferenceSession> {
    const hash = normaliseModelHash(model.modelHash);
    let s = this.#sessions.get(hash);
    if (s === undefined) {
      s = this.#createSession(hash, model.uris);
      this.#sessions.set(hash, s);
      s.catch(() => this.#sessions.delete(hash)); // a failed load may be retried later
    }
    return s;
  }

  async #createSession(hash: string, uris: readonly string[]): Promise<ort.InferenceSession> {
    const bytes = await this.#models.load(hash, uris); // verified against the hash before loading
    try {
      const session = await ort.InferenceSession.create(bytes, sessionOptions(this.#threads));
      this.#log?.info(
        { modelHash: hash, inputs: session.inputNames, outputs: session.outputNames },
        "model loaded",
      );
      return session;
    } catch (e) {
      throw new RunnerError(
        "MODEL_LOAD_FAILED",
        `onnxruntime cannot load model ${hash}`,
        { modelHash: hash },
        e,
      );
    }
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
    const session = await this.session(model);
    checkSchemaAgainstSession(session, model.schema, normaliseModelHash(model.modelHash));

    const feeds: Record<string, ort.Tensor> = {};
    model.schema.inputs.forEach((spec, i) => {
      const t = tensors[i] as Tensor;
      const data = toTypedArray(t);
      feeds[spec.name] = new ort.Tensor(ortTypeOf(spec), data, t.dims);
    });
    const outputNames = model.schema.outputs.map((s) => s.name);

    const results = await this.#sem.with(async () => {
      try {
        return await session.run(feeds, outputNames);
      } catch (e) {
        const msg = e instanceof Error ? e.message.split("\n")[0] : "error";
        throw new InvalidInputError(
          InvalidInputReason.MODEL_FAILED,
          `the model failed on this input: ${msg}`,
          e,
        );
      }
    });

    const out = model.schema.outputs.map((spec) => {
      const value = results[spec.name];
      if (value === undefined)
        invalid(InvalidInputReason.MODEL_FAILED, `the model produced no "${spec.name}"`);
      return canonicalOutput(spec, value as ort.Tensor, model.outputScale);
    });
    const output = encodeTensors(out);
    return { output, outputHash: tensorHash(output), tensors: out };
  }

  /** Releases every cached session. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of sessions) {
      try {
        await (await s).release();
      } catch {
        // a session that failed to load has nothing to release
      }
    }
  }
}
