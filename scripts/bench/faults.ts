/**
 * Faults under load (issue 10): requests at a steady rate while the relayer is SIGKILLed and restarted and
 * its RPC endpoint drops; every request must end up answered exactly once. Run:
 * `npx hardhat run --no-compile scripts/bench/faults.ts` (VERDICT_BENCH_QUICK=1 for the short run;
 * VERDICT_FAULTS_SEED=<n> to change the seeded fault schedule).
 *
 * Set-up: a `hardhat node` child process mining a block every 500 ms (transactions wait in the mempool while
 * the relayer is down), the protocol deployed with ONE operator (so with k = 1 every request is assigned to
 * the operator the relayer serves), and the real relayer process (`relayer/main.ts run`, one data directory
 * kept across restarts) reaching the node only through a switchable TCP proxy. The bench client talks to the
 * node directly: only the relayer sees the outages.
 *
 * Run: N MLP requests (mlp-8x16x4, inline input, k = 1), signed locally with explicit nonces, sent at a steady
 * rate. Meanwhile the faults are played in a seeded random order at seeded random points of the send window;
 * each waits until the current relayer incarnation is live (its chain loop started) and strikes at a random
 * point up to 1.5 s later: a kill SIGKILLs the relayer's process group and starts a new one after a random
 * 0.2–1 s; a drop closes the proxy (connections refused, open ones cut) for a few seconds. After the sender
 * ends, waits (bounded) until every request has all its slots answered, then counts from the chain:
 * - faults.requests: RequestCreated by the bench's requester since the run started;
 * - faults.lost: requests with an assigned slot that has no AnswerSubmitted;
 * - faults.duplicated: requests with a slot that has more than one AnswerSubmitted (the contract reverts a
 *   second answer, so a duplicate attempt shows as faults.revertedTxs instead);
 * - faults.revertedTxs: transactions from the operator's signer (the relayer's sender) that reverted;
 * - faults.kills, faults.rpcDrops: the faults played;
 * - faults.recoveryP99Ms: per fault, from its end (relayer restarted / proxy back) until every request seen
 *   before that moment is answered (wall clock, 250 ms polling); p99 over the faults (= the worst one);
 * - faults.latencyP99Ms: request seen mined → answer seen mined, wall clock, over all requests.
 * Exits non-zero when a request is lost or duplicated (or fewer requests were created than sent), and
 * always stops the node, the relayer and the proxy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Log } from "ethers";
import { encodeTensors, toFixed } from "../../sdk/tensor.js";
import { coordinatorInterface, createdRequestsIn, parseCoordinatorLog } from "../../sdk/requests.js";
import { ANSWER_SUBMITTED, REQUEST_CREATED } from "../../relayer/chain/sync.js";
import {
  REPO_ROOT,
  generatedModel,
  inlineParams,
  rpc,
  signRequestTxs,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type RelayerProcess,
} from "../lib/devnet.js";
import { SwitchableProxy } from "../lib/proxy.js";
import { recordBenchmarks } from "./record.js";
import { sleep } from "../../sdk/retry.js";
import { decodeRevertData, revertDataOf } from "../../sdk/revert.js";
import { CodedError } from "../lib/errors.js";

// ------------------------------------------------------------------------------------------ pure helpers

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export type FaultKind = "kill" | "drop";

export interface Fault {
  kind: FaultKind;
  /** When the fault starts, in ms from the start of the send window. */
  atMs: number;
}

export class FaultsError extends CodedError<
  "BAD_SCHEDULE" | "LOST_OR_DUPLICATED" | "NOT_SENT" | "NOT_ANSWERED"
> {}

/**
 * `kills` kills and `drops` drops in a seeded random order, one per equal slice of the middle 90 % of a
 * `windowMs` send window, each at a random point of its slice (a drop early enough in it to end inside it).
 * Sorted by time; never overlapping.
 */
