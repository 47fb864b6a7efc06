/**
 * The outcomes an operator attests, and how the relayer picks one: the ONE place where the relayer's
 * outcome and reason codes live, so they can be aligned with the chain's in one edit.
 *
 * Three kinds of answer:
 * - RESULT: the model ran; outputHash = keccak256 of the canonical output.
 * - INVALID_INPUT (reason 1..5, 7): the requester's input is at fault, deterministically, for every
 *   honest operator (undecodable, names, dtype, shape, value range; the model rejecting it).
 * - CANNOT_SERVE (reason below): nothing the requester can be blamed for and nothing the operator can be
 *   slashed for: the input or the model cannot be fetched, or this operator cannot run the job within its
 *   limits (deadline, memory, an unsafe model). Resource and timeout failures are NEVER invalid input:
 *   operators with different machines would disagree and the minority would be slashed.
 *
 * On-chain encoding. The coordinator today knows outcomes 0 (RESULT) and 1 (INVALID_INPUT with reason
 * codes 1..7, 6 = "input not retrievable"). The "coord" branch adds the cannot-serve outcomes; until it
 * lands, `ONCHAIN` below says which cannot-serve reasons can already be posted and how:
 * - INPUT_UNAVAILABLE and OUTPUT_TOO_LARGE go out in their legacy form (outcome 1, reasons 6 and 7): every
 *   honest operator gets the same answer, so they agree and nobody is slashed;
 * - MODEL_UNAVAILABLE and DECLINED have no legacy form: the relayer records them (job dropped with a typed
 *   reason, nothing signed) and posts nothing.
 * Once the chain accepts outcome CANNOT_SERVE (2) with `outputHash` = the reason code as a left-padded
 * bytes32, set `CANNOT_SERVE_OUTCOME_ON_CHAIN` to true: every cannot-serve reason is then posted as
 * outcome 2.
 */
import { Outcome, ReasonCode } from "../sdk/eip712.js";
import { reasonInfo } from "../sdk/reasons.js";
import { RelayerError } from "./errors.js";

/** Attestation outcomes (the uint8 `outcome` of an attestation): the SDK's `Outcome`. */
export const AnswerOutcome = Outcome;
export type AnswerOutcome = Outcome;

/**
 * Why an operator cannot serve a request (carried as a left-padded bytes32 in `outputHash`). 6 keeps the
 * number of the legacy "input not retrievable" reason so that both encodings name it alike.
 */
export const CannotServeReason = {
  /** The input URI cannot be fetched (refused scheme/host, timeout, too large, wrong hash, gone). */
  INPUT_UNAVAILABLE: ReasonCode.INPUT_UNAVAILABLE,
  /** No model URI serves bytes hashing to the registered model hash. */
  MODEL_UNAVAILABLE: ReasonCode.MODEL_UNAVAILABLE,
  /** This operator cannot run the job: deadline, memory, an unsafe or unloadable model. */
  DECLINED: ReasonCode.DECLINED,
  /** The canonical output exceeds the coordinator's governed maxOutput. */
  OUTPUT_TOO_LARGE: ReasonCode.OUTPUT_TOO_LARGE,
} as const;
export type CannotServeReason = (typeof CannotServeReason)[keyof typeof CannotServeReason];

/** Names of the cannot-serve reasons, from the SDK's one table (sdk/reasons.ts). */
export const CANNOT_SERVE_NAMES = Object.fromEntries(
  Object.values(CannotServeReason).map((c) => [c, reasonInfo(c)?.name ?? String(c)]),
) as Readonly<Record<CannotServeReason, string>>;

/** Whether the coordinator accepts outcome 2 (CANNOT_SERVE). Flip when the "coord" branch lands. */
export const CANNOT_SERVE_OUTCOME_ON_CHAIN = true;

