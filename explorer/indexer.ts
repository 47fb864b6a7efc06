/**
 * The indexer: follows the protocol contracts' events into the database, like the relayer follows the chain
 * (relayer/chain/sync.ts): from the cursor up to head − confirmations, in windows of at most `maxRange`
 * blocks, each window committed with the cursor in one transaction. Before each poll the cursor's stored
 * hash is compared with the chain's; on a mismatch it walks back through the stored block hashes to the
 * last block that still matches and rolls everything above it back (ExplorerDb.rollbackTo).
 *
 * A request is created with a randomness ticket and no operators (RequestCreated); its operators come with its
 * draw (OperatorsAssigned, from anyone's `assign`/`assignBatch`), whose sender is read from the transaction;
 * a stale ticket's renewal (TicketRenewed) replaces the request's ticket.
 */
import { type EventFragment, type Log, type Provider, type Result } from "ethers";
import { LogReader } from "../sdk/logs.js";
import { createdRequestsIn, type CreatedRequest } from "../sdk/requests.js";
import { decodeLog, type Source } from "./abis.js";
import type { ExplorerAddresses } from "./config.js";
import type { AssignmentRow, EventRow, ExplorerDb } from "./db.js";
import { ExplorerError } from "./errors.js";
import { readLogs } from "./logs.js";

export interface IndexerOptions {
  provider: Provider;
  db: ExplorerDb;
  addresses: ExplorerAddresses;
  startBlock: number;
  confirmations: number;
  maxRange: number;
  reorgDepth: number;
}

export interface PollResult {
  head: number;
  indexed: number;
  events: number;
  rolledBackTo?: number;
}

/** JSON-safe copy of decoded arguments: uint256 as decimal strings, structs as objects. */
export function plainArgs(desc: { fragment: EventFragment; args: Result }): Record<string, unknown> {
  const conv = (v: unknown): unknown => {
    if (typeof v === "bigint") return v.toString();
    if (v !== null && typeof v === "object" && "toObject" in v) {
      const r = v as Result;
      let o: unknown;
      try {
        o = r.toObject(true);
        // An array of unnamed items (address[]) stays an array, not {"0": …, "1": …}.
        if (Object.keys(o as object).every((k) => /^\d+$/.test(k))) o = r.toArray(true);
      } catch {
        o = r.toArray(true);
      }
      return conv(o);
    }
    if (Array.isArray(v)) return v.map(conv);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, conv(x)]));
    return v;
  };
  const out: Record<string, unknown> = {};
  desc.fragment.inputs.forEach((input, i) => {
    out[input.name || String(i)] = conv(desc.args[i]);
  });
  return out;
}

/** RequestCreated's arguments without re-walking the packed payload (stored as hex). */
function plainCreated(args: Result): Record<string, unknown> {
  return {
    requestId: String(args[0]),
    requester: String(args[1]),
    modelHash: String(args[2]),
    packed: String(args[3]),
  };
}

/** What a window's coordinator logs change in request rows after their creation, in log order. */
type Update =
  | { kind: "assigned"; row: Omit<AssignmentRow, "by">; tx: string }
  | { kind: "renewed"; requestId: string; ticket: string };

export class Indexer {
  readonly #o: IndexerOptions;
  readonly #sources: Map<string, Source>;
  /** One reader for the endpoint: a range the RPC refused stays shrunk for later windows. */
  readonly #reader: LogReader;

  constructor(options: IndexerOptions) {
    this.#o = options;
    this.#reader = new LogReader({ maxRange: Math.max(1, options.maxRange) });
    const a = options.addresses;
    const pairs: [string | undefined, Source][] = [
      [a.coordinator, "coordinator"],
      [a.staking, "staking"],
      [a.registry, "registry"],
      [a.disputes, "disputes"],
      [a.refereeCourt, "court"],
      [a.timelock, "timelock"],
    ];
    this.#sources = new Map(pairs.filter(([x]) => x !== undefined).map(([x, s]) => [x!.toLowerCase(), s]));
  }

