/** `verdict models …`: the model registry (register, list, info, set-fee, deactivate, claim-royalties). */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Command } from "commander";
import { ZeroAddress } from "ethers";
import type { ModelInfo } from "../../sdk/client.js";
import {
  CliError,
  type Io,
  opg,
  parseAddress,
  parseAmount,
  parseBytes32,
  parseInteger,
  table,
  withSpinner,
} from "../support.js";
import type { Ctx } from "../lib/context.js";

type Opts = Record<string, string | string[] | undefined>;

function modelHashOf(o: Opts, io: Io): string {
  if (typeof o.file === "string")
    return (
      "0x" +
      createHash("sha256")
        .update(readFileSync(path.resolve(io.cwd, o.file)))
        .digest("hex")
    );
  if (typeof o.hash === "string") return parseBytes32(o.hash, "--hash");
  throw new CliError("USAGE", "Pass --file <model.onnx> or --hash <sha256>.");
}

function schemaOf(arg: string, io: Io): string {
  const schema = arg.startsWith("@") ? readFileSync(path.resolve(io.cwd, arg.slice(1)), "utf8") : arg;
  try {
    JSON.parse(schema);
  } catch {
    throw new CliError("BAD_SCHEMA", "The I/O schema is not valid JSON.");
  }
  return schema;
}

async function registerModel(ctx: Ctx, o: Opts): Promise<void> {
  const modelHash = modelHashOf(o, ctx.io);
  const schema = schemaOf(String(o.schema), ctx.io);
  const spec = {
    modelHash,
    uris: o.uri as string[],
    ioSchema: schema,
    feePerInference: parseAmount(String(o.fee), "--fee"),
    outputScale: parseInteger(String(o.scale), "--scale", 0, 18),
    tolerance: BigInt(parseInteger(String(o.tolerance), "--tolerance")),
    royaltyBps: parseInteger(String(o.royaltyBps), "--royalty-bps", 0, 10_000),
    disputeWindow: parseInteger(String(o.window), "--window", 0, 2 ** 32 - 1),
    defaultRedundancy: parseInteger(String(o.redundancy), "--redundancy", 1, 8),
    referee: parseAddress(String(o.referee), "--referee"),
    ...(typeof o.cardHash === "string" ? { modelCardHash: parseBytes32(o.cardHash, "--card-hash") } : {}),
  };
  const s = await ctx.session(true);
  await withSpinner(ctx.io, "registering model…", () => s.client.registerModel(spec));
  ctx.emit({ modelHash }, () => `registered model ${modelHash}`);
}

function modelRows(list: readonly ModelInfo[]): string {
  return table([
    ["MODEL", "FEE", "K", "WINDOW", "TOL", "ROYALTY", "ACTIVE", "URI"],
    ...list.map((m) => [
      m.modelHash,
      opg(m.feePerInference),
      String(m.defaultRedundancy),
      `${m.disputeWindow}s`,
      m.tolerance.toString(),
      `${m.royaltyBps}bps`,
      m.active ? "yes" : "no",
      m.uris[0] ?? "",
    ]),
  ]);
}

function registerCommand(models: Command, ctx: Ctx): void {
  models
    .command("register")
    .description("register a model by the sha256 of its ONNX file")
    .option("--file <onnx>", "ONNX file (its sha256 is the model hash)")
    .option("--hash <bytes32>", "model hash, when the file is not at hand")
    .requiredOption("--uri <uri...>", "where operators fetch the model")
    .requiredOption("--schema <json|@file>", "I/O schema JSON, or @path to read it from a file")
    .requiredOption("--fee <opg>", "fee per inference, per operator")
    .option("--scale <digits>", "fixed64 output scale", "6")
    .option("--tolerance <units>", "agreement tolerance", "0")
    .option("--royalty-bps <bps>", "owner royalty", "0")
    .option("--window <seconds>", "dispute window", "7200")
    .option("--redundancy <k>", "default redundancy", "1")
    .option("--referee <address>", "on-chain referee", ZeroAddress)
    .option("--card-hash <bytes32>", "model card hash")
    .action((o: Opts) => registerModel(ctx, o));
}

