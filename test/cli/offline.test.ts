/**
 * The `verdict` CLI without a chain: it loads and answers `--help` in a checkout with no contract build
 * (types/ and artifacts/ absent), builds first when a chain command needs the SDK (saying so), prints typed
 * JSON errors under --json, and decodes every custom error declared in the contracts into a sentence.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorFragment, type ParamType, ZeroAddress, ZeroHash, keccak256, zeroPadValue } from "ethers";
import { main } from "../../cli/main.js";
import { allErrorsInterface } from "../../cli/lib/abis.js";
import { BUILD_NOTICE, BUILD_OUTPUTS, ensureBuilt } from "../../cli/lib/build.js";
import { SENTENCES, decodeRevertData, describeContractError } from "../../cli/lib/errors.js";
import { promptPassword } from "../../cli/lib/keys.js";
import { REPO_ROOT, type Io } from "../../cli/support.js";
import { uriInputHash } from "../../sdk/request-uri.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function capture(env: Record<string, string> = {}): { io: Io; out: () => Run & { code: null } } {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env,
      cwd: REPO_ROOT,
    },
    out: () => ({ code: null, stdout, stderr }),
  };
}

/** Runs cli/verdict.ts of `root` in a child process. */
function spawnCli(root: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href,
      path.join(root, "cli/verdict.ts"),
      ...args,
    ],
    { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** A zero-like value of an ABI parameter type. */
function sample(p: ParamType): unknown {
  if (p.baseType === "array") return [];
  if (p.baseType === "tuple") return (p.components ?? []).map(sample);
  if (p.type === "address") return ZeroAddress;
  if (p.type === "bool") return false;
  if (p.type === "string") return "";
  if (p.type === "bytes") return "0x";
  if (p.type.startsWith("bytes")) return zeroPadValue("0x", Number(p.type.slice(5)));
  return 0n;
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? solidityFiles(path.join(dir, e.name))
      : e.name.endsWith(".sol")
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe("verdict CLI offline", function () {
  this.timeout(60_000);
  let copy: string;

  before(function () {
    // A checkout as `npm ci` leaves it: sources and node_modules, no artifacts/ and no types/.
    copy = mkdtempSync(path.join(tmpdir(), "verdict-cli-nobuild-"));
    for (const dir of ["cli", "sdk"])
      cpSync(path.join(REPO_ROOT, dir), path.join(copy, dir), { recursive: true });
    cpSync(path.join(REPO_ROOT, "package.json"), path.join(copy, "package.json"));
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
  });

  after(function () {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it("--help, group help and argument errors work with no contract build, without building", async function () {
    const help = await spawnCli(copy, ["--help"]);
    expect(help.code, help.stderr).to.equal(0);
    for (const group of ["models", "escrow", "request", "operator", "stake", "dispute", "token", "audit"])
      expect(help.stdout).to.match(new RegExp(`^  ${group}\\b`, "m"));
    const dispute = await spawnCli(copy, ["dispute", "--help"]);
    expect(dispute.code, dispute.stderr).to.equal(0);
    expect(dispute.stdout).to.contain("claim").and.contain("settle").and.contain("escalate");
    const bad = await spawnCli(copy, ["status", "abc"]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('"abc" is not a request id');
    for (const r of [help, dispute, bad]) expect(r.stderr).not.to.contain("building contracts");
  });

  it("a chain command in an unbuilt checkout builds first and says so; a failed build is a typed error", async function () {
    const root = mkdtempSync(path.join(tmpdir(), "verdict-cli-build-"));
    try {
      const calls: string[] = [];
      const { io, out } = capture();
      const failing = await ensureBuilt(io, { root, run: async (r) => (calls.push(r), 0) }).catch(
        (e: unknown) => e,
      );
      expect(calls).to.deep.equal([root]);
      expect(out().stderr).to.equal(BUILD_NOTICE);
      expect(failing).to.include({ code: "BUILD_FAILED", exitCode: 1 });
      // A build that produces the outputs passes; once built, nothing runs again.
      const build = async (r: string): Promise<number> => {
        for (const f of BUILD_OUTPUTS) {
          mkdirSync(path.dirname(path.join(r, f)), { recursive: true });
          writeFileSync(path.join(r, f), "{}");
        }
        return 0;
      };
      await ensureBuilt(io, { root, run: build });
      await ensureBuilt(io, { root, run: async () => expect.fail("built twice") });
      expect(out().stderr).to.equal(BUILD_NOTICE + BUILD_NOTICE);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    // End to end in the copy (no build, no Hardhat config there): the command announces the build, runs
    // Hardhat, and reports its failure as a typed error before contacting any RPC.
    const addr = "0x" + "11".repeat(20);
    const run = await spawnCli(copy, ["status", "1"], {
      VERDICT_RPC_URL: "http://127.0.0.1:9",
      VERDICT_COORDINATOR_ADDRESS: addr,
      VERDICT_STAKING_ADDRESS: addr,
      VERDICT_REGISTRY_ADDRESS: addr,
    });
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stderr).to.contain(BUILD_NOTICE.trim()).and.contain("Building the contracts failed");
    expect(run.stderr).not.to.contain("Cannot reach the RPC endpoint");
  });

  it("--json prints errors as typed JSON objects on stderr and nothing on stdout", async function () {
    const { io, out } = capture();
    const code = await main(["--json", "status", "abc"], io);
    expect(code).to.equal(1);
    expect(out().stdout).to.equal("");
    const parsed = JSON.parse(out().stderr) as { error: { code: string; message: string; details: unknown } };
    expect(parsed.error.code).to.equal("BAD_REQUEST_ID");
    expect(parsed.error.message).to.contain('"abc" is not a request id');
    expect(parsed.error.details).to.deep.equal({});

    const usage = capture();
    expect(await main(["--json", "no-such-command"], usage.io)).to.equal(1);
    const u = JSON.parse(usage.out().stderr) as { error: { code: string; message: string } };
    expect(u.error.code).to.equal("USAGE");
    expect(u.error.message).to.contain("no-such-command");

    const config = capture();
    expect(await main(["--json", "stats"], config.io)).to.equal(1);
    expect(JSON.parse(config.out().stderr)).to.have.nested.property("error.code", "CONFIG");
  });

  it("every custom error declared in contracts/ decodes from its revert data into a sentence", function () {
    const iface = allErrorsInterface();
    const declared = new Set<string>();
    for (const file of solidityFiles(path.join(REPO_ROOT, "contracts"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/^\s*error\s+(\w+)\s*\(/gm)) declared.add(m[1]!);
    }
    expect(declared.size).to.be.greaterThan(60);
    const undecodable: string[] = [];
    for (const name of declared) {
      const fragments = iface.fragments.filter(ErrorFragment.isFragment).filter((f) => f.name === name);
      if (fragments.length === 0) undecodable.push(name);
      for (const f of fragments) {
        const data = iface.encodeErrorResult(f, f.inputs.map(sample));
        const desc = decodeRevertData(data, iface);
        expect(desc?.name, name).to.equal(name);
        const sentence = describeContractError(desc!);
        expect(sentence, name).to.match(/^[A-Z0-9].*\.$/s);
        if (SENTENCES[name]) expect(sentence, name).not.to.contain("The contract rejected the call");
      }
    }
    expect(undecodable, "errors declared but absent from every artifact").to.deep.equal([]);
    // The hand-written sentences are for errors that exist: a renamed error must not leave a stale row.
    const known = new Set(iface.fragments.filter(ErrorFragment.isFragment).map((f) => f.name));
    expect(Object.keys(SENTENCES).filter((n) => !known.has(n))).to.deep.equal([]);
    // A hand-written sentence, and one generated from the error's name and named arguments.
    const jailed = iface.getError("NotJailed")!;
    expect(describeContractError(iface.parseError(iface.encodeErrorResult(jailed, [ZeroAddress]))!)).to.equal(
      `Operator ${ZeroAddress} is not jailed.`,
    );
    const unknown = iface.getError("TensorBadScale")!;
    expect(describeContractError(iface.parseError(iface.encodeErrorResult(unknown, [2n, 19n]))!)).to.equal(
      "The contract rejected the call: tensor bad scale (index 2, scale 19).",
    );
  });
  it("a keystore password is read from the terminal without echo; no terminal is a typed error", async function () {
    const listeners: ((chunk: string) => void)[] = [];
    const modes: boolean[] = [];
    const { io, out } = capture();
    io.stdin = {
      isTTY: true,
      setRawMode: (m: boolean) => modes.push(m),
      on: (_e: "data", l: (chunk: Buffer | string) => void) => listeners.push(l),
      removeListener: () => listeners.splice(0),
      resume: () => undefined,
      pause: () => undefined,
    };
    const pending = promptPassword(io, "password of key.json: ");
    for (const ch of ["s", "e", "x", "\u007f", "c", "r", "e", "t", "\r"]) listeners[0]?.(ch);
    expect(await pending).to.equal("secret");
    expect(out().stderr).to.equal("password of key.json: \n");
    expect(modes).to.deep.equal([true, false]);
    const none = capture();
    expect(() => promptPassword(none.io, "password: ")).to.throw(/set VERDICT_KEYSTORE_PASSWORD/);
  });

  it("sdk/request-uri: the input hash of a URI request is the given one or the bytes', never both disagreeing", function () {
    const bytes = new TextEncoder().encode("VTN1 stand-in");
    expect(uriInputHash({ inputBytes: bytes })).to.equal(keccak256(bytes));
    expect(uriInputHash({ inputHash: keccak256(bytes).toUpperCase().replace("0X", "0x") })).to.equal(
      keccak256(bytes),
    );
    expect(() => uriInputHash({ inputBytes: bytes, inputHash: keccak256("0x01") })).to.throw(/hash to/);
    expect(() => uriInputHash({})).to.throw(/needs its hash or its bytes/);
    expect(() => uriInputHash({ inputHash: ZeroHash })).to.throw(/not a nonzero 32-byte hash/);
  });
});
