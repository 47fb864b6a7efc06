/**
 * The explorer's bounded log reader (explorer/logs.ts) against a provider that refuses large ranges the way
 * hosted RPCs do: every log is still read exactly once, in order, in windows the provider accepts.
 */
import { expect } from "chai";
import type { Filter, Log, Provider } from "ethers";
import { readLogs } from "../../explorer/logs.js";

function fakeProvider(limit: number, logsPerBlock: number, calls: [number, number][]): Provider {
  return {
    async getLogs(filter: Filter): Promise<Log[]> {
      const from = Number(filter.fromBlock);
      const to = Number(filter.toBlock);
      calls.push([from, to]);
      if (to - from + 1 > limit) throw new Error(`query exceeds max block range ${limit}`);
      const out: Log[] = [];
      for (let b = from; b <= to; b++)
        for (let i = 0; i < logsPerBlock; i++) out.push({ blockNumber: b, index: i } as unknown as Log);
      return out;
    },
  } as unknown as Provider;
}

describe("explorer: bounded log reads", function () {
  it("halves a window the RPC refuses and reads every log once, in order", async function () {
    const calls: [number, number][] = [];
    const logs = await readLogs(fakeProvider(10, 2, calls), {
      address: ["0x0000000000000000000000000000000000000001"],
      fromBlock: 5,
      toBlock: 104,
      maxRange: 64,
    });
    expect(logs.length).to.equal(200);
    expect(logs.map((l) => l.blockNumber)).to.deep.equal(
      Array.from({ length: 200 }, (_, i) => 5 + Math.floor(i / 2)),
    );
    const served = calls.filter(([f, t]) => t - f + 1 <= 10);
    expect(served.every(([f, t]) => t >= f)).to.equal(true);
    expect(calls.every(([f, t]) => t - f + 1 <= 64)).to.equal(true);
  });

  it("passes on an error that is not about the range", async function () {
    const provider = {
      getLogs: () => Promise.reject(new Error("connection refused")),
    } as unknown as Provider;
    let caught: unknown;
    try {
      await readLogs(provider, { address: [], fromBlock: 0, toBlock: 100, maxRange: 50 });
    } catch (e) {
      caught = e;
    }
    expect(String(caught)).to.contain("connection refused");
  });
});
