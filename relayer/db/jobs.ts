/**
 * The relayer's job store, `<data dir>/relayer.db` (node:sqlite through relayer/db/sqlite.ts, WAL,
 * synchronous=NORMAL: every commit survives a process crash or SIGKILL; an OS crash or power loss may lose
 * the last commits, which the chain — the source of truth — restores on restart, see docs/operations.md),
 * bound to one (chain id, coordinator) in its `meta` table:
 * - the chain cursor and seen blocks (relayer/db/chain-cursor.ts; they commit together with the jobs),
 * - jobs, one per request id, moving through
 *     pending -> computed -> submitted -> confirmed
 *        \\          \\           \\-> computed (tx lost: resubmit), submitted (replacement)
 *         +----------+-----------+-> dropped
 *
 * Every transition runs in an IMMEDIATE transaction that re-reads the row, so it is atomic and
 * idempotent: repeating a transition with the same payload after a crash is a no-op that returns the
 * stored job; a different payload for the same state is a JOB_CONFLICT; any other move is a
 * JOB_ILLEGAL_TRANSITION. A failed transition leaves the row untouched.
 *
 * Transactions are reentrant: inside `transaction(fn)` (or `batch(fn)`) every transition runs in its
 * own SAVEPOINT, so the state changes of many jobs share one commit while a failing transition still
 * rolls back only itself (the caller may catch its error and go on with the batch).
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { StoreError } from "../errors.js";
import { ChainCursorStore, HASH32_RE } from "./chain-cursor.js";
import { idKey as storeKey, openSqlite, type ChainBinding } from "./sqlite.js";

export type JobState = "pending" | "computed" | "submitted" | "confirmed" | "dropped";
export const JOB_STATES: readonly JobState[] = ["pending", "computed", "submitted", "confirmed", "dropped"];

/** Attestation outcome (docs/protocol.md, relayer/outcomes.ts): 0 RESULT, 1 INVALID_INPUT, 2 CANNOT_SERVE. */
export type Outcome = 0 | 1 | 2;

/**
 * Legal moves (documentation and `isLegalTransition`); each mark* method below enforces its own
 * source states. A transition to the job's current state with the same payload is a no-op.
 */
export const LEGAL_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  pending: ["computed", "dropped"],
  computed: ["submitted", "dropped"],
  submitted: ["submitted", "computed", "confirmed", "dropped"],
  confirmed: [],
  dropped: [],
};

export interface Job {
  requestId: bigint;
  modelHash: string;
  inputHash: string;
  state: JobState;
  /** Block in which the request (or its assignment) was seen. */
  seenBlock: number;
  /** Wall-clock ms when first seen (latency metric start). */
  seenAt: number;
  outcome: Outcome | undefined;
  /** RESULT: the VTN1 output bytes; INVALID_INPUT: the 32-byte reason code. */
  output: Uint8Array | undefined;
  outputHash: string | undefined;
  signature: string | undefined;
  txHash: string | undefined;
  nonce: number | undefined;
  /** Submissions made (replacements and resubmissions included). */
  attempts: number;
  /** Times computing this job was started (persisted before each start: a job that crashes the
   * process cannot crash-loop it). */
  computeStarts: number;
  /** Wall-clock ms before which the job is not computed again (0: due). */
  retryAt: number;
  confirmedBlock: number | undefined;
  dropReason: string | undefined;
  updatedAt: number;
}

export interface NewJob {
  requestId: bigint;
  modelHash: string;
  inputHash: string;
  seenBlock: number;
  seenAt?: number;
}

export interface ComputedPayload {
  outcome: Outcome;
  output: Uint8Array;
  outputHash: string;
  signature: string;
}

export interface SubmittedPayload {
  txHash: string;
  nonce: number;
}

export type { Cursor } from "./chain-cursor.js";

/**
 * The columns of the jobs table before and after its `outcome` column, the same in every version of it.
 * Past migrations are built from them: never edit them (add a migration instead).
 */
