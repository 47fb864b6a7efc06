/**
 * Scale benchmark (issue 9): receipt gasUsed against the size of the system.
 *
 *  - delegators: delegate / undelegate / claim of one fresh delegator, and a slash of the operator, in a pool
 *    that already holds N = 1, 10, 100, 1,000 delegators;
 *  - operators: a k=1 draw (StakingDrawHarness.drawOnce) and `requestInference` among N = 10, 100, 1,000
 *    registered operators;
 *  - open requests: `requestInference`, `submitAnswer` and `finalize` with N = 0, 100, 1,000 requests already
 *    in flight (made, never answered).
 *
 * The crowds (delegators, operators, open requests) are created in bulk by contracts/test-helpers/BenchCrowd.sol
 * (contract accounts, 50-100 per transaction); every measured call is made by an EOA, as a user would.
 * Writes docs/gas-vs-delegators.svg, docs/gas-vs-operators.svg and docs/gas-vs-open-requests.svg.
 *
 *   npx -y -p node@22 -- npx hardhat run scripts/bench/scale.ts      (VERDICT_BENCH_QUICK=1: fewer samples)
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { parseEther, toBeHex, zeroPadValue, type ContractTransactionResponse } from "ethers";
import type { BenchCrowd, StakingDrawHarness } from "../../types/ethers-contracts/index.js";
import {
  assignRequest,
  deployProtocol,
  increaseTime,
  signedAnswer,
  type Protocol,
} from "../../test/helpers/protocol.js";
import { createdRequestIn, type CreatedRequest } from "../../sdk/requests.js";
import { encodeTensors } from "../../sdk/tensor.js";
import { lineChart } from "./plot.js";
import { recordBenchmarks } from "./record.js";
import { finalizeAll } from "../lib/lifecycle.js";
import { deployTokenAndStaking } from "./contracts.js";

const QUICK = process.env.VERDICT_BENCH_QUICK === "1" || process.argv.includes("--quick");
const SAMPLES = QUICK ? 3 : 7;
const DELEGATORS = [1, 10, 100, 1000];
const OPERATORS = [10, 100, 1000];
// Quick mode drops the 1,000-open-requests point (30 s of set-up on a 2-core machine).
const OPEN = QUICK ? [0, 100] : [0, 100, 1000];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const STAKE = parseEther("10000");
const DELEGATION = parseEther("100");
const ZERO = "0x0000000000000000000000000000000000000000";

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const v = s[Math.floor(s.length / 2)];
  if (v === undefined) throw new Error("no samples");
  return v;
};
const log = (msg: string): void => console.log(`[scale] ${msg}`);
const started = Date.now();

// A 64-byte canonical input (as in requests.ts) and a small output.
const input = encodeTensors([
  { name: "input_x", dtype: "int64", scale: 0, dims: [1, 5], data: [1n, -2n, 3n, -4n, 5n] },
]);
const output = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1, 1], data: [123456n] }]);
function params(p: Protocol) {
  return {
    modelHash: p.modelHash,
    input,
    inputHash: "0x" + "00".repeat(32),
    inputURI: "",
    redundancy: 0,
    maxFee: parseEther("16"),
    deadline: 0n,
    callback: ZERO,
    callbackGasLimit: 0,
    finality: 0,
  };
}

/** Grows a crowd of delegators of `operator` by `count`, 50 per transaction. */
async function addDelegators(crowd: BenchCrowd, operator: string, count: number): Promise<void> {
  for (let left = count; left > 0; left -= 50) {
    await (await crowd.delegateMany(operator, Math.min(50, left), DELEGATION)).wait();
  }
}

/** Registers `count` operators (self-stakes varying a little, as in staking.ts), 50 per transaction. */
async function addOperators(crowd: BenchCrowd, count: number, offset: number): Promise<void> {
  for (let done = 0; done < count; done += 20) {
    const stakes = Array.from(
      { length: Math.min(20, count - done) },
      (_, i) => STAKE - BigInt((offset + done + i) % 97) * 10n ** 18n,
    );
    await (await crowd.registerMany(stakes)).wait();
  }
}

const figures: Record<string, number> = {};

