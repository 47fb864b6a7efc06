/**
 * Plumbing of the `verdict` CLI: configuration (.env, environment, flags), typed CLI errors with exit
 * codes, value parsers, a tiny stderr spinner, and tensor input files. Contract errors become sentences in
 * cli/lib/errors.ts; keys come from cli/lib/keys.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { formatEther, getAddress, isAddress, parseEther } from "ethers";
import { decodeTensors, encodeTensors } from "../sdk/tensor.js";
import { tensorsFromJson } from "../sdk/json-tensors.js";

/** 0 ok, 1 user error, 2 chain or network error. */
export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_CHAIN = 2;

/** A failure the CLI reports: a stable `code`, a sentence, an exit code and JSON-friendly details. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    code: string,
    message: string,
    exitCode: number = EXIT_USER,
    details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** A terminal the CLI may prompt on (a keystore password); absent in tests and pipes. */
export interface PromptStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdin?: PromptStream;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// ------------------------------------------------------------------ configuration

export interface GlobalFlags {
  rpc?: string;
  chainId?: string;
  coordinator?: string;
  staking?: string;
  registry?: string;
  disputes?: string;
  key?: string;
  keystore?: string;
  signerUrl?: string;
  from?: string;
  fromBlock?: string;
  deployment?: string;
  logRange?: string;
  envFile?: string;
  json?: boolean;
  pollMs?: string;
}

/** One of: a raw private key, an encrypted JSON keystore, an external JSON-RPC signer, or none. */
export type KeySource =
  | { kind: "none" }
  | { kind: "private-key"; privateKey: string }
  | { kind: "keystore"; file: string; password: string | undefined }
  | { kind: "signer-url"; url: string; from: string | undefined };

export interface Config {
  rpcUrl: string;
  chainId: bigint | undefined;
  coordinator: string;
  staking: string;
  registry: string;
  disputes: string | undefined;
  /** Where the transaction key comes from (cli/lib/keys.ts). */
  key: KeySource;
  fromBlock: number;
  pollMs: number;
  json: boolean;
  /** Largest block range per eth_getLogs (halved when the provider refuses it). */
  logRange: number;
  /** The deployment file the addresses came from, if any. */
  deployment: string | undefined;
}

/**
 * The configuration as given, before the chain is asked: only the coordinator (or a deployment file, or
 * neither: deployments/<chainId>.json is then looked for) is needed; the other addresses are read from the
 * coordinator in cli/lib/session.ts and must match it when given.
 */
export interface ConfigInput extends Omit<Config, "coordinator" | "staking" | "registry" | "fromBlock"> {
  coordinator: string | undefined;
  staking: string | undefined;
  registry: string | undefined;
  /** Undefined: the deployment's start block, else 0. */
  fromBlock: number | undefined;
}

/** Flags override the environment, which overrides the .env file. */
export function resolveConfig(flags: GlobalFlags, io: Io): ConfigInput {
  const envPath = path.resolve(io.cwd, flags.envFile ?? ".env");
  let file: Record<string, string> = {};
  if (existsSync(envPath)) file = parseDotenv(readFileSync(envPath));
  else if (flags.envFile) throw new CliError("CONFIG", `env file ${envPath} does not exist`);
  const get = (flag: string | undefined, key: string): string | undefined => {
    const v = flag ?? io.env[key] ?? file[key];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const address = (
    flag: string | undefined,
    key: string,
    name: string,
    required: boolean,
  ): string | undefined => {
    const v = get(flag, key);
    if (v === undefined) {
      if (required)
        throw new CliError("CONFIG", `the ${name} address is not set: pass --${name} or set ${key}`);
      return undefined;
    }
    if (!isAddress(v)) throw new CliError("CONFIG", `${key} = ${v} is not an address`);
    return getAddress(v);
  };
  const chainRaw = get(flags.chainId, "VERDICT_CHAIN_ID");
  if (chainRaw !== undefined && !/^\d+$/.test(chainRaw))
    throw new CliError("CONFIG", `chain id ${chainRaw} is not a number`);
  const fromText = get(flags.fromBlock, "VERDICT_START_BLOCK");
  const fromBlock = fromText === undefined ? undefined : Number(fromText);
  if (fromBlock !== undefined && (!Number.isInteger(fromBlock) || fromBlock < 0))
    throw new CliError("CONFIG", "the start block must be ≥ 0");
  const logRange = Number(get(flags.logRange, "VERDICT_LOG_RANGE") ?? "2000");
  if (!Number.isInteger(logRange) || logRange < 1 || logRange > 1_000_000)
    throw new CliError("CONFIG", "the log range must be an integer from 1 to 1000000 blocks");
  const deployment = get(flags.deployment, "VERDICT_DEPLOYMENT");
  const pollMs = Number(get(flags.pollMs, "VERDICT_POLL_INTERVAL_MS") ?? "1000");
  if (!Number.isInteger(pollMs) || pollMs < 10)
    throw new CliError("CONFIG", "the poll interval must be ≥ 10 ms");
  return {
    rpcUrl: get(flags.rpc, "VERDICT_RPC_URL") ?? "http://127.0.0.1:8545",
    chainId: chainRaw === undefined ? undefined : BigInt(chainRaw),
    coordinator: address(flags.coordinator, "VERDICT_COORDINATOR_ADDRESS", "coordinator", false),
    staking: address(flags.staking, "VERDICT_STAKING_ADDRESS", "staking", false),
    registry: address(flags.registry, "VERDICT_REGISTRY_ADDRESS", "registry", false),
    disputes: address(flags.disputes, "VERDICT_DISPUTES_ADDRESS", "disputes", false),
    key: keySource(flags, get, io.cwd),
    fromBlock,
    pollMs,
    json: flags.json === true,
    logRange,
    deployment: deployment === undefined ? undefined : path.resolve(io.cwd, deployment),
  };
}

/**
 * The key source: flags first (at most one of --key, --keystore, --signer-url), else the environment / .env
 * (at most one of VERDICT_PRIVATE_KEY, VERDICT_KEYSTORE, VERDICT_SIGNER_URL).
 */
function keySource(
  flags: GlobalFlags,
  get: (flag: string | undefined, key: string) => string | undefined,
  cwd: string,
): KeySource {
  const byFlag = [flags.key, flags.keystore, flags.signerUrl].filter((v) => v !== undefined).length;
  if (byFlag > 1) throw new CliError("USAGE", "Pass only one of --key, --keystore and --signer-url.");
  const pick = (flag: string | undefined, key: string): string | undefined =>
    byFlag ? (flag?.trim() ?? undefined) || undefined : get(undefined, key);
  const privateKey = pick(flags.key, "VERDICT_PRIVATE_KEY");
  const keystore = pick(flags.keystore, "VERDICT_KEYSTORE");
  const signerUrl = pick(flags.signerUrl, "VERDICT_SIGNER_URL");
  if ([privateKey, keystore, signerUrl].filter((v) => v !== undefined).length > 1)
    throw new CliError(
      "CONFIG",
      "Set only one of VERDICT_PRIVATE_KEY, VERDICT_KEYSTORE and VERDICT_SIGNER_URL (or pass one key flag).",
    );
  if (privateKey !== undefined) return { kind: "private-key", privateKey };
  if (keystore !== undefined)
    return {
      kind: "keystore",
      file: path.resolve(cwd, keystore),
      password: get(undefined, "VERDICT_KEYSTORE_PASSWORD"),
    };
  if (signerUrl !== undefined)
    return { kind: "signer-url", url: signerUrl, from: get(flags.from, "VERDICT_FROM") };
  return { kind: "none" };
}

// ------------------------------------------------------------------ values

export function parseAmount(value: string, what: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value.trim()))
    throw new CliError("BAD_AMOUNT", `${what} "${value}" is not an amount of OPG (e.g. 2 or 0.5)`);
  return parseEther(value.trim());
}

