/**
 * Wires the relayer's building blocks from a validated configuration: logger (with the signer key
 * registered as a secret), signer, database, model store, inference runner, metrics and the
 * /metrics + /healthz server. The chain side (relayer/chain/) plugs into the returned context.
 */
import path from "node:path";
import type { Wallet } from "ethers";
import type { Logger } from "pino";
import { describeConfig, type RelayerConfig } from "./config.js";
import type { FetchPolicy } from "./fetch.js";
import { InferenceRunner } from "./inference/runner.js";
import { loadSigner } from "./keys.js";
import { createLogger, SecretSet } from "./log.js";
import { RelayerMetrics, startMetricsServer, type MetricsServer } from "./metrics.js";
import { ModelStore } from "./models/cache.js";
import { RelayerDb } from "./db/jobs.js";

export interface RelayerContext {
  config: Readonly<RelayerConfig>;
  logger: Logger;
  secrets: SecretSet;
  signer: Wallet;
  db: RelayerDb;
  models: ModelStore;
  runner: InferenceRunner;
  metrics: RelayerMetrics;
  /** Undefined when VERDICT_METRICS_PORT=0. */
  metricsServer: MetricsServer | undefined;
  /** Stops the server, releases sessions and closes the database; idempotent. */
  close(): Promise<void>;
}

export const DB_FILE = "relayer.db";

/** The bounds of every fetch the relayer makes on someone else's say-so (relayer/fetch.ts). */
export function fetchPolicyOf(config: Readonly<RelayerConfig>): FetchPolicy {
  return {
    fileDirs: config.fetchFileDirs,
    allowPrivate: config.fetchAllowPrivate,
    connectTimeoutMs: config.fetchConnectTimeoutMs,
    timeoutMs: config.fetchTimeoutMs,
    maxRedirects: 3,
  };
}

/** Starts every building block; on any failure, what was started is closed again. */
export async function startRelayer(
  config: Readonly<RelayerConfig>,
  options: { logger?: Logger; secrets?: SecretSet } = {},
): Promise<RelayerContext> {
  const secrets = options.secrets ?? new SecretSet();
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets });
  logger.info({ config: describeConfig(config) }, "starting relayer");
  const signer = await loadSigner(config.signer, { operatorAddress: config.operatorAddress, secrets });
  logger.info({ signer: signer.address, operator: config.operatorAddress }, "signer loaded");

  const db = RelayerDb.open(path.join(config.dataDir, DB_FILE));
  try {
    db.bindChain(config.chainId, config.coordinatorAddress); // DB_CHAIN_MISMATCH: refuse to start
  } catch (e) {
    db.close();
    throw e;
  }
  const models = new ModelStore({
    cacheDir: config.modelCacheDir,
    maxBytes: config.maxModelBytes,
    fetchTimeoutMs: config.modelFetchTimeoutMs,
    fetchPolicy: fetchPolicyOf(config),
    maxCacheBytes: config.modelCacheMaxBytes,
    logger,
  });
  const runner = new InferenceRunner({
    models,
    workers: config.inferenceWorkers,
    threads: config.inferenceThreads,
    jobTimeoutMs: config.inferenceTimeoutMs,
    memoryLimitMb: config.inferenceMemoryMb,
    maxLoadedModels: config.maxLoadedModels,
    logger,
  });
  const metrics = new RelayerMetrics();
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.metricsPort !== 0) {
      metricsServer = await startMetricsServer({
        metrics,
        host: config.metricsHost,
        port: config.metricsPort,
        healthMaxStalenessMs: config.healthMaxStalenessMs,
      });
      logger.info({ host: config.metricsHost, port: metricsServer.port }, "metrics server listening");
    }
  } catch (e) {
    db.close();
    throw e;
  }
  const counts = db.countByState();
  metrics.setQueueDepth({ pending: counts.pending, computed: counts.computed, submitted: counts.submitted });
  logger.info({ jobs: counts, cursor: db.getCursor() ?? null }, "state restored");

  let closed = false;
  return {
    config,
    logger,
    secrets,
    signer,
    db,
    models,
    runner,
    metrics,
    metricsServer,
    async close() {
      if (closed) return;
      closed = true;
      await metricsServer?.close();
      await runner.close();
      db.close();
      logger.info("relayer stopped");
    },
  };
}
