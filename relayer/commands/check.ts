/**
 * `verdict-relayer check`: validates the configuration, loads the signer, opens the database, then contacts
 * the RPC and checks chain, contracts, operator, signer and gas (relayer/setup.ts); prints the result as JSON.
 */
import path from "node:path";
import type { Command } from "commander";
import { makeProvider } from "../chain/index.js";
import { describeConfig, type RelayerConfig } from "../config.js";
import { RelayerDb } from "../db/jobs.js";
import { loadSigner } from "../keys.js";
import { SecretSet } from "../log.js";
import { checkSetup } from "../setup.js";
import { fail, type RelayerCtx } from "./context.js";

/** The jobs the database holds, by state (opening it proves the data directory is usable). */
function jobsInDb(cfg: Readonly<RelayerConfig>): ReturnType<RelayerDb["countByState"]> {
  const db = RelayerDb.open(path.join(cfg.dataDir, "relayer.db"));
  const jobs = db.countByState();
  db.close();
  return jobs;
}

async function setupOnChain(
  cfg: Readonly<RelayerConfig>,
  signerAddress: string,
): ReturnType<typeof checkSetup> {
  const provider = makeProvider(cfg.rpcUrl, cfg.chainId, cfg.logRange);
  try {
    return await checkSetup({ provider, config: cfg, signerAddress });
  } finally {
    provider.destroy();
  }
}

async function check(ctx: RelayerCtx): Promise<void> {
  const cfg = ctx.config();
  const signer = await loadSigner(cfg.signer, {
    operatorAddress: cfg.operatorAddress,
    secrets: new SecretSet(),
  });
  const jobs = jobsInDb(cfg);
  const setup = await setupOnChain(cfg, signer.address);
  const report = {
    ok: true,
    config: describeConfig(cfg),
    signer: signer.address,
    jobs,
    chain: {
      chainId: setup.chainId.toString(),
      head: setup.head,
      startBlock: setup.startBlock,
      addresses: setup.addresses,
      signerBalanceWei: setup.balance.toString(),
      answerCostWei: setup.answerCost.toString(),
    },
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
}

export function register(program: Command, ctx: RelayerCtx): void {
  program
    .command("check")
    .description(
      "validate configuration, signer and database, contact the RPC and check chain, contracts, operator registration, signer and gas; then exit",
    )
    .action(async () => {
      try {
        await check(ctx);
      } catch (e) {
        fail(e);
      }
    });
}
