/**
 * The `verdict` command line: one module per command group under cli/commands/, each registering itself.
 * `main(argv, io)` is the whole program (the tests call it directly); cli/verdict.ts is the entry point.
 * Loading this module needs no contract build: the SDK is imported when a command opens a session.
 */
import { Command, CommanderError } from "commander";
import * as audit from "./commands/audit.js";
import * as dispute from "./commands/dispute.js";
import * as escrow from "./commands/escrow.js";
import * as governance from "./commands/governance.js";
import * as models from "./commands/models.js";
import * as operator from "./commands/operator.js";
import * as request from "./commands/request.js";
import * as stake from "./commands/stake.js";
import * as stats from "./commands/stats.js";
import * as tensors from "./commands/tensors.js";
import * as token from "./commands/token.js";
import { makeCtx, type Register } from "./lib/context.js";
import { errorJson, toCliError } from "./lib/errors.js";
import { CliError, EXIT_OK, EXIT_USER, type Io, toJson } from "./support.js";

/** Every command group, in help order. */
export const GROUPS: readonly { register: Register }[] = [
  models,
  escrow,
  request,
  operator,
  stake,
  dispute,
  token,
  audit,
  stats,
  tensors,
  governance,
];

function globalOptions(program: Command): Command {
  return program
    .description("Verdict: verifiable ML inference on EVM chains")
    .option("--rpc <url>", "JSON-RPC endpoint (VERDICT_RPC_URL)")
    .option("--chain-id <id>", "expected chain id (VERDICT_CHAIN_ID)")
    .option(
      "--deployment <file>",
      "deployment file from `npm run deploy` (VERDICT_DEPLOYMENT; default deployments/<chainId>.json if present)",
    )
    .option("--coordinator <address>", "coordinator (VERDICT_COORDINATOR_ADDRESS); the rest is read from it")
    .option("--staking <address>", "staking (VERDICT_STAKING_ADDRESS; checked against the coordinator's)")
    .option(
      "--registry <address>",
      "model registry (VERDICT_REGISTRY_ADDRESS; checked against the coordinator's)",
    )
    .option("--disputes <address>", "dispute contract (VERDICT_DISPUTES_ADDRESS; default: the coordinator's)")
    .option("--key <hex>", "private key for write commands (VERDICT_PRIVATE_KEY)")
    .option(
      "--keystore <file>",
      "encrypted JSON keystore (VERDICT_KEYSTORE; password: VERDICT_KEYSTORE_PASSWORD or a prompt)",
    )
    .option("--signer-url <url>", "external JSON-RPC signer that holds the key (VERDICT_SIGNER_URL)")
    .option("--from <address>", "account at the external signer (VERDICT_FROM; default: its first)")
    .option(
      "--from-block <n>",
      "first block to scan for events (VERDICT_START_BLOCK; default: the deployment's start block)",
    )
    .option("--log-range <n>", "largest block range per eth_getLogs (VERDICT_LOG_RANGE, default 2000)")
    .option("--poll-ms <n>", "poll interval while waiting (VERDICT_POLL_INTERVAL_MS)")
    .option("--env-file <path>", "dotenv file (default ./.env)")
    .option("--json", 'machine-readable output; errors as {"error": {code, message, details}} on stderr');
}

export function buildProgram(io: Io, opts: { quietErrors?: boolean } = {}): Command {
  const program = globalOptions(new Command("verdict"))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      ...(opts.quietErrors ? { outputError: () => undefined } : {}),
    });
  if (!opts.quietErrors) program.showHelpAfterError();
  const ctx = makeCtx(program, io);
  for (const group of GROUPS) group.register(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 user error, 2 chain/network error). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  const program = buildProgram(io, { quietErrors: json });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (err) {
    let e: CliError;
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT_OK;
      e = new CliError("USAGE", err.message.replace(/^error: /, ""), EXIT_USER, { reason: err.code });
    } else e = await toCliError(err);
    if (json) io.stderr.write(toJson(errorJson(e)) + "\n");
    else if (!(err instanceof CommanderError)) io.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
}
