/**
 * The two alerting metrics of docs/operations.md ("Alerts"), scraped from /metrics: the signer's gas
 * balance, refreshed from a real chain, and the missed-duties counter, present at 0 from the start.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { parseEther, Wallet } from "ethers";
import { sleep } from "../../sdk/retry.js";
import { MISSED_DUTIES, RelayerMetrics, startMetricsServer } from "../../relayer/metrics.js";

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).to.equal(200);
  return res.text();
}

function gauge(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Polls `f` until it holds (the refresh is asynchronous), at most ~5 s. */
async function eventually(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await f()) return;
    await sleep(50);
  }
  expect.fail("condition never held");
}

describe("relayer alerts: signer balance and missed duties on /metrics", function () {
  it("tracks the signer's balance on chain and counts missed duties by kind", async function () {
    const { ethers } = await network.connect();
    const [funder] = await ethers.getSigners();
    const signer = Wallet.createRandom(ethers.provider);
    await (await funder!.sendTransaction({ to: signer.address, value: parseEther("1") })).wait();

    const metrics = new RelayerMetrics({ defaultMetrics: false });
    const srv = await startMetricsServer({ metrics, port: 0, healthMaxStalenessMs: 10_000 });
    let reads = 0;
    let failNext = false;
    const stop = metrics.trackSignerBalance(async () => {
      reads++;
      if (failNext) {
        failNext = false;
        throw new Error("rpc down");
      }
      return ethers.provider.getBalance(signer.address);
    }, 50);
    try {
      // Every duty is exported at 0 before anything is missed (so increase() alerts work at once).
      let text = await scrape(srv.port);
      for (const duty of MISSED_DUTIES)
        expect(text).to.match(new RegExp(`^verdict_missed_duties_total\\{duty="${duty}"\\} 0$`, "m"));

      await eventually(async () => gauge(await scrape(srv.port), "verdict_signer_balance_wei") === 1e18);

      // The signer spends gas: the gauge follows within a refresh.
      await (await signer.sendTransaction({ to: funder!.address, value: parseEther("0.75") })).wait();
      const left = Number(await ethers.provider.getBalance(signer.address));
      expect(left).to.be.lessThan(0.25e18);
      await eventually(async () => gauge(await scrape(srv.port), "verdict_signer_balance_wei") === left);

      // A failed read keeps the last value instead of reporting 0 (no false "empty signer" page).
      failNext = true;
      const before = reads;
      await eventually(async () => reads > before + 1);
      expect(gauge(await scrape(srv.port), "verdict_signer_balance_wei")).to.equal(left);

      metrics.missedDuty("answer");
      metrics.missedDuty("answer");
      metrics.missedDuty("reveal");
      text = await scrape(srv.port);
      expect(text).to.match(/^verdict_missed_duties_total\{duty="answer"\} 2$/m);
      expect(text).to.match(/^verdict_missed_duties_total\{duty="commit"\} 0$/m);
      expect(text).to.match(/^verdict_missed_duties_total\{duty="reveal"\} 1$/m);
    } finally {
      stop();
      await srv.close();
    }
    // Stopped: no more reads.
    const after = reads;
    await sleep(200);
    expect(reads).to.equal(after);
  });
});
