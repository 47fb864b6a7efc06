/**
 * Generates the project's ONNX models into models/generated/ with a manifest (sha256, names, dtypes,
 * shapes, scales). Deterministic (seeded by model name) and idempotent: files whose bytes already match are
 * left untouched, so tests may call `ensureModels()` freely.
 *
 *   npx -y -p node@22 -- npx tsx scripts/models/generate.ts
 *
 * Float MLPs: MatMul + Add (+ Relu on hidden layers), float32.
 * Integer MLPs: MatMul + Add (+ ReLU on hidden layers) + Div, all int64. onnxruntime's CPU Relu has no int64
 * kernel at opset 13 and its int64 Max/Min/Clip are wrong for values in [2^31, 2^32), so ReLU is
 * Where(Greater(a, 0), a, 0). See docs/referee.md.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  encodeModel,
  IR_VERSION,
  OPSET_VERSION,
  OnnxType,
  rawFloat32,
  rawInt64,
  type Initializer,
  type OnnxNode,
} from "./onnx.js";
import { packIntegerMlp, seededIntegerMlp, worstCaseAccumulator, type IntegerMlp } from "./intmlp.js";
import { GENERATED_DIR, MANIFEST_PATH, type Manifest, type ModelEntry } from "./manifest.js";
import { Prng } from "./prng.js";

/** Files above this size are not committed (see .gitignore lines in docs/referee.md). */
export const COMMIT_LIMIT_BYTES = 200 * 1024;

interface FloatSpec {
  readonly name: string;
  readonly layers: readonly number[];
  readonly batch: number;
}

interface IntSpec {
  readonly name: string;
  readonly layers: readonly number[];
  readonly valueScale: number;
  readonly inputBound: bigint;
}

export const FLOAT_MODELS: readonly FloatSpec[] = [{ name: "mlp-8x16x4", layers: [8, 16, 4], batch: 1 }];

/**
 * A deep float MLP with a small interface: x [1, input] → Tanh(x·Win + b) → `depth` × Tanh(h·W + b)
 * with ONE shared width×width initializer W → y [1, output]. The compute is heavy (depth GEMVs over a
 * 4 MB weight) while input and output stay far below the protocol's inline (8,192 B) and output
 * (4,096 B) limits, so serving it measures inference, not tensor conversion.
 */
interface DeepSpec {
  readonly name: string;
  readonly input: number;
  readonly width: number;
  readonly depth: number;
  readonly output: number;
}

/**
 * The heavy model: well over 10 ms per inference single-threaded (1,440 × 1024² multiply-adds, ~100 ms
 * on the 2-core bench machine), so the relayer benchmark's served-over-bare ratio measures inference
 * serving rather than per-request overheads.
 */
export const HEAVY_MODEL: DeepSpec = {
  name: "mlp-heavy-256x1024d1440-16",
  input: 256,
  width: 1024,
  depth: 1440,
  output: 16,
};

/** |x| ≤ 2^31 − 1 (the int32 range) for every integer model; the generator certifies no int64 overflow. */
export const INT_INPUT_BOUND = 2n ** 31n - 1n;

