import { expect } from "chai";
import { getBytes, hexlify, parseEther } from "ethers";
import {
  RequestStatus,
  VerdictClient,
  concentration,
  decodeContractError,
  encodeTensors,
  verifyTrail,
  signerAtFromStaking,
  type Tensor,
} from "../../sdk/client.js";
import { deployProtocol, increaseTime, signedAnswer, STAKE, type Protocol } from "../helpers/protocol.js";

const INPUT: Tensor[] = [{ name: "x", dtype: "int32", scale: 0, dims: [2], data: [3n, 4n] }];
const OUTPUT: Tensor[] = [{ name: "y", dtype: "fixed64", scale: 6, dims: [1], data: [7_000_000n] }];

async function clientFor(p: Protocol, who = p.requester): Promise<VerdictClient> {
  return VerdictClient.connect({
    runner: who,
    addresses: {
      coordinator: await p.coordinator.getAddress(),
      staking: await p.staking.getAddress(),
      registry: await p.registry.getAddress(),
    },
    expectedChainId: p.chainId,
  });
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error("expected a rejection");
}

async function answerAll(p: Protocol, requestId: bigint, output: Uint8Array): Promise<void> {
  const client = await clientFor(p);
  const created = await client.findRequest(requestId);
  for (let i = 0; i < created.request.operators.length; i++) {
    const ans = await signedAnswer(p, created, i, output);
    await (
      await p.coordinator.connect(p.deployer).submitAnswer(requestId, created.request, ans, i ? output : "0x")
    ).wait();
  }
}

