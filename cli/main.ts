/**
 * The `verdict` command line: models, requests, operators, delegation, disputes, audits and stats.
 * `main(argv, io)` is the whole program (the tests call it directly); cli/verdict.ts is the entry point.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import {
  Contract,
  type InterfaceAbi,
  JsonRpcProvider,
  Network,
  Wallet,
  ZeroAddress,
  getBytes,
  hexlify,
} from "ethers";
import { Finality, VerdictClient, statusName, type InferenceResult } from "../sdk/client.js";
import { fixedToDecimal } from "../sdk/fixed.js";
import {
  CliError,
  EXIT_CHAIN,
  EXIT_OK,
  EXIT_USER,
  type Config,
  type GlobalFlags,
  type Io,
  disputesAbi,
  opg,
  parseAddress,
  parseAmount,
  parseBytes32,
  parseInteger,
  parseRequestId,
  readTensorFile,
  resolveConfig,
  table,
  toCliError,
  toJson,
  withSpinner,
} from "./support.js";

interface Session {
  cfg: Config;
  client: VerdictClient;
  provider: JsonRpcProvider;
  disputesAbi: InterfaceAbi | undefined;
}

async function rpcChainId(url: string): Promise<bigint> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new CliError(
      "NETWORK",
      `Cannot reach the RPC endpoint ${url}: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_CHAIN,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { result?: unknown };
  if (typeof body.result !== "string")
    throw new CliError("NETWORK", `${url} did not answer eth_chainId`, EXIT_CHAIN);
  return BigInt(body.result);
}

/** Connects, checking the chain id before anything is sent. */
async function open(flags: GlobalFlags, io: Io, needKey: boolean): Promise<Session> {
  const cfg = resolveConfig(flags, io);
  if (needKey && !cfg.privateKey)
    throw new CliError("NO_KEY", "This command sends a transaction: set VERDICT_PRIVATE_KEY or pass --key.");
  const chainId = await rpcChainId(cfg.rpcUrl);
  if (cfg.chainId !== undefined && cfg.chainId !== chainId) {
    throw new CliError(
      "WRONG_NETWORK",
      `Wrong network: ${cfg.rpcUrl} is chain ${chainId} but the configuration expects chain ${cfg.chainId}. Nothing was sent.`,
      EXIT_CHAIN,
    );
  }
  const provider = new JsonRpcProvider(cfg.rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    // No response cache: a nonce read right after a mined transaction must be fresh.
    cacheTimeout: -1,
    pollingInterval: Math.min(cfg.pollMs, 1000),
  });
  let runner: Wallet | JsonRpcProvider = provider;
  if (cfg.privateKey) {
    try {
      runner = new Wallet(cfg.privateKey.startsWith("0x") ? cfg.privateKey : `0x${cfg.privateKey}`, provider);
    } catch {
      throw new CliError("BAD_KEY", "VERDICT_PRIVATE_KEY is not a valid private key.");
    }
  }
  if ((await provider.getCode(cfg.coordinator)) === "0x") {
    throw new CliError(
      "NOT_DEPLOYED",
      `No coordinator contract at ${cfg.coordinator} on chain ${chainId}.`,
      EXIT_CHAIN,
    );
  }
  const abi = disputesAbi();
  const client = new VerdictClient({
    runner,
    addresses: {
      coordinator: cfg.coordinator,
      staking: cfg.staking,
      registry: cfg.registry,
      ...(cfg.disputes && abi ? { disputes: { address: cfg.disputes, abi } } : {}),
    },
    fromBlock: cfg.fromBlock,
  });
  return { cfg, client, provider, disputesAbi: abi };
}

