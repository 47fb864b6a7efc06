/**
 * Issue 15.3: a model owner registers a model whose bytes cannot be fetched (or hash to something else); before,
 * operators dropped the job and were slashed at expiry while the model stayed active. Now operators answer
 * CANNOT_SERVE (MODEL_UNAVAILABLE): the request ends refunded with no penalty, and distinct operators' strikes
 * suspend the model. A single lazy operator striking a good model cannot suspend it.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { ReasonCode } from "../../../sdk/eip712.js";
import { encodeTensors } from "../../../sdk/tensor.js";
import { deployProtocol, makeRequest, signedAnswer } from "../../../test/helpers/protocol.js";

async function replay(): Promise<Figures> {
  // The unavailable model: k = 2, both drawn operators answer MODEL_UNAVAILABLE.
  const p = await deployProtocol({ operators: 4, redundancy: 2 });
  const pools = await Promise.all(p.operators.map((o) => p.staking.poolAssets(o.address)));
  const owner = await p.modelOwner.getAddress();
  const ownerBefore = await p.coordinator.balanceOf(owner);
  for (let i = 0; i < 12 && (await p.registry.terms(p.modelHash)).active; ++i) {
    const created = await makeRequest(p);
    for (const index of [0, 1]) {
      const answer = await signedAnswer(p, created, index, "0x", { invalid: ReasonCode.MODEL_UNAVAILABLE });
      await (await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x")).wait();
    }
  }
  let honestLoss = 0n;
  for (const [i, o] of p.operators.entries())
    honestLoss += pools[i]! - (await p.staking.poolAssets(o.address));
  await (await p.coordinator.claimRoyalties(p.modelHash)).wait();
  const ownerNet = (await p.coordinator.balanceOf(owner)) - ownerBefore;
  const badModelActive = (await p.registry.terms(p.modelHash)).active ? 1 : 0;

  // A good model (k = 1): one lazy operator answers MODEL_UNAVAILABLE whenever drawn, the others serve.
  const q = await deployProtocol({ operators: 4, redundancy: 1 });
  const lazy = q.operators[0]!.address;
  const out = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [1n] }]);
  for (let i = 0; i < 16; ++i) {
    const created = await makeRequest(q);
    const isLazy = created.request.operators[0] === lazy;
    const answer = isLazy
      ? await signedAnswer(q, created, 0, "0x", { invalid: ReasonCode.MODEL_UNAVAILABLE })
      : await signedAnswer(q, created, 0, out);
    await (await q.coordinator.submitAnswer(created.requestId, created.request, answer, "0x")).wait();
  }
  return {
    "attacks.modelUnavailable.honestLossOpg": Number(honestLoss) / 1e18,
    "attacks.modelUnavailable.attackerNetOpg": Number(ownerNet) / 1e18,
    "attacks.modelUnavailable.badModelActive": badModelActive,
    "attacks.modelUnavailable.goodModelSuspended": (await q.registry.terms(q.modelHash)).active ? 0 : 1,
  };
}

export default defineAttack(replay, {
  name: "modelUnavailable",
  description:
    "A model owner registers a model whose bytes cannot be fetched, so that requests for it expire and slash the drawn operators; and a lazy operator reports a good model unavailable to get it suspended.",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0, badModelActive: 0, goodModelSuspended: 0 },
});
