import { expect } from "chai";
import { parseEther, ZeroAddress, Wallet, toBeHex, zeroPadValue } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { ReasonCode, signInferenceRequest } from "../../sdk/eip712.js";
import { RequestStatus } from "../../sdk/requests.js";
import type { RecordingConsumer, ReentrantConsumer } from "../../types/ethers-contracts/index.js";
import {
  FEE,
  assigned,
  deployProtocol,
  increaseTime,
  makeRequest,
  signedAnswer,
  type Protocol,
} from "../helpers/protocol.js";
import { signedInlineRequest } from "../helpers/attack-beds.js";

const output = (values: bigint[]): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [values.length], data: values }]);

async function balances(p: Protocol) {
  const addr = async (s: { getAddress(): Promise<string> }) => s.getAddress();
  return {
    requester: await p.coordinator.balanceOf(await addr(p.requester)),
    modelOwner: await p.coordinator.balanceOf(await addr(p.modelOwner)),
    treasury: await p.coordinator.balanceOf(await addr(p.treasury)),
    coordinatorTokens: await p.token.balanceOf(await p.coordinator.getAddress()),
  };
}

describe("Coordinator: request → answer → finalize", function () {
  let p: Protocol;
  beforeEach(async function () {
    p = await deployProtocol();
  });

  it("splits the fee into royalty, treasury and the operator's pool to the wei", async function () {
    const before = await balances(p);
    const created = await makeRequest(p);
    expect(created.request.operators).to.have.length(1);
    const afterRequest = await balances(p);
    expect(before.requester - afterRequest.requester).to.equal(FEE);

    const out = output([42n]);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, out),
      "0x",
    );
    const state = await p.coordinator.requestState(created.requestId);
    expect(state.status).to.equal(RequestStatus.Answered);

    await expect(
      p.coordinator.finalize(created.requestId, created.request, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "WindowOpen");
    await increaseTime(p, 61);
    await p.coordinator.finalize(created.requestId, created.request, "0x");
    const after = await balances(p);
    const royalty = (FEE * 500n) / 10_000n;
    const treasury = (FEE * 500n) / 10_000n;
    const toPool = FEE - royalty - treasury;
    // The royalty accrues to the model; anyone credits it to the model's owner.
    expect(after.modelOwner - before.modelOwner).to.equal(0n);
    expect(await p.coordinator.royaltiesOf(p.modelHash)).to.equal(royalty);
    await expect(p.coordinator.connect(p.treasury).claimRoyalties(p.modelHash))
      .to.emit(p.coordinator, "RoyaltiesClaimed")
      .withArgs(p.modelHash, await p.modelOwner.getAddress(), royalty);
    expect(await p.coordinator.royaltiesOf(p.modelHash)).to.equal(0n);
    expect((await balances(p)).modelOwner - before.modelOwner).to.equal(royalty);
    expect(after.treasury - before.treasury).to.equal(treasury);
    const op = assigned(p, created, 0);
    const record = await p.coordinator.operatorRecord(op.address);
    expect(record.accruedFees).to.equal(toPool);
    expect(record.served).to.equal(1n);
    expect(royalty + treasury + toPool).to.equal(FEE);

    // Staking pulls the fees: commission (10%) to the operator, the rest to the pool's shares.
    await p.staking.syncRewards(op.address);
    expect((await p.coordinator.operatorRecord(op.address)).accruedFees).to.equal(0n);
    // The operator is its pool's only delegator: it claims the commission and the delegators' part,
    // less at most a few wei of accumulator rounding (docs/staking.md).
    const tokensBefore = await p.token.balanceOf(op.address);
    await p.staking.connect(op.account).claimRewards(op.address);
    const claimed = (await p.token.balanceOf(op.address)) - tokensBefore;
    expect(claimed).to.be.at.most(toPool);
    expect(toPool - claimed).to.be.lessThan(10n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);

    await expect(p.coordinator.finalize(created.requestId, created.request, "0x"))
      .to.be.revertedWithCustomError(p.coordinator, "WrongStatus")
      .withArgs(created.requestId, RequestStatus.Finalized);
  });

  it("batch-finalizes and skips entries that are not finalizable", async function () {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await makeRequest(p));
    for (const c of made.slice(0, 2)) {
      await p.coordinator.submitAnswer(
        c.requestId,
        c.request,
        await signedAnswer(p, c, 0, output([1n])),
        "0x",
      );
    }
    await increaseTime(p, 61);
    const ids = made.map((c) => c.requestId);
    const reqs = made.map((c) => c.request);
    const n = await p.coordinator.finalizeBatch.staticCall(ids, reqs, ["0x", "0x", "0x"]);
    expect(n).to.equal(2n);
    await p.coordinator.finalizeBatch(ids, reqs, ["0x", "0x", "0x"]);
    expect((await p.coordinator.requestState(ids[0]!)).status).to.equal(RequestStatus.Finalized);
    expect((await p.coordinator.requestState(ids[2]!)).status).to.equal(RequestStatus.Assigned);
  });

  it("credits royalties to whoever owns the model at claim time; a claim of nothing is a no-op", async function () {
    const answerAndFinalize = async (): Promise<void> => {
      const c = await makeRequest(p);
      await p.coordinator.submitAnswer(
        c.requestId,
        c.request,
        await signedAnswer(p, c, 0, output([7n])),
        "0x",
      );
      await increaseTime(p, 61);
      await p.coordinator.finalize(c.requestId, c.request, "0x");
    };
    const royalty = (FEE * 500n) / 10_000n;
    const seller = await p.modelOwner.getAddress();
    const buyer = await p.others[0]!.getAddress();
    // Nothing accrued yet: no credit, no event.
    expect(await p.coordinator.claimRoyalties.staticCall(p.modelHash)).to.equal(0n);
    await expect(p.coordinator.claimRoyalties(p.modelHash)).to.not.emit(p.coordinator, "RoyaltiesClaimed");

    await answerAndFinalize();
    await p.coordinator.claimRoyalties(p.modelHash); // the seller claims before selling
    await answerAndFinalize(); // accrues after the claim, unclaimed at the transfer
    await p.registry.connect(p.modelOwner).transferModelOwnership(p.modelHash, buyer);
    const sellerBefore = await p.coordinator.balanceOf(seller);
    await expect(p.coordinator.claimRoyalties(p.modelHash))
      .to.emit(p.coordinator, "RoyaltiesClaimed")
      .withArgs(p.modelHash, buyer, royalty);
    expect(await p.coordinator.balanceOf(buyer)).to.equal(royalty);
    expect(await p.coordinator.balanceOf(seller)).to.equal(sellerBefore);
    expect(sellerBefore).to.equal(royalty);
  });

  it("keeps a copy of the model's terms that the registry drops on every change", async function () {
    expect(await p.registry.termsListener()).to.equal(await p.coordinator.getAddress());
    await expect(p.coordinator.onTermsChanged(p.modelHash))
      .to.be.revertedWithCustomError(p.coordinator, "NotRegistry")
      .withArgs(await p.deployer.getAddress());
    const first = await makeRequest(p); // copies the terms
    expect(first.request.feePerOperator).to.equal(FEE);
    // A fee increase waits FEE_INCREASE_DELAY (ModelRegistry, issue 21.3), then anyone applies it.
    await p.registry.connect(p.modelOwner).setFee(p.modelHash, FEE * 2n);
    expect((await makeRequest(p)).request.feePerOperator).to.equal(FEE);
    await increaseTime(p, await p.registry.FEE_INCREASE_DELAY());
    await (await p.registry.applyFee(p.modelHash)).wait();
    const second = await makeRequest(p);
    expect(second.request.feePerOperator).to.equal(FEE * 2n);
    expect((await makeRequest(p)).request.feePerOperator).to.equal(FEE * 2n); // from the new copy
    await p.registry.connect(p.modelOwner).deactivate(p.modelHash);
    await expect(makeRequest(p))
      .to.be.revertedWithCustomError(p.registry, "ModelInactive")
      .withArgs(p.modelHash);
    await expect(makeRequest(p)).to.be.revertedWithCustomError(p.registry, "ModelInactive");
  });

  it("pays as you go by transferFrom", async function () {
    const addr = await p.requester.getAddress();
    const tokensBefore = await p.token.balanceOf(addr);
    const balanceBefore = await p.coordinator.balanceOf(addr);
    await makeRequest(p, { payNow: true });
    expect(tokensBefore - (await p.token.balanceOf(addr))).to.equal(FEE);
    expect(await p.coordinator.balanceOf(addr)).to.equal(balanceBefore);
  });
});