export function faultSchedule(
  rand: () => number,
  o: { kills: number; drops: number; windowMs: number; dropMs: number },
): Fault[] {
  const n = o.kills + o.drops;
  if (!Number.isInteger(o.kills) || !Number.isInteger(o.drops) || o.kills < 0 || o.drops < 0)
    throw new FaultsError("BAD_SCHEDULE", "kills and drops must be non-negative integers");
  if (n === 0) return [];
  const slice = (o.windowMs * 0.9) / n;
  if (!(o.windowMs > 0) || (o.drops > 0 && o.dropMs >= slice))
    throw new FaultsError(
      "BAD_SCHEDULE",
      `a ${o.dropMs} ms drop does not fit a ${slice.toFixed(0)} ms slice of the window`,
    );
  const kinds: FaultKind[] = [
    ...Array<FaultKind>(o.kills).fill("kill"),
    ...Array<FaultKind>(o.drops).fill("drop"),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds.map((kind, i) => {
    const room = kind === "drop" ? slice - o.dropMs : slice;
    return { kind, atMs: Math.round(o.windowMs * 0.05 + i * slice + rand() * room) };
  });
}

/** One assigned answer slot seen on chain. */
export interface SlotAnswer {
  requestId: bigint;
  index: number;
}

export interface Tally {
  requests: number;
  /** Requests with at least one assigned slot never answered. */
  lost: number;
  /** Requests with at least one slot answered more than once. */
  duplicated: number;
  /** Answers to requests that are not in `created` (another run's, or a bug). */
  stray: number;
  lostIds: bigint[];
  duplicatedIds: bigint[];
}

/** Counts lost and duplicated requests from the created requests (id → k) and the answers seen. */
export function tally(created: ReadonlyMap<bigint, number>, answers: readonly SlotAnswer[]): Tally {
  const perSlot = new Map<string, number>();
  let stray = 0;
  for (const a of answers) {
    if (!created.has(a.requestId)) {
      stray++;
      continue;
    }
    const key = `${a.requestId}:${a.index}`;
    perSlot.set(key, (perSlot.get(key) ?? 0) + 1);
  }
  const lostIds: bigint[] = [];
  const duplicatedIds: bigint[] = [];
  for (const [id, k] of created) {
    let lost = false;
    let dup = false;
    for (let i = 0; i < k; i++) {
      const c = perSlot.get(`${id}:${i}`) ?? 0;
      if (c === 0) lost = true;
      if (c > 1) dup = true;
    }
    if (lost) lostIds.push(id);
    if (dup) duplicatedIds.push(id);
  }
  return {
    requests: created.size,
    lost: lostIds.length,
    duplicated: duplicatedIds.length,
    stray,
    lostIds,
    duplicatedIds,
  };
}

/** The p-th percentile (nearest rank, 0 for no samples). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * Per fault, how long after its end (ms) every request seen before that end was answered: `created` and
 * `answered` map request ids to the wall time they were first seen mined. A request never answered makes
 * the recovery infinite.
 */
export function recoveryTimes(
  faultEnds: readonly number[],
  created: ReadonlyMap<bigint, number>,
  answered: ReadonlyMap<bigint, number>,
): number[] {
  return faultEnds.map((end) => {
    let last = end;
    for (const [id, seen] of created) {
      if (seen > end) continue;
      last = Math.max(last, answered.get(id) ?? Number.POSITIVE_INFINITY);
    }
    return last - end;
  });
}

// ------------------------------------------------------------------------------------------ the run

const QUICK = process.env.VERDICT_BENCH_QUICK === "1";
const SEED = Number(process.env.VERDICT_FAULTS_SEED ?? 20_250_610);
const N = QUICK ? 150 : 500;
const RATE = 10; // requests per second
const KILLS = QUICK ? 2 : 5;
const DROPS = QUICK ? 1 : 2;
const DROP_MS = QUICK ? 2_500 : 4_000;
const BLOCK_MS = 500;
const DRAIN_TIMEOUT_MS = 120_000;
const POLL_MS = 250;
const SCALE = 6;

/** Follows the coordinator's logs: when each request and each answer was first seen mined. */
class Watcher {
  readonly created = new Map<bigint, number>();
  readonly answered = new Map<bigint, number>();
  #next: number;
  #stopped = false;
  #loop: Promise<void> | undefined;
  errors = 0;

  constructor(
    private readonly devnet: Devnet,
    fromBlock: number,
    private readonly requester: string,
  ) {
    this.#next = fromBlock;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        try {
          await this.poll();
        } catch {
          this.errors++;
        }
        await sleep(POLL_MS);
      }
    })();
  }

  async poll(): Promise<void> {
    const head = await this.devnet.provider.getBlockNumber();
    if (head < this.#next) return;
    const logs = await this.devnet.provider.getLogs({
      address: this.devnet.addresses.coordinator,
      fromBlock: this.#next,
      toBlock: head,
      topics: [[REQUEST_CREATED, ANSWER_SUBMITTED]],
    });
    const now = Date.now();
    for (const log of logs) {
      const p = parseCoordinatorLog(log);
      if (p === null) continue;
      const id = BigInt(p.args.requestId as bigint);
      if (p.name === "RequestCreated") {
        if (String(p.args.requester).toLowerCase() === this.requester && !this.created.has(id))
          this.created.set(id, now);
      } else if (p.name === "AnswerSubmitted" && !this.answered.has(id)) {
        this.answered.set(id, now);
      }
    }
    this.#next = head + 1;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}

async function logsSince(devnet: Devnet, fromBlock: number, topic: string): Promise<Log[]> {
  return devnet.provider.getLogs({
    address: devnet.addresses.coordinator,
    fromBlock,
    toBlock: "latest",
    topics: [topic],
  });
}

/** Every request of the run (id → k) and every answer slot seen, from a full log scan. */
async function chainState(
  devnet: Devnet,
  fromBlock: number,
): Promise<{ created: Map<bigint, number>; answers: SlotAnswer[] }> {
  const requester = devnet.requester.address.toLowerCase();
  const created = new Map<bigint, number>();
  for (const c of createdRequestsIn(await logsSince(devnet, fromBlock, REQUEST_CREATED))) {
    if (c.request.requester.toLowerCase() !== requester) continue;
    created.set(c.requestId, Number(c.request.redundancy));
  }
  const answers: SlotAnswer[] = [];
  for (const log of await logsSince(devnet, fromBlock, ANSWER_SUBMITTED)) {
    const p = parseCoordinatorLog(log);
    if (p?.name !== "AnswerSubmitted") continue;
    answers.push({ requestId: BigInt(p.args.requestId as bigint), index: Number(p.args.index) });
  }
  return { created, answers };
}

/** Transactions `from` sent in blocks [fromBlock, head]; the reverted ones with their decoded reason. */
async function sentTxs(
  devnet: Devnet,
  fromBlock: number,
  from: string,
): Promise<{ sent: number; reverted: { hash: string; reason: string }[] }> {
  const head = await devnet.provider.getBlockNumber();
  const me = from.toLowerCase();
  let sent = 0;
  const reverted: { hash: string; reason: string }[] = [];
  for (let n = fromBlock; n <= head; n++) {
    const block = await devnet.provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== me) continue;
      sent++;
      const receipt = await devnet.provider.getTransactionReceipt(tx.hash);
      if (receipt?.status === 1) continue;
      // Why it reverted: replayed against the state before its block (approximate: earlier txs of the block
      // are not applied).
      let reason = "unknown";
      try {
        await devnet.provider.call({ from: tx.from, to: tx.to, data: tx.data, blockTag: n - 1 });
        reason = "succeeds on replay (reverted because of an earlier tx in its block)";
      } catch (e) {
        const data = revertDataOf(e);
        if (data !== undefined) {
          const err = decodeRevertData(data, coordinatorInterface);
          reason = err === null ? data : `${err.name}(${err.args.join(",")})`;
        }
      }
      reverted.push({ hash: tx.hash, reason });
    }
  }
  return { sent, reverted };
}

