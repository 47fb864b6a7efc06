/**
 * Bounded log reads: the one function the indexer reads events through. A range is read in windows of at
 * most `maxRange` blocks; a window the RPC refuses as too large (hosted providers' range or result limits)
 * is halved and retried, down to one block. The lead may swap this for sdk/logs.ts: keep the signature.
 */
import type { Filter, Log, Provider } from "ethers";

export interface LogQuery {
  address: string[];
  fromBlock: number;
  toBlock: number;
  /** Largest block range per eth_getLogs. */
  maxRange: number;
}

/** Error texts providers use when a getLogs range or result set is too large. */
const TOO_LARGE =
  /range|too many|limit|exceed|block range|response size|10000 results|query returned more than|timeout/i;

function isRangeError(err: unknown): boolean {
  const e = err as {
    message?: unknown;
    error?: { message?: unknown };
    info?: { error?: { message?: unknown } };
  };
  const text = [e?.message, e?.error?.message, e?.info?.error?.message].map((m) => String(m ?? "")).join(" ");
  return TOO_LARGE.test(text);
}

/** Every log of `address` in [fromBlock, toBlock], in chain order, read in bounded windows. */
export async function readLogs(provider: Provider, q: LogQuery): Promise<Log[]> {
  const out: Log[] = [];
  let from = q.fromBlock;
  let span = Math.max(1, q.maxRange);
  while (from <= q.toBlock) {
    const to = Math.min(q.toBlock, from + span - 1);
    const filter: Filter = { address: q.address, fromBlock: from, toBlock: to };
    let logs: Log[];
    try {
      logs = await provider.getLogs(filter);
    } catch (err) {
      if (to > from && isRangeError(err)) {
        span = Math.max(1, Math.floor((to - from + 1) / 2));
        continue;
      }
      throw err;
    }
    out.push(...logs);
    from = to + 1;
  }
  return out;
}
