/**
 * Chain following: polls the coordinator's logs from the persisted cursor up to head − confirmations,
 * records each processed range's last block hash, detects reorgs by re-checking the cursor's hash and
 * rewinds to the last block whose stored hash still matches. A request's operators are drawn after it is
 * created (`OperatorsAssigned`, issue 16): created requests wait as `unassigned` (in memory and in chain.db, so a
 * restart still draws them; any relayer may send their `assign`, see assigner.ts; `TicketRenewed` updates their
 * ticket), and requests drawn to this operator become `pending` jobs (with the
 * committed request persisted for later calls); others are ignored, except that a share of other operators'
 * answers is queued for the watchtower. Starting without a cursor back-fills from the start block
 * (relayer/setup.ts: VERDICT_START_BLOCK, else the deployment's, else head − confirmations): open requests
 * assigned to us are served. Logs are read in bounded ranges (sdk/logs.ts).
 */
import type { JsonRpcProvider, Log } from "ethers";
import type { Logger } from "pino";
import {
  assignmentsIn,
  coordinatorInterface,
  createdRequestsIn,
  operatorIndex,
  withAssignment,
  type CreatedRequest,
} from "../../sdk/requests.js";
import { StoreError } from "../errors.js";
import type { RelayerMetrics } from "../metrics.js";
import type { RelayerDb } from "../db/jobs.js";
import type { ChainDb } from "../db/requests.js";

export const REQUEST_CREATED = coordinatorInterface.getEvent("RequestCreated")?.topicHash ?? "";
export const ANSWER_SUBMITTED = coordinatorInterface.getEvent("AnswerSubmitted")?.topicHash ?? "";
export const OPERATORS_ASSIGNED = coordinatorInterface.getEvent("OperatorsAssigned")?.topicHash ?? "";
export const TICKET_RENEWED = coordinatorInterface.getEvent("TicketRenewed")?.topicHash ?? "";
/** Created requests kept while waiting for their draw; the oldest are dropped beyond this. */
const MAX_UNASSIGNED = 10_000;

export interface SyncOptions {
  provider: JsonRpcProvider;
  db: RelayerDb;
  chainDb: ChainDb;
  metrics: RelayerMetrics;
  logger: Logger;
  coordinator: string;
  operator: string;
  confirmations: number;
  startBlock: number | undefined;
  /** Largest block range per eth_getLogs. */
  maxRange?: number;
  /** Share 0..1 of other operators' answers queued for re-execution. */
  watchShare?: number;
  /** Deepest reorg handled (seen block hashes are kept this far back). */
  reorgDepth?: number;
  random?: () => number;
}

export interface PollResult {
  head: number;
  processed: number;
  headTime: number;
  newJobs: number;
}

/** A drawn request this relayer keeps: its operator index (-1: watched only) and its block's time. */
interface KeptRequest {
  c: CreatedRequest;
  index: number;
  time: number;
}

export class ChainSync {
  readonly #o: SyncOptions;
  readonly #blockTimes = new Map<number, number>();
  /** Created requests whose operators are not drawn yet, by id (insertion order: oldest first). */
  readonly unassigned = new Map<bigint, CreatedRequest>();
  /** Unix seconds of the latest head seen (deadline checks). */
  headTime = 0;

  constructor(options: SyncOptions) {
    this.#o = options;
    // Requests created before a restart and not drawn yet: still ours to draw (and to serve if drawn to us).
    for (const c of options.chainDb.unassigned()) this.unassigned.set(c.requestId, c);
  }

  /** Forgets a request waiting for its draw (past its deadline: `expire` refunds it, nobody draws it). */
  dropUnassigned(id: bigint): void {
    this.unassigned.delete(id);
    this.#o.chainDb.deleteUnassigned(id);
  }

