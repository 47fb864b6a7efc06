/**
 * A connection for one command: configuration, the chain id checked before anything is sent, the key
 * (cli/lib/keys.ts), the SDK client, and a few helpers every command uses. The SDK is imported here, lazily,
 * after the build check (cli/lib/build.ts), so loading the CLI needs no build.
 */
import {
  Contract,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type InterfaceAbi,
  JsonRpcProvider,
  Network,
  type Signer,
} from "ethers";
import type * as SdkModule from "../../sdk/client.js";
import type { VerdictClient } from "../../sdk/client.js";
import {
  CliError,
  EXIT_CHAIN,
  type Config,
  type GlobalFlags,
  type Io,
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
  requireSigner(): Signer;
  /** Sends one transaction with a spinner and waits for its receipt. */
  send(label: string, tx: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt>;
  /** The dispute contract (NOT_DEPLOYED when not configured or not built). */
  disputes(): Contract;
}

export const NO_KEY_MESSAGE =
  "This command sends a transaction: set VERDICT_PRIVATE_KEY, or pass --key, --keystore <file> or --signer-url <url>.";

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

/** Connects, checking the chain id before anything is sent; `write` loads (decrypts) the key. */
export async function openSession(flags: GlobalFlags, io: Io, write: boolean): Promise<Session> {
  const cfg = resolveConfig(flags, io);
  if (write && cfg.key.kind === "none") throw new CliError("NO_KEY", NO_KEY_MESSAGE);
  await ensureBuilt(io);
  const sdk = await import("../../sdk/client.js");
  const chainId = await rpcChainId(cfg.rpcUrl);
  if (cfg.chainId !== undefined && cfg.chainId !== chainId) {
    throw new CliError(
      "WRONG_NETWORK",
      `Wrong network: ${cfg.rpcUrl} is chain ${chainId} but the configuration expects chain ${cfg.chainId}. Nothing was sent.`,
      EXIT_CHAIN,
      { actual: chainId.toString(), expected: cfg.chainId.toString() },
    );
  }
  const provider = new JsonRpcProvider(cfg.rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    // No response cache: a nonce read right after a mined transaction must be fresh.
    cacheTimeout: -1,
    pollingInterval: Math.min(cfg.pollMs, 1000),
  });
  const signer = await loadSigner(cfg.key, provider, chainId, io, write);
  if ((await provider.getCode(cfg.coordinator)) === "0x") {
    throw new CliError(
      "NOT_DEPLOYED",
      `No coordinator contract at ${cfg.coordinator} on chain ${chainId}.`,
      EXIT_CHAIN,
    );
  }
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
  return {
    cfg,
    io,
    sdk,
    client,
    provider,
    signer,
    requireSigner,
    async account() {
      if (signer) return signer.getAddress();
      const address = keyAddress(cfg.key);
      if (!address)
        throw new CliError(
          "USAGE",
          "Pass an account, or configure a key (VERDICT_PRIVATE_KEY, --keystore, …).",
        );
      return address;
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
