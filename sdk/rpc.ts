/**
 * Connecting to a JSON-RPC endpoint the way every Verdict tool does (relayer, CLI, SDK users): http(s) only
 * (any other scheme is refused with RPC_URL_UNSUPPORTED before anything is sent), JSON-RPC over the
 * runtime's fetch (no per-byte conversions in JavaScript), rate-limit answers (HTTP 429, JSON-RPC "rate
 * limit" errors) retried after their Retry-After, other HTTP failures as typed `RpcHttpError`s, and
 * `getLogs` in bounded ranges through the provider's `LogReader` (sdk/logs.ts).
 */
import {
  FetchRequest,
  type Filter,
  type FilterByBlockHash,
  JsonRpcProvider,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Log,
  Network,
} from "ethers";
import { VerdictError } from "./errors.js";
import { LogReader, attachLogReader, type LogReaderOptions, type RangeFilter } from "./logs.js";
import { RpcHttpError, isRateLimitError, parseRetryAfter, retry, type RetryOptions } from "./retry.js";

export interface RpcOptions {
  /** Timeout of one HTTP request (default 30 s). */
  timeoutMs?: number;
  /** Bounded log reads (largest range, …); or a reader shared with other providers. */
  logs?: LogReaderOptions | LogReader;
  /** Retries of one JSON-RPC call on rate limits (default 6 attempts, Retry-After honoured). */
  retry?: RetryOptions;
  /** Polling interval for `wait()` and events (default 1 s). */
  pollingIntervalMs?: number;
}

/** Refuses any URL but http(s) with a typed error (RPC_URL_UNSUPPORTED / RPC_URL_INVALID). */
export function checkRpcUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new VerdictError("RPC_URL_INVALID", "the RPC URL is not a URL", {});
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new VerdictError(
      "RPC_URL_UNSUPPORTED",
      `RPC URL scheme ${u.protocol} is not supported: use the provider's http:// or https:// endpoint`,
      { scheme: u.protocol },
    );
  }
  return u;
}

type BlockBound = number | "earliest" | "latest";

function bound(tag: unknown): BlockBound | undefined | null {
  if (tag === undefined || tag === null) return undefined;
  if (tag === "latest" || tag === "earliest") return tag;
  if (typeof tag === "number" && Number.isSafeInteger(tag) && tag >= 0) return tag;
  if (typeof tag === "bigint" && tag >= 0n) return Number(tag);
  if (typeof tag === "string" && /^0x[0-9a-fA-F]+$/.test(tag)) return Number(BigInt(tag));
  return null; // "pending", "safe", "finalized", negative offsets: passed through unbounded
}

/** A JSON-RPC provider over fetch with rate-limit retries and bounded `getLogs`. */
export class VerdictRpcProvider extends JsonRpcProvider {
  readonly url: string;
  readonly logReader: LogReader;
  readonly #timeoutMs: number;
  readonly #retry: RetryOptions;

  constructor(url: string, chainId: bigint, opts: RpcOptions = {}) {
    checkRpcUrl(url);
    super(new FetchRequest(url), Network.from(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      cacheTimeout: -1,
      pollingInterval: opts.pollingIntervalMs ?? 1_000,
    });
    this.url = url;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#retry = opts.retry ?? {};
    this.logReader = opts.logs instanceof LogReader ? opts.logs : new LogReader(opts.logs ?? {});
    attachLogReader(this, this.logReader);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    return retry(() => this.#post(payload), { ...this.#retry, retryable: isRateLimitError });
  }

  async #post(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
    if (res.status === 429) {
      throw new RpcHttpError(429, "the RPC endpoint is rate limiting (HTTP 429)", retryAfter);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RpcHttpError(
        res.status,
        `the RPC endpoint answered HTTP ${res.status} without JSON-RPC (${text.slice(0, 120).trim()})`,
        retryAfter,
      );
    }
    const results = (Array.isArray(body) ? body : [body]) as JsonRpcResult[];
    if (
      !res.ok &&
      !results.every((r) => r !== null && typeof r === "object" && ("result" in r || "error" in r))
    ) {
      throw new RpcHttpError(res.status, `the RPC endpoint answered HTTP ${res.status}`, retryAfter);
    }
    for (const r of results) {
      const err = (r as { error?: unknown }).error;
      if (err !== undefined && isRateLimitError(err)) {
        const e = new RpcHttpError(
          429,
          `the RPC endpoint is rate limiting (${JSON.stringify(err).slice(0, 160)})`,
          retryAfter,
        );
        throw e;
      }
    }
    return results;
  }

  /** Logs in bounded ranges (sdk/logs.ts); blockHash filters and open-ended/odd tags go through as they are. */
  override async getLogs(filter: Filter | FilterByBlockHash): Promise<Log[]> {
    if ("blockHash" in filter && filter.blockHash !== undefined) return super.getLogs(filter);
    const f = filter as Filter;
    const from = bound(f.fromBlock);
    const to = bound(f.toBlock);
    const address = f.address;
    const plainAddress =
      address === undefined ||
      typeof address === "string" ||
      (Array.isArray(address) && address.every((a) => typeof a === "string"));
    if (from === undefined || from === null || to === null || !plainAddress) return super.getLogs(filter);
    const rf: RangeFilter = {
      fromBlock: from,
      toBlock: to === undefined || to === "earliest" ? (to === "earliest" ? 0 : "latest") : to,
    };
    if (address !== undefined) rf.address = address as string | string[];
    if (f.topics !== undefined) rf.topics = f.topics;
    return this.logReader.getLogs(this, rf, (g) => super.getLogs(g));
  }
}

/** A provider for `url` on chain `chainId` (no network detection round trip). */
export function rpcProvider(url: string, chainId: bigint, opts: RpcOptions = {}): VerdictRpcProvider {
  return new VerdictRpcProvider(url, chainId, opts);
}

/** eth_chainId of `url`, with a typed RPC_UNREACHABLE when the endpoint does not answer. */
export async function rpcChainId(
  url: string,
  opts: { timeoutMs?: number; retry?: RetryOptions } = {},
): Promise<bigint> {
  checkRpcUrl(url);
  const safe = (() => {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  })();
  try {
    return await retry(
      async () => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        if (res.status === 429) {
          throw new RpcHttpError(429, "rate limited", parseRetryAfter(res.headers.get("retry-after")));
        }
        const body = (await res.json().catch(() => ({}))) as { result?: unknown };
        if (typeof body.result !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.result))
          throw new VerdictError(
            "RPC_UNREACHABLE",
            `${safe} did not answer eth_chainId (HTTP ${res.status})`,
          );
        return BigInt(body.result);
      },
      { ...opts.retry, retryable: isRateLimitError },
    );
  } catch (e) {
    if (e instanceof VerdictError) throw e;
    throw new VerdictError(
      "RPC_UNREACHABLE",
      `cannot reach the RPC endpoint ${safe}: ${e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e)}`,
      { url: safe },
      e,
    );
  }
}
