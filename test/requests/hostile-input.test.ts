import { expect } from "chai";
import { Signature, getBytes, keccak256, parseEther, toUtf8Bytes } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import { deployProtocol, FEE, increaseTime, makeRequest, signedAnswer } from "../helpers/protocol.js";

const SECP256K1_N = BigInt("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
const output = (v: bigint): Uint8Array =>
  encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [v] }]);

describe("Coordinator: hostile input", function () {
  it("refuses a malleable (high-s) twin of a valid attestation signature", async function () {
    const p = await deployProtocol({ operators: 1 });
    const created = await makeRequest(p);
    const answer = await signedAnswer(p, created, 0, output(1n));
    const sig = Signature.from(answer.signature as string);
    const highS = "0x" + (SECP256K1_N - BigInt(sig.s)).toString(16).padStart(64, "0");
    const twin = getBytes(sig.r + highS.slice(2) + (sig.v === 27 ? "1c" : "1b"));
    await expect(
      p.coordinator.submitAnswer(created.requestId, created.request, { ...answer, signature: twin }, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x");
  });

  it("refuses an attestation replayed onto another request of the same operator", async function () {
    const p = await deployProtocol({ operators: 1 });
    const a = await makeRequest(p);
    const b = await makeRequest(p);
    expect(a.request.operators[0]).to.equal(b.request.operators[0]);
    const answer = await signedAnswer(p, a, 0, output(1n));
    await expect(
      p.coordinator.submitAnswer(b.requestId, b.request, answer, "0x"),
    ).to.be.revertedWithCustomError(p.coordinator, "InvalidSignature");
    expect((await p.coordinator.requestState(b.requestId)).answeredMask).to.equal(0n);
  });

  it("refuses a poster who brings too little gas to honour the callback's gas limit", async function () {
    const p = await deployProtocol({ operators: 1 });
    const consumer = await p.ethers.deployContract("RecordingConsumer");
    const created = await makeRequest(p, {
      callback: await consumer.getAddress(),
      callbackGasLimit: 250_000,
    });
    const answer = await signedAnswer(p, created, 0, output(1n));
    await expect(
      p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x", { gasLimit: 200_000 }),
    ).to.be.revertedWithCustomError(p.coordinator, "NotEnoughGasForCallback");
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Assigned);
    await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x");
    expect((await p.coordinator.requestState(created.requestId)).status).to.equal(RequestStatus.Answered);
  });

  it("is not hurt by a callback that returns a megabyte of data", async function () {
    const p = await deployProtocol({ operators: 1 });
    const bomb = await p.ethers.deployContract("ReturnBombConsumer");
    const created = await makeRequest(p, { callback: await bomb.getAddress(), callbackGasLimit: 100_000 });
    const tx = await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, output(1n)),
      "0x",
    );
    const receipt = await tx.wait();
    expect(receipt!.gasUsed).to.be.lessThan(300_000n);
  });

  it("refuses requests for unknown and deactivated models", async function () {
    const p = await deployProtocol({ operators: 1 });
    await expect(
      p.coordinator.connect(p.requester).requestInference({
        modelHash: keccak256(toUtf8Bytes("nope")),
        input: "0x56544e3100",
        inputHash: "0x" + "00".repeat(32),
        inputURI: "",
        redundancy: 0,
        maxFee: FEE,
        deadline: 0,
        callback: "0x0000000000000000000000000000000000000000",
        callbackGasLimit: 0,
        finality: 0,
      }),
    ).to.be.revertedWithCustomError(p.registry, "UnknownModel");
    await p.registry.connect(p.modelOwner).deactivate(p.modelHash);
    await expect(makeRequest(p)).to.be.revertedWithCustomError(p.registry, "ModelInactive");
  });

  it("accepts input by hash + URI, refuses both or neither", async function () {
    const p = await deployProtocol({ operators: 1 });
    const base = {
      modelHash: p.modelHash,
      redundancy: 0,
      maxFee: FEE,
      deadline: 0,
      callback: "0x0000000000000000000000000000000000000000",
      callbackGasLimit: 0,
      finality: 0,
    };
    const c = p.coordinator.connect(p.requester);
    await expect(
      c.requestInference({ ...base, input: "0x", inputHash: "0x" + "00".repeat(32), inputURI: "" }),
    ).to.be.revertedWithCustomError(p.coordinator, "MissingInput");
    await expect(
      c.requestInference({ ...base, input: "0x01", inputHash: keccak256("0x01"), inputURI: "ipfs://x" }),
    ).to.be.revertedWithCustomError(p.coordinator, "AmbiguousInput");
    await c.requestInference({ ...base, input: "0x", inputHash: keccak256("0x01"), inputURI: "ipfs://x" });
  });

  it("a requester cannot get paid twice: expire after finalize and finalize after expire both fail", async function () {
    const p = await deployProtocol({ operators: 1 });
    const a = await makeRequest(p);
    await p.coordinator.submitAnswer(a.requestId, a.request, await signedAnswer(p, a, 0, output(1n)), "0x");
    await increaseTime(p, 11 * 60);
    await expect(p.coordinator.expire(a.requestId, a.request)).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
    await p.coordinator.finalize(a.requestId, a.request, "0x");
    const b = await makeRequest(p);
    await increaseTime(p, 11 * 60);
    await p.coordinator.expire(b.requestId, b.request);
    await expect(p.coordinator.finalize(b.requestId, b.request, "0x")).to.be.revertedWithCustomError(
      p.coordinator,
      "WrongStatus",
    );
    const balance = await p.coordinator.balanceOf(await p.requester.getAddress());
    expect(balance).to.equal(parseEther("500") - FEE); // one paid request; the expired one refunded
  });
});
