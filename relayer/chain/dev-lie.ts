/**
 * Devnet-only "lying" mode for demos and tests (VERDICT_DEV_LIE=<probability 0..1>; the configuration
 * refuses it unless VERDICT_CHAIN_ID is 31337). With that probability an answer's output is perturbed
 * before it is signed: every 64-bit element (fixed64, int64) is moved by max(1000, 10^scale)
 * units — far beyond any sane tolerance — (or by VERDICT_DEV_LIE_UNITS, e.g. 1 to show a disagreement
 * within tolerance) and the hash recomputed. Only the answers this operator
 * posts lie; its watchtower and juror duties use the honest runner.
 */
import { encodeTensors, decodeTensors, tensorHash, type Tensor } from "../../sdk/tensor.js";
import type { InferenceRunner, RunResult } from "../inference/runner.js";

const I64_MAX = 2n ** 63n - 1n;

/** The perturbed output, or undefined when it has no 64-bit element to move. */
export function perturbOutput(output: Uint8Array, units?: number): RunResult | undefined {
  const tensors = decodeTensors(output);
  let moved = false;
  const out: Tensor[] = tensors.map((t) => {
    if (t.dtype !== "fixed64" && t.dtype !== "int64") return t;
    const delta = units !== undefined ? BigInt(units) : 10n ** BigInt(Math.max(3, t.scale));
    moved ||= t.data.length > 0;
    return { ...t, data: t.data.map((v) => (v + delta <= I64_MAX ? v + delta : v - delta)) };
  });
  if (!moved) return undefined;
  const bytes = encodeTensors(out);
  return { output: bytes, outputHash: tensorHash(bytes), tensors: out };
}

/** `runner`, except that `run` lies with probability `p`; `onLie` is told each time. */
export function lyingRunner(
  runner: InferenceRunner,
  p: number,
  onLie: (modelHash: string) => void,
  random: () => number = Math.random,
  units?: number,
): InferenceRunner {
  const run: InferenceRunner["run"] = async (model, input) => {
    const honest = await runner.run(model, input);
    if (random() >= p) return honest;
    const lie = perturbOutput(honest.output, units);
    if (lie === undefined) return honest;
    onLie(model.modelHash);
    return lie;
  };
  return new Proxy(runner, {
    get(target, prop) {
      if (prop === "run") return run;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
