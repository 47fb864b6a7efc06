/**
 * Writes docs/benchmarks.extra.md (appended to docs/benchmarks.md by record.ts): our current figures from
 * docs/benchmarks.json beside published anchors with their sources, the concentration summary, links to the
 * scale plots, and the relayer latency histogram (docs/latency.svg) when the relayer benchmark left samples in
 * .verdict/bench/relayer-latency.json.
 *
 *   npx -y -p node@22 -- npx tsx scripts/bench/anchors.ts     (also run last by `npm run bench`)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { histogram, quantile } from "./plot.js";
import { readBenchmarks, type Figures } from "./record.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const LATENCY_SAMPLES = path.join(root, ".verdict/bench/relayer-latency.json");

export interface Anchor {
  readonly system: string;
  readonly what: string;
  readonly gas: number;
  /** Where the number comes from; `verified: false` = taken from the issue, not confirmed. */
  readonly source: string;
  readonly verified: boolean;
  /** Our comparable figure: keys of benchmarks.json summed. */
  readonly ours: readonly string[];
  readonly oursWhat: string;
}

export const ANCHORS: readonly Anchor[] = [
  {
    system: "Ritual Infernet",
    what: "create a callback request (`CoordinatorCallbackTest:testCanCreateCallback`)",
    gas: 142_471,
    source:
      "ritual-net/infernet-sdk `.gas-snapshot` (commit 213f6b7f): `testCanCreateCallback() (gas: 142471)`; Foundry " +
      "test gas, not a receipt (no 21,000 intrinsic gas)",
    verified: true,
    ours: ["gas.requestInference.prepaid64B"],
    oursWhat: "requestInference (64-byte input; the operator draw is a separate assign since issue 16)",
  },
  {
    system: "Ritual Infernet",
    what: "deliver a callback response (`testCanDeliverCallbackResponse` − `testCanCreateCallback`)",
    gas: 352_544 - 142_471,
    source:
      "same `.gas-snapshot`: `testCanDeliverCallbackResponse() (gas: 352544)` includes the create (142,471); " +
      "the difference is 210,073",
    verified: true,
    ours: ["gas.submitAnswer", "gas.finalize.single"],
    oursWhat: "submitAnswer (EIP-712 check) + finalize, no callback",
  },
  {
    system: "Chainlink Functions",
    what: "fulfilment gas overhead (router + coordinator, excluding the callback)",
    gas: 185_000,
    source:
      "as stated in the issue, source not verified: the billing page " +
      "(https://docs.chain.link/chainlink-functions/resources/billing) describes the gas overhead but the stored " +
      "copy we could search did not show the 185,000 figure",
    verified: false,
    ours: ["gas.submitAnswer", "gas.finalize.single"],
    oursWhat: "submitAnswer + finalize, no callback",
  },
  {
    system: "OpenGradient",
    what: "TEE (AWS Nitro) attestation verification precompile, fixed cost",
    gas: 500_000,
    source:
      "OpenGradient/og-evm `precompiles/attestation/precompile.go` (commit 019b3c78): " +
      "`GasVerifyAttestation uint64 = 500000`",
    verified: true,
    ours: ["gas.submitAnswer"],
    oursWhat: "submitAnswer (the per-answer signature check and bookkeeping)",
  },
];

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

function anchorTable(all: Figures): string[] {
  const lines = [
    "| system | their figure | gas | ours | our gas | ratio | source |",
    "|---|---|---:|---|---:|---:|---|",
  ];
  for (const a of ANCHORS) {
    const values = a.ours.map((k) => all[k]);
    const ours = values.every((v) => v !== undefined)
      ? values.reduce<number>((s, v) => s + (v ?? 0), 0)
      : undefined;
    const keys = a.ours.map((k) => `\`${k}\``).join(" + ");
    lines.push(
      `| ${a.system} | ${a.what} | ${fmt(a.gas)} | ${a.oursWhat} (${keys}) | ${ours === undefined ? "not measured" : fmt(ours)} | ` +
        `${ours === undefined ? "–" : (ours / a.gas).toFixed(2) + "×"} | ${a.source} |`,
    );
  }
  return lines;
}

