/**
 * Transactions of the dispute duties (approve, openDispute, drawJury, commitVote, revealVote, settle,
 * escalate), sent from the signer key. Each is estimated first (`eth_estimateGas` is the simulation: a
 * call that would revert is never sent and its custom error is returned decoded), sent with the estimate
 * × 1.2 and waited for by polling the receipt. Nonces come from the signer's ONE nonce manager
 * (relayer/chain/nonce.ts), shared with the answer submitter (the duties run beside the chain loop, so
 * both may send at once); fees are the node's, capped at the operator's `maxFeePerGas`, and a duty
 * transaction not mined after `stuckMs` is replaced (same nonce, +25 %, never above the cap) so that
 * answers queued behind its nonce are not held up.
 */
import {
  Transaction,
  type Interface,
  type JsonRpcProvider,
  type TransactionReceipt,
  type Wallet,
} from "ethers";
import { VerdictError } from "../../sdk/errors.js";
import { sleep } from "../../sdk/retry.js";
import { decodeRevert, revertDataOf } from "../../sdk/revert.js";
import { bumpFees, currentFees, NonceManager, type Fees } from "./nonce.js";

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

export interface DutySenderOptions {
  /** The signer's nonce sequence, shared with the answer submitter. */
  nonces?: NonceManager;
  /** Fee cap (wei per gas). */
  maxFeePerGas?: bigint;
  /** A duty transaction not mined after this long is re-priced (default 60 s). */
  stuckMs?: number;
  /** Block the estimate runs on (default: the node's; "pending" for calls that need the next block). */
  estimateBlockTag?: string;
  /** Gas limit from the estimate (default: estimate × 1.2). */
  gasLimit?: (estimate: bigint) => bigint;
}

export function dutySender(
  provider: JsonRpcProvider,
  signer: Wallet,
  ifaces: Interface[],
  timeoutMs = 120_000,
  options: DutySenderOptions = {},
): DutySender {
  const nonces = options.nonces ?? new NonceManager(provider, signer.address);
  const cap = options.maxFeePerGas ?? 1n << 255n;
  const stuckMs = options.stuckMs ?? 60_000;
  const chainId = async (): Promise<bigint> => (await provider.getNetwork()).chainId;
  const broadcast = async (tx: Transaction): Promise<string> => {
    const raw = signer.signingKey.sign(tx.unsignedHash);
    tx.signature = raw;
    await provider.broadcastTransaction(tx.serialized);
    return tx.hash as string;
  };
  return {
    async send(label, to, data) {
      let gas: bigint;
      try {
        gas =
          options.estimateBlockTag === undefined
            ? await provider.estimateGas({ from: signer.address, to, data })
            : BigInt(
                (await provider.send("eth_estimateGas", [
                  { from: signer.address, to, data },
                  options.estimateBlockTag,
                ])) as string,
              );
      } catch (e) {
        const reason = decodeRevert(e, ...ifaces)?.name;
        if (reason !== undefined || revertDataOf(e, { bare: true }) !== undefined)
          throw new DutyRevert(label, reason, e);
        throw e; // an RPC failure: retried by the caller's next iteration
      }
      let fees: Fees = await currentFees(provider, cap);
      const base = {
        type: 2,
        chainId: await chainId(),
        to,
        data,
        gasLimit: options.gasLimit?.(gas) ?? (gas * 12n) / 10n,
      };
      nonces.dutyStarted();
      try {
        const nonce = await nonces.take(false);
        const hashes: string[] = [];
        try {
          hashes.push(await broadcast(Transaction.from({ ...base, nonce, ...fees })));
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/nonce too low|nonce.*lower/i.test(msg)) nonces.resync();
          else nonces.release(nonce);
          throw e;
        }
        const deadline = Date.now() + timeoutMs;
        let sentAt = Date.now();
        for (;;) {
          for (const h of hashes) {
            const r = await provider.getTransactionReceipt(h);
            if (r === null) continue;
            if (r.status !== 1) throw new DutyRevert(label, "reverted on chain", { hash: h });
            return r;
          }
          if (Date.now() > deadline) {
            throw new VerdictError(
              "DUTY_TX_TIMEOUT",
              `${label} ${hashes.at(-1)} not mined in ${timeoutMs} ms`,
            );
          }
          if (Date.now() - sentAt > stuckMs) {
            const bumped = bumpFees(fees, await currentFees(provider, cap), cap);
            sentAt = Date.now();
            if (bumped !== undefined) {
              fees = bumped;
              hashes.push(
                await broadcast(Transaction.from({ ...base, nonce, ...fees })).catch(
                  () => hashes.at(-1) as string,
                ),
              );
            }
          }
          await sleep(250);
        }
      } finally {
        nonces.dutyDone();
      }
    },
  };
}
