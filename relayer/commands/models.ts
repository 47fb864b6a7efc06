/**
 * `verdict-relayer models fetch HASH URI...` fetches, verifies and caches a model;
 * `verdict-relayer models run ...` runs a cached/fetched model on a VTN1 input file (smoke test).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { InvalidInputError } from "../errors.js";
import { InferenceRunner } from "../inference/runner.js";
import { parseSchema } from "../inference/schema.js";
import { createLogger } from "../log.js";
import { ModelStore } from "../models/cache.js";
import { fail, type RelayerCtx } from "./context.js";

interface RunOptions {
  hash: string;
  schema: string;
  outputScale: number;
  input: string;
  uri: string[];
  out?: string;
  cacheDir?: string;
}

/** Runs the model as the relayer would and prints the output hash, or the verdict on an invalid input. */
async function runModel(opts: RunOptions): Promise<void> {
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
      JSON.stringify({ outcome: "RESULT", outputHash: res.outputHash, bytes: res.output.length }) + "\n",
    );
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    process.stdout.write(
      JSON.stringify({ outcome: "INVALID_INPUT", reason: e.reason, message: e.message }) + "\n",
    );
  } finally {
    await runner.close();
  }
}

export function register(program: Command, ctx: RelayerCtx): void {
  const models = program.command("models").description("model cache");
  models
    .command("fetch")
    .description("fetch a model, verify its sha256 and cache it")
    .argument("<hash>", "sha256 of the ONNX file (the registered model hash)")
    .argument("<uris...>", "file://, http(s):// or a path, tried in order")
    .action(async (hash: string, uris: string[]) => {
      try {
        const cfg = ctx.config();
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
    .action(async (opts: RunOptions) => {
      try {
        await runModel(opts);
      } catch (e) {
        fail(e);
      }
    });
}
