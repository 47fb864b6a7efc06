/**
 * A model's I/O schema as registered (JSON):
 *   {"inputs":[{"name","dtype","shape":[…]}],"outputs":[{"name","dtype","shape":[…]}]}
 * `dtype` is a VTN1 dtype name (sdk/dtype.ts) or "float32": a float tensor for the model that travels
 * as fixed64 on the wire (inputs at any scale unless `scale` is given; outputs at the model's
 * outputScale). A shape entry of -1 accepts any size. Inputs may carry `min`/`max` (real units): values
 * outside make the input invalid with reason 5.
 */
import { isDType, type DType } from "../../sdk/dtype.js";
import { isValidTensorName, MAX_RANK, MAX_SCALE } from "../../sdk/tensor.js";
import { RunnerError } from "../errors.js";

export type SchemaDType = DType | "float32";

export interface TensorSpec {
  name: string;
  dtype: SchemaDType;
  /** -1 = any size. */
  shape: number[];
  /** Inputs only: required fixed64 scale on the wire (float inputs). */
  scale?: number;
  /** Inputs only: inclusive bounds on element values, in real units. */
  min?: number;
  max?: number;
}

export interface ModelSchema {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** True when the wire dtype of a spec is fixed64 (the model sees floats). */
export function isFloatSpec(spec: TensorSpec): boolean {
  return spec.dtype === "float32" || spec.dtype === "fixed64";
}

function bad(message: string): never {
  throw new RunnerError("MODEL_SCHEMA_INVALID", `model schema: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseSpec(v: unknown, where: string, isInput: boolean): TensorSpec {
  if (!isRecord(v)) bad(`${where} is not an object`);
  const allowed = isInput ? ["name", "dtype", "shape", "scale", "min", "max"] : ["name", "dtype", "shape"];
  for (const k of Object.keys(v)) if (!allowed.includes(k)) bad(`${where} has unknown field "${k}"`);
  const { name, dtype, shape } = v;
  if (typeof name !== "string" || !isValidTensorName(name)) bad(`${where}.name is not a valid tensor name`);
  if (dtype !== "float32" && !isDType(dtype)) bad(`${where}.dtype ${JSON.stringify(dtype)} is unknown`);
  if (!Array.isArray(shape) || shape.length > MAX_RANK)
    bad(`${where}.shape must be an array of rank 0..${MAX_RANK}`);
  const dims = shape.map((d, i) => {
    if (!Number.isInteger(d) || (d as number) < -1 || (d as number) > 0xffff_ffff) {
      bad(`${where}.shape[${i}] must be -1 or a u32`);
    }
    return d as number;
  });
  const spec: TensorSpec = { name, dtype, shape: dims };
  if (v["scale"] !== undefined) {
    const s = v["scale"];
    if (dtype !== "float32" && dtype !== "fixed64") bad(`${where}.scale is only for float inputs`);
    if (!Number.isInteger(s) || (s as number) < 0 || (s as number) > MAX_SCALE)
      bad(`${where}.scale must be 0..18`);
    spec.scale = s as number;
  }
  for (const k of ["min", "max"] as const) {
    if (v[k] === undefined) continue;
    if (typeof v[k] !== "number" || !Number.isFinite(v[k])) bad(`${where}.${k} must be a finite number`);
    spec[k] = v[k];
  }
  if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max)
    bad(`${where}.min exceeds max`);
  return spec;
}

function parseList(v: unknown, key: "inputs" | "outputs"): TensorSpec[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 32) bad(`"${key}" must be an array of 1..32 tensors`);
  const specs = v.map((s, i) => parseSpec(s, `${key}[${i}]`, key === "inputs"));
  const names = new Set(specs.map((s) => s.name));
  if (names.size !== specs.length) bad(`duplicate names in "${key}"`);
  return specs;
}

/** Parses and validates a schema (JSON text or an already parsed value). Throws MODEL_SCHEMA_INVALID. */
export function parseSchema(json: string | unknown): ModelSchema {
  let v: unknown = json;
  if (typeof json === "string") {
    try {
      v = JSON.parse(json);
    } catch {
      bad("not JSON");
    }
  }
  if (!isRecord(v)) bad("must be an object");
  for (const k of Object.keys(v)) if (k !== "inputs" && k !== "outputs") bad(`unknown field "${k}"`);
  return { inputs: parseList(v["inputs"], "inputs"), outputs: parseList(v["outputs"], "outputs") };
}
