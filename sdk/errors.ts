/**
 * Typed errors shared by the whole SDK (and the relayer). Every failure carries a stable string
 * `code` that callers branch on, plus structured `details` for logs.
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type VerdictErrorCode =
  | "TENSOR_MALFORMED"
  | "TENSOR_VERSION"
  | "TENSOR_NAME"
  | "TENSOR_UNSORTED"
  | "TENSOR_DUPLICATE"
  | "TENSOR_DTYPE"
  | "TENSOR_SCALE"
  | "TENSOR_SHAPE"
  | "TENSOR_RANGE"
  | "TENSOR_TOO_LARGE"
  | "TENSOR_NOT_FINITE"
  | "TOLERANCE_INVALID"
  | "SIGNATURE_INVALID"
  | "REASON_CODE_INVALID"
  | (string & {});

/** Structured, JSON-friendly context attached to an error. */
export type VerdictErrorDetails = Readonly<Record<string, unknown>>;

/** Base class of every error the SDK throws on bad input. */
export class VerdictError extends Error {
  readonly code: VerdictErrorCode;
  readonly details: VerdictErrorDetails;

  constructor(code: VerdictErrorCode, message: string, details: VerdictErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "VerdictError";
    this.code = code;
    this.details = details;
  }
}

/** True when `err` is a VerdictError, optionally with the given code. */
export function isVerdictError(err: unknown, code?: VerdictErrorCode): err is VerdictError {
  return err instanceof VerdictError && (code === undefined || err.code === code);
}
