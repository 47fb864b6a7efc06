/**
 * Selection statistics of Staking.draw against the real contract (eth_call through a harness that runs
 * many draws per call): over 20,000 draws with fixed seeds every operator's frequency is within 2
 * percentage points of its capped weight share, and a jailed operator is never drawn.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { Wallet, parseEther, type Signer } from "ethers";
import type { OPGToken, Staking, StakingDrawHarness } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.connect();

/** Stakes in thousands of OPG; the three largest exceed the 10% cap. */
const STAKES = [3000n, 2000n, 1500n, 1000n, 800n, 600n, 500n, 400n, 300n, 200n, 150n, 100n].map((k) =>
  parseEther((k * 1000n).toString()),
);
const JAILED = 5;
const DRAWS = 20_000;
const PER_CALL = 500;

interface Deployed {
  staking: Staking;
  harness: StakingDrawHarness;
  operators: string[];
}

async function deploy(): Promise<Deployed> {
  const signers = await ethers.getSigners();
  const deployer = signers[0];
  if (!deployer) throw new Error("no deployer");
  const token = (await ethers.deployContract("OPGToken", [
    await deployer.getAddress(),
    parseEther("1000000000"),
  ])) as unknown as OPGToken;
  const staking = (await ethers.deployContract("Staking", [
    await token.getAddress(),
    await deployer.getAddress(),
  ])) as unknown as Staking;
  const harness = (await ethers.deployContract("StakingDrawHarness", [
    await staking.getAddress(),
  ])) as unknown as StakingDrawHarness;
  const operators: string[] = [];
  for (const [i, stake] of STAKES.entries()) {
    const op: Signer | undefined = signers[i + 1];
    if (!op) throw new Error("not enough accounts");
    await token.transfer(await op.getAddress(), stake);
    await token.connect(op).approve(await staking.getAddress(), stake);
    await staking.connect(op).registerOperator(Wallet.createRandom().address, 0, "ipfs://op", stake);
    operators.push(await op.getAddress());
  }
  const me = await deployer.getAddress();
  await staking.setSlashers(me, me);
  await networkHelpers.mine(Number(await staking.EPOCH_BLOCKS())); // registered weights count from here
  return { staking, harness, operators };
}

describe("Staking draw: selection frequencies", function () {
  it("matches capped weight shares within 2 points over 20,000 draws; never draws a jailed operator", async function () {
    const { staking, harness, operators } = await networkHelpers.loadFixture(deploy);
    const jailed = operators[JAILED];
    if (!jailed) throw new Error("no operator to jail");
    await staking.jail(jailed, BigInt(await networkHelpers.time.latest()) + 86_400n);
    await networkHelpers.mine(Number(await staking.EPOCH_BLOCKS())); // the jail counts from the next epoch

    // Expected shares from the stakes alone (not from the contract): min(w, c) normalised, with c
    // water-filled: c = 10% of Σ min(w_i, c).
    const eligible = STAKES.map((s, i) => (i === JAILED ? 0n : s));
    const total = eligible.reduce((a, b) => a + b, 0n);
    const sorted = [...eligible].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    let cap = 0n;
    let top = 0n;
    for (let j = 0; j < sorted.length; j++) {
      const c = ((total - top) * 1000n) / (10_000n - BigInt(j) * 1000n);
      if ((sorted[j] ?? 0n) <= c) {
        cap = c;
        break;
      }
      top += sorted[j] ?? 0n;
    }
    const capped = eligible.map((w) => (w < cap ? w : cap));
    const cappedTotal = capped.reduce((a, b) => a + b, 0n);
    const expected = capped.map((w) => Number(w) / Number(cappedTotal));
    expect(await staking.totalEffectiveWeight()).to.equal(total);
    // The contract keeps c in units of 1e12 wei.
    expect((await staking.weightCap()) / 10n ** 12n).to.equal(cap / 10n ** 12n);
    for (const [i, op] of operators.entries()) {
      expect(await staking.effectiveWeight(op)).to.be.at.most(cap + 10n ** 12n, `operator ${i} capped`);
    }

    const counts = new Map<string, number>(operators.map((op) => [op, 0]));
    for (let start = 0; start < DRAWS; start += PER_CALL) {
      const drawn = await harness.drawMany(BigInt(0x5eed_0000 + start), PER_CALL, 1, []);
      for (const op of drawn) counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    expect(counts.get(jailed)).to.equal(0);
    let sum = 0;
    for (const [i, op] of operators.entries()) {
      const freq = (counts.get(op) ?? 0) / DRAWS;
      sum += counts.get(op) ?? 0;
      const want = expected[i] ?? 0;
      expect(Math.abs(freq - want), `operator ${i}: ${freq} vs ${want}`).to.be.below(0.02);
    }
    expect(sum).to.equal(DRAWS);
  });

  it("draws k distinct operators, honours exclusions, and reverts when too few are eligible", async function () {
    const { staking, harness, operators } = await networkHelpers.loadFixture(deploy);
    const excluded = [operators[0] ?? "", operators[1] ?? ""];
    const drawn = await harness.drawMany(7n, 200, 5, excluded);
    for (let i = 0; i < drawn.length; i += 5) {
      const pick = drawn.slice(i, i + 5);
      expect(new Set(pick).size).to.equal(5);
      for (const ex of excluded) expect(pick).to.not.include(ex);
    }
    await expect(staking.selectOperators(1n, 11, excluded))
      .to.be.revertedWithCustomError(staking, "NotEnoughOperators")
      .withArgs(11, 10);
  });
});
