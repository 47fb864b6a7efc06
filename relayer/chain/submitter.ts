/**
 * computed → submitted → confirmed. Policy (docs/operations.md, "Submission"):
 * - due answers are batched into `submitAnswers` (all or nothing), simulated with eth_call first; when
 *   the batch would revert, each entry is simulated alone and entries that can never succeed (already
 *   answered, deadline passed, request no longer open, not assigned, bad signature…) are dropped with
 *   the decoded reason; "already answered by us" (e.g. a crash after broadcast) becomes confirmed with
 *   the transaction found in our AnswerSubmitted log;
 * - the transaction is signed locally with an explicit nonce and persisted raw (chain.db) and the jobs
 *   are marked submitted BEFORE it is broadcast, so a crash at any point re-sends the same transaction;
 * - nonces come from the signer's ONE nonce manager (relayer/chain/nonce.ts), shared with the dispute
 *   duties: the chain's pending count, then a local counter while transactions are in flight; a "nonce
 *   too low" resynchronises it;
 * - a batch's gas limit never exceeds the per-transaction gas cap (EIP-7825: 2^24, enforced by the
 *   node) nor the block gas limit: a batch whose gas bound would is cut to the entries that fit; a
 *   transaction the node rejects for good (over a gas cap, intrinsic gas too low…) is discarded before
 *   it holds a nonce — its jobs go back to computed, its nonce is reused, and batches are halved;
 * - a transaction not mined after `stuckMs` is replaced (same nonce, same data, fees +25 %), never above
 *   the operator's fee cap (`maxFeePerGas`, VERDICT_MAX_FEE_GWEI): at the cap it waits instead;
 * - a receipt moves its jobs to confirmed once `confirmations` deep; a reverted one puts them back to
 *   computed (re-simulated, hence dropped or re-sent); a transaction the node no longer knows is re-sent
 *   raw while its nonce is unused, else its jobs are checked against the chain (answered → confirmed
 *   with the transaction that carried it; not answered → computed again).
 */
import {
  Transaction,
  type JsonRpcProvider,
  type TransactionReceipt,
  type Wallet,
  zeroPadValue,
  toBeHex,
} from "ethers";
import type { Logger } from "pino";
import {
  coordinatorInterface,
  statusName,
  RequestStatus,
  type CommittedRequest,
} from "../../sdk/requests.js";
import type { RelayerMetrics } from "../metrics.js";
import type { Job, RelayerDb } from "../db/jobs.js";
import { decodeRevert as decodeCustomError } from "../../sdk/revert.js";
import { bumpFees, currentFees, NonceManager } from "./nonce.js";
import { ANSWER_SUBMITTED } from "./sync.js";
import type { ChainDb, StoredRequest } from "../db/requests.js";

export interface SubmitterOptions {
  provider: JsonRpcProvider;
  db: RelayerDb;
  chainDb: ChainDb;
  signer: Wallet;
  metrics: RelayerMetrics;
  logger: Logger;
  chainId: bigint;
  coordinator: string;
  operator: string;
  confirmations: number;
  maxBatch: number;
  maxInFlight: number;
  stuckMs: number;
  /** The signer's nonce sequence, shared with the dispute duties (a private one by default). */
  nonces?: NonceManager;
  /** Fee cap (wei per gas): fees and re-pricing never go above it (default: no cap). */
  maxFeePerGas?: bigint;
  now?: () => number;
}

/** Errors after which an answer can never be accepted: the entry is dropped. */
const PERMANENT = new Set([
  "WrongStatus",
  "AnswerAfterDeadline",
  "NotAssigned",
  "UnknownRequest",
  "RequestMismatch",
  "InvalidSignature",
  "OutputTooLarge",
  "BadReasonCode",
  "BadOutcome",
  "ReferenceMismatch",
]);

/** EIP-7825's per-transaction gas cap (Osaka): a transaction with a larger gas limit is refused. */
export const MAX_TX_GAS = 16_777_216n;
/**
 * Largest calldata of a batch: public mempools (geth's txpool) refuse transactions above 128 KiB, and
 * outputs up to the coordinator's maxOutput (64 KiB by default) make that reachable in a few answers.
 * A single answer above it is still sent alone (docs/protocol.md, "Output size").
 */
export const MAX_TX_CALLDATA_BYTES = 124 * 1024;

/** Node rejections that re-sending the same transaction can never overcome. */
const PERMANENT_REJECTION =
  /gas cap|exceeds block gas limit|gas limit.*(exceeds|too high|above)|intrinsic gas too low|oversized data|tx too large/i;

