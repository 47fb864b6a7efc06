/**
 * Transactions of the dispute duties (approve, openDispute, drawJury, commitVote, revealVote, settle,
 * escalate), sent from the signer key. Each is estimated first (`eth_estimateGas` is the simulation: a
 * call that would revert is never sent and its custom error is returned decoded), sent with the estimate
 * × 1.2 and waited for by polling the receipt. The duties run inside the relayer's one loop, after the
 * answer submitter, one transaction at a time, so they do not race the submitter for nonces; if they
 * ever do, the submitter's "nonce too low" path resynchronises it.
 */
import type { Interface, JsonRpcProvider, TransactionReceipt, Wallet } from "ethers";
import { VerdictError } from "../../sdk/errors.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Revert data found anywhere in an ethers / JSON-RPC error chain. */
export function revertData(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur !== null && typeof cur === "object"; i++) {
    const d = (cur as { data?: unknown }).data;
    if (typeof d === "string" && d.startsWith("0x")) return d;
    const info = (cur as { info?: { error?: { data?: unknown } } }).info?.error?.data;
    if (typeof info === "string" && info.startsWith("0x")) return info;
    cur = (cur as { error?: unknown }).error ?? (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The custom error name a call reverted with (decoded with `iface`), or undefined. */
export function revertName(e: unknown, ...ifaces: Interface[]): string | undefined {
  const data = revertData(e);
  if (data === undefined || data.length < 10) return undefined;
  for (const iface of ifaces) {
    try {
      const err = iface.parseError(data);
      if (err !== null) return err.name;
    } catch {
      // not this interface
    }
  }
  return undefined;
}

/** A call that would revert: its decoded custom error (`reason`), if known. */
export class DutyRevert extends VerdictError {
  constructor(
    readonly label: string,
    readonly reason: string | undefined,
    cause: unknown,
  ) {
    super("DUTY_TX_REVERTS", `${label} would revert (${reason ?? "unknown reason"})`, {}, cause);
  }
}

export interface DutySender {
  /** Estimates, sends and waits for `data` to `to`; throws DutyRevert when the call would revert. */
  send(label: string, to: string, data: string): Promise<TransactionReceipt>;
}

export function dutySender(
  provider: JsonRpcProvider,
  signer: Wallet,
  ifaces: Interface[],
  timeoutMs = 120_000,
): DutySender {
  return {
    async send(label, to, data) {
      let gas: bigint;
      try {
        gas = await provider.estimateGas({ from: signer.address, to, data });
      } catch (e) {
        const reason = revertName(e, ...ifaces);
        if (reason !== undefined || revertData(e) !== undefined) throw new DutyRevert(label, reason, e);
        throw e; // an RPC failure: retried by the caller's next iteration
      }
      const tx = await signer.sendTransaction({ to, data, gasLimit: (gas * 12n) / 10n });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await provider.getTransactionReceipt(tx.hash);
        if (r !== null) {
          if (r.status !== 1) throw new DutyRevert(label, "reverted on chain", { hash: tx.hash });
          return r;
        }
        if (Date.now() > deadline) {
          throw new VerdictError("DUTY_TX_TIMEOUT", `${label} ${tx.hash} not mined in ${timeoutMs} ms`);
        }
        await sleep(250);
      }
    },
  };
}
