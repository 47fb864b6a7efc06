/**
 * The `RequestCreated` payload codec (sdk/requests.ts): the SDK's encoder and decoder are inverse, a malformed
 * payload is refused with BAD_EVENT, and a log carrying one is skipped like an undecodable log. That the
 * layout matches the coordinator's is checked by every test that passes a parsed request back on chain (the
 * commitment would not match), including the URI-input request below.
 */
import { expect } from "chai";
import { dataSlice, getAddress, hexlify, keccak256, toUtf8Bytes, type Log } from "ethers";
import {
  coordinatorInterface,
  createdRequestIn,
  createdRequestsIn,
  decodeCreatedPayload,
  encodeCreatedPayload,
  type CreatedPayload,
} from "../../sdk/requests.js";
import { isVerdictError } from "../../sdk/errors.js";
import { assignRequest, deployProtocol, FEE, signedAnswer } from "../helpers/protocol.js";
import { encodeTensors } from "../../sdk/tensor.js";

const requester = getAddress("0x" + "ab".repeat(20));
const modelHash = keccak256(toUtf8Bytes("model"));
// The payload carries k but not the operators (drawn later: OperatorsAssigned), so they decode as [].
const payload = (operators: string[], input: string, inputURI: string): CreatedPayload => ({
  request: {
    requester,
    callback: getAddress("0x" + "cd".repeat(20)),
    modelHash,
    // Inline: the payload does not carry the hash, the decoder recomputes it from the input.
    inputHash: input === "0x" ? keccak256(toUtf8Bytes("input")) : keccak256(input),
    feePerOperator: 2n * 10n ** 18n + 1n,
    deadline: 1_700_000_600n,
    tolerance: 2n ** 63n + 5n,
    disputeWindow: 7_200n,
    callbackGasLimit: 300_000n,
    royaltyBps: 3_000n,
    treasuryBps: 2_000n,
    redundancy: BigInt(operators.length),
    finality: 1n,
    operators: [],
  },
  input,
  inputURI,
  ticket: 2n ** 39n + 12_345n,
});

function logOf(requestId: bigint, packed: string): Log {
  const ev = coordinatorInterface.getEvent("RequestCreated")!;
  const enc = coordinatorInterface.encodeEventLog(ev, [requestId, requester, modelHash, packed]);
  return {
    topics: enc.topics,
    data: enc.data,
    blockNumber: 1,
    blockHash: "0x",
    transactionHash: "0x",
    index: 0,
  } as unknown as Log;
}

describe("SDK: RequestCreated payload", function () {
  const ops = [1, 2, 3].map((i) => getAddress("0x" + String(i).repeat(40)));

  it("round-trips inline and URI inputs, with k = 3", function () {
    for (const p of [payload(ops, "0x0102030405", ""), payload(ops.slice(0, 1), "0x", "ipfs://bafy/ü.vtn")]) {
      const packed = encodeCreatedPayload(p);
      const tail = p.input === "0x" ? 32 + toUtf8Bytes(p.inputURI).length : (p.input.length - 2) / 2;
      expect((packed.length - 2) / 2).to.equal(68 + tail);
      expect(decodeCreatedPayload(requester, modelHash, packed)).to.deep.equal(p);
    }
  });

  it("refuses a payload that is too short or has an unknown input kind", function () {
    const packed = encodeCreatedPayload(payload(ops, "0x01", ""));
    const bad = [
      dataSlice(packed, 0, 60), // shorter than the fixed part
      dataSlice(packed, 0, 68), // an inline input of no bytes
      hexlify(Uint8Array.from([...Buffer.from(packed.slice(2), "hex")].map((b, i) => (i === 62 ? 2 : b)))),
    ];
    for (const b of bad) {
      let caught: unknown;
      try {
        decodeCreatedPayload(requester, modelHash, b);
      } catch (e) {
        caught = e;
      }
      expect(isVerdictError(caught, "BAD_EVENT"), String(caught)).to.equal(true);
    }
    const good = logOf(1n, packed);
    const found = createdRequestsIn([logOf(2n, bad[1]!), good]);
    expect(found.map((c) => c.requestId)).to.deep.equal([1n]);
  });

  it("decodes what the coordinator emits for a URI input, which then answers on chain", async function () {
    const p = await deployProtocol();
    const uri = "https://example.org/inputs/42.vtn";
    const inputHash = keccak256(toUtf8Bytes("the input behind the uri"));
    const tx = await p.coordinator.connect(p.requester).requestInference({
      modelHash: p.modelHash,
      input: "0x",
      inputHash,
      inputURI: uri,
      redundancy: 0,
      maxFee: FEE,
      deadline: 0n,
      callback: "0x0000000000000000000000000000000000000000",
      callbackGasLimit: 0,
      finality: 1,
    });
    const created = await assignRequest(p, createdRequestIn((await tx.wait())!.logs));
    expect(created.input).to.equal("0x");
    expect(created.inputURI).to.equal(uri);
    expect(created.request.inputHash).to.equal(inputHash);
    expect(created.request.finality).to.equal(1n);
    expect(created.request.requester).to.equal(await p.requester.getAddress());
    const out = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1], data: [1n] }]);
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, out),
      "0x",
    );
    expect((await p.coordinator.requestState(created.requestId)).answeredMask).to.equal(1n);
  });
});
