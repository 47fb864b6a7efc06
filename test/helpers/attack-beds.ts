/**
 * Set-ups shared by the attack benchmarks (scripts/bench/attacks/*.ts) and the tests that replay the same
 * attacks against the real contracts: one bed per attack, so the benchmark and its test cannot drift apart.
 */
import { ZeroAddress, keccak256 } from "ethers";
import { InputKind, signInferenceRequest, verdictDomain } from "../../sdk/eip712.js";
import type { ModelEntry } from "../../scripts/models/manifest.js";
import { FEE, type Protocol } from "./protocol.js";

/** The smallest VTN1 input: no tensors. */
export const EMPTY_INPUT = new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0]);

/** A requester's inline request for the default model, signed for anyone to carry (EIP-712, nonce 0). */
export async function signedInlineRequest(p: Protocol) {
  const requester = await p.requester.getAddress();
  const input = EMPTY_INPUT;
  const base = {
    modelHash: p.modelHash,
    redundancy: 1,
    maxFee: FEE,
    deadline: 0n,
    callback: ZeroAddress,
    callbackGasLimit: 0,
    finality: 0,
  };
  /** The genuine submission's parameters. */
  const inline = { ...base, input, inputHash: "0x" + "00".repeat(32), inputURI: "" };
  const now = BigInt((await p.ethers.provider.getBlock("latest"))!.timestamp);
  const message = {
    ...base,
    finality: 0 as const,
    requester,
    inputHash: keccak256(input),
    inputKind: InputKind.INLINE,
    inputURI: "",
    nonce: 0n,
    signatureDeadline: now + 600n,
  };
  const domain = verdictDomain(p.chainId, await p.coordinator.getAddress());
  const signature = await signInferenceRequest(p.requester, domain, message);
  return { requester, input, base, inline, message, domain, signature, now };
}

/** Registers (as the model owner) a model whose fee is zero; returns its hash. */
export async function registerZeroFeeModel(p: Protocol): Promise<string> {
  const zeroFee = keccak256(new TextEncoder().encode("zero-fee-model"));
  await (
    await p.registry.connect(p.modelOwner).register({
      modelHash: zeroFee,
      uris: ["file://models/zero.onnx"],
      ioSchema: '{"inputs":[],"outputs":[]}',
      outputScale: 6,
      tolerance: 0n,
      feePerInference: 0n,
      royaltyBps: 0,
      disputeWindow: 60,
      defaultRedundancy: 1,
      referee: ZeroAddress,
      modelCardHash: keccak256(new TextEncoder().encode("card")),
    })
  ).wait();
  return zeroFee;
}

/** A request for `modelHash` (empty input, no fee cap) with a FAST `callback` of `callbackGasLimit` gas. */
export function callbackRequest(modelHash: string, callback: string, callbackGasLimit: number) {
  return {
    modelHash,
    input: EMPTY_INPUT,
    inputHash: "0x" + "00".repeat(32),
    inputURI: "",
    redundancy: 0,
    maxFee: 0n,
    deadline: 0n,
    callback,
    callbackGasLimit,
    finality: 0,
  };
}

/** The generated MLP's registration with `referee` as its on-chain referee (a rigged one, in the attacks). */
export function riggedModelTerms(entry: ModelEntry, referee: string, defaultRedundancy: number) {
  return {
    modelHash: "0x" + entry.sha256,
    uris: [`file://models/generated/${entry.file}`],
    ioSchema: '{"inputs":[],"outputs":[]}',
    outputScale: entry.outputScale,
    tolerance: 0n,
    feePerInference: FEE,
    royaltyBps: 500,
    disputeWindow: 60,
    defaultRedundancy,
    referee,
    modelCardHash: keccak256(new TextEncoder().encode("rigged")),
  };
}

/** The integer MLP's shape for deployIntegerRefereeFromParts (everything but the weights). */
export function refereeParts(entry: ModelEntry) {
  return {
    layers: entry.layers,
    divisors: entry.integer!.divisors,
    inputBound: BigInt(entry.integer!.inputBound),
    inputName: entry.inputs[0]!.name,
    outputName: entry.outputs[0]!.name,
  };
}
