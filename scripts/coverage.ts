/**
 * `npx tsx scripts/coverage.ts [--keep] [--print-only]`: contract coverage with Hardhat 3's
 * `hardhat test --coverage`, recorded as benchmarks `coverage.lines` and `coverage.statements`.
 *
 * Why an isolated copy: a coverage build writes *instrumented* contracts into the same `artifacts/` a normal
 * build uses (Hardhat 3.18 keeps one artifacts path), which would change every gas figure measured in this
 * checkout until the next clean build. So the tree (without node_modules, artifacts, cache) is copied to a
 * temporary folder with node_modules linked in, and the run happens there; only `coverage/lcov.info` and the
 * HTML report come back into `./coverage/` (git-ignored).
 *
 * What is measured: every contract under contracts/ except contracts/test-helpers/** and any mocks/** folder
 * (excluded from instrumentation through a generated config that adds `coverage.skipFiles`), over the
 * Solidity tests and the TypeScript tests that drive contracts (the relayer process tests, the CLI and the
 * model generator tests are left out: they do not reach contract code that the others miss, and take long).
 * Fuzz and invariant budgets are lowered unless set (VERDICT_FUZZ_RUNS=32, VERDICT_INVARIANT_RUNS=8,
 * VERDICT_INVARIANT_DEPTH=40) because instrumentation makes each call several times dearer.
 *
 * Branches: Hardhat 3's coverage (EDR) reports statements and lines only — its lcov writer has the BRDA
 * lines commented out ("EDR does not provide branch coverage information"). Statement coverage is the
 * finer-grained figure available and is recorded in place of branch coverage (docs/threat-model.md).
 * viaIR: instrumentation works with `viaIR: true` (our config); no change is needed.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const LINES_TARGET = 95;
export const STATEMENTS_TARGET = 90;

/** Files never instrumented: test scaffolding, not protocol code. */
export const SKIP_GLOBS = ["contracts/test-helpers/**", "contracts/**/mocks/**"];

/** TypeScript tests that do not reach contracts, or spawn processes outside the instrumented build. */
const SKIPPED_TESTS = /^(relayer-.*|cli|models)\.test\.ts$/;

export class CoverageError extends Error {
  constructor(
    readonly code: "RUN_FAILED" | "NO_REPORT" | "BAD_ARGUMENT",
    message: string,
  ) {
    super(message);
    this.name = "CoverageError";
  }
}

export interface FileCoverage {
  readonly file: string;
  readonly linesFound: number;
  readonly linesHit: number;
  readonly uncovered: readonly number[];
}

export interface CoverageResult {
  readonly files: readonly FileCoverage[];
  readonly linesPct: number;
  /** Hardhat's total statement %, over the same instrumented files; NaN if the report had none. */
  readonly statementsPct: number;
}

/** Whether an lcov source path is protocol code we measure. */
export function measured(file: string): boolean {
  const f = file.split(path.sep).join("/");
  return f.startsWith("contracts/") && !f.startsWith("contracts/test-helpers/") && !/\/mocks\//.test(f);
}

/** Parses lcov text (SF / DA / end_of_record) into per-file line coverage, keeping measured files only. */
export function parseLcov(text: string): FileCoverage[] {
  const out: FileCoverage[] = [];
  let file: string | undefined;
  let found = 0;
  let hit = 0;
  let uncovered: number[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      file = line.slice(3);
      found = 0;
      hit = 0;
      uncovered = [];
    } else if (line.startsWith("DA:") && file !== undefined) {
      const [n, count] = line.slice(3).split(",");
      found++;
      if (Number(count) > 0) hit++;
      else uncovered.push(Number(n));
    } else if (line === "end_of_record" && file !== undefined) {
      if (measured(file)) out.push({ file, linesFound: found, linesHit: hit, uncovered });
      file = undefined;
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** Hardhat's printed total statement % (the markdown report's "Total" row: line %, statement %). */
export function parseTotalStatements(stdout: string): number {
  // eslint-disable-next-line no-control-regex
  const plain = stdout.replace(/\u001b\[[0-9;]*m/g, "");
  for (const line of plain.split("\n").reverse()) {
    if (!/\bTotal\b/.test(line)) continue;
    const pcts = [...line.matchAll(/(\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
    if (pcts.length >= 2) return pcts[1] ?? Number.NaN;
  }
  return Number.NaN;
}

function summarise(files: readonly FileCoverage[], statementsPct: number): CoverageResult {
  const found = files.reduce((s, f) => s + f.linesFound, 0);
  const hit = files.reduce((s, f) => s + f.linesHit, 0);
  return { files, linesPct: found === 0 ? 0 : (hit * 100) / found, statementsPct };
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new CoverageError("RUN_FAILED", `hardhat test --coverage exited ${code}`));
    });
  });
}

/** Hardhat under this Node when it is ≥ 22, else through npx node@22. */
function hardhatCommand(args: readonly string[]): { cmd: string; args: string[] } {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) {
    return {
      cmd: process.execPath,
      args: [path.join(root, "node_modules/hardhat/dist/src/cli.js"), ...args],
    };
  }
  return { cmd: "npx", args: ["-y", "-p", "node@22", "--", "npx", "hardhat", ...args] };
}

