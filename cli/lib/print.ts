/** How results print: decoded tensors with fixed64 as exact decimals. */
import type { InferenceResult } from "../../sdk/client.js";
import { Outcome } from "../../sdk/eip712.js";
import type { TrailAnswer } from "../../sdk/trail.js";
import { fixedToDecimal } from "../../sdk/fixed.js";
import { describeAttestedReason, describeReason } from "../../sdk/reasons.js";
import { toJson } from "../support.js";
import type { Ctx } from "./context.js";

/** "3 DTYPE_MISMATCH: …": the code with its name and meaning (sdk/reasons.ts), or the raw bytes32 if unknown. */
function reasonName(r: InferenceResult): string {
  if (r.reasonCode === undefined) return String(r.output);
  return describeReason(r.reasonCode);
}

/** One answer of a request: "answer #0 by 0x…: result 0x<hash>" or "…: cannot serve — 11 OUTPUT_TOO_LARGE: …". */
export function answerLine(a: TrailAnswer): string {
  const head = `answer #${a.index} by ${a.operator}: `;
  if (a.outcome === Outcome.RESULT) return head + `result ${a.outputHash}`;
  const kind = a.outcome === Outcome.INVALID_INPUT ? "invalid input" : "cannot serve";
  return head + `${kind} — ${describeAttestedReason(a.outcome, a.outputHash) ?? a.outputHash}`;
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
