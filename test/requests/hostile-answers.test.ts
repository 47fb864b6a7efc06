/**
 * Hostile inputs against the deployed protocol (docs/threat-model.md): each attack ends in a typed error or
 * a safe terminal state, and the balances it could have touched are checked unchanged.
 */
import { expect } from "chai";
import { FunctionFragment, Wallet, ZeroAddress, keccak256, parseEther, type Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import { signAttestation, signInferenceRequest, verdictDomain, Outcome } from "../../sdk/eip712.js";
import {
  assigned,
  deployProtocol,
  FEE,
  governed,
  increaseTime,
  makeRequest,
  signedAnswer,
  type Protocol,
} from "../helpers/protocol.js";
import { signedInlineRequest } from "../helpers/attack-beds.js";
import {
  commitVotes,
  deployDisputeProtocol,
  drawJury,
  fundChallenger,
  revealVotes,
  saltOf,
  signerOf,
  voteCommitment,
  type DisputeProtocol,
} from "../helpers/disputes.js";

const output = (v: bigint): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [v] }]);
const addr = (s: Signer): Promise<string> => s.getAddress();

/** The attestation of `created` at index 0, signed by `wallet` over an arbitrary domain. */
async function attestationIn(
  p: Protocol,
  created: Awaited<ReturnType<typeof makeRequest>>,
  wallet: Wallet,
  chainId: bigint,
  verifyingContract: string,
  out: Uint8Array,
): Promise<string> {
  return signAttestation(wallet, verdictDomain(chainId, verifyingContract), {
    requestId: created.requestId,
    modelHash: created.request.modelHash,
    inputHash: created.request.inputHash,
    outputHash: keccak256(out),
    outcome: Outcome.RESULT,
  });
}

