import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";
import "dotenv/config";

const require = createRequire(import.meta.url);

/** The compiler ships inside the npm package `solc`; Hardhat never downloads one. */
const SOLC_VERSION = "0.8.30";
const solcPath = require.resolve("solc/soljson.js");

/** CI and quick runs lower the fuzz/invariant budget through these variables. */
const fuzzRuns = Number(process.env.VERDICT_FUZZ_RUNS ?? 256);
const invariantRuns = Number(process.env.VERDICT_INVARIANT_RUNS ?? 64);
const invariantDepth = Number(process.env.VERDICT_INVARIANT_DEPTH ?? 160); // 64 × 160 = 10,240 calls per invariant

/**
 * Mocha test files run in this many worker processes (VERDICT_TEST_JOBS; 1 runs them in this process, in order).
 * Most TS tests wait on blocks, relayer loops and child processes, so two workers fill two cores.
 */
const mochaJobs = Number(process.env.VERDICT_TEST_JOBS ?? 2);

const compiler = {
  version: SOLC_VERSION,
  path: solcPath,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    viaIR: true,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    // One compiler setup for every profile: `hardhat ignition deploy` builds with "production", and the
    // contracts need viaIR (TensorLib is too deep for the legacy pipeline). `npm run deploy` deploys the
    // same Ignition module from the default profile's artifacts (scripts/deploy.ts), so it never compiles twice.
    profiles: {
      default: compiler,
      production: { ...compiler, isolated: false, toolVersionsInBuildInfo: false },
    },
    npmFilesToBuild: ["@openzeppelin/contracts/governance/TimelockController.sol"],
  },
  paths: {
    sources: "./contracts",
    tests: { mocha: "./test", solidity: "./test/solidity" },
  },
  test: {
    solidity: {
      fuzz: { runs: fuzzRuns, seed: "0x5eed" },
      invariant: { runs: invariantRuns, depth: invariantDepth, failOnRevert: false },
    },
    mocha: { timeout: 600_000, parallel: mochaJobs > 1, jobs: mochaJobs },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.VERDICT_RPC_URL ?? "http://127.0.0.1:8545",
    },
    remote: {
      type: "http",
      chainType: "l1",
      url: configVariable("VERDICT_RPC_URL"),
      accounts: [configVariable("VERDICT_DEPLOYER_KEY")],
    },
  },
});
