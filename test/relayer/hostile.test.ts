/**
 * Hostile chain input against the relayer's chain follower (relayer/chain/sync.ts), through a fake JSON-RPC
 * server on 127.0.0.1: garbage responses, duplicate and out-of-order events, and reorgs deeper than the
 * confirmation depth and deeper than the blocks the relayer keeps. Each ends in a thrown error with the
 * cursor and the job queue untouched, or in the right set of jobs once the chain is sane again.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { hexlify, keccak256, toBeHex } from "ethers";
import { pino } from "pino";
import { coordinatorInterface, encodeCreatedPayload } from "../../sdk/requests.js";
import { makeProvider } from "../../relayer/chain/index.js";
import { ChainDb } from "../../relayer/db/requests.js";
import { ChainSync } from "../../relayer/chain/sync.js";
import { RelayerMetrics } from "../../relayer/metrics.js";
import { RelayerDb } from "../../relayer/db/jobs.js";

const CHAIN_ID = 31337n;
const COORDINATOR = "0x" + "c0".repeat(20);
const OPERATOR = "0x" + "0a".repeat(20);
const OTHER = "0x" + "0b".repeat(20);
const MODEL = keccak256(new TextEncoder().encode("model"));

interface FakeLog {
  block: number;
  requestId: bigint;
  operators: string[];
  inputByte: number;
  /** Hash + URI input with these raw URI bytes (any bytes: the contract accepts them). */
  uri?: Uint8Array;
}

type Mode =
  | "ok"
  | "not-json"
  | "http-500"
  | "null-head"
  | "bad-hash"
  | "wrong-shape"
  | "rpc-error"
  | "truncated-log"
  | "junk-log-data";

/** A programmable chain: `fork` names the branch, so a reorg is a new fork id above some height. */
class FakeChain {
  head = 0;
  mode: Mode = "ok";
  /** Blocks at or above `forkFrom` hash with `fork`; below, with 0. */
  fork = 0;
  forkFrom = Number.MAX_SAFE_INTEGER;
  logs: FakeLog[] = [];
  /** Served order of eth_getLogs results (a hostile node may reorder or duplicate). */
  order: "asc" | "desc" = "asc";
  duplicate = false;
  calls = 0;

  hashOf(n: number): string {
    const f = n >= this.forkFrom ? this.fork : 0;
    return keccak256(new TextEncoder().encode(`block-${n}-fork-${f}`));
  }

  block(n: number): Record<string, unknown> {
    return {
      number: toBeHex(n),
      hash: this.hashOf(n),
      parentHash: n === 0 ? "0x" + "00".repeat(32) : this.hashOf(n - 1),
      timestamp: toBeHex(1_700_000_000 + n * 12),
      nonce: "0x0000000000000000",
      difficulty: "0x0",
      gasLimit: toBeHex(30_000_000),
      gasUsed: "0x0",
      miner: "0x" + "00".repeat(20),
      extraData: "0x",
      baseFeePerGas: "0x1",
      transactions: [],
    };
  }

  /** The request's `RequestCreated` and, in the same block, its draw (`OperatorsAssigned`, issue 16). */
  encodeLogs(l: FakeLog, logIndex: number): Record<string, unknown>[] {
    const created = this.encodeLog(l, 2 * logIndex);
    const ev = coordinatorInterface.getEvent("OperatorsAssigned")!;
    const enc = coordinatorInterface.encodeEventLog(ev, [
      l.requestId,
      l.operators,
      l.block,
      keccak256("0x01"),
    ]);
    return [created, { ...created, data: enc.data, topics: enc.topics, logIndex: toBeHex(2 * logIndex + 1) }];
  }

  encodeLog(l: FakeLog, logIndex: number): Record<string, unknown> {
    const requester = "0x" + "11".repeat(20);
    const packed = encodeCreatedPayload({
      request: {
        requester,
        callback: "0x" + "00".repeat(20),
        modelHash: MODEL,
        inputHash: keccak256(Uint8Array.of(l.inputByte)),
        feePerOperator: 10n ** 18n,
        deadline: BigInt(1_700_000_000 + l.block * 12 + 600),
        tolerance: 0n,
        disputeWindow: 60n,
        callbackGasLimit: 0n,
        royaltyBps: 500n,
        treasuryBps: 500n,
        redundancy: BigInt(l.operators.length),
        finality: 0n,
        operators: l.operators,
      },
      input: l.uri === undefined ? hexlify(Uint8Array.of(l.inputByte)) : "0x",
      inputURI: l.uri === undefined ? "" : "x",
      ticket: BigInt(l.block),
    });
    // The URI is the payload's tail: swap in the raw bytes (the SDK's encoder only writes UTF-8).
    const payload = l.uri === undefined ? packed : packed.slice(0, -2) + hexlify(l.uri).slice(2);
    const ev = coordinatorInterface.getEvent("RequestCreated")!;
    const encoded = coordinatorInterface.encodeEventLog(ev, [l.requestId, requester, MODEL, payload]);
    return {
      address: COORDINATOR,
      blockHash: this.hashOf(l.block),
      blockNumber: toBeHex(l.block),
      data: encoded.data,
      logIndex: toBeHex(logIndex),
      removed: false,
      topics: encoded.topics,
      transactionHash: keccak256(new TextEncoder().encode(`tx-${l.requestId}-${l.block}-${this.fork}`)),
      transactionIndex: "0x0",
    };
  }

