/**
 * The one writer of docs/benchmarks.json (flat: metric name -> number) and docs/benchmarks.md.
 * Every benchmark calls `recordBenchmarks`; figures are never edited by hand.
 */
import { execSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync, openSync, closeSync, unlinkSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const jsonPath = path.join(root, "docs/benchmarks.json");
const mdPath = path.join(root, "docs/benchmarks.md");
const notesPath = path.join(root, "docs/benchmarks.notes.json");
const lockPath = path.join(root, "docs/.benchmarks.lock");

/**
 * Runs `fn` holding an exclusive lock file, so benchmark scripts run in parallel (scripts/bench/index.ts) do
 * not lose each other's figures in the read-merge-write of benchmarks.json. A lock older than 60 s is stale.
 */
function withLock<T>(fn: () => T): T {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      closeSync(openSync(lockPath, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > 60_000) unlinkSync(lockPath);
      } catch {
        /* released meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`benchmark lock ${lockPath} held for 30 s`, { cause: err });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lockPath);
  }
}

export type Figures = Record<string, number>;

/** A target a figure is held to: `max` (≤) or `min` (≥). */
export interface Target {
  readonly max?: number;
  readonly min?: number;
}

export interface BenchmarkNote {
  /** What the section measures and how, in a sentence or two. */
  readonly description: string;
  /** Targets by metric name, shown beside the figure. */
  readonly targets?: Record<string, Target>;
}

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : fallback;
}

function sorted<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b)));
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "?";
  }
}

/** This machine, Node and the package versions the figures depend on, and the commit. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  let commit = "uncommitted";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim();
  } catch {
    /* not a checkout */
  }
  const versions = ["hardhat", "ethers", "onnxruntime-node", "solc"]
    .map((n) => `${n} ${packageVersion(n)}`)
    .join(", ");
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${versions}, commit ${commit}`;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return n.toLocaleString("en-US", { maximumFractionDigits: 4 });
}

function verdict(value: number, target: Target | undefined): string {
  if (!target) return "";
  const parts: string[] = [];
  if (target.max !== undefined) parts.push(`≤ ${formatNumber(target.max)}`);
  if (target.min !== undefined) parts.push(`≥ ${formatNumber(target.min)}`);
  const ok =
    (target.max === undefined || value <= target.max) && (target.min === undefined || value >= target.min);
  return `${parts.join(", ")} ${ok ? "✅" : "❌"}`;
}

/**
 * Merges `figures` into docs/benchmarks.json under `section` and rewrites docs/benchmarks.md.
 * Keys keep the names the issues give; a key measured again replaces its old figure.
 */
export function recordBenchmarks(section: string, figures: Figures, note: BenchmarkNote): void {
  for (const [key, value] of Object.entries(figures)) {
    if (!Number.isFinite(value)) throw new Error(`benchmark ${key} is not a finite number: ${value}`);
  }
  withLock(() => record(section, figures, note));
}

/** The recorded figures (docs/benchmarks.json), for reports that put them beside other numbers. */
export function readBenchmarks(): Figures {
  return readJson<Figures>(jsonPath, {});
}

/**
 * Rewrites docs/benchmarks.md from the recorded figures and notes (and docs/benchmarks.extra.md), without
 * recording anything: the last step of `npm run bench`, after the extra page has been regenerated.
 */
export function rewriteMarkdown(preamble: readonly string[] = []): void {
  withLock(() => {
    writeMarkdown(
      sorted(readJson<Figures>(jsonPath, {})),
      readJson<Record<string, BenchmarkNote & { keys: string[]; machine: string; at: string }>>(
        notesPath,
        {},
      ),
      preamble,
    );
  });
}

function record(section: string, figures: Figures, note: BenchmarkNote): void {
  const all = readJson<Figures>(jsonPath, {});
  Object.assign(all, figures);
  writeFileSync(jsonPath, JSON.stringify(sorted(all), null, 2) + "\n");

  const notes = readJson<Record<string, BenchmarkNote & { keys: string[]; machine: string; at: string }>>(
    notesPath,
    {},
  );
  const previous = notes[section]?.keys ?? [];
  notes[section] = {
    ...note,
    keys: [...new Set([...previous, ...Object.keys(figures)])].sort(),
    machine: machine(),
    at: new Date().toISOString(),
  };
  writeFileSync(notesPath, JSON.stringify(sorted(notes), null, 2) + "\n");
  writeMarkdown(sorted(all), notes);
}

function writeMarkdown(
  all: Figures,
  notes: Record<string, BenchmarkNote & { keys: string[]; machine: string; at: string }>,
  preamble: readonly string[] = [],
): void {
  const lines: string[] = [
    "# Benchmarks",
    "",
    "Written by the benchmark scripts (`npm run bench`); never edited by hand. The flat figures are in",
    "[benchmarks.json](benchmarks.json). Gas figures are receipt `gasUsed` (21,000 intrinsic gas included)",
    "on Hardhat's EDR, unless a section says otherwise.",
    "",
    ...preamble,
  ];
  const extra = path.join(root, "docs/benchmarks.extra.md");
  for (const [section, note] of Object.entries(notes)) {
    lines.push(`## ${section}`, "", note.description, "", `Measured on ${note.machine}, ${note.at}.`, "");
    lines.push("| metric | value | target |", "|---|---:|---|");
    for (const key of note.keys) {
      const value = all[key];
      if (value === undefined) continue;
      lines.push(`| \`${key}\` | ${formatNumber(value)} | ${verdict(value, note.targets?.[key])} |`);
    }
    lines.push("");
  }
  if (existsSync(extra)) lines.push(readFileSync(extra, "utf8"));
  writeFileSync(mdPath, lines.join("\n"));
}
