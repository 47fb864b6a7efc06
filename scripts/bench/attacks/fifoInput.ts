/**
 * Issue 15.4 / 20.8: a requester names a FIFO (file://) as its input URI. Before, the relayer's read of it
 * never returned: polling stopped (/healthz false), honest requests stalled and expiry slashed and jailed the
 * operators. Now file:// is read only inside directories the operator allowed, only regular files (lstat,
 * then fstat on a non-blocking descriptor), with size caps and timeouts, and the request is answered "input
 * unavailable". The FIFO sits inside the allowed input directory (the worst case). Replayed against the real
 * relayer process, with honest requests timed alongside and `expire` tried after the deadline.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { toUtf8Bytes } from "ethers";
import { request, uriParams } from "../../lib/devnet.js";
import {
  deadlineIn,
  expireUnserved,
  FEE,
  honestLatencies,
  openLedger,
  withRunningBed,
} from "../../lib/node-attack.js";

function replay(): Promise<Figures> {
  return withRunningBed({}, async (bed) => {
    const { devnet } = bed;
    const fifo = path.join(bed.inputsDir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const ledger = await openLedger(devnet);
    const created = await request(
      devnet,
      uriParams(devnet.models[bed.honest.name]!, toUtf8Bytes("anything"), pathToFileURL(fifo).href, {
        deadline: await deadlineIn(devnet, 300),
      }),
    );
    const honest = await honestLatencies(bed, 4, 60_000);
    await expireUnserved(devnet, created, ledger.from, 30_000);
    return {
      "attacks.fifoInput.stalledRequests": honest.filter((x) => !Number.isFinite(x)).length,
      "attacks.fifoInput.honestLossOpg": await ledger.stakeLoss(),
      // The same account paid the honest requests' fees (one model fee each, k = 1): not the attack's cost.
      "attacks.fifoInput.attackerNetOpg": await ledger.requesterNetOpg(BigInt(honest.length) * FEE),
    };
  });
}

export default defineAttack(replay, {
  name: "fifoInput",
  description:
    "A FIFO as a requester's file:// input URI (inside the operator's allowed input directory) while honest requests are timed; expire tried after the deadline; real relayer process",
  maxima: { stalledRequests: 0, honestLossOpg: 0, attackerNetOpg: 0 },
});
