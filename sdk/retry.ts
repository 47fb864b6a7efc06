/**
 * Waiting and retrying, in one place for the SDK, the relayer, the CLI and the scripts: THE one `sleep`, a
 * generic `retry` with capped exponential backoff, and the recognition of rate-limit answers (HTTP 429,
 * JSON-RPC "rate limit" errors) with the wait their `Retry-After` asks for.
 */
import { VerdictError } from "./errors.js";

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** First backoff (default 250 ms); doubled after each failure, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  /** Longest single wait (default 30 s); a longer Retry-After is cut to this. */
  maxDelayMs?: number;
  /** Which failures are worth another attempt (default: rate limits, `isRateLimitError`). */
  retryable?: (err: unknown) => boolean;
  /** The wait a failure asks for (default: its Retry-After, `retryAfterMs`); else the backoff applies. */
  delayOf?: (err: unknown) => number | undefined;
  /** Told before each wait. */
  onRetry?: (info: { err: unknown; attempt: number; delayMs: number }) => void;
  /** The wait itself (tests pass a fake clock). */
  wait?: (ms: number) => Promise<void>;
}

/** The backoff before attempt `attempt + 1` (attempt counts from 1): base·2^(attempt−1), capped. */
export function backoffMs(attempt: number, baseDelayMs = 250, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs `fn` until it succeeds, a failure is not `retryable`, or the attempts run out (the last error is
 * thrown as it was). Waits the failure's own delay (Retry-After) when it names one, else the backoff.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 6);
  const retryable = opts.retryable ?? isRateLimitError;
  const delayOf = opts.delayOf ?? retryAfterMs;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const wait = opts.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      const asked = delayOf(err);
      const delayMs = Math.min(
        maxDelayMs,
        asked !== undefined ? asked : backoffMs(attempt, opts.baseDelayMs, maxDelayMs),
      );
      opts.onRetry?.({ err, attempt, delayMs });
      await wait(delayMs);
    }
  }
}

/**
 * A `Retry-After` header value in milliseconds: delta-seconds ("2", "0.5") or an HTTP date; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An HTTP answer of a JSON-RPC endpoint that carries no JSON-RPC result (429, 413, 5xx, HTML…). */
export class RpcHttpError extends VerdictError {
  readonly status: number;
  /** From the answer's Retry-After header, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, retryAfterMs?: number) {
    super(status === 429 ? "RPC_RATE_LIMITED" : "RPC_HTTP_ERROR", message, {
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    this.name = "RpcHttpError";
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** What an error (an ethers error, a JSON-RPC error object, an RpcHttpError, nested causes) says. */
export interface ErrorFacts {
  /** Every message text found, lower case. */
  texts: string[];
  /** Every numeric JSON-RPC / HTTP code found. */
  codes: number[];
  /** The HTTP status, when the error came from an HTTP answer. */
  status: number | undefined;
  retryAfterMs: number | undefined;
}

/** Walks an error and the objects it wraps (error, info, cause, data, payload…) for texts and codes. */
export function errorFacts(err: unknown): ErrorFacts {
  const facts: ErrorFacts = { texts: [], codes: [], status: undefined, retryAfterMs: undefined };
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 6 || e === null || e === undefined) return;
    if (typeof e === "string") {
      facts.texts.push(e.toLowerCase());
      return;
    }
    if (typeof e !== "object" || seen.has(e)) return;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (e instanceof RpcHttpError) {
      facts.status = e.status;
      facts.retryAfterMs = e.retryAfterMs;
    }
    for (const key of ["message", "shortMessage", "details", "reason", "body"]) {
      if (typeof o[key] === "string") facts.texts.push((o[key] as string).toLowerCase());
    }
    for (const key of ["code", "status", "statusCode"]) {
      const v = o[key];
      if (typeof v === "number" && Number.isInteger(v)) facts.codes.push(v);
    }
    for (const key of ["error", "info", "cause", "data", "response"]) visit(o[key], depth + 1);
  };
  visit(err, 0);
  return facts;
}

const RATE_LIMIT_TEXT =
  /rate[ -]?limit|too many requests|request rate|requests per second|exceeded (the |its )?(quota|capacity|credits|compute units)|(daily|monthly) request|capacity exceeded/;

/**
 * True for a rate-limit answer: HTTP or JSON-RPC code 429, or a provider's "rate limit" text. Never for a
 * contract revert (JSON-RPC code 3, "revert" texts), whatever its reason string says.
 */
export function isRateLimitError(err: unknown): boolean {
  const f = errorFacts(err);
  if (f.status === 429) return true;
  if (f.codes.includes(3) || f.texts.some((t) => t.includes("revert"))) return false;
  return f.codes.includes(429) || f.texts.some((t) => RATE_LIMIT_TEXT.test(t));
}

/** The wait a rate-limit error asks for (its Retry-After, or "try again in N s" text), in ms. */
export function retryAfterMs(err: unknown): number | undefined {
  const f = errorFacts(err);
  if (f.retryAfterMs !== undefined) return f.retryAfterMs;
  for (const t of f.texts) {
    const m = /(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?) ?(ms|milliseconds?|s|sec|seconds?)\b/.exec(t);
    if (m) return Math.round(Number(m[1]) * (m[2]?.startsWith("m") ? 1 : 1000));
  }
  return undefined;
}