/** One faults run: the devnet behind its switchable proxy and the relayer's incarnations so far. */
interface FaultRun {
  readonly d: Devnet;
  readonly proxy: SwitchableProxy;
  readonly startBlock: number;
  readonly rand: () => number;
  /** Every relayer process started; the last is the live one. */
  readonly incarnations: RelayerProcess[];
  /** Starts a relayer incarnation on the kept data directory, through the proxy. */
  spawn(): RelayerProcess;
}

const live = (run: FaultRun): RelayerProcess => run.incarnations.at(-1)!;

/** Every request pre-signed (explicit nonces, fixed gas): the sender only broadcasts. */
async function presignRequests(d: Devnet, model: Devnet["models"][string]): Promise<string[]> {
  const params = Array.from({ length: N }, (_, i) => {
    const x = Array.from({ length: 8 }, (_, j) => (((i * 8 + j) % 23) - 11) / 8);
    return inlineParams(
      model,
      encodeTensors([{ name: "x", dtype: "fixed64", scale: SCALE, dims: [1, 8], data: toFixed(x, SCALE) }]),
    );
  });
  return signRequestTxs(d, params, 4n);
}

/** The load: one request every 1/RATE s (absolute targets: a slow send does not drift the rate). */
async function sendAtRate(d: Devnet, raws: readonly string[], tSend: number, load: { sending: boolean }) {
  const hashes: string[] = [];
  for (let i = 0; i < N; i++) {
    const wait = tSend + (i * 1_000) / RATE - Date.now();
    if (wait > 0) await sleep(wait);
    for (let attempt = 0; ; attempt++) {
      try {
        hashes.push(await rpc<string>(d.url, "eth_sendRawTransaction", [raws[i]!]));
        break;
      } catch (e) {
        if (attempt >= 4) throw e;
        await sleep(500);
      }
    }
  }
  load.sending = false;
  return hashes;
}

