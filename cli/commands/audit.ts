/** `verdict audit <id>`: rebuild a request's trail from events and verify every hash and signature offline. */
import type { Command } from "commander";
import { CliError, EXIT_CHAIN, parseRequestId, toJson, withSpinner } from "../support.js";
import type { Ctx } from "../lib/context.js";
import { describeAttestedReason } from "../../sdk/reasons.js";

/** An answer's or a correction's reason code, named and explained (empty for a RESULT). */
function reasonOf(args: Record<string, unknown>): string {
  const outcome = args.outcome;
  const hash = args.outputHash ?? args.output;
  if ((typeof outcome !== "number" && typeof outcome !== "bigint") || typeof hash !== "string") return "";
  const why = describeAttestedReason(outcome, hash);
  return why === undefined ? "" : ` reason="${why}"`;
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("audit <requestId>")
    .description("rebuild a request's trail from events and verify every hash and signature offline")
    .action(async (id: string) => {
      const requestId = parseRequestId(id);
      const s = await ctx.session(false);
      const { trail, verification } = await withSpinner(ctx.io, `auditing request ${requestId}…`, () =>
        s.client.audit(requestId),
      );
      if (ctx.json()) {
        ctx.out(toJson({ ok: verification.ok, checks: verification.checks, entries: trail.entries }));
      } else {
        const lines = [
          `trail of request ${requestId} (chain ${trail.chainId}, coordinator ${trail.coordinator})`,
        ];
        for (const e of trail.entries) {
          const args = Object.entries(e.args)
            .filter(([k]) => !["request", "input", "output", "signature"].includes(k))
            .map(([k, v]) => `${k}=${typeof v === "object" ? toJson(v).replace(/\s+/g, "") : String(v)}`)
            .join(" ");
          lines.push(`  #${e.blockNumber} ${e.source}.${e.name} ${args}${reasonOf(e.args)}`);
        }
        lines.push("checks:");
        for (const c of verification.checks)
          lines.push(`  ${c.ok ? "✔" : "✘"} ${c.label}${c.detail && !c.ok ? ` — ${c.detail}` : ""}`);
        lines.push(verification.ok ? "✔ trail verified" : "✘ trail does NOT verify");
        ctx.out(lines.join("\n"));
      }
      if (!verification.ok) throw new CliError("AUDIT_FAILED", "The trail does not verify.", EXIT_CHAIN);
    });
}
