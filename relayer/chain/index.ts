/**
 * The chain side of the relayer: one loop that, every poll interval, follows the chain (sync), settles
 * in-flight answer transactions (track), starts computing due answers (compute, in the background) and
 * submits persisted answers in batches (submit). The loop NEVER waits for compute: inference runs in
 * child processes with a per-job deadline, the computer persists answers on its own and wakes the loop
 * to submit them. The re-execution duties (watchtower, challenger: file disputes for the watchtower's
 * candidates; juror: commit/reveal when drawn; keeper: drawJury/settle/escalate when due) run as their
 * own background task, one round at a time, so a slow re-execution never holds up sync, transaction
 * tracking or /healthz. Answers and duties send from the signer key through ONE nonce manager and under
 * one fee cap. RPC failures are logged and retried with backoff; /healthz turns 503 while polls fail and
 * 200 once they succeed again.
 */
import path from "node:path";
import type { JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { DEFAULT_LOG_RANGE } from "../../sdk/logs.js";
import { rpcProvider } from "../../sdk/rpc.js";
import { checkSetup } from "../setup.js";
import type { RelayerContext } from "../service.js";
import { Assigner } from "./assigner.js";
import { Challenger } from "./challenger.js";
import { Computer } from "./compute.js";
import { lyingRunner } from "./dev-lie.js";
import { DutiesDb } from "../db/duties.js";
import { DisputeDuties } from "./juror.js";
import { fetchPolicyOf } from "../service.js";
import { SIGNER_BALANCE_REFRESH_MS } from "../metrics.js";
import { NonceManager } from "./nonce.js";
import { ChainDb, type DisputeCandidate } from "../db/requests.js";
import { Submitter } from "./submitter.js";
import { ChainSync } from "./sync.js";
import { Watchtower } from "./watchtower.js";

export const CHAIN_DB_FILE = "chain.db";
export const DUTIES_DB_FILE = "duties.db";

export interface ChainRelayer {
  chainDb: ChainDb;
  /** Resolves when the loop has stopped. */
  stop(): Promise<void>;
}

/** While computing, answers persisted this long ago are submitted without waiting for a full batch. */
const EARLY_SUBMIT_MS = 250;

/**
 * The relayer's provider (sdk/rpc.ts): JSON-RPC over the runtime's fetch (ethers' own transport converts
 * large calldata and eth_getLogs responses byte by byte in JavaScript), rate limits retried after their
 * Retry-After, eth_getLogs in ranges of at most `logRange` blocks, halved when the provider refuses one.
 */
export function makeProvider(url: string, chainId: bigint, logRange?: number): JsonRpcProvider {
  return rpcProvider(url, chainId, { timeoutMs: 15_000, logs: { maxRange: logRange ?? DEFAULT_LOG_RANGE } });
}

type Config = RelayerContext["config"];

/** What the loop drives: the chain follower, the computers, the submitter and the dispute duties. */
interface ChainParts {
  provider: JsonRpcProvider;
  /** The relayer's signer, whose gas balance is watched (verdict_signer_balance_wei). */
  signerAddress: string;
  chainDb: ChainDb;
  dutiesDb: DutiesDb;
  sync: ChainSync;
  /** The answers' computer (lying in VERDICT_DEV_LIE mode). */
  computer: Computer;
  /** An honest computer for the duties (the same object unless VERDICT_DEV_LIE). */
  honest: Computer;
  submitter: Submitter;
  /** Draws the operators of requests whose randomness exists (issue 16; assigner.ts). */
  assigner: Assigner;
  /** One round of the re-execution duties (watchtower, challenger, juror, keeper). */
  dutiesRound: (head: number, headTime: number) => Promise<void>;
  /** Wakes the loop (set by the loop while it sleeps). */
  wakeup: { wake: (() => void) | undefined };
}

/** chain.db and duties.db, both bound to this chain and coordinator (DB_CHAIN_MISMATCH otherwise). */
function openChainDbs(config: Config): { chainDb: ChainDb; dutiesDb: DutiesDb } {
  const binding = { chainId: config.chainId, coordinator: config.coordinatorAddress };
  const chainDb = ChainDb.open(path.join(config.dataDir, CHAIN_DB_FILE), binding);
  try {
    return { chainDb, dutiesDb: DutiesDb.open(path.join(config.dataDir, DUTIES_DB_FILE), binding) };
  } catch (e) {
    chainDb.close();
    throw e;
  }
}

/** The answers' computer (lying in VERDICT_DEV_LIE mode) and an honest one for the duties. */
function makeComputers(
  ctx: RelayerContext,
  deps: { provider: JsonRpcProvider; signer: Wallet; chainDb: ChainDb; sync: ChainSync; log: Logger },
  onPersisted: () => void,
): { computer: Computer; honest: Computer } {
  const { config, db, metrics, runner } = ctx;
  const { provider, signer, chainDb, sync, log } = deps;
  const options = {
    provider,
    fetchPolicy: fetchPolicyOf(config),
    maxInputBytes: config.maxInputBytes,
    onPersisted,
    db,
    chainDb,
    runner,
    signer,
    metrics,
    logger: log,
    chainId: config.chainId,
    coordinator: config.coordinatorAddress,
    registry: config.registryAddress,
    concurrency: config.concurrency,
    headTime: () => sync.headTime,
  };
  const honest = new Computer(options);
  if (config.devLie <= 0) return { computer: honest, honest };
  // loadConfig refuses this outside chain 31337; said loudly, at start and on every lie.
  log.error(
    { devLie: config.devLie, chainId: config.chainId.toString() },
    "VERDICT_DEV_LIE: THIS RELAYER DELIBERATELY POSTS WRONG ANSWERS (devnet demo mode); it will be slashed",
  );
  const lying = lyingRunner(
    runner,
    config.devLie,
    (modelHash) => log.error({ modelHash }, "VERDICT_DEV_LIE: perturbed this answer's output"),
    Math.random,
    config.devLieUnits,
  );
  return { computer: new Computer({ ...options, runner: lying }), honest };
}

/**
 * The re-execution duties as one round: the watchtower re-runs a share of others' answers, the
 * challenger files disputes for its candidates, the juror votes and the keeper moves disputes on.
 */
function makeDutiesRound(
  ctx: RelayerContext,
  deps: {
    provider: JsonRpcProvider;
    signer: Wallet;
    chainDb: ChainDb;
    dutiesDb: DutiesDb;
    honest: Computer;
    nonces: NonceManager;
    log: Logger;
  },
  onDisputeCandidateOption: ((c: DisputeCandidate) => Promise<void>) | undefined,
): (head: number, headTime: number) => Promise<void> {
  const { config, metrics } = ctx;
  const { provider, signer, chainDb, dutiesDb, honest, nonces, log } = deps;
  const duties = new DisputeDuties({
    provider,
    signer,
    duties: dutiesDb,
    computer: honest,
    chainDb,
    logger: log,
    coordinator: config.coordinatorAddress,
    operator: config.operatorAddress,
    confirmations: config.confirmations,
    startBlock: config.startBlock,
    juror: config.juror,
    metrics,
    sender: { nonces, maxFeePerGas: config.maxFeePerGas, stuckMs: config.stuckTxMs },
  });
  const challenger = config.challenger
    ? new Challenger({
        provider,
        duties: dutiesDb,
        keeper: duties,
        chainDb,
        computer: honest,
        logger: log,
        coordinator: config.coordinatorAddress,
        signerAddress: signer.address,
        budget: config.challengerBondBudget,
      })
    : undefined;
  const onDisputeCandidate =
    onDisputeCandidateOption ?? (challenger ? (c: DisputeCandidate) => challenger.onCandidate(c) : undefined);
  const watchtower = new Watchtower({ chainDb, computer: honest, metrics, logger: log, onDisputeCandidate });
  if (config.challenger || config.juror) {
    log.info(
      {
        challenger: config.challenger,
        juror: config.juror,
        bondBudget: config.challengerBondBudget.toString(),
      },
      "dispute duties enabled",
    );
  }
  return async (head, headTime) => {
    if (config.watchtowerShare > 0) await watchtower.run();
    await challenger?.run();
    await duties.run(head, headTime);
  };
}

/** Builds every part the loop drives, on an endpoint already checked. */
function makeParts(
  ctx: RelayerContext,
  provider: JsonRpcProvider,
  signer: Wallet,
  log: Logger,
  onDisputeCandidate: ((c: DisputeCandidate) => Promise<void>) | undefined,
): ChainParts {
  const { config, db, metrics } = ctx;
  const { chainDb, dutiesDb } = openChainDbs(config);
  const sync = new ChainSync({
    provider,
    db,
    chainDb,
    metrics,
    logger: log,
    coordinator: config.coordinatorAddress,
    operator: config.operatorAddress,
    confirmations: config.confirmations,
    startBlock: config.startBlock,
    maxRange: config.logRange,
    watchShare: config.watchtowerShare,
  });
  // Woken when answers were persisted (submit them now) instead of at the next poll.
  const wakeup: ChainParts["wakeup"] = { wake: undefined };
  let lastWake = 0;
  const onPersisted = (): void => {
    const now = performance.now();
    if (now - lastWake < EARLY_SUBMIT_MS) return;
    lastWake = now;
    wakeup.wake?.();
  };
  const { computer, honest } = makeComputers(ctx, { provider, signer, chainDb, sync, log }, onPersisted);
  const nonces = new NonceManager(provider, signer.address);
  // Any relayer draws the operators of requests whose randomness exists (issue 16; assigner.ts).
  const assigner = new Assigner({
    provider,
    signer,
    coordinator: config.coordinatorAddress,
    sync,
    logger: log,
    sender: { nonces, maxFeePerGas: config.maxFeePerGas, stuckMs: config.stuckTxMs },
  });
  const submitter = new Submitter({
    provider,
    nonces,
    maxFeePerGas: config.maxFeePerGas,
    db,
    chainDb,
    signer,
    metrics,
    logger: log,
    chainId: config.chainId,
    coordinator: config.coordinatorAddress,
    operator: config.operatorAddress,
    confirmations: config.confirmations,
    maxBatch: config.maxBatch,
    maxInFlight: config.maxInFlightTxs,
    stuckMs: config.stuckTxMs,
  });
  const dutiesRound = makeDutiesRound(
    ctx,
    { provider, signer, chainDb, dutiesDb, honest, nonces, log },
    onDisputeCandidate,
  );
  return {
    provider,
    signerAddress: signer.address,
    chainDb,
    dutiesDb,
    sync,
    computer,
    honest,
    submitter,
    assigner,
    dutiesRound,
    wakeup,
  };
}

/** Cumulative wall time per loop phase (ms), logged with each progress line. */
type PhaseMs = { sync: number; track: number; compute: number; submit: number; duties: number };

/** Runs `f`, adding its wall time to `phaseMs[phase]`. */
async function timed<T>(phaseMs: PhaseMs, phase: keyof PhaseMs, f: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await f();
  } finally {
    phaseMs[phase] += performance.now() - t;
  }
}

