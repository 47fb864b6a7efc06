/**
 * `verdict-relayer` commands (run through relayer/main.ts):
 *   check                      validate the configuration, load the signer, open the database, then contact
 *                              the RPC and check chain, contracts, operator, signer and gas (relayer/setup.ts)
 *   keys new --out FILE        create a fresh signer key as an encrypted keystore
 *   models fetch HASH URI...   fetch, verify and cache a model
 *   models run ...             run a cached/fetched model on a VTN1 input file (smoke test)
 *   run                        start the relayer (the default command)
 * Configuration: the environment over a .env file: --env-file FILE, else VERDICT_ENV_FILE, else ./.env when
 * it exists.
 * Every failure exits non-zero with its error code on stderr; secrets are never printed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { Wallet } from "ethers";
import { VerdictError } from "../sdk/errors.js";
import { describeConfig, loadConfig, mergeEnvFile, type Env } from "./config.js";
import { InvalidInputError, KeyError } from "./errors.js";
import { InferenceRunner } from "./inference/runner.js";
import { parseSchema } from "./inference/schema.js";
import { encryptKeystore, loadSigner } from "./keys.js";
import { createLogger, SecretSet } from "./log.js";
import { ModelStore } from "./models/cache.js";
import { startRelayer } from "./service.js";
import { makeProvider, startChainRelayer, type ChainRelayer } from "./chain/index.js";
import { checkSetup } from "./setup.js";
import { RelayerDb } from "./db/jobs.js";
import path from "node:path";

/** The environment over the .env file: `--env-file`, else VERDICT_ENV_FILE, else ./.env if present. */
export function env(envFile: string | undefined, base: Env = process.env, cwd: string = process.cwd()): Env {
  const named = envFile ?? base["VERDICT_ENV_FILE"];
  if (named !== undefined && named.trim() !== "") return mergeEnvFile(path.resolve(cwd, named), base);
  const dflt = path.join(cwd, ".env");
  return existsSync(dflt) ? mergeEnvFile(dflt, base) : base;
}

function fail(e: unknown): never {
  if (e instanceof VerdictError) {
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  process.exit(1);
}

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

export function buildCli(): Command {
  const program = new Command("verdict-relayer")
    .description("Verdict operator relayer")
    .option(
      "--env-file <file>",
      "read configuration from this .env file (the environment wins); default VERDICT_ENV_FILE, else ./.env",
    );

  program
    .command("check")
    .description(
      "validate configuration, signer and database, contact the RPC and check chain, contracts, operator registration, signer and gas; then exit",
    )
    .action(async () => {
      try {
        const cfg = loadConfig(env(program.opts<{ envFile?: string }>().envFile));
        const signer = await loadSigner(cfg.signer, {
          operatorAddress: cfg.operatorAddress,
          secrets: new SecretSet(),
        });
        const db = RelayerDb.open(path.join(cfg.dataDir, "relayer.db"));
        const jobs = db.countByState();
        db.close();
        const provider = makeProvider(cfg.rpcUrl, cfg.chainId, cfg.logRange);
        let setup;
        try {
          setup = await checkSetup({ provider, config: cfg, signerAddress: signer.address });
        } finally {
          provider.destroy();
        }
        process.stdout.write(
          JSON.stringify(
            {
              ok: true,
              config: describeConfig(cfg),
              signer: signer.address,
              jobs,
              chain: {
                chainId: setup.chainId.toString(),
                head: setup.head,
                startBlock: setup.startBlock,
                addresses: setup.addresses,
                signerBalanceWei: setup.balance.toString(),
                answerCostWei: setup.answerCost.toString(),
              },
            },
            null,
            2,
          ) + "\n",
        );
      } catch (e) {
        fail(e);
      }
    });

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

  const models = program.command("models").description("model cache");
  models
    .command("fetch")
    .description("fetch a model, verify its sha256 and cache it")
    .argument("<hash>", "sha256 of the ONNX file (the registered model hash)")
    .argument("<uris...>", "file://, http(s):// or a path, tried in order")
    .action(async (hash: string, uris: string[]) => {
      try {
        const cfg = loadConfig(env(program.opts<{ envFile?: string }>().envFile));
        const store = new ModelStore({
          cacheDir: cfg.modelCacheDir,
          maxBytes: cfg.maxModelBytes,
          fetchTimeoutMs: cfg.modelFetchTimeoutMs,
        });
        process.stdout.write(`${await store.ensure(hash, uris)}\n`);
      } catch (e) {
        fail(e);
      }
    });
  models
    .command("run")
    .description(
      "run a model on a VTN1 input file as the relayer would; prints the output hash or the verdict",
    )
    .requiredOption("--hash <hash>", "model sha256")
    .requiredOption("--schema <file>", "the model's I/O schema (JSON)")
    .requiredOption("--output-scale <digits>", "fixed64 scale of float outputs", (v) => Number(v))
    .requiredOption("--input <file>", "VTN1 input bytes")
    .option("--uri <uri...>", "where to fetch the model when it is not cached", [])
    .option("--out <file>", "write the VTN1 output bytes here")
    .option(
      "--cache-dir <dir>",
      "model cache (default: from the configuration, else .verdict/relayer/models)",
    )
    .action(
      async (opts: {
        hash: string;
        schema: string;
        outputScale: number;
        input: string;
        uri: string[];
        out?: string;
        cacheDir?: string;
      }) => {
        try {
          const cacheDir = opts.cacheDir ?? path.resolve(".verdict/relayer/models");
          const runner = new InferenceRunner({
            models: new ModelStore({ cacheDir }),
            logger: createLogger({ level: "warn" }),
          });
          try {
            const res = await runner.run(
              {
                modelHash: opts.hash,
                uris: opts.uri,
                schema: parseSchema(readFileSync(opts.schema, "utf8")),
                outputScale: opts.outputScale,
              },
              new Uint8Array(readFileSync(opts.input)),
            );
            if (opts.out !== undefined) writeFileSync(opts.out, res.output);
            process.stdout.write(
              JSON.stringify({ outcome: "RESULT", outputHash: res.outputHash, bytes: res.output.length }) +
                "\n",
            );
          } catch (e) {
            if (!(e instanceof InvalidInputError)) throw e;
            process.stdout.write(
              JSON.stringify({ outcome: "INVALID_INPUT", reason: e.reason, message: e.message }) + "\n",
            );
          } finally {
            await runner.close();
          }
        } catch (e) {
          fail(e);
        }
      },
    );

  program
    .command("run", { isDefault: true })
    .description("start the relayer: follow the chain, answer assigned requests, serve /metrics and /healthz")
    .action(async () => {
      let ctx;
      let chain: ChainRelayer;
      try {
        ctx = await startRelayer(loadConfig(env(program.opts<{ envFile?: string }>().envFile)));
      } catch (e) {
        fail(e);
      }
      try {
        chain = await startChainRelayer(ctx);
      } catch (e) {
        await ctx.close().catch(() => undefined);
        fail(e);
      }
      const stop = (signal: string): void => {
        ctx.logger.info({ signal }, "shutting down");
        chain
          .stop()
          .then(() => ctx.close())
          .then(
            () => process.exit(0),
            () => process.exit(1),
          );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });

  return program;
}
