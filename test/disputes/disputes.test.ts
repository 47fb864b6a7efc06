import { expect } from "chai";
import { keccak256, parseEther, type Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import { FEE, STAKE, assigned, increaseTime, makeRequest, signedAnswer } from "../helpers/protocol.js";
import {
  bondOf,
  claimAll,
  commitVotes,
  deployConsumer,
  deployDisputeProtocol,
  drawJury,
  fundChallenger,
  revealVotes,
  saltOf,
  type DisputeProtocol,
  type Vote,
} from "../helpers/disputes.js";

const output = (values: bigint[]): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [values.length], data: values }]);
const RIGHT = output([42n]);
const WRONG = output([7n]);
const BPS = 10_000n;
const Phase = { None: 0n, Open: 1n, Voting: 2n, Arbitration: 3n, Settled: 4n };

const voteFor =
  (bytes: Uint8Array, round = 1) =>
  (juror: string): Vote => ({ outcome: 0, outputHash: keccak256(bytes), salt: saltOf(juror, round) });

async function addr(s: Signer): Promise<string> {
  return s.getAddress();
}

describe("Disputes: committee", function () {
  let p: DisputeProtocol;
  let challenger: Signer;

  beforeEach(async function () {
    p = await deployDisputeProtocol();
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  /** A FAST request answered with `answer` by its single operator, with a recording consumer. */
  async function answered(answer: Uint8Array) {
    const consumer = await deployConsumer(p);
    const created = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 200_000,
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

  it("catches a lie: slashes the operator and pays every party to the wei", async function () {
    const { created, consumer } = await answered(WRONG);
    const liar = assigned(p, created, 0);
    const requester = await addr(p.requester);
    const challengerAddr = await addr(challenger);
    const params = await p.disputes.parameters();

    const pool0 = await p.staking.poolAssets(liar.address);
    const price = FEE * created.request.redundancy;
    const atRisk = [
      params.slashFloor,
      (pool0 * params.slashBps) / BPS,
      (price * params.feeMultipleBps) / BPS,
    ].reduce((a, b) => (a > b ? a : b));
    const bond = bondOf(params.minBond, atRisk);
    expect(await p.disputes.bondFor(created.request)).to.equal(bond);
    expect(bond).to.equal(parseEther("1000")); // 10% of a 10,000 OPG pool

    const escrow0 = await p.coordinator.balanceOf(requester);
    const challenger0 = await p.token.balanceOf(challengerAddr);
    const supply0 = await p.token.totalSupply();

    await expect(p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT))
      .to.emit(p.disputes, "DisputeOpened")
      .withArgs(created.requestId, challengerAddr, bond, RIGHT);
    expect(await p.token.balanceOf(challengerAddr)).to.equal(challenger0 - bond);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Disputed);
    expect((await p.staking.getOperator(liar.address)).openDisputes).to.equal(1n);

    const jurors = await drawJury(p, created);
    expect(jurors).to.have.length(3);
    expect(jurors.map((j) => j.toLowerCase())).to.not.include(liar.address.toLowerCase());
    const jurorTokens0 = await Promise.all(jurors.map((j) => p.token.balanceOf(j)));
    const requesterTokens0 = await p.token.balanceOf(requester);
    const disputesAddress = await p.disputes.getAddress();
    expect(await p.token.balanceOf(disputesAddress)).to.equal(1n + bond); // the 1-wei float + the bond

    await commitVotes(p, created.requestId, 1, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, jurors, voteFor(RIGHT));
    await increaseTime(p, 61);

    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG]))
      .to.emit(p.disputes, "DisputeResolved")
      .withArgs(created.requestId, 1, 1, 0, keccak256(RIGHT));

    // The formulas, to the wei.
    const slashed = atRisk;
    const compensation = (slashed * params.compensationBps) / BPS;
    const reward = ((slashed < bond ? slashed : bond) * params.challengerRewardBps) / BPS;
    const jurorPot = (slashed * params.jurorRewardBps) / BPS;
    const perJuror = jurorPot / 3n;
    const burned = slashed - compensation - reward - perJuror * 3n;

    expect(await p.staking.poolAssets(liar.address)).to.equal(pool0 - slashed);
    expect(await p.coordinator.balanceOf(requester)).to.equal(escrow0 + price); // fee refunded in escrow
    // Payouts are credited, then pulled.
    expect(await p.disputes.claimable(requester)).to.equal(compensation);
    expect(await p.disputes.claimable(challengerAddr)).to.equal(bond + reward);
    expect((await p.disputes.disputeOf(created.requestId)).jurorShare).to.equal(perJuror);
    expect(await p.disputes.pendingBurn()).to.equal(burned);
    expect(await p.token.balanceOf(disputesAddress)).to.equal(
      1n + compensation + bond + reward + perJuror * 3n + burned,
    );

    await claimAll(p, [p.requester, challenger]);
    for (const j of jurors) {
      await expect(p.disputes.claimJurorReward(created.requestId, j))
        .to.emit(p.disputes, "JurorRewardClaimed")
        .withArgs(created.requestId, j, perJuror);
    }
    await expect(p.disputes.burnPending()).to.emit(p.token, "Transfer");
    expect(await p.token.balanceOf(requester)).to.equal(requesterTokens0 + compensation);
    expect(await p.token.balanceOf(challengerAddr)).to.equal(challenger0 + reward);
    for (const [i, j] of jurors.entries()) {
      expect(await p.token.balanceOf(j)).to.equal(jurorTokens0[i]! + perJuror);
    }
    expect(await p.token.totalSupply()).to.equal(supply0 - burned);
    expect(await p.token.balanceOf(disputesAddress)).to.equal(1n); // only the float is left
    // Nothing is paid twice.
    await expect(p.disputes.claimJurorReward(created.requestId, jurors[0]!))
      .to.be.revertedWithCustomError(p.disputes, "NothingToClaim")
      .withArgs(jurors[0]!);
    await expect(p.disputes.connect(challenger).claim())
      .to.be.revertedWithCustomError(p.disputes, "NothingToClaim")
      .withArgs(challengerAddr);

    const op = await p.staking.getOperator(liar.address);
    expect(op.jailed).to.equal(true);
    expect(op.openDisputes).to.equal(0n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    expect((await p.coordinator.operatorRecord(liar.address)).lost).to.equal(1n);

    // FAST: the first answer, then the correction.
    expect(await consumer.deliveryCount()).to.equal(2n);
    const correction = await consumer.deliveries(1);
    expect(correction.corrected).to.equal(true);
    expect(correction.output).to.equal("0x" + Buffer.from(RIGHT).toString("hex"));
    expect((await p.disputes.disputeOf(created.requestId)).phase).to.equal(Phase.Settled);
  });

  it("a frivolous challenger loses its bond, split to the wei; a silent juror is penalised", async function () {
    const { created } = await answered(RIGHT);
    const honest = assigned(p, created, 0);
    const challengerAddr = await addr(challenger);
    const params = await p.disputes.parameters();
    const bond = await p.disputes.bondFor(created.request);
    const challenger0 = await p.token.balanceOf(challengerAddr);
    const supply0 = await p.token.totalSupply();
    const treasury0 = await p.coordinator.balanceOf(await addr(p.treasury));

    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, WRONG)
    ).wait();
    const jurors = await drawJury(p, created);
    const [silent, ...voters] = jurors as [string, ...string[]];
    const silentPool0 = await p.staking.poolAssets(silent);
    const voterTokens0 = await Promise.all(voters.map((j) => p.token.balanceOf(j)));
    const commission0 = (await p.staking.getOperator(honest.address)).commissionClaimable;

    await commitVotes(p, created.requestId, 1, voters, voteFor(RIGHT));
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, voters, voteFor(RIGHT));
    await increaseTime(p, 61);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, ["0x"]))
      .to.emit(p.disputes, "JurorPenalised")
      .withArgs(created.requestId, 1, silent, params.jurorPenalty);

    const toOperators = (bond * params.operatorShareBps) / BPS;
    const jurorPot = (bond * params.jurorBondShareBps) / BPS;
    const perJuror = jurorPot / 2n;
    const burned = bond - toOperators - perJuror * 2n + params.jurorPenalty;

    expect(await p.token.balanceOf(challengerAddr)).to.equal(challenger0 - bond);
    expect(await p.disputes.claimable(challengerAddr)).to.equal(0n);
    // The silent juror gets nothing; the voters claim their shares.
    await expect(p.disputes.claimJurorReward(created.requestId, silent))
      .to.be.revertedWithCustomError(p.disputes, "NothingToClaim")
      .withArgs(silent);
    for (const j of voters) await (await p.disputes.claimJurorReward(created.requestId, j)).wait();
    for (const [i, j] of voters.entries())
      expect(await p.token.balanceOf(j)).to.equal(voterTokens0[i]! + perJuror);
    expect(await p.staking.poolAssets(silent)).to.equal(silentPool0 - params.jurorPenalty);
    expect(await p.disputes.pendingBurn()).to.equal(burned);
    await (await p.disputes.burnPending()).wait();
    expect(await p.token.totalSupply()).to.equal(supply0 - burned);
    // The operator's pool: commission (10%) to the operator, the rest to the shares. Paying the bond into the
    // pool first distributes the request's fee accrued for it (royalty and treasury 5% each off the fee).
    const commission = (toOperators * 1000n) / BPS;
    const feeCommission = ((FEE - (FEE * 1000n) / BPS) * 1000n) / BPS;
    // The request's fee reaches the pool when staking next collects it (the settlement may book it after the
    // bond was paid in): collect it now, so the figure does not depend on that order.
    await (await p.staking.syncRewards(honest.address)).wait();
    expect((await p.staking.getOperator(honest.address)).commissionClaimable).to.equal(
      commission0 + commission + feeCommission,
    );
    // The request was paid out as usual.
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
    expect(await p.coordinator.balanceOf(await addr(p.treasury))).to.be.greaterThan(treasury0);
    expect(await p.token.balanceOf(await p.disputes.getAddress())).to.equal(1n);
    expect((await p.staking.getOperator(honest.address)).jailed).to.equal(false);
  });

  it("keeps the stake behind an open dispute from leaving", async function () {
    const { created } = await answered(WRONG);
    const op = assigned(p, created, 0);
    // A delegator queues a withdrawal before the dispute; the unbonding period passes while it is open.
    const delegator = p.others[1]!;
    await (await p.token.connect(p.deployer).transfer(await addr(delegator), parseEther("500"))).wait();
    await (await p.token.connect(delegator).approve(await p.staking.getAddress(), parseEther("500"))).wait();
    await (await p.staking.connect(delegator).delegate(op.address, parseEther("500"))).wait();
    const shares = await p.staking.sharesOf(op.address, await addr(delegator));
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const tx = await (await p.staking.connect(delegator).undelegate(op.address, shares)).wait();
    const queued = tx!.logs
      .map((l) => p.staking.interface.parseLog(l))
      .find((e) => e?.name === "UndelegationQueued");
    const withdrawalId = queued!.args.withdrawalId as bigint;
    await increaseTime(p, 8 * 24 * 3600);
    await expect(p.staking.completeUndelegation(withdrawalId))
      .to.be.revertedWithCustomError(p.staking, "StakeLockedByDispute")
      .withArgs(op.address, 1n);
    expect(STAKE).to.be.greaterThan(0n);
  });
});
