/** Read queries over the indexed database: plain data for pages and the JSON API. */
import type { SQLInputValue } from "node:sqlite";
import { fieldsOf, type AssignmentRow, type EventRow, type ExplorerDb, type Row } from "./db.js";

export interface RequestSummary {
  requestId: string;
  time: number;
  block: number;
  tx: string;
  requester: string;
  modelHash: string;
  k: number;
  feePerOperator: string;
  status: string;
}

/** An indexed event as pages show it: the stored row (db.ts) with its arguments decoded. */
export interface IndexedEvent extends Omit<EventRow, "modelHash" | "args"> {
  args: Record<string, string | number | boolean | unknown>;
}

/**
 * A request's draw: the ticket and seed it used, and the `assign` transaction that made it (`by`: who sent
 * `assign` or `assignBatch`; anyone may).
 */
export type RequestDraw = Omit<AssignmentRow, "requestId" | "operators">;

/** A request as indexed; `draw` is undefined while it waits for its draw. */
export interface RequestDetail extends RequestSummary {
  operators: string[];
  inputHash: string;
  /** The request's current randomness ticket (the creation's, or its last renewal's). */
  ticket: string;
  draw: RequestDraw | undefined;
}

const SUMMARY = [
  "requestId",
  "time",
  "block",
  "tx",
  "requester",
  "modelHash",
  "k",
  "feePerOperator",
  "status",
] as const;
const summary = (r: Row): RequestSummary => fieldsOf<RequestSummary>(r, SUMMARY);

const EVENT = ["block", "logIndex", "tx", "time", "source", "name", "requestId", "operator"] as const;
const event = (r: Row): IndexedEvent => ({
  ...fieldsOf<Omit<IndexedEvent, "args">>(r, EVENT),
  args: JSON.parse(String(r["args"])) as Record<string, unknown>,
});

const big = (v: unknown): bigint => (typeof v === "string" && /^\d+$/.test(v) ? BigInt(v) : 0n);

export class Queries {
  constructor(readonly db: ExplorerDb) {}

