/**
 * Dispute and jury flows that the other dispute tests leave out (found through the coverage report): a
 * referee that reverts with one word, every wrong-phase call of the committee path, a
 * majority that forbids escalation, bad reveals, an "invalid input" majority, a jury that cannot be drawn
 * (straight to the arbiter) and the arbiter's own input checks. Each bad call leaves the dispute as it was.
 */
import { expect } from "chai";
import { AbiCoder, ZeroHash, keccak256, parseEther, type Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus, type CreatedRequest } from "../../sdk/requests.js";
import { assigned, governed, increaseTime, makeRequest, signedAnswer } from "../helpers/protocol.js";
import {
  commitVotes,
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
  type RefereeModel,
  type Vote,
} from "../helpers/disputes.js";

const output = (values: bigint[]): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [values.length], data: values }]);
const RIGHT = output([42n]);
const WRONG = output([7n]);
const Phase = { None: 0n, Open: 1n, Voting: 2n, Arbitration: 3n, Settled: 4n };
const Method = { Referee: 0n, Committee: 1n, Arbiter: 2n, Timeout: 3n };
const REASON = "0x" + (3).toString(16).padStart(64, "0"); // any non-zero reason code
const word = (hex: string): string => AbiCoder.defaultAbiCoder().encode(["bytes32"], [hex]);

const voteFor =
  (bytes: Uint8Array, round = 1) =>
  (juror: string): Vote => ({ outcome: 0, outputHash: keccak256(bytes), salt: saltOf(juror, round) });
const invalidVote =
  (round = 1) =>
  (juror: string): Vote => ({ outcome: 1, outputHash: ZeroHash, salt: saltOf(juror, round) });

/** A request answered WRONG by its single operator, disputed by `challenger` claiming RIGHT. */
async function disputed(p: DisputeProtocol, challenger: Signer): Promise<CreatedRequest> {
  const created = await makeRequest(p);
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, WRONG),
      "0x",
    )
  ).wait();
  await (await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)).wait();
  return created;
}

/** The dispute's phase, round and deadlines: what a rejected call must leave alone. */
async function snapshot(p: DisputeProtocol, id: bigint) {
  const d = await p.disputes.disputeOf(id);
  return [d.phase, d.round, d.commitDeadline, d.revealDeadline, d.challenger, d.bondUnits].map(String);
}

