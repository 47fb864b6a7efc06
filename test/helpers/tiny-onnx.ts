/**
 * Builds tiny ONNX models by hand (a minimal protobuf writer, no dependency), for tests and examples:
 * real models that onnxruntime loads and runs, small enough to reason about exactly.
 */

/** ONNX TensorProto.DataType codes used here. */
export const ONNX_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
} as const;
export type OnnxTypeName = keyof typeof ONNX_TYPE;

class Writer {
  readonly bytes: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt(v);
    while (x > 0x7fn) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  bytesField(field: number, b: Uint8Array | number[]): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytesField(field, [...Buffer.from(s, "utf8")]);
  }

  msg(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.bytes);
  }
}

export interface ValueInfo {
  name: string;
  type: OnnxTypeName;
  /** Numbers are fixed dims, strings symbolic (any size). */
  shape: (number | string)[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
}

export interface TinyModel {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  /** Default opset 13. */
  opset?: number;
}

function valueInfo(w: Writer, v: ValueInfo): void {
  w.str(1, v.name);
  w.msg(2, (t) =>
    t.msg(1, (tt) => {
      tt.int(1, ONNX_TYPE[v.type]);
      tt.msg(2, (shape) => {
        for (const d of v.shape)
          shape.msg(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.str(2, d)));
      });
    }),
  );
}

/** Serialises a single-graph ONNX model (IR version 8). */
export function buildOnnx(model: TinyModel): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, "verdict-tests"); // producer_name
  w.msg(7, (g) => {
    model.nodes.forEach((n, i) =>
      g.msg(1, (node) => {
        for (const x of n.inputs) node.str(1, x);
        for (const x of n.outputs) node.str(2, x);
        node.str(3, `n${i}`);
        node.str(4, n.op);
      }),
    );
    g.str(2, "g");
    for (const v of model.inputs) g.msg(11, (x) => valueInfo(x, v));
    for (const v of model.outputs) g.msg(12, (x) => valueInfo(x, v));
  });
  w.msg(8, (o) => o.str(1, "").int(2, model.opset ?? 13));
  return new Uint8Array(w.bytes);
}

/** z = x / y on float32 [n] (0/0 gives NaN, 1/0 gives Inf). */
export function divModel(): Uint8Array {
  return buildOnnx({
    inputs: [
      { name: "x", type: "float32", shape: ["n"] },
      { name: "y", type: "float32", shape: ["n"] },
    ],
    outputs: [{ name: "z", type: "float32", shape: ["n"] }],
    nodes: [{ op: "Div", inputs: ["x", "y"], outputs: ["z"] }],
  });
}

/** s = a + b on int64 [n] (wraps on overflow like the hardware). */
export function addInt64Model(): Uint8Array {
  return buildOnnx({
    inputs: [
      { name: "a", type: "int64", shape: ["n"] },
      { name: "b", type: "int64", shape: ["n"] },
    ],
    outputs: [{ name: "s", type: "int64", shape: ["n"] }],
    nodes: [{ op: "Add", inputs: ["a", "b"], outputs: ["s"] }],
  });
}
