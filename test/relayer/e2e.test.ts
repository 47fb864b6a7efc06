/**
 * End to end: a real `hardhat node` child process, the protocol deployed through the Ignition module,
 * the REAL relayer process (`node --import tsx relayer/main.ts run`) configured by environment
 * variables, real onnxruntime and real model files.
 */
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { Wallet, toBeHex, zeroPadValue, type Log } from "ethers";
import { coordinatorInterface, createdRequestsIn } from "../../sdk/requests.js";
import { sleep } from "../../sdk/retry.js";
import { decodeTensors, encodeTensors, toFixed, type Tensor } from "../../sdk/tensor.js";
import { RelayerDb } from "../../relayer/db/jobs.js";
import {
  freePort,
  generatedModel,
  inlineParams,
  request,
  requestMany,
  rpc,
  sileroModel,
  startDevnet,
  startRelayerProcess,
  uriParams,
  type Devnet,
  type RelayerProcess,
} from "../../scripts/lib/devnet.js";
import { ANSWER_SUBMITTED } from "../../relayer/chain/sync.js";
import { SwitchableProxy } from "../../scripts/lib/proxy.js";

const SCALE = 6;

interface Answer {
  requestId: bigint;
  operator: string;
  outcome: number;
  output: Uint8Array;
  txHash: string;
  blockNumber: number;
}

function parseAnswers(logs: readonly Log[]): Answer[] {
  return logs.flatMap((log) => {
    const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (p?.name !== "AnswerSubmitted") return [];
    return [
      {
        requestId: BigInt(p.args.requestId as bigint),
        operator: String(p.args.operator),
        outcome: Number(p.args.outcome),
        output: Buffer.from(String(p.args.output).slice(2), "hex"),
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
      },
    ];
  });
}

async function answersSince(devnet: Devnet, fromBlock: number): Promise<Answer[]> {
  const logs = await devnet.provider.getLogs({
    address: devnet.addresses.coordinator,
    fromBlock,
    toBlock: "latest",
    topics: [ANSWER_SUBMITTED],
  });
  return parseAnswers(logs);
}

/** Waits until every id in `ids` has an answer (returns all answers since `fromBlock`). */
async function waitAnswered(
  devnet: Devnet,
  ids: readonly bigint[],
  fromBlock: number,
  timeoutMs: number,
  relayer?: RelayerProcess,
): Promise<Answer[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await answersSince(devnet, fromBlock);
    const got = new Set(answers.map((a) => a.requestId));
    if (ids.every((id) => got.has(id))) return answers;
    if (Date.now() > deadline) {
      const missing = ids.filter((id) => !got.has(id));
      throw new Error(
        `not answered in ${timeoutMs} ms: ${missing.join(",")}\n` +
          (relayer ? relayer.lines().slice(-30).join("\n") + "\n" + relayer.stderr() : ""),
      );
    }
    await sleep(250);
  }
}

function fixedTensor(name: string, dims: number[], values: readonly number[]): Tensor {
  return { name, dtype: "fixed64", scale: SCALE, dims, data: toFixed(values, SCALE) };
}

