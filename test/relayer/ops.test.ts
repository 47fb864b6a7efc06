import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { describeConfig, loadConfig, mergeEnvFile, type Env } from "../../relayer/config.js";
import { ConfigError, KeyError } from "../../relayer/errors.js";
import { encryptKeystore, loadSigner } from "../../relayer/keys.js";
import { createLogger, SecretSet } from "../../relayer/log.js";
import { RelayerMetrics, startMetricsServer } from "../../relayer/metrics.js";

// Hardhat's well-known development keys (public; worthless outside a devnet).
const SIGNER_KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const OPERATOR_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
const signerAddress = new Wallet(SIGNER_KEY).address;
const operatorAddress = new Wallet(OPERATOR_KEY).address;
const A = (n: number): string => "0x" + n.toString(16).padStart(40, "0");

function baseEnv(extra: Env = {}): Env {
  return {
    VERDICT_RPC_URL: "https://rpc.example.org/v2/SECRETAPIKEY",
    VERDICT_CHAIN_ID: "31337",
    VERDICT_COORDINATOR_ADDRESS: A(0xc0),
    VERDICT_STAKING_ADDRESS: A(0x5a),
    VERDICT_REGISTRY_ADDRESS: A(0x7e),
    VERDICT_OPERATOR_ADDRESS: operatorAddress,
    VERDICT_SIGNER_KEY: SIGNER_KEY,
    ...extra,
  };
}

function capture(secrets?: SecretSet): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({
    level: "trace",
    secrets,
    destination: { write: (s: string) => void lines.push(s) },
  });
  return { lines, logger };
}

function problemsOf(env: Env): string[] {
  try {
    loadConfig(env, "/srv/relayer");
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    expect((e as ConfigError).code).to.equal("CONFIG_INVALID");
    return [...(e as ConfigError).problems];
  }
  return expect.fail("expected CONFIG_INVALID");
}

async function expectKeyCode(p: Promise<unknown>, code: string): Promise<KeyError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(KeyError);
    expect((e as KeyError).code).to.equal(code);
    return e as KeyError;
  }
  return expect.fail(`expected ${code}`);
}

