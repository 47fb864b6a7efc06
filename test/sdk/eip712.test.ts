/**
 * EIP-712: the SDK's type strings and digests match VerdictTypes.sol and OpenZeppelin's EIP712 on
 * chain; signatures round-trip; forged, cross-chain and cross-contract signatures are rejected.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { TypedDataEncoder, Wallet, keccak256, toUtf8Bytes } from "ethers";
import {
  ATTESTATION_TYPEHASH,
  ATTESTATION_TYPES,
  ATTESTATION_TYPE_STRING,
  Finality,
  INFERENCE_REQUEST_TYPEHASH,
  INFERENCE_REQUEST_TYPES,
  INFERENCE_REQUEST_TYPE_STRING,
  InputKind,
  Outcome,
  ReasonCode,
  attestationDigest,
  bytes32ToReasonCode,
  inferenceRequestDigest,
  isReasonCode,
  outcomeOfReason,
  reasonCodeToBytes32,
  recoverAttestationSigner,
  recoverInferenceRequestSigner,
  signAttestation,
  signInferenceRequest,
  verdictDomain,
  verifyAttestation,
  verifyInferenceRequest,
  type Attestation,
  type InferenceRequest,
  type VerdictDomain,
} from "../../sdk/eip712.js";
import { encodeTensors, tensorHash } from "../../sdk/tensor.js";
import { VerdictError } from "../../sdk/errors.js";
import { TensorLibHarness__factory, type TensorLibHarness } from "../../types/ethers-contracts/index.js";

const { ethers } = await network.connect();

function expectSignatureInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(VerdictError);
    expect((err as VerdictError).code).to.equal("SIGNATURE_INVALID");
    return;
  }
  expect.fail("expected SIGNATURE_INVALID");
}

describe("SDK EIP-712 vs VerdictTypes.sol", function () {
  let harness: TensorLibHarness;
  let domain: VerdictDomain;
  const operator = new Wallet("0x" + "11".repeat(32));
  const requester = new Wallet("0x" + "22".repeat(32));
  const output = encodeTensors([{ name: "y", dtype: "fixed64", scale: 6, dims: [1], data: [123456n] }]);
  const att: Attestation = {
    requestId: 42n,
    modelHash: "0x" + "ab".repeat(32),
    inputHash: tensorHash(encodeTensors([{ name: "x", dtype: "int64", scale: 0, dims: [], data: [7n] }])),
    outputHash: tensorHash(output),
    outcome: Outcome.RESULT,
  };
  let req: InferenceRequest;

  before(async function () {
    const [deployer] = await ethers.getSigners();
    harness = await new TensorLibHarness__factory(deployer).deploy();
    const { chainId } = await ethers.provider.getNetwork();
    domain = verdictDomain(chainId, await harness.getAddress());
    req = {
      requester: requester.address,
      modelHash: att.modelHash,
      inputHash: att.inputHash,
      inputKind: InputKind.URI,
      inputURI: "https://example.org/input/é.vtn",
      redundancy: 3,
      maxFee: 10n ** 18n,
      deadline: 2n ** 64n - 1n,
      callbackGasLimit: 500_000,
      finality: Finality.FINAL,
      callback: "0x" + "cd".repeat(20),
      nonce: 7n,
      signatureDeadline: 1_900_000_000n,
    };
  });

  it("has type strings equal to the ethers encoding of the field lists, and Solidity's typehashes", async function () {
    expect(TypedDataEncoder.from({ ...ATTESTATION_TYPES }).encodeType("Attestation")).to.equal(
      ATTESTATION_TYPE_STRING,
    );
    expect(TypedDataEncoder.from({ ...INFERENCE_REQUEST_TYPES }).encodeType("InferenceRequest")).to.equal(
      INFERENCE_REQUEST_TYPE_STRING,
    );
    expect(ATTESTATION_TYPEHASH).to.equal(keccak256(toUtf8Bytes(ATTESTATION_TYPE_STRING)));
    expect(await harness.attestationTypehash()).to.equal(ATTESTATION_TYPEHASH);
    expect(await harness.inferenceRequestTypehash()).to.equal(INFERENCE_REQUEST_TYPEHASH);
    expect(await harness.domainSeparator()).to.equal(TypedDataEncoder.hashDomain(domain));
  });

  it("computes the same digests as the contract (both outcomes, extreme fields)", async function () {
    const invalid: Attestation = {
      ...att,
      outcome: Outcome.INVALID_INPUT,
      outputHash: reasonCodeToBytes32(ReasonCode.SHAPE_MISMATCH),
    };
    for (const a of [att, invalid, { ...att, requestId: 2n ** 256n - 1n }]) {
      expect(await harness.attestationDigest(a)).to.equal(attestationDigest(domain, a));
    }
    expect(await harness.inferenceRequestDigest(req)).to.equal(inferenceRequestDigest(domain, req));
    expect(await harness.inferenceRequestDigest({ ...req, nonce: 8n })).to.not.equal(
      inferenceRequestDigest(domain, req),
    );
    // The input's form is signed: the kind and the URI (an inline request signs kind 0 and "").
    const inline = { ...req, inputKind: InputKind.INLINE, inputURI: "" };
    expect(await harness.inferenceRequestDigest(inline)).to.equal(inferenceRequestDigest(domain, inline));
    for (const other of [inline, { ...req, inputURI: req.inputURI + "x" }]) {
      expect(inferenceRequestDigest(domain, other)).to.not.equal(inferenceRequestDigest(domain, req));
    }
  });

  it("signs and verifies an attestation; the contract recovers the same signer", async function () {
    const sig = await signAttestation(operator, domain, att);
    expect(recoverAttestationSigner(domain, att, sig)).to.equal(operator.address);
    verifyAttestation(domain, att, sig, operator.address);
    verifyAttestation(domain, att, sig, operator.address.toLowerCase());
    expect(await harness.recoverAttestation(att, sig)).to.equal(operator.address);
  });

  it("signs and verifies a request; the contract recovers the same signer", async function () {
    const sig = await signInferenceRequest(requester, domain, req);
    expect(recoverInferenceRequestSigner(domain, req, sig)).to.equal(requester.address);
    verifyInferenceRequest(domain, req, sig, requester.address);
    expect(await harness.recoverInferenceRequest(req, sig)).to.equal(requester.address);
    expectSignatureInvalid(() =>
      verifyInferenceRequest(domain, { ...req, maxFee: req.maxFee + 1n }, sig, requester.address),
    );
    expectSignatureInvalid(() => verifyInferenceRequest(domain, req, sig, operator.address));
  });

  it("rejects a forged signature, a tampered attestation and garbage signatures", async function () {
    const forged = await signAttestation(requester, domain, att);
    expectSignatureInvalid(() => verifyAttestation(domain, att, forged, operator.address));
    expect(await harness.recoverAttestation(att, forged)).to.not.equal(operator.address);
    const sig = await signAttestation(operator, domain, att);
    expectSignatureInvalid(() =>
      verifyAttestation(domain, { ...att, outputHash: "0x" + "00".repeat(32) }, sig, operator.address),
    );
    expectSignatureInvalid(() =>
      verifyAttestation(domain, { ...att, outcome: Outcome.INVALID_INPUT }, sig, operator.address),
    );
    expectSignatureInvalid(() => verifyAttestation(domain, att, "0x1234", operator.address));
    expectSignatureInvalid(() => verifyAttestation(domain, att, sig, "not-an-address"));
    expectSignatureInvalid(() => recoverAttestationSigner(domain, att, "0x" + "00".repeat(65)));
  });

  it("rejects cross-chain and cross-contract replays", async function () {
    const chain1 = verdictDomain(1n, domain.verifyingContract);
    const sig = await signAttestation(operator, chain1, att);
    verifyAttestation(chain1, att, sig, operator.address);
    expectSignatureInvalid(() =>
      verifyAttestation(verdictDomain(2n, domain.verifyingContract), att, sig, operator.address),
    );
    const other = verdictDomain(1n, "0x" + "99".repeat(20));
    expectSignatureInvalid(() => verifyAttestation(other, att, sig, operator.address));
    // On chain: a signature made for chain 1 does not recover to the operator here.
    expect(await harness.recoverAttestation(att, sig)).to.not.equal(operator.address);
    const reqSig = await signInferenceRequest(requester, chain1, req);
    expectSignatureInvalid(() =>
      verifyInferenceRequest(verdictDomain(2n, domain.verifyingContract), req, reqSig, requester.address),
    );
  });

  it("maps reason codes to bytes32 like VerdictTypes.sol, and rejects unknown codes", async function () {
    const onChain = await harness.reasonCodes();
    const codes = Object.values(ReasonCode);
    expect(codes).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
    codes.forEach((code, i) => {
      expect(reasonCodeToBytes32(code)).to.equal(onChain[i]);
      expect(bytes32ToReasonCode(onChain[i]!)).to.equal(code);
    });
    // Each code belongs to one outcome, the same on both sides; everything else is accepted by neither.
    const outcomes = await harness.reasonOutcomes();
    for (let n = 0; n < 16; ++n) {
      const expected = isReasonCode(n) ? outcomeOfReason(n) : 0;
      expect(Number(outcomes[n]), `code ${n}`).to.equal(expected);
    }
    for (const bad of [0, 8, 12, 1.5]) {
      expect(() => reasonCodeToBytes32(bad as ReasonCode))
        .to.throw(VerdictError)
        .with.property("code", "REASON_CODE_INVALID");
    }
    expect(() => bytes32ToReasonCode("0x" + "00".repeat(32))).to.throw(VerdictError);
    expect(() => bytes32ToReasonCode("0x01")).to.throw(VerdictError);
    expect(() => verdictDomain(1n, "0x1234"))
      .to.throw(VerdictError)
      .with.property("code", "SIGNATURE_INVALID");
  });
});
