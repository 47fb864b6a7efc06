/**
 * The relayer's JSON logger (pino) with two layers of secret protection:
 * 1. redaction of every field path a secret may travel in (`REDACT_PATHS`);
 * 2. a last-resort scrub of the serialised line for every registered secret string, so a key that
 *    reaches a log through an unexpected path (an error message, a nested object) is still censored.
 */
import { pino, type DestinationStream, type Level, type Logger } from "pino";

export type LogLevel = Level | "silent";

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Field paths censored in every log line. */
export const REDACT_PATHS: readonly string[] = [
  "key",
  "privateKey",
  "signerKey",
  "password",
  "keystorePassword",
  "mnemonic",
  "*.key",
  "*.privateKey",
  "*.signerKey",
  "*.password",
  "*.keystorePassword",
  "*.mnemonic",
  "*.*.key",
  "*.*.privateKey",
  "*.*.password",
  "signer.key",
  "signer.password",
];

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
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line: string) => secrets.scrub(line) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }), // sync: nothing lost on exit
  );
}
