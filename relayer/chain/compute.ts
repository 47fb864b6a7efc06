/**
 * pending → computed: fetches the model terms and schema from the registry, the input (inline, or by
 * hash + URI, through the bounded fetch of relayer/fetch.ts), runs the model in the inference children,
 * and signs the attestation; the signed answer is persisted before it is ever sent. Outcomes
 * (relayer/outcomes.ts):
 * - a result whose VTN1 output fits the coordinator's governed `maxOutput` (read from the chain when the
 *   output is above MIN_OUTPUT_LIMIT, 4,096 bytes; default 64 KiB): outcome 0;
 * - the input is at fault (relayer/inference/runner.ts reason codes 1..5, 7): INVALID_INPUT (outcome 1);
 * - the operator cannot serve (input or model unavailable, output too large, deadline or memory limit,
 *   unsafe model): the cannot-serve outcome, in the encoding the chain accepts today
 *   (`onChainCannotServe`), or, where it has none yet, nothing signed and the job dropped with a typed
 *   reason. Never INVALID_INPUT for a resource or timeout failure. Fetch failures are retried a few times
 *   first (`MAX_TRANSIENT_ATTEMPTS`, persisted retry times).
 *
 * Computing never holds up the chain loop: `pump` starts due jobs in the background (at most
 * `slots` at once, plus one job for each model with nothing in flight, so jobs of models whose inferences
 * run to their deadline never keep another model waiting) and returns at once; answers are persisted in batches and `onPersisted` tells the
 * loop to submit them. Each start is counted in the database BEFORE it runs, so a job that keeps taking
 * the process down is declined after `MAX_COMPUTE_STARTS` starts instead of crash-looping.
 */
import { keccak256, TypedDataEncoder, concat, toBeHex, type JsonRpcProvider, type Wallet } from "ethers";
import type { Logger } from "pino";
import {
  ATTESTATION_TYPEHASH,
  attestationDigest,
  reasonCodeToBytes32,
  signAttestation,
  verdictDomain,
  type Outcome as SdkOutcome,
  type ReasonCode,
} from "../../sdk/eip712.js";
import { VerdictError } from "../../sdk/errors.js";
import { describeReason } from "../../sdk/reasons.js";
import {
  Coordinator__factory,
  ModelRegistry__factory,
  type Coordinator,
  type ModelRegistry,
} from "../../types/ethers-contracts/index.js";
import { InvalidInputError, RelayerError } from "../errors.js";
import { boundedFetch, DEFAULT_FETCH_POLICY, FetchError, type FetchPolicy } from "../fetch.js";
import type { InferenceRunner, ModelRef } from "../inference/runner.js";
import { parseSchema } from "../inference/schema.js";
import type { RelayerMetrics } from "../metrics.js";
import {
  asCannotServe,
  CANNOT_SERVE_NAMES,
  CannotServeError,
  CannotServeReason,
  codeToBytes32,
  onChainCannotServe,
} from "../outcomes.js";
import type { ComputedPayload, Job, Outcome, RelayerDb } from "../db/jobs.js";
import type { ChainDb, StoredRequest } from "../db/requests.js";

/**
 * The coordinator's MIN_OUTPUT_LIMIT: outputs up to this size always fit; above it the chain's governed
 * `maxOutput` decides (a larger output is the OUTPUT_TOO_LARGE cannot-serve outcome).
 */
export const MIN_OUTPUT_LIMIT = 4_096;
/** The coordinator's MAX_COMPARED_BYTES: for a model with a tolerance, k × output size stays within it. */
export const MAX_COMPARED_BYTES = 40 * 1024;

/**
 * The largest output the coordinator accepts for a request (CoordinatorState._checkOutputSize): the governed
 * `maxOutput`, and for a model with a tolerance at most MAX_COMPARED_BYTES / k.
 */
export function outputLimit(maxOutput: number, req: { tolerance: bigint; redundancy: bigint }): number {
  if (req.tolerance === 0n || req.redundancy <= 0n) return maxOutput;
  return Math.min(maxOutput, Math.floor(MAX_COMPARED_BYTES / Number(req.redundancy)));
}
/** Default largest input (inline or fetched), checked before any decoding. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
/** Tries of a transient cannot-serve failure (a fetch) before it is answered as such. */
const MAX_TRANSIENT_ATTEMPTS = 3;
/** Starts of one job after which it is declined without running again. */
export const MAX_COMPUTE_STARTS = 3;

