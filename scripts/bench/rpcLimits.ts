/**
 * RPC limits benchmark: `verdict audit` of one request on a chain mined past 20,000 blocks, read through a
 * proxy that behaves like a hosted provider (eth_getLogs spans above 1,000 blocks refused, every 25th request
 * answered HTTP 429 with Retry-After: 1). Writes `rpcLimits.auditMs` (median wall time of the audit, SDK
 * client started from the deployment record, a fresh provider each time so the range is learned every run)
 * and what the proxy saw per audit. `npx hardhat run --no-compile scripts/bench/rpcLimits.ts`
 * (VERDICT_BENCH_QUICK=1: one audit instead of five).
 */
import { VerdictClient, type Deployment } from "../../sdk/client.js";
import { verdictDomain } from "../../sdk/eip712.js";
import { rpcProvider } from "../../sdk/rpc.js";
import { encodeTensors, toFixed } from "../../sdk/tensor.js";
import { generatedModel, inlineParams, request, rpc, startDevnet, type Devnet } from "../lib/devnet.js";
import { signedAnswer, signerOf } from "../lib/lifecycle.js";
import { LimitingProxy } from "../lib/limiting-proxy.js";
import { recordBenchmarks } from "./record.js";

const QUICK = process.env.VERDICT_BENCH_QUICK === "1";
const MINED = 20_000;
const RUNS = QUICK ? 1 : 5;

/** Answers every slot of the request with the assigned operators' signer keys (no relayer needed). */
async function answer(devnet: Devnet, requestId: bigint): Promise<void> {
  const created = await devnet.coordinator.queryFilter(devnet.coordinator.filters.RequestCreated(requestId));
  const { createdRequestIn } = await import("../../sdk/requests.js");
  const c = createdRequestIn(created);
  const out = encodeTensors([
    { name: "y", dtype: "fixed64", scale: 6, dims: [1, 4], data: [1n, 2n, 3n, 4n] },
  ]);
  const domain = verdictDomain(devnet.chainId, devnet.addresses.coordinator);
  for (const [index, operator] of c.request.operators.entries()) {
    const signer = signerOf(devnet.operators, operator, devnet.provider);
    const signed = await signedAnswer(signer, domain, c, index, out);
    await (
      await devnet.coordinator.connect(signer).submitAnswer(requestId, c.request, signed, index ? out : "0x")
    ).wait();
  }
}

async function main(): Promise<void> {
  const mlp = generatedModel("mlp-8x16x4");
  const devnet = await startDevnet({ operators: 1, models: [mlp], blockIntervalMs: 0 });
  const proxy = new LimitingProxy(devnet.url, { maxRange: 1_000, rateLimitEvery: 25, retryAfter: "1" });
  try {
    await rpc(devnet.url, "hardhat_mine", [`0x${MINED.toString(16)}`]);
    const x = toFixed([0.5, -0.25, 0.125, 1, -1, 0.375, 0.75, -0.625], 6);
    const created = await request(
      devnet,
      inlineParams(
        devnet.models[mlp.name]!,
        encodeTensors([{ name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: x }]),
      ),
    );
    await answer(devnet, created.requestId);
    const head = await devnet.provider.getBlockNumber();
    const deployment: Deployment = {
      chainId: devnet.chainId,
      startBlock: devnet.deployBlock,
      addresses: { ...devnet.addresses },
      all: { ...devnet.addresses },
    };
    await proxy.start();
    const times: number[] = [];
    const seen = { requests: 0, getLogs: 0, rangeRefusals: 0, rateLimited: 0 };
    for (let i = 0; i < RUNS; i++) {
      const before = { ...proxy.counters };
      const provider = rpcProvider(proxy.url, devnet.chainId);
      try {
        const t0 = performance.now();
        const client = await VerdictClient.start({ runner: provider, deployment });
        const { verification } = await client.audit(created.requestId);
        times.push(performance.now() - t0);
        if (!verification.ok) throw new Error("the trail does not verify");
      } finally {
        provider.destroy();
      }
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += proxy.counters[k] - before[k];
    }
    if (proxy.counters.largestAcceptedSpan > 1_000)
      throw new Error("the proxy accepted a span over 1,000 blocks");
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
    const per = (n: number): number => Math.round((n / RUNS) * 10) / 10;
    const figures = {
      "rpcLimits.auditMs": Math.round(median),
      "rpcLimits.audit.requests": per(seen.requests),
      "rpcLimits.audit.getLogs": per(seen.getLogs),
      "rpcLimits.audit.rangeRefusals": per(seen.rangeRefusals),
      "rpcLimits.audit.rateLimited": per(seen.rateLimited),
    };
    console.log(`rpcLimits: head ${head}, request at block ${created.blockNumber}`, figures);
    recordBenchmarks("RPC limits", figures, {
      description:
        `Audit (SDK client started from the deployment record, trail rebuilt from logs and every signature verified) of ` +
        `one request at block ${created.blockNumber}, ${MINED.toLocaleString("en-US")} blocks after the deployment, through ` +
        `a proxy that refuses eth_getLogs spans above 1,000 blocks (JSON-RPC errors in four providers' wordings) and ` +
        `answers every 25th request HTTP 429 with Retry-After: 1 s. Median of ${RUNS} audit(s), each with a fresh provider ` +
        `(the 2,000-block default range is refused and halved every time); per-audit counts of what the proxy saw.` +
        (QUICK ? " (quick run: one audit)" : ""),
    });
  } finally {
    await proxy.stop();
    await devnet.stop();
  }
}

// A signal ends the process through "exit", whose hook (scripts/lib/devnet.ts) kills every child.
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
await main();