describe("Coordinator: forbidden transitions leave funds and state intact", function () {
  let p: Protocol;
  beforeEach(async function () {
    p = await deployProtocol();
  });

  it("rejects an answer after the deadline", async function () {
    const created = await makeRequest(p);
    const answer = await signedAnswer(p, created, 0, output([1n]));
    await increaseTime(p, 11 * 60);
    await expect(p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x"))
      .to.be.revertedWithCustomError(p.coordinator, "AnswerAfterDeadline")
      .withArgs(created.requestId, created.request.deadline);
  });

  it("rejects an operator index that was not assigned, and a signature by an unassigned operator", async function () {
    const created = await makeRequest(p);
    const answer = await signedAnswer(p, created, 0, output([1n]));
    await expect(
      p.coordinator.submitAnswer(created.requestId, created.request, { ...answer, index: 1 }, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "NotAssigned");
    const other = p.operators.find((o) => o.address !== created.request.operators[0])!;
    const forged = await signedAnswer(p, created, 0, output([1n]), { signer: other.signer });
    await expect(
      p.coordinator.submitAnswer(created.requestId, created.request, forged, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    expect((await p.coordinator.requestState(created.requestId)).answeredMask).to.equal(0n);
  });

  it("rejects a forged signature, a replay onto another request and a tampered output", async function () {
    const a = await makeRequest(p);
    const b = await makeRequest(p);
    const stranger = Wallet.createRandom();
    const forged = await signedAnswer(p, a, 0, output([1n]), { signer: stranger as unknown as Wallet });
    await expect(
      p.coordinator.submitAnswer(a.requestId, a.request, forged, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    const good = await signedAnswer(p, a, 0, output([1n]));
    if (b.request.operators[0] === a.request.operators[0]) {
      await expect(
        p.coordinator.submitAnswer(b.requestId, b.request, good, "0x"),
      ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    }
    await expect(
      p.coordinator.submitAnswer(a.requestId, a.request, { ...good, output: output([2n]) }, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    await p.coordinator.submitAnswer(a.requestId, a.request, good, "0x");
    await expect(
      p.coordinator.submitAnswer(a.requestId, a.request, good, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "WrongStatus");
  });

  it("rejects a request struct that does not match the commitment", async function () {
    const created = await makeRequest(p);
    const answer = await signedAnswer(p, created, 0, output([1n]));
    const tampered = { ...created.request, feePerOperator: created.request.feePerOperator * 10n };
    await expect(
      p.coordinator.submitAnswer(created.requestId, tampered, answer, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    await expect(
      p.coordinator.submitAnswer(999n, created.request, answer, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "UnknownRequest");
  });

  it("rejects oversized input and output, bad fees, deadlines and callback gas", async function () {
    const before = await balances(p);
    await expect(makeRequest(p, { input: new Uint8Array(8193) }))
      .to.be.revertedWithCustomError(p.coordinator, "InputTooLarge")
      .withArgs(8193, 8192);
    await expect(makeRequest(p, { maxFee: FEE - 1n })).to.be.revertedWithCustomError(
      p.coordinator,
      "FeeAboveMax",
    );
    await expect(makeRequest(p, { redundancy: 9 })).to.be.revertedWithCustomError(
      p.coordinator,
      "RedundancyOutOfBounds",
    );
    // k is bounded by max(model default, 3) (issue 15.2): 4 on a default-1 model is refused up front.
    await expect(makeRequest(p, { redundancy: 4 }))
      .to.be.revertedWithCustomError(p.coordinator, "RedundancyOutOfBounds")
      .withArgs(4, 3);
    await expect(makeRequest(p, { deadline: 1n })).to.be.revertedWithCustomError(
      p.coordinator,
      "DeadlineOutOfBounds",
    );
    await expect(
      makeRequest(p, { callback: ZeroAddress.replace(/0$/, "1"), callbackGasLimit: 300_001 }),
    ).to.be.revertedWithCustomError(p.coordinator, "CallbackGasTooHigh");
    expect(await balances(p)).to.deep.equal(before);

    // k above the eligible operators (k = 3, within the bound, on a network of 2): the request escrows (the
    // draw is later), its draw is refused, and once its deadline passes it is refunded in full with nobody
    // penalised (changed with issue 16: the draw used to run, and fail, inside the request).
    const few = await deployProtocol({ operators: 2 });
    const fewBefore = await balances(few);
    const tooMany = await makeRequest(few, { redundancy: 3, assign: false });
    await expect(few.coordinator.assign(tooMany.requestId, tooMany.request)).to.be.revertedWithCustomError(
      few.staking,
      "NotEnoughOperators",
    );
    await increaseTime(few, 11 * 60);
    await few.coordinator.expire(tooMany.requestId, tooMany.request);
    expect(await balances(few)).to.deep.equal(fewBefore);

    const created = await makeRequest(p);
    const big = new Uint8Array(65_537); // the governed limit's default is 64 KiB (was a 4,096 constant)
    const answer = await signedAnswer(p, created, 0, big);
    await expect(p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x"))
      .to.be.revertedWithCustomError(p.coordinator, "OutputTooLarge")
      .withArgs(65_537, 65_536);
  });

  it("refuses to expire early, then refunds in full; nobody served it, so nobody is penalised", async function () {
    const created = await makeRequest(p);
    const before = await balances(p);
    await expect(p.coordinator.expire(created.requestId, created.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "DeadlineNotPassed",
    );
    const op = assigned(p, created, 0);
    const poolBefore = await p.staking.poolAssets(op.address);
    const supplyBefore = await p.token.totalSupply();
    await increaseTime(p, 11 * 60);
    await p.coordinator.expire(created.requestId, created.request);
    const after = await balances(p);
    expect(after.requester - before.requester).to.equal(FEE);
    // The request may have been unanswerable (issue 15.2): no slash, no jail, no miss on record. The
    // penalised case (another operator served it) is in coordinator-penalties.test.ts.
    expect(await p.staking.poolAssets(op.address)).to.equal(poolBefore);
    expect(await p.token.totalSupply()).to.equal(supplyBefore);
    expect(await p.staking.isEligible(op.address)).to.equal(true);
    expect((await p.coordinator.operatorRecord(op.address)).missed).to.equal(0n);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Expired);
    await expect(p.coordinator.expire(created.requestId, created.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
  });

  it("refunds a request whose operator judged the input invalid", async function () {
    const created = await makeRequest(p);
    const before = await balances(p);
    const answer = await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.SHAPE_MISMATCH });
    await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x");
    expect(await p.coordinator.answerOf(created.requestId, 0)).to.equal(zeroPadValue(toBeHex(4), 32));
    await increaseTime(p, 61);
    await p.coordinator.finalize(created.requestId, created.request, "0x");
    expect((await balances(p)).requester - before.requester).to.equal(FEE);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Rejected);
    const bad = await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.SHAPE_MISMATCH });
    expect(bad.outcome).to.equal(1);
  });

  it("withdraws only what an account holds", async function () {
    const addr = await p.requester.getAddress();
    const held = await p.coordinator.balanceOf(addr);
    await expect(p.coordinator.connect(p.requester).withdraw(addr, held + 1n))
      .to.be.revertedWithCustomError(p.coordinator, "InsufficientBalance")
      .withArgs(addr, held, held + 1n);
    await expect(p.coordinator.connect(p.requester).withdraw(addr, 0)).to.be.revertedWithCustomError(
      p.coordinator,
      "ZeroAmount",
    );
    const tokens = await p.token.balanceOf(addr);
    await p.coordinator.connect(p.requester).withdraw(addr, held);
    expect(await p.token.balanceOf(addr)).to.equal(tokens + held);
  });
});

describe("Coordinator: redundancy and agreement", function () {
  it("k = 3 answers within tolerance finalize and pay each pool", async function () {
    const p = await deployProtocol({ redundancy: 3, tolerance: 5n });
    const created = await makeRequest(p);
    expect(new Set(created.request.operators).size).to.equal(3);
    const first = output([100n, -7n]);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, first),
      "0x",
    );
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 1, output([104n, -2n])),
      first,
    );
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 2, output([95n, -7n])),
        output([1n, 1n]),
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "ReferenceMismatch");
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 2, output([95n, -7n])),
      first,
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
    await increaseTime(p, 61);
    await p.coordinator.finalize(created.requestId, created.request, "0x");
    for (const op of created.request.operators) {
      expect((await p.coordinator.operatorRecord(op)).served).to.equal(1n);
    }
  });

  it("k = 2 answers beyond tolerance open a dispute without a bond", async function () {
    const p = await deployProtocol({ redundancy: 2, tolerance: 5n });
    const created = await makeRequest(p);
    const first = output([100n]);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, first),
      "0x",
    );
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 1, output([106n])),
        first,
      ),
    )
      .to.emit(p.coordinator, "AnswersDisagree")
      .withArgs(created.requestId, 0, 1);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Disputed);
    await increaseTime(p, 61);
    await expect(
      p.coordinator.finalize(created.requestId, created.request, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "WrongStatus");
  });

  it("a result and an invalid-input verdict disagree", async function () {
    const p = await deployProtocol({ redundancy: 2 });
    const created = await makeRequest(p);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.UNDECODABLE }),
      "0x",
    );
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 1, output([1n])),
      "0x",
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Disputed);
  });
});

