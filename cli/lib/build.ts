/**
 * The CLI after `npm ci` alone: `--help` and argument checks need nothing built (no command module imports
 * artifacts/ or types/ at load time); the first command that talks to a chain builds the contracts once
 * (the SDK reads their ABIs), saying so, with Hardhat's progress on stderr.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { CliError, EXIT_USER, type Io, REPO_ROOT } from "../support.js";

/** What the SDK loads at run time; all must exist. */
export const BUILD_OUTPUTS: readonly string[] = [
  "types/ethers-contracts/index.ts",
  "artifacts/contracts/requests/Coordinator.sol/Coordinator.json",
  "artifacts/contracts/staking/Staking.sol/Staking.json",
  "artifacts/contracts/models/ModelRegistry.sol/ModelRegistry.json",
  "artifacts/contracts/token/OPGToken.sol/OPGToken.json",
];

export const BUILD_NOTICE = "building contracts (first run, ~4 min)…\n";

export function missingBuildOutputs(root: string = REPO_ROOT): string[] {
  return BUILD_OUTPUTS.filter((f) => !existsSync(path.join(root, f)));
}

/** Runs `hardhat build --quiet` in `root` with this Node, its output on the CLI's stderr; the exit code. */
export function runHardhatBuild(root: string, io: Io): Promise<number> {
  const cli = path.join(root, "node_modules/hardhat/dist/src/cli.js");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, "build", "--quiet"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env },
    });
    child.stdout.on("data", (d: Buffer) => io.stderr.write(d.toString()));
    child.stderr.on("data", (d: Buffer) => io.stderr.write(d.toString()));
    child.on("error", () => resolve(127));
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** Builds the contracts when an output the SDK needs is missing; BUILD_FAILED if that does not help. */
export async function ensureBuilt(
  io: Io,
  opts: { root?: string; run?: (root: string, io: Io) => Promise<number> } = {},
): Promise<void> {
  const root = opts.root ?? REPO_ROOT;
  if (missingBuildOutputs(root).length === 0) return;
  io.stderr.write(BUILD_NOTICE);
  const code = await (opts.run ?? runHardhatBuild)(root, io);
  const still = missingBuildOutputs(root);
  if (code !== 0 || still.length > 0)
    throw new CliError(
      "BUILD_FAILED",
      `Building the contracts failed (exit ${code}${still.length ? `; missing ${still.join(", ")}` : ""}): run \`npx hardhat build\` in ${root} to see why.`,
      EXIT_USER,
      { exitCode: code, missing: still },
    );
}
