/**
 * `npx tsx scripts/coverage.ts [--keep] [--print-only]`: contract coverage with Hardhat 3's
 * `hardhat test --coverage`, recorded as benchmarks `coverage.lines`, `coverage.statements` and
 * `coverage.branches`.
 *
 * Why an isolated copy: a coverage build writes *instrumented* contracts into the same `artifacts/` a normal
 * build uses (Hardhat 3.18 keeps one artifacts path), which would change every gas figure measured in this
 * checkout until the next clean build. So the tree (without node_modules, artifacts, cache) is copied to a
 * temporary folder with node_modules linked in, and the run happens there; only `coverage/` (lcov.info, the
 * HTML report, the statement hits in data/) comes back into `./coverage/` (git-ignored).
 *
 * What is measured: every contract under contracts/ except contracts/test-helpers/** and any mocks/** folder
 * (excluded from instrumentation through a generated config that adds `coverage.skipFiles`), over the
 * Solidity tests and the TypeScript tests that drive contracts (the relayer process tests, the CLI and the
 * model generator tests are left out: they do not reach contract code that the others miss, and take long; so is
 * coverage-branches.test.ts, which reaches no contract).
 * Fuzz and invariant budgets are lowered unless set (VERDICT_FUZZ_RUNS=32, VERDICT_INVARIANT_RUNS=8,
 * VERDICT_INVARIANT_DEPTH=40) because instrumentation makes each call several times dearer.
 *
 * Branches: Hardhat 3's coverage (EDR) reports statements and lines only — its lcov writer has the BRDA
 * lines commented out ("EDR does not provide branch coverage information"). Its instrumentation is per
 * statement, though (statements, blocks and `if` bodies each carry a tag), and the run leaves the executed
 * tags in coverage/data/<run>/*.json (a set: counts are per collection, not per execution). So
 * `coverage.branches` is derived ({deriveBranches}): the tags are re-created offline with EDR's
 * `addStatementCoverageInstrumentation` (same source name `project/<path>`, same solc version: the tags are
 * deterministic), the branch points come from solc's AST (`stopAfter: "parsing"`), and a side is taken when a
 * statement that only runs on that side ran.
 *
 * Branch probes: so that every side owns a tagged statement, the copy's measured sources (never the checkout's)
 * are rewritten before instrumentation ({addBranchProbes}; each insertion stays on its line, so line numbers
 * and Hardhat's line figure are unchanged):
 *  - `if (c) body` without else gets ` else {}`: the false side is taken iff that empty block's tag was hit;
 *  - `for (init; c; post) body` / `while (c) body` with a side-effect-free `c` (reads, comparisons,
 *    arithmetic, indexing, elementary conversions; no call, assignment or ++) becomes
 *    `{ init; if (c) {} else {} for (; c; post) body }`: `c` is evaluated once more, right where the loop
 *    first evaluates it and with the same state, so a revert there is the one the loop would hit; enter iff
 *    the probe's true block ran, skip iff its else ran. `for (;;)` has no skip side;
 *  - `c ? a : b` with a side-effect-free `c`, evaluated unconditionally by a statement directly in a block
 *    (return, declaration, `x = …`, `if (…)`, emit, revert, call arguments but not require/assert) whose
 *    other parts cannot revert or change state, gets `if (c) {} else {} ` before that statement;
 *  - an empty `try`/`catch` block gets an empty block inside it.
 * The derivation re-creates the same rewrite from the original sources (coverage/branch-probes.json marks
 * a run made with it) and leaves the added statements out of the statement figure, which is therefore
 * computed here (same formula as Hardhat's: executed / instrumented statements of the measured files).
 * Where no probe applies the older rules hold: `if` false taken iff the `if` ran and its body did not, or
 * the body always leaves and the next statement ran; a loop skipped iff it ran and its body never did; a run
 * `?:` counts one side taken and the other undetermined; `try` clauses by their blocks.
 * A side no hit can prove is undetermined and counted as missed, so the figure is a lower bound (the report
 * also prints the upper bound and each open side, `?` marking undetermined ones). `&&`/`||` are not counted.
 * The run's coverage/data comes back into ./coverage so `--print-only` re-derives branches (valid while the
 * sources are unchanged).
 * viaIR: instrumentation works with `viaIR: true` (our config); no change is needed.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
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
export const BRANCHES_TARGET = 90;
/** The compiler version Hardhat instruments for (hardhat.config.ts). */
const SOLC_VERSION = "0.8.30";

/** Files never instrumented: test scaffolding, not protocol code. */
export const SKIP_GLOBS = ["contracts/test-helpers/**", "contracts/**/mocks/**"];

/** TypeScript tests that do not reach contracts, or spawn processes outside the instrumented build. */
const SKIPPED_TESTS = /^(relayer-.*|cli|models|coverage-branches)\.test\.ts$/;

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
  /** Branch sides derived from the statement hits ({deriveBranches}); empty without the run's data. */
  readonly branches: readonly FileBranches[];
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