describe("Hostile: signatures", function () {
  it("refuses an attestation signed for another chain id or another coordinator (cross-chain replay)", async function () {
    const p = await deployProtocol({ operators: 1 });
    const created = await makeRequest(p);
    const signer = assigned(p, created, 0).signer;
    const coordinator = await p.coordinator.getAddress();
    const out = output(7n);
    for (const [chainId, contract] of [
      [p.chainId + 1n, coordinator],
      [1n, coordinator],
      [p.chainId, await p.staking.getAddress()],
    ] as const) {
      const signature = await attestationIn(p, created, signer, chainId, contract, out);
      await expect(
        p.coordinator.submitAnswer(
          created.requestId,
          created.request,
          { index: 0, outcome: 0, output: out, signature },
          "0x",
        ),
      ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    }
    expect((await p.coordinator.requestState(created.requestId)).answeredMask).to.equal(0n);
    // The same answer signed for this chain and this coordinator goes through.
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, out),
      "0x",
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
  });

  it("refuses a signed request replayed from another chain, and one whose fields were altered", async function () {
    const p = await deployProtocol({ operators: 1 });
    const { requester, inline: params, message } = await signedInlineRequest(p);
    const foreign = await signInferenceRequest(
      p.requester,
      verdictDomain(p.chainId + 1n, await p.coordinator.getAddress()),
      message,
    );
    const relayer = p.coordinator.connect(p.others[0]!);
    const before = await p.coordinator.balanceOf(requester);
    await expect(
      relayer.requestInferenceSigned(params, requester, 0n, message.signatureDeadline, foreign),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    // A valid signature cannot be stretched to a higher fee cap or redundancy.
    const good = await signInferenceRequest(
      p.requester,
      verdictDomain(p.chainId, await p.coordinator.getAddress()),
      message,
    );
    await expect(
      relayer.requestInferenceSigned(
        { ...params, maxFee: FEE * 8n },
        requester,
        0n,
        message.signatureDeadline,
        good,
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    await expect(
      relayer.requestInferenceSigned(
        { ...params, redundancy: 2 },
        requester,
        0n,
        message.signatureDeadline,
        good,
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    expect(await p.coordinator.balanceOf(requester)).to.equal(before);
    expect(await p.coordinator.nonces(requester)).to.equal(0n);
  });

  it("refuses the operator's staking key, a rotated-out signer key and garbage signature bytes", async function () {
    const p = await deployProtocol({ operators: 1 });
    const op = p.operators[0]!;
    const created = await makeRequest(p);
    const out = output(3n);
    const coordinator = await p.coordinator.getAddress();
    // Staking key (the operator address) instead of the registered signer.
    const stakingKeySig = await signAttestation(op.account, verdictDomain(p.chainId, coordinator), {
      requestId: created.requestId,
      modelHash: created.request.modelHash,
      inputHash: created.request.inputHash,
      outputHash: keccak256(out),
      outcome: Outcome.RESULT,
    });
    const submit = (signature: string | Uint8Array) =>
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        { index: 0, outcome: 0, output: out, signature },
        "0x",
      );
    await expect(submit(stakingKeySig)).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    for (const junk of [
      "0x",
      "0x01",
      "0x" + "00".repeat(65),
      "0x" + "ff".repeat(65),
      "0x" + "11".repeat(66),
    ]) {
      await expect(submit(junk)).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    }
    // Rotate the signer; once applied, the old key's attestations are refused and the new key's accepted.
    const fresh = new Wallet(Wallet.createRandom().privateKey, p.ethers.provider);
    await (await p.staking.connect(op.account).rotateSigner(fresh.address)).wait();
    await increaseTime(p, 24 * 3600 + 1);
    await (await p.staking.applySignerRotation(op.address)).wait();
    const later = await makeRequest(p);
    const oldSig = await attestationIn(p, later, op.signer, p.chainId, coordinator, out);
    await expect(
      p.coordinator.submitAnswer(
        later.requestId,
        later.request,
        { index: 0, outcome: 0, output: out, signature: oldSig },
        "0x",
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    const newSig = await attestationIn(p, later, fresh, p.chainId, coordinator, out);
    await p.coordinator.submitAnswer(
      later.requestId,
      later.request,
      { index: 0, outcome: 0, output: out, signature: newSig },
      "0x",
    );
    expect((await p.coordinator.requestState(later.requestId)).status).to.equal(RequestStatus.Answered);
  });
});

describe("Hostile: malformed answers and requests", function () {
  it("refuses unknown outcomes, empty or zero reason codes, and an answer for an unknown request id", async function () {
    const p = await deployProtocol({ operators: 1 });
    const created = await makeRequest(p);
    const good = await signedAnswer(p, created, 0, output(1n));
    await expect(
      p.coordinator.submitAnswer(created.requestId, created.request, { ...good, outcome: 3 }, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "BadOutcome");
    for (const reason of ["0x", "0x01", "0x" + "00".repeat(32)]) {
      await expect(
        p.coordinator.submitAnswer(
          created.requestId,
          created.request,
          { ...good, outcome: 1, output: reason },
          "0x",
        ),
      ).to.be.revertedWithCustomError(p.coordinator, "BadReasonCode");
    }
    await expect(
      p.coordinator.submitAnswer(created.requestId + 100n, created.request, good, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "UnknownRequest");
    expect((await p.coordinator.requestState(created.requestId)).answeredMask).to.equal(0n);
  });

  it("a malformed tensor answered by one of two operators opens a dispute instead of finalizing", async function () {
    const p = await deployProtocol({ operators: 2, redundancy: 2, tolerance: 1000n });
    const created = await makeRequest(p);
    const good = output(5n);
    const garbage = new Uint8Array([0x56, 0x54, 0x4e, 0x31, 1, 0xff]); // truncated tensor
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, good),
      "0x",
    );
    // The poster must supply the first answer's real bytes; a substitute is refused.
    await expect(
      p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 1, garbage),
        garbage,
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "ReferenceMismatch");
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 1, garbage),
      good,
    );
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Disputed);
    await increaseTime(p, 3600);
    await expect(
      p.coordinator.finalize(created.requestId, created.request, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "WrongStatus");
  });

  it("batches are all-or-nothing and length-checked", async function () {
    const p = await deployProtocol({ operators: 1 });
    const a = await makeRequest(p);
    const b = await makeRequest(p);
    const goodA = await signedAnswer(p, a, 0, output(1n));
    const badB = { ...(await signedAnswer(p, b, 0, output(1n))), output: output(2n) };
    await expect(
      p.coordinator.submitAnswers(
        [a.requestId, b.requestId],
        [a.request, b.request],
        [goodA, badB],
        ["0x", "0x"],
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    expect((await p.coordinator.requestState(a.requestId)).answeredMask).to.equal(0n);
    await expect(
      p.coordinator.submitAnswers([a.requestId], [a.request, b.request], [goodA], ["0x"]),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    await expect(
      p.coordinator.finalizeBatch([a.requestId, b.requestId], [a.request], ["0x", "0x"]),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
  });
});

describe("Hostile: tokens and privileged hooks", function () {
  it("no function can swap the fee or stake token for a hook-bearing one; OPG has no transfer hooks", async function () {
    const p = await deployProtocol({ operators: 1 });
    for (const c of [p.coordinator, p.staking]) {
      const setters = c.interface.fragments
        .filter((f): f is FunctionFragment => f instanceof FunctionFragment)
        .filter((f) => /token/i.test(f.name) && f.stateMutability !== "view" && f.stateMutability !== "pure");
      expect(setters.map((f) => f.name)).to.deep.equal([]);
    }
    expect(await p.coordinator.feeToken()).to.equal(await p.token.getAddress());
    // ERC-777 / ERC-1363 style hooks are absent from OPG's ABI.
    const names = p.token.interface.fragments
      .filter((f): f is FunctionFragment => f instanceof FunctionFragment)
      .map((f) => f.name);
    for (const hook of ["send", "operatorSend", "transferAndCall", "transferFromAndCall", "approveAndCall"]) {
      expect(names).to.not.include(hook);
    }
  });

  it("only the dispute contract can freeze or settle a request; only staking collects fees", async function () {
    const p = await deployProtocol({ operators: 1 });
    const created = await makeRequest(p);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, output(1n)),
      "0x",
    );
    const mallory = p.coordinator.connect(p.others[0]!);
    await expect(
      mallory.markDisputed(created.requestId, created.request, ZeroAddress),
    ).to.be.revertedWithCustomError(p.coordinator, "NotDisputeContract");
    await expect(
      mallory.settleDispute(created.requestId, created.request, 1, 0, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "NotDisputeContract");
    await expect(mallory.collectFees(created.request.operators[0]!)).to.be.revertedWithCustomError(
      p.coordinator,
      "NotFeeCollector",
    );
    await expect(
      p.staking.connect(p.others[0]!).slash(created.request.operators[0]!, 1n, 0),
    ).to.be.revertedWithCustomError(p.staking, "NotSlasher");
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
  });

  it("governance can point the dispute hook elsewhere only through the timelock", async function () {
    const p = await deployProtocol({ operators: 1 });
    await expect(
      p.coordinator.connect(p.deployer).setDisputeHook(await addr(p.others[0]!)),
    ).to.be.revertedWithCustomError(p.coordinator, "OwnableUnauthorizedAccount");
    const hook = await p.coordinator.disputeHook();
    await governed(
      p,
      await p.coordinator.getAddress(),
      p.coordinator.interface.encodeFunctionData("setDisputeHook", [hook]),
    );
    expect(await p.coordinator.disputeHook()).to.equal(hook);
  });
});

describe("Hostile: disputes", function () {
  let p: DisputeProtocol;
  let challenger: Signer;
  const RIGHT = output(42n);
  const WRONG = output(41n);

  beforeEach(async function () {
    p = await deployDisputeProtocol();
    challenger = p.others[0]!;
    await fundChallenger(p, challenger, parseEther("100000"));
  });

  async function answered(answer: Uint8Array) {
    const created = await makeRequest(p);
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, 0, answer),
        "0x",
      )
    ).wait();
    return created;
  }

  it("a juror that copies another's commitment cannot reveal it and is penalised, the copied vote still counts", async function () {
    const created = await answered(WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const jurors = await drawJury(p, created);
    expect(jurors.length).to.equal(3);
    const [honest, copier, third] = jurors as [string, string, string];
    const vote = { outcome: 0, outputHash: keccak256(RIGHT), salt: saltOf(honest, 1) };
    const honestCommit = voteCommitment(
      created.requestId,
      1,
      honest,
      vote.outcome,
      vote.outputHash,
      vote.salt,
    );
    await (await p.disputes.connect(signerOf(p, honest)).commitVote(created.requestId, honestCommit)).wait();
    // The copier submits the honest juror's commitment verbatim (read from the mempool or the chain).
    await (await p.disputes.connect(signerOf(p, copier)).commitVote(created.requestId, honestCommit)).wait();
    await commitVotes(p, created.requestId, 1, [third], (j) => ({
      outcome: 0,
      outputHash: keccak256(RIGHT),
      salt: saltOf(j, 1),
    }));
    const params = await p.disputes.parameters();
    await increaseTime(p, Number(params.commitDuration) + 1);
    await revealVotes(p, created.requestId, [honest, third], (j) => ({
      outcome: 0,
      outputHash: keccak256(RIGHT),
      salt: saltOf(j, 1),
    }));
    // Revealing the copied preimage fails: the commitment binds the juror's own address.
    await expect(
      p.disputes
        .connect(signerOf(p, copier))
        .revealVote(created.requestId, vote.outcome, vote.outputHash, vote.salt),
    )
      .to.be.revertedWithCustomError(p.disputes, "RevealMismatch")
      .withArgs(created.requestId, copier);
    await increaseTime(p, Number(params.revealDuration) + 1);
    const copierPoolBefore = await p.staking.poolAssets(copier);
    await expect(p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG])).to.emit(
      p.disputes,
      "JurorPenalised",
    );
    expect(await p.staking.poolAssets(copier)).to.be.lessThan(copierPoolBefore);
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Corrected);
  });

  it("a requester front-running a challenge of its own request takes the dispute slot; the other challenger loses nothing", async function () {
    const created = await answered(WRONG);
    const requester = p.requester;
    await (await p.token.connect(p.deployer).transfer(await addr(requester), parseEther("5000"))).wait();
    await (
      await p.token.connect(requester).approve(await p.disputes.getAddress(), parseEther("5000"))
    ).wait();
    const challengerBefore = await p.token.balanceOf(await addr(challenger));
    const requesterBefore = await p.token.balanceOf(await addr(requester));
    const bond = await p.disputes.bondFor(created.request);
    await (await p.disputes.connect(requester).openDispute(created.requestId, created.request, RIGHT)).wait();
    expect(requesterBefore - (await p.token.balanceOf(await addr(requester)))).to.equal(bond);
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT),
    ).to.be.revertedWithCustomError(p.disputes, "DisputeExists");
    expect(await p.token.balanceOf(await addr(challenger))).to.equal(challengerBefore);
    // The requester is now the challenger: it is excluded from the jury like any challenger, bonds the same
    // amount, and is paid by the same rules (a wrong answer: its fee back + compensation + bond + reward).
    const d = await p.disputes.disputeOf(created.requestId);
    expect(d.challenger).to.equal(await addr(requester));
    const jurors = await drawJury(p, created);
    expect(jurors.map((j) => j.toLowerCase())).to.not.include((await addr(requester)).toLowerCase());
    const vote = (j: string) => ({ outcome: 0, outputHash: keccak256(RIGHT), salt: saltOf(j, 1) });
    await commitVotes(p, created.requestId, 1, jurors, vote);
    const params = await p.disputes.parameters();
    await increaseTime(p, Number(params.commitDuration) + 1);
    await revealVotes(p, created.requestId, jurors, vote);
    await increaseTime(p, Number(params.revealDuration) + 1);
    const escrowBefore = await p.coordinator.balanceOf(await addr(requester));
    await (await p.disputes.settle(created.requestId, created.request, RIGHT, [WRONG])).wait();
    expect(await p.coordinator.balanceOf(await addr(requester))).to.be.greaterThan(escrowBefore + FEE - 1n);
    // The slot is spent: nobody can dispute the request again.
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT),
    ).to.be.revertedWithCustomError(p.disputes, "DisputeExists");
  });

  it("a dispute after the window, of a tampered request or of an unanswered request is refused without taking a bond", async function () {
    const created = await answered(RIGHT);
    const before = await p.token.balanceOf(await addr(challenger));
    const tampered = { ...created.request, feePerOperator: 1n };
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, tampered, RIGHT),
    ).to.be.revertedWithCustomError(p.coordinator, "RequestMismatch");
    const open = await makeRequest(p);
    await expect(
      p.disputes.connect(challenger).openDispute(open.requestId, open.request, RIGHT),
    ).to.be.revertedWithCustomError(p.coordinator, "WrongStatus");
    await increaseTime(p, 3600);
    await expect(
      p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT),
    ).to.be.revertedWithCustomError(p.coordinator, "WindowClosed");
    expect(await p.token.balanceOf(await addr(challenger))).to.equal(before);
    await p.coordinator.finalize(created.requestId, created.request, "0x");
  });

  it("commit and reveal refuse outsiders, late commits, early reveals and double commits", async function () {
    const created = await answered(WRONG);
    await (
      await p.disputes.connect(challenger).openDispute(created.requestId, created.request, RIGHT)
    ).wait();
    const jurors = await drawJury(p, created);
    const j = jurors[0]!;
    const c = voteCommitment(created.requestId, 1, j, 0, keccak256(RIGHT), saltOf(j, 1));
    await expect(
      p.disputes.connect(challenger).commitVote(created.requestId, c),
    ).to.be.revertedWithCustomError(p.disputes, "NotJuror");
    await (await p.disputes.connect(signerOf(p, j)).commitVote(created.requestId, c)).wait();
    await expect(
      p.disputes.connect(signerOf(p, j)).commitVote(created.requestId, c),
    ).to.be.revertedWithCustomError(p.disputes, "AlreadyCommitted");
    await expect(
      p.disputes.connect(signerOf(p, j)).revealVote(created.requestId, 0, keccak256(RIGHT), saltOf(j, 1)),
    ).to.be.revertedWithCustomError(p.disputes, "RevealNotOpen");
    const params = await p.disputes.parameters();
    await increaseTime(p, Number(params.commitDuration) + 1);
    const late = jurors[1]!;
    await expect(
      p.disputes
        .connect(signerOf(p, late))
        .commitVote(
          created.requestId,
          voteCommitment(created.requestId, 1, late, 0, keccak256(RIGHT), saltOf(late, 1)),
        ),
    ).to.be.revertedWithCustomError(p.disputes, "CommitClosed");
    await expect(
      p.disputes.connect(signerOf(p, j)).revealVote(created.requestId, 2, keccak256(RIGHT), saltOf(j, 1)),
    ).to.be.revertedWithCustomError(p.disputes, "BadOutcome");
    await expect(
      p.disputes.settle(created.requestId, created.request, RIGHT, ["0x"]),
    ).to.be.revertedWithCustomError(p.disputes, "RevealNotOver");
  });
});

