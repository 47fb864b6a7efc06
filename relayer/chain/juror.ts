/**
 * Juror duty and dispute keeping (docs/disputes.md, docs/operations.md "Dispute duties").
 *
 * Every poll it scans the Disputes contract's logs (its own cursor in duties.db) for `JuryDrawn` events
 * naming this operator, and for each such (dispute, round):
 * 1. re-runs the request's model on its input with the relayer's runner (the request and its input
 *    come from the `RequestCreated` log);
 * 2. draws a random salt and stores the vote AND the salt in duties.db (`salted`) BEFORE `commitVote`
 *    is sent: commitment = keccak256(abi.encode(disputeId, round, operator, outcome, outputHash, salt));
 * 3. once the chain's time is past the commit deadline, reveals the stored vote (`revealVote`). A
 *    restart anywhere in between reloads the salt and reconciles with the on-chain ballot state, so the
 *    committed vote is the one revealed.
 * It also keeps the disputes it has a stake in (as juror or challenger): an `Open` dispute of ours gets
 * its jury drawn (`drawJury`), and after the reveal deadline `settle` (strict majority) or `escalate`
 * (none) is called if nobody has: the challenger at once, juror i of the committee after (i + 1) ×
 * `graceSeconds`, so the parties do not all send the same call. A dispute an admitted on-chain referee
 * decided (`Refereed`) gets the verdict applied (`settleReferee`) once its appeal window is over.
 */
import { randomBytes } from "node:crypto";
import {
  AbiCoder,
  hexlify,
  keccak256,
  toBeHex,
  type JsonRpcProvider,
  type Log,
  type TransactionReceipt,
  type Wallet,
} from "ethers";
import type { Logger } from "pino";
import { coordinatorInterface, operatorIndex, type CommittedRequest } from "../../sdk/requests.js";
import {
  Coordinator__factory,
  Disputes__factory,
  type Coordinator,
  type Disputes,
} from "../../types/ethers-contracts/index.js";
import type { RelayerMetrics } from "../metrics.js";
import type { Computer } from "./compute.js";
import type { DutiesDb, StoredBallot } from "../db/duties.js";
import { DutyRevert, dutySender, type DutySender, type DutySenderOptions } from "./duty-tx.js";
import type { ChainDb, StoredRequest } from "../db/requests.js";
import { ANSWER_SUBMITTED } from "./sync.js";
import { findCreatedRequest } from "../../sdk/trail.js";
import { voteCommitment } from "../../sdk/disputes.js";
export { voteCommitment };

const coder = AbiCoder.defaultAbiCoder();
const disputesInterface = Disputes__factory.createInterface();
const JURY_DRAWN = disputesInterface.getEvent("JuryDrawn").topicHash;
const DISPUTE_OPENED = disputesInterface.getEvent("DisputeOpened").topicHash;
const DISPUTE_RESOLVED = disputesInterface.getEvent("DisputeResolved").topicHash;
const REFEREE_DECIDED = disputesInterface.getEvent("RefereeDecided").topicHash;

/** On-chain phases and ballot states (IDisputes enums, in order). */
export const Phase = { None: 0, Open: 1, Voting: 2, Arbitration: 3, Settled: 4, Refereed: 5 } as const;
export const BallotOnChain = { None: 0, Drawn: 1, Committed: 2, Revealed: 3 } as const;

const SETTLE_REVERTS = "settle/escalate would revert (someone else was first?)";

/** JuryLib.voteKey: the key a revealed vote is counted under (bytes31, 0x + 62 hex digits). */
export function voteKey(outcome: number, outputHash: string): string {
  const h = keccak256(
    coder.encode(["uint8", "bytes32"], [outcome, outcome === 1 ? "0x" + "00".repeat(32) : outputHash]),
  );
  return h.slice(0, 64).toLowerCase();
}

export interface Answer {
  outcome: number;
  output: Uint8Array;
}

