/**
 * The operator draw, from the relayer's side (issue 16): every created request needs someone to send its
 * `assign` once its ticket's value exists (BlockhashRandomness: from the block after the request). Any relayer
 * may; the coordinator draws the same operators whoever sends it. Each poll this sends one `assignBatch` with the
 * requests ready in the next block (simulated and estimated on the pending block first: on the latest block the
 * ticket's own block hash does not exist yet) and waits for it, like the dispute duties (duty-tx.ts), so it does
 * not race the answer submitter for nonces; a batch another relayer beat skips what is already assigned instead
 * of reverting. Requests past their deadline are dropped (the coordinator refuses to draw them; `expire`
 * refunds them in full).
 */
import type { JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { Coordinator__factory } from "../../types/ethers-contracts/index.js";
import type { ChainSync } from "./sync.js";

export interface AssignerOptions {
  provider: JsonRpcProvider;
  signer: Wallet;
  coordinator: string;
  sync: ChainSync;
  logger: Logger;
  /** Most requests per assignBatch. */
  maxBatch?: number;
}

export class Assigner {
  readonly #o: AssignerOptions;
  /** Requests in a sent batch, by id: the block it was sent at (not resent until a few blocks pass). */
  readonly #sent = new Map<bigint, number>();

  constructor(options: AssignerOptions) {
    this.#o = options;
  }

  /** Sends the draws that are due at `head` (whose ticket's value exists in the next block). Returns how many. */
  async run(head: number, headTime: number): Promise<number> {
    const { sync, logger } = this.#o;
    const due = [];
    for (const [id, c] of sync.unassigned) {
      if (BigInt(headTime) > c.request.deadline) {
        sync.unassigned.delete(id);
        continue;
      }
      if (c.ticket > BigInt(head)) continue;
      const sentAt = this.#sent.get(id);
      if (sentAt !== undefined && head - sentAt < 4) continue;
      due.push(c);
      if (due.length >= (this.#o.maxBatch ?? 64)) break;
    }
    if (due.length === 0) return 0;
    const coordinator = Coordinator__factory.connect(this.#o.coordinator, this.#o.signer);
    let ids = due.map((c) => c.requestId);
    let reqs = due.map((c) => c.request);
    let drawn = await coordinator.assignBatch
      .staticCall(ids, reqs, { blockTag: "pending" })
      .catch(() => undefined);
    if (drawn === undefined) {
      // A request that cannot be drawn (e.g. more operators than are eligible) reverts the whole batch: keep
      // only the requests whose own draw goes through, so one such request never blocks the others.
      const ok = await Promise.all(
        due.map((c) =>
          coordinator.assign
            .staticCall(c.requestId, c.request, { blockTag: "pending" })
            .then(() => true)
            .catch(() => false),
        ),
      );
      for (const [i, c] of due.entries()) if (ok[i] !== true) this.#sent.set(c.requestId, head);
      const kept = due.filter((_, i) => ok[i] === true);
      logger.debug({ skipped: due.length - kept.length }, "requests not drawable now left out of the batch");
      if (kept.length === 0) return 0;
      ids = kept.map((c) => c.requestId);
      reqs = kept.map((c) => c.request);
      drawn = BigInt(kept.length);
    }
    if (drawn === 0n) return 0;
    const { provider, signer } = this.#o;
    const data = coordinator.interface.encodeFunctionData("assignBatch", [ids, reqs]);
    const request = { from: signer.address, to: this.#o.coordinator, data };
    for (const id of ids) this.#sent.set(id, head);
    if (this.#sent.size > 10_000) this.#sent.clear();
    // A failed draw never holds up answering: logged, retried a few blocks later (or done by another relayer).
    try {
      const estimate = BigInt((await provider.send("eth_estimateGas", [request, "pending"])) as string);
      const tx = await signer.sendTransaction({
        to: request.to,
        data,
        gasLimit: (estimate * 3n) / 2n + 50_000n,
      });
      const receipt = await tx.wait(1, 120_000);
      logger.debug({ tx: tx.hash, n: ids.length, status: receipt?.status }, "assignBatch mined");
      return Number(drawn);
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e), n: ids.length }, "assignBatch failed");
      return 0;
    }
  }
}
