/**
 * Dispute helpers on top of the protocol fixture: the deployed Disputes contract, funded juror signer keys,
 * commit/reveal as jurors, a challenger with a bond, and a model backed by an on-chain referee.
 */
import { expect } from "chai";
import { keccak256, parseEther, type ContractTransactionResponse, type Signer, type Wallet } from "ethers";
import type {
  Disputes,
  IntegerMlpReferee,
  RecordingConsumer,
  RefereeCourt,
} from "../../types/ethers-contracts/index.js";
import type { CreatedRequest } from "../../sdk/requests.js";
import { encodeTensors } from "../../sdk/tensor.js";
import { deployIntegerReferee } from "../../scripts/models/deploy-referee.js";
import { modelEntry, type ModelEntry } from "../../scripts/models/manifest.js";
import { FEE, deployProtocol, governed, type Protocol, type ProtocolOptions } from "./protocol.js";
import { voteCommitment } from "../../sdk/disputes.js";
export { voteCommitment };

export interface DisputeProtocol extends Protocol {
  disputes: Disputes;
}

/** The protocol with its Disputes contract; every operator's signer key holds ETH so it can vote. */
export async function deployDisputeProtocol(opts: ProtocolOptions = {}): Promise<DisputeProtocol> {
  const p = await deployProtocol({ operators: 6, ...opts });
  const disputes = (await p.ethers.getContractAt(
    "Disputes",
    await p.coordinator.disputeHook(),
  )) as unknown as Disputes;
  for (const op of p.operators) {
    await p.connection.networkHelpers.setBalance(op.signer.address, parseEther("100"));
  }
  return { ...p, disputes };
}

/** The signer key of a fixture operator. */
export function signerOf(p: Protocol, operator: string): Wallet {
  const op = p.operators.find((o) => o.address.toLowerCase() === operator.toLowerCase());
  if (!op) throw new Error(`${operator} is not a fixture operator`);
  return op.signer;
}

export interface Vote {
  outcome: number;
  outputHash: string;
  salt: string;
}

export const saltOf = (juror: string, round: number): string =>
  keccak256(new TextEncoder().encode(`salt-${juror}-${round}`));

/** Commits `vote(juror)` for each juror (null: the juror stays silent). */
export async function commitVotes(
  p: DisputeProtocol,
  disputeId: bigint,
  round: number,
  jurors: readonly string[],
  vote: (juror: string) => Vote | null,
): Promise<void> {
  for (const juror of jurors) {
    const v = vote(juror);
    if (!v) continue;
    const c = voteCommitment(disputeId, round, juror, v.outcome, v.outputHash, v.salt);
    await (await p.disputes.connect(signerOf(p, juror)).commitVote(disputeId, c)).wait();
  }
}

/** Reveals `vote(juror)` for each juror (null: no reveal). */
export async function revealVotes(
  p: DisputeProtocol,
  disputeId: bigint,
  jurors: readonly string[],
  vote: (juror: string) => Vote | null,
): Promise<void> {
  for (const juror of jurors) {
    const v = vote(juror);
    if (!v) continue;
    await (
      await p.disputes.connect(signerOf(p, juror)).revealVote(disputeId, v.outcome, v.outputHash, v.salt)
    ).wait();
  }
}

/** A funded challenger that has approved `allowance` to the Disputes contract. */
export async function fundChallenger(
  p: DisputeProtocol,
  challenger: Signer,
  allowance: bigint,
): Promise<void> {
  await (
    await p.token.connect(p.deployer).transfer(await challenger.getAddress(), parseEther("100000"))
  ).wait();
  await (await p.token.connect(challenger).approve(await p.disputes.getAddress(), allowance)).wait();
}

/** A RecordingConsumer from the test helpers. */
export async function deployConsumer(p: Protocol): Promise<RecordingConsumer> {
  const c = await p.ethers.deployContract("RecordingConsumer");
  await c.waitForDeployment();
  return c as unknown as RecordingConsumer;
}

/**
 * The jurors of the next round after drawing them. One block is mined first: the draw uses the randomness
 * ticket taken when the dispute opened (or the last round ended), whose value exists from the next block on.
 */
export async function drawJury(p: DisputeProtocol, created: CreatedRequest): Promise<string[]> {
  await p.connection.networkHelpers.mine();
  await (await p.disputes.drawJury(created.requestId, created.request)).wait();
  const round = (await p.disputes.disputeOf(created.requestId)).round;
  return [...(await p.disputes.jurorsOf(created.requestId, round))];
}

/** A model registered with a real on-chain referee (an integer MLP from models/generated/). */
export interface RefereeModel {
  modelHash: string;
  referee: IntegerMlpReferee;
  entry: ModelEntry;
}

/**
 * Deploys the IntegerMlpReferee of manifest model `name` (weights data contract + referee), registers the
 * model with it in the fixture's registry (model hash = the ONNX file's sha256, FEE, k = `redundancy`) and,
 * unless `admit` is false, admits the referee through governance (the timelock) in the RefereeCourt.
 */