describe("Coordinator: callbacks never block settlement", function () {
  for (const kind of ["RevertingConsumer", "GasBurningConsumer"] as const) {
    it(`a ${kind} is recorded as failed and the request still finalizes`, async function () {
      const p = await deployProtocol();
      const consumer = await p.ethers.deployContract(kind);
      const created = await makeRequest(p, {
        callback: await consumer.getAddress(),
        callbackGasLimit: 200_000,
        finality: 1,
      });
      const out = output([7n]);
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, out),
        "0x",
      );
      await increaseTime(p, 61);
      await expect(p.coordinator.finalize(created.requestId, created.request, out))
        .to.emit(p.coordinator, "CallbackResult")
        .withArgs(created.requestId, await consumer.getAddress(), false, false);
      expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Finalized);
    });
  }

  it("FAST delivers on the answer with exactly the requested gas; FINAL needs the answered output", async function () {
    const p = await deployProtocol();
    const consumer = (await p.ethers.deployContract("RecordingConsumer")) as unknown as RecordingConsumer;
    const fast = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 150_000,
      finality: 0,
    });
    const out = output([3n]);
    await p.coordinator.submitAnswer(fast.requestId, fast.request, await signedAnswer(p, fast, 0, out), "0x");
    expect(await consumer.deliveryCount()).to.equal(1n);
    const d = await consumer.deliveries(0);
    expect(d.output).to.equal("0x" + Buffer.from(out).toString("hex"));
    expect(d.gasLeft).to.be.greaterThan(140_000n).and.lessThan(150_000n);

    const final = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 150_000,
      finality: 1,
    });
    await p.coordinator.submitAnswer(
      final.requestId,
      final.request,
      await signedAnswer(p, final, 0, out),
      "0x",
    );
    expect(await consumer.deliveryCount()).to.equal(1n);
    await increaseTime(p, 61);
    await expect(
      p.coordinator.finalize(final.requestId, final.request, output([4n])),
    ).to.be.revertedWithCustomError(p.coordinator, "OutputMismatch");
    await p.coordinator.finalize(final.requestId, final.request, out);
    expect(await consumer.deliveryCount()).to.equal(2n);
  });

  it("a callback cannot re-enter the coordinator", async function () {
    const p = await deployProtocol();
    const consumer = (await p.ethers.deployContract("ReentrantConsumer", [
      await p.coordinator.getAddress(),
    ])) as unknown as ReentrantConsumer;
    const created = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 100_000,
    });
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, output([1n])),
        "0x",
      ),
    )
      .to.emit(p.coordinator, "CallbackResult")
      .withArgs(created.requestId, await consumer.getAddress(), false, false);
    expect(await consumer.reentered()).to.equal(false);
  });
});

