/**
 * `verdict request …`: ask for an inference (inline or URI input, callback, finality) and follow it:
 * `request status|result|finalize|expire <id>`. `status`, `result`, `finalize` and `expire` remain as
 * top-level commands.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { getBytes, keccak256 } from "ethers";
import type { CreatedRequest } from "../../sdk/client.js";
import { Finality } from "../../sdk/eip712.js";
import {
  CliError,
  opg,
  parseAddress,
  parseAmount,
  parseBytes32,
  parseInteger,
  parseRequestId,
  readTensorFile,
  withSpinner,
} from "../support.js";
import { iso, type Ctx } from "../lib/context.js";
import { answerLine, printResult } from "../lib/print.js";
import type { Session } from "../lib/session.js";

interface RequestOpts {
  model: string;
  input?: string;
  inputUri?: string;
  inputHash?: string;
  redundancy: string;
  maxFee?: string;
  deadline?: string;
  final?: boolean;
  finality?: string;
  callback?: string;
  callbackGas?: string;
  wait?: boolean;
  timeout: string;
}

/** The input: inline bytes, or a URI with the hash given or computed from the local copy (VTN1). */
function inputOf(o: RequestOpts, cwd: string): { inline?: Uint8Array; uri?: string; hash?: string } {
  if (o.inputUri === undefined) {
    if (o.input === undefined) throw new CliError("USAGE", "Pass --input <file>, or --input-uri <uri>.");
    if (o.inputHash !== undefined) throw new CliError("USAGE", "--input-hash goes with --input-uri.");
    return { inline: readTensorFile(o.input, cwd) };
  }
  const hash = o.inputHash === undefined ? undefined : parseBytes32(o.inputHash, "--input-hash");
  if (o.input === undefined) {
    if (hash === undefined)
      throw new CliError(
        "USAGE",
        "With --input-uri, pass --input-hash <0x…> or the local copy as --input <file>.",
      );
    return { uri: o.inputUri, hash };
  }
  const bytes = readTensorFile(o.input, cwd);
  if (!isVtnFile(o.input, cwd))
    throw new CliError(
      "BAD_INPUT_FILE",
      `With --input-uri, --input must be the VTN1 file served at the URI (convert JSON with \`verdict tensors encode ${o.input} --out input.vtn\`).`,
    );
  const computed = keccak256(bytes);
  if (hash !== undefined && hash !== computed)
    throw new CliError(
      "INPUT_HASH_MISMATCH",
      `${o.input} hashes to ${computed}, not to --input-hash ${hash}.`,
    );
  return { uri: o.inputUri, hash: computed };
}

/** True when the file itself is VTN1 bytes (what a URI must serve), not JSON. */
function isVtnFile(file: string, cwd: string): boolean {
  const head = readFileSync(path.resolve(cwd, file)).subarray(0, 3).toString("latin1");
  return head === "VTN";
}

function finalityOf(o: RequestOpts): Finality {
  const f = o.finality ?? (o.final ? "final" : "fast");
  if (f !== "fast" && f !== "final")
    throw new CliError("USAGE", `--finality must be fast or final, not ${f}.`);
  if (o.final && o.finality === "fast") throw new CliError("USAGE", "--final contradicts --finality fast.");
  return f === "final" ? Finality.FINAL : Finality.FAST;
}

function callbackOf(o: RequestOpts): { callback?: string; callbackGasLimit?: number } {
  if (o.callback === undefined) {
    if (o.callbackGas !== undefined)
      throw new CliError("USAGE", "--callback-gas goes with --callback <address>.");
    return {};
  }
  if (o.callbackGas === undefined) throw new CliError("USAGE", "--callback needs --callback-gas <n>.");
  return {
    callback: parseAddress(o.callback, "--callback"),
    callbackGasLimit: parseInteger(o.callbackGas, "--callback-gas", 1, 2 ** 32 - 1),
  };
}

async function send(ctx: Ctx, s: Session, o: RequestOpts): Promise<CreatedRequest> {
  const modelHash = parseBytes32(o.model, "--model");
  const input = inputOf(o, ctx.io.cwd);
  const redundancy = parseInteger(o.redundancy, "--redundancy", 0, 8);
  const finality = finalityOf(o);
  const cb = callbackOf(o);
  const model = await s.client.getModel(modelHash).catch(() => {
    throw new CliError("UNKNOWN_MODEL", `Model ${modelHash} is not registered.`);
  });
  const k = redundancy || model.defaultRedundancy;
  const maxFee =
    o.maxFee !== undefined ? parseAmount(o.maxFee, "--max-fee") : model.feePerInference * BigInt(k);
  let deadline = 0n;
  if (o.deadline !== undefined) {
    const now = BigInt((await s.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000));
    deadline = now + BigInt(parseInteger(o.deadline, "--deadline", 1));
  }
  const common = { modelHash, redundancy, maxFee, deadline, finality, ...cb };
  return withSpinner(ctx.io, `requesting (${k} × ${opg(model.feePerInference)})…`, async () => {
    if (input.inline) return s.client.request({ ...common, input: input.inline });
    const { requestByUri } = await import("../../sdk/request-uri.js");
    return requestByUri(s.client, { ...common, inputURI: String(input.uri), inputHash: input.hash });
  });
}

