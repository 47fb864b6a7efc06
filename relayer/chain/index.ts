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
import { FetchRequest, JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { VerdictError } from "../../sdk/errors.js";
import { Staking__factory } from "../../types/ethers-contracts/index.js";
import type { RelayerContext } from "../service.js";
import { Assigner } from "./assigner.js";
import { Challenger } from "./challenger.js";
import { Computer } from "./compute.js";
import { lyingRunner } from "./dev-lie.js";
import { DutiesDb } from "./duties-db.js";
import { DisputeDuties } from "./juror.js";
import { fetchPolicyOf } from "../service.js";
import { NonceManager } from "./nonce.js";
import { ChainDb, type DisputeCandidate } from "./store.js";
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** While computing, answers persisted this long ago are submitted without waiting for a full batch. */
const EARLY_SUBMIT_MS = 250;

/**
 * JSON-RPC over the runtime's fetch: ethers' own transport converts every request and response
 * between strings and bytes in JavaScript, which dominated the relayer's CPU time with large
 * calldata (submitAnswers batches) and large eth_getLogs responses.
 */
class FetchJsonRpcProvider extends JsonRpcProvider {
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(url: string, chainId: bigint, timeoutMs: number) {
    super(new FetchRequest(url), Network.from(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      polling: false,
      cacheTimeout: -1,
    });
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const res = await fetch(this.#url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!res.ok && res.status !== 400 && res.status !== 500) {
      throw new Error(`JSON-RPC endpoint answered HTTP ${res.status}`);
    }
    const body = (await res.json()) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(body) ? body : [body];
  }
}

/** A provider that never re-detects the network and gives up on a dead endpoint quickly. */
export function makeProvider(url: string, chainId: bigint): JsonRpcProvider {
  return new FetchJsonRpcProvider(url, chainId, 15_000);
}

export async function startChainRelayer(
  ctx: RelayerContext,
  options: { onDisputeCandidate?: (c: DisputeCandidate) => Promise<void> } = {},
): Promise<ChainRelayer> {
  const { config, logger, db, metrics, runner } = ctx;
  const log = logger.child({ component: "chain" });
  const provider = makeProvider(config.rpcUrl, config.chainId);
  const signer = ctx.signer.connect(provider);

  // Chain id and signer registration, retried while the endpoint is unreachable.
  for (let attempt = 1; ; attempt++) {
    try {
      const id = BigInt(await provider.send("eth_chainId", []));
      if (id !== config.chainId) {
        throw new VerdictError(
          "CHAIN_ID_MISMATCH",
          `the RPC endpoint serves chain ${id}, configured ${config.chainId}`,
        );
      }
      const registered = await Staking__factory.connect(config.stakingAddress, provider).signerOf(
        config.operatorAddress,
      );
      if (registered.toLowerCase() !== signer.address.toLowerCase()) {
        throw new VerdictError(
          "SIGNER_NOT_REGISTERED",
          `operator ${config.operatorAddress} has signer ${registered}, not this relayer's ${signer.address}`,
        );
      }
      break;
    } catch (e) {
      if (e instanceof VerdictError) throw e;
      log.warn(
        { attempt, err: e instanceof Error ? e.message : String(e) },
        "RPC endpoint unavailable; retrying",
      );
      await sleep(Math.min(10_000, 500 * attempt));
    }
  }

  const chainDb = ChainDb.open(path.join(config.dataDir, CHAIN_DB_FILE));
  const dutiesDb = DutiesDb.open(path.join(config.dataDir, DUTIES_DB_FILE));
  if (config.devLie > 0) {
    // loadConfig refuses this outside chain 31337; said loudly, at start and on every lie.
    log.error(
      { devLie: config.devLie, chainId: config.chainId.toString() },
      "VERDICT_DEV_LIE: THIS RELAYER DELIBERATELY POSTS WRONG ANSWERS (devnet demo mode); it will be slashed",
    );
  }
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
    watchShare: config.watchtowerShare,
  });
  // Woken when answers were persisted (submit them now) instead of at the next poll.
  let wake: (() => void) | undefined;
  let lastWake = 0;
  const onPersisted = (): void => {
    const now = performance.now();
    if (now - lastWake < EARLY_SUBMIT_MS) return;
    lastWake = now;
    wake?.();
  };
  const computerOptions = {
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
  // The answers' computer (lying in VERDICT_DEV_LIE mode) and an honest one for the duties.
  const honest = new Computer(computerOptions);
  const computer =
    config.devLie > 0
      ? new Computer({
          ...computerOptions,
          runner: lyingRunner(
            runner,
            config.devLie,
            (modelHash) => log.error({ modelHash }, "VERDICT_DEV_LIE: perturbed this answer's output"),
            Math.random,
            config.devLieUnits,
          ),
        })
      : honest;
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
    options.onDisputeCandidate ??
    (challenger ? (c: DisputeCandidate) => challenger.onCandidate(c) : undefined);
  const watchtower = new Watchtower({
    chainDb,
    computer: honest,
    metrics,
    logger: log,
    onDisputeCandidate,
  });
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
  const recovered = submitter.recover();
  if (recovered > 0) log.info({ recovered }, "re-attached computed answers to their persisted transactions");

  let stopping = false;
  let failures = 0;
  /** Cumulative wall time per loop phase (ms), logged with each progress line. */
  const phaseMs = { sync: 0, track: 0, compute: 0, submit: 0, duties: 0 };
  const timed = async <T>(phase: keyof typeof phaseMs, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      phaseMs[phase] += performance.now() - t;
    }
  };
  /** The duties round running in the background, if any (never two at once, never awaited by a tick). */
  let dutiesRound: Promise<void> | undefined;
  const startDuties = (head: number, headTime: number): void => {
    if (dutiesRound !== undefined || stopping) return;
    dutiesRound = timed("duties", async () => {
      try {
        if (config.watchtowerShare > 0) await watchtower.run();
        await challenger?.run();
        await duties.run(head, headTime);
      } catch (e) {
        // Dispute duties never hold up answering: their failures are logged and retried next round.
        log.warn({ err: e instanceof Error ? e.message : String(e) }, "dispute duties failed; retrying");
      }
    }).finally(() => (dutiesRound = undefined));
  };
  let persistedSeen = computer.persisted;
  const tick = async (): Promise<boolean> => {
    const polled = await timed("sync", () => sync.poll());
    await timed("sync", () => assigner.run(polled.head, polled.headTime));
    const confirmed = await timed("track", () => submitter.track(polled.head));
    // Computing runs in the background: this only starts due jobs in free slots.
    computer.pump();
    const computed = computer.persisted - persistedSeen;
    persistedSeen = computer.persisted;
    const submitted = await timed("submit", () => submitter.submitDue());
    startDuties(polled.head, polled.headTime);
    const counts = db.countByState();
    metrics.setQueueDepth({
      pending: counts.pending,
      computed: counts.computed,
      submitted: counts.submitted,
    });
    if (polled.newJobs + confirmed + computed + submitted > 0) {
      const round = (o: Record<string, number>): Record<string, number> =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
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
          phaseMs: round(phaseMs),
          computeMs: round({ ...computer.profile }),
          submitMs: round({ ...submitter.profile }),
        },
        "progress",
      );
    }
    return counts.computed > 0 && submitted > 0;
  };
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
      if (!stopping && !busy) {
        const ms =
          failures === 0
            ? config.pollIntervalMs
            : Math.min(5_000, config.pollIntervalMs * 2 ** Math.min(failures, 4));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  })();

  return {
    chainDb,
    async stop() {
      stopping = true;
      wake?.();
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