  /** One poll: reorg check, then scan up to `head − confirmations` in ranges. */
  async poll(): Promise<PollResult> {
    const { provider, db, metrics } = this.#o;
    const headBlock = await provider.getBlock("latest");
    if (headBlock === null) throw new Error("no head block");
    const head = headBlock.number;
    this.headTime = headBlock.timestamp;
    const target = head - this.#o.confirmations;
    await this.#checkReorg();
    let cursor = db.getCursor();
    let newJobs = 0;
    const maxRange = this.#o.maxRange ?? 2_000;
    let from = cursor === undefined ? (this.#o.startBlock ?? 0) : cursor.blockNumber + 1;
    while (from <= target) {
      const to = Math.min(target, from + maxRange - 1);
      const logs = await provider.getLogs({
        address: this.#o.coordinator,
        fromBlock: from,
        toBlock: to,
        topics: [[REQUEST_CREATED, OPERATORS_ASSIGNED, TICKET_RENEWED, ANSWER_SUBMITTED]],
      });
      newJobs += await this.#process(logs);
      const block = await provider.getBlock(to);
      if (block === null || block.hash === null) throw new Error(`block ${to} not available`);
      db.batch(() => {
        db.advanceCursor({ blockNumber: to, blockHash: block.hash as string });
        db.pruneBlocksBelow(to - (this.#o.reorgDepth ?? 128));
      });
      cursor = { blockNumber: to, blockHash: block.hash };
      from = to + 1;
    }
    const processed = cursor?.blockNumber ?? Math.max(0, (this.#o.startBlock ?? 0) - 1);
    metrics.pollSucceeded(head, processed);
    if (this.#blockTimes.size > 10_000) this.#blockTimes.clear();
    return { head, processed, headTime: this.headTime, newJobs };
  }

  /** Compares the cursor's stored hash with the chain; on mismatch rewinds to the common ancestor. */
  async #checkReorg(): Promise<void> {
    const { db, provider, logger, chainDb } = this.#o;
    const cursor = db.getCursor();
    if (cursor === undefined) return;
    const onChain = await provider.getBlock(cursor.blockNumber);
    if (onChain?.hash?.toLowerCase() === cursor.blockHash.toLowerCase()) return;
    const depth = this.#o.reorgDepth ?? 128;
    for (let n = cursor.blockNumber - 1; n >= Math.max(0, cursor.blockNumber - depth); n--) {
      const stored = db.blockHash(n);
      if (stored === undefined) continue;
      const b = await provider.getBlock(n);
      if (b?.hash?.toLowerCase() === stored) {
        logger.warn({ from: cursor.blockNumber, to: n }, "reorg detected: rewinding");
        db.transaction(() => {
          db.rewindTo({ blockNumber: n, blockHash: stored });
          db.forgetUnsubmittedJobsAbove(n);
        });
        chainDb.forgetRequestsAbove(n);
        this.#forgetUnassignedAbove(n);
        return;
      }
    }
    // No stored ancestor matches: rescan from the start block (jobs and answers are idempotent).
    const start = Math.max(0, (this.#o.startBlock ?? 0) - 1);
    const b = await provider.getBlock(start);
    if (b?.hash == null) throw new Error(`block ${start} not available`);
    logger.error({ from: cursor.blockNumber, to: start }, "reorg deeper than the stored blocks: full rescan");
    const hash = b.hash;
    db.transaction(() => {
      db.rewindTo({ blockNumber: start, blockHash: hash });
      db.forgetUnsubmittedJobsAbove(start);
    });
    chainDb.forgetRequestsAbove(start);
    this.#forgetUnassignedAbove(start);
  }

  #forgetUnassignedAbove(block: number): void {
    for (const [id, c] of this.unassigned) if (c.blockNumber > block) this.unassigned.delete(id);
  }

  async #blockTime(n: number): Promise<number> {
    let t = this.#blockTimes.get(n);
    if (t === undefined) {
      const b = await this.#o.provider.getBlock(n);
      t = b?.timestamp ?? Math.floor(Date.now() / 1000);
      this.#blockTimes.set(n, t);
    }
    return t;
  }

  /** The `RequestCreated` of `requestId`, looked up by its id topic (created before this process saw it). */
  async #findCreated(requestId: bigint, toBlock: number): Promise<CreatedRequest | undefined> {
    const logs = await this.#o.provider.getLogs({
      address: this.#o.coordinator,
      fromBlock: this.#o.startBlock ?? 0,
      toBlock,
      topics: [REQUEST_CREATED, "0x" + requestId.toString(16).padStart(64, "0")],
    });
    return createdRequestsIn(logs).find((c) => c.requestId === requestId);
  }

  async #process(logs: readonly Log[]): Promise<number> {
    const share = this.#o.watchShare ?? 0;
    this.#recordCreatedAndRenewed(logs);
    const { drawn, drawnIds } = await this.#completeDraws(logs);
    const kept = await this.#keptRequests(drawn, share);
    let added = 0;
    if (kept.length > 0) {
      this.#persistRequests(kept);
      added = this.#addJobs(kept);
    }
    // Drawn requests leave the persisted unassigned set once their jobs are recorded.
    const { chainDb } = this.#o;
    if (drawnIds.length > 0) chainDb.batch(() => drawnIds.forEach((id) => chainDb.deleteUnassigned(id)));
    if (share > 0) this.#watchAnswers(logs, share);
    return added;
  }

  /** Created requests and renewed tickets, persisted before the cursor moves past them (a crash re-reads them). */
  #recordCreatedAndRenewed(logs: readonly Log[]): void {
    const { chainDb } = this.#o;
    chainDb.batch(() => {
      for (const c of createdRequestsIn(logs)) {
        this.unassigned.set(c.requestId, c);
        chainDb.putUnassigned(c);
        if (this.unassigned.size > MAX_UNASSIGNED) {
          const oldest = this.unassigned.keys().next();
          if (oldest.done !== true) this.dropUnassigned(oldest.value);
        }
      }
      for (const log of logs) {
        if (log.topics[0] !== TICKET_RENEWED) continue;
        const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
        const c = p === null ? undefined : this.unassigned.get(BigInt(p.args.requestId as bigint));
        if (p === null || c === undefined) continue;
        const renewed = { ...c, ticket: BigInt(p.args.ticket as bigint) };
        this.unassigned.set(c.requestId, renewed);
        chainDb.putUnassigned(renewed);
      }
    });
  }