export const INT_MODELS: readonly IntSpec[] = [
  { name: "int-mlp-16x32x1", layers: [16, 32, 1], valueScale: 256, inputBound: INT_INPUT_BOUND },
  { name: "int-mlp-8x8x4", layers: [8, 8, 4], valueScale: 100, inputBound: INT_INPUT_BOUND },
  { name: "int-mlp-32x64x16x4", layers: [32, 64, 16, 4], valueScale: 256, inputBound: INT_INPUT_BOUND },
];

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function floatModel(spec: FloatSpec): Uint8Array {
  const rng = new Prng(spec.name);
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  let current = "x";
  const L = spec.layers.length - 1;
  for (let l = 0; l < L; l++) {
    const nIn = spec.layers[l]!;
    const nOut = spec.layers[l + 1]!;
    const limit = Math.sqrt(6 / (nIn + nOut));
    const w = new Float32Array(nIn * nOut);
    for (let k = 0; k < w.length; k++) w[k] = (rng.nextFloat() * 2 - 1) * limit;
    const b = new Float32Array(nOut);
    for (let k = 0; k < b.length; k++) b[k] = (rng.nextFloat() * 2 - 1) * 0.1;
    initializers.push({ name: `W${l}`, type: OnnxType.FLOAT, dims: [nIn, nOut], raw: rawFloat32(w) });
    initializers.push({ name: `B${l}`, type: OnnxType.FLOAT, dims: [nOut], raw: rawFloat32(b) });
    const last = l + 1 === L;
    nodes.push({ op: "MatMul", inputs: [current, `W${l}`], outputs: [`mm${l}`], name: `matmul${l}` });
    nodes.push({ op: "Add", inputs: [`mm${l}`, `B${l}`], outputs: [last ? "y" : `a${l}`], name: `add${l}` });
    if (!last) nodes.push({ op: "Relu", inputs: [`a${l}`], outputs: [`h${l}`], name: `relu${l}` });
    current = `h${l}`;
  }
  return encodeModel({
    name: spec.name,
    nodes,
    initializers,
    inputs: [{ name: "x", type: OnnxType.FLOAT, dims: [spec.batch, spec.layers[0]!] }],
    outputs: [{ name: "y", type: OnnxType.FLOAT, dims: [spec.batch, spec.layers[L]!] }],
  });
}

function deepModel(spec: DeepSpec): Uint8Array {
  const rng = new Prng(spec.name);
  const dense = (nIn: number, nOut: number): Float32Array => {
    const limit = Math.sqrt(6 / (nIn + nOut));
    const w = new Float32Array(nIn * nOut);
    for (let k = 0; k < w.length; k++) w[k] = (rng.nextFloat() * 2 - 1) * limit;
    return w;
  };
  const bias = (n: number): Float32Array => {
    const b = new Float32Array(n);
    for (let k = 0; k < n; k++) b[k] = (rng.nextFloat() * 2 - 1) * 0.1;
    return b;
  };
  const { input, width, depth, output } = spec;
  const initializers: Initializer[] = [
    { name: "Win", type: OnnxType.FLOAT, dims: [input, width], raw: rawFloat32(dense(input, width)) },
    { name: "Bin", type: OnnxType.FLOAT, dims: [width], raw: rawFloat32(bias(width)) },
    { name: "W", type: OnnxType.FLOAT, dims: [width, width], raw: rawFloat32(dense(width, width)) },
    { name: "B", type: OnnxType.FLOAT, dims: [width], raw: rawFloat32(bias(width)) },
    { name: "Wout", type: OnnxType.FLOAT, dims: [width, output], raw: rawFloat32(dense(width, output)) },
    { name: "Bout", type: OnnxType.FLOAT, dims: [output], raw: rawFloat32(bias(output)) },
  ];
  const nodes: OnnxNode[] = [
    { op: "MatMul", inputs: ["x", "Win"], outputs: ["mmin"], name: "matmul_in" },
    { op: "Add", inputs: ["mmin", "Bin"], outputs: ["ain"], name: "add_in" },
    { op: "Tanh", inputs: ["ain"], outputs: ["h0"], name: "tanh_in" },
  ];
  for (let l = 0; l < depth; l++) {
    nodes.push({ op: "MatMul", inputs: [`h${l}`, "W"], outputs: [`mm${l}`], name: `matmul${l}` });
    nodes.push({ op: "Add", inputs: [`mm${l}`, "B"], outputs: [`a${l}`], name: `add${l}` });
    nodes.push({ op: "Tanh", inputs: [`a${l}`], outputs: [`h${l + 1}`], name: `tanh${l}` });
  }
  nodes.push({ op: "MatMul", inputs: [`h${depth}`, "Wout"], outputs: ["mmout"], name: "matmul_out" });
  nodes.push({ op: "Add", inputs: ["mmout", "Bout"], outputs: ["y"], name: "add_out" });
  return encodeModel({
    name: spec.name,
    nodes,
    initializers,
    inputs: [{ name: "x", type: OnnxType.FLOAT, dims: [1, input] }],
    outputs: [{ name: "y", type: OnnxType.FLOAT, dims: [1, output] }],
  });
}

