/**
 * The key behind write commands: a raw private key, an encrypted JSON keystore (password from
 * VERDICT_KEYSTORE_PASSWORD or a terminal prompt), or an external JSON-RPC signer that holds the key itself
 * (a hardware-wallet bridge such as Frame, or a node with an unlocked account) reached with
 * `eth_sendTransaction`. Read-only commands never decrypt a keystore: its address is in the file.
 */
import { readFileSync } from "node:fs";
import {
  AbstractSigner,
  JsonRpcProvider,
  Network,
  type Provider,
  type Signer,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
  TypedDataEncoder,
  Wallet,
  getAddress,
  hexlify,
  isAddress,
  toUtf8Bytes,
} from "ethers";
import { CliError, EXIT_CHAIN, type Io, type KeySource, type PromptStream } from "../support.js";
import { sleep } from "../../sdk/retry.js";

/** Reads a password from a terminal without echoing it. */
export function promptPassword(io: Io, question: string): Promise<string> {
  const tty: PromptStream | undefined = io.stdin;
  if (!tty?.isTTY || !tty.setRawMode)
    throw new CliError(
      "NO_PASSWORD",
      "The keystore is encrypted: set VERDICT_KEYSTORE_PASSWORD (no terminal to prompt on).",
    );
  io.stderr.write(question);
  tty.setRawMode(true);
  tty.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (err?: CliError): void => {
      tty.removeListener("data", onData);
      tty.setRawMode?.(false);
      tty.pause();
      io.stderr.write("\n");
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new CliError("CANCELLED", "Cancelled."));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    tty.on("data", onData);
  });
}

function readKeystore(file: string): { json: string; address: string } {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch {
    throw new CliError("BAD_KEYSTORE", `Cannot read the keystore file ${file}.`);
  }
  let address: unknown;
  try {
    address = (JSON.parse(json) as { address?: unknown }).address;
  } catch {
    throw new CliError("BAD_KEYSTORE", `The keystore file ${file} is not JSON.`);
  }
  const hex = typeof address === "string" && !address.startsWith("0x") ? `0x${address}` : address;
  if (typeof hex !== "string" || !isAddress(hex))
    throw new CliError("BAD_KEYSTORE", `The keystore file ${file} holds no account address.`);
  return { json, address: getAddress(hex) };
}

/** The account a key source signs for, without decrypting or contacting anything; undefined for none. */
export function keyAddress(key: KeySource): string | undefined {
  switch (key.kind) {
    case "private-key":
      return walletOf(key.privateKey).address;
    case "keystore":
      return readKeystore(key.file).address;
    case "signer-url":
      return key.from === undefined ? undefined : checkedAddress(key.from);
    default:
      return undefined;
  }
}

function checkedAddress(v: string): string {
  if (!isAddress(v)) throw new CliError("CONFIG", `--from ${v} is not an address`);
  return getAddress(v);
}

function walletOf(privateKey: string): Wallet {
  try {
    return new Wallet(privateKey.startsWith("0x") ? privateKey : `0x${privateKey}`);
  } catch {
    throw new CliError("BAD_KEY", "VERDICT_PRIVATE_KEY is not a valid private key.");
  }
}

/**
 * A Signer for `key` connected to `provider`. `decrypt` false leaves a keystore locked (read-only use):
 * undefined is returned then.
 */
export async function loadSigner(
  key: KeySource,
  provider: Provider,
  chainId: bigint,
  io: Io,
  decrypt: boolean,
): Promise<Signer | undefined> {
  switch (key.kind) {
    case "none":
      return undefined;
    case "private-key":
      return walletOf(key.privateKey).connect(provider);
    case "keystore": {
      if (!decrypt) return undefined;
      const { json } = readKeystore(key.file);
      const password = key.password ?? (await promptPassword(io, `password of ${key.file}: `));
      try {
        return (await Wallet.fromEncryptedJson(json, password)).connect(provider);
      } catch {
        throw new CliError("BAD_PASSWORD", `Cannot decrypt ${key.file}: wrong password or a damaged file.`);
      }
    }
    case "signer-url":
      return RemoteSigner.open(key.url, key.from, provider, chainId);
  }
}

