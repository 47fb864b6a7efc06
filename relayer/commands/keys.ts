/** `verdict-relayer keys new --out FILE`: creates a fresh signer key as an encrypted keystore. */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { Wallet } from "ethers";
import { KeyError } from "../errors.js";
import { encryptKeystore } from "../keys.js";
import { fail } from "./context.js";

function readPassword(file: string | undefined): string {
  const pw =
    file !== undefined
      ? readFileSync(file, "utf8").replace(/\r?\n$/, "")
      : process.env["VERDICT_SIGNER_KEYSTORE_PASSWORD"];
  if (pw === undefined || pw.length < 8) {
    throw new KeyError("KEYSTORE_BAD_PASSWORD", "a keystore password of at least 8 characters is required");
  }
  return pw;
}

export function register(program: Command): void {
  const keys = program.command("keys").description("signer key management");
  keys
    .command("new")
    .description(
      "create a new signer key as an encrypted JSON keystore (password from --password-file or env)",
    )
    .requiredOption("--out <file>", "keystore file to write (must not exist)")
    .option("--password-file <file>", "file holding the keystore password")
    .action(async (opts: { out: string; passwordFile?: string }) => {
      try {
        const password = readPassword(opts.passwordFile);
        const wallet = Wallet.createRandom();
        const json = await encryptKeystore(new Wallet(wallet.privateKey), password);
        writeFileSync(opts.out, json, { flag: "wx", mode: 0o600 });
        process.stdout.write(`${wallet.address}\n`);
      } catch (e) {
        fail(e);
      }
    });
}
