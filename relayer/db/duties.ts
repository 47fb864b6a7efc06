/**
 * The dispute duties' durable state (`<data dir>/duties.db`, opened through relayer/db/sqlite.ts: WAL,
 * synchronous=FULL), kept apart from the job store and chain.db, bound to one (chain id, coordinator) in
 * its `chain_binding` table:
 * - meta: the Disputes log cursor;
 * - challenges: one row per dispute candidate this relayer may file. A row is `filing` (with the bond)
 *   BEFORE `openDispute` is sent, so a restart checks the chain instead of filing twice;
 * - ballots: one row per (dispute, round) this operator was drawn for. The vote AND its random salt are
 *   stored (`salted`) BEFORE `commitVote` is sent, so a restart between commit and reveal reveals the
 *   very vote it committed;
 * - tracked: disputes this relayer has a stake in (as challenger or juror): it calls drawJury / settle
 *   / escalate on them when due and nobody else has.
 */
import { SqliteStore, idKey as key, openSqlite, type ChainBinding, type Row } from "./sqlite.js";

export type ChallengeState =
  | "candidate" // found by the watchtower, not yet filed
  | "filing" // bond approved / openDispute sent or about to be
  | "opened" // our dispute is open (bond locked)
  | "resolved" // settled (bond returned or lost)
  | "skipped"; // not filed: see `detail`

export interface Challenge {
  requestId: bigint;
  operator: string;
  ourOutputHash: string;
  state: ChallengeState;
  bond: bigint;
  txHash: string;
  detail: string;
}

export type BallotState = "drawn" | "salted" | "committed" | "revealed" | "missed";

export interface StoredBallot {
  disputeId: bigint;
  round: number;
  state: BallotState;
  commitDeadline: number;
  revealDeadline: number;
  outcome: number;
  outputHash: string;
  /** Our canonical output (or the 32-byte reason code for an invalid-input vote). */
  output: Uint8Array;
  salt: string;
  detail: string;
}

