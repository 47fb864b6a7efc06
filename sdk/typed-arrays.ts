/**
 * Bridges between Tensors and onnxruntime-style typed arrays, without importing onnxruntime.
 * bool travels as Uint8Array (as onnxruntime does); fixed64 as Float32Array (a float model's I/O).
 */
import { DTYPES, type DType } from "./dtype.js";
import { VerdictError } from "./errors.js";
import { fromFixed, toFixed } from "./fixed.js";
import type { Tensor } from "./tensor.js";

export type TypedArrayInput = Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array;
export type TypedArrayOutput =
  Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array;

const EXPECTED: Readonly<Record<DType, string>> = {
  int8: "Int8Array",
  uint8: "Uint8Array",
  int16: "Int16Array",
  int32: "Int32Array",
  int64: "BigInt64Array",
  bool: "Uint8Array",
  fixed64: "Float32Array",
};

/**
 * Builds a Tensor from a typed array. Float32Array data needs dtype "fixed64" and a scale; it is
 * rounded with toFixed. Integer arrays keep their values; bool accepts only 0/1. The result is not
 * validated against shape limits here: encodeTensors does that.
 */
export function fromTypedArray(
  name: string,
  dtype: DType,
  dims: readonly number[],
  data: TypedArrayInput,
  scale = 0,
): Tensor {
  const kind = data.constructor.name;
  if (kind !== EXPECTED[dtype]) {
    throw new VerdictError("TENSOR_DTYPE", `tensor "${name}": ${kind} cannot carry ${dtype}`, {
      name,
      dtype,
      kind,
    });
  }
  let values: bigint[];
  if (data instanceof Float32Array) {
    values = toFixed(data, scale);
  } else if (data instanceof BigInt64Array) {
    values = Array.from(data);
  } else {
    values = Array.from(data, (v) => BigInt(v));
  }
  if (dtype === "bool" && values.some((v) => v > 1n)) {
    throw new VerdictError("TENSOR_RANGE", `tensor "${name}": bool values must be 0 or 1`, { name });
  }
  return { name, dtype, scale: dtype === "fixed64" ? scale : 0, dims: [...dims], data: values };
}

/** The typed array onnxruntime expects for this tensor (fixed64 becomes Float32Array). */
export function toTypedArray(tensor: Tensor): TypedArrayOutput {
  const info = DTYPES[tensor.dtype];
  if (info === undefined) {
    throw new VerdictError("TENSOR_DTYPE", `unknown dtype ${String(tensor.dtype)}`, { name: tensor.name });
  }
  switch (tensor.dtype) {
    case "int8":
      return Int8Array.from(tensor.data, Number);
    case "uint8":
    case "bool":
      return Uint8Array.from(tensor.data, Number);
    case "int16":
      return Int16Array.from(tensor.data, Number);
    case "int32":
      return Int32Array.from(tensor.data, Number);
    case "int64":
      return BigInt64Array.from(tensor.data);
    case "fixed64":
      return Float32Array.from(fromFixed(tensor.data, tensor.scale));
  }
}
