/**
 * The adversarial suite: every attack in scripts/bench/attacks/*.ts replayed against the real contracts (and,
 * where the attack targets the node, the real relayer process), each reporting what the honest lost and what
 * the attacker netted.
 *
 *   npx -y -p node@22 -- npx hardhat run scripts/bench/attacks.ts
 *
 * A module exports `default: Attack`. Its figures are recorded as given (keys `attacks.<name>.<metric>`);
 * the targets every figure is held to live beside the module (`targets`; `defineAttack` of attack.ts builds
 * them from each metric's maximum). Each attack runs on a fresh
 * snapshot of the chain, so one cannot disturb another.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { network } from "hardhat";
import { recordBenchmarks, type Figures, type Target } from "./record.js";

type Connection = Awaited<ReturnType<typeof network.connect>>;

/** One attack: replays it and returns its figures. */
export interface Attack {
  /** What the attacker tries, in a sentence (shown in docs/benchmarks.md). */
  readonly description: string;
  /** Targets by figure key, e.g. `{ "attacks.x.honestLossOpg": { max: 0 } }`. */
  readonly targets: Record<string, Target>;
  readonly run: (connection: Connection, quick: boolean) => Promise<Figures>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.VERDICT_BENCH_QUICK === "1";
const only = (process.env.VERDICT_ATTACKS ?? "").split(",").filter(Boolean);

const dir = path.join(here, "attacks");
const files = (existsSync(dir) ? readdirSync(dir) : [])
  .filter((f) => f.endsWith(".ts"))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, "")))
  .sort();
const connection = await network.connect();
const figures: Figures = {};
const targets: Record<string, Target> = {};
const failures: string[] = [];
for (const file of files) {
  const attack = ((await import(pathToFileURL(path.join(here, "attacks", file)).href)) as { default: Attack })
    .default;
  const snapshot = (await connection.provider.request({ method: "evm_snapshot", params: [] })) as string;
  const got = await attack.run(connection, quick);
  await connection.provider.request({ method: "evm_revert", params: [snapshot] });
  for (const [key, value] of Object.entries(got)) {
    figures[key] = value;
    console.log(`${key}: ${value}`);
  }
  for (const [key, t] of Object.entries(attack.targets)) {
    targets[key] = t;
    const v = got[key];
    if (v === undefined) failures.push(`${file}: no figure ${key}`);
    else if ((t.max !== undefined && v > t.max) || (t.min !== undefined && v < t.min))
      failures.push(`${file}: ${key} = ${v} misses its target ${JSON.stringify(t)}`);
  }
}
recordBenchmarks("attacks", figures, {
  description:
    "The adversarial suite (scripts/bench/attacks/*.ts): each attack of docs/threat-model.md replayed against " +
    "the real contracts (and the real relayer where it targets the node). honestLossOpg: OPG lost by honest " +
    "operators and delegators; attackerNetOpg: the attacker's net gain (negative: a loss).",
  targets,
});
if (failures.length > 0) {
  console.error(`attacks: ${failures.length} target(s) missed:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
