/**
 * Model store: fetches a model's ONNX bytes by URI (file://, http(s)://, or a plain path), verifies
 * their sha256 against the registered model hash BEFORE anything loads them, and caches verified files
 * under `<cacheDir>/<sha256>.onnx`. A mismatch is refused with MODEL_HASH_MISMATCH and the bad bytes
 * are deleted (a tampered cache file is removed and the model fetched again from its URIs). Concurrent
 * requests for the same model share one fetch.
 *
 * `load` returns the verified bytes themselves, so the runner builds its session from exactly the
 * bytes that were hashed (no window between check and use).
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { ModelError, ModelHashMismatchError } from "../errors.js";
import { boundedFetch, FetchError, readAllowedPath, type FetchPolicy } from "../fetch.js";

export interface ModelStoreOptions {
  cacheDir: string;
  /** Largest model accepted, in bytes. */
  maxBytes?: number;
  /** Timeout of one http(s) download. */
  fetchTimeoutMs?: number;
  logger?: Logger;
  /** Injected fetch (tests); the global fetch by default. */
  fetch?: typeof fetch;
  /**
   * Fetch model URIs under this policy (relayer/fetch.ts: file:// only inside allowed directories,
   * no private addresses or redirects into them, connect/total timeouts, size cap while streaming).
   * The relayer always sets it; without it (tools, tests) URIs are fetched as given.
   */
  fetchPolicy?: FetchPolicy;
  /** Bytes of verified models kept in `cacheDir`; the least recently used are deleted beyond it. */
  maxCacheBytes?: number;
}

const HASH_RE = /^(0x)?[0-9a-fA-F]{64}$/;

/** Normalises a model hash to 64 lower-case hex digits without 0x; throws MODEL_HASH_INVALID. */
export function normaliseModelHash(hash: string): string {
  if (!HASH_RE.test(hash))
    throw new ModelError("MODEL_HASH_INVALID", `model hash must be a sha256 (64 hex digits)`);
  return hash.replace(/^0x/i, "").toLowerCase();
}

