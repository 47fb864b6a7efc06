/**
 * Bounded log reads and rate-limit retries (sdk/logs.ts, sdk/retry.ts, sdk/rpc.ts) against the refusals real
 * providers send: each wording halves the range (or jumps to the size the provider names), the learned range
 * is kept, a rate limit waits its Retry-After, and failures that are neither are not retried or hidden.
 * The provider under test is the real VerdictRpcProvider talking HTTP to a limiting proxy in front of a
 * tiny fake JSON-RPC node, so the transport's 429/413 handling is exercised too.
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { Filter, Log, Provider } from "ethers";
import { LogReader, isRangeError, suggestedRange } from "../../sdk/logs.js";
import { RpcHttpError, isRateLimitError, parseRetryAfter, retry, retryAfterMs } from "../../sdk/retry.js";
import { checkRpcUrl, rpcProvider } from "../../sdk/rpc.js";
import { LimitingProxy } from "../../scripts/lib/limiting-proxy.js";

const HEAD = 9_999;

/** A fake provider whose getLogs refuses spans above `limit` with `refusal`. */
function fakeProvider(limit: number, refusal: () => unknown): { provider: Provider; spans: number[] } {
  const spans: number[] = [];
  const provider = {
    getBlockNumber: async () => HEAD,
    getLogs: async (f: Filter): Promise<Log[]> => {
      const span = Number(f.toBlock) - Number(f.fromBlock) + 1;
      spans.push(span);
      if (span > limit) throw refusal();
      return [{ blockNumber: Number(f.fromBlock) } as unknown as Log];
    },
  } as unknown as Provider;
  return { provider, spans };
}

/** An ethers-style wrapped JSON-RPC error. */
const rpcError = (code: number, message: string): Error =>
  Object.assign(new Error("could not coalesce error"), { code: "UNKNOWN_ERROR", error: { code, message } });

describe("bounded log reads (sdk/logs.ts)", function () {
  const wordings: [string, () => unknown][] = [
    [
      "Alchemy-style -32602 with a range",
      () => rpcError(-32602, "Log response size exceeded. this block range should work: [0x0, 0x1f3]"),
    ],
    ["Infura -32005 too many results", () => rpcError(-32005, "query returned more than 10000 results")],
    ["'block range' text", () => rpcError(-32000, "block range is too wide")],
    ["'range too large' with a maximum", () => rpcError(-32600, "range too large, max range: 1000")],
    ["'exceed' text", () => rpcError(-32000, "eth_getLogs exceeds the allowed span")],
    ["'limit' text", () => rpcError(-32000, "requested too many blocks: limit is 1000")],
    ["HTTP 413", () => new RpcHttpError(413, "the RPC endpoint answered HTTP 413")],
  ];
  for (const [name, refusal] of wordings) {
    it(`shrinks the range on ${name} and reads everything once`, async function () {
      const { provider, spans } = fakeProvider(1_000, refusal);
      const reader = new LogReader({ maxRange: 5_000 });
      const logs = await reader.getLogs(provider, { fromBlock: 0, toBlock: "latest" });
      expect(reader.range).to.be.at.most(1_000);
      // Every accepted read is contiguous and covers 0..HEAD exactly once.
      const starts = logs.map((l) => l.blockNumber);
      expect(starts[0]).to.equal(0);
      expect(new Set(starts).size).to.equal(starts.length);
      expect(spans.filter((s) => s <= 1_000).reduce((a, b) => a + b, 0)).to.equal(HEAD + 1);
      // The learned range is kept: a second read is never refused.
      const refusedBefore = spans.filter((s) => s > 1_000).length;
      await reader.getLogs(provider, { fromBlock: 0, toBlock: HEAD });
      expect(spans.filter((s) => s > 1_000).length).to.equal(refusedBefore);
    });
  }

  it("uses the range a provider names instead of halving step by step", async function () {
    const err = rpcError(-32602, "Log response size exceeded. this block range should work: [0x10, 0x1f3]");
    expect(suggestedRange(err)).to.equal(0x1f3 - 0x10 + 1);
    expect(suggestedRange(rpcError(-32600, "range too large, max range: 1000"))).to.equal(1_000);
    const { provider, spans } = fakeProvider(500, () => err);
    await new LogReader({ maxRange: 8_000 }).getLogs(provider, { fromBlock: 0, toBlock: HEAD });
    expect(spans.filter((s) => s > 500)).to.deep.equal([8_000]);
  });

  it("does not hide other failures, and gives up on a refused single block", async function () {
    const boom = new Error("connection reset");
    const { provider } = fakeProvider(0, () => boom);
    const reader = new LogReader({ maxRange: 4 });
    try {
      await reader.getLogs(provider, { fromBlock: 0, toBlock: 10 });
      expect.fail("should throw");
    } catch (e) {
      expect(e).to.equal(boom);
    }
    const refusing = fakeProvider(0, () => rpcError(-32005, "query returned more than 10000 results"));
    try {
      await new LogReader({ maxRange: 8 }).getLogs(refusing.provider, { fromBlock: 5, toBlock: 20 });
      expect.fail("should throw");
    } catch (e) {
      expect(isRangeError(e)).to.equal(true);
      expect(refusing.spans.at(-1)).to.equal(1);
    }
  });

  it("tells rate limits from range refusals", function () {
    expect(isRateLimitError(new RpcHttpError(429, "x"))).to.equal(true);
    expect(isRateLimitError(rpcError(-32005, "project ID request rate exceeded"))).to.equal(true);
    expect(isRateLimitError(rpcError(429, "Too Many Requests"))).to.equal(true);
    expect(isRangeError(rpcError(-32005, "project ID request rate exceeded"))).to.equal(false);
    // A contract's revert reason never counts as a rate limit (it is not retried, its data is kept).
    expect(isRateLimitError(rpcError(3, "execution reverted: rate limit reached"))).to.equal(false);
    expect(isRangeError(rpcError(-32602, "invalid argument 0: hex string without 0x prefix"))).to.equal(
      false,
    );
    expect(isRangeError(rpcError(-32602, "block range greater than 1000 max"))).to.equal(true);
  });
});

