/**
 * Relayer benchmarks against a local `hardhat node` (scripts/lib/devnet.ts) and the real relayer
 * process. Run: `npx hardhat run scripts/bench/relayer.ts` (VERDICT_BENCH_QUICK=1 for a short run;
 * `hardhat run` does not forward `--quick`). The relayer runs inference in WORKERS worker threads
 * (VERDICT_INFERENCE_WORKERS, default min(2, cores)). Figures:
 * - relayer.mlp.throughputRps: N MLP requests are sent with automine off and mined together in one
 *   block (many requests per block, one transaction each); then blocks every 200 ms; answered requests
 *   (AnswerSubmitted logs) per second from that block until the last answer is mined. End to end: the
 *   node's execution of the answer transactions bounds it (see relayer.node.ceilingRps);
 * - relayer.node.ceilingRps: requestInference transactions the hardhat node alone mines per second
 *   (the burst block's evm_mine time): the node's own execution rate, the ceiling of every end-to-end
 *   figure here;
 * - relayer.mlp.pipelineRps: the relayer's own capacity, without the chain: MLP answers computed
 *   (inference in the worker pool), signed (EIP-712) and persisted (SQLite) per second by the real
 *   `Computer` over a backlog of pending jobs, in this process after the relayer stopped (same model,
 *   same worker count). When it is well above throughputRps, the relayer is not the MLP bottleneck;
 * - relayer.mlp.latencyP50Ms / P99Ms: automine, one request every 200 ms; wall-clock time from the
 *   request's receipt to its AnswerSubmitted log being visible (polled every 25 ms). The samples (ms)
 *   are written to .verdict/bench/relayer-latency.json (a JSON array; scripts/bench/anchors.ts plots it);
 * - relayer.silero.throughputRps: as the MLP figure, Silero VAD with hash + URI inputs (file://);
 * - relayer.heavy.servedOverBare: the heavy model (scripts/models/generate.ts HEAVY_MODEL: [1,256] in,
 *   480 layers of 1024² sharing one weight, [1,16] out, inline input; its single-thread time per
 *   inference is measured and printed in the notes). Served = answered requests per second in steady
 *   state: from the first block holding ≥ 10 answers to the last answer (so the fixed sync, submit
 *   and block-interval latencies at the start are excluded). Bare = the same number of inferences
 *   with plain onnxruntime in WORKERS worker threads (the relayer's session options, one session per
 *   thread), half before and half after the served run, with the relayer idling and the node mining
 *   empty blocks. The number of requests is sized to ~3 s (quick) / ~10 s (full) of bare work.
 * Requests are signed locally by the requester key and sent with eth_sendRawTransaction, many at once.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Wallet, keccak256 } from "ethers";
import { encodeTensors, toFixed, type Tensor } from "../../sdk/tensor.js";
import { defaultWorkers, InferenceRunner, sessionOptions } from "../../relayer/inference/runner.js";
import { ANSWER_SUBMITTED } from "../../relayer/chain/sync.js";
import { Computer } from "../../relayer/chain/compute.js";
import { ChainDb } from "../../relayer/db/requests.js";
import { createLogger } from "../../relayer/log.js";
import { RelayerMetrics } from "../../relayer/metrics.js";
import { ModelStore } from "../../relayer/models/cache.js";
import { RelayerDb } from "../../relayer/db/jobs.js";
import { LATENCY_SAMPLES } from "./anchors.js";
import { createdRequestsIn } from "../../sdk/requests.js";
import { HEAVY_MODEL, ensureModels } from "../models/generate.js";
import {
  generatedModel,
  inlineParams,
  rpc,
  signRequestTxs,
  sileroModel,
  startDevnet,
  startRelayerProcess,
  uriParams,
  type Devnet,
  type DevnetModel,
  type RelayerProcess,
} from "../lib/devnet.js";
import { recordBenchmarks } from "./record.js";
import { sleep } from "../../sdk/retry.js";
import type { ICoordinator } from "../../types/ethers-contracts/contracts/requests/Coordinator.js";

const QUICK = process.argv.includes("--quick") || process.env.VERDICT_BENCH_QUICK === "1";
/** Inference worker threads of the relayer (and of the bare heavy run). */
const WORKERS = defaultWorkers();
const SCALE = 6;
const fixed = (name: string, dims: number[], values: ArrayLike<number>): Tensor => ({
  name,
  dtype: "fixed64",
  scale: SCALE,
  dims,
  data: toFixed(values, SCALE),
});

