/**
 * Explorer configuration, from the environment like the relayer's (docs/explorer.md lists every key):
 * the RPC URL, then the contracts from a deployment file (deployments/<chainId>.json, written by
 * `npm run deploy`) or from VERDICT_COORDINATOR_ADDRESS (the other contracts are read from the coordinator).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Contract, JsonRpcProvider, Network, getAddress, isAddress } from "ethers";
import { ExplorerError } from "./errors.js";
import { coordinatorInterface, disputesInterface, fn } from "./abis.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface ExplorerAddresses {
  coordinator: string;
  staking: string;
  registry: string;
  disputes?: string;
  refereeCourt?: string;
  timelock?: string;
  token?: string;
}

export interface ExplorerConfig {
  rpcUrl: string;
  chainId: bigint;
  addresses: ExplorerAddresses;
  /** First block indexed (the deployment's start block). */
  startBlock: number;
  dbFile: string;
  host: string;
  /** 0: any free port. */
  port: number;
  confirmations: number;
  /** Largest block range per eth_getLogs. */
  maxRange: number;
  pollMs: number;
  /** Deepest reorg handled (block hashes kept this far back). */
  reorgDepth: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, key: string, fallback: number, min = 0): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new ExplorerError("CONFIG", `${key} must be an integer >= ${min}`);
  return n;
}

function address(raw: unknown, what: string): string {
  if (typeof raw !== "string" || !isAddress(raw))
    throw new ExplorerError("CONFIG", `${what} is not an address`);
  return getAddress(raw);
}

/** Connects to the RPC, checks the chain and resolves the contracts. */
export async function loadConfig(
  env: Env = process.env,
): Promise<{ config: ExplorerConfig; provider: JsonRpcProvider }> {
  const rpcUrl = env.VERDICT_RPC_URL ?? "http://127.0.0.1:8545";
  const chainId = await rpcChainId(rpcUrl);
  if (env.VERDICT_CHAIN_ID && BigInt(env.VERDICT_CHAIN_ID) !== chainId)
    throw new ExplorerError(
      "WRONG_CHAIN",
      `${rpcUrl} is chain ${chainId}, VERDICT_CHAIN_ID says ${env.VERDICT_CHAIN_ID}`,
    );
  const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
    batchMaxCount: 20,
  });

  let addresses: ExplorerAddresses;
  let startBlock = int(env, "VERDICT_START_BLOCK", 0);
  const coordinatorEnv = env.VERDICT_COORDINATOR_ADDRESS;
  if (coordinatorEnv) {
    addresses = await addressesFromCoordinator(provider, chainId, coordinatorEnv);
  } else {
    const deployment = addressesFromDeployment(env, chainId);
    addresses = deployment.addresses;
    if (env.VERDICT_START_BLOCK === undefined || env.VERDICT_START_BLOCK === "")
      startBlock = deployment.startBlock ?? 0;
  }
  const config: ExplorerConfig = {
    rpcUrl,
    chainId,
    addresses,
    startBlock,
    dbFile:
      env.VERDICT_EXPLORER_DB ??
      path.join(env.VERDICT_DATA_DIR ?? path.join(REPO_ROOT, ".verdict-explorer"), `explorer-${chainId}.db`),
    host: env.VERDICT_EXPLORER_HOST ?? "127.0.0.1",
    port: int(env, "VERDICT_EXPLORER_PORT", 8600),
    confirmations: int(env, "VERDICT_CONFIRMATIONS", chainId === 31337n ? 0 : 6),
    maxRange: int(env, "VERDICT_LOG_MAX_RANGE", 2_000, 1),
    pollMs: int(env, "VERDICT_POLL_INTERVAL_MS", 2_000, 50),
    reorgDepth: int(env, "VERDICT_REORG_DEPTH", 128, 1),
  };
  return { config, provider };
}

/** The chain id the RPC endpoint answers (one plain eth_chainId, 10 s at most). */
async function rpcChainId(rpcUrl: string): Promise<bigint> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { result?: unknown };
    if (typeof body.result !== "string") throw new Error("no eth_chainId result");
    return BigInt(body.result);
  } catch (err) {
    throw new ExplorerError("RPC", `Cannot reach the RPC endpoint ${rpcUrl}`, 502, err);
  }
}

/** The contracts, read from the coordinator at VERDICT_COORDINATOR_ADDRESS (and its dispute hook). */
async function addressesFromCoordinator(
  provider: JsonRpcProvider,
  chainId: bigint,
  coordinatorEnv: string,
): Promise<ExplorerAddresses> {
  const coordinator = address(coordinatorEnv, "VERDICT_COORDINATOR_ADDRESS");
  if ((await provider.getCode(coordinator)) === "0x")
    throw new ExplorerError("CONFIG", `no contract at ${coordinator} on chain ${chainId}`);
  const c = new Contract(coordinator, coordinatorInterface, provider);
  const [staking, registry, hook] = (await Promise.all([
    fn(c, "staking"),
    fn(c, "registry"),
    fn(c, "disputeHook"),
  ])) as string[];
  const addresses: ExplorerAddresses = {
    coordinator,
    staking: getAddress(staking!),
    registry: getAddress(registry!),
  };
  if (hook && BigInt(hook) !== 0n) {
    addresses.disputes = getAddress(hook);
    const d = new Contract(hook, disputesInterface, provider);
    const [court, owner] = (await Promise.all([fn(d, "court"), fn(d, "owner")])) as string[];
    addresses.refereeCourt = getAddress(court!);
    addresses.timelock = getAddress(owner!);
  }
  return addresses;
}

/** The contracts and start block of the deployment file (VERDICT_DEPLOYMENT or deployments/<chainId>.json). */
function addressesFromDeployment(
  env: Env,
  chainId: bigint,
): { addresses: ExplorerAddresses; startBlock: number | undefined } {
  const file = env.VERDICT_DEPLOYMENT ?? path.join(REPO_ROOT, "deployments", `${chainId}.json`);
  if (!existsSync(file))
    throw new ExplorerError(
      "CONFIG",
      `No deployment file ${file}: run \`npm run deploy\`, set VERDICT_DEPLOYMENT or VERDICT_COORDINATOR_ADDRESS`,
    );
  const record = JSON.parse(readFileSync(file, "utf8")) as {
    chainId?: number;
    startBlock?: number;
    addresses?: Record<string, string>;
  };
  if (record.chainId !== undefined && BigInt(record.chainId) !== chainId)
    throw new ExplorerError(
      "WRONG_CHAIN",
      `${file} is for chain ${record.chainId}, the RPC is chain ${chainId}`,
    );
  const a = record.addresses ?? {};
  const addresses: ExplorerAddresses = {
    coordinator: address(a.coordinator, "deployment coordinator"),
    staking: address(a.staking, "deployment staking"),
    registry: address(a.registry, "deployment registry"),
  };
  for (const k of ["disputes", "refereeCourt", "timelock", "token"] as const)
    if (a[k]) addresses[k] = address(a[k], `deployment ${k}`);
  return { addresses, startBlock: record.startBlock };
}
