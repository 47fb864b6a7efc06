/**
 * Challenger duty (VERDICT_CHALLENGER=1): files `openDispute` for the watchtower's dispute candidates,
 * with the bond (`bondFor`) paid in OPG by the SIGNER key (it approves the Disputes contract exactly the
 * bond first). The signer being the challenger also keeps this operator off the committee (the contract
 * excludes `operatorOfSigner(challenger)`).
 *
 * Never twice: a candidate is a row in duties.db; it turns `filing` (with the bond) BEFORE any
 * transaction is sent, and every attempt, including the first after a restart, first asks the chain
 * (`disputeOf`): a dispute we opened is adopted (`opened`), one opened by someone else or a request no
 * longer `Answered` is `skipped`. Bonds of our open disputes count against VERDICT_CHALLENGER_BOND_BUDGET.
 * After opening, the dispute is tracked by the dispute duties (drawJury, then settle/escalate when due).
 */
import { CannotServeError } from "../outcomes.js";
import type { Logger } from "pino";
import { formatEther, type JsonRpcProvider } from "ethers";
import { RequestStatus, statusName } from "../../sdk/requests.js";
import {
  Coordinator__factory,
  OPGToken__factory,
  type Coordinator,
  type Disputes,
  type OPGToken,
} from "../../types/ethers-contracts/index.js";
import type { ComputedAnswer, Computer } from "./compute.js";
import type { Challenge, DutiesDb } from "../db/duties.js";
import { DutyRevert } from "./duty-tx.js";
import type { DisputeDuties } from "./juror.js";
import type { ChainDb, DisputeCandidate, StoredRequest } from "../db/requests.js";

const MAX_ATTEMPTS = 3;

export interface ChallengerOptions {
  provider: JsonRpcProvider;
  duties: DutiesDb;
  keeper: DisputeDuties;
  chainDb: ChainDb;
  /** An honest computer: our claimed output is recomputed (the candidate stores only its hash). */
  computer: Computer;
  logger: Logger;
  coordinator: string;
  signerAddress: string;
  /** Most OPG (wei) locked in our open bonds at once. */
  budget: bigint;
}

export class Challenger {
  readonly #o: ChallengerOptions;
  readonly #log: Logger;
  readonly #coordinator: Coordinator;
  readonly #attempts = new Map<bigint, number>();

  constructor(o: ChallengerOptions) {
    this.#o = o;
    this.#log = o.logger.child({ duty: "challenger" });
    this.#coordinator = Coordinator__factory.connect(o.coordinator, o.provider);
  }

