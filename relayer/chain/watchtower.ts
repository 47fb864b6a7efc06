/**
 * Watchtower: re-executes a share (VERDICT_WATCHTOWER_SHARE) of other operators' answers. When our
 * result disagrees beyond the model's tolerance (or the outcomes differ), it logs a warning, counts
 * `verdict_relayer_dispute_candidates_total` and stores a `dispute_candidates` row in chain.db.
 * Filing the dispute belongs to the dispute module: it plugs in through `onDisputeCandidate`.
 *
 * It abstains (never a candidate) when it cannot re-execute (the input or model is unavailable to us,
 * our limits are hit: a CannotServeError) and when the answer it checks is itself a "cannot serve" one
 * (input unavailable): a requester who withdraws its input after the answers must not get honest
 * operators disputed.
 */
import { Counter } from "prom-client";
import type { Logger } from "pino";
import { outputsAgree } from "../../sdk/agreement.js";
import type { RelayerMetrics } from "../metrics.js";
import { isCannotServeAnswer } from "../outcomes.js";
import type { Computer } from "./compute.js";
import type { ChainDb, DisputeCandidate } from "../db/requests.js";

export interface WatchtowerOptions {
  chainDb: ChainDb;
  computer: Computer;
  metrics: RelayerMetrics;
  logger: Logger;
  /** Hook for the dispute module (files a dispute with a bond); errors are logged, not fatal. */
  onDisputeCandidate?: (c: DisputeCandidate) => Promise<void>;
  now?: () => number;
}

export class Watchtower {
  readonly #o: WatchtowerOptions;
  readonly candidates: Counter;

  constructor(o: WatchtowerOptions) {
    this.#o = o;
    const existing = o.metrics.registry.getSingleMetric("verdict_relayer_dispute_candidates_total");
    this.candidates =
      (existing as Counter | undefined) ??
      new Counter({
        name: "verdict_relayer_dispute_candidates_total",
        help: "Other operators' answers the watchtower found wrong (dispute candidates)",
        registers: [o.metrics.registry],
      });
  }

  /** Re-executes up to `limit` queued answers; returns how many were checked. */
  async run(limit = 10): Promise<number> {
    const { chainDb, computer, logger } = this.#o;
    let n = 0;
    for (const w of chainDb.pendingWatch(limit)) {
      const req = chainDb.getRequest(w.requestId);
      if (req === undefined) {
        chainDb.finishWatch(w.requestId, w.index, "skipped");
        continue;
      }
      if (isCannotServeAnswer(w.outcome, w.outputHash)) {
        chainDb.finishWatch(w.requestId, w.index, "skipped");
        continue;
      }
      let ours;
      try {
        ours = await computer.answer(req);
      } catch (e) {
        logger.warn(
          { err: e instanceof Error ? e.message : String(e), requestId: w.requestId.toString() },
          "watchtower could not re-execute; abstained",
        );
        chainDb.finishWatch(w.requestId, w.index, "skipped");
        continue;
      }
      n++;
      let agree: boolean;
      let detail: string;
      if (ours.outcome !== w.outcome) {
        agree = false;
        detail = `outcome ${w.outcome}, we get ${ours.outcome}`;
      } else if (ours.outcome === 1) {
        agree = true; // two invalid-input verdicts agree whatever the reason
        detail = "";
      } else {
        const r = outputsAgree(ours.output, w.output, req.request.tolerance);
        agree = r.agree;
        detail = `${r.reason ?? ""} maxDelta=${r.maxDelta ?? "?"} tolerance=${req.request.tolerance}`;
      }
      chainDb.finishWatch(w.requestId, w.index, agree ? "agree" : "disagree");
      if (agree) continue;
      const c: DisputeCandidate = {
        requestId: w.requestId,
        index: w.index,
        operator: w.operator,
        theirOutputHash: w.outputHash,
        ourOutputHash: ours.outputHash,
        detail,
        createdAt: (this.#o.now ?? Date.now)(),
      };
      chainDb.addDisputeCandidate(c);
      this.candidates.inc();
      logger.warn(
        { requestId: w.requestId.toString(), operator: w.operator, index: w.index, detail },
        "watchtower: answer disagrees with our re-execution (dispute candidate)",
      );
      await this.#o
        .onDisputeCandidate?.(c)
        .catch((e: unknown) => logger.error({ err: e }, "dispute hook failed"));
    }
    return n;
  }
}
