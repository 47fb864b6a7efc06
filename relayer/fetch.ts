/**
 * Bounded fetches of bytes named by strangers (requesters' input URIs, model owners' model URIs).
 * Every fetch:
 * - takes http(s) URIs, and file:// only inside directories the operator allowed in its config (a
 *   requester never reads the operator's files: no `.env`, no keystore, no SQLite);
 * - resolves the host itself and refuses loopback, private, link-local, CGNAT, multicast and reserved
 *   addresses (cloud metadata, internal services) unless the operator allowed private hosts; the check
 *   runs on the address actually connected to (no DNS-rebinding window), on every redirect hop;
 * - follows at most `maxRedirects` redirects, to http(s) only;
 * - has a connect timeout and a total timeout, and a size cap enforced while streaming (a declared
 *   Content-Length above it is refused before any body byte; a body that grows past it is aborted);
 * - reads files only when they are regular files (lstat before open, fstat after, opened non-blocking so
 *   a FIFO or a device can never block the event loop), and never more than the cap.
 * Failures are typed (FETCH_REFUSED, FETCH_FAILED, FETCH_TOO_LARGE, FETCH_TIMEOUT) and never hang.
 */
import { constants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { lookup as dnsLookup } from "node:dns";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RelayerError } from "./errors.js";

export interface FetchPolicy {
  /** Directories whose regular files file:// URIs may name (resolved, symlinks followed). Empty: none. */
  fileDirs: readonly string[];
  /** Allow loopback/private/link-local addresses (devnets, an operator's own storage). */
  allowPrivate: boolean;
  /** Connect timeout (ms). */
  connectTimeoutMs: number;
  /** Whole-fetch timeout (ms), redirects included. */
  timeoutMs: number;
  /** Redirects followed at most. */
  maxRedirects: number;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  fileDirs: [],
  allowPrivate: false,
  connectTimeoutMs: 5_000,
  timeoutMs: 30_000,
  maxRedirects: 3,
};

export class FetchError extends RelayerError {}

/** Addresses a stranger's URI must never reach unless the operator allows private hosts. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["2001:db8::", 32],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

/** True for an address a stranger's URI may not reach by default. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped !== null) return PRIVATE.check(mapped[1]!, "ipv4");
    return PRIVATE.check(address, "ipv6");
  }
  return PRIVATE.check(address, "ipv4");
}

/** A URI a requester may name: printable ASCII only (a non-UTF-8 or control-laden URI is unusable). */
export function isUsableUri(uri: string): boolean {
  return uri.length > 0 && uri.length <= 4_096 && /^[\x21-\x7e]+$/.test(uri);
}

/** Fetches `uri` under `policy`, at most `maxBytes` bytes. */
export async function boundedFetch(uri: string, policy: FetchPolicy, maxBytes: number): Promise<Uint8Array> {
  if (!isUsableUri(uri)) throw new FetchError("FETCH_REFUSED", "the URI is not printable ASCII");
  if (/^file:/i.test(uri)) return readAllowedFile(uri, policy, maxBytes);
  if (!/^https?:\/\//i.test(uri)) throw new FetchError("FETCH_REFUSED", "unsupported URI scheme");
  const deadline = Date.now() + policy.timeoutMs;
  let url = new URL(uri);
  for (let hop = 0; ; hop++) {
    const r = await getOnce(url, policy, maxBytes, deadline);
    if (r.kind === "body") return r.bytes;
    if (hop >= policy.maxRedirects) throw new FetchError("FETCH_REFUSED", "too many redirects");
    const next = new URL(r.location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new FetchError("FETCH_REFUSED", `redirect to a ${next.protocol} URI refused`);
    }
    url = next;
  }
}

type Once = { kind: "body"; bytes: Uint8Array } | { kind: "redirect"; location: string };

function checkedLookup(policy: FetchPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) {
        callback(err, "", 0);
        return;
      }
      const list = addresses as { address: string; family: number }[];
      const bad = list.find((a) => !policy.allowPrivate && isPrivateAddress(a.address));
      if (bad !== undefined || list.length === 0) {
        const e = new FetchError("FETCH_REFUSED", `host ${hostname} resolves to a private address`);
        callback(e as unknown as NodeJS.ErrnoException, "", 0);
        return;
      }
      if ((options as { all?: boolean }).all === true) {
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, list);
      } else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

