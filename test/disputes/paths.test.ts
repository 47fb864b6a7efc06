/**
 * The dispute paths beyond a first-round majority (docs/disputes.md): escalation to a larger committee, the
 * arbiter (the timelock) after the rounds run out, the arbiter timeout, the real on-chain referee of
 * int-mlp-16x32x1, k = 2 disagreement, and every bad input with its typed error and intact state.
 */
import { expect } from "chai";
import { keccak256, parseEther, type Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import type { CreatedRequest } from "../../sdk/requests.js";
import {
  FEE,
  assigned,
  governed,
  increaseTime,
  makeRequest,
  signedAnswer,
  type RequestOptions,
} from "../helpers/protocol.js";
import {
  commitVotes,
  deployConsumer,
  deployDisputeProtocol,
  drawJury,
  fundChallenger,
  integerInput,
  refereeSettles,
  registerRefereeModel,
  rejectsWith,
  revealVotes,
  saltOf,
  signerOf,
  voteCommitment,
  type DisputeProtocol,
  type Vote,
} from "../helpers/disputes.js";

const output = (values: bigint[]): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [values.length], data: values }]);
const hex = (b: Uint8Array): string => "0x" + Buffer.from(b).toString("hex");
const RIGHT = output([42n]);
const WRONG = output([7n]);
const BPS = 10_000n;
const Phase = { None: 0n, Open: 1n, Voting: 2n, Arbitration: 3n, Settled: 4n };
const Method = { Referee: 0n, Committee: 1n, Arbiter: 2n, Timeout: 3n };
const REASON_UNDECIDED = "0x" + (8).toString(16).padStart(64, "0");

const voteFor =
  (bytes: Uint8Array, round = 1) =>
  (juror: string): Vote => ({ outcome: 0, outputHash: keccak256(bytes), salt: saltOf(juror, round) });

/** Round `round`'s jurors split so that no strict majority forms: half RIGHT, half WRONG, one silent. */
function split(jurors: readonly string[], round: number): (j: string) => Vote | null {
  const half = Math.floor(jurors.length / 2);
  return (j) => {
    const i = jurors.indexOf(j);
    if (i === jurors.length - 1) return null;
    return i < half ? voteFor(RIGHT, round)(j) : voteFor(WRONG, round)(j);
  };
}

async function addr(s: Signer): Promise<string> {
  return s.getAddress();
}

/** The current Disputes parameters as a plain struct, with `changes` applied. */
async function paramsWith(p: DisputeProtocol, changes: Record<string, bigint | number> = {}) {
  const q = await p.disputes.parameters();
  return {
    minBond: q.minBond,
    slashFloor: q.slashFloor,
    feeMultipleBps: q.feeMultipleBps,
    slashBps: q.slashBps,
    jurySize: q.jurySize,
    maxRounds: q.maxRounds,
    jurorPenalty: q.jurorPenalty,
    compensationBps: q.compensationBps,
    challengerRewardBps: q.challengerRewardBps,
    jurorRewardBps: q.jurorRewardBps,
    operatorShareBps: q.operatorShareBps,
    jurorBondShareBps: q.jurorBondShareBps,
    jailDuration: q.jailDuration,
    commitDuration: q.commitDuration,
    revealDuration: q.revealDuration,
    arbiterTimeout: q.arbiterTimeout,
    ...changes,
  };
}

/** A request answered by its single operator with `answer` (FAST, recorded by a consumer). */
async function answered(p: DisputeProtocol, answer: Uint8Array, opts: RequestOptions = {}) {
  const consumer = await deployConsumer(p);
  const created = await makeRequest(p, {
    callback: await consumer.getAddress(),
    callbackGasLimit: 200_000,
    ...opts,
  });
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, answer),
      "0x",
    )
  ).wait();
  return { created, consumer };
}