function printResult(io: Io, cfg: Config, r: InferenceResult): void {
  if (cfg.json) {
    io.stdout.write(toJson(r) + "\n");
    return;
  }
  io.stdout.write(
    `request ${r.requestId}: ${r.statusName}${r.corrected ? " (corrected by a dispute)" : ""}\n`,
  );
  if (r.outcome === "none") {
    io.stdout.write("no result\n");
    return;
  }
  if (r.outcome === "invalid_input") {
    io.stdout.write(`outcome: invalid input (reason ${r.reasonCode ?? r.output})\n`);
    return;
  }
  io.stdout.write(`output hash: ${r.outputHash}\n`);
  if (!r.tensors) {
    io.stdout.write(`output (not VTN1): ${r.output}\n`);
    return;
  }
  for (const t of r.tensors) {
    const values = t.dtype === "fixed64" ? t.data.map((v) => fixedToDecimal(v, t.scale)) : t.data.map(String);
    const shown = values.length > 16 ? [...values.slice(0, 16), "…"] : values;
    io.stdout.write(`${t.name} ${t.dtype}[${t.dims.join("x")}]: ${shown.join(", ")}\n`);
  }
}

export function buildProgram(io: Io): Command {
  const program = new Command("verdict");
  program
    .description("Verdict: verifiable ML inference on EVM chains")
    .option("--rpc <url>", "JSON-RPC endpoint (VERDICT_RPC_URL)")
    .option("--chain-id <id>", "expected chain id (VERDICT_CHAIN_ID)")
    .option("--coordinator <address>", "coordinator (VERDICT_COORDINATOR_ADDRESS)")
    .option("--staking <address>", "staking (VERDICT_STAKING_ADDRESS)")
    .option("--registry <address>", "model registry (VERDICT_REGISTRY_ADDRESS)")
    .option("--disputes <address>", "dispute contract (VERDICT_DISPUTES_ADDRESS)")
    .option("--key <hex>", "private key for write commands (VERDICT_PRIVATE_KEY)")
    .option("--from-block <n>", "first block to scan for events (VERDICT_START_BLOCK)")
    .option("--poll-ms <n>", "poll interval while waiting (VERDICT_POLL_INTERVAL_MS)")
    .option("--env-file <path>", "dotenv file (default ./.env)")
    .option("--json", "machine-readable output")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError();

  const flags = (): GlobalFlags => program.opts<GlobalFlags>();
  const out = (s: string): void => void io.stdout.write(s.endsWith("\n") ? s : s + "\n");
  const session = (write: boolean): Promise<Session> => open(flags(), io, write);

  // ---------------------------------------------------------------- models
  const models = program.command("models").description("the model registry");
  models
    .command("register")
    .description("register a model by the sha256 of its ONNX file")
    .option("--file <onnx>", "ONNX file (its sha256 is the model hash)")
    .option("--hash <bytes32>", "model hash, when the file is not at hand")
    .requiredOption("--uri <uri...>", "where operators fetch the model")
    .requiredOption("--schema <json|@file>", "I/O schema JSON, or @path to read it from a file")
    .requiredOption("--fee <opg>", "fee per inference, per operator")
    .option("--scale <digits>", "fixed64 output scale", "6")
    .option("--tolerance <units>", "agreement tolerance", "0")
    .option("--royalty-bps <bps>", "owner royalty", "0")
    .option("--window <seconds>", "dispute window", "7200")
    .option("--redundancy <k>", "default redundancy", "1")
    .option("--referee <address>", "on-chain referee", ZeroAddress)
    .option("--card-hash <bytes32>", "model card hash")
    .action(async (o: Record<string, string | string[]>) => {
      let modelHash: string;
      if (typeof o.file === "string")
        modelHash =
          "0x" +
          createHash("sha256")
            .update(readFileSync(path.resolve(io.cwd, o.file)))
            .digest("hex");
      else if (typeof o.hash === "string") modelHash = parseBytes32(o.hash, "--hash");
      else throw new CliError("USAGE", "Pass --file <model.onnx> or --hash <sha256>.");
      const schemaArg = String(o.schema);
      const schema = schemaArg.startsWith("@")
        ? readFileSync(path.resolve(io.cwd, schemaArg.slice(1)), "utf8")
        : schemaArg;
      try {
        JSON.parse(schema);
      } catch {
        throw new CliError("BAD_SCHEMA", "The I/O schema is not valid JSON.");
      }
      const s = await session(true);
      await withSpinner(io, "registering model…", () =>
        s.client.registerModel({
          modelHash,
          uris: o.uri as string[],
          ioSchema: schema,
          feePerInference: parseAmount(String(o.fee), "--fee"),
          outputScale: parseInteger(String(o.scale), "--scale", 0, 18),
          tolerance: BigInt(parseInteger(String(o.tolerance), "--tolerance")),
          royaltyBps: parseInteger(String(o.royaltyBps), "--royalty-bps", 0, 10_000),
          disputeWindow: parseInteger(String(o.window), "--window", 0, 2 ** 32 - 1),
          defaultRedundancy: parseInteger(String(o.redundancy), "--redundancy", 1, 8),
          referee: parseAddress(String(o.referee), "--referee"),
          ...(typeof o.cardHash === "string"
            ? { modelCardHash: parseBytes32(o.cardHash, "--card-hash") }
            : {}),
        }),
      );
      out(s.cfg.json ? toJson({ modelHash }) : `registered model ${modelHash}`);
    });
  models
    .command("list")
    .description("list registered models")
    .action(async () => {
      const s = await session(false);
      const list = await s.client.listModels();
      if (s.cfg.json) return out(toJson(list));
      if (list.length === 0) return out("no models registered");
      out(
        table([
          ["MODEL", "FEE", "K", "WINDOW", "TOL", "ROYALTY", "ACTIVE", "URI"],
          ...list.map((m) => [
            m.modelHash,
            opg(m.feePerInference),
            String(m.defaultRedundancy),
            `${m.disputeWindow}s`,
            m.tolerance.toString(),
            `${m.royaltyBps}bps`,
            m.active ? "yes" : "no",
            m.uris[0] ?? "",
          ]),
        ]),
      );
    });

  // ---------------------------------------------------------------- escrow
  program
    .command("deposit <amount>")
    .description("deposit OPG into your prepaid request balance")
    .action(async (amount: string) => {
      const wei = parseAmount(amount, "amount");
      const s = await session(true);
      await withSpinner(io, "depositing…", () => s.client.deposit(wei));
      out(`escrow balance: ${opg(await s.client.balanceOf())}`);
    });
  program
    .command("balance [account]")
    .description("prepaid request balance")
    .action(async (account?: string) => {
      const s = await session(false);
      const who = account
        ? parseAddress(account, "account")
        : await s.client.account().catch(() => {
            throw new CliError("USAGE", "Pass an account or set VERDICT_PRIVATE_KEY.");
          });
      out(
        s.cfg.json
          ? toJson({ account: who, balance: await s.client.balanceOf(who) })
          : `${who}: ${opg(await s.client.balanceOf(who))}`,
      );
    });

  // ---------------------------------------------------------------- requests
  program
    .command("request")
    .description("request an inference (paid from your escrow balance)")
    .requiredOption("--model <hash>", "model hash")
    .requiredOption("--input <file>", "input tensors: VTN1 binary or JSON")
    .option("--redundancy <k>", "operators to assign (0: the model's default)", "0")
    .option("--max-fee <opg>", "most you will pay (default: the exact price)")
    .option("--deadline <seconds>", "seconds from now (default: the coordinator's)")
    .option("--final", "callback once final (default: fast)")
    .option("--wait", "wait for the result")
    .option("--timeout <seconds>", "how long to wait", "600")
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const modelHash = parseBytes32(String(o.model), "--model");
      const input = readTensorFile(String(o.input), io.cwd);
      const redundancy = parseInteger(String(o.redundancy), "--redundancy", 0, 8);
      const s = await session(true);
      const model = await s.client.getModel(modelHash).catch(() => {
        throw new CliError("UNKNOWN_MODEL", `Model ${modelHash} is not registered.`);
      });
      const k = redundancy || model.defaultRedundancy;
      const price = model.feePerInference * BigInt(k);
      const maxFee = typeof o.maxFee === "string" ? parseAmount(o.maxFee, "--max-fee") : price;
      let deadline = 0n;
      if (typeof o.deadline === "string") {
        const now = BigInt((await s.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000));
        deadline = now + BigInt(parseInteger(o.deadline, "--deadline", 1));
      }
      const created = await withSpinner(io, `requesting (${k} × ${opg(model.feePerInference)})…`, () =>
        s.client.request({
          modelHash,
          input,
          redundancy,
          maxFee,
          deadline,
          finality: o.final ? Finality.FINAL : Finality.FAST,
        }),
      );
      if (!o.wait) {
        if (s.cfg.json)
          return out(
            toJson({
              requestId: created.requestId,
              operators: created.request.operators,
              inputHash: created.request.inputHash,
            }),
          );
        out(`request ${created.requestId} assigned to ${created.request.operators.join(", ")}`);
        return;
      }
      if (!s.cfg.json)
        io.stderr.write(`request ${created.requestId} assigned to ${created.request.operators.join(", ")}\n`);
      const r = await withSpinner(io, `waiting for request ${created.requestId}…`, (sp) =>
        s.client.waitForResult(created.requestId, {
          timeoutMs: parseInteger(String(o.timeout), "--timeout", 1) * 1000,
          pollMs: s.cfg.pollMs,
          onStatus: (st) => sp.update(`request ${created.requestId}: ${statusName(st)}…`),
        }),
      );
      printResult(io, s.cfg, r);
    });

  program
    .command("status <requestId>")
    .description("a request's status")
    .action(async (id: string) => {
      const requestId = parseRequestId(id);
      const s = await session(false);
      const st = await s.client.status(requestId);
      if (s.cfg.json)
        return out(toJson({ ...st, created: undefined, operators: st.created.request.operators }));
      const lines = [
        `request ${requestId}: ${st.statusName}`,
        `model: ${st.created.request.modelHash}`,
        `requester: ${st.created.request.requester}`,
        `answers: ${st.answered}/${st.redundancy}`,
        `operators: ${st.created.request.operators.join(", ")}`,
        `deadline: ${new Date(Number(st.deadline) * 1000).toISOString()}`,
      ];
      if (st.windowEnds > 0n)
        lines.push(`dispute window ends: ${new Date(Number(st.windowEnds) * 1000).toISOString()}`);
      out(lines.join("\n"));
    });

  program
    .command("result <requestId>")
    .description("a request's result (decoded tensors)")
    .option("--wait", "wait until there is one")
    .option("--timeout <seconds>", "how long to wait", "600")
    .option("--out <file>", "write the output bytes (VTN1) to a file")
    .action(async (id: string, o: { wait?: boolean; timeout: string; out?: string }) => {
      const requestId = parseRequestId(id);
      const s = await session(false);
      const r = o.wait
        ? await withSpinner(io, `waiting for request ${requestId}…`, (sp) =>
            s.client.waitForResult(requestId, {
              timeoutMs: parseInteger(o.timeout, "--timeout", 1) * 1000,
              pollMs: s.cfg.pollMs,
              onStatus: (st) => sp.update(`request ${requestId}: ${statusName(st)}…`),
            }),
          )
        : await s.client.result(requestId);
      if (o.out && r.output) writeFileSync(path.resolve(io.cwd, o.out), getBytes(r.output));
      printResult(io, s.cfg, r);
    });

  program
    .command("finalize <requestId>")
    .description("finalize a request after its dispute window")
    .action(async (id: string) => {
      const requestId = parseRequestId(id);
      const s = await session(true);
      await withSpinner(io, "finalizing…", () => s.client.finalize(requestId));
      out(`request ${requestId}: ${(await s.client.status(requestId)).statusName}`);
    });
  program
    .command("expire <requestId>")
    .description("expire a request past its deadline (refund, penalise missing operators)")
    .action(async (id: string) => {
      const requestId = parseRequestId(id);
      const s = await session(true);
      await withSpinner(io, "expiring…", () => s.client.expire(requestId));
      out(`request ${requestId}: ${(await s.client.status(requestId)).statusName}`);
    });

  // ---------------------------------------------------------------- operators
  const operator = program.command("operator").description("run an operator");
  operator
    .command("register")
    .description("register the key's account as an operator with a separate signer key")
    .requiredOption("--signer <address>", "the key that signs attestations")
    .requiredOption("--stake <opg>", "self-stake")
    .option("--commission <bps>", "commission", "1000")
    .option("--metadata <uri>", "metadata URI", "")
    .action(async (o: { signer: string; stake: string; commission: string; metadata: string }) => {
      const signer = parseAddress(o.signer, "--signer");
      const stake = parseAmount(o.stake, "--stake");
      const commissionBps = parseInteger(o.commission, "--commission", 0, 10_000);
      const s = await session(true);
      await withSpinner(io, "registering operator…", () =>
        s.client.registerOperator({ signer, commissionBps, metadataURI: o.metadata, selfStake: stake }),
      );
      out(
        `registered operator ${await s.client.account()} with signer ${signer} and ${opg(stake)} self-stake`,
      );
    });
  operator
    .command("stake <amount>")
    .description("add self-stake to your operator pool")
    .action(async (amount: string) => {
      const wei = parseAmount(amount, "amount");
      const s = await session(true);
      const me = await s.client.account();
      await withSpinner(io, "staking…", () => s.client.delegate(me, wei));
      out(`pool of ${me}: ${opg(await s.client.staking.poolAssets(me))}`);
    });
  operator
    .command("commission <bps>")
    .description("queue a commission change (applies after the delay)")
    .action(async (bps: string) => {
      const n = parseInteger(bps, "commission", 0, 10_000);
      const s = await session(true);
      await withSpinner(io, "queueing commission change…", () => s.client.setCommission(n));
      const info = await s.client.staking.getOperator(await s.client.account());
      out(
        info.commissionReadyAt > 0n
          ? `commission ${n} bps queued; applies at ${new Date(Number(info.commissionReadyAt) * 1000).toISOString()}`
          : `commission is now ${info.commissionBps} bps`,
      );
    });
  operator
    .command("exit")
    .description("deactivate (first call) or complete the exit (after the exit delay)")
    .action(async () => {
      const s = await session(true);
      const me = await s.client.account();
      const info = await s.client.staking.getOperator(me);
      if (info.status === 0n) throw new CliError("NOT_OPERATOR", `${me} is not a registered operator.`);
      if (info.status === 1n) {
        await withSpinner(io, "deactivating…", () => s.client.deactivate());
        const after = await s.client.staking.getOperator(me);
        out(
          `deactivated: no new assignments; exit possible from ${new Date(Number(after.exitReadyAt) * 1000).toISOString()}`,
        );
        return;
      }
      if (info.status === 3n) return out(`${me} has already exited`);
      await withSpinner(io, "exiting…", () => s.client.exit());
      out(`exited: undelegate your self-stake with \`verdict undelegate ${me} <amount>\``);
    });
  operator
    .command("info [address]")
    .description("an operator's pool, status and record")
    .action(async (address?: string) => {
      const s = await session(false);
      const who = address ? parseAddress(address, "operator") : await s.client.account();
      const [info, rec] = await Promise.all([
        s.client.staking.getOperator(who),
        s.client.coordinator.operatorRecord(who),
      ]);
      if (info.status === 0n) throw new CliError("NOT_OPERATOR", `${who} is not a registered operator.`);
      out(
        [
          `operator ${who}: ${["None", "Active", "Deactivated", "Exited"][Number(info.status)]}${info.jailed ? " (jailed)" : ""}`,
          `signer: ${info.signer}`,
          `commission: ${info.commissionBps} bps`,
          `pool: ${opg(info.assets)}`,
          `record: served ${rec.served}, disputed ${rec.disputed}, lost ${rec.lost}, missed ${rec.missed}`,
        ].join("\n"),
      );
    });

  // ---------------------------------------------------------------- delegation
  program
    .command("delegate <operator> <amount>")
    .description("delegate OPG to an operator's pool")
    .action(async (op: string, amount: string) => {
      const who = parseAddress(op, "operator");
      const wei = parseAmount(amount, "amount");
      const s = await session(true);
      await withSpinner(io, "delegating…", () => s.client.delegate(who, wei));
      out(
        `delegated ${opg(wei)} to ${who}; your stake there: ${opg(await s.client.staking.assetsOf(who, await s.client.account()))}`,
      );
    });
  program
    .command("undelegate <operator> <amount>")
    .description("queue a withdrawal of <amount> OPG (or --shares) from an operator's pool")
    .option("--shares", "the amount is in shares, not OPG")
    .action(async (op: string, amount: string, o: { shares?: boolean }) => {
      const who = parseAddress(op, "operator");
      const value = o.shares ? BigInt(parseInteger(amount, "shares", 1)) : parseAmount(amount, "amount");
      const s = await session(true);
      const q = await withSpinner(io, "queueing withdrawal…", () =>
        s.client.undelegate(who, o.shares ? { shares: value } : { assets: value }),
      );
      if (s.cfg.json) return out(toJson({ withdrawalId: q.withdrawalId, unlocksAt: q.unlocksAt }));
      out(
        `withdrawal ${q.withdrawalId} queued; complete it after ${new Date(Number(q.unlocksAt) * 1000).toISOString()} with \`verdict complete ${q.withdrawalId}\``,
      );
    });
  program
    .command("complete <withdrawalId>")
    .description("complete a matured withdrawal")
    .action(async (id: string) => {
      const wid = BigInt(parseInteger(id, "withdrawal id", 1));
      const s = await session(true);
      const w = await s.client.staking.withdrawal(wid);
      if (w.delegator === ZeroAddress)
        throw new CliError(
          "UNKNOWN_WITHDRAWAL",
          `Withdrawal ${wid} does not exist (or was already completed).`,
        );
      await withSpinner(io, "completing withdrawal…", () => s.client.completeUndelegation(wid));
      out(`withdrawal ${wid} paid to ${w.delegator}`);
    });
  program
    .command("claim <operator>")
    .description("claim your rewards from an operator's pool")
    .action(async (op: string) => {
      const who = parseAddress(op, "operator");
      const s = await session(true);
      const receipt = await withSpinner(io, "claiming…", () => s.client.claimRewards(who));
      let amount = 0n;
      for (const log of receipt.logs) {
        const d = s.client.staking.interface.parseLog(log);
        if (d?.name === "RewardsClaimed") amount = BigInt(d.args.amount as bigint);
      }
      out(`claimed ${opg(amount)}`);
    });

  // ---------------------------------------------------------------- disputes
  const dispute = program.command("dispute").description("disputes (needs the dispute contract)");
  const disputes = (s: Session): Contract => {
    if (!s.cfg.disputes)
      throw new CliError(
        "NOT_DEPLOYED",
        "No dispute contract configured: set VERDICT_DISPUTES_ADDRESS or pass --disputes.",
      );
    if (!s.disputesAbi)
      throw new CliError(
        "NOT_DEPLOYED",
        "The dispute contract is not built in this checkout (artifacts/contracts/disputes).",
      );
    return new Contract(s.cfg.disputes, s.disputesAbi, s.client.signer ?? s.provider);
  };
  dispute
    .command("open <requestId>")
    .description("dispute a request's answers by posting the bond")
    .option("--claimed-output <file>", "the output you claim is right (VTN1 or JSON)")
    .action(async (id: string, o: { claimedOutput?: string }) => {
      const requestId = parseRequestId(id);
      const claimed = o.claimedOutput ? hexlify(readTensorFile(o.claimedOutput, io.cwd)) : "0x";
      const s = await session(true);
      const d = disputes(s);
      if ((await s.provider.getCode(String(s.cfg.disputes))) === "0x")
        throw new CliError("NOT_DEPLOYED", `No dispute contract at ${s.cfg.disputes}.`, EXIT_CHAIN);
      const created = await s.client.findRequest(requestId);
      const bond = (await d.getFunction("bondFor")(created.request)) as bigint;
      const token = await s.client.token();
      await withSpinner(io, `opening dispute (bond ${opg(bond)})…`, async () => {
        const me = await s.client.account();
        if ((await token.allowance(me, String(s.cfg.disputes))) < bond)
          await (await token.connect(s.client.requireSigner()).approve(String(s.cfg.disputes), bond)).wait();
        await (await d.getFunction("openDispute")(requestId, created.request, claimed)).wait();
      });
      out(`dispute opened on request ${requestId} with a bond of ${opg(bond)}`);
    });
  const disputeStatus = async (id: string): Promise<void> => {
    const requestId = parseRequestId(id);
    const s = await session(false);
    const d = disputes(s);
    const info = (await d.getFunction("disputeOf")(requestId)) as {
      phase: bigint;
      round: bigint;
      challenger: string;
      /** The bond in whole gwei (the contract stores it so; bondFor rounds up to a gwei). */
      bondUnits: bigint;
    };
    const phases = ["None", "Open", "Voting", "Arbitration", "Settled"];
    if (info.phase === 0n) throw new CliError("NO_DISPUTE", `Request ${requestId} has no dispute.`);
    const jurors = (await d.getFunction("jurorsOf")(requestId, info.round)) as string[];
    out(
      [
        `dispute on request ${requestId}: ${phases[Number(info.phase)] ?? String(info.phase)}, round ${info.round}`,
        `challenger: ${info.challenger === ZeroAddress ? "automatic (answers disagreed)" : info.challenger}`,
        `bond: ${opg(info.bondUnits * 1_000_000_000n)}`,
        `jurors: ${jurors.length ? jurors.join(", ") : "not drawn yet"}`,
      ].join("\n"),
    );
  };
  dispute
    .command("status <requestId>")
    .description("a dispute's phase, round and jury")
    .action(disputeStatus);
  program.command("dispute-status <requestId>").description("same as `dispute status`").action(disputeStatus);

  // ---------------------------------------------------------------- accountability
  program
    .command("audit <requestId>")
    .description("rebuild a request's trail from events and verify every hash and signature offline")
    .action(async (id: string) => {
      const requestId = parseRequestId(id);
      const s = await session(false);
      const { trail, verification } = await withSpinner(io, `auditing request ${requestId}…`, () =>
        s.client.audit(requestId),
      );
      if (s.cfg.json) {
        out(toJson({ ok: verification.ok, checks: verification.checks, entries: trail.entries }));
      } else {
        out(`trail of request ${requestId} (chain ${trail.chainId}, coordinator ${trail.coordinator})`);
        for (const e of trail.entries) {
          const args = Object.entries(e.args)
            .filter(([k]) => !["request", "input", "output", "signature"].includes(k))
            .map(([k, v]) => `${k}=${typeof v === "object" ? toJson(v).replace(/\s+/g, "") : String(v)}`)
            .join(" ");
          out(`  #${e.blockNumber} ${e.source}.${e.name} ${args}`);
        }
        out("checks:");
        for (const c of verification.checks)
          out(`  ${c.ok ? "✔" : "✘"} ${c.label}${c.detail && !c.ok ? ` — ${c.detail}` : ""}`);
        out(verification.ok ? "✔ trail verified" : "✘ trail does NOT verify");
      }
      if (!verification.ok) throw new CliError("AUDIT_FAILED", "The trail does not verify.", EXIT_CHAIN);
    });

  program
    .command("stats")
    .description("stake concentration and operator records")
    .action(async () => {
      const s = await session(false);
      const st = await withSpinner(io, "reading operators…", () => s.client.stats());
      if (s.cfg.json) return out(toJson(st));
      const pct = (bps: bigint): string => `${(Number(bps) / 100).toFixed(2)}%`;
      out(
        [
          `operators: ${st.operators.length} (${st.stake.count} with stake), total stake ${opg(st.totalStake)}`,
          `Nakamoto coefficient: ${st.stake.nakamoto33} (>1/3), ${st.stake.nakamoto50} (>1/2)`,
          `HHI: ${st.stake.hhi} / 10000; top-5 share: ${pct(st.stake.top5Bps)}`,
          `selection (capped weights): Nakamoto ${st.selection.nakamoto33}/${st.selection.nakamoto50}, HHI ${st.selection.hhi}, top-5 ${pct(st.selection.top5Bps)}`,
          "",
        ].join("\n"),
      );
      out(
        table([
          ["OPERATOR", "STATUS", "STAKE", "COMMISSION", "SERVED", "DISPUTED", "LOST", "MISSED"],
          ...st.operators.map((o) => [
            o.operator,
            o.status + (o.jailed ? " (jailed)" : ""),
            opg(o.stake),
            `${o.commissionBps}bps`,
            String(o.served),
            String(o.disputed),
            String(o.lost),
            String(o.missed),
          ]),
        ]),
      );
    });

  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 user error, 2 chain/network error). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USER;
    }
    const abi = disputesAbi();
    const e = toCliError(err, abi ? [abi] : []);
    io.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
}
