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
import { keccak256, type JsonRpcProvider, type Wallet } from "ethers";
import type { Logger } from "pino";
import {
  Outcome,
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
import type { Job, RelayerDb } from "../store/db.js";
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

export class Computer {
  readonly #o: ComputeOptions;
  readonly #registry: ModelRegistry;
  readonly #models = new Map<string, Promise<ModelRef>>();
  readonly #attempts = new Map<bigint, { n: number; retryAt: number }>();
  readonly #now: () => number;

  constructor(o: ComputeOptions) {
    this.#o = o;
    this.#registry = ModelRegistry__factory.connect(o.registry, o.provider);
    this.#now = o.now ?? Date.now;
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

  /** Computes and signs every due pending job (up to `limit`), `concurrency` at a time. */
  async run(limit = 500): Promise<number> {
    const now = this.#now();
    const due = this.#o.db
      .jobsIn("pending", limit)
      .filter((j) => (this.#attempts.get(j.requestId)?.retryAt ?? 0) <= now);
    let done = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const job = due[next++];
        if (job === undefined) return;
        if (await this.#one(job)) done++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#o.concurrency) }, worker));
    return done;
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
    const domain = verdictDomain(this.#o.chainId, this.#o.coordinator);
    const signature = await signAttestation(this.#o.signer, domain, {
      requestId: id,
      modelHash: req.request.modelHash,
      inputHash: req.request.inputHash,
      outputHash: ans.outputHash,
      outcome: ans.outcome === 0 ? Outcome.RESULT : Outcome.INVALID_INPUT,
    });
    db.markComputed(id, { outcome: ans.outcome, output: ans.output, outputHash: ans.outputHash, signature });
    this.#attempts.delete(id);
    if (ans.outcome === 1) {
      metrics.invalid.inc({ reason: String(ans.reason) });
      log.info({ reason: ans.reason }, "invalid input: attesting INVALID_INPUT");
    } else {
      log.debug({ outputHash: ans.outputHash }, "answer computed and signed");
    }
    return true;
  }
}