export interface TrackedDispute {
  disputeId: bigint;
  role: "challenger" | "juror";
  done: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS challenges (
  request_id TEXT PRIMARY KEY, operator TEXT NOT NULL, our_hash TEXT NOT NULL, state TEXT NOT NULL,
  bond TEXT NOT NULL DEFAULT '0', tx_hash TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS ballots (
  dispute_id TEXT NOT NULL, round INTEGER NOT NULL, state TEXT NOT NULL,
  commit_deadline INTEGER NOT NULL, reveal_deadline INTEGER NOT NULL,
  outcome INTEGER NOT NULL DEFAULT 0, output_hash TEXT NOT NULL DEFAULT '', output BLOB NOT NULL DEFAULT x'',
  salt TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', PRIMARY KEY (dispute_id, round)
) STRICT;
CREATE TABLE IF NOT EXISTS tracked (
  dispute_id TEXT PRIMARY KEY, role TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0
) STRICT;`;

function toChallenge(r: Row): Challenge {
  return {
    requestId: BigInt(String(r["request_id"])),
    operator: String(r["operator"]),
    ourOutputHash: String(r["our_hash"]),
    state: String(r["state"]) as ChallengeState,
    bond: BigInt(String(r["bond"])),
    txHash: String(r["tx_hash"]),
    detail: String(r["detail"]),
  };
}

function toBallot(r: Row): StoredBallot {
  return {
    disputeId: BigInt(String(r["dispute_id"])),
    round: Number(r["round"]),
    state: String(r["state"]) as BallotState,
    commitDeadline: Number(r["commit_deadline"]),
    revealDeadline: Number(r["reveal_deadline"]),
    outcome: Number(r["outcome"]),
    outputHash: String(r["output_hash"]),
    output: new Uint8Array(r["output"] as Uint8Array),
    salt: String(r["salt"]),
    detail: String(r["detail"]),
  };
}

export class DutiesDb extends SqliteStore {
  protected readonly bindingTable = "chain_binding";

  /**
   * Opens (creating if needed) duties.db at `file`; with `binding`, refuses (DB_CHAIN_MISMATCH) a database
   * that belongs to another chain or coordinator (its ballots and salts belong to other disputes).
   */
  static open(file: string, binding?: ChainBinding): DutiesDb {
    return new DutiesDb(file, openSqlite(file, "FULL", SCHEMA)).bindOrClose(binding);
  }

  getCursor(): number | undefined {
    const r = this.stmt("SELECT v FROM meta WHERE k = 'cursor'").get() as Row | undefined;
    return r === undefined ? undefined : Number(r["v"]);
  }

  setCursor(block: number): void {
    this.stmt("INSERT OR REPLACE INTO meta (k, v) VALUES ('cursor', ?)").run(String(block));
  }

  // ------------------------------------------------------------------------------ challenges

  /** Records a candidate (idempotent: an existing row, whatever its state, is kept). */
  addCandidate(requestId: bigint, operator: string, ourOutputHash: string): boolean {
    const r = this.stmt(
      "INSERT OR IGNORE INTO challenges (request_id, operator, our_hash, state, updated_at) VALUES (?, ?, ?, 'candidate', ?)",
    ).run(key(requestId), operator, ourOutputHash, Date.now());
    return Number(r.changes) > 0;
  }

  getChallenge(requestId: bigint): Challenge | undefined {
    const r = this.stmt("SELECT * FROM challenges WHERE request_id = ?").get(key(requestId)) as
      Row | undefined;
    return r === undefined ? undefined : toChallenge(r);
  }

  challengesIn(...states: ChallengeState[]): Challenge[] {
    const q = `SELECT * FROM challenges WHERE state IN (${states.map(() => "?").join(",")}) ORDER BY updated_at`;
    return (this.stmt(q).all(...states) as Row[]).map(toChallenge);
  }

  setChallenge(
    requestId: bigint,
    state: ChallengeState,
    fields: { bond?: bigint; txHash?: string; detail?: string } = {},
  ): void {
    const c = this.getChallenge(requestId);
    if (c === undefined) return;
    this.stmt(
      "UPDATE challenges SET state = ?, bond = ?, tx_hash = ?, detail = ?, updated_at = ? WHERE request_id = ?",
    ).run(
      state,
      (fields.bond ?? c.bond).toString(),
      fields.txHash ?? c.txHash,
      (fields.detail ?? c.detail).slice(0, 500),
      Date.now(),
      key(requestId),
    );
  }

  /** Sum of the bonds of our disputes not yet settled (what the bond budget is spent on). */
  lockedBonds(): bigint {
    return this.challengesIn("filing", "opened").reduce((s, c) => s + c.bond, 0n);
  }

  // ------------------------------------------------------------------------------ ballots

  /** Records a draw (idempotent). */
  addBallot(disputeId: bigint, round: number, commitDeadline: number, revealDeadline: number): void {
    this.stmt(
      "INSERT OR IGNORE INTO ballots (dispute_id, round, state, commit_deadline, reveal_deadline) VALUES (?, ?, 'drawn', ?, ?)",
    ).run(key(disputeId), round, commitDeadline, revealDeadline);
  }

  getBallot(disputeId: bigint, round: number): StoredBallot | undefined {
    const r = this.stmt("SELECT * FROM ballots WHERE dispute_id = ? AND round = ?").get(
      key(disputeId),
      round,
    ) as Row | undefined;
    return r === undefined ? undefined : toBallot(r);
  }

  ballotsIn(...states: BallotState[]): StoredBallot[] {
    const q = `SELECT * FROM ballots WHERE state IN (${states.map(() => "?").join(",")})`;
    return (this.stmt(q).all(...states) as Row[]).map(toBallot);
  }

  /** Our most recent ballot output in a dispute (for the majority output at settlement). */
  ballotsOf(disputeId: bigint): StoredBallot[] {
    return (
      this.stmt("SELECT * FROM ballots WHERE dispute_id = ? ORDER BY round DESC").all(key(disputeId)) as Row[]
    ).map(toBallot);
  }

  /**
   * drawn → salted: stores the vote and its salt. Only from `drawn`; a salted ballot keeps its first
   * salt forever (returns false and changes nothing).
   */
  saltBallot(
    disputeId: bigint,
    round: number,
    vote: { outcome: number; outputHash: string; output: Uint8Array; salt: string },
  ): boolean {
    const r = this.stmt(
      "UPDATE ballots SET state = 'salted', outcome = ?, output_hash = ?, output = ?, salt = ? " +
        "WHERE dispute_id = ? AND round = ? AND state = 'drawn'",
    ).run(vote.outcome, vote.outputHash, vote.output, vote.salt, key(disputeId), round);
    return Number(r.changes) > 0;
  }

  setBallotState(disputeId: bigint, round: number, state: BallotState, detail = ""): void {
    this.stmt("UPDATE ballots SET state = ?, detail = ? WHERE dispute_id = ? AND round = ?").run(
      state,
      detail.slice(0, 500),
      key(disputeId),
      round,
    );
  }

  // ------------------------------------------------------------------------------ tracked disputes

  track(disputeId: bigint, role: TrackedDispute["role"]): void {
    this.stmt("INSERT OR IGNORE INTO tracked (dispute_id, role) VALUES (?, ?)").run(key(disputeId), role);
  }

  isTracked(disputeId: bigint): boolean {
    return this.stmt("SELECT 1 FROM tracked WHERE dispute_id = ?").get(key(disputeId)) !== undefined;
  }

  activeTracked(): TrackedDispute[] {
    return (this.stmt("SELECT * FROM tracked WHERE done = 0").all() as Row[]).map((r) => ({
      disputeId: BigInt(String(r["dispute_id"])),
      role: String(r["role"]) as TrackedDispute["role"],
      done: false,
    }));
  }

  finishTracked(disputeId: bigint): void {
    this.stmt("UPDATE tracked SET done = 1 WHERE dispute_id = ?").run(key(disputeId));
  }
}