async function answeredCount(d: Devnet, fromBlock: number): Promise<number> {
  const logs = await d.provider.getLogs({
    address: d.addresses.coordinator,
    fromBlock,
    toBlock: "latest",
    topics: [ANSWER_SUBMITTED],
  });
  return logs.length;
}

/**
 * Sends requests signed locally by the requester key (explicit nonces, fixed fees), `parallel`
 * eth_sendRawTransaction calls at a time.
 */
async function sendRequests(
  d: Devnet,
  params: readonly ICoordinator.RequestParamsStruct[],
  parallel = 16,
): Promise<string[]> {
  const raws = await signRequestTxs(d, params, 2n);
  const hashes: string[] = new Array<string>(params.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (;;) {
        const i = next++;
        if (i >= raws.length) return;
        hashes[i] = await rpc<string>(d.url, "eth_sendRawTransaction", [raws[i]!]);
      }
    }),
  );
  return hashes;
}

/**
 * Sends `params` with automine off, mines them in one block; returns that block, the wall time right
 * after it was mined (t0), and how long the node took to mine it.
 */
async function burst(
  d: Devnet,
  params: readonly ICoordinator.RequestParamsStruct[],
): Promise<{ block: number; t0: number; mineMs: number; ids: bigint[] }> {
  await rpc(d.url, "evm_setAutomine", [false]);
  await rpc(d.url, "evm_setIntervalMining", [0]);
  const hashes = await sendRequests(d, params);
  const tm = performance.now();
  await rpc(d.url, "evm_mine", [], 300_000); // a block of thousands of requests
  const t0 = performance.now();
  await rpc(d.url, "evm_setIntervalMining", [200]);
  const ids: bigint[] = [];
  let block = 0;
  for (const h of hashes) {
    const r = await d.provider.getTransactionReceipt(h);
    if (r === null || r.status !== 1) throw new Error(`request ${h} not mined`);
    block = r.blockNumber;
    ids.push(...createdRequestsIn(r.logs).map((c) => c.requestId));
  }
  return { block, t0, mineMs: t0 - tm, ids };
}