export interface DisputeDutiesOptions {
  provider: JsonRpcProvider;
  /** The signer key, connected (jurors act through their operator's signer). */
  signer: Wallet;
  duties: DutiesDb;
  /** An honest computer (never the dev-lie one). */
  computer: Computer;
  chainDb: ChainDb;
  logger: Logger;
  coordinator: string;
  operator: string;
  confirmations: number;
  startBlock: number | undefined;
  /** Serve on committees (VERDICT_JUROR). */
  juror: boolean;
  /** Seconds juror i waits after the reveal deadline before settling itself: (i + 1) × this. */
  graceSeconds?: number;
  /** How duty transactions are sent: the shared nonce manager and fee cap. */
  sender?: DutySenderOptions;
  maxRange?: number;
  /** Where missed commits and reveals are counted (verdict_missed_duties_total). */
  metrics?: RelayerMetrics;
}

export class DisputeDuties {
  readonly #o: DisputeDutiesOptions;
  readonly #log: Logger;
  readonly #coordinator: Coordinator;
  #disputes: Disputes | undefined;
  #sender: DutySender | undefined;
  readonly #requests = new Map<bigint, StoredRequest>();

  constructor(o: DisputeDutiesOptions) {
    this.#o = o;
    this.#log = o.logger.child({ duty: "disputes" });
    this.#coordinator = Coordinator__factory.connect(o.coordinator, o.provider);
  }

  /** The Disputes contract (the coordinator's dispute hook). */
  async disputes(): Promise<Disputes> {
    if (this.#disputes === undefined) {
      const address = await this.#coordinator.disputeHook();
      this.#disputes = Disputes__factory.connect(address, this.#o.provider);
    }
    return this.#disputes;
  }