function summarise(
  files: readonly FileCoverage[],
  statementsPct: number,
  branches: readonly FileBranches[],
): CoverageResult {
  const found = files.reduce((s, f) => s + f.linesFound, 0);
  const hit = files.reduce((s, f) => s + f.linesHit, 0);
  // The contract's own statements (a probe rewrite's additions left out) when the hits are at hand; Hardhat's
  // printed total counts the probes' empty blocks too.
  const own = branches.reduce((s, b) => s + (b.statementsFound ?? 0), 0);
  const ownHit = branches.reduce((s, b) => s + (b.statementsHit ?? 0), 0);
  const stmts = own > 0 ? (ownHit * 100) / own : statementsPct;
  return { files, linesPct: found === 0 ? 0 : (hit * 100) / found, statementsPct: stmts, branches };
}

/** Marks a coverage/ whose run was instrumented from the {addBranchProbes} rewrite (`--print-only` reads it). */
const PROBES_MARKER = "branch-probes.json";
const PROBES_VERSION = 1;

/** Branches of the measured files, from their original `sources` and the hits in `coverageDir`. */
async function branchesOf(
  files: readonly FileCoverage[],
  read: (file: string) => string,
  coverageDir: string,
): Promise<FileBranches[]> {
  const tags = readHitTags(coverageDir);
  if (tags.size === 0) return [];
  const marker = path.join(coverageDir, PROBES_MARKER);
  const probed =
    existsSync(marker) &&
    (JSON.parse(readFileSync(marker, "utf8")) as { version?: number }).version === PROBES_VERSION;
  return branchCoverage(Object.fromEntries(files.map((f) => [f.file, read(f.file)])), tags, probed);
}

/** Measured .sol files under `dir`/contracts, as project-relative paths. */
function measuredSources(dir: string): string[] {
  const out: string[] = [];
  (function walk(rel: string): void {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(".sol") && measured(r)) out.push(r);
    }
  })("contracts");
  return out.sort();
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
    // Branch probes ({addBranchProbes}) go into the copy's measured sources only; the originals are kept for
    // the derivation, which re-creates the same rewrite.
    const originals: Record<string, string> = {};
    for (const f of measuredSources(work)) originals[f] = readFileSync(path.join(work, f), "utf8");
    for (const [f, p] of Object.entries(await probeSources(originals)))
      writeFileSync(path.join(work, f), p.source);
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
    rmSync(path.join(dest, "data"), { recursive: true, force: true });
    // The statement hits (coverage/data) come back too: `--print-only` re-derives branches from them.
    cpSync(path.join(work, "coverage"), dest, { recursive: true });
    writeFileSync(path.join(dest, PROBES_MARKER), JSON.stringify({ version: PROBES_VERSION }) + "\n");
    const files = parseLcov(readFileSync(lcovPath, "utf8"));
    const read = (f: string): string => originals[f] ?? readFileSync(path.join(root, f), "utf8");
    return summarise(files, parseTotalStatements(stdout), await branchesOf(files, read, dest));
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

/** Reads an existing ./coverage/lcov.info (from an earlier run) without running anything. */
export async function readExisting(): Promise<CoverageResult> {
  const lcovPath = path.join(root, "coverage", "lcov.info");
  if (!existsSync(lcovPath)) throw new CoverageError("NO_REPORT", `no ${lcovPath}: run without --print-only`);
  const files = parseLcov(readFileSync(lcovPath, "utf8"));
  const read = (f: string): string => readFileSync(path.join(root, f), "utf8");
  return summarise(files, Number.NaN, await branchesOf(files, read, path.join(root, "coverage")));
}

export function formatReport(r: CoverageResult): string {
  const rows = r.files.map((f) => {
    const pct = f.linesFound === 0 ? 100 : (f.linesHit * 100) / f.linesFound;
    const miss = f.uncovered.length === 0 ? "" : `uncovered lines ${f.uncovered.join(",")}`;
    const br = r.branches.find((b) => b.file === f.file);
    let brText = "";
    if (br) {
      const s = summariseBranches([br]);
      brText = `${s.pct.toFixed(2).padStart(7)}% br`;
      const open = br.sides.filter((x) => x.status !== "taken");
      if (open.length > 0) {
        const list = open.map((x) => `${x.line}${x.status === "undetermined" ? "?" : ""}:${x.side}`);
        brText += `  branches ${list.join(",")}`;
      }
    }
    return `${f.file.padEnd(44)} ${pct.toFixed(2).padStart(7)}%  ${brText}${miss ? "  " + miss : ""}`;
  });
  const b = summariseBranches(r.branches);
  const uncoveredFiles = r.files.filter((f) => f.uncovered.length > 0).map((f) => f.file);
  return [
    ...rows,
    "",
    `files with uncovered lines: ${uncoveredFiles.length === 0 ? "none" : uncoveredFiles.join(", ")}`,
    `lines      ${r.linesPct.toFixed(2)}% (target ≥ ${LINES_TARGET})`,
    `statements ${Number.isNaN(r.statementsPct) ? "n/a" : r.statementsPct.toFixed(2) + "%"} (target ≥ ${STATEMENTS_TARGET})`,
    r.branches.length === 0
      ? "branches   n/a (no statement hits: run without --print-only)"
      : `branches   ${b.pct.toFixed(2)}% (target ≥ ${BRANCHES_TARGET}; ${b.taken}/${b.found} sides proven taken, ` +
        `${b.undetermined} undetermined counted as missed ("?" above); upper bound ` +
        `${(((b.taken + b.undetermined) * 100) / Math.max(b.found, 1)).toFixed(2)}%)`,
  ].join("\n");
}