function ownerCommands(models: Command, ctx: Ctx): void {
  models
    .command("set-fee <model> <opg>")
    .description("change a model's fee per inference (model owner)")
    .action(async (model: string, fee: string) => {
      const modelHash = parseBytes32(model, "model");
      const wei = parseAmount(fee, "fee");
      const s = await ctx.session(true);
      await s.send("setting the fee…", () =>
        s.client.registry.connect(s.requireSigner()).setFee(modelHash, wei),
      );
      const now = await s.client.getModel(modelHash);
      ctx.emit({ modelHash, feePerInference: now.feePerInference }, () =>
        now.feePerInference === wei
          ? `fee of ${modelHash}: ${opg(now.feePerInference)}`
          : `fee change to ${opg(wei)} recorded; the fee in force is still ${opg(now.feePerInference)}`,
      );
    });
  models
    .command("deactivate <model>")
    .description("stop new requests for a model (model owner); running requests are unaffected")
    .action(async (model: string) => {
      const modelHash = parseBytes32(model, "model");
      const s = await ctx.session(true);
      await s.send("deactivating…", () => s.client.registry.connect(s.requireSigner()).deactivate(modelHash));
      ctx.emit({ modelHash, active: false }, () => `model ${modelHash} deactivated`);
    });
  models
    .command("claim-royalties <model>")
    .description("credit a model's accrued royalties to its owner's escrow balance (anyone may call)")
    .action(async (model: string) => {
      const modelHash = parseBytes32(model, "model");
      const s = await ctx.session(true);
      const pending = await s.client.coordinator.royaltiesOf(modelHash);
      if (pending === 0n)
        throw new CliError("NOTHING_TO_CLAIM", `Model ${modelHash} has no royalties to claim.`);
      await s.send("claiming royalties…", () =>
        s.client.coordinator.connect(s.requireSigner()).claimRoyalties(modelHash),
      );
      const owner = await s.client.registry.ownerOf(modelHash);
      ctx.emit({ modelHash, owner, amount: pending }, () =>
        [
          `credited ${opg(pending)} of royalties to the escrow balance of ${owner}`,
          "withdraw it with `verdict escrow withdraw <amount>`",
        ].join("\n"),
      );
    });
}

export function register(program: Command, ctx: Ctx): void {
  const models = program.command("models").description("the model registry");
  registerCommand(models, ctx);
  models
    .command("list")
    .description("list registered models")
    .action(async () => {
      const s = await ctx.session(false);
      const list = await s.client.listModels();
      if (ctx.json()) return ctx.emit(list, () => "");
      ctx.out(list.length === 0 ? "no models registered" : modelRows(list));
    });
  models
    .command("info <model>")
    .description("a model's record: owner, terms, URIs, referee")
    .action(async (model: string) => {
      const modelHash = parseBytes32(model, "model");
      const s = await ctx.session(false);
      const m = await s.client.getModel(modelHash);
      const royalties = await s.client.coordinator.royaltiesOf(modelHash);
      ctx.emit({ ...m, royaltiesAccrued: royalties }, () =>
        [
          `model ${modelHash}: ${m.active ? "active" : "deactivated"}`,
          `owner: ${m.owner}`,
          `fee: ${opg(m.feePerInference)} per operator, default k ${m.defaultRedundancy}`,
          `dispute window: ${m.disputeWindow}s, tolerance ${m.tolerance}, scale ${m.outputScale}`,
          `royalty: ${m.royaltyBps} bps (accrued, unclaimed: ${opg(royalties)})`,
          `referee: ${m.referee === ZeroAddress ? "none" : m.referee}`,
          `uris: ${m.uris.join(", ")}`,
        ].join("\n"),
      );
    });
  ownerCommands(models, ctx);
}
