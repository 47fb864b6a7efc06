/**
 * Issue 20.7: re-pricing stuck transactions stops at the operator's fee cap, and answers and duties draw
 * their nonces from ONE sequence (no two transactions built on the same nonce, holes refilled first).
 */
import { expect } from "chai";
import type { JsonRpcProvider } from "ethers";
import { bumpFees, capFees, currentFees, NonceManager } from "../../relayer/chain/nonce.js";

const gwei = (n: number): bigint => BigInt(n) * 1_000_000_000n;

/** A node that knows a pending count and fee data (all the nonce manager and fee policy ask for). */
function fakeNode(pending: number, fees = { maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(2) }) {
  const node = {
    pending,
    latest: pending,
    calls: 0,
    async getTransactionCount(_a: string, tag: string): Promise<number> {
      node.calls++;
      await new Promise((r) => setTimeout(r, 5)); // a real round trip: concurrent callers interleave
      return tag === "latest" ? node.latest : node.pending;
    },
    async getFeeData() {
      return { ...fees, gasPrice: null };
    },
  };
  return node;
}

describe("Relayer fees and nonces: a cap on re-pricing, one nonce sequence", function () {
  it("re-prices a stuck transaction by +25 % until the cap, then waits", function () {
    const cap = gwei(100);
    let f = { maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(2) };
    const seen: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      const next = bumpFees(f, { maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(2) }, cap);
      if (next === undefined) break;
      expect(next.maxFeePerGas <= cap).to.equal(true);
      expect(next.maxPriorityFeePerGas <= next.maxFeePerGas).to.equal(true);
      f = next;
      seen.push(f.maxFeePerGas);
    }
    // 40 → 50 → 62.5 → 78.1 → 97.6 gwei; the next +25 % would pass 100: capped at 100 (+2.4 %, under
    // the +10 % a node accepts for a replacement), so re-pricing stops.
    expect(seen.length).to.equal(4);
    expect(f.maxFeePerGas <= cap).to.equal(true);
    expect(bumpFees(f, f, cap)).to.equal(undefined);
    // Market fees above the cap are capped too.
    expect(capFees({ maxFeePerGas: gwei(900), maxPriorityFeePerGas: gwei(800) }, cap)).to.deep.equal({
      maxFeePerGas: cap,
      maxPriorityFeePerGas: cap,
    });
  });

  it("caps the node's fee suggestion", async function () {
    const node = fakeNode(0, { maxFeePerGas: gwei(1_000), maxPriorityFeePerGas: gwei(5) });
    const f = await currentFees(node as unknown as JsonRpcProvider, gwei(50));
    expect(f).to.deep.equal({ maxFeePerGas: gwei(50), maxPriorityFeePerGas: gwei(5) });
  });

  it("answers and duties asking at once never get the same nonce; a refused one is reused first", async function () {
    const node = fakeNode(7);
    const nonces = new NonceManager(node as unknown as JsonRpcProvider, "0x" + "aa".repeat(20));
    nonces.dutyStarted(); // a duty transaction is in flight: the local counter is authoritative
    const got = await Promise.all([
      nonces.take(false), // duty
      nonces.take(true), // answers
      nonces.take(false),
      nonces.take(true),
    ]);
    expect(new Set(got).size).to.equal(4);
    expect([...got].sort((a, b) => a - b)).to.deep.equal([7, 8, 9, 10]);
    // Nonce 8 was refused by the node (never broadcast): the next transaction takes it.
    nonces.release(8);
    expect(await nonces.take(true)).to.equal(8);
    expect(await nonces.take(true)).to.equal(11);
    // "nonce too low": ask the node again.
    nonces.dutyDone();
    node.pending = 20;
    nonces.resync();
    expect(await nonces.take(false)).to.equal(20);
  });
});