  handle(method: string, params: unknown[]): unknown {
    if (method === "eth_chainId") return toBeHex(CHAIN_ID);
    if (method === "eth_blockNumber") return toBeHex(this.head);
    if (method === "eth_getBlockByNumber") {
      const tag = String(params[0]);
      const n = tag === "latest" ? this.head : Number(BigInt(tag));
      if (n > this.head) return null;
      if (this.mode === "null-head") return null;
      const b = this.block(n);
      if (this.mode === "bad-hash") return { ...b, hash: "0xzz" };
      if (this.mode === "wrong-shape") return { ...b, number: "seven", timestamp: [] };
      return b;
    }
    if (method === "eth_getLogs") {
      const f = params[0] as { fromBlock: string; toBlock: string };
      const from = Number(BigInt(f.fromBlock));
      const to = Number(BigInt(f.toBlock));
      let out = this.logs
        .filter((l) => l.block >= from && l.block <= to && (l.block < this.forkFrom || true))
        .flatMap((l, i) => this.encodeLogs(l, i));
      if (this.order === "desc") out = out.reverse();
      if (this.duplicate) out = [...out, ...out];
      if (this.mode === "truncated-log")
        return out.map((l) => ({ ...l, data: String(l["data"]).slice(0, 70) }));
      if (this.mode === "junk-log-data") return out.map((l) => ({ ...l, data: "0x" + "ff".repeat(64 * 12) }));
      return out;
    }
    throw new Error(`unexpected ${method}`);
  }
}

