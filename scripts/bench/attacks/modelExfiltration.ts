/**
 * Issue 20.1: a model owner registers ONNX models whose only weight is "external data" naming the operator's
 * `.env` (relative, and by absolute path inside an If branch) and requests them: a loader that honours it
 * returns the file's bytes as the output, and the operator signs and posts its own key. Replayed against the
 * real relayer process; secretsLeaked counts posted answers that carry any part of the secret.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { inlineParams, request } from "../../lib/devnet.js";
import { sleep } from "../../../sdk/retry.js";
import { answersSince, honestLatencies, uint8Input, withRunningBed } from "../../lib/node-attack.js";

function replay(): Promise<Figures> {
  return withRunningBed({}, async (bed) => {
    const { devnet } = bed;
    const from = await devnet.provider.getBlockNumber();
    for (const m of [bed.exfil, bed.exfilAbsolute]) {
      await request(devnet, inlineParams(devnet.models[m.name]!, uint8Input("x", [1], [0n])));
    }
    const honest = await honestLatencies(bed, 3, 60_000);
    await sleep(3_000);
    const secret = Buffer.from(bed.secret).toString("hex");
    const key = devnet.operators[0]!.signerKey.slice(2).toLowerCase();
    // Any 8-byte window of the secret (or 8 bytes of the raw key) in any posted output is a leak.
    const windows = new Set<string>();
    for (let i = 0; i + 16 <= secret.length; i += 2) windows.add(secret.slice(i, i + 16));
    for (let i = 0; i + 16 <= key.length; i += 2) windows.add(key.slice(i, i + 16));
    const leaked = (await answersSince(devnet, from)).filter((a) => {
      const out = a.output.toLowerCase();
      for (const w of windows) if (out.includes(w)) return true;
      return false;
    }).length;
    return {
      "attacks.modelExfiltration.secretsLeaked": leaked,
      "attacks.modelExfiltration.stalledRequests": honest.filter((x) => !Number.isFinite(x)).length,
    };
  });
}

export default defineAttack(replay, {
  name: "modelExfiltration",
  description:
    "A model owner registers a ~125-byte ONNX model whose weights are external data pointing at the operator's .env (and one hiding it in an If branch) and requests it from the real relayer process",
  maxima: { secretsLeaked: 0, stalledRequests: 0 },
});