/** Sets `maxRounds` through the timelock (the Disputes governance). */
async function setMaxRounds(p: DisputeProtocol, maxRounds: number): Promise<void> {
  const next = await paramsWith(p, { maxRounds });
  await governed(
    p,
    await p.disputes.getAddress(),
    p.disputes.interface.encodeFunctionData("setParameters", [next]),
  );
  expect((await p.disputes.parameters()).maxRounds).to.equal(BigInt(maxRounds));
}

/** Runs one round in which no strict majority forms, then escalates. */
async function roundWithoutMajority(p: DisputeProtocol, c: CreatedRequest, round: number): Promise<void> {
  const jurors = [...(await p.disputes.jurorsOf(c.requestId, round))];
  const vote = split(jurors, round);
  await commitVotes(p, c.requestId, round, jurors, vote);
  await increaseTime(p, 61);
  await revealVotes(p, c.requestId, jurors, vote);
  await increaseTime(p, 61);
  expect(await p.disputes.majorityOf(c.requestId, round)).to.equal("0x" + "00".repeat(31));
  await expect(p.disputes.settle(c.requestId, c.request, RIGHT, [WRONG]))
    .to.be.revertedWithCustomError(p.disputes, "NoMajority")
    .withArgs(c.requestId, round);
}

describe("Disputes: escalation, arbiter and timeout", function () {
  let p: DisputeProtocol;
  let challenger: Signer;

  beforeEach(async function () {
    p = await deployDisputeProtocol({ operators: 9 });
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  it("escalates a committee without a majority to 2M+1 jurors, penalising the silent", async function () {
    const { created } = await answered(p, WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const round1 = await drawJury(p, created);
    expect(round1).to.have.length(3);
    await roundWithoutMajority(p, created, 1);
    const silent = round1[2]!;
    const pool0 = await p.staking.poolAssets(silent);
    const penalty = (await p.disputes.parameters()).jurorPenalty;

    // Escalating takes a randomness ticket for round 2; the committee is drawn from it one block later.
    await expect(p.disputes.escalate(created.requestId, created.request))
      .to.emit(p.disputes, "DisputeEscalated")
      .withArgs(created.requestId, 1)
      .and.to.emit(p.disputes, "JurorPenalised")
      .withArgs(created.requestId, 1, silent, penalty)
      .and.to.emit(p.disputes, "JuryTicketTaken")
      .and.not.to.emit(p.disputes, "JuryDrawn");
    expect(await p.staking.poolAssets(silent)).to.equal(pool0 - penalty);
    expect(await p.disputes.pendingBurn()).to.equal(penalty);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.Open);
    const round2 = await drawJury(p, created);
    const d = await p.disputes.disputeOf(created.requestId);
    expect(d.phase).to.equal(Phase.Voting);
    expect(d.round).to.equal(2n);
    expect(round2).to.have.length(7);
    const excluded = created.request.operators[0]!.toLowerCase();
    expect(round2.map((j) => j.toLowerCase())).to.not.include(excluded);

    // Round 2 reaches a majority: the dispute settles with the round-2 jurors as the winners.
    await commitVotes(p, created.requestId, 2, round2, voteFor(RIGHT, 2));
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, round2, voteFor(RIGHT, 2));
    await increaseTime(p, 61);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Committee, 1, 0, keccak256(RIGHT));
    const share = (await p.disputes.disputeOf(created.requestId)).jurorShare;
    expect(share).to.be.greaterThan(0n);
    await expect(p.disputes.claimJurorReward(created.requestId, round2[0]!))
      .to.emit(p.disputes, "JurorRewardClaimed")
      .withArgs(created.requestId, round2[0]!, share);
    // A round-1 juror that is not in the deciding committee gets nothing.
    const onlyRound1 = round1.find((j) => !round2.includes(j));
    if (onlyRound1) {
      await expect(p.disputes.claimJurorReward(created.requestId, onlyRound1)).to.be.revertedWithCustomError(
        p.disputes,
        "NothingToClaim",
      );
    }
  });

  it("after maxRounds the arbiter (the timelock) decides, with its event trail", async function () {
    await setMaxRounds(p, 2);
    const { created, consumer } = await answered(p, WRONG);
    const liar = assigned(p, created, 0);
    const challengerAddr = await addr(challenger);
    const bond = await p.disputes.bondFor(created.request);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    await drawJury(p, created);
    await roundWithoutMajority(p, created, 1);
    await (await p.disputes.escalate(created.requestId, created.request)).wait();
    await drawJury(p, created);
    await roundWithoutMajority(p, created, 2);
    await expect(p.disputes.escalate(created.requestId, created.request))
      .to.emit(p.disputes, "ArbitrationRequired")
      .withArgs(created.requestId, 2);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.Arbitration);

    // Nobody but the arbiter decides; nobody settles or escalates any more.
    await expect(p.disputes.arbitrate(created.requestId, created.request, 0, RIGHT, [WRONG]))
      .to.be.revertedWithCustomError(p.disputes, "NotArbiter")
      .withArgs(await addr(p.deployer));
    await expect(p.disputes.escalate(created.requestId, created.request))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(created.requestId, Phase.Arbitration);
    const pool0 = await p.staking.poolAssets(liar.address);

    const timelock = await p.timelock.getAddress();
    expect(await p.disputes.arbiter()).to.equal(timelock);
    const data = p.disputes.interface.encodeFunctionData("arbitrate", [
      created.requestId,
      created.request,
      0,
      RIGHT,
      [WRONG],
    ]);
    await governed(p, await p.disputes.getAddress(), data);

    // The event trail: the arbiter's decision, the resolution and the payouts.
    const decided = await p.disputes.queryFilter(p.disputes.filters.ArbiterDecided(created.requestId));
    expect(decided).to.have.length(1);
    expect(decided[0]!.args.arbiter).to.equal(timelock);
    expect(decided[0]!.args.outputHash).to.equal(keccak256(RIGHT));
    expect(decided[0]!.args.wrongMask).to.equal(1n);
    const resolved = await p.disputes.queryFilter(p.disputes.filters.DisputeResolved(created.requestId));
    expect(resolved[0]!.args.method).to.equal(Method.Arbiter);
    const payouts = await p.disputes.queryFilter(p.disputes.filters.DisputePayouts(created.requestId));
    const slashed = pool0 - (await p.staking.poolAssets(liar.address));
    expect(payouts[0]!.args.slashed).to.equal(slashed);
    expect(payouts[0]!.args.toJurors).to.equal(0n); // no juror decided: their share is burned

    const params = await p.disputes.parameters();
    const reward = ((slashed < bond ? slashed : bond) * params.challengerRewardBps) / BPS;
    expect(await p.disputes.claimable(challengerAddr)).to.equal(bond + reward);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    expect((await consumer.deliveries(1)).output).to.equal(hex(RIGHT));
    expect((await p.staking.getOperator(liar.address)).openDisputes).to.equal(0n);
  });

  it("if the arbiter never decides, anyone settles after the timeout: refund, bond back, no slash", async function () {
    await setMaxRounds(p, 1);
    const { created, consumer } = await answered(p, WRONG);
    const op = assigned(p, created, 0);
    const requester = await addr(p.requester);
    const challengerAddr = await addr(challenger);
    const bond = await p.disputes.bondFor(created.request);
    const escrow0 = await p.coordinator.balanceOf(requester);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    await drawJury(p, created);
    await roundWithoutMajority(p, created, 1);
    await (await p.disputes.escalate(created.requestId, created.request)).wait();
    const d = await p.disputes.disputeOf(created.requestId);
    expect(d.phase).to.equal(Phase.Arbitration);
    const timeout = (await p.disputes.parameters()).arbiterTimeout;
    const pool0 = await p.staking.poolAssets(op.address);

    await expect(p.disputes.resolveByTimeout(created.requestId, created.request))
      .to.be.revertedWithCustomError(p.disputes, "ArbiterTimeNotOver")
      .withArgs(created.requestId, d.arbiterDeadline);
    await increaseTime(p, timeout + 1n);
    await expect(p.disputes.connect(p.others[3]!).resolveByTimeout(created.requestId, created.request))
      .to.emit(p.disputes, "ArbiterTimedOut")
      .withArgs(created.requestId, d.arbiterDeadline)
      .and.to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Timeout, 1, 1, REASON_UNDECIDED);

    const price = FEE * created.request.redundancy;
    expect(await p.coordinator.balanceOf(requester)).to.equal(escrow0 + price); // refunded in full
    expect(await p.disputes.claimable(challengerAddr)).to.equal(bond); // bond back, no reward
    expect(await p.staking.poolAssets(op.address)).to.equal(pool0); // nobody slashed
    const info = await p.staking.getOperator(op.address);
    expect(info.jailed).to.equal(false);
    expect(info.openDisputes).to.equal(0n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    const last = await consumer.deliveries((await consumer.deliveryCount()) - 1n);
    expect(last.corrected).to.equal(true);
    expect(last.outcome).to.equal(1n);
    expect(last.output).to.equal(REASON_UNDECIDED);
    // The arbiter is too late now.
    const data = p.disputes.interface.encodeFunctionData("arbitrate", [
      created.requestId,
      created.request,
      0,
      RIGHT,
      [WRONG],
    ]);
    await rejectsWith(governed(p, await p.disputes.getAddress(), data), "WrongPhase");
    await expect(p.disputes.resolveByTimeout(created.requestId, created.request))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(created.requestId, Phase.Settled);
  });
});

