/**
 * The accountability trail of one request, rebuilt from events alone (docs/protocol.md; PROTOCOL.md,
 * "Accountability trail"): the request and its randomness, the assignment, every signed answer, any
 * disagreement, dispute events (when a dispute contract is known), slashes and jails, refunds and payouts,
 * and the final status. Nothing here trusts the RPC beyond the logs and the stored request state it returns;
 * sdk/verify.ts re-checks every hash and signature offline.
 */
import {
  Interface,
  type InterfaceAbi,
  type Log,
  type LogDescription,
  type Provider,
  type Result,
  getAddress,
  toBeHex,
} from "ethers";
import * as StakingArtifact from "./abi/staking.js";
import { VerdictError } from "./errors.js";
import { readerOf, type LogReader } from "./logs.js";
import {
  RequestStatus,
  assignmentsIn,
  coordinatorInterface,
  createdRequestsIn,
  parseCoordinatorLog,
  statusName,
  withAssignment,
  type CreatedRequest,
} from "./requests.js";

export const stakingInterface = new Interface(StakingArtifact.abi);

/** Where an event came from. */
export type TrailSource = "coordinator" | "staking" | "disputes";

/** One event of the trail, in chain order. `args` holds the decoded, named arguments. */
export interface TrailEntry {
  source: TrailSource;
  name: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
  args: Record<string, unknown>;
}

/** A signed answer as posted (AnswerSubmitted). */
export interface TrailAnswer {
  index: number;
  operator: string;
  outcome: number;
  outputHash: string;
  output: string;
  signature: string;
  blockNumber: number;
  transactionHash: string;
}

/** How a request was settled, from its terminal event. */
export interface TrailSettlement {
  event: "RequestFinalized" | "RequestRejected" | "RequestExpired" | "RequestCorrected" | "RequestUnserved";
  toOperators: bigint;
  royalty: bigint;
  treasury: bigint;
  refund: bigint;
  /** Expired: bit i = operator i missed; Corrected: bit i = operator i was wrong. */
  mask: number;
  slashed: bigint;
  /** Corrected only: the delivered output (hex) and its outcome. */
  correctedOutput?: string;
  correctedOutcome?: number;
  blockNumber: number;
}

/** A slash of an operator's pool in one of the request's transactions. */
export interface TrailSlash {
  operator: string;
  slasher: string;
  requested: bigint;
  slashed: bigint;
  blockNumber: number;
}

export interface Trail {
  requestId: bigint;
  chainId: bigint;
  coordinator: string;
  staking: string;
  disputes?: string;
  created: CreatedRequest;
  answers: TrailAnswer[];
  disagreements: { indexA: number; indexB: number; blockNumber: number }[];
  settlement?: TrailSettlement;
  slashes: TrailSlash[];
  jails: { operator: string; until: bigint; blockNumber: number }[];
  entries: TrailEntry[];
  /** The status the events imply. */
  status: RequestStatus;
  /** What the chain stores now (status and the 22-byte commitment of the request). */
  chain: { status: number; commitment: string; windowEnds: bigint };
}

export interface TrailContext {
  provider: Provider;
  coordinator: string;
  staking: string;
  /** The dispute contract's address and ABI, when one is deployed. */
  disputes?: { address: string; abi: InterfaceAbi };
  /** First block to scan (the coordinator's deploy block); default 0. */
  fromBlock?: number;
  /** Bounded log reads (sdk/logs.ts); default: the provider's own reader, else one of 2,000 blocks. */
  logs?: LogReader;
}

function plainArgs(desc: LogDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  desc.fragment.inputs.forEach((input, i) => {
    const value: unknown = desc.args[i];
    out[input.name || String(i)] =
      value instanceof Object && "toObject" in value ? plainResult(value as Result) : value;
  });
  return out;
}

function plainResult(r: Result): unknown {
  try {
    return r.toObject(true);
  } catch {
    return r.toArray(true);
  }
}

const TERMINAL: Record<TrailSettlement["event"], RequestStatus> = {
  RequestFinalized: RequestStatus.Finalized,
  RequestRejected: RequestStatus.Rejected,
  RequestExpired: RequestStatus.Expired,
  RequestCorrected: RequestStatus.Corrected,
  RequestUnserved: RequestStatus.Unserved,
};

