/** How results print: decoded tensors with fixed64 as exact decimals. */
import type { InferenceResult } from "../../sdk/client.js";
import { fixedToDecimal } from "../../sdk/fixed.js";
import { describeReason } from "../../sdk/reasons.js";
import { toJson } from "../support.js";
import type { Ctx } from "./context.js";

/** "3 DTYPE_MISMATCH: …": the code with its name and meaning (sdk/reasons.ts), or the raw bytes32 if unknown. */
function reasonName(r: InferenceResult): string {
  if (r.reasonCode === undefined) return String(r.output);
  return describeReason(r.reasonCode);
}

export function printResult(ctx: Ctx, r: InferenceResult): void {
  if (ctx.json()) return ctx.out(toJson(r));
  const lines = [`request ${r.requestId}: ${r.statusName}${r.corrected ? " (corrected by a dispute)" : ""}`];
  if (r.outcome === "none") lines.push("no result");
  else if (r.outcome === "invalid_input") lines.push(`outcome: invalid input (reason ${reasonName(r)})`);
  else {
    lines.push(`output hash: ${r.outputHash}`);
    if (!r.tensors) lines.push(`output (not VTN1): ${r.output}`);
    for (const t of r.tensors ?? []) {
      const values =
        t.dtype === "fixed64" ? t.data.map((v) => fixedToDecimal(v, t.scale)) : t.data.map(String);
      const shown = values.length > 16 ? [...values.slice(0, 16), "…"] : values;
      lines.push(`${t.name} ${t.dtype}[${t.dims.join("x")}]: ${shown.join(", ")}`);
    }
  }
  ctx.out(lines.join("\n"));
}
