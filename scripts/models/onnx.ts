/**
 * A minimal protobuf writer for the subset of the ONNX schema (onnx.proto3) the generator needs:
 * ModelProto, GraphProto, NodeProto, AttributeProto (int), TensorProto (raw_data), ValueInfoProto.
 * Field numbers follow https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 */

/** ONNX TensorProto.DataType codes used here. */
export const OnnxType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type OnnxTypeCode = (typeof OnnxType)[keyof typeof OnnxType];

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Appends protobuf fields to a growing byte list. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.parts.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(BigInt(value.length));
    this.parts.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

/** A graph input or output: a named tensor with a fixed element type and shape. */
export interface ValueInfo {
  readonly name: string;
  readonly type: OnnxTypeCode;
  readonly dims: readonly number[];
}

/** A constant tensor stored in the graph, as little-endian raw bytes. */
export interface Initializer {
  readonly name: string;
  readonly type: OnnxTypeCode;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

/** One operator node; attributes are limited to integers, which is all the generator needs. */
export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly intAttributes?: Readonly<Record<string, number>>;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly Initializer[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

/** ONNX IR version 8 and default-domain opset 13: supported by every onnxruntime since 1.10. */
export const IR_VERSION = 8;
export const OPSET_VERSION = 13;

const ATTRIBUTE_INT = 2;

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

/** Serialises a model (ModelProto) to protobuf bytes. */
export function encodeModel(graph: OnnxGraph, producer = "verdict-generator"): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, producer);
  w.string(3, "0.1.0");
  w.message(7, (g) => {
    for (const n of graph.nodes) {
      g.message(1, (node) => {
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(3, n.name);
        node.string(4, n.op);
        for (const [name, value] of Object.entries(n.intAttributes ?? {})) {
          node.message(5, (a) => a.string(1, name).int(3, value).int(20, ATTRIBUTE_INT));
        }
      });
    }
    g.string(2, graph.name);
    for (const t of graph.initializers) {
      g.message(5, (tensor) => {
        for (const d of t.dims) tensor.int(1, d);
        tensor.int(2, t.type);
        tensor.string(8, t.name);
        tensor.bytes(9, t.raw);
      });
    }
    for (const v of graph.inputs) g.message(11, (vi) => writeValueInfo(vi, v));
    for (const v of graph.outputs) g.message(12, (vi) => writeValueInfo(vi, v));
  });
  w.message(8, (o) => o.string(1, "").int(2, OPSET_VERSION));
  return w.finish();
}

/** Little-endian raw bytes of float32 values. */
export function rawFloat32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** Little-endian raw bytes of int64 values. */
export function rawInt64(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}
