/**
 * An inference worker thread (started by relayer/inference/pool.ts): one onnxruntime session per
 * model, created from verified bytes sent by the main thread (the model store checks the sha256
 * there, before any worker sees the bytes), with the runner's session options and
 * `workerData.threads` intra-op threads. onnxruntime-node runs a session synchronously on the calling
 * thread, so each worker runs one inference at a time, off the relayer's event loop. Requests are
 * handled in arrival order; output buffers are transferred back.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { FromWorker, IoMeta, ToWorker, WireData, WireTensor } from "./protocol.js";
import { sessionOptions } from "./session-options.js";

const port = parentPort;
if (port === null) throw new Error("relayer/inference/worker.ts must run as a worker thread");
const threads = (workerData as { threads?: number } | undefined)?.threads ?? 1;
const sessions = new Map<string, Promise<ort.InferenceSession>>();

const firstLine = (e: unknown): string => (e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e));

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  try {
    port!.postMessage(m, transfer);
  } catch {
    port!.postMessage(m); // a buffer that cannot be detached is copied instead
  }
}

function ioMeta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.isTensor ? m.type : undefined }));
}

function isTransferable(data: WireData): boolean {
  return (
    data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  );
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
        post({ type: "error", id: m.id, kind: "run", message: firstLine(e) });
        return;
      }
      const outputs: WireTensor[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const name of m.outputNames) {
        const v = results[name];
        if (v === undefined) continue;
        const data = v.data as WireData;
        outputs.push({ name, type: v.type, dims: v.dims.map(Number), data });
        if (isTransferable(data) && !transfer.includes(data.buffer as ArrayBuffer))
          transfer.push(data.buffer as ArrayBuffer);
      }
      post({ type: "result", id: m.id, outputs }, transfer);
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
      port!.close(); // nothing else keeps the thread alive: it exits
      return;
    }
  }
}

port.on("message", (m: ToWorker) => {
  void handle(m);
});
