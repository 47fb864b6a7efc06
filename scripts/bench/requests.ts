/**
 * Gas of the request path (issue 4): request with a prepaid 64-byte input, the operator draw (`assign`, issue 16:
 * k = 1 and k = 3), a signed answer (signature check included, no callback), a single finalize and a batch of 10,
 * and the whole lifecycle at k = 1. Receipt gasUsed on Hardhat's EVM. Also the blocks the draw adds between a
 * request and its first possible answer (`selection.addedLatencyBlocks`).
 * Output size (issue 17.6): the marginal gas of a KiB of output, from answers of 1 KiB and 64 KiB.
 */
import { recordBenchmarks } from "./record.js";
import { finalizeAll } from "../lib/lifecycle.js";
import { deployProtocol, increaseTime, makeRequest, signedAnswer } from "../../test/helpers/protocol.js";
import { keccak256 } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import type { CreatedRequest } from "../../sdk/requests.js";

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

const p = await deployProtocol({ operators: 10 });
// A 64-byte canonical input: header + one int64 tensor "input_x" of shape [1, 5].
const input = encodeTensors([
  { name: "input_x", dtype: "int64", scale: 0, dims: [1, 5], data: [1n, -2n, 3n, -4n, 5n] },
]);
if (input.length !== 64) throw new Error(`input is ${input.length} bytes, expected 64`);
const output = encodeTensors([{ name: "y", dtype: "int64", scale: 0, dims: [1, 1], data: [123456n] }]);

// Warm-up: the first request, answer and payout of an account write zero slots that steady state does not
// (balances, operator records). Serve a few requests so every operator and payee has been paid once.
const warmups: CreatedRequest[] = [];
const served = new Set<string>();
while (served.size < p.operators.length) {
  const warm = await makeRequest(p, { input });
  served.add(warm.request.operators[0]!);
  await (
    await p.coordinator.submitAnswer(
      warm.requestId,
      warm.request,
      await signedAnswer(p, warm, 0, output),
      "0x",
    )
  ).wait();
  warmups.push(warm);
}
await increaseTime(p, 61);
await (await finalizeAll(p.coordinator, warmups)).wait();

const requestGas: number[] = [];
const assignGas: number[] = [];
const created: CreatedRequest[] = [];
for (let i = 0; i < 11; i++) {
  const params = {
    modelHash: p.modelHash,
    input,
    inputHash: "0x" + "00".repeat(32),
    inputURI: "",
    redundancy: 0,
    maxFee: 10n ** 20n,
    deadline: 0n,
    callback: "0x0000000000000000000000000000000000000000",
    callbackGasLimit: 0,
    finality: 0,
  };
  const tx = await p.coordinator.connect(p.requester).requestInference(params);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  requestGas.push(Number(receipt.gasUsed));
  const { createdRequestIn, assignmentsIn, withAssignment } = await import("../../sdk/requests.js");
  const c = createdRequestIn(receipt.logs);
  // The draw as a prompt relayer makes it: `assign` in the next block (the ticket's block hash exists from then
  // on, and the weight epoch cannot have moved past it, so staking is not asked).
  const assigned = await (await p.coordinator.assign(c.requestId, c.request)).wait();
  if (!assigned) throw new Error("no receipt");
  assignGas.push(Number(assigned.gasUsed));
  created.push(withAssignment(c, assignmentsIn(assigned.logs)[0]!));
}
// A late draw (two or more blocks after the request): the weight epoch is checked (IStaking.weightEpoch).
const assignLateGas: number[] = [];
for (let i = 0; i < 5; i++) {
  const c = await makeRequest(p, { input, assign: false });
  await p.connection.networkHelpers.mine(2);
  const receipt = await (await p.coordinator.assign(c.requestId, c.request)).wait();
  if (!receipt) throw new Error("no receipt");
  assignLateGas.push(Number(receipt.gasUsed));
}
const assignGas3: number[] = [];
for (let i = 0; i < 5; i++) {
  const c = await makeRequest(p, { input, redundancy: 3, assign: false });
  const tx = await p.coordinator.assign(c.requestId, c.request);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  assignGas3.push(Number(receipt.gasUsed));
}
// Added latency: the earliest block in which an assign succeeds, minus the request's block (automine off: the
// request and a first assign share a block, and the assign is refused there).
const latency = await (async (): Promise<number> => {
  const c = await makeRequest(p, { input, assign: false });
  const requestBlock = Number(c.ticket);
  for (let b = requestBlock; b < requestBlock + 8; b++) {
    const ok = await p.coordinator.assign
      .staticCall(c.requestId, c.request, { blockTag: b })
      .then(() => true)
      .catch(() => false);
    if (ok) return b - requestBlock; // a call at block b runs in block b's context, on the state after it
    await p.connection.networkHelpers.mine(1);
  }
  throw new Error("assign never became possible");
})();
const answerGas: number[] = [];
for (const c of created) {
  answerGas.push(
    await gasOf(
      p.coordinator.submitAnswer(c.requestId, c.request, await signedAnswer(p, c, 0, output), "0x"),
    ),
  );
}
await increaseTime(p, 61);
const [single, ...batch] = created;
if (!single) throw new Error("no request");
const finalizeSingle = await gasOf(p.coordinator.finalize(single.requestId, single.request, "0x"));
const batchGas = await gasOf(finalizeAll(p.coordinator, batch));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** `size` pseudo-random bytes, none zero (the dearer calldata byte: an upper bound per KiB). */
function outputOf(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 32) {
    const block = Buffer.from(keccak256(new TextEncoder().encode(`output-${i}`)).slice(2), "hex");
    for (let j = 0; j < 32 && i + j < size; j++) out[i + j] = block[j]! | 1;
  }
  return out;
}

