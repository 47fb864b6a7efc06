/**
 * `npx tsx scripts/tools/long-functions.ts [--max 80] [dir ...]`: lists the functions, methods and arrow
 * functions longer than `--max` lines (default 80) in the TypeScript sources under the given folders
 * (default: cli relayer sdk scripts), longest first, one `file:line  name  N lines` a row. Tests and generated
 * code (test/, types/, node_modules/) are not read. Exits 1 when any is found, so CI can hold the line.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SKIP = new Set(["node_modules", "types", "test", "artifacts", "cache", "coverage", ".verdict"]);

export interface LongFunction {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly lines: number;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(e.name) && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyDeclaration(parent)) return parent.name.getText(sf);
  return "(anonymous)";
}

/** The functions in `file` whose body spans more than `max` lines. */
export function longFunctions(file: string, max: number): LongFunction[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max)
        out.push({ file: path.relative(root, file), line: start + 1, name: nameOf(node, sf), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function main(argv: readonly string[]): number {
  let max = 80;
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--max") max = Number(argv[++i]);
    else dirs.push(argv[i]!);
  }
  if (!Number.isInteger(max) || max < 1) throw new Error("--max takes a positive whole number");
  const roots = (dirs.length > 0 ? dirs : ["cli", "relayer", "sdk", "scripts"]).map((d) =>
    path.resolve(root, d),
  );
  const found = roots
    .flatMap((d) => (statSync(d).isDirectory() ? sources(d) : [d]))
    .flatMap((f) => longFunctions(f, max))
    .sort((a, b) => b.lines - a.lines);
  for (const f of found)
    console.log(`${`${f.file}:${f.line}`.padEnd(48)} ${f.name.padEnd(28)} ${f.lines} lines`);
  console.log(
    found.length === 0 ? `no function over ${max} lines` : `${found.length} function(s) over ${max} lines`,
  );
  return found.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e: unknown) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  }
}
