/**
 * Issue 20.2 / 20.3: a requester sends a Loop model a trip count of 10^15 and a ConstantOfShape model a 4 TB
 * shape while honest requests keep coming, against the real relayer process. Before: the job ran for minutes,
 * everything queued behind it and the chain loop (sync, transactions, juror duties, /healthz) waited. Now the
 * job is killed at its deadline (or fails to allocate under the child's memory limit) and is the operator's
 * own "cannot serve". Figures: honest requests not answered within a minute (stalledRequests) and the p99
 * latency of honest requests while hostile ones run, next to the same figure without them.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { inlineParams, request } from "../../lib/devnet.js";
import { honestLatencies, int64Input, percentile, withRunningBed } from "../../lib/node-attack.js";

function replay(_connection: unknown, quick: boolean): Promise<Figures> {
  return withRunningBed({ env: { VERDICT_INFERENCE_TIMEOUT_MS: "5000" } }, async (bed) => {
    const { devnet } = bed;
    const n = quick ? 5 : 12;
    await honestLatencies(bed, 1, 60_000); // loads the honest model
    const baseline = await honestLatencies(bed, n, 60_000);
    const m = devnet.models;
    for (let i = 0; i < 2; i++) {
      await request(
        devnet,
        inlineParams(m[bed.endless.name]!, int64Input("n", [], [10n ** 15n + BigInt(i)])),
      );
      await request(
        devnet,
        inlineParams(m[bed.huge.name]!, int64Input("shape", [2], [1_000_000n, 1_000_000n + BigInt(i)])),
      );
    }
    const during = await honestLatencies(bed, n, 60_000);
    const stalled = during.filter((x) => !Number.isFinite(x)).length;
    const finite = (xs: number[]): number[] => xs.filter(Number.isFinite);
    return {
      "attacks.endlessModel.stalledRequests": stalled,
      "relayer.hostile.otherRequestsP99Ms": Math.round(percentile(finite(during), 99)),
      "relayer.hostile.baselineP99Ms": Math.round(percentile(finite(baseline), 99)),
    };
  });
}

export default defineAttack(replay, {
  name: "endlessModel",
  description:
    "Endless Loop (trip count from the input) and 4 TB ConstantOfShape requests while honest requests are timed, against the real relayer process (inference deadline 5 s)",
  maxima: { stalledRequests: 0 },
});
