/**
 * `npm run bench [-- --quick] [-- --no-build] [-- --jobs N] [-- --only a,b]`: runs every benchmark script, each
 * as `hardhat run --no-compile <script>` in a child process (after one `hardhat build`), two at a time by default
 * (record.ts locks benchmarks.json), then regenerates docs/benchmarks.extra.md (anchors.ts) and
 * docs/benchmarks.md. Exits non-zero if any present script fails; optional scripts that are not present yet
 * are reported as skipped.
 *
 * Quick mode reaches the scripts as VERDICT_BENCH_QUICK=1 (`hardhat run` does not forward argv); each script
 * decides what it cuts. Child output goes to .verdict/bench/logs/<name>.log; a failure prints its tail.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeExtra } from "./anchors.js";
import { machine, rewriteMarkdown } from "./record.js";
import { CodedError } from "../lib/errors.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const logDir = path.join(root, ".verdict/bench/logs");

interface Bench {
  readonly name: string;
  /** Optional: being written by others; absent = skipped, present = must pass. */
  readonly optional?: boolean;
}

/** Longest first, so two lanes finish close together. The relayer runs before anchors reads its latency file. */
export const BENCHES: readonly Bench[] = [
  { name: "staking" },
  { name: "scale" },
  { name: "concentration" },
  { name: "requests" },
  { name: "referee" },
  { name: "attacks" },
  { name: "disputes", optional: true },
  { name: "relayer", optional: true },
  { name: "faults", optional: true },
  { name: "rpcLimits" },
  { name: "explorer" },
];

export class BenchError extends CodedError<"BAD_ARGUMENT" | "BUILD_FAILED"> {}

export interface Options {
  quick: boolean;
  build: boolean;
  jobs: number;
  only?: readonly string[];
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { quick: false, build: true, jobs: Number(process.env.VERDICT_BENCH_JOBS ?? 2) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") o.quick = true;
    else if (a === "--no-build") o.build = false;
    else if (a === "--jobs") o.jobs = Number(argv[++i]);
    else if (a === "--only") o.only = (argv[++i] ?? "").split(",").filter(Boolean);
    else throw new BenchError("BAD_ARGUMENT", `unknown argument ${a}`);
  }
  if (!Number.isInteger(o.jobs) || o.jobs < 1)
    throw new BenchError("BAD_ARGUMENT", "--jobs takes a positive integer");
  const unknown = (o.only ?? []).filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) throw new BenchError("BAD_ARGUMENT", `unknown benchmark(s): ${unknown.join(", ")}`);
  return o;
}

/** `hardhat <args>` under this Node if it is new enough for Hardhat 3, else under Node 22 through npx. */
function hardhat(args: readonly string[]): { cmd: string; args: string[] } {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22)
    return {
      cmd: process.execPath,
      args: [path.join(root, "node_modules/hardhat/dist/src/cli.js"), ...args],
    };
  return { cmd: "npx", args: ["-y", "-p", "node@22", "--", "npx", "hardhat", ...args] };
}

function run(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; seconds: number; log: string }> {
  const log = path.join(logDir, `${name}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  const { cmd, args: full } = hardhat(args);
  return new Promise((resolve) => {
    const child = spawn(cmd, full, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const done = (code: number): void => {
      out.end(() => resolve({ code, seconds: (Date.now() - started) / 1000, log }));
    };
    child.on("error", (err) => {
      out.write(`spawn failed: ${err.message}\n`);
      done(127);
    });
    child.on("close", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

function tail(file: string, lines = 25): string {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return text
    .split("\n")
    .filter((l) => !l.startsWith("npm warn"))
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join("\n");
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(logDir, { recursive: true });
  const env = { ...process.env, ...(o.quick ? { VERDICT_BENCH_QUICK: "1" } : {}) };
  const t0 = Date.now();
  console.log(`bench: ${o.quick ? "quick" : "full"} run, ${o.jobs} at a time, on ${machine()}`);

  if (o.build) {
    console.log("bench: hardhat build…");
    const b = await run("build", ["build", "--quiet"], env);
    if (b.code !== 0) {
      console.error(`bench: build failed (exit ${b.code}), log ${b.log}\n${tail(b.log)}`);
      return 1;
    }
  }

  const results: { name: string; status: string; seconds?: number }[] = [];
  const queue = BENCHES.filter((b) => !o.only || o.only.includes(b.name));
  for (const b of queue) {
    if (!existsSync(path.join(root, `scripts/bench/${b.name}.ts`))) {
      if (!b.optional) throw new Error(`scripts/bench/${b.name}.ts is missing`);
      console.log(`bench: ${b.name}: skipped: not present`);
      results.push({ name: b.name, status: "skipped: not present" });
    }
  }
  const present = queue.filter((b) => existsSync(path.join(root, `scripts/bench/${b.name}.ts`)));
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let b = present[next++]; b; b = present[next++]) {
      console.log(`bench: ${b.name}: started`);
      const r = await run(b.name, ["run", "--no-compile", `scripts/bench/${b.name}.ts`], env);
      const status = r.code === 0 ? "ok" : `FAILED (exit ${r.code})`;
      console.log(
        `bench: ${b.name}: ${status} in ${r.seconds.toFixed(1)} s (log ${path.relative(root, r.log)})`,
      );
      if (r.code !== 0) console.error(tail(r.log));
      results.push({ name: b.name, status, seconds: r.seconds });
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, present.length) }, lane));

  writeExtra();
  const order = (n: string): number => BENCHES.findIndex((b) => b.name === n);
  results.sort((a, b) => order(a.name) - order(b.name));
  const total = (Date.now() - t0) / 1000;
  rewriteMarkdown([
    `Last \`npm run bench${o.quick ? " -- --quick" : ""}\` (${o.quick ? "quick" : "full"} mode) on ${machine()}, ` +
      `${new Date().toISOString()}, ${total.toFixed(0)} s: ` +
      results
        .map((r) => `${r.name} ${r.status}${r.seconds === undefined ? "" : ` (${r.seconds.toFixed(0)} s)`}`)
        .join(", ") +
      ".",
    "",
  ]);
  const failed = results.filter((r) => r.status.startsWith("FAILED"));
  console.log(
    `bench: ${results.filter((r) => r.status === "ok").length} passed, ${failed.length} failed, ` +
      `${results.filter((r) => r.status.startsWith("skipped")).length} skipped in ${total.toFixed(1)} s; ` +
      "docs/benchmarks.md rewritten",
  );
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? `bench: ${err.message}` : err);
    process.exit(2);
  },
);
