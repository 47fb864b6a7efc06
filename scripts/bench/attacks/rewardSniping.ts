/**
 * Issue 21.2: reward sniping. An honest 10,000 OPG delegator has been active in an operator's pool for days.
 * A request is answered (the fee is earned); just before the public booking moment (the permissionless
 * `finalize`) a sniper delegates 180,000 OPG, then the request is finalized and synced, and a 721 OPG bond
 * (as a lost dispute bond would be) is paid into the pool. The sniper's shares are still activating: they
 * were slashable, but they earn nothing of what was earned before they arrived.
 */
import { formatEther, parseEther } from "ethers";
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { deployProtocol, increaseTime, makeRequest, signedAnswer } from "../../../test/helpers/protocol.js";

async function replay(): Promise<Figures> {
  const p = await deployProtocol({ operators: 1 });
  const op = p.operators[0]?.address;
  const [honest, sniper] = p.others;
  if (!op || !honest || !sniper) throw new Error("accounts");
  const staking = await p.staking.getAddress();
  for (const [who, amount] of [
    [honest, parseEther("10000")],
    [sniper, parseEther("180000")],
  ] as const) {
    await (await p.token.connect(p.deployer).transfer(await who.getAddress(), amount)).wait();
    await (await p.token.connect(who).approve(staking, amount)).wait();
  }
  await (await p.staking.connect(honest).delegate(op, parseEther("10000"))).wait();
  await increaseTime(p, Number(await p.staking.activationDelay()));
  await (await p.staking.syncRewards(op)).wait();
  await p.connection.networkHelpers.mine(Number(await p.staking.EPOCH_BLOCKS()));

  // The fee is earned: a request answered.
  const created = await makeRequest(p);
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, new Uint8Array([1, 2, 3])),
      "0x",
    )
  ).wait();
  // The sniper delegates just before the booking moments.
  await (await p.staking.connect(sniper).delegate(op, parseEther("180000"))).wait();
  await increaseTime(p, 61);
  await (await p.coordinator.finalize(created.requestId, created.request, "0x")).wait();
  await (await p.staking.syncRewards(op)).wait();
  const bond = parseEther("721");
  await (await p.token.connect(p.deployer).approve(staking, bond)).wait();
  await (await p.staking.connect(p.deployer).notifyReward(op, bond)).wait();

  const captured = await p.staking.pendingRewards(op, await sniper.getAddress());
  const info = await p.staking.getOperator(op);
  const honestGot =
    (await p.staking.pendingRewards(op, await honest.getAddress())) +
    (await p.staking.pendingRewards(op, op)) +
    info.commissionClaimable;
  const booked = bond + (await p.token.balanceOf(staking)) - bond; // informational
  void booked;
  // Everything booked to the pool went to the honest side (up to sub-wei dust).
  const poolRewards = honestGot + captured;
  const honestLoss = poolRewards - honestGot;
  return {
    "attacks.rewardSniping.capturedOpg": Number(formatEther(captured)),
    "attacks.rewardSniping.honestLossOpg": Number(formatEther(honestLoss)),
    "attacks.rewardSniping.honestRewardsOpg": Number(formatEther(honestGot)),
  };
}

export default defineAttack(replay, {
  name: "rewardSniping",
  description:
    "A 180,000 OPG delegation placed just before finalize (and before a bond is paid into the pool) tries to capture rewards earned while only the honest 10,000 OPG delegator and the operator were at risk.",
  maxima: { capturedOpg: 0, honestLossOpg: 0 },
});
