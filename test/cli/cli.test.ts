/**
 * The `verdict` CLI against a local chain: a real `hardhat node` child process with the protocol deployed by
 * scripts/lib/devnet.ts. Commands run through `main(argv, io)` with captured output (one test spawns the
 * real entry point), so every command, exit code and error sentence is checked end to end.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Contract, Wallet, encryptKeystoreJsonSync, keccak256, parseEther } from "ethers";
import { main } from "../../cli/main.js";
import { opg } from "../../cli/support.js";
import { disputesAbi } from "../../cli/lib/abis.js";
import { encodeTensors, Outcome, signAttestation, verdictDomain, type Tensor } from "../../sdk/client.js";
import { OPGToken__factory, Coordinator__factory } from "../../types/ethers-contracts/index.js";
import { REPO_ROOT, devAccount, rpc, startDevnet, type Devnet } from "../../scripts/lib/devnet.js";
import { sleep } from "../../sdk/retry.js";

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
  /** Operators registered by the tests (their signer keys, so `answer` can sign for them). */
  const extraOperators: { address: string; signerKey: string }[] = [];

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
    // The request with its operators (RequestCreated completed by OperatorsAssigned): wait for the draw, which
    // lands a block after the request (whoever sends `assign`: the CLI's --wait, the devnet).
    const { RequestStatus } = await import("../../sdk/requests.js");
    for (
      let i = 0;
      i < 400 && (await coordinator.requestState(requestId)).status === BigInt(RequestStatus.Requested);
      i++
    )
      await new Promise((r) => setTimeout(r, 25));
    const { findCreatedRequest } = await import("../../sdk/trail.js");
    const created = await findCreatedRequest(devnet.provider, devnet.addresses.coordinator, requestId);
    const out = encodeTensors(OUTPUT);
    for (const [index, operator] of created.request.operators.entries()) {
      const op = [...extraOperators, ...devnet.operators].find(
        (o) => o.address.toLowerCase() === operator.toLowerCase(),
      );
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
    for (let i = 0; i < 200 && (await coordinator.nextRequestId()) === start; i++) await sleep(25);
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
    // Without VERDICT_DISPUTES_ADDRESS the dispute contract is the coordinator's disputeHook().
    const noDisputes = await cli(["dispute", "status", "1"]);
    // It reached the dispute contract: the request's dispute, or the contract's own "no dispute".
    expect(noDisputes.stdout + noDisputes.stderr).to.match(/dispute on request 1|Request 1 has no dispute/);
    expect(noDisputes.stderr).not.to.contain("No dispute contract configured");
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
  // ------------------------------------------------------------------ every role

  const created = async (requestId: bigint) => {
    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    const { createdRequestIn } = await import("../../sdk/requests.js");
    return createdRequestIn(await coordinator.queryFilter(coordinator.filters.RequestCreated(requestId)));
  };
  const fundGas = async (to: string): Promise<void> => {
    await (await devAccount(0, devnet.provider).sendTransaction({ to, value: parseEther("1") })).wait();
  };
  /** Three more operators (once), so that juries of 3 can be drawn besides the assigned and jailed ones. */
  const addOperators = async (): Promise<void> => {
    if (extraOperators.some((o) => o.address === devAccount(6).address)) return;
    for (const i of [6, 7, 17]) {
      const acct = devAccount(i);
      const signer = Wallet.createRandom();
      await (await token().transfer(acct.address, parseEther("10000"))).wait();
      const reg = await cli(
        ["operator", "register", "--signer", signer.address, "--stake", "10000"],
        as(acct.privateKey),
      );
      expect(reg.code, reg.stderr).to.equal(0);
      await fundGas(signer.address);
      extraOperators.push({ address: acct.address, signerKey: signer.privateKey });
    }
    // Draws read weights frozen at the start of a 64-block epoch: the new operators count from the next one.
    await devnet.provider.send("hardhat_mine", ["0x41"]);
  };
  const signerKeyOf = (operator: string): string => {
    const op = [...extraOperators, ...devnet.operators].find((o) => o.address === operator);
    if (!op) throw new Error(`unknown operator ${operator}`);
    return op.signerKey;
  };
  const jsonErr = (r: Run): { code: string; message: string; details: Record<string, unknown> } =>
    (JSON.parse(r.stderr) as { error: { code: string; message: string; details: Record<string, unknown> } })
      .error;

  it("token transfer / token balance, escrow deposit / withdraw / balance", async function () {
    const funder = devAccount(0);
    const user = devAccount(8);
    const sent = await cli(["token", "transfer", user.address, "12.5"], as(funder.privateKey));
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.contain(`sent 12.5 OPG to ${user.address}`);
    expect(await token().balanceOf(user.address)).to.equal(parseEther("12.5"));
    expect((await cli(["token", "balance", user.address])).stdout).to.contain(`${user.address}: 12.5 OPG`);

    expect((await cli(["escrow", "deposit", "5"], as(user.privateKey))).stdout).to.contain(
      "escrow balance: 5.0 OPG",
    );
    const out = await cli(["escrow", "withdraw", "1.5"], as(user.privateKey));
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout)
      .to.contain(`withdrew 1.5 OPG to ${user.address}`)
      .and.contain("escrow balance: 3.5 OPG");
    expect(await token().balanceOf(user.address)).to.equal(parseEther("9"));
    const other = devAccount(13).address;
    const all = await cli(["--json", "escrow", "withdraw", "--all", "--to", other], as(user.privateKey));
    expect(all.code, all.stderr).to.equal(0);
    expect(JSON.parse(all.stdout)).to.deep.include({
      withdrawn: parseEther("3.5").toString(),
      to: other,
      balance: "0",
    });
    expect((await cli(["escrow", "balance", user.address])).stdout).to.contain(`${user.address}: 0.0 OPG`);

    // Too much: the Escrow's custom error, decoded into a sentence; nothing moves.
    const over = await cli(["escrow", "withdraw", "1"], as(user.privateKey));
    expect(over.code).to.equal(1);
    expect(over.stderr).to.contain("Your escrow balance is 0.0 OPG but this request needs 1.0 OPG");
    const broke = await cli(["--json", "token", "transfer", other, "100"], as(user.privateKey));
    expect(broke.code).to.equal(1);
    expect(broke.stdout).to.equal("");
    const e = jsonErr(broke);
    expect(e.code).to.equal("REVERT_ERC20InsufficientBalance");
    expect(e.message).to.contain("Your OPG wallet balance is 9.0 OPG but 100.0 OPG is needed.");
    expect(e.details).to.deep.include({ error: "ERC20InsufficientBalance" });
    expect(await token().balanceOf(user.address)).to.equal(parseEther("9"));
  });

  it("a key from an encrypted JSON keystore; wrong or missing password", async function () {
    const account = devAccount(9);
    const file = path.join(dir, "keystore.json");
    writeFileSync(
      file,
      encryptKeystoreJsonSync({ address: account.address, privateKey: account.privateKey }, "correct horse", {
        scrypt: { N: 1 << 10 },
      }),
    );
    expect(readFileSync(file, "utf8")).not.to.contain(account.privateKey.slice(2));
    await (await token().transfer(account.address, parseEther("3"))).wait();
    // Read-only commands take the account from the file without decrypting it.
    const bal = await cli(["--keystore", "keystore.json", "token", "balance"]);
    expect(bal.code, bal.stderr).to.equal(0);
    expect(bal.stdout).to.contain(`${account.address}: 3.0 OPG`);
    const to = devAccount(13).address;
    const before = await token().balanceOf(to);
    const sent = await cli(["--keystore", "keystore.json", "token", "transfer", to, "1"], {
      VERDICT_KEYSTORE_PASSWORD: "correct horse",
    });
    expect(sent.code, sent.stderr).to.equal(0);
    expect(await token().balanceOf(to)).to.equal(before + parseEther("1"));
    const wrong = await cli(["token", "transfer", to, "1"], {
      VERDICT_KEYSTORE: "keystore.json",
      VERDICT_KEYSTORE_PASSWORD: "wrong",
    });
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.contain("wrong password");
    const none = await cli(["--keystore", "keystore.json", "token", "transfer", to, "1"]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.contain("set VERDICT_KEYSTORE_PASSWORD");
    const both = await cli(["--keystore", "keystore.json", "--key", account.privateKey, "token", "balance"]);
    expect(both.code).to.equal(1);
    expect(both.stderr).to.contain("only one of --key, --keystore and --signer-url");
    expect(await token().balanceOf(to)).to.equal(before + parseEther("1"));
  });

  it("an external JSON-RPC signer (eth_sendTransaction on a node that holds the key)", async function () {
    const account = devAccount(10);
    await (await token().transfer(account.address, parseEther("4"))).wait();
    // The hardhat node holds the dev mnemonic's keys: the CLI never sees this one.
    const dep = await cli(["--signer-url", devnet.url, "--from", account.address, "escrow", "deposit", "2"]);
    expect(dep.code, dep.stderr).to.equal(0);
    expect(dep.stdout).to.contain("escrow balance: 2.0 OPG");
    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    expect(await coordinator.balanceOf(account.address)).to.equal(parseEther("2"));
    const stranger = Wallet.createRandom().address;
    const refused = await cli(["--signer-url", devnet.url, "--from", stranger, "escrow", "deposit", "1"]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain(`holds no key for ${stranger}`);
    const down = await cli(["--signer-url", "http://127.0.0.1:9", "escrow", "deposit", "1"]);
    expect(down.code).to.equal(2);
    expect(down.stderr).to.contain("Cannot reach the external signer");
  });

  it("models set-fee / info / claim-royalties / deactivate, by the owner only", async function () {
    const owner = devAccount(12);
    const hash = keccak256(new TextEncoder().encode("cli-model"));
    const stranger = await cli(["models", "set-fee", hash, "0.7"], as(devAccount(13).privateKey));
    expect(stranger.code).to.equal(1);
    expect(stranger.stderr).to.contain(`does not own model ${hash}`);
    const fee = await cli(["models", "set-fee", hash, "0.25"], as(owner.privateKey));
    expect(fee.code, fee.stderr).to.equal(0);
    expect((await cli(["models", "info", hash])).stdout).to.contain("fee: 0.25 OPG per operator");

    // The devnet model earned royalties (500 bps) on the request finalized above.
    const modelOwner = devAccount(2);
    const coordinator = Coordinator__factory.connect(devnet.addresses.coordinator, devnet.provider);
    const accrued = await coordinator.royaltiesOf(modelHash);
    expect(accrued).to.be.greaterThan(0n);
    const before = await coordinator.balanceOf(modelOwner.address);
    const claim = await cli(["models", "claim-royalties", modelHash], as(devAccount(13).privateKey));
    expect(claim.code, claim.stderr).to.equal(0);
    expect(claim.stdout).to.contain(`to the escrow balance of ${modelOwner.address}`);
    expect(await coordinator.balanceOf(modelOwner.address)).to.equal(before + accrued);
    const again = await cli(["models", "claim-royalties", modelHash], as(devAccount(13).privateKey));
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("has no royalties to claim");

    const off = await cli(["models", "deactivate", hash], as(owner.privateKey));
    expect(off.code, off.stderr).to.equal(0);
    expect((await cli(["models", "info", hash])).stdout).to.contain(": deactivated");
    const req = await cli(["request", "--model", hash, "--input", "input.json"], as(devnet.requester.key));
    expect(req.code).to.equal(1);
    expect(req.stderr).to.contain(`Model ${hash} is deactivated.`);
  });

  it("request options: URI input (hash from the local VTN1 copy), callback, finality", async function () {
    const vtn = readFileSync(path.join(dir, "input.vtn"));
    const uri = await cli(
      ["request", "--model", modelHash, "--input-uri", "ipfs://bafy-input", "--input", "input.vtn"],
      as(devnet.requester.key),
    );
    expect(uri.code, uri.stderr).to.equal(0);
    const c = await created(requestIdOf(uri));
    expect(c.request.inputHash).to.equal(keccak256(vtn));
    expect(c.inputURI).to.equal("ipfs://bafy-input");

    const byHash = await cli(
      ["--json", "request", "--model", modelHash, "--input-uri", "ipfs://x", "--input-hash", keccak256(vtn)],
      as(devnet.requester.key),
    );
    expect(byHash.code, byHash.stderr).to.equal(0);
    expect(JSON.parse(byHash.stdout)).to.have.property("inputHash", keccak256(vtn));
    const json = await cli(
      ["request", "--model", modelHash, "--input-uri", "ipfs://x", "--input", "input.json"],
      as(devnet.requester.key),
    );
    expect(json.code).to.equal(1);
    expect(json.stderr).to.contain("verdict tensors encode");
    const mismatch = await cli(
      [
        "request",
        "--model",
        modelHash,
        "--input-uri",
        "ipfs://x",
        "--input",
        "input.vtn",
        "--input-hash",
        keccak256("0x01"),
      ],
      as(devnet.requester.key),
    );
    expect(mismatch.code).to.equal(1);
    expect(mismatch.stderr).to.contain(`input.vtn hashes to ${keccak256(vtn)}`);

    const callback = Wallet.createRandom().address;
    const cb = await cli(
      [
        "request",
        "--model",
        modelHash,
        "--input",
        "input.json",
        "--callback",
        callback,
        "--callback-gas",
        "50000",
        "--finality",
        "final",
      ],
      as(devnet.requester.key),
    );
    expect(cb.code, cb.stderr).to.equal(0);
    const r = (await created(requestIdOf(cb))).request;
    expect(r.callback).to.equal(callback);
    expect(r.callbackGasLimit).to.equal(50000n);
    expect(r.finality).to.equal(1n);
    const noGas = await cli(
      ["request", "--model", modelHash, "--input", "input.json", "--callback", callback],
      as(devnet.requester.key),
    );
    expect(noGas.code).to.equal(1);
    expect(noGas.stderr).to.contain("--callback needs --callback-gas");
    const tooMuch = await cli(
      [
        "request",
        "--model",
        modelHash,
        "--input",
        "input.json",
        "--callback",
        callback,
        "--callback-gas",
        "999999",
      ],
      as(devnet.requester.key),
    );
    expect(tooMuch.code).to.equal(1);
    expect(tooMuch.stderr).to.contain("A callback gas limit of 999999 is above the cap of 300000.");
  });

  // An expiry nobody answered no longer jails anyone (docs/protocol.md, "Penalties"): jailing now takes
  // repeated misses of answerable requests, which this chain-level CLI test cannot stage cheaply; the
  // contract side is covered by test/requests/penalties.test.ts. Here: the command and its decoded refusal.
  it("operator unjail: a free operator's unjail is refused with a decoded, typed error", async function () {
    const op = devnet.operators[0]!;
    expect((await cli(["operator", "info", op.address])).stdout).not.to.contain("jailed");
    const early = await cli(["--json", "operator", "unjail"], as(op.accountKey));
    expect(early.code).to.equal(1);
    const e = jsonErr(early);
    expect(e.code).to.equal("REVERT_NotJailed");
    expect(e.message).to.equal(`Operator ${op.address} is not jailed.`);
    expect(e.details)
      .to.have.property("selector")
      .that.matches(/^0x[0-9a-f]{8}$/);
    const plain = await cli(["operator", "unjail"], as(op.accountKey));
    expect(plain.code).to.equal(1);
    expect(plain.stderr).to.contain(`Operator ${op.address} is not jailed.`);
  });

  it("operator rotate-signer / apply-signer", async function () {
    const op = devnet.operators[2]!;
    const next = Wallet.createRandom();
    const q = await cli(["operator", "rotate-signer", next.address], as(op.accountKey));
    expect(q.code, q.stderr).to.equal(0);
    expect(q.stdout).to.contain(`signer ${next.address} queued`);
    expect((await cli(["operator", "info", op.address])).stdout).to.contain(`rotating to ${next.address}`);
    const early = await cli(["operator", "apply-signer", op.address], as(devAccount(13).privateKey));
    expect(early.code).to.equal(1);
    expect(early.stderr).to.contain("The queued change takes effect at");
    await advance(24 * 3600 + 1);
    const applied = await cli(["operator", "apply-signer", op.address], as(devAccount(13).privateKey));
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.contain(`signer of ${op.address} is now ${next.address}`);
    // Later tests sign this operator's answers with the new key (which pays the answer's gas).
    await fundGas(next.address);
    extraOperators.push({ address: op.address, signerKey: next.privateKey });
  });

  it("dispute settle by the jury's majority (output found in the trail), claim bond and juror reward", async function () {
    await addOperators();
    const challenger = devAccount(11);
    await (await token().transfer(challenger.address, parseEther("5000"))).wait();
    const withDisputes = {
      ...as(challenger.privateKey),
      VERDICT_DISPUTES_ADDRESS: devnet.addresses.disputes,
    };
    const req = await cli(
      ["request", "--model", modelHash, "--input", "input.json"],
      as(devnet.requester.key),
    );
    const id = requestIdOf(req);
    await answer(id);
    const claimed: Tensor[] = [
      { name: "y", dtype: "fixed64", scale: 6, dims: [2], data: [7_000_000n, 7_000_000n] },
    ];
    writeFileSync(path.join(dir, "claimed-right.vtn"), encodeTensors(claimed));
    const opened = await cli(
      ["dispute", "open", id.toString(), "--claimed-output", "claimed-right.vtn"],
      withDisputes,
    );
    expect(opened.code, opened.stderr).to.equal(0);
    const bond = parseEther(/bond of ([0-9.]+) OPG/.exec(opened.stdout)![1]!);
    const drawn = await cli(["--json", "dispute", "draw", id.toString()], withDisputes);
    expect(drawn.code, drawn.stderr).to.equal(0);
    const jurors = (JSON.parse(drawn.stdout) as { jurors: string[] }).jurors;
    expect(jurors).to.have.length(3);

    // Every juror recomputes the challenger's output and votes for it (commit, then reveal).
    const { voteCommitment } = await import("../../sdk/disputes.js");
    const disputes = new Contract(devnet.addresses.disputes, disputesAbi()!, devnet.provider);
    const outputHash = keccak256(encodeTensors(claimed));
    const salt = (j: string): string => keccak256(new TextEncoder().encode(`salt ${j}`));
    for (const j of jurors) {
      const signer = new Wallet(signerKeyOf(j), devnet.provider);
      const c = voteCommitment(id, 1, j, Outcome.RESULT, outputHash, salt(j));
      await (await (disputes.connect(signer) as Contract).getFunction("commitVote")(id, c)).wait();
    }
    await advance(61);
    for (const j of jurors) {
      const signer = new Wallet(signerKeyOf(j), devnet.provider);
      await (
        await (disputes.connect(signer) as Contract).getFunction("revealVote")(
          id,
          Outcome.RESULT,
          outputHash,
          salt(j),
        )
      ).wait();
    }
    await advance(61);
    const settled = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(settled.code, settled.stderr).to.equal(0);
    expect(settled.stdout).to.contain(`request ${id} is now Corrected`);
    expect((await cli(["result", id.toString()])).stdout)
      .to.contain("corrected by a dispute")
      .and.contain("y fixed64[2]: 7, 7");

    // The challenger was right: its bond back plus a reward; each majority juror has a share.
    const before = await token().balanceOf(challenger.address);
    const claim = await cli(["--json", "dispute", "claim"], withDisputes);
    expect(claim.code, claim.stderr).to.equal(0);
    const got = BigInt((JSON.parse(claim.stdout) as { claimed: string }).claimed);
    expect(got).to.be.greaterThan(bond);
    expect(await token().balanceOf(challenger.address)).to.equal(before + got);
    const juror = jurors[0]!;
    const jurorBefore = await token().balanceOf(juror);
    const share = await cli(["dispute", "claim", "--dispute", id.toString(), "--juror", juror], withDisputes);
    expect(share.code, share.stderr).to.equal(0);
    expect(await token().balanceOf(juror)).to.be.greaterThan(jurorBefore);
    const again = await cli(["dispute", "claim", "--dispute", id.toString(), "--juror", juror], withDisputes);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain(`${juror} has nothing to claim.`);
  });

  it("dispute draw / settle / escalate / claim: no votes, no majority, arbiter times out, bond back", async function () {
    await addOperators();
    const challenger = devAccount(11);
    await (await token().transfer(challenger.address, parseEther("5000"))).wait();
    const withDisputes = {
      ...as(challenger.privateKey),
      VERDICT_DISPUTES_ADDRESS: devnet.addresses.disputes,
    };
    const req = await cli(
      ["request", "--model", modelHash, "--input", "input.json"],
      as(devnet.requester.key),
    );
    const id = requestIdOf(req);
    await answer(id);
    writeFileSync(
      path.join(dir, "claimed.json"),
      JSON.stringify({ tensors: [{ name: "y", dtype: "fixed64", scale: 6, dims: [2], data: [9, 9] }] }),
    );
    const opened = await cli(
      ["dispute", "open", id.toString(), "--claimed-output", "claimed.json"],
      withDisputes,
    );
    expect(opened.code, opened.stderr).to.equal(0);
    const bond = parseEther(/bond of ([0-9.]+) OPG/.exec(opened.stdout)![1]!);
    const walletAfterBond = await token().balanceOf(challenger.address);

    const notDrawn = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(notDrawn.code).to.equal(1);
    expect(notDrawn.stderr).to.contain(`verdict dispute draw ${id}`);
    const drawn = await cli(["dispute", "draw", id.toString()], withDisputes);
    expect(drawn.code, drawn.stderr).to.equal(0);
    expect(drawn.stdout).to.match(new RegExp(`dispute ${id}: round 1 jury 0x`));

    const early = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(early.code).to.equal(1);
    expect(early.stderr).to.match(new RegExp(`The reveal phase of dispute ${id} lasts until`));
    await advance(121);
    // Nobody voted: no majority; the sentence names the way on.
    const noMajority = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(noMajority.code).to.equal(1);
    expect(noMajority.stderr).to.contain(
      `has no majority: escalate it with \`verdict dispute escalate ${id}\``,
    );
    const esc = await cli(["dispute", "escalate", id.toString()], withDisputes);
    expect(esc.code, esc.stderr).to.equal(0);
    // Escalation takes a new randomness ticket; the next round is drawn from it. Round 2 needs 7 jurors; too
    // few are eligible, so the draw hands the dispute to the arbiter.
    const round2 = await cli(["dispute", "draw", id.toString()], withDisputes);
    expect(round2.code, round2.stderr).to.equal(0);
    expect(round2.stdout).to.contain(`dispute ${id}: Arbitration`);
    const waiting = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(waiting.code).to.equal(1);
    expect(waiting.stderr).to.contain(`Dispute ${id} waits for the arbiter until`);

    await advance(3 * 24 * 3600 + 1);
    const settled = await cli(["dispute", "settle", id.toString()], withDisputes);
    expect(settled.code, settled.stderr).to.equal(0);
    expect(settled.stdout).to.contain(`request ${id} is now Corrected`);
    expect((await cli(["dispute", "claimable"], withDisputes)).stdout).to.contain(`can claim ${opg(bond)}`);
    const claimed = await cli(["dispute", "claim"], withDisputes);
    expect(claimed.code, claimed.stderr).to.equal(0);
    expect(claimed.stdout).to.contain(`claimed ${opg(bond)}`);
    expect(await token().balanceOf(challenger.address)).to.equal(walletAfterBond + bond);
    const nothing = await cli(["dispute", "claim"], withDisputes);
    expect(nothing.code).to.equal(1);
    expect(nothing.stderr).to.contain(`${challenger.address} has nothing to claim.`);
  });
});
