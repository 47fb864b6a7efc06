/**
 * A pool of inference CHILD PROCESSES (relayer/inference/worker.ts). onnxruntime-node runs a session
 * synchronously on the calling thread, so inference must stay off the relayer's event loop; and the
 * models are chosen by strangers, so it must also stay away from the relayer's secrets and resources.
 * Each child:
 * - runs in its own empty temporary working directory (a model's relative file references find
 *   nothing) with an environment that holds no secret (PATH and its thread count only, no VERDICT_*);
 * - has a V8 heap limit (--max-old-space-size) and, on Linux, an address-space limit (ulimit -v) that
 *   bounds onnxruntime's native allocations too (the session options disable the growing CPU arena);
 * - runs one job at a time; a job that outlives `jobTimeoutMs` gets its child killed (SIGKILL) and
 *   fails with RunnerError INFERENCE_TIMEOUT, without retry. The main process never waits for it, and
 *   one model never holds more than `size` of the `size + spare` children, so other models' jobs keep
 *   running while a hostile model's jobs run to their deadline. CPU priorities: the children run below
 *   the relayer's loop (nice 10: a child's start-up after a kill never delays sync, transactions or duties),
 *   and a job still running after `demoteAfterMs` (1 s) gets its child the lowest priority (nice 19), so on
 *   a small machine the short jobs of other models and the relayer's loop keep the CPU meanwhile
 *   (relayer.hostile.otherRequestsP99Ms).
 *
 * - Models: `addModel` sends the verified bytes (checked against the sha256 and for external data by
 *   the model store in the main process) to every idle child; a busy child (and a replacement child)
 *   loads them when a job of that model is first sent to it, through the model store again.
 * - Errors come back as typed errors: onnxruntime refusing the model → RunnerError MODEL_LOAD_FAILED;
 *   an allocation failure → RunnerError INFERENCE_RESOURCE_EXHAUSTED (the machine's limit, never the
 *   requester's fault); the model failing on the input otherwise → InvalidInputError reason 7.
 * - A child that dies (crash, out of memory, killed) is replaced; its job is retried on another child
 *   and fails with RunnerError INFERENCE_WORKER_CRASHED after `maxAttempts` tries.
 * - `close` lets running jobs finish, then stops every child (queued jobs fail with RUNNER_CLOSED).
 *   Idle children do not keep the process alive.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, setPriority, tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { InvalidInputError, InvalidInputReason, RunnerError } from "../errors.js";
import type { FromWorker, ModelMeta, ToWorker, WireTensor } from "./protocol.js";
import { sleep } from "../../sdk/retry.js";

/** The default worker count: two, or fewer on a one-core machine. */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}

/** Default per-job deadline (ms) and per-child memory limit (MiB). */
export const DEFAULT_JOB_TIMEOUT_MS = 30_000;
export const DEFAULT_MEMORY_LIMIT_MB = 4_096;
/** A job running longer than this gets its child the lowest CPU priority. */
export const DEFAULT_DEMOTE_AFTER_MS = 1_000;
/**
 * CPU priority (nice) of every inference child: below the relayer's own loop (sync, transactions, duties),
 * so a child's start-up (onnxruntime, model loads) or a burst of inference never delays the loop.
 */
export const CHILD_NICE = 10;
/** CPU priority of a child whose job ran past the demotion delay. */
export const DEMOTED_NICE = 19;
/** A model load (child start-up included) is killed after this long at the least. */
const LOAD_TIMEOUT_MS = 120_000;

export interface PoolOptions {
  /** Child processes one model may use at once (default `defaultWorkers()`). */
  size?: number;
  /** Extra children kept for other models while one model holds `size` (default 1). */
  spare?: number;
  /** onnxruntime intra-op threads per child (default 1). */
  threads?: number;
  /** Tries of one job when children die under it (default 2). */
  maxAttempts?: number;
  /** A job (or a model load) running longer is killed with its child (default 30 s). */
  jobTimeoutMs?: number;
  /** Address-space limit per child in MiB (Linux; V8 heap gets a quarter). Default 4096. */
  memoryLimitMb?: number;
  /** A job running longer gets its child the lowest CPU priority (default 1 s; 0: never). */
  demoteAfterMs?: number;
  logger?: Logger;
  /** The worker module (tests); relayer/inference/worker.ts by default. */
  workerUrl?: URL;
}

