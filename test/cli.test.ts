/**
 * The `verdict` CLI against a local chain: a real `hardhat node` child process with the protocol deployed by
 * scripts/lib/devnet.ts. Commands run through `main(argv, io)` with captured output (one test spawns the
 * real entry point), so every command, exit code and error sentence is checked end to end.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Wallet, keccak256, parseEther } from "ethers";
import { main } from "../cli/main.js";
import { encodeTensors, Outcome, signAttestation, verdictDomain, type Tensor } from "../sdk/client.js";
import { OPGToken__factory, Coordinator__factory } from "../types/ethers-contracts/index.js";
import { REPO_ROOT, devAccount, rpc, startDevnet, type Devnet } from "../scripts/lib/devnet.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const INPUT: Tensor[] = [
  {
    name: "x",
    dtype: "fixed64",
    scale: 6,
    dims: [8],
    data: Array.from({ length: 8 }, (_, i) => BigInt(i) * 1000n),
  },
];
const OUTPUT: Tensor[] = [
  { name: "y", dtype: "fixed64", scale: 6, dims: [2], data: [1_500_000n, -250_000n] },
];

describe("verdict CLI", function () {
  let devnet: Devnet;
  let dir: string;
  let modelHash: string;
  let env: Record<string, string>;

  const cli = async (argv: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env: { ...env, ...extraEnv },
      cwd: dir,
    });
    return { code, stdout, stderr };
  };
  const as = (key: string): Record<string, string> => ({ VERDICT_PRIVATE_KEY: key });
  const advance = async (seconds: number): Promise<void> => {
    await rpc(devnet.url, "evm_increaseTime", [seconds]);
    await rpc(devnet.url, "evm_mine", []);
  };
  const token = () => OPGToken__factory.connect(devnet.addresses.token, devAccount(0, devnet.provider));
  /** Answers every slot of `requestId` with `OUTPUT`, signed by the assigned operators' signer keys. */
  const answer = async (requestId: bigint): Promise<void> => {
    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    // The request with its operators (RequestCreated completed by OperatorsAssigned).
    const { findCreatedRequest } = await import("../sdk/trail.js");
    const created = await findCreatedRequest(devnet.provider, devnet.addresses.coordinator, requestId);
    const out = encodeTensors(OUTPUT);
    for (const [index, operator] of created.request.operators.entries()) {
      const op = devnet.operators.find((o) => o.address.toLowerCase() === operator.toLowerCase());
      if (!op) throw new Error("unknown operator");
      const signer = new Wallet(op.signerKey, devnet.provider);
      const signature = await signAttestation(
        signer,
        verdictDomain(devnet.chainId, devnet.addresses.coordinator),
        {
          requestId,
          modelHash: created.request.modelHash,
          inputHash: created.request.inputHash,
          outputHash: keccak256(out),
          outcome: Outcome.RESULT,
        },
      );
      await (
        await coordinator
          .connect(signer)
          .submitAnswer(
            requestId,
            created.request,
            { index, outcome: Outcome.RESULT, output: out, signature },
            index ? out : "0x",
          )
      ).wait();
    }
  };
  const requestIdOf = (r: Run): bigint => {
    const m = /request (\d+)/.exec(r.stdout + r.stderr);
    if (!m?.[1]) throw new Error(`no request id in ${r.stdout} ${r.stderr}`);
    return BigInt(m[1]);
  };

  before(async function () {
    devnet = await startDevnet({ operators: 3, disputeWindow: 60 });
    dir = mkdtempSync(path.join(tmpdir(), "verdict-cli-"));
    const model = Object.values(devnet.models)[0];
    if (!model) throw new Error("no model");
    modelHash = model.hash;
    env = {
      VERDICT_RPC_URL: devnet.url,
      VERDICT_CHAIN_ID: devnet.chainId.toString(),
      VERDICT_COORDINATOR_ADDRESS: devnet.addresses.coordinator,
      VERDICT_STAKING_ADDRESS: devnet.addresses.staking,
      VERDICT_REGISTRY_ADDRESS: devnet.addresses.registry,
      VERDICT_POLL_INTERVAL_MS: "20",
    };
    writeFileSync(
      path.join(dir, "input.json"),
      JSON.stringify({
        tensors: [
          {
            name: "x",
            dtype: "fixed64",
            scale: 6,
            dims: [8],
            data: [0, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007],
          },
        ],
      }),
    );
    writeFileSync(path.join(dir, "input.vtn"), encodeTensors(INPUT));
    writeFileSync(
      path.join(dir, "broken.json"),
      '{"tensors": [{"name": "x", "dtype": "int32", "dims": [3], "data": [1, 2]}]}',
    );
    writeFileSync(path.join(dir, "notjson.json"), "{ this is not json");
    writeFileSync(
      path.join(dir, "broken.vtn"),
      new Uint8Array([0x56, 0x54, 0x4e, 0x31, 1, 1, 0x78, 4, 0, 1, 0, 0, 0, 2]),
    );
  });

  after(async function () {
    await devnet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("models list / register", async function () {
    const list = await cli(["models", "list"]);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.contain(modelHash);
    const owner = devAccount(12);
    const hash = keccak256(new TextEncoder().encode("cli-model"));
    const reg = await cli(
      [
        "models",
        "register",
        "--hash",
        hash,
        "--uri",
        "ipfs://cli",
        "--schema",
        '{"inputs":[],"outputs":[]}',
        "--fee",
        "0.5",
        "--window",
        "60",
      ],
      as(owner.privateKey),
    );
    expect(reg.code, reg.stderr).to.equal(0);
    expect(reg.stdout).to.contain(`registered model ${hash}`);
    expect((await cli(["models", "list"])).stdout)
      .to.contain(hash)
      .and.contain("0.5 OPG");
    const again = await cli(
      [
        "models",
        "register",
        "--hash",
        hash,
        "--uri",
        "ipfs://cli",
        "--schema",
        "{}",
        "--fee",
        "0.5",
        "--window",
        "60",
      ],
      as(owner.privateKey),
    );
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain(`Model ${hash} is already registered.`);
  });

  it("request, status, result and audit of a finalized request; finalize", async function () {
    const req = await cli(
      ["request", "--model", modelHash, "--input", "input.json"],
      as(devnet.requester.key),
    );
    expect(req.code, req.stderr).to.equal(0);
    const id = requestIdOf(req);
    const before = await cli(["status", id.toString()]);
    expect(before.stdout).to.contain(`request ${id}: Assigned`).and.contain("answers: 0/1");
    expect((await cli(["result", id.toString()])).stdout).to.contain("no result");

    await answer(id);
    const st = await cli(["status", id.toString()]);
    expect(st.stdout).to.contain("Answered").and.contain("answers: 1/1");
    const res = await cli(["result", id.toString()]);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.contain("y fixed64[2]: 1.5, -0.25");

    const early = await cli(["finalize", id.toString()], as(devnet.requester.key));
    expect(early.code).to.equal(1);
    expect(early.stderr).to.match(/still in its dispute window until/);

    await advance(61);
    const fin = await cli(["finalize", id.toString()], as(devnet.requester.key));
    expect(fin.code, fin.stderr).to.equal(0);
    expect(fin.stdout).to.contain("Finalized");

    const audit = await cli(["audit", id.toString()]);
    expect(audit.code, audit.stdout + audit.stderr).to.equal(0);
    expect(audit.stdout)
      .to.contain("coordinator.RequestCreated")
      .and.contain("coordinator.AnswerSubmitted")
      .and.contain("coordinator.RequestFinalized");
    expect(audit.stdout).to.contain("✔ answer #0: EIP-712 signature by the operator's signer");
    expect(audit.stdout).to.contain("✔ trail verified");
    expect(audit.stdout).not.to.contain("✘");
  });

  it("dispute open and dispute status against the deployed dispute contract", async function () {
    const req = await cli(
      ["request", "--model", modelHash, "--input", "input.json"],
      as(devnet.requester.key),
    );
    expect(req.code, req.stderr).to.equal(0);
    const id = requestIdOf(req);
    await answer(id);
    // The challenger (the requester here) pays the bond in OPG from its own wallet.
    await (await token().transfer(devnet.requester.address, parseEther("5000"))).wait();
    const withDisputes = { ...as(devnet.requester.key), VERDICT_DISPUTES_ADDRESS: devnet.addresses.disputes };
    const opened = await cli(["dispute", "open", id.toString()], withDisputes);
    expect(opened.code, opened.stderr).to.equal(0);
    expect(opened.stdout).to.match(new RegExp(`dispute opened on request ${id} with a bond of [0-9,.]+ OPG`));
    const st = await cli(["status", id.toString()]);
    expect(st.stdout).to.contain("Disputed");
    const ds = await cli(["dispute", "status", id.toString()], {
      VERDICT_DISPUTES_ADDRESS: devnet.addresses.disputes,
    });
    expect(ds.code, ds.stderr).to.equal(0);
    expect(ds.stdout).to.contain(`dispute on request ${id}: Open`).and.contain(devnet.requester.address);
    expect(ds.stdout).to.match(/bond: [1-9][0-9,.]* OPG/);
    const twice = await cli(["dispute", "open", id.toString()], withDisputes);
    expect(twice.code).to.not.equal(0);
  });

  it("expire refunds a request nobody answered", async function () {
    const req = await cli(
      ["request", "--model", modelHash, "--input", "input.json"],
      as(devnet.requester.key),
    );
    expect(req.code, req.stderr).to.equal(0);
    const id = requestIdOf(req);
    const early = await cli(["expire", id.toString()], as(devnet.requester.key));
    expect(early.code).to.equal(1);
    await advance(11 * 60);
    const exp = await cli(["expire", id.toString()], as(devnet.requester.key));
    expect(exp.code, exp.stderr).to.equal(0);
    expect((await cli(["status", id.toString()])).stdout).to.contain("Expired");
  });

  it("request --wait returns the decoded result once answered (VTN1 input file)", async function () {
    const waiting = cli(
      ["request", "--model", modelHash, "--input", "input.vtn", "--wait", "--timeout", "30"],
      as(devnet.requester.key),
    );
    // The request lands in the next block; answer it as soon as it exists.
    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    const start = await coordinator.nextRequestId();
    for (let i = 0; i < 200 && (await coordinator.nextRequestId()) === start; i++)
      await new Promise((r) => setTimeout(r, 25));
    await answer(start);
    const r = await waiting;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`request ${start}: Answered`).and.contain("y fixed64[2]: 1.5, -0.25");
  });

  it("bad input: unknown request, wrong network, insufficient balance, malformed tensor files", async function () {
    const unknown = await cli(["status", "999999"]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("request 999999 does not exist");
    expect((await cli(["audit", "999999"])).code).to.equal(1);
    expect((await cli(["status", "abc"])).stderr).to.contain('"abc" is not a request id');

    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    const next = await coordinator.nextRequestId();
    const wrong = await cli(["request", "--model", modelHash, "--input", "input.json"], {
      ...as(devnet.requester.key),
      VERDICT_CHAIN_ID: "1",
    });
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.contain(`is chain ${devnet.chainId} but the configuration expects chain 1`);

    const poor = devAccount(13);
    const broke = await cli(["request", "--model", modelHash, "--input", "input.json"], as(poor.privateKey));
    expect(broke.code).to.equal(1);
    expect(broke.stderr).to.contain("Your escrow balance is 0.0 OPG but this request needs 0.001 OPG");

    for (const [file, why] of [
      ["broken.json", "3 elements"],
      ["notjson.json", "neither VTN1 binary nor JSON"],
      ["broken.vtn", "not a valid VTN1 encoding"],
      ["missing.json", "cannot read input file"],
    ] as const) {
      const r = await cli(["request", "--model", modelHash, "--input", file], as(devnet.requester.key));
      expect(r.code, file).to.equal(1);
      expect(r.stderr, file).to.contain(why === "3 elements" ? "is malformed" : why);
    }
    expect(await coordinator.nextRequestId()).to.equal(next);

    const down = await cli(["status", "1"], { VERDICT_RPC_URL: "http://127.0.0.1:9" });
    expect(down.code).to.equal(2);
    expect(down.stderr).to.contain("Cannot reach the RPC endpoint");
    const noKey = await cli(["deposit", "1"]);
    expect(noKey.code).to.equal(1);
    expect(noKey.stderr).to.contain("VERDICT_PRIVATE_KEY");
    const noDisputes = await cli(["dispute", "status", "1"]);
    expect(noDisputes.code).to.equal(1);
    expect(noDisputes.stderr).to.contain("No dispute contract configured");
  });

  it("deposit and balance", async function () {
    const user = devAccount(14);
    await (await token().transfer(user.address, parseEther("10"))).wait();
    const dep = await cli(["deposit", "2.5"], as(user.privateKey));
    expect(dep.code, dep.stderr).to.equal(0);
    expect(dep.stdout).to.contain("escrow balance: 2.5 OPG");
    expect((await cli(["balance", user.address])).stdout).to.contain(`${user.address}: 2.5 OPG`);
    const bad = await cli(["deposit", "lots"], as(user.privateKey));
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('"lots" is not an amount of OPG');
  });

  it("operator register / stake / commission / info, delegate / undelegate / claim, stats, operator exit, complete", async function () {
    const op = devAccount(15);
    const delegator = devAccount(16);
    const signer = Wallet.createRandom();
    await (await token().transfer(op.address, parseEther("20000"))).wait();
    await (await token().transfer(delegator.address, parseEther("1000"))).wait();

    const low = await cli(
      ["operator", "register", "--signer", signer.address, "--stake", "10"],
      as(op.privateKey),
    );
    expect(low.code).to.equal(1);
    expect(low.stderr).to.contain("below the minimum of 1000.0 OPG");

    const reg = await cli(
      ["operator", "register", "--signer", signer.address, "--stake", "10000", "--commission", "800"],
      as(op.privateKey),
    );
    expect(reg.code, reg.stderr).to.equal(0);
    expect(reg.stdout).to.contain(`registered operator ${op.address}`);
    const stake = await cli(["operator", "stake", "5"], as(op.privateKey));
    expect(stake.stdout).to.contain("10005.0 OPG");
    const com = await cli(["operator", "commission", "500"], as(op.privateKey));
    expect(com.code, com.stderr).to.equal(0);
    // A decrease applies at once; an increase waits for the commission delay.
    expect(com.stdout).to.contain("commission is now 500 bps");
    const up = await cli(["operator", "commission", "900"], as(op.privateKey));
    expect(up.code, up.stderr).to.equal(0);
    expect(up.stdout).to.contain("commission 900 bps queued; applies at");
    expect((await cli(["operator", "info", op.address])).stdout)
      .to.contain("commission: 500 bps")
      .and.contain("pool: 10005.0 OPG");

    const del = await cli(["delegate", op.address, "100"], as(delegator.privateKey));
    expect(del.code, del.stderr).to.equal(0);
    expect(del.stdout).to.contain("your stake there: 100.0 OPG");
    const und = await cli(["undelegate", op.address, "40"], as(delegator.privateKey));
    expect(und.code, und.stderr).to.equal(0);
    const wid = /withdrawal (\d+) queued/.exec(und.stdout)?.[1];
    expect(wid).to.be.a("string");
    const early = await cli(["complete", String(wid)], as(delegator.privateKey));
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain(`Withdrawal ${wid} unlocks at`);
    const nothing = await cli(["claim", op.address], as(delegator.privateKey));
    expect(nothing.code).to.equal(1);
    expect(nothing.stderr).to.contain("The amount must be more than zero.");

    // An operator that served the finalized request earlier has commission to claim.
    const served = await cli(["stats"]);
    expect(served.code, served.stderr).to.equal(0);
    expect(served.stdout).to.contain("Nakamoto coefficient").and.contain("HHI").and.contain(op.address);
    // The operator drawn for the expired request may be the same one (then jailed): either way it served.
    const rows = served.stdout
      .split("\n")
      .filter((l) => /Active(?: \(jailed\))?\s+\S+ OPG\s+\d+bps\s+1\s/.test(l));
    const worker = devnet.operators.find((o) => rows.some((r) => r.startsWith(o.address)));
    expect(worker, served.stdout).to.not.equal(undefined);
    const claim = await cli(["claim", worker!.address], as(worker!.accountKey));
    expect(claim.code, claim.stderr).to.equal(0);
    expect(claim.stdout).to.match(/claimed 0\.000\d+ OPG/);

    const deact = await cli(["operator", "exit"], as(op.privateKey));
    expect(deact.code, deact.stderr).to.equal(0);
    expect(deact.stdout).to.contain("deactivated");
    const notYet = await cli(["operator", "exit"], as(op.privateKey));
    expect(notYet.code).to.equal(1);
    expect(notYet.stderr).to.contain(`Operator ${op.address} can exit from`);

    await advance(8 * 24 * 3600);
    const done = await cli(["operator", "exit"], as(op.privateKey));
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.contain("exited");
    const paid = await cli(["complete", String(wid)], as(delegator.privateKey));
    expect(paid.code, paid.stderr).to.equal(0);
    expect(paid.stdout).to.contain(`paid to ${delegator.address}`);
    expect(await token().balanceOf(delegator.address)).to.equal(parseEther("940"));
  });

  it("the real entry point exits 1 with a sentence on an unknown request", async function () {
    const child = spawn(
      process.execPath,
      [
        "--import",
        pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href,
        path.join(REPO_ROOT, "cli/verdict.ts"),
        "status",
        "424242",
      ],
      {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).to.equal(1);
    expect(stderr).to.contain("request 424242 does not exist");
  });
});
