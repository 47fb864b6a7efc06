/**
 * The request as the coordinator committed it: parsed from `RequestCreated`, passed back to every later
 * call (answers, finalize, expire, disputes). The ABI comes from the build, never retyped.
 */
import { Interface, type Log, type LogDescription, type Result } from "ethers";
import CoordinatorArtifact from "../artifacts/contracts/requests/Coordinator.sol/Coordinator.json" with { type: "json" };
import { VerdictError } from "./errors.js";

export const coordinatorInterface = new Interface(CoordinatorArtifact.abi);

/** Coordinator request statuses, in the contract's enum order. */
export const RequestStatus = {
  None: 0,
  Assigned: 1,
  Answered: 2,
  Disputed: 3,
  Finalized: 4,
  Rejected: 5,
  Expired: 6,
  Corrected: 7,
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];
export const statusName = (s: number): string =>
  Object.entries(RequestStatus).find(([, v]) => v === s)?.[0] ?? `Unknown(${s})`;

/** `ICoordinator.Request`, with plain JS types. */
export interface CommittedRequest {
  requester: string;
  callback: string;
  modelHash: string;
  inputHash: string;
  modelOwner: string;
  feePerOperator: bigint;
  deadline: bigint;
  tolerance: bigint;
  disputeWindow: bigint;
  callbackGasLimit: bigint;
  royaltyBps: bigint;
  treasuryBps: bigint;
  redundancy: bigint;
  finality: bigint;
  operators: string[];
}

/** A request as created on chain, with what only the event carries. */
export interface CreatedRequest {
  requestId: bigint;
  request: CommittedRequest;
  input: string; // hex; "0x" when the input travels by hash + URI
  inputURI: string;
  seed: bigint;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

function toRequest(r: Result): CommittedRequest {
  const o = r.toObject() as Record<string, unknown>;
  return {
    requester: String(o.requester),
    callback: String(o.callback),
    modelHash: String(o.modelHash),
    inputHash: String(o.inputHash),
    modelOwner: String(o.modelOwner),
    feePerOperator: BigInt(o.feePerOperator as bigint),
    deadline: BigInt(o.deadline as bigint),
    tolerance: BigInt(o.tolerance as bigint),
    disputeWindow: BigInt(o.disputeWindow as bigint),
    callbackGasLimit: BigInt(o.callbackGasLimit as bigint),
    royaltyBps: BigInt(o.royaltyBps as bigint),
    treasuryBps: BigInt(o.treasuryBps as bigint),
    redundancy: BigInt(o.redundancy as bigint),
    finality: BigInt(o.finality as bigint),
    operators: Array.from(o.operators as Iterable<unknown>, String),
  };
}

/** Parses one log if it is a coordinator event, else null. */
export function parseCoordinatorLog(log: Pick<Log, "topics" | "data">): LogDescription | null {
  try {
    return coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}

/** Every `RequestCreated` in `logs`. */
export function createdRequestsIn(logs: readonly Log[]): CreatedRequest[] {
  const out: CreatedRequest[] = [];
  for (const log of logs) {
    const parsed = parseCoordinatorLog(log);
    if (parsed?.name !== "RequestCreated") continue;
    out.push({
      requestId: BigInt(parsed.args.requestId as bigint),
      request: toRequest(parsed.args.request as Result),
      input: String(parsed.args.input),
      inputURI: String(parsed.args.inputURI),
      seed: BigInt(parsed.args.seed as bigint),
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      logIndex: log.index,
    });
  }
  return out;
}

/** The one `RequestCreated` of a transaction's logs; throws REQUEST_NOT_FOUND otherwise. */
export function createdRequestIn(logs: readonly Log[]): CreatedRequest {
  const all = createdRequestsIn(logs);
  const first = all[0];
  if (all.length !== 1 || first === undefined) {
    throw new VerdictError("REQUEST_NOT_FOUND", `expected one RequestCreated event, found ${all.length}`);
  }
  return first;
}

/** The index of `operator` among the request's assigned operators, or -1. */
export function operatorIndex(req: CommittedRequest, operator: string): number {
  return req.operators.findIndex((o) => o.toLowerCase() === operator.toLowerCase());
}

/**
 * Gas limit for a request transaction from its estimate. The operator draw depends on the seed, which
 * depends on the block the request lands in, so an estimate made against the previous block can fall
 * short when the real draw rejects a capped candidate a few more times (or, with k > 1, redraws a
 * duplicate). Each extra try costs a few thousand gas; this leaves room for dozens.
 */
export function requestGasLimit(estimate: bigint): bigint {
  return (estimate * 3n) / 2n + 60_000n;
}
