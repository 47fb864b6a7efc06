/**
 * The chain layer's own durable state, next to the job store (`<data dir>/chain.db`, opened through
 * relayer/db/sqlite.ts: WAL, synchronous=NORMAL, durable across process crashes, see docs/operations.md;
 * bound to one (chain id, coordinator) in its `chain_binding` table). The job store (relayer/db/jobs.ts) holds the job state machine; this file holds
 * what the chain layer must pass back to the coordinator or re-send after a crash:
 * - requests: the committed `Request` of every job (every later call passes it back in calldata), the
 *   inline input or its URI, our operator index and the request's block time (latency metric);
 * - txs: every signed answer transaction, raw, written BEFORE it is broadcast, so a restart re-sends the
 *   very same transaction (same nonce, same signed answers) instead of building a new one;
 * - watch: answers of other operators picked for re-execution (watchtower) and their verdicts;
 * - dispute_candidates: disagreements found by the watchtower (the dispute module files them);
 * - unassigned: created requests whose operators are not drawn yet (issue 16), so that a restart still sends
 *   their `assign` (assigner.ts) and completes them when their `OperatorsAssigned` arrives.
 */
import type { CommittedRequest, CreatedRequest } from "../../sdk/requests.js";
import { SqliteStore, idKey as key, openSqlite, type ChainBinding, type Row } from "./sqlite.js";

export interface StoredRequest {
  requestId: bigint;
  /** Our index among the request's operators, or -1 for a request we only watch. */
  index: number;
  blockNumber: number;
  /** Unix seconds of the request's block. */
  blockTime: number;
  request: CommittedRequest;
  /** Inline input bytes (empty when the input travels by hash + URI). */
  input: Uint8Array;
  inputURI: string;
}

export interface StoredTx {
  hash: string;
  nonce: number;
  raw: string;
  requestIds: bigint[];
  sentAt: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface DisputeCandidate {
  requestId: bigint;
  index: number;
  operator: string;
  theirOutputHash: string;
  ourOutputHash: string;
  detail: string;
  createdAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, idx INTEGER NOT NULL, block_number INTEGER NOT NULL,
  block_time INTEGER NOT NULL, request TEXT NOT NULL, input BLOB NOT NULL, input_uri TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS txs (
  hash TEXT PRIMARY KEY, nonce INTEGER NOT NULL, raw TEXT NOT NULL, request_ids TEXT NOT NULL,
  sent_at INTEGER NOT NULL, max_fee TEXT NOT NULL, max_priority TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tx_requests (
  request_id TEXT NOT NULL, hash TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (request_id, hash)
) STRICT;
CREATE TABLE IF NOT EXISTS watch (
  request_id TEXT NOT NULL, idx INTEGER NOT NULL, operator TEXT NOT NULL, output_hash TEXT NOT NULL,
  outcome INTEGER NOT NULL, output BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
  PRIMARY KEY (request_id, idx)
) STRICT;
CREATE TABLE IF NOT EXISTS dispute_candidates (
  request_id TEXT NOT NULL, idx INTEGER NOT NULL, operator TEXT NOT NULL, their_hash TEXT NOT NULL,
  our_hash TEXT NOT NULL, detail TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (request_id, idx)
) STRICT;
CREATE TABLE IF NOT EXISTS unassigned (
  request_id TEXT PRIMARY KEY, block_number INTEGER NOT NULL, created TEXT NOT NULL
) STRICT;`;

/** JSON with bigints kept (written as "123n"): how requests are stored. */
function toJson(value: CommittedRequest | CreatedRequest): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v.toString()}n` : v));
}

