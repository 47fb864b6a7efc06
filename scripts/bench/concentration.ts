/**
 * Assignment concentration under a heavy-tailed stake distribution (issue 9).
 *
 * 100 operators with Pareto(α = 1.16, x_m = 1,000 OPG = minSelfStake) self-stakes, seeded, are registered on
 * the real Staking contract (in-process Hardhat network). Draws of k = 1 with distinct seeds are taken from the
 * real contract, batched through StakingDrawHarness.drawMany in eth_calls, first with the default weight cap
 * (weightCapBps = 1,000, 10%), then with the cap lifted to 100% through `setParameter("weightCapBps", 10000)`
 * (PARAMS_ROLE: the governance timelock in a deployment; the deployer here) over the same seeds.
 *
 * Shares are fractions of all assignments. Nakamoto coefficient = the smallest number of operators whose
 * assignment share together exceeds 1/2.
 *
 *   npx -y -p node@22 -- npx hardhat run scripts/bench/concentration.ts   (VERDICT_BENCH_QUICK=1: 10,000 draws)
 */
import { network } from "hardhat";
import { encodeBytes32String, keccak256, parseEther, toUtf8Bytes } from "ethers";
import type { BenchCrowd, StakingDrawHarness } from "../../types/ethers-contracts/index.js";
import { Prng } from "../models/prng.js";
import { recordBenchmarks } from "./record.js";
import { deployTokenAndStaking } from "./contracts.js";

const QUICK = process.env.VERDICT_BENCH_QUICK === "1" || process.argv.includes("--quick");
const OPERATORS = 100;
const ALPHA = 1.16; // log(5)/log(4): the "80/20" Pareto
const DRAWS = QUICK ? 10_000 : 100_000;
const BATCH = 500;
const log = (msg: string): void => console.log(`[concentration] ${msg}`);
const started = Date.now();

/** Shares (descending) of the keys of `counts`, as fractions of `total`. */
export function sortedShares(counts: ReadonlyMap<string, number>, total: number): number[] {
  return [...counts.values()].map((c) => c / total).sort((a, b) => b - a);
}

/** The smallest number of operators whose combined share exceeds 1/2. */
export function nakamoto(shares: readonly number[]): number {
  let sum = 0;
  for (const [i, s] of shares.entries()) {
    sum += s;
    if (sum > 0.5) return i + 1;
  }
  return shares.length;
}

const topShare = (shares: readonly number[], n: number): number =>
  shares.slice(0, n).reduce((a, b) => a + b, 0);
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

const { ethers } = await network.create();
const [deployer] = await ethers.getSigners();
if (!deployer) throw new Error("no deployer");
const admin = await deployer.getAddress();
const { token, staking } = await deployTokenAndStaking(ethers, admin);
const crowd = (await ethers.deployContract("BenchCrowd", [
  await token.getAddress(),
  await staking.getAddress(),
])) as unknown as BenchCrowd;
const harness = (await ethers.deployContract("StakingDrawHarness", [
  await staking.getAddress(),
])) as unknown as StakingDrawHarness;

// Pareto stakes: x = x_m / U^(1/α), U uniform in (0, 1]; whole OPG.
const rng = new Prng("verdict/bench/concentration/pareto");
const stakes = Array.from({ length: OPERATORS }, () => {
  const u = 1 - rng.nextFloat();
  return parseEther(String(Math.floor(1000 / u ** (1 / ALPHA))));
});
const totalStake = stakes.reduce((a, b) => a + b, 0n);
await (await token.transfer(await crowd.getAddress(), totalStake)).wait();
for (let i = 0; i < OPERATORS; i += 50) await (await crowd.registerMany(stakes.slice(i, i + 50))).wait();
if (Number(await staking.eligibleCount()) !== OPERATORS) throw new Error("operators not registered");
const stakeShares = stakes
  .map((s) => Number((s * 1_000_000n) / totalStake) / 1_000_000)
  .sort((a, b) => b - a);
log(
  `stakes: total ${ethers.formatEther(totalStake)} OPG, top1 ${round4(stakeShares[0]!)}, ` +
    `top5 ${round4(topShare(stakeShares, 5))}, Nakamoto ${nakamoto(stakeShares)}`,
);