const roundMs = (o: object): Record<string, number> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(Number(v))]));

/**
 * One loop iteration: sync, track, start computing (background), submit, start a duties round
 * (background). Returns true when more computed answers are waiting to be submitted at once.
 */
function makeTick(
  ctx: RelayerContext,
  parts: ChainParts,
  log: Logger,
  phaseMs: PhaseMs,
  startDuties: (head: number, headTime: number) => void,
): () => Promise<boolean> {
  const { db, metrics } = ctx;
  const { sync, submitter, computer } = parts;
  let persistedSeen = computer.persisted;
  return async () => {
    const polled = await timed(phaseMs, "sync", () => sync.poll());
    await timed(phaseMs, "sync", () => parts.assigner.run(polled.head, polled.headTime));
    const confirmed = await timed(phaseMs, "track", () => submitter.track(polled.head));
    // Computing runs in the background: this only starts due jobs in free slots.
    computer.pump();
    const computed = computer.persisted - persistedSeen;
    persistedSeen = computer.persisted;
    const submitted = await timed(phaseMs, "submit", () => submitter.submitDue());
    startDuties(polled.head, polled.headTime);
    const counts = db.countByState();
    metrics.setQueueDepth({
      pending: counts.pending,
      computed: counts.computed,
      submitted: counts.submitted,
    });
    if (polled.newJobs + confirmed + computed + submitted > 0) {
      log.info(
        {
          head: polled.head,
          newJobs: polled.newJobs,
          computed,
          submitted,
          confirmed,
          computing: computer.inFlight,
          queue: counts,
          // Cumulative ms: loop phases, and inside them inference/signing/persisting and submission.
          phaseMs: roundMs(phaseMs),
          computeMs: roundMs(computer.profile),
          submitMs: roundMs(submitter.profile),
        },
        "progress",
      );
    }
    return counts.computed > 0 && submitted > 0;
  };
}

