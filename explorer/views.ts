/**
 * What each page shows, as data: assembled from the index (queries.ts), live chain state (live.ts) and the
 * SDK's audit (audit.ts). The HTML pages (pages.ts) and the JSON API (server.ts) both render these.
 */
import { getAddress, isAddress, isHexString } from "ethers";
import { concentration, type Concentration, type OperatorStat } from "../sdk/stats.js";
import { statusName } from "../sdk/requests.js";
import type { Audit, Auditor } from "./audit.js";
import { badInput, notFound } from "./errors.js";
import type { LiveChain, ModelDetail, OperatorDetail, PowerRole } from "./live.js";
import type { DisputeSummary, IndexedEvent, Queries, RequestDetail, RequestSummary } from "./queries.js";

/** An operator on the network page: the SDK's stats (less the accrued fees) with the index's counts. */
export interface NetworkOperator extends Omit<OperatorStat, "accruedFees"> {
  assigned: number;
  slashed: bigint;
}

export interface NetworkView {
  indexedBlock: number | undefined;
  requests: number;
  operators: NetworkOperator[];
  totalStake: bigint;
  statusCounts: Record<string, number>;
  fees: { toOperators: bigint; royalty: bigint; treasury: bigint; refunds: bigint };
  slashes: { count: number; total: bigint };
  requestsPerHour: { hour: number; count: number }[];
  concentration: {
    stake: Concentration;
    uncapped: Concentration;
    capped: Concentration;
    assignments: Concentration;
  };
  recent: RequestSummary[];
}

export interface RequestView {
  summary: RequestDetail;
  audit: Audit | undefined;
  auditError: string | undefined;
  events: IndexedEvent[];
  dispute: DisputeSummary | undefined;
}

export interface OperatorView {
  detail: OperatorDetail;
  assigned: number;
  answered: number;
  disputesWon: number;
  disputesLost: number;
  slashed: bigint;
  slashes: IndexedEvent[];
  earned: bigint;
  commissionEarned: bigint;
  toDelegators: bigint;
  /** What a delegator earned per 1,000 OPG in the pool over the indexed period, and its annualised rate. */
  delegatorYield: { per1000: bigint; periodSeconds: number; aprBps: number };
  disputes: DisputeSummary[];
  recent: RequestSummary[];
}

export interface ModelView {
  detail: ModelDetail;
  statusCounts: Record<string, number>;
  fees: { toOperators: bigint; royalty: bigint; treasury: bigint; refunds: bigint };
  disputes: DisputeSummary[];
  recent: RequestSummary[];
}

export type SearchTarget = { kind: "request" | "operator" | "model"; id: string };

/** A request id as typed: decimal digits. */
export function parseRequestId(raw: string): string {
  if (!/^\d{1,78}$/.test(raw)) throw badInput(`"${raw.slice(0, 80)}" is not a request id (a decimal number)`);
  return BigInt(raw).toString();
}

export function parseAddress(raw: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw) || !isAddress(raw.toLowerCase()))
    throw badInput(`"${raw.slice(0, 80)}" is not an address (0x and 40 hex digits)`);
  return getAddress(raw.toLowerCase());
}

export function parseHash(raw: string, what = "hash"): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw) || !isHexString(raw, 32))
    throw badInput(`"${raw.slice(0, 80)}" is not a ${what} (0x and 64 hex digits)`);
  return raw.toLowerCase();
}

export class Views {
  constructor(
    readonly q: Queries,
    readonly live: LiveChain,
    readonly auditor: Auditor,
  ) {}

  async network(): Promise<NetworkView> {
    const stats = await this.live.network();
    const assigned = this.q.assignmentCounts();
    const slashes = this.q.slashes();
    const slashedBy = new Map<string, bigint>();
    for (const e of slashes.events) {
      const op = String(e.operator);
      slashedBy.set(op, (slashedBy.get(op) ?? 0n) + BigInt(String(e.args.slashed)));
    }
    const operators = stats.operators.map(({ accruedFees: _accruedFees, ...o }): NetworkOperator => ({
      ...o,
      assigned: assigned.get(o.operator.toLowerCase()) ?? 0,
      slashed: slashedBy.get(o.operator.toLowerCase()) ?? 0n,
    }));
    const counts = this.q.counts();
    return {
      indexedBlock: this.q.cursor()?.block,
      requests: counts.requests,
      operators,
      totalStake: stats.totalStake,
      statusCounts: this.q.statusCounts(),
      fees: this.q.feeTotals(),
      slashes: { count: slashes.count, total: slashes.total },
      requestsPerHour: this.q.requestsPerHour(),
      concentration: {
        stake: stats.stake,
        uncapped: concentration(operators.map((o) => o.drawWeight)),
        capped: stats.selection,
        assignments: concentration([...assigned.values()].map(BigInt)),
      },
      recent: this.q.recentRequests(20),
    };
  }

