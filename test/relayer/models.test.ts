import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { encodeTensors } from "../../sdk/tensor.js";
import { ModelError, ModelHashMismatchError } from "../../relayer/errors.js";
import { InferenceRunner } from "../../relayer/inference/runner.js";
import { parseSchema } from "../../relayer/inference/schema.js";
import { ModelStore, normaliseModelHash } from "../../relayer/models/cache.js";
import { addInt64Model, divModel } from "../helpers/tiny-onnx.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ModelError);
    expect((e as ModelError).code).to.equal(code);
    return e as Error;
  }
  return expect.fail(`expected ${code}`);
}

describe("relayer model store", function () {
  let dir: string;
  let cacheDir: string;
  let model: Uint8Array;
  let hash: string;
  let good: string;
  let server: Server;
  let base: string;
  let hits: Record<string, number>;

  before(async function () {
    model = divModel();
    hash = sha(model);
    server = createServer((req, res) => {
      const url = req.url ?? "/";
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === "/good.onnx") {
        setTimeout(
          () => res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(model)),
          30,
        );
      } else if (url === "/evil.onnx") {
        res.writeHead(200).end(Buffer.from(addInt64Model()));
      } else if (url === "/huge.onnx") {
        res.writeHead(200).end(Buffer.alloc(4096, 1));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await new Promise<void>((r) => server.close(() => r()));
  });

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-models-"));
    cacheDir = path.join(dir, "cache");
    good = path.join(dir, "good.onnx");
    writeFileSync(good, model);
    hits = {};
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const leftovers = (): string[] => (existsSync(cacheDir) ? readdirSync(cacheDir) : []);

  it("loads from a plain path, a file:// URI and http://, verifies and caches by hash", async function () {
    for (const uri of [good, pathToFileURL(good).href, `${base}/good.onnx`]) {
      rmSync(cacheDir, { recursive: true, force: true });
      const store = new ModelStore({ cacheDir });
      const bytes = await store.load("0x" + hash.toUpperCase(), [uri]);
      expect(sha(bytes)).to.equal(hash);
      expect(leftovers()).to.deep.equal([`${hash}.onnx`]);
      expect(sha(readFileSync(store.cachePath(hash)))).to.equal(hash);
    }
  });

  it("refuses a tampered model file with MODEL_HASH_MISMATCH and keeps nothing of it", async function () {
    const tampered = Buffer.from(model);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0x01, tampered.length - 1); // one flipped bit
    const evil = path.join(dir, "evil.onnx");
    writeFileSync(evil, tampered);
    const store = new ModelStore({ cacheDir });
    const e = (await expectCode(store.load(hash, [evil]), "MODEL_HASH_MISMATCH")) as ModelHashMismatchError;
    expect(e).to.be.instanceOf(ModelHashMismatchError);
    expect(e.expected).to.equal(hash);
    expect(e.actual).to.equal(sha(tampered));
    expect(leftovers()).to.deep.equal([]); // no cached copy, no partial download
    // over http too
    await expectCode(store.load(hash, [`${base}/evil.onnx`]), "MODEL_HASH_MISMATCH");
    expect(leftovers()).to.deep.equal([]);
  });

  it("falls back to the next URI when one serves wrong bytes", async function () {
    const store = new ModelStore({ cacheDir });
    const bytes = await store.load(hash, [`${base}/evil.onnx`, `${base}/missing.onnx`, good]);
    expect(sha(bytes)).to.equal(hash);
  });

  it("deletes a tampered cache file and fetches the model again", async function () {
    const store = new ModelStore({ cacheDir });
    await store.load(hash, [good]);
    const cached = store.cachePath(hash);
    const bad = Buffer.from(readFileSync(cached));
    bad.writeUInt8(bad.readUInt8(10) ^ 0xff, 10);
    writeFileSync(cached, bad);
    // no URI to refetch from: refused, and the bad copy is gone
    await expectCode(new ModelStore({ cacheDir }).load(hash, []), "MODEL_FETCH_FAILED");
    expect(existsSync(cached)).to.equal(false);
    writeFileSync(cached, bad);
    const bytes = await new ModelStore({ cacheDir }).load(hash, [`${base}/good.onnx`]);
    expect(sha(bytes)).to.equal(hash);
    expect(sha(readFileSync(cached))).to.equal(hash);
  });

  it("deduplicates concurrent fetches of the same model", async function () {
    const store = new ModelStore({ cacheDir });
    const all = await Promise.all(Array.from({ length: 5 }, () => store.load(hash, [`${base}/good.onnx`])));
    expect(hits["/good.onnx"]).to.equal(1);
    for (const b of all) expect(sha(b)).to.equal(hash);
    await store.load(hash, [`${base}/good.onnx`]); // served from the cache now
    expect(hits["/good.onnx"]).to.equal(1);
  });

  it("reports unreachable, oversized and unsupported sources with typed codes", async function () {
    const store = new ModelStore({ cacheDir, maxBytes: 1024 });
    await expectCode(store.load(hash, [`${base}/missing.onnx`]), "MODEL_FETCH_FAILED");
    await expectCode(store.load(hash, [path.join(dir, "nope.onnx")]), "MODEL_FETCH_FAILED");
    await expectCode(store.load(hash, [`${base}/huge.onnx`]), "MODEL_TOO_LARGE");
    await expectCode(store.load(hash, ["ipfs://bafy/model.onnx"]), "MODEL_URI_UNSUPPORTED");
    await expectCode(store.load(hash, []), "MODEL_FETCH_FAILED");
    expect(() => normaliseModelHash("0x1234"))
      .to.throw(ModelError)
      .with.property("code", "MODEL_HASH_INVALID");
    expect(leftovers()).to.deep.equal([]);
  });

  it("the runner never builds a session from a tampered model", async function () {
    const tampered = Buffer.from(model);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0x01, tampered.length - 1);
    writeFileSync(good, tampered);
    const runner = new InferenceRunner({ models: new ModelStore({ cacheDir }) });
    const schema = parseSchema({
      inputs: [
        { name: "x", dtype: "float32", shape: [-1] },
        { name: "y", dtype: "float32", shape: [-1] },
      ],
      outputs: [{ name: "z", dtype: "float32", shape: [-1] }],
    });
    const input = encodeTensors([
      { name: "x", dtype: "fixed64", scale: 0, dims: [1], data: [1n] },
      { name: "y", dtype: "fixed64", scale: 0, dims: [1], data: [2n] },
    ]);
    await expectCode(
      runner.run({ modelHash: hash, uris: [good], schema, outputScale: 2 }, input),
      "MODEL_HASH_MISMATCH",
    );
    // once the right bytes are available the same runner serves the model
    writeFileSync(good, model);
    const res = await runner.run({ modelHash: hash, uris: [good], schema, outputScale: 2 }, input);
    expect(res.outputHash).to.match(/^0x[0-9a-f]{64}$/);
    await runner.close();
  });
});