interface FaultLog {
  readonly ends: number[];
  kills: number;
  drops: number;
  afterLoad: number;
}

/** One fault: SIGKILL and restart the live relayer, or cut the RPC proxy for DROP_MS. */
async function strike(
  run: FaultRun,
  f: Fault,
  log: FaultLog,
  ctx: { tSend: number; underLoad: boolean; w: Watcher },
) {
  const { tSend, underLoad, w } = ctx;
  const at = Date.now() - tSend;
  const tail = `(${w.answered.size}/${w.created.size} answered)${underLoad ? "" : ", after the load"}`;
  if (f.kind === "kill") {
    const r = live(run);
    const ticks = r.lines().filter((l) => l.includes('"msg":"progress"')).length;
    await r.kill("SIGKILL");
    await sleep(200 + Math.floor(run.rand() * 800));
    run.spawn();
    log.ends.push(Date.now());
    log.kills++;
    console.log(
      `faults: kill ${log.kills} at ${(at / 1000).toFixed(1)} s, after ${ticks} busy ticks of that incarnation ${tail}`,
    );
  } else {
    await run.proxy.down();
    await sleep(DROP_MS);
    await run.proxy.up();
    log.ends.push(Date.now());
    log.drops++;
    console.log(`faults: RPC drop ${log.drops} at ${(at / 1000).toFixed(1)} s for ${DROP_MS} ms ${tail}`);
  }
}

/** The schedule's faults, each at its time from `tSend`. */
async function injectFaults(
  run: FaultRun,
  schedule: readonly Fault[],
  tSend: number,
  load: { sending: boolean },
  w: Watcher,
): Promise<FaultLog> {
  const log: FaultLog = { ends: [], kills: 0, drops: 0, afterLoad: 0 };
  for (const f of schedule) {
    const wait = tSend + f.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    // Strike only a live incarnation (its chain loop started: state restored, the first tick — re-sending
    // persisted transactions, syncing the backlog, computing, submitting — under way; start-up time varies
    // with machine load), at a random point up to 1.5 s later: mid-sync, mid-batch, mid-transaction or
    // between them. Waiting for an answer first would push the faults past the load (a restart costs ~8 s
    // on 2 busy cores).
    try {
      await live(run).waitFor((l) => l.includes("chain loop started"), 60_000);
    } catch {
      console.warn(`faults: relayer incarnation not started in 60 s; ${f.kind} anyway`);
    }
    await sleep(Math.floor(run.rand() * 1_500));
    const underLoad = load.sending;
    if (!underLoad) log.afterLoad++;
    await strike(run, f, log, { tSend, underLoad, w });
  }
  return log;
}

/** Every request transaction mined (and not reverted) within 60 s. */
async function waitMined(d: Devnet, hashes: readonly string[]): Promise<void> {
  const mineDeadline = Date.now() + 60_000;
  for (const h of hashes) {
    for (;;) {
      const r = await d.provider.getTransactionReceipt(h);
      if (r !== null) {
        if (r.status !== 1) throw new FaultsError("NOT_SENT", `request tx ${h} reverted`);
        break;
      }
      if (Date.now() > mineDeadline) throw new FaultsError("NOT_SENT", `request tx ${h} not mined in 60 s`);
      await sleep(POLL_MS);
    }
  }
}

