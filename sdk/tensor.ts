/**
 * VTN1: the canonical byte encoding of a list of named tensors (docs/protocol.md, "Tensors").
 * One tensor list has exactly one encoding, so equal tensors have equal hashes.
 */
import { keccak256 } from "ethers";
import { DTYPES, type DType, type DTypeInfo, dtypeByCode, isDType } from "./dtype.js";
import { VerdictError, type VerdictErrorCode } from "./errors.js";

export type { DType, DTypeInfo } from "./dtype.js";
export { DTYPES, dtypeByCode, isDType } from "./dtype.js";
export { toFixed, fromFixed, fixedToNumber, decimalToFixed, fixedToDecimal } from "./fixed.js";
export { fromTypedArray, toTypedArray, type TypedArrayInput, type TypedArrayOutput } from "./typed-arrays.js";

/** A named tensor. Integer data is always bigint so int64 is exact; fixed64 data is the scaled int64. */
export interface Tensor {
  name: string;
  dtype: DType;
  /** Decimal digits for fixed64 (0..18); 0 for every other dtype. */
  scale: number;
  /** Shape; [] is a scalar (one element); a 0 dimension means no elements. */
  dims: number[];
  /** Row-major elements; length = product of dims. */
  data: bigint[];
}

/** "VTN1": magic "VTN" plus version byte "1". */
export const VTN1_MAGIC: readonly number[] = Object.freeze([0x56, 0x54, 0x4e, 0x31]);
export const MAX_TENSORS = 32;
export const MAX_NAME_LENGTH = 64;
export const MAX_RANK = 8;
export const MAX_SCALE = 18;
export const MAX_ELEMENTS = 1_048_576;
export const MAX_DIM = 0xffff_ffff;

/**
 * Each rule is named after the Solidity custom error TensorLib reverts with for the same input,
 * so both decoders can be checked against each other. `code` is the coarse VerdictError code.
 */
export const TENSOR_RULES = {
  TensorTruncated: "TENSOR_MALFORMED",
  TensorTrailingBytes: "TENSOR_MALFORMED",
  TensorBadMagic: "TENSOR_MALFORMED",
  TensorTooMany: "TENSOR_MALFORMED",
  TensorBadRank: "TENSOR_MALFORMED",
  TensorBadVersion: "TENSOR_VERSION",
  TensorBadName: "TENSOR_NAME",
  TensorUnsorted: "TENSOR_UNSORTED",
  TensorBadDType: "TENSOR_DTYPE",
  TensorBadScale: "TENSOR_SCALE",
  TensorTooLarge: "TENSOR_TOO_LARGE",
  TensorValueOutOfRange: "TENSOR_RANGE",
  TensorShapeMismatch: "TENSOR_SHAPE",
} as const satisfies Record<string, VerdictErrorCode>;

export type TensorRule = keyof typeof TENSOR_RULES;

function fail(rule: TensorRule, message: string, details: Record<string, unknown> = {}): never {
  throw new VerdictError(TENSOR_RULES[rule], message, { rule, ...details });
}

const NAME_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-")
  NAME_CHAR[c.charCodeAt(0)] = 1;

/** True when `name` is a valid tensor name: 1..64 chars of `[A-Za-z0-9_.:/-]`. */
export function isValidTensorName(name: string): boolean {
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] !== 1) return false;
  }
  return true;
}

/** Element count of a shape, computed exactly (bigint). */
export function elementCount(dims: readonly number[]): bigint {
  let n = 1n;
  for (const d of dims) n *= BigInt(d);
  return n;
}