// ================================================================ branches

/** One instrumented statement of EDR's coverage: a UTF-16 range of the source and whether it ran. */
export interface Statement {
  readonly start: number;
  readonly end: number;
  readonly hit: boolean;
}

/** A solc AST node, as much of it as the branch derivation reads. */
export interface AstNode {
  readonly nodeType: string;
  readonly src: string;
  readonly [key: string]: unknown;
}

export type BranchKind = "if" | "ternary" | "loop" | "try";

/** One side of a branch point and what the statement hits prove about it. */
export interface BranchSide {
  readonly line: number;
  readonly kind: BranchKind;
  /** "true"/"false" (if, ternary), "enter"/"skip" (loop), "success"/"catch#n" (try). */
  readonly side: string;
  /** taken: a hit proves it ran; missed: nothing ran there; undetermined: hits cannot tell (counted missed). */
  readonly status: "taken" | "missed" | "undetermined";
}

export interface FileBranches {
  readonly file: string;
  readonly sides: readonly BranchSide[];
  /** The contract's own statements (those a probe rewrite added left out) and how many ran. */
  readonly statementsFound?: number;
  readonly statementsHit?: number;
}

const isNode = (v: unknown): v is AstNode =>
  typeof v === "object" && v !== null && typeof (v as { nodeType?: unknown }).nodeType === "string";

/** Byte offset → UTF-16 index (solc's `src` counts UTF-8 bytes, EDR's ranges UTF-16 units). */
function byteToUtf16(source: string): (byte: number) => number {
  const map: number[] = [];
  let units = 0;
  for (const ch of source) {
    const bytes = Buffer.byteLength(ch, "utf8");
    for (let i = 0; i < bytes; i++) map.push(units);
    units += ch.length;
  }
  map.push(units);
  return (byte) => map[byte] ?? units;
}

/** The first code character at or after `i` (before `end`): EDR's ranges start at the whitespace or comments. */
function codeStart(source: string, i: number, end: number): number {
  while (i < end) {
    if (/\s/.test(source[i] ?? "")) i++;
    else if (source.startsWith("//", i)) {
      const nl = source.indexOf("\n", i);
      i = nl < 0 ? end : nl + 1;
    } else if (source.startsWith("/*", i)) {
      const close = source.indexOf("*/", i + 2);
      i = close < 0 ? end : close + 2;
    } else break;
  }
  return Math.min(i, end);
}

/**
 * Derives branch coverage from statement coverage. Branch points come from the solc AST; each side is decided
 * by the EDR statements (matched by where the statement's code starts, past whitespace and comments) that ran:
 *  - `if`: true taken iff its body ran; false taken iff the else body ran, or (no else) iff the `if` ran and
 *    its body did not, or the body always leaves (revert/return/break/continue) and the next statement ran.
 *    An `if` without else whose body falls through and ran leaves the false side undetermined.
 *  - `c ? a : b`: expressions are not statements, so a side is never proven; when the enclosing statement
 *    ran, one side (unknown which) ran: counted as one side taken, the other undetermined.
 *  - `for`/`while`: enter taken iff the body ran; skip taken iff the loop ran and the body never did, else
 *    undetermined when both ran.
 *  - `try`: each clause (success, every catch) taken iff its block ran.
 * `&&`/`||` short-circuits are not counted (no statement marks them). Undetermined sides count as missed, so
 * the figure is a lower bound.
 */