/** Where the time of a throughput run went, from the chain's point of view. */
async function breakdown(d: Devnet, fromBlock: number, t0: number, label: string): Promise<void> {
  const logs = await d.provider.getLogs({
    address: d.addresses.coordinator,
    fromBlock,
    toBlock: "latest",
    topics: [ANSWER_SUBMITTED],
  });
  const txs = new Set(logs.map((l) => l.transactionHash));
  const blocks = new Set(logs.map((l) => l.blockNumber));
  let gas = 0n;
  for (const h of txs) gas += (await d.provider.getTransactionReceipt(h))?.gasUsed ?? 0n;
  const first = logs[0] === undefined ? undefined : await d.provider.getBlock(logs[0].blockNumber);
  const reqBlock = await d.provider.getBlock(fromBlock);
  console.log(
    `${label}: ${logs.length} answers in ${txs.size} submitAnswers txs over ${blocks.size} blocks ` +
      `(${(logs.length / Math.max(1, txs.size)).toFixed(0)} answers/tx, ${(Number(gas) / Math.max(1, logs.length)).toFixed(0)} gas/answer); ` +
      `first answer block ${first?.number ?? "-"} (${first !== null && first !== undefined && reqBlock !== null ? first.timestamp - reqBlock.timestamp : "-"} s chain time after the requests), ` +
      `wall ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
}

async function drain(
  d: Devnet,
  fromBlock: number,
  n: number,
  t0: number,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    const got = await answeredCount(d, fromBlock);
    if (got >= n) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`only ${got}/${n} answered in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Waits until `n` answers are mined; returns the wall time of every change of the answered count
 * (polled every 50 ms), for a steady-state rate.
 */
async function drainTimed(
  d: Devnet,
  fromBlock: number,
  n: number,
  t0: number,
  timeoutMs: number,
): Promise<{ count: number; t: number }[]> {
  const steps: { count: number; t: number }[] = [];
  let got = 0;
  let from = fromBlock;
  for (;;) {
    // One cheap query per poll (blocks not seen yet), so that measuring loads the node little.
    const logs = await d.provider.getLogs({
      address: d.addresses.coordinator,
      fromBlock: from,
      toBlock: "latest",
      topics: [ANSWER_SUBMITTED],
    });
    if (logs.length > 0) {
      got += logs.length;
      from = Math.max(...logs.map((l) => l.blockNumber)) + 1;
      steps.push({ count: got, t: performance.now() });
    }
    if (got >= n) return steps;
    if (performance.now() - t0 > timeoutMs) throw new Error(`only ${got}/${n} answered in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** CPU seconds used so far by the processes of group `pgid` (Linux /proc; 0 elsewhere). */
function groupCpuSeconds(pgid: number | undefined): number {
  if (pgid === undefined || !existsSync("/proc/self/stat")) return 0;
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((f) => /^\d+$/.test(f))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]); // pgrp, utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

/** CPU seconds per thread name of process `pid` (Linux /proc). */
function threadCpu(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (pid === undefined || !existsSync(`/proc/${pid}/task`)) return out;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = tid === String(pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone
    }
  }
  return out;
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat; 0 elsewhere). */
function machineCpuSeconds(): number {
  if (!existsSync("/proc/stat")) return 0;
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0)) / 100; // minus idle and iowait
}

interface CpuMark {
  t: number;
  node: number;
  relayer: number;
  bare: number;
  bench: number;
  machine: number;
}

/** Average cores used between two marks: the node, the relayer, this process, and everything else. */
function coresUsed(a: CpuMark, b: CpuMark): string {
  const s = (b.t - a.t) / 1000;
  const c = (x: number): string => (x / s).toFixed(2);
  const ours = b.node - a.node + (b.relayer - a.relayer) + (b.bare - a.bare) + (b.bench - a.bench);
  return (
    `node ${c(b.node - a.node)}, relayer ${c(b.relayer - a.relayer)}, bare onnxruntime ${c(b.bare - a.bare)}, ` +
    `bench ${c(b.bench - a.bench)}, ` +
    `other jobs ${c(Math.max(0, b.machine - a.machine - ours))} cores`
  );
}

/** Plain onnxruntime in a worker thread: one session (the given options), `n` runs on command. */
const BARE_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require("onnxruntime-node");
(async () => {
  const s = await ort.InferenceSession.create(workerData.file, workerData.options);
  const feeds = { x: new ort.Tensor("float32", Float32Array.from(workerData.x), workerData.dims) };
  await s.run(feeds);
  parentPort.postMessage("ready");
  parentPort.on("message", async (n) => {
    if (n === 0) { await s.release(); parentPort.close(); return; }
    for (let i = 0; i < n; i++) await s.run(feeds);
    parentPort.postMessage("done");
  });
})();
`;

/**
 * A separate process (its own session, hence its own scheduler group, like the relayer's) with
 * `threads` worker threads; stdin "n" runs n inferences split over them and prints the seconds taken.
 */
const BARE_PROCESS = `
const { Worker } = require("node:worker_threads");
const { createInterface } = require("node:readline");
const cfg = JSON.parse(process.env.VERDICT_BARE);
const threads = Array.from({ length: cfg.threads }, () => new Worker(${JSON.stringify(BARE_WORKER)}, { eval: true, workerData: cfg }));
const next = (w) => new Promise((r) => w.once("message", r));
Promise.all(threads.map(next)).then(() => {
  console.log("ready");
  const rl = createInterface({ input: process.stdin });
  rl.on("close", () => setTimeout(() => process.exit(0), 2000).unref()); // the bench went away
  rl.on("line", async (line) => {
    const single = line.startsWith("1:");
    const n = Number(single ? line.slice(2) : line);
    if (n === 0) { for (const w of threads) w.postMessage(0); return; }
    const t = performance.now();
    const used = single ? threads.slice(0, 1) : threads;
    await Promise.all(used.map((w, i) => { const d = next(w); w.postMessage(Math.floor(n / used.length) + (i < n % used.length ? 1 : 0)); return d; }));
    console.log(String((performance.now() - t) / 1000));
  });
});
`;

/**
 * `threads` plain sessions in a separate process; `run(n)` does n inferences over all threads
 * (`oneThread`: on the first only) and returns the seconds taken.
 */
async function bareThreads(
  file: string,
  x: Float32Array,
  threads: number,
): Promise<{
  pid: number | undefined;
  run: (n: number, oneThread?: boolean) => Promise<number>;
  close: () => Promise<void>;
}> {
  const child = spawn(process.execPath, ["-e", BARE_PROCESS], {
    cwd: process.cwd(),
    detached: true,
    stdio: ["pipe", "pipe", "inherit"],
    env: {
      PATH: process.env.PATH ?? "",
      VERDICT_BARE: JSON.stringify({
        threads,
        file,
        options: sessionOptions(1),
        x: Array.from(x),
        dims: [1, x.length],
      }),
    },
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((l: string) => void)[] = [];
  lines.on("line", (l) => waiting.shift()?.(l));
  const line = (): Promise<string> =>
    new Promise((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`bare onnxruntime process exited (${code})`)));
    });
  await line(); // ready
  return {
    pid: child.pid,
    run: async (n, oneThread = false) => {
      const out = line();
      child.stdin!.write(`${oneThread ? "1:" : ""}${n}\n`);
      return Number(await out);
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin!.end("0\n");
      await exited;
    },
  };
}

/**
 * The relayer's pipeline without the chain: the real Computer (worker-pool inference, EIP-712
 * signing, batched SQLite persistence) over a backlog of `n` pending MLP jobs. Returns answers/s.
 */
async function pipelineRate(
  d: Devnet,
  modelHash: string,
  inputs: Uint8Array[],
  dir: string,
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const db = RelayerDb.open(path.join(dir, "relayer.db"));
  const chainDb = ChainDb.open(path.join(dir, "chain.db"));
  const runner = new InferenceRunner({
    models: new ModelStore({ cacheDir: path.join(dir, "models") }),
    workers: WORKERS,
  });
  const signer = Wallet.createRandom();
  const computer = new Computer({
    provider: d.provider,
    db,
    chainDb,
    runner,
    signer: new Wallet(signer.privateKey),
    metrics: new RelayerMetrics(),
    logger: createLogger({ level: "silent" }),
    chainId: d.chainId,
    coordinator: d.addresses.coordinator,
    registry: d.addresses.registry,
    concurrency: 1,
    headTime: () => 0,
  });
  const add = (from: number, list: Uint8Array[]): void => {
    list.forEach((input, i) => {
      const requestId = BigInt(from + i);
      const inputHash = keccak256(input);
      chainDb.putRequest({
        requestId,
        index: 0,
        blockNumber: 1,
        blockTime: 0,
        input,
        inputURI: "",
        request: {
          requester: d.requester.address,
          callback: "0x0000000000000000000000000000000000000000",
          modelHash,
          inputHash,
          feePerOperator: 0n,
          deadline: 2n ** 63n,
          tolerance: 0n,
          disputeWindow: 0n,
          callbackGasLimit: 0n,
          royaltyBps: 0n,
          treasuryBps: 0n,
          redundancy: 1n,
          finality: 0n,
          operators: [signer.address],
        },
      });
      db.addJob({ requestId, modelHash, inputHash, seenBlock: 1 });
    });
  };
  try {
    add(1_000_000, inputs.slice(0, 20)); // warm-up: model fetch, worker sessions, signer self-check
    await computer.run(1_000);
    add(1, inputs);
    const t = performance.now();
    let done = 0;
    while (done < inputs.length) {
      const k = await computer.run(inputs.length);
      if (k === 0) throw new Error(`pipeline stalled at ${done}/${inputs.length}`);
      done += k;
    }
    return done / ((performance.now() - t) / 1000);
  } finally {
    await runner.close();
    db.close();
    chainDb.close();
  }
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** One bench run: the devnet, its relayer process, the models, and the figures gathered so far. */
interface Run {
  readonly devnet: Devnet;
  readonly relayer: RelayerProcess;
  readonly tmp: string;
  readonly mlp: DevnetModel;
  readonly silero: DevnetModel;
  readonly heavy: DevnetModel;
  /** The heavy model's input. */
  readonly x: Float32Array;
  readonly figures: Record<string, number>;
  readonly notes: string[];
  phase(label: string): void;
}

type Progress = { time: string } & Record<"phaseMs" | "computeMs" | "submitMs", Record<string, number>>;

/** The relayer's progress lines since wall time `t0` (VERDICT_BENCH_VERBOSE=1: every one). */
function relayerProgress(
  relayer: RelayerProcess,
  label: string,
  t0: number,
): Record<string, Record<string, number>> {
  const start = performance.timeOrigin + t0;
  const all = relayer
    .lines()
    .filter((l) => l.includes('"msg":"progress"'))
    .map((l) => JSON.parse(l) as Progress);
  const before = all.filter((l) => Date.parse(l.time) < start - 5).at(-1);
  const after = all.filter((l) => Date.parse(l.time) >= start - 5);
  const last = after.at(-1);
  if (last === undefined) return {};
  // Where the relayer's time went during the run (differences of its cumulative counters).
  const delta = (k: keyof Omit<Progress, "time">): Record<string, number> =>
    Object.fromEntries(Object.entries(last[k]).map(([n, v]) => [n, v - (before?.[k][n] ?? 0)]));
  const out = { loop: delta("phaseMs"), compute: delta("computeMs"), submit: delta("submitMs") };
  console.log(`  ${label}: relayer ms over ${after.length} progress lines: ` + JSON.stringify(out));
  if (process.env.VERDICT_BENCH_VERBOSE === "1") {
    for (const l of after) {
      const rest = Object.fromEntries(
        Object.entries(l).filter(([k]) => !["phaseMs", "computeMs", "submitMs"].includes(k)),
      );
      console.log(`    +${((Date.parse(l.time) - start) / 1000).toFixed(2)} s ${JSON.stringify(rest)}`);
    }
  }
  return out;
}

/** The devnet with the three models and one relayer process following it. */
async function startRun(): Promise<Run> {
  const started = performance.now();
  const phase = (label: string): void =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${label}`);
  const heavyName = HEAVY_MODEL.name;
  ensureModels([heavyName]);
  const mlp = generatedModel("mlp-8x16x4");
  const silero = sileroModel();
  const heavy = generatedModel(heavyName, 10n);
  const tmp = mkdtempSync(path.join(tmpdir(), "verdict-bench-relayer-"));
  const devnet = await startDevnet({ models: [mlp, silero, heavy], prepaidRequests: 1_000_000n });
  const relayer = startRelayerProcess(
    devnet.relayerEnv(0, {
      VERDICT_DATA_DIR: path.join(tmp, "relayer"),
      VERDICT_POLL_INTERVAL_MS: "100",
      VERDICT_MAX_BATCH: "100",
      VERDICT_MAX_INFLIGHT_TXS: "8",
      VERDICT_INFERENCE_WORKERS: String(WORKERS),
      VERDICT_CONCURRENCY: "1",
      VERDICT_LOG_LEVEL: "info",
      // VERDICT_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the relayer (written when it stops).
      ...(process.env.VERDICT_BENCH_CPU_PROF !== undefined
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.VERDICT_BENCH_CPU_PROF}` }
        : {}),
    }),
  );
  const x = Float32Array.from(
    { length: HEAVY_MODEL.input },
    (_, i) => Math.round((((i * 7919) % 1000) / 1000 - 0.5) * 4096) / 4096,
  );
  return { devnet, relayer, tmp, mlp, silero, heavy, x, figures: {}, notes: [], phase };
}

