/**
 * Bounded log reads: the one function the indexer reads events through, on the SDK's `LogReader`
 * (sdk/logs.ts): windows of at most `maxRange` blocks, a window the RPC refuses as too large (hosted
 * providers' range or result limits) shrunk (halved, or to the size the refusal names) and retried, down to
 * one block; rate-limit answers retried after their Retry-After. Pass a long-lived reader to keep the range
 * it learned from one read to the next.
 */
import type { Log, Provider } from "ethers";
import { LogReader } from "../sdk/logs.js";

export interface LogQuery {
  address: string[];
  fromBlock: number;
  toBlock: number;
  /** Largest block range per eth_getLogs (used when no `reader` is given). */
  maxRange: number;
}

/** Every log of `address` in [fromBlock, toBlock], in chain order, read in bounded windows. */
export function readLogs(provider: Provider, q: LogQuery, reader?: LogReader): Promise<Log[]> {
  const r = reader ?? new LogReader({ maxRange: Math.max(1, q.maxRange) });
  return r.getLogs(provider, { address: q.address, fromBlock: q.fromBlock, toBlock: q.toBlock });
}
