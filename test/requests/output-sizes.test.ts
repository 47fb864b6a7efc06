/**
 * Outputs of real size (issue 17.6): the coordinator's output limit is a governed parameter (default
 * 64 KiB, bounds MIN_OUTPUT_LIMIT .. MAX_OUTPUT_LIMIT). A 64 KiB output is answered, agreed, finalized and
 * paid; over the limit it is refused with OutputTooLarge and nothing changes; only governance moves the
 * limit, within its bounds; a committee dispute over 64 KiB outputs settles and delivers the correction.
 */
import { expect } from "chai";
import { encodeBytes32String, keccak256, parseEther, type Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import { MAX_COMPARED_BYTES, MIN_OUTPUT_LIMIT, outputLimit } from "../../relayer/chain/compute.js";
import {
  FEE,
  assigned,
  deployProtocol,
  governed,
  increaseTime,
  makeRequest,
  signedAnswer,
  type Protocol,
} from "../helpers/protocol.js";
import {
  commitVotes,
  deployDisputeProtocol,
  drawJury,
  fundChallenger,
  rejectsWith,
  revealVotes,
  saltOf,
  type Vote,
} from "../helpers/disputes.js";

const KiB = 1024;

/** Bytes of a VTN1 int64 tensor "y" besides its elements. */
const HEADER = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [0], data: [] }]).length;

/** A VTN1 int64 tensor as close to `bytes` as whole elements allow (never above it). */
function outputNear(bytes: number, value = 1n, change?: { at: number; by: bigint }): Uint8Array {
  const n = Math.floor((bytes - HEADER) / 8);
  const data = Array.from({ length: n }, (_, i) => value + BigInt(i % 1000));
  if (change) data[change.at] = data[change.at]! + change.by;
  return encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [n], data }]);
}

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt.gasUsed;
}

const maxOutputData = (p: Protocol, limit: number): string =>
  p.coordinator.interface.encodeFunctionData("setMaxOutput", [limit]);

