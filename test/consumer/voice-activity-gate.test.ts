import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { Wallet, parseEther } from "ethers";
import { InferenceRunner, sessionOptions, type ModelRef } from "../../relayer/inference/runner.js";
import { ModelStore } from "../../relayer/models/cache.js";
import { parseSchema } from "../../relayer/inference/schema.js";
import { ReasonCode } from "../../sdk/eip712.js";
import {
  SILERO_HASH,
  SILERO_PATH,
  SILERO_SCALE,
  SILERO_SCHEMA,
  silentFrame,
  sileroInput,
  speechFrame,
} from "../../scripts/lib/silero.js";
import { FEE, assignRequest, deployProtocol, signedAnswer, type Protocol } from "../helpers/protocol.js";
import { createdRequestIn } from "../../sdk/requests.js";
import type { VoiceActivityGate } from "../../types/ethers-contracts/index.js";

const Verdict = { Pending: 0n, Speech: 1n, NoSpeech: 2n, Rejected: 3n };

/** Silero's speech probability for one frame, straight from onnxruntime (no Verdict code involved). */
async function bareProbability(frame: Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(SILERO_PATH, sessionOptions(1));
  const out = await session.run({
    input: new ort.Tensor("float32", frame, [1, frame.length]),
    sr: new ort.Tensor("int64", BigInt64Array.from([16000n]), []),
    state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
  });
  const p = (out.output!.data as Float32Array)[0]!;
  await session.release();
  return p;
}

