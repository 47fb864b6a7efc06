/**
 * The explorer's database (node:sqlite, WAL), bound to one chain id and one coordinator. Every indexed row
 * carries the block it came from, so a reorg rolls back with one DELETE per table above the common ancestor.
 * - meta: chain id and coordinator the file belongs to (opening it for another chain is refused);
 * - cursor: the last indexed block and its hash; blocks: recent block hashes (reorg detection) and times;
 * - events: every decoded event of the protocol's contracts, with the ids it concerns (request/dispute id,
 *   operator, model hash) and its arguments as JSON (uint256 as decimal strings);
 * - requests: one row per RequestCreated, completed by its draw (OperatorsAssigned: seed, ticket, block, tx and
 *   sender of `assign`); its ticket follows TicketRenewed; assignments: one row per drawn operator, at the
 *   draw's block (a request waiting for its draw has none).
 * The file is a cache of the chain: a file written by an older schema is emptied and indexed again.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ExplorerError } from "./errors.js";

export type Row = Record<string, SQLInputValue>;

/** Bumped whenever a table changes: an older file's tables are dropped and the chain indexed again. */
const SCHEMA_VERSION = "2";

const META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 0), block INTEGER NOT NULL, hash TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, time INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS events (
  block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL, time INTEGER NOT NULL,
  source TEXT NOT NULL, name TEXT NOT NULL, request_id TEXT, operator TEXT, model_hash TEXT, args TEXT NOT NULL,
  PRIMARY KEY (block, log_index)
) STRICT;
CREATE INDEX IF NOT EXISTS events_request ON events (request_id, block, log_index) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_operator ON events (operator, name) WHERE operator IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_name ON events (name, block);
CREATE INDEX IF NOT EXISTS events_tx ON events (tx);
CREATE INDEX IF NOT EXISTS events_model ON events (model_hash) WHERE model_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, num INTEGER NOT NULL, block INTEGER NOT NULL, time INTEGER NOT NULL, tx TEXT NOT NULL,
  requester TEXT NOT NULL, model_hash TEXT NOT NULL, k INTEGER NOT NULL, fee_per_operator TEXT NOT NULL,
  input_hash TEXT NOT NULL, created_ticket TEXT NOT NULL, ticket TEXT NOT NULL, seed TEXT NOT NULL DEFAULT '0',
  assigned_block INTEGER, assigned_time INTEGER, assigned_tx TEXT, assigned_by TEXT,
  status TEXT NOT NULL DEFAULT 'Requested'
) STRICT;
CREATE INDEX IF NOT EXISTS requests_num ON requests (num);
CREATE INDEX IF NOT EXISTS requests_model ON requests (model_hash);
CREATE INDEX IF NOT EXISTS requests_time ON requests (time);
CREATE INDEX IF NOT EXISTS requests_block ON requests (block);
CREATE INDEX IF NOT EXISTS requests_assigned_block ON requests (assigned_block) WHERE assigned_block IS NOT NULL;
CREATE TABLE IF NOT EXISTS assignments (
  request_id TEXT NOT NULL, idx INTEGER NOT NULL, operator TEXT NOT NULL, block INTEGER NOT NULL,
  PRIMARY KEY (request_id, idx)
) STRICT;
CREATE INDEX IF NOT EXISTS assignments_operator ON assignments (operator);
CREATE INDEX IF NOT EXISTS assignments_block ON assignments (block);`;

/**
 * The `fields` of a row, each read from its snake_case column (after `prefix`) as the STRICT table holds it:
 * TEXT a string, INTEGER a number, NULL null.
 */
export function fieldsOf<T>(r: Row, fields: readonly (keyof T & string)[], prefix = ""): T {
  const column = (f: string): string => prefix + f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return Object.fromEntries(fields.map((f) => [f, r[column(f)]])) as T;
}

/** Status each coordinator event moves a request to (the request row's `status`, rebuilt on rollback). */
export const STATUS_OF_EVENT: Readonly<Record<string, string>> = {
  OperatorsAssigned: "Assigned",
  AnswersComplete: "Answered",
  AnswersDisagree: "Disputed",
  RequestDisputed: "Disputed",
  RequestFinalized: "Finalized",
  RequestRejected: "Rejected",
  RequestExpired: "Expired",
  RequestCorrected: "Corrected",
  RequestUnserved: "Unserved",
};

export interface EventRow {
  block: number;
  logIndex: number;
  tx: string;
  time: number;
  source: string;
  name: string;
  requestId: string | null;
  operator: string | null;
  modelHash: string | null;
  args: string;
}

export interface RequestRow {
  requestId: string;
  num: number;
  block: number;
  time: number;
  tx: string;
  requester: string;
  modelHash: string;
  k: number;
  feePerOperator: string;
  inputHash: string;
  /** The randomness ticket taken at creation. */
  ticket: string;
}

/** A request's draw (OperatorsAssigned) and who sent the `assign` that made it. */
export interface AssignmentRow {
  requestId: string;
  operators: string[];
  ticket: string;
  seed: string;
  block: number;
  time: number;
  tx: string;
  by: string;
}

export class ExplorerDb {
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating) the database; refuses a file bound to another chain or coordinator. */
  static open(file: string, binding: { chainId: bigint; coordinator: string }): ExplorerDb {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const raw = new DatabaseSync(file);
    raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    raw.exec(META);
    const version = raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as Row | undefined;
    if (version === undefined || String(version["value"]) !== SCHEMA_VERSION) {
      raw.exec(
        "DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS requests; DROP TABLE IF EXISTS assignments; " +
          "DROP TABLE IF EXISTS blocks; DROP TABLE IF EXISTS cursor;",
      );
      raw.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    }
    raw.exec(SCHEMA);
    const db = new ExplorerDb(raw);
    const want = { chainId: binding.chainId.toString(), coordinator: binding.coordinator.toLowerCase() };
    for (const [k, v] of Object.entries(want)) {
      const have = db.#stmt("SELECT value FROM meta WHERE key = ?").get(k) as Row | undefined;
      if (have === undefined) db.#stmt("INSERT INTO meta (key, value) VALUES (?, ?)").run(k, v);
      else if (String(have["value"]) !== v) {
        raw.close();
        throw new ExplorerError(
          "DB_BOUND_ELSEWHERE",
          `${file} indexes ${k} ${String(have["value"])}, not ${v}: use another VERDICT_EXPLORER_DB`,
        );
      }
    }
    return db;
  }

  close(): void {
    this.#stmts.clear();
    this.#db.close();
  }

  #stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  /** Runs a read query (cached statement). */
  all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  /** One write transaction (one commit). */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  cursor(): { block: number; hash: string } | undefined {
    const r = this.get("SELECT block, hash FROM cursor WHERE id = 0");
    return r === undefined ? undefined : { block: Number(r["block"]), hash: String(r["hash"]) };
  }

  setCursor(block: number, hash: string): void {
    this.#stmt("INSERT OR REPLACE INTO cursor (id, block, hash) VALUES (0, ?, ?)").run(
      block,
      hash.toLowerCase(),
    );
  }

  putBlock(number: number, hash: string, time: number): void {
    this.#stmt("INSERT OR REPLACE INTO blocks (number, hash, time) VALUES (?, ?, ?)").run(
      number,
      hash.toLowerCase(),
      time,
    );
  }

  blockHash(number: number): string | undefined {
    const r = this.get("SELECT hash FROM blocks WHERE number = ?", number);
    return r === undefined ? undefined : String(r["hash"]);
  }

  /** Drops block hashes older than `below` (times of blocks with events are kept with the events). */
  pruneBlocks(below: number): void {
    this.#stmt("DELETE FROM blocks WHERE number < ?").run(below);
  }

  putEvent(e: EventRow): void {
    this.#stmt(
      "INSERT OR REPLACE INTO events (block, log_index, tx, time, source, name, request_id, operator, model_hash, args) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(e.block, e.logIndex, e.tx, e.time, e.source, e.name, e.requestId, e.operator, e.modelHash, e.args);
    const status = e.source === "coordinator" && e.requestId !== null ? STATUS_OF_EVENT[e.name] : undefined;
    if (status !== undefined)
      this.#stmt("UPDATE requests SET status = ? WHERE request_id = ?").run(status, e.requestId);
  }

  putRequest(r: RequestRow): void {
    this.#stmt(
      "INSERT OR REPLACE INTO requests (request_id, num, block, time, tx, requester, model_hash, k, fee_per_operator, input_hash, created_ticket, ticket) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      r.requestId,
      r.num,
      r.block,
      r.time,
      r.tx,
      r.requester,
      r.modelHash,
      r.k,
      r.feePerOperator,
      r.inputHash,
      r.ticket,
      r.ticket,
    );
  }

  /** Records a request's draw: its operators, seed and ticket, and the `assign` transaction that made it. */
  putAssignment(a: AssignmentRow): void {
    this.#stmt(
      "UPDATE requests SET seed = ?, ticket = ?, assigned_block = ?, assigned_time = ?, assigned_tx = ?, assigned_by = ? WHERE request_id = ?",
    ).run(a.seed, a.ticket, a.block, a.time, a.tx.toLowerCase(), a.by.toLowerCase(), a.requestId);
    const ins = this.#stmt(
      "INSERT OR REPLACE INTO assignments (request_id, idx, operator, block) VALUES (?, ?, ?, ?)",
    );
    a.operators.forEach((op, i) => ins.run(a.requestId, i, op.toLowerCase(), a.block));
  }

  /** A stale ticket replaced (TicketRenewed). */
  renewTicket(requestId: string, ticket: string): void {
    this.#stmt("UPDATE requests SET ticket = ? WHERE request_id = ?").run(ticket, requestId);
  }

  /**
   * Reorg rollback: forgets everything indexed above `block`, re-derives the status of the requests whose
   * events were dropped, and moves the cursor to (`block`, `hash`). One transaction.
   */
  rollbackTo(block: number, hash: string): void {
    this.transaction(() => {
      const touched = this.all(
        "SELECT DISTINCT request_id FROM events WHERE block > ? AND request_id IS NOT NULL",
        block,
      ).map((r) => String(r["request_id"]));
      for (const t of ["events", "requests", "assignments"])
        this.#stmt(`DELETE FROM ${t} WHERE block > ?`).run(block);
      // Draws above the ancestor are undone: the request waits for its draw again.
      this.#stmt(
        "UPDATE requests SET seed = '0', assigned_block = NULL, assigned_time = NULL, assigned_tx = NULL, assigned_by = NULL WHERE assigned_block > ?",
      ).run(block);
      this.#stmt("DELETE FROM blocks WHERE number > ?").run(block);
      const names = Object.keys(STATUS_OF_EVENT);
      const last = this.#stmt(
        `SELECT name FROM events WHERE request_id = ? AND source = 'coordinator' AND name IN (${names.map(() => "?").join(",")}) ORDER BY block DESC, log_index DESC LIMIT 1`,
      );
      const set = this.#stmt("UPDATE requests SET status = ? WHERE request_id = ?");
      // The ticket: the last remaining renewal or draw's, else the one taken at creation.
      const lastTicket = this.#stmt(
        "SELECT args FROM events WHERE request_id = ? AND source = 'coordinator' AND name IN ('TicketRenewed', 'OperatorsAssigned') ORDER BY block DESC, log_index DESC LIMIT 1",
      );
      const setTicket = this.#stmt(
        "UPDATE requests SET ticket = coalesce(?, created_ticket) WHERE request_id = ?",
      );
      for (const id of touched) {
        const r = last.get(id, ...names) as Row | undefined;
        set.run(r === undefined ? "Requested" : (STATUS_OF_EVENT[String(r["name"])] ?? "Requested"), id);
        const t = lastTicket.get(id) as Row | undefined;
        const ticket =
          t === undefined ? undefined : (JSON.parse(String(t["args"])) as { ticket?: unknown }).ticket;
        setTicket.run(ticket === undefined ? null : String(ticket), id);
      }
      this.setCursor(block, hash);
    });
  }
}
