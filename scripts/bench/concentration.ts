/**
 * Assignment concentration under a heavy-tailed stake distribution (issue 9).
 *
 * 100 operators with Pareto(α = 1.16, x_m = 1,000 OPG = minSelfStake) self-stakes, seeded, are registered on
 * the real Staking contract (in-process Hardhat network). Draws of k = 1 with distinct seeds are taken from the
 * real contract, batched through StakingDrawHarness.drawMany in eth_calls, first with the default weight cap
 * (weightCapBps = 1,000, 10%), then with the cap lifted to 100% through `setParameter("weightCapBps", 10000)`
 * (the Staking owner: the governance timelock in a deployment; the deployer here) over the same seeds.
 *
 * Shares are fractions of all assignments. Nakamoto coefficient = the smallest number of operators whose
 * assignment share together exceeds 1/2.
 *
 * The cap is water-filled (issue 16.2): c with c = weightCapBps · Σ min(w_i, c), so with ≥ 1/cap operators
 * nobody gets more than weightCapBps of the picks. Two more measurements:
 * - Rebalancing: stake above the cap earns no extra assignments, so its yield (fees per staked OPG) falls.
 *   Delegators move each epoch toward higher yield (20% of the yield gap's stake per epoch, 50 epochs); the
 *   Nakamoto coefficient of assignments afterwards, capped vs uncapped. The simulation's water-filling is
 *   checked against the contract's own cap on the same stakes.
 * - Sybil split: the largest operator re-registered as 5 equal identities (the same entity): its combined
 *   assignment share with the cap, from the contract's effective weights and from draws. The cap is per
 *   identity: it does not stop one entity splitting (docs/threat-model.md, "the Sybil truth").
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
const owner = await deployer.getAddress();
const { token, staking } = await deployTokenAndStaking(ethers, owner);
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
for (let i = 0; i < OPERATORS; i += 20) await (await crowd.registerMany(stakes.slice(i, i + 20))).wait();
if (Number(await staking.eligibleCount()) !== OPERATORS) throw new Error("operators not registered");
const EPOCH_BLOCKS = Number(await staking.EPOCH_BLOCKS());
/** Weights count for draws from the next weight epoch. */
async function nextEpoch(): Promise<void> {
  await ethers.provider.send("hardhat_mine", [`0x${EPOCH_BLOCKS.toString(16)}`]);
}
await nextEpoch();
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

const UNIT = 10n ** 12n;
/** The water-filled cap of `weights` at `capBps` (the contract's rule, in the contract's units). */
function waterFill(weights: readonly bigint[], capBps: bigint): bigint {
  const w = [...weights].filter((x) => x > 0n).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const total = w.reduce((a, b) => a + b, 0n);
  if (capBps >= 10_000n) return total;
  let top = 0n;
  for (let j = 0; j <= w.length; j++) {
    if (BigInt(j) * capBps >= 10_000n) break;
    if (total > top) {
      const c = (capBps * (total - top)) / (10_000n - BigInt(j) * capBps);
      if (c !== 0n && (j === w.length || (w[j] ?? 0n) <= c)) return c;
    }
    if (j < w.length) top += w[j] ?? 0n;
  }
  return w[w.length - 1] ?? total;
}
const contractCap = (await staking.weightCap()) / UNIT;
const modelCap = waterFill(
  stakes.map((s) => s / UNIT),
  1000n,
);
if (contractCap !== modelCap) throw new Error(`cap: contract ${contractCap} ≠ model ${modelCap}`);

const expectedCapped = await expectedShares();
const capped = await drawAll("capped (10%)");
await (await staking.setParameter(encodeBytes32String("weightCapBps"), 10_000)).wait();
await nextEpoch();
if ((await staking.weightCapBps()) !== 10_000n) throw new Error("cap not lifted");
const expectedUncapped = await expectedShares();
const uncapped = await drawAll("uncapped (100%)");

const c = sortedShares(capped, DRAWS);
const u = sortedShares(uncapped, DRAWS);

// ---------------------------------------------------------------- rebalancing toward yield
/**
 * Each operator keeps its Pareto self-stake; as much again is delegated, initially pro rata. Fees are paid
 * per assignment, so an operator's yield is its assignment share / its stake. Each epoch every pool below
 * the mean yield loses 20% of its delegated stake × (1 − yield/mean), handed to the pools above the mean
 * pro rata to their excess yield × stake. Returns the Nakamoto coefficient of assignments after `epochs`.
 */
/** Each weight capped at the water-fill cap for `capBps`, and their total. */
function cappedShares(weights: readonly number[], capBps: bigint): { eff: number[]; effTotal: number } {
  const cap = Number(
    waterFill(
      weights.map((x) => BigInt(Math.floor(x))),
      capBps,
    ),
  );
  const eff = weights.map((x) => Math.min(x, cap));
  return { eff, effTotal: eff.reduce((a, b) => a + b, 0) };
}