  sender(): DutySender {
    this.#sender ??= dutySender(
      this.#o.provider,
      this.#o.signer,
      [disputesInterface, coordinatorInterface],
      undefined,
      this.#o.sender,
    );
    return this.#sender;
  }

  /** One pass: scan, vote, keep. `head`/`headTime` are the latest block and its timestamp. */
  async run(head: number, headTime: number): Promise<void> {
    await this.#scan(head - this.#o.confirmations);
    if (this.#o.juror) {
      for (const b of this.#o.duties.ballotsIn("drawn", "salted")) await this.#commit(b, headTime);
      for (const b of this.#o.duties.ballotsIn("committed")) await this.#reveal(b, headTime);
    }
    for (const t of this.#o.duties.activeTracked()) await this.#keep(t.disputeId, t.role, headTime);
  }

  // ---------------------------------------------------------------------------------------- scan

  async #scan(target: number): Promise<void> {
    const { duties, provider } = this.#o;
    const disputes = await this.disputes();
    const address = await disputes.getAddress();
    let from = (duties.getCursor() ?? (this.#o.startBlock ?? 0) - 1) + 1;
    const maxRange = this.#o.maxRange ?? 2_000;
    while (from <= target) {
      const to = Math.min(target, from + maxRange - 1);
      const logs = await provider.getLogs({
        address,
        fromBlock: from,
        toBlock: to,
        topics: [[JURY_DRAWN, DISPUTE_RESOLVED]],
      });
      for (const log of logs) this.#onLog(log);
      duties.setCursor(to);
      from = to + 1;
    }
  }

  #onLog(log: Log): void {
    const { duties, operator } = this.#o;
    const p = disputesInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (p === null) return;
    const id = BigInt(p.args.disputeId as bigint);
    if (p.name === "JuryDrawn") {
      const jurors = Array.from(p.args.jurors as Iterable<unknown>, String);
      if (!this.#o.juror || !jurors.some((j) => j.toLowerCase() === operator.toLowerCase())) return;
      const round = Number(p.args.round);
      duties.addBallot(id, round, Number(p.args.commitDeadline), Number(p.args.revealDeadline));
      duties.track(id, "juror");
      this.#log.warn({ disputeId: id.toString(), round }, "drawn as a juror: re-running the request");
    } else if (p.name === "DisputeResolved" && duties.isTracked(id)) {
      duties.finishTracked(id);
      const c = duties.getChallenge(id);
      if (c !== undefined && (c.state === "opened" || c.state === "filing")) {
        duties.setChallenge(id, "resolved", { detail: `wrongMask ${String(p.args.wrongMask)}` });
      }
      this.#log.info(
        { disputeId: id.toString(), wrongMask: Number(p.args.wrongMask), outcome: Number(p.args.outcome) },
        "dispute resolved",
      );
    }
  }

  // ------------------------------------------------------------------------------- chain data

  /** The committed request of `id` and its input (chain.db if watched, else its RequestCreated log). */
  async request(id: bigint): Promise<StoredRequest> {
    const cached = this.#requests.get(id) ?? this.#o.chainDb.getRequest(id);
    if (cached !== undefined) {
      this.#requests.set(id, cached);
      return cached;
    }
    // RequestCreated completed by its draw (OperatorsAssigned): the request as committed.
    const c = await findCreatedRequest(
      this.#o.provider,
      this.#o.coordinator,
      id,
      this.#o.startBlock ?? 0,
    ).catch(() => undefined);
    if (c === undefined) throw new DutyRevert("request lookup", `no RequestCreated for ${id}`, undefined);
    const r: StoredRequest = {
      requestId: id,
      index: operatorIndex(c.request, this.#o.operator),
      blockNumber: c.blockNumber,
      blockTime: 0,
      request: c.request,
      input: Buffer.from(c.input.slice(2), "hex"),
      inputURI: c.inputURI,
    };
    this.#requests.set(id, r);
    return r;
  }

  /** Every operator's answer to `id`, by index (from AnswerSubmitted logs). */
  async answers(id: bigint): Promise<Map<number, Answer>> {
    const logs = await this.#o.provider.getLogs({
      address: this.#o.coordinator,
      fromBlock: this.#o.startBlock ?? 0,
      toBlock: "latest",
      topics: [ANSWER_SUBMITTED, toBeHex(id, 32)],
    });
    const out = new Map<number, Answer>();
    for (const log of logs) {
      const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (p?.name !== "AnswerSubmitted") continue;
      out.set(Number(p.args.index), {
        outcome: Number(p.args.outcome),
        output: Buffer.from(String(p.args.output).slice(2), "hex"),
      });
    }
    return out;
  }

  async #claimedOutput(id: bigint): Promise<Uint8Array | undefined> {
    const disputes = await this.disputes();
    const logs = await this.#o.provider.getLogs({
      address: await disputes.getAddress(),
      fromBlock: this.#o.startBlock ?? 0,
      toBlock: "latest",
      topics: [DISPUTE_OPENED, toBeHex(id, 32)],
    });
    const p = logs[0] && disputesInterface.parseLog({ topics: [...logs[0].topics], data: logs[0].data });
    return p ? Buffer.from(String(p.args.claimedOutput).slice(2), "hex") : undefined;
  }

  // ------------------------------------------------------------------------------------ voting

  /** Sends a duty transaction to the Disputes contract; a call that would revert comes back as its DutyRevert. */
  async #send(label: string, data: string): Promise<TransactionReceipt | DutyRevert> {
    const disputes = await this.disputes();
    try {
      return await this.sender().send(label, await disputes.getAddress(), data);
    } catch (e) {
      if (e instanceof DutyRevert) return e;
      throw e;
    }
  }

  async #commit(b: StoredBallot, headTime: number): Promise<void> {
    const { duties, operator } = this.#o;
    const log = this.#log.child({ disputeId: b.disputeId.toString(), round: b.round });
    if (await this.#reconcileCommitted(b, log)) return;
    if (headTime > b.commitDeadline) {
      duties.setBallotState(b.disputeId, b.round, "missed", "commit deadline passed");
      this.#o.metrics?.missedDuty("commit");
      log.error({ commitDeadline: b.commitDeadline, headTime }, "juror missed the commit deadline");
      return;
    }
    const vote = b.state === "drawn" ? await this.#saltVote(b, log) : b;
    if (vote === undefined) return;
    const commitment = voteCommitment(
      vote.disputeId,
      vote.round,
      operator,
      vote.outcome,
      vote.outputHash,
      vote.salt,
    );
    const r = await this.#send(
      "commitVote",
      disputesInterface.encodeFunctionData("commitVote", [vote.disputeId, commitment]),
    );
    if (r instanceof DutyRevert) {
      log.warn({ reason: r.reason }, "commitVote would revert; re-checking next poll");
      return;
    }
    duties.setBallotState(vote.disputeId, vote.round, "committed");
    log.info({ txHash: r.hash }, "juror vote committed");
  }

  /** Our commit already landed (e.g. before a crash): the stored ballot follows the chain's. */
  async #reconcileCommitted(b: StoredBallot, log: Logger): Promise<boolean> {
    const { duties, operator } = this.#o;
    const disputes = await this.disputes();
    const state = Number((await disputes.ballotOf(b.disputeId, b.round, operator)).state);
    if (state !== BallotOnChain.Committed && state !== BallotOnChain.Revealed) return false;
    if (b.state === "drawn") {
      duties.setBallotState(b.disputeId, b.round, "missed", "committed on chain but no stored salt");
      log.error("a commitment is on chain but no salt is stored: cannot reveal");
      return true;
    }
    duties.setBallotState(b.disputeId, b.round, state === BallotOnChain.Revealed ? "revealed" : "committed");
    return true;
  }

  /** Re-runs the request, draws a salt and stores the vote with it BEFORE anything is sent. */
  async #saltVote(b: StoredBallot, log: Logger): Promise<StoredBallot | undefined> {
    const { duties } = this.#o;
    const req = await this.request(b.disputeId);
    // Cannot serve (input or model unavailable, limits hit) throws: retried next round, and the vote is
    // missed at the commit deadline rather than cast "invalid" against operators who answered.
    const ans = await this.#o.computer.answer(req);
    const salt = hexlify(randomBytes(32));
    duties.saltBallot(b.disputeId, b.round, {
      outcome: ans.outcome,
      outputHash: ans.outputHash,
      output: ans.output,
      salt,
    });
    const stored = duties.getBallot(b.disputeId, b.round);
    if (stored !== undefined)
      log.info(
        { outcome: stored.outcome, outputHash: stored.outputHash },
        "juror vote computed; salt stored",
      );
    return stored;
  }

  async #reveal(b: StoredBallot, headTime: number): Promise<void> {
    const { duties, operator } = this.#o;
    const disputes = await this.disputes();
    const log = this.#log.child({ disputeId: b.disputeId.toString(), round: b.round });
    if (headTime < b.commitDeadline) return; // the next block is > commitDeadline once head reaches it
    const onChain = await disputes.ballotOf(b.disputeId, b.round, operator);
    if (Number(onChain.state) === BallotOnChain.Revealed) {
      duties.setBallotState(b.disputeId, b.round, "revealed");
      return;
    }
    if (headTime >= b.revealDeadline) {
      duties.setBallotState(b.disputeId, b.round, "missed", "reveal deadline passed");
      this.#o.metrics?.missedDuty("reveal");
      log.error({ revealDeadline: b.revealDeadline, headTime }, "juror missed the reveal deadline");
      return;
    }
    const r = await this.#send(
      "revealVote",
      disputesInterface.encodeFunctionData("revealVote", [b.disputeId, b.outcome, b.outputHash, b.salt]),
    );
    if (r instanceof DutyRevert) {
      // RevealNotOpen while the head's time equals the deadline: retried next poll.
      log.debug({ reason: r.reason }, "revealVote would revert; retrying next poll");
      return;
    }
    duties.setBallotState(b.disputeId, b.round, "revealed");
    log.info({ txHash: r.hash, outcome: b.outcome, outputHash: b.outputHash }, "juror vote revealed");
  }

  // ------------------------------------------------------------------------------------ keeping

  async #keep(id: bigint, role: "challenger" | "juror", headTime: number): Promise<void> {
    const disputes = await this.disputes();
    const d = await disputes.disputeOf(id);
    const phase = Number(d.phase);
    if (phase === Phase.Settled || phase === Phase.None) {
      await this.#finish(id);
      return;
    }
    const req = await this.request(id);
    if (phase === Phase.Arbitration) {
      // The arbiter decides; if it never does, anyone may settle by timeout once its deadline passed.
      if (headTime > Number(d.arbiterDeadline)) await this.#resolveByTimeout(id, req.request);
    } else if (phase === Phase.Refereed) {
      // An admitted referee decided; once its appeal window is over unappealed, anyone applies the verdict.
      if (headTime > Number(d.arbiterDeadline)) await this.#settleReferee(id, req.request);
    } else if (phase === Phase.Open) {
      await this.#drawJury(id, req.request);
    } else {
      await this.#settleCommittee(id, role, d, headTime, req.request);
    }
  }

  async #resolveByTimeout(id: bigint, request: CommittedRequest): Promise<void> {
    const log = this.#log.child({ disputeId: id.toString() });
    const r = await this.#send(
      "resolveByTimeout",
      disputesInterface.encodeFunctionData("resolveByTimeout", [id, request]),
    );
    if (r instanceof DutyRevert) log.debug({ reason: r.reason }, "resolveByTimeout would revert");
    else log.warn({ txHash: r.hash }, "the arbiter did not decide in time: dispute resolved by timeout");
  }

  /**
   * The jury is drawn from the randomness ticket the dispute took; anyone who keeps the dispute may draw it
   * (after an escalation, or in an automatic dispute nobody challenged); before the ticket's value
   * exists the call reverts RandomnessNotReady and is tried again next poll.
   */
  async #drawJury(id: bigint, request: CommittedRequest): Promise<void> {
    const log = this.#log.child({ disputeId: id.toString() });
    const r = await this.#send("drawJury", disputesInterface.encodeFunctionData("drawJury", [id, request]));
    if (!(r instanceof DutyRevert)) log.info({ txHash: r.hash }, "jury drawn");
    else if (/RandomnessNotReady/.test(String(r.reason)))
      log.debug("jury randomness not ready; retrying next poll");
    else log.warn({ reason: r.reason }, "drawJury would revert");
  }

  /**
   * Voting: after the reveal deadline (+ grace for jurors, ordered by seat) `settle` with the majority's
   * output, or `escalate` when there is no majority.
   */
  async #settleCommittee(
    id: bigint,
    role: "challenger" | "juror",
    d: { round: bigint; revealDeadline: bigint },
    headTime: number,
    request: CommittedRequest,
  ): Promise<void> {
    const disputes = await this.disputes();
    const log = this.#log.child({ disputeId: id.toString() });
    const round = Number(d.round);
    const grace = role === "juror" ? await this.#jurorGrace(id, round) : 0;
    if (headTime < Number(d.revealDeadline) + grace) return;
    const majority = (await disputes.majorityOf(id, round)).toLowerCase();
    if (/^0x0+$/.test(majority)) {
      const r = await this.#send("escalate", disputesInterface.encodeFunctionData("escalate", [id, request]));
      if (r instanceof DutyRevert) log.info({ reason: r.reason }, SETTLE_REVERTS);
      else log.warn({ txHash: r.hash, round }, "no majority: dispute escalated");
      return;
    }
    const args = await this.#settlement(id, request, majority);
    if (args === undefined) {
      log.warn({ majority }, "cannot settle: the majority's output is unknown to us; leaving it to others");
      return;
    }
    const r = await this.#send(
      "settle",
      disputesInterface.encodeFunctionData("settle", [id, request, args.majorityOutput, args.answered]),
    );
    if (r instanceof DutyRevert) {
      log.info({ reason: r.reason }, SETTLE_REVERTS);
      return;
    }
    log.warn({ txHash: r.hash, round }, "dispute settled");
    await this.#finish(id);
  }

  /** How long a juror waits after the reveal deadline: (seat + 1) × graceSeconds, after every seat if unseated. */
  async #jurorGrace(id: bigint, round: number): Promise<number> {
    const disputes = await this.disputes();
    const seats = (await disputes.jurorsOf(id, round)).map((j) => j.toLowerCase());
    const seat = seats.indexOf(this.#o.operator.toLowerCase());
    return (seat < 0 ? seats.length + 1 : seat + 1) * (this.#o.graceSeconds ?? 30);
  }

  /** A dispute we kept is over: stop keeping it and claim what it credited us. */
  async #finish(id: bigint): Promise<void> {
    this.#o.duties.finishTracked(id);
    await this.#claim();
  }

  /**
   * Applies the unappealed verdict of the referee (`settleReferee` with the outcome and output of the
   * dispute's last `RefereeDecided` event): the liar is slashed, the requester refunded, the challenger paid.
   */
  async #settleReferee(id: bigint, req: CommittedRequest): Promise<void> {
    const disputes = await this.disputes();
    const log = this.#log.child({ disputeId: id.toString() });
    const logs = await this.#o.provider.getLogs({
      address: await disputes.getAddress(),
      fromBlock: this.#o.startBlock ?? 0,
      toBlock: "latest",
      topics: [REFEREE_DECIDED, toBeHex(id, 32)],
    });
    const last = logs.at(-1);
    const verdict = last && disputesInterface.parseLog({ topics: [...last.topics], data: last.data });
    if (!verdict) {
      log.warn("refereed dispute without a RefereeDecided event; leaving it to others");
      return;
    }
    const outcome = Number(verdict.args.outcome);
    const output = String(verdict.args.output);
    const r = await this.#send(
      "settleReferee",
      disputesInterface.encodeFunctionData("settleReferee", [id, req, outcome, output]),
    );
    if (r instanceof DutyRevert) {
      log.info({ reason: r.reason }, "settleReferee would revert (someone else was first?)");
      return;
    }
    log.warn({ txHash: r.hash, outcome }, "the referee's verdict was not appealed: dispute settled by it");
    await this.#finish(id);
  }

  /**
   * Claims what the Disputes contract credited to the signer (a challenger's bond back and reward).
   * Juror shares are credited to the operator's account, which only the operator's key can claim.
   */
  async #claim(): Promise<void> {
    const disputes = await this.disputes();
    const amount = await disputes.claimable(this.#o.signer.address);
    if (amount === 0n) return;
    const r = await this.#send("claim", disputesInterface.encodeFunctionData("claim"));
    if (r instanceof DutyRevert) this.#log.debug({ reason: r.reason }, "claim would revert");
    else this.#log.info({ txHash: r.hash, amount: amount.toString() }, "claimed dispute credits");
  }

  /** The majority's output (ours, the challenger's claim or an answer) and the per-operator outputs. */
  async #settlement(
    id: bigint,
    req: CommittedRequest,
    majority: string,
  ): Promise<{ majorityOutput: Uint8Array; answered: Uint8Array[] } | undefined> {
    const answers = await this.answers(id);
    const candidates: Answer[] = this.#o.duties
      .ballotsOf(id)
      .filter((b) => b.salt !== "")
      .map((b) => ({ outcome: b.outcome, output: b.output }));
    const claimed = await this.#claimedOutput(id);
    if (claimed !== undefined && claimed.length > 0) candidates.push({ outcome: 0, output: claimed });
    candidates.push(...answers.values());
    let majorityOutput: Uint8Array | undefined;
    if (majority === voteKey(1, "0x")) {
      majorityOutput =
        candidates.find((c) => c.outcome === 1 && c.output.length === 32)?.output ??
        Buffer.from(toBeHex(1, 32).slice(2), "hex"); // any non-zero reason: invalid votes count together
    } else {
      majorityOutput = candidates.find(
        (c) => c.outcome === 0 && voteKey(0, keccak256(c.output)) === majority,
      )?.output;
    }
    if (majorityOutput === undefined) return undefined;
    const decided = keccak256(majorityOutput);
    const answered = req.operators.map((_op, i) => {
      const a = answers.get(i);
      return a !== undefined && a.outcome === 0 && keccak256(a.output) !== decided
        ? a.output
        : new Uint8Array();
    });
    return { majorityOutput, answered };
  }
}