export interface ComputeOptions {
  provider: JsonRpcProvider;
  db: RelayerDb;
  chainDb: ChainDb;
  runner: InferenceRunner;
  signer: Wallet;
  metrics: RelayerMetrics;
  logger: Logger;
  chainId: bigint;
  coordinator: string;
  registry: string;
  concurrency: number;
  /** Chain time (unix s) of the latest head; jobs past their deadline are dropped. */
  headTime: () => number;
  /** How input URIs are fetched (default: DEFAULT_FETCH_POLICY, no file://, no private hosts). */
  fetchPolicy?: FetchPolicy;
  /** Largest input accepted, inline or fetched (default MAX_INPUT_BYTES). */
  maxInputBytes?: number;
  /** Called after signed answers were persisted (the loop submits them). */
  onPersisted?: (count: number) => void;
  now?: () => number;
}

export interface ComputedAnswer {
  outcome: Outcome;
  output: Uint8Array;
  outputHash: string;
  reason?: number;
}

/**
 * Fetches a hash + URI input under `policy`; CannotServeError(INPUT_UNAVAILABLE) when it cannot be
 * fetched within the policy's bounds or does not hash to `inputHash` (never "invalid input": a
 * requester withdrawing its input is not a verdict on the input).
 */
export async function fetchInput(
  uri: string,
  inputHash: string,
  policy: FetchPolicy = DEFAULT_FETCH_POLICY,
  maxBytes = MAX_INPUT_BYTES,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await boundedFetch(uri, policy, maxBytes);
  } catch (e) {
    const transient = e instanceof FetchError && (e.code === "FETCH_FAILED" || e.code === "FETCH_TIMEOUT");
    throw new CannotServeError(
      CannotServeReason.INPUT_UNAVAILABLE,
      `input not retrievable: ${e instanceof Error ? e.message : String(e)}`,
      transient,
      e,
    );
  }
  if (keccak256(bytes) !== inputHash.toLowerCase()) {
    throw new CannotServeError(CannotServeReason.INPUT_UNAVAILABLE, "the input URI serves other bytes", true);
  }
  return bytes;
}

/** Signed answers are written in one transaction once this many are waiting, or this often (ms). */
const FLUSH_COUNT = 128;
const FLUSH_MS = 25;

type AttestationFields = Parameters<typeof signAttestation>[2];

/**
 * Signs attestations like `signAttestation` (same deterministic RFC 6979 signature) without the
 * generic EIP-712 encoder: the domain separator is computed once and the struct hash is a single
 * keccak over fixed-width words. `sign` self-checks against `signAttestation` on first use and falls
 * back to it on any mismatch.
 */
export class AttestationSigner {
  readonly #signer: Wallet;
  readonly #domain: ReturnType<typeof verdictDomain>;
  readonly #separator: string;
  #checked: boolean | undefined;

  constructor(signer: Wallet, chainId: bigint, coordinator: string) {
    this.#signer = signer;
    this.#domain = verdictDomain(chainId, coordinator);
    this.#separator = TypedDataEncoder.hashDomain(this.#domain);
  }

