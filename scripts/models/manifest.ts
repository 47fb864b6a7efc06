/** The manifest of generated models (models/generated/manifest.json): its types and a typed reader. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const GENERATED_DIR = path.join(REPO_ROOT, "models/generated");
export const MANIFEST_PATH = path.join(GENERATED_DIR, "manifest.json");

export type ModelDtype = "float32" | "int64";

export interface TensorSpec {
  readonly name: string;
  readonly dtype: ModelDtype;
  readonly shape: readonly number[];
}

/** The integer (fixed-point) twin's parameters; present only for `int-mlp` models. */
export interface IntegerSpec {
  /** Per layer: the integer divisor applied after bias (+ ReLU on hidden layers), truncating toward 0. */
  readonly divisors: readonly number[];
  /** Inputs must satisfy |x| ≤ inputBound (decimal string); within it no int64 intermediate overflows. */
  readonly inputBound: string;
  /** The certified worst-case |accumulator| over all inputs within the bound (decimal string). */
  readonly worstCaseAccumulator: string;
  /** The packed weights for the on-chain referee (layout in docs/referee.md), file name and sha256. */
  readonly weightsFile: string;
  readonly weightsSha256: string;
}

export interface ModelEntry {
  readonly name: string;
  readonly kind: "float-mlp" | "int-mlp";
  /** File name inside models/generated/. */
  readonly file: string;
  /** sha256 of the ONNX bytes (hex, no 0x): the model hash of docs/protocol.md. */
  readonly sha256: string;
  readonly bytes: number;
  /** False when the file is too large to commit; the generator recreates it bit for bit. */
  readonly committed: boolean;
  /** Layer widths, input first. */
  readonly layers: readonly number[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /**
   * Output scale in decimal digits, as in the VTN1 encoding: float outputs are canonicalised as fixed64 at
   * this scale; integer models output int64, scale 0.
   */
  readonly outputScale: number;
  /** Real value = integer / valueScale for the fixed-point models (1 for float models). */
  readonly valueScale: number;
  readonly integer?: IntegerSpec;
}

export interface Manifest {
  readonly version: 1;
  readonly irVersion: number;
  readonly opset: number;
  readonly models: readonly ModelEntry[];
}

/** Reads and returns the manifest. */
export function readManifest(file = MANIFEST_PATH): Manifest {
  return JSON.parse(readFileSync(file, "utf8")) as Manifest;
}

/** The manifest entry named `name`; throws when absent. */
export function modelEntry(name: string, manifest: Manifest = readManifest()): ModelEntry {
  const entry = manifest.models.find((m) => m.name === name);
  if (!entry) throw new Error(`model ${name} is not in the manifest`);
  return entry;
}