/** Waits (bounded) until every slot of every request is answered, then lets stray duplicates land. */
async function drainAnswers(d: Devnet, startBlock: number, w: Watcher): Promise<Tally> {
  const tDrain = Date.now();
  let state = await chainState(d, startBlock);
  let t = tally(state.created, state.answers);
  while (t.lost > 0 && Date.now() - tDrain < DRAIN_TIMEOUT_MS) {
    await sleep(500);
    state = await chainState(d, startBlock);
    t = tally(state.created, state.answers);
  }
  console.log(
    `faults: ${t.requests - t.lost}/${t.requests} answered ${((Date.now() - tDrain) / 1000).toFixed(1)} s after the faults`,
  );
  // Let a stray duplicate (a resent transaction still in the mempool) land before the final count.
  await sleep(3 * BLOCK_MS + 1_000);
  await w.poll();
  await w.stop();
  state = await chainState(d, startBlock);
  return tally(state.created, state.answers);
}

function recordFaults(figures: Record<string, number>): void {
  recordBenchmarks("Faults under load", figures, {
    description:
      `${N} MLP requests (k = 1, inline input) at ${RATE}/s to a local hardhat node mining every ${BLOCK_MS} ms, served by ` +
      `the real relayer process (one operator, its data directory kept across restarts) reaching the node through a ` +
      `switchable TCP proxy; meanwhile the relayer is SIGKILLed (whole process group, at a random point once its chain loop runs) and ` +
      `restarted ${KILLS} times and the proxy refuses and cuts connections ${DROPS} times for ${DROP_MS / 1000} s, at ` +
      `seeded random points (seed ${SEED}). Counted from chain logs after every request is answered: lost = requests ` +
      `with an assigned slot without AnswerSubmitted, duplicated = slots answered more than once, revertedTxs = ` +
      `reverted transactions from the operator's signer. recoveryP99Ms: per fault, end of the fault → every request ` +
      `mined before it answered (wall clock, includes the relayer's start-up), worst of the faults; latencyP99Ms: ` +
      `request mined → answer mined over the whole run (250 ms polling).` +
      (QUICK ? " (quick run: fewer requests and faults)" : ""),
    targets: {
      "faults.lost": { max: 0 },
      "faults.duplicated": { max: 0 },
      "faults.revertedTxs": { max: 0 },
    },
  });
}

