/**
 * The onnxruntime session options every operator uses (shared by the runner and its inference
 * workers), so outputs are reproducible on one machine and as close as the hardware allows across
 * machines: fixed thread counts, sequential execution, and only the semantics-preserving "basic"
 * graph rewrites (no hardware-specific layout or fused kernels).
 */
import type { InferenceSession } from "onnxruntime-node";

export function sessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "basic",
    // No growing CPU arena: every allocation is freed after the run, so a hostile model's peak cannot
    // stay reserved, and the child's address-space limit (relayer/inference/pool.ts) bounds it.
    enableCpuMemArena: false,
    logSeverityLevel: 4, // errors reach the caller as typed errors; keep stderr clean
  };
}
