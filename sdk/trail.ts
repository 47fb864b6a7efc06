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

/** Rebuilds the whole trail of `requestId` from the chain's logs. */
export async function followTrail(ctx: TrailContext, requestId: bigint): Promise<Trail> {
  const { provider } = ctx;
  const coordinator = getAddress(ctx.coordinator);
  const staking = getAddress(ctx.staking);
  const fromBlock = ctx.fromBlock ?? 0;
  const reader = ctx.logs ?? readerOf(provider);
  const idTopic = toBeHex(requestId, 32);
  // The request's own events lie between its creation and the head: find the creation first, then read
  // the rest from its block (bounded reads either way).
  const network = await provider.getNetwork();
  const created = await findCreatedRequest(provider, coordinator, requestId, fromBlock, reader);
  const since = Math.max(fromBlock, created.blockNumber);
  const coordLogs = await reader.getLogs(provider, {
    address: coordinator,
    topics: [null, idTopic],
    fromBlock: since,
    toBlock: "latest",
  });

  const entries: TrailEntry[] = [];
  const txs = new Set<string>();
  const push = (source: TrailSource, log: Log, desc: LogDescription): void => {
    entries.push({
      source,
      name: desc.name,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      logIndex: log.index,
      args: plainArgs(desc),
    });
  };
  for (const log of coordLogs) {
    const desc = parseCoordinatorLog(log);
    if (!desc || desc.args[0] !== requestId) continue;
    txs.add(log.transactionHash);
    push("coordinator", log, desc);
  }

  // Dispute contract: events that carry the request id (indexed first), and everything keyed by the ids of
  // the disputes they open.
  let disputesIface: Interface | undefined;
  if (ctx.disputes) {
    disputesIface = new Interface(ctx.disputes.abi);
    const address = getAddress(ctx.disputes.address);
    const seen = new Set<string>();
    const take = (logs: readonly Log[]): bigint[] => {
      const ids: bigint[] = [];
      for (const log of logs) {
        const key = `${log.transactionHash}:${log.index}`;
        if (seen.has(key)) continue;
        let desc: LogDescription | null;
        try {
          desc = disputesIface?.parseLog({ topics: [...log.topics], data: log.data }) ?? null;
        } catch {
          desc = null;
        }
        if (!desc) continue;
        seen.add(key);
        txs.add(log.transactionHash);
        push("disputes", log, desc);
        const idIdx = desc.fragment.inputs.findIndex((p) => p.name === "disputeId");
        const v: unknown = idIdx >= 0 ? desc.args[idIdx] : undefined;
        if (typeof v === "bigint") ids.push(v);
      }
      return ids;
    };
    const direct = await reader.getLogs(provider, {
      address,
      topics: [null, idTopic],
      fromBlock: since,
      toBlock: "latest",
    });
    const disputeIds = [...new Set(take(direct))];
    for (const id of disputeIds) {
      if (id === requestId) continue;
      const more = await reader.getLogs(provider, {
        address,
        topics: [null, toBeHex(id, 32)],
        fromBlock: since,
        toBlock: "latest",
      });
      take(more);
    }
  }

  // Staking events (slashes, jails, stake locks) and dispute events emitted in the request's transactions.
  const receipts = await Promise.all([...txs].map((h) => provider.getTransactionReceipt(h)));
  for (const receipt of receipts) {
    if (!receipt) continue;
    for (const log of receipt.logs) {
      const address = getAddress(log.address);
      if (address === staking) {
        const desc = stakingInterface.parseLog({ topics: [...log.topics], data: log.data });
        if (!desc) continue;
        if (!["Slashed", "Jailed", "StakeLocked", "StakeUnlocked", "RewardsDistributed"].includes(desc.name))
          continue;
        push("staking", log, desc);
      } else if (disputesIface && ctx.disputes && address === getAddress(ctx.disputes.address)) {
        if (entries.some((e) => e.transactionHash === log.transactionHash && e.logIndex === log.index))
          continue;
        const desc = disputesIface.parseLog({ topics: [...log.topics], data: log.data });
        if (desc) push("disputes", log, desc);
      }
    }
  }
  entries.sort(order);

  const answers: TrailAnswer[] = [];
  const disagreements: Trail["disagreements"] = [];
  const slashes: TrailSlash[] = [];
  const jails: Trail["jails"] = [];
  let settlement: TrailSettlement | undefined;
  let status: RequestStatus = RequestStatus.Requested;
  for (const e of entries) {
    const a = e.args;
    if (e.source === "coordinator") {
      switch (e.name) {
        case "OperatorsAssigned":
          status = RequestStatus.Assigned;
          break;
        case "AnswerSubmitted":
          answers.push({
            index: Number(a.index),
            operator: String(a.operator),
            outcome: Number(a.outcome),
            outputHash: String(a.outputHash),
            output: String(a.output),
            signature: String(a.signature),
            blockNumber: e.blockNumber,
            transactionHash: e.transactionHash,
          });
          break;
        case "AnswersComplete":
          status = RequestStatus.Answered;
          break;
        case "AnswersDisagree":
          disagreements.push({
            indexA: Number(a.indexA),
            indexB: Number(a.indexB),
            blockNumber: e.blockNumber,
          });
          status = RequestStatus.Disputed;
          break;
        case "RequestDisputed":
          status = RequestStatus.Disputed;
          break;
        case "RequestFinalized":
        case "RequestRejected":
        case "RequestExpired":
        case "RequestCorrected":
        case "RequestUnserved": {
          const name = e.name;
          status = TERMINAL[name];
          settlement = {
            event: name,
            toOperators: name === "RequestFinalized" ? BigInt(a.toOperators as bigint) : 0n,
            royalty: name === "RequestFinalized" ? BigInt(a.royalty as bigint) : 0n,
            treasury: name === "RequestFinalized" ? BigInt(a.treasuryCut as bigint) : 0n,
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
          break;
        }
        default:
          break;
      }
    } else if (e.source === "staking") {
      if (e.name === "Slashed") {
        slashes.push({
          operator: String(a.operator),
          slasher: String(a.slasher),
          requested: BigInt(a.requested as bigint),
          slashed: BigInt(a.slashed as bigint),
          blockNumber: e.blockNumber,
        });
      } else if (e.name === "Jailed") {
        jails.push({
          operator: String(a.operator),
          until: BigInt(a.until as bigint),
          blockNumber: e.blockNumber,
        });
      }
    }
  }

  const state = await provider.call({
    to: coordinator,
    data: coordinatorInterface.encodeFunctionData("requestState", [requestId]),
  });
  const decoded = coordinatorInterface.decodeFunctionResult("requestState", state)[0] as Result;
  const chain = {
    status: Number(decoded.status),
    commitment: String(decoded.commitment),
    windowEnds: BigInt(decoded.windowEnds as bigint),
  };

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
  if (ctx.disputes) trail.disputes = getAddress(ctx.disputes.address);
  return trail;
}

export { statusName };
