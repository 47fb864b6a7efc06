/**
 * The relayer's signer key: from the environment or an ethers/geth encrypted JSON keystore. The key is
 * never logged: it is registered with the logger's `SecretSet` as soon as it is known, and no error
 * raised here carries it. The signer must differ from the operator's staking account.
 */
import { readFile } from "node:fs/promises";
import { Wallet, encryptKeystoreJson, getAddress } from "ethers";
import type { SignerSource } from "./config.js";
import { KeyError } from "./errors.js";
import type { SecretSet } from "./log.js";

export interface LoadSignerOptions {
  /** The operator's staking address: the signer must not be this account. */
  operatorAddress: string;
  /** Secrets registry shared with the logger; the key (and keystore password) are added to it. */
  secrets?: SecretSet;
}

const PRIVATE_KEY_RE = /^0x[0-9a-fA-F]{64}$/;

/** Loads the signer described by `source` and checks it is not the operator's own key. */
export async function loadSigner(source: SignerSource, options: LoadSignerOptions): Promise<Wallet> {
  let wallet: Wallet;
  if (source.kind === "key") {
    const key = source.key.startsWith("0x") ? source.key : `0x${source.key}`;
    options.secrets?.add(key);
    if (!PRIVATE_KEY_RE.test(key))
      throw new KeyError("SIGNER_KEY_INVALID", "signer key must be 32 bytes of hex");
    try {
      wallet = new Wallet(key);
    } catch {
      // e.g. zero or >= the curve order; the library's message may echo the key, so it is dropped
      throw new KeyError("SIGNER_KEY_INVALID", "signer key is not a valid secp256k1 private key");
    }
  } else {
    if (source.password.length >= 8) options.secrets?.add(source.password);
    let json: string;
    try {
      json = await readFile(source.path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw new KeyError("KEYSTORE_UNREADABLE", `keystore ${source.path} is unreadable (${code})`);
    }
    try {
      JSON.parse(json);
    } catch {
      throw new KeyError("KEYSTORE_UNREADABLE", `keystore ${source.path} is not JSON`);
    }
    try {
      const w = await Wallet.fromEncryptedJson(json, source.password);
      wallet = new Wallet(w.privateKey);
    } catch (e) {
      const msg = e instanceof Error ? e.message : "";
      if (/password/i.test(msg)) {
        throw new KeyError("KEYSTORE_BAD_PASSWORD", `keystore ${source.path}: wrong password`);
      }
      throw new KeyError(
        "KEYSTORE_UNREADABLE",
        `keystore ${source.path} is not a valid encrypted JSON wallet`,
      );
    }
  }
  options.secrets?.add(wallet.privateKey);
  if (wallet.address === getAddress(options.operatorAddress)) {
    throw new KeyError(
      "SIGNER_IS_OPERATOR",
      `signer ${wallet.address} is the operator's staking account; use a separate signer key`,
    );
  }
  return wallet;
}

/**
 * Encrypts `wallet` into a keystore JSON (scrypt). `scryptN` defaults to ethers' 2^17; tests pass a
 * small value to stay fast.
 */
export async function encryptKeystore(wallet: Wallet, password: string, scryptN?: number): Promise<string> {
  if (scryptN === undefined) return wallet.encrypt(password);
  return encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
    scrypt: { N: scryptN },
  });
}
