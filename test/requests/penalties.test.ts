/**
 * Penalties land only on the guilty (issue 15 items 2, 3, 5, 6, 8, 9) and agreement that cannot be walked
 * (issue 21 item 1): each attack replayed against the real contracts, and shown to fail.
 */
import { expect } from "chai";
import { getBytes, keccak256, type BytesLike } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import {
  InputKind,
  Outcome,
  ReasonCode,
  reasonCodeToBytes32,
  signAttestation,
  signInferenceRequest,
  verdictDomain,
} from "../../sdk/eip712.js";
import { RequestStatus, type CreatedRequest } from "../../sdk/requests.js";
import type { ICoordinator } from "../../types/ethers-contracts/contracts/requests/Coordinator.js";
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
import { callbackRequest, registerZeroFeeModel, signedInlineRequest } from "../helpers/attack-beds.js";

const output = (values: bigint[]): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [values.length], data: values }]);

/** An answer signed with any outcome and any attested hash (what a dishonest operator can sign). */
async function rawAnswer(
  p: Protocol,
  created: CreatedRequest,
  index: number,
  outcome: number,
  outputBytes: BytesLike,
  outputHash: string,
): Promise<ICoordinator.AnswerStruct> {
  const signature = await signAttestation(
    assigned(p, created, index).signer,
    verdictDomain(p.chainId, await p.coordinator.getAddress()),
    {
      requestId: created.requestId,
      modelHash: created.request.modelHash,
      inputHash: created.request.inputHash,
      outputHash,
      outcome: outcome as 0 | 1 | 2,
    },
  );
  return { index, outcome, output: getBytes(outputBytes), signature };
}

async function post(
  p: Protocol,
  created: CreatedRequest,
  answer: ICoordinator.AnswerStruct,
  reference: BytesLike = "0x",
) {
  return p.coordinator.submitAnswer(created.requestId, created.request, answer, reference);
}

const status = async (p: Protocol, id: bigint): Promise<bigint> =>
  (await p.coordinator.requestState(id)).status;

describe("Penalties: outcome first, defined reason codes only (15.5)", function () {
  it("an INVALID_INPUT reason equal to keccak256 of the honest output is refused; a real reason disagrees", async function () {
    const p = await deployProtocol({ redundancy: 3 });
    const created = await makeRequest(p);
    const honest = output([42n]);
    await post(p, created, await signedAnswer(p, created, 0, honest));
    // The colluder's "reason" is the honest output's hash: before, it counted as agreeing and the request
    // ended Rejected, the requester refunded and the honest operators unpaid.
    const collision = await rawAnswer(
      p,
      created,
      1,
      Outcome.INVALID_INPUT,
      keccak256(honest),
      keccak256(honest),
    );
    await expect(post(p, created, collision)).to.be.revertedWithCustomError(p.coordinator, "BadReasonCode");
    // A defined reason against a result anchor disagrees: a dispute, not a rejection.
    await expect(
      post(p, created, await signedAnswer(p, created, 1, "0x", { invalid: ReasonCode.UNDECODABLE })),
    ).to.emit(p.coordinator, "AnswersDisagree");
    expect(await status(p, created.requestId)).to.equal(BigInt(RequestStatus.Disputed));
  });

  it("each outcome accepts only its own reason codes", async function () {
    const p = await deployProtocol({ redundancy: 1 });
    const created = await makeRequest(p);
    const code = (n: number) => reasonCodeToBytes32(n as ReasonCode);
    for (const [outcome, reason] of [
      [Outcome.CANNOT_SERVE, code(ReasonCode.UNDECODABLE)],
      [Outcome.INVALID_INPUT, code(ReasonCode.MODEL_UNAVAILABLE)],
      [Outcome.INVALID_INPUT, code(ReasonCode.INPUT_UNAVAILABLE)],
      [Outcome.INVALID_INPUT, "0x" + "00".repeat(31) + "08"],
    ] as const) {
      await expect(
        post(p, created, await rawAnswer(p, created, 0, outcome, reason, reason)),
      ).to.be.revertedWithCustomError(p.coordinator, "BadReasonCode");
    }
    const three = await rawAnswer(p, created, 0, 3, code(1), code(1));
    await expect(post(p, created, three)).to.be.revertedWithCustomError(p.coordinator, "BadOutcome");
    expect((await p.coordinator.requestState(created.requestId)).answeredMask).to.equal(0n);
  });
});

