/** `verdict stats`: stake concentration and operator records. */
import type { Command } from "commander";
import type { NetworkStats } from "../../sdk/client.js";
import { opg, table, withSpinner } from "../support.js";
import type { Ctx } from "../lib/context.js";

const pct = (bps: bigint): string => `${(Number(bps) / 100).toFixed(2)}%`;

function render(st: NetworkStats): string {
  const head = [
    `operators: ${st.operators.length} (${st.stake.count} with stake), total stake ${opg(st.totalStake)}`,
    `Nakamoto coefficient: ${st.stake.nakamoto33} (>1/3), ${st.stake.nakamoto50} (>1/2)`,
    `HHI: ${st.stake.hhi} / 10000; top-5 share: ${pct(st.stake.top5Bps)}`,
    `selection (capped weights): Nakamoto ${st.selection.nakamoto33}/${st.selection.nakamoto50}, HHI ${st.selection.hhi}, top-5 ${pct(st.selection.top5Bps)}`,
    "",
  ].join("\n");
  return (
    head +
    "\n" +
    table([
      ["OPERATOR", "STATUS", "STAKE", "COMMISSION", "SERVED", "DISPUTED", "LOST", "MISSED"],
      ...st.operators.map((o) => [
        o.operator,
        o.status + (o.jailed ? " (jailed)" : ""),
        opg(o.stake),
        `${o.commissionBps}bps`,
        String(o.served),
        String(o.disputed),
        String(o.lost),
        String(o.missed),
      ]),
    ])
  );
}

export function register(program: Command, ctx: Ctx): void {
  program
    .command("stats")
    .description("stake concentration and operator records")
    .action(async () => {
      const s = await ctx.session(false);
      const st = await withSpinner(ctx.io, "reading operators…", () => s.client.stats());
      ctx.emit(st, () => render(st));
    });
}
