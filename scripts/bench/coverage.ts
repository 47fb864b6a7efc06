/**
 * Benchmark entry for contract coverage: `hardhat run --no-compile scripts/bench/coverage.ts` (or through
 * `npm run bench -- --only coverage` once listed in scripts/bench/index.ts). Runs scripts/coverage.ts in its
 * isolated copy and records `coverage.lines`, `coverage.statements` and `coverage.branches` (derived from
 * statement hits) under "Coverage".
 */
import { formatReport, recordCoverage, runCoverage } from "../coverage.js";

const result = await runCoverage();
console.log(formatReport(result));
await recordCoverage(result);
