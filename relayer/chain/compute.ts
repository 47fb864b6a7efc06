/**
 * pending → computed: fetches the model terms and schema from the registry, the input (inline, or by
 * hash + URI), runs the model, and signs the attestation; the signed answer is persisted before it is
 * ever sent. Outcomes:
 * - a result whose VTN1 output fits the coordinator's MAX_OUTPUT (4096 bytes): outcome 0;
 * - the input is at fault (relayer/inference/runner.ts reason codes 1..5, 7), the input URI does not
 *   serve bytes hashing to the committed inputHash (6), or the output exceeds 4096 bytes (7): an
 *   INVALID_INPUT attestation (outcome 1) with the reason code;
 * - operator-side failures (model not fetchable, MODEL_HASH_MISMATCH, not loadable, schema): nothing
 *   is signed; retried with backoff, then the job is dropped with the error code as reason.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { TypedDataEncoder, concat, keccak256, toBeHex, type JsonRpcProvider, type Wallet } from "ethers";
import type { Logger } from "pino";
import {
  ATTESTATION_TYPEHASH,
  Outcome,
  attestationDigest,
  reasonCodeToBytes32,
  signAttestation,
  verdictDomain,
  type ReasonCode,
} from "../../sdk/eip712.js";
import { VerdictError } from "../../sdk/errors.js";
import { ModelRegistry__factory, type ModelRegistry } from "../../types/ethers-contracts/index.js";
import { InvalidInputError, InvalidInputReason, RelayerError } from "../errors.js";
import type { InferenceRunner, ModelRef } from "../inference/runner.js";
import { parseSchema } from "../inference/schema.js";
import type { RelayerMetrics } from "../metrics.js";
import type { ComputedPayload, Job, RelayerDb } from "../store/db.js";
import type { ChainDb, StoredRequest } from "./store.js";

/** The coordinator's MAX_OUTPUT: a larger output is attested as INVALID_INPUT with reason 7. */
export const MAX_OUTPUT_BYTES = 4_096;
/** Largest input fetched from an input URI. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const MAX_OPERATOR_ATTEMPTS = 3;

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
  now?: () => number;
}

export interface ComputedAnswer {
  outcome: 0 | 1;
  output: Uint8Array;
  outputHash: string;
  reason?: number;
}

/** Fetches a hash + URI input; InvalidInputError(6) when unavailable or hashing to something else. */
export async function fetchInput(uri: string, inputHash: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    if (/^https?:\/\//i.test(uri)) {
      const res = await fetch(uri, { signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const buf = new Uint8Array(await res.arrayBuffer());
      if (buf.length > MAX_INPUT_BYTES) throw new Error("input too large");
      bytes = buf;
    } else if (/^file:\/\//i.test(uri)) {
      bytes = new Uint8Array(await readFile(fileURLToPath(uri)));
    } else {
      throw new Error("unsupported input URI scheme");
    }
  } catch (e) {
    throw new InvalidInputError(
      InvalidInputReason.INPUT_NOT_RETRIEVABLE,
      `input ${uri} not retrievable: ${e instanceof Error ? e.message : String(e)}`,
      e,
    );
  }
  if (keccak256(bytes) !== inputHash.toLowerCase()) {
    throw new InvalidInputError(
      InvalidInputReason.INPUT_NOT_RETRIEVABLE,
      `input ${uri} does not hash to inputHash`,
    );
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
  readonly #models = new Map<string, Promise<ModelRef>>();
  readonly #attempts = new Map<bigint, { n: number; retryAt: number }>();
  readonly #now: () => number;
  readonly #signer: AttestationSigner;
  /** Signed answers not yet persisted (flushed in one transaction; never sent before that). */
  #buffer: { id: bigint; payload: ComputedPayload; ans: ComputedAnswer }[] = [];
  #lastFlush = 0;
  readonly profile: ComputeProfile = { jobs: 0, inferMs: 0, signMs: 0, persistMs: 0 };
  /** Signed answers persisted so far (monotonic; lets the loop submit while computing goes on). */
  persisted = 0;

  constructor(o: ComputeOptions) {
    this.#o = o;
    this.#registry = ModelRegistry__factory.connect(o.registry, o.provider);
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
    }
    return m;
  }

  /** Runs the model on a request's input; the outcome the operator attests. */
  async answer(req: StoredRequest): Promise<ComputedAnswer> {
    try {
      const input = req.inputURI !== "" ? await fetchInput(req.inputURI, req.request.inputHash) : req.input;
      const model = await this.model(req.request.modelHash);
      const res = await this.#o.runner.run(model, input);
      if (res.output.length > MAX_OUTPUT_BYTES) {
        throw new InvalidInputError(
          InvalidInputReason.MODEL_FAILED,
          `output is ${res.output.length} bytes, above the coordinator's ${MAX_OUTPUT_BYTES}`,
        );
      }
      return { outcome: 0, output: res.output, outputHash: res.outputHash };
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      const reason = reasonCodeToBytes32(e.reason as ReasonCode);
      return {
        outcome: 1,
        output: Buffer.from(reason.slice(2), "hex"),
        outputHash: reason,
        reason: e.reason,
      };
    }
  }

  /**
   * Computes and signs every due pending job (up to `limit`). Inference runs in the runner's worker
   * threads, one per worker at a time; `concurrency` × 4 jobs per worker are in flight so that input
   * checks, signing and I/O on this thread overlap with inference and every worker stays busy. Signed
   * answers are persisted in batches (one commit for many jobs), every one before `run` returns,
   * hence before anything can submit it.
   */
  async run(limit = 500): Promise<number> {
    const now = this.#now();
    const due = this.#o.db
      .jobsIn("pending", limit)
      .filter((j) => (this.#attempts.get(j.requestId)?.retryAt ?? 0) <= now);
    let done = 0;
    let next = 0;
    this.#lastFlush = performance.now();
    const worker = async (): Promise<void> => {
      for (;;) {
        const job = due[next++];
        if (job === undefined) return;
        if (await this.#one(job)) done++;
        if (this.#buffer.length >= FLUSH_COUNT || performance.now() - this.#lastFlush >= FLUSH_MS)
          this.#flush();
      }
    };
    const slots = Math.max(1, this.#o.concurrency) * Math.max(1, this.#o.runner.workers ?? 1) * 4;
    try {
      await Promise.all(Array.from({ length: Math.min(slots, Math.max(1, due.length)) }, worker));
    } finally {
      this.#flush();
    }
    return done;
  }

  /** Persists the buffered signed answers in one transaction (each job its own savepoint). */
  #flush(): void {
    this.#lastFlush = performance.now();
    if (this.#buffer.length === 0) return;
    const { db, logger, metrics } = this.#o;
    const items = this.#buffer;
    this.#buffer = [];
    const t = performance.now();
    db.batch(() => {
      for (const { id, payload, ans } of items) {
        try {
          db.markComputed(id, payload);
        } catch (e) {
          logger.error({ requestId: id.toString(), err: e }, "could not record the computed answer");
          continue;
        }
        this.#attempts.delete(id);
        this.persisted++;
        if (ans.outcome === 1) {
          metrics.invalid.inc({ reason: String(ans.reason) });
          logger.info(
            { requestId: id.toString(), reason: ans.reason },
            "invalid input: attesting INVALID_INPUT",
          );
        }
      }
    });
    this.profile.persistMs += performance.now() - t;
  }

  async #one(job: Job): Promise<boolean> {
    const { db, chainDb, logger, metrics } = this.#o;
    const id = job.requestId;
    const log = logger.child({ requestId: id.toString() });
    const req = chainDb.getRequest(id);
    if (req === undefined || req.index < 0) {
      log.warn("request data missing (reorged out?); waiting for the rescan");
      return false;
    }
    const headTime = this.#o.headTime();
    if (headTime > 0 && BigInt(headTime) >= req.request.deadline) {
      db.markDropped(id, "deadline passed before the answer was computed");
      metrics.failed.inc({ stage: "deadline" });
      log.warn({ deadline: req.request.deadline.toString() }, "job dropped: deadline passed");
      return false;
    }
    let ans: ComputedAnswer;
    const t0 = performance.now();
    try {
      ans = await this.answer(req);
    } catch (e) {
      const code = e instanceof VerdictError ? e.code : "ERROR";
      const a = this.#attempts.get(id) ?? { n: 0, retryAt: 0 };
      a.n++;
      a.retryAt = this.#now() + Math.min(60_000, 1_000 * 2 ** a.n);
      this.#attempts.set(id, a);
      metrics.failed.inc({ stage: e instanceof RelayerError ? "model" : "compute" });
      const operatorSide = e instanceof RelayerError;
      if (operatorSide && a.n >= MAX_OPERATOR_ATTEMPTS) {
        db.markDropped(id, `${code}: ${e instanceof Error ? e.message : String(e)}`);
        this.#attempts.delete(id);
        log.error({ err: e, code, attempts: a.n }, "job dropped: operator-side failure, nothing signed");
      } else {
        log.error({ err: e, code, attempts: a.n }, "could not compute the answer; will retry");
      }
      return false;
    }
    const t1 = performance.now();
    const signature = await this.#signer.sign({
      requestId: id,
      modelHash: req.request.modelHash,
      inputHash: req.request.inputHash,
      outputHash: ans.outputHash,
      outcome: ans.outcome === 0 ? Outcome.RESULT : Outcome.INVALID_INPUT,
    });
    this.profile.jobs++;
    this.profile.inferMs += t1 - t0;
    this.profile.signMs += performance.now() - t1;
    // Persisted (in a batch) before run() returns, so before the submitter can ever send it.
    this.#buffer.push({
      id,
      payload: { outcome: ans.outcome, output: ans.output, outputHash: ans.outputHash, signature },
      ans,
    });
    return true;
  }
}
