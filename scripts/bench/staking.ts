/**
 * Staking gas benchmark: receipt gasUsed of delegate, undelegate, complete, claim and slash in a pool
 * with 1 and with 1,000 delegators, and of a k=1 draw (through StakingDrawHarness.drawOnce, in a
 * transaction) among 10 and among 1,000 operators. Run: `npx hardhat run scripts/bench/staking.ts`.
 */
import { network } from "hardhat";
import { parseEther, toBeHex, zeroPadValue, type ContractTransactionResponse } from "ethers";
import type { OPGToken, Staking, StakingDrawHarness } from "../../types/ethers-contracts/index.js";
import { recordBenchmarks, type Target } from "./record.js";

const { ethers, networkHelpers } = await network.connect();
const [deployer] = await ethers.getSigners();
if (!deployer) throw new Error("no deployer");
const deployerAddress = await deployer.getAddress();

const STAKE = parseEther("10000");
const DELEGATION = parseEther("100");

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

let nextAddress = 0x10_0000;
/** A fresh impersonated account with ETH, OPG and an approval for `staking`. */
async function account(token: OPGToken, staking: Staking, amount: bigint) {
  const address = zeroPadValue(toBeHex(nextAddress++), 20);
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, parseEther("10"));
  const signer = await ethers.getSigner(address);
  await token.transfer(address, amount);
  await token.connect(signer).approve(await staking.getAddress(), amount);
  return signer;
}

async function deployStaking(token: OPGToken): Promise<Staking> {
  const staking = (await ethers.deployContract("Staking", [
    await token.getAddress(),
    deployerAddress,
  ])) as unknown as Staking;
  await staking.setSlashers(deployerAddress, deployerAddress);
  await token.approve(await staking.getAddress(), ethers.MaxUint256);
  return staking;
}

const token = (await ethers.deployContract("OPGToken", [
  deployerAddress,
  parseEther("1000000000"),
])) as unknown as OPGToken;

// ---------------------------------------------------------------- draw: 10 vs 1,000 operators
async function drawGas(n: number): Promise<{ staking: Staking; ops: string[]; gas: number; gas3: number }> {
  const staking = await deployStaking(token);
  const ops = await (async () => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const op = await account(token, staking, STAKE);
      const signer = zeroPadValue(toBeHex(0x90_0000 + i), 20);
      await staking
        .connect(op)
        .registerOperator(signer, 1000, "ipfs://op", STAKE - BigInt(i % 97) * 10n ** 18n);
      out.push(await op.getAddress());
    }
    return out;
  })();
  const harness = (await ethers.deployContract("StakingDrawHarness", [
    await staking.getAddress(),
  ])) as unknown as StakingDrawHarness;
  await networkHelpers.mine(Number(await staking.EPOCH_BLOCKS())); // weights count from the next epoch
  await harness.drawOnce(0n, 1); // warm `last`
  let total = 0;
  let total3 = 0;
  const samples = 20;
  for (let s = 1; s <= samples; s++) total += await gasOf(harness.drawOnce(BigInt(s) * 7919n, 1));
  for (let s = 1; s <= samples; s++) total3 += await gasOf(harness.drawOnce(BigInt(s) * 7919n, 3));
  return { staking, ops, gas: Math.round(total / samples), gas3: Math.round(total3 / samples) };
}

console.log("draw among 10 operators…");
const draw10 = await drawGas(10);
console.log("draw among 1,000 operators…");
const draw1000 = await drawGas(1000);

// ---------------------------------------------------------------- pool ops: 1 vs 1,000 delegators
async function poolOps(staking: Staking, op: string, delegators: number): Promise<Record<string, number>> {
  for (let i = 0; i < delegators; i++) {
    const d = await account(token, staking, DELEGATION);
    await staking.connect(d).delegate(op, DELEGATION);
  }
  await networkHelpers.time.increase(Number(await staking.activationDelay()));
  await staking.notifyReward(op, parseEther("1000")); // everyone in the pool is active and has rewards
  const me = await account(token, staking, DELEGATION);
  const delegate = await gasOf(staking.connect(me).delegate(op, DELEGATION));
  await networkHelpers.time.increase(Number(await staking.activationDelay()));
  await staking.notifyReward(op, parseEther("10")); // activates `me` first, then pays it a share
  const claim = await gasOf(staking.connect(me).claimRewards(op));
  const shares = await staking.sharesOf(op, await me.getAddress());
  const withdrawalId = await staking.connect(me).undelegate.staticCall(op, shares / 2n);
  const undelegate = await gasOf(staking.connect(me).undelegate(op, shares / 2n));
  await networkHelpers.time.increase(7 * 86_400);
  const slash = await gasOf(staking.slash(op, parseEther("1"), 0));
  const complete = await gasOf(staking.completeUndelegation(withdrawalId));
  return { delegate, undelegate, complete, claim, slash };
}

console.log("pool with 1 delegator…");
// slots 1 and 2: operator 0's record slot 2 is all zeros (index 0), which would cost an extra 17k on
// its first slash and skew the comparison
const [, opA, opB] = draw1000.ops;
if (!opA || !opB) throw new Error("operators missing");
const one = await poolOps(draw1000.staking, opA, 1);
console.log("pool with 1,000 delegators…");
const many = await poolOps(draw1000.staking, opB, 1000);

const figures: Record<string, number> = {
  "gas.draw.operators10": draw10.gas,
  "gas.draw.operators1000": draw1000.gas,
  "gas.draw.k3.operators10": draw10.gas3,
  "gas.draw.k3.operators1000": draw1000.gas3,
};
const targets: Record<string, Target> = { "gas.draw.operators1000": { max: 2 * draw10.gas } };
for (const op of ["delegate", "undelegate", "complete", "claim", "slash"] as const) {
  const a = one[op] ?? 0;
  const b = many[op] ?? 0;
  figures[`gas.staking.${op}.delegators1`] = a;
  figures[`gas.staking.${op}.delegators1000`] = b;
  targets[`gas.staking.${op}.delegators1000`] = { max: Math.floor(a * 1.02) };
}
console.table(figures);
recordBenchmarks("Staking", figures, {
  description:
    "Receipt gasUsed of one delegator's delegate, undelegate, complete (after 7 days), claim and of a slash, in a " +
    "pool with 1 and with 1,000 other delegators (no fee source set, so no collectFees call), among 1,000 " +
    "registered operators; and of a k=1 draw run in a transaction through StakingDrawHarness.drawOnce " +
    "(mean of 20 seeds; includes 21,000 intrinsic gas, the external call and one SSTORE) among 10 and 1,000 " +
    "operators. Targets: each 1,000-delegator figure within 2% of the 1-delegator one; draw(1000) ≤ 2 × draw(10).",
  targets,
});