/** Warm up: model loads (the heavy model's too: loading is not throughput), first answers. */
async function warmUp({ devnet, mlp, heavy, x }: Run): Promise<void> {
  const warm = [
    inlineParams(
      devnet.models[mlp.name]!,
      encodeTensors([fixed("x", [1, 8], new Float32Array(8).fill(0.5))]),
    ),
    inlineParams(devnet.models[heavy.name]!, encodeTensors([fixed("x", [1, HEAVY_MODEL.input], x)])),
  ];
  const w = await burst(devnet, warm);
  await drain(devnet, w.block, 2, w.t0, 120_000);
}

/** MLP throughput: a burst mined in one block, answered as fast as the relayer can. Returns the inputs. */
async function mlpThroughput(run: Run): Promise<Uint8Array[]> {
  const { devnet, mlp, figures } = run;
  run.phase("mlp throughput");
  const nMlp = QUICK ? 300 : 2_000;
  const mlpInputs = Array.from({ length: nMlp }, (_, i) =>
    encodeTensors([
      fixed(
        "x",
        [1, 8],
        Array.from({ length: 8 }, (_, j) => ((i + j) % 13) / 8 - 0.75),
      ),
    ]),
  );
  const mlpParams = mlpInputs.map((input) => inlineParams(devnet.models[mlp.name]!, input));
  const b1 = await burst(devnet, mlpParams);
  const s1 = await drain(devnet, b1.block, nMlp, b1.t0, 300_000);
  figures["relayer.mlp.throughputRps"] = Math.round(nMlp / s1);
  figures["relayer.node.ceilingRps"] = Math.round(nMlp / (b1.mineMs / 1000));
  console.log(
    `mlp: ${nMlp} answered in ${s1.toFixed(2)} s; the node mined the ${nMlp} requests in ${b1.mineMs.toFixed(0)} ms`,
  );
  await breakdown(devnet, b1.block, b1.t0, "mlp");
  const mp = relayerProgress(run.relayer, "mlp", b1.t0);
  if (mp.loop?.["compute"] !== undefined && mp.compute?.["jobs"] !== undefined) {
    console.log(
      `  mlp: the relayer computed+signed+persisted ${mp.compute["jobs"]} answers in ${Math.round(mp.loop["compute"])} ms ` +
        `of compute phases (${Math.round(mp.compute["jobs"] / (mp.loop["compute"] / 1000))}/s while computing)`,
    );
  }
  return mlpInputs;
}