export function parseInteger(value: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw new CliError("BAD_NUMBER", `${what} "${value}" must be an integer from ${min} to ${max}`);
  return n;
}

export function parseRequestId(value: string): bigint {
  if (!/^\d+$/.test(value.trim()) || BigInt(value) === 0n)
    throw new CliError("BAD_REQUEST_ID", `"${value}" is not a request id (a positive integer)`);
  return BigInt(value);
}

export function parseAddress(value: string, what: string): string {
  if (!isAddress(value)) throw new CliError("BAD_ADDRESS", `${what} "${value}" is not an address`);
  return getAddress(value);
}

export function parseBytes32(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new CliError("BAD_HASH", `${what} "${value}" is not a 32-byte hex hash`);
  return value.toLowerCase();
}

export const opg = (wei: bigint): string => `${formatEther(wei)} OPG`;

// ------------------------------------------------------------------ tensor files

/**
 * Reads an input file: VTN1 binary (starts with "VTN"), or JSON as sdk/json-tensors.ts reads it (flat or
 * nested `data`; fixed64 numbers scaled exactly by the protocol's rounding rule, decimal strings taken
 * exactly, `"raw": true` for already-scaled integers). Returns the canonical bytes; anything malformed is a
 * BAD_INPUT_FILE error naming the problem.
 */
export function readTensorFile(file: string, cwd: string): Uint8Array {
  const full = path.resolve(cwd, file);
  let raw: Buffer;
  try {
    raw = readFileSync(full);
  } catch {
    throw new CliError("BAD_INPUT_FILE", `cannot read input file ${file}`);
  }
  const bad = (why: string): CliError =>
    new CliError("BAD_INPUT_FILE", `input file ${file} is malformed: ${why}`);
  if (raw.length >= 3 && raw[0] === 0x56 && raw[1] === 0x54 && raw[2] === 0x4e) {
    const bytes = new Uint8Array(raw);
    try {
      decodeTensors(bytes);
    } catch (err) {
      throw bad(`not a valid VTN1 encoding (${err instanceof Error ? err.message : String(err)})`);
    }
    return bytes;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw bad(`neither VTN1 binary nor JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return encodeTensors(tensorsFromJson(json));
  } catch (err) {
    throw bad(err instanceof Error ? err.message : String(err));
  }
}

// ------------------------------------------------------------------ spinner

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A tiny spinner on stderr; silent when stderr is not a terminal. */
export class Spinner {
  #timer: ReturnType<typeof setInterval> | undefined;
  #text = "";
  #frame = 0;
  constructor(private readonly stream: Io["stderr"]) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  start(text: string): this {
    this.#text = text;
    if (!this.enabled || this.#timer) return this;
    this.#timer = setInterval(() => this.#draw(), 80);
    this.#timer.unref?.();
    this.#draw();
    return this;
  }

  update(text: string): void {
    this.#text = text;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.enabled) this.stream.write("\r\x1b[K");
  }

  #draw(): void {
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[K${FRAMES[this.#frame] ?? ""} ${this.#text}`);
  }
}

/** Runs `fn` with a spinner showing `text`. */
export async function withSpinner<T>(io: Io, text: string, fn: (s: Spinner) => Promise<T>): Promise<T> {
  const s = new Spinner(io.stderr).start(text);
  try {
    return await fn(s);
  } finally {
    s.stop();
  }
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** Left-aligned text table. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}
