/**
 * Issue 15.4 / 20.4 / 20.8: every fetch the relayer makes on a stranger's say-so is bounded
 * (relayer/fetch.ts), and input fetch failures are "input unavailable", never "invalid input".
 * Real sockets on 127.0.0.1, a real FIFO.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { keccak256, toUtf8String, Utf8ErrorFuncs } from "ethers";
import { fetchInput } from "../../relayer/chain/compute.js";
import {
  boundedFetch,
  DEFAULT_FETCH_POLICY,
  FetchError,
  isPrivateAddress,
  isUsableUri,
  type FetchPolicy,
} from "../../relayer/fetch.js";
import { CannotServeError, CannotServeReason } from "../../relayer/outcomes.js";

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof FetchError || e instanceof CannotServeError ? e.code : `untyped: ${String(e)}`;
  }
};

describe("Relayer bounded fetch: strangers' URIs never freeze, exhaust or aim the relayer", function () {
  this.timeout(30_000);
  let dir: string;
  let server: Server;
  let base: string;
  const local: FetchPolicy = {
    ...DEFAULT_FETCH_POLICY,
    allowPrivate: true,
    timeoutMs: 1_500,
    connectTimeoutMs: 500,
  };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-fetch-"));
    server = createServer((req, res) => {
      const u = req.url ?? "/";
      if (u === "/ok") res.writeHead(200).end("hello");
      else if (u === "/endless") {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = (): void => {
          while (res.write(chunk));
          res.once("drain", pump);
        };
        pump();
        req.on("close", () => res.destroy());
      } else if (u === "/declared") res.writeHead(200, { "content-length": String(1 << 30) }).end();
      else if (u === "/hang") {
        /* never answers */
      } else if (u === "/to-metadata")
        res.writeHead(302, { location: "http://169.254.169.254/latest/" }).end();
      else if (u === "/to-file") res.writeHead(302, { location: "file:///etc/passwd" }).end();
      else if (u === "/loop") res.writeHead(302, { location: "/loop" }).end();
      else if (u === "/gone") res.writeHead(404).end();
      else res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("classifies private, loopback, link-local and metadata addresses", function () {
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "0.0.0.0",
    ])
      expect(isPrivateAddress(a), a).to.equal(true);
    for (const a of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
      expect(isPrivateAddress(a), a).to.equal(false);
  });

  it("refuses loopback unless the operator allows private hosts; follows no redirect into metadata or file://", async function () {
    expect(await code(boundedFetch(`${base}/ok`, DEFAULT_FETCH_POLICY, 100))).to.equal("FETCH_REFUSED");
    expect(await code(boundedFetch("http://localhost:1/x", DEFAULT_FETCH_POLICY, 100))).to.equal(
      "FETCH_REFUSED",
    );
    expect(
      await code(boundedFetch("http://169.254.169.254/latest/meta-data", DEFAULT_FETCH_POLICY, 100)),
    ).to.equal("FETCH_REFUSED");
    expect(Buffer.from(await boundedFetch(`${base}/ok`, local, 100)).toString()).to.equal("hello");
    expect(await code(boundedFetch(`${base}/to-metadata`, { ...local, allowPrivate: false }, 100))).to.equal(
      "FETCH_REFUSED",
    );
    expect(await code(boundedFetch(`${base}/to-file`, local, 100))).to.equal("FETCH_REFUSED");
    expect(await code(boundedFetch(`${base}/loop`, local, 100))).to.equal("FETCH_REFUSED");
    expect(await code(boundedFetch(`${base}/gone`, local, 100))).to.equal("FETCH_FAILED");
    expect(await code(boundedFetch("gopher://example.com/", local, 100))).to.equal("FETCH_REFUSED");
  });

  it("aborts an endless body at the cap, refuses a declared oversize, and times out a silent server", async function () {
    const mem0 = process.memoryUsage().rss;
    const t0 = performance.now();
    expect(await code(boundedFetch(`${base}/endless`, local, 1 << 20))).to.equal("FETCH_TOO_LARGE");
    expect(await code(boundedFetch(`${base}/declared`, local, 1 << 20))).to.equal("FETCH_TOO_LARGE");
    expect(performance.now() - t0).to.be.lessThan(1_500);
    expect(process.memoryUsage().rss - mem0).to.be.lessThan(64 << 20);
    const t1 = performance.now();
    expect(await code(boundedFetch(`${base}/hang`, local, 100))).to.equal("FETCH_TIMEOUT");
    expect(performance.now() - t1).to.be.within(1_000, 3_000);
  });

  it("file:// only inside an allowed directory, regular files only: a FIFO never blocks", async function () {
    const allowed = path.join(dir, "inputs");
    mkdirSync(allowed);
    const good = path.join(allowed, "x.bin");
    writeFileSync(good, "abc");
    writeFileSync(path.join(dir, ".env"), "VERDICT_SIGNER_KEY=0xsecret");
    const fifo = path.join(allowed, "fifo");
    execFileSync("mkfifo", [fifo]);
    const policy = { ...local, fileDirs: [allowed] };
    expect(await code(boundedFetch(pathToFileURL(good).href, DEFAULT_FETCH_POLICY, 100))).to.equal(
      "FETCH_REFUSED",
    );
    expect(Buffer.from(await boundedFetch(pathToFileURL(good).href, policy, 100)).toString()).to.equal("abc");
    expect(await code(boundedFetch(pathToFileURL(path.join(dir, ".env")).href, policy, 100))).to.equal(
      "FETCH_REFUSED",
    );
    expect(await code(boundedFetch(pathToFileURL(`${allowed}/../.env`).href, policy, 100))).to.equal(
      "FETCH_REFUSED",
    );
    expect(await code(boundedFetch(pathToFileURL(good).href, policy, 2))).to.equal("FETCH_TOO_LARGE");
    const t0 = performance.now();
    expect(await code(boundedFetch(pathToFileURL(fifo).href, policy, 100))).to.equal("FETCH_REFUSED");
    expect(await code(boundedFetch("/dev/zero", policy, 100))).to.not.equal("ok");
    expect(performance.now() - t0).to.be.lessThan(1_000);
  });

  it("an input URI that is not UTF-8, unfetchable or serving other bytes is INPUT_UNAVAILABLE, not invalid input", async function () {
    const bad = toUtf8String(Uint8Array.of(0x68, 0x74, 0xff, 0xfe, 0x3a), Utf8ErrorFuncs.replace);
    expect(isUsableUri(bad)).to.equal(false);
    for (const uri of [bad, `${base}/gone`, `${base}/ok`, "file:///etc/passwd"]) {
      let err: unknown;
      try {
        await fetchInput(uri, keccak256(Uint8Array.of(1)), local, 1_000);
      } catch (e) {
        err = e;
      }
      expect(err, uri).to.be.instanceOf(CannotServeError);
      expect((err as CannotServeError).reason, uri).to.equal(CannotServeReason.INPUT_UNAVAILABLE);
    }
    const hello = new TextEncoder().encode("hello");
    expect(await fetchInput(`${base}/ok`, keccak256(hello), local, 1_000)).to.deep.equal(
      new Uint8Array(hello),
    );
  });
});