  /** The watchtower hook: records the candidate and tries to file it now. */
  async onCandidate(c: DisputeCandidate): Promise<void> {
    if (this.#o.duties.addCandidate(c.requestId, c.operator, c.ourOutputHash)) {
      this.#log.warn(
        { requestId: c.requestId.toString(), operator: c.operator, detail: c.detail },
        "dispute candidate: filing a dispute",
      );
    }
    await this.run();
  }

  /** Files (or reconciles) every candidate not yet decided. */
  async run(): Promise<void> {
    for (const c of this.#o.duties.challengesIn("candidate", "filing")) {
      try {
        await this.#file(c);
      } catch (e) {
        const n = (this.#attempts.get(c.requestId) ?? 0) + 1;
        this.#attempts.set(c.requestId, n);
        const reason = e instanceof DutyRevert ? e.reason : e instanceof Error ? e.message : String(e);
        if (e instanceof DutyRevert && n >= MAX_ATTEMPTS) {
          this.#o.duties.setChallenge(c.requestId, "skipped", { detail: `openDispute reverts: ${reason}` });
          this.#log.error({ requestId: c.requestId.toString(), reason }, "dispute not filed: it reverts");
        } else {
          this.#log.warn(
            { requestId: c.requestId.toString(), reason, attempt: n },
            "filing failed; will retry",
          );
        }
      }
    }
  }

  #skip(c: Challenge, detail: string, level: "warn" | "error" = "warn"): void {
    this.#o.duties.setChallenge(c.requestId, "skipped", { detail });
    this.#log[level]({ requestId: c.requestId.toString(), detail }, "dispute candidate not filed");
  }

  async #file(c: Challenge): Promise<void> {
    const { keeper, chainDb } = this.#o;
    const disputes = await keeper.disputes();
    const req = chainDb.getRequest(c.requestId) ?? (await keeper.request(c.requestId));
    // Ask the chain first: this is what makes a restart (or a second candidate) never file twice.
    if (await this.#alreadyDisputed(c, disputes, req)) return;
    const status = Number((await this.#coordinator.requestState(c.requestId)).status);
    if (status !== RequestStatus.Answered) {
      this.#skip(c, `request is ${statusName(status)}, not Answered`);
      return;
    }
    const bond = await disputes.bondFor(req.request);
    const token = await this.#bondPayable(c, bond, disputes);
    if (token === undefined) return;
    const ours = await this.#ourAnswer(c, req);
    if (ours === undefined) return;
    await this.#openDispute(c, req, bond, ours, disputes, token);
  }

  /** A dispute on the request exists: ours is adopted (`opened`), anyone else's makes the candidate `skipped`. */
  async #alreadyDisputed(c: Challenge, disputes: Disputes, req: StoredRequest): Promise<boolean> {
    const { duties, signerAddress } = this.#o;
    const id = c.requestId;
    const d = await disputes.disputeOf(id);
    if (Number(d.phase) === 0) return false;
    if (d.challenger.toLowerCase() === signerAddress.toLowerCase()) {
      duties.setChallenge(id, "opened", {
        bond: c.bond > 0n ? c.bond : await disputes.bondFor(req.request),
      });
      duties.track(id, "challenger");
      this.#log.info({ requestId: id.toString() }, "our dispute is open (adopted after a restart)");
    } else {
      this.#skip(c, `already disputed by ${d.challenger}`, "warn");
    }
    return true;
  }

  /**
   * The bond token, when the bond fits the budget left by our open bonds and the signer holds it; else the
   * candidate is skipped.
   */
  async #bondPayable(c: Challenge, bond: bigint, disputes: Disputes): Promise<OPGToken | undefined> {
    const { duties, signerAddress, budget } = this.#o;
    const locked = duties.lockedBonds() - (c.state === "filing" ? c.bond : 0n);
    if (locked + bond > budget) {
      this.#skip(
        c,
        `bond ${formatEther(bond)} OPG over budget (${formatEther(locked)} of ${formatEther(budget)} locked)`,
        "error",
      );
      return undefined;
    }
    const token = OPGToken__factory.connect(await disputes.token(), this.#o.provider);
    const balance = await token.balanceOf(signerAddress);
    if (balance < bond) {
      this.#skip(
        c,
        `the signer holds ${formatEther(balance)} OPG, the bond is ${formatEther(bond)}: fund the signer`,
        "error",
      );
      return undefined;
    }
    return token;
  }

  /** Our output, re-executed now; undefined (candidate skipped) when we cannot serve it. */
  async #ourAnswer(c: Challenge, req: StoredRequest): Promise<ComputedAnswer | undefined> {
    let ours: ComputedAnswer;
    try {
      ours = await this.#o.computer.answer(req);
    } catch (e) {
      if (!(e instanceof CannotServeError)) throw e;
      // We cannot re-execute it now (input or model unavailable, limits): never a reason to convict.
      this.#skip(c, `abstained: ${e.message}`);
      return undefined;
    }
    if (ours.outputHash.toLowerCase() !== c.ourOutputHash.toLowerCase()) {
      this.#log.warn(
        { requestId: c.requestId.toString(), first: c.ourOutputHash, now: ours.outputHash },
        "re-execution differs from the watchtower's; claiming the latest",
      );
    }
    return ours;
  }

  /** `filing` is persisted, the bond approved if need be, then `openDispute` sent; the dispute is tracked. */
  async #openDispute(
    c: Challenge,
    req: StoredRequest,
    bond: bigint,
    ours: ComputedAnswer,
    disputes: Disputes,
    token: OPGToken,
  ): Promise<void> {
    const { duties, keeper, signerAddress } = this.#o;
    const id = c.requestId;
    const disputesAddress = await disputes.getAddress();
    // Persisted before anything is sent.
    duties.setChallenge(id, "filing", { bond });
    const sender = keeper.sender();
    if ((await token.allowance(signerAddress, disputesAddress)) < bond) {
      await sender.send(
        "approve",
        await token.getAddress(),
        token.interface.encodeFunctionData("approve", [disputesAddress, bond]),
      );
    }
    const r = await sender.send(
      "openDispute",
      disputesAddress,
      disputes.interface.encodeFunctionData("openDispute", [id, req.request, ours.output]),
    );
    duties.setChallenge(id, "opened", { bond, txHash: r.hash });
    duties.track(id, "challenger");
    this.#log.warn(
      { requestId: id.toString(), operator: c.operator, bond: formatEther(bond), txHash: r.hash },
      "dispute opened",
    );
  }
}
