/**
 * `verdict-relayer` commands (run through relayer/main.ts), one module per command group under
 * relayer/commands/, each registering itself:
 *   check                      validate the configuration, load the signer, open the database, then contact
 *                              the RPC and check chain, contracts, operator, signer and gas (relayer/setup.ts)
 *   keys new --out FILE        create a fresh signer key as an encrypted keystore
 *   models fetch HASH URI...   fetch, verify and cache a model
 *   models run ...             run a cached/fetched model on a VTN1 input file (smoke test)
 *   run                        start the relayer (the default command)
 * Configuration: the environment over a .env file: --env-file FILE, else VERDICT_ENV_FILE, else ./.env when
 * it exists.
 * Every failure exits non-zero with its error code on stderr; secrets are never printed.
 */
import { Command } from "commander";
import * as check from "./commands/check.js";
import { makeRelayerCtx, type RegisterRelayerCommand } from "./commands/context.js";
import * as keys from "./commands/keys.js";
import * as models from "./commands/models.js";
import * as run from "./commands/run.js";

export { env } from "./commands/context.js";

/** Every command group, in help order. */
const GROUPS: readonly { register: RegisterRelayerCommand }[] = [check, keys, models, run];

export function buildCli(): Command {
  const program = new Command("verdict-relayer")
    .description("Verdict operator relayer")
    .option(
      "--env-file <file>",
      "read configuration from this .env file (the environment wins); default VERDICT_ENV_FILE, else ./.env",
    );
  const ctx = makeRelayerCtx(program);
  for (const group of GROUPS) group.register(program, ctx);
  return program;
}
