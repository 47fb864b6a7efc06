/**
 * Plumbing of the `verdict` CLI: configuration (.env, environment, flags), typed CLI errors with exit
 * codes, contract errors turned into sentences, a tiny stderr spinner, and tensor input files.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import {
  type ErrorDescription,
  type InterfaceAbi,
  formatEther,
  getAddress,
  isAddress,
  isError,
  parseEther,
} from "ethers";
import {
  VerdictError,
  decodeContractError,
  decodeTensors,
  encodeTensors,
  isVerdictError,
  type DType,
  type Tensor,
} from "../sdk/client.js";

/** 0 ok, 1 user error, 2 chain or network error. */
export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_CHAIN = 2;

export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  constructor(code: string, message: string, exitCode: number = EXIT_USER) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
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
  fromBlock?: string;
  envFile?: string;
  json?: boolean;
  pollMs?: string;
}

export interface Config {
  rpcUrl: string;
  chainId: bigint | undefined;
  coordinator: string;
  staking: string;
  registry: string;
  disputes: string | undefined;
  privateKey: string | undefined;
  fromBlock: number;
  pollMs: number;
  json: boolean;
}

/** Flags override the environment, which overrides the .env file. */
export function resolveConfig(flags: GlobalFlags, io: Io): Config {
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
  const fromBlock = Number(get(flags.fromBlock, "VERDICT_START_BLOCK") ?? "0");
  if (!Number.isInteger(fromBlock) || fromBlock < 0)
    throw new CliError("CONFIG", "the start block must be ≥ 0");
  const pollMs = Number(get(flags.pollMs, "VERDICT_POLL_INTERVAL_MS") ?? "1000");
  if (!Number.isInteger(pollMs) || pollMs < 10)
    throw new CliError("CONFIG", "the poll interval must be ≥ 10 ms");
  return {
    rpcUrl: get(flags.rpc, "VERDICT_RPC_URL") ?? "http://127.0.0.1:8545",
    chainId: chainRaw === undefined ? undefined : BigInt(chainRaw),
    coordinator: address(flags.coordinator, "VERDICT_COORDINATOR_ADDRESS", "coordinator", true) as string,
    staking: address(flags.staking, "VERDICT_STAKING_ADDRESS", "staking", true) as string,
    registry: address(flags.registry, "VERDICT_REGISTRY_ADDRESS", "registry", true) as string,
    disputes: address(flags.disputes, "VERDICT_DISPUTES_ADDRESS", "disputes", false),
    privateKey: get(flags.key, "VERDICT_PRIVATE_KEY"),
    fromBlock,
    pollMs,
    json: flags.json === true,
  };
}