/** Runs the loop until `stop`; RPC failures back off and are logged every tenth time. */
function runLoop(ctx: RelayerContext, parts: ChainParts, log: Logger): ChainRelayer {
  const { config, db } = ctx;
  const { wakeup, computer, honest, chainDb, dutiesDb, provider } = parts;
  const stopBalance = ctx.metrics.trackSignerBalance(
    () => provider.getBalance(parts.signerAddress),
    SIGNER_BALANCE_REFRESH_MS,
    (e) => log.debug({ err: e instanceof Error ? e.message : String(e) }, "signer balance not read"),
  );
  let stopping = false;
  let failures = 0;
  const phaseMs: PhaseMs = { sync: 0, track: 0, compute: 0, submit: 0, duties: 0 };
  /** The duties round running in the background, if any (never two at once, never awaited by a tick). */
  let dutiesRound: Promise<void> | undefined;
  const startDuties = (head: number, headTime: number): void => {
    if (dutiesRound !== undefined || stopping) return;
    dutiesRound = timed(phaseMs, "duties", () =>
      parts.dutiesRound(head, headTime).catch((e: unknown) => {
        // Dispute duties never hold up answering: their failures are logged and retried next round.
        log.warn({ err: e instanceof Error ? e.message : String(e) }, "dispute duties failed; retrying");
      }),
    ).finally(() => (dutiesRound = undefined));
  };
  const tick = makeTick(ctx, parts, log, phaseMs, startDuties);
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wakeup.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }).finally(() => (wakeup.wake = undefined));
  const loop = (async () => {
    log.info({ cursor: db.getCursor() ?? null }, "chain loop started");
    while (!stopping) {
      let busy = false;
      try {
        busy = await tick();
        if (failures > 0) log.info({ failures }, "RPC endpoint reachable again");
        failures = 0;
      } catch (e) {
        failures++;
        const level = failures === 1 || failures % 10 === 0 ? "warn" : "debug";
        log[level](
          { failures, err: e instanceof Error ? e.message : String(e) },
          "chain loop iteration failed; retrying",
        );
      }
      if (stopping || busy) continue;
      const backoff = config.pollIntervalMs * 2 ** Math.min(failures, 4);
      await pause(failures === 0 ? config.pollIntervalMs : Math.min(5_000, backoff));
    }
  })();
  return {
    chainDb,
    async stop() {
      stopping = true;
      stopBalance();
      wakeup.wake?.();
      await loop;
      await dutiesRound;
      await computer.drain(); // in-flight jobs finish and are persisted; nothing new starts
      if (honest !== computer) await honest.drain();
      chainDb.close();
      dutiesDb.close();
      provider.destroy();
    },
  };
}