/** Resolves when request `id` (created in `fromBlock`) has an answer log; pushes its latency since `t0`. */
async function answerLatency(
  d: Devnet,
  id: bigint,
  fromBlock: number,
  t0: number,
  lat: number[],
): Promise<void> {
  const topic = "0x" + id.toString(16).padStart(64, "0");
  for (;;) {
    const logs = await d.provider.getLogs({
      address: d.addresses.coordinator,
      fromBlock,
      toBlock: "latest",
      topics: [ANSWER_SUBMITTED, topic],
    });
    if (logs.length > 0) {
      lat.push(performance.now() - t0);
      return;
    }
    await sleep(25);
  }
}

/** MLP latency at a steady modest rate (automine): one request every 200 ms. */
async function mlpLatency(run: Run): Promise<void> {
  const { devnet, mlp, figures } = run;
  run.phase("mlp latency");
  await rpc(devnet.url, "evm_setIntervalMining", [0]);
  await rpc(devnet.url, "evm_setAutomine", [true]);
  const nLat = QUICK ? 20 : 100;
  const lat: number[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < nLat; i++) {
    const p = inlineParams(
      devnet.models[mlp.name]!,
      encodeTensors([fixed("x", [1, 8], new Float32Array(8).fill(i / nLat))]),
    );
    const [hash] = await sendRequests(devnet, [p], 1);
    const receipt = await devnet.provider.waitForTransaction(hash!);
    const t0 = performance.now();
    const id = createdRequestsIn(receipt!.logs)[0]!.requestId;
    pending.push(answerLatency(devnet, id, receipt!.blockNumber, t0, lat));
    await sleep(200);
  }
  await Promise.all(pending);
  figures["relayer.mlp.latencyP50Ms"] = Math.round(percentile(lat, 50));
  figures["relayer.mlp.latencyP99Ms"] = Math.round(percentile(lat, 99));
  mkdirSync(path.dirname(LATENCY_SAMPLES), { recursive: true });
  writeFileSync(LATENCY_SAMPLES, JSON.stringify(lat.map((v) => Math.round(v * 10) / 10)) + "\n");
  console.log(`latency: ${lat.length} samples -> ${path.relative(process.cwd(), LATENCY_SAMPLES)}`);
}

