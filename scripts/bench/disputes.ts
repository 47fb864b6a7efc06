/**
 * Gas of the dispute path (issue 6): open with a bond, a juror's commit and reveal, and the settlement of a
 * lie caught by a 3-juror committee (slash, refund, compensation, rewards, burn, correction) against an
 * operator whose pool has 1 delegator and one whose pool has 1,000. Receipt gasUsed on Hardhat's EVM.
 */
import { Wallet, keccak256, parseEther } from "ethers";
import { recordBenchmarks } from "./record.js";
import { increaseTime, makeRequest, signedAnswer } from "../../test/helpers/protocol.js";
import {
  commitVotes,
  deployDisputeProtocol,
  fundChallenger,
  revealVotes,
  saltOf,
  signerOf,
  voteCommitment,
  type DisputeProtocol,
} from "../../test/helpers/disputes.js";
import { encodeTensors } from "../../sdk/tensor.js";
import type { CreatedRequest } from "../../sdk/requests.js";

const out = (v: bigint): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [v] }]);
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

/** A request served by `target` (redrawn until it is), answered wrongly. */
async function wrongAnswerBy(target: string): Promise<CreatedRequest> {
  for (let i = 0; i < 200; i++) {
    const c = await makeRequest(p);
    if (c.request.operators[0]!.toLowerCase() !== target.toLowerCase()) continue;
    await (
      await p.coordinator.submitAnswer(c.requestId, c.request, await signedAnswer(p, c, 0, WRONG), "0x")
    ).wait();
    return c;
  }
  throw new Error(`no request drawn ${target}`);
}

interface Cycle {
  open: number;
  commit: number;
  reveal: number;
  settle: number;
}

async function cycle(target: string): Promise<Cycle> {
  const c = await wrongAnswerBy(target);
  const open = await gasOf(p.disputes.connect(challenger).openDispute(c.requestId, c.request, "0x"));
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
  // Let the operator out of jail for the next cycle.
  await increaseTime(p, 7 * 24 * 3600 + 1);
  const op = p.operators.find((o) => o.address.toLowerCase() === target.toLowerCase())!;
  await (await p.staking.connect(op.account).unjail()).wait();
  return { open, commit, reveal, settle };
}

const small = p.operators[0]!.address;
const large = p.operators[1]!.address;

// 1,000 delegators in the large operator's pool.
const DELEGATORS = Number(process.env.VERDICT_BENCH_DELEGATORS ?? 1000);
const stakingAddress = await p.staking.getAddress();
for (let i = 0; i < DELEGATORS; i++) {
  const w = Wallet.createRandom().connect(p.ethers.provider);
  await p.connection.networkHelpers.setBalance(w.address, parseEther("1"));
  await (await p.token.connect(p.deployer).transfer(w.address, parseEther("10"))).wait();
  await (await p.token.connect(w).approve(stakingAddress, parseEther("10"))).wait();
  await (await p.staking.connect(w).delegate(large, parseEther("10"))).wait();
}

// Warm-up: one cycle against each, so steady-state slots (balances, records) exist.
await cycle(small);
await cycle(large);
const s1 = await cycle(small);
const s1000 = await cycle(large);

const figures = {
  "gas.dispute.open": s1.open,
  "gas.dispute.commit": s1.commit,
  "gas.dispute.reveal": s1.reveal,
  "gas.dispute.settle.delegators1": s1.settle,
  "gas.dispute.settle.delegators1000": s1000.settle,
};
console.table(figures);
console.log(`settle difference: ${((Math.abs(s1000.settle - s1.settle) / s1.settle) * 100).toFixed(2)}%`);
recordBenchmarks("Disputes", figures, {
  description:
    "Receipt gas of the dispute path, k = 1 among 8 operators, after a warm-up cycle: `openDispute` with the bond " +
    "pulled by transferFrom (stake locked, request frozen), one juror's `commitVote` and `revealVote` through its " +
    "signer key, and `settle` of a lie caught by a 3-juror majority (slash and jail, fee refund, requester " +
    `compensation, challenger bond + reward, 3 juror payments, burn, unlock) with an operator pool of 1 and of ${DELEGATORS} delegators ` +
    "(slashing is O(1) in the number of delegators).",
  targets: {
    "gas.dispute.open": { max: 120_000 },
    "gas.dispute.commit": { max: 80_000 },
    "gas.dispute.reveal": { max: 80_000 },
    "gas.dispute.settle.delegators1": { max: 200_000 },
    "gas.dispute.settle.delegators1000": { max: 200_000 },
  },
});