describe("Coordinator: outputs of real size under a governed limit", function () {
  it("answers, agrees, finalizes and pays a 64 KiB output (k = 2, agreement by hash)", async function () {
    const p = await deployProtocol({ redundancy: 2 });
    expect(await p.coordinator.maxOutput()).to.equal(64n * 1024n);
    const out = outputNear(64 * KiB);
    expect(out.length).to.be.within(64 * KiB - 8, 64 * KiB);
    const created = await makeRequest(p, { redundancy: 2 });
    const requester = await p.requester.getAddress();
    const escrow0 = await p.coordinator.balanceOf(requester);
    const gas: bigint[] = [];
    for (const i of [0, 1]) {
      gas.push(
        await gasOf(
          p.coordinator.submitAnswer(
            created.requestId,
            created.request,
            await signedAnswer(p, created, i, out),
            "0x",
          ),
        ),
      );
    }
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
    console.log(`      gas: 64 KiB answers ${gas.join(", ")}`);

    await increaseTime(p, 61);
    await expect(p.coordinator.finalize(created.requestId, created.request, "0x")).to.emit(
      p.coordinator,
      "RequestFinalized",
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
    for (const i of [0, 1]) {
      const rec = await p.coordinator.operatorRecord(assigned(p, created, i).address);
      expect(rec.served).to.equal(1n);
      expect(rec.accruedFees).to.be.greaterThan(0n);
    }
    expect(await p.coordinator.balanceOf(requester)).to.equal(escrow0); // both served: no refund
  });

  it("with a tolerance, k x output stays within MAX_COMPARED_BYTES so the comparison fits one transaction", async function () {
    const p = await deployProtocol({ redundancy: 2, tolerance: 2n });
    expect(await p.coordinator.MAX_COMPARED_BYTES()).to.equal(40n * 1024n);
    // The relayer's twin of the rule (it answers OUTPUT_TOO_LARGE beyond it) is the chain's.
    expect(BigInt(MAX_COMPARED_BYTES)).to.equal(await p.coordinator.MAX_COMPARED_BYTES());
    expect(BigInt(MIN_OUTPUT_LIMIT)).to.equal(await p.coordinator.MIN_OUTPUT_LIMIT());
    const limit = (40 * KiB) / 2; // k = 2
    const created = await makeRequest(p, { redundancy: 2 });
    expect(outputLimit(64 * KiB, created.request)).to.equal(limit);
    expect(outputLimit(64 * KiB, { ...created.request, tolerance: 0n })).to.equal(64 * KiB);
    const before = await p.coordinator.requestState(created.requestId);
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, new Uint8Array(limit + 1).fill(1)),
        "0x",
      ),
    )
      .to.be.revertedWithCustomError(p.coordinator, "OutputTooLarge")
      .withArgs(limit + 1, limit);
    expect(await p.coordinator.requestState(created.requestId)).to.deep.equal(before);

    // At the limit, the worst case: the outputs differ (within tolerance) only in their last element, so
    // the whole output is compared. It fits one transaction with room to spare.
    const a = outputNear(limit);
    const n = (a.length - HEADER) / 8;
    const b = outputNear(limit, 1n, { at: n - 1, by: 2n });
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, a),
      "0x",
    );
    const compared = await gasOf(
      p.coordinator.submitAnswer(created.requestId, created.request, await signedAnswer(p, created, 1, b), a),
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
    expect(compared).to.be.lessThan(16_777_216n / 2n);
    console.log(`      gas: a 20 KiB answer compared within tolerance ${compared}`);
  });

  it("refuses an output one byte over the limit with OutputTooLarge and leaves everything as it was", async function () {
    const p = await deployProtocol({ operators: 1 });
    const created = await makeRequest(p);
    const before = await p.coordinator.requestState(created.requestId);
    const escrow = await p.coordinator.balanceOf(await p.requester.getAddress());
    const over = new Uint8Array(64 * KiB + 1).fill(7);
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, over),
        "0x",
      ),
    )
      .to.be.revertedWithCustomError(p.coordinator, "OutputTooLarge")
      .withArgs(64 * KiB + 1, 64 * KiB);
    // The batch path applies the same limit.
    await expect(
      p.coordinator.submitAnswers(
        [created.requestId],
        [created.request],
        [await signedAnswer(p, created, 0, over)],
        ["0x"],
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "OutputTooLarge");
    expect(await p.coordinator.requestState(created.requestId)).to.deep.equal(before);
    expect(await p.coordinator.balanceOf(await p.requester.getAddress())).to.equal(escrow);

    // Exactly at the limit is accepted.
    const atLimit = new Uint8Array(64 * KiB).fill(7);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, atLimit),
      "0x",
    );
    expect(await p.coordinator.answerOf(created.requestId, 0)).to.equal(keccak256(atLimit));
  });

  it("only governance moves the limit, only within its bounds, with an event", async function () {
    const p = await deployProtocol({ operators: 1 });
    const target = await p.coordinator.getAddress();
    expect(await p.coordinator.MIN_OUTPUT_LIMIT()).to.equal(4_096n);
    expect(await p.coordinator.MAX_OUTPUT_LIMIT()).to.equal(120n * 1024n);
    // An operator (or anyone) cannot raise its own allowance, nor lower it to refuse others' outputs.
    for (const who of [p.deployer, p.operators[0]!.account, p.requester] as Signer[]) {
      await expect(p.coordinator.connect(who).setMaxOutput(120 * KiB)).to.be.revertedWithCustomError(
        p.coordinator,
        "OwnableUnauthorizedAccount",
      );
    }
    await rejectsWith(governed(p, target, maxOutputData(p, 4_095)), "InvalidParameter");
    await rejectsWith(governed(p, target, maxOutputData(p, 120 * KiB + 1)), "InvalidParameter");
    expect(await p.coordinator.maxOutput()).to.equal(64n * 1024n);

    await governed(p, target, maxOutputData(p, 8_192));
    expect(await p.coordinator.maxOutput()).to.equal(8_192n);
    const events = await p.coordinator.queryFilter(
      p.coordinator.filters.ParameterChanged(encodeBytes32String("maxOutput")),
    );
    expect(events.map((e) => e.args.value)).to.deep.equal([8_192n]);

    const created = await makeRequest(p);
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, new Uint8Array(8_193)),
        "0x",
      ),
    )
      .to.be.revertedWithCustomError(p.coordinator, "OutputTooLarge")
      .withArgs(8_193, 8_192);

    // At the ceiling, a 120 KiB output goes through.
    await governed(p, target, maxOutputData(p, 120 * KiB));
    const big = new Uint8Array(120 * KiB).fill(3);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, big),
      "0x",
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
  });

  it("a committee dispute over 64 KiB outputs settles and delivers the 64 KiB correction", async function () {
    const p = await deployDisputeProtocol();
    const challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
    const right = outputNear(64 * KiB, 5n);
    const wrong = outputNear(64 * KiB, 9n);
    const created = await makeRequest(p);
    const liar = assigned(p, created, 0);
    const pool0 = await p.staking.poolAssets(liar.address);
    const requester = await p.requester.getAddress();
    const escrow0 = await p.coordinator.balanceOf(requester);
    const gas: Record<string, bigint> = {};
    gas.answer = await gasOf(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, wrong),
        "0x",
      ),
    );
    gas.open = await gasOf(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, right),
    );
    const jurors = await drawJury(p, created);
    const vote = (juror: string): Vote => ({
      outcome: 0,
      outputHash: keccak256(right),
      salt: saltOf(juror, 1),
    });
    await commitVotes(p, created.requestId, 1, jurors, vote);
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, jurors, vote);
    await increaseTime(p, 61);
    const settle = p.disputes.settle(created.requestId, created.request, right, [wrong]);
    await expect(settle).to.emit(p.coordinator, "RequestCorrected");
    gas.settle = await gasOf(settle);
    console.log(
      `      gas at 64 KiB: answer ${gas.answer}, openDispute ${gas.open}, settle ${gas.settle} ` +
        `(commit/reveal carry hashes only)`,
    );

    const corrected = await p.coordinator.queryFilter(
      p.coordinator.filters.RequestCorrected(created.requestId),
    );
    expect(corrected).to.have.length(1);
    expect(corrected[0]!.args.output).to.equal("0x" + Buffer.from(right).toString("hex"));
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
    expect(await p.staking.poolAssets(liar.address)).to.be.lessThan(pool0);
    expect(await p.coordinator.balanceOf(requester)).to.equal(escrow0 + FEE); // the fee comes back
  });
  it("a dispute at the compared limit (40 KiB, tolerance 2) compares the whole output within one transaction", async function () {
    const p = await deployDisputeProtocol({ tolerance: 2n });
    const challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
    const answered = outputNear(40 * KiB, 5n);
    const n = (answered.length - HEADER) / 8;
    // The jurors' output differs from the operator's only in the last element, within tolerance: the
    // operator is right, which takes a comparison of every element.
    const majority = outputNear(40 * KiB, 5n, { at: n - 1, by: 1n });
    const created = await makeRequest(p);
    const honest = assigned(p, created, 0);
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, answered),
        "0x",
      )
    ).wait();
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, majority)
    ).wait();
    const jurors = await drawJury(p, created);
    const vote = (juror: string): Vote => ({
      outcome: 0,
      outputHash: keccak256(majority),
      salt: saltOf(juror, 1),
    });
    await commitVotes(p, created.requestId, 1, jurors, vote);
    await increaseTime(p, 61);
    await revealVotes(p, created.requestId, jurors, vote);
    await increaseTime(p, 61);
    const pool0 = await p.staking.poolAssets(honest.address);
    const settled = await gasOf(p.disputes.settle(created.requestId, created.request, majority, [answered]));
    console.log(`      gas: settle comparing a 40 KiB output within tolerance ${settled}`);
    expect(settled).to.be.lessThan(16_777_216n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
    expect(await p.staking.poolAssets(honest.address)).to.be.greaterThanOrEqual(pool0); // not slashed
    expect((await p.coordinator.operatorRecord(honest.address)).lost).to.equal(0n);
  });
});