export function deriveBranches(
  source: string,
  ast: AstNode,
  statements: readonly Statement[],
  probes: ReadonlyMap<number, number> = new Map(),
): BranchSide[] {
  const toUtf16 = byteToUtf16(source);
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (u: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= u) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  // Statements keyed by the first non-blank character of their range (EDR ranges start at the whitespace).
  const byStart = new Map<number, Statement>();
  for (const s of statements) {
    const i = codeStart(source, s.start, s.end);
    const prev = byStart.get(i);
    if (!prev || s.end - s.start > prev.end - prev.start) byStart.set(i, s);
  }
  const startOf = (n: AstNode): number => toUtf16(Number(n.src.split(":")[0]));
  const parents = new Map<AstNode, AstNode>();
  const all: AstNode[] = [];
  (function walk(n: AstNode): void {
    all.push(n);
    for (const v of Object.values(n)) {
      const kids = Array.isArray(v) ? v : [v];
      for (const k of kids) {
        if (isNode(k)) {
          parents.set(k, n);
          walk(k);
        }
      }
    }
  })(ast);

  /** Whether `n` ran: its own statement, else (a block) its first statement; undefined if unknowable. */
  const ran = (n: AstNode | undefined): boolean | undefined => {
    if (!n) return undefined;
    const s = byStart.get(startOf(n));
    if (s) return s.hit;
    const inner = n.statements;
    if (Array.isArray(inner) && inner.length > 0 && isNode(inner[0])) return ran(inner[0]);
    return undefined;
  };
  const terminates = (n: AstNode | undefined): boolean => {
    if (!n) return false;
    switch (n.nodeType) {
      case "RevertStatement":
      case "Return":
      case "Break":
      case "Continue":
        return true;
      case "Block":
      case "UncheckedBlock": {
        const list = Array.isArray(n.statements) ? n.statements.filter(isNode) : [];
        return terminates(list[list.length - 1]);
      }
      case "IfStatement":
        return isNode(n.falseBody) && terminates(n.trueBody as AstNode) && terminates(n.falseBody);
      case "ExpressionStatement": {
        const e = n.expression;
        return (
          isNode(e) && e.nodeType === "FunctionCall" && isNode(e.expression) && e.expression.name === "revert"
        );
      }
      default:
        return false;
    }
  };
  /** The statement that runs after `n` completes normally, if it is a later sibling (through else-if chains). */
  const nextAfter = (n: AstNode): AstNode | undefined => {
    const p = parents.get(n);
    if (!p) return undefined;
    if (p.nodeType === "IfStatement") return nextAfter(p);
    if (p.nodeType === "Block" || p.nodeType === "UncheckedBlock") {
      const list = Array.isArray(p.statements) ? p.statements.filter(isNode) : [];
      const i = list.indexOf(n);
      if (i >= 0 && i + 1 < list.length) return list[i + 1];
      const gp = parents.get(p);
      if (gp && (gp.nodeType === "Block" || gp.nodeType === "UncheckedBlock")) return nextAfter(p);
    }
    return undefined;
  };
  const enclosingStatement = (n: AstNode): AstNode | undefined => {
    let p = parents.get(n);
    while (p && !byStart.has(startOf(p))) p = parents.get(p);
    return p;
  };
  const status = (b: boolean | undefined): BranchSide["status"] =>
    b === undefined ? "undetermined" : b ? "taken" : "missed";

  const byteStart = (n: AstNode): number => Number(n.src.split(":")[0]);
  const probeStarts = new Set(probes.values());
  const ifAt = new Map<number, AstNode>();
  for (const n of all) if (n.nodeType === "IfStatement") ifAt.set(byteStart(n), n);
  /** The sides of the probe `if (cond) {} else {}` of a loop or `?:` ({addBranchProbes}), if it has one. */
  const probed = (n: AstNode): [boolean | undefined, boolean | undefined] | undefined => {
    const at = probes.get(byteStart(n));
    const p = at === undefined ? undefined : ifAt.get(at);
    if (!p) return undefined;
    const self = ran(p);
    if (self === false) return [false, false];
    return [ran(p.trueBody as AstNode), isNode(p.falseBody) ? ran(p.falseBody) : undefined];
  };

  const out: BranchSide[] = [];
  for (const n of all) {
    const line = lineOf(startOf(n));
    const probe = /^(Conditional|ForStatement|WhileStatement)$/.test(n.nodeType) ? probed(n) : undefined;
    if (n.nodeType === "IfStatement" && probeStarts.has(byteStart(n))) {
      continue; // a probe added by the rewrite: its sides belong to the loop or `?:` it decides
    } else if (probe && n.nodeType === "Conditional") {
      out.push({ line, kind: "ternary", side: "true", status: status(probe[0]) });
      out.push({ line, kind: "ternary", side: "false", status: status(probe[1]) });
    } else if (probe) {
      out.push({ line, kind: "loop", side: "enter", status: status(probe[0]) });
      out.push({ line, kind: "loop", side: "skip", status: status(probe[1]) });
    } else if (n.nodeType === "IfStatement") {
      const self = ran(n);
      const t = ran(n.trueBody as AstNode);
      let f: boolean | undefined;
      if (isNode(n.falseBody)) f = ran(n.falseBody);
      else if (self === false) f = false;
      else if (t === false && self === true) f = true;
      else if (terminates(n.trueBody as AstNode)) {
        const next = nextAfter(n);
        f = next ? ran(next) : undefined;
      } else f = undefined;
      if (self === false) f = false;
      out.push({ line, kind: "if", side: "true", status: status(t) });
      out.push({ line, kind: "if", side: "false", status: status(f) });
    } else if (n.nodeType === "Conditional") {
      const s = enclosingStatement(n);
      const r = s ? ran(s) : undefined;
      out.push({ line, kind: "ternary", side: "true", status: r === true ? "taken" : status(r) });
      out.push({ line, kind: "ternary", side: "false", status: r === false ? "missed" : "undetermined" });
    } else if (n.nodeType === "ForStatement" || n.nodeType === "WhileStatement") {
      const self = ran(n);
      const body = ran(n.body as AstNode);
      out.push({ line, kind: "loop", side: "enter", status: status(self === false ? false : body) });
      if (n.nodeType === "ForStatement" && !isNode(n.condition)) continue; // `for (;;)`: never skipped
      const skip = self === false ? false : self === true && body === false ? true : undefined;
      out.push({ line, kind: "loop", side: "skip", status: status(skip) });
    } else if (n.nodeType === "TryStatement") {
      const clauses = Array.isArray(n.clauses) ? n.clauses.filter(isNode) : [];
      const self = ran(n);
      clauses.forEach((c, i) => {
        const block = isNode(c.block) ? c.block : undefined;
        let r = ran(block);
        if (self === false) r = false;
        out.push({ line, kind: "try", side: i === 0 ? "success" : `catch#${i}`, status: status(r) });
      });
    }
  }
  return out;
}