async function request(ctx: Ctx, o: RequestOpts): Promise<void> {
  const timeoutMs = parseInteger(o.timeout, "--timeout", 1) * 1000;
  const s = await ctx.session(true);
  const created = await send(ctx, s, o);
  const summary = {
    requestId: created.requestId,
    operators: created.request.operators,
    inputHash: created.request.inputHash,
  };
  const line = `request ${created.requestId} assigned to ${created.request.operators.join(", ")}`;
  if (!o.wait) return ctx.emit(summary, () => line);
  if (!ctx.json()) ctx.io.stderr.write(line + "\n");
  const r = await withSpinner(ctx.io, `waiting for request ${created.requestId}…`, (sp) =>
    s.client.waitForResult(created.requestId, {
      timeoutMs,
      pollMs: s.cfg.pollMs,
      onStatus: (st) => sp.update(`request ${created.requestId}: ${s.sdk.statusName(st)}…`),
    }),
  );
  printResult(ctx, r);
}

function describeRequest(cmd: Command, ctx: Ctx): Command {
  return cmd
    .description("request an inference (paid from your escrow balance)")
    .option("--model <hash>", "model hash (required)")
    .option(
      "--input <file>",
      "input tensors: VTN1 binary or JSON (with --input-uri: the VTN1 file served there)",
    )
    .option("--input-uri <uri>", "input by reference: operators fetch the VTN1 bytes here")
    .option("--input-hash <bytes32>", "keccak256 of the bytes at --input-uri (else computed from --input)")
    .option("--redundancy <k>", "operators to assign (0: the model's default)", "0")
    .option("--max-fee <opg>", "most you will pay (default: the exact price)")
    .option("--deadline <seconds>", "seconds from now (default: the coordinator's)")
    .option("--finality <mode>", "fast: callback on the first answer (and a correction); final: once final")
    .option("--final", "same as --finality final")
    .option("--callback <address>", "contract to call with the result (IVerdictConsumer)")
    .option("--callback-gas <n>", "gas the callback gets (required with --callback)")
    .option("--wait", "wait for the result")
    .option("--timeout <seconds>", "how long to wait", "600")
    .action((o: RequestOpts) => {
      if (o.model === undefined) throw new CliError("USAGE", "Pass --model <hash>.");
      return request(ctx, o);
    });
}

async function status(ctx: Ctx, id: string): Promise<void> {
  const requestId = parseRequestId(id);
  const s = await ctx.session(false);
  const st = await s.client.status(requestId);
  if (ctx.json())
    return ctx.emit({ ...st, created: undefined, operators: st.created.request.operators }, () => "");
  const lines = [
    `request ${requestId}: ${st.statusName}`,
    `model: ${st.created.request.modelHash}`,
    `requester: ${st.created.request.requester}`,
    `answers: ${st.answered}/${st.redundancy}`,
    `operators: ${st.created.request.operators.join(", ")}`,
    `deadline: ${iso(st.deadline)}`,
  ];
  if (st.windowEnds > 0n) lines.push(`dispute window ends: ${iso(st.windowEnds)}`);
  if (st.answered > 0) for (const a of (await s.client.trail(requestId)).answers) lines.push(answerLine(a));
  ctx.out(lines.join("\n"));
}

async function result(
  ctx: Ctx,
  id: string,
  o: { wait?: boolean; timeout: string; out?: string },
): Promise<void> {
  const requestId = parseRequestId(id);
  const timeoutMs = parseInteger(o.timeout, "--timeout", 1) * 1000;
  const s = await ctx.session(false);
  const r = o.wait
    ? await withSpinner(ctx.io, `waiting for request ${requestId}…`, (sp) =>
        s.client.waitForResult(requestId, {
          timeoutMs,
          pollMs: s.cfg.pollMs,
          onStatus: (st) => sp.update(`request ${requestId}: ${s.sdk.statusName(st)}…`),
        }),
      )
    : await s.client.result(requestId);
  if (o.out && r.output) writeFileSync(path.resolve(ctx.io.cwd, o.out), getBytes(r.output));
  printResult(ctx, r);
}

async function settle(ctx: Ctx, id: string, how: "finalize" | "expire"): Promise<void> {
  const requestId = parseRequestId(id);
  const s = await ctx.session(true);
  await withSpinner(ctx.io, how === "finalize" ? "finalizing…" : "expiring…", () =>
    how === "finalize" ? s.client.finalize(requestId) : s.client.expire(requestId),
  );
  const st = await s.client.status(requestId);
  ctx.emit({ requestId, status: st.statusName }, () => `request ${requestId}: ${st.statusName}`);
}

/** Registers the lifecycle commands on `parent` (the `request` group, and the program for the old names). */
function lifecycle(parent: Command, ctx: Ctx, alias: boolean): void {
  const suffix = alias ? " (same as `request …`)" : "";
  parent
    .command("status <requestId>")
    .description("a request's status" + suffix)
    .action((id: string) => status(ctx, id));
  parent
    .command("result <requestId>")
    .description("a request's result (decoded tensors)" + suffix)
    .option("--wait", "wait until there is one")
    .option("--timeout <seconds>", "how long to wait", "600")
    .option("--out <file>", "write the output bytes (VTN1) to a file")
    .action((id: string, o: { wait?: boolean; timeout: string; out?: string }) => result(ctx, id, o));
  parent
    .command("finalize <requestId>")
    .description("finalize a request after its dispute window (anyone)" + suffix)
    .action((id: string) => settle(ctx, id, "finalize"));
  parent
    .command("expire <requestId>")
    .description("expire a request past its deadline: refund, penalise missing operators (anyone)" + suffix)
    .action((id: string) => settle(ctx, id, "expire"));
}

export function register(program: Command, ctx: Ctx): void {
  const req = describeRequest(program.command("request"), ctx);
  lifecycle(req, ctx, false);
  lifecycle(program, ctx, true);
}