describe("Penalties: a signed request binds the input's form (15.6)", function () {
  it("a carrier cannot resubmit a signed inline request as hash + URI", async function () {
    const p = await deployProtocol();
    const { requester, input, base, inline, message, signature } = await signedInlineRequest(p);
    const carrier = p.coordinator.connect(p.others[0]!);
    const hijacked = {
      ...base,
      input: "0x",
      inputHash: keccak256(input),
      inputURI: "http://127.0.0.1:9/fifo",
    };
    await expect(
      carrier.requestInferenceSigned(hijacked, requester, 0n, message.signatureDeadline, signature),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    expect(await p.coordinator.nonces(requester)).to.equal(0n);
    await carrier.requestInferenceSigned(inline, requester, 0n, message.signatureDeadline, signature);
    expect(await p.coordinator.nonces(requester)).to.equal(1n);

    // A URI request's URI is bound too.
    const uriMessage = {
      ...message,
      inputKind: InputKind.URI,
      inputURI: "https://inputs.example/a",
      nonce: 1n,
    };
    const uriSig = await signInferenceRequest(
      p.requester,
      verdictDomain(p.chainId, await p.coordinator.getAddress()),
      uriMessage,
    );
    const uriParams = { ...base, input: "0x", inputHash: keccak256(input), inputURI: uriMessage.inputURI };
    await expect(
      carrier.requestInferenceSigned(
        { ...uriParams, inputURI: "https://inputs.example/b" },
        requester,
        1n,
        message.signatureDeadline,
        uriSig,
      ),
    ).to.be.revertedWithCustomError(p.coordinator, "BadRequestSignature");
    await carrier.requestInferenceSigned(uriParams, requester, 1n, message.signatureDeadline, uriSig);
    expect(await p.coordinator.nonces(requester)).to.equal(2n);
  });
});

describe("Penalties: every governed value keeps every path working (15.8)", function () {
  it("setMissPenalty(0, 0) leaves expire working and the fee refunded", async function () {
    const p = await deployProtocol({ redundancy: 2 });
    const data = p.coordinator.interface.encodeFunctionData("setMissPenalty", [0, 0]);
    await governed(p, await p.coordinator.getAddress(), data);
    const created = await makeRequest(p);
    await post(p, created, await signedAnswer(p, created, 0, output([1n])));
    const requester = await p.requester.getAddress();
    const before = await p.coordinator.balanceOf(requester);
    await increaseTime(p, 601);
    await expect(p.coordinator.expire(created.requestId, created.request))
      .to.emit(p.coordinator, "RequestExpired")
      .withArgs(created.requestId, FEE * 2n, 2, 0);
    expect((await p.coordinator.balanceOf(requester)) - before).to.equal(FEE * 2n);
  });
});

describe("Penalties: unanswerable requests are not a slashing machine (15.2)", function () {
  it("refuses a deadline below the minimum answer time and k above the bound", async function () {
    const p = await deployProtocol({ redundancy: 1 });
    const now = BigInt((await p.ethers.provider.getBlock("latest"))!.timestamp);
    await expect(makeRequest(p, { deadline: now + 2n })).to.be.revertedWithCustomError(
      p.coordinator,
      "DeadlineOutOfBounds",
    );
    await expect(makeRequest(p, { redundancy: 4 }))
      .to.be.revertedWithCustomError(p.coordinator, "RedundancyOutOfBounds")
      .withArgs(4, 3);
    await makeRequest(p, { redundancy: 3, deadline: now + 62n });
  });

  it("nobody answered: refund, no slash, no jail, no miss on record; honest requests still get operators", async function () {
    const p = await deployProtocol({ operators: 3, redundancy: 3 });
    const stakes = await Promise.all(p.operators.map((o) => p.staking.poolAssets(o.address)));
    for (let round = 0; round < 5; ++round) {
      const now = BigInt((await p.ethers.provider.getBlock("latest"))!.timestamp);
      const created = await makeRequest(p, { deadline: now + 61n });
      await increaseTime(p, 62);
      await expect(p.coordinator.expire(created.requestId, created.request))
        .to.emit(p.coordinator, "RequestExpired")
        .withArgs(created.requestId, FEE * 3n, 7, 0);
    }
    for (const [i, o] of p.operators.entries()) {
      expect(await p.staking.poolAssets(o.address)).to.equal(stakes[i]);
      expect((await p.coordinator.operatorRecord(o.address)).missed).to.equal(0n);
    }
    const honest = await makeRequest(p);
    expect(honest.request.operators).to.have.length(3);
  });

  it("a miss on a request another operator served is slashed; jail only at the third within the window", async function () {
    const p = await deployProtocol({ operators: 2, redundancy: 2 });
    const victim = async (created: CreatedRequest) => {
      await post(p, created, await signedAnswer(p, created, 0, output([1n])));
      await increaseTime(p, 601);
      await p.coordinator.expire(created.requestId, created.request);
      return created.request.operators[1]!;
    };
    const missing = await victim(await makeRequest(p));
    const pool = await p.staking.poolAssets(missing);
    expect(pool).to.be.lessThan((await p.staking.poolAssets(p.operators[0]!.address)) + 1n);
    let rec = await p.coordinator.operatorRecord(missing);
    expect(rec.missed).to.equal(1n);
    expect(rec.recentMisses).to.equal(1n);
    // Misses count per operator: keep going until the same operator missed three times.
    let misses = 1;
    let jailedAt = -1;
    for (let i = 0; i < 12 && jailedAt < 0; ++i) {
      const created = await makeRequest(p);
      if (created.request.operators[1] !== missing) {
        await post(p, created, await signedAnswer(p, created, 0, output([1n])));
        await post(p, created, await signedAnswer(p, created, 1, output([1n])), output([1n]));
        continue;
      }
      await victim(created);
      misses += 1;
      rec = await p.coordinator.operatorRecord(missing);
      const jailed = (await p.staking.getOperator(missing)).jailed;
      if (misses < 3) expect(jailed).to.equal(false);
      else if (jailed) jailedAt = misses;
    }
    expect(jailedAt).to.equal(3);
    expect(rec.recentMisses).to.equal(0n);
  });
});

describe("Penalties: cannot serve (15.3)", function () {
  it("every answer 'cannot serve': refunded, nobody penalised or paid", async function () {
    const p = await deployProtocol({ redundancy: 2 });
    const created = await makeRequest(p);
    const requester = await p.requester.getAddress();
    const before = await p.coordinator.balanceOf(requester);
    await post(
      p,
      created,
      await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.INPUT_UNAVAILABLE }),
    );
    await expect(post(p, created, await signedAnswer(p, created, 1, "0x", { invalid: ReasonCode.DECLINED })))
      .to.emit(p.coordinator, "RequestUnserved")
      .withArgs(created.requestId, FEE * 2n);
    expect(await status(p, created.requestId)).to.equal(BigInt(RequestStatus.Unserved));
    expect((await p.coordinator.balanceOf(requester)) - before).to.equal(FEE * 2n);
    for (const op of created.request.operators) {
      const rec = await p.coordinator.operatorRecord(op);
      expect([rec.accruedFees, rec.served, rec.missed, rec.lost]).to.deep.equal([0n, 0n, 0n, 0n]);
    }
    expect(await p.coordinator.answerOf(created.requestId, 0)).to.equal("0x" + "00".repeat(32));
  });

  it("a result and a 'cannot serve': the result is paid alone, the other share refunded", async function () {
    const p = await deployProtocol({ redundancy: 2, royaltyBps: 0 });
    const created = await makeRequest(p);
    const requester = await p.requester.getAddress();
    const before = await p.coordinator.balanceOf(requester);
    await post(
      p,
      created,
      await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.MODEL_UNAVAILABLE }),
    );
    await post(p, created, await signedAnswer(p, created, 1, output([7n])));
    expect(await status(p, created.requestId)).to.equal(BigInt(RequestStatus.Answered));
    await increaseTime(p, 61);
    await expect(p.coordinator.finalize(created.requestId, created.request, "0x"))
      .to.emit(p.coordinator, "RequestFinalized")
      .withArgs(created.requestId, (FEE * 9500n) / 10000n, 0, (FEE * 500n) / 10000n, FEE);
    expect((await p.coordinator.balanceOf(requester)) - before).to.equal(FEE);
    const [unserved, served] = await Promise.all(
      created.request.operators.map((op) => p.coordinator.operatorRecord(op)),
    );
    expect([unserved!.served, unserved!.accruedFees]).to.deep.equal([0n, 0n]);
    expect([served!.served, served!.accruedFees]).to.deep.equal([1n, (FEE * 9500n) / 10000n]);
  });

  it("MODEL_UNAVAILABLE from three distinct operators suspends the model; one lazy operator cannot", async function () {
    const p = await deployProtocol({ operators: 4, redundancy: 1 });
    const struck = new Set<string>();
    const unavailable = async (created: CreatedRequest) =>
      post(p, created, await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.MODEL_UNAVAILABLE }));
    // One operator repeating itself strikes once.
    let lazy = "";
    for (let i = 0; i < 40 && struck.size < 2; ++i) {
      const created = await makeRequest(p);
      const op = created.request.operators[0]!;
      if (lazy === "") lazy = op;
      if (op !== lazy && struck.has(lazy) && struck.size === 1) {
        // A served result in between forgets the strikes: answer honestly once, then strike again.
        await post(p, created, await signedAnswer(p, created, 0, output([1n])));
        struck.clear();
        continue;
      }
      if (op !== lazy) continue;
      await unavailable(created);
      struck.add(op);
    }
    expect((await p.registry.terms(p.modelHash)).active).to.equal(true);
    // A served result forgets the lazy operator's last strike (whatever the draw left it at) before the
    // distinct strikes begin.
    const served = await makeRequest(p);
    await post(p, served, await signedAnswer(p, served, 0, output([1n])));
    // Now distinct operators, until the third distinct strike.
    struck.clear();
    for (let i = 0; i < 80 && struck.size < 3; ++i) {
      const created = await makeRequest(p);
      const op = created.request.operators[0]!;
      const tx = unavailable(created);
      if (!struck.has(op) && struck.size === 2) {
        await expect(tx).to.emit(p.registry, "ModelSuspended").withArgs(p.modelHash);
      } else {
        await tx;
      }
      struck.add(op);
    }
    expect(struck.size).to.equal(3);
    expect((await p.registry.terms(p.modelHash)).active).to.equal(false);
    await expect(makeRequest(p)).to.be.revertedWithCustomError(p.registry, "ModelInactive");
  });
});

