/**
 * Reason codes with their names and meanings: the ONE table that logs, the CLI and docs/protocol.md read.
 * Twin of the `REASON_*` constants of contracts/libraries/VerdictTypes.sol and Disputes.REASON_UNDECIDED
 * (test/sdk/reasons.test.ts checks they match). The numbers themselves are `ReasonCode` in sdk/eip712.ts.
 *
 * A reason code travels as a left-padded bytes32 in an attestation's `outputHash` when the outcome is
 * INVALID_INPUT (1) or CANNOT_SERVE (2); each outcome accepts only its own codes. 8 (UNDECIDED) is never
 * attested: the dispute contract delivers it as the correction when a dispute times out undecided.
 */
import { Outcome, ReasonCode } from "./eip712.js";

/** What a reason code is: its name, the outcome that carries it, and what it means for a user. */
export interface ReasonInfo {
  code: number;
  name: string;
  /** INVALID_INPUT (the requester's input is at fault), CANNOT_SERVE, or "dispute" (UNDECIDED). */
  outcome: "INVALID_INPUT" | "CANNOT_SERVE" | "dispute";
  meaning: string;
}

/** The dispute contract's correction when a dispute ends undecided (Disputes.REASON_UNDECIDED). */
export const REASON_UNDECIDED = 8;

const TABLE: readonly ReasonInfo[] = [
  {
    code: ReasonCode.UNDECODABLE,
    name: "UNDECODABLE",
    outcome: "INVALID_INPUT",
    meaning: "the input is not valid VTN1",
  },
  {
    code: ReasonCode.NAME_MISMATCH,
    name: "NAME_MISMATCH",
    outcome: "INVALID_INPUT",
    meaning: "a tensor name is missing or unexpected",
  },
  {
    code: ReasonCode.DTYPE_MISMATCH,
    name: "DTYPE_MISMATCH",
    outcome: "INVALID_INPUT",
    meaning: "a dtype differs from the model's schema",
  },
  {
    code: ReasonCode.SHAPE_MISMATCH,
    name: "SHAPE_MISMATCH",
    outcome: "INVALID_INPUT",
    meaning: "a shape differs from the model's schema",
  },
  {
    code: ReasonCode.OUT_OF_RANGE,
    name: "OUT_OF_RANGE",
    outcome: "INVALID_INPUT",
    meaning: "a value is outside the model's domain",
  },
  {
    code: ReasonCode.INPUT_UNAVAILABLE,
    name: "INPUT_UNAVAILABLE",
    outcome: "CANNOT_SERVE",
    meaning: "the input URI cannot be fetched, or its bytes do not hash to inputHash",
  },
  {
    code: ReasonCode.MODEL_FAILED,
    name: "MODEL_FAILED",
    outcome: "INVALID_INPUT",
    meaning: "the model fails deterministically on this input (NaN, ±Inf, int64 overflow)",
  },
  {
    code: REASON_UNDECIDED,
    name: "UNDECIDED",
    outcome: "dispute",
    meaning: "delivered by the dispute contract when the arbiter timed out",
  },
  {
    code: ReasonCode.MODEL_UNAVAILABLE,
    name: "MODEL_UNAVAILABLE",
    outcome: "CANNOT_SERVE",
    meaning: "the model's bytes cannot be fetched from any URI, or do not hash to modelHash",
  },
  {
    code: ReasonCode.DECLINED,
    name: "DECLINED",
    outcome: "CANNOT_SERVE",
    meaning: "the operator has not opted in to this model, or cannot run it (resource or time limits)",
  },
  {
    code: ReasonCode.OUTPUT_TOO_LARGE,
    name: "OUTPUT_TOO_LARGE",
    outcome: "CANNOT_SERVE",
    meaning: "the output is larger than the coordinator's maxOutput (64 KiB by default)",
  },
];

/** Every reason code, by number. */
export const REASONS: ReadonlyMap<number, ReasonInfo> = new Map(TABLE.map((r) => [r.code, r]));

/** The table entry of `code`, or undefined for an unknown code. */
export function reasonInfo(code: number | bigint): ReasonInfo | undefined {
  const n = typeof code === "bigint" ? (code >= 0n && code <= 255n ? Number(code) : -1) : code;
  return REASONS.get(n);
}

/** "11 OUTPUT_TOO_LARGE: the output is larger than…" (or "42 (unknown reason)"). */
export function describeReason(code: number | bigint): string {
  const r = reasonInfo(code);
  return r ? `${r.code} ${r.name}: ${r.meaning}` : `${String(code)} (unknown reason)`;
}

/**
 * The reason an attested `outputHash` carries, described, when `outcome` carries one (INVALID_INPUT or
 * CANNOT_SERVE); undefined for a RESULT, whose outputHash is a hash.
 */
export function describeAttestedReason(outcome: number | bigint, outputHash: string): string | undefined {
  if (Number(outcome) === Outcome.RESULT || !/^0x[0-9a-fA-F]{64}$/.test(outputHash)) return undefined;
  return describeReason(BigInt(outputHash));
}