describe("Disputes: on-chain referee (int-mlp-16x32x1)", function () {
  let p: DisputeProtocol;
  let challenger: Signer;

  beforeEach(async function () {
    p = await deployDisputeProtocol();
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  async function refereeRequest(answerOf: (truth: string) => Uint8Array | string) {
    const model = await registerRefereeModel(p, "int-mlp-16x32x1");
    const input = integerInput(
      model.entry,
      Array.from({ length: 16 }, (_, i) => BigInt(i * 97 - 600)),
    );
    const truth = await model.referee.evaluate(input);
    const created = await makeRequest({ ...p, modelHash: model.modelHash }, { input });
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, answerOf(truth)),
        "0x",
      )
    ).wait();
    return { created, input, truth };
  }

  it("settles a lie once the appeal window passed: the referee's output decides, the liar is slashed", async function () {
    const { created, input, truth } = await refereeRequest(() => WRONG);
    const liar = assigned(p, created, 0);
    const pool0 = await p.staking.poolAssets(liar.address);
    const bond = await p.disputes.bondFor(created.request);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, truth)
    ).wait();
    // The input must be the request's.
    await expect(p.disputes.resolveByReferee(created.requestId, created.request, RIGHT))
      .to.be.revertedWithCustomError(p.disputes, "InputMismatch")
      .withArgs(created.requestId);

    const tx = await refereeSettles(p, created, input);
    await expect(tx)
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Referee, 1, 0, keccak256(truth));
    const slashed = pool0 - (await p.staking.poolAssets(liar.address));
    expect(slashed).to.equal(bond); // 10% of the pool, equal bonds
    const params = await p.disputes.parameters();
    const reward = (bond * params.challengerRewardBps) / BPS;
    expect(await p.disputes.claimable(await addr(challenger))).to.equal(bond + reward);
    expect(await p.disputes.claimable(await addr(p.requester))).to.equal(
      (slashed * params.compensationBps) / BPS,
    );
    expect((await p.staking.getOperator(liar.address)).jailed).to.equal(true);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.Settled);
  });

  it("an honest answer disputed by referee: the challenger loses its bond", async function () {
    const { created, input, truth } = await refereeRequest((t) => t);
    const honest = assigned(p, created, 0);
    const pool0 = await p.staking.poolAssets(honest.address);
    const challenger0 = await p.token.balanceOf(await addr(challenger));
    const bond = await p.disputes.bondFor(created.request);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, WRONG)
    ).wait();
    const tx = await refereeSettles(p, created, input);
    await expect(tx)
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Referee, 0, 0, keccak256(truth));
    const params = await p.disputes.parameters();
    expect(await p.token.balanceOf(await addr(challenger))).to.equal(challenger0 - bond);
    expect(await p.disputes.claimable(await addr(challenger))).to.equal(0n);
    const toOperators = (bond * params.operatorShareBps) / BPS;
    await expect(tx)
      .to.emit(p.staking, "RewardsDistributed")
      .withArgs(
        honest.address,
        toOperators,
        (toOperators * 1000n) / BPS, // the operator's 10% commission
        toOperators - (toOperators * 1000n) / BPS,
      );
    expect(await p.staking.poolAssets(honest.address)).to.equal(pool0); // not slashed
    expect(await p.disputes.pendingBurn()).to.equal(bond - toOperators); // no jurors: their share burns
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
    // Settled once.
    await expect(p.disputes.resolveByReferee(created.requestId, created.request, input))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(created.requestId, Phase.Settled);
  });

  it("a model without a referee cannot be resolved by referee", async function () {
    const { created } = await answered(p, WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    // The request's own input (the fixture's default), so that only the missing referee is wrong.
    await expect(p.disputes.resolveByReferee(created.requestId, created.request, "0x56544e3100"))
      .to.be.revertedWithCustomError(p.disputes, "NoReferee")
      .withArgs(p.modelHash);
  });
});