/** How a broadcast ended (transient RPC failures throw instead). */
type Broadcast = "sent" | "nonce-used" | "rejected";

interface Entry {
  job: Job;
  req: StoredRequest;
  reference: Uint8Array;
}

/** The coordinator custom error a call reverted with, or undefined (RPC failure, unknown revert). */
export function decodeRevert(e: unknown): { name: string; args: string } | undefined {
  const err = decodeCustomError(e, coordinatorInterface);
  if (err === null) return undefined;
  return { name: err.name, args: err.args.map((a: unknown) => String(a)).join(",") };
}

function requestArg(r: CommittedRequest): CommittedRequest {
  return { ...r, operators: [...r.operators] };
}

export class Submitter {
  readonly #o: SubmitterOptions;
  readonly #now: () => number;
  readonly #nonces: NonceManager;
  readonly #cap: bigint;
  #estimateGas = false;
  /** Largest batch the node accepted lately (halved after a permanent rejection, regrows by one). */
  #batchCap: number;
  /** Calldata of the batch being built (cleared per batch: references may change between batches). */
  readonly #encoded = new Map<string, string>();
  #blockGas: { at: number; limit: bigint } | undefined;
  #feeCache: { at: number; fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } } | undefined;
  /** Where submission time goes (cumulative), for benchmarks and debugging. */
  readonly profile = { txs: 0, answers: 0, simulateMs: 0, sendMs: 0, trackMs: 0 };

  constructor(o: SubmitterOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#batchCap = o.maxBatch;
    this.#nonces = o.nonces ?? new NonceManager(o.provider, o.signer.address);
    this.#cap = o.maxFeePerGas ?? 1n << 255n;
  }

  // ------------------------------------------------------------------------------------ submit

  /** Batches due computed jobs into transactions (up to maxInFlight outstanding). */
  async submitDue(): Promise<number> {
    const { db, logger } = this.#o;
    let sent = 0;
    for (;;) {
      const inFlight = db.inFlightTxCount();
      if (inFlight >= this.#o.maxInFlight) return sent;
      this.#encoded.clear();
      const jobs = db.jobsIn("computed", Math.min(this.#o.maxBatch, this.#batchCap));
      if (jobs.length === 0) return sent;
      const entries = await this.#fit(await this.#prepare(jobs));
      if (entries.length === 0) continue; // every job was dropped or confirmed: look again
      const t0 = performance.now();
      const sim = await this.#simulate(entries);
      this.profile.simulateMs += performance.now() - t0;
      if (sim.ok.length === 0) continue;
      const t1 = performance.now();
      const result = await this.#send(sim.ok, sim.gas);
      this.profile.sendMs += performance.now() - t1;
      if (result === "rejected") continue; // jobs are computed again; the next batch is smaller
      if (this.#batchCap < this.#o.maxBatch) this.#batchCap++;
      this.profile.txs++;
      this.profile.answers += sim.ok.length;
      const ok = sim.ok;
      sent += ok.length;
      logger.debug({ answers: ok.length }, "answers submitted");
    }
  }

  /** The gas a single transaction may use: the EIP-7825 cap, or less when blocks are smaller. */
  async #gasCeiling(): Promise<bigint> {
    const now = this.#now();
    if (this.#blockGas === undefined || now - this.#blockGas.at > 60_000) {
      const b = await this.#o.provider.getBlock("latest");
      this.#blockGas = { at: now, limit: b?.gasLimit ?? MAX_TX_GAS };
    }
    const block = (this.#blockGas.limit * 9n) / 10n; // leave room for other transactions
    return block < MAX_TX_GAS ? block : MAX_TX_GAS;
  }

  /**
   * The longest prefix of `entries` whose gas bound and calldata size fit one transaction (at least one
   * entry).
   */
  async #fit(entries: Entry[]): Promise<Entry[]> {
    const ceiling = await this.#gasCeiling();
    let n = entries.length;
    for (;;) {
      const bound = this.#gasBound(entries.slice(0, n));
      const size = (this.#calldata(entries.slice(0, n)).length - 2) / 2;
      if ((bound <= ceiling && size <= MAX_TX_CALLDATA_BYTES) || n <= 1) break;
      const byGas = Number((BigInt(n) * ceiling) / bound);
      const bySize = Math.floor((n * MAX_TX_CALLDATA_BYTES) / size);
      n = Math.max(1, Math.min(n - 1, byGas, bySize));
    }
    return n === entries.length ? entries : entries.slice(0, n);
  }

  async #prepare(jobs: readonly Job[]): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const job of jobs) {
      const req = this.#o.chainDb.getRequest(job.requestId);
      if (req === undefined || req.index < 0) {
        this.#o.db.markDropped(job.requestId, "request data missing");
        continue;
      }
      out.push({ job, req, reference: await this.#reference(job, req) });
    }
    return out;
  }

  /**
   * With k > 1 and a tolerance, the first answer's output must accompany ours when the hashes differ. Read
   * from its AnswerSubmitted log; empty when we are first or agree byte for byte, or when the model has no
   * tolerance (the hashes decide: the coordinator never reads it).
   */
  async #reference(job: Job, req: StoredRequest): Promise<Uint8Array> {
    if (req.request.redundancy <= 1n || req.request.tolerance === 0n) return new Uint8Array();
    const logs = await this.#o.provider.getLogs({
      address: this.#o.coordinator,
      fromBlock: req.blockNumber,
      toBlock: "latest",
      topics: [ANSWER_SUBMITTED, zeroPadValue(toBeHex(job.requestId), 32)],
    });
    const first = logs[0];
    if (first === undefined) return new Uint8Array();
    const p = coordinatorInterface.parseLog({ topics: [...first.topics], data: first.data });
    if (p === null || String(p.args.outputHash) === job.outputHash) return new Uint8Array();
    return Buffer.from(String(p.args.output).slice(2), "hex");
  }

  /** The batch's calldata; memoised within one batch (ABI encoding is the costly part of a send). */
  #calldata(entries: readonly Entry[]): string {
    const key = entries.map((e) => e.job.requestId.toString(16)).join(",");
    let data = this.#encoded.get(key);
    if (data === undefined) {
      data = this.#encode(entries);
      this.#encoded.set(key, data);
    }
    return data;
  }