/** The ONNX graph of an integer MLP. */
export function integerModel(name: string, mlp: IntegerMlp): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [{ name: "zero", type: OnnxType.INT64, dims: [], raw: rawInt64([0n]) }];
  let current = "x";
  const L = mlp.layers.length - 1;
  for (let l = 0; l < L; l++) {
    const nIn = mlp.layers[l]!;
    const nOut = mlp.layers[l + 1]!;
    const flat: bigint[] = [];
    for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) flat.push(mlp.weights[l]![i]![j]!);
    initializers.push({ name: `W${l}`, type: OnnxType.INT64, dims: [nIn, nOut], raw: rawInt64(flat) });
    initializers.push({ name: `B${l}`, type: OnnxType.INT64, dims: [nOut], raw: rawInt64(mlp.biases[l]!) });
    initializers.push({ name: `D${l}`, type: OnnxType.INT64, dims: [], raw: rawInt64([mlp.divisors[l]!]) });
    const last = l + 1 === L;
    nodes.push({ op: "MatMul", inputs: [current, `W${l}`], outputs: [`mm${l}`], name: `matmul${l}` });
    nodes.push({ op: "Add", inputs: [`mm${l}`, `B${l}`], outputs: [`a${l}`], name: `add${l}` });
    let pre = `a${l}`;
    if (!last) {
      // ReLU as Where(a > 0, a, 0): onnxruntime 1.30's CPU Max/Min/Clip on int64 mis-handle values in
      // [2^31, 2^32) (they compare them as negative), so Max(a, 0) would not be bit-exact.
      nodes.push({ op: "Greater", inputs: [`a${l}`, "zero"], outputs: [`p${l}`], name: `positive${l}` });
      nodes.push({ op: "Where", inputs: [`p${l}`, `a${l}`, "zero"], outputs: [`r${l}`], name: `relu${l}` });
      pre = `r${l}`;
    }
    nodes.push({ op: "Div", inputs: [pre, `D${l}`], outputs: [last ? "y" : `h${l}`], name: `rescale${l}` });
    current = `h${l}`;
  }
  return encodeModel({
    name,
    nodes,
    initializers,
    inputs: [{ name: "x", type: OnnxType.INT64, dims: [1, mlp.layers[0]!] }],
    outputs: [{ name: "y", type: OnnxType.INT64, dims: [1, mlp.layers[L]!] }],
  });
}