describe("VoiceActivityGate: an example dApp acting on Silero VAD's answer", function () {
  let p: Protocol;
  let gate: VoiceActivityGate;
  let runner: InferenceRunner;
  let dir: string;
  const model: ModelRef = {
    modelHash: SILERO_HASH,
    uris: [SILERO_PATH],
    schema: parseSchema(SILERO_SCHEMA),
    outputScale: SILERO_SCALE,
  };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "verdict-vad-"));
    runner = new InferenceRunner({ models: new ModelStore({ cacheDir: dir }) });
    p = await deployProtocol({ modelHash: SILERO_HASH });
    gate = (await p.ethers.deployContract("VoiceActivityGate", [
      await p.coordinator.getAddress(),
      await p.token.getAddress(),
      SILERO_HASH,
      500_000n, // 0.5 at scale 6
      parseEther("10"), // the most one check from the prepaid balance may cost
    ])) as unknown as VoiceActivityGate;
    // The deployer owns the gate and lets the requester spend its prepaid balance.
    await (await gate.setAsker(await p.requester.getAddress(), true)).wait();
    await (await p.token.connect(p.requester).approve(await gate.getAddress(), parseEther("100"))).wait();
    await (await gate.connect(p.requester).fund(parseEther("100"))).wait();
  });

  after(async function () {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ask(frame: Float32Array) {
    const input = sileroInput(frame);
    const receipt = await (await gate.connect(p.requester).checkSpeech(input, parseEther("10"))).wait();
    return { created: await assignRequest(p, createdRequestIn(receipt!.logs)), input };
  }

  for (const [label, frame, expected] of [
    ["a frame of speech", speechFrame(7), Verdict.Speech],
    ["silence", silentFrame(), Verdict.NoSpeech],
  ] as const) {
    it(`decides on ${label} exactly as an independent onnxruntime run does`, async function () {
      const { created, input } = await ask(frame);
      const result = await runner.run(model, input);
      const answer = await signedAnswer(p, created, 0, result.output);
      await (await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x")).wait();

      const check = await gate.checks(created.requestId);
      const bare = await bareProbability(frame);
      expect(Math.abs(Number(check.probability) / 1e6 - bare)).to.be.at.most(1e-6);
      expect(check.verdict).to.equal(bare >= 0.5 ? Verdict.Speech : Verdict.NoSpeech);
      expect(check.verdict).to.equal(expected);
      expect(check.corrected).to.equal(false);
    });
  }

  it("records a rejected frame when the operator judges the input invalid", async function () {
    const { created } = await ask(silentFrame());
    const answer = await signedAnswer(p, created, 0, "0x", { invalid: ReasonCode.SHAPE_MISMATCH });
    await (await p.coordinator.submitAnswer(created.requestId, created.request, answer, "0x")).wait();
    expect((await gate.checks(created.requestId)).verdict).to.equal(Verdict.Rejected);
  });

  it("accepts results only from the coordinator", async function () {
    await expect(gate.onInferenceResult(1n, 0, "0x", false)).to.be.revertedWithCustomError(
      gate,
      "NotCoordinator",
    );
  });
});

describe("VoiceActivityGate: the prepaid balance cannot be drained (21.3)", function () {
  let p: Protocol;
  let gate: VoiceActivityGate;
  const PREPAID = parseEther("100");
  const frame = (i: number) => new Uint8Array([0x56, 0x54, 0x4e, 0x31, i]);

  beforeEach(async function () {
    p = await deployProtocol();
    const owner = p.requester;
    gate = (await p.ethers.deployContract(
      "VoiceActivityGate",
      [await p.coordinator.getAddress(), await p.token.getAddress(), p.modelHash, 500_000n, FEE * 2n],
      owner,
    )) as unknown as VoiceActivityGate;
    await (await p.token.connect(owner).approve(await gate.getAddress(), PREPAID)).wait();
    await (await gate.connect(owner).fund(PREPAID)).wait();
  });

  it("50 checks by a stranger holding 0 OPG spend nothing of the prepaid balance", async function () {
    const stranger = Wallet.createRandom().connect(p.ethers.provider);
    await p.connection.networkHelpers.setBalance(stranger.address, parseEther("10"));
    for (let i = 0; i < 50; i++) {
      await expect(gate.connect(stranger).checkSpeech(frame(i), PREPAID)).to.be.revertedWithCustomError(
        p.token,
        "ERC20InsufficientAllowance",
      );
    }
    expect(await p.coordinator.balanceOf(await gate.getAddress())).to.equal(PREPAID);
    // The owner takes all of it back; nobody else can.
    await expect(gate.connect(stranger).withdrawEscrow(stranger.address, 1n))
      .to.be.revertedWithCustomError(gate, "OwnableUnauthorizedAccount")
      .withArgs(stranger.address);
    const owner = await p.requester.getAddress();
    const before = await p.token.balanceOf(owner);
    await (await gate.connect(p.requester).withdrawEscrow(owner, PREPAID)).wait();
    expect((await p.token.balanceOf(owner)) - before).to.equal(PREPAID);
  });

  it("a stranger pays its own check: exactly the price, the rest of its maxFee comes back", async function () {
    const stranger = p.others[0]!;
    const who = await stranger.getAddress();
    await (await p.token.connect(p.deployer).transfer(who, parseEther("50"))).wait();
    await (await p.token.connect(stranger).approve(await gate.getAddress(), parseEther("50"))).wait();
    const before = await p.token.balanceOf(who);
    await expect(gate.connect(stranger).checkSpeech(frame(1), parseEther("50"))).to.emit(
      gate,
      "SpeechChecked",
    );
    expect(before - (await p.token.balanceOf(who))).to.equal(FEE);
    expect(await p.coordinator.balanceOf(await gate.getAddress())).to.equal(PREPAID);
  });

  it("an allowed asker spends the prepaid balance, never above the owner's fee cap", async function () {
    const asker = p.others[1]!;
    await expect(gate.connect(asker).setAsker(await asker.getAddress(), true)).to.be.revertedWithCustomError(
      gate,
      "OwnableUnauthorizedAccount",
    );
    await (await gate.connect(p.requester).setAsker(await asker.getAddress(), true)).wait();
    await expect(gate.connect(asker).checkSpeech(frame(2), PREPAID))
      .to.be.revertedWithCustomError(gate, "FeeAboveCap")
      .withArgs(PREPAID, FEE * 2n);
    await (await gate.connect(asker).checkSpeech(frame(2), FEE * 2n)).wait();
    expect(await p.coordinator.balanceOf(await gate.getAddress())).to.equal(PREPAID - FEE);
  });
});
