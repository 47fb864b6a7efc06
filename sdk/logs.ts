/**
 * Log reads a hosted RPC provider accepts: `eth_getLogs` in block ranges of at most `maxRange` blocks, the
 * range halved automatically whenever the provider refuses one as too large (and kept halved for later
 * reads), rate-limit answers retried after their Retry-After (sdk/retry.ts). Every tool that reads logs (the
 * SDK's request trail, the relayer's sync and duties, the CLI, the scripts) goes through `LogReader`, from
 * the deployment's start block, never from genesis in one call.
 *
 * Providers word a range refusal differently (ponder's getLogsRetryHelper collects ~25 of them); recognised
 * here: "block range", "range too large", "exceed…", "…limit…", "query returned more than N results",
 * JSON-RPC -32005 (limit exceeded), -32602 with range text, HTTP 413. Some name a range that works
 * ("this block range should work: [0x…, 0x…]", "max range 1000"); that size is then used directly.
 */
import type { Filter, Log, Provider } from "ethers";
import { VerdictError } from "./errors.js";
import { errorFacts, isRateLimitError, retry, type RetryOptions } from "./retry.js";

/** Default largest range per eth_getLogs (blocks); most hosted providers accept 2,000 or more. */
export const DEFAULT_LOG_RANGE = 2_000;

export interface LogReaderOptions {
  /** Largest block range per eth_getLogs (default 2,000). */
  maxRange?: number;
  /** Retries of one range on rate limits (sdk/retry.ts; default 6 attempts, Retry-After honoured). */
  retry?: RetryOptions;
  /** Told when a provider refused a range and the reader shrank it. */
  onShrink?: (info: { fromBlock: number; toBlock: number; range: number; error: string }) => void;
}

/** A log filter with numeric or tagged bounds (no blockHash filters: those need no ranges). */
export interface RangeFilter {
  address?: string | string[];
  topics?: Filter["topics"];
  fromBlock?: number | "earliest" | "latest";
  toBlock?: number | "latest";
}

const RANGE_TEXT =
  /block range|range (is )?too (large|wide|big)|too (many|large) (blocks|range)|exceed|limit|query returned more than|more than \d+ (results|logs|blocks)|response (size|is too)|max(imum)? (block )?range|blocks? range|range of \d+|payload too large|too large/;

/**
 * True when a provider refused an eth_getLogs for its size (range or result count) rather than failing:
 * HTTP 413, JSON-RPC -32005, -32602 with range text, or any of the known texts. Rate limits are not.
 */
export function isRangeError(err: unknown): boolean {
  if (isRateLimitError(err)) return false;
  const f = errorFacts(err);
  if (f.status === 413 || f.codes.includes(413)) return true;
  const text = f.texts.some((t) => RANGE_TEXT.test(t));
  if (f.codes.includes(-32005)) return true;
  if (f.codes.includes(-32602)) return text && f.texts.some((t) => /range|block/.test(t));
  return text;
}

/** A range size the provider's refusal names as acceptable, if it names one. */
export function suggestedRange(err: unknown): number | undefined {
  for (const t of errorFacts(err).texts) {
    const pair = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/.exec(t);
    if (pair?.[1] && pair[2]) {
      const n = Number(BigInt(pair[2]) - BigInt(pair[1])) + 1;
      if (n >= 1) return n;
    }
    const size =
      /(?:max(?:imum)?|limit(?:ed)?(?: to| of)?|up to|at most)[^0-9]{0,24}(\d[\d,]*)\s*(?:blocks?)?\b/.exec(
        t,
      );
    if (size?.[1] && /block|range/.test(t)) {
      const n = Number(size[1].replace(/,/g, ""));
      if (Number.isSafeInteger(n) && n >= 1) return n;
    }
  }
  return undefined;
}

/**
 * Reads logs in bounded ranges. One reader per endpoint: the range it learned (after a refusal) is kept for
 * every later read. Not tied to a provider; pass the provider to each call.
 */
export class LogReader {
  readonly maxRange: number;
  /** The range used now: `maxRange` until a provider refuses it, then smaller. */
  range: number;
  readonly #opts: LogReaderOptions;

  constructor(opts: LogReaderOptions = {}) {
    const max = opts.maxRange ?? DEFAULT_LOG_RANGE;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new VerdictError("CONFIG_INVALID", `log range ${max} must be a positive integer`);
    this.maxRange = max;
    this.range = max;
    this.#opts = opts;
  }

  /**
   * Every log matching `filter` between its bounds (default: block 0 to the head), in chain order. Uses
   * `raw` (default `provider.getLogs`) for each range.
   */
  async getLogs(
    provider: Provider,
    filter: RangeFilter,
    raw: (f: Filter) => Promise<Log[]> = (f) => provider.getLogs(f),
  ): Promise<Log[]> {
    const needHead =
      filter.toBlock === undefined || filter.toBlock === "latest" || filter.fromBlock === "latest";
    const head = needHead ? await retry(() => provider.getBlockNumber(), this.#opts.retry) : 0;
    let from =
      filter.fromBlock === "latest" ? head : filter.fromBlock === "earliest" ? 0 : (filter.fromBlock ?? 0);
    const to = filter.toBlock === undefined || filter.toBlock === "latest" ? head : filter.toBlock;
    const out: Log[] = [];
    const base: Filter = {};
    if (filter.address !== undefined) base.address = filter.address;
    if (filter.topics !== undefined) base.topics = filter.topics;
    while (from <= to) {
      const end = Math.min(to, from + this.range - 1);
      let logs: Log[];
      try {
        logs = await retry(() => raw({ ...base, fromBlock: from, toBlock: end }), this.#opts.retry);
      } catch (err) {
        if (!isRangeError(err) || end === from) throw err;
        const span = end - from + 1;
        const suggested = suggestedRange(err);
        this.range = Math.max(1, Math.min(Math.floor(span / 2), suggested ?? span));
        this.#opts.onShrink?.({
          fromBlock: from,
          toBlock: end,
          range: this.range,
          error: err instanceof Error ? err.message.slice(0, 200) : String(err),
        });
        continue;
      }
      for (const l of logs) out.push(l);
      from = end + 1;
    }
    return out;
  }
}

/** One-off bounded read with a fresh reader (prefer a long-lived `LogReader` per endpoint). */
export function getLogsBounded(
  provider: Provider,
  filter: RangeFilter,
  opts: LogReaderOptions = {},
): Promise<Log[]> {
  return readerOf(provider, opts).getLogs(provider, filter);
}

const READER = Symbol.for("verdict.logReader");

/** Attaches `reader` to `provider`: every bounded read through that provider shares its learned range. */
export function attachLogReader(provider: Provider, reader: LogReader): void {
  (provider as unknown as Record<symbol, LogReader>)[READER] = reader;
}

/** The reader attached to `provider` (sdk/rpc.ts providers have one), else a new one with `opts`. */
export function readerOf(provider: Provider, opts: LogReaderOptions = {}): LogReader {
  return (provider as unknown as Record<symbol, LogReader | undefined>)[READER] ?? new LogReader(opts);
}
