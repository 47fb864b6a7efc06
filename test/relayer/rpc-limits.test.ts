/**
 * Every tool behind an RPC provider that limits eth_getLogs to 1,000 blocks and rate-limits (HTTP 429 with
 * Retry-After), on a chain mined past 20,000 blocks with a request in it: a real relayer process started from
 * the deployment file alone answers it, and `verdict status` (coordinator address alone), `verdict audit`
 * (deployment file) and `verdict finalize` work through the proxy. The proxy (scripts/lib/limiting-proxy.ts)
 * counts what it refused, so the test also checks the limits were really hit and never exceeded.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../cli/main.js";
import { encodeTensors, toFixed } from "../../sdk/tensor.js";
import { RequestStatus } from "../../sdk/requests.js";
import { sleep } from "../../sdk/retry.js";
import {
  generatedModel,
  inlineParams,
  request,
  rpc,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type RelayerProcess,
} from "../../scripts/lib/devnet.js";
import { LimitingProxy } from "../../scripts/lib/limiting-proxy.js";

const MINED = 20_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("RPC limits: a 1,000-block, rate-limited provider on a chain past 20,000 blocks", function () {
  this.timeout(600_000);
  let devnet: Devnet;
  let proxy: LimitingProxy;
  let dir: string;
  let deploymentFile: string;
  let requestId: bigint;
  let requestBlock: number;
  const relayers: RelayerProcess[] = [];
  const mlp = generatedModel("mlp-8x16x4");

  const cli = async (argv: string[], env: Record<string, string>): Promise<Run> => {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env: { VERDICT_RPC_URL: proxy.url, VERDICT_POLL_INTERVAL_MS: "50", ...env },
      cwd: dir,
    });
    return { code, stdout, stderr };
  };
  const statusOf = async (): Promise<number> =>
    Number((await devnet.coordinator.requestState(requestId)).status);

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-rpc-limits-"));
    devnet = await startDevnet({ operators: 1, models: [mlp], blockIntervalMs: 0 });
    await rpc(devnet.url, "hardhat_mine", [`0x${MINED.toString(16)}`]);
    const x = toFixed([0.5, -0.25, 0.125, 1, -1, 0.375, 0.75, -0.625], 6);
    const created = await request(
      devnet,
      inlineParams(
        devnet.models[mlp.name]!,
        encodeTensors([{ name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: x }]),
      ),
    );
    requestId = created.requestId;
    requestBlock = created.blockNumber;
    expect(requestBlock - devnet.deployBlock).to.be.greaterThan(MINED);
    deploymentFile = path.join(dir, "deployment.json");
    writeFileSync(
      deploymentFile,
      JSON.stringify({
        chainId: Number(devnet.chainId),
        network: "localhost",
        startBlock: devnet.deployBlock,
        addresses: devnet.addresses,
      }),
    );
    proxy = new LimitingProxy(devnet.url, { maxRange: 1_000, rateLimitEvery: 25, retryAfter: "1" });
    await proxy.start();
  });

  after(async function () {
    for (const r of relayers.splice(0)) await r.kill();
    await proxy?.stop();
    await devnet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a relayer process started from the deployment file alone answers the request through the proxy", async function () {
    const before = { ...proxy.counters };
    const relayer = startRelayerProcess(
      devnet.relayerEnv(0, {
        VERDICT_RPC_URL: proxy.url,
        VERDICT_DEPLOYMENT: deploymentFile,
        // Nothing else about the chain: addresses, chain id and start block come from the file.
        VERDICT_CHAIN_ID: "",
        VERDICT_COORDINATOR_ADDRESS: "",
        VERDICT_STAKING_ADDRESS: "",
        VERDICT_REGISTRY_ADDRESS: "",
        VERDICT_START_BLOCK: "",
        VERDICT_LOG_RANGE: "5000",
        VERDICT_DATA_DIR: path.join(dir, "relayer"),
      }),
    );
    relayers.push(relayer);
    const deadline = Date.now() + 240_000;
    while ((await statusOf()) !== RequestStatus.Answered) {
      if (relayer.child.exitCode !== null) throw new Error(`relayer exited:\n${relayer.stderr()}`);
      if (Date.now() > deadline)
        throw new Error(`not answered; relayer:\n${relayer.lines().slice(-20).join("\n")}`);
      await sleep(250);
    }
    await relayer.kill("SIGTERM");
    const setup = relayer.lines().find((l) => l.includes('"setup checked"'));
    expect(setup, "setup line").to.be.a("string");
    expect(setup).to.contain(`"startBlock":${devnet.deployBlock}`);
    expect(relayer.lines().some((l) => l.includes("RPC endpoint unavailable"))).to.equal(false);
    // The provider's limits were met (refused ranges, 429s) and never exceeded.
    expect(proxy.counters.rangeRefusals - before.rangeRefusals).to.be.greaterThan(0);
    expect(proxy.counters.rateLimited - before.rateLimited).to.be.greaterThan(0);
    expect(proxy.counters.largestAcceptedSpan).to.be.at.most(1_000);
  });

  it("`verdict status` (coordinator alone), `audit` (deployment file) and `finalize` work through the proxy", async function () {
    const before = { ...proxy.counters };
    const status = await cli(["--json", "status", requestId.toString()], {
      VERDICT_COORDINATOR_ADDRESS: devnet.addresses.coordinator,
    });
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.include({ statusName: "Answered" });

    const audit = await cli(["--json", "audit", requestId.toString()], {
      VERDICT_DEPLOYMENT: deploymentFile,
    });
    expect(audit.code, audit.stderr).to.equal(0);
    const report = JSON.parse(audit.stdout) as { ok: boolean; entries: { name: string }[] };
    expect(report.ok).to.equal(true);
    expect(report.entries.map((e) => e.name)).to.include.members(["RequestCreated", "AnswerSubmitted"]);

    await rpc(devnet.url, "evm_increaseTime", [3_600]);
    await rpc(devnet.url, "evm_mine", []);
    const fin = await cli(["--json", "finalize", requestId.toString()], {
      VERDICT_DEPLOYMENT: deploymentFile,
      VERDICT_PRIVATE_KEY: devnet.requester.key,
    });
    expect(fin.code, fin.stderr).to.equal(0);
    expect(await statusOf()).to.equal(RequestStatus.Finalized);

    expect(proxy.counters.rangeRefusals - before.rangeRefusals).to.be.greaterThan(0);
    expect(proxy.counters.rateLimited - before.rateLimited).to.be.greaterThan(0);
    expect(proxy.counters.largestAcceptedSpan).to.be.at.most(1_000);
  });
});