/** Runs a model file with onnxruntime's DEFAULT options (independent of the relayer's runner). */
async function bareRun(file: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(file);
  try {
    return (await s.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await s.release();
  }
}

async function health(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.status;
  } catch {
    return 0;
  }
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe("relayer end to end (hardhat node + relayer process)", function () {
  this.timeout(240_000);
  let devnet: Devnet;
  let tmp: string;
  const relayers: RelayerProcess[] = [];
  const mlp = generatedModel("mlp-8x16x4");
  const silero = sileroModel();
  const tampered = generatedModel("int-mlp-8x8x4", 0n);

  const spawnRelayer = (dataDir: string, extra: Record<string, string> = {}): RelayerProcess => {
    const r = startRelayerProcess(
      devnet.relayerEnv(0, {
        VERDICT_DATA_DIR: dataDir,
        VERDICT_START_BLOCK: String(startBlock),
        ...extra,
      }),
    );
    relayers.push(r);
    return r;
  };
  let startBlock = 0;

  before(async function () {
    tmp = mkdtempSync(path.join(tmpdir(), "verdict-e2e-"));
    // A copy of the int MLP with one byte changed, served under the registered (true) hash.
    const bad = path.join(tmp, "tampered.onnx");
    copyFileSync(tampered.file, bad);
    const bytes = readFileSync(bad);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(bad, bytes);
    devnet = await startDevnet({
      operators: 1,
      models: [mlp, silero, tampered],
      uriOf: (m) => (m.name === tampered.name ? pathToFileURL(bad).href : `file://${m.file}`),
    });
  });

  afterEach(async function () {
    for (const r of relayers.splice(0)) await r.kill();
    if (devnet) {
      await rpc(devnet.url, "evm_setIntervalMining", [0]);
      await rpc(devnet.url, "evm_setAutomine", [true]);
    }
  });

  after(async function () {
    for (const r of relayers.splice(0)) await r.kill();
    await devnet?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("answers an MLP request and a Silero VAD request; outputs equal an independent onnxruntime run", async function () {
    startBlock = await devnet.provider.getBlockNumber();
    const relayer = spawnRelayer(path.join(tmp, "e2e-basic"));

    const x = [0.5, -0.25, 0.125, 1, -1, 0.375, 0.75, -0.625];
    const mlpReq = await request(
      devnet,
      inlineParams(devnet.models[mlp.name]!, encodeTensors([fixedTensor("x", [1, 8], x)])),
    );

    // Silero: 512 samples + state exceed the 4096-byte inline limit: the input travels by hash + URI.
    const frame = Array.from(
      { length: 512 },
      (_, i) => Math.round(0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000) * 4096) / 4096,
    );
    const sileroInput = encodeTensors([
      fixedTensor("input", [1, 512], frame),
      { name: "sr", dtype: "int64", scale: 0, dims: [], data: [16000n] },
      fixedTensor("state", [2, 1, 128], new Array<number>(256).fill(0)),
    ]);
    const inputFile = path.join(tmp, "silero-input.vtn1");
    writeFileSync(inputFile, sileroInput);
    const sileroReq = await request(
      devnet,
      uriParams(devnet.models[silero.name]!, sileroInput, pathToFileURL(inputFile).href),
    );

    const answers = await waitAnswered(
      devnet,
      [mlpReq.requestId, sileroReq.requestId],
      startBlock,
      90_000,
      relayer,
    );
    const byId = new Map(answers.map((a) => [a.requestId, a]));

    // MLP: exact bytes of the canonical encoding of an independent default-options run.
    const mlpAnswer = byId.get(mlpReq.requestId)!;
    expect(mlpAnswer.outcome).to.equal(0);
    expect(mlpAnswer.operator).to.equal(devnet.operators[0]!.address);
    const bareMlp = await bareRun(mlp.file, { x: new ort.Tensor("float32", Float32Array.from(x), [1, 8]) });
    const expectedMlp = encodeTensors([
      {
        name: "y",
        dtype: "fixed64",
        scale: SCALE,
        dims: [1, 4],
        data: toFixed(bareMlp["y"]!.data as Float32Array, SCALE),
      },
    ]);
    expect(Buffer.from(mlpAnswer.output).toString("hex")).to.equal(Buffer.from(expectedMlp).toString("hex"));

    // Silero: every element within the model's tolerance (2 units at scale 6) of the bare run.
    const sAnswer = byId.get(sileroReq.requestId)!;
    expect(sAnswer.outcome).to.equal(0);
    const onChain = decodeTensors(sAnswer.output);
    const bare = await bareRun(silero.file, {
      input: new ort.Tensor("float32", Float32Array.from(frame), [1, 512]),
      sr: new ort.Tensor("int64", BigInt64Array.from([16000n]), []),
      state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
    });
    for (const [name, key] of [
      ["output", "output"],
      ["stateN", "stateN"],
    ] as const) {
      const t = onChain.find((o) => o.name === name)!;
      const expected = toFixed(bare[key]!.data as Float32Array, SCALE);
      expect(t.data.length).to.equal(expected.length);
      t.data.forEach((v, i) => {
        const d = v - expected[i]!;
        expect(d <= 2n && d >= -2n, `${name}[${i}] ${v} vs ${expected[i]}`).to.equal(true);
      });
    }
    // The relayer's own record: both jobs confirmed.
    await waitFor(
      async () => {
        const db = RelayerDb.open(path.join(tmp, "e2e-basic", "relayer.db"));
        try {
          return [mlpReq.requestId, sileroReq.requestId].every((id) => db.getJob(id)?.state === "confirmed");
        } finally {
          db.close();
        }
      },
      20_000,
      "jobs confirmed",
    );
  });

  it("refuses a tampered model (MODEL_HASH_MISMATCH, nothing signed) and attests invalid inputs on chain", async function () {
    startBlock = await devnet.provider.getBlockNumber();
    const dataDir = path.join(tmp, "e2e-invalid");
    const relayer = spawnRelayer(dataDir);
    const tamperReq = await request(
      devnet,
      inlineParams(
        devnet.models[tampered.name]!,
        encodeTensors([
          { name: "x", dtype: "int64", scale: 0, dims: [1, 8], data: [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n] },
        ]),
      ),
    );
    const garbage = await request(
      devnet,
      inlineParams(devnet.models[mlp.name]!, new Uint8Array([1, 2, 3, 4, 5])),
    );
    const badShape = await request(
      devnet,
      inlineParams(
        devnet.models[mlp.name]!,
        encodeTensors([fixedTensor("x", [1, 7], [0, 0, 0, 0, 0, 0, 0])]),
      ),
    );
    const answers = await waitAnswered(
      devnet,
      [garbage.requestId, badShape.requestId],
      startBlock,
      60_000,
      relayer,
    );
    const reasonOf = (id: bigint): { outcome: number; output: string } => {
      const a = answers.find((x) => x.requestId === id)!;
      return { outcome: a.outcome, output: "0x" + Buffer.from(a.output).toString("hex") };
    };
    expect(reasonOf(garbage.requestId)).to.deep.equal({ outcome: 1, output: zeroPadValue(toBeHex(1), 32) });
    expect(reasonOf(badShape.requestId)).to.deep.equal({ outcome: 1, output: zeroPadValue(toBeHex(4), 32) });

    // The operator's own "cannot serve: model unavailable" (outcome 2, code 9), signed and posted: never a
    // result computed from the tampered bytes, never "invalid input" (issue 15.3).
    const until = Date.now() + 90_000;
    let cannotServe: Answer | undefined;
    while (cannotServe === undefined && Date.now() < until) {
      cannotServe = (await answersSince(devnet, startBlock)).find((a) => a.requestId === tamperReq.requestId);
      if (cannotServe === undefined) await sleep(500);
    }
    expect(cannotServe, "no answer for the tampered model's request").to.not.equal(undefined);
    expect(cannotServe!.outcome).to.equal(2);
    expect(BigInt("0x" + Buffer.from(cannotServe!.output).toString("hex"))).to.equal(9n);
    expect(relayer.lines().join("\n")).to.include("MODEL_HASH_MISMATCH");
    await relayer.kill();
    expect(relayer.lines().join("\n")).to.not.include(devnet.operators[0]!.signerKey.slice(2));
  });

  it("survives SIGKILL at random points with 50 requests in flight: each answered exactly once, no reverted txs", async function () {
    startBlock = await devnet.provider.getBlockNumber();
    const dataDir = path.join(tmp, "e2e-kill");
    // Blocks every 400 ms: transactions sit in the mempool while the relayer is killed.
    await rpc(devnet.url, "evm_setAutomine", [false]);
    await rpc(devnet.url, "evm_setIntervalMining", [400]);
    const model = devnet.models[mlp.name]!;
    const params = Array.from({ length: 50 }, (_, i) =>
      inlineParams(
        model,
        encodeTensors([
          fixedTensor(
            "x",
            [1, 8],
            Array.from({ length: 8 }, (_, j) => ((i * 8 + j) % 17) / 8 - 1),
          ),
        ]),
      ),
    );
    const created = await requestMany(devnet, params);
    const ids = created.map((c) => c.requestId);
    const env = { VERDICT_MAX_BATCH: "3", VERDICT_MAX_INFLIGHT_TXS: "2", VERDICT_STUCK_TX_MS: "3000" };
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const progress: number[] = [];
    const answeredCount = async (): Promise<number> => {
      const got = new Set((await answersSince(devnet, startBlock)).map((a) => a.requestId));
      return ids.filter((id) => got.has(id)).length;
    };
    for (let round = 0; round < 5; round++) {
      const before = progress.at(-1) ?? 0;
      const r = spawnRelayer(dataDir, env);
      // Kill only once this incarnation is doing work (start-up time varies with machine load), then at a
      // random point a little later: mid-batch, mid-transaction or between them.
      const deadline = Date.now() + 90_000;
      while ((await answeredCount()) <= before && before < ids.length && Date.now() < deadline)
        await sleep(100);
      await sleep(Math.floor(rand() * 1_000));
      await r.kill("SIGKILL");
      progress.push(await answeredCount());
    }
    // The kills really hit a relayer with work in flight (answered counts between 0 and 50).
    expect(
      progress.some((n) => n > 0 && n < 50),
      `answered after each kill: ${progress.join(",")}`,
    ).to.equal(true);
    const last = spawnRelayer(dataDir, env);
    const answers = await waitAnswered(devnet, ids, startBlock, 120_000, last);
    await sleep(1_500); // let any stray duplicate land before counting
    const all = await answersSince(devnet, startBlock);
    for (const id of ids)
      expect(all.filter((a) => a.requestId === id).length, `answers to ${id}`).to.equal(1);
    expect(answers.length).to.be.greaterThanOrEqual(50);

    // Every transaction our signer sent succeeded (no reverted duplicates).
    const signer = devnet.operators[0]!.signerAddress.toLowerCase();
    const head = await devnet.provider.getBlockNumber();
    let ours = 0;
    for (let n = startBlock; n <= head; n++) {
      const block = await devnet.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (tx.from.toLowerCase() !== signer) continue;
        ours++;
        const receipt = await devnet.provider.getTransactionReceipt(tx.hash);
        expect(receipt?.status, `tx ${tx.hash}`).to.equal(1);
      }
    }
    expect(ours).to.be.greaterThan(0);
  });

  const N_BURST = 250;
  it("answers a burst of 250 requests mined in one block exactly once, each batch within the 2^24 transaction gas cap", async function () {
    startBlock = await devnet.provider.getBlockNumber();
    const relayer = spawnRelayer(path.join(tmp, "e2e-burst"), { VERDICT_POLL_INTERVAL_MS: "100" });
    await relayer.waitFor((l) => l.includes("chain loop started"), 60_000);
    const model = devnet.models[mlp.name]!;
    // Default batch size (100): 100 answers' gas bound is above the node's per-transaction cap
    // (EIP-7825), which once left every batch rejected and the burst unanswered.
    await rpc(devnet.url, "evm_setAutomine", [false]);
    await rpc(devnet.url, "evm_setIntervalMining", [0]);
    // Signed here with explicit nonces and sent 16 at a time (the burst must be quick to build).
    const wallet = new Wallet(devnet.requester.key);
    let nonce = await devnet.provider.getTransactionCount(devnet.requester.address, "pending");
    const raws: string[] = [];
    for (let i = 0; i < N_BURST; i++) {
      const x = Array.from({ length: 8 }, (_, j) => ((i * 3 + j) % 11) / 8 - 0.5);
      raws.push(
        await wallet.signTransaction({
          type: 2,
          chainId: devnet.chainId,
          to: devnet.addresses.coordinator,
          data: devnet.coordinator.interface.encodeFunctionData("requestInference", [
            inlineParams(model, encodeTensors([fixedTensor("x", [1, 8], x)])),
          ]),
          nonce: nonce++,
          gasLimit: 1_500_000n,
          maxFeePerGas: 100_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
        }),
      );
    }
    const txs: { hash: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < raws.length; i = next++)
          txs[i] = { hash: await rpc<string>(devnet.url, "eth_sendRawTransaction", [raws[i]!]) };
      }),
    );
    await rpc(devnet.url, "evm_mine", []);
    await rpc(devnet.url, "evm_setIntervalMining", [200]);
    devnet.requesterWallet.reset(); // its cached nonce is behind the raw burst
    const ids: bigint[] = [];
    const blocks = new Set<number>();
    for (const tx of txs) {
      const r = await devnet.provider.getTransactionReceipt(tx.hash);
      expect(r?.status, `request ${tx.hash}`).to.equal(1);
      blocks.add(r!.blockNumber);
      ids.push(...createdRequestsIn(r!.logs).map((c) => c.requestId));
    }
    expect(blocks.size, "the burst is one block").to.equal(1);
    expect(ids.length).to.equal(N_BURST);
    await waitAnswered(devnet, ids, startBlock, 150_000, relayer);
    await sleep(1_000); // a stray duplicate would land by now
    const all = await answersSince(devnet, startBlock);
    const counts = new Map<bigint, number>();
    for (const a of all) counts.set(a.requestId, (counts.get(a.requestId) ?? 0) + 1);
    expect(
      ids.filter((id) => counts.get(id) !== 1),
      "requests not answered exactly once",
    ).to.deep.equal([]);
    // Several batches, each accepted and successful, none above the cap.
    const hashes = [...new Set(all.map((a) => a.txHash))];
    expect(hashes.length).to.be.greaterThan(1);
    for (const h of hashes) {
      const tx = await devnet.provider.getTransaction(h);
      expect(tx!.gasLimit <= 16_777_216n, `gas limit ${tx!.gasLimit}`).to.equal(true);
      expect((await devnet.provider.getTransactionReceipt(h))?.status).to.equal(1);
    }
    expect(relayer.lines().join("\n")).to.not.include("refused by the node");
  });

  it("recovers by itself after the RPC endpoint vanishes for 10 s; /healthz goes 503 then 200", async function () {
    startBlock = await devnet.provider.getBlockNumber();
    const proxy = new SwitchableProxy(devnet.node.port);
    await proxy.up();
    const metricsPort = await freePort();
    const relayer = spawnRelayer(path.join(tmp, "e2e-outage"), {
      VERDICT_RPC_URL: `http://127.0.0.1:${proxy.port}`,
      VERDICT_METRICS_PORT: String(metricsPort),
      VERDICT_HEALTH_MAX_STALENESS_MS: "2000",
    });
    try {
      await waitFor(async () => (await health(metricsPort)) === 200, 30_000, "/healthz 200");
      const model = devnet.models[mlp.name]!;
      const input = (v: number): Uint8Array =>
        encodeTensors([fixedTensor("x", [1, 8], new Array<number>(8).fill(v))]);
      const before = await request(devnet, inlineParams(model, input(0.5)));
      await waitAnswered(devnet, [before.requestId], startBlock, 30_000, relayer);

      await proxy.down();
      const t0 = Date.now();
      const during = await request(devnet, inlineParams(model, input(0.25)));
      await waitFor(async () => (await health(metricsPort)) === 503, 8_000, "/healthz 503");
      await sleep(Math.max(0, 10_000 - (Date.now() - t0)));
      await proxy.up();
      const after = await request(devnet, inlineParams(model, input(-0.25)));
      await waitAnswered(devnet, [during.requestId, after.requestId], startBlock, 40_000, relayer);
      await waitFor(async () => (await health(metricsPort)) === 200, 20_000, "/healthz 200 again");
      expect(relayer.child.exitCode).to.equal(null);
    } finally {
      await relayer.kill();
      await proxy.down();
    }
  });
});
