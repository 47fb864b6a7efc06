/**
 * The SDK as a package others install (issue 18, item 4). Two parts:
 * - sdk/abi/*.ts are exactly what scripts/tools/gen-abi.ts writes from the artifacts, so they never drift.
 * - `npm pack` of sdk/ installed into an empty directory outside the repository. ethers comes from this
 *   repository's node_modules and nothing is fetched from a registry. A TypeScript consumer type-checks
 *   against the package's declarations. A plain ESM script uses the installed package against a local
 *   `hardhat node` (the protocol deployed by scripts/lib/devnet.ts): it requests an inference, waits for the
 *   REAL relayer's answer and verifies the trail offline. The script also catches a tampered trail.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  REPO_ROOT,
  killGroup,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type RelayerProcess,
} from "../../scripts/lib/devnet.js";
import { ABI_SOURCES, AbiSourceError, driftedAbiFiles } from "../../scripts/tools/gen-abi.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in its own process group; kills the group after `timeoutMs`. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => killGroup(child), timeoutMs);
    child.once("error", (e) => (clearTimeout(timer), reject(e)));
    child.once("close", (code) => (clearTimeout(timer), resolve({ code: code ?? -1, stdout, stderr })));
  });
}

async function mustRun(cmd: string, args: string[], cwd: string, timeoutMs: number, env = process.env) {
  const r = await run(cmd, args, cwd, timeoutMs, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** An import (static, dynamic or in a declaration) of the build folders or the typechain output. */