  #summaries(sql: string, ...params: SQLInputValue[]): RequestSummary[] {
    return this.db.all(sql, ...params).map(summary);
  }

  cursor(): { block: number; hash: string } | undefined {
    return this.db.cursor();
  }

  request(id: string): RequestDetail | undefined {
    const r = this.db.get("SELECT * FROM requests WHERE request_id = ?", id);
    if (r === undefined) return undefined;
    const operators = this.db
      .all("SELECT operator FROM assignments WHERE request_id = ? ORDER BY idx", id)
      .map((x) => String(x["operator"]));
    const draw =
      r["assigned_block"] === null
        ? undefined
        : {
            ticket: String(r["ticket"]),
            seed: String(r["seed"]),
            ...fieldsOf<Omit<RequestDraw, "ticket" | "seed">>(r, ["block", "time", "tx", "by"], "assigned_"),
          };
    return {
      ...summary(r),
      operators,
      inputHash: String(r["input_hash"]),
      ticket: String(r["ticket"]),
      draw,
    };
  }

  requestEvents(id: string): IndexedEvent[] {
    return this.db.all("SELECT * FROM events WHERE request_id = ? ORDER BY block, log_index", id).map(event);
  }

  recentRequests(limit = 20, offset = 0): RequestSummary[] {
    return this.#summaries("SELECT * FROM requests ORDER BY num DESC LIMIT ? OFFSET ?", limit, offset);
  }

  requestsOfModel(modelHash: string, limit = 20): RequestSummary[] {
    const sql = "SELECT * FROM requests WHERE model_hash = ? ORDER BY num DESC LIMIT ?";
    return this.#summaries(sql, modelHash.toLowerCase(), limit);
  }

  requestsOfOperator(operator: string, limit = 20): RequestSummary[] {
    const sql =
      "SELECT r.* FROM assignments a JOIN requests r ON r.request_id = a.request_id WHERE a.operator = ? ORDER BY r.num DESC LIMIT ?";
    return this.#summaries(sql, operator.toLowerCase(), limit);
  }

  /** Request ids created in a transaction, or touched by one (search by tx hash). */
  requestsOfTx(tx: string): string[] {
    return this.db
      .all("SELECT DISTINCT request_id FROM events WHERE tx = ? AND request_id IS NOT NULL", tx.toLowerCase())
      .map((r) => String(r["request_id"]));
  }

  txKnown(tx: string): boolean {
    return this.db.get("SELECT 1 FROM events WHERE tx = ? LIMIT 1", tx.toLowerCase()) !== undefined;
  }

  statusCounts(modelHash?: string): Record<string, number> {
    const rows =
      modelHash === undefined
        ? this.db.all("SELECT status, count(*) AS n FROM requests GROUP BY status")
        : this.db.all(
            "SELECT status, count(*) AS n FROM requests WHERE model_hash = ? GROUP BY status",
            modelHash.toLowerCase(),
          );
    return Object.fromEntries(rows.map((r) => [String(r["status"]), Number(r["n"])]));
  }

  /** Requests per hour over the indexed history (at most the last `hours` hours with requests). */
  requestsPerHour(hours = 48): { hour: number; count: number }[] {
    return this.db
      .all("SELECT (time / 3600) AS h, count(*) AS n FROM requests GROUP BY h ORDER BY h DESC LIMIT ?", hours)
      .map((r) => ({ hour: Number(r["h"]) * 3600, count: Number(r["n"]) }))
      .reverse();
  }

  /** Money out of settled requests: paid to operators, royalties, treasury, refunds. */
  feeTotals(modelHash?: string): { toOperators: bigint; royalty: bigint; treasury: bigint; refunds: bigint } {
    const t = { toOperators: 0n, royalty: 0n, treasury: 0n, refunds: 0n };
    const names =
      "('RequestFinalized','RequestRejected','RequestExpired','RequestCorrected','RequestUnserved')";
    const rows =
      modelHash === undefined
        ? this.db.all(`SELECT args FROM events WHERE name IN ${names} AND source = 'coordinator'`)
        : this.db.all(
            `SELECT e.args FROM events e JOIN requests r ON r.request_id = e.request_id WHERE e.name IN ${names} AND e.source = 'coordinator' AND r.model_hash = ?`,
            modelHash.toLowerCase(),
          );
    for (const r of rows) {
      const a = JSON.parse(String(r["args"])) as Record<string, unknown>;
      t.toOperators += big(a.toOperators);
      t.royalty += big(a.royalty);
      t.treasury += big(a.treasuryCut);
      t.refunds += big(a.refund);
    }
    return t;
  }

  slashes(operator?: string): { count: number; total: bigint; events: IndexedEvent[] } {
    const rows =
      operator === undefined
        ? this.db.all(
            "SELECT * FROM events WHERE name = 'Slashed' AND source = 'staking' ORDER BY block DESC",
          )
        : this.db.all(
            "SELECT * FROM events WHERE operator = ? AND name = 'Slashed' AND source = 'staking' ORDER BY block DESC",
            operator.toLowerCase(),
          );
    const events = rows.map(event);
    return { count: events.length, total: events.reduce((s, e) => s + big(e.args.slashed), 0n), events };
  }

  /** Assignments per operator (the assignment distribution). */
  assignmentCounts(): Map<string, number> {
    return new Map(
      this.db
        .all("SELECT operator, count(*) AS n FROM assignments GROUP BY operator")
        .map((r) => [String(r["operator"]), Number(r["n"])]),
    );
  }

  operatorCounts(operator: string): {
    assigned: number;
    answered: number;
    earned: bigint;
    commission: bigint;
    toDelegators: bigint;
    jurorSlashes: number;
  } {
    const op = operator.toLowerCase();
    const assigned = Number(
      this.db.get("SELECT count(*) AS n FROM assignments WHERE operator = ?", op)?.["n"] ?? 0,
    );
    const answered = Number(
      this.db.get("SELECT count(*) AS n FROM events WHERE operator = ? AND name = 'AnswerSubmitted'", op)?.[
        "n"
      ] ?? 0,
    );
    let earned = 0n;
    let commission = 0n;
    let toDelegators = 0n;
    for (const r of this.db.all(
      "SELECT args FROM events WHERE operator = ? AND name = 'RewardsDistributed'",
      op,
    )) {
      const a = JSON.parse(String(r["args"])) as Record<string, unknown>;
      earned += big(a.amount);
      commission += big(a.commission);
      toDelegators += big(a.toDelegators);
    }
    const jurorSlashes = Number(
      this.db.get("SELECT count(*) AS n FROM events WHERE operator = ? AND name = 'JurorPenalised'", op)?.[
        "n"
      ] ?? 0,
    );
    return { assigned, answered, earned, commission, toDelegators, jurorSlashes };
  }

  /** Rewards distributed to an operator's pool since `since` (unix s), for the delegator's yield. */
  rewardsSince(operator: string, since: number): { toDelegators: bigint; first: number | undefined } {
    let toDelegators = 0n;
    let first: number | undefined;
    for (const r of this.db.all(
      "SELECT args, time FROM events WHERE operator = ? AND name = 'RewardsDistributed' AND time >= ? ORDER BY block",
      operator.toLowerCase(),
      since,
    )) {
      toDelegators += big((JSON.parse(String(r["args"])) as Record<string, unknown>).toDelegators);
      first ??= Number(r["time"]);
    }
    return { toDelegators, first };
  }

  /** Every dispute (DisputeOpened), newest first, with what happened to it. */
  disputes(filter: { operator?: string; modelHash?: string } = {}): DisputeSummary[] {
    let rows: Row[];
    if (filter.modelHash !== undefined)
      rows = this.db.all(
        "SELECT e.* FROM events e JOIN requests r ON r.request_id = e.request_id WHERE e.name = 'DisputeOpened' AND r.model_hash = ? ORDER BY e.block DESC",
        filter.modelHash.toLowerCase(),
      );
    else if (filter.operator !== undefined)
      rows = this.db.all(
        "SELECT e.* FROM events e JOIN assignments a ON a.request_id = e.request_id WHERE e.name = 'DisputeOpened' AND a.operator = ? ORDER BY e.block DESC",
        filter.operator.toLowerCase(),
      );
    else
      rows = this.db.all("SELECT * FROM events WHERE name = 'DisputeOpened' ORDER BY block DESC LIMIT 200");
    // Disagreements open disputes without a bond (AnswersDisagree): list them too.
    const auto =
      filter.modelHash === undefined && filter.operator === undefined
        ? this.db.all("SELECT * FROM events WHERE name = 'AnswersDisagree' ORDER BY block DESC LIMIT 200")
        : [];
    const out = new Map<string, DisputeSummary>();
    for (const r of [...rows, ...auto]) {
      const opened = event(r);
      const id = opened.requestId ?? "?";
      if (out.has(id)) continue;
      out.set(id, this.dispute(id, opened));
    }
    return [...out.values()];
  }

  dispute(id: string, opened?: IndexedEvent): DisputeSummary {
    const evs = this.db
      .all("SELECT * FROM events WHERE request_id = ? AND source = 'disputes' ORDER BY block, log_index", id)
      .map(event);
    const open = opened ?? evs.find((e) => e.name === "DisputeOpened");
    const juries = evs.filter((e) => e.name === "JuryDrawn");
    const resolved = evs.find((e) => e.name === "DisputeResolved");
    const payouts = evs.find((e) => e.name === "DisputePayouts");
    const timedOut = evs.some((e) => e.name === "ArbiterTimedOut");
    const METHODS = ["Referee", "Committee", "Arbiter", "Timeout"];
    return {
      requestId: id,
      openedAt: open?.time ?? 0,
      block: open?.block ?? 0,
      challenger:
        open?.name === "DisputeOpened" ? String(open.args.challenger) : "(answers disagreed: no bond)",
      bond: open?.name === "DisputeOpened" ? String(open.args.bond) : "0",
      rounds: juries.length,
      jurors: juries.flatMap((j) => (Array.isArray(j.args.jurors) ? (j.args.jurors as string[]) : [])),
      votes: evs.filter((e) => e.name === "VoteRevealed").length,
      status: resolved ? "settled" : timedOut ? "arbiter timed out" : "open",
      method: resolved ? (METHODS[Number(resolved.args.method)] ?? String(resolved.args.method)) : undefined,
      wrongMask: resolved ? Number(resolved.args.wrongMask) : undefined,
      slashed: payouts ? String(payouts.args.slashed) : undefined,
      events: evs,
    };
  }

  modelHashes(): string[] {
    return this.db
      .all("SELECT DISTINCT model_hash FROM events WHERE name = 'ModelRegistered'")
      .map((r) => String(r["model_hash"]));
  }

  modelKnown(hash: string): boolean {
    return (
      this.db.get("SELECT 1 FROM events WHERE model_hash = ? LIMIT 1", hash.toLowerCase()) !== undefined ||
      this.db.get("SELECT 1 FROM requests WHERE model_hash = ? LIMIT 1", hash.toLowerCase()) !== undefined
    );
  }

  operatorKnown(address: string): boolean {
    return (
      this.db.get("SELECT 1 FROM events WHERE operator = ? LIMIT 1", address.toLowerCase()) !== undefined ||
      this.db.get("SELECT 1 FROM assignments WHERE operator = ? LIMIT 1", address.toLowerCase()) !== undefined
    );
  }

  /** Timelock role grants and revocations still in force (role -> holders). */
  roleHolders(source: string): Map<string, Set<string>> {
    const holders = new Map<string, Set<string>>();
    for (const r of this.db.all(
      "SELECT name, args FROM events WHERE source = ? AND name IN ('RoleGranted','RoleRevoked') ORDER BY block, log_index",
      source,
    )) {
      const a = JSON.parse(String(r["args"])) as Record<string, unknown>;
      const role = String(a.role);
      const set = holders.get(role) ?? new Set<string>();
      if (String(r["name"]) === "RoleGranted") set.add(String(a.account));
      else set.delete(String(a.account));
      holders.set(role, set);
    }
    return holders;
  }

  counts(): { requests: number; events: number } {
    return {
      requests: Number(this.db.get("SELECT count(*) AS n FROM requests")?.["n"] ?? 0),
      events: Number(this.db.get("SELECT count(*) AS n FROM events")?.["n"] ?? 0),
    };
  }
}

export interface DisputeSummary {
  requestId: string;
  openedAt: number;
  block: number;
  challenger: string;
  bond: string;
  rounds: number;
  jurors: string[];
  votes: number;
  status: string;
  method: string | undefined;
  wrongMask: number | undefined;
  slashed: string | undefined;
  events: IndexedEvent[];
}
