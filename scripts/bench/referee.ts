/**
 * Gas of the on-chain referee (IntegerMlpReferee).
 *
 *   npx -y -p node@22 -- npx hardhat run scripts/bench/referee.ts
 *
 * Every figure is the receipt gasUsed of a plain transaction whose calldata is `evaluate(input)` sent
 * straight to the referee (21,000 intrinsic gas and calldata included), with a seeded random input over the
 * full documented range (non-zero calldata bytes: the costly case).
 */
import { network } from "hardhat";
import type { Signer } from "ethers";
import { encodeTensors } from "../../sdk/tensor.js";
import { ensureModels } from "../models/generate.js";
import { packIntegerMlp, seededIntegerMlp } from "../models/intmlp.js";
import { deployIntegerReferee, deployIntegerRefereeFromParts } from "../models/deploy-referee.js";
import { Prng } from "../models/prng.js";
import type { IntegerMlpReferee } from "../../types/ethers-contracts/index.js";
import { recordBenchmarks } from "./record.js";

const BOUND = 2n ** 31n - 1n;
const BLOCK_BUDGET = 10_000_000n;

const { ethers } = await network.connect();
const [signer] = await ethers.getSigners();

const macs = (layers: readonly number[]): number =>
  layers.slice(1).reduce((sum, out, l) => sum + out * layers[l]!, 0);

async function evaluateGas(
  s: Signer,
  referee: IntegerMlpReferee,
  width: number,
  seed: string,
): Promise<bigint> {
  const rng = new Prng(seed);
  const data = Array.from({ length: width }, () => rng.bigint(-BOUND, BOUND));
  const input = encodeTensors([{ name: "x", dtype: "int64", scale: 0, dims: [1, width], data }]);
  // Check it evaluates, then pay for it in a transaction.
  await referee.evaluate(input);
  const tx = await s.sendTransaction({
    to: await referee.getAddress(),
    data: referee.interface.encodeFunctionData("evaluate", [input]),
  });
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error("evaluate transaction failed");
  return receipt.gasUsed;
}

const manifest = ensureModels(["int-mlp-16x32x1", "int-mlp-8x8x4", "int-mlp-32x64x16x4"]);
const figures: Record<string, number> = {};
for (const entry of manifest.models.filter((m) => m.kind === "int-mlp")) {
  const { referee } = await deployIntegerReferee(signer!, entry);
  const gas = await evaluateGas(signer!, referee, entry.layers[0]!, `bench/${entry.name}`);
  const key = `gas.referee.${entry.name.replace("int-mlp-", "mlp")}`;
  figures[key] = Number(gas);
  console.log(`${key}: ${gas} gas (${macs(entry.layers)} MACs)`);
}

// Marginal gas per multiply-accumulate: the same input/output, hidden width 32 vs 512.
const sizes = [32, 512];
const measured: { macs: number; gas: bigint }[] = [];
for (const hidden of sizes) {
  const layers = [16, hidden, 1];
  const mlp = seededIntegerMlp(`bench/16x${hidden}x1`, layers, 256, BOUND);
  const { referee } = await deployIntegerRefereeFromParts(signer!, {
    weights: packIntegerMlp(mlp),
    layers,
    divisors: mlp.divisors,
    inputBound: BOUND,
    inputName: "x",
    outputName: "y",
  });
  const gas = await evaluateGas(signer!, referee, 16, `bench/perMac`);
  measured.push({ macs: macs(layers), gas });
  console.log(`16x${hidden}x1: ${gas} gas (${macs(layers)} MACs)`);
}
const [small, large] = measured as [{ macs: number; gas: bigint }, { macs: number; gas: bigint }];
const perMac = Number(large.gas - small.gas) / (large.macs - small.macs);
const fixed = Number(small.gas) - perMac * small.macs;
figures["gas.referee.perMac"] = Math.round(perMac * 100) / 100;
figures["referee.maxMacsIn10MGas"] = Math.floor((Number(BLOCK_BUDGET) - fixed) / perMac);
console.log(figures);

recordBenchmarks("Referee", figures, {
  description:
    "IntegerMlpReferee.evaluate: receipt gasUsed of a transaction sent straight to the referee with " +
    "`evaluate(input)` calldata (21,000 intrinsic + calldata included), seeded full-range int64 inputs. " +
    "perMac = Δgas/ΔMACs between 16x32x1 and 16x512x1; maxMacsIn10MGas extrapolates linearly from it " +
    "(one weights data contract holds at most 24,575 bytes ≈ 12k MACs; larger models need several).",
  targets: { "gas.referee.mlp16x32x1": { max: 300_000 } },
});
