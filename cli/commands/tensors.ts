/** `verdict tensors …`: offline conversions between JSON tensors and the canonical VTN1 bytes. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { keccak256 } from "ethers";
import { fixedToDecimal } from "../../sdk/fixed.js";
import { decodeTensors } from "../../sdk/tensor.js";
import { readTensorFile, toJson } from "../support.js";
import type { Ctx } from "../lib/context.js";

export function register(program: Command, ctx: Ctx): void {
  const tensors = program.command("tensors").description("tensor files (offline)");
  tensors
    .command("encode <file>")
    .description("JSON (or VTN1) tensors to canonical VTN1 bytes; prints the input hash")
    .requiredOption("--out <file>", "where to write the VTN1 bytes")
    .action((file: string, o: { out: string }) => {
      const bytes = readTensorFile(file, ctx.io.cwd);
      writeFileSync(path.resolve(ctx.io.cwd, o.out), bytes);
      const hash = keccak256(bytes);
      ctx.emit(
        { file: o.out, bytes: bytes.length, inputHash: hash },
        () => `wrote ${bytes.length} bytes to ${o.out}; input hash ${hash}`,
      );
    });
  tensors
    .command("decode <file>")
    .description("VTN1 (or JSON) tensors to canonical JSON (fixed64 as exact decimal strings)")
    .action((file: string) => {
      const bytes = readTensorFile(file, ctx.io.cwd);
      const list = decodeTensors(bytes);
      ctx.out(
        toJson({
          inputHash: keccak256(bytes),
          tensors: list.map((t) => ({
            name: t.name,
            dtype: t.dtype,
            ...(t.dtype === "fixed64" ? { scale: t.scale } : {}),
            dims: t.dims,
            data: t.dtype === "fixed64" ? t.data.map((v) => fixedToDecimal(v, t.scale)) : t.data.map(String),
          })),
        }),
      );
    });
}
