/**
 * Refuses ONNX models that would make onnxruntime read anything but the model bytes themselves.
 *
 * A TensorProto may keep its data "externally": `data_location = EXTERNAL` (field 14) with
 * `external_data` entries (field 13: location, offset, length) naming a file relative to the model's
 * directory (for a model loaded from bytes: the process's working directory). A hostile model owner
 * points that at `.env` or the relayer's SQLite files and gets the bytes back as the model's output,
 * signed by the operator. This walk finds every tensor of the model, wherever it sits: graph
 * initializers, sparse initializers, Constant-style tensor attributes, subgraph attributes (If/Loop/Scan
 * bodies, to any depth), local functions and training graphs; any external reference refuses the model
 * before onnxruntime sees it. (The inference child process also runs in an empty working directory with
 * no secrets in its environment: a defence in depth, not the only one.)
 *
 * Field numbers follow https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 */
import { RunnerError } from "../errors.js";

/** Deepest message nesting walked (a hostile model could nest subgraphs to overflow a naive walk). */
const MAX_DEPTH = 64;

type Kind = "model" | "graph" | "node" | "attr" | "tensor" | "sparse" | "function" | "training";

/** Which fields of each message kind hold which sub-message kinds. */
const CHILDREN: Record<Kind, Record<number, Kind>> = {
  // ModelProto: graph 7, training_info 20, functions 25
  model: { 7: "graph", 20: "training", 25: "function" },
  // GraphProto: node 1, initializer 5, sparse_initializer 15
  graph: { 1: "node", 5: "tensor", 15: "sparse" },
  // NodeProto: attribute 5
  node: { 5: "attr" },
  // AttributeProto: t 5, g 6, tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23
  attr: { 5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse" },
  // TensorProto: checked by field, no sub-messages of interest
  tensor: {},
  // SparseTensorProto: values 1, indices 2
  sparse: { 1: "tensor", 2: "tensor" },
  // FunctionProto: node 7
  function: { 7: "node" },
  // TrainingInfoProto: initialization 1, algorithm 2
  training: { 1: "graph", 2: "graph" },
};

/** TensorProto.external_data and TensorProto.data_location (EXTERNAL = 1). */
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

class Unsafe extends Error {}

function varint(b: Uint8Array, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (let i = at; i < b.length && i < at + 10; i++) {
    const byte = b[i]!;
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [v, i + 1];
    shift += 7n;
  }
  throw new Unsafe("truncated varint");
}

function walk(b: Uint8Array, start: number, end: number, kind: Kind, depth: number, path: string): void {
  if (depth > MAX_DEPTH) throw new Unsafe(`messages nested deeper than ${MAX_DEPTH}`);
  const children = CHILDREN[kind];
  let at = start;
  while (at < end) {
    const [key, next] = varint(b, at);
    at = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (kind === "tensor" && field === TENSOR_EXTERNAL_DATA) {
      throw new Unsafe(`${path}: a tensor with external data`);
    }
    switch (wire) {
      case 0: {
        const [v, n] = varint(b, at);
        if (kind === "tensor" && field === TENSOR_DATA_LOCATION && v !== 0n) {
          throw new Unsafe(`${path}: a tensor stored outside the model (data_location ${v})`);
        }
        at = n;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const [len, n] = varint(b, at);
        const to = n + Number(len);
        if (len > BigInt(end - n)) throw new Unsafe("a field runs past its message");
        const child = children[field];
        if (child !== undefined) walk(b, n, to, child, depth + 1, `${path}/${child}`);
        if (kind === "tensor" && field === TENSOR_DATA_LOCATION) {
          // packed form of the enum (not emitted by ONNX writers, refused all the same)
          throw new Unsafe(`${path}: a packed data_location`);
        }
        at = to;
        break;
      }
      default:
        throw new Unsafe(`unsupported protobuf wire type ${wire}`);
    }
    if (at > end) throw new Unsafe("a field runs past its message");
  }
}

/**
 * Throws RunnerError MODEL_UNSAFE when the model references data outside its own bytes (external-data
 * tensors anywhere, including subgraphs) or cannot be walked as an ONNX ModelProto.
 */
export function assertSelfContainedModel(bytes: Uint8Array, modelHash = ""): void {
  try {
    walk(bytes, 0, bytes.length, "model", 0, "model");
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    throw new RunnerError("MODEL_UNSAFE", `model ${modelHash} refused before loading: ${e.message}`, {
      modelHash,
    });
  }
}
