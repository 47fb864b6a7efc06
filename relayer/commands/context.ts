/**
 * What every `verdict-relayer` command shares: the configuration (the environment over the .env file named by
 * `--env-file`, VERDICT_ENV_FILE or ./.env) and one way to fail (the error code on stderr, exit 1).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { VerdictError } from "../../sdk/errors.js";
import { loadConfig, mergeEnvFile, type Env, type RelayerConfig } from "../config.js";

/** The environment over the .env file: `--env-file`, else VERDICT_ENV_FILE, else ./.env if present. */
export function env(envFile: string | undefined, base: Env = process.env, cwd: string = process.cwd()): Env {
  const named = envFile ?? base["VERDICT_ENV_FILE"];
  if (named !== undefined && named.trim() !== "") return mergeEnvFile(path.resolve(cwd, named), base);
  const dflt = path.join(cwd, ".env");
  return existsSync(dflt) ? mergeEnvFile(dflt, base) : base;
}

/** Prints the error (its code when it has one) on stderr and exits 1. */
export function fail(e: unknown): never {
  if (e instanceof VerdictError) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
}

/** What a command group is given when it registers itself. */
export interface RelayerCtx {
  /** The validated configuration read from the environment and the chosen .env file. */
  config(): Readonly<RelayerConfig>;
}

/** A command group: adds its commands to the program. */
export type RegisterRelayerCommand = (program: Command, ctx: RelayerCtx) => void;

export function makeRelayerCtx(program: Command): RelayerCtx {
  return { config: () => loadConfig(env(program.opts<{ envFile?: string }>().envFile)) };
}
