/**
 * The explorer (issue 19): indexing throughput over a chain holding >= 10,000 requests, and the p95 time to
 * serve the request and network pages with all of them indexed. A `hardhat node` child process; requests are
 * made 80 per transaction by BenchCrowd.requestMany, each batch drawn in the next block by one `assignBatch`
 * (the operator draw: OperatorsAssigned per request, within the 256 blocks a blockhash ticket lives); a share
 * of them answered with operator-signed attestations (so request pages verify real signatures). The explorer runs in-process (indexer + server)
 * and pages are fetched over HTTP from 127.0.0.1. Quick mode (VERDICT_BENCH_QUICK=1): 1,000 requests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NonceManager, getBytes } from "ethers";
import { recordBenchmarks } from "./record.js";
import { localExplorerConfig } from "../lib/explorer-local.js";
import { openExplorer } from "../../explorer/explorer.js";
import { verdictDomain } from "../../sdk/eip712.js";
import { encodeTensors } from "../../sdk/tensor.js";
import { assignmentsIn, createdRequestsIn, withAssignment, type CreatedRequest } from "../../sdk/requests.js";
import { FEE, devAccount, generatedModel, inlineParams, startDevnet } from "../lib/devnet.js";
import { signedAnswer, signerOf } from "../lib/lifecycle.js";
import { BenchCrowd__factory, OPGToken__factory } from "../../types/ethers-contracts/index.js";

const QUICK = process.env.VERDICT_BENCH_QUICK === "1";
const REQUESTS = QUICK ? 1_000 : 10_000;
const ANSWERED = QUICK ? 100 : 400;
const PER_TX = 80;
const SAMPLES = QUICK ? 30 : 100;
const started = Date.now();
const log = (m: string): void =>
  console.log(`[explorer ${((Date.now() - started) / 1000).toFixed(1)} s] ${m}`);

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return performance.now() - t0;
}

const dir = mkdtempSync(path.join(tmpdir(), "verdict-bench-explorer-"));
const model = generatedModel("mlp-8x16x4", 2n);
const devnet = await startDevnet({ operators: 8, models: [model], blockIntervalMs: 0 });
try {
  const deployer = new NonceManager(devAccount(0, devnet.provider));
  const crowd = await new BenchCrowd__factory(deployer).deploy(
    devnet.addresses.token,
    devnet.addresses.staking,
  );
  await crowd.waitForDeployment();
  const crowdAddress = await crowd.getAddress();
  const token = OPGToken__factory.connect(devnet.addresses.token, deployer);
  const prepaid = FEE * BigInt(REQUESTS + 100);
  await (await token.approve(devnet.addresses.coordinator, prepaid)).wait();
  await (await devnet.coordinator.connect(deployer).deposit(crowdAddress, prepaid)).wait();

  const input = encodeTensors([
    { name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: [1n, -2n, 3n, -4n, 5n, 6n, 7n, 8n] },
  ]);
  log(`making ${REQUESTS} requests, ${PER_TX} per transaction, each batch assigned in the next block`);
  const assigner = new NonceManager(devAccount(17, devnet.provider));
  const created: CreatedRequest[] = [];
  let drawn = 0;
  for (let left = REQUESTS; left > 0; left -= PER_TX) {
    const receipt = await (
      await crowd.requestMany(
        devnet.addresses.coordinator,
        inlineParams(model, input),
        Math.min(PER_TX, left),
        {
          gasLimit: 16_000_000n,
        },
      )
    ).wait();
    // Automine: the next transaction is in the next block, where the tickets' block hash exists.
    const batch = createdRequestsIn(receipt!.logs);
    const assigned = await (
      await devnet.coordinator.connect(assigner).assignBatch(
        batch.map((c) => c.requestId),
        batch.map((c) => c.request),
        { gasLimit: 16_000_000n },
      )
    ).wait();
    const draws = new Map(assignmentsIn(assigned!.logs).map((a) => [a.requestId, a]));
    drawn += draws.size;
    if (created.length < ANSWERED)
      for (const c of batch) {
        const a = draws.get(c.requestId);
        if (a !== undefined) created.push(withAssignment(c, a));
      }
  }
  if (drawn !== REQUESTS) throw new Error(`${drawn} of ${REQUESTS} requests drawn`);

  log(`answering ${ANSWERED} of them with signed attestations`);
  const output = encodeTensors([
    { name: "y", dtype: "fixed64", scale: 6, dims: [1, 4], data: [1n, 2n, 3n, 4n] },
  ]);
  const domain = verdictDomain(devnet.chainId, devnet.addresses.coordinator);
  const poster = new NonceManager(devAccount(16, devnet.provider));
  const toAnswer = created.slice(0, ANSWERED);
  for (let i = 0; i < toAnswer.length; i += 50) {
    const batch = toAnswer.slice(i, i + 50);
    const answers = await Promise.all(
      batch.map((c) =>
        signedAnswer(signerOf(devnet.operators, c.request.operators[0]!), domain, c, 0, getBytes(output)),
      ),
    );
    await (
      await devnet.coordinator.connect(poster).submitAnswers(
        batch.map((c) => c.requestId),
        batch.map((c) => c.request),
        answers,
        batch.map(() => "0x"),
        { gasLimit: 16_000_000n },
      )
    ).wait();
  }

  const { config, provider } = await localExplorerConfig(devnet, path.join(dir, "explorer.db"));
  const explorer = openExplorer(config, provider);
  try {
    log("indexing");
    const t0 = performance.now();
    await explorer.catchUp();
    const seconds = (performance.now() - t0) / 1000;
    const { requests, events } = explorer.views.q.counts();
    if (requests < REQUESTS) throw new Error(`indexed ${requests} requests, expected ${REQUESTS}`);
    log(`indexed ${events} events (${requests} requests) in ${seconds.toFixed(1)} s`);
    const base = await explorer.serve();

    // Request pages: a fresh sample (each page's first view runs the SDK audit against the chain).
    const ids = Array.from({ length: SAMPLES }, (_, i) =>
      i % 2 === 0 ? toAnswer[(i * 7) % toAnswer.length]!.requestId : BigInt(1 + ((i * 7919) % REQUESTS)),
    );
    // Warm-up (JIT, connection pool): three views outside the sample.
    for (const id of [REQUESTS, REQUESTS - 1, REQUESTS - 2]) await timed(`${base}/request/${id}`);
    await timed(`${base}/`);
    const requestMs: number[] = [];
    for (const id of ids) requestMs.push(await timed(`${base}/request/${id}`));
    const networkMs: number[] = [];
    for (let i = 0; i < SAMPLES; i++) networkMs.push(await timed(`${base}/`));
    const figures = {
      "explorer.indexEventsPerSec": Math.round(events / seconds),
      "explorer.requestPageP95Ms": Math.round(p95(requestMs)),
      "explorer.networkPageP95Ms": Math.round(p95(networkMs)),
    };
    console.table(figures);
    recordBenchmarks("Explorer", figures, {
      description:
        `npm run explorer's indexer and web server over a hardhat node holding ${REQUESTS.toLocaleString("en-US")} requests ` +
        `(${PER_TX} per transaction through BenchCrowd.requestMany, each batch drawn by one assignBatch in the next block; ` +
        `${ANSWERED} answered with signed attestations), ` +
        `8 operators. indexEventsPerSec: every protocol event (RequestCreated and OperatorsAssigned for each request, the ` +
        `sender of each assign transaction read once) from block 0 to the head, bounded windows of 2,000 blocks, into node:sqlite. Page p95s: ${SAMPLES} GETs over 127.0.0.1 each; request pages are distinct ids (first view: ` +
        `the SDK audit reads the trail from the chain and verifies every signature), after a warm-up of 3 views; the network page's live stake reads ` +
        `are cached for 3 s.` +
        (QUICK ? " Quick run: 1,000 requests (the 10,000-request figures are from the last full run)." : ""),
      targets: { "explorer.requestPageP95Ms": { max: 300 }, "explorer.networkPageP95Ms": { max: 300 } },
    });
  } finally {
    await explorer.stop();
    provider.destroy();
  }
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
log("done");