const JOB_KEY_COLUMNS = `request_id TEXT PRIMARY KEY,
     model_hash TEXT NOT NULL,
     input_hash TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending','computed','submitted','confirmed','dropped')),
     seen_block INTEGER NOT NULL,
     seen_at INTEGER NOT NULL,`;
const JOB_ANSWER_COLUMNS = `output BLOB,
     output_hash TEXT,
     signature TEXT,
     tx_hash TEXT,
     nonce INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     confirmed_block INTEGER,
     drop_reason TEXT,
     updated_at INTEGER NOT NULL`;

/** Schema migrations; index i takes the schema from version i to i + 1. Append only. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE cursor (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     block_number INTEGER NOT NULL CHECK (block_number >= 0),
     block_hash TEXT NOT NULL
   ) STRICT;
   CREATE TABLE blocks (
     number INTEGER PRIMARY KEY CHECK (number >= 0),
     hash TEXT NOT NULL
   ) STRICT;
   CREATE TABLE jobs (
     ${JOB_KEY_COLUMNS}
     outcome INTEGER CHECK (outcome IN (0, 1)),
     ${JOB_ANSWER_COLUMNS}
   ) STRICT;
   CREATE INDEX jobs_state ON jobs (state);`,
  // v2: outcome 2 (CANNOT_SERVE), the persisted compute retry counter, and the chain binding.
  `CREATE TABLE jobs_v2 (
     ${JOB_KEY_COLUMNS}
     outcome INTEGER CHECK (outcome IN (0, 1, 2)),
     ${JOB_ANSWER_COLUMNS},
     compute_starts INTEGER NOT NULL DEFAULT 0,
     retry_at INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   INSERT INTO jobs_v2 (request_id, model_hash, input_hash, state, seen_block, seen_at, outcome, output,
     output_hash, signature, tx_hash, nonce, attempts, confirmed_block, drop_reason, updated_at)
   SELECT request_id, model_hash, input_hash, state, seen_block, seen_at, outcome, output, output_hash,
     signature, tx_hash, nonce, attempts, confirmed_block, drop_reason, updated_at FROM jobs;
   DROP TABLE jobs;
   ALTER TABLE jobs_v2 RENAME TO jobs;
   CREATE INDEX jobs_state ON jobs (state);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Takes the schema at `file` to SCHEMA_VERSION, one migration per transaction. */
function migrate(db: DatabaseSync, file: string): void {
  const version = Number((db.prepare("PRAGMA user_version").get() as Row)["user_version"]);
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "DB_SCHEMA_TOO_NEW",
      `database ${file} has schema v${version}; this relayer knows up to v${SCHEMA_VERSION}`,
      { version, known: SCHEMA_VERSION },
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[v] as string);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }
}

function hash32(label: string, value: string): string {
  const v = value.toLowerCase();
  if (!HASH32_RE.test(v))
    throw new StoreError("JOB_CONFLICT", `${label} must be 32 bytes of 0x-hex`, { label });
  return v;
}

function idKey(requestId: bigint): string {
  if (requestId < 0n || requestId >= 1n << 256n) {
    throw new StoreError("JOB_NOT_FOUND", "request id out of uint256 range", {
      requestId: requestId.toString(),
    });
  }
  return storeKey(requestId);
}

type Row = Record<string, SQLInputValue>;

function rowToJob(r: Row): Job {
  const opt = <T>(v: SQLInputValue | undefined, f: (x: NonNullable<SQLInputValue>) => T): T | undefined =>
    v === null || v === undefined ? undefined : f(v);
  return {
    requestId: BigInt(String(r["request_id"])),
    modelHash: String(r["model_hash"]),
    inputHash: String(r["input_hash"]),
    state: String(r["state"]) as JobState,
    seenBlock: Number(r["seen_block"]),
    seenAt: Number(r["seen_at"]),
    outcome: opt(r["outcome"], (v) => Number(v) as Outcome),
    output: opt(r["output"], (v) => new Uint8Array(v as Uint8Array)),
    outputHash: opt(r["output_hash"], String),
    signature: opt(r["signature"], String),
    txHash: opt(r["tx_hash"], String),
    nonce: opt(r["nonce"], Number),
    attempts: Number(r["attempts"]),
    computeStarts: Number(r["compute_starts"] ?? 0),
    retryAt: Number(r["retry_at"] ?? 0),
    confirmedBlock: opt(r["confirmed_block"], Number),
    dropReason: opt(r["drop_reason"], String),
    updatedAt: Number(r["updated_at"]),
  };
}

