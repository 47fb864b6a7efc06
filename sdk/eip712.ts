/**
 * The single source of Verdict's EIP-712 definitions (docs/protocol.md, "EIP-712"). Solidity's
 * contracts/libraries/VerdictTypes.sol holds the same type strings; a test checks they match.
 */
import {
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
  TypedDataEncoder,
  getAddress,
  id,
  isAddress,
  toBeHex,
  verifyTypedData,
  zeroPadValue,
} from "ethers";
import { VerdictError } from "./errors.js";

export const DOMAIN_NAME = "Verdict";
export const DOMAIN_VERSION = "1";

/**
 * Attestation outcome: RESULT (the output), INVALID_INPUT (the input is at fault: refund if it stands) or
 * CANNOT_SERVE (the operator cannot serve through nobody's provable fault: never compared, paid or penalised).
 */
export const Outcome = { RESULT: 0, INVALID_INPUT: 1, CANNOT_SERVE: 2 } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Request finality mode: FAST (callback on first answer) or FINAL (callback once final). */
export const Finality = { FAST: 0, FINAL: 1 } as const;
export type Finality = (typeof Finality)[keyof typeof Finality];

/**
 * Reason codes, carried as bytes32 in `outputHash` when outcome = INVALID_INPUT or CANNOT_SERVE; each outcome
 * accepts only its own codes (docs/protocol.md, "Outcomes"). 8 (UNDECIDED) is the dispute contract's only.
 */
export const ReasonCode = {
  UNDECODABLE: 1,
  NAME_MISMATCH: 2,
  DTYPE_MISMATCH: 3,
  SHAPE_MISMATCH: 4,
  OUT_OF_RANGE: 5,
  /** CANNOT_SERVE: the input URI cannot be fetched (or its bytes do not hash to inputHash). */
  INPUT_UNAVAILABLE: 6,
  MODEL_FAILED: 7,
  /** CANNOT_SERVE: the model's bytes cannot be fetched or do not hash to modelHash. */
  MODEL_UNAVAILABLE: 9,
  /** CANNOT_SERVE: not opted in to the model, or beyond the operator's resource or time limits. */
  DECLINED: 10,
  /** CANNOT_SERVE: the output is larger than the coordinator's maxOutput. */
  OUTPUT_TOO_LARGE: 11,
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

const REASON_CODES: ReadonlySet<number> = new Set(Object.values(ReasonCode));
const CANNOT_SERVE_CODES: ReadonlySet<number> = new Set([
  ReasonCode.INPUT_UNAVAILABLE,
  ReasonCode.MODEL_UNAVAILABLE,
  ReasonCode.DECLINED,
  ReasonCode.OUTPUT_TOO_LARGE,
]);

/** The outcome a reason code belongs to: INVALID_INPUT or CANNOT_SERVE (VerdictTypes.isInvalidInputReason / isCannotServeReason). */
export function outcomeOfReason(code: ReasonCode): Outcome {
  return CANNOT_SERVE_CODES.has(code) ? Outcome.CANNOT_SERVE : Outcome.INVALID_INPUT;
}

/** Input kind of a request: inline bytes, or hash + URI. Signed requests bind it. */
export const InputKind = { INLINE: 0, URI: 1 } as const;
export type InputKind = (typeof InputKind)[keyof typeof InputKind];

/** True for a defined reason code. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === "number" && REASON_CODES.has(value);
}

/** The reason code as a left-padded bytes32 (the `outputHash` of an INVALID_INPUT attestation). */
export function reasonCodeToBytes32(code: ReasonCode): string {
  if (!isReasonCode(code))
    throw new VerdictError("REASON_CODE_INVALID", `unknown reason code ${String(code)}`, { code });
  return zeroPadValue(toBeHex(code), 32);
}

/** Inverse of reasonCodeToBytes32; throws REASON_CODE_INVALID for anything else. */
export function bytes32ToReasonCode(value: string): ReasonCode {
  const n = /^0x[0-9a-fA-F]{64}$/.test(value) ? BigInt(value) : -1n;
  const code = n >= 0n && n <= 255n ? Number(n) : -1;
  if (!isReasonCode(code))
    throw new VerdictError("REASON_CODE_INVALID", `not a reason code: ${value}`, { value });
  return code;
}

export const ATTESTATION_TYPE_STRING =
  "Attestation(uint256 requestId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint8 outcome)";
export const INFERENCE_REQUEST_TYPE_STRING =
  "InferenceRequest(address requester,bytes32 modelHash,bytes32 inputHash,uint8 inputKind,string inputURI," +
  "uint8 redundancy,uint256 maxFee," +
  "uint64 deadline,uint32 callbackGasLimit,uint8 finality,address callback,uint256 nonce,uint64 signatureDeadline)";
export const ATTESTATION_TYPEHASH = id(ATTESTATION_TYPE_STRING);
export const INFERENCE_REQUEST_TYPEHASH = id(INFERENCE_REQUEST_TYPE_STRING);

/** The EIP-712 fields of a type string `Name(type1 name1,type2 name2,...)`, read from the string itself. */
function typesOf(typeString: string): Readonly<Record<string, TypedDataField[]>> {
  const open = typeString.indexOf("(");
  const fields = typeString
    .slice(open + 1, -1)
    .split(",")
    .map((field) => {
      const [type = "", name = ""] = field.split(" ");
      return { name, type };
    });
  return { [typeString.slice(0, open)]: fields };
}

export const ATTESTATION_TYPES = typesOf(ATTESTATION_TYPE_STRING);

export const INFERENCE_REQUEST_TYPES = typesOf(INFERENCE_REQUEST_TYPE_STRING);

export interface Attestation {
  requestId: bigint;
  modelHash: string;
  inputHash: string;
  /** keccak256 of the output bytes (RESULT) or reasonCodeToBytes32 (INVALID_INPUT). */
  outputHash: string;
  outcome: Outcome;
}

export interface InferenceRequest {
  requester: string;
  modelHash: string;
  inputHash: string;
  /** InputKind.INLINE (inputURI "") or InputKind.URI. */
  inputKind: InputKind;
  /** The input URI ("" for an inline input); signed as keccak256 of its UTF-8 bytes. */
  inputURI: string;
  redundancy: number;
  maxFee: bigint;
  deadline: bigint;
  callbackGasLimit: number;
  finality: Finality;
  callback: string;
  nonce: bigint;
  signatureDeadline: bigint;
}

export interface VerdictDomain extends TypedDataDomain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

/** The Verdict domain for a chain and the request coordinator's address. */
export function verdictDomain(chainId: bigint | number, verifyingContract: string): VerdictDomain {
  if (!isAddress(verifyingContract)) {
    throw new VerdictError("SIGNATURE_INVALID", `verifyingContract ${verifyingContract} is not an address`, {
      verifyingContract,
    });
  }
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: getAddress(verifyingContract),
  };
}