describe("Disputes: committee guards and invalid-input verdicts", function () {
  let p: DisputeProtocol;
  let challenger: Signer;

  beforeEach(async function () {
    p = await deployDisputeProtocol({ operators: 9 });
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  it("rejects every call made in the wrong phase, leaving the dispute as it was", async function () {
    const c = await disputed(p, challenger);
    const id = c.requestId;
    const open = await snapshot(p, id);
    const anyJuror = signerOf(p, p.operators[1]!.address);
    // Open: no votes, no settlement, no escalation yet.
    await expect(p.disputes.connect(anyJuror).commitVote(id, ZeroHash))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(id, Phase.Open);
    await expect(p.disputes.connect(anyJuror).revealVote(id, 0, ZeroHash, ZeroHash))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(id, Phase.Open);
    await expect(p.disputes.settle(id, c.request, RIGHT, [WRONG]))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(id, Phase.Open);
    await expect(p.disputes.escalate(id, c.request))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(id, Phase.Open);
    expect(await snapshot(p, id)).to.deep.equal(open);

    // Voting: no second draw; no escalation before the reveal deadline.
    const jurors = await drawJury(p, c);
    const voting = await snapshot(p, id);
    await expect(p.disputes.drawJury(id, c.request))
      .to.be.revertedWithCustomError(p.disputes, "WrongPhase")
      .withArgs(id, Phase.Voting);
    const d = await p.disputes.disputeOf(id);
    await expect(p.disputes.escalate(id, c.request))
      .to.be.revertedWithCustomError(p.disputes, "RevealNotOver")
      .withArgs(id, d.revealDeadline);
    expect(await snapshot(p, id)).to.deep.equal(voting);
    expect(await p.disputes.jurorsOf(id, 1)).to.deep.equal(jurors);
  });

  it("bad reveals: an unknown outcome, a juror that never committed", async function () {
    const c = await disputed(p, challenger);
    const id = c.requestId;
    const jurors = await drawJury(p, c);
    const [first, second] = [jurors[0]!, jurors[1]!];
    await commitVotes(p, id, 1, [first], voteFor(RIGHT));
    await increaseTime(p, 61);
    const salt = saltOf(first, 1);
    await expect(p.disputes.connect(signerOf(p, first)).revealVote(id, 2, keccak256(RIGHT), salt))
      .to.be.revertedWithCustomError(p.disputes, "BadOutcome")
      .withArgs(2);
    await expect(
      p.disputes.connect(signerOf(p, second)).revealVote(id, 0, keccak256(RIGHT), saltOf(second, 1)),
    )
      .to.be.revertedWithCustomError(p.disputes, "NotCommitted")
      .withArgs(id, second);
    // Neither counted: the committed juror can still reveal its real vote.
    const key = voteCommitment(id, 1, first, 0, keccak256(RIGHT), salt);
    expect(key).to.match(/^0x[0-9a-f]{64}$/);
    await expect(p.disputes.connect(signerOf(p, first)).revealVote(id, 0, keccak256(RIGHT), salt)).to.emit(
      p.disputes,
      "VoteRevealed",
    );
  });

  it("a reached majority cannot be escalated away, and settles only with one output per operator", async function () {
    const c = await disputed(p, challenger);
    const id = c.requestId;
    const jurors = await drawJury(p, c);
    await commitVotes(p, id, 1, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    await revealVotes(p, id, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    const before = await snapshot(p, id);
    await expect(p.disputes.escalate(id, c.request))
      .to.be.revertedWithCustomError(p.disputes, "MajorityReached")
      .withArgs(id, 1);
    await expect(p.disputes.settle(id, c.request, RIGHT, []))
      .to.be.revertedWithCustomError(p.disputes, "OutputCountMismatch")
      .withArgs(0, 1);
    await expect(p.disputes.settle(id, c.request, RIGHT, [WRONG, WRONG]))
      .to.be.revertedWithCustomError(p.disputes, "OutputCountMismatch")
      .withArgs(2, 1);
    expect(await snapshot(p, id)).to.deep.equal(before);
    await expect(p.disputes.settle(id, c.request, RIGHT, [WRONG]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(id, Method.Committee, 1, 0, keccak256(RIGHT));
  });

  it("an invalid-input majority: a reason code is required, and an operator that answered a result is wrong", async function () {
    const c = await disputed(p, challenger);
    const id = c.requestId;
    const liar = assigned(p, c, 0);
    const jurors = await drawJury(p, c);
    await commitVotes(p, id, 1, jurors, invalidVote());
    await increaseTime(p, 61);
    await revealVotes(p, id, jurors, invalidVote());
    await increaseTime(p, 61);
    const before = await snapshot(p, id);
    const pool0 = await p.staking.poolAssets(liar.address);
    for (const bad of ["0x1234", word(ZeroHash), RIGHT]) {
      // A short output, the zero word, and a result output: none is a reason code.
      await expect(p.disputes.settle(id, c.request, bad, [WRONG])).to.be.revertedWithCustomError(
        p.disputes,
        "BadReasonCode",
      );
    }
    expect(await snapshot(p, id)).to.deep.equal(before);
    expect(await p.staking.poolAssets(liar.address)).to.equal(pool0);

    await expect(p.disputes.settle(id, c.request, REASON, [WRONG]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(id, Method.Committee, 1, 1, REASON);
    expect(await p.staking.poolAssets(liar.address)).to.be.lessThan(pool0);
    expect((await p.staking.getOperator(liar.address)).jailed).to.equal(true);
    expect((await p.disputes.disputeOf(id)).phase).to.equal(Phase.Settled);
    expect((await p.coordinator.requestState(id)).status).to.equal(RequestStatus.Corrected);
  });
});

describe("Disputes: a jury that cannot be drawn goes to the arbiter", function () {
  it("too few eligible operators: arbitration at once; the arbiter's outcome and reason are checked", async function () {
    const p = await deployDisputeProtocol({ operators: 3 }); // jury of 3, one excluded: only 2 eligible
    const challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
    const c = await disputed(p, challenger);
    const id = c.requestId;
    await p.connection.networkHelpers.mine(); // the jury's randomness ticket is ready one block later
    await expect(p.disputes.drawJury(id, c.request))
      .to.emit(p.disputes, "ArbitrationRequired")
      .withArgs(id, 0)
      .and.not.to.emit(p.disputes, "JuryDrawn");
    expect((await p.disputes.disputeOf(id)).phase).to.equal(Phase.Arbitration);
    expect(await p.disputes.jurorsOf(id, 1)).to.deep.equal([]);

    const target = await p.disputes.getAddress();
    const arbitrate = (outcome: number, out: Uint8Array | string): string =>
      p.disputes.interface.encodeFunctionData("arbitrate", [id, c.request, outcome, out, [WRONG]]);
    const before = await snapshot(p, id);
    await rejectsWith(governed(p, target, arbitrate(2, RIGHT)), "BadOutcome");
    await rejectsWith(governed(p, target, arbitrate(1, "0x01")), "BadReasonCode");
    await rejectsWith(governed(p, target, arbitrate(1, word(ZeroHash))), "BadReasonCode");
    expect(await snapshot(p, id)).to.deep.equal(before);

    const liar = assigned(p, c, 0);
    const pool0 = await p.staking.poolAssets(liar.address);
    await governed(p, target, arbitrate(1, REASON));
    const resolved = await p.disputes.queryFilter(p.disputes.filters.DisputeResolved(id));
    expect(resolved).to.have.length(1);
    expect(resolved[0]!.args.method).to.equal(Method.Arbiter);
    expect(resolved[0]!.args.outcome).to.equal(1n);
    expect(resolved[0]!.args.wrongMask).to.equal(1n);
    expect(await p.staking.poolAssets(liar.address)).to.be.lessThan(pool0);
    expect((await p.disputes.disputeOf(id)).phase).to.equal(Phase.Settled);
  });
});

describe("Disputes: referee reverts", function () {
  let p: DisputeProtocol;
  let challenger: Signer;

  beforeEach(async function () {
    p = await deployDisputeProtocol();
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  async function refereeDispute(inputOf: (entry: RefereeModel["entry"]) => Uint8Array) {
    const model = await registerRefereeModel(p, "int-mlp-16x32x1");
    const input = inputOf(model.entry);
    const created = await makeRequest({ ...p, modelHash: model.modelHash }, { input });
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, WRONG),
        "0x",
      )
    ).wait();
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    return { model, created, input };
  }

  it("a one-word revert (RefereeInvalidInput(reason)) is an invalid-input verdict with that reason", async function () {
    // Three values where the model takes sixteen: a shape the referee rejects.
    const { model, created, input } = await refereeDispute((entry) => integerInput(entry, [1n, 2n, 3n]));
    // The referee itself says why: its one argument is the reason code the verdict carries.
    let data = "";
    try {
      await model.referee.evaluate(input);
    } catch (e) {
      data = (e as { data?: string }).data ?? "";
    }
    expect(data).to.have.length(2 + 2 * 36); // selector + one word
    expect(data.slice(0, 10)).to.equal(model.referee.interface.getError("RefereeInvalidInput")!.selector);
    const reason = "0x" + data.slice(10);
    expect(BigInt(reason)).to.be.greaterThan(0n);
    const liar = assigned(p, created, 0);
    const pool0 = await p.staking.poolAssets(liar.address);
    await expect(await refereeSettles(p, created, input))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, Method.Referee, 1, 1, reason);
    expect(await p.staking.poolAssets(liar.address)).to.be.lessThan(pool0);
  });
});
