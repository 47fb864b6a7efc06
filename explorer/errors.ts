/** Typed errors of the explorer: a stable code, and the HTTP status a page or API answer carries. */
export type ExplorerErrorCode =
  "CONFIG" | "WRONG_CHAIN" | "DB_BOUND_ELSEWHERE" | "BAD_INPUT" | "NOT_FOUND" | "RPC" | "REORG_TOO_DEEP";

export class ExplorerError extends Error {
  readonly code: ExplorerErrorCode;
  /** HTTP status for the server (400 bad input, 404 unknown, 502 chain unreachable, 500 otherwise). */
  readonly status: number;

  constructor(code: ExplorerErrorCode, message: string, status = 500, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ExplorerError";
    this.code = code;
    this.status = status;
  }
}

export const badInput = (message: string): ExplorerError => new ExplorerError("BAD_INPUT", message, 400);
export const notFound = (message: string): ExplorerError => new ExplorerError("NOT_FOUND", message, 404);
