/**
 * An HTTP JSON-RPC proxy on 127.0.0.1 that behaves like a hosted RPC provider: it refuses `eth_getLogs`
 * spanning more than `maxRange` blocks (a JSON-RPC error in one of the common wordings, or HTTP 413) and
 * rate-limits (HTTP 429 with a Retry-After header) every `rateLimitEvery`-th request. Everything else is
 * forwarded to the upstream node as it is. Used by test/relayer/rpc-limits.test.ts and the rpcLimits bench.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenLocal } from "./net.js";

export interface LimitingProxyOptions {
  /** Largest eth_getLogs span accepted (blocks, inclusive). Default 1,000. */
  maxRange?: number;
  /** Answer every n-th request with 429 (0: never). Default 0. */
  rateLimitEvery?: number;
  /** The Retry-After header value sent with a 429 (seconds). Default "1". */
  retryAfter?: string;
  /** How range refusals look: a JSON-RPC error (wordings rotate) or HTTP 413. Default "rpc". */
  refuseWith?: "rpc" | "413";
}

export interface ProxyCounters {
  requests: number;
  getLogs: number;
  rangeRefusals: number;
  rateLimited: number;
  /** Largest eth_getLogs span that was accepted. */
  largestAcceptedSpan: number;
}

interface RpcCall {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

/** Provider wordings of a range refusal (Alchemy, Infura, QuickNode, a generic node). */
const REFUSALS = [
  { code: -32602, message: "eth_getLogs block range exceeds the limit; max block range 1000" },
  { code: -32005, message: "query returned more than 10000 results" },
  { code: -32600, message: "range too large, max range: 1000" },
  { code: -32000, message: "block range is too wide" },
];

export class LimitingProxy {
  readonly counters: ProxyCounters = {
    requests: 0,
    getLogs: 0,
    rangeRefusals: 0,
    rateLimited: 0,
    largestAcceptedSpan: 0,
  };
  port = 0;
  #server: Server | undefined;
  readonly #opts: Required<LimitingProxyOptions>;

  constructor(
    private readonly upstream: string,
    opts: LimitingProxyOptions = {},
  ) {
    this.#opts = {
      maxRange: opts.maxRange ?? 1_000,
      rateLimitEvery: opts.rateLimitEvery ?? 0,
      retryAfter: opts.retryAfter ?? "1",
      refuseWith: opts.refuseWith ?? "rpc",
    };
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.#handle(req, res));
    this.port = await listenLocal(server);
    this.#server = server;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  async #post(body: string): Promise<string> {
    const res = await fetch(this.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return res.text();
  }

  async #blockNumber(tag: unknown): Promise<number> {
    if (typeof tag === "string" && /^0x[0-9a-f]+$/i.test(tag)) return Number(BigInt(tag));
    if (tag === "earliest") return 0;
    const head = JSON.parse(
      await this.#post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] })),
    ) as { result: string };
    return Number(BigInt(head.result));
  }

  /** The span of an eth_getLogs call in blocks (1 for blockHash filters). */
  async #span(call: RpcCall): Promise<number> {
    const f = (call.params?.[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown };
    if (f.blockHash !== undefined) return 1;
    const from = await this.#blockNumber(f.fromBlock ?? "latest");
    const to = await this.#blockNumber(f.toBlock ?? "latest");
    return to - from + 1;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      const n = ++this.counters.requests;
      if (this.#opts.rateLimitEvery > 0 && n % this.#opts.rateLimitEvery === 0) {
        this.counters.rateLimited++;
        res.writeHead(429, { "content-type": "text/plain", "retry-after": this.#opts.retryAfter });
        res.end("Too Many Requests");
        return;
      }
      const parsed = JSON.parse(body) as RpcCall | RpcCall[];
      const calls = Array.isArray(parsed) ? parsed : [parsed];
      for (const call of calls) {
        if (call.method !== "eth_getLogs") continue;
        this.counters.getLogs++;
        const span = await this.#span(call);
        if (span > this.#opts.maxRange) {
          this.counters.rangeRefusals++;
          if (this.#opts.refuseWith === "413") {
            res.writeHead(413, { "content-type": "text/plain" });
            res.end("Payload Too Large");
            return;
          }
          const error = REFUSALS[this.counters.rangeRefusals % REFUSALS.length];
          const answer = { jsonrpc: "2.0", id: call.id ?? null, error };
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(Array.isArray(parsed) ? [answer] : answer));
          return;
        }
        this.counters.largestAcceptedSpan = Math.max(this.counters.largestAcceptedSpan, span);
      }
      const answer = await this.#post(body);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
    } catch (e) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
