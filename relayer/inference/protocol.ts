/**
 * Messages between the inference pool (relayer/inference/pool.ts, the relayer process) and its worker
 * child processes (relayer/inference/worker.ts), over the IPC channel with V8 ("advanced")
 * serialisation, so typed arrays (BigInt64Array included) cross intact. Every request carries an `id`;
 * the worker answers each with exactly one reply.
 */

/** onnxruntime element types the runner feeds and reads (schema dtypes, see runner.ts). */
export type WireType = "float32" | "float64" | "int8" | "uint8" | "int16" | "int32" | "int64" | "bool";

export type WireData =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

/** A tensor as onnxruntime sees it (outputs: `type` as onnxruntime reports it). */
export interface WireTensor {
  name: string;
  type: string;
  dims: number[];
  data: WireData;
}

/** A model input's or output's metadata, as the session reports it. */
export interface IoMeta {
  name: string;
  isTensor: boolean;
  /** Element type for tensors. */
  type: string | undefined;
}

/** What the runner checks the registered schema against. */
export interface ModelMeta {
  inputNames: string[];
  outputNames: string[];
  inputs: IoMeta[];
  outputs: IoMeta[];
}

export type ToWorker =
  | { type: "load"; id: number; hash: string; bytes: Uint8Array }
  | { type: "run"; id: number; hash: string; feeds: WireTensor[]; outputNames: string[] }
  | { type: "release"; hash: string }
  | { type: "close" };

/**
 * `load`: onnxruntime refused the model; `run`: the model failed on the input; `resource`: an allocation
 * failed (the machine's limit, never the requester's fault); `missing`: no such model.
 */
export type WorkerErrorKind = "load" | "run" | "resource" | "missing";

export type FromWorker =
  | { type: "loaded"; id: number; meta: ModelMeta }
  | { type: "result"; id: number; outputs: WireTensor[] }
  | { type: "error"; id: number; kind: WorkerErrorKind; message: string };