describe("Hostile: dust against share accounting", function () {
  it("1-wei delegations and 1-share withdrawals never take more than they brought", async function () {
    const p = await deployProtocol({ operators: 2, redundancy: 2 });
    // Make the share price non-trivial: a miss on a request the other operator served slashes the pool
    // (10 bps) and burns it (a first miss does not jail).
    const r = await makeRequest(p);
    const op = assigned(p, r, 0);
    await (
      await p.coordinator.submitAnswer(r.requestId, r.request, await signedAnswer(p, r, 1, output(1n)), "0x")
    ).wait();
    await increaseTime(p, 11 * 60);
    await (await p.coordinator.expire(r.requestId, r.request)).wait();
    const dust = p.others[2]!;
    const who = await addr(dust);
    await (await p.token.connect(p.deployer).transfer(who, 1000n)).wait();
    await (await p.token.connect(dust).approve(await p.staking.getAddress(), 1000n)).wait();
    const startBalance = await p.token.balanceOf(who);
    const opValueBefore = await p.staking.poolAssets(op.address);
    for (let i = 0; i < 20; i++) await (await p.staking.connect(dust).delegate(op.address, 1n)).wait();
    const shares = await p.staking.sharesOf(op.address, who);
    expect(shares).to.be.greaterThanOrEqual(20n); // price ≤ 1: each wei buys at least one share
    const ids: bigint[] = [];
    for (let i = 0n; i < shares; i++) {
      const receipt = await (await p.staking.connect(dust).undelegate(op.address, 1n)).wait();
      const ev = receipt!.logs
        .map((l) => p.staking.interface.parseLog(l))
        .find((e) => e?.name === "UndelegationQueued");
      ids.push(ev!.args.withdrawalId as bigint);
    }
    await increaseTime(p, 8 * 24 * 3600);
    for (const id of ids) await (await p.staking.completeUndelegation(id)).wait();
    const endBalance = await p.token.balanceOf(who);
    expect(endBalance).to.be.lessThanOrEqual(startBalance);
    // The pool lost nothing to the dust trader: rounding stayed in the pool.
    expect(await p.staking.poolAssets(op.address)).to.be.greaterThanOrEqual(opValueBefore);
  });

  it("a zero or share-less delegation is refused rather than donated", async function () {
    const p = await deployProtocol({ operators: 1 });
    const op = p.operators[0]!;
    await expect(p.staking.connect(p.requester).delegate(op.address, 0n)).to.be.revertedWithCustomError(
      p.staking,
      "ZeroAmount",
    );
    await expect(p.staking.connect(p.requester).undelegate(op.address, 1n)).to.be.revertedWithCustomError(
      p.staking,
      "InsufficientShares",
    );
    await expect(
      p.coordinator.connect(p.requester).withdraw(await addr(p.requester), 0n),
    ).to.be.revertedWithCustomError(p.coordinator, "ZeroAmount");
  });
});