function concentration(all: Figures): string[] {
  const k = (name: string): string => {
    const v = all[`concentration.${name}`];
    return v === undefined ? "–" : String(v);
  };
  if (all["concentration.draws"] === undefined)
    return ["Not measured yet (`scripts/bench/concentration.ts`).", ""];
  return [
    `${fmt(all["concentration.draws"])} k=1 draws from the real Staking contract, 100 operators with Pareto(α = 1.16) stakes.`,
    "Nakamoto coefficient = the smallest number of operators whose share of assignments together exceeds 1/2.",
    "",
    "| | top-1 share | top-5 share | Nakamoto |",
    "|---|---:|---:|---:|",
    `| stake | ${k("stake.top1Share")} | – | ${k("stake.nakamoto")} |`,
    `| assignments, 10% weight cap | ${k("top1Share.capped")} | ${k("top5Share.capped")} | ${k("nakamoto.capped")} |`,
    `| assignments, no cap (100%) | ${k("top1Share.uncapped")} | ${k("top5Share.uncapped")} | ${k("nakamoto.uncapped")} |`,
    "",
    "A capped operator's share is cap / Σ min(weight, cap), so it can exceed 10% when several operators sit at the",
    "cap; the cap spreads assignments, it does not bound any one operator's share at exactly 10%.",
    "",
  ];
}

/** Draws docs/latency.svg from the relayer's samples, or says why not. */
function latency(): string[] {
  if (!existsSync(LATENCY_SAMPLES)) {
    return [
      "Skipped: no relayer latency samples (`.verdict/bench/relayer-latency.json`, written by",
      "`scripts/bench/relayer.ts`, is not present).",
      "",
    ];
  }
  const raw: unknown = JSON.parse(readFileSync(LATENCY_SAMPLES, "utf8"));
  const samples = Array.isArray(raw)
    ? raw.filter((x): x is number => typeof x === "number" && Number.isFinite(x))
    : [];
  if (samples.length === 0)
    return ["Skipped: `.verdict/bench/relayer-latency.json` holds no numeric samples.", ""];
  const p50 = quantile(samples, 0.5);
  const p95 = quantile(samples, 0.95);
  const p99 = quantile(samples, 0.99);
  writeFileSync(
    path.join(root, "docs/latency.svg"),
    histogram({
      title: `Relayer latency, request to answer (${samples.length} samples)`,
      xLabel: "milliseconds",
      samples,
      markers: [
        { label: "p50", x: p50 },
        { label: "p95", x: p95 },
        { label: "p99", x: p99 },
      ],
    }),
  );
  return [
    `![relayer latency](latency.svg)`,
    "",
    `${samples.length} samples from \`.verdict/bench/relayer-latency.json\`: p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms, ` +
      `p99 ${fmt(p99)} ms.`,
    "",
  ];
}

/** Regenerates docs/benchmarks.extra.md from docs/benchmarks.json. */
export function writeExtra(): void {
  const all = readBenchmarks();
  const lines = [
    "## Beside published anchors",
    "",
    "Our figures (read from benchmarks.json when this page was written) next to figures other systems publish.",
    "They measure different things (test-harness gas vs. receipts, different work per call): read the ratios as",
    "orders of magnitude, not a contest.",
    "",
    ...anchorTable(all),
    "",
    "## Scale plots",
    "",
    "Gas against the number of delegators in a pool, registered operators and open requests (section *Scale*):",
    "",
    "![gas vs delegators](gas-vs-delegators.svg)",
    "",
    "![gas vs operators](gas-vs-operators.svg)",
    "",
    "![gas vs open requests](gas-vs-open-requests.svg)",
    "",
    "## Assignment concentration",
    "",
    ...concentration(all),
    "## Relayer latency",
    "",
    ...latency(),
  ];
  writeFileSync(path.join(root, "docs/benchmarks.extra.md"), lines.join("\n"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeExtra();
  console.log("wrote docs/benchmarks.extra.md");
}