/** The EIP-712 digest an attestation signature covers. */
export function attestationDigest(domain: TypedDataDomain, att: Attestation): string {
  return TypedDataEncoder.hash(domain, ATTESTATION_TYPES, att);
}

/** The EIP-712 digest a request signature covers. */
export function inferenceRequestDigest(domain: TypedDataDomain, req: InferenceRequest): string {
  return TypedDataEncoder.hash(domain, INFERENCE_REQUEST_TYPES, req);
}

/** Signs an attestation with the operator's signer key. */
export async function signAttestation(
  signer: Signer,
  domain: TypedDataDomain,
  att: Attestation,
): Promise<string> {
  return signer.signTypedData(domain, ATTESTATION_TYPES, att);
}

/** Signs a gasless inference request with the requester's key. */
export async function signInferenceRequest(
  signer: Signer,
  domain: TypedDataDomain,
  req: InferenceRequest,
): Promise<string> {
  return signer.signTypedData(domain, INFERENCE_REQUEST_TYPES, req);
}

function recover(
  domain: TypedDataDomain,
  types: Readonly<Record<string, TypedDataField[]>>,
  value: Record<string, unknown>,
  signature: string,
): string {
  try {
    return verifyTypedData(domain, types, value, signature);
  } catch (err) {
    throw new VerdictError("SIGNATURE_INVALID", "signature cannot be recovered", { signature }, err);
  }
}

function expectSigner(recovered: string, expectedSigner: string): void {
  if (!isAddress(expectedSigner) || getAddress(recovered) !== getAddress(expectedSigner)) {
    throw new VerdictError("SIGNATURE_INVALID", `signed by ${recovered}, expected ${expectedSigner}`, {
      recovered,
      expected: expectedSigner,
    });
  }
}

/** The address that signed `att` under `domain`; throws SIGNATURE_INVALID on a malformed signature. */
export function recoverAttestationSigner(
  domain: TypedDataDomain,
  att: Attestation,
  signature: string,
): string {
  return recover(domain, ATTESTATION_TYPES, { ...att }, signature);
}

/** Throws SIGNATURE_INVALID unless `expectedSigner` signed `att` under `domain`. */
export function verifyAttestation(
  domain: TypedDataDomain,
  att: Attestation,
  signature: string,
  expectedSigner: string,
): void {
  expectSigner(recoverAttestationSigner(domain, att, signature), expectedSigner);
}

/** The address that signed `req` under `domain`; throws SIGNATURE_INVALID on a malformed signature. */
export function recoverInferenceRequestSigner(
  domain: TypedDataDomain,
  req: InferenceRequest,
  signature: string,
): string {
  return recover(domain, INFERENCE_REQUEST_TYPES, { ...req }, signature);
}

/** Throws SIGNATURE_INVALID unless `expectedSigner` signed `req` under `domain`. */
export function verifyInferenceRequest(
  domain: TypedDataDomain,
  req: InferenceRequest,
  signature: string,
  expectedSigner: string,
): void {
  expectSigner(recoverInferenceRequestSigner(domain, req, signature), expectedSigner);
}