/** True when `from -> to` is a move of the job state machine. */
export function isLegalTransition(from: JobState, to: JobState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface OpenOptions {
  /** Clock for timestamps (tests). */
  now?: () => number;
  /** The chain and coordinator this database belongs to (DB_CHAIN_MISMATCH when it belongs to others). */
  binding?: ChainBinding;
}

/** The relayer database (relayer.db). One instance per process; not shared between processes. */
export class RelayerDb extends ChainCursorStore {
  readonly #now: () => number;
  protected readonly bindingTable = "meta";

  private constructor(file: string, db: DatabaseSync, now: () => number) {
    super(file, db);
    this.#now = now;
  }

  /**
   * Opens (creating if needed) the database at `file` (":memory:" allowed) and migrates it; with
   * `binding`, refuses (DB_CHAIN_MISMATCH) a database that belongs to another chain or coordinator.
   */
  static open(file: string, options: OpenOptions = {}): RelayerDb {
    const db = openSqlite(file, "NORMAL", (opened) => {
      opened.exec("PRAGMA foreign_keys = ON;");
      migrate(opened, file);
    });
    const store = new RelayerDb(file, db, options.now ?? Date.now);
    store.bindOrClose(options.binding);
    return store;
  }

  get schemaVersion(): number {
    return Number((this.db.prepare("PRAGMA user_version").get() as Row)["user_version"]);
  }

  /** SQLite pragma values (journal_mode, synchronous), for checks. */
  pragma(name: "journal_mode" | "synchronous"): string {
    const row = this.db.prepare(`PRAGMA ${name}`).get() as Row;
    return String(Object.values(row)[0]);
  }

  /** Number of distinct transactions that carry `submitted` jobs (in-flight answer transactions). */
  inFlightTxCount(): number {
    const r = this.stmt(
      "SELECT COUNT(DISTINCT tx_hash) AS n FROM jobs WHERE state = 'submitted'",
    ).get() as Row;
    return Number(r["n"]);
  }

  // ---------------------------------------------------------------------------------------- jobs

  getJob(requestId: bigint): Job | undefined {
    const r = this.stmt("SELECT * FROM jobs WHERE request_id = ?").get(idKey(requestId)) as Row | undefined;
    return r === undefined ? undefined : rowToJob(r);
  }

  private mustGet(requestId: bigint): Job {
    const j = this.getJob(requestId);
    if (j === undefined) {
      throw new StoreError("JOB_NOT_FOUND", `no job for request ${requestId}`, {
        requestId: requestId.toString(),
      });
    }
    return j;
  }

  /** Jobs in `state`, oldest first (the work queue). */
  jobsIn(state: JobState, limit = 1_000): Job[] {
    return (
      this.stmt("SELECT * FROM jobs WHERE state = ? ORDER BY seen_block, request_id LIMIT ?").all(
        state,
        limit,
      ) as Row[]
    ).map(rowToJob);
  }

  /** Number of jobs per state. */
  countByState(): Record<JobState, number> {
    const out: Record<JobState, number> = { pending: 0, computed: 0, submitted: 0, confirmed: 0, dropped: 0 };
    for (const r of this.stmt("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as Row[]) {
      out[String(r["state"]) as JobState] = Number(r["n"]);
    }
    return out;
  }

  /**
   * After a reorg rewinds the cursor to `block`: forgets jobs first seen above it that have not been
   * submitted yet (their request may come back with another input, or not at all). Submitted jobs stay:
   * their transaction either lands (same request) or fails its commitment check and is dropped.
   */
  forgetUnsubmittedJobsAbove(block: number): number {
    return Number(
      this.stmt("DELETE FROM jobs WHERE seen_block > ? AND state IN ('pending', 'computed')").run(block)
        .changes,
    );
  }

  /**
   * Records a newly seen request as `pending`. Idempotent: if the job exists with the same model and
   * input it is returned unchanged (whatever its state); different model or input is a JOB_CONFLICT.
   */
  addJob(job: NewJob): Job {
    const modelHash = hash32("modelHash", job.modelHash);
    const inputHash = hash32("inputHash", job.inputHash);
    if (!Number.isSafeInteger(job.seenBlock) || job.seenBlock < 0) {
      throw new StoreError("JOB_CONFLICT", "seenBlock must be a non-negative integer");
    }
    return this.transaction(() => {
      const existing = this.getJob(job.requestId);
      if (existing !== undefined) {
        if (existing.modelHash === modelHash && existing.inputHash === inputHash) return existing;
        // The id was re-created (a reorg) with another model/input. A job never sent is superseded by
        // the new request; one whose answer went out stays (its transaction settles it either way).
        if (existing.state !== "pending" && existing.state !== "computed" && existing.state !== "dropped") {
          throw new StoreError(
            "JOB_CONFLICT",
            `request ${job.requestId} already answered on chain for another model/input`,
            { requestId: job.requestId.toString(), state: existing.state },
          );
        }
        this.stmt("DELETE FROM jobs WHERE request_id = ?").run(idKey(job.requestId));
      }
      const now = this.#now();
      this.stmt(
        "INSERT INTO jobs (request_id, model_hash, input_hash, state, seen_block, seen_at, updated_at) " +
          "VALUES (?, ?, ?, 'pending', ?, ?, ?)",
      ).run(idKey(job.requestId), modelHash, inputHash, job.seenBlock, job.seenAt ?? now, now);
      return this.mustGet(job.requestId);
    });
  }

  /** pending -> computed: stores the output (or reason) and the attestation signature. */
  markComputed(requestId: bigint, p: ComputedPayload): Job {
    const outputHash = hash32("outputHash", p.outputHash);
    if (p.outcome !== 0 && p.outcome !== 1 && p.outcome !== 2)
      throw new StoreError("JOB_CONFLICT", "outcome must be 0, 1 or 2");
    if (!/^0x[0-9a-fA-F]{130}$/.test(p.signature))
      throw new StoreError("JOB_CONFLICT", "signature must be 65 bytes");
    return this.transition(requestId, "computed", ["pending"], (job) => {
      if (job.state === "computed") {
        return job.outcome === p.outcome && job.outputHash === outputHash && sameBytes(job.output, p.output)
          ? "same"
          : "conflict";
      }
      this.stmt(
        "UPDATE jobs SET state = 'computed', outcome = ?, output = ?, output_hash = ?, signature = ?, updated_at = ? " +
          "WHERE request_id = ?",
      ).run(p.outcome, p.output, outputHash, p.signature.toLowerCase(), this.#now(), idKey(requestId));
      return "done";
    });
  }

  /**
   * computed -> submitted, or submitted -> submitted with a new transaction (a replacement or a
   * resubmission). Repeating with the same tx hash is a no-op.
   */
  markSubmitted(requestId: bigint, p: SubmittedPayload): Job {
    const txHash = hash32("txHash", p.txHash);
    if (!Number.isSafeInteger(p.nonce) || p.nonce < 0)
      throw new StoreError("JOB_CONFLICT", "nonce must be >= 0");
    return this.transition(requestId, "submitted", ["computed", "submitted"], (job) => {
      if (job.state === "submitted" && job.txHash === txHash)
        return job.nonce === p.nonce ? "same" : "conflict";
      this.stmt(
        "UPDATE jobs SET state = 'submitted', tx_hash = ?, nonce = ?, attempts = attempts + 1, updated_at = ? " +
          "WHERE request_id = ?",
      ).run(txHash, p.nonce, this.#now(), idKey(requestId));
      return "done";
    });
  }

  /** submitted -> computed: the transaction was dropped or reorged out; the answer is resubmitted. */
  markUnsubmitted(requestId: bigint): Job {
    return this.transition(requestId, "computed", ["submitted"], (job) => {
      if (job.state === "computed") return "same";
      this.stmt(
        "UPDATE jobs SET state = 'computed', tx_hash = NULL, nonce = NULL, updated_at = ? WHERE request_id = ?",
      ).run(this.#now(), idKey(requestId));
      return "done";
    });
  }

  /** submitted -> confirmed (terminal), once the answer is `confirmations` deep. */
  markConfirmed(requestId: bigint, blockNumber: number): Job {
    if (!Number.isSafeInteger(blockNumber) || blockNumber < 0)
      throw new StoreError("JOB_CONFLICT", "bad block number");
    return this.transition(requestId, "confirmed", ["submitted"], (job) => {
      if (job.state === "confirmed") return job.confirmedBlock === blockNumber ? "same" : "conflict";
      this.stmt(
        "UPDATE jobs SET state = 'confirmed', confirmed_block = ?, updated_at = ? WHERE request_id = ?",
      ).run(blockNumber, this.#now(), idKey(requestId));
      return "done";
    });
  }

  /**
   * Counts a start of computing `requestId` (persisted BEFORE the work starts) and returns the count:
   * a job whose computation takes the process down is not started forever.
   */
  beginCompute(requestId: bigint): number {
    return this.transaction(() => {
      this.stmt(
        "UPDATE jobs SET compute_starts = compute_starts + 1, updated_at = ? WHERE request_id = ?",
      ).run(this.#now(), idKey(requestId));
      return this.mustGet(requestId).computeStarts;
    });
  }

  /**
   * Defers computing `requestId` until wall-clock ms `retryAt` (a failure worth retrying later). With
   * `counted` false the start that just failed is not counted (a failure unrelated to the job itself,
   * such as an RPC outage, must not use up its starts).
   */
  deferCompute(requestId: bigint, retryAt: number, counted = true): void {
    this.stmt(
      "UPDATE jobs SET retry_at = ?, compute_starts = max(0, compute_starts - ?), updated_at = ? " +
        "WHERE request_id = ?",
    ).run(Math.max(0, Math.floor(retryAt)), counted ? 0 : 1, this.#now(), idKey(requestId));
  }

  /** Pending jobs due for computing at wall-clock ms `now` (oldest first). */
  duePending(now: number, limit = 1_000): Job[] {
    return (
      this.stmt(
        "SELECT * FROM jobs WHERE state = 'pending' AND retry_at <= ? ORDER BY seen_block, request_id LIMIT ?",
      ).all(now, limit) as Row[]
    ).map(rowToJob);
  }

  /** any non-terminal state -> dropped (terminal): expired, reassigned, finalized without us. */
  markDropped(requestId: bigint, reason: string): Job {
    return this.transition(requestId, "dropped", ["pending", "computed", "submitted"], (job) => {
      if (job.state === "dropped") return "same";
      this.stmt(
        "UPDATE jobs SET state = 'dropped', drop_reason = ?, updated_at = ? WHERE request_id = ?",
      ).run(reason.slice(0, 500), this.#now(), idKey(requestId));
      return "done";
    });
  }

  /**
   * Shared transition logic: `apply` runs inside the transaction with the current job; it returns
   * "same" (idempotent repeat, nothing written), "conflict" (same state, other payload) or "done".
   */
  private transition(
    requestId: bigint,
    to: JobState,
    from: readonly JobState[],
    apply: (job: Job) => "same" | "conflict" | "done",
  ): Job {
    return this.transaction(() => {
      const job = this.mustGet(requestId);
      if (job.state !== to && !from.includes(job.state)) {
        throw new StoreError(
          "JOB_ILLEGAL_TRANSITION",
          `job ${requestId}: ${job.state} -> ${to} is not allowed`,
          {
            requestId: requestId.toString(),
            from: job.state,
            to,
          },
        );
      }
      const r = apply(job);
      if (r === "conflict") {
        throw new StoreError("JOB_CONFLICT", `job ${requestId} is already ${to} with a different payload`, {
          requestId: requestId.toString(),
          state: job.state,
        });
      }
      return r === "same" ? job : this.mustGet(requestId);
    });
  }
}
