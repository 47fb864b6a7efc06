/**
 * The operator draw, from the relayer's side (issue 16): every created request needs someone to send its
 * `assign` once its ticket's value exists (BlockhashRandomness: from the block after the request). Any relayer
 * may; the coordinator draws the same operators whoever sends it. Each poll this sends one `assignBatch` with the
 * requests due (simulated on the pending block first: on the latest block the ticket's own block hash does not
 * exist yet), from the signer's ONE nonce sequence (duty-tx.ts, shared with the answer submitter and the dispute
 * duties), and waits for it. A batch another relayer beat skips what is already assigned instead of reverting.
 *
 * A request whose ticket went stale (its weight epoch moved on, or the value expired) is drawn by nobody until a
 * transaction renews its ticket: `assign` then returns false (`TicketRenewed`) instead of drawing. Such requests
 * are sent too, even when nothing in the batch would be drawn, so a request is never left waiting for a draw
 * that no simulation will ever show. Requests past their deadline are dropped (the coordinator refuses to draw
 * them; `expire` refunds them in full).
 */
import type { JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { Coordinator__factory } from "../../types/ethers-contracts/index.js";
import { requestGasLimit } from "../../sdk/requests.js";
import { dutySender, type DutySender, type DutySenderOptions } from "./duty-tx.js";
import type { ChainSync } from "./sync.js";

export interface AssignerOptions {
  provider: JsonRpcProvider;
  signer: Wallet;
  coordinator: string;
  sync: ChainSync;
  logger: Logger;
  /** Most requests per assignBatch. */
  maxBatch?: number;
  /** The signer's nonce sequence and fee cap (shared with the submitter and the duties). */
  sender?: DutySenderOptions;
}

export class Assigner {
  readonly #o: AssignerOptions;
  readonly #sender: DutySender;
  /** Requests in a sent batch, by id: the block it was sent at (not resent until a few blocks pass). */
  readonly #sent = new Map<bigint, number>();

  constructor(options: AssignerOptions) {
    this.#o = options;
    const iface = Coordinator__factory.createInterface();
    this.#sender = dutySender(options.provider, options.signer, [iface], 120_000, {
      ...options.sender,
      estimateBlockTag: "pending",
      gasLimit: requestGasLimit,
    });
  }

  /**
   * Sends the draws (and ticket renewals) that are due at `head`: those whose ticket's value exists in the next
   * block. Returns how many requests the sent batch carried.
   */
  async run(head: number, headTime: number): Promise<number> {
    const { sync, logger } = this.#o;
    const due = [];
    for (const [id, c] of sync.unassigned) {
      if (BigInt(headTime) > c.request.deadline) {
        sync.dropUnassigned(id);
        this.#sent.delete(id);
        continue;
      }
      if (c.ticket > BigInt(head)) continue;
      const sentAt = this.#sent.get(id);
      if (sentAt !== undefined && head - sentAt < 4) continue;
      due.push(c);
      if (due.length >= (this.#o.maxBatch ?? 64)) break;
    }
    if (due.length === 0) return 0;
    const coordinator = Coordinator__factory.connect(this.#o.coordinator, this.#o.provider);
    let kept = due;
    const drawn = await coordinator.assignBatch
      .staticCall(
        due.map((c) => c.requestId),
        due.map((c) => c.request),
        { blockTag: "pending", from: this.#o.signer.address },
      )
      .catch(() => undefined);
    if (drawn !== BigInt(due.length)) {
      // Some request is not drawn by this batch: each alone tells why. `assign` returns true (drawn) or false
      // (its ticket is renewed: worth a transaction too) and reverts when nothing can happen now (not ready,
      // already drawn, more operators than are eligible): only those are left out, so one never blocks the rest.
      const ok = await Promise.all(
        due.map((c) =>
          coordinator.assign
            .staticCall(c.requestId, c.request, { blockTag: "pending", from: this.#o.signer.address })
            .then(() => true)
            .catch(() => false),
        ),
      );
      for (const [i, c] of due.entries()) if (ok[i] !== true) this.#sent.set(c.requestId, head);
      kept = due.filter((_, i) => ok[i] === true);
      logger.debug(
        { skipped: due.length - kept.length, kept: kept.length },
        "requests not drawable now left out of the batch",
      );
      if (kept.length === 0) return 0;
    }
    const ids = kept.map((c) => c.requestId);
    for (const id of ids) this.#sent.set(id, head);
    if (this.#sent.size > 10_000) this.#sent.clear();
    const data = coordinator.interface.encodeFunctionData("assignBatch", [ids, kept.map((c) => c.request)]);
    // A failed draw never holds up answering: logged, retried a few blocks later (or done by another relayer).
    try {
      const receipt = await this.#sender.send("assignBatch", this.#o.coordinator, data);
      logger.debug({ tx: receipt.hash, n: ids.length }, "assignBatch mined");
      return ids.length;
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e), n: ids.length }, "assignBatch failed");
      return 0;
    }
  }
}
