/**
 * The request as the coordinator committed it: parsed from `RequestCreated` (with no operators), completed by
 * `OperatorsAssigned` (the draw), passed back to every later call (assign, answers, finalize, expire,
 * disputes). The ABI comes from the build, never retyped.
 */
import {
  Interface,
  concat,
  dataLength,
  dataSlice,
  getAddress,
  keccak256,
  toBeHex,
  toUtf8Bytes,
  toUtf8String,
  Utf8ErrorFuncs,
  zeroPadValue,
  type Log,
  type LogDescription,
} from "ethers";
import * as CoordinatorArtifact from "./abi/coordinator.js";
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
  /** Every drawn operator answered "cannot serve": refunded, nobody penalised. */
  Unserved: 8,
  /** Escrowed, waiting for its operator draw (`assign`); appended to the enum, hence last. */
  Requested: 9,
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

/** The operator draw of a request, from `OperatorsAssigned`. */
export interface Assignment {
  requestId: bigint;
  operators: string[];
  /** The randomness ticket the draw used (BlockhashRandomness: the block whose hash it used). */
  ticket: bigint;
  /** keccak256(abi.encode(ticket's value, requestId)): the seed `Staking.selectOperators` drew with. */
  seed: bigint;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

/**
 * A request as created on chain, with what only the events carry. Until its draw, `request.operators` is
 * empty and `assignment` undefined (the request as committed then, which `assign` takes); {@link withAssignment}
 * fills both in.
 */
export interface CreatedRequest {
  requestId: bigint;
  request: CommittedRequest;
  input: string; // hex; "0x" when the input travels by hash + URI
  inputURI: string;
  /** The randomness ticket taken at creation (a renewal, `TicketRenewed`, replaces it on chain). */
  ticket: bigint;
  /** The draw's seed once assigned, else 0n. */
  seed: bigint;
  assignment?: Assignment;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

/** Size of the fixed part of `RequestCreated.packed` (ICoordinator, docs/protocol.md). */
const PACKED_FIXED = 68;

/** The fields of a request carried by `RequestCreated` in its topics and its `packed` payload. */
export interface CreatedPayload {
  request: CommittedRequest;
  input: string;
  inputURI: string;
  ticket: bigint;
}

const uint = (hex: string, from: number, size: number): bigint => BigInt(dataSlice(hex, from, from + size));

/**
 * Decodes the `packed` payload of `RequestCreated` (big-endian, no padding): callback (20) ‖ feePerOperator (12)
 * ‖ deadline (8) ‖ tolerance (8) ‖ disputeWindow (4) ‖ callbackGasLimit (4) ‖ royaltyBps (2) ‖ treasuryBps (2) ‖
 * redundancy (1) ‖ finality (1) ‖ inputKind (1) ‖ ticket (5) ‖ then the inline input (inputKind 0; inputHash =
 * its keccak256) or inputHash (32) ‖ the input URI in UTF-8 (inputKind 1). `requester` and `modelHash` come from
 * the event's topics; the operators are not drawn yet (empty). Throws BAD_EVENT on a malformed payload.
 */
export function decodeCreatedPayload(requester: string, modelHash: string, packed: string): CreatedPayload {
  const size = dataLength(packed);
  if (size < PACKED_FIXED) throw new VerdictError("BAD_EVENT", `RequestCreated payload of ${size} bytes`);
  const redundancy = uint(packed, 60, 1);
  const kind = Number(uint(packed, 62, 1));
  const opsEnd = PACKED_FIXED;
  if (kind > 1 || size < opsEnd + (kind === 0 ? 1 : 32)) {
    throw new VerdictError("BAD_EVENT", "malformed RequestCreated payload");
  }
  const operators: string[] = [];
  const input = kind === 0 ? dataSlice(packed, opsEnd) : "0x";
  return {
    request: {
      requester: getAddress(requester),
      callback: getAddress(dataSlice(packed, 0, 20)),
      modelHash: String(modelHash),
      inputHash: kind === 0 ? keccak256(input) : dataSlice(packed, opsEnd, opsEnd + 32),
      feePerOperator: uint(packed, 20, 12),
      deadline: uint(packed, 32, 8),
      tolerance: uint(packed, 40, 8),
      disputeWindow: uint(packed, 48, 4),
      callbackGasLimit: uint(packed, 52, 4),
      royaltyBps: uint(packed, 56, 2),
      treasuryBps: uint(packed, 58, 2),
      redundancy,
      finality: uint(packed, 61, 1),
      operators,
    },
    input,
    // Lenient: the contract accepts any bytes as the URI, and a request must never be skipped for it
    // (its operators would be penalised at expiry). Invalid UTF-8 decodes with U+FFFD replacements;
    // such a URI is unusable and the relayer answers "input unavailable" for it.
    inputURI: kind === 1 ? toUtf8String(dataSlice(packed, opsEnd + 32), Utf8ErrorFuncs.replace) : "",
    ticket: uint(packed, 63, 5),
  };
}

/**
 * Encodes a `RequestCreated` payload: the inverse of {@link decodeCreatedPayload} (for tests and tools that
 * fabricate logs; the coordinator builds the same bytes). An inline input's hash is not carried: it is
 * keccak256 of the input; the operators are not carried either (they come with `OperatorsAssigned`).
 */
export function encodeCreatedPayload(p: CreatedPayload): string {
  const r = p.request;
  const inline = dataLength(p.input) > 0;
  const be = (v: bigint, size: number): string => zeroPadValue(toBeHex(v), size);
  return concat([
    r.callback,
    be(r.feePerOperator, 12),
    be(r.deadline, 8),
    be(r.tolerance, 8),
    be(r.disputeWindow, 4),
    be(r.callbackGasLimit, 4),
    be(r.royaltyBps, 2),
    be(r.treasuryBps, 2),
    be(r.redundancy, 1),
    be(r.finality, 1),
    be(inline ? 0n : 1n, 1),
    be(p.ticket, 5),
    ...(inline ? [p.input] : [r.inputHash, toUtf8Bytes(p.inputURI)]),
  ]);
}

/** Parses one log if it is a coordinator event, else null. */
export function parseCoordinatorLog(log: Pick<Log, "topics" | "data">): LogDescription | null {
  try {
    return coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}

/** Where a log stands in the chain: its block, transaction and index. */
function placeOf(log: Log): {
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
} {
  return {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  };
}

/** Every `RequestCreated` in `logs`. */
export function createdRequestsIn(logs: readonly Log[]): CreatedRequest[] {
  const out: CreatedRequest[] = [];
  for (const log of logs) {
    const parsed = parseCoordinatorLog(log);
    if (parsed?.name !== "RequestCreated") continue;
    let payload: CreatedPayload;
    try {
      payload = decodeCreatedPayload(
        String(parsed.args.requester),
        String(parsed.args.modelHash),
        String(parsed.args.packed),
      );
    } catch {
      continue; // a malformed payload is no request (a lying node's log), like an undecodable log
    }
    out.push({
      requestId: BigInt(parsed.args.requestId as bigint),
      ...payload,
      seed: 0n,
      ...placeOf(log),
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

/** Every `OperatorsAssigned` in `logs` (the draws). */
export function assignmentsIn(logs: readonly Log[]): Assignment[] {
  const out: Assignment[] = [];
  for (const log of logs) {
    const parsed = parseCoordinatorLog(log);
    if (parsed?.name !== "OperatorsAssigned") continue;
    out.push({
      requestId: BigInt(parsed.args.requestId as bigint),
      operators: (parsed.args.operators as string[]).map((o) => getAddress(o)),
      ticket: BigInt(parsed.args.ticket as bigint),
      seed: BigInt(parsed.args.seed as string),
      ...placeOf(log),
    });
  }
  return out;
}

/** The created request completed by its draw: the request as committed from then on. */
export function withAssignment(created: CreatedRequest, a: Assignment): CreatedRequest {
  if (a.requestId !== created.requestId) {
    throw new VerdictError(
      "BAD_EVENT",
      `assignment of request ${a.requestId} given for ${created.requestId}`,
    );
  }
  return {
    ...created,
    request: { ...created.request, operators: [...a.operators] },
    ticket: a.ticket,
    seed: a.seed,
    assignment: a,
  };
}

/** The request as committed before its draw (no operators): what `assign` and an unassigned `expire` take. */
export function unassignedRequest(req: CommittedRequest): CommittedRequest {
  return { ...req, operators: [] };
}

/** The index of `operator` among the request's assigned operators, or -1. */
export function operatorIndex(req: CommittedRequest, operator: string): number {
  return req.operators.findIndex((o) => o.toLowerCase() === operator.toLowerCase());
}

/**
 * Gas limit for a request or an `assign` transaction from its estimate. The operator draw (in `assign`) depends
 * on the seed, which depends on the block whose hash the ticket names, so an estimate made before can fall short
 * when the real draw rejects a capped candidate a few more times (or, with k > 1, redraws a duplicate). Each
 * extra try costs a few thousand gas; this leaves room for dozens.
 */
export function requestGasLimit(estimate: bigint): bigint {
  return (estimate * 3n) / 2n + 60_000n;
}