// ================================================================ branch probes (the temporary copy only)

/** A byte range [start, end) of a rewritten source. */
export type ByteRange = readonly [number, number];

/** A source with branch probes added ({addBranchProbes}). */
export interface ProbedSource {
  readonly source: string;
  /** Byte ranges of the rewritten source that the rewrite added: statements starting there are not the contract's. */
  readonly inserted: readonly ByteRange[];
  /** Rewritten byte start of a loop or `?:` node → rewritten byte start of the probe `if (cond) {} else {}`. */
  readonly probes: ReadonlyMap<number, number>;
}

interface Edit {
  readonly pos: number;
  readonly del: number;
  readonly text: string;
  /** 0: closes something that ends at pos (deepest first); 1: opens before a node at pos (outermost first). */
  readonly group: 0 | 1;
  readonly depth: number;
  /** For a probe: the original byte start of its loop / `?:`, and where `if` starts within `text`. */
  readonly probe?: { readonly target: number; readonly at: number };
}

const srcRange = (n: AstNode): [number, number] => {
  const [s, l] = n.src.split(":").map(Number);
  return [s ?? 0, (s ?? 0) + (l ?? 0)];
};

/**
 * Whether evaluating `e` an extra time, just before the statement that evaluates it, changes nothing: no call
 * (elementary conversions like `bytes32(x)` aside), assignment, `++`/`--`/`delete`, `new`. (It may still revert, e.g. on an out-of-range index, but then it reverts
 * at the same point with the same state, as the original would.)
 */
export function sideEffectFree(e: unknown): boolean {
  if (!isNode(e)) return false;
  switch (e.nodeType) {
    case "Identifier":
    case "Literal":
    case "ElementaryTypeNameExpression":
      return true;
    case "MemberAccess":
      return sideEffectFree(e.expression);
    case "IndexAccess":
      return (
        sideEffectFree(e.baseExpression) && (e.indexExpression == null || sideEffectFree(e.indexExpression))
      );
    case "UnaryOperation":
      return (
        (e.operator === "!" || e.operator === "-" || e.operator === "~") && sideEffectFree(e.subExpression)
      );
    case "BinaryOperation":
      return sideEffectFree(e.leftExpression) && sideEffectFree(e.rightExpression);
    case "TupleExpression": {
      const c = Array.isArray(e.components) ? e.components : [];
      return c.length === 1 && !e.isInlineArray && sideEffectFree(c[0]);
    }
    case "FunctionCall": {
      // An elementary conversion such as `bytes32(0)` or `uint8(x)`: no call happens.
      const args = Array.isArray(e.arguments) ? e.arguments : [];
      return (
        isNode(e.expression) &&
        e.expression.nodeType === "ElementaryTypeNameExpression" &&
        args.length === 1 &&
        sideEffectFree(args[0])
      );
    }
    default:
      return false;
  }
}

/** Whether `e` can neither revert nor change anything: identifiers, literals, member reads and comparisons. */
function inert(e: unknown): boolean {
  if (!isNode(e)) return false;
  switch (e.nodeType) {
    case "Identifier":
    case "Literal":
      return true;
    case "MemberAccess":
      return inert(e.expression);
    case "UnaryOperation":
      return e.operator === "!" && inert(e.subExpression);
    case "BinaryOperation":
      return (
        ["==", "!=", "<", "<=", ">", ">="].includes(String(e.operator)) &&
        inert(e.leftExpression) &&
        inert(e.rightExpression)
      );
    case "TupleExpression": {
      const c = Array.isArray(e.components) ? e.components : [];
      return c.length === 1 && inert(c[0]);
    }
    default:
      return false;
  }
}