function getOnce(url: URL, policy: FetchPolicy, maxBytes: number, deadline: number): Promise<Once> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0 && !policy.allowPrivate && isPrivateAddress(host)) {
    return Promise.reject(new FetchError("FETCH_REFUSED", `address ${host} is private`));
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new FetchError("FETCH_TIMEOUT", "fetch timed out"));
  const mod = url.protocol === "https:" ? https : http;
  return new Promise<Once>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      req.destroy();
      reject(e);
    };
    const req = mod.get(url, { lookup: checkedLookup(policy), headers: { "accept-encoding": "identity" } });
    const total = setTimeout(
      () => fail(new FetchError("FETCH_TIMEOUT", `no complete answer in ${policy.timeoutMs} ms`)),
      remaining,
    );
    const connect = setTimeout(
      () => fail(new FetchError("FETCH_TIMEOUT", `no connection in ${policy.connectTimeoutMs} ms`)),
      Math.min(remaining, policy.connectTimeoutMs),
    );
    req.on("socket", (s) => {
      const connected = (): void => clearTimeout(connect);
      if (!s.connecting) connected();
      s.once(url.protocol === "https:" ? "secureConnect" : "connect", connected);
    });
    req.on("error", (e) => fail(e instanceof FetchError ? e : new FetchError("FETCH_FAILED", e.message)));
    req.on("response", (res) => {
      clearTimeout(connect);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        settled = true;
        clearTimeout(total);
        res.resume();
        req.destroy();
        resolve({ kind: "redirect", location: res.headers.location });
        return;
      }
      if (status !== 200) {
        fail(new FetchError("FETCH_FAILED", `HTTP ${status}`));
        return;
      }
      const declared = Number(res.headers["content-length"] ?? "NaN");
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(new FetchError("FETCH_TOO_LARGE", `declared ${declared} bytes, above the ${maxBytes} cap`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          fail(new FetchError("FETCH_TOO_LARGE", `more than ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("error", (e) => fail(new FetchError("FETCH_FAILED", e.message)));
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        resolve({ kind: "body", bytes: new Uint8Array(Buffer.concat(chunks, size)) });
      });
    });
  });
}

/** Reads a file:// URI: inside an allowed directory, a regular file, at most `maxBytes`. */
async function readAllowedFile(uri: string, policy: FetchPolicy, maxBytes: number): Promise<Uint8Array> {
  let file: string;
  try {
    file = fileURLToPath(uri);
  } catch {
    throw new FetchError("FETCH_REFUSED", "malformed file URI");
  }
  return readAllowedPath(file, policy, maxBytes);
}

/** Reads a local path under the same rules as a file:// URI. */
export async function readAllowedPath(
  file: string,
  policy: FetchPolicy,
  maxBytes: number,
): Promise<Uint8Array> {
  if (policy.fileDirs.length === 0) throw new FetchError("FETCH_REFUSED", "file URIs are not allowed");
  let real: string;
  try {
    real = await realpath(path.resolve(file));
  } catch (e) {
    throw new FetchError("FETCH_FAILED", `cannot resolve the file: ${(e as Error).message}`);
  }
  const inside = await Promise.all(
    policy.fileDirs.map(async (d) => {
      const dir = await realpath(path.resolve(d)).catch(() => undefined);
      return (
        dir !== undefined && (real === dir || real.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep))
      );
    }),
  );
  if (!inside.includes(true))
    throw new FetchError("FETCH_REFUSED", "the file is outside the allowed directories");
  const st = await lstat(real).catch((e: Error) => {
    throw new FetchError("FETCH_FAILED", e.message);
  });
  if (!st.isFile()) throw new FetchError("FETCH_REFUSED", "not a regular file");
  if (st.size > maxBytes)
    throw new FetchError("FETCH_TOO_LARGE", `${st.size} bytes, above the ${maxBytes} cap`);
  // O_NONBLOCK: if the path was swapped for a FIFO since lstat, open does not wait for a writer.
  const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(
    (e: Error) => {
      throw new FetchError("FETCH_FAILED", e.message);
    },
  );
  try {
    const fst = await fh.stat();
    if (!fst.isFile()) throw new FetchError("FETCH_REFUSED", "not a regular file");
    if (fst.size > maxBytes) throw new FetchError("FETCH_TOO_LARGE", `${fst.size} bytes, above the cap`);
    const buf = Buffer.alloc(fst.size);
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await fh.read(buf, at, buf.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, at);
  } finally {
    await fh.close();
  }
}