function checkTensor(t: Tensor, index: number): DTypeInfo {
  if (typeof t !== "object" || t === null)
    fail("TensorShapeMismatch", `tensor ${index} is not an object`, { index });
  const { name, dtype, scale, dims, data } = t;
  if (typeof name !== "string" || !isValidTensorName(name)) {
    fail("TensorBadName", `tensor ${index}: invalid name ${JSON.stringify(name)}`, { index, name });
  }
  if (!isDType(dtype))
    fail("TensorBadDType", `tensor "${name}": unknown dtype ${String(dtype)}`, { index, name, dtype });
  const info = DTYPES[dtype];
  const maxScale = dtype === "fixed64" ? MAX_SCALE : 0;
  if (!Number.isInteger(scale) || scale < 0 || scale > maxScale) {
    fail("TensorBadScale", `tensor "${name}": scale ${String(scale)} not in 0..${maxScale} for ${dtype}`, {
      index,
      name,
      scale,
    });
  }
  if (!Array.isArray(dims) || dims.length > MAX_RANK) {
    fail("TensorBadRank", `tensor "${name}": rank must be 0..${MAX_RANK}`, { index, name });
  }
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      fail("TensorShapeMismatch", `tensor "${name}": dimension ${String(d)} is not a u32`, {
        index,
        name,
        dims,
      });
    }
  }
  const count = elementCount(dims);
  if (count > BigInt(MAX_ELEMENTS)) {
    fail("TensorTooLarge", `tensor "${name}": ${count} elements exceed ${MAX_ELEMENTS}`, {
      index,
      name,
      count,
    });
  }
  if (!Array.isArray(data) || BigInt(data.length) !== count) {
    fail("TensorShapeMismatch", `tensor "${name}": data length does not match dims (${count} elements)`, {
      index,
      name,
      dims,
      length: Array.isArray(data) ? data.length : undefined,
    });
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "bigint" || v < info.min || v > info.max) {
      fail("TensorValueOutOfRange", `tensor "${name}": element ${i} (${String(v)}) out of ${dtype} range`, {
        index,
        name,
        element: i,
      });
    }
  }
  return info;
}

/**
 * Encodes tensors canonically: sorted by name (byte order), validated (names, dtype, scale, shape,
 * ranges, element cap). Duplicate names throw TENSOR_DUPLICATE. The input array is not modified.
 */
export function encodeTensors(tensors: readonly Tensor[]): Uint8Array {
  if (!Array.isArray(tensors)) fail("TensorShapeMismatch", "tensors must be an array");
  if (tensors.length > MAX_TENSORS) {
    fail("TensorTooMany", `${tensors.length} tensors exceed ${MAX_TENSORS}`, { count: tensors.length });
  }
  const infos = tensors.map((t, i) => checkTensor(t, i));
  const order = tensors.map((_, i) => i).sort((a, b) => compareNames(tensors[a]!.name, tensors[b]!.name));
  for (let k = 1; k < order.length; k++) {
    const name = tensors[order[k]!]!.name;
    if (name === tensors[order[k - 1]!]!.name) {
      throw new VerdictError("TENSOR_DUPLICATE", `duplicate tensor name "${name}"`, { name });
    }
  }
  let size = 5;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    size += 1 + t.name.length + 3 + 4 * t.dims.length + infos[i]!.width * t.data.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(VTN1_MAGIC, 0);
  out[4] = tensors.length;
  let p = 5;
  for (const i of order) {
    const t = tensors[i]!;
    const info = infos[i]!;
    out[p++] = t.name.length;
    for (let c = 0; c < t.name.length; c++) out[p++] = t.name.charCodeAt(c);
    out[p++] = info.code;
    out[p++] = t.scale;
    out[p++] = t.dims.length;
    for (const d of t.dims) {
      view.setUint32(p, d);
      p += 4;
    }
    p = writeData(view, p, info, t.data);
  }
  return out;
}

function writeData(view: DataView, start: number, info: DTypeInfo, data: readonly bigint[]): number {
  let p = start;
  switch (info.width) {
    case 1:
      for (const v of data) view.setUint8(p++, Number(v) & 0xff);
      return p;
    case 2:
      for (const v of data) {
        view.setInt16(p, Number(v));
        p += 2;
      }
      return p;
    case 4:
      for (const v of data) {
        view.setInt32(p, Number(v));
        p += 4;
      }
      return p;
    default:
      for (const v of data) {
        view.setBigInt64(p, v);
        p += 8;
      }
      return p;
  }
}

/** Byte-order comparison of two ASCII names (UTF-16 code unit order equals byte order for ASCII). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Strict decoder: checks magic, version, counts, names (charset, strictly ascending), dtype, scale,
 * rank, element cap, bounds, bool values and that no bytes trail. Throws VerdictError with
 * `details.rule` naming the matching TensorLib custom error. The order of checks matches TensorLib.
 */