/**
 * Rewrites a source so that EDR's per-statement tags decide branch sides (used on the temporary coverage copy
 * only; the real build never sees it). Every insertion stays on the line it starts on, so line numbers hold.
 *  - `if` without else: ` else {}` right after the true body (after its `;` for a one-statement body); the
 *    empty block is a statement EDR tags, so the false side is taken iff that tag was hit.
 *  - `for (init; cond; post) body` / `while (cond) body` with a side-effect-free `cond` ({sideEffectFree}):
 *    `{ init; if (cond) {} else {} for (; cond; post) body }`. `cond` is evaluated once more, right where the
 *    loop evaluates it first, with the same state: enter iff the probe's true block ran, skip iff its else ran.
 *  - `c ? a : b` evaluated unconditionally by a statement in a block (return, declaration, `x = …`, `if (…)`,
 *    emit, revert, call arguments) whose other parts are inert ({inert}: cannot revert or change state) and
 *    with a side-effect-free `c`: `if (c) {} else {} ` before the statement, which decides both sides.
 *  - an empty `try`/`catch` block gets an empty block inside, so it is tagged.
 * A construct that would need a line break moved (a multi-line header or condition with comments) is left as
 * it is; its sides stay as {deriveBranches} can prove them.
 */
export function addBranchProbes(source: string, ast: AstNode): ProbedSource {
  const bytes = Buffer.from(source, "utf8");
  const text = (s: number, e: number): string => bytes.subarray(s, e).toString("utf8");
  const oneLine = (s: number, e: number): string | undefined => {
    const t = text(s, e);
    if (t.includes("//") || t.includes("/*")) return undefined;
    return t.replace(/\s+/g, " ");
  };
  const sameLine = (s: number, e: number): boolean => !text(s, e).includes("\n");
  /** The end of a statement node, including its `;` when solc's range leaves it out. */
  const stmtEnd = (n: AstNode): number => {
    let e = srcRange(n)[1];
    if (bytes[e - 1] === 0x7d /* } */ || bytes[e - 1] === 0x3b /* ; */) return e;
    let i = e;
    while (i < bytes.length && /\s/.test(String.fromCharCode(bytes[i] ?? 0))) i++;
    if (bytes[i] === 0x3b) e = i + 1;
    return e;
  };
  const parents = new Map<AstNode, AstNode>();
  const depthOf = new Map<AstNode, number>();
  const all: AstNode[] = [];
  (function walk(n: AstNode, d: number): void {
    all.push(n);
    depthOf.set(n, d);
    for (const v of Object.values(n)) {
      for (const k of Array.isArray(v) ? v : [v]) {
        if (isNode(k)) {
          parents.set(k, n);
          walk(k, d + 1);
        }
      }
    }
  })(ast, 0);
  const inBlock = (n: AstNode): boolean => {
    const p = parents.get(n);
    return p !== undefined && (p.nodeType === "Block" || p.nodeType === "UncheckedBlock");
  };

  const edits: Edit[] = [];
  for (const n of all) {
    const depth = depthOf.get(n) ?? 0;
    const [start] = srcRange(n);
    if (n.nodeType === "IfStatement" && !isNode(n.falseBody) && isNode(n.trueBody)) {
      edits.push({ pos: stmtEnd(n.trueBody), del: 0, text: " else {}", group: 0, depth });
    } else if (n.nodeType === "TryCatchClause" && isNode(n.block)) {
      const list = Array.isArray(n.block.statements) ? n.block.statements : [];
      if (list.length === 0)
        edits.push({ pos: srcRange(n.block)[0] + 1, del: 0, text: " {}", group: 1, depth });
    } else if (n.nodeType === "ForStatement" || n.nodeType === "WhileStatement") {
      const cond = n.condition;
      if (!isNode(cond) || !sideEffectFree(cond)) continue;
      const condText = oneLine(...srcRange(cond));
      if (condText === undefined) continue;
      let initText = "";
      const init = n.nodeType === "ForStatement" ? n.initializationExpression : undefined;
      if (isNode(init)) {
        const [is, ie] = srcRange(init);
        let semi = ie;
        while (semi < bytes.length && bytes[semi] !== 0x3b) semi++;
        if (!sameLine(start, semi)) continue;
        initText = text(is, ie) + "; ";
        edits.push({ pos: is, del: semi - is, text: "", group: 1, depth });
      }
      const prefix = `{ ${initText}if (${condText}) {} else {} `;
      edits.push({
        pos: start,
        del: 0,
        text: prefix,
        group: 1,
        depth,
        probe: { target: start, at: prefix.indexOf("if (") },
      });
      edits.push({ pos: stmtEnd(n), del: 0, text: " }", group: 0, depth });
    } else if (n.nodeType === "Conditional" && sideEffectFree(n.condition)) {
      // Walk up to the statement: every step must evaluate the `?:` unconditionally, next to inert parts only.
      let child: AstNode = n;
      let p = parents.get(n);
      let ok = true;
      while (p && ok && !/Statement$|^Return$/.test(p.nodeType)) {
        const siblings = Object.entries(p)
          .filter(([k]) => k !== "typeDescriptions")
          .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
          .filter((k): k is AstNode => isNode(k) && k !== child);
        switch (p.nodeType) {
          case "BinaryOperation":
            ok = p.operator !== "&&" && p.operator !== "||" && siblings.every(inert);
            break;
          case "TupleExpression":
            ok = siblings.length === 0;
            break;
          case "FunctionCall":
            // require/assert may evaluate their message lazily: not unconditional.
            ok =
              !(isNode(p.expression) && ["require", "assert"].includes(String(p.expression.name))) &&
              siblings.every((s) => inert(s) || s.nodeType === "ElementaryTypeNameExpression");
            break;
          case "Assignment":
            ok = p.operator === "=" && child === p.rightHandSide && siblings.every(inert);
            break;
          default:
            ok = false;
        }
        child = p;
        p = parents.get(p);
      }
      if (!ok || !p || !inBlock(p)) continue;
      const okStatement =
        (p.nodeType === "Return" && child === p.expression) ||
        (p.nodeType === "VariableDeclarationStatement" && child === p.initialValue) ||
        (p.nodeType === "ExpressionStatement" && child === p.expression) ||
        (p.nodeType === "IfStatement" && child === p.condition) ||
        (p.nodeType === "EmitStatement" && child === p.eventCall) ||
        (p.nodeType === "RevertStatement" && child === p.errorCall);
      if (!okStatement) continue;
      const condText = oneLine(...srcRange(n.condition as AstNode));
      if (condText === undefined) continue;
      const [ps] = srcRange(p);
      // Probes before one statement open in source order of their `?:` (depth ties broken by start below).
      edits.push({
        pos: ps,
        del: 0,
        text: `if (${condText}) {} else {} `,
        group: 1,
        depth: (depthOf.get(p) ?? 0) - 1e6 + start / 1e9,
        probe: { target: start, at: 0 },
      });
    }
  }
  edits.sort(
    (a, b) =>
      a.pos - b.pos ||
      a.group - b.group ||
      (a.group === 0 ? b.depth - a.depth : a.depth - b.depth) ||
      b.del - a.del,
  );
  const parts: Buffer[] = [];
  const inserted: [number, number][] = [];
  const shifts: { pos: number; group: 0 | 1; delta: number }[] = [];
  const probeAt = new Map<number, number>(); // original target start → rewritten probe start
  let cursor = 0;
  let outLen = 0;
  for (const e of edits) {
    if (e.pos < cursor) throw new CoverageError("NO_REPORT", `overlapping branch probes at byte ${e.pos}`);
    const keep = bytes.subarray(cursor, e.pos);
    parts.push(keep);
    outLen += keep.length;
    const add = Buffer.from(e.text, "utf8");
    if (add.length > 0) inserted.push([outLen, outLen + add.length]);
    if (e.probe) probeAt.set(e.probe.target, outLen + e.probe.at);
    parts.push(add);
    outLen += add.length;
    cursor = e.pos + e.del;
    shifts.push({ pos: e.pos, group: e.group, delta: add.length - e.del });
  }
  parts.push(bytes.subarray(cursor));
  /** Rewritten byte offset of the original node starting at `o` (openers at `o` come before it). */
  const map = (o: number): number =>
    o + shifts.filter((s) => s.pos < o || (s.pos === o && s.group === 1)).reduce((t, s) => t + s.delta, 0);
  const probes = new Map<number, number>();
  for (const [target, at] of probeAt) probes.set(map(target), at);
  return { source: Buffer.concat(parts).toString("utf8"), inserted, probes };
}