  /** The draws of the range, each completing its created request (read back by id if never seen here). */
  async #completeDraws(logs: readonly Log[]): Promise<{ drawn: CreatedRequest[]; drawnIds: bigint[] }> {
    const drawn: CreatedRequest[] = [];
    const drawnIds: bigint[] = [];
    for (const a of assignmentsIn(logs)) {
      const c = this.unassigned.get(a.requestId) ?? (await this.#findCreated(a.requestId, a.blockNumber));
      this.unassigned.delete(a.requestId);
      drawnIds.push(a.requestId);
      if (c === undefined) {
        this.#o.logger.warn(
          { requestId: a.requestId.toString() },
          "assignment of an unknown request ignored",
        );
        continue;
      }
      // The job is seen at its draw's block (deadline checks and reorgs count from there).
      drawn.push({ ...withAssignment(c, a), blockNumber: a.blockNumber, blockHash: a.blockHash });
    }
    return { drawn, drawnIds };
  }

  /** The drawn requests this relayer keeps: those drawn to it, and all of them when it watches others. */
  async #keptRequests(drawn: readonly CreatedRequest[], share: number): Promise<KeptRequest[]> {
    const kept: KeptRequest[] = [];
    for (const c of drawn) {
      const index = operatorIndex(c.request, this.#o.operator);
      if (index < 0 && share === 0) continue; // not assigned to us
      kept.push({ c, index, time: await this.#blockTime(c.blockNumber) });
    }
    return kept;
  }

  /** The committed requests, persisted for later calls (answers, watchtower, disputes). */
  #persistRequests(kept: readonly KeptRequest[]): void {
    const { chainDb } = this.#o;
    chainDb.batch(() => {
      for (const { c, index, time } of kept) {
        chainDb.putRequest({
          requestId: c.requestId,
          index,
          blockNumber: c.blockNumber,
          blockTime: time,
          request: c.request,
          input: Buffer.from(c.input.slice(2), "hex"),
          inputURI: c.inputURI,
        });
      }
    });
  }

  /** Every new job of the range in one commit; returns how many were added (or superseded an old one). */
  #addJobs(kept: readonly KeptRequest[]): number {
    const { db } = this.#o;
    let added = 0;
    db.batch(() => {
      for (const { c, index } of kept) if (index >= 0 && this.#addJob(c, index)) added++;
    });
    return added;
  }

  #addJob(c: CreatedRequest, index: number): boolean {
    const { db, logger } = this.#o;
    const before = db.getJob(c.requestId);
    try {
      db.addJob({
        requestId: c.requestId,
        modelHash: c.request.modelHash,
        inputHash: c.request.inputHash,
        seenBlock: c.blockNumber,
      });
    } catch (e) {
      // The id was re-created (reorg, reused data directory) after our answer went out: that
      // transaction settles it; the cursor must move on whatever happens (never wedged).
      if (!(e instanceof StoreError && e.code === "JOB_CONFLICT")) throw e;
      logger.error({ requestId: c.requestId.toString(), err: e.message }, "request id re-created");
      return false;
    }
    if (before !== undefined && before.inputHash !== c.request.inputHash.toLowerCase()) {
      logger.warn({ requestId: c.requestId.toString() }, "request id re-created: job superseded");
      return true;
    }
    if (before === undefined) {
      logger.debug({ requestId: c.requestId.toString(), index }, "request assigned");
      return true;
    }
    return false;
  }

  /** Queues a share of other operators' answers for re-execution by the watchtower. */
  #watchAnswers(logs: readonly Log[], share: number): void {
    const { chainDb, operator } = this.#o;
    const random = this.#o.random ?? Math.random;
    for (const log of logs) {
      if (log.topics[0] !== ANSWER_SUBMITTED) continue;
      const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (p === null) continue;
      const op = String(p.args.operator);
      if (op.toLowerCase() === operator.toLowerCase() || random() >= share) continue;
      chainDb.addWatch({
        requestId: BigInt(p.args.requestId as bigint),
        index: Number(p.args.index),
        operator: op,
        outputHash: String(p.args.outputHash),
        outcome: Number(p.args.outcome),
        output: Buffer.from(String(p.args.output).slice(2), "hex"),
      });
    }
  }
}
