/**
 * `verdict-relayer run` (the default command): starts the relayer (follow the chain, answer assigned
 * requests, serve /metrics and /healthz) and stops it cleanly on SIGINT or SIGTERM.
 */
import type { Command } from "commander";
import { startChainRelayer, type ChainRelayer } from "../chain/index.js";
import { startRelayer } from "../service.js";
import { fail, type RelayerCtx } from "./context.js";

async function run(ctx: RelayerCtx): Promise<void> {
  let service;
  let chain: ChainRelayer;
  try {
    service = await startRelayer(ctx.config());
  } catch (e) {
    fail(e);
  }
  try {
    chain = await startChainRelayer(service);
  } catch (e) {
    await service.close().catch(() => undefined);
    fail(e);
  }
  const stop = (signal: string): void => {
    service.logger.info({ signal }, "shutting down");
    chain
      .stop()
      .then(() => service.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

export function register(program: Command, ctx: RelayerCtx): void {
  program
    .command("run", { isDefault: true })
    .description("start the relayer: follow the chain, answer assigned requests, serve /metrics and /healthz")
    .action(() => run(ctx));
}