/** Median submitAnswer gas of three requests answered with a `kib` KiB output. */
async function answerGasAt(kib: number): Promise<number> {
  const gas: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await makeRequest(p, { input });
    gas.push(
      await gasOf(
        p.coordinator.submitAnswer(
          c.requestId,
          c.request,
          await signedAnswer(p, c, 0, outputOf(kib * 1024)),
          "0x",
        ),
      ),
    );
  }
  return median(gas);
}
const answer1KiB = await answerGasAt(1);
const answer64KiB = await answerGasAt(64);

const figures = {
  "gas.requestInference.prepaid64B": median(requestGas),
  "gas.assign.k1": median(assignGas),
  "gas.assign.k1.late": median(assignLateGas),
  "gas.assign.k3": median(assignGas3),
  "gas.lifecycle.k1": median(requestGas) + median(assignGas) + median(answerGas) + finalizeSingle,
  "selection.addedLatencyBlocks": latency,
  "gas.submitAnswer": median(answerGas),
  "gas.finalize.single": finalizeSingle,
  "gas.finalize.batch10.perRequest": Math.round(batchGas / batch.length),
  "gas.submitAnswer.output64KiB": answer64KiB,
  "gas.submitAnswer.perOutputKiB": Math.round((answer64KiB - answer1KiB) / 63),
};
console.table(figures);
recordBenchmarks("Request path", figures, {
  description:
    "Receipt gas of the request path with k = 1 among 10 equally staked operators: `requestInference` paid from a prepaid " +
    "balance with a 64-byte inline input (the model's terms come from the coordinator's copy, taken on the model's " +
    "first request; the operator draw is a separate step since issue 16), `assign` (the draw from the ticket's " +
    "block hash, k = 1 and k = 3, in the block after the request as a prompt relayer sends it; .late: two blocks later, when the weight epoch is read from staking), `submitAnswer` with its EIP-712 signature " +
    "check and no callback, `finalize` of one request, and `finalizeBatch` of 10 divided by 10. Medians of " +
    "11 requests after a warm-up that has paid every operator once. Anchors: Ritual Infernet create ~142k, deliver ~210k gas; Chainlink " +
    "Functions' documented 185k fulfilment overhead. gas.lifecycle.k1 = request + assign + answer + finalize. " +
    "selection.addedLatencyBlocks: blocks from a request to the first block whose assign can draw (the ticket is " +
    "the request's own block; its hash exists from the next block).",
  targets: {
    "gas.requestInference.prepaid64B": { max: 90_000 },
    "gas.lifecycle.k1": { max: 260_000 },
    "selection.addedLatencyBlocks": { max: 1 },
    "gas.submitAnswer": { max: 90_000 },
    "gas.finalize.single": { max: 60_000 },
    "gas.finalize.batch10.perRequest": { max: 35_000 },
  },
});
