/**
 * Relayer configuration: read from the environment (optionally merged over a `.env` file), validated by
 * hand into a typed, frozen object. Every problem is collected and reported at once (`ConfigError`).
 * Every key is documented in `relayer/env.example`.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { getAddress, isAddress } from "ethers";
import { readDeployment, type Deployment } from "../sdk/deployment.js";
import { isVerdictError } from "../sdk/errors.js";
import { ConfigError } from "./errors.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";

/** Where the signer key comes from. The secret fields are redacted by the logger (`config.signer`). */
export type SignerSource =
  { kind: "key"; key: string } | { kind: "keystore"; path: string; password: string };

export interface RelayerConfig {
  rpcUrl: string;
  chainId: bigint;
  coordinatorAddress: string;
  /** "" when not configured: read from the coordinator at start (relayer/setup.ts). */
  stakingAddress: string;
  /** "" when not configured: read from the coordinator at start (relayer/setup.ts). */
  registryAddress: string;
  /** The deployment file the addresses and start block came from, if any. */
  deploymentFile: string | undefined;
  /** Largest block range per eth_getLogs (halved automatically when the provider refuses it). */
  logRange: number;
  /** The operator's staking address (its signer must be a different key). */
  operatorAddress: string;
  signer: SignerSource;
  /** Blocks on top of a block before its events are acted on. */
  confirmations: number;
  pollIntervalMs: number;
  /**
   * First block to scan when the database has no cursor yet: VERDICT_START_BLOCK, else the deployment
   * file's startBlock, else undefined = the head minus the confirmation depth at the first start.
   */
  startBlock: number | undefined;
  dataDir: string;
  modelCacheDir: string;
  /** Largest model file the relayer downloads. */
  maxModelBytes: number;
  modelFetchTimeoutMs: number;
  /** Jobs in progress at once (input fetch, inference queue, signing), per inference worker. */
  concurrency: number;
  /** Inference worker threads (inferences run at once), each with its own onnxruntime sessions. */
  inferenceWorkers: number;
  /** Threads onnxruntime uses inside one inference (fixed, for reproducibility). */
  inferenceThreads: number;
  metricsHost: string;
  /** 0 disables the metrics/health server. */
  metricsPort: number;
  /** /healthz turns 503 once the last successful chain poll is older than this. */
  healthMaxStalenessMs: number;
  /** Share (0..1) of answered requests this relayer re-executes as a watchtower. */
  watchtowerShare: number;
  logLevel: LogLevel;
  /** Most answers per submitAnswers transaction. */
  maxBatch: number;
  /** Most answer transactions in flight at once. */
  maxInFlightTxs: number;
  /** An answer transaction not mined after this long is replaced with higher fees. */
  stuckTxMs: number;
  /** File disputes (with a bond paid by the signer key) for the watchtower's dispute candidates. */
  challenger: boolean;
  /** Most OPG (wei) the signer may have locked in open dispute bonds at once. */
  challengerBondBudget: bigint;
  /** Serve on dispute committees when drawn (commit, reveal, settle/escalate). */
  juror: boolean;
  /** Devnet only (chain 31337): probability 0..1 that an answer is deliberately perturbed (demos, tests). */
  devLie: number;
  /** How far a lie moves each 64-bit output element (default: max(1000, 10^scale) units). */
  devLieUnits: number | undefined;
  /** Directories whose files file:// input and model URIs may name (empty: file:// refused). */
  fetchFileDirs: string[];
  /** Let input/model URIs reach loopback, private and link-local addresses. */
  fetchAllowPrivate: boolean;
  /** Connect and total timeouts of one input fetch (ms). */
  fetchConnectTimeoutMs: number;
  fetchTimeoutMs: number;
  /** Largest input (inline or fetched) accepted, checked before decoding. */
  maxInputBytes: number;
  /** Per-inference deadline: a longer job is killed and answered "cannot serve". */
  inferenceTimeoutMs: number;
  /** Memory limit of each inference child process (MiB). */
  inferenceMemoryMb: number;
  /** Models kept loaded in the inference children at once (least recently used evicted). */
  maxLoadedModels: number;
  /** Bytes of verified models kept in the model cache directory (least recently used evicted). */
  modelCacheMaxBytes: number;
  /** Highest maxFeePerGas (wei) a stuck transaction is re-priced to. */
  maxFeePerGas: bigint;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Documentation of every key: name, whether required, default (as text), meaning. */
export const CONFIG_KEYS = [
  "VERDICT_RPC_URL",
  "VERDICT_CHAIN_ID",
  "VERDICT_DEPLOYMENT",
  "VERDICT_LOG_RANGE",
  "VERDICT_COORDINATOR_ADDRESS",
  "VERDICT_STAKING_ADDRESS",
  "VERDICT_REGISTRY_ADDRESS",
  "VERDICT_OPERATOR_ADDRESS",
  "VERDICT_SIGNER_KEY",
  "VERDICT_SIGNER_KEYSTORE",
  "VERDICT_SIGNER_KEYSTORE_PASSWORD",
  "VERDICT_SIGNER_KEYSTORE_PASSWORD_FILE",
  "VERDICT_CONFIRMATIONS",
  "VERDICT_POLL_INTERVAL_MS",
  "VERDICT_START_BLOCK",
  "VERDICT_DATA_DIR",
  "VERDICT_MODEL_CACHE_DIR",
  "VERDICT_MAX_MODEL_BYTES",
  "VERDICT_MODEL_FETCH_TIMEOUT_MS",
  "VERDICT_CONCURRENCY",
  "VERDICT_INFERENCE_WORKERS",
  "VERDICT_INFERENCE_THREADS",
  "VERDICT_METRICS_HOST",
  "VERDICT_METRICS_PORT",
  "VERDICT_HEALTH_MAX_STALENESS_MS",
  "VERDICT_WATCHTOWER_SHARE",
  "VERDICT_LOG_LEVEL",
  "VERDICT_MAX_BATCH",
  "VERDICT_MAX_INFLIGHT_TXS",
  "VERDICT_STUCK_TX_MS",
  "VERDICT_CHALLENGER",
  "VERDICT_CHALLENGER_BOND_BUDGET",
  "VERDICT_JUROR",
  "VERDICT_DEV_LIE",
  "VERDICT_DEV_LIE_UNITS",
  "VERDICT_FETCH_FILE_DIRS",
  "VERDICT_FETCH_ALLOW_PRIVATE",
  "VERDICT_FETCH_CONNECT_TIMEOUT_MS",
  "VERDICT_FETCH_TIMEOUT_MS",
  "VERDICT_MAX_INPUT_BYTES",
  "VERDICT_INFERENCE_TIMEOUT_MS",
  "VERDICT_INFERENCE_MEMORY_MB",
  "VERDICT_MAX_LOADED_MODELS",
  "VERDICT_MODEL_CACHE_MAX_BYTES",
  "VERDICT_MAX_FEE_GWEI",
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Reads a `.env` file and returns its entries overlaid by `env` (the process environment wins). */
export function mergeEnvFile(file: string, env: Env = process.env): Env {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([
      `env file ${file} is unreadable (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    ]);
  }
  return { ...parseDotenv(text), ...env };
}

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(key: ConfigKey): string | undefined {
    const v = this.env[key];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === "" ? undefined : t;
  }

  required(key: ConfigKey): string {
    const v = this.raw(key);
    if (v === undefined) this.problems.push(`${key} is required`);
    return v ?? "";
  }

  url(key: ConfigKey): string {
    const v = this.required(key);
    if (v === "") return v;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      this.problems.push(`${key} is not a URL`);
      return v;
    }
    if (u.protocol === "ws:" || u.protocol === "wss:") {
      this.problems.push(
        `${key}: ${u.protocol}// is not supported (the relayer polls over HTTP); use the provider's https:// endpoint`,
      );
    } else if (!["http:", "https:"].includes(u.protocol)) {
      this.problems.push(`${key} must be an http(s) URL, got ${u.protocol}`);
    }
    return v;
  }

  address(key: ConfigKey, fallback?: string): string {
    const v = this.raw(key) ?? fallback;
    if (v === undefined) return "";
    if (v === "") return v;
    if (!isAddress(v)) {
      this.problems.push(`${key} is not a valid address (bad format or checksum)`);
      return v;
    }
    const a = getAddress(v);
    if (a === "0x0000000000000000000000000000000000000000")
      this.problems.push(`${key} must not be the zero address`);
    return a;
  }

  int(key: ConfigKey, min: number, max: number, dflt: number): number;
  int(key: ConfigKey, min: number, max: number, dflt: undefined): number | undefined;
  int(key: ConfigKey, min: number, max: number, dflt: number | undefined): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) {
      this.problems.push(`${key} must be a non-negative integer, got "${v}"`);
      return dflt;
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${key} must be between ${min} and ${max}, got ${v}`);
      return dflt;
    }
    return n;
  }

  flag(key: ConfigKey, dflt: boolean): boolean {
    const v = this.raw(key)?.toLowerCase();
    if (v === undefined) return dflt;
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    this.problems.push(`${key} must be 0 or 1, got "${v}"`);
    return dflt;
  }

  /** A token amount in whole OPG with up to 18 decimals, returned in wei. */
  tokens(key: ConfigKey): bigint | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    const m = /^(\d{1,12})(?:\.(\d{1,18}))?$/.exec(v);
    if (m === null) {
      this.problems.push(`${key} must be an OPG amount like 5000 or 0.5, got "${v}"`);
      return undefined;
    }
    return BigInt(m[1] ?? "0") * 10n ** 18n + BigInt((m[2] ?? "").padEnd(18, "0"));
  }

  share(key: ConfigKey, dflt: number): number {
    const v = this.raw(key);
    if (v === undefined) return dflt;
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= 0 && n <= 1)) {
      this.problems.push(`${key} must be a number between 0 and 1, got "${v}"`);
      return dflt;
    }
    return n;
  }
}

const PRIVATE_KEY_RE = /^(0x)?[0-9a-fA-F]{64}$/;

/** The deployment file (npm run deploy), if one is named: it gives the chain id, the addresses and the start block. */
function deploymentOf(
  r: Reader,
  cwd: string,
): { deploymentFile: string | undefined; deployment?: Deployment } {
  const deploymentText = r.raw("VERDICT_DEPLOYMENT");
  const deploymentFile = deploymentText === undefined ? undefined : path.resolve(cwd, deploymentText);
  if (deploymentFile === undefined) return { deploymentFile };
  try {
    return { deploymentFile, deployment: readDeployment(deploymentFile) };
  } catch (e) {
    r.problems.push(`VERDICT_DEPLOYMENT: ${isVerdictError(e) ? e.message : String(e)}`);
    return { deploymentFile };
  }
}

/** The chain id: VERDICT_CHAIN_ID, else the deployment file's; both must agree when both are given. */
function chainIdOf(
  r: Reader,
  deploymentFile: string | undefined,
  deployment: Deployment | undefined,
): bigint {
  const chainIdText = r.raw("VERDICT_CHAIN_ID") ?? deployment?.chainId.toString();
  if (chainIdText === undefined) {
    if (deploymentFile === undefined) r.problems.push("VERDICT_CHAIN_ID is required");
    return 0n;
  }
  if (!(/^\d{1,78}$/.test(chainIdText) && BigInt(chainIdText) > 0n)) {
    r.problems.push(`VERDICT_CHAIN_ID must be a positive integer, got "${chainIdText}"`);
    return 0n;
  }
  const chainId = BigInt(chainIdText);
  if (deployment !== undefined && deployment.chainId !== chainId)
    r.problems.push(
      `VERDICT_CHAIN_ID is ${chainId} but VERDICT_DEPLOYMENT is on chain ${deployment.chainId}`,
    );
  return chainId;
}

/** Where the relayer reads the chain: the RPC, the deployment, the chain id and the addresses it acts on. */
function chainSection(r: Reader, cwd: string) {
  const rpcUrl = r.url("VERDICT_RPC_URL");
  const { deploymentFile, deployment } = deploymentOf(r, cwd);
  const chainId = chainIdOf(r, deploymentFile, deployment);
  const fromFile = deployment?.addresses;
  const coordinatorAddress = r.address("VERDICT_COORDINATOR_ADDRESS", fromFile?.coordinator);
  if (coordinatorAddress === "" && deploymentFile === undefined)
    r.problems.push("VERDICT_COORDINATOR_ADDRESS (or VERDICT_DEPLOYMENT) is required");
  if (fromFile !== undefined && coordinatorAddress !== "" && coordinatorAddress !== fromFile.coordinator)
    r.problems.push("VERDICT_COORDINATOR_ADDRESS differs from the coordinator of VERDICT_DEPLOYMENT");
  // Optional: the coordinator knows both; when given they must match it (checked at start).
  const stakingAddress = r.address("VERDICT_STAKING_ADDRESS", fromFile?.staking);
  const registryAddress = r.address("VERDICT_REGISTRY_ADDRESS", fromFile?.registry);
  const operatorAddress = r.address("VERDICT_OPERATOR_ADDRESS");
  if (operatorAddress === "" && r.raw("VERDICT_OPERATOR_ADDRESS") === undefined)
    r.problems.push("VERDICT_OPERATOR_ADDRESS is required");
  const logRange = r.int("VERDICT_LOG_RANGE", 1, 1_000_000, 2_000);
  return {
    rpcUrl,
    chainId,
    coordinatorAddress,
    stakingAddress,
    registryAddress,
    deploymentFile,
    logRange,
    operatorAddress,
    deploymentStartBlock: deployment?.startBlock,
  };
}

/** A keystore signer: the keystore file and its password (given inline or in a file, not both). */
function keystoreSigner(r: Reader, env: Env, cwd: string, keystore: string): SignerSource {
  const password = env["VERDICT_SIGNER_KEYSTORE_PASSWORD"]; // not trimmed: spaces may be part of it
  const passwordFile = r.raw("VERDICT_SIGNER_KEYSTORE_PASSWORD_FILE");
  let pw: string | undefined = password !== undefined && password !== "" ? password : undefined;
  if (pw !== undefined && passwordFile !== undefined) {
    r.problems.push(
      "set only one of VERDICT_SIGNER_KEYSTORE_PASSWORD and VERDICT_SIGNER_KEYSTORE_PASSWORD_FILE",
    );
  } else if (passwordFile !== undefined) {
    try {
      pw = readFileSync(path.resolve(cwd, passwordFile), "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      r.problems.push(
        `VERDICT_SIGNER_KEYSTORE_PASSWORD_FILE is unreadable (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  } else if (pw === undefined) {
    r.problems.push("VERDICT_SIGNER_KEYSTORE needs VERDICT_SIGNER_KEYSTORE_PASSWORD or _PASSWORD_FILE");
  }
  return { kind: "keystore", path: path.resolve(cwd, keystore), password: pw ?? "" };
}

/** The signer: exactly one of a raw key or a keystore (+ password or password file). */
function signerOf(r: Reader, env: Env, cwd: string): SignerSource {
  const key = r.raw("VERDICT_SIGNER_KEY");
  const keystore = r.raw("VERDICT_SIGNER_KEYSTORE");
  if (key !== undefined && keystore !== undefined) {
    r.problems.push("set only one of VERDICT_SIGNER_KEY and VERDICT_SIGNER_KEYSTORE");
  } else if (key !== undefined) {
    if (!PRIVATE_KEY_RE.test(key))
      r.problems.push("VERDICT_SIGNER_KEY must be 32 bytes of hex (64 hex digits)");
    return { kind: "key", key: key.startsWith("0x") ? key : `0x${key}` };
  } else if (keystore !== undefined) {
    return keystoreSigner(r, env, cwd, keystore);
  } else {
    r.problems.push("one of VERDICT_SIGNER_KEY or VERDICT_SIGNER_KEYSTORE is required");
  }
  return { kind: "key", key: "" };
}

/** How the relayer polls, stores, infers and reports its health. */
function nodeSection(r: Reader, cwd: string, deploymentStartBlock: number | undefined) {
  const confirmations = r.int("VERDICT_CONFIRMATIONS", 0, 1_000, 2);
  const pollIntervalMs = r.int("VERDICT_POLL_INTERVAL_MS", 100, 600_000, 2_000);
  const startBlock =
    r.int("VERDICT_START_BLOCK", 0, Number.MAX_SAFE_INTEGER, undefined) ?? deploymentStartBlock;
  const dataDir = path.resolve(cwd, r.raw("VERDICT_DATA_DIR") ?? ".verdict/relayer");
  const modelCacheDir = path.resolve(cwd, r.raw("VERDICT_MODEL_CACHE_DIR") ?? path.join(dataDir, "models"));
  return {
    confirmations,
    pollIntervalMs,
    startBlock,
    dataDir,
    modelCacheDir,
    maxModelBytes: r.int("VERDICT_MAX_MODEL_BYTES", 1, 2 ** 40, 512 * 1024 * 1024),
    modelFetchTimeoutMs: r.int("VERDICT_MODEL_FETCH_TIMEOUT_MS", 1_000, 3_600_000, 120_000),
    concurrency: r.int("VERDICT_CONCURRENCY", 1, 64, 1),
    inferenceWorkers: r.int("VERDICT_INFERENCE_WORKERS", 1, 64, Math.min(2, availableParallelism())),
    inferenceThreads: r.int("VERDICT_INFERENCE_THREADS", 1, 64, 1),
    metricsHost: r.raw("VERDICT_METRICS_HOST") ?? "127.0.0.1",
    metricsPort: r.int("VERDICT_METRICS_PORT", 0, 65_535, 9_464),
    healthMaxStalenessMs: r.int(
      "VERDICT_HEALTH_MAX_STALENESS_MS",
      1_000,
      86_400_000,
      Math.max(30_000, 5 * pollIntervalMs),
    ),
  };
}

/** The duties beyond answering: watchtower share, answer batching, challenger and juror. */
function dutiesSection(r: Reader) {
  const watchtowerShare = r.share("VERDICT_WATCHTOWER_SHARE", 0);
  const maxBatch = r.int("VERDICT_MAX_BATCH", 1, 500, 100);
  const maxInFlightTxs = r.int("VERDICT_MAX_INFLIGHT_TXS", 1, 64, 4);
  const stuckTxMs = r.int("VERDICT_STUCK_TX_MS", 1_000, 3_600_000, 60_000);
  const challenger = r.flag("VERDICT_CHALLENGER", false);
  const challengerBondBudget = r.tokens("VERDICT_CHALLENGER_BOND_BUDGET") ?? 0n;
  if (challenger && challengerBondBudget === 0n) {
    r.problems.push("VERDICT_CHALLENGER=1 needs VERDICT_CHALLENGER_BOND_BUDGET (OPG, > 0)");
  }
  if (challenger && watchtowerShare === 0) {
    r.problems.push(
      "VERDICT_CHALLENGER=1 needs VERDICT_WATCHTOWER_SHARE > 0 (the watchtower finds the lies)",
    );
  }
  const juror = r.flag("VERDICT_JUROR", true);
  return { watchtowerShare, maxBatch, maxInFlightTxs, stuckTxMs, challenger, challengerBondBudget, juror };
}

/** The devnet-only lie switch (demos, tests): refused on any chain but 31337. */
function devLieSection(r: Reader, chainId: bigint) {
  const devLie = r.share("VERDICT_DEV_LIE", 0);
  const devLieUnits = r.int("VERDICT_DEV_LIE_UNITS", 1, 1_000_000_000, undefined);
  if (devLie > 0 && chainId !== 31337n) {
    r.problems.push("VERDICT_DEV_LIE is a devnet-only demo switch: refused unless VERDICT_CHAIN_ID is 31337");
  }
  return { devLie, devLieUnits };
}

/**
 * What input and model fetches may reach. Devnet (31337) defaults let the local demo's file:// URIs and
 * 127.0.0.1 servers work; any other chain refuses file:// and private addresses unless the operator allows them.
 */
function fetchSection(r: Reader, env: Env, cwd: string, chainId: bigint) {
  const devnet = chainId === 31337n;
  const dirsText = env["VERDICT_FETCH_FILE_DIRS"];
  const fetchFileDirs = (dirsText ?? (devnet ? "/" : ""))
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "")
    .map((d) => path.resolve(cwd, d));
  return {
    fetchFileDirs,
    fetchAllowPrivate: r.flag("VERDICT_FETCH_ALLOW_PRIVATE", devnet),
    fetchConnectTimeoutMs: r.int("VERDICT_FETCH_CONNECT_TIMEOUT_MS", 100, 600_000, 5_000),
    fetchTimeoutMs: r.int("VERDICT_FETCH_TIMEOUT_MS", 100, 3_600_000, 30_000),
    maxInputBytes: r.int("VERDICT_MAX_INPUT_BYTES", 1_024, 2 ** 31, 8 * 1024 * 1024),
  };
}