/** The dispute contract's ABI from the build, if the contract exists. */
export function disputesAbi(): InterfaceAbi | undefined {
  const dir = path.join(REPO_ROOT, "artifacts/contracts/disputes");
  if (!existsSync(dir)) return undefined;
  for (const sub of readdirSync(dir)) {
    const file = path.join(dir, sub, sub.replace(/\.sol$/, ".json"));
    if (sub === "Disputes.sol" && existsSync(file)) {
      return (JSON.parse(readFileSync(file, "utf8")) as { abi: InterfaceAbi }).abi;
    }
  }
  return undefined;
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

interface JsonTensor {
  name?: unknown;
  dtype?: unknown;
  scale?: unknown;
  dims?: unknown;
  shape?: unknown;
  data?: unknown;
}

/**
 * Reads an input file: VTN1 binary (starts with "VTN"), or JSON — an array of tensors or
 * {"tensors": [...]}, each {"name", "dtype", "scale"?, "dims" (or "shape"), "data"}. `data` holds integers
 * (numbers or decimal strings); for fixed64, numbers with a fraction are scaled by 10^scale.
 * Returns the canonical bytes; anything malformed is a BAD_INPUT_FILE error naming the problem.
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
  const list = Array.isArray(json) ? json : (json as { tensors?: unknown } | null)?.tensors;
  if (!Array.isArray(list)) throw bad('expected an array of tensors or {"tensors": [...]}');
  const tensors: Tensor[] = list.map((t: JsonTensor, i): Tensor => {
    if (t === null || typeof t !== "object") throw bad(`tensor ${i} is not an object`);
    if (typeof t.name !== "string") throw bad(`tensor ${i} has no "name"`);
    if (typeof t.dtype !== "string") throw bad(`tensor "${t.name}" has no "dtype"`);
    const dtype = t.dtype as DType;
    const scale = t.scale === undefined ? 0 : Number(t.scale);
    const dims = (t.dims ?? t.shape) as unknown;
    if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d >= 0))
      throw bad(`tensor "${t.name}" needs "dims": an array of non-negative integers`);
    if (!Array.isArray(t.data)) throw bad(`tensor "${t.name}" needs "data": an array`);
    const data = t.data.map((v: unknown, j): bigint => {
      if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
      if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
      if (typeof v === "number" && Number.isFinite(v) && dtype === "fixed64")
        return BigInt(Math.round(v * 10 ** scale));
      if (typeof v === "boolean" && dtype === "bool") return v ? 1n : 0n;
      throw bad(`tensor "${t.name}" element ${j} (${JSON.stringify(v)}) is not an integer`);
    });
    return { name: t.name, dtype, scale, dims: dims as number[], data };
  });
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  try {
    return encodeTensors(tensors);
  } catch (err) {
    throw bad(err instanceof Error ? err.message : String(err));
  }
}

// ------------------------------------------------------------------ errors

const STATUS = [
  "None",
  "Assigned",
  "Answered",
  "Disputed",
  "Finalized",
  "Rejected",
  "Expired",
  "Corrected",
  "Requested",
];
const when = (ts: unknown): string => new Date(Number(ts) * 1000).toISOString();

/** Sentences for the protocol's custom errors. */
const SENTENCES: Record<string, (a: readonly unknown[]) => string> = {
  InsufficientBalance: (a) =>
    `Your escrow balance is ${opg(a[1] as bigint)} but this request needs ${opg(a[2] as bigint)}. Deposit more with \`verdict deposit <amount>\`.`,
  ERC20InsufficientBalance: (a) =>
    `Your OPG wallet balance is ${opg(a[1] as bigint)} but ${opg(a[2] as bigint)} is needed.`,
  ERC20InsufficientAllowance: (a) =>
    `The OPG allowance is ${opg(a[1] as bigint)} but ${opg(a[2] as bigint)} is needed.`,
  UnknownRequest: (a) => `Request ${String(a[0])} does not exist.`,
  WrongStatus: (a) =>
    `Request ${String(a[0])} is ${STATUS[Number(a[1])] ?? String(a[1])}, which does not allow this.`,
  FeeAboveMax: (a) => `The fee is ${opg(a[0] as bigint)} but your maximum fee is ${opg(a[1] as bigint)}.`,
  UnknownModel: (a) => `Model ${String(a[0])} is not registered.`,
  ModelInactive: (a) => `Model ${String(a[0])} is deactivated.`,
  ModelAlreadyRegistered: (a) => `Model ${String(a[0])} is already registered.`,
  NotModelOwner: (a) => `${String(a[1])} does not own model ${String(a[0])}.`,
  RoyaltyTooHigh: (a) => `A royalty of ${String(a[0])} bps is above the maximum of ${String(a[1])} bps.`,
  DisputeWindowOutOfBounds: (a) =>
    `A dispute window of ${String(a[0])} s is outside ${String(a[1])}..${String(a[2])} s.`,
  RedundancyOutOfBounds: (a) => `Redundancy ${String(a[0])} is above the maximum of ${String(a[1])}.`,
  NotEnoughOperators: (a) =>
    `The request needs ${String(a[0])} operators but only ${String(a[1])} are eligible.`,
  InputTooLarge: (a) =>
    `The input is ${String(a[0])} bytes; inline inputs are limited to ${String(a[1])} bytes.`,
  DeadlineOutOfBounds: (a) => `The deadline ${when(a[0])} must be between ${when(a[1])} and ${when(a[2])}.`,
  WindowOpen: (a) => `Request ${String(a[0])} is still in its dispute window until ${when(a[1])}.`,
  WindowClosed: (a) => `The dispute window of request ${String(a[0])} closed at ${when(a[1])}.`,
  AssignmentTooLate: (a) =>
    `Request ${String(a[0])} passed its deadline ${when(a[1])} before its operators were drawn; expire it for a full refund.`,
  RandomnessNotReady: (a) =>
    `The randomness of ticket ${String(a[0])} does not exist yet: the operators can be drawn from the next block.`,
  DeadlineNotPassed: (a) => `Request ${String(a[0])} cannot expire before its deadline ${when(a[1])}.`,
  AlreadyRegistered: (a) => `${String(a[0])} is already a registered operator.`,
  UnknownOperator: (a) => `${String(a[0])} is not a registered operator.`,
  CommissionTooHigh: (a) =>
    `A commission of ${String(a[0])} bps is above the maximum of ${String(a[1])} bps.`,
  SelfStakeTooLow: (a) =>
    `The self-stake would be ${opg(a[0] as bigint)}, below the minimum of ${opg(a[1] as bigint)}.`,
  SignerInUse: (a) => `Signer ${String(a[0])} is already used by an operator; pick a fresh key.`,
  OperatorNotActive: (a) => `Operator ${String(a[0])} is not active.`,
  OperatorJailed: (a) => `Operator ${String(a[0])} is jailed until ${when(a[1])}.`,
  ChangeNotReady: (a) => `The queued change takes effect at ${when(a[0])}.`,
  InsufficientShares: (a) => `You asked for ${String(a[0])} shares but hold ${String(a[1])}.`,
  UnknownWithdrawal: (a) => `Withdrawal ${String(a[0])} does not exist (or was already completed).`,
  WithdrawalNotReady: (a) => `Withdrawal ${String(a[0])} unlocks at ${when(a[1])}.`,
  StakeLockedByDispute: (a) =>
    `Operator ${String(a[0])} has ${String(a[1])} open dispute(s); its stake is locked.`,
  ExitNotReady: (a) => `Operator ${String(a[0])} can exit from ${when(a[1])}.`,
  ZeroAmount: () => `The amount must be more than zero.`,
  DisputeExists: (a) => `Request ${String(a[0])} is already disputed.`,
  WrongPhase: (a) => `Dispute ${String(a[0])} is in phase ${String(a[1])}, which does not allow this.`,
};

/** A sentence for a decoded contract error. */
export function describeContractError(desc: ErrorDescription): string {
  const f = SENTENCES[desc.name];
  if (f) return f(desc.args);
  return `The contract rejected the call: ${desc.name}(${desc.args.map((a: unknown) => String(a)).join(", ")}).`;
}

/** Maps any error to a CLI error with a sentence and an exit code. */
export function toCliError(err: unknown, extraAbis: readonly InterfaceAbi[] = []): CliError {
  if (err instanceof CliError) return err;
  const desc = decodeContractError(err, extraAbis);
  if (desc) return new CliError(`REVERT_${desc.name}`, describeContractError(desc), EXIT_USER);
  if (isVerdictError(err)) {
    const chain = ["WRONG_NETWORK", "TX_FAILED", "TIMEOUT"].includes(err.code);
    return new CliError(err.code, err.message, chain ? EXIT_CHAIN : EXIT_USER);
  }
  if (isError(err, "CALL_EXCEPTION")) {
    return new CliError("REVERT", `The transaction would revert: ${err.shortMessage}`, EXIT_USER);
  }
  if (isError(err, "INSUFFICIENT_FUNDS")) {
    return new CliError("NO_GAS_FUNDS", "The sending account has no ETH to pay for gas.", EXIT_USER);
  }
  if (isError(err, "NETWORK_ERROR") || isError(err, "TIMEOUT") || isError(err, "SERVER_ERROR")) {
    return new CliError("NETWORK", `Network error: ${err.shortMessage}`, EXIT_CHAIN);
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|fetch failed|socket hang up|ENOTFOUND/.test(msg))
    return new CliError("NETWORK", `Cannot reach the RPC endpoint: ${msg}`, EXIT_CHAIN);
  if (err instanceof VerdictError) return new CliError(err.code, err.message, EXIT_USER);
  return new CliError("CHAIN", msg, EXIT_CHAIN);
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
