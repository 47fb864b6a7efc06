/**
 * A pool of inference worker threads (relayer/inference/worker.ts). onnxruntime-node runs a session
 * synchronously on the calling thread, so inference on the main thread would block the relayer's
 * event loop (chain sync, RPC, signing) and run one inference at a time; the pool runs `size`
 * inferences at once, each worker with its own session per model and the same session options.
 *
 * - Models: `addModel` sends the verified bytes (checked against the sha256 by the model store in the
 *   main thread) to every worker; a replacement worker reloads them through the model store again.
 * - Jobs: queued first come first served; each worker holds at most `depth` jobs (one running, the
 *   next already waiting in its port, so it never idles while the main thread is busy).
 * - Errors come back as typed errors: onnxruntime refusing the model → RunnerError
 *   MODEL_LOAD_FAILED; the model failing on the input → InvalidInputError reason 7.
 * - A worker that dies (crash, out of memory, terminated) is replaced; its jobs are retried on
 *   another worker, and fail with RunnerError INFERENCE_WORKER_CRASHED after `maxAttempts` tries.
 *   A job never waits on a dead worker.
 * - `close` lets running jobs finish, then stops every worker (queued jobs fail with RUNNER_CLOSED).
 *   Idle workers do not keep the process alive.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { InvalidInputError, InvalidInputReason, RunnerError } from "../errors.js";
import type { FromWorker, ModelMeta, ToWorker, WireTensor } from "./protocol.js";

/** The default worker count: two, or fewer on a one-core machine. */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}

export interface PoolOptions {
  /** Worker threads (default `defaultWorkers()`). */
  size?: number;
  /** onnxruntime intra-op threads per worker (default 1). */
  threads?: number;
  /** Jobs queued on one worker at once (default 2). */
  depth?: number;
  /** Tries of one job when workers die under it (default 2). */
  maxAttempts?: number;
  logger?: Logger;
  /** The worker module (tests); relayer/inference/worker.ts by default. */
  workerUrl?: URL;
}

type Feeds = () => WireTensor[];

interface Job {
  hash: string;
  /** Builds the input tensors (again on a retry: their buffers are transferred to the worker). */
  feeds: Feeds;
  outputNames: string[];
  attempts: number;
  resolve: (out: WireTensor[]) => void;
  reject: (e: unknown) => void;
}

