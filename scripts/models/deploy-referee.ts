/**
 * Deploys the on-chain referee of an integer model from its manifest entry: first the weights data contract
 * (SSTORE2 style: code = 0x00 || packed weights), then an IntegerMlpReferee pointing at it. The dispute
 * engine registers the returned referee address as the model's referee.
 *
 *   const { referee } = await deployIntegerReferee(signer, modelEntry("int-mlp-16x32x1"));
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { concat, toBeHex, zeroPadValue, type Signer } from "ethers";
import { IntegerMlpReferee__factory, type IntegerMlpReferee } from "../../types/ethers-contracts/index.js";
import { GENERATED_DIR, type ModelEntry } from "./manifest.js";
import { CodedError } from "../lib/errors.js";

/** EIP-170 code-size limit minus the leading STOP byte. */
export const MAX_WEIGHTS_BYTES = 24_575;

/** A deployment problem, with a stable code. */
export class RefereeDeployError extends CodedError<
  "NOT_INTEGER_MODEL" | "WEIGHTS_HASH_MISMATCH" | "WEIGHTS_TOO_LARGE" | "DEPLOY_FAILED"
> {}

export interface DeployedReferee {
  readonly referee: IntegerMlpReferee;
  readonly refereeAddress: string;
  readonly weightsAddress: string;
  /** Gas used by the two deployment transactions (receipt gasUsed). */
  readonly deployGas: { readonly weights: bigint; readonly referee: bigint };
}

/** The creation code of a data contract whose runtime code is `0x00 || data` (see WeightsStore.sol). */
export function weightsCreationCode(data: Uint8Array): string {
  if (data.length > MAX_WEIGHTS_BYTES) {
    throw new RefereeDeployError(
      "WEIGHTS_TOO_LARGE",
      `weights are ${data.length} bytes > ${MAX_WEIGHTS_BYTES}`,
    );
  }
  const runtimeLength = zeroPadValue(toBeHex(data.length + 1), 2);
  return concat(["0x61", runtimeLength, "0x80600a5f395ff3", "0x00", data]);
}

/** Deploys `data` as a data contract; returns its address and the deployment gas. */
export async function deployWeights(
  signer: Signer,
  data: Uint8Array,
): Promise<{ address: string; gas: bigint }> {
  const tx = await signer.sendTransaction({ data: weightsCreationCode(data) });
  const receipt = await tx.wait();
  if (!receipt?.contractAddress || receipt.status !== 1) {
    throw new RefereeDeployError("DEPLOY_FAILED", "weights data contract deployment failed");
  }
  return { address: receipt.contractAddress, gas: receipt.gasUsed };
}

/** Deploys a referee for explicit parameters (used by tests and benchmarks for synthetic models). */
export async function deployIntegerRefereeFromParts(
  signer: Signer,
  parts: {
    readonly weights: Uint8Array;
    readonly layers: readonly number[];
    readonly divisors: readonly (number | bigint)[];
    readonly inputBound: bigint;
    readonly inputName: string;
    readonly outputName: string;
  },
): Promise<DeployedReferee> {
  const weights = await deployWeights(signer, parts.weights);
  const referee = await new IntegerMlpReferee__factory(signer).deploy(
    weights.address,
    [...parts.layers],
    [...parts.divisors],
    parts.inputBound,
    parts.inputName,
    parts.outputName,
  );
  const receipt = await referee.deploymentTransaction()?.wait();
  if (!receipt || receipt.status !== 1)
    throw new RefereeDeployError("DEPLOY_FAILED", "referee deployment failed");
  return {
    referee,
    refereeAddress: await referee.getAddress(),
    weightsAddress: weights.address,
    deployGas: { weights: weights.gas, referee: receipt.gasUsed },
  };
}

/** Reads an integer model's packed weights from models/generated/, checking the manifest's sha256. */
export function readPackedWeights(entry: ModelEntry, dir = GENERATED_DIR): Uint8Array {
  if (entry.kind !== "int-mlp" || !entry.integer) {
    throw new RefereeDeployError("NOT_INTEGER_MODEL", `${entry.name} has no integer twin`);
  }
  const blob = readFileSync(path.join(dir, entry.integer.weightsFile));
  const digest = createHash("sha256").update(blob).digest("hex");
  if (digest !== entry.integer.weightsSha256) {
    throw new RefereeDeployError(
      "WEIGHTS_HASH_MISMATCH",
      `${entry.integer.weightsFile} does not match the manifest`,
    );
  }
  return new Uint8Array(blob);
}

/** Deploys the weights and the referee of an `int-mlp` manifest entry. */
export async function deployIntegerReferee(
  signer: Signer,
  entry: ModelEntry,
  dir = GENERATED_DIR,
): Promise<DeployedReferee> {
  const weights = readPackedWeights(entry, dir);
  const integer = entry.integer!;
  return deployIntegerRefereeFromParts(signer, {
    weights,
    layers: entry.layers,
    divisors: integer.divisors,
    inputBound: BigInt(integer.inputBound),
    inputName: entry.inputs[0]!.name,
    outputName: entry.outputs[0]!.name,
  });
}