/** Copies the checkout to a temporary folder, runs the coverage there and brings the report back. */
export async function runCoverage(opts: { keep?: boolean } = {}): Promise<CoverageResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), "verdict-coverage-"));
  const skipTop = new Set(["node_modules", "artifacts", "cache", "coverage", ".git", ".verdict", "ignition"]);
  try {
    cpSync(root, work, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(root, src);
        if (rel === "") return true;
        const top = rel.split(path.sep)[0] ?? "";
        if (skipTop.has(top)) return false;
        if (rel.startsWith(path.join("types", "ethers-contracts"))) return false;
        if (
          rel.startsWith("test" + path.sep) &&
          !rel.includes(path.sep + "helpers") &&
          !rel.includes("solidity")
        ) {
          return !SKIPPED_TESTS.test(path.basename(rel));
        }
        return !rel.endsWith(".log");
      },
    });
    // The deployment module is needed by the fixture; ignition/ holds only modules and local deployments.
    if (existsSync(path.join(root, "ignition"))) {
      cpSync(path.join(root, "ignition"), path.join(work, "ignition"), {
        recursive: true,
        filter: (src) => !src.includes(`${path.sep}deployments`),
      });
    }
    symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"), "dir");
    writeFileSync(
      path.join(work, "hardhat.coverage.config.ts"),
      [
        'import config from "./hardhat.config.js";',
        `export default { ...config, coverage: { skipFiles: ${JSON.stringify(SKIP_GLOBS)} } };`,
        "",
      ].join("\n"),
    );
    const env = {
      ...process.env,
      VERDICT_FUZZ_RUNS: process.env.VERDICT_FUZZ_RUNS ?? "32",
      VERDICT_INVARIANT_RUNS: process.env.VERDICT_INVARIANT_RUNS ?? "8",
      VERDICT_INVARIANT_DEPTH: process.env.VERDICT_INVARIANT_DEPTH ?? "40",
    };
    const { cmd, args } = hardhatCommand(["--config", "hardhat.coverage.config.ts", "test", "--coverage"]);
    const stdout = await run(cmd, args, work, env);
    const lcovPath = path.join(work, "coverage", "lcov.info");
    if (!existsSync(lcovPath)) throw new CoverageError("NO_REPORT", `no ${lcovPath} after the run`);
    const dest = path.join(root, "coverage");
    mkdirSync(dest, { recursive: true });
    cpSync(path.join(work, "coverage"), dest, {
      recursive: true,
      filter: (s) => !s.includes(`${path.sep}data`),
    });
    return summarise(parseLcov(readFileSync(lcovPath, "utf8")), parseTotalStatements(stdout));
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

/** Reads an existing ./coverage/lcov.info (from an earlier run) without running anything. */
export function readExisting(): CoverageResult {
  const lcovPath = path.join(root, "coverage", "lcov.info");
  if (!existsSync(lcovPath)) throw new CoverageError("NO_REPORT", `no ${lcovPath}: run without --print-only`);
  return summarise(parseLcov(readFileSync(lcovPath, "utf8")), Number.NaN);
}

export function formatReport(r: CoverageResult): string {
  const rows = r.files.map((f) => {
    const pct = f.linesFound === 0 ? 100 : (f.linesHit * 100) / f.linesFound;
    const miss = f.uncovered.length === 0 ? "" : f.uncovered.join(",");
    return `${f.file.padEnd(44)} ${pct.toFixed(2).padStart(7)}%  ${miss}`;
  });
  return [
    ...rows,
    "",
    `lines      ${r.linesPct.toFixed(2)}% (target ≥ ${LINES_TARGET})`,
    `statements ${Number.isNaN(r.statementsPct) ? "n/a" : r.statementsPct.toFixed(2) + "%"} (target ≥ ${STATEMENTS_TARGET}; Hardhat 3 reports no branch data)`,
  ].join("\n");
}

/** Records the figures (the benchmark recorder is imported lazily so parsing stays dependency-free). */
export async function recordCoverage(r: CoverageResult): Promise<void> {
  const { recordBenchmarks } = await import("./bench/record.js");
  const figures: Record<string, number> = { "coverage.lines": Number(r.linesPct.toFixed(2)) };
  if (!Number.isNaN(r.statementsPct)) figures["coverage.statements"] = Number(r.statementsPct.toFixed(2));
  recordBenchmarks("Coverage", figures, {
    description:
      "Contract coverage by `hardhat test --coverage` over contracts/ (test-helpers and mocks excluded), " +
      "Solidity and contract-facing TypeScript tests (scripts/coverage.ts). Hardhat 3 (EDR) reports lines and " +
      "statements only; statements stand in for branches.",
    targets: {
      "coverage.lines": { min: LINES_TARGET },
      "coverage.statements": { min: STATEMENTS_TARGET },
    },
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const keep = argv.includes("--keep");
  const printOnly = argv.includes("--print-only");
  const unknown = argv.filter((a) => a !== "--keep" && a !== "--print-only");
  if (unknown.length > 0) throw new CoverageError("BAD_ARGUMENT", `unknown argument(s) ${unknown.join(" ")}`);
  const result = printOnly ? readExisting() : await runCoverage({ keep });
  console.log(formatReport(result));
  if (!printOnly) await recordCoverage(result);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exitCode = 1;
  });
}