export async function registerRefereeModel(
  p: Protocol,
  name: string,
  opts: { redundancy?: number; tolerance?: bigint; admit?: boolean } = {},
): Promise<RefereeModel> {
  const entry = modelEntry(name);
  const { referee, weightsAddress } = await deployIntegerReferee(p.deployer, entry);
  const modelHash = "0x" + entry.sha256;
  await (
    await p.registry.connect(p.modelOwner).register({
      modelHash,
      uris: [`file://models/generated/${entry.file}`],
      ioSchema: '{"inputs":[],"outputs":[]}',
      outputScale: entry.outputScale,
      tolerance: opts.tolerance ?? 0n,
      feePerInference: FEE,
      royaltyBps: 500,
      disputeWindow: 60,
      defaultRedundancy: opts.redundancy ?? 1,
      referee: await referee.getAddress(),
      modelCardHash: keccak256(new TextEncoder().encode(`model card ${name}`)),
    })
  ).wait();
  if (opts.admit !== false) await admitReferee(p, modelHash, await referee.getAddress(), weightsAddress);
  return { modelHash, referee: referee.connect(p.ethers.provider) as IntegerMlpReferee, entry };
}

/**
 * The admitted referee decides (`resolveByReferee`), nobody appeals, the appeal window passes and anyone
 * applies the verdict: returns the `settleReferee` transaction.
 */
export async function refereeSettles(
  p: DisputeProtocol,
  created: CreatedRequest,
  input: Uint8Array | string,
): Promise<ContractTransactionResponse> {
  const decided = await refereeDecides(p, created, input);
  const deadline = (await p.disputes.disputeOf(created.requestId)).arbiterDeadline;
  await p.connection.networkHelpers.time.increaseTo(deadline + 1n);
  return p.disputes.settleReferee(created.requestId, created.request, decided.outcome, decided.output);
}

/** `resolveByReferee`, returning the verdict it recorded (event RefereeDecided). */
export async function refereeDecides(
  p: DisputeProtocol,
  created: CreatedRequest,
  input: Uint8Array | string,
): Promise<{ outcome: number; output: string; appealDeadline: bigint }> {
  const receipt = await (await p.disputes.resolveByReferee(created.requestId, created.request, input)).wait();
  for (const log of receipt?.logs ?? []) {
    const parsed = p.disputes.interface.parseLog(log);
    if (parsed?.name === "RefereeDecided") {
      return {
        outcome: Number(parsed.args.outcome),
        output: parsed.args.output as string,
        appealDeadline: parsed.args.appealDeadline as bigint,
      };
    }
  }
  throw new Error("resolveByReferee emitted no RefereeDecided");
}

/** The RefereeCourt the deployed Disputes contract asks. */
export async function refereeCourtOf(p: Protocol): Promise<RefereeCourt> {
  const disputes = (await p.ethers.getContractAt(
    "Disputes",
    await p.coordinator.disputeHook(),
  )) as unknown as Disputes;
  return (await p.ethers.getContractAt("RefereeCourt", await disputes.court())) as unknown as RefereeCourt;
}

/** Admits `referee` (reading its weights from `weights`) for `modelHash` through the timelock. */
export async function admitReferee(
  p: Protocol,
  modelHash: string,
  referee: string,
  weights: string,
): Promise<void> {
  const court = await refereeCourtOf(p);
  const codeHash = keccak256(await p.ethers.provider.getCode(referee));
  const weightsHash = keccak256(await p.ethers.provider.getCode(weights));
  const data = court.interface.encodeFunctionData("admit", [
    modelHash,
    referee,
    codeHash,
    weights,
    weightsHash,
  ]);
  await governed(p, await court.getAddress(), data);
}

/** The canonical VTN1 input of an integer model: one int64 row `[1, n]` named after the model's input. */
export function integerInput(entry: ModelEntry, values: readonly bigint[]): Uint8Array {
  const spec = entry.inputs[0]!;
  return encodeTensors([
    { name: spec.name, dtype: "int64", scale: 0, dims: [1, values.length], data: [...values] },
  ]);
}

/** Every claimable balance of `accounts` claimed (accounts with nothing are skipped). */
export async function claimAll(p: DisputeProtocol, accounts: readonly Signer[]): Promise<void> {
  for (const a of accounts) {
    if ((await p.disputes.claimable(await a.getAddress())) === 0n) continue;
    await (await p.disputes.connect(a).claim()).wait();
  }
}

/** The bond formula of DisputeMath.bond: max(minBond, atRisk) rounded up to a whole gwei. */
export function bondOf(minBond: bigint, atRisk: bigint): bigint {
  const amount = atRisk > minBond ? atRisk : minBond;
  const unit = 10n ** 9n;
  return ((amount + unit - 1n) / unit) * unit;
}

/** Awaits `pending` and expects it to fail with a message naming `error` (a call through the timelock). */
export async function rejectsWith(pending: Promise<unknown>, error: string): Promise<void> {
  let message = "";
  try {
    await pending;
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  expect(message, `expected a revert with ${error}`).to.contain(error);
}