async function serve(chain: FakeChain): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      chain.calls++;
      if (chain.mode === "http-500") {
        res.writeHead(500).end("internal error");
        return;
      }
      if (chain.mode === "not-json") {
        res.writeHead(200, { "content-type": "application/json" }).end("<html>definitely not json");
        return;
      }
      const msg = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      if (chain.mode === "rpc-error" && msg.method !== "eth_chainId") {
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: msg.id,
            error: { code: -32000, message: "header not found" },
          }),
        );
        return;
      }
      let result: unknown;
      try {
        result = chain.handle(msg.method, msg.params);
      } catch (e) {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: String(e) } }));
        return;
      }
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("Hostile: relayer chain follower against a lying RPC endpoint", function () {
  let dir: string;
  let chain: FakeChain;
  let server: Server;
  let db: RelayerDb;
  let chainDb: ChainDb;
  let sync: ChainSync;

  beforeEach(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-hostile-"));
    chain = new FakeChain();
    const s = await serve(chain);
    server = s.server;
    db = RelayerDb.open(path.join(dir, "relayer.db"));
    chainDb = ChainDb.open(path.join(dir, "chain.db"));
    sync = new ChainSync({
      provider: makeProvider(s.url, CHAIN_ID),
      db,
      chainDb,
      metrics: new RelayerMetrics({ defaultMetrics: false }),
      logger: pino({ level: "silent" }),
      coordinator: COORDINATOR,
      operator: OPERATOR,
      confirmations: 2,
      startBlock: 0,
      maxRange: 5,
      reorgDepth: 8,
    });
  });

  afterEach(async function () {
    db.close();
    chainDb.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const jobIds = (): string[] =>
    db
      .jobsIn("pending")
      .map((j) => j.requestId.toString())
      .sort();

  it("every kind of garbage fails the poll and leaves the cursor and the job queue untouched", async function () {
    chain.head = 10;
    chain.logs = [{ block: 3, requestId: 1n, operators: [OPERATOR], inputByte: 1 }];
    await sync.poll();
    expect(jobIds()).to.deep.equal(["1"]);
    const cursor = db.getCursor();
    chain.logs.push({ block: 11, requestId: 2n, operators: [OPERATOR], inputByte: 2 });
    chain.head = 20;
    for (const mode of [
      "not-json",
      "http-500",
      "null-head",
      "bad-hash",
      "wrong-shape",
      "rpc-error",
    ] as const) {
      chain.mode = mode;
      let failed = false;
      try {
        await sync.poll();
      } catch (e) {
        failed = true;
        expect(e, mode).to.be.instanceOf(Error);
      }
      expect(failed, `${mode} should fail the poll`).to.equal(true);
      expect(db.getCursor(), mode).to.deep.equal(cursor);
      expect(jobIds(), mode).to.deep.equal(["1"]);
    }
    chain.mode = "ok";
    await sync.poll();
    expect(jobIds()).to.deep.equal(["1", "2"]);
    expect(db.getCursor()!.blockNumber).to.equal(18);
  });

  it("a coordinator log whose data does not decode makes no job and no crash", async function () {
    // Finding (relayer): an undecodable RequestCreated from the coordinator's address is skipped and the
    // cursor moves past it (parseCoordinatorLog returns null). A real node never serves one; a lying node
    // can therefore hide a request from this operator (it then misses the deadline), which it could do as
    // well by omitting the log. Operators should use a node they trust or a quorum of nodes.
    for (const mode of ["truncated-log", "junk-log-data"] as const) {
      chain.mode = mode;
      chain.head += 10;
      chain.logs.push({
        block: chain.head - 5,
        requestId: BigInt(chain.head),
        operators: [OPERATOR],
        inputByte: 1,
      });
      await sync.poll();
      expect(jobIds(), mode).to.deep.equal([]);
      expect(db.getCursor()!.blockNumber, mode).to.equal(chain.head - 2);
    }
  });

  it("duplicate and out-of-order events make one job each; others' requests make none", async function () {
    chain.head = 30;
    chain.duplicate = true;
    chain.order = "desc";
    chain.logs = [
      { block: 4, requestId: 3n, operators: [OPERATOR], inputByte: 3 },
      { block: 4, requestId: 4n, operators: [OTHER], inputByte: 4 },
      { block: 9, requestId: 5n, operators: [OTHER, OPERATOR], inputByte: 5 },
      { block: 2, requestId: 6n, operators: [OPERATOR], inputByte: 6 },
    ];
    const r = await sync.poll();
    expect(jobIds()).to.deep.equal(["3", "5", "6"]);
    expect(r.newJobs).to.equal(3);
    // A node that serves the same range again (e.g. after a rewind) adds nothing.
    db.rewindTo({ blockNumber: 1, blockHash: chain.hashOf(1) });
    const again = await sync.poll();
    expect(again.newJobs).to.equal(0);
    expect(jobIds()).to.deep.equal(["3", "5", "6"]);
  });

  it("a reorg deeper than the confirmation depth rewinds to the common ancestor and picks up the new branch", async function () {
    chain.head = 20;
    chain.logs = [{ block: 16, requestId: 7n, operators: [OPERATOR], inputByte: 7 }];
    await sync.poll();
    expect(db.getCursor()!.blockNumber).to.equal(18);
    // Blocks ≥ 15 are replaced (6 deep: more than the 2 confirmations); the request moves to block 17.
    chain.fork = 1;
    chain.forkFrom = 15;
    chain.logs = [{ block: 17, requestId: 8n, operators: [OPERATOR], inputByte: 8 }];
    chain.head = 22;
    await sync.poll();
    expect(db.getCursor()!.blockNumber).to.equal(20);
    expect(db.getCursor()!.blockHash).to.equal(chain.hashOf(20).toLowerCase());
    expect(jobIds()).to.include("8");
    expect(chainDb.getRequest(8n)?.blockNumber).to.equal(17);
  });

  it("a reorg deeper than every stored block triggers a full rescan from the start block", async function () {
    chain.head = 40;
    chain.logs = [{ block: 5, requestId: 9n, operators: [OPERATOR], inputByte: 9 }];
    await sync.poll();
    expect(db.getCursor()!.blockNumber).to.equal(38);
    chain.fork = 2;
    chain.forkFrom = 1; // everything but genesis replaced: deeper than reorgDepth (8)
    chain.logs = [{ block: 6, requestId: 10n, operators: [OPERATOR], inputByte: 10 }];
    await sync.poll();
    expect(db.getCursor()!.blockHash).to.equal(chain.hashOf(38).toLowerCase());
    expect(jobIds()).to.include("10");
  });

  // Was a bug: jobs survived the rewind, addJob saw the same id with another input (JOB_CONFLICT) and every
  // later poll failed. A rewind now forgets unsubmitted jobs first seen above the common ancestor.
  it("a reorg that re-creates a request id with another input does not wedge the follower", async function () {
    chain.head = 20;
    chain.logs = [{ block: 16, requestId: 11n, operators: [OPERATOR], inputByte: 11 }];
    await sync.poll();
    chain.fork = 3;
    chain.forkFrom = 15;
    chain.logs = [{ block: 16, requestId: 11n, operators: [OPERATOR], inputByte: 12 }];
    chain.head = 22;
    await sync.poll();
    expect(db.getJob(11n)?.inputHash).to.equal(keccak256(Uint8Array.of(12)));
  });

  // Issue 20.4: the contract accepts any bytes as the URI; the SDK's strict decoder threw and the event was
  // skipped, so the request expired and its operators were slashed. Every emitted event now makes a job.
  it("a request whose input URI is not valid UTF-8 still makes a job (answered as input unavailable)", async function () {
    chain.head = 12;
    chain.logs = [
      {
        block: 3,
        requestId: 21n,
        operators: [OPERATOR],
        inputByte: 1,
        uri: Uint8Array.of(0x68, 0xff, 0xfe, 0x80),
      },
      { block: 4, requestId: 22n, operators: [OPERATOR], inputByte: 2 },
    ];
    const r = await sync.poll();
    expect(r.newJobs).to.equal(2);
    expect(jobIds()).to.deep.equal(["21", "22"]);
    const stored = chainDb.getRequest(21n)!;
    expect(stored.input.length).to.equal(0);
    expect(stored.inputURI).to.include("\ufffd");
  });

  // Issue 20.6: an id re-created without a detected reorg (a node that rewrote history below our cursor,
  // or a reused data directory) used to throw JOB_CONFLICT on every poll, the cursor never moving.
  it("a re-created request id supersedes a job never sent, keeps one already sent, and the cursor moves on", async function () {
    chain.head = 12;
    chain.logs = [
      { block: 3, requestId: 31n, operators: [OPERATOR], inputByte: 1 },
      { block: 3, requestId: 32n, operators: [OPERATOR], inputByte: 2 },
    ];
    await sync.poll();
    db.markComputed(32n, {
      outcome: 0,
      output: Uint8Array.of(1),
      outputHash: keccak256(Uint8Array.of(1)),
      signature: "0x" + "11".repeat(65),
    });
    db.markSubmitted(32n, { txHash: "0x" + "22".repeat(32), nonce: 0 });
    // The same ids come back with other inputs, below and above the cursor, without a reorg signal.
    db.rewindTo({ blockNumber: 2, blockHash: chain.hashOf(2) });
    chain.logs = [
      { block: 3, requestId: 31n, operators: [OPERATOR], inputByte: 9 },
      { block: 3, requestId: 32n, operators: [OPERATOR], inputByte: 8 },
      { block: 5, requestId: 33n, operators: [OPERATOR], inputByte: 3 },
    ];
    chain.head = 14;
    await sync.poll();
    expect(db.getCursor()!.blockNumber).to.equal(12);
    expect(db.getJob(31n)?.inputHash).to.equal(keccak256(Uint8Array.of(9)));
    expect(db.getJob(31n)?.state).to.equal("pending");
    expect(db.getJob(32n)?.state).to.equal("submitted");
    expect(db.getJob(32n)?.inputHash).to.equal(keccak256(Uint8Array.of(2)));
    expect(db.getJob(33n)?.state).to.equal("pending");
    // chain.db holds the re-created request (the one the superseding job computes and answers).
    expect(chainDb.getRequest(31n)?.request.inputHash).to.equal(keccak256(Uint8Array.of(9)));
  });

  it("the database refuses another chain or coordinator with a typed error", function () {
    db.bindChain(CHAIN_ID, COORDINATOR);
    db.bindChain(CHAIN_ID, COORDINATOR.toUpperCase().replace("0X", "0x"));
    for (const [id, c] of [
      [1n, COORDINATOR],
      [CHAIN_ID, "0x" + "c1".repeat(20)],
    ] as const) {
      let code = "";
      try {
        db.bindChain(id, c);
      } catch (e) {
        code = (e as { code: string }).code;
      }
      expect(code).to.equal("DB_CHAIN_MISMATCH");
    }
    // The binding survives a restart.
    const file = db.file;
    db.close();
    db = RelayerDb.open(file);
    expect(() => db.bindChain(CHAIN_ID, "0x" + "c1".repeat(20))).to.throw(/belongs to/);
  });
});