interface Call {
  resolve: (m: FromWorker) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** Jobs assigned (running or waiting in the worker's port, or waiting for its model load). */
  jobs: Set<Job>;
  calls: Map<number, Call>;
  models: Map<string, Promise<ModelMeta>>;
  dead: boolean;
  /** Whether it ever answered (a worker that dies before that counts as a failed start). */
  answered: boolean;
}

const DEFAULT_WORKER_URL = new URL(
  `./worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url,
);

/**
 * execArgv for workers: inherited from the main thread (undefined), except that a TypeScript worker
 * needs the tsx loader when the parent did not start with it.
 */
function workerExecArgv(url: URL): string[] | undefined {
  if (!url.pathname.endsWith(".ts") || process.execArgv.some((a) => a.includes("tsx"))) return undefined;
  return [...process.execArgv, "--import", import.meta.resolve("tsx")];
}

export class InferencePool {
  readonly size: number;
  readonly #threads: number;
  readonly #depth: number;
  readonly #maxAttempts: number;
  readonly #log: Logger | undefined;
  readonly #url: URL;
  readonly #execArgv: string[] | undefined;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  /** Registered models: how a replacement worker gets the verified bytes again. */
  readonly #reload = new Map<string, () => Promise<Uint8Array>>();
  #nextId = 1;
  #closing = false;
  #failedStarts = 0;
  /** Workers replaced so far (for logs and tests). */
  restarts = 0;

  constructor(options: PoolOptions = {}) {
    const size = options.size ?? defaultWorkers();
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
    this.size = size;
    this.#threads = options.threads ?? 1;
    this.#depth = options.depth ?? 2;
    this.#maxAttempts = options.maxAttempts ?? 2;
    this.#log = options.logger;
    this.#url = options.workerUrl ?? DEFAULT_WORKER_URL;
    this.#execArgv = workerExecArgv(this.#url);
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  /** Jobs running or queued in workers, and jobs waiting for a worker. */
  get load(): { active: number; waiting: number } {
    let active = 0;
    for (const s of this.#slots) active += s.jobs.size;
    return { active, waiting: this.#queue.length };
  }

  /** Thread ids of the live workers (tests). */
  get threadIds(): number[] {
    return this.#slots.filter((s) => !s.dead).map((s) => s.worker.threadId);
  }

  /** Terminates one worker as if it crashed (tests: the pool must replace it and retry its jobs). */
  async crashWorker(index = 0): Promise<void> {
    await this.#slots[index]?.worker.terminate();
  }

  #spawn(): Slot {
    const options = { workerData: { threads: this.#threads }, stdout: false, stderr: false };
    let worker: Worker;
    try {
      worker = new Worker(this.#url, { ...options, execArgv: this.#execArgv });
    } catch (e) {
      // Some process-wide flags of the parent are refused per worker: keep only the loader then.
      if ((e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
      const loader = this.#url.pathname.endsWith(".ts") ? ["--import", import.meta.resolve("tsx")] : [];
      worker = new Worker(this.#url, { ...options, execArgv: loader });
    }
    const slot: Slot = {
      worker,
      jobs: new Set(),
      calls: new Map(),
      models: new Map(),
      dead: false,
      answered: false,
    };
    worker.unref(); // idle workers never keep the process alive; ref'd while calls are outstanding
    worker.on("message", (m: FromWorker) => {
      slot.answered = true;
      this.#failedStarts = 0;
      const call = slot.calls.get(m.id);
      if (call === undefined) return;
      slot.calls.delete(m.id);
      if (slot.calls.size === 0) worker.unref();
      call.resolve(m);
    });
    worker.on("error", (e) => {
      this.#log?.error({ err: e, threadId: worker.threadId }, "inference worker failed");
    });
    worker.on("exit", (code) => this.#onExit(slot, code));
    return slot;
  }

  #onExit(slot: Slot, code: number): void {
    slot.dead = true;
    const calls = [...slot.calls.values()];
    slot.calls.clear();
    const crashed = new RunnerError(
      this.#closing ? "RUNNER_CLOSED" : "INFERENCE_WORKER_CRASHED",
      this.#closing ? "the inference pool is closed" : `inference worker exited (code ${code})`,
      { exitCode: code },
    );
    for (const c of calls) c.reject(crashed); // the jobs behind them are retried or failed by #send
    if (this.#closing) return;
    if (!slot.answered) this.#failedStarts++;
    this.#log?.warn(
      { threadId: slot.worker.threadId, code, jobs: slot.jobs.size },
      "inference worker exited; replacing it",
    );
    const i = this.#slots.indexOf(slot);
    const delay = this.#failedStarts === 0 ? 0 : Math.min(5_000, 100 * 2 ** this.#failedStarts);
    const replace = (): void => {
      if (this.#closing || i < 0) return;
      this.restarts++;
      this.#slots[i] = this.#spawn();
      this.#dispatch();
    };
    if (delay === 0) replace();
    else setTimeout(replace, delay).unref();
  }

  #call(slot: Slot, m: ToWorker & { id: number }, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (slot.dead) {
      return Promise.reject(new RunnerError("INFERENCE_WORKER_CRASHED", "inference worker is gone"));
    }
    return new Promise<FromWorker>((resolve, reject) => {
      slot.calls.set(m.id, { resolve, reject });
      slot.worker.ref();
      try {
        slot.worker.postMessage(m, transfer);
      } catch (e) {
        slot.calls.delete(m.id);
        if (slot.calls.size === 0) slot.worker.unref();
        reject(e);
      }
    });
  }

  /** The model's session on `slot` (loading it there once; `bytes` when at hand, else reloaded). */
  #model(slot: Slot, hash: string, bytes?: Uint8Array): Promise<ModelMeta> {
    let p = slot.models.get(hash);
    if (p === undefined) {
      p = (async () => {
        let b = bytes;
        if (b === undefined) {
          const reload = this.#reload.get(hash);
          if (reload === undefined)
            throw new RunnerError("MODEL_LOAD_FAILED", `model ${hash} is not registered`);
          b = await reload();
        }
        const copy = new Uint8Array(b); // each worker gets its own buffer, transferred
        const r = await this.#call(slot, { type: "load", id: this.#nextId++, hash, bytes: copy }, [
          copy.buffer,
        ]);
        if (r.type === "loaded") return r.meta;
        const msg = r.type === "error" ? r.message : "unexpected reply";
        throw new RunnerError(
          "MODEL_LOAD_FAILED",
          `onnxruntime cannot load model ${hash}`,
          { modelHash: hash },
          new Error(msg),
        );
      })();
      slot.models.set(hash, p);
      p.catch(() => {
        if (slot.models.get(hash) === p) slot.models.delete(hash);
      });
    }
    return p;
  }

  /**
   * Loads a model into every worker from its verified `bytes`; `reload` fetches (and re-verifies) them
   * again for replacement workers. Resolves with the model's metadata once every worker has it.
   */
  async addModel(hash: string, bytes: Uint8Array, reload: () => Promise<Uint8Array>): Promise<ModelMeta> {
    if (this.#closing) throw new RunnerError("RUNNER_CLOSED", "the inference pool is closed");
    this.#reload.set(hash, reload);
    const metas = await Promise.all(
      this.#slots.filter((s) => !s.dead).map((s) => this.#model(s, hash, bytes)),
    );
    const meta = metas[0];
    if (meta === undefined) return this.#model(this.#slots[0]!, hash, bytes);
    return meta;
  }

  /** Forgets a model (its sessions are released in every worker). */
  removeModel(hash: string): void {
    this.#reload.delete(hash);
    for (const s of this.#slots) {
      if (s.models.delete(hash) && !s.dead)
        s.worker.postMessage({ type: "release", hash } satisfies ToWorker);
    }
  }

  /**
   * Runs a registered model. `feeds` builds the input tensors (called once per try; their buffers
   * are transferred to the worker). Resolves with the outputs named in `outputNames` that the model
   * produced.
   */
  run(hash: string, feeds: Feeds, outputNames: string[]): Promise<WireTensor[]> {
    if (this.#closing)
      return Promise.reject(new RunnerError("RUNNER_CLOSED", "the inference pool is closed"));
    return new Promise<WireTensor[]>((resolve, reject) => {
      this.#queue.push({ hash, feeds, outputNames, attempts: 0, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.#slots) {
        if (s.dead || s.jobs.size >= this.#depth) continue;
        if (best === undefined || s.jobs.size < best.jobs.size) best = s;
      }
      if (best === undefined) return;
      const job = this.#queue.shift()!;
      best.jobs.add(job);
      void this.#send(best, job);
    }
  }

  async #send(slot: Slot, job: Job): Promise<void> {
    job.attempts++;
    try {
      await this.#model(slot, job.hash);
      const feeds = job.feeds();
      const transfer: ArrayBuffer[] = [];
      for (const f of feeds) {
        const buf = f.data.buffer;
        if (buf instanceof ArrayBuffer && !transfer.includes(buf)) transfer.push(buf);
      }
      const r = await this.#call(
        slot,
        { type: "run", id: this.#nextId++, hash: job.hash, feeds, outputNames: job.outputNames },
        transfer,
      );
      if (r.type === "result") job.resolve(r.outputs);
      else if (r.type === "error" && r.kind === "run") {
        job.reject(
          new InvalidInputError(
            InvalidInputReason.MODEL_FAILED,
            `the model failed on this input: ${r.message}`,
            new Error(r.message),
          ),
        );
      } else {
        const msg = r.type === "error" ? r.message : "unexpected reply";
        job.reject(
          new RunnerError(
            "MODEL_LOAD_FAILED",
            `onnxruntime cannot load model ${job.hash}`,
            { modelHash: job.hash },
            new Error(msg),
          ),
        );
      }
    } catch (e) {
      const crashed = e instanceof RunnerError && e.code === "INFERENCE_WORKER_CRASHED";
      if (crashed && !this.#closing && job.attempts < this.#maxAttempts) {
        this.#queue.unshift(job); // retried on a live worker
      } else if (crashed && !this.#closing) {
        job.reject(
          new RunnerError(
            "INFERENCE_WORKER_CRASHED",
            `inference worker died under this job ${job.attempts} times`,
            { modelHash: job.hash, attempts: job.attempts },
            e,
          ),
        );
      } else {
        job.reject(e);
      }
    } finally {
      slot.jobs.delete(job);
      this.#dispatch();
    }
  }

  /**
   * Stops the pool: queued jobs fail with RUNNER_CLOSED, running ones finish (up to `graceMs`), then
   * every worker releases its sessions and exits (terminated after `graceMs` more).
   */
  async close(graceMs = 5_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const job of this.#queue.splice(0)) {
      job.reject(new RunnerError("RUNNER_CLOSED", "the inference pool is closed"));
    }
    const deadline = Date.now() + graceMs;
    while (this.#slots.some((s) => !s.dead && s.calls.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(
      this.#slots.map(async (s) => {
        if (s.dead) return;
        const exited = new Promise<void>((r) => s.worker.once("exit", () => r()));
        s.worker.ref();
        s.worker.postMessage({ type: "close" } satisfies ToWorker);
        const timer = setTimeout(() => void s.worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