describe("sdk/client: VerdictClient, trail, verification, stats", function () {
  let p: Protocol;
  before(async function () {
    p = await deployProtocol({ operators: 3, redundancy: 2 });
  });

  it("requests, waits for the answer and decodes the output tensors", async function () {
    const client = await clientFor(p);
    const created = await client.request({ modelHash: p.modelHash, input: INPUT });
    expect(created.request.operators).to.have.length(2);
    const out = encodeTensors(OUTPUT);
    const waiting = client.waitForResult(created.requestId, { pollMs: 20, timeoutMs: 20_000 });
    await answerAll(p, created.requestId, out);
    const result = await waiting;
    expect(result.status).to.equal(RequestStatus.Answered);
    expect(result.outcome).to.equal("result");
    expect(result.tensors).to.deep.equal(OUTPUT);
  });

  it("times out with a typed error and rejects an unknown request", async function () {
    const client = await clientFor(p);
    const created = await client.request({ modelHash: p.modelHash, input: INPUT });
    expect(
      (await rejection(client.waitForResult(created.requestId, { pollMs: 10, timeoutMs: 50 }))).code,
    ).to.equal("TIMEOUT");
    expect((await rejection(client.status(999_999n))).code).to.equal("REQUEST_NOT_FOUND");
  });

  it("refuses the wrong network before anything is sent", async function () {
    const err = await rejection(
      VerdictClient.connect({
        runner: p.requester,
        addresses: {
          coordinator: await p.coordinator.getAddress(),
          staking: await p.staking.getAddress(),
          registry: await p.registry.getAddress(),
        },
        expectedChainId: 1n,
      }),
    );
    expect(err.code).to.equal("WRONG_NETWORK");
  });

  it("decodes the escrow's custom error when the balance is short", async function () {
    const poor = p.others[0];
    if (!poor) throw new Error("no spare account");
    const client = await clientFor(p, poor);
    let caught: unknown;
    try {
      await client.request({ modelHash: p.modelHash, input: INPUT });
    } catch (err) {
      caught = err;
    }
    const desc = decodeContractError(caught);
    expect(desc?.name).to.equal("InsufficientBalance");
    expect(desc?.args[2]).to.equal(parseEther("4"));
  });

  it("a finalized request's trail verifies; a tampered signature or output is flagged", async function () {
    const client = await clientFor(p);
    const created = await client.request({ modelHash: p.modelHash, input: INPUT });
    await answerAll(p, created.requestId, encodeTensors(OUTPUT));
    await increaseTime(p, 61);
    await client.finalize(created.requestId);

    const { trail, verification } = await client.audit(created.requestId);
    expect(trail.status).to.equal(RequestStatus.Finalized);
    expect(trail.answers).to.have.length(2);
    expect(trail.settlement?.event).to.equal("RequestFinalized");
    expect(verification.checks.filter((c) => !c.ok)).to.deep.equal([]);
    expect(verification.ok).to.equal(true);

    const signerAt = signerAtFromStaking(p.ethers.provider, await p.staking.getAddress());
    const a0 = trail.answers[0];
    if (!a0) throw new Error("no answer");

    const sig = getBytes(a0.signature);
    sig[10] = (sig[10] ?? 0) ^ 0xff;
    const badSig = { ...trail, answers: [{ ...a0, signature: hexlify(sig) }, ...trail.answers.slice(1)] };
    const v1 = await verifyTrail(badSig, { signerAt });
    expect(v1.ok).to.equal(false);
    expect(v1.checks.filter((c) => !c.ok).map((c) => c.label)).to.deep.equal([
      "answer #0: EIP-712 signature by the operator's signer",
    ]);

    const other = encodeTensors([{ ...OUTPUT[0]!, data: [7_000_001n] }]);
    const badOut = { ...trail, answers: [{ ...a0, output: hexlify(other) }, ...trail.answers.slice(1)] };
    const v2 = await verifyTrail(badOut, { signerAt });
    expect(v2.ok).to.equal(false);
    expect(v2.checks.filter((c) => !c.ok).map((c) => c.label)).to.include(
      "answer #0: output hash recomputed from the output",
    );

    const badInput = { ...trail, created: { ...trail.created, input: "0x5654" } };
    expect(
      (await verifyTrail(badInput, { signerAt })).checks.find((c) => c.label.startsWith("input hash"))?.ok,
    ).to.equal(false);
  });

  it("concentration figures are exact on a known distribution", function () {
    const c = concentration([40n, 30n, 20n, 10n]);
    expect(c).to.deep.equal({
      total: 100n,
      count: 4,
      nakamoto33: 1,
      nakamoto50: 2,
      hhi: 3000n,
      top5Bps: 10_000n,
    });
    // Ten equal stakes: 4 of them exceed 1/3, 6 exceed 1/2, HHI 1000, top-5 half.
    const eq = concentration(Array.from({ length: 10 }, () => 7n));
    expect([eq.nakamoto33, eq.nakamoto50, eq.hhi, eq.top5Bps]).to.deep.equal([4, 6, 1000n, 5000n]);
    expect(concentration([])).to.deep.include({ nakamoto33: 0, hhi: 0n });
  });

  it("stats read the on-chain stake distribution and records", async function () {
    // The fixture stakes 3 × STAKE; add delegations so the pools are 4:3:2 (× STAKE)... plus one more.
    const q = await deployProtocol({ operators: 4, redundancy: 1 });
    const [o0, o1, o2] = q.operators;
    if (!o0 || !o1 || !o2) throw new Error("operators");
    const delegator = q.others[0];
    if (!delegator) throw new Error("delegator");
    await (await q.token.connect(q.deployer).transfer(await delegator.getAddress(), STAKE * 10n)).wait();
    await (await q.token.connect(delegator).approve(await q.staking.getAddress(), STAKE * 10n)).wait();
    await (await q.staking.connect(delegator).delegate(o0.address, STAKE * 3n)).wait();
    await (await q.staking.connect(delegator).delegate(o1.address, STAKE * 2n)).wait();
    await (await q.staking.connect(delegator).delegate(o2.address, STAKE)).wait();
    const client = await clientFor(q);
    const s = await client.stats();
    expect(s.operators).to.have.length(4);
    expect(s.stake.total).to.equal(STAKE * 10n);
    expect([s.stake.nakamoto33, s.stake.nakamoto50, s.stake.hhi, s.stake.top5Bps]).to.deep.equal([
      1,
      2,
      3000n,
      10_000n,
    ]);
    expect(s.operators.map((o) => o.served)).to.deep.equal([0, 0, 0, 0]);
  });
});