export function decodeTensors(bytes: Uint8Array): Tensor[] {
  if (!(bytes instanceof Uint8Array)) fail("TensorTruncated", "input is not a byte array", { offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  const need = (offset: number, n: number): void => {
    if (offset + n > len) fail("TensorTruncated", `truncated at byte ${offset} (need ${n} more)`, { offset });
  };
  need(0, 5);
  if (bytes[0] !== 0x56 || bytes[1] !== 0x54 || bytes[2] !== 0x4e)
    fail("TensorBadMagic", "bad magic (not VTN)");
  if (bytes[3] !== 0x31) {
    fail("TensorBadVersion", `unsupported version byte 0x${bytes[3]!.toString(16)}`, { version: bytes[3] });
  }
  const count = bytes[4]!;
  if (count > MAX_TENSORS) fail("TensorTooMany", `${count} tensors exceed ${MAX_TENSORS}`, { count });
  const out: Tensor[] = [];
  let p = 5;
  let previous = "";
  for (let index = 0; index < count; index++) {
    need(p, 1);
    const nameLength = bytes[p++]!;
    if (nameLength < 1 || nameLength > MAX_NAME_LENGTH) {
      fail("TensorBadName", `tensor ${index}: name length ${nameLength}`, { index });
    }
    need(p, nameLength);
    let name = "";
    for (let c = 0; c < nameLength; c++) {
      const ch = bytes[p + c]!;
      if (ch >= 128 || NAME_CHAR[ch] !== 1)
        fail("TensorBadName", `tensor ${index}: bad name byte 0x${ch.toString(16)}`, { index });
      name += String.fromCharCode(ch);
    }
    p += nameLength;
    if (index > 0 && compareNames(previous, name) >= 0) {
      fail("TensorUnsorted", `tensor ${index}: "${name}" does not sort after "${previous}"`, { index, name });
    }
    previous = name;
    need(p, 1);
    const info = dtypeByCode(bytes[p++]!);
    if (info === undefined)
      fail("TensorBadDType", `tensor "${name}": unknown dtype ${bytes[p - 1]}`, { index, name });
    need(p, 1);
    const scale = bytes[p++]!;
    if (scale > (info.name === "fixed64" ? MAX_SCALE : 0)) {
      fail("TensorBadScale", `tensor "${name}": scale ${scale} not allowed for ${info.name}`, {
        index,
        name,
        scale,
      });
    }
    need(p, 1);
    const rank = bytes[p++]!;
    if (rank > MAX_RANK)
      fail("TensorBadRank", `tensor "${name}": rank ${rank} > ${MAX_RANK}`, { index, name, rank });
    need(p, 4 * rank);
    const dims: number[] = [];
    for (let d = 0; d < rank; d++) dims.push(view.getUint32(p + 4 * d));
    p += 4 * rank;
    const n = elementCount(dims);
    if (n > BigInt(MAX_ELEMENTS))
      fail("TensorTooLarge", `tensor "${name}": ${n} elements`, { index, name, count: n });
    const elements = Number(n);
    need(p, info.width * elements);
    const data = readData(view, p, info, elements);
    if (info.name === "bool") {
      const bad = data.findIndex((v) => v > 1n);
      if (bad >= 0)
        fail("TensorValueOutOfRange", `tensor "${name}": bool element ${bad} is not 0/1`, {
          index,
          name,
          element: bad,
        });
    }
    p += info.width * elements;
    out.push({ name, dtype: info.name, scale, dims, data });
  }
  if (p !== len) fail("TensorTrailingBytes", `${len - p} trailing bytes`, { offset: p });
  return out;
}

function readData(view: DataView, start: number, info: DTypeInfo, n: number): bigint[] {
  const data = new Array<bigint>(n);
  switch (info.name) {
    case "int8":
      for (let i = 0; i < n; i++) data[i] = BigInt(view.getInt8(start + i));
      break;
    case "uint8":
    case "bool":
      for (let i = 0; i < n; i++) data[i] = BigInt(view.getUint8(start + i));
      break;
    case "int16":
      for (let i = 0; i < n; i++) data[i] = BigInt(view.getInt16(start + 2 * i));
      break;
    case "int32":
      for (let i = 0; i < n; i++) data[i] = BigInt(view.getInt32(start + 4 * i));
      break;
    default:
      for (let i = 0; i < n; i++) data[i] = view.getBigInt64(start + 8 * i);
  }
  return data;
}

/** keccak256 of the encoded bytes, as 0x-prefixed hex (the protocol's inputHash/outputHash). */
export function tensorHash(bytes: Uint8Array): string {
  return keccak256(bytes);
}

/** Convenience: finds a tensor by name in a decoded list. */
export function findTensor(tensors: readonly Tensor[], name: string): Tensor | undefined {
  return tensors.find((t) => t.name === name);
}