/** The bounds on one inference, on the loaded and cached models, and on the fees of a re-priced transaction. */
function limitsSection(r: Reader) {
  return {
    inferenceTimeoutMs: r.int("VERDICT_INFERENCE_TIMEOUT_MS", 100, 3_600_000, 30_000),
    inferenceMemoryMb: r.int("VERDICT_INFERENCE_MEMORY_MB", 256, 1_048_576, 4_096),
    maxLoadedModels: r.int("VERDICT_MAX_LOADED_MODELS", 1, 1_000, 16),
    modelCacheMaxBytes: r.int("VERDICT_MODEL_CACHE_MAX_BYTES", 1, 2 ** 50, 8 * 1024 ** 3),
    maxFeePerGas: BigInt(r.int("VERDICT_MAX_FEE_GWEI", 1, 1_000_000_000, 500)) * 1_000_000_000n,
  };
}

function logLevelOf(r: Reader): LogLevel {
  const levelText = (r.raw("VERDICT_LOG_LEVEL") ?? "info").toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(levelText)) return levelText as LogLevel;
  r.problems.push(`VERDICT_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${levelText}"`);
  return "info";
}

/**
 * Validates `env` into a `RelayerConfig`. Paths are resolved against `cwd`. Throws `ConfigError` with
 * every problem found. Error texts name keys, never secret values.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Readonly<RelayerConfig> {
  const r = new Reader(env);
  const { deploymentStartBlock, ...chain } = chainSection(r, cwd);
  const signer = signerOf(r, env, cwd);
  const node = nodeSection(r, cwd, deploymentStartBlock);
  const duties = dutiesSection(r);
  const devLie = devLieSection(r, chain.chainId);
  const fetch = fetchSection(r, env, cwd, chain.chainId);
  const limits = limitsSection(r);
  const logLevel = logLevelOf(r);
  const { operatorAddress, coordinatorAddress, stakingAddress, registryAddress } = chain;
  if (
    operatorAddress !== "" &&
    [coordinatorAddress, stakingAddress, registryAddress].includes(operatorAddress)
  ) {
    r.problems.push("VERDICT_OPERATOR_ADDRESS must be the operator's account, not a contract address");
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  // Not frozen: pino's redaction censors fields in place (and throws on frozen objects), so a frozen
  // config could not be logged. The type is read-only instead.
  return { ...chain, signer, ...node, ...duties, ...devLie, ...fetch, ...limits, logLevel };
}

/** The configuration with its secrets removed, safe to log or print. */
export function describeConfig(cfg: Readonly<RelayerConfig>): Record<string, string | number | undefined> {
  return {
    rpcUrl: redactUrl(cfg.rpcUrl),
    chainId: cfg.chainId.toString(),
    coordinatorAddress: cfg.coordinatorAddress,
    stakingAddress: cfg.stakingAddress,
    registryAddress: cfg.registryAddress,
    deploymentFile: cfg.deploymentFile,
    logRange: cfg.logRange,
    operatorAddress: cfg.operatorAddress,
    signer: cfg.signer.kind === "key" ? "raw key (env)" : `keystore ${cfg.signer.path}`,
    confirmations: cfg.confirmations,
    pollIntervalMs: cfg.pollIntervalMs,
    startBlock: cfg.startBlock,
    dataDir: cfg.dataDir,
    modelCacheDir: cfg.modelCacheDir,
    maxModelBytes: cfg.maxModelBytes,
    modelFetchTimeoutMs: cfg.modelFetchTimeoutMs,
    concurrency: cfg.concurrency,
    inferenceWorkers: cfg.inferenceWorkers,
    inferenceThreads: cfg.inferenceThreads,
    metricsHost: cfg.metricsHost,
    metricsPort: cfg.metricsPort,
    healthMaxStalenessMs: cfg.healthMaxStalenessMs,
    watchtowerShare: cfg.watchtowerShare,
    logLevel: cfg.logLevel,
    maxBatch: cfg.maxBatch,
    maxInFlightTxs: cfg.maxInFlightTxs,
    stuckTxMs: cfg.stuckTxMs,
    challenger: cfg.challenger ? 1 : 0,
    challengerBondBudget: cfg.challengerBondBudget.toString(),
    juror: cfg.juror ? 1 : 0,
    devLie: cfg.devLie,
    fetchFileDirs: cfg.fetchFileDirs.join(","),
    fetchAllowPrivate: cfg.fetchAllowPrivate ? 1 : 0,
    fetchTimeoutMs: cfg.fetchTimeoutMs,
    maxInputBytes: cfg.maxInputBytes,
    inferenceTimeoutMs: cfg.inferenceTimeoutMs,
    inferenceMemoryMb: cfg.inferenceMemoryMb,
    maxLoadedModels: cfg.maxLoadedModels,
    modelCacheMaxBytes: cfg.modelCacheMaxBytes,
    maxFeePerGas: cfg.maxFeePerGas.toString(),
  };
}

/** RPC URLs often embed an API key in the path or query; keep only scheme, host and port. */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    const hidden = url.pathname !== "/" || url.search !== "" || url.username !== "";
    return `${url.protocol}//${url.host}${hidden ? "/…" : ""}`;
  } catch {
    return "[unparseable url]";
  }
}