describe("relayer config", function () {
  it("loads a minimal environment with documented defaults", function () {
    const cfg = loadConfig(baseEnv(), "/srv/relayer");
    expect(cfg).to.include({
      chainId: 31337n,
      confirmations: 2,
      pollIntervalMs: 2000,
      concurrency: 1,
      inferenceThreads: 1,
      inferenceWorkers: Math.min(2, availableParallelism()),
      metricsPort: 9464,
      metricsHost: "127.0.0.1",
      watchtowerShare: 0,
      logLevel: "info",
      dataDir: "/srv/relayer/.verdict/relayer",
      modelCacheDir: "/srv/relayer/.verdict/relayer/models",
      healthMaxStalenessMs: 30000,
      startBlock: undefined,
    });
    expect(cfg.coordinatorAddress).to.equal("0x00000000000000000000000000000000000000C0");
    expect(cfg.signer).to.deep.equal({ kind: "key", key: SIGNER_KEY });
  });

  it("reports every problem at once, naming keys but never secret values", function () {
    const problems = problemsOf({
      VERDICT_RPC_URL: "ftp://x",
      VERDICT_CHAIN_ID: "-1",
      VERDICT_COORDINATOR_ADDRESS: "0x1234",
      VERDICT_STAKING_ADDRESS: "0x0000000000000000000000000000000000000000",
      VERDICT_OPERATOR_ADDRESS: operatorAddress,
      VERDICT_SIGNER_KEY: "0x1234deadbeefcafe",
      VERDICT_CONFIRMATIONS: "two",
      VERDICT_CONCURRENCY: "0",
      VERDICT_INFERENCE_WORKERS: "65",
      VERDICT_WATCHTOWER_SHARE: "1.5",
      VERDICT_LOG_LEVEL: "loud",
    });
    const text = problems.join("\n");
    for (const key of [
      "VERDICT_RPC_URL",
      "VERDICT_CHAIN_ID",
      "VERDICT_COORDINATOR_ADDRESS",
      "VERDICT_STAKING_ADDRESS",
      "VERDICT_SIGNER_KEY",
      "VERDICT_CONFIRMATIONS",
      "VERDICT_CONCURRENCY",
      "VERDICT_INFERENCE_WORKERS",
      "VERDICT_WATCHTOWER_SHARE",
      "VERDICT_LOG_LEVEL",
    ]) {
      expect(text).to.contain(key);
    }
    expect(text).to.not.contain("1234deadbeefcafe");
  });

  it("requires exactly one signer source and a keystore password", function () {
    expect(problemsOf(baseEnv({ VERDICT_SIGNER_KEY: undefined })).join()).to.contain(
      "one of VERDICT_SIGNER_KEY",
    );
    expect(problemsOf(baseEnv({ VERDICT_SIGNER_KEYSTORE: "k.json" })).join()).to.contain("only one of");
    expect(
      problemsOf(baseEnv({ VERDICT_SIGNER_KEY: "", VERDICT_SIGNER_KEYSTORE: "k.json" })).join(),
    ).to.contain("PASSWORD");
    const cfg = loadConfig(
      baseEnv({
        VERDICT_SIGNER_KEY: "",
        VERDICT_SIGNER_KEYSTORE: "k.json",
        VERDICT_SIGNER_KEYSTORE_PASSWORD: "pw",
      }),
      "/srv",
    );
    expect(cfg.signer).to.deep.equal({ kind: "keystore", path: "/srv/k.json", password: "pw" });
  });

  it("merges a .env file under the process environment and describes itself without secrets", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "verdict-cfg-"));
    const envFile = path.join(dir, ".env");
    writeFileSync(envFile, "VERDICT_CHAIN_ID=1\nVERDICT_CONCURRENCY=3\nVERDICT_WATCHTOWER_SHARE=0.25\n");
    const cfg = loadConfig(mergeEnvFile(envFile, baseEnv()), dir);
    expect(cfg.chainId).to.equal(31337n); // the environment wins
    expect(cfg.concurrency).to.equal(3);
    expect(cfg.watchtowerShare).to.equal(0.25);
    const described = JSON.stringify(describeConfig(cfg));
    expect(described).to.not.contain(SIGNER_KEY.slice(2));
    expect(described).to.not.contain("SECRETAPIKEY");
    expect(() => mergeEnvFile(path.join(dir, "missing.env"))).to.throw(ConfigError);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("relayer keys and logging", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-keys-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads the signer from the environment and refuses the operator's own key", async function () {
    const w = await loadSigner({ kind: "key", key: SIGNER_KEY }, { operatorAddress });
    expect(w.address).to.equal(signerAddress);
    const e = await expectKeyCode(
      loadSigner({ kind: "key", key: OPERATOR_KEY }, { operatorAddress }),
      "SIGNER_IS_OPERATOR",
    );
    expect(e.message).to.not.contain(OPERATOR_KEY.slice(2));
    await expectKeyCode(
      loadSigner({ kind: "key", key: "0x" + "0".repeat(64) }, { operatorAddress }),
      "SIGNER_KEY_INVALID",
    );
    await expectKeyCode(
      loadSigner({ kind: "key", key: "0x1234" }, { operatorAddress }),
      "SIGNER_KEY_INVALID",
    );
  });

  it("loads the signer from an encrypted keystore; wrong password and garbage are typed errors", async function () {
    const file = path.join(dir, "signer.json");
    writeFileSync(file, await encryptKeystore(new Wallet(SIGNER_KEY), "correct horse", 1024));
    const w = await loadSigner(
      { kind: "keystore", path: file, password: "correct horse" },
      { operatorAddress },
    );
    expect(w.address).to.equal(signerAddress);
    await expectKeyCode(
      loadSigner({ kind: "keystore", path: file, password: "wrong" }, { operatorAddress }),
      "KEYSTORE_BAD_PASSWORD",
    );
    await expectKeyCode(
      loadSigner({ kind: "keystore", path: path.join(dir, "none.json"), password: "x" }, { operatorAddress }),
      "KEYSTORE_UNREADABLE",
    );
    const junk = path.join(dir, "junk.json");
    writeFileSync(junk, "{not json");
    await expectKeyCode(
      loadSigner({ kind: "keystore", path: junk, password: "x" }, { operatorAddress }),
      "KEYSTORE_UNREADABLE",
    );
  });

  it("the signer key never appears in log output, whatever path it takes", async function () {
    const secrets = new SecretSet();
    const { lines, logger } = capture(secrets);
    const cfg = loadConfig(baseEnv(), "/srv");
    const signer = await loadSigner(cfg.signer, { operatorAddress, secrets });
    const bare = SIGNER_KEY.slice(2);
    // structured fields on every redaction path
    logger.info({ config: cfg }, "config loaded");
    expect(cfg.signer).to.deep.equal({ kind: "key", key: SIGNER_KEY }); // redaction restored the object
    logger.info(
      { signerKey: SIGNER_KEY, privateKey: SIGNER_KEY, key: SIGNER_KEY, nested: { privateKey: SIGNER_KEY } },
      "fields",
    );
    // the key hidden where no redaction path can know about it
    logger.warn({ note: `oops ${SIGNER_KEY}`, list: [bare.toUpperCase()] }, `message with ${bare}`);
    logger.error({ err: new Error(`failed with key ${SIGNER_KEY}`) }, "error");
    logger.info({ signer }, "wallet object");
    // deep nesting, frozen objects, maps and raw key bytes
    const frozen = Object.freeze({ a: { b: { c: { d: { privateKey: SIGNER_KEY } } } } });
    logger.info(
      { frozen, m: new Map([["password", "hunter22hunter22"]]), raw: signer.signingKey.privateKey },
      "odd shapes",
    );
    expect(frozen.a.b.c.d.privateKey).to.equal(SIGNER_KEY); // logging never modifies the caller's object
    logger.child({ privateKey: SIGNER_KEY, requestId: 7n }).info("child bindings");
    // a keystore-decrypted key registered after the logger exists is also scrubbed
    const other = Wallet.createRandom();
    const ks = path.join(dir, "late.json");
    writeFileSync(ks, await encryptKeystore(new Wallet(other.privateKey), "late password", 1024));
    await loadSigner({ kind: "keystore", path: ks, password: "late password" }, { operatorAddress, secrets });
    logger.info(`late ${other.privateKey} and late password`);
    await new Promise((r) => setImmediate(r));

    const out = lines.join("");
    expect(lines.length).to.equal(8);
    expect(out.toLowerCase()).to.not.contain(bare.toLowerCase());
    expect(out.toLowerCase()).to.not.contain(other.privateKey.slice(2).toLowerCase());
    expect(out).to.not.contain("late password");
    expect(out).to.not.contain("hunter22");
    expect(out).to.contain("[redacted]");
    expect(out).to.contain(signerAddress); // useful context survives
    for (const line of lines) expect(() => JSON.parse(line)).to.not.throw();
  });
});