/** sha256 of bytes, hex without 0x. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

type Source = { kind: "file"; path: string } | { kind: "http"; url: string };

function parseUri(uri: string): Source {
  if (/^https?:\/\//i.test(uri)) return { kind: "http", url: uri };
  if (/^file:\/\//i.test(uri)) {
    try {
      return { kind: "file", path: fileURLToPath(uri) };
    } catch {
      throw new ModelError("MODEL_URI_UNSUPPORTED", `malformed file URI ${uri}`, { uri });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new ModelError("MODEL_URI_UNSUPPORTED", `unsupported model URI scheme in ${uri}`, { uri });
  }
  if (uri.length === 0) throw new ModelError("MODEL_URI_UNSUPPORTED", "empty model URI");
  return { kind: "file", path: path.resolve(uri) };
}

export class ModelStore {
  readonly cacheDir: string;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #log: Logger | undefined;
  readonly #fetch: typeof fetch;
  readonly #inflight = new Map<string, Promise<Uint8Array>>();
  readonly #policy: FetchPolicy | undefined;
  readonly #maxCacheBytes: number;

  constructor(options: ModelStoreOptions) {
    this.#policy = options.fetchPolicy;
    this.#maxCacheBytes = options.maxCacheBytes ?? Number.POSITIVE_INFINITY;
    this.cacheDir = path.resolve(options.cacheDir);
    this.#maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
    this.#timeoutMs = options.fetchTimeoutMs ?? 120_000;
    this.#log = options.logger;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Where the verified copy of `modelHash` lives (it may not exist yet). */
  cachePath(modelHash: string): string {
    return path.join(this.cacheDir, `${normaliseModelHash(modelHash)}.onnx`);
  }

  /**
   * The verified bytes of `modelHash`: from the cache if present and intact, else from the first of
   * `uris` that yields matching bytes. Throws MODEL_HASH_MISMATCH when a source served other bytes (and
   * none matched), MODEL_FETCH_FAILED / MODEL_TOO_LARGE / MODEL_URI_UNSUPPORTED otherwise.
   */
  load(modelHash: string, uris: readonly string[]): Promise<Uint8Array> {
    const hash = normaliseModelHash(modelHash);
    const running = this.#inflight.get(hash);
    if (running !== undefined) return running;
    const p = this.#load(hash, uris).finally(() => this.#inflight.delete(hash));
    this.#inflight.set(hash, p);
    return p;
  }

  /** Fetches and caches without returning bytes (pre-warming). Returns the cache path. */
  async ensure(modelHash: string, uris: readonly string[]): Promise<string> {
    await this.load(modelHash, uris);
    return this.cachePath(modelHash);
  }

  async #load(hash: string, uris: readonly string[]): Promise<Uint8Array> {
    const cached = path.join(this.cacheDir, `${hash}.onnx`);
    const fromCache = await this.#readCached(hash, cached);
    if (fromCache !== undefined) return fromCache;

    if (uris.length === 0) {
      throw new ModelError("MODEL_FETCH_FAILED", `model ${hash} is not cached and has no URI`, {
        modelHash: hash,
      });
    }
    await mkdir(this.cacheDir, { recursive: true });
    let mismatch: ModelHashMismatchError | undefined;
    let last: unknown;
    for (const uri of uris) {
      try {
        const bytes = await this.#fetchVerified(hash, uri, cached);
        this.#log?.info({ modelHash: hash, uri, bytes: bytes.length }, "model fetched and verified");
        return bytes;
      } catch (e) {
        if (e instanceof ModelHashMismatchError) mismatch = e;
        last = e;
        this.#log?.warn({ modelHash: hash, uri, code: (e as ModelError).code }, "model source failed");
      }
    }
    if (mismatch !== undefined) throw mismatch;
    if (last instanceof ModelError) throw last;
    throw new ModelError(
      "MODEL_FETCH_FAILED",
      `model ${hash}: every source failed`,
      { modelHash: hash },
      last,
    );
  }

  /** Reads and re-verifies a cached copy; deletes it when its bytes do not match. */
  async #readCached(hash: string, file: string): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    const actual = sha256Hex(bytes);
    if (actual === hash) {
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recency for the cache's eviction
      return bytes;
    }
    this.#log?.error({ modelHash: hash, actual, file }, "cached model does not match its hash; deleted");
    await rm(file, { force: true });
    return undefined;
  }

  /** Deletes the least recently used cached models beyond `maxCacheBytes` (never `keep`). */
  async #evict(keep: string): Promise<void> {
    if (!Number.isFinite(this.#maxCacheBytes)) return;
    const files = await Promise.all(
      (await readdir(this.cacheDir).catch(() => [] as string[]))
        .filter((f) => /^[0-9a-f]{64}\.onnx$/.test(f))
        .map(async (f) => {
          const p = path.join(this.cacheDir, f);
          const st = await stat(p).catch(() => undefined);
          return { p, size: st?.size ?? 0, used: st?.mtimeMs ?? 0 };
        }),
    );
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files.sort((a, b) => a.used - b.used)) {
      if (total <= this.#maxCacheBytes) break;
      if (f.p === keep) continue;
      await rm(f.p, { force: true });
      total -= f.size;
      this.#log?.info({ file: f.p, bytes: f.size }, "model cache full: evicted the least recently used");
    }
  }

  /** Fetches one source under the fetch policy (bounded), verifies, caches. */
  async #fetchBounded(hash: string, uri: string, dest: string, policy: FetchPolicy): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = /^[a-z][a-z0-9+.-]*:/i.test(uri)
        ? await boundedFetch(uri, { ...policy, timeoutMs: this.#timeoutMs }, this.#maxBytes)
        : await readAllowedPath(uri, policy, this.#maxBytes);
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      const code =
        e.code === "FETCH_TOO_LARGE"
          ? "MODEL_TOO_LARGE"
          : e.code === "FETCH_REFUSED"
            ? "MODEL_URI_UNSUPPORTED"
            : "MODEL_FETCH_FAILED";
      throw new ModelError(code, `model source refused or failed: ${e.message}`, { uri }, e);
    }
    const actual = sha256Hex(bytes);
    if (actual !== hash) throw new ModelHashMismatchError(hash, actual, uri);
    const tmp = `${dest}.part-${randomBytes(6).toString("hex")}`;
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.write(bytes);
      await fh.sync();
      await fh.close();
      await rename(tmp, dest);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    await this.#evict(dest);
    return bytes;
  }

  /** Streams one source into a temp file while hashing; renames into place only on a match. */
  async #fetchVerified(hash: string, uri: string, dest: string): Promise<Uint8Array> {
    if (this.#policy !== undefined) return this.#fetchBounded(hash, uri, dest, this.#policy);
    const source = parseUri(uri);
    const tmp = `${dest}.part-${randomBytes(6).toString("hex")}`;
    const hasher = createHash("sha256");
    const chunks: Buffer[] = [];
    let size = 0;
    const fh = await open(tmp, "w", 0o644);
    try {
      const push = async (chunk: Uint8Array): Promise<void> => {
        size += chunk.length;
        if (size > this.#maxBytes) {
          throw new ModelError("MODEL_TOO_LARGE", `model from ${uri} exceeds ${this.#maxBytes} bytes`, {
            uri,
          });
        }
        hasher.update(chunk);
        const b = Buffer.from(chunk);
        chunks.push(b);
        await fh.write(b);
      };
      if (source.kind === "file") {
        let st;
        try {
          st = await stat(source.path);
        } catch (e) {
          throw new ModelError("MODEL_FETCH_FAILED", `cannot read ${uri}`, { uri }, e);
        }
        if (!st.isFile()) throw new ModelError("MODEL_FETCH_FAILED", `${uri} is not a file`, { uri });
        if (st.size > this.#maxBytes) {
          throw new ModelError("MODEL_TOO_LARGE", `model from ${uri} exceeds ${this.#maxBytes} bytes`, {
            uri,
          });
        }
        for await (const chunk of createReadStream(source.path)) await push(chunk as Buffer);
      } else {
        let res: Response;
        try {
          res = await this.#fetch(source.url, {
            signal: AbortSignal.timeout(this.#timeoutMs),
            redirect: "follow",
          });
        } catch (e) {
          throw new ModelError("MODEL_FETCH_FAILED", `fetching ${uri} failed`, { uri }, e);
        }
        if (!res.ok || res.body === null) {
          throw new ModelError("MODEL_FETCH_FAILED", `fetching ${uri} answered HTTP ${res.status}`, {
            uri,
            status: res.status,
          });
        }
        const declared = Number(res.headers.get("content-length") ?? "0");
        if (declared > this.#maxBytes) {
          await res.body.cancel();
          throw new ModelError("MODEL_TOO_LARGE", `model from ${uri} exceeds ${this.#maxBytes} bytes`, {
            uri,
          });
        }
        try {
          for await (const chunk of res.body) await push(chunk);
        } catch (e) {
          if (e instanceof ModelError) throw e;
          throw new ModelError("MODEL_FETCH_FAILED", `download of ${uri} broke off`, { uri }, e);
        }
      }
      const actual = hasher.digest("hex");
      if (actual !== hash) throw new ModelHashMismatchError(hash, actual, uri);
      await fh.sync();
      await fh.close();
      await rename(tmp, dest);
      return new Uint8Array(Buffer.concat(chunks, size));
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