type Feeds = () => WireTensor[];

interface Job {
  hash: string;
  /** Builds the input tensors (again on a retry). */
  feeds: Feeds;
  outputNames: string[];
  attempts: number;
  resolve: (out: WireTensor[]) => void;
  reject: (e: unknown) => void;
}

interface Call {
  resolve: (m: FromWorker) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

interface Slot {
  child: ChildProcess;
  dir: string;
  /** The job assigned (running, or waiting for its model load), if any. */
  job: Job | undefined;
  calls: Map<number, Call>;
  models: Map<string, Promise<ModelMeta>>;
  dead: boolean;
  /** Set when the pool killed the child because a call outlived its deadline. */
  timedOut: boolean;
  /** Whether it ever answered (a child that dies before that counts as a failed start). */
  answered: boolean;
  /** Lowered to the lowest CPU priority because a job on it ran past `#demoteMs` (never raised again). */
  demoted: boolean;
}

const DEFAULT_WORKER_URL = new URL(
  `./worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
  import.meta.url,
);

/** Node flags for a child: the tsx loader for a TypeScript worker, and the heap limit. */
function childArgs(url: URL, heapMb: number): string[] {
  const tsx = (): string =>
    typeof import.meta.resolve === "function"
      ? import.meta.resolve("tsx")
      : pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const loader = url.pathname.endsWith(".ts") ? ["--import", tsx()] : [];
  return [`--max-old-space-size=${heapMb}`, ...loader, fileURLToPath(url)];
}

/** The environment of a child: nothing from the relayer's (no VERDICT_* secrets), PATH aside. */
function childEnv(threads: number): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", INFERENCE_THREADS: String(threads) };
}

export class InferencePool {
  readonly size: number;
  readonly #threads: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #memoryMb: number;
  readonly #demoteMs: number;
  readonly #log: Logger | undefined;
  readonly #url: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  /** Registered models: how a replacement child gets the verified bytes again. */
  readonly #reload = new Map<string, () => Promise<Uint8Array>>();
  #nextId = 1;
  #closing = false;
  #failedStarts = 0;
  /** Children replaced so far (for logs and tests). */
  restarts = 0;
  /** Jobs killed at their deadline so far. */
  timeouts = 0;
  /** Children demoted to the lowest CPU priority so far. */
  demotions = 0;

  constructor(options: PoolOptions = {}) {
    const size = options.size ?? defaultWorkers();
    if (!Number.isInteger(size) || size < 1) throw new RangeError("pool size must be a positive integer");
    this.size = size;
    this.#threads = options.threads ?? 1;
    this.#maxAttempts = options.maxAttempts ?? 2;
    this.#timeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    this.#memoryMb = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
    this.#demoteMs = options.demoteAfterMs ?? DEFAULT_DEMOTE_AFTER_MS;
    this.#log = options.logger;
    this.#url = options.workerUrl ?? DEFAULT_WORKER_URL;
    const spare = options.spare ?? 1;
    for (let i = 0; i < size + spare; i++) this.#slots.push(this.#spawn());
  }

  /** Jobs running in children, and jobs waiting for a child. */
  get load(): { active: number; waiting: number } {
    let active = 0;
    for (const s of this.#slots) if (s.job !== undefined) active++;
    return { active, waiting: this.#queue.length };
  }

  /** The scratch directories of every child this pool has (tests: closing removes them all). */
  get scratchDirs(): string[] {
    return this.#slots.map((s) => s.dir);
  }

  /** Process ids of the live children (tests). */
  get pids(): number[] {
    return this.#slots.filter((s) => !s.dead).map((s) => s.child.pid ?? -1);
  }

  /** Kills one child as if it crashed (tests: the pool must replace it and retry its job). */
  async crashWorker(index = 0): Promise<void> {
    const slot = this.#slots[index];
    if (slot === undefined || slot.dead) return;
    const exited = new Promise<void>((r) => slot.child.once("exit", () => r()));
    slot.child.kill("SIGKILL");
    await exited;
  }

  #spawn(): Slot {
    const dir = mkdtempSync(path.join(tmpdir(), "verdict-infer-"));
    const heapMb = Math.max(128, Math.floor(this.#memoryMb / 4));
    const args = childArgs(this.#url, heapMb);
    // On Linux the address-space limit (ulimit -v, in KiB) bounds native allocations as well.
    const limited = process.platform === "linux" && this.#memoryMb > 0;
    const child = limited
      ? spawn(
          "/bin/sh",
          ["-c", `ulimit -d ${this.#memoryMb * 1024} && exec "$0" "$@"`, process.execPath, ...args],
          {
            cwd: dir,
            env: childEnv(this.#threads),
            stdio: ["ignore", "ignore", "ignore", "ipc"],
            serialization: "advanced",
          },
        )
      : spawn(process.execPath, args, {
          cwd: dir,
          env: childEnv(this.#threads),
          stdio: ["ignore", "ignore", "ignore", "ipc"],
          serialization: "advanced",
        });
    const slot: Slot = {
      child,
      dir,
      job: undefined,
      calls: new Map(),
      models: new Map(),
      dead: false,
      timedOut: false,
      answered: false,
      demoted: false,
    };
    this.#idle(slot);
    child.on("message", (m: FromWorker) => {
      slot.answered = true;
      this.#failedStarts = 0;
      const call = slot.calls.get(m.id);
      if (call === undefined) return;
      clearTimeout(call.timer);
      slot.calls.delete(m.id);
      if (slot.calls.size === 0) this.#idle(slot);
      call.resolve(m);
    });
    child.on("error", (e) => {
      this.#log?.error({ err: e, pid: child.pid }, "inference child failed");
    });
    child.once("exit", (code, signal) => this.#onExit(slot, code, signal));
    this.#renice(slot, CHILD_NICE);
    return slot;
  }

  /** An idle child never keeps the relayer process alive. */
  #idle(slot: Slot): void {
    slot.child.unref();
    (slot.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  #busy(slot: Slot): void {
    slot.child.ref();
    (slot.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  #onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.dead) return;
    slot.dead = true;
    rmSync(slot.dir, { recursive: true, force: true });
    const calls = [...slot.calls.values()];
    slot.calls.clear();
    const crashed = new RunnerError(
      this.#closing ? "RUNNER_CLOSED" : "INFERENCE_WORKER_CRASHED",
      this.#closing ? "the inference pool is closed" : `inference child exited (code ${code}, ${signal})`,
      { exitCode: code, signal },
    );
    for (const c of calls) {
      clearTimeout(c.timer);
      c.reject(crashed); // the job behind it is retried or failed by #send
    }
    if (this.#closing) return;
    if (!slot.answered) this.#failedStarts++;
    this.#log?.warn(
      { pid: slot.child.pid, code, signal, timedOut: slot.timedOut, busy: slot.job !== undefined },
      "inference child exited; replacing it",
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

  #call(slot: Slot, m: ToWorker & { id: number }): Promise<FromWorker> {
    if (slot.dead) {
      return Promise.reject(new RunnerError("INFERENCE_WORKER_CRASHED", "inference child is gone"));
    }
    return new Promise<FromWorker>((resolve, reject) => {
      // The child runs one call at a time, in order, so a call's clock is its own. A load also covers
      // the child's start-up (a busy machine may take seconds): it gets at least LOAD_TIMEOUT_MS.
      const ms = m.type === "load" ? Math.max(LOAD_TIMEOUT_MS, this.#timeoutMs) : this.#timeoutMs;
      const timer = setTimeout(() => {
        slot.timedOut = true;
        this.timeouts++;
        this.#log?.warn({ pid: slot.child.pid, timeoutMs: ms, call: m.type }, "inference deadline: killing");
        slot.child.kill("SIGKILL");
      }, ms);
      timer.unref();
      if (m.type === "run") this.#demoteIfLong(slot, m.id);
      slot.calls.set(m.id, { resolve, reject, timer });
      this.#busy(slot);
      slot.child.send(m, (e) => {
        if (e === null || e === undefined) return;
        clearTimeout(timer);
        slot.calls.delete(m.id);
        if (slot.calls.size === 0) this.#idle(slot);
        reject(new RunnerError("INFERENCE_WORKER_CRASHED", "inference child is gone", {}, e));
      });
    });
  }

  /**
   * A run still going after `#demoteMs` gets its child the lowest CPU priority (nice 19): on a machine
   * with few cores, a job that runs to its deadline (an endless Loop) must not take the CPU from the
   * short jobs of other models, from the relayer's own loop or from the node it talks to. Unprivileged
   * processes cannot raise a priority again, so the child stays demoted (chosen last for new jobs) until
   * it exits; one that outlives its deadline is killed and replaced at the children's priority.
   */
  #demoteIfLong(slot: Slot, id: number): void {
    if (slot.demoted || this.#demoteMs <= 0) return;
    const t = setTimeout(() => {
      if (slot.dead || slot.demoted || !slot.calls.has(id)) return;
      if (!this.#renice(slot, DEMOTED_NICE)) return;
      slot.demoted = true;
      this.demotions++;
      this.#log?.info(
        { pid: slot.child.pid, afterMs: this.#demoteMs },
        "long inference: child demoted to the lowest CPU priority",
      );
    }, this.#demoteMs);
    t.unref();
  }

  /** Lowers the child's CPU priority to `nice` (never raises it); false when the system refused. */
  #renice(slot: Slot, nice: number): boolean {
    const pid = slot.child.pid;
    if (pid === undefined) return false;
    try {
      setPriority(pid, nice);
      return true;
    } catch (e) {
      this.#log?.debug({ err: e, pid, nice }, "could not lower an inference child's priority");
      return false;
    }
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
        const r = await this.#call(slot, { type: "load", id: this.#nextId++, hash, bytes: b });
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
   * Loads a model into every child from its verified `bytes`; `reload` fetches (and re-verifies) them
   * again for replacement children. Resolves with the model's metadata once every child has it.
   */
  async addModel(hash: string, bytes: Uint8Array, reload: () => Promise<Uint8Array>): Promise<ModelMeta> {
    if (this.#closing) throw new RunnerError("RUNNER_CLOSED", "the inference pool is closed");
    this.#reload.set(hash, reload);
    // Only idle children load it now: a child busy with a job (maybe a hostile one running to its deadline)
    // would hold the load, and every job of this model behind it; it loads the model when a job needs it.
    const live = this.#slots.filter((s) => !s.dead);
    const idle = live.filter((s) => s.job === undefined && s.calls.size === 0);
    const metas = await Promise.all((idle.length > 0 ? idle : live).map((s) => this.#model(s, hash, bytes)));
    const meta = metas[0];
    if (meta === undefined) return this.#model(this.#slots[0]!, hash, bytes);
    return meta;
  }

  /** Forgets a model (its sessions are released in every child). */
  removeModel(hash: string): void {
    this.#reload.delete(hash);
    for (const s of this.#slots) {
      if (s.models.delete(hash) && !s.dead && s.child.connected)
        s.child.send({ type: "release", hash } satisfies ToWorker);
    }
  }

  /** Models registered (sessions held by the children). */
  get models(): string[] {
    return [...this.#reload.keys()];
  }

  /**
   * Runs a registered model. `feeds` builds the input tensors (called once per try). Resolves with
   * the outputs named in `outputNames` that the model produced.
   */
  run(hash: string, feeds: Feeds, outputNames: string[]): Promise<WireTensor[]> {
    if (this.#closing)
      return Promise.reject(new RunnerError("RUNNER_CLOSED", "the inference pool is closed"));
    return new Promise<WireTensor[]>((resolve, reject) => {
      this.#queue.push({ hash, feeds, outputNames, attempts: 0, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Starts queued jobs on free children, first come first served, except that one model never holds
   * more than `size` children: the spare child (`spare`) stays for other models, so a model whose jobs
   * run until their deadline cannot stall everything else.
   */
  #dispatch(): void {
    for (;;) {
      const free = this.#slots.filter((s) => !s.dead && s.job === undefined);
      if (free.length === 0) return;
      const running = new Map<string, number>();
      for (const s of this.#slots)
        if (s.job !== undefined) running.set(s.job.hash, (running.get(s.job.hash) ?? 0) + 1);
      const i = this.#queue.findIndex((j) => (running.get(j.hash) ?? 0) < this.size);
      if (i < 0) return;
      const [job] = this.#queue.splice(i, 1) as [Job];
      // A child that already holds the model (and is up) first: a fresh replacement starts and loads it
      // only when no other child is free.
      // A demoted child (lowest CPU priority, see #demoteIfLong) only when no other is free.
      const ready = (s: Slot): boolean => s.answered && !s.demoted;
      const slot =
        free.find((s) => ready(s) && s.models.has(job.hash)) ??
        free.find(ready) ??
        free.find((s) => s.answered && s.models.has(job.hash)) ??
        free.find((s) => s.answered) ??
        free[0]!;
      slot.job = job;
      void this.#send(slot, job);
    }
  }

  async #send(slot: Slot, job: Job): Promise<void> {
    job.attempts++;
    try {
      await this.#model(slot, job.hash);
      const r = await this.#call(slot, {
        type: "run",
        id: this.#nextId++,
        hash: job.hash,
        feeds: job.feeds(),
        outputNames: job.outputNames,
      });
      if (r.type === "result") job.resolve(r.outputs);
      else if (r.type === "error" && r.kind === "run") {
        job.reject(
          new InvalidInputError(
            InvalidInputReason.MODEL_FAILED,
            `the model failed on this input: ${r.message}`,
            new Error(r.message),
          ),
        );
      } else if (r.type === "error" && r.kind === "resource") {
        job.reject(
          new RunnerError(
            "INFERENCE_RESOURCE_EXHAUSTED",
            `inference ran out of memory: ${r.message}`,
            { modelHash: job.hash },
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
      if (crashed && slot.timedOut) {
        job.reject(
          new RunnerError(
            "INFERENCE_TIMEOUT",
            `inference exceeded its ${this.#timeoutMs} ms deadline; killed`,
            { modelHash: job.hash, timeoutMs: this.#timeoutMs },
            e,
          ),
        );
      } else if (crashed && !this.#closing && job.attempts < this.#maxAttempts) {
        this.#queue.unshift(job); // retried on a live child
      } else if (crashed && !this.#closing) {
        job.reject(
          new RunnerError(
            "INFERENCE_WORKER_CRASHED",
            `inference child died under this job ${job.attempts} times`,
            { modelHash: job.hash, attempts: job.attempts },
            e,
          ),
        );
      } else {
        job.reject(e);
      }
    } finally {
      if (slot.job === job) slot.job = undefined;
      this.#dispatch();
    }
  }

  /**
   * Stops the pool: queued jobs fail with RUNNER_CLOSED, running ones finish (up to `graceMs`), then
   * every child releases its sessions and exits (killed after `graceMs` more).
   */
  async close(graceMs = 5_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const job of this.#queue.splice(0)) {
      job.reject(new RunnerError("RUNNER_CLOSED", "the inference pool is closed"));
    }
    const deadline = Date.now() + graceMs;
    while (this.#slots.some((s) => !s.dead && s.calls.size > 0) && Date.now() < deadline) {
      await sleep(5);
    }
    await Promise.all(
      this.#slots.map(async (s) => {
        if (s.dead) return;
        const exited = new Promise<void>((r) => s.child.once("exit", () => r()));
        this.#busy(s);
        if (s.child.connected) s.child.send({ type: "close" } satisfies ToWorker, () => undefined);
        else s.child.kill("SIGKILL");
        const timer = setTimeout(() => s.child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
        s.dead = true;
        rmSync(s.dir, { recursive: true, force: true });
      }),
    );
  }
}
