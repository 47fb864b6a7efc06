/**
 * An inference CHILD PROCESS (started by relayer/inference/pool.ts): one onnxruntime session per model,
 * created from verified bytes sent by the parent (the model store checks the sha256 and refuses models
 * with external data there, before any child sees the bytes), with the runner's session options and
 * `INFERENCE_THREADS` intra-op threads. It runs in an empty temporary
 * working directory, with an environment that holds no secret (no VERDICT_* keys), a V8 heap limit and
 * an address-space limit set by the parent, and is killed by the parent when a job outlives its
 * deadline: whatever a hostile model does, it can neither read the operator's files and keys nor stall
 * or crash the relayer. Requests are handled in arrival order, one inference at a time.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import type { FromWorker, IoMeta, ToWorker, WireData, WireTensor } from "./protocol.js";
import { sessionOptions } from "./session-options.js";

if (typeof process.send !== "function")
  throw new Error("relayer/inference/worker.ts must run as a child process");
const threads = Math.max(1, Number(process.env.INFERENCE_THREADS ?? "1") || 1);
/** onnxruntime's words for a failed allocation (bad_alloc, arena/allocator failures, size overflows). */
const RESOURCE_FAILURE = /bad_alloc|Failed to allocate|out of memory|length_error|SafeIntOnOverflow/i;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

const firstLine = (e: unknown): string => (e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e));

function post(m: FromWorker): void {
  process.send?.(m);
}

function ioMeta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.isTensor ? m.type : undefined }));
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "load": {
      // Registered synchronously, so a `run` that arrives while the session is created waits for it.
      const p = ort.InferenceSession.create(m.bytes, sessionOptions(threads));
      sessions.set(m.hash, p);
      try {
        const s = await p;
        post({
          type: "loaded",
          id: m.id,
          meta: {
            inputNames: [...s.inputNames],
            outputNames: [...s.outputNames],
            inputs: ioMeta(s.inputMetadata),
            outputs: ioMeta(s.outputMetadata),
          },
        });
      } catch (e) {
        if (sessions.get(m.hash) === p) sessions.delete(m.hash);
        post({ type: "error", id: m.id, kind: "load", message: firstLine(e) });
      }
      return;
    }
    case "run": {
      const pending = sessions.get(m.hash);
      if (pending === undefined) {
        post({ type: "error", id: m.id, kind: "missing", message: `model ${m.hash} is not loaded` });
        return;
      }
      let session: ort.InferenceSession;
      try {
        session = await pending;
      } catch (e) {
        post({ type: "error", id: m.id, kind: "load", message: firstLine(e) });
        return;
      }
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const f of m.feeds) feeds[f.name] = new ort.Tensor(f.type as ort.Tensor.Type, f.data, f.dims);
        results = await session.run(feeds, m.outputNames);
      } catch (e) {
        // An allocation that failed is the machine's limit, not the input's fault.
        const kind = RESOURCE_FAILURE.test(String(e)) ? "resource" : "run";
        post({ type: "error", id: m.id, kind, message: firstLine(e) });
        return;
      }
      const outputs: WireTensor[] = [];
      for (const name of m.outputNames) {
        const v = results[name];
        if (v === undefined) continue;
        outputs.push({ name, type: v.type, dims: v.dims.map(Number), data: v.data as WireData });
      }
      post({ type: "result", id: m.id, outputs });
      return;
    }
    case "release": {
      const s = sessions.get(m.hash);
      sessions.delete(m.hash);
      await s?.then((x) => x.release()).catch(() => undefined);
      return;
    }
    case "close": {
      const all = [...sessions.values()];
      sessions.clear();
      for (const s of all) await s.then((x) => x.release()).catch(() => undefined);
      process.disconnect(); // nothing else keeps the process alive: it exits
      return;
    }
  }
}

process.on("message", (m: ToWorker) => {
  void handle(m);
});
// The parent is gone (closed, or killed without cleaning up): remove our scratch directory, then exit.
process.on("disconnect", () => {
  const dir = process.cwd();
  if (path.basename(dir).startsWith("verdict-infer-")) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