describe("retry (sdk/retry.ts)", function () {
  it("waits the Retry-After a rate limit names, and backs off otherwise", async function () {
    const waits: number[] = [];
    let n = 0;
    const out = await retry(
      async () => {
        n++;
        if (n === 1) throw new RpcHttpError(429, "slow down", 1_500);
        if (n === 2) throw new RpcHttpError(429, "slow down");
        return "ok";
      },
      { baseDelayMs: 100, wait: async (ms) => void waits.push(ms) },
    );
    expect(out).to.equal("ok");
    expect(waits).to.deep.equal([1_500, 200]);
  });

  it("does not retry what is not a rate limit, and stops after its attempts", async function () {
    let n = 0;
    const fail = async (): Promise<never> => {
      n++;
      throw new Error("execution reverted");
    };
    try {
      await retry(fail, { wait: async () => undefined });
    } catch {
      /* expected */
    }
    expect(n).to.equal(1);
    n = 0;
    try {
      await retry(
        async () => {
          n++;
          throw new RpcHttpError(429, "x");
        },
        { attempts: 3, wait: async () => undefined },
      );
    } catch (e) {
      expect((e as RpcHttpError).code).to.equal("RPC_RATE_LIMITED");
    }
    expect(n).to.equal(3);
  });

  it("reads Retry-After as seconds or an HTTP date, and 'try again in' texts", function () {
    expect(parseRetryAfter("2")).to.equal(2_000);
    expect(parseRetryAfter("0.5")).to.equal(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).to.equal(3_000);
    expect(parseRetryAfter("soon")).to.equal(undefined);
    expect(retryAfterMs(rpcError(-32005, "rate limited, try again in 3 seconds"))).to.equal(3_000);
  });
});

describe("VerdictRpcProvider over HTTP (sdk/rpc.ts)", function () {
  let node: Server;
  let url: string;
  before(async function () {
    // A fake node: eth_blockNumber is 9,999; eth_getLogs returns one log per call at its fromBlock.
    node = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const call = JSON.parse(body) as { id: number; method: string; params: { fromBlock: string }[] };
        const result =
          call.method === "eth_blockNumber"
            ? `0x${HEAD.toString(16)}`
            : call.method === "eth_chainId"
              ? "0x7a69"
              : [
                  {
                    address: "0x" + "11".repeat(20),
                    topics: [],
                    data: "0x",
                    blockNumber: call.params[0]?.fromBlock,
                    blockHash: "0x" + "22".repeat(32),
                    transactionHash: "0x" + "33".repeat(32),
                    transactionIndex: "0x0",
                    logIndex: "0x0",
                    removed: false,
                  },
                ];
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result }));
      });
    });
    await new Promise<void>((r) => node.listen(0, "127.0.0.1", () => r()));
    const a = node.address();
    url = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  });
  after(async function () {
    node.closeAllConnections();
    await new Promise<void>((r) => node.close(() => r()));
  });

  for (const refuseWith of ["rpc", "413"] as const) {
    it(`reads 10,000 blocks through a 1,000-block, rate-limiting proxy (refusals as ${refuseWith})`, async function () {
      const proxy = new LimitingProxy(url, {
        maxRange: 1_000,
        rateLimitEvery: 4,
        retryAfter: "0.05",
        refuseWith,
      });
      await proxy.start();
      const provider = rpcProvider(proxy.url, 31337n, { logs: { maxRange: 2_000 } });
      try {
        const logs = await provider.getLogs({ fromBlock: 0, toBlock: "latest" });
        expect(logs.map((l) => l.blockNumber)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i * 1_000));
        expect(proxy.counters.rangeRefusals).to.be.greaterThan(0);
        expect(proxy.counters.rateLimited).to.be.greaterThan(0);
        expect(proxy.counters.largestAcceptedSpan).to.equal(1_000);
        expect(provider.logReader.range).to.equal(1_000);
      } finally {
        provider.destroy();
        await proxy.stop();
      }
    });
  }

  it("refuses other URL schemes with a typed error", function () {
    for (const u of ["ws://127.0.0.1:8545", "wss://x.example/v2/KEY", "ftp://x"]) {
      expect(() => checkRpcUrl(u))
        .to.throw()
        .with.property("code", "RPC_URL_UNSUPPORTED");
    }
    expect(() => checkRpcUrl("not a url"))
      .to.throw()
      .with.property("code", "RPC_URL_INVALID");
  });
});
