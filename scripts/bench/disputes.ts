/**
 * Gas of the dispute path (issue 6): open with a bond, a juror's commit and reveal, the settlement of a lie
 * caught by a 3-juror committee (slash, refund, compensation, rewards, burn, correction) against an operator
 * whose pool has 1 delegator and one whose pool has 1,000, a claim of the credited payouts, and the one-call
 * settlement of a lie by the real on-chain referee of int-mlp-16x32x1. Receipt gasUsed on Hardhat's EVM.
 *
 * VERDICT_BENCH_QUICK=1 uses 50 delegators; VERDICT_BENCH_DRY=1 prints without recording.
 */
import { Wallet, keccak256, parseEther } from "ethers";
import { recordBenchmarks } from "./record.js";
import { increaseTime, makeRequest, signedAnswer } from "../../test/helpers/protocol.js";
import {
  commitVotes,
  deployDisputeProtocol,
  fundChallenger,
  integerInput,
  registerRefereeModel,
  revealVotes,
  saltOf,
  signerOf,
  voteCommitment,
  type DisputeProtocol,
} from "../../test/helpers/disputes.js";
import { int64Input } from "../lib/node-attack.js";
import type { CreatedRequest } from "../../sdk/requests.js";

/** The int64 scalar output `y` = v. */
const out = (v: bigint): Uint8Array => int64Input("y", [1], [v]);
const RIGHT = out(42n);
const WRONG = out(7n);

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

const p: DisputeProtocol = await deployDisputeProtocol({ operators: 8 });
const challenger = p.others[0]!;
await fundChallenger(p, challenger, parseEther("1000000"));

/** A request of `modelHash` served by `target` (redrawn until it is), answered with `answer`. */
async function answeredBy(
  target: string,
  answer: Uint8Array,
  modelHash = p.modelHash,
  input?: Uint8Array,
): Promise<CreatedRequest> {
  for (let i = 0; i < 200; i++) {
    const c = await makeRequest({ ...p, modelHash }, input ? { input } : {});
    if (c.request.operators[0]!.toLowerCase() !== target.toLowerCase()) continue;
    await (
      await p.coordinator.submitAnswer(c.requestId, c.request, await signedAnswer(p, c, 0, answer), "0x")
    ).wait();
    return c;
  }
  throw new Error(`no request drawn ${target}`);
}

/** Lets a slashed operator out of jail. */
async function unjail(target: string): Promise<void> {
  await increaseTime(p, 7 * 24 * 3600 + 1);
  const op = p.operators.find((o) => o.address.toLowerCase() === target.toLowerCase())!;
  await (await p.staking.connect(op.account).unjail()).wait();
}

interface Cycle {
  open: number;
  commit: number;
  reveal: number;
  settle: number;
  claim: number;
  jurorClaim: number;
}

async function cycle(target: string): Promise<Cycle> {
  const c = await answeredBy(target, WRONG);
  const open = await gasOf(p.disputes.connect(challenger).openDispute(c.requestId, c.request, "0x"));
  await p.connection.networkHelpers.mine(); // the jury's randomness ticket is ready one block later
  await (await p.disputes.drawJury(c.requestId, c.request)).wait();
  const jurors = [...(await p.disputes.jurorsOf(c.requestId, 1))];
  const [first, ...rest] = jurors as [string, ...string[]];
  const vote = (j: string) => ({ outcome: 0, outputHash: keccak256(RIGHT), salt: saltOf(j, 1) });
  const commitment = voteCommitment(c.requestId, 1, first, 0, keccak256(RIGHT), saltOf(first, 1));
  const commit = await gasOf(p.disputes.connect(signerOf(p, first)).commitVote(c.requestId, commitment));
  await commitVotes(p, c.requestId, 1, rest, vote);
  await increaseTime(p, 61);
  const v = vote(first);
  const reveal = await gasOf(
    p.disputes.connect(signerOf(p, first)).revealVote(c.requestId, v.outcome, v.outputHash, v.salt),
  );
  await revealVotes(p, c.requestId, rest, vote);
  await increaseTime(p, 61);
  const settle = await gasOf(p.disputes.settle(c.requestId, c.request, RIGHT, [WRONG]));
  // Payouts are pulled: the challenger claims its credit, every majority juror its share.
  const claim = await gasOf(p.disputes.connect(challenger).claim());
  const jurorClaims: number[] = [];
  for (const j of jurors) jurorClaims.push(await gasOf(p.disputes.claimJurorReward(c.requestId, j)));
  await unjail(target);
  return { open, commit, reveal, settle, claim, jurorClaim: jurorClaims[0]! };
}