/** Silero throughput, inputs by hash + file:// URI. */
async function sileroThroughput(run: Run): Promise<void> {
  const { devnet, silero, figures, tmp } = run;
  run.phase("silero throughput");
  const frame = Float32Array.from(
    { length: 512 },
    (_, i) => Math.round(0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000) * 4096) / 4096,
  );
  const sInput = encodeTensors([
    fixed("input", [1, 512], frame),
    { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
    fixed("state", [2, 1, 128], new Float32Array(256)),
  ]);
  const sFile = path.join(tmp, "silero.vtn1");
  writeFileSync(sFile, sInput);
  const nSil = QUICK ? 150 : 1_000;
  const silParams = Array.from({ length: nSil }, () =>
    uriParams(devnet.models[silero.name]!, sInput, pathToFileURL(sFile).href),
  );
  const b2 = await burst(devnet, silParams);
  const s2 = await drain(devnet, b2.block, nSil, b2.t0, 300_000);
  figures["relayer.silero.throughputRps"] = Math.round(nSil / s2);
  console.log(`silero: ${nSil} in ${s2.toFixed(2)} s`);
  await breakdown(devnet, b2.block, b2.t0, "silero");
  relayerProgress(run.relayer, "silero", b2.t0);
}

type Bare = Awaited<ReturnType<typeof bareThreads>>;

/** The CPU seconds of the node, the relayer, the bare process, this bench and the machine, now. */
function cpuMark(run: Run, bare: Bare | undefined): CpuMark {
  const u = process.cpuUsage();
  return {
    t: performance.now(),
    node: groupCpuSeconds(run.devnet.node.child.pid),
    relayer: groupCpuSeconds(run.relayer.child.pid),
    bare: groupCpuSeconds(bare?.pid),
    bench: (u.user + u.system) / 1e6,
    machine: machineCpuSeconds(),
  };
}

