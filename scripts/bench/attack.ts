/**
 * What every module of scripts/bench/attacks/ declares: its figures `attacks.<name>.<metric>`, each held to a
 * maximum (most are 0: the honest lose nothing, the attacker nets nothing), and the replay that measures them.
 */
import type { Attack } from "./attacks.js";
import type { Figures } from "./record.js";

type Connection = Parameters<Attack["run"]>[0];

/** The attack `name` replayed by `run`: `maxima` by metric (its figure `attacks.<name>.<metric>` must not exceed it). */
export function defineAttack(
  run: (connection: Connection, quick: boolean) => Promise<Figures>,
  spec: { name: string; description: string; maxima: Readonly<Record<string, number>> },
): Attack {
  const targets = Object.fromEntries(
    Object.entries(spec.maxima).map(([metric, max]) => [`attacks.${spec.name}.${metric}`, { max }]),
  );
  return { description: spec.description, targets, run };
}
