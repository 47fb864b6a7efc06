#!/usr/bin/env node
/**
 * Entry point of the `verdict` CLI: `node --import tsx cli/verdict.ts <command>` (docs/cli.md).
 * Exit codes: 0 ok, 1 user error, 2 chain or network error.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
});