  /** One poll: reorg check, then every window up to head − confirmations. */
  async poll(): Promise<PollResult> {
    const { provider, db } = this.#o;
    const head = await provider.getBlockNumber();
    const rolledBackTo = await this.#checkReorg();
    const target = head - this.#o.confirmations;
    let from = (db.cursor()?.block ?? this.#o.startBlock - 1) + 1;
    let events = 0;
    while (from <= target) {
      const to = Math.min(target, from + this.#o.maxRange - 1);
      events += await this.#window(from, to);
      from = to + 1;
    }
    const out: PollResult = { head, indexed: db.cursor()?.block ?? this.#o.startBlock - 1, events };
    if (rolledBackTo !== undefined) out.rolledBackTo = rolledBackTo;
    return out;
  }

  /** Indexes [from, to] and moves the cursor to `to`, in one commit. Returns the events stored. */
  async #window(from: number, to: number): Promise<number> {
    const { provider, db } = this.#o;
    const logs = await readLogs(
      provider,
      { address: [...this.#sources.keys()], fromBlock: from, toBlock: to, maxRange: this.#o.maxRange },
      this.#reader,
    );
    const blockNums = [...new Set([...logs.map((l) => l.blockNumber), to])];
    const blocks = new Map<number, { hash: string; time: number }>();
    await Promise.all(
      blockNums.map(async (n) => {
        const b = await provider.getBlock(n);
        if (b === null || b.hash === null) throw new ExplorerError("RPC", `block ${n} not available`, 502);
        blocks.set(n, { hash: b.hash, time: b.timestamp });
      }),
    );
    // A log whose block hash is not the block's hash we just read: the chain moved under us; retry later.
    for (const l of logs)
      if (l.blockHash.toLowerCase() !== blocks.get(l.blockNumber)?.hash.toLowerCase())
        throw new ExplorerError("RPC", `block ${l.blockNumber} changed while indexing`, 502);
    const created: CreatedRequest[] = [];
    const updates: Update[] = [];
    const rows = this.#rows(logs, blocks, created, updates);
    // Who sent each `assign` (one read per transaction: an assignBatch draws many requests).
    const senders = new Map<string, string>();
    await Promise.all(
      [...new Set(updates.flatMap((u) => (u.kind === "assigned" ? [u.tx] : [])))].map(async (h) => {
        const tx = await provider.getTransaction(h);
        if (tx === null) throw new ExplorerError("RPC", `transaction ${h} not available`, 502);
        senders.set(h, tx.from.toLowerCase());
      }),
    );
    db.transaction(() => {
      for (const c of created) {
        db.putRequest({
          requestId: c.requestId.toString(),
          num: Number(c.requestId),
          block: c.blockNumber,
          time: blocks.get(c.blockNumber)?.time ?? 0,
          tx: c.transactionHash.toLowerCase(),
          requester: c.request.requester,
          modelHash: c.request.modelHash.toLowerCase(),
          k: Number(c.request.redundancy),
          feePerOperator: c.request.feePerOperator.toString(),
          inputHash: c.request.inputHash.toLowerCase(),
          ticket: c.ticket.toString(),
        });
      }
      for (const u of updates)
        if (u.kind === "renewed") db.renewTicket(u.requestId, u.ticket);
        else db.putAssignment({ ...u.row, by: senders.get(u.tx) ?? "" });
      for (const r of rows) db.putEvent(r);
      for (const [n, b] of blocks) db.putBlock(n, b.hash, b.time);
      const last = blocks.get(to)!;
      db.setCursor(to, last.hash);
      db.pruneBlocks(to - this.#o.reorgDepth);
    });
    return rows.length;
  }

  /**
   * Decodes `logs` into rows; the requests they create are appended to `created`, their draws and ticket
   * renewals to `updates`.
   */
  #rows(
    logs: readonly Log[],
    blocks: Map<number, { hash: string; time: number }>,
    created: CreatedRequest[],
    updates: Update[],
  ): EventRow[] {
    const rows: EventRow[] = [];
    // Staking events carry no request id: they belong to the request of the closest earlier log of their tx.
    const lastIdOfTx = new Map<string, string>();
    const sorted = [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    for (const log of sorted) {
      const source = this.#sources.get(log.address.toLowerCase());
      if (source === undefined) continue;
      const desc = decodeLog(source, log);
      if (desc === null) continue;
      if (source === "coordinator" && desc.name === "RequestCreated") {
        const [request] = createdRequestsIn([log]);
        if (request === undefined) continue; // a malformed payload is no request (the SDK's createdRequestsIn)
        created.push(request);
      }
      const args = desc.name === "RequestCreated" ? plainCreated(desc.args) : plainArgs(desc);
      const tx = log.transactionHash.toLowerCase();
      if (source === "coordinator" && desc.name === "OperatorsAssigned") {
        updates.push({
          kind: "assigned",
          tx,
          row: {
            requestId: String(args.requestId),
            operators: Array.from(desc.args[1] as Iterable<unknown>, (o) => String(o).toLowerCase()),
            ticket: String(args.ticket),
            seed: String(args.seed).toLowerCase(),
            block: log.blockNumber,
            time: blocks.get(log.blockNumber)?.time ?? 0,
            tx,
          },
        });
      } else if (source === "coordinator" && desc.name === "TicketRenewed")
        updates.push({ kind: "renewed", requestId: String(args.requestId), ticket: String(args.ticket) });
      let requestId: string | null = null;
      if (source === "coordinator" && typeof args.requestId === "string") requestId = args.requestId;
      else if (source === "disputes" && typeof args.disputeId === "string") requestId = args.disputeId;
      else if (
        source === "staking" &&
        ["Slashed", "Jailed", "RewardsDistributed", "StakeLocked", "StakeUnlocked"].includes(desc.name)
      )
        requestId = lastIdOfTx.get(tx) ?? null;
      if (requestId !== null && source !== "staking") lastIdOfTx.set(tx, requestId);
      const op = args.operator ?? args.juror;
      rows.push({
        block: log.blockNumber,
        logIndex: log.index,
        tx,
        time: blocks.get(log.blockNumber)?.time ?? 0,
        source,
        name: desc.name,
        requestId,
        operator: typeof op === "string" ? op.toLowerCase() : null,
        modelHash: typeof args.modelHash === "string" ? args.modelHash.toLowerCase() : null,
        args: JSON.stringify(args),
      });
    }
    return rows;
  }

  /** Rolls back to the last stored block the chain still agrees with; returns it, or undefined if no reorg. */
  async #checkReorg(): Promise<number | undefined> {
    const { db, provider } = this.#o;
    const cursor = db.cursor();
    if (cursor === undefined) return undefined;
    const onChain = await provider.getBlock(cursor.block);
    if (onChain?.hash?.toLowerCase() === cursor.hash) return undefined;
    for (let n = cursor.block - 1; n >= Math.max(0, cursor.block - this.#o.reorgDepth); n--) {
      const stored = db.blockHash(n);
      if (stored === undefined) continue;
      const b = await provider.getBlock(n);
      if (b?.hash?.toLowerCase() === stored) {
        db.rollbackTo(n, stored);
        return n;
      }
    }
    // Deeper than the stored hashes: index again from the start.
    const start = Math.max(0, this.#o.startBlock - 1);
    const b = await provider.getBlock(start);
    if (b?.hash == null) throw new ExplorerError("REORG_TOO_DEEP", `block ${start} not available`, 502);
    db.rollbackTo(start, b.hash);
    return start;
  }
}