/**
 * A signer whose key lives behind a JSON-RPC endpoint: transactions are filled in from the reading
 * provider (nonce, gas, fees, chain id), sent with `eth_sendTransaction` to the endpoint (which signs and
 * broadcasts), and then followed on the reading provider. Typed data goes to `eth_signTypedData_v4`,
 * messages to `personal_sign`.
 */
export class RemoteSigner extends AbstractSigner {
  constructor(
    readonly address: string,
    readonly remote: JsonRpcProvider,
    provider: Provider | null,
  ) {
    super(provider);
  }

  /** Connects to `url`, checks it serves chain `chainId`, and picks `from` (default: its first account). */
  static async open(
    url: string,
    from: string | undefined,
    provider: Provider,
    chainId: bigint,
  ): Promise<RemoteSigner> {
    const remote = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1 });
    let remoteChain: bigint;
    let accounts: string[];
    try {
      remoteChain = BigInt((await remote.send("eth_chainId", [])) as string);
      accounts = ((await remote.send("eth_accounts", [])) as string[]).map((a) => getAddress(a));
    } catch (err) {
      remote.destroy();
      throw new CliError(
        "NETWORK",
        `Cannot reach the external signer at ${url}: ${err instanceof Error ? err.message : String(err)}`,
        EXIT_CHAIN,
      );
    }
    if (remoteChain !== chainId) {
      remote.destroy();
      throw new CliError(
        "WRONG_NETWORK",
        `The external signer at ${url} is on chain ${remoteChain}, the RPC on chain ${chainId}. Nothing was sent.`,
        EXIT_CHAIN,
      );
    }
    const address = from === undefined ? accounts[0] : checkedAddress(from);
    if (address === undefined || !accounts.includes(address)) {
      remote.destroy();
      throw new CliError(
        "NO_KEY",
        `The external signer at ${url} holds no key for ${address ?? "any account"} (it offers ${accounts.join(", ") || "none"}).`,
      );
    }
    return new RemoteSigner(address, remote, provider);
  }

  override async getAddress(): Promise<string> {
    return this.address;
  }

  override connect(provider: Provider | null): RemoteSigner {
    return new RemoteSigner(this.address, this.remote, provider);
  }

  override async signTransaction(tx: TransactionRequest): Promise<string> {
    const populated = await this.populateTransaction(tx);
    const rpcTx = this.remote.getRpcTransaction(populated);
    return (await this.remote.send("eth_signTransaction", [{ ...rpcTx, from: this.address }])) as string;
  }

  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const provider = this.provider;
    if (!provider) throw new CliError("CONFIG", "The external signer has no provider to read from.");
    const populated = await this.populateTransaction(tx);
    const rpcTx = this.remote.getRpcTransaction(populated);
    const hash = (await this.remote.send("eth_sendTransaction", [
      { ...rpcTx, from: this.address },
    ])) as string;
    for (let i = 0; i < 600; i++) {
      const sent = await provider.getTransaction(hash);
      if (sent) return sent;
      await sleep(100);
    }
    throw new CliError("TX_FAILED", `The external signer sent ${hash} but the RPC never saw it.`, EXIT_CHAIN);
  }

  override async signMessage(message: string | Uint8Array): Promise<string> {
    const bytes = typeof message === "string" ? toUtf8Bytes(message) : message;
    return (await this.remote.send("personal_sign", [hexlify(bytes), this.address])) as string;
  }

  override async signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    const payload = TypedDataEncoder.getPayload(domain, types, value);
    return (await this.remote.send("eth_signTypedData_v4", [
      this.address,
      JSON.stringify(payload),
    ])) as string;
  }
}
