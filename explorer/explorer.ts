/**
 * The explorer as one object: database, indexer, live reads, audit and web server, wired from a config.
 * `npm run explorer` (main.ts) runs it; tests, benchmarks and the screenshot script start it in-process.
 */
import type { Server } from "node:http";
import type { Provider } from "ethers";
import { sleep } from "../sdk/retry.js";
import { Auditor } from "./audit.js";
import type { ExplorerConfig } from "./config.js";
import { ExplorerDb } from "./db.js";
import { Indexer, type PollResult } from "./indexer.js";
import { LiveChain } from "./live.js";
import { Queries } from "./queries.js";
import { startServer } from "./server.js";
import { Views } from "./views.js";

export interface Logger {
  info(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export interface Explorer {
  db: ExplorerDb;
  indexer: Indexer;
  views: Views;
  /** Indexes until the cursor reaches head − confirmations (one or more polls). */
  catchUp(): Promise<PollResult>;
  /** Starts the web server; returns its URL. */
  serve(): Promise<string>;
  /** Polls every `pollMs` until stopped. */
  follow(onError?: (err: unknown) => void): void;
  stop(): Promise<void>;
}

export function openExplorer(config: ExplorerConfig, provider: Provider, logger?: Logger): Explorer {
  const db = ExplorerDb.open(config.dbFile, {
    chainId: config.chainId,
    coordinator: config.addresses.coordinator,
  });
  const indexer = new Indexer({
    provider,
    db,
    addresses: config.addresses,
    startBlock: config.startBlock,
    confirmations: config.confirmations,
    maxRange: config.maxRange,
    reorgDepth: config.reorgDepth,
  });
  const views = new Views(
    new Queries(db),
    new LiveChain(provider, config.addresses),
    new Auditor(provider, config.addresses),
  );
  let server: Server | undefined;
  let following = false;
  let loop: Promise<void> | undefined;
  return {
    db,
    indexer,
    views,
    async catchUp() {
      for (;;) {
        const r = await indexer.poll();
        if (r.indexed >= r.head - config.confirmations) return r;
      }
    },
    async serve() {
      const s = await startServer({
        views,
        chainId: config.chainId,
        host: config.host,
        port: config.port,
        ...(logger ? { logger } : {}),
      });
      server = s.server;
      return s.url;
    },
    follow(onError) {
      following = true;
      loop = (async () => {
        while (following) {
          try {
            const r = await indexer.poll();
            if (r.events > 0 || r.rolledBackTo !== undefined)
              logger?.info(
                `indexed to block ${r.indexed} (+${r.events} events${r.rolledBackTo !== undefined ? `, reorg: rolled back to ${r.rolledBackTo}` : ""})`,
              );
          } catch (err) {
            onError?.(err);
          }
          if (following) await sleep(config.pollMs);
        }
      })();
    },
    async stop() {
      following = false;
      await loop;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      db.close();
    },
  };
}