function fromJson<T extends CommittedRequest | CreatedRequest>(s: string): T {
  return JSON.parse(s, (_k, v: unknown) =>
    typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as T;
}

export interface WatchItem {
  requestId: bigint;
  index: number;
  operator: string;
  outputHash: string;
  outcome: number;
  output: Uint8Array;
}

export class ChainDb extends SqliteStore {
  protected readonly bindingTable = "chain_binding";

  /**
   * Opens (creating if needed) chain.db at `file`; with `binding`, refuses (DB_CHAIN_MISMATCH) a database
   * that belongs to another chain or coordinator.
   */
  static open(file: string, binding?: ChainBinding): ChainDb {
    return new ChainDb(file, openSqlite(file, "NORMAL", SCHEMA)).bindOrClose(binding);
  }

  /** Records a request (idempotent: the first record wins; requests are immutable chain facts). */
  putRequest(r: StoredRequest): void {
    this.stmt(
      "INSERT OR REPLACE INTO requests (request_id, idx, block_number, block_time, request, input, input_uri) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(key(r.requestId), r.index, r.blockNumber, r.blockTime, toJson(r.request), r.input, r.inputURI);
  }

  getRequest(id: bigint): StoredRequest | undefined {
    const r = this.stmt("SELECT * FROM requests WHERE request_id = ?").get(key(id)) as Row | undefined;
    if (r === undefined) return undefined;
    return {
      requestId: id,
      index: Number(r["idx"]),
      blockNumber: Number(r["block_number"]),
      blockTime: Number(r["block_time"]),
      request: fromJson<CommittedRequest>(String(r["request"])),
      input: new Uint8Array(r["input"] as Uint8Array),
      inputURI: String(r["input_uri"]),
    };
  }

  /** Forgets requests first seen above `block` (reorg rewind; the rescan records them again). */
  forgetRequestsAbove(block: number): number {
    this.stmt("DELETE FROM unassigned WHERE block_number > ?").run(block);
    return Number(this.stmt("DELETE FROM requests WHERE block_number > ?").run(block).changes);
  }

  /** Records (or updates: a renewed ticket) a created request whose operators are not drawn yet. */
  putUnassigned(c: CreatedRequest): void {
    this.stmt("INSERT OR REPLACE INTO unassigned (request_id, block_number, created) VALUES (?, ?, ?)").run(
      key(c.requestId),
      c.blockNumber,
      toJson(c),
    );
  }

  /** Forgets a request from the unassigned set (drawn, or past its deadline). */
  deleteUnassigned(id: bigint): void {
    this.stmt("DELETE FROM unassigned WHERE request_id = ?").run(key(id));
  }

  /** Every request still waiting for its draw, oldest first. */
  unassigned(): CreatedRequest[] {
    return (this.stmt("SELECT created FROM unassigned ORDER BY block_number, request_id").all() as Row[]).map(
      (r) => fromJson<CreatedRequest>(String(r["created"])),
    );
  }

  /** Records a signed transaction and the requests it answers, atomically. */
  putTx(tx: StoredTx): void {
    this.batch(() => {
      const ins = this.stmt("INSERT OR IGNORE INTO tx_requests (request_id, hash, sent_at) VALUES (?, ?, ?)");
      for (const id of tx.requestIds) ins.run(key(id), tx.hash.toLowerCase(), tx.sentAt);
      this.#putTx(tx);
    });
  }

  /** The most recent transaction that carried an answer to request `id`. */
  latestTxFor(id: bigint): StoredTx | undefined {
    const r = this.stmt(
      "SELECT hash FROM tx_requests WHERE request_id = ? ORDER BY sent_at DESC LIMIT 1",
    ).get(key(id)) as Row | undefined;
    return r === undefined ? undefined : this.getTx(String(r["hash"]));
  }

  #putTx(tx: StoredTx): void {
    this.stmt(
      "INSERT OR REPLACE INTO txs (hash, nonce, raw, request_ids, sent_at, max_fee, max_priority) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      tx.hash.toLowerCase(),
      tx.nonce,
      tx.raw,
      JSON.stringify(tx.requestIds.map(String)),
      tx.sentAt,
      tx.maxFeePerGas.toString(),
      tx.maxPriorityFeePerGas.toString(),
    );
  }

  getTx(hash: string): StoredTx | undefined {
    const r = this.stmt("SELECT * FROM txs WHERE hash = ?").get(hash.toLowerCase()) as Row | undefined;
    if (r === undefined) return undefined;
    return {
      hash: String(r["hash"]),
      nonce: Number(r["nonce"]),
      raw: String(r["raw"]),
      requestIds: (JSON.parse(String(r["request_ids"])) as string[]).map((s) => BigInt(s)),
      sentAt: Number(r["sent_at"]),
      maxFeePerGas: BigInt(String(r["max_fee"])),
      maxPriorityFeePerGas: BigInt(String(r["max_priority"])),
    };
  }

  /** Forgets a transaction that was never accepted (and which requests it carried), atomically. */
  deleteTx(hash: string): void {
    this.batch(() => {
      this.stmt("DELETE FROM tx_requests WHERE hash = ?").run(hash.toLowerCase());
      this.stmt("DELETE FROM txs WHERE hash = ?").run(hash.toLowerCase());
    });
  }

  /** Deletes transactions older than `before` ms (housekeeping; their jobs are final by then). */
  pruneTxs(before: number): void {
    this.stmt("DELETE FROM txs WHERE sent_at < ?").run(before);
  }

  addWatch(w: WatchItem): void {
    this.stmt(
      "INSERT OR IGNORE INTO watch (request_id, idx, operator, output_hash, outcome, output) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(key(w.requestId), w.index, w.operator, w.outputHash, w.outcome, w.output);
  }

  pendingWatch(limit = 20): WatchItem[] {
    return (this.stmt("SELECT * FROM watch WHERE state = 'pending' LIMIT ?").all(limit) as Row[]).map(
      (r) => ({
        requestId: BigInt(String(r["request_id"])),
        index: Number(r["idx"]),
        operator: String(r["operator"]),
        outputHash: String(r["output_hash"]),
        outcome: Number(r["outcome"]),
        output: new Uint8Array(r["output"] as Uint8Array),
      }),
    );
  }

  finishWatch(id: bigint, index: number, state: "agree" | "disagree" | "skipped"): void {
    this.stmt("UPDATE watch SET state = ? WHERE request_id = ? AND idx = ?").run(state, key(id), index);
  }

  addDisputeCandidate(c: DisputeCandidate): void {
    this.stmt(
      "INSERT OR IGNORE INTO dispute_candidates (request_id, idx, operator, their_hash, our_hash, detail, created_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      key(c.requestId),
      c.index,
      c.operator,
      c.theirOutputHash,
      c.ourOutputHash,
      c.detail.slice(0, 500),
      c.createdAt,
    );
  }

  disputeCandidates(): DisputeCandidate[] {
    return (this.stmt("SELECT * FROM dispute_candidates ORDER BY created_at").all() as Row[]).map((r) => ({
      requestId: BigInt(String(r["request_id"])),
      index: Number(r["idx"]),
      operator: String(r["operator"]),
      theirOutputHash: String(r["their_hash"]),
      ourOutputHash: String(r["our_hash"]),
      detail: String(r["detail"]),
      createdAt: Number(r["created_at"]),
    }));
  }
}