/** solc's parse (no imports resolved) of each source. */
async function parseAsts(sources: Readonly<Record<string, string>>): Promise<Record<string, AstNode>> {
  const solc = (await import("solc")).default;
  const input: Record<string, { content: string }> = {};
  for (const [f, content] of Object.entries(sources)) input[f] = { content };
  const out = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: input,
        settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
      }),
      { import: () => ({ error: "not needed when parsing" }) },
    ),
  ) as {
    sources?: Record<string, { ast: AstNode }>;
    errors?: { severity: string; formattedMessage: string }[];
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new CoverageError("NO_REPORT", errors.map((e) => e.formattedMessage).join("\n"));
  const asts: Record<string, AstNode> = {};
  for (const f of Object.keys(sources)) {
    const ast = out.sources?.[f]?.ast;
    if (!ast) throw new CoverageError("NO_REPORT", `solc gave no AST for ${f}`);
    asts[f] = ast;
  }
  return asts;
}

/** {addBranchProbes} over several files (the rewrite the coverage copy is instrumented from). */
export async function probeSources(
  sources: Readonly<Record<string, string>>,
): Promise<Record<string, ProbedSource>> {
  const asts = await parseAsts(sources);
  const out: Record<string, ProbedSource> = {};
  for (const [f, content] of Object.entries(sources)) out[f] = addBranchProbes(content, asts[f] as AstNode);
  return out;
}