// ------------------------------------------------------------------ delegators
{
  const { ethers, networkHelpers } = await network.create();
  const [deployer] = await ethers.getSigners();
  if (!deployer) throw new Error("no deployer");
  const me0 = await deployer.getAddress();
  const { token, staking } = await deployTokenAndStaking(ethers, me0);
  await (await staking.setSlashers(me0, me0)).wait();
  await (await token.approve(await staking.getAddress(), ethers.MaxUint256)).wait();
  const crowd = (await ethers.deployContract("BenchCrowd", [
    await token.getAddress(),
    await staking.getAddress(),
  ])) as unknown as BenchCrowd;
  await (await token.transfer(await crowd.getAddress(), parseEther("10000000"))).wait();
  // Operator 0's record has index 0 (an all-zero slot that costs extra on its first write): measure operator 1.
  await addOperators(crowd, 2, 0);
  const op = await staking.operatorAt(1);

  // The operator's first slash writes its slash-window record (zero slots): pay for that before measuring.
  await (await staking.slash(op, parseEther("1"), 0)).wait();
  await networkHelpers.time.increase(86_401);

  let nextAddress = 0x20_0000;
  let inPool = 0;
  for (const n of DELEGATORS) {
    await addDelegators(crowd, op, n - inPool);
    inPool = n;
    await (await staking.notifyReward(op, parseEther("1000"))).wait(); // everyone has rewards pending
    const address = zeroPadValue(toBeHex(nextAddress++), 20);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, parseEther("10"));
    const me = await ethers.getSigner(address);
    await (await token.transfer(address, DELEGATION)).wait();
    await (await token.connect(me).approve(await staking.getAddress(), DELEGATION)).wait();
    figures[`gas.scale.delegate.delegators${n}`] = await gasOf(staking.connect(me).delegate(op, DELEGATION));
    // New shares earn only once active (activationDelay): let them activate, then pay a reward to claim.
    await networkHelpers.time.increase(Number(await staking.activationDelay()) + 1);
    await (await staking.syncRewards(op)).wait();
    await (await staking.notifyReward(op, parseEther("10"))).wait();
    figures[`gas.scale.claim.delegators${n}`] = await gasOf(staking.connect(me).claimRewards(op));
    const shares = await staking.sharesOf(op, address);
    figures[`gas.scale.undelegate.delegators${n}`] = await gasOf(
      staking.connect(me).undelegate(op, shares / 2n),
    );
    figures[`gas.scale.slash.delegators${n}`] = await gasOf(staking.slash(op, parseEther("1"), 0));
    // A new slash window for the next size, so every slash starts from the same state.
    await networkHelpers.time.increase(86_401);
    log(`${n} delegators: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** A protocol with 10 operators and the BenchCrowd helper that adds operators and requests in bulk. */
async function protocolWithCrowd() {
  const p = await deployProtocol({ operators: 10 });
  const crowd = (await p.ethers.deployContract("BenchCrowd", [
    await p.token.getAddress(),
    await p.staking.getAddress(),
  ])) as unknown as BenchCrowd;
  return { p, crowd };
}

// ------------------------------------------------------------------ operators
{
  const { p, crowd } = await protocolWithCrowd();
  const { ethers } = p;
  await (await p.token.connect(p.deployer).transfer(await crowd.getAddress(), STAKE * 1000n)).wait();
  const harness = (await ethers.deployContract("StakingDrawHarness", [
    await p.staking.getAddress(),
  ])) as unknown as StakingDrawHarness;
  await (await harness.drawOnce(0n, 1)).wait(); // warm `last`
  await (
    await p.token.connect(p.deployer).approve(await p.coordinator.getAddress(), parseEther("10000"))
  ).wait();
  await (
    await p.coordinator.connect(p.deployer).deposit(await p.requester.getAddress(), parseEther("10000"))
  ).wait();
  await (await p.coordinator.connect(p.requester).requestInference(params(p))).wait(); // first request: warm

  let count = p.operators.length;
  let seed = 1n;
  for (const n of OPERATORS) {
    await addOperators(crowd, n - count, count);
    // Draws read the weights frozen at the start of a 64-block epoch: measure with the new operators in it.
    await ethers.provider.send("hardhat_mine", ["0x41"]);
    count = n;
    if (Number(await p.staking.eligibleCount()) !== n) throw new Error(`expected ${n} eligible operators`);
    let total = 0;
    const draws = SAMPLES * 3;
    for (let s = 0; s < draws; s++) total += await gasOf(harness.drawOnce(seed++ * 7919n, 1));
    figures[`gas.scale.draw.operators${n}`] = Math.round(total / draws);
    const requests: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      requests.push(await gasOf(p.coordinator.connect(p.requester).requestInference(params(p))));
    }
    figures[`gas.scale.requestInference.operators${n}`] = median(requests);
    log(`${n} operators: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

// ------------------------------------------------------------------ open requests
{
  const { p, crowd } = await protocolWithCrowd();
  const coordinator = await p.coordinator.getAddress();
  await (await p.token.connect(p.deployer).approve(coordinator, parseEther("100000"))).wait();
  await (
    await p.coordinator.connect(p.deployer).deposit(await crowd.getAddress(), parseEther("40000"))
  ).wait();
  await (
    await p.coordinator.connect(p.deployer).deposit(await p.requester.getAddress(), parseEther("10000"))
  ).wait();

  const request = async (): Promise<{ gas: number; created: CreatedRequest }> => {
    const receipt = await (await p.coordinator.connect(p.requester).requestInference(params(p))).wait();
    if (!receipt || receipt.status !== 1) throw new Error("request failed");
    // The draw is its own step since issue 16 (gas.assign in requests.ts); not counted here.
    return { gas: Number(receipt.gasUsed), created: await assignRequest(p, createdRequestIn(receipt.logs)) };
  };
  const answer = async (c: CreatedRequest): Promise<number> =>
    gasOf(p.coordinator.submitAnswer(c.requestId, c.request, await signedAnswer(p, c, 0, output), "0x"));

  // Warm-up (as in requests.ts): serve requests until every operator has been paid once.
  const served = new Set<string>();
  const warm: CreatedRequest[] = [];
  while (served.size < p.operators.length) {
    const { created } = await request();
    served.add(created.request.operators[0]!);
    await answer(created);
    warm.push(created);
  }
  await increaseTime(p, 61);
  await (await finalizeAll(p.coordinator, warm)).wait();

  let open = 0;
  for (const n of OPEN) {
    for (let left = n - open; left > 0; left -= 100) {
      await (await crowd.requestMany(coordinator, params(p), Math.min(100, left))).wait();
    }
    open = n;
    const made: { gas: number; created: CreatedRequest }[] = [];
    for (let s = 0; s < SAMPLES; s++) made.push(await request());
    const answers: number[] = [];
    for (const m of made) answers.push(await answer(m.created));
    await increaseTime(p, 61);
    const finals: number[] = [];
    for (const { created: c } of made) {
      finals.push(await gasOf(p.coordinator.finalize(c.requestId, c.request, "0x")));
    }
    figures[`gas.scale.requestInference.openRequests${n}`] = median(made.map((m) => m.gas));
    figures[`gas.scale.submitAnswer.openRequests${n}`] = median(answers);
    figures[`gas.scale.finalize.openRequests${n}`] = median(finals);
    log(`${n} open requests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

// ------------------------------------------------------------------ plots + record
const series = (ops: readonly string[], unit: string, sizes: readonly number[]) =>
  ops.map((op) => ({
    name: op,
    points: sizes.map((n) => [n, figures[`gas.scale.${op}.${unit}${n}`] ?? NaN] as const),
  }));
writeFileSync(
  path.join(root, "docs/gas-vs-delegators.svg"),
  lineChart({
    title: "Staking gas vs. delegators in the pool",
    xLabel: "delegators already in the pool",
    yLabel: "gas (receipt gasUsed)",
    logX: true,
    series: series(["delegate", "undelegate", "claim", "slash"], "delegators", DELEGATORS),
  }),
);
writeFileSync(
  path.join(root, "docs/gas-vs-operators.svg"),
  lineChart({
    title: "Gas vs. registered operators",
    xLabel: "registered operators",
    yLabel: "gas (receipt gasUsed)",
    logX: true,
    series: series(["draw", "requestInference"], "operators", OPERATORS),
  }),
);
writeFileSync(
  path.join(root, "docs/gas-vs-open-requests.svg"),
  lineChart({
    title: "Request-path gas vs. requests in flight",
    xLabel: "open requests already in flight",
    yLabel: "gas (receipt gasUsed)",
    series: series(["requestInference", "submitAnswer", "finalize"], "openRequests", OPEN),
  }),
);
console.table(figures);

const targets: Record<string, { max: number }> = {};
for (const op of ["delegate", "undelegate", "claim", "slash"]) {
  const base = figures[`gas.scale.${op}.delegators1`]!;
  targets[`gas.scale.${op}.delegators1000`] = { max: Math.floor(base * 1.02) };
}
targets["gas.scale.draw.operators1000"] = { max: 2 * figures["gas.scale.draw.operators10"]! };
for (const op of ["requestInference", "submitAnswer", "finalize"]) {
  targets[`gas.scale.${op}.openRequests${OPEN[OPEN.length - 1]}`] = {
    max: Math.floor(figures[`gas.scale.${op}.openRequests0`]! * 1.02),
  };
}
recordBenchmarks("Scale", figures, {
  description:
    "Receipt gasUsed against system size. Delegators: one fresh EOA's delegate, claim and undelegate (half its " +
    "shares), and a 1-OPG slash of the operator, in a pool already holding N contract delegators (created in bulk " +
    "by BenchCrowd), rewards pending for all. Operators: a k=1 draw through StakingDrawHarness.drawOnce (mean of " +
    `${SAMPLES * 3} seeds) and requestInference with a prepaid 64-byte input (median of ${SAMPLES}) among N registered ` +
    "operators. Open requests: requestInference, submitAnswer and finalize (medians of " +
    `${SAMPLES}) with N unanswered requests in flight, after a warm-up that paid every operator once. ` +
    "Targets: each largest-size figure within 2% of the smallest (draw: ≤ 2×). " +
    (QUICK
      ? "Quick run: open requests 0 and 100 only (the 1,000 figures are from the last full run). "
      : "") +
    "Plots: [delegators](gas-vs-delegators.svg), [operators](gas-vs-operators.svg), " +
    "[open requests](gas-vs-open-requests.svg).",
  targets,
});
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