  /** The EIP-712 digest (equal to sdk attestationDigest). */
  digest(a: AttestationFields): string {
    const struct = keccak256(
      concat([
        ATTESTATION_TYPEHASH,
        toBeHex(a.requestId, 32),
        a.modelHash,
        a.inputHash,
        a.outputHash,
        toBeHex(a.outcome, 32),
      ]),
    );
    return keccak256(concat(["0x1901", this.#separator, struct]));
  }

  async sign(a: AttestationFields): Promise<string> {
    if (this.#checked === undefined) {
      const slow = await signAttestation(this.#signer, this.#domain, a);
      this.#checked =
        this.digest(a) === attestationDigest(this.#domain, a) &&
        this.#signer.signingKey.sign(this.digest(a)).serialized === slow;
      return slow;
    }
    if (!this.#checked) return signAttestation(this.#signer, this.#domain, a);
    return this.#signer.signingKey.sign(this.digest(a)).serialized;
  }
}

/** Where compute time goes (cumulative ms), for benchmarks and debugging. */
export interface ComputeProfile {
  jobs: number;
  inferMs: number;
  signMs: number;
  persistMs: number;
}

export class Computer {
  readonly #o: ComputeOptions;
  readonly #registry: ModelRegistry;
  readonly #coordinator: Coordinator;
  readonly #models = new Map<string, Promise<ModelRef>>();
  readonly #now: () => number;
  readonly #signer: AttestationSigner;
  /** Jobs being computed right now (by request id) and their promises. */
  readonly #inflight = new Map<bigint, Promise<boolean>>();
  readonly #inflightModel = new Map<bigint, string>();
  #draining = false;
  /** Request ids whose signed answers wait in `#buffer`. */
  readonly #buffered = new Set<bigint>();
  /** Signed answers not yet persisted (flushed in one transaction; never sent before that). */
  #buffer: { id: bigint; payload: ComputedPayload; ans: ComputedAnswer }[] = [];
  #lastFlush = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  readonly profile: ComputeProfile = { jobs: 0, inferMs: 0, signMs: 0, persistMs: 0 };
  /** Signed answers persisted so far (monotonic; lets the loop submit while computing goes on). */
  persisted = 0;

  constructor(o: ComputeOptions) {
    this.#o = o;
    this.#registry = ModelRegistry__factory.connect(o.registry, o.provider);
    this.#coordinator = Coordinator__factory.connect(o.coordinator, o.provider);
    this.#now = o.now ?? Date.now;
    this.#signer = new AttestationSigner(o.signer, o.chainId, o.coordinator);
  }

  /** The registered model as the runner needs it (cached per hash; failed look-ups are retried). */
  model(hash: string): Promise<ModelRef> {
    let m = this.#models.get(hash);
    if (m === undefined) {
      m = this.#registry.getModel(hash).then((info) => ({
        modelHash: hash,
        uris: [...info.uris],
        schema: parseSchema(info.ioSchema),
        outputScale: Number(info.terms.outputScale),
      }));
      this.#models.set(hash, m);
      m.catch(() => this.#models.delete(hash));
      if (this.#models.size > 1_024) this.#models.delete(this.#models.keys().next().value as string);
    }
    return m;
  }

  /**
   * Runs the model on a request's input: the RESULT or INVALID_INPUT outcome. Throws CannotServeError
   * when this operator cannot serve it (input or model unavailable, output too large, limits hit), and
   * other errors (RPC) as they come: re-execution (watchtower, challenger, juror) then abstains or
   * retries, it never convicts on a failure of its own.
   */
  async answer(req: StoredRequest): Promise<ComputedAnswer> {
    const maxInput = this.#o.maxInputBytes ?? MAX_INPUT_BYTES;
    try {
      let input: Uint8Array;
      if (req.input.length > 0) {
        if (req.input.length > maxInput) {
          throw new CannotServeError(
            CannotServeReason.DECLINED,
            `inline input of ${req.input.length} bytes, above this operator's ${maxInput}`,
            false,
          );
        }
        input = req.input;
      } else {
        input = await fetchInput(req.inputURI, req.request.inputHash, this.#o.fetchPolicy, maxInput);
      }
      const model = await this.model(req.request.modelHash);
      const res = await this.#o.runner.run(model, input);
      if (res.output.length > MIN_OUTPUT_LIMIT) {
        // Read fresh: governance may move the limit at any time (an RPC failure here is retried as such).
        const max = outputLimit(Number(await this.#coordinator.maxOutput()), req.request);
        if (res.output.length > max) {
          throw new CannotServeError(
            CannotServeReason.OUTPUT_TOO_LARGE,
            `output is ${res.output.length} bytes, above the coordinator's limit of ${max} for this request`,
            false,
          );
        }
      }
      return { outcome: 0, output: res.output, outputHash: res.outputHash };
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw asCannotServe(e) ?? e;
      const reason = reasonCodeToBytes32(e.reason as ReasonCode);
      return {
        outcome: 1,
        output: Buffer.from(reason.slice(2), "hex"),
        outputHash: reason,
        reason: e.reason,
      };
    }
  }

  /** Jobs being computed right now. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /** Jobs computed at once: `concurrency` × 2 per inference worker. */
  get #slots(): number {
    return Math.max(1, this.#o.concurrency) * Math.max(1, this.#o.runner.workers ?? 1) * 2;
  }

  /**
   * Starts computing due pending jobs in the background (never more than the slots free) and returns
   * how many it started, at once: the caller never waits for inference.
   */
  pump(limit = 500): number {
    if (this.#draining) return 0;
    const free = this.#slots - this.#inflight.size;
    // Beyond the slots, up to as many again for models with nothing in flight (see below).
    const reserve = 2 * this.#slots - this.#inflight.size;
    if (reserve <= 0) return 0;
    // One model never takes every slot, and the slots taken by other models never keep a model with nothing
    // in flight from starting one job: jobs of hostile models whose inferences run to their deadline (or
    // wait for a child that does) must not keep other models' jobs from starting.
    const perModel = Math.max(1, this.#slots - 1);
    const held = new Map<string, number>();
    for (const m of this.#inflightModel.values()) held.set(m, (held.get(m) ?? 0) + 1);
    const due: Job[] = [];
    for (const j of this.#o.db.duePending(
      this.#now(),
      Math.min(limit, 4 * this.#slots + this.#inflight.size),
    )) {
      if (due.length >= reserve) break;
      // In flight, or computed with its signed answer still in the buffer (pending in the db until flushed).
      if (this.#inflight.has(j.requestId) || this.#buffered.has(j.requestId)) continue;
      const n = held.get(j.modelHash) ?? 0;
      if (n >= perModel || (due.length >= free && n > 0)) continue;
      held.set(j.modelHash, n + 1);
      due.push(j);
    }
    for (const job of due) {
      this.#inflightModel.set(job.requestId, job.modelHash);
      const p = this.#one(job)
        .catch((e: unknown) => {
          this.#o.logger.error({ err: e, requestId: job.requestId.toString() }, "compute failed");
          return false;
        })
        .finally(() => {
          this.#inflight.delete(job.requestId);
          this.#inflightModel.delete(job.requestId);
          this.#scheduleFlush();
          this.pump(limit); // a freed slot takes the next due job
        });
      this.#inflight.set(job.requestId, p);
    }
    return due.length;
  }

  /**
   * Computes and signs every due pending job (up to `limit`) and waits for them (tests, benchmarks and
   * tools; the chain loop uses `pump`). Every signed answer is persisted before it returns.
   */
  async run(limit = 500): Promise<number> {
    const before = this.persisted;
    this.pump(limit);
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight.values()]);
    this.flush();
    return this.persisted - before;
  }

  /** Starts nothing more, waits for the jobs in flight and persists their answers (shutdown). */
  async drain(): Promise<void> {
    this.#draining = true;
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight.values()]);
    this.flush();
  }

  #scheduleFlush(): void {
    if (this.#buffer.length >= FLUSH_COUNT || performance.now() - this.#lastFlush >= FLUSH_MS) {
      this.flush();
      return;
    }
    if (this.#flushTimer !== undefined || this.#buffer.length === 0) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  /** Persists the buffered signed answers in one transaction (each job its own savepoint). */
  flush(): void {
    this.#lastFlush = performance.now();
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (this.#buffer.length === 0) return;
    const { db, logger, metrics } = this.#o;
    const items = this.#buffer;
    this.#buffer = [];
    this.#buffered.clear();
    const t = performance.now();
    let count = 0;
    db.batch(() => {
      for (const { id, payload, ans } of items) {
        try {
          db.markComputed(id, payload);
        } catch (e) {
          logger.error({ requestId: id.toString(), err: e }, "could not record the computed answer");
          continue;
        }
        this.persisted++;
        count++;
        if (ans.outcome !== 0) {
          metrics.invalid.inc({ reason: String(ans.reason) });
          logger.info(
            {
              requestId: id.toString(),
              outcome: ans.outcome,
              reason: ans.reason,
              why: ans.reason === undefined ? undefined : describeReason(ans.reason),
            },
            ans.outcome === 1 ? "invalid input: attesting INVALID_INPUT" : "attesting CANNOT_SERVE",
          );
        }
      }
    });
    this.profile.persistMs += performance.now() - t;
    if (count > 0) this.#o.onPersisted?.(count);
  }

  /** The cannot-serve answer as posted today, or undefined (job dropped, nothing signed). */
  #cannotServe(job: Job, e: CannotServeError): ComputedAnswer | undefined {
    const { db, logger, metrics } = this.#o;
    const log = logger.child({ requestId: job.requestId.toString() });
    const name = CANNOT_SERVE_NAMES[e.reason];
    const cause = e.cause instanceof VerdictError ? e.cause.code : e.code;
    const enc = onChainCannotServe(e.reason);
    if (enc === undefined) {
      db.markDropped(job.requestId, `CANNOT_SERVE ${name} (${cause}): ${e.message}`);
      metrics.failed.inc({ stage: "cannot-serve" });
      log.warn(
        { reason: name, code: cause, err: e.message },
        "job dropped: cannot serve, no on-chain form yet, nothing signed",
      );
      return undefined;
    }
    const hash = codeToBytes32(enc.code);
    log.warn(
      { reason: name, err: e.message, outcome: enc.outcome, code: enc.code, why: describeReason(enc.code) },
      "cannot serve",
    );
    return {
      outcome: enc.outcome as Outcome,
      output: Buffer.from(hash.slice(2), "hex"),
      outputHash: hash,
      reason: enc.code,
    };
  }

  async #one(job: Job): Promise<boolean> {
    const { db, chainDb, logger, metrics } = this.#o;
    const id = job.requestId;
    const log = logger.child({ requestId: id.toString() });
    const req = chainDb.getRequest(id);
    if (req === undefined || req.index < 0) {
      log.warn("request data missing (reorged out?); waiting for the rescan");
      db.deferCompute(id, this.#now() + 1_000);
      return false;
    }
    const headTime = this.#o.headTime();
    if (headTime > 0 && BigInt(headTime) >= req.request.deadline) {
      db.markDropped(id, "deadline passed before the answer was computed");
      metrics.failed.inc({ stage: "deadline" });
      metrics.missedDuty("answer");
      log.warn({ deadline: req.request.deadline.toString() }, "job dropped: deadline passed");
      return false;
    }
    let ans: ComputedAnswer | undefined;
    const t0 = performance.now();
    // Counted before it runs: a job that takes the process down is declined, not retried forever.
    const starts = db.beginCompute(id);
    try {
      if (starts > MAX_COMPUTE_STARTS) {
        throw new CannotServeError(
          CannotServeReason.DECLINED,
          `computing it was started ${starts - 1} times without finishing`,
          false,
        );
      }
      ans = await this.answer(req);
    } catch (e) {
      const cs = e instanceof CannotServeError ? e : undefined;
      const code = e instanceof VerdictError ? e.code : "ERROR";
      const retryAt = this.#now() + Math.min(60_000, 1_000 * 2 ** Math.min(starts, 6));
      if (cs === undefined || (cs.transient && starts < MAX_TRANSIENT_ATTEMPTS)) {
        db.deferCompute(id, retryAt, cs !== undefined);
        metrics.failed.inc({ stage: e instanceof RelayerError ? "model" : "compute" });
        log.warn({ err: e, code, starts }, "could not compute the answer; will retry");
        return false;
      }
      ans = this.#cannotServe(job, cs);
      if (ans === undefined) return false;
    }
    const t1 = performance.now();
    const signature = await this.#signer.sign({
      requestId: id,
      modelHash: req.request.modelHash,
      inputHash: req.request.inputHash,
      outputHash: ans.outputHash,
      // sdk/eip712.ts's Outcome gains CANNOT_SERVE (2) with the "coord" branch; the digest is the same.
      outcome: ans.outcome as SdkOutcome,
    });
    this.profile.jobs++;
    this.profile.inferMs += t1 - t0;
    this.profile.signMs += performance.now() - t1;
    // Persisted (in a batch) before the submitter can ever see it.
    this.#buffered.add(id);
    this.#buffer.push({
      id,
      payload: { outcome: ans.outcome, output: ans.output, outputHash: ans.outputHash, signature },
      ans,
    });
    return true;
  }
}