describe("Penalties: only the coordinator suspends a model", function () {
  it("a stranger or the model's owner cannot call ModelRegistry.suspend", async function () {
    const p = await deployProtocol();
    for (const who of [p.others[0]!, p.modelOwner]) {
      await expect(p.registry.connect(who).suspend(p.modelHash)).to.be.revertedWithCustomError(
        p.registry,
        "NotTermsListener",
      );
    }
    expect((await p.registry.terms(p.modelHash)).active).to.equal(true);
  });
});

describe("Penalties: operators never pay for others' callbacks (15.9)", function () {
  it("a zero-fee model cannot carry a callback; a fee covering the callback gas can", async function () {
    const p = await deployProtocol();
    const consumer = await p.ethers.deployContract("GasBurningConsumer");
    const zeroFee = await registerZeroFeeModel(p);
    const params = callbackRequest(zeroFee, await consumer.getAddress(), 300_000);
    const minFee = 300_000n * 10n * 10n ** 9n;
    await expect(p.coordinator.connect(p.requester).requestInference(params))
      .to.be.revertedWithCustomError(p.coordinator, "FeeBelowCallbackCost")
      .withArgs(0n, minFee);
    // The default model's fee (2 OPG) covers 300k gas at 10 gwei-OPG per gas.
    await makeRequest(p, { callback: await consumer.getAddress(), callbackGasLimit: 300_000 });
  });
});

