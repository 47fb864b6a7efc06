/**
 * `npm run coverage`: Hardhat 3's built-in coverage (`hardhat test --coverage`) over this config.
 *
 * It is hardhat.config.ts with three changes:
 * - a coverage build compiles *instrumented* contracts, so its artifacts and build cache live apart
 *   (.verdict/coverage/) and never replace the real build that gas figures and benchmarks read;
 * - test scaffolding (contracts/test-helpers/**, any mocks/**) is not instrumented, so it is not measured;
 * - fuzz and invariant budgets are lowered unless set, because instrumentation makes each call dearer.
 * The report lands in coverage/ (lcov.info, HTML); scripts/bench/coverage.ts reads it and records
 * `coverage.lines` in docs/benchmarks.json.
 */
import { defineConfig } from "hardhat/config";
import config from "./hardhat.config.js";

export const COVERAGE_SKIP_FILES = ["contracts/test-helpers/**", "contracts/**/mocks/**"];

const budget = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
/** The main config's Solidity test settings (one profile: hardhat.config.ts sets no profiles). */
const solidityTests =
  config.test?.solidity !== undefined && !("profiles" in config.test.solidity) ? config.test.solidity : {};

export default defineConfig({
  ...config,
  paths: { ...config.paths, artifacts: "./.verdict/coverage/artifacts", cache: "./.verdict/coverage/cache" },
  coverage: { skipFiles: COVERAGE_SKIP_FILES },
  test: {
    ...config.test,
    solidity: {
      ...solidityTests,
      fuzz: { ...solidityTests.fuzz, runs: budget("VERDICT_FUZZ_RUNS", 32) },
      invariant: {
        ...solidityTests.invariant,
        runs: budget("VERDICT_INVARIANT_RUNS", 8),
        depth: budget("VERDICT_INVARIANT_DEPTH", 40),
      },
    },
  },
});