describe("Coordinator: EIP-712 signed requests", function () {
  it("anyone submits a signed request once; a replay or a wrong signer is refused", async function () {
    const p = await deployProtocol();
    const { requester, inline: params, message, domain, signature, now } = await signedInlineRequest(p);
    const relayer = p.others[0]!;
    const before = await p.coordinator.balanceOf(requester);
    await p.coordinator
      .connect(relayer)
      .requestInferenceSigned(params, requester, 0n, message.signatureDeadline, signature);
    expect(before - (await p.coordinator.balanceOf(requester))).to.equal(FEE);
    expect(await p.coordinator.nonces(requester)).to.equal(1n);
    await expect(
      p.coordinator
        .connect(relayer)
        .requestInferenceSigned(params, requester, 0n, message.signatureDeadline, signature),
    ).to.be.revertedWithCustomError(p.coordinator, "BadNonce");
    const next = { ...message, nonce: 1n };
    const wrong = await signInferenceRequest(relayer, domain, next);
    await expect(
      p.coordinator
        .connect(relayer)
        .requestInferenceSigned(params, requester, 1n, next.signatureDeadline, wrong),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    await expect(
      p.coordinator.connect(relayer).requestInferenceSigned(params, requester, 1n, now - 1n, wrong),
    ).to.be.revertedWithCustomError(p.coordinator, "SignatureExpired");
  });

  it("typehashes in Solidity equal the SDK's", async function () {
    const p = await deployProtocol({ operators: 1 });
    const { ATTESTATION_TYPEHASH, INFERENCE_REQUEST_TYPEHASH } = await import("../../sdk/eip712.js");
    expect(await p.coordinator.ATTESTATION_TYPEHASH()).to.equal(ATTESTATION_TYPEHASH);
    expect(await p.coordinator.INFERENCE_REQUEST_TYPEHASH()).to.equal(INFERENCE_REQUEST_TYPEHASH);
  });
});

describe("Coordinator: governance", function () {
  it("parameters change only through the timelock, within bounds", async function () {
    const p = await deployProtocol({ operators: 1 });
    await expect(p.coordinator.setCallbackGasCap(500_000)).to.be.revertedWithCustomError(
      p.coordinator,
      "OwnableUnauthorizedAccount",
    );
    const { governed } = await import("../helpers/protocol.js");
    await governed(
      p,
      await p.coordinator.getAddress(),
      p.coordinator.interface.encodeFunctionData("setCallbackGasCap", [500_000]),
    );
    expect((await p.coordinator.params()).callbackGasCap).to.equal(500_000n);
    expect(parseEther("1")).to.equal(10n ** 18n);
  });
});