/**
 * Starts the chain loop: checks the endpoint and the signer's registration, opens the chain databases
 * (bound to this chain), builds the parts, re-attaches persisted transactions and runs the loop.
 */
export async function startChainRelayer(
  ctx: RelayerContext,
  options: { onDisputeCandidate?: (c: DisputeCandidate) => Promise<void> } = {},
): Promise<ChainRelayer> {
  const log = ctx.logger.child({ component: "chain" });
  const provider = makeProvider(ctx.config.rpcUrl, ctx.config.chainId, ctx.config.logRange);
  const signer = ctx.signer.connect(provider);
  // Setup checks (relayer/setup.ts): a typed error for every mistake; only an endpoint that does not
  // answer at all is waited for. The parts start from the checked start block and registry.
  const setup = await checkSetup({
    provider,
    config: ctx.config,
    signerAddress: signer.address,
    logger: log,
    waitForRpc: true,
  });
  log.info(
    { addresses: setup.addresses, startBlock: setup.startBlock, balance: setup.balance.toString() },
    "setup checked",
  );
  const checked = { ...ctx.config, startBlock: setup.startBlock, registryAddress: setup.addresses.registry };
  const parts = makeParts({ ...ctx, config: checked }, provider, signer, log, options.onDisputeCandidate);
  const recovered = parts.submitter.recover();
  if (recovered > 0) log.info({ recovered }, "re-attached computed answers to their persisted transactions");
  return runLoop(ctx, parts, log);
}
