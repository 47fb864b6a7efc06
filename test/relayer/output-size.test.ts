/**
 * Outputs of real size through the real relayer (issue 17.6): a model whose output is ~38 KiB (above the
 * old 4,096-byte constant) is answered with a RESULT under the default 64 KiB limit; after governance
 * lowers the coordinator's `maxOutput` to 8 KiB, the SAME running relayer answers CANNOT_SERVE /
 * OUTPUT_TOO_LARGE (11) instead: it reads the chain's limit, not a constant. Real hardhat node, real
 * relayer process, real onnxruntime on a real ONNX file (Tile).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeBytes32String, keccak256, type Log } from "ethers";
import { coordinatorInterface } from "../../sdk/requests.js";
import { decodeTensors, encodeTensors } from "../../sdk/tensor.js";
import { sleep } from "../../sdk/retry.js";
import { buildOnnx } from "../helpers/tiny-onnx.js";
import { ANSWER_SUBMITTED } from "../../relayer/chain/sync.js";
import { TimelockController__factory } from "../../types/ethers-contracts/index.js";
import {
  devAccount,
  inlineParams,
  request,
  rpc,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type DevnetModel,
  type RelayerProcess,
} from "../../scripts/lib/devnet.js";

/** y = Tile(a, r): int64 [n] repeated r[0] times. The output's size is the requester's choice. */
function tileModel(dir: string): DevnetModel {
  const bytes = buildOnnx({
    inputs: [
      { name: "a", type: "int64", shape: ["n"] },
      { name: "r", type: "int64", shape: [1] },
    ],
    outputs: [{ name: "y", type: "int64", shape: ["m"] }],
    nodes: [{ op: "Tile", inputs: ["a", "r"], outputs: ["y"] }],
  });
  const file = path.join(dir, "tile.onnx");
  writeFileSync(file, bytes);
  return {
    name: "tile",
    file,
    hash: "0x" + createHash("sha256").update(bytes).digest("hex"),
    ioSchema: JSON.stringify({
      inputs: [
        { name: "a", dtype: "int64", shape: [8] },
        { name: "r", dtype: "int64", shape: [1] },
      ],
      outputs: [{ name: "y", dtype: "int64", shape: [-1] }],
    }),
    outputScale: 0,
    tolerance: 0n,
  };
}

const input = (repeats: bigint): Uint8Array =>
  encodeTensors([
    { name: "a", dtype: "int64", scale: 0, dims: [8], data: [1n, -2n, 3n, -4n, 5n, -6n, 7n, -8n] },
    { name: "r", dtype: "int64", scale: 0, dims: [1], data: [repeats] },
  ]);

interface Answer {
  outcome: number;
  outputHash: string;
  output: Uint8Array;
}

async function answerOf(
  devnet: Devnet,
  requestId: bigint,
  fromBlock: number,
  relayer: RelayerProcess,
): Promise<Answer> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const logs: Log[] = await devnet.provider.getLogs({
      address: devnet.addresses.coordinator,
      fromBlock,
      toBlock: "latest",
      topics: [ANSWER_SUBMITTED],
    });
    for (const log of logs) {
      const p = coordinatorInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (p?.name === "AnswerSubmitted" && BigInt(p.args.requestId as bigint) === requestId)
        return {
          outcome: Number(p.args.outcome),
          outputHash: String(p.args.outputHash),
          output: Buffer.from(String(p.args.output).slice(2), "hex"),
        };
    }
    if (Date.now() > deadline)
      throw new Error(`request ${requestId} not answered\n${relayer.lines().slice(-20).join("\n")}`);
    await sleep(250);
  }
}

describe("relayer: outputs above 4 KiB, limited by the chain's maxOutput", function () {
  this.timeout(300_000);
  let devnet: Devnet | undefined;
  let relayer: RelayerProcess | undefined;
  let tmp = "";

  after(async function () {
    await relayer?.kill();
    await devnet?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("answers a 38 KiB output, then, once governance lowers the limit, says OUTPUT_TOO_LARGE", async function () {
    tmp = mkdtempSync(path.join(tmpdir(), "verdict-sizes-"));
    const model = tileModel(tmp);
    devnet = await startDevnet({ operators: 1, models: [model] });
    const start = await devnet.provider.getBlockNumber();
    relayer = startRelayerProcess(
      devnet.relayerEnv(0, {
        VERDICT_DATA_DIR: path.join(tmp, "relayer"),
        VERDICT_START_BLOCK: String(start),
      }),
    );
    expect(await devnet.coordinator.maxOutput()).to.equal(65_536n);

    // 600 repeats of 8 int64: 4,800 elements, ~38 KiB of VTN1.
    const big = await request(devnet, inlineParams(devnet.models[model.name]!, input(600n)));
    const first = await answerOf(devnet, big.requestId, start, relayer);
    expect(first.outcome).to.equal(0);
    expect(first.output.length).to.be.within(38_000, 40_000);
    expect(first.outputHash).to.equal(keccak256(first.output));
    const [y] = decodeTensors(first.output);
    expect(y!.data.slice(0, 9)).to.deep.equal([1n, -2n, 3n, -4n, 5n, -6n, 7n, -8n, 1n]);

    // Governance (the timelock; the deployer proposes and executes) lowers the limit to 8 KiB.
    const deployer = devAccount(0, devnet.provider);
    const timelock = TimelockController__factory.connect(await devnet.coordinator.owner(), deployer);
    const data = devnet.coordinator.interface.encodeFunctionData("setMaxOutput", [8_192]);
    const salt = encodeBytes32String("maxOutput-8k");
    const zero = "0x" + "00".repeat(32);
    const target = devnet.addresses.coordinator;
    await (await timelock.schedule(target, 0, data, zero, salt, await timelock.getMinDelay())).wait();
    await rpc(devnet.url, "evm_increaseTime", [Number(await timelock.getMinDelay()) + 1]);
    await (await timelock.execute(target, 0, data, zero, salt)).wait();
    expect(await devnet.coordinator.maxOutput()).to.equal(8_192n);

    // The same relayer, not restarted: a 38 KiB output is now too large, a 5.7 KiB one
    // (above 4,096 bytes: the relayer reads the limit) still fits.
    const since = await devnet.provider.getBlockNumber();
    const tooBig = await request(devnet, inlineParams(devnet.models[model.name]!, input(600n)));
    const small = await request(devnet, inlineParams(devnet.models[model.name]!, input(90n)));
    const refused = await answerOf(devnet, tooBig.requestId, since, relayer);
    expect(refused.outcome).to.equal(2); // CANNOT_SERVE
    expect(BigInt(refused.outputHash)).to.equal(11n); // OUTPUT_TOO_LARGE
    const fits = await answerOf(devnet, small.requestId, since, relayer);
    expect(fits.outcome).to.equal(0);
    expect(fits.output.length).to.be.within(4_097, 8_192);
    // The relayer's log names the reason and its meaning.
    const line = relayer.lines().find((l) => l.includes("11 OUTPUT_TOO_LARGE:"));
    expect(line, "a log line naming reason 11").to.not.equal(undefined);
    expect(line).to.contain("8192");
  });
});