describe("relayer entry point", function () {
  const run = (args: string[], env: Env): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "relayer/main.ts", ...args], {
      env: { PATH: process.env["PATH"], ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it("`check` validates the setup, prints no secret and no SQLite ExperimentalWarning", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "verdict-cli-"));
    try {
      // Configuration, signer and database pass; then `check` contacts the RPC (which does not exist here:
      // RPC_UNREACHABLE, without the API key of the URL). A reachable chain: test/relayer/setup.test.ts.
      const ok = run(["check"], baseEnv({ VERDICT_DATA_DIR: dir }));
      expect(ok.stderr).to.not.contain("ExperimentalWarning");
      expect(ok.status, ok.stderr).to.equal(1);
      expect(ok.stderr).to.contain("error RPC_UNREACHABLE").and.contain("https://rpc.example.org");
      expect(ok.stdout + ok.stderr).to.not.contain(SIGNER_KEY.slice(2));
      expect(ok.stdout + ok.stderr).to.not.contain("SECRETAPIKEY");

      const bad = run(["check"], baseEnv({ VERDICT_DATA_DIR: dir, VERDICT_SIGNER_KEY: OPERATOR_KEY }));
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.contain("error SIGNER_IS_OPERATOR");
      expect(bad.stderr).to.not.contain(OPERATOR_KEY.slice(2));
      const invalid = run(["check"], baseEnv({ VERDICT_DATA_DIR: dir, VERDICT_CHAIN_ID: "zero" }));
      expect(invalid.status).to.equal(1);
      expect(invalid.stderr).to.contain("error CONFIG_INVALID");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("relayer metrics and health", function () {
  it("serves /metrics and answers /healthz by the age of the last successful poll", async function () {
    let now = 1_000_000;
    const metrics = new RelayerMetrics({ now: () => now, defaultMetrics: false });
    const srv = await startMetricsServer({ metrics, port: 0, healthMaxStalenessMs: 10_000 });
    const base = `http://127.0.0.1:${srv.port}`;
    try {
      let res = await fetch(`${base}/healthz`);
      expect(res.status).to.equal(503); // no poll yet
      expect(await res.json()).to.deep.equal({ ok: false, lastPollAgeMs: null, maxStalenessMs: 10_000 });

      metrics.pollSucceeded(120, 117);
      now += 4_000;
      res = await fetch(`${base}/healthz`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.include({ ok: true, lastPollAgeMs: 4_000 });

      now += 7_000; // 11 s since the last good poll
      expect((await fetch(`${base}/healthz`)).status).to.equal(503);

      metrics.served.inc(0);
      metrics.answerConfirmed(now - 3_500);
      metrics.failed.inc({ stage: "inference" });
      metrics.invalid.inc({ reason: "4" });
      metrics.setQueueDepth({ pending: 3, computed: 1, submitted: 2 });
      res = await fetch(`${base}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.contain("text/plain");
      const text = await res.text();
      expect(text).to.match(/^verdict_relayer_requests_served_total 1$/m);
      expect(text).to.match(/^verdict_relayer_requests_failed_total\{stage="inference"\} 1$/m);
      expect(text).to.match(/^verdict_relayer_invalid_input_total\{reason="4"\} 1$/m);
      expect(text).to.match(/^verdict_relayer_answer_latency_seconds_bucket\{le="5"\} 1$/m);
      expect(text).to.match(/^verdict_relayer_answer_latency_seconds_bucket\{le="2"\} 0$/m);
      expect(text).to.match(/^verdict_relayer_queue_depth\{state="pending"\} 3$/m);
      expect(text).to.match(/^verdict_relayer_chain_lag_blocks 3$/m);

      expect((await fetch(`${base}/nope`)).status).to.equal(404);
      expect((await fetch(`${base}/metrics`, { method: "POST" })).status).to.equal(405);
    } finally {
      await srv.close();
    }
  });

  it("fails with a typed error when the port is taken", async function () {
    const metrics = new RelayerMetrics({ defaultMetrics: false });
    const a = await startMetricsServer({ metrics, port: 0, healthMaxStalenessMs: 1_000 });
    try {
      await startMetricsServer({ metrics, port: a.port, healthMaxStalenessMs: 1_000 });
      expect.fail("expected METRICS_SERVER_FAILED");
    } catch (e) {
      expect((e as { code?: string }).code).to.equal("METRICS_SERVER_FAILED");
    } finally {
      await a.close();
    }
  });
});