const base = BigInt(keccak256(toUtf8Bytes("verdict/bench/concentration/seeds"))) >> 8n;
async function drawAll(label: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let done = 0; done < DRAWS; done += BATCH) {
    const drawn = await harness.drawMany.staticCall(
      base + BigInt(done),
      Math.min(BATCH, DRAWS - done),
      1,
      [],
    );
    for (const a of drawn) counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  log(`${label}: ${DRAWS} draws in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return counts;
}

/** Expected single-pick shares: ∝ min(weight, cap), from the contract's own view functions. */
async function expectedShares(): Promise<Map<string, number>> {
  const weights = new Map<string, bigint>();
  for (let i = 0; i < OPERATORS; i++) {
    const op = await staking.operatorAt(i);
    weights.set(op, await staking.effectiveWeight(op));
  }
  const sum = [...weights.values()].reduce((a, b) => a + b, 0n);
  return new Map([...weights].map(([op, w]) => [op, Number((w * 10n ** 9n) / sum) / 1e9]));
}

function maxDeviation(counts: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>): number {
  let worst = 0;
  for (const [op, e] of expected) worst = Math.max(worst, Math.abs((counts.get(op) ?? 0) / DRAWS - e));
  return worst;
}

const expectedCapped = await expectedShares();
const capped = await drawAll("capped (10%)");
await (await staking.setParameter(encodeBytes32String("weightCapBps"), 10_000)).wait();
if ((await staking.weightCapBps()) !== 10_000n) throw new Error("cap not lifted");
const expectedUncapped = await expectedShares();
const uncapped = await drawAll("uncapped (100%)");

const c = sortedShares(capped, DRAWS);
const u = sortedShares(uncapped, DRAWS);
const figures = {
  "concentration.top1Share.capped": round4(c[0] ?? 0),
  "concentration.top1Share.uncapped": round4(u[0] ?? 0),
  "concentration.top5Share.capped": round4(topShare(c, 5)),
  "concentration.top5Share.uncapped": round4(topShare(u, 5)),
  "concentration.nakamoto.capped": nakamoto(c),
  "concentration.nakamoto.uncapped": nakamoto(u),
  "concentration.stake.top1Share": round4(stakeShares[0]!),
  "concentration.stake.nakamoto": nakamoto(stakeShares),
  "concentration.draws": DRAWS,
};
const devCapped = maxDeviation(capped, expectedCapped);
const devUncapped = maxDeviation(uncapped, expectedUncapped);
log(`max |observed − expected| share: capped ${devCapped.toFixed(4)}, uncapped ${devUncapped.toFixed(4)}`);
// A draw that does not follow min(w, cap) weighting is a bug, not a figure: fail loudly (5σ of the top share).
const tolerance = 5 * Math.sqrt(0.25 / DRAWS);
if (devCapped > tolerance || devUncapped > tolerance) {
  throw new Error(`draw frequencies deviate from the effective weights by more than ${tolerance.toFixed(4)}`);
}
console.table(figures);
recordBenchmarks("Concentration", figures, {
  description:
    `${DRAWS.toLocaleString("en-US")} k=1 draws (distinct seeds) from the real Staking contract (batched in ` +
    `eth_calls through StakingDrawHarness.drawMany) among ${OPERATORS} operators with seeded Pareto(α = ${ALPHA}, ` +
    "x_m = 1,000 OPG) self-stakes, with the default 10% weight cap and with the cap lifted to 100% via " +
    "setParameter(weightCapBps, 10000) on the same seeds. Shares are fractions of assignments; Nakamoto = the " +
    "smallest number of operators whose assignment share together exceeds 1/2. `stake.*` = the same for raw stake. " +
    `Observed frequencies match min(weight, cap)/Σ within ${devCapped.toFixed(4)} (capped) and ` +
    `${devUncapped.toFixed(4)} (uncapped), checked against Staking.effectiveWeight.` +
    (QUICK ? " Quick run (10,000 draws; the full run takes 100,000)." : ""),
  targets: {
    "concentration.top1Share.capped": { max: 0.2 },
    "concentration.nakamoto.capped": { min: figures["concentration.nakamoto.uncapped"] },
  },
});
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
