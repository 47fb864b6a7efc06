/**
 * A connection for one command: configuration, the chain id checked before anything is sent, the key
 * (cli/lib/keys.ts), the SDK client, and a few helpers every command uses. The SDK is imported here, lazily,
 * after the build check (cli/lib/build.ts), so loading the CLI needs no build.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import {
  Contract,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type JsonRpcProvider,
  type Signer,
} from "ethers";
import { readDeployment, resolveDeployment, type Deployment } from "../../sdk/deployment.js";
import { isVerdictError } from "../../sdk/errors.js";
import { rpcChainId as sdkChainId, rpcProvider } from "../../sdk/rpc.js";
import type * as SdkModule from "../../sdk/client.js";
import type { VerdictClient } from "../../sdk/client.js";
import {
  CliError,
  EXIT_CHAIN,
  EXIT_USER,
  type Config,
  type ConfigInput,
  type GlobalFlags,
  type Io,
  parseAddress,
  REPO_ROOT,
  resolveConfig,
  withSpinner,
} from "../support.js";
import { disputesAbi } from "./abis.js";
import { ensureBuilt } from "./build.js";
import { keyAddress, loadSigner } from "./keys.js";

export type Sdk = typeof SdkModule;

export interface Session {
  cfg: Config;
  io: Io;
  sdk: Sdk;
  client: VerdictClient;
  provider: JsonRpcProvider;
  signer: Signer | undefined;
  /** The key's account (without decrypting a keystore); USAGE error when there is no key. */
  account(): Promise<string>;
  /** The address given on the command line (checked, named `label` in errors), else the key's account. */
  accountOr(given: string | undefined, label: string): Promise<string>;
  requireSigner(): Signer;
  /** Sends one transaction with a spinner and waits for its receipt. */
  send(label: string, tx: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt>;
  /** The dispute contract (NOT_DEPLOYED when not configured or not built). */
  disputes(): Contract;
}

export const NO_KEY_MESSAGE =
  "This command sends a transaction: set VERDICT_PRIVATE_KEY, or pass --key, --keystore <file> or --signer-url <url>.";

async function rpcChainId(url: string): Promise<bigint> {
  try {
    return await sdkChainId(url);
  } catch (err) {
    const code = isVerdictError(err) ? err.code : "";
    if (code === "RPC_URL_UNSUPPORTED" || code === "RPC_URL_INVALID")
      throw new CliError(code, `${(err as Error).message} (${url})`, EXIT_USER);
    const why = (err instanceof Error ? err.message : String(err)).replace(
      /^cannot reach the RPC endpoint \S+: /,
      "",
    );
    throw new CliError("NETWORK", `Cannot reach the RPC endpoint ${url}: ${why}`, EXIT_CHAIN);
  }
}

const NO_COORDINATOR =
  "the coordinator address is not set: pass --coordinator or --deployment <file>, or set VERDICT_COORDINATOR_ADDRESS or VERDICT_DEPLOYMENT";

/** Where a deployments/<chainId>.json may be found when nothing names the contracts. */
function deploymentDirs(io: Io): string[] {
  return [io.cwd, REPO_ROOT].map((d) => path.join(d, "deployments"));
}

/** The deployment file: --deployment / VERDICT_DEPLOYMENT, else deployments/<chainId>.json when present. */
function deploymentOf(input: ConfigInput, io: Io, chainId: bigint): Deployment | undefined {
  let file = input.deployment;
  if (file === undefined && input.coordinator === undefined) {
    file = deploymentDirs(io)
      .map((d) => path.join(d, `${chainId}.json`))
      .find((f) => existsSync(f));
  }
  if (file === undefined) return undefined;
  const d = readDeployment(file);
  if (d.chainId !== chainId)
    throw new CliError(
      "WRONG_NETWORK",
      `Wrong network: the deployment file ${file} is for chain ${d.chainId} but the RPC serves chain ${chainId}. Nothing was sent.`,
      EXIT_CHAIN,
      { actual: chainId.toString(), expected: d.chainId.toString() },
    );
  return d;
}

/**
 * Every address, read from the coordinator (given, or from the deployment) and checked on chain: a setup
 * mistake is a typed error (NO_CODE, WRONG_CONTRACT, CONTRACT_MISMATCH) before anything is sent.
 */