function order(
  a: { blockNumber: number; logIndex: number },
  b: { blockNumber: number; logIndex: number },
): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}

/** The request from the logs of its id: `RequestCreated`, completed by its `OperatorsAssigned` if any. */
function createdWithAssignment(logs: readonly Log[], requestId: bigint): CreatedRequest | undefined {
  const created = createdRequestsIn(logs).find((c) => c.requestId === requestId);
  const assignment = assignmentsIn(logs).find((a) => a.requestId === requestId);
  return created && assignment ? withAssignment(created, assignment) : created;
}

const CREATED_OR_ASSIGNED = ["RequestCreated", "OperatorsAssigned"].map(
  (name) => coordinatorInterface.getEvent(name)?.topicHash ?? "",
);

/**
 * The coordinator's `RequestCreated` for `requestId`, with its operators once `OperatorsAssigned` drew them
 * (until then `request.operators` is empty); throws REQUEST_NOT_FOUND if there is none.
 */
export async function findCreatedRequest(
  provider: Provider,
  coordinator: string,
  requestId: bigint,
  fromBlock = 0,
  logs: LogReader = readerOf(provider),
): Promise<CreatedRequest> {
  const found = await logs.getLogs(provider, {
    address: coordinator,
    topics: [CREATED_OR_ASSIGNED, toBeHex(requestId, 32)],
    fromBlock,
    toBlock: "latest",
  });
  const created = createdWithAssignment(found, requestId);
  if (!created) {
    throw new VerdictError("REQUEST_NOT_FOUND", `request ${requestId} does not exist on this coordinator`, {
      requestId: requestId.toString(),
      coordinator,
    });
  }
  return created;
}

/** One event of the trail: where it came from, where it stands in the chain, its named arguments. */
function entryOf(source: TrailSource, log: Log, desc: LogDescription): TrailEntry {
  return {
    source,
    name: desc.name,
    blockNumber: log.blockNumber,
    transactionHash: log.transactionHash,
    logIndex: log.index,
    args: plainArgs(desc),
  };
}

/** What every scan of one request's logs shares: the reader, the id's topic and the first block to read. */
interface TrailScan {
  provider: Provider;
  reader: LogReader;
  requestId: bigint;
  since: number;
  /** The transactions the trail's events were emitted in (their receipts are read for the rest). */
  txs: Set<string>;
}

/** The logs of `address` whose first indexed argument is `id`, from the request's creation to the head. */
function logsKeyedBy(scan: TrailScan, address: string, id: bigint): Promise<Log[]> {
  return scan.reader.getLogs(scan.provider, {
    address,
    topics: [null, toBeHex(id, 32)],
    fromBlock: scan.since,
    toBlock: "latest",
  });
}

/** The coordinator's events about the request; their transactions are added to `scan.txs`. */
async function coordinatorEntries(scan: TrailScan, coordinator: string): Promise<TrailEntry[]> {
  const entries: TrailEntry[] = [];
  for (const log of await logsKeyedBy(scan, coordinator, scan.requestId)) {
    const desc = parseCoordinatorLog(log);
    if (!desc || desc.args[0] !== scan.requestId) continue;
    scan.txs.add(log.transactionHash);
    entries.push(entryOf("coordinator", log, desc));
  }
  return entries;
}

/** The dispute contract as the trail reads it. */
interface TrailDisputes {
  address: string;
  iface: Interface;
}

