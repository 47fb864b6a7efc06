/**
 * Requests whose input travels by hash + URI (docs/protocol.md: inputs larger than the inline limit, or
 * kept off chain): the operators fetch the bytes at `inputURI` and check keccak256(bytes) = `inputHash`.
 * VerdictClient.request sends inline inputs; this sends the other form with the same options.
 */
import { ZeroAddress, ZeroHash, getBytes, isHexString, keccak256 } from "ethers";
import type { VerdictClient } from "./client.js";
import { Finality } from "./eip712.js";
import { VerdictError } from "./errors.js";
import { createdRequestIn, requestGasLimit, type CreatedRequest } from "./requests.js";

/** A request's terms besides its model and input (the SDK's request inputs share them). */
export interface RequestTerms {
  /** k; 0 or absent takes the model's default. */
  redundancy?: number;
  /** Most the requester pays in wei; default: exactly the model's fee × k. */
  maxFee?: bigint;
  /** Absolute unix deadline; 0 or absent: the coordinator's default. */
  deadline?: bigint;
  finality?: Finality;
  callback?: string;
  callbackGasLimit?: number;
  /** Wait for the operator draw (`assign`, sent by this client unless a relayer is first); default true. */
  assign?: boolean;
}

/** How a request's input travels: inline bytes (hash and URI empty), or by hash and URI (bytes empty). */
export interface InputForm {
  input: string | Uint8Array;
  inputHash: string;
  inputURI: string;
}

/** The coordinator's `requestInference` parameters: the model, the input's form, and the terms with their defaults. */
export function requestParams(terms: RequestTerms & { modelHash: string }, form: InputForm, maxFee: bigint) {
  return {
    modelHash: terms.modelHash,
    input: form.input,
    inputHash: form.inputHash,
    inputURI: form.inputURI,
    redundancy: terms.redundancy ?? 0,
    maxFee,
    deadline: terms.deadline ?? 0n,
    callback: terms.callback ?? ZeroAddress,
    callbackGasLimit: terms.callbackGasLimit ?? 0,
    finality: terms.finality ?? Finality.FAST,
  };
}

export interface UriRequestInput extends RequestTerms {
  modelHash: string;
  /** Where operators fetch the input's canonical VTN1 bytes. */
  inputURI: string;
  /** keccak256 of those bytes; or pass `inputBytes` to have it computed. */
  inputHash?: string;
  inputBytes?: Uint8Array;
}

/** The input hash of a URI request: the given one, else keccak256 of the bytes; both must agree if given. */
export function uriInputHash(input: Pick<UriRequestInput, "inputHash" | "inputBytes">): string {
  const computed = input.inputBytes ? keccak256(input.inputBytes) : undefined;
  if (input.inputHash === undefined) {
    if (computed === undefined)
      throw new VerdictError("INPUT_HASH_MISSING", "a URI input needs its hash or its bytes");
    return computed;
  }
  if (!isHexString(input.inputHash, 32) || input.inputHash === ZeroHash)
    throw new VerdictError(
      "INPUT_HASH_INVALID",
      `input hash ${input.inputHash} is not a nonzero 32-byte hash`,
    );
  if (computed !== undefined && computed !== input.inputHash.toLowerCase())
    throw new VerdictError(
      "INPUT_HASH_MISMATCH",
      `the input bytes hash to ${computed}, not to the given ${input.inputHash}`,
      { computed, given: input.inputHash },
    );
  return input.inputHash.toLowerCase();
}

/** Requests an inference on a URI input, paid from the escrow balance; returns the request as committed. */
export async function requestByUri(client: VerdictClient, input: UriRequestInput): Promise<CreatedRequest> {
  if (input.inputURI.trim() === "") throw new VerdictError("INPUT_URI_MISSING", "the input URI is empty");
  const inputHash = uriInputHash(input);
  const maxFee = input.maxFee ?? (await client.quote(input.modelHash, input.redundancy ?? 0)).total;
  const params = requestParams(input, { input: getBytes("0x"), inputHash, inputURI: input.inputURI }, maxFee);
  const coordinator = client.coordinator.connect(client.requireSigner());
  const estimate = await coordinator.requestInference.estimateGas(params);
  const tx = await coordinator.requestInference(params, { gasLimit: requestGasLimit(estimate) });
  const receipt = await tx.wait();
  if (!receipt) throw new VerdictError("TX_FAILED", "the transaction was dropped");
  return createdRequestIn(receipt.logs);
}