/** What the anchor rule says for answers posted in `order`: the index that disagrees first, or -1. */
function firstDisagreement(values: bigint[], tolerance: bigint): number {
  const anchor = values[0]!;
  return values.findIndex((v) => (v > anchor ? v - anchor : anchor - v) > tolerance);
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((r) => [x, ...r]));
}

describe("Agreement with a fixed anchor (21.1)", function () {
  it("52, 47, 42 with tolerance 5 cannot walk: the third answer opens a dispute", async function () {
    const p = await deployProtocol({ redundancy: 3, tolerance: 5n });
    const created = await makeRequest(p);
    const first = output([52n]);
    await post(p, created, await signedAnswer(p, created, 0, first));
    await post(p, created, await signedAnswer(p, created, 1, output([47n])), first);
    await expect(post(p, created, await signedAnswer(p, created, 2, output([42n])), first))
      .to.emit(p.coordinator, "AnswersDisagree")
      .withArgs(created.requestId, 0, 2);
  });

  it("the anchor is the first answer posted, not the lowest index; finalize delivers only the anchor", async function () {
    const p = await deployProtocol({ redundancy: 2, tolerance: 5n });
    const consumer = await p.ethers.deployContract("RecordingConsumer");
    const created = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 200_000,
      finality: 1,
    });
    const anchor = output([45n]);
    const later = output([42n]);
    await post(p, created, await signedAnswer(p, created, 1, anchor));
    await post(p, created, await signedAnswer(p, created, 0, later), anchor);
    expect((await p.coordinator.requestState(created.requestId)).anchor).to.equal(1n);
    await increaseTime(p, 61);
    await expect(
      p.coordinator.finalize(created.requestId, created.request, later),
    ).to.be.revertedWithCustomError(p.coordinator, "OutputMismatch");
    await expect(p.coordinator.finalize(created.requestId, created.request, anchor))
      .to.emit(p.coordinator, "CallbackResult")
      .withArgs(created.requestId, await consumer.getAddress(), true, false);
  });

  it("over every order for k = 3 and random orders for k = 1..8, the chain follows the anchor rule", async function () {
    this.timeout(600_000);
    const tolerance = 5n;
    const p = await deployProtocol({ operators: 8, redundancy: 8, tolerance });
    const truth = 42n;
    const cases: bigint[][] = [];
    for (const values of [
      [52n, 47n, 42n],
      [42n, 46n, 38n],
      [57n, 52n, 47n],
    ]) {
      cases.push(...permutations(values));
    }
    let seed = 7n;
    const rand = (n: number) => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return Number(seed % BigInt(n));
    };
    for (let k = 1; k <= 8; ++k) {
      for (let r = 0; r < 2; ++r) {
        cases.push(Array.from({ length: k }, () => truth + BigInt(rand(21) - 10)));
      }
    }
    let maxShift = 0n;
    for (const values of cases) {
      const k = values.length;
      const created = await makeRequest(p, { redundancy: k });
      const order = [...Array(k).keys()];
      for (let i = k - 1; i > 0; --i) {
        const j = rand(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const expected = firstDisagreement(values, tolerance);
      const anchorOut = output([values[0]!]);
      let disputedAt = -1;
      for (let i = 0; i < k; ++i) {
        const tx = post(
          p,
          created,
          await signedAnswer(p, created, order[i]!, output([values[i]!])),
          anchorOut,
        );
        const receipt = await (await tx).wait();
        const disagreed = receipt!.logs.some(
          (l) => p.coordinator.interface.parseLog(l)?.name === "AnswersDisagree",
        );
        if (disagreed) {
          disputedAt = i;
          break;
        }
      }
      expect(disputedAt, `values ${values.join(",")}`).to.equal(expected);
      if (expected < 0) {
        // No dispute: every answer lies within one tolerance of the anchor, which is what is delivered.
        const st = await p.coordinator.requestState(created.requestId);
        expect(st.status).to.equal(BigInt(RequestStatus.Answered));
        expect(st.anchor).to.equal(BigInt(order[0]!));
        const honestDelivered = values[0]! > truth ? values[0]! - truth : truth - values[0]!;
        if (values.includes(truth) && honestDelivered > maxShift) maxShift = honestDelivered;
      }
    }
    expect(maxShift <= tolerance).to.equal(true);
  });

  it("after a dispute, an operator that never answered is neither paid nor counted", async function () {
    const p = await deployProtocol({ redundancy: 3, tolerance: 5n });
    const hook = p.others[0]!;
    const first = output([42n]);
    const disputed: CreatedRequest[] = [];
    for (let i = 0; i < 2; ++i) {
      const created = await makeRequest(p);
      await post(p, created, await signedAnswer(p, created, 0, first));
      await post(p, created, await signedAnswer(p, created, 1, output([60n])), first);
      expect(await status(p, created.requestId)).to.equal(BigInt(RequestStatus.Disputed));
      disputed.push(created);
    }
    // Stand in for the dispute contract: settle as a jury would, the silent operator's bit set too.
    await governed(
      p,
      await p.coordinator.getAddress(),
      p.coordinator.interface.encodeFunctionData("setDisputeHook", [await hook.getAddress()]),
    );
    for (const [i, wrongMask] of [0, 2].entries()) {
      const created = disputed[i]!;
      const silent = created.request.operators[2]!;
      const before = await p.coordinator.operatorRecord(silent);
      await p.coordinator
        .connect(hook)
        .settleDispute(created.requestId, created.request, wrongMask === 0 ? 0 : wrongMask | 4, 0, first);
      const after = await p.coordinator.operatorRecord(silent);
      expect(after.accruedFees).to.equal(before.accruedFees);
      expect(after.served).to.equal(before.served);
      expect(after.lost).to.equal(before.lost);
    }
  });
});