const IMPORTS_BUILD = /(from|import\()\s*["'][^"']*(\/artifacts\/|\/types\/|ethers-contracts)/;

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("sdk/abi: generated from the artifacts", function () {
  it("the committed sdk/abi/*.ts are what gen-abi writes from the current artifacts", async function () {
    expect(await driftedAbiFiles(), "run `npm run build` to regenerate sdk/abi").to.deep.equal([]);
  });

  it("reports a file whose artifact says something else, and a missing artifact as a typed error", async function () {
    // coordinator.ts checked against the Staking artifact: a real ABI, but not the one committed.
    const swapped = ABI_SOURCES.map((s) =>
      s.exportName === "coordinatorAbi" ? { ...s, artifact: ABI_SOURCES[1]!.artifact } : s,
    );
    expect(await driftedAbiFiles(REPO_ROOT, swapped)).to.deep.equal(["sdk/abi/coordinator.ts"]);
    const missing = [{ ...ABI_SOURCES[0]!, artifact: "artifacts/contracts/Nope.sol/Nope.json" }];
    let err: unknown;
    try {
      await driftedAbiFiles(REPO_ROOT, missing);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AbiSourceError);
    expect((err as AbiSourceError).code).to.equal("ABI_SOURCE_MISSING");
  });

  it("no SDK module imports the build folders (artifacts/, types/)", function () {
    const sdk = path.join(REPO_ROOT, "sdk");
    const offenders = filesUnder(sdk)
      .filter((f) => f.endsWith(".ts") && !f.startsWith("dist") && !f.startsWith("node_modules"))
      .filter((f) => IMPORTS_BUILD.test(readFileSync(path.join(sdk, f), "utf8")));
    expect(offenders).to.deep.equal([]);
  });
});

describe("@verdict/sdk installed from its tarball outside the repository", function () {
  this.timeout(600_000);
  let tmp: string;
  let app: string;
  let packed: string[];
  let devnet: Devnet | undefined;
  let relayer: RelayerProcess | undefined;

  before(async function () {
    tmp = mkdtempSync(path.join(tmpdir(), "verdict-sdk-package-"));
    app = path.join(tmp, "app");
    mkdirSync(app);
    // `npm pack` runs the package's prepack (tsc -p tsconfig.build.json into sdk/dist).
    const pack = await mustRun(
      "npm",
      ["pack", "--json", "--pack-destination", tmp],
      path.join(REPO_ROOT, "sdk"),
      300_000,
    );
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as {
      filename: string;
      files: { path: string }[];
    }[];
    if (!info) throw new Error(`npm pack printed no package: ${pack.stdout}`);
    packed = info.files.map((f) => f.path);
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "verdict-sdk-consumer", private: true, type: "module" }, null, 2),
    );
    // Offline: the tarball, and ethers (the peer dependency) from this repository's node_modules.
    await mustRun(
      "npm",
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        path.join(tmp, info.filename),
        path.join(REPO_ROOT, "node_modules/ethers"),
      ],
      app,
      300_000,
    );
  });

  after(async function () {
    await relayer?.kill();
    await devnet?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("packs the built JS, its declarations and the README, with nothing from artifacts/ or types/", function () {
    expect(packed).to.include.members([
      "package.json",
      "README.md",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/client.js",
      "dist/abi/index.js",
      "dist/abi/coordinator.d.ts",
    ]);
    expect(packed.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).to.deep.equal([]);
    const installed = path.join(app, "node_modules/@verdict/sdk");
    expect(existsSync(path.join(installed, "dist/index.js"))).to.equal(true);
    const leaks = filesUnder(path.join(installed, "dist")).filter((f) =>
      IMPORTS_BUILD.test(readFileSync(path.join(installed, "dist", f), "utf8")),
    );
    expect(leaks).to.deep.equal([]);
  });

  it("type-checks a TypeScript consumer against the package's declarations (typed, not any)", async function () {
    const dir = path.join(app, "ts");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ["consumer.ts"],
      }),
    );
    writeFileSync(
      path.join(dir, "consumer.ts"),
      [
        'import { JsonRpcProvider } from "ethers";',
        'import { VerdictClient, coordinatorAt, encodeTensors, type InferenceResult } from "@verdict/sdk";',
        'import { coordinatorAbi } from "@verdict/sdk/abi";',
        'const provider = new JsonRpcProvider("http://127.0.0.1:1");',
        'const a = coordinatorAt("0x0000000000000000000000000000000000000001", provider);',
        'export const balance: Promise<bigint> = a.balanceOf("0x0000000000000000000000000000000000000002");',
        "export const state = a.requestState(1n).then((s) => s.windowEnds + s.status);",
        "// @ts-expect-error balanceOf takes an account",
        "export const none = a.balanceOf();",
        "// @ts-expect-error requestState returns a struct, not a string",
        "export const wrong: Promise<string> = a.requestState(1n);",
        "export const kinds: string[] = coordinatorAbi.map((e) => e.type);",
        "export const bytes: Uint8Array = encodeTensors([]);",
        "export async function use(c: VerdictClient): Promise<InferenceResult> {",
        "  return c.waitForResult(1n, { timeoutMs: 1 });",
        "}",
        "",
      ].join("\n"),
    );
    await mustRun(
      process.execPath,
      [path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
      dir,
      300_000,
    );
  });

  it("requests, waits for the relayer's answer and verifies the trail offline, from an ESM script", async function () {
    devnet = await startDevnet({ operators: 1 });
    const operator = devnet.operators[0]!;
    const model = Object.values(devnet.models)[0]!;
    relayer = startRelayerProcess(
      devnet.relayerEnv(0, {
        VERDICT_DATA_DIR: path.join(tmp, "relayer"),
        VERDICT_START_BLOCK: String(devnet.deployBlock),
      }),
    );
    writeFileSync(path.join(app, "use.mjs"), USE_SCRIPT);
    const config = {
      url: devnet.url,
      chainId: devnet.chainId.toString(),
      key: devnet.requester.key,
      addresses: {
        coordinator: devnet.addresses.coordinator,
        staking: devnet.addresses.staking,
        registry: devnet.addresses.registry,
      },
      fromBlock: devnet.deployBlock,
      modelHash: model.hash,
      operator: operator.address,
      signer: operator.signerAddress,
    };
    const r = await run(process.execPath, ["use.mjs"], app, 400_000, {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      VERDICT_TEST_CONFIG: JSON.stringify(config),
    });
    if (r.code !== 0) {
      throw new Error(
        `use.mjs exited ${r.code}\n${r.stdout}\n${r.stderr}\nrelayer:\n` +
          relayer.lines().slice(-20).join("\n") +
          relayer.stderr(),
      );
    }
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      status: string;
      outcome: string;
      tensors: { name: string; dtype: string; dims: number[] }[];
      answeredBy: string[];
      audit: { ok: boolean; failed: string[]; checks: number };
      offline: { ok: boolean; checks: number };
      tampered: { ok: boolean; failed: string[] };
      wrongSigner: { ok: boolean };
    };
    expect(out.status).to.equal("Answered");
    expect(out.outcome).to.equal("result");
    expect(out.tensors).to.deep.equal([{ name: "y", dtype: "fixed64", dims: [1, 4] }]);
    expect(out.answeredBy).to.deep.equal([operator.address]);
    expect(out.audit).to.deep.include({ ok: true, failed: [] });
    expect(out.audit.checks).to.be.greaterThan(3);
    expect(out.offline.ok).to.equal(true);
    // What the verifier must refuse: a changed output, and a signer the operator never registered.
    expect(out.tampered.ok).to.equal(false);
    expect(out.tampered.failed.length).to.be.greaterThan(0);
    expect(out.wrongSigner.ok).to.equal(false);
  });
});

