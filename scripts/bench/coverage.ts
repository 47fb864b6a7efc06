/**
 * The last step of `npm run coverage` (`tsx scripts/bench/coverage.ts`): reads the lcov report that
 * `hardhat test --coverage` wrote to coverage/lcov.info, prints the line coverage of each measured contract
 * (with its uncovered lines) and records `coverage.lines` under "Coverage" in docs/benchmarks.json.
 * Exits non-zero when the report is missing or the figure is below its target.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { recordBenchmarks } from "./record.js";
import { CodedError } from "../lib/errors.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const LINES_TARGET = 95;

export class CoverageError extends CodedError<"NO_REPORT"> {}

export interface FileCoverage {
  readonly file: string;
  readonly linesFound: number;
  readonly linesHit: number;
  readonly uncovered: readonly number[];
}

/** Whether an lcov source path is protocol code (test scaffolding is not instrumented; see the config). */
export function measured(file: string): boolean {
  const f = file.split(path.sep).join("/");
  return f.startsWith("contracts/") && !f.startsWith("contracts/test-helpers/") && !/\/mocks\//.test(f);
}

/** Parses lcov text (SF / DA / end_of_record) into per-file line coverage, keeping measured files only. */
export function parseLcov(text: string): FileCoverage[] {
  const out: FileCoverage[] = [];
  let current: { file: string; found: number; hit: number; uncovered: number[] } | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      current = { file: line.slice(3), found: 0, hit: 0, uncovered: [] };
    } else if (line.startsWith("DA:") && current) {
      const [n, count] = line.slice(3).split(",");
      current.found++;
      if (Number(count) > 0) current.hit++;
      else current.uncovered.push(Number(n));
    } else if (line === "end_of_record" && current) {
      const { file, found, hit, uncovered } = current;
      if (measured(file)) out.push({ file, linesFound: found, linesHit: hit, uncovered });
      current = undefined;
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** Lines hit over lines found, in percent, across `files`. */
export function linesPct(files: readonly FileCoverage[]): number {
  const found = files.reduce((s, f) => s + f.linesFound, 0);
  const hit = files.reduce((s, f) => s + f.linesHit, 0);
  return found === 0 ? 0 : (hit * 100) / found;
}

function formatReport(files: readonly FileCoverage[]): string {
  const rows = files.map((f) => {
    const pct = f.linesFound === 0 ? 100 : (f.linesHit * 100) / f.linesFound;
    const miss = f.uncovered.length === 0 ? "" : `  uncovered lines ${f.uncovered.join(",")}`;
    return `${f.file.padEnd(44)} ${pct.toFixed(2).padStart(7)}%${miss}`;
  });
  return [...rows, "", `lines ${linesPct(files).toFixed(2)}% (target ≥ ${LINES_TARGET})`].join("\n");
}

function main(): number {
  const lcovPath = path.join(root, "coverage", "lcov.info");
  if (!existsSync(lcovPath))
    throw new CoverageError(
      "NO_REPORT",
      `no ${lcovPath}: run \`npm run coverage\` (hardhat test --coverage)`,
    );
  const files = parseLcov(readFileSync(lcovPath, "utf8"));
  console.log(formatReport(files));
  const lines = Number(linesPct(files).toFixed(2));
  recordBenchmarks(
    "Coverage",
    { "coverage.lines": lines },
    {
      description:
        "Contract line coverage by Hardhat 3's `hardhat test --coverage` (`npm run coverage`, " +
        "hardhat.coverage.config.ts) over contracts/ (test-helpers and mocks not instrumented), from the " +
        "Solidity tests and the contract-facing TypeScript tests (relayer-process, CLI and model-generator " +
        "tests left out by name).",
      targets: { "coverage.lines": { min: LINES_TARGET } },
    },
  );
  return lines >= LINES_TARGET ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (e: unknown) {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exitCode = 1;
  }
}