/** Counts, records and checks the run: no request lost, none answered twice. */
async function score(run: FaultRun, w: Watcher, log: FaultLog, t: Tally, t0: number, relayerLog: string) {
  const { d, startBlock } = run;
  const txs = await sentTxs(d, startBlock, d.operators[0]!.signerAddress);
  const recovery = recoveryTimes(log.ends, w.created, w.answered);
  const latencies = [...w.created].flatMap(([id, c]) => {
    const a = w.answered.get(id);
    return a === undefined ? [] : [Math.max(0, a - c)];
  });
  const figures: Record<string, number> = {
    "faults.requests": t.requests,
    "faults.lost": t.lost,
    "faults.duplicated": t.duplicated,
    "faults.revertedTxs": txs.reverted.length,
    "faults.kills": log.kills,
    "faults.rpcDrops": log.drops,
    "faults.answerTxs": txs.sent,
  };
  if (recovery.every(Number.isFinite)) figures["faults.recoveryP99Ms"] = Math.round(percentile(recovery, 99));
  if (latencies.length > 0) figures["faults.latencyP99Ms"] = Math.round(percentile(latencies, 99));
  console.log(figures);
  console.log(
    `faults: recovery per fault (ms): ${recovery.map((r) => (Number.isFinite(r) ? Math.round(r) : "never")).join(", ")}; ` +
      `${run.incarnations.length} relayer incarnations; watcher errors ${w.errors}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const r of txs.reverted) console.log(`faults: reverted answer tx ${r.hash}: ${r.reason}`);
  if (t.stray > 0) console.log(`faults: ${t.stray} answers to requests outside the run`);
  recordFaults(figures);
  if (t.requests !== N) throw new FaultsError("NOT_SENT", `${t.requests} requests created, ${N} sent`);
  if (t.lost > 0 || t.duplicated > 0)
    throw new FaultsError(
      "LOST_OR_DUPLICATED",
      `${t.lost} lost (${t.lostIds.slice(0, 20).join(",")}), ${t.duplicated} duplicated ` +
        `(${t.duplicatedIds.slice(0, 20).join(",")}); relayer logs in ${path.relative(REPO_ROOT, relayerLog)}`,
    );
}

/** The devnet behind a proxy, mining every BLOCK_MS, and the first relayer incarnation following it. */
async function startFaultRun(
  d: Devnet,
  proxy: SwitchableProxy,
  rand: () => number,
  tmp: string,
  incarnations: RelayerProcess[],
): Promise<FaultRun> {
  await rpc(d.url, "evm_setAutomine", [false]);
  await rpc(d.url, "evm_setIntervalMining", [BLOCK_MS]);
  const startBlock = await d.provider.getBlockNumber();
  const dataDir = path.join(tmp, "relayer");
  const spawn = (): RelayerProcess => {
    const r = startRelayerProcess(
      d.relayerEnv(0, {
        VERDICT_RPC_URL: `http://127.0.0.1:${proxy.port}`,
        VERDICT_DATA_DIR: dataDir,
        VERDICT_START_BLOCK: String(startBlock),
        VERDICT_POLL_INTERVAL_MS: "200",
      }),
    );
    incarnations.push(r);
    return r;
  };
  const run: FaultRun = { d, proxy, startBlock, rand, incarnations, spawn };
  await spawn().waitFor((l) => l.includes("chain loop started"), 90_000);
  return run;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const mlp = generatedModel("mlp-8x16x4");
  const tmp = mkdtempSync(path.join(tmpdir(), "verdict-bench-faults-"));
  const logDir = path.join(REPO_ROOT, ".verdict/bench/logs");
  mkdirSync(logDir, { recursive: true });
  const relayerLog = path.join(logDir, "faults-relayer.log");
  // One seeded stream: the schedule first, then the random delays of the strikes.
  const rand = seededRandom(SEED);
  const windowMs = (N / RATE) * 1_000;
  const schedule = faultSchedule(rand, { kills: KILLS, drops: DROPS, windowMs, dropMs: DROP_MS });
  console.log(
    `faults: ${QUICK ? "quick" : "full"} run, ${N} requests at ${RATE}/s, ${KILLS} kills, ${DROPS} RPC drops ` +
      `of ${DROP_MS} ms, seed ${SEED}; schedule ${schedule.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(1)}s`).join(" ")}`,
  );

  let devnet: Devnet | undefined;
  let proxy: SwitchableProxy | undefined;
  let watcher: Watcher | undefined;
  const incarnations: RelayerProcess[] = [];
  const dumpRelayerLogs = (): void => {
    const text = incarnations
      .map((r, i) => [`--- incarnation ${i}`, ...r.lines(), r.stderr()].join("\n"))
      .join("\n");
    writeFileSync(relayerLog, text + "\n");
  };
  try {
    devnet = await startDevnet({ operators: 1, models: [mlp], prepaidRequests: 10_000n });
    const d = devnet;
    console.log(`faults: devnet up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    proxy = new SwitchableProxy(d.node.port);
    await proxy.up();
    const run = await startFaultRun(d, proxy, rand, tmp, incarnations);
    const raws = await presignRequests(d, d.models[mlp.name]!);
    watcher = new Watcher(d, run.startBlock, d.requester.address.toLowerCase());
    watcher.start();
    const tSend = Date.now();
    const load = { sending: true };
    const [hashes, log] = await Promise.all([
      sendAtRate(d, raws, tSend, load),
      injectFaults(run, schedule, tSend, load, watcher),
    ]);
    console.log(
      `faults: ${hashes.length} requests sent; faults done at ${((Date.now() - tSend) / 1000).toFixed(1)} s` +
        (log.afterLoad > 0 ? ` (${log.afterLoad} of them after the last request was sent)` : ""),
    );
    await waitMined(d, hashes);
    const t = await drainAnswers(d, run.startBlock, watcher);
    await score(run, watcher, log, t, t0, relayerLog);
  } catch (e) {
    const relayer = incarnations.at(-1);
    if (relayer !== undefined)
      console.error(
        `relayer's last log lines:\n${[...relayer.lines().slice(-20), relayer.stderr().slice(-1_500)]
          .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
          .join("\n")}`,
      );
    throw e;
  } finally {
    dumpRelayerLogs();
    await watcher?.stop();
    for (const r of incarnations) await r.kill("SIGKILL");
    await proxy?.down();
    await devnet?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// Run only as a script (`hardhat run … scripts/bench/faults.ts`), not when a test imports the helpers.
if (process.argv.some((a) => a.replace(/\\/g, "/").endsWith("scripts/bench/faults.ts"))) {
  // A signal ends the process through "exit", whose hook (scripts/lib/devnet.ts) kills every child.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
  try {
    await main();
  } catch (e) {
    console.error(e instanceof Error ? `faults: ${e.message}` : e);
    process.exit(1);
  }
}
