/**
 * Issue 20.1-20.3: hostile models against the real inference children and the real onnxruntime.
 * - a ~125-byte model whose weight is "external data" pointing at `.env` (and the same hidden in an If
 *   branch) is refused before loading, and even a child handed it directly cannot read the relayer's
 *   files: it runs in an empty working directory with no VERDICT_* secret in its environment;
 * - a Loop whose trip count comes from the input is killed at the job deadline (INFERENCE_TIMEOUT),
 *   while honest jobs keep being answered and the relayer's event loop never waits;
 * - an oversized ConstantOfShape fails to allocate under the child's memory limit: a typed resource
 *   failure that maps to the operator's own "cannot serve" outcome, never INVALID_INPUT.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidInputError, RunnerError } from "../../relayer/errors.js";
import { assertSelfContainedModel } from "../../relayer/inference/onnx-guard.js";
import { CHILD_NICE, DEMOTED_NICE, InferencePool } from "../../relayer/inference/pool.js";
import { InferenceRunner, type ModelRef, type RunResult } from "../../relayer/inference/runner.js";
import { parseSchema } from "../../relayer/inference/schema.js";
import { ModelStore, sha256Hex } from "../../relayer/models/cache.js";
import { asCannotServe, CannotServeReason } from "../../relayer/outcomes.js";
import { endlessLoopModel, exfiltrationModel, hugeAllocationModel } from "../../scripts/lib/hostile-onnx.js";
import { addInt64Model } from "../helpers/tiny-onnx.js";
import { encodeTensors } from "../../sdk/tensor.js";
import { keccak256, Wallet } from "ethers";
import { pino } from "pino";
import type { CommittedRequest } from "../../sdk/requests.js";
import { makeProvider } from "../../relayer/chain/index.js";
import { Computer } from "../../relayer/chain/compute.js";
import { RelayerDb } from "../../relayer/db/jobs.js";
import { ChainDb } from "../../relayer/db/requests.js";
import { RelayerMetrics } from "../../relayer/metrics.js";

const SECRET = "VERDICT_SIGNER_KEY=0x" + "5e".repeat(32);

describe("Relayer isolation: hostile models never reach secrets, stall or crash the node", function () {
  this.timeout(120_000);
  let dir: string;
  let cwd: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-isolation-"));
    cwd = process.cwd();
    // The relayer's working directory holds its secrets, as an operator's would.
    process.chdir(dir);
    writeFileSync(path.join(dir, ".env"), SECRET + "\n");
    process.env.VERDICT_SIGNER_KEY = "0x" + "5e".repeat(32);
  });

  after(function () {
    process.chdir(cwd);
    delete process.env.VERDICT_SIGNER_KEY;
    rmSync(dir, { recursive: true, force: true });
  });

  const fileOf = (name: string, bytes: Uint8Array): { file: string; hash: string } => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return { file, hash: "0x" + sha256Hex(bytes) };
  };

  it("refuses external-data weights, at the top level and inside an If branch, before loading", async function () {
    const top = exfiltrationModel(64, ".env");
    const nested = exfiltrationModel(64, ".env", true);
    expect(top.length).to.be.lessThan(200);
    for (const bytes of [top, nested]) {
      expect(() => assertSelfContainedModel(bytes))
        .to.throw(RunnerError)
        .with.property("code", "MODEL_UNSAFE");
    }
    // Self-contained hostile models pass the guard (they are stopped by the deadline and memory limit).
    assertSelfContainedModel(endlessLoopModel());
    assertSelfContainedModel(hugeAllocationModel());

    const runner = new InferenceRunner({
      models: new ModelStore({ cacheDir: path.join(dir, "cache") }),
      workers: 1,
    });
    try {
      const { file, hash } = fileOf("exfil.onnx", top);
      const ref: ModelRef = {
        modelHash: hash,
        uris: [file],
        schema: parseSchema({
          inputs: [{ name: "x", dtype: "uint8", shape: [1] }],
          outputs: [{ name: "y", dtype: "uint8", shape: [64] }],
        }),
        outputScale: 0,
      };
      const input = encodeTensors([{ name: "x", dtype: "uint8", scale: 0, dims: [1], data: [0n] }]);
      let err: unknown;
      try {
        await runner.run(ref, input);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(RunnerError);
      expect((err as RunnerError).code).to.equal("MODEL_UNSAFE");
      expect(asCannotServe(err)?.reason).to.equal(CannotServeReason.DECLINED);
      expect(String((err as Error).message)).to.not.include("5e5e5e");
    } finally {
      await runner.close();
    }
  });

  it("a child handed the exfiltration model anyway reads nothing: empty working directory, no secrets", async function () {
    // This test's own children's scratch directories (other test files may run pools at the same time).
    const scratch: string[] = [];
    const pool = new InferencePool({ size: 1 });
    scratch.push(...pool.scratchDirs);
    try {
      const bytes = exfiltrationModel(64, ".env");
      let err: unknown;
      try {
        await pool.addModel("ex", bytes, () => Promise.resolve(bytes));
      } catch (e) {
        err = e;
      }
      // onnxruntime finds no `.env` next to the model: the load fails, nothing is returned.
      expect(err).to.be.instanceOf(RunnerError);
      expect((err as RunnerError).code).to.equal("MODEL_LOAD_FAILED");
    } finally {
      scratch.push(...pool.scratchDirs);
      await pool.close();
    }
    // A stand-in worker reports its environment and working directory.
    const probe = path.join(dir, "probe-worker.mjs");
    writeFileSync(
      probe,
      `import { readdirSync } from "node:fs";
process.on("message", (m) => {
  if (m.type === "load") process.send({ type: "loaded", id: m.id, meta: {
    inputNames: Object.keys(process.env), outputNames: [process.cwd(), ...readdirSync(process.cwd())],
    inputs: [], outputs: [] } });
  else if (m.type === "close") process.disconnect();
});
`,
    );
    const fake = new InferencePool({ size: 1, workerUrl: pathToFileURL(probe) });
    scratch.push(...fake.scratchDirs);
    try {
      const meta = await fake.addModel("p", Uint8Array.of(1), () => Promise.resolve(Uint8Array.of(1)));
      expect(meta.inputNames.filter((k) => k.startsWith("VERDICT_"))).to.deep.equal([]);
      const [childCwd, ...entries] = meta.outputNames;
      expect(childCwd).to.not.equal(dir);
      expect(entries).to.deep.equal([]);
    } finally {
      scratch.push(...fake.scratchDirs);
      await fake.close();
    }
    // Closed pools leave no scratch directory behind.
    expect(scratch).to.have.length.greaterThan(0);
    expect(scratch.filter((d) => existsSync(d))).to.deep.equal([]);
  });

  it("an endless Loop is killed at its deadline while honest jobs are answered and the event loop stays free", async function () {
    const pool = new InferencePool({ size: 2, jobTimeoutMs: 1_500 });
    try {
      const loop = endlessLoopModel();
      const add = addInt64Model();
      await pool.addModel("loop", loop, () => Promise.resolve(loop));
      await pool.addModel("add", add, () => Promise.resolve(add));
      // Event-loop stalls measured while the hostile job runs.
      let worstGap = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        worstGap = Math.max(worstGap, now - last);
        last = now;
      }, 10);
      const t0 = performance.now();
      const hostile = pool
        .run("loop", () => [{ name: "n", type: "int64", dims: [], data: BigInt64Array.from([10n ** 15n]) }], [
          "y",
        ])
        .then(
          () => "answered",
          (e: unknown) => e,
        );
      const honest: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        const out = await pool.run(
          "add",
          () => [
            { name: "a", type: "int64", dims: [1], data: BigInt64Array.from([BigInt(i)]) },
            { name: "b", type: "int64", dims: [1], data: BigInt64Array.from([1n]) },
          ],
          ["s"],
        );
        expect((out[0]!.data as BigInt64Array)[0]).to.equal(BigInt(i + 1));
        honest.push(performance.now() - t);
      }
      const err = await hostile;
      clearInterval(timer);
      expect(err).to.be.instanceOf(RunnerError);
      expect((err as RunnerError).code).to.equal("INFERENCE_TIMEOUT");
      expect(performance.now() - t0).to.be.lessThan(10_000);
      expect(asCannotServe(err)?.reason).to.equal(CannotServeReason.DECLINED);
      expect(Math.max(...honest)).to.be.lessThan(1_000);
      expect(worstGap).to.be.lessThan(500);
      expect(pool.timeouts).to.equal(1);
      // The killed child was replaced: the pool still has two.
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.pids).to.have.length(3); // two workers and the spare
    } finally {
      await pool.close();
    }
  });

  it("children run below the relayer's loop; a job running past 1 s gets the lowest CPU priority; other models load without waiting for it", async function () {
    const pool = new InferencePool({ size: 1, spare: 1, jobTimeoutMs: 4_000, demoteAfterMs: 300 });
    try {
      const loop = endlessLoopModel();
      await pool.addModel("loop", loop, () => Promise.resolve(loop));
      const hostile = pool
        .run("loop", () => [{ name: "n", type: "int64", dims: [], data: BigInt64Array.from([10n ** 15n]) }], [
          "y",
        ])
        .catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 800));
      expect(pool.demotions).to.equal(1);
      const priorities = pool.pids.map((pid) => getPriority(pid)).sort((a, b) => a - b);
      // Children run below the relayer's loop; the hostile job's child at the lowest priority.
      expect(priorities).to.deep.equal([CHILD_NICE, DEMOTED_NICE]);
      // A model first seen while the hostile job runs loads on the idle child at once: it does not wait
      // (up to the hostile job's deadline) for the busy child to take it too.
      const add = addInt64Model();
      const t = performance.now();
      await pool.addModel("add", add, () => Promise.resolve(add));
      const out = await pool.run(
        "add",
        () => [
          { name: "a", type: "int64", dims: [1], data: BigInt64Array.from([41n]) },
          { name: "b", type: "int64", dims: [1], data: BigInt64Array.from([1n]) },
        ],
        ["s"],
      );
      expect((out[0]!.data as BigInt64Array)[0]).to.equal(42n);
      expect(performance.now() - t).to.be.lessThan(2_000);
      const err = await hostile;
      expect((err as RunnerError).code).to.equal("INFERENCE_TIMEOUT");
      // The killed child is replaced at the children's priority; the busy child got the new model when needed.
      await new Promise((r) => setTimeout(r, 300));
      expect(pool.pids.map((pid) => getPriority(pid))).to.deep.equal([CHILD_NICE, CHILD_NICE]);
    } finally {
      await pool.close();
    }
  });

  it("an oversized ConstantOfShape is a resource failure (cannot serve), never invalid input", async function () {
    const pool = new InferencePool({ size: 1, memoryLimitMb: 1_024 });
    try {
      const huge = hugeAllocationModel();
      await pool.addModel("huge", huge, () => Promise.resolve(huge));
      const run = (a: bigint, b: bigint): Promise<unknown> =>
        pool
          .run(
            "huge",
            () => [{ name: "shape", type: "int64", dims: [2], data: BigInt64Array.from([a, b]) }],
            ["y"],
          )
          .then(
            (r) => r,
            (e: unknown) => e,
          );
      // 4 TB, and 2 GB (over the 1 GiB limit, under the machine's memory): both refused as resources.
      for (const [a, b] of [
        [1_000_000n, 1_000_000n],
        [50_000n, 10_000n],
      ] as const) {
        const e = await run(a, b);
        expect(e).to.not.be.instanceOf(InvalidInputError);
        expect(e).to.be.instanceOf(RunnerError);
        expect(["INFERENCE_RESOURCE_EXHAUSTED", "INFERENCE_WORKER_CRASHED"]).to.include(
          (e as RunnerError).code,
        );
        expect(asCannotServe(e)?.reason).to.equal(CannotServeReason.DECLINED);
      }
      // A small one still runs afterwards.
      const ok = (await run(3n, 4n)) as { data: Float32Array }[];
      expect(ok[0]!.data[0]).to.equal(0);
    } finally {
      await pool.close();
    }
  });
});

describe("Relayer compute slots: jobs of hostile models never keep another model waiting", function () {
  const model = (n: number): string => "0x" + n.toString(16).padStart(64, "0");
  const HONEST = model(0xa0);
  const SCHEMA = parseSchema(
    JSON.stringify({
      inputs: [{ name: "x", dtype: "uint8", shape: [1] }],
      outputs: [{ name: "y", dtype: "uint8", shape: [1] }],
    }),
  );

  it("two hostile models fill every slot; a job of a model with nothing in flight still starts at once", async function () {
    const db = RelayerDb.open(":memory:");
    const chainDb = ChainDb.open(":memory:");
    // The runner: hostile models' inferences run until released (their deadline), the honest one answers.
    const hanging: (() => void)[] = [];
    const runner = {
      workers: 1,
      run: (m: ModelRef): Promise<RunResult> =>
        m.modelHash === HONEST
          ? Promise.resolve({
              output: Uint8Array.of(1),
              outputHash: keccak256(Uint8Array.of(1)),
              tensors: [],
            })
          : new Promise<RunResult>((_resolve, reject) =>
              hanging.push(() => reject(new RunnerError("INFERENCE_TIMEOUT", "deadline"))),
            ),
    } as unknown as InferenceRunner;
    const computer = new Computer({
      provider: makeProvider("http://127.0.0.1:9", 31337n),
      db,
      chainDb,
      runner,
      signer: new Wallet("0x" + "11".repeat(32)),
      metrics: new RelayerMetrics({ defaultMetrics: false }),
      logger: pino({ level: "silent" }),
      chainId: 31337n,
      coordinator: "0x" + "c0".repeat(20),
      registry: "0x" + "e0".repeat(20),
      concurrency: 1, // 2 slots, at most 1 per model
      headTime: () => 0,
    });
    computer.model = (hash: string): Promise<ModelRef> =>
      Promise.resolve({
        modelHash: hash,
        uris: [],
        schema: SCHEMA,
        outputScale: 0,
      });
    const add = (id: bigint, modelHash: string): void => {
      const input = Uint8Array.of(Number(id));
      const inputHash = keccak256(input);
      db.addJob({ requestId: id, modelHash, inputHash, seenBlock: Number(id) });
      chainDb.putRequest({
        requestId: id,
        index: 0,
        blockNumber: Number(id),
        blockTime: 0,
        request: { modelHash, inputHash, deadline: 0n } as unknown as CommittedRequest,
        input,
        inputURI: "",
      });
    };
    try {
      // Hostile jobs of two models arrive first and take both slots (and one job each waits).
      add(1n, model(0xb1));
      add(2n, model(0xb2));
      add(3n, model(0xb1));
      add(4n, model(0xb2));
      expect(computer.pump()).to.equal(2);
      await new Promise((r) => setTimeout(r, 20));
      expect(hanging).to.have.length(2);
      // An honest request arrives: it starts although every slot is taken, and is answered.
      add(5n, HONEST);
      expect(computer.pump()).to.equal(1);
      for (let i = 0; i < 100 && db.getJob(5n)?.state !== "computed"; i++) {
        await new Promise((r) => setTimeout(r, 20));
        computer.flush();
      }
      expect(db.getJob(5n)?.state).to.equal("computed");
      // The hostile models' waiting jobs do not: their models have a job in flight.
      expect(hanging).to.have.length(2);
      expect(db.getJob(3n)?.state).to.equal("pending");
    } finally {
      for (const release of hanging.splice(0)) release();
      await computer.drain();
      db.close();
      chainDb.close();
    }
  });
});