function parseDisputeLog(disputes: TrailDisputes, log: Log): LogDescription | null {
  try {
    return disputes.iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}

/** The dispute id a dispute event names, if it names one. */
function disputeIdOf(desc: LogDescription): bigint | undefined {
  const idIdx = desc.fragment.inputs.findIndex((p) => p.name === "disputeId");
  const v: unknown = idIdx >= 0 ? desc.args[idIdx] : undefined;
  return typeof v === "bigint" ? v : undefined;
}

/**
 * The dispute contract's events that carry the request id (indexed first), and everything keyed by the ids of
 * the disputes they open; their transactions are added to `scan.txs`.
 */
async function disputeEntries(scan: TrailScan, disputes: TrailDisputes): Promise<TrailEntry[]> {
  const entries: TrailEntry[] = [];
  const seen = new Set<string>();
  const take = (logs: readonly Log[]): bigint[] => {
    const ids: bigint[] = [];
    for (const log of logs) {
      const key = `${log.transactionHash}:${log.index}`;
      if (seen.has(key)) continue;
      const desc = parseDisputeLog(disputes, log);
      if (!desc) continue;
      seen.add(key);
      scan.txs.add(log.transactionHash);
      entries.push(entryOf("disputes", log, desc));
      const id = disputeIdOf(desc);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  };
  const disputeIds = [...new Set(take(await logsKeyedBy(scan, disputes.address, scan.requestId)))];
  for (const id of disputeIds) {
    if (id === scan.requestId) continue;
    take(await logsKeyedBy(scan, disputes.address, id));
  }
  return entries;
}

const STAKING_EVENTS = ["Slashed", "Jailed", "StakeLocked", "StakeUnlocked", "RewardsDistributed"];

/**
 * Staking events (slashes, jails, stake locks) and dispute events emitted in the request's transactions,
 * appended to `entries` (a dispute event already there is not added twice).
 */
async function entriesInTransactions(
  provider: Provider,
  txs: Set<string>,
  staking: string,
  disputes: TrailDisputes | undefined,
  entries: TrailEntry[],
): Promise<void> {
  const receipts = await Promise.all([...txs].map((h) => provider.getTransactionReceipt(h)));
  for (const receipt of receipts) {
    if (!receipt) continue;
    for (const log of receipt.logs) {
      const address = getAddress(log.address);
      if (address === staking) {
        const desc = stakingInterface.parseLog({ topics: [...log.topics], data: log.data });
        if (!desc || !STAKING_EVENTS.includes(desc.name)) continue;
        entries.push(entryOf("staking", log, desc));
      } else if (disputes && address === disputes.address) {
        if (entries.some((e) => e.transactionHash === log.transactionHash && e.logIndex === log.index))
          continue;
        const desc = disputes.iface.parseLog({ topics: [...log.topics], data: log.data });
        if (desc) entries.push(entryOf("disputes", log, desc));
      }
    }
  }
}

/** What the trail's events add up to. */
type TrailTally = Pick<Trail, "answers" | "disagreements" | "slashes" | "jails" | "status" | "settlement">;

function answerOf(e: TrailEntry): TrailAnswer {
  const a = e.args;
  return {
    index: Number(a.index),
    operator: String(a.operator),
    outcome: Number(a.outcome),
    outputHash: String(a.outputHash),
    output: String(a.output),
    signature: String(a.signature),
    blockNumber: e.blockNumber,
    transactionHash: e.transactionHash,
  };
}

/** The settlement a terminal event records. */
function settlementOf(name: TrailSettlement["event"], e: TrailEntry): TrailSettlement {
  const a = e.args;
  const finalized = name === "RequestFinalized";
  const settlement: TrailSettlement = {
    event: name,
    toOperators: finalized ? BigInt(a.toOperators as bigint) : 0n,
    royalty: finalized ? BigInt(a.royalty as bigint) : 0n,
    treasury: finalized ? BigInt(a.treasuryCut as bigint) : 0n,
    refund: BigInt(a.refund as bigint),
    mask:
      name === "RequestExpired"
        ? Number(a.missedMask)
        : name === "RequestCorrected"
          ? Number(a.wrongMask)
          : 0,
    slashed: name === "RequestExpired" ? BigInt(a.slashed as bigint) : 0n,
    blockNumber: e.blockNumber,
  };
  if (name === "RequestCorrected") {
    settlement.correctedOutput = String(a.output);
    settlement.correctedOutcome = Number(a.outcome);
  }
  return settlement;
}

function isTerminal(name: string): name is TrailSettlement["event"] {
  return Object.prototype.hasOwnProperty.call(TERMINAL, name);
}

/** Applies one coordinator event to the tally: answers, disagreements, the status and the settlement. */
function tallyCoordinatorEvent(t: TrailTally, e: TrailEntry): void {
  if (isTerminal(e.name)) {
    t.status = TERMINAL[e.name];
    t.settlement = settlementOf(e.name, e);
    return;
  }
  switch (e.name) {
    case "OperatorsAssigned":
      t.status = RequestStatus.Assigned;
      break;
    case "AnswerSubmitted":
      t.answers.push(answerOf(e));
      break;
    case "AnswersComplete":
      t.status = RequestStatus.Answered;
      break;
    case "AnswersDisagree":
      t.disagreements.push({
        indexA: Number(e.args.indexA),
        indexB: Number(e.args.indexB),
        blockNumber: e.blockNumber,
      });
      t.status = RequestStatus.Disputed;
      break;
    case "RequestDisputed":
      t.status = RequestStatus.Disputed;
      break;
    default:
      break;
  }
}

/** Applies one staking event to the tally: slashes and jails. */
function tallyStakingEvent(t: TrailTally, e: TrailEntry): void {
  const a = e.args;
  if (e.name === "Slashed") {
    t.slashes.push({
      operator: String(a.operator),
      slasher: String(a.slasher),
      requested: BigInt(a.requested as bigint),
      slashed: BigInt(a.slashed as bigint),
      blockNumber: e.blockNumber,
    });
  } else if (e.name === "Jailed") {
    t.jails.push({
      operator: String(a.operator),
      until: BigInt(a.until as bigint),
      blockNumber: e.blockNumber,
    });
  }
}

/** What the events, in chain order, add up to. */
function tallyTrail(entries: readonly TrailEntry[]): TrailTally {
  const t: TrailTally = {
    answers: [],
    disagreements: [],
    slashes: [],
    jails: [],
    status: RequestStatus.Requested,
  };
  for (const e of entries) {
    if (e.source === "coordinator") tallyCoordinatorEvent(t, e);
    else if (e.source === "staking") tallyStakingEvent(t, e);
  }
  return t;
}

/** What the chain stores now for the request (`requestState`). */
async function chainStateOf(
  provider: Provider,
  coordinator: string,
  requestId: bigint,
): Promise<Trail["chain"]> {
  const state = await provider.call({
    to: coordinator,
    data: coordinatorInterface.encodeFunctionData("requestState", [requestId]),
  });
  const decoded = coordinatorInterface.decodeFunctionResult("requestState", state)[0] as Result;
  return {
    status: Number(decoded.status),
    commitment: String(decoded.commitment),
    windowEnds: BigInt(decoded.windowEnds as bigint),
  };
}

/** Rebuilds the whole trail of `requestId` from the chain's logs. */
export async function followTrail(ctx: TrailContext, requestId: bigint): Promise<Trail> {
  const { provider } = ctx;
  const coordinator = getAddress(ctx.coordinator);
  const staking = getAddress(ctx.staking);
  const fromBlock = ctx.fromBlock ?? 0;
  const reader = ctx.logs ?? readerOf(provider);
  // The request's own events lie between its creation and the head: find the creation first, then read
  // the rest from its block (bounded reads either way).
  const network = await provider.getNetwork();
  const created = await findCreatedRequest(provider, coordinator, requestId, fromBlock, reader);
  const since = Math.max(fromBlock, created.blockNumber);
  const scan: TrailScan = { provider, reader, requestId, since, txs: new Set<string>() };
  const disputes: TrailDisputes | undefined = ctx.disputes && {
    address: getAddress(ctx.disputes.address),
    iface: new Interface(ctx.disputes.abi),
  };

  const entries = await coordinatorEntries(scan, coordinator);
  if (disputes) entries.push(...(await disputeEntries(scan, disputes)));
  await entriesInTransactions(provider, scan.txs, staking, disputes, entries);
  entries.sort(order);

  const { answers, disagreements, slashes, jails, status, settlement } = tallyTrail(entries);
  const chain = await chainStateOf(provider, coordinator, requestId);
  const trail: Trail = {
    requestId,
    chainId: network.chainId,
    coordinator,
    staking,
    created,
    answers,
    disagreements,
    slashes,
    jails,
    entries,
    status,
    chain,
  };
  if (settlement) trail.settlement = settlement;
  if (disputes) trail.disputes = disputes.address;
  return trail;
}

export { statusName };
