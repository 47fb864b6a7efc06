/**
 * Prometheus metrics and the health endpoint.
 * - counters: verdict_relayer_requests_served_total, _failed_total, _invalid_input_total
 * - histogram: verdict_relayer_answer_latency_seconds (request seen -> answer confirmed)
 * - gauges: verdict_relayer_queue_depth{state}, verdict_relayer_chain_lag_blocks,
 *   verdict_relayer_last_poll_timestamp_seconds
 * - alerting (docs/operations.md, "Alerts"): verdict_signer_balance_wei (the signer's gas balance, refreshed
 *   every `balanceRefreshMs` by `trackSignerBalance`), verdict_missed_duties_total{duty} (answer, commit,
 *   reveal: a duty this operator can be penalised for, missed)
 * `GET /metrics` serves the registry; `GET /healthz` answers 200 while the last successful chain poll
 * is at most `healthMaxStalenessMs` old, else 503 (also 503 before the first poll).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { RelayerError } from "./errors.js";

/** Duties an operator can miss (and be penalised for): verdict_missed_duties_total's `duty` label. */
export const MISSED_DUTIES = ["answer", "commit", "reveal"] as const;
export type MissedDuty = (typeof MISSED_DUTIES)[number];

/** Default refresh period of verdict_signer_balance_wei. */
export const SIGNER_BALANCE_REFRESH_MS = 60_000;

export interface MetricsOptions {
  /** Also export process metrics (CPU, memory, event loop). Default true. */
  defaultMetrics?: boolean;
  now?: () => number;
}

export class RelayerMetrics {
  readonly registry = new Registry();
  readonly served: Counter;
  readonly failed: Counter<"stage">;
  readonly invalid: Counter<"reason">;
  readonly latency: Histogram;
  readonly queueDepth: Gauge<"state">;
  readonly chainLag: Gauge;
  readonly lastPoll: Gauge;
  readonly signerBalance: Gauge;
  readonly missedDuties: Counter<"duty">;
  readonly #now: () => number;
  #lastPollOkAt: number | undefined;

  constructor(options: MetricsOptions = {}) {
    this.#now = options.now ?? Date.now;
    const registers = [this.registry];
    const counter = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
    ): Counter<L> => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
      new Gauge<L>({ name, help, labelNames, registers });
    this.served = counter(
      "verdict_relayer_requests_served_total",
      "Answers (results and invalid-input verdicts) confirmed on chain",
    );
    this.failed = counter(
      "verdict_relayer_requests_failed_total",
      "Requests the relayer could not answer, by stage (fetch, inference, submit, ...)",
      ["stage"],
    );
    this.invalid = counter(
      "verdict_relayer_invalid_input_total",
      "Requests answered with an INVALID_INPUT verdict, by protocol reason code",
      ["reason"],
    );
    this.latency = new Histogram({
      name: "verdict_relayer_answer_latency_seconds",
      help: "Time from a request being seen to its answer being confirmed",
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    });
    this.queueDepth = gauge("verdict_relayer_queue_depth", "Jobs by state (pending, computed, submitted)", [
      "state",
    ]);
    this.chainLag = gauge("verdict_relayer_chain_lag_blocks", "Chain head minus the last processed block");
    this.lastPoll = gauge(
      "verdict_relayer_last_poll_timestamp_seconds",
      "Unix time of the last successful chain poll",
    );
    this.signerBalance = gauge(
      "verdict_signer_balance_wei",
      "Native gas balance of the operator's signer, in wei (alert well before it cannot pay for answers)",
    );
    this.missedDuties = counter(
      "verdict_missed_duties_total",
      "Duties missed: answer (deadline passed unanswered), commit and reveal (juror deadlines)",
      ["duty"],
    );
    for (const duty of MISSED_DUTIES) this.missedDuties.inc({ duty }, 0);
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "verdict_relayer_" });
  }

  /** Records a successful chain poll: head and processed block give the lag. */
  pollSucceeded(headBlock: number, processedBlock: number): void {
    this.#lastPollOkAt = this.#now();
    this.lastPoll.set(this.#lastPollOkAt / 1000);
    this.chainLag.set(Math.max(0, headBlock - processedBlock));
  }

  /** Records a confirmed answer and its latency from `seenAtMs`. */
  answerConfirmed(seenAtMs: number): void {
    this.served.inc();
    this.latency.observe(Math.max(0, (this.#now() - seenAtMs) / 1000));
  }

  setQueueDepth(counts: Readonly<Record<"pending" | "computed" | "submitted", number>>): void {
    for (const [state, n] of Object.entries(counts)) this.queueDepth.set({ state }, n);
  }

  /** Records a duty this operator missed (it may be penalised for it). */
  missedDuty(duty: MissedDuty): void {
    this.missedDuties.inc({ duty });
  }

  /**
   * Refreshes verdict_signer_balance_wei now and every `intervalMs` from `read` (e.g. provider.getBalance
   * of the signer). A failed read keeps the last value (the RPC's health has its own metrics). Returns a
   * function that stops the refresh.
   */
  trackSignerBalance(
    read: () => Promise<bigint>,
    intervalMs: number,
    onError?: (e: unknown) => void,
  ): () => void {
    const refresh = (): void => {
      read().then(
        (wei) => this.signerBalance.set(Number(wei)),
        (e: unknown) => onError?.(e),
      );
    };
    refresh();
    const timer = setInterval(refresh, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Milliseconds since the last successful poll; undefined before the first. */
  lastPollAgeMs(): number | undefined {
    return this.#lastPollOkAt === undefined ? undefined : this.#now() - this.#lastPollOkAt;
  }
}

export interface MetricsServerOptions {
  metrics: RelayerMetrics;
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  healthMaxStalenessMs: number;
}

export interface MetricsServer {
  server: Server;
  /** The bound port. */
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server for /metrics and /healthz. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, healthMaxStalenessMs } = options;
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url === "/metrics") {
      metrics.registry.metrics().then(
        (body) => {
          res
            .writeHead(200, { "content-type": metrics.registry.contentType })
            .end(req.method === "HEAD" ? "" : body);
        },
        () => {
          res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
        },
      );
      return;
    }
    if (url === "/healthz") {
      const age = metrics.lastPollAgeMs();
      const ok = age !== undefined && age <= healthMaxStalenessMs;
      const body = JSON.stringify({ ok, lastPollAgeMs: age ?? null, maxStalenessMs: healthMaxStalenessMs });
      res
        .writeHead(ok ? 200 : 503, { "content-type": "application/json" })
        .end(req.method === "HEAD" ? "" : body);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void =>
      reject(new RelayerError("METRICS_SERVER_FAILED", `metrics server cannot listen: ${e.message}`, {}, e));
    server.once("error", onError);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