  async request(rawId: string): Promise<RequestView> {
    const id = parseRequestId(rawId);
    const summary = this.q.request(id);
    if (summary === undefined) throw notFound(`No request #${id} has been indexed on this coordinator.`);
    const events = this.q.requestEvents(id);
    const last = events.at(-1);
    const version = `${events.length}:${last?.block ?? 0}:${last?.logIndex ?? 0}`;
    let audit: Audit | undefined;
    let auditError: string | undefined;
    try {
      audit = await this.auditor.audit(BigInt(id), summary.block, version);
    } catch (err) {
      auditError = err instanceof Error ? err.message : String(err);
    }
    const hasDispute = events.some((e) => e.source === "disputes" || e.name === "AnswersDisagree");
    return { summary, audit, auditError, events, dispute: hasDispute ? this.q.dispute(id) : undefined };
  }

  async operator(raw: string): Promise<OperatorView> {
    const address = parseAddress(raw);
    const detail = await this.live.operator(address);
    if (detail === undefined) throw notFound(`${address} is not a registered operator.`);
    const c = this.q.operatorCounts(address);
    const slashes = this.q.slashes(address);
    const now = Math.floor(Date.now() / 1000);
    const rewards = this.q.rewardsSince(address, 0);
    const period = rewards.first === undefined ? 0 : Math.max(3600, now - rewards.first);
    const per1000 = detail.pool > 0n ? (rewards.toDelegators * 1000n * 10n ** 18n) / detail.pool : 0n;
    const aprBps =
      detail.pool > 0n && period > 0
        ? Number((rewards.toDelegators * 10_000n * 365n * 86_400n) / (detail.pool * BigInt(period)))
        : 0;
    return {
      detail,
      assigned: c.assigned,
      answered: c.answered,
      disputesLost: detail.record.lost,
      disputesWon: Math.max(0, detail.record.disputed - detail.record.lost),
      slashed: slashes.total,
      slashes: slashes.events,
      earned: c.earned,
      commissionEarned: c.commission,
      toDelegators: c.toDelegators,
      delegatorYield: { per1000, periodSeconds: period, aprBps },
      disputes: this.q.disputes({ operator: address }),
      recent: this.q.requestsOfOperator(address, 20),
    };
  }

  async model(raw: string): Promise<ModelView> {
    const hash = parseHash(raw, "model hash");
    const detail = await this.live.model(hash);
    if (detail === undefined) throw notFound(`No model ${hash} is registered.`);
    return {
      detail,
      statusCounts: this.q.statusCounts(hash),
      fees: this.q.feeTotals(hash),
      disputes: this.q.disputes({ modelHash: hash }),
      recent: this.q.requestsOfModel(hash, 20),
    };
  }

  disputes(): DisputeSummary[] {
    return this.q.disputes();
  }

  power(): Promise<PowerRole[]> {
    return this.live.power((source) => this.q.roleHolders(source));
  }

  /** Where a search box entry leads: a request id, an operator address, a model hash or a transaction hash. */
  async search(raw: string): Promise<SearchTarget> {
    const s = raw.trim();
    if (s === "")
      throw badInput("Type a request id, an operator address, a model hash or a transaction hash.");
    if (/^#?\d+$/.test(s)) {
      const id = parseRequestId(s.replace(/^#/, ""));
      if (this.q.request(id) === undefined) throw notFound(`No request #${id} has been indexed.`);
      return { kind: "request", id };
    }
    if (/^0x[0-9a-fA-F]{40}$/.test(s)) {
      const a = parseAddress(s);
      if ((await this.live.operator(a)) === undefined) throw notFound(`${a} is not a registered operator.`);
      return { kind: "operator", id: a };
    }
    if (/^0x[0-9a-fA-F]{64}$/.test(s)) {
      const h = s.toLowerCase();
      if (this.q.modelKnown(h) || (await this.live.model(h)) !== undefined) return { kind: "model", id: h };
      const ids = this.q.requestsOfTx(h);
      if (ids[0] !== undefined) return { kind: "request", id: ids[0] };
      throw notFound(`${h} is neither a registered model nor a transaction that touched a request.`);
    }
    throw badInput(
      `"${s.slice(0, 80)}" is not a request id, an address (0x + 40 hex) or a hash (0x + 64 hex).`,
    );
  }
}

export { statusName };
