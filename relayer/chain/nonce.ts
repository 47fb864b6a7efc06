/**
 * The signer key's ONE nonce sequence, shared by the answer submitter and the dispute duties (both send
 * from the signer key, and since computing and duties run beside the chain loop they may send at the
 * same moment). Nonces are handed out under a lock: a hole left by a transaction the node refused is
 * filled first (later nonces wait behind it), else the local counter while any of our transactions is in
 * flight, else the node's pending count. "nonce too low" resynchronises it. And the fee policy both
 * follow: current fees capped at the operator's `maxFeePerGas`, stuck transactions re-priced by +25 % at
 * most up to that cap (never an unbounded climb).
 */
import type { JsonRpcProvider } from "ethers";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export class NonceManager {
  readonly #provider: JsonRpcProvider;
  readonly #address: string;
  #next: number | undefined;
  #holes: number[] = [];
  /** Transactions of the duties awaiting their receipt (the submitter tracks its own). */
  #dutyInFlight = 0;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(provider: JsonRpcProvider, address: string) {
    this.#provider = provider;
    this.#address = address;
  }

  /** The next nonce to use; `inFlight`: the caller knows of its own unmined transactions. */
  take(inFlight: boolean): Promise<number> {
    const p = this.#lock.then(() => this.#take(inFlight || this.#dutyInFlight > 0));
    this.#lock = p.catch(() => undefined);
    return p;
  }

  async #take(inFlight: boolean): Promise<number> {
    while (this.#holes.length > 0 && inFlight) {
      this.#holes.sort((a, b) => a - b);
      const hole = this.#holes.shift() as number;
      const used = await this.#provider.getTransactionCount(this.#address, "latest");
      if (hole >= used) return hole;
    }
    this.#holes = [];
    if (this.#next === undefined || !inFlight) {
      this.#next = await this.#provider.getTransactionCount(this.#address, "pending");
    }
    const n = this.#next;
    this.#next = n + 1;
    return n;
  }

  /** `nonce` was never accepted by the node: it is free again. */
  release(nonce: number): void {
    if (this.#next === nonce + 1) this.#next = nonce;
    else if (!this.#holes.includes(nonce)) this.#holes.push(nonce);
  }

  /** The node says a nonce was already used: ask it again next time. */
  resync(): void {
    this.#next = undefined;
    this.#holes = [];
  }

  /** A duty transaction is (no longer) awaiting its receipt. */
  dutyStarted(): void {
    this.#dutyInFlight++;
  }

  dutyDone(): void {
    this.#dutyInFlight = Math.max(0, this.#dutyInFlight - 1);
  }
}

/** Fees capped at `cap` (maxFeePerGas), the priority fee never above the max fee. */
export function capFees(f: Fees, cap: bigint): Fees {
  const maxFeePerGas = f.maxFeePerGas > cap ? cap : f.maxFeePerGas;
  const maxPriorityFeePerGas = f.maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : f.maxPriorityFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * Fees of a replacement: +25 % over the stuck transaction (the minimum nodes accept is +10 %) or the
 * current fees if higher, capped at `cap`. Undefined when the stuck transaction is already at the cap
 * (re-pricing stops there: the operator's ceiling, not the market, bounds what it pays).
 */
export function bumpFees(stuck: Fees, current: Fees, cap: bigint): Fees | undefined {
  if (stuck.maxFeePerGas >= cap) return undefined;
  const bump = (a: bigint, b: bigint): bigint => {
    const x = (a * 125n) / 100n + 1n;
    return x > b ? x : b;
  };
  const f = capFees(
    {
      maxFeePerGas: bump(stuck.maxFeePerGas, current.maxFeePerGas),
      maxPriorityFeePerGas: bump(stuck.maxPriorityFeePerGas, current.maxPriorityFeePerGas),
    },
    cap,
  );
  // A replacement must raise both fees by at least 10 % to be accepted; at the cap it may not.
  if (f.maxFeePerGas * 100n < stuck.maxFeePerGas * 110n) return undefined;
  if (f.maxPriorityFeePerGas * 100n < stuck.maxPriorityFeePerGas * 110n) return undefined;
  return f;
}

/** Current fees from the node (EIP-1559), capped. */
export async function currentFees(provider: JsonRpcProvider, cap: bigint): Promise<Fees> {
  const fd = await provider.getFeeData();
  const prio = fd.maxPriorityFeePerGas ?? 1_000_000_000n;
  const max = fd.maxFeePerGas ?? (fd.gasPrice ?? 1_000_000_000n) * 2n;
  return capFees({ maxFeePerGas: max > prio ? max : prio, maxPriorityFeePerGas: prio }, cap);
}