async function resolveAddresses(
  input: ConfigInput,
  io: Io,
  provider: JsonRpcProvider,
  chainId: bigint,
): Promise<Config> {
  const d = deploymentOf(input, io, chainId);
  const coordinator = input.coordinator ?? d?.addresses.coordinator;
  if (coordinator === undefined)
    throw new CliError("CONFIG", `${NO_COORDINATOR} (no deployments/${chainId}.json found)`);
  const expected = {
    ...((input.staking ?? d?.addresses.staking) ? { staking: input.staking ?? d?.addresses.staking } : {}),
    ...((input.registry ?? d?.addresses.registry)
      ? { registry: input.registry ?? d?.addresses.registry }
      : {}),
    ...((input.disputes ?? d?.addresses.disputes)
      ? { disputes: input.disputes ?? d?.addresses.disputes }
      : {}),
  };
  let found;
  try {
    found = await resolveDeployment(provider, coordinator, expected);
  } catch (err) {
    if (!isVerdictError(err)) throw err;
    throw new CliError(err.code, err.message, EXIT_CHAIN, err.details);
  }
  return {
    ...input,
    coordinator: found.coordinator,
    staking: found.staking,
    registry: found.registry,
    disputes: found.disputes,
    fromBlock: input.fromBlock ?? d?.startBlock ?? 0,
    deployment: input.deployment,
  };
}

/** Connects, checking the chain id before anything is sent; `write` loads (decrypts) the key. */
export async function openSession(flags: GlobalFlags, io: Io, write: boolean): Promise<Session> {
  const input = resolveConfig(flags, io);
  if (write && input.key.kind === "none") throw new CliError("NO_KEY", NO_KEY_MESSAGE);
  // Nothing names the contracts and no deployment file could: a configuration error before any RPC call.
  if (
    input.coordinator === undefined &&
    input.deployment === undefined &&
    !deploymentDirs(io).some((d) => existsSync(d))
  )
    throw new CliError("CONFIG", NO_COORDINATOR);
  await ensureBuilt(io);
  const sdk = await import("../../sdk/client.js");
  const chainId = await rpcChainId(input.rpcUrl);
  if (input.chainId !== undefined && input.chainId !== chainId) {
    throw new CliError(
      "WRONG_NETWORK",
      `Wrong network: ${input.rpcUrl} is chain ${chainId} but the configuration expects chain ${input.chainId}. Nothing was sent.`,
      EXIT_CHAIN,
      { actual: chainId.toString(), expected: input.chainId.toString() },
    );
  }
  // sdk/rpc.ts: no response cache (a nonce read right after a mined transaction must be fresh), rate limits
  // retried after their Retry-After, eth_getLogs in bounded ranges.
  const provider = rpcProvider(input.rpcUrl, chainId, {
    pollingIntervalMs: Math.min(input.pollMs, 1000),
    logs: { maxRange: input.logRange },
  });
  const cfg = await resolveAddresses(input, io, provider, chainId);
  const signer = await loadSigner(cfg.key, provider, chainId, io, write);
  const abi = disputesAbi();
  const client = new sdk.VerdictClient({
    runner: signer ?? provider,
    addresses: {
      coordinator: cfg.coordinator,
      staking: cfg.staking,
      registry: cfg.registry,
      ...(cfg.disputes && abi ? { disputes: { address: cfg.disputes, abi } } : {}),
    },
    fromBlock: cfg.fromBlock,
  });
  return sessionOf(cfg, io, sdk, client, provider, signer, abi);
}

function sessionOf(
  cfg: Config,
  io: Io,
  sdk: Sdk,
  client: VerdictClient,
  provider: JsonRpcProvider,
  signer: Signer | undefined,
  abi: InterfaceAbi | undefined,
): Session {
  const requireSigner = (): Signer => {
    if (!signer) throw new CliError("NO_KEY", NO_KEY_MESSAGE);
    return signer;
  };
  const account = async (): Promise<string> => {
    if (signer) return signer.getAddress();
    const address = keyAddress(cfg.key);
    if (!address)
      throw new CliError(
        "USAGE",
        "Pass an account, or configure a key (VERDICT_PRIVATE_KEY, --keystore, …).",
      );
    return address;
  };
  return {
    cfg,
    io,
    sdk,
    client,
    provider,
    signer,
    requireSigner,
    account,
    async accountOr(given, label) {
      return given ? parseAddress(given, label) : account();
    },
    async send(label, tx) {
      return withSpinner(io, label, async () => {
        const receipt = await (await tx()).wait();
        if (!receipt) throw new CliError("TX_FAILED", "The transaction was dropped.", EXIT_CHAIN);
        return receipt;
      });
    },
    disputes() {
      if (!cfg.disputes)
        throw new CliError(
          "NOT_DEPLOYED",
          "No dispute contract configured: set VERDICT_DISPUTES_ADDRESS or pass --disputes.",
        );
      if (!abi)
        throw new CliError(
          "NOT_DEPLOYED",
          "The dispute contract is not built in this checkout (artifacts/contracts/disputes).",
        );
      return new Contract(cfg.disputes, abi, signer ?? provider);
    },
  };
}