/** How many heavy requests make ~3 s (quick) / ~10 s of bare work, from a single-thread calibration. */
async function heavyCount(
  bare: Bare,
): Promise<{ nHeavy: number; msPerInference: number; workSeconds: number }> {
  // Single-thread time per inference, then enough requests for ~3 s (quick) / ~10 s of bare work.
  const msPerInference = ((await bare.run(10, true)) / 10) * 1000;
  const workSeconds = QUICK ? 3 : 10;
  // Clamped: a calibration taken during a load spike must not shrink the steady-state window.
  const nHeavy = Math.max(
    QUICK ? 100 : 300,
    Math.min(2_000, Math.round((workSeconds * 1000 * WORKERS) / msPerInference)),
  );
  return { nHeavy, msPerInference, workSeconds };
}

/** `nHeavy` heavy requests served by the relayer: the steady-state and end-to-end rates. */
async function heavyServed(run: Run, nHeavy: number, bare: Bare) {
  const { devnet, relayer, heavy, x } = run;
  const b3 = await burst(
    devnet,
    Array.from({ length: nHeavy }, (_, i) =>
      inlineParams(
        devnet.models[heavy.name]!,
        encodeTensors([
          fixed(
            "x",
            [1, HEAVY_MODEL.input],
            x.map((v, j) => (j === 0 ? i / 4096 : v)),
          ),
        ]),
      ),
    ),
  );
  const m2 = cpuMark(run, bare);
  const th0 = threadCpu(relayer.child.pid);
  const steps = await drainTimed(devnet, b3.block, nHeavy, b3.t0, 600_000);
  const m3 = cpuMark(run, bare);
  const th1 = threadCpu(relayer.child.pid);
  console.log(
    "  relayer threads, served (cores): " +
      JSON.stringify(
        Object.fromEntries(
          Object.entries(th1).map(([k, v]) => [
            k,
            Math.round(((v - (th0[k] ?? 0)) / ((m3.t - m2.t) / 1000)) * 100) / 100,
          ]),
        ),
      ),
  );
  const first = steps.find((st) => st.count >= 10) ?? steps[0]!;
  const last = steps.at(-1)!;
  const served = (last.count - first.count) / ((last.t - first.t) / 1000);
  const endToEnd = nHeavy / ((last.t - b3.t0) / 1000);
  await breakdown(devnet, b3.block, b3.t0, "heavy");
  relayerProgress(relayer, "heavy", b3.t0);
  return { served, endToEnd, first, last, cpu: coresUsed(m2, m3) };
}

/** Heavy model: served (steady state) vs bare onnxruntime in the same number of threads, half before, half after. */
async function heavyVsBare(run: Run, bare: Bare): Promise<void> {
  run.phase("heavy model");
  const { nHeavy, msPerInference, workSeconds } = await heavyCount(bare);
  const m0 = cpuMark(run, bare);
  const bare1 = await bare.run(Math.floor(nHeavy / 2));
  const m1 = cpuMark(run, bare);
  const { served, endToEnd, first, last, cpu } = await heavyServed(run, nHeavy, bare);
  const m4 = cpuMark(run, bare);
  const bare2 = await bare.run(nHeavy - Math.floor(nHeavy / 2));
  const m5 = cpuMark(run, bare);
  console.log(`  cpu, bare (before): ${coresUsed(m0, m1)}`);
  console.log(`  cpu, served:        ${cpu}`);
  console.log(`  cpu, bare (after):  ${coresUsed(m4, m5)}`);
  const bareRate = nHeavy / (bare1 + bare2);
  run.figures["relayer.heavy.servedOverBare"] = Math.round((served / bareRate) * 100) / 100;
  console.log(
    `heavy: ${msPerInference.toFixed(1)} ms/inference single-thread; ${nHeavy} requests; served ${served.toFixed(2)}/s ` +
      `steady state (answers ${first.count}..${last.count} over ${((last.t - first.t) / 1000).toFixed(2)} s; ` +
      `${endToEnd.toFixed(2)}/s end to end), bare ${bareRate.toFixed(2)}/s in ${WORKERS} threads ` +
      `(${(nHeavy / 2 / bare1).toFixed(2)}/s before, ${((nHeavy - Math.floor(nHeavy / 2)) / bare2).toFixed(2)}/s after)`,
  );
  run.notes.push(
    `Heavy: ${HEAVY_MODEL.name} ([1,${HEAVY_MODEL.input}] inline → [1,${HEAVY_MODEL.output}], ${HEAVY_MODEL.depth} GEMVs over one ` +
      `1024² weight), ${msPerInference.toFixed(0)} ms per inference single-threaded in this run; ${nHeavy} requests ` +
      `(~${workSeconds} s of bare work). Served = answered requests per second in steady state, from the first block ` +
      `with ≥ 10 answers to the last answer (${endToEnd.toFixed(1)}/s end to end including the first answer's latency); ` +
      `bare = the same number of inferences with plain onnxruntime in ${WORKERS} worker threads (same session options, ` +
      "one session each), half before and half after the served run, the relayer idling.",
  );
}