describe("Disputes: bad input leaves state and funds intact", function () {
  let p: DisputeProtocol;
  let challenger: Signer;
  let challengerAddr: string;

  beforeEach(async function () {
    p = await deployDisputeProtocol();
    challenger = p.others[0]!;
    challengerAddr = await addr(challenger);
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  async function expectUntouched(c: CreatedRequest, tokens0: bigint): Promise<void> {
    expect(await p.token.balanceOf(challengerAddr)).to.equal(tokens0);
    expect((await p.disputes.disputeOf(c.requestId)).phase).to.equal(Phase.None);
    expect((await p.coordinator.requestState(c.requestId)).status).to.not.equal(RequestStatus.Disputed);
    expect((await p.staking.getOperator(c.request.operators[0]!)).openDisputes).to.equal(0n);
  }

  it("rejects a dispute after the window", async function () {
    const { created } = await answered(p, WRONG);
    const tokens0 = await p.token.balanceOf(challengerAddr);
    await increaseTime(p, 61);
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT),
    ).to.be.revertedWithCustomError(p.coordinator, "WindowClosed");
    await expectUntouched(created, tokens0);
  });

  it("rejects a second dispute of the same request", async function () {
    const { created } = await answered(p, WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const tokens1 = await p.token.balanceOf(challengerAddr);
    await expect(p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT))
      .to.be.revertedWithCustomError(p.disputes, "DisputeExists")
      .withArgs(created.requestId);
    expect(await p.token.balanceOf(challengerAddr)).to.equal(tokens1);
    expect((await p.staking.getOperator(created.request.operators[0]!)).openDisputes).to.equal(1n);
  });

  it("rejects too small a bond allowance", async function () {
    const { created } = await answered(p, WRONG);
    const bond = await p.disputes.bondFor(created.request);
    await (await p.token.connect(challenger).approve(await p.disputes.getAddress(), bond - 1n)).wait();
    const tokens0 = await p.token.balanceOf(challengerAddr);
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT),
    ).to.be.revertedWithCustomError(p.token, "ERC20InsufficientAllowance");
    await expectUntouched(created, tokens0);
  });

  it("rejects a request that is not the one committed", async function () {
    const { created } = await answered(p, WRONG);
    const tokens0 = await p.token.balanceOf(challengerAddr);
    const forged = { ...created.request, tolerance: 1_000n };
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, forged, RIGHT),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    await expectUntouched(created, tokens0);
  });

  it("rejects commits by non-jurors, forged or copied reveals, and an early settle", async function () {
    const { created } = await answered(p, WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const jurors = await drawJury(p, created);
    const [a, b, c] = jurors as [string, string, string];
    const vote = voteFor(RIGHT);

    // A non-juror (the challenger; the accused operator's own key) cannot commit.
    const commitment = voteCommitment(created.requestId, 1, a, 0, keccak256(RIGHT), saltOf(a, 1));
    await expect(p.disputes.connect(challenger).commitVote(created.requestId, commitment))
      .to.be.revertedWithCustomError(p.disputes, "NotJuror")
      .withArgs(created.requestId, challengerAddr);
    const accused = assigned(p, created, 0).signer;
    await expect(p.disputes.connect(accused).commitVote(created.requestId, commitment))
      .to.be.revertedWithCustomError(p.disputes, "NotJuror")
      .withArgs(created.requestId, accused.address);

    // Juror a commits; juror b copies a's commitment byte for byte.
    await (await p.disputes.connect(signerOf(p, a)).commitVote(created.requestId, commitment)).wait();
    await (await p.disputes.connect(signerOf(p, b)).commitVote(created.requestId, commitment)).wait();
    await expect(p.disputes.connect(signerOf(p, a)).commitVote(created.requestId, commitment))
      .to.be.revertedWithCustomError(p.disputes, "AlreadyCommitted")
      .withArgs(created.requestId, a);
    await commitVotes(p, created.requestId, 1, [c], vote);

    // Reveals wait for the commit phase to end.
    const va = vote(a);
    await expect(
      p.disputes.connect(signerOf(p, a)).revealVote(created.requestId, 0, va.outputHash, va.salt),
    ).to.be.revertedWithCustomError(p.disputes, "RevealNotOpen");
    await increaseTime(p, 61);
    await expect(
      p.disputes.connect(signerOf(p, c)).commitVote(created.requestId, commitment),
    ).to.be.revertedWithCustomError(p.disputes, "CommitClosed");

    // A reveal that does not match its own commitment (other output, other salt).
    await expect(
      p.disputes.connect(signerOf(p, a)).revealVote(created.requestId, 0, keccak256(WRONG), va.salt),
    )
      .to.be.revertedWithCustomError(p.disputes, "RevealMismatch")
      .withArgs(created.requestId, a);
    // The copier cannot reveal a's vote: the commitment binds the juror.
    await expect(p.disputes.connect(signerOf(p, b)).revealVote(created.requestId, 0, va.outputHash, va.salt))
      .to.be.revertedWithCustomError(p.disputes, "RevealMismatch")
      .withArgs(created.requestId, b);
    expect((await p.disputes.ballotOf(created.requestId, 1, b)).state).to.equal(2n); // still Committed

    await revealVotes(p, created.requestId, [a, c], vote);
    // Settling before the reveal deadline fails; after it, the copier is penalised as silent.
    const d = await p.disputes.disputeOf(created.requestId);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG]))
      .to.be.revertedWithCustomError(p.disputes, "RevealNotOver")
      .withArgs(created.requestId, d.revealDeadline);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.Voting);
    await increaseTime(p, 61);
    const penalty = (await p.disputes.parameters()).jurorPenalty;
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG]))
      .to.emit(p.disputes, "JurorPenalised")
      .withArgs(created.requestId, 1, b, penalty);
  });

  it("a requester disputing its own honest request loses its bond", async function () {
    const { created } = await answered(p, RIGHT);
    const requester = p.requester;
    const requesterAddr = await addr(requester);
    await (
      await p.token.connect(requester).approve(await p.disputes.getAddress(), parseEther("100000"))
    ).wait();
    await (await p.token.connect(p.deployer).transfer(requesterAddr, parseEther("2000"))).wait();
    const tokens0 = await p.token.balanceOf(requesterAddr);
    const escrow0 = await p.coordinator.balanceOf(requesterAddr);
    const bond = await p.disputes.bondFor(created.request);
    await (await p.disputes.connect(requester).openDispute(created.requestId, created.request, WRONG)).wait();
    const jurors = await drawJury(p, created);
    await commitVotes(p, created.requestId, 1, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, ["0x"]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Committee, 0, 0, keccak256(RIGHT));
    expect(await p.token.balanceOf(requesterAddr)).to.equal(tokens0 - bond);
    expect(await p.disputes.claimable(requesterAddr)).to.equal(0n);
    expect(await p.coordinator.balanceOf(requesterAddr)).to.equal(escrow0); // the fee is paid, not refunded
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
  });

  it("only governance sets parameters, and only within bounds", async function () {
    const params = await paramsWith(p);
    await expect(p.disputes.setParameters(params))
      .to.be.revertedWithCustomError(p.disputes, "OwnableUnauthorizedAccount")
      .withArgs(await addr(p.deployer));
    const bad = p.disputes.interface.encodeFunctionData("setParameters", [
      await paramsWith(p, { arbiterTimeout: 60 }),
    ]);
    await rejectsWith(governed(p, await p.disputes.getAddress(), bad), "InvalidParameter");
    expect((await p.disputes.parameters()).arbiterTimeout).to.equal(params.arbiterTimeout);
  });
});

