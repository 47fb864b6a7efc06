/**
 * The relayer's JSON logger (pino) with two layers of secret protection:
 * 1. every logged object is sanitised into a plain copy with secret fields censored at any depth
 *    (`SECRET_FIELDS`, `sanitizeForLog`);
 * 2. a last-resort scrub of the serialised line for every registered secret string, so a key that
 *    reaches a log through an unexpected path (an error message, a nested object) is still censored.
 */
import { pino, type DestinationStream, type Level, type Logger } from "pino";

export type LogLevel = Level | "silent";

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Field names whose values are censored wherever they appear, at any depth (case-insensitive).
 * pino's own path redaction is not used: @pinojs/redact 0.4 censors the caller's object in place for
 * some path combinations and throws on objects with private fields (an ethers Wallet), so the logger
 * sanitises a plain copy instead (`sanitizeForLog`).
 */
export const SECRET_FIELDS: readonly string[] = [
  "key",
  "privateKey",
  "signerKey",
  "password",
  "keystorePassword",
  "mnemonic",
  "phrase",
  "secret",
  "seed",
  "chainCode",
];

const SECRET_FIELD_SET = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));
const MAX_DEPTH = 8;
const MAX_BYTES_SHOWN = 64;

function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * A JSON-safe deep copy of `value` for logging: secret fields censored, bigints as strings, bytes as
 * hex (so the secret scrubber sees them), errors as {type, code, message, stack, details, cause},
 * class instances reduced to their own enumerable fields (never their getters), cycles and excessive
 * depth cut. The caller's object is never modified.
 */
export function sanitizeForLog(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "function":
    case "symbol":
      return undefined;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return "[depth]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (value instanceof Uint8Array) {
      return value.length <= MAX_BYTES_SHOWN ? toHex(value) : `[${value.length} bytes]`;
    }
    if (value instanceof Error) {
      const e = value as Error & { code?: unknown; details?: unknown };
      const out: Record<string, unknown> = { type: e.name, message: e.message, stack: e.stack };
      if (e.code !== undefined) out["code"] = sanitizeForLog(e.code, depth + 1, seen);
      if (e.details !== undefined) out["details"] = sanitizeForLog(e.details, depth + 1, seen);
      if (e.cause !== undefined) out["cause"] = sanitizeForLog(e.cause, depth + 1, seen);
      return out;
    }
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((v) => sanitizeForLog(v, depth + 1, seen));
    if (value instanceof Map) {
      return sanitizeForLog(
        Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])),
        depth,
        seen,
      );
    }
    if (value instanceof Set) return [...value].map((v) => sanitizeForLog(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      if (SECRET_FIELD_SET.has(k.toLowerCase())) {
        out[k] = REDACTED;
        continue;
      }
      const v = sanitizeForLog((value as Record<string, unknown>)[k], depth + 1, seen);
      if (v !== undefined) out[k] = v;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export const REDACTED = "[redacted]";

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Secret strings scrubbed from every serialised line, whatever field they hide in. */
  secrets?: SecretSet;
  /** Static fields on every line (e.g. `{ component: "relayer" }`). */
  base?: Record<string, string | number>;
}

/** Every textual form a hex secret may take in a line: with and without `0x`, any case. */
function secretVariants(secret: string): string[] {
  const s = secret.trim();
  if (s.length < 8) return []; // too short to scrub without mangling ordinary text
  const bare = s.replace(/^0x/i, "");
  const out = new Set<string>([s, bare, bare.toLowerCase(), bare.toUpperCase()]);
  return [...out].filter((v) => v.length >= 8).sort((a, b) => b.length - a.length);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A growable set of secret strings. A logger created with it scrubs every secret added later too, so a
 * key decrypted from a keystore after the logger exists is still covered.
 */
export class SecretSet {
  #variants: string[] = [];
  #re: RegExp | undefined;

  constructor(secrets: readonly string[] = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a secret (any hex form of it is scrubbed: with/without 0x, any case). */
  add(secret: string): void {
    const fresh = secretVariants(secret).filter((v) => !this.#variants.includes(v));
    if (fresh.length === 0) return;
    this.#variants = [...this.#variants, ...fresh].sort((a, b) => b.length - a.length);
    this.#re = new RegExp(this.#variants.map(escapeRegExp).join("|"), "gi");
  }

  get size(): number {
    return this.#variants.length;
  }

  /** Replaces every registered secret in `line` with the redaction marker. */
  scrub(line: string): string {
    return this.#re === undefined ? line : line.replace(this.#re, REDACTED);
  }
}

/** Creates the relayer logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? new SecretSet();
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { component: "verdict-relayer" },
      serializers: {
        // pino does not pass child bindings through formatters: censor secret fields there by name
        ...Object.fromEntries(SECRET_FIELDS.map((f) => [f, () => REDACTED])),
        err: (e: unknown) => e, // already a sanitised copy (see formatters.log)
      },
      formatters: {
        log: (obj) => sanitizeForLog(obj) as Record<string, unknown>,
        bindings: (bindings) => sanitizeForLog(bindings) as Record<string, unknown>,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line: string) => secrets.scrub(line) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }), // sync: nothing lost on exit
  );
}