const small = p.operators[0]!.address;
const large = p.operators[1]!.address;

// Many delegators in the large operator's pool.
const DELEGATORS = Number(
  process.env.VERDICT_BENCH_DELEGATORS ?? (process.env.VERDICT_BENCH_QUICK ? 50 : 1000),
);
const stakingAddress = await p.staking.getAddress();
for (let i = 0; i < DELEGATORS; i++) {
  const w = Wallet.createRandom().connect(p.ethers.provider);
  await p.connection.networkHelpers.setBalance(w.address, parseEther("1"));
  await (await p.token.connect(p.deployer).transfer(w.address, parseEther("10"))).wait();
  await (await p.token.connect(w).approve(stakingAddress, parseEther("10"))).wait();
  await (await p.staking.connect(w).delegate(large, parseEther("10"))).wait();
}

// Warm-up: cycles against both, so steady-state slots exist (every account that will be credited has been
// credited once, as on a live network; the figures do not depend on which jurors the draw picks).
for (let i = 0; i < 3; i++) {
  await cycle(small);
  await cycle(large);
}
const s1 = await cycle(small);
const s1000 = await cycle(large);

// The referee path: a lie on int-mlp-16x32x1, settled by the real IntegerMlpReferee in one transaction.
const model = await registerRefereeModel(p, "int-mlp-16x32x1");
const input = integerInput(
  model.entry,
  Array.from({ length: 16 }, (_, i) => BigInt((i * 37) % 23) - 11n),
);
const truth = await model.referee.evaluate(input);
const lie = out(BigInt(truth.length)); // any other canonical output
const r = await answeredBy(small, lie, model.modelHash, input);
await (await p.disputes.connect(challenger).openDispute(r.requestId, r.request, truth)).wait();
const referee = await gasOf(p.disputes.resolveByReferee(r.requestId, r.request, input));
// The verdict is applied once its appeal window passed.
await increaseTime(p, 121);
const applied = await gasOf(p.disputes.settleReferee(r.requestId, r.request, 0, truth));

const figures = {
  "gas.dispute.open": s1.open,
  "gas.dispute.commit": s1.commit,
  "gas.dispute.reveal": s1.reveal,
  "gas.dispute.settle.delegators1": s1.settle,
  "gas.dispute.settle.delegators1000": s1000.settle,
  "gas.dispute.claim": s1.claim,
  "gas.dispute.claimJurorReward": s1.jurorClaim,
  "gas.dispute.referee.mlp16x32x1": referee,
  "gas.dispute.settleReferee": applied,
};
console.table(figures);
console.log(`settle difference: ${((Math.abs(s1000.settle - s1.settle) / s1.settle) * 100).toFixed(2)}%`);
if (!process.env.VERDICT_BENCH_DRY) {
  recordBenchmarks("Disputes", figures, {
    description:
      "Receipt gas of the dispute path, k = 1 among 8 operators, after warm-up cycles (every account already " +
      "credited once): `openDispute` with the bond pulled by transferFrom (two new slots: the dispute and the jury's " +
      "randomness ticket; stake locked, request " +
      "frozen), one juror's `commitVote` and `revealVote` through its signer key, `settle` of a lie caught by a " +
      "3-juror majority (slash and jail, fee refund, correction, requester compensation, challenger bond + " +
      "reward credited, one juror share recorded for 3 jurors, burn queued, unlock) with an operator pool of 1 and of " +
      `${DELEGATORS} delegators (slashing is O(1) in the number of delegators), the challenger's \`claim\` and a ` +
      "juror's `claimJurorReward`, " +
      "`resolveByReferee` of a lie on int-mlp-16x32x1 (16→32→1 integer MLP recomputed on chain by the admitted " +
      "referee, verdict recorded) and `settleReferee` applying it after the appeal window (slash, refund, credits).",
    targets: {
      "gas.dispute.open": { max: 155_000 }, // 120k before the jury's randomness ticket (one more slot)
      "gas.dispute.commit": { max: 80_000 },
      "gas.dispute.reveal": { max: 80_000 },
      "gas.dispute.settle.delegators1": { max: 200_000 },
      "gas.dispute.settle.delegators1000": { max: 200_000 },
    },
  });
}