/** The relayer's pipeline alone (no chain): compute + sign + persist over a backlog of MLP jobs. */
async function pipeline(run: Run, mlpInputs: readonly Uint8Array[]): Promise<void> {
  run.phase("relayer pipeline");
  const nPipe = QUICK ? 600 : 4_000;
  const pipeInputs = Array.from({ length: nPipe }, (_, i) => mlpInputs[i % mlpInputs.length]!);
  const pipe = await pipelineRate(run.devnet, run.mlp.hash, pipeInputs, path.join(run.tmp, "pipeline"));
  run.figures["relayer.mlp.pipelineRps"] = Math.round(pipe);
  console.log(`pipeline: ${nPipe} MLP answers computed+signed+persisted at ${pipe.toFixed(0)}/s`);
}

function record(figures: Record<string, number>, notes: readonly string[]): void {
  recordBenchmarks("Relayer", figures, {
    description:
      "Real relayer process against a local hardhat node (scripts/lib/devnet.ts), one operator, 2 shared cores, " +
      `inference in ${WORKERS} worker threads (one onnxruntime session per model each, 1 intra-op thread). ` +
      "Throughput: requests signed locally and sent with automine off, mined in ONE block, then a block every 200 ms; " +
      "answered requests per second (AnswerSubmitted) from that block until the last answer is mined, the relayer batching " +
      "up to 100 answers per submitAnswers, cut to what fits the 2^24 per-transaction gas cap (EIP-7825), simulated by one " +
      "eth_call, sent while later answers are still computed, up to 8 transactions in flight, job state changes committed " +
      "in batches (SQLite WAL, synchronous=NORMAL); the node's own logging is off. relayer.node.ceilingRps = requestInference " +
      "txs the node alone mines per second: the node's execution bounds every end-to-end figure (answers cost ~55k gas each). " +
      "relayer.mlp.pipelineRps = MLP answers the relayer's own pipeline (the real Computer: worker-pool inference, EIP-712 " +
      "signing, batched SQLite persistence) completes per second over a backlog, without the chain, same run: when it is far " +
      "above throughputRps, the node, not the relayer, is the MLP bottleneck. Latency: automine, one request every 200 ms, " +
      "request receipt → answer log visible (relayer poll 100 ms); samples in .verdict/bench/relayer-latency.json. Silero " +
      "inputs travel by hash + file:// URI. " +
      notes.join(" ") +
      " The node, the bench client and the relayer share 2 cores with other jobs." +
      (QUICK ? " (quick run)" : ""),
    targets: {
      "relayer.mlp.throughputRps": { min: 500 },
      "relayer.heavy.servedOverBare": { min: 0.9 },
    },
  });
}

async function main(): Promise<void> {
  const run = await startRun();
  const { devnet, relayer, tmp } = run;
  // The bare onnxruntime process is started now and used in the heavy phase.
  let bare: Bare | undefined;
  const bareStarted = bareThreads(run.heavy.file, run.x, WORKERS);
  bareStarted.then(
    (b) => (bare = b),
    () => undefined, // reported where it is awaited
  );
  try {
    run.phase("devnet and relayer started");
    await warmUp(run);
    const mlpInputs = await mlpThroughput(run);
    await mlpLatency(run);
    await sileroThroughput(run);
    bare = await bareStarted;
    await heavyVsBare(run, bare);
    await bare.close();
    bare = undefined;
    await relayer.kill("SIGTERM");
    await pipeline(run, mlpInputs);
  } catch (e) {
    const tail = [...relayer.lines().slice(-15), relayer.stderr().slice(-1_500)].filter(Boolean).join("\n");
    console.error(`relayer's last log lines:\n${tail}`);
    throw e;
  } finally {
    await bare?.close();
    await relayer.kill();
    await devnet.stop();
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
  run.phase("done");
  console.log(run.figures);
  record(run.figures, run.notes);
}

await main();
