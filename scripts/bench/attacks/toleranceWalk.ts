/**
 * Issue 21.1: tolerance walked. Before, each answer was compared with the lowest-numbered answer so far and
 * finalize delivered whatever its caller passed: 52, 47, 42 (truth 42, tolerance 5) raised no dispute, and 3
 * colluders of k = 8 shifted the result 3 tolerances. Now every answer is compared with the first answer posted
 * and that anchor is what is delivered. Also: after a dispute, an operator that never answered is not paid.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import {
  deployProtocol,
  governed,
  makeRequest,
  signedAnswer,
  type Protocol,
} from "../../../test/helpers/protocol.js";
import { int64Input } from "../../lib/node-attack.js";
import type { CreatedRequest } from "../../../sdk/requests.js";

/** The int64 scalar output `y` = v. */
const out = (v: bigint): Uint8Array => int64Input("y", [1], [v]);

/** Posts `values` in order from indices 0..; returns whether a disagreement was raised. */
async function postAll(p: Protocol, created: CreatedRequest, values: bigint[]): Promise<boolean> {
  const anchor = out(values[0]!);
  for (const [i, v] of values.entries()) {
    const receipt = await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, i, out(v)),
        i === 0 ? "0x" : anchor,
      )
    ).wait();
    if (receipt!.logs.some((l) => p.coordinator.interface.parseLog(l)?.name === "AnswersDisagree"))
      return true;
  }
  return false;
}

async function replay(_connection: unknown, quick: boolean): Promise<Figures> {
  const tolerance = 5n;
  const truth = 42n;
  const p = await deployProtocol({ operators: 8, redundancy: 8, tolerance });
  let maxShift = 0n;
  const shifts = quick ? [0n, 5n, 6n, 10n, 15n] : Array.from({ length: 16 }, (_, i) => BigInt(i));
  for (const s of shifts) {
    // Colluders: truth + s, then steps of one tolerance down towards the truth; the honest five: truth.
    const colluders = [truth + s, truth + s - tolerance, truth + s - 2n * tolerance].map((v) =>
      v < truth ? truth : v,
    );
    const values = [...colluders, ...Array<bigint>(5).fill(truth)];
    const created = await makeRequest(p);
    const disputed = await postAll(p, created, values);
    if (!disputed && s > maxShift) maxShift = s; // delivered = the anchor = truth + s
  }

  // The silent operator after a dispute the jury settles with the answers standing.
  const q = await deployProtocol({ redundancy: 3, tolerance });
  const created = await makeRequest(q);
  await postAll(q, created, [truth, truth + 3n * tolerance]);
  const silent = created.request.operators[2]!;
  const before = (await q.coordinator.operatorRecord(silent)).accruedFees;
  const hook = q.others[0]!;
  await governed(
    q,
    await q.coordinator.getAddress(),
    q.coordinator.interface.encodeFunctionData("setDisputeHook", [await hook.getAddress()]),
  );
  await (
    await q.coordinator.connect(hook).settleDispute(created.requestId, created.request, 0, 0, out(truth))
  ).wait();
  const paid = (await q.coordinator.operatorRecord(silent)).accruedFees - before;
  return {
    "attacks.toleranceWalk.maxShiftOverTolerance": Number(maxShift) / Number(tolerance),
    "attacks.toleranceWalk.silentOperatorPaidOpg": Number(paid) / 1e18,
  };
}

export default defineAttack(replay, {
  name: "toleranceWalk",
  description:
    "Three colluders of k = 8 answer first, each within tolerance of the previous (truth + s, then a walk down), to shift the delivered result without a dispute; and an operator that never answered tries to get paid after a dispute.",
  maxima: { maxShiftOverTolerance: 1, silentOperatorPaidOpg: 0 },
});
