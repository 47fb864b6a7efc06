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

/** What one duty sender needs to estimate, sign, send and watch its transactions. */
interface DutyTxContext {
  provider: JsonRpcProvider;
  signer: Wallet;
  ifaces: Interface[];
  options: DutySenderOptions;
  nonces: NonceManager;
  cap: bigint;
  stuckMs: number;
  timeoutMs: number;
}

/** The unsigned fields of a duty transaction, fixed across its re-pricings. */
interface DutyTxBase {
  type: number;
  chainId: bigint;
  to: string;
  data: string;
  gasLimit: bigint;
}

/** The simulation: the call's gas, or DutyRevert (decoded) when it would revert. */
async function estimateDuty(ctx: DutyTxContext, label: string, to: string, data: string): Promise<bigint> {
  const { provider, signer, options } = ctx;
  try {
    return options.estimateBlockTag === undefined
      ? await provider.estimateGas({ from: signer.address, to, data })
      : BigInt(
          (await provider.send("eth_estimateGas", [
            { from: signer.address, to, data },
            options.estimateBlockTag,
          ])) as string,
        );
  } catch (e) {
    const reason = decodeRevert(e, ...ctx.ifaces)?.name;
    if (reason !== undefined || revertDataOf(e, { bare: true }) !== undefined)
      throw new DutyRevert(label, reason, e);
    throw e; // an RPC failure: retried by the caller's next iteration
  }
}

async function broadcast(ctx: DutyTxContext, tx: Transaction): Promise<string> {
  tx.signature = ctx.signer.signingKey.sign(tx.unsignedHash);
  await ctx.provider.broadcastTransaction(tx.serialized);
  return tx.hash as string;
}

/** The first broadcast: a refused nonce is handed back (or resynchronised when the node says it is used). */
async function broadcastFirst(ctx: DutyTxContext, tx: Transaction, nonce: number): Promise<string> {
  try {
    return await broadcast(ctx, tx);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/nonce too low|nonce.*lower/i.test(msg)) ctx.nonces.resync();
    else ctx.nonces.release(nonce);
    throw e;
  }
}

/**
 * Polls the receipts of every version sent until one is mined; a version not mined after `stuckMs` is
 * replaced with higher fees (same nonce, never above the cap). Throws DutyRevert when it reverted on chain,
 * DUTY_TX_TIMEOUT after `timeoutMs`.
 */
async function awaitMined(
  ctx: DutyTxContext,
  label: string,
  base: DutyTxBase,
  nonce: number,
  firstFees: Fees,
  hashes: string[],
): Promise<TransactionReceipt> {
  let fees = firstFees;
  const deadline = Date.now() + ctx.timeoutMs;
  let sentAt = Date.now();
  for (;;) {
    for (const h of hashes) {
      const r = await ctx.provider.getTransactionReceipt(h);
      if (r === null) continue;
      if (r.status !== 1) throw new DutyRevert(label, "reverted on chain", { hash: h });
      return r;
    }
    if (Date.now() > deadline) {
      throw new VerdictError("DUTY_TX_TIMEOUT", `${label} ${hashes.at(-1)} not mined in ${ctx.timeoutMs} ms`);
    }
    if (Date.now() - sentAt > ctx.stuckMs) {
      const bumped = bumpFees(fees, await currentFees(ctx.provider, ctx.cap), ctx.cap);
      sentAt = Date.now();
      if (bumped !== undefined) {
        fees = bumped;
        hashes.push(
          await broadcast(ctx, Transaction.from({ ...base, nonce, ...fees })).catch(
            () => hashes.at(-1) as string,
          ),
        );
      }
    }
    await sleep(250);
  }
}

export function dutySender(
  provider: JsonRpcProvider,
  signer: Wallet,
  ifaces: Interface[],
  timeoutMs = 120_000,
  options: DutySenderOptions = {},
): DutySender {
  const ctx: DutyTxContext = {
    provider,
    signer,
    ifaces,
    options,
    nonces: options.nonces ?? new NonceManager(provider, signer.address),
    cap: options.maxFeePerGas ?? 1n << 255n,
    stuckMs: options.stuckMs ?? 60_000,
    timeoutMs,
  };
  const { nonces } = ctx;
  return {
    async send(label, to, data) {
      const gas = await estimateDuty(ctx, label, to, data);
      const fees: Fees = await currentFees(provider, ctx.cap);
      const base: DutyTxBase = {
        type: 2,
        chainId: (await provider.getNetwork()).chainId,
        to,
        data,
        gasLimit: options.gasLimit?.(gas) ?? (gas * 12n) / 10n,
      };
      nonces.dutyStarted();
      try {
        const nonce = await nonces.take(false);
        const hashes = [await broadcastFirst(ctx, Transaction.from({ ...base, nonce, ...fees }), nonce)];
        return await awaitMined(ctx, label, base, nonce, fees, hashes);
      } finally {
        nonces.dutyDone();
      }
    },
  };
}