describe("Disputes: k = 2 answers", function () {
  let p: DisputeProtocol;
  const near = output([44n]); // within tolerance 5 of RIGHT
  const far = output([50n]); // beyond it

  beforeEach(async function () {
    p = await deployDisputeProtocol({ redundancy: 2, tolerance: 5n });
  });

  async function twoAnswers(second: Uint8Array) {
    const created = await makeRequest(p);
    expect(created.request.redundancy).to.equal(2n);
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, RIGHT),
        "0x",
      )
    ).wait();
    const tx = await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 1, second),
      RIGHT,
    );
    return { created, tx };
  }

  it("two honest outputs within tolerance raise no dispute", async function () {
    const { created, tx } = await twoAnswers(near);
    await expect(tx).to.not.emit(p.disputes, "DisputeOpened");
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.None);
  });

  it("outputs beyond tolerance open a dispute without a bond, which settles", async function () {
    const { created, tx } = await twoAnswers(far);
    await expect(tx)
      .to.emit(p.disputes, "DisputeOpened")
      .withArgs(created.requestId, "0x0000000000000000000000000000000000000000", 0, "0x");
    const d = await p.disputes.disputeOf(created.requestId);
    expect(d.phase).to.equal(Phase.Open);
    expect(d.bondUnits).to.equal(0n);
    const [good, bad] = [assigned(p, created, 0), assigned(p, created, 1)];
    expect((await p.staking.getOperator(bad.address)).openDisputes).to.equal(1n);
    const badPool0 = await p.staking.poolAssets(bad.address);
    const goodPool0 = await p.staking.poolAssets(good.address);
    const requester = await addr(p.requester);
    const escrow0 = await p.coordinator.balanceOf(requester);

    const jurors = await drawJury(p, created);
    await commitVotes(p, created.requestId, 1, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    // The far answer must be shown (tolerance > 0) and must be the one attested.
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, ["0x", near]))
      .to.be.revertedWithCustomError(p.disputes, "AnswerMismatch")
      .withArgs(created.requestId, 1);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, ["0x", far]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Committee, 2, 0, keccak256(RIGHT));

    const params = await p.disputes.parameters();
    const slashed = badPool0 - (await p.staking.poolAssets(bad.address));
    expect(slashed).to.be.greaterThan(0n);
    expect(await p.staking.poolAssets(good.address)).to.equal(goodPool0);
    expect(await p.coordinator.balanceOf(requester)).to.equal(escrow0 + FEE * 2n);
    expect(await p.disputes.claimable(requester)).to.equal((slashed * params.compensationBps) / BPS);
    // No challenger: its reward is burned with the rest.
    const perJuror = (await p.disputes.disputeOf(created.requestId)).jurorShare;
    const compensation = (slashed * params.compensationBps) / BPS;
    expect(await p.disputes.pendingBurn()).to.equal(slashed - compensation - perJuror * 3n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    expect((await p.staking.getOperator(good.address)).openDisputes).to.equal(0n);
    expect((await p.staking.getOperator(bad.address)).openDisputes).to.equal(0n);
  });
});
