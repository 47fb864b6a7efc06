/**
 * The contracts' ABIs as the build wrote them (artifacts/), read at run time so nothing is retyped: every
 * custom error of every contract, interface and library (Verdict's and OpenZeppelin's) for decoding
 * reverts, and the dispute contract's ABI for the `dispute` commands.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Interface, type InterfaceAbi, type JsonFragment } from "ethers";
import { REPO_ROOT } from "../support.js";

/** Every `*.json` artifact with an `abi` under `artifacts/` (build-info excluded), by file. */
export function artifactAbis(root: string = REPO_ROOT): Map<string, JsonFragment[]> {
  const out = new Map<string, JsonFragment[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "build-info") walk(full);
      } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
        try {
          const json = JSON.parse(readFileSync(full, "utf8")) as { abi?: unknown };
          if (Array.isArray(json.abi)) out.set(path.relative(root, full), json.abi as JsonFragment[]);
        } catch {
          /* not an artifact */
        }
      }
    }
  };
  const dir = path.join(root, "artifacts");
  if (existsSync(dir)) walk(dir);
  return out;
}

let cached: { root: string; iface: Interface } | undefined;

/** One Interface holding every custom error declared anywhere in the build (deduplicated by signature). */
export function allErrorsInterface(root: string = REPO_ROOT): Interface {
  if (cached?.root === root) return cached.iface;
  const bySignature = new Map<string, JsonFragment>();
  for (const abi of artifactAbis(root).values()) {
    for (const f of abi) {
      if (f.type !== "error" || !f.name) continue;
      const sig = `${f.name}(${(f.inputs ?? []).map((i) => i.type).join(",")})`;
      if (!bySignature.has(sig)) bySignature.set(sig, f);
    }
  }
  const iface = new Interface([...bySignature.values()]);
  cached = { root, iface };
  return iface;
}

/** The ABI of contract `name` from `artifacts/contracts/<dir>/<name>.sol/<name>.json`, if built. */
export function contractAbi(dir: string, name: string, root: string = REPO_ROOT): InterfaceAbi | undefined {
  const file = path.join(root, "artifacts/contracts", dir, `${name}.sol`, `${name}.json`);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { abi: InterfaceAbi }).abi;
}

/** The dispute contract's ABI from the build, if the contract exists. */
export function disputesAbi(): InterfaceAbi | undefined {
  return contractAbi("disputes", "Disputes");
}
