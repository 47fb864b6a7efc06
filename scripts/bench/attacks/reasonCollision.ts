/**
 * Issue 15.5: a colluding operator answers INVALID_INPUT with reason = keccak256(honest output), hoping it
 * "agrees", turns the k = 3 request into Rejected, refunds the colluding requester and leaves the honest
 * operators unpaid. Now the reason is refused (defined codes only) and outcomes are compared first.
 */
import { getBytes, keccak256 } from "ethers";
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { Outcome, signAttestation, verdictDomain } from "../../../sdk/eip712.js";
import { encodeTensors } from "../../../sdk/tensor.js";
import {
  assigned,
  deployProtocol,
  increaseTime,
  makeRequest,
  signedAnswer,
} from "../../../test/helpers/protocol.js";

const OPG = 10n ** 18n;
const opg = (wei: bigint): number => Number(wei) / Number(OPG);

async function replay(): Promise<Figures> {
  const p = await deployProtocol({ redundancy: 3 });
  const requester = await p.requester.getAddress();
  const requesterBefore = await p.coordinator.balanceOf(requester);
  const created = await makeRequest(p);
  const ops = created.request.operators;
  const honestA = ops[0]!;
  const colluder = ops[1]!;
  const honestB = ops[2]!;
  const honest = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [42n] }]);
  const before = {
    requester: requesterBefore,
    colluder: await p.staking.poolAssets(colluder),
    honest: await Promise.all([honestA, honestB].map((op) => p.staking.poolAssets(op))),
  };
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, honest),
      "0x",
    )
  ).wait();
  const forged = keccak256(honest);
  const signature = await signAttestation(
    assigned(p, created, 1).signer,
    verdictDomain(p.chainId, await p.coordinator.getAddress()),
    {
      requestId: created.requestId,
      modelHash: created.request.modelHash,
      inputHash: created.request.inputHash,
      outputHash: forged,
      outcome: Outcome.INVALID_INPUT,
    },
  );
  let accepted = true;
  try {
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        { index: 1, outcome: Outcome.INVALID_INPUT, output: getBytes(forged), signature },
        "0x",
      )
    ).wait();
  } catch {
    accepted = false;
  }
  // The colluder's forged answer is refused; it stays silent, the other honest operator answers, and
  // the request expires: the requester is refunded, the colluder (a real no-show next to served
  // answers) is slashed, the honest operators lose nothing.
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 2, honest),
      "0x",
    )
  ).wait();
  await increaseTime(p, 601);
  await (await p.coordinator.expire(created.requestId, created.request)).wait();
  let honestLoss = 0n;
  for (const [i, op] of [honestA, honestB].entries()) {
    honestLoss += before.honest[i]! - (await p.staking.poolAssets(op));
  }
  const requesterNet = (await p.coordinator.balanceOf(requester)) - before.requester;
  const colluderNet = (await p.staking.poolAssets(colluder)) - before.colluder;
  return {
    "attacks.reasonCollision.honestLossOpg": opg(honestLoss) + (accepted ? 1 : 0),
    "attacks.reasonCollision.attackerNetOpg": opg(requesterNet + colluderNet),
  };
}

export default defineAttack(replay, {
  name: "reasonCollision",
  description:
    "A colluder answers INVALID_INPUT with reason = keccak256(honest output) on a k = 3 request to get it Rejected (requester refunded, honest operators unpaid).",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0 },
});