/** The integer MLP behind a manifest name (seeded by the name). */
export function integerMlpFor(name: string): IntegerMlp {
  const spec = INT_MODELS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown integer model ${name}`);
  return seededIntegerMlp(spec.name, spec.layers, spec.valueScale, spec.inputBound);
}

/** Writes `bytes` to `file` unless it already holds exactly them. Returns true when written. */
function writeIfChanged(file: string, bytes: Uint8Array | string): boolean {
  const data = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  if (existsSync(file) && readFileSync(file).equals(data)) return false;
  writeFileSync(file, data);
  return true;
}

/** The entry fields every model shares, for `bytes` written to `<dir>/<name>.onnx`. */
function writtenModel(
  dir: string,
  name: string,
  kind: ModelEntry["kind"],
  bytes: Uint8Array,
  log: (line: string) => void,
  extra = "",
) {
  const file = `${name}.onnx`;
  const written = writeIfChanged(path.join(dir, file), bytes);
  log(`${written ? "wrote" : "kept "} ${file} (${bytes.length} bytes)${extra}`);
  return {
    name,
    kind,
    file,
    sha256: sha256(bytes),
    bytes: bytes.length,
    committed: bytes.length <= COMMIT_LIMIT_BYTES,
  };
}

function floatEntries(dir: string, log: (line: string) => void): ModelEntry[] {
  const models: ModelEntry[] = FLOAT_MODELS.map((spec) => {
    const L = spec.layers.length - 1;
    return {
      ...writtenModel(dir, spec.name, "float-mlp", floatModel(spec), log),
      layers: spec.layers,
      inputs: [{ name: "x", dtype: "float32", shape: [spec.batch, spec.layers[0]!] }],
      outputs: [{ name: "y", dtype: "float32", shape: [spec.batch, spec.layers[L]!] }],
      outputScale: 6,
      valueScale: 1,
    };
  });
  const spec = HEAVY_MODEL;
  models.push({
    ...writtenModel(dir, spec.name, "float-mlp", deepModel(spec), log),
    // Widths only (the `depth` hidden layers share one width×width weight; see the name).
    layers: [spec.input, spec.width, spec.output],
    inputs: [{ name: "x", dtype: "float32", shape: [1, spec.input] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, spec.output] }],
    outputScale: 6,
    valueScale: 1,
  });
  return models;
}

function integerEntries(dir: string, log: (line: string) => void): ModelEntry[] {
  return INT_MODELS.map((spec) => {
    const mlp = integerMlpFor(spec.name);
    const blob = packIntegerMlp(mlp);
    const weightsFile = `${spec.name}.weights.bin`;
    const bytes = integerModel(spec.name, mlp);
    writeIfChanged(path.join(dir, weightsFile), blob);
    const L = spec.layers.length - 1;
    return {
      ...writtenModel(dir, spec.name, "int-mlp", bytes, log, `, ${weightsFile} (${blob.length} bytes)`),
      layers: spec.layers,
      inputs: [{ name: "x", dtype: "int64", shape: [1, spec.layers[0]!] }],
      outputs: [{ name: "y", dtype: "int64", shape: [1, spec.layers[L]!] }],
      outputScale: 0,
      valueScale: spec.valueScale,
      integer: {
        divisors: mlp.divisors.map(Number),
        inputBound: mlp.inputBound.toString(),
        worstCaseAccumulator: worstCaseAccumulator(mlp).toString(),
        weightsFile,
        weightsSha256: sha256(blob),
      },
    };
  });
}

/** Generates every model and the manifest; returns the manifest. Idempotent. */
export function generateModels(dir = GENERATED_DIR, log: (line: string) => void = () => {}): Manifest {
  mkdirSync(dir, { recursive: true });
  const models = [...floatEntries(dir, log), ...integerEntries(dir, log)];
  const manifest: Manifest = { version: 1, irVersion: IR_VERSION, opset: OPSET_VERSION, models };
  writeIfChanged(path.join(dir, path.basename(MANIFEST_PATH)), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

/**
 * For tests: makes sure the named models (default: all) exist in models/generated/ with the bytes the
 * committed manifest records, regenerating only those that are missing or differ. Returns the manifest.
 */
export function ensureModels(names?: readonly string[], dir = GENERATED_DIR): Manifest {
  if (!existsSync(path.join(dir, path.basename(MANIFEST_PATH)))) return generateModels(dir);
  const manifest = JSON.parse(readFileSync(path.join(dir, path.basename(MANIFEST_PATH)), "utf8")) as Manifest;
  for (const entry of manifest.models) {
    if (names && !names.includes(entry.name)) continue;
    const file = path.join(dir, entry.file);
    const current = existsSync(file) && sha256(readFileSync(file)) === entry.sha256;
    const weightsCurrent =
      !entry.integer ||
      (existsSync(path.join(dir, entry.integer.weightsFile)) &&
        sha256(readFileSync(path.join(dir, entry.integer.weightsFile))) === entry.integer.weightsSha256);
    if (current && weightsCurrent) continue;
    const bytes = modelBytes(entry.name);
    if (sha256(bytes) !== entry.sha256)
      throw new Error(`generator output for ${entry.name} differs from the manifest`);
    writeFileSync(file, bytes);
    if (entry.integer)
      writeFileSync(path.join(dir, entry.integer.weightsFile), packIntegerMlp(integerMlpFor(entry.name)));
  }
  return manifest;
}

/** The ONNX bytes of any generated model, by name. */
export function modelBytes(name: string): Uint8Array {
  const float = FLOAT_MODELS.find((s) => s.name === name);
  if (float) return floatModel(float);
  if (name === HEAVY_MODEL.name) return deepModel(HEAVY_MODEL);
  return integerModel(name, integerMlpFor(name));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = generateModels(GENERATED_DIR, (line) => console.log(line));
  console.log(`manifest: ${manifest.models.length} models -> ${path.relative(process.cwd(), MANIFEST_PATH)}`);
}