/** The legacy (outcome 1) reason code of each cannot-serve reason that has one. */
const LEGACY: Partial<Record<CannotServeReason, number>> = {
  [CannotServeReason.INPUT_UNAVAILABLE]: 6,
  [CannotServeReason.OUTPUT_TOO_LARGE]: 7,
};

/** How a cannot-serve answer is posted: outcome and reason code, or undefined (not postable yet). */
export function onChainCannotServe(
  reason: CannotServeReason,
): { outcome: AnswerOutcome; code: number } | undefined {
  if (CANNOT_SERVE_OUTCOME_ON_CHAIN) return { outcome: AnswerOutcome.CANNOT_SERVE, code: reason };
  const code = LEGACY[reason];
  return code === undefined ? undefined : { outcome: AnswerOutcome.INVALID_INPUT, code };
}

/** The reason code as the bytes32 an attestation carries. */
export function codeToBytes32(code: number): string {
  return "0x" + code.toString(16).padStart(64, "0");
}

/** The operator cannot serve this request; `reason` says why (never the requester's fault). */
export class CannotServeError extends RelayerError {
  readonly reason: CannotServeReason;
  /** Worth trying again later (a fetch that may succeed on retry), before answering. */
  readonly transient: boolean;

  constructor(reason: CannotServeReason, message: string, transient: boolean, cause?: unknown) {
    super(
      "CANNOT_SERVE",
      `cannot serve (${CANNOT_SERVE_NAMES[reason]}): ${message}`,
      { reason, transient },
      cause,
    );
    this.reason = reason;
    this.transient = transient;
  }
}

/** Runner/model error codes that mean "this operator cannot run it", and the reason each maps to. */
const BY_CODE: Readonly<Record<string, { reason: CannotServeReason; transient: boolean }>> = {
  INFERENCE_TIMEOUT: { reason: CannotServeReason.DECLINED, transient: false },
  INFERENCE_RESOURCE_EXHAUSTED: { reason: CannotServeReason.DECLINED, transient: false },
  INFERENCE_WORKER_CRASHED: { reason: CannotServeReason.DECLINED, transient: false },
  MODEL_UNSAFE: { reason: CannotServeReason.DECLINED, transient: false },
  MODEL_LOAD_FAILED: { reason: CannotServeReason.DECLINED, transient: true },
  MODEL_SCHEMA_MISMATCH: { reason: CannotServeReason.DECLINED, transient: true },
  MODEL_SCHEMA_INVALID: { reason: CannotServeReason.DECLINED, transient: true },
  MODEL_HASH_MISMATCH: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: true },
  MODEL_FETCH_FAILED: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: true },
  MODEL_TOO_LARGE: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: false },
  MODEL_URI_UNSUPPORTED: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: false },
  FETCH_REFUSED: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: false },
  FETCH_FAILED: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: true },
  FETCH_TOO_LARGE: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: false },
  FETCH_TIMEOUT: { reason: CannotServeReason.MODEL_UNAVAILABLE, transient: true },
};

/**
 * The cannot-serve reading of an error raised while answering, or undefined when the error is neither
 * a CannotServeError nor an operator-side runner/model failure (an RPC failure: retried as is).
 */
export function asCannotServe(e: unknown): CannotServeError | undefined {
  if (e instanceof CannotServeError) return e;
  if (!(e instanceof RelayerError)) return undefined;
  const m = BY_CODE[e.code];
  if (m === undefined) return undefined;
  return new CannotServeError(m.reason, e.message, m.transient, e);
}

/**
 * True for an attested answer that says "cannot serve" (outcome 2, or the legacy "input not
 * retrievable", outcome 1 reason 6): re-execution never disputes it (it is no claim about the output).
 */
export function isCannotServeAnswer(outcome: number, outputHash: string): boolean {
  if (outcome === AnswerOutcome.CANNOT_SERVE) return true;
  return (
    outcome === AnswerOutcome.INVALID_INPUT &&
    outputHash.toLowerCase() === codeToBytes32(CannotServeReason.INPUT_UNAVAILABLE)
  );
}