/**
 * Branch coverage of the measured files from EDR statement hits (see {deriveBranches}). `sources` are the
 * original contents; with `probed` the run was instrumented from their {addBranchProbes} rewrite, which is
 * re-created here (it is deterministic), and the statements the rewrite added are left out of the statement
 * counts, so those stay the contract's own.
 */
export async function branchCoverage(
  sources: Readonly<Record<string, string>>,
  hitTags: ReadonlySet<string>,
  probed: boolean,
): Promise<FileBranches[]> {
  const { addStatementCoverageInstrumentation } = await import("@nomicfoundation/edr");
  const rewritten: Record<string, ProbedSource> = probed
    ? await probeSources(sources)
    : Object.fromEntries(
        Object.entries(sources).map(([f, source]) => [f, { source, inserted: [], probes: new Map() }]),
      );
  const asts = await parseAsts(Object.fromEntries(Object.entries(rewritten).map(([f, r]) => [f, r.source])));
  return Object.keys(sources).map((file) => {
    const { source, inserted, probes } = rewritten[file] as ProbedSource;
    // Same source name and version as Hardhat's instrumentation, so the statement tags match the run's.
    const { metadata } = addStatementCoverageInstrumentation(source, `project/${file}`, SOLC_VERSION);
    const toUtf16 = byteToUtf16(source);
    const added = inserted.map(([s, e]) => [toUtf16(s), toUtf16(e)] as const);
    const statements: Statement[] = [];
    let own = 0;
    let ownHit = 0;
    for (const m of metadata) {
      if (m.kind !== "statement") continue;
      const hit = hitTags.has(Buffer.from(m.tag).toString("hex"));
      statements.push({ start: m.startUtf16, end: m.endUtf16, hit });
      const i = codeStart(source, m.startUtf16, m.endUtf16);
      if (added.some(([s, e]) => i >= s && i < e)) continue;
      own++;
      if (hit) ownHit++;
    }
    const sides = deriveBranches(source, asts[file] as AstNode, statements, probes);
    return { file, sides, statementsFound: own, statementsHit: ownHit };
  });
}

/** Every statement tag a coverage run recorded as executed (Hardhat's coverage/data/<run>/*.json). */
export function readHitTags(coverageDir: string): Set<string> {
  const tags = new Set<string>();
  const dataDir = path.join(coverageDir, "data");
  if (!existsSync(dataDir)) return tags;
  for (const run of readdirSync(dataDir)) {
    for (const f of readdirSync(path.join(dataDir, run))) {
      if (!f.endsWith(".json")) continue;
      const entries = JSON.parse(readFileSync(path.join(dataDir, run, f), "utf8")) as Record<string, number>;
      for (const [tag, count] of Object.entries(entries)) if (count > 0) tags.add(tag);
    }
  }
  return tags;
}

export interface BranchSummary {
  readonly found: number;
  readonly taken: number;
  readonly undetermined: number;
  readonly pct: number;
}

export function summariseBranches(files: readonly FileBranches[]): BranchSummary {
  let found = 0;
  let taken = 0;
  let undetermined = 0;
  for (const f of files) {
    for (const s of f.sides) {
      found++;
      if (s.status === "taken") taken++;
      else if (s.status === "undetermined") undetermined++;
    }
  }
  return { found, taken, undetermined, pct: found === 0 ? 100 : (taken * 100) / found };
}

/** Records the figures (the benchmark recorder is imported lazily so parsing stays dependency-free). */
export async function recordCoverage(r: CoverageResult): Promise<void> {
  const { recordBenchmarks } = await import("./bench/record.js");
  const figures: Record<string, number> = { "coverage.lines": Number(r.linesPct.toFixed(2)) };
  if (!Number.isNaN(r.statementsPct)) figures["coverage.statements"] = Number(r.statementsPct.toFixed(2));
  if (r.branches.length > 0)
    figures["coverage.branches"] = Number(summariseBranches(r.branches).pct.toFixed(2));
  recordBenchmarks("Coverage", figures, {
    description:
      "Contract coverage by `hardhat test --coverage` over contracts/ (test-helpers and mocks excluded), " +
      "Solidity and contract-facing TypeScript tests (scripts/coverage.ts). Hardhat 3 (EDR) reports lines and " +
      "statements; branches are derived from the solc AST and EDR's per-statement hits, a lower bound " +
      "(undetermined sides count as missed; docs/threat-model.md).",
    targets: {
      "coverage.lines": { min: LINES_TARGET },
      "coverage.statements": { min: STATEMENTS_TARGET },
      "coverage.branches": { min: BRANCHES_TARGET },
    },
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const keep = argv.includes("--keep");
  const printOnly = argv.includes("--print-only");
  const unknown = argv.filter((a) => a !== "--keep" && a !== "--print-only");
  if (unknown.length > 0) throw new CoverageError("BAD_ARGUMENT", `unknown argument(s) ${unknown.join(" ")}`);
  const result = printOnly ? await readExisting() : await runCoverage({ keep });
  console.log(formatReport(result));
  if (!printOnly) await recordCoverage(result);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exitCode = 1;
  });
}
