/**
 * `npm run explorer`: indexes the deployment's events and serves the explorer on 127.0.0.1
 * (VERDICT_EXPLORER_PORT, default 8600). Configuration: docs/explorer.md.
 */
import { loadConfig } from "./config.js";
import { ExplorerError } from "./errors.js";
import { openExplorer, type Logger } from "./explorer.js";

const logger: Logger = {
  info: (m) => console.log(`explorer: ${m}`),
  error: (m) => console.error(`explorer: ${m}`),
  debug: (m) => {
    if (process.env.VERDICT_LOG_LEVEL === "debug") console.log(`explorer: ${m}`);
  },
};

async function main(): Promise<void> {
  const { config, provider } = await loadConfig();
  const explorer = openExplorer(config, provider, logger);
  logger.info(
    `chain ${config.chainId}, coordinator ${config.addresses.coordinator}, database ${config.dbFile}`,
  );
  const url = await explorer.serve();
  logger.info(`serving ${url}`);
  explorer.follow((err) => logger.error(`poll failed: ${err instanceof Error ? err.message : String(err)}`));
  const stop = (): void => {
    logger.info("stopping");
    void explorer.stop().then(() => {
      provider.destroy();
      process.exit(0);
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  const code = err instanceof ExplorerError ? err.code : "FATAL";
  console.error(`explorer: ${code}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