function rebalance(capBps: bigint, epochs: number): number {
  const self = stakes.map((s) => Number(s / UNIT));
  const delegated = [...self];
  for (let e = 0; e < epochs; e++) {
    const weights = self.map((s, i) => s + (delegated[i] ?? 0));
    const { eff, effTotal } = cappedShares(weights, capBps);
    const yields = weights.map((x, i) => (eff[i] ?? 0) / effTotal / x);
    const mean = eff.reduce((a, b) => a + b, 0) / effTotal / weights.reduce((a, b) => a + b, 0);
    let moved = 0;
    for (const [i, y] of yields.entries()) {
      if (y >= mean * 0.999) continue;
      const out = (delegated[i] ?? 0) * 0.2 * (1 - y / mean);
      delegated[i] = (delegated[i] ?? 0) - out;
      moved += out;
    }
    const pull = yields.map((y, i) => (y > mean * 1.001 ? (y / mean - 1) * (weights[i] ?? 0) : 0));
    const pullTotal = pull.reduce((a, b) => a + b, 0);
    if (pullTotal === 0) continue;
    for (const [i, p] of pull.entries()) delegated[i] = (delegated[i] ?? 0) + (moved * p) / pullTotal;
  }
  const { eff, effTotal } = cappedShares(
    self.map((s, i) => s + (delegated[i] ?? 0)),
    capBps,
  );
  return nakamoto(eff.map((x) => x / effTotal).sort((a, b) => b - a));
}
const REBALANCE_EPOCHS = 50;
const nakamotoAfterCapped = rebalance(1000n, REBALANCE_EPOCHS);
const nakamotoAfterUncapped = rebalance(10_000n, REBALANCE_EPOCHS);
log(
  `after ${REBALANCE_EPOCHS} epochs of rebalancing: Nakamoto ${nakamotoAfterCapped} (capped), ${nakamotoAfterUncapped} (uncapped)`,
);

// ---------------------------------------------------------------- Sybil split of the largest operator
const sybil = await deployTokenAndStaking(ethers, owner);
const sybilCrowd = (await ethers.deployContract("BenchCrowd", [
  await sybil.token.getAddress(),
  await sybil.staking.getAddress(),
])) as unknown as BenchCrowd;
const sybilHarness = (await ethers.deployContract("StakingDrawHarness", [
  await sybil.staking.getAddress(),
])) as unknown as StakingDrawHarness;
const whaleIndex = stakes.indexOf(stakes.reduce((a, b) => (a > b ? a : b), 0n));
const whalePart = (stakes[whaleIndex] ?? 0n) / 5n;
const split = [...stakes.filter((_, i) => i !== whaleIndex), ...Array.from({ length: 5 }, () => whalePart)];
await (
  await sybil.token.transfer(
    await sybilCrowd.getAddress(),
    split.reduce((a, b) => a + b, 0n),
  )
).wait();
for (let i = 0; i < split.length; i += 20)
  await (await sybilCrowd.registerMany(split.slice(i, i + 20))).wait();
await nextEpoch();
const sybilOps: string[] = [];
for (let i = 0; i < split.length; i++) sybilOps.push(await sybil.staking.operatorAt(i));
const whaleIds = new Set(sybilOps.slice(split.length - 5));
let effAll = 0n;
let effWhale = 0n;
for (const op of sybilOps) {
  const w = await sybil.staking.effectiveWeight(op);
  effAll += w;
  if (whaleIds.has(op)) effWhale += w;
}
const SYBIL_DRAWS = Math.min(DRAWS, 20_000);
let whaleHits = 0;
for (let done = 0; done < SYBIL_DRAWS; done += BATCH) {
  const drawn = await sybilHarness.drawMany.staticCall(
    base + BigInt(done),
    Math.min(BATCH, SYBIL_DRAWS - done),
    1,
    [],
  );
  for (const a of drawn) if (whaleIds.has(a)) whaleHits++;
}
const sybilExpected = Number((effWhale * 10n ** 6n) / effAll) / 1e6;
log(`Sybil split: entity share ${round4(whaleHits / SYBIL_DRAWS)} drawn, ${round4(sybilExpected)} expected`);
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
  "concentration.nakamoto.afterRebalance.capped": nakamotoAfterCapped,
  "concentration.nakamoto.afterRebalance.uncapped": nakamotoAfterUncapped,
  "concentration.sybilSplit.top1EntityShare": round4(whaleHits / SYBIL_DRAWS),
  "concentration.sybilSplit.expectedEntityShare": round4(sybilExpected),
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
    `${devUncapped.toFixed(4)} (uncapped), checked against Staking.effectiveWeight. The cap is water-filled ` +
    "(c = 10% of Σ min(w, c)); the contract's c equals the model's on these stakes. afterRebalance: Nakamoto " +
    `of assignments after ${REBALANCE_EPOCHS} epochs in which delegators move toward higher yield (fees per ` +
    "staked OPG; 20% of the yield gap per epoch), simulated with the same water-filling. sybilSplit: the " +
    `largest operator re-registered as 5 equal identities; their combined share over ${SYBIL_DRAWS} draws. ` +
    (QUICK ? " Quick run (10,000 draws; the full run takes 100,000)." : ""),
  targets: {
    "concentration.top1Share.capped": { max: 0.105 },
    "concentration.nakamoto.afterRebalance.capped": { min: nakamotoAfterUncapped },
    "concentration.nakamoto.capped": { min: figures["concentration.nakamoto.uncapped"] },
  },
});
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
