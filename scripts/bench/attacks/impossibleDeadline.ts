/**
 * Issue 15.2: a requester repeats unanswerable requests (deadline now + 1, k = 8) against the whole network:
 * before, expire refunded it in full and slashed and jailed every drawn operator, until honest requests
 * reverted with NotEnoughOperators. Now deadlines respect the minimum answer time, k is bounded, and a miss is
 * penalised only when another operator served the request.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { deployProtocol, increaseTime, makeRequest } from "../../../test/helpers/protocol.js";

async function replay(_connection: unknown, quick: boolean): Promise<Figures> {
  const p = await deployProtocol({ operators: 4, redundancy: 3 });
  const attacker = p.requester;
  const attackerAddr = await attacker.getAddress();
  const pools = await Promise.all(p.operators.map((o) => p.staking.poolAssets(o.address)));
  const balanceBefore = await p.coordinator.balanceOf(attackerAddr);
  const rounds = quick ? 4 : 12;
  for (let i = 0; i < rounds; ++i) {
    const now = BigInt((await p.ethers.provider.getBlock("latest"))!.timestamp);
    // now + 1 and k = 8 are refused outright; the attacker takes the tightest accepted terms.
    for (const bad of [{ deadline: now + 2n }, { redundancy: 8 }]) {
      try {
        await makeRequest(p, bad);
        throw new Error(
          `accepted ${JSON.stringify(bad, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
        );
      } catch (err) {
        if (err instanceof Error && err.message.startsWith("accepted")) throw err;
      }
    }
    const created = await makeRequest(p, { redundancy: 3, deadline: now + 61n });
    await increaseTime(p, 62);
    await (await p.coordinator.expire(created.requestId, created.request)).wait();
  }
  let honestLoss = 0n;
  for (const [i, o] of p.operators.entries())
    honestLoss += pools[i]! - (await p.staking.poolAssets(o.address));
  let without = 0;
  for (let i = 0; i < 3; ++i) {
    try {
      const honest = await makeRequest(p, { from: p.requester });
      if (honest.request.operators.length !== 3) without += 1;
    } catch {
      without += 1;
    }
  }
  const attackerNet = (await p.coordinator.balanceOf(attackerAddr)) - balanceBefore;
  // The three honest requests above were paid from the same balance: add their escrow back.
  const fee = (await p.registry.terms(p.modelHash)).feePerInference;
  return {
    "attacks.impossibleDeadline.honestLossOpg": Number(honestLoss) / 1e18,
    "attacks.impossibleDeadline.attackerNetOpg": Number(attackerNet + fee * 3n * BigInt(3 - without)) / 1e18,
    "attacks.impossibleDeadline.honestRequestsWithoutOperators": without,
  };
}

export default defineAttack(replay, {
  name: "impossibleDeadline",
  description:
    "A requester repeats unanswerable requests (shortest deadline, largest k) against the whole network to slash and jail every operator for free.",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0, honestRequestsWithoutOperators: 0 },
});