/** What a user of the installed package writes: plain ESM, no TypeScript, no repository. */
const USE_SCRIPT = `
import { JsonRpcProvider, Wallet, hexlify, getBytes } from "ethers";
import { VerdictClient, encodeTensors, toFixed, verifyTrail, statusName } from "@verdict/sdk";

const cfg = JSON.parse(process.env.VERDICT_TEST_CONFIG);
const provider = new JsonRpcProvider(cfg.url, undefined, { staticNetwork: true, pollingInterval: 100 });
const client = await VerdictClient.connect({
  runner: new Wallet(cfg.key, provider),
  addresses: cfg.addresses,
  fromBlock: cfg.fromBlock,
  expectedChainId: BigInt(cfg.chainId),
});
const x = [0.5, -0.25, 0.125, 1, -1, 0.375, 0.75, -0.625];
const created = await client.request({
  modelHash: cfg.modelHash,
  input: encodeTensors([{ name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: toFixed(x, 6) }]),
});
const result = await client.waitForResult(created.requestId, { pollMs: 200, timeoutMs: 300_000 });
const { trail, verification } = await client.audit(created.requestId);

// Offline: the operator's signer is known; nothing more is read from the chain.
const known = async () => cfg.signer;
const offline = await verifyTrail(trail, { signerAt: known });
const tamperedTrail = structuredClone(trail);
const output = getBytes(tamperedTrail.answers[0].output);
output[output.length - 1] ^= 1;
tamperedTrail.answers[0].output = hexlify(output);
const tampered = await verifyTrail(tamperedTrail, { signerAt: known });
const wrongSigner = await verifyTrail(trail, { signerAt: async () => cfg.operator });
const failed = (v) => v.checks.filter((c) => !c.ok).map((c) => c.label);

provider.destroy();
console.log(
  JSON.stringify({
    status: statusName(result.status),
    outcome: result.outcome,
    tensors: (result.tensors ?? []).map((t) => ({ name: t.name, dtype: t.dtype, dims: t.dims })),
    answeredBy: trail.answers.map((a) => a.operator),
    audit: { ok: verification.ok, failed: failed(verification), checks: verification.checks.length },
    offline: { ok: offline.ok, checks: offline.checks.length },
    tampered: { ok: tampered.ok, failed: failed(tampered) },
    wrongSigner: { ok: wrongSigner.ok },
  }),
);
`;
