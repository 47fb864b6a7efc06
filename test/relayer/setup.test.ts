/**
 * Fail fast on every setup mistake (relayer/setup.ts, relayer/config.ts, relayer/cli.ts): each mistake is
 * made against a real hardhat node with the protocol deployed and must come back as its own typed error,
 * never as "RPC endpoint unavailable; retrying". `check` contacts the RPC and reports the chain it found;
 * the relayer reads ./.env by default (VERDICT_ENV_FILE or --env-file point elsewhere).
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Wallet } from "ethers";
import { env as relayerEnvOf } from "../../relayer/cli.js";
import { loadConfig, type Env } from "../../relayer/config.js";
import { ConfigError } from "../../relayer/errors.js";
import { makeProvider } from "../../relayer/chain/index.js";
import { checkSetup, type SetupReport } from "../../relayer/setup.js";
import { isVerdictError } from "../../sdk/errors.js";
import { ModelRegistry__factory } from "../../types/ethers-contracts/index.js";
import { REPO_ROOT, devAccount, rpc, startDevnet, type Devnet } from "../../scripts/lib/devnet.js";

const MAIN = path.join(REPO_ROOT, "relayer/main.ts");
const TSX = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const NOBODY = "0x" + "ab".repeat(20);

describe("relayer setup: every mistake is a typed error at once", function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let dir: string;

  const envOf = (extra: Env = {}): Env => ({
    ...devnet.relayerEnv(0),
    VERDICT_DATA_DIR: path.join(dir, "data"),
    ...extra,
  });
  const setupOf = async (extra: Env = {}): Promise<SetupReport> => {
    const cfg = loadConfig(envOf(extra));
    const signer = new Wallet((cfg.signer as { key: string }).key);
    const provider = makeProvider(cfg.rpcUrl, cfg.chainId, cfg.logRange);
    try {
      return await checkSetup({ provider, config: cfg, signerAddress: signer.address });
    } finally {
      provider.destroy();
    }
  };
  const codeOf = async (extra: Env): Promise<string> => {
    try {
      await setupOf(extra);
    } catch (e) {
      if (!isVerdictError(e)) throw e;
      return e.code;
    }
    return "no error";
  };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-setup-"));
    devnet = await startDevnet({ operators: 1, blockIntervalMs: 0 });
  });
  after(async function () {
    await devnet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a correct setup passes; staking, registry and disputes are read from the coordinator", async function () {
    const report = await setupOf({ VERDICT_STAKING_ADDRESS: "", VERDICT_REGISTRY_ADDRESS: "" });
    expect(report.addresses).to.include({
      coordinator: devnet.addresses.coordinator,
      staking: devnet.addresses.staking,
      registry: devnet.addresses.registry,
      disputes: devnet.addresses.disputes,
      token: devnet.addresses.token,
    });
    expect(report.startBlock).to.equal(devnet.deployBlock);
    // An empty VERDICT_START_BLOCK (and no deployment file): the head minus the confirmation depth.
    const head = await devnet.provider.getBlockNumber();
    const fromHead = await setupOf({ VERDICT_START_BLOCK: "", VERDICT_CONFIRMATIONS: "2" });
    expect(fromHead.startBlock).to.equal(head - 2);
  });

  it("the SDK starts from the coordinator alone or a deployment record, with the same checks", async function () {
    const { VerdictClient } = await import("../../sdk/client.js");
    const client = await VerdictClient.start({
      runner: devnet.provider,
      coordinator: devnet.addresses.coordinator,
    });
    expect(client.addresses).to.include({
      staking: devnet.addresses.staking,
      registry: devnet.addresses.registry,
    });
    expect(client.addresses.disputes?.address).to.equal(devnet.addresses.disputes);
    expect(client.fromBlock).to.equal(0);
    const deployment = {
      chainId: devnet.chainId,
      startBlock: devnet.deployBlock,
      addresses: { ...devnet.addresses },
      all: { ...devnet.addresses },
    };
    expect((await VerdictClient.start({ runner: devnet.provider, deployment })).fromBlock).to.equal(
      devnet.deployBlock,
    );
    const codeOfStart = async (o: Parameters<typeof VerdictClient.start>[0]): Promise<string> =>
      VerdictClient.start(o).then(
        () => "no error",
        // (the dynamically imported client may carry its own copy of the error class: compare codes)
        (e: unknown) => String((e as { code?: unknown }).code ?? e),
      );
    expect(
      await codeOfStart({ runner: devnet.provider, deployment: { ...deployment, chainId: 1n } }),
    ).to.equal("WRONG_NETWORK");
    expect(await codeOfStart({ runner: devnet.provider, coordinator: devnet.addresses.registry })).to.equal(
      "WRONG_CONTRACT",
    );
    expect(
      await codeOfStart({
        runner: devnet.provider,
        deployment: { ...deployment, addresses: { ...deployment.addresses, staking: NOBODY } },
      }),
    ).to.equal("NO_CODE");
  });

  it("no code at an address: NO_CODE (coordinator or staking)", async function () {
    expect(await codeOf({ VERDICT_COORDINATOR_ADDRESS: NOBODY })).to.equal("NO_CODE");
    expect(await codeOf({ VERDICT_STAKING_ADDRESS: NOBODY })).to.equal("NO_CODE");
  });

  it("a contract of the wrong kind: WRONG_CONTRACT; another deployment's registry: CONTRACT_MISMATCH", async function () {
    expect(await codeOf({ VERDICT_COORDINATOR_ADDRESS: devnet.addresses.token })).to.equal("WRONG_CONTRACT");
    expect(await codeOf({ VERDICT_COORDINATOR_ADDRESS: devnet.addresses.staking })).to.equal(
      "WRONG_CONTRACT",
    );
    expect(await codeOf({ VERDICT_STAKING_ADDRESS: devnet.addresses.token })).to.equal("WRONG_CONTRACT");
    expect(await codeOf({ VERDICT_REGISTRY_ADDRESS: devnet.addresses.staking })).to.equal("WRONG_CONTRACT");
    const other = await new ModelRegistry__factory(devAccount(0, devnet.provider)).deploy();
    await other.waitForDeployment();
    expect(await codeOf({ VERDICT_REGISTRY_ADDRESS: await other.getAddress() })).to.equal(
      "CONTRACT_MISMATCH",
    );
  });

  it("the wrong chain, an unreachable endpoint, an unsupported URL scheme", async function () {
    expect(await codeOf({ VERDICT_CHAIN_ID: "1" })).to.equal("CHAIN_ID_MISMATCH");
    expect(await codeOf({ VERDICT_RPC_URL: "http://127.0.0.1:9" })).to.equal("RPC_UNREACHABLE");
    for (const url of ["ws://127.0.0.1:8545", "wss://rpc.example.org/v2/KEY"]) {
      try {
        loadConfig(envOf({ VERDICT_RPC_URL: url }));
        expect.fail("accepted " + url);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        expect((e as ConfigError).problems.join()).to.match(/ws{1,2}:\/\/ is not supported.*https:\/\//);
      }
    }
  });

  it("an operator that is not registered, a signer that is not the operator's: typed errors", async function () {
    expect(await codeOf({ VERDICT_OPERATOR_ADDRESS: NOBODY })).to.equal("OPERATOR_NOT_REGISTERED");
    expect(await codeOf({ VERDICT_SIGNER_KEY: Wallet.createRandom().privateKey })).to.equal(
      "SIGNER_NOT_REGISTERED",
    );
  });

  it("a signer without gas money: NO_GAS_BALANCE", async function () {
    const signer = new Wallet(devnet.operators[0]!.signerKey).address;
    const balance = await devnet.provider.getBalance(signer);
    await rpc(devnet.url, "hardhat_setBalance", [signer, "0x0"]);
    try {
      expect(await codeOf({})).to.equal("NO_GAS_BALANCE");
      await rpc(devnet.url, "hardhat_setBalance", [signer, "0x1000"]);
      expect(await codeOf({})).to.equal("NO_GAS_BALANCE");
    } finally {
      await rpc(devnet.url, "hardhat_setBalance", [signer, `0x${balance.toString(16)}`]);
    }
    expect(await codeOf({})).to.equal("no error");
  });

  it("`run` with a staking address without code exits with NO_CODE at once, never 'RPC endpoint unavailable'", async function () {
    const child = spawn(process.execPath, ["--import", TSX, MAIN, "run"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        ...(envOf({ VERDICT_STAKING_ADDRESS: NOBODY, VERDICT_METRICS_PORT: "0" }) as Record<string, string>),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 90_000);
      child.on("exit", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, out).to.equal(1);
    expect(out).to.contain("error NO_CODE");
    expect(out.toLowerCase()).to.contain(NOBODY);
    expect(out).not.to.contain("RPC endpoint unavailable");
  });

  it("`check` reads ./.env by default, contacts the RPC and reports the chain it found", function () {
    const cwd = mkdtempSync(path.join(dir, "cwd-"));
    const lines = Object.entries(envOf({ VERDICT_STAKING_ADDRESS: "", VERDICT_REGISTRY_ADDRESS: "" }))
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    writeFileSync(path.join(cwd, ".env"), lines.join("\n") + "\n");
    const run = spawnSync(process.execPath, ["--import", TSX, MAIN, "check"], {
      cwd,
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(run.status, run.stderr).to.equal(0);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      chain: { chainId: string; startBlock: number; addresses: Record<string, string> };
    };
    expect(report.ok).to.equal(true);
    expect(report.chain.chainId).to.equal(devnet.chainId.toString());
    expect(report.chain.addresses.staking).to.equal(devnet.addresses.staking);
    expect(report.chain.startBlock).to.equal(devnet.deployBlock);
    // The same `check` fails with the typed error when the operator is wrong (environment over .env).
    const bad = spawnSync(process.execPath, ["--import", TSX, MAIN, "check"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", VERDICT_OPERATOR_ADDRESS: NOBODY },
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain("error OPERATOR_NOT_REGISTERED");
  });

  it("the env file: --env-file, else VERDICT_ENV_FILE, else ./.env; the environment wins", function () {
    const cwd = mkdtempSync(path.join(dir, "env-"));
    writeFileSync(path.join(cwd, ".env"), "VERDICT_LOG_LEVEL=debug\nVERDICT_CONFIRMATIONS=5\n");
    writeFileSync(path.join(cwd, "other.env"), "VERDICT_LOG_LEVEL=warn\n");
    expect(relayerEnvOf(undefined, {}, cwd)).to.include({ VERDICT_LOG_LEVEL: "debug" });
    expect(relayerEnvOf(undefined, { VERDICT_CONFIRMATIONS: "1" }, cwd)).to.include({
      VERDICT_CONFIRMATIONS: "1",
    });
    expect(relayerEnvOf(undefined, { VERDICT_ENV_FILE: "other.env" }, cwd)).to.include({
      VERDICT_LOG_LEVEL: "warn",
    });
    expect(relayerEnvOf("other.env", {}, cwd)).to.not.have.property("VERDICT_CONFIRMATIONS");
    expect(relayerEnvOf(undefined, {}, dir)).to.deep.equal({});
  });
});
