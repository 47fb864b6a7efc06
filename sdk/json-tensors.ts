/**
 * Named tensors as JSON, both ways, with exact numbers (docs/cli.md, "Input files").
 *
 * Reading: an array of tensors or `{"tensors": [...]}`, each `{"name", "dtype", "scale"?, "dims" | "shape",
 * "data", "raw"?}`. `data` is flat or nested as NumPy's `tolist()` prints it. For `fixed64`, every JSON number
 * is a real value converted by the protocol's rule (the exact binary value times 10^scale, halves away from
 * zero: `2.0`, which JSON parses as the integer 2, is scaled like any other number), and every string is a
 * decimal taken exactly (`"0.1"` is one tenth, not the double nearest it); with `"raw": true` the data are the
 * already-scaled int64 integers. Integer dtypes take integers only (numbers up to 2^53, larger ones as
 * strings); a fraction is an error, never truncated. `bool` also takes true/false.
 *
 * Writing: fixed64 elements become exact decimal strings, int64 elements beyond 2^53 strings, others numbers.
 */
import { DTYPES, isDType, type DType } from "./dtype.js";
import { VerdictError } from "./errors.js";
import { decimalToFixed, fixedToDecimal, toFixed } from "./fixed.js";
import { compareNames, type Tensor } from "./tensor.js";

/** One tensor as `tensorsToJson` writes it. */
export interface JsonTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly scale: number;
  readonly dims: readonly number[];
  readonly data: readonly (number | string)[];
}

function bad(where: string, why: string, details: Record<string, unknown> = {}): VerdictError {
  return new VerdictError("TENSOR_JSON", `${where}: ${why}`, details);
}

/** Flattens `data` row-major, checking that nested arrays follow `dims` when they are nested at all. */
function flatten(data: unknown, dims: readonly number[], where: string): unknown[] {
  if (!Array.isArray(data)) throw bad(where, '"data" must be an array');
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === dims.length) {
      if (Array.isArray(node))
        throw bad(where, `data${path} is nested deeper than dims [${dims.join(", ")}]`);
      out.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth]) {
      throw bad(where, `data${path} should be an array of ${dims[depth]} (dims [${dims.join(", ")}])`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, "");
  return out;
}

function integerOf(v: unknown, where: string, j: number, allowBool: boolean): bigint {
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "boolean" && allowBool) return v ? 1n : 0n;
  if (typeof v === "number" && Number.isInteger(v)) {
    throw bad(where, `element ${j} (${v}) is beyond 2^53 and has lost digits in JSON: write it as a string`, {
      index: j,
    });
  }
  throw bad(where, `element ${j} (${JSON.stringify(v)}) is not an integer`, { index: j });
}

function fixedOf(v: unknown, scale: number, raw: boolean, where: string, j: number): bigint {
  if (raw) return integerOf(v, where, j, false);
  if (typeof v === "number") return toFixed([v], scale)[0]!;
  if (typeof v === "string") return decimalToFixed(v, scale, j);
  throw bad(where, `element ${j} (${JSON.stringify(v)}) is not a number`, { index: j });
}

function tensorFromJson(t: unknown, i: number): Tensor {
  if (t === null || typeof t !== "object" || Array.isArray(t)) throw bad(`tensor ${i}`, "not an object");
  const o = t as Record<string, unknown>;
  if (typeof o.name !== "string") throw bad(`tensor ${i}`, 'no "name"');
  const where = `tensor "${o.name}"`;
  if (!isDType(o.dtype)) throw bad(where, `"dtype" must be one of ${Object.keys(DTYPES).join(", ")}`);
  const dtype = o.dtype;
  const scale = o.scale === undefined ? 0 : o.scale;
  if (typeof scale !== "number" || !Number.isInteger(scale)) throw bad(where, '"scale" must be an integer');
  const dims = o.dims ?? o.shape;
  if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw bad(where, '"dims" must be an array of non-negative integers');
  const raw = o.raw === true;
  const flat = flatten(o.data, dims as number[], where);
  const data = flat.map((v, j) =>
    dtype === "fixed64" ? fixedOf(v, scale, raw, where, j) : integerOf(v, where, j, dtype === "bool"),
  );
  return { name: o.name, dtype, scale, dims: dims as number[], data };
}

/**
 * Tensors from parsed JSON (see the module comment), sorted by name as the encoding requires. Throws
 * VerdictError TENSOR_JSON naming the tensor and element at fault (TENSOR_RANGE / TENSOR_NOT_FINITE /
 * TENSOR_SCALE from the fixed-point conversion). Shapes and ranges are checked again by `encodeTensors`.
 */
export function tensorsFromJson(json: unknown): Tensor[] {
  const list = Array.isArray(json) ? json : (json as { tensors?: unknown } | null)?.tensors;
  if (!Array.isArray(list)) throw bad("input", 'expected an array of tensors or {"tensors": [...]}');
  return list.map(tensorFromJson).sort((a, b) => compareNames(a.name, b.name));
}

/** Tensors as JSON with exact numbers: fixed64 as decimal strings, unsafe int64 as strings. */
export function tensorsToJson(tensors: readonly Tensor[]): JsonTensor[] {
  return tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    scale: t.scale,
    dims: [...t.dims],
    data: t.data.map((v) =>
      t.dtype === "fixed64"
        ? fixedToDecimal(v, t.scale)
        : v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v.toString(),
    ),
  }));
}
