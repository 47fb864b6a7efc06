/**
 * Typed errors of the relayer. Every failure the relayer can report carries a stable `code`, so callers
 * (and logs, and tests) branch on codes rather than on message text. Messages never contain secrets.
 */
import { VerdictError, type VerdictErrorDetails } from "../sdk/errors.js";

/** Every error code the relayer's building blocks raise. */
export type RelayerErrorCode =
  | "CONFIG_INVALID"
  | "SIGNER_KEY_INVALID"
  | "KEYSTORE_UNREADABLE"
  | "KEYSTORE_BAD_PASSWORD"
  | "SIGNER_IS_OPERATOR"
  | "DB_SCHEMA_TOO_NEW"
  | "DB_CLOSED"
  | "JOB_NOT_FOUND"
  | "JOB_ILLEGAL_TRANSITION"
  | "JOB_CONFLICT"
  | "CURSOR_INVALID"
  | "MODEL_HASH_INVALID"
  | "MODEL_HASH_MISMATCH"
  | "MODEL_URI_UNSUPPORTED"
  | "MODEL_FETCH_FAILED"
  | "MODEL_TOO_LARGE"
  | "MODEL_LOAD_FAILED"
  | "MODEL_SCHEMA_INVALID"
  | "MODEL_SCHEMA_MISMATCH"
  | "INFERENCE_WORKER_CRASHED"
  | "INFERENCE_TIMEOUT"
  | "INFERENCE_RESOURCE_EXHAUSTED"
  | "MODEL_UNSAFE"
  | "FETCH_REFUSED"
  | "FETCH_FAILED"
  | "FETCH_TOO_LARGE"
  | "FETCH_TIMEOUT"
  | "DB_CHAIN_MISMATCH"
  | "RUNNER_CLOSED"
  | "INVALID_INPUT"
  | "METRICS_SERVER_FAILED"
  | "CANNOT_SERVE";

/** Base class of every relayer error (a `VerdictError`, so SDK and relayer errors branch alike). */
export class RelayerError extends VerdictError {
  declare readonly code: RelayerErrorCode;

  constructor(code: RelayerErrorCode, message: string, details: VerdictErrorDetails = {}, cause?: unknown) {
    super(code, message, details, cause);
    this.name = new.target.name;
  }
}

/** Configuration is missing or malformed. `problems` lists every offending key, not only the first. */
export class ConfigError extends RelayerError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("CONFIG_INVALID", `invalid relayer configuration:\n  - ${problems.join("\n  - ")}`, { problems });
    this.problems = problems;
  }
}

/** The signer key could not be obtained or is not acceptable. Never carries the key itself. */
export class KeyError extends RelayerError {}

/** Persistence errors: schema, illegal job transitions, conflicting writes. */
export class StoreError extends RelayerError {}

/** Model fetch / verification errors. */
export class ModelError extends RelayerError {}

/** The fetched bytes' sha256 differs from the registered model hash; the bytes were discarded. */
export class ModelHashMismatchError extends ModelError {
  readonly expected: string;
  readonly actual: string;
  readonly uri: string;

  constructor(expected: string, actual: string, uri: string) {
    super("MODEL_HASH_MISMATCH", `model bytes from ${uri} hash to ${actual}, expected ${expected}; refused`, {
      expected,
      actual,
      uri,
    });
    this.expected = expected;
    this.actual = actual;
    this.uri = uri;
  }
}

/** Operator-side inference errors (model not loadable, schema not matching the model). */
export class RunnerError extends RelayerError {}

/**
 * Invalid-input reason codes (docs/protocol.md, "Invalid-input reason codes"). The relayer attests
 * `INVALID_INPUT` with one of these as the outcome instead of a result.
 */
export const InvalidInputReason = {
  UNDECODABLE: 1,
  NAME_MISMATCH: 2,
  DTYPE_MISMATCH: 3,
  SHAPE_MISMATCH: 4,
  VALUE_OUT_OF_RANGE: 5,
  INPUT_NOT_RETRIEVABLE: 6,
  MODEL_FAILED: 7,
} as const;

export type InvalidInputReasonCode = (typeof InvalidInputReason)[keyof typeof InvalidInputReason];

/** The input cannot be served; `reason` is the protocol reason code the operator attests. */
export class InvalidInputError extends RelayerError {
  readonly reason: InvalidInputReasonCode;

  constructor(reason: InvalidInputReasonCode, message: string, cause?: unknown) {
    super("INVALID_INPUT", `invalid input (reason ${reason}): ${message}`, { reason }, cause);
    this.reason = reason;
  }

  /** The reason code as the bytes32 the attestation carries (left-padded integer). */
  get reasonBytes32(): string {
    return "0x" + this.reason.toString(16).padStart(64, "0");
  }
}
