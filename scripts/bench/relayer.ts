/**
 * Relayer benchmarks against a local `hardhat node` (scripts/lib/devnet.ts) and the real relayer
 * process. Run: `npx hardhat run scripts/bench/relayer.ts` (VERDICT_BENCH_QUICK=1 or `--quick` for a
 * short run). Figures:
 * - relayer.mlp.throughputRps: N MLP requests are sent with automine off and mined together in one
 *   block (many requests per block, one transaction each); then blocks every 200 ms; answered requests
 *   (AnswerSubmitted logs) per second from that block until the last answer is mined;
 * - relayer.mlp.latencyP50Ms / P99Ms: automine, one request every 200 ms; wall-clock time from the
 *   request's receipt to its AnswerSubmitted log being visible (polled every 25 ms);
 * - relayer.silero.throughputRps: as the MLP figure, Silero VAD with hash + URI inputs (file://);
 * - relayer.heavy.servedOverBare: the heavy model (scripts/models/generate.ts HEAVY_MODEL: [1,256] in,
 *   192 layers of 1024² sharing one weight, [1,16] out, inline input): served requests per second over
 *   bare onnxruntime runs per second with the relayer's session options and concurrency, same run;
 * - relayer.node.ceilingRps: requestInference transactions the hardhat node alone mines per second
 *   (the burst block's evm_mine time): the node's own execution rate bounds every figure above.
 * Requests are sent with eth_sendTransaction from the node's unlocked requester account (no client-side
 * signing), many at once.
 */
import { writeFileSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { Wallet } from "ethers";
import { encodeTensors, toFixed, type Tensor } from "../../sdk/tensor.js";
import { sessionOptions } from "../../relayer/inference/runner.js";
import { ANSWER_SUBMITTED } from "../../relayer/chain/sync.js";
import { createdRequestsIn } from "../../sdk/requests.js";
import { HEAVY_MODEL, ensureModels } from "../models/generate.js";
import {
  generatedModel,
  inlineParams,
  rpc,
  sileroModel,
  startDevnet,
  startRelayerProcess,
  uriParams,
  type Devnet,
} from "../lib/devnet.js";
import { recordBenchmarks } from "./record.js";
import type { ICoordinator } from "../../types/ethers-contracts/contracts/requests/Coordinator.js";

const QUICK = process.argv.includes("--quick") || process.env.VERDICT_BENCH_QUICK === "1";
const SCALE = 6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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
  const wallet = new Wallet(d.requester.key);
  let nonce = await d.provider.getTransactionCount(d.requester.address, "pending");
  const fee = await d.provider.getFeeData();
  const raws: string[] = [];
  for (const p of params) {
    raws.push(
      await wallet.signTransaction({
        type: 2,
        chainId: d.chainId,
        to: d.addresses.coordinator,
        data: d.coordinator.interface.encodeFunctionData("requestInference", [p]),
        nonce: nonce++,
        gasLimit: 2_000_000n,
        maxFeePerGas: (fee.maxFeePerGas ?? 10_000_000_000n) * 2n,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 1_000_000_000n,
      }),
    );
  }
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
  await rpc(d.url, "evm_mine", []);
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

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main(): Promise<void> {
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
      VERDICT_CONCURRENCY: "2",
      VERDICT_LOG_LEVEL: "info",
      // VERDICT_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the relayer (written when it stops).
      ...(process.env.VERDICT_BENCH_CPU_PROF !== undefined
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.VERDICT_BENCH_CPU_PROF}` }
        : {}),
    }),
  );
  const figures: Record<string, number> = {};
  /** The relayer's progress lines since wall time `t0` (VERDICT_BENCH_VERBOSE=1: every one). */
  const relayerProgress = (label: string, t0: number): void => {
    const start = performance.timeOrigin + t0;
    type Progress = { time: string } & Record<"phaseMs" | "computeMs" | "submitMs", Record<string, number>>;
    const all = relayer
      .lines()
      .filter((l) => l.includes('"msg":"progress"'))
      .map((l) => JSON.parse(l) as Progress);
    const before = all.filter((l) => Date.parse(l.time) < start - 5).at(-1);
    const after = all.filter((l) => Date.parse(l.time) >= start - 5);
    const last = after.at(-1);
    if (last === undefined) return;
    // Where the relayer's time went during the run (differences of its cumulative counters).
    const delta = (k: keyof Omit<Progress, "time">): Record<string, number> =>
      Object.fromEntries(Object.entries(last[k]).map(([n, v]) => [n, v - (before?.[k][n] ?? 0)]));
    console.log(
      `  ${label}: relayer ms over ${after.length} progress lines: ` +
        JSON.stringify({ loop: delta("phaseMs"), compute: delta("computeMs"), submit: delta("submitMs") }),
    );
    if (process.env.VERDICT_BENCH_VERBOSE === "1") {
      for (const l of after) {
        const rest = Object.fromEntries(
          Object.entries(l).filter(([k]) => !["phaseMs", "computeMs", "submitMs"].includes(k)),
        );
        console.log(`    +${((Date.parse(l.time) - start) / 1000).toFixed(2)} s ${JSON.stringify(rest)}`);
      }
    }
  };
  const relayerTail = (): string =>
    [...relayer.lines().slice(-15), relayer.stderr().slice(-1_500)].filter(Boolean).join("\n");
  try {
    // Warm up: model loads, first answer.
    const warm = [
      inlineParams(
        devnet.models[mlp.name]!,
        encodeTensors([fixed("x", [1, 8], new Float32Array(8).fill(0.5))]),
      ),
    ];
    const w = await burst(devnet, warm);
    await drain(devnet, w.block, 1, w.t0, 60_000);

    // ---- MLP throughput
    const nMlp = QUICK ? 300 : 2_000;
    const mlpParams = Array.from({ length: nMlp }, (_, i) =>
      inlineParams(
        devnet.models[mlp.name]!,
        encodeTensors([
          fixed(
            "x",
            [1, 8],
            Array.from({ length: 8 }, (_, j) => ((i + j) % 13) / 8 - 0.75),
          ),
        ]),
      ),
    );
    const b1 = await burst(devnet, mlpParams);
    const s1 = await drain(devnet, b1.block, nMlp, b1.t0, 300_000);
    figures["relayer.mlp.throughputRps"] = Math.round(nMlp / s1);
    figures["relayer.node.ceilingRps"] = Math.round(nMlp / (b1.mineMs / 1000));
    console.log(
      `mlp: ${nMlp} answered in ${s1.toFixed(2)} s; the node mined the ${nMlp} requests in ${b1.mineMs.toFixed(0)} ms`,
    );
    await breakdown(devnet, b1.block, b1.t0, "mlp");
    relayerProgress("mlp", b1.t0);

    // ---- MLP latency at a steady modest rate (automine)
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
      pending.push(
        (async () => {
          const topic = "0x" + id.toString(16).padStart(64, "0");
          for (;;) {
            const logs = await devnet.provider.getLogs({
              address: devnet.addresses.coordinator,
              fromBlock: receipt!.blockNumber,
              toBlock: "latest",
              topics: [ANSWER_SUBMITTED, topic],
            });
            if (logs.length > 0) {
              lat.push(performance.now() - t0);
              return;
            }
            await sleep(25);
          }
        })(),
      );
      await sleep(200);
    }
    await Promise.all(pending);
    figures["relayer.mlp.latencyP50Ms"] = Math.round(percentile(lat, 50));
    figures["relayer.mlp.latencyP99Ms"] = Math.round(percentile(lat, 99));

    // ---- Silero throughput (inputs by hash + URI)
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
    relayerProgress("silero", b2.t0);

    // ---- Heavy model: served vs bare onnxruntime (same session options, same concurrency)
    const x = Float32Array.from(
      { length: HEAVY_MODEL.input },
      (_, i) => Math.round((((i * 7919) % 1000) / 1000 - 0.5) * 4096) / 4096,
    );
    const hInput = encodeTensors([fixed("x", [1, HEAVY_MODEL.input], x)]);
    const nHeavy = QUICK ? 40 : 240;
    // Warm the relayer's heavy session first (model load is not throughput).
    const hw = await burst(devnet, [inlineParams(devnet.models[heavy.name]!, hInput)]);
    await drain(devnet, hw.block, 1, hw.t0, 120_000);
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
    const s3 = await drain(devnet, b3.block, nHeavy, b3.t0, 600_000);
    const served = nHeavy / s3;
    await breakdown(devnet, b3.block, b3.t0, "heavy");
    relayerProgress("heavy", b3.t0);
    await relayer.kill("SIGTERM");

    const session = await ort.InferenceSession.create(await readFile(heavy.file), sessionOptions(1));
    const feeds = { x: new ort.Tensor("float32", x, [1, HEAVY_MODEL.input]) };
    await session.run(feeds);
    const tb = performance.now();
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        while (next++ < nHeavy) await session.run(feeds);
      }),
    );
    const bare = nHeavy / ((performance.now() - tb) / 1000);
    await session.release();
    figures["relayer.heavy.servedOverBare"] = Math.round((served / bare) * 100) / 100;
    console.log(`heavy: served ${served.toFixed(2)}/s, bare ${bare.toFixed(2)}/s`);
  } catch (e) {
    console.error(`relayer's last log lines:\n${relayerTail()}`);
    throw e;
  } finally {
    await relayer.kill();
    await devnet.stop();
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }

  console.log(figures);
  recordBenchmarks("Relayer", figures, {
    description:
      "Real relayer process against a local hardhat node (scripts/lib/devnet.ts), one operator, 2 shared cores. " +
      "Throughput: requests signed locally and sent with automine off, mined in ONE block, then a block every 200 ms; " +
      "answered requests per second (AnswerSubmitted) from that block until the last answer is mined, the relayer batching " +
      "up to 100 answers per submitAnswers, cut to what fits the 2^24 per-transaction gas cap (EIP-7825), simulated by one " +
      "eth_call, sent while later answers are still computed, up to 8 transactions in flight, job state changes committed " +
      "in batches (SQLite WAL, synchronous=NORMAL); the node's own logging is off. Latency: automine, one request every 200 ms, request " +
      "receipt → answer log visible (relayer poll 100 ms). Silero inputs travel by hash + file:// URI. Heavy: " +
      `${HEAVY_MODEL.name} ([1,${HEAVY_MODEL.input}] inline → [1,${HEAVY_MODEL.output}], ${HEAVY_MODEL.depth} GEMVs over one 1024² weight); ` +
      "bare = the same session options and concurrency (2) without the relayer, after it stopped (onnxruntime-node runs " +
      "a session synchronously on the calling thread, so both run one inference at a time on the main thread). Bounds: the hardhat node's " +
      "own execution (relayer.node.ceilingRps = requestInference txs it mines per second; answers cost ~55k gas each), " +
      "secp256k1 signing (1.5–2 ms of JS per answer), and the node, the bench client and the relayer sharing 2 cores " +
      "with other jobs." +
      (QUICK ? " (quick run)" : ""),
    targets: {
      "relayer.mlp.throughputRps": { min: 500 },
      "relayer.heavy.servedOverBare": { min: 0.9 },
    },
  });
}

await main();