  #encode(entries: readonly Entry[]): string {
    return coordinatorInterface.encodeFunctionData("submitAnswers", [
      entries.map((e) => e.job.requestId),
      entries.map((e) => requestArg(e.req.request)),
      entries.map((e) => ({
        index: e.req.index,
        outcome: e.job.outcome ?? 0,
        output: e.job.output ?? new Uint8Array(),
        signature: e.job.signature ?? "0x",
      })),
      entries.map((e) => e.reference),
    ]);
  }

  /**
   * A safe gas limit without eth_estimateGas (which re-executes the batch a dozen times): the
   * calldata cost, a generous per-answer execution bound and every callback's gas limit. Only the gas
   * used is paid. After a batch ran out of gas, the submitter switches to eth_estimateGas for good.
   */
  #gasBound(entries: readonly Entry[]): bigint {
    const bytes = BigInt((this.#calldata(entries).length - 2) / 2);
    let gas = 21_000n + 16n * bytes + 150_000n;
    for (const e of entries) {
      gas += 120_000n + BigInt(e.req.request.callbackGasLimit) + 40_000n;
      // Large outputs: logged and hashed (~12 gas a byte); a reference is also decoded and compared.
      gas += 12n * BigInt(e.job.output?.length ?? 0) + 48n * BigInt(e.reference.length);
    }
    const floor = 21_000n + 40n * bytes; // EIP-7623: the calldata floor a transaction must cover
    return gas > floor ? gas : floor;
  }

  /** Gas of the batch (eth_estimateGas: also the simulation, it fails when the batch would revert). */
  async #estimate(entries: readonly Entry[]): Promise<bigint> {
    return this.#o.provider.estimateGas({
      from: this.#o.signer.address,
      to: this.#o.coordinator,
      data: this.#calldata(entries),
    });
  }

  async #call(entries: readonly Entry[]): Promise<void> {
    await this.#o.provider.call({
      from: this.#o.signer.address,
      to: this.#o.coordinator,
      data: this.#calldata(entries),
    });
  }

  /**
   * Simulates the batch (its gas estimate, one node execution); on revert, each entry alone with
   * eth_call; drops/settles the ones that cannot succeed. `gas` is set when the whole batch passed.
   */
  async #simulate(entries: readonly Entry[]): Promise<{ ok: Entry[]; gas?: bigint }> {
    try {
      if (this.#estimateGas) return { ok: [...entries], gas: await this.#estimate(entries) };
      await this.#call(entries); // one execution; eth_estimateGas would binary-search (many)
      return { ok: [...entries], gas: this.#gasBound(entries) };
    } catch (e) {
      if (decodeRevert(e) === undefined && entries.length === 1) throw e; // RPC failure: retry later
    }
    const ok: Entry[] = [];
    for (const entry of entries) {
      try {
        await this.#call([entry]);
        ok.push(entry);
      } catch (e) {
        const err = decodeRevert(e);
        if (err === undefined) throw e;
        await this.#settleFailed(entry.job, err);
      }
    }
    return { ok };
  }

  /** An entry whose simulation reverted with `err`. */
  async #settleFailed(job: Job, err: { name: string; args: string }): Promise<void> {
    const { db, logger, metrics } = this.#o;
    const id = job.requestId;
    if (err.name === "AlreadyAnswered") {
      if (await this.#confirmFromLog(job)) return;
      db.markDropped(id, "already answered (not by this signer's answer)");
      logger.warn({ requestId: id.toString() }, "answer dropped: already answered");
      return;
    }
    const reason =
      err.name === "WrongStatus"
        ? `request is ${statusName(Number(err.args.split(",")[1]))}`
        : PERMANENT.has(err.name)
          ? err.name
          : `${err.name}(${err.args})`;
    db.markDropped(id, `simulation: ${reason}`);
    metrics.failed.inc({ stage: "submit" });
    if (err.name === "AnswerAfterDeadline") metrics.missedDuty("answer");
    logger.warn(
      { requestId: id.toString(), error: err.name, args: err.args },
      "answer dropped: it can never succeed",
    );
  }

  /** Finds our AnswerSubmitted for `job` on chain; records its transaction and confirms the job. */
  async #confirmFromLog(job: Job): Promise<boolean> {
    const { provider, db, chainDb } = this.#o;
    const req = chainDb.getRequest(job.requestId);
    const logs = await provider.getLogs({
      address: this.#o.coordinator,
      fromBlock: req?.blockNumber ?? 0,
      toBlock: "latest",
      topics: [
        ANSWER_SUBMITTED,
        zeroPadValue(toBeHex(job.requestId), 32),
        zeroPadValue(this.#o.operator, 32),
      ],
    });
    const log = logs[0];
    if (log === undefined) return false;
    const tx = await provider.getTransaction(log.transactionHash);
    if (db.getJob(job.requestId)?.state === "computed") {
      db.markSubmitted(job.requestId, { txHash: log.transactionHash, nonce: tx?.nonce ?? 0 });
    }
    db.markConfirmed(job.requestId, log.blockNumber);
    this.#observe(job.requestId);
    return true;
  }

  #observe(id: bigint): void {
    const req = this.#o.chainDb.getRequest(id);
    this.#o.metrics.answerConfirmed(req !== undefined ? req.blockTime * 1000 : this.#now());
  }

  async #fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    // Fee data is cached briefly: a burst of batches shares one look-up (3 RPC calls).
    const now = this.#now();
    if (this.#feeCache !== undefined && now - this.#feeCache.at < 1_000) return this.#feeCache.fees;
    const fees = await this.#fetchFees();
    this.#feeCache = { at: now, fees };
    return fees;
  }

  async #fetchFees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    return currentFees(this.#o.provider, this.#cap);
  }

  /** The nonce of the next transaction, from the shared nonce manager. */
  #nonce(): Promise<number> {
    return this.#nonces.take(this.#o.db.jobsIn("submitted", 1).length > 0);
  }

  async #send(entries: readonly Entry[], estimated?: bigint): Promise<Broadcast> {
    const { provider, db, chainDb, signer, logger } = this.#o;
    const data = this.#calldata(entries);
    const gas =
      estimated ?? (await provider.estimateGas({ from: signer.address, to: this.#o.coordinator, data }));
    const fees = await this.#fees();
    const nonce = await this.#nonce();
    let gasLimit =
      estimated !== undefined && estimated === this.#gasBound(entries)
        ? estimated
        : (gas * 12n) / 10n + 20_000n;
    const ceiling = await this.#gasCeiling();
    if (gasLimit > ceiling && gas <= ceiling) gasLimit = ceiling; // the margin, not the need, is cut
    const tx = Transaction.from({
      type: 2,
      chainId: this.#o.chainId,
      to: this.#o.coordinator,
      data,
      nonce,
      gasLimit,
      ...fees,
    });
    // Signed on the transaction object itself (no second parse of the raw bytes for the hash).
    tx.signature = signer.signingKey.sign(tx.unsignedHash);
    const raw = tx.serialized;
    const hash = tx.hash as string;
    const requestIds = entries.map((e) => e.job.requestId);
    // Persist first: a crash from here on re-sends exactly this transaction.
    chainDb.putTx({ hash, nonce, raw, requestIds, sentAt: this.#now(), ...fees });
    db.batch(() => {
      for (const e of entries) db.markSubmitted(e.job.requestId, { txHash: hash, nonce });
    });
    const result = await this.#broadcast(raw, hash, nonce, logger);
    if (result === "rejected") {
      // Never accepted, so its nonce is still free: no later transaction was built on it (sends are
      // sequential), hence no gap. The jobs are batched again, fewer at a time.
      this.#discard(hash, requestIds);
      this.#nonces.release(nonce);
      this.#batchCap = Math.max(1, Math.floor(entries.length / 2));
    }
    return result;
  }

  /**
   * Forgets a transaction the node refused for good: its record first (so a restart does not
   * re-attach jobs to it), then its jobs go back to computed (a crash in between leaves submitted jobs
   * with an unknown transaction and an unused nonce, which the tracker also returns to computed).
   */
  #discard(hash: string, requestIds: readonly bigint[]): void {
    const { db, chainDb } = this.#o;
    chainDb.deleteTx(hash);
    db.batch(() => {
      for (const id of requestIds) {
        const j = db.getJob(id);
        if (j?.state === "submitted" && j.txHash === hash.toLowerCase()) db.markUnsubmitted(id);
      }
    });
  }

  /**
   * Sends a signed transaction. "nonce-used": its nonce is taken (the tracker settles its jobs from
   * the chain); "rejected": the node refuses it for good (nothing will ever mine it); a transient
   * failure throws (the tracker re-sends the same transaction later).
   */
  async #broadcast(raw: string, hash: string, nonce: number, logger: Logger): Promise<Broadcast> {
    try {
      await this.#o.provider.send("eth_sendRawTransaction", [raw]);
      return "sent";
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/already known|already imported|known transaction/i.test(msg)) return "sent";
      if (/nonce too low|nonce.*lower/i.test(msg)) {
        this.#nonces.resync(); // the tracker settles these jobs from the chain
        logger.warn({ txHash: hash, nonce }, "nonce already used; checking the chain");
        return "nonce-used";
      }
      const detail = /"message":\s*"([^"]+)"/.exec(msg)?.[1] ?? msg.slice(0, 300);
      if (PERMANENT_REJECTION.test(msg)) {
        logger.error(
          { txHash: hash, nonce, err: detail },
          "answer transaction refused by the node; its answers go into smaller batches",
        );
        return "rejected";
      }
      logger.warn({ txHash: hash, nonce, err: detail }, "broadcast failed; the tracker will retry");
      throw e;
    }
  }

  /**
   * After a restart: a computed job that is part of a persisted transaction (crash between persisting
   * the transaction and marking every job submitted) is re-attached to it, so the tracker re-sends or
   * settles that transaction instead of a second one being built.
   */
  recover(): number {
    const { db, chainDb } = this.#o;
    let n = 0;
    for (const j of db.jobsIn("computed", 100_000)) {
      const tx = chainDb.latestTxFor(j.requestId);
      if (tx === undefined) continue;
      db.markSubmitted(j.requestId, { txHash: tx.hash, nonce: tx.nonce });
      n++;
    }
    return n;
  }

  // ------------------------------------------------------------------------------------ track

  /** Follows every in-flight transaction: confirm, replace when stuck, re-send when lost. */
  async track(head: number): Promise<number> {
    const { db } = this.#o;
    const byTx = new Map<string, Job[]>();
    for (const j of db.jobsIn("submitted", 100_000)) {
      const h = j.txHash as string;
      const list = byTx.get(h) ?? [];
      list.push(j);
      byTx.set(h, list);
    }
    const t = performance.now();
    let confirmed = 0;
    for (const [hash, jobs] of byTx) confirmed += await this.#trackTx(hash, jobs, head);
    this.profile.trackMs += performance.now() - t;
    return confirmed;
  }

  async #trackTx(hash: string, jobs: readonly Job[], head: number): Promise<number> {
    const { provider, db, chainDb, logger } = this.#o;
    const receipt: TransactionReceipt | null = await provider.getTransactionReceipt(hash);
    if (receipt !== null) {
      if (receipt.status === 1) {
        if (head - receipt.blockNumber + 1 < Math.max(1, this.#o.confirmations)) return 0;
        db.batch(() => {
          for (const j of jobs) db.markConfirmed(j.requestId, receipt.blockNumber);
        });
        for (const j of jobs) this.#observe(j.requestId);
        return jobs.length;
      }
      logger.warn({ txHash: hash, block: receipt.blockNumber }, "answer transaction reverted; re-simulating");
      if (
        receipt.gasUsed >=
        (chainDb.getTx(hash) !== undefined ? Transaction.from(chainDb.getTx(hash)!.raw).gasLimit : 0n)
      ) {
        this.#estimateGas = true; // ran out of gas: use eth_estimateGas from now on
      }
      return this.#settleFromChain(jobs);
    }
    const stored = chainDb.getTx(hash);
    const pending = await provider.getTransaction(hash);
    if (pending !== null) {
      if (stored !== undefined && this.#now() - stored.sentAt > this.#o.stuckMs)
        await this.#replace(stored, jobs);
      return 0;
    }
    const nonce = stored?.nonce ?? jobs[0]?.nonce ?? 0;
    const used = await provider.getTransactionCount(this.#o.signer.address, "latest");
    if (used <= nonce && stored !== undefined) {
      // The node does not know it and its nonce is unused: re-send the very same signed transaction.
      logger.info({ txHash: hash, nonce }, "answer transaction not known to the node: re-sending it");
      const result = await this.#broadcast(stored.raw, hash, nonce, logger).catch(() => "failed" as const);
      if (result === "rejected") {
        this.#discard(hash, stored.requestIds);
        this.#nonces.release(nonce); // unused (checked above): the next transaction takes it
        this.#batchCap = Math.max(1, Math.floor(stored.requestIds.length / 2));
      }
      return 0;
    }
    if (used <= nonce) {
      for (const j of jobs) db.markUnsubmitted(j.requestId);
      return 0;
    }
    // The nonce went to another transaction (a replacement, or an earlier life's): ask the chain.
    return this.#settleFromChain(jobs);
  }

  /** For each job: answered on chain → confirmed with that transaction; else back to computed. */
  async #settleFromChain(jobs: readonly Job[]): Promise<number> {
    let n = 0;
    for (const j of jobs) {
      if (await this.#confirmFromLog(j)) n++;
      else this.#o.db.markUnsubmitted(j.requestId);
    }
    return n;
  }

  async #replace(stored: NonNullable<ReturnType<ChainDb["getTx"]>>, jobs: readonly Job[]): Promise<void> {
    const { signer, chainDb, db, logger } = this.#o;
    const old = Transaction.from(stored.raw);
    const cur = await this.#fees();
    const fees = bumpFees(stored, cur, this.#cap);
    if (fees === undefined) {
      logger.warn(
        { txHash: stored.hash, nonce: stored.nonce, maxFeePerGas: stored.maxFeePerGas.toString() },
        "answer transaction stuck at the fee cap: waiting, not re-pricing",
      );
      return;
    }
    const { maxFeePerGas, maxPriorityFeePerGas } = fees;
    const tx = Transaction.from({
      type: 2,
      chainId: this.#o.chainId,
      to: old.to,
      data: old.data,
      nonce: stored.nonce,
      gasLimit: old.gasLimit,
      maxFeePerGas: maxFeePerGas > maxPriorityFeePerGas ? maxFeePerGas : maxPriorityFeePerGas,
      maxPriorityFeePerGas,
    });
    const raw = await signer.signTransaction(tx);
    const hash = Transaction.from(raw).hash as string;
    chainDb.putTx({
      hash,
      nonce: stored.nonce,
      raw,
      requestIds: stored.requestIds,
      sentAt: this.#now(),
      maxFeePerGas: tx.maxFeePerGas ?? maxFeePerGas,
      maxPriorityFeePerGas,
    });
    db.batch(() => {
      for (const j of jobs) db.markSubmitted(j.requestId, { txHash: hash, nonce: stored.nonce });
    });
    logger.warn(
      { old: stored.hash, txHash: hash, nonce: stored.nonce },
      "answer transaction stuck: replaced with higher fees",
    );
    await this.#broadcast(raw, hash, stored.nonce, logger).catch(() => undefined);
  }

  /** Request status helper for callers (status name + whether our bit is set). */
  static describe(status: number): string {
    return statusName(status) + (status === RequestStatus.Assigned ? "" : " (closed)");
  }
}
