/**
 * A deployed protocol on Hardhat's in-process EVM, through the same Ignition module a real deployment uses:
 * funded accounts, staked operators with separate signer keys, a registered model, a prepaid requester.
 */
import { network } from "hardhat";
import { Wallet, getBytes, keccak256, parseEther, type Signer } from "ethers";
import VerdictModule from "../../deploy/Verdict.js";
import { executeArgs, handoverBatch } from "../../deploy/handover.js";
import type {
  Coordinator,
  ModelRegistry,
  OPGToken,
  Staking,
  TimelockController,
} from "../../types/ethers-contracts/index.js";
import type { ICoordinator } from "../../types/ethers-contracts/contracts/requests/Coordinator.js";
import {
  Outcome,
  outcomeOfReason,
  reasonCodeToBytes32,
  signAttestation,
  verdictDomain,
  type ReasonCode,
} from "../../sdk/eip712.js";
import { assignmentsIn, createdRequestIn, withAssignment, type CreatedRequest } from "../../sdk/requests.js";

export type Connection = Awaited<ReturnType<typeof network.create>>;
export type Ethers = Connection["ethers"];

export const FEE = parseEther("2");
export const STAKE = parseEther("10000");
export const TIMELOCK_DELAY = 60;

export interface Operator {
  account: Signer;
  address: string;
  signer: Wallet;
}

export interface Protocol {
  connection: Connection;
  ethers: Ethers;
  deployer: Signer;
  requester: Signer;
  modelOwner: Signer;
  treasury: Signer;
  others: Signer[];
  operators: Operator[];
  token: OPGToken;
  staking: Staking;
  registry: ModelRegistry;
  coordinator: Coordinator;
  timelock: TimelockController;
  modelHash: string;
  chainId: bigint;
}

export interface ProtocolOptions {
  operators?: number;
  redundancy?: number;
  tolerance?: bigint;
  disputeWindow?: number;
  royaltyBps?: number;
  modelHash?: string;
  /** Deploy a BlockhashRandomness contract as the coordinator's randomness source (default: the built-in one). */
  externalRandomness?: boolean;
}

/** Deploys and wires everything. */
export async function deployProtocol(opts: ProtocolOptions = {}): Promise<Protocol> {
  const connection = await network.create();
  const { ethers } = connection;
  const [deployer, requester, modelOwner, treasury, ...rest] = await ethers.getSigners();
  if (!deployer || !requester || !modelOwner || !treasury) throw new Error("not enough accounts");
  const randomness =
    opts.externalRandomness === true
      ? await (await ethers.deployContract("BlockhashRandomness")).getAddress()
      : "0x0000000000000000000000000000000000000000";
  const deployed = await connection.ignition.deploy(VerdictModule, {
    parameters: {
      Verdict: { timelockDelay: TIMELOCK_DELAY, treasury: await treasury.getAddress(), randomness },
    },
  });
  const token = (await ethers.getContractAt(
    "OPGToken",
    await deployed.token.getAddress(),
  )) as unknown as OPGToken;
  const staking = (await ethers.getContractAt(
    "Staking",
    await deployed.staking.getAddress(),
  )) as unknown as Staking;
  const registry = (await ethers.getContractAt(
    "ModelRegistry",
    await deployed.registry.getAddress(),
  )) as unknown as ModelRegistry;
  const coordinator = (await ethers.getContractAt(
    "Coordinator",
    await deployed.coordinator.getAddress(),
  )) as unknown as Coordinator;
  const timelock = (await ethers.getContractAt(
    "TimelockController",
    await deployed.timelock.getAddress(),
  )) as unknown as TimelockController;
  // The hand-over the deployment scheduled (deploy/handover.ts): after the delay anyone executes it, and the
  // timelock owns every governed contract.
  await connection.networkHelpers.time.increase(TIMELOCK_DELAY + 1);
  const batch = handoverBatch({
    coordinator: await coordinator.getAddress(),
    staking: await staking.getAddress(),
    registry: await registry.getAddress(),
  });
  await (await timelock.connect(deployer).executeBatch(...executeArgs(batch))).wait();

  const operatorCount = opts.operators ?? 3;
  const operatorAccounts = rest.slice(0, operatorCount);
  const others = rest.slice(operatorCount);
  const operators: Operator[] = [];
  for (const [i, account] of operatorAccounts.entries()) {
    const signer = new Wallet(
      keccak256(new TextEncoder().encode(`verdict-test-signer-${i}`)),
      ethers.provider,
    );
    const address = await account.getAddress();
    await (await token.connect(deployer).transfer(address, STAKE * 2n)).wait();
    await (await token.connect(account).approve(await staking.getAddress(), STAKE)).wait();
    await (
      await staking.connect(account).registerOperator(signer.address, 1000, `ipfs://operator-${i}`, STAKE)
    ).wait();
    operators.push({ account, address, signer });
  }
  // Draws read weights as they stood at the start of the weight epoch: move to the next one.
  await connection.networkHelpers.mine(Number(await staking.EPOCH_BLOCKS()));

  const modelHash = opts.modelHash ?? keccak256(new TextEncoder().encode("test-model"));
  await (
    await registry.connect(modelOwner).register({
      modelHash,
      uris: ["file://models/test.onnx"],
      ioSchema: '{"inputs":[],"outputs":[]}',
      outputScale: 6,
      tolerance: opts.tolerance ?? 0n,
      feePerInference: FEE,
      royaltyBps: opts.royaltyBps ?? 500,
      disputeWindow: opts.disputeWindow ?? 60,
      defaultRedundancy: opts.redundancy ?? 1,
      referee: "0x0000000000000000000000000000000000000000",
      modelCardHash: keccak256(new TextEncoder().encode("model card")),
    })
  ).wait();

  const requesterAddress = await requester.getAddress();
  await (await token.connect(deployer).transfer(requesterAddress, parseEther("1000"))).wait();
  await (await token.connect(requester).approve(await coordinator.getAddress(), parseEther("1000"))).wait();
  await (await coordinator.connect(requester).deposit(requesterAddress, parseEther("500"))).wait();

  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    connection,
    ethers,
    deployer,
    requester,
    modelOwner,
    treasury,
    others,
    operators,
    token,
    staking,
    registry,
    coordinator,
    timelock,
    modelHash,
    chainId,
  };
}

export interface RequestOptions {
  input?: Uint8Array;
  redundancy?: number;
  maxFee?: bigint;
  deadline?: bigint;
  callback?: string;
  callbackGasLimit?: number;
  finality?: number;
  from?: Signer;
  payNow?: boolean;
  /** Draw its operators right after (default true): `assign` in the next block. */
  assign?: boolean;
}

/**
 * Makes a request and, unless `assign: false`, draws its operators (`assign`, in the next block: automine makes
 * one block per transaction, so the ticket's block hash exists by then). Returns the request as committed.
 */
export async function makeRequest(p: Protocol, o: RequestOptions = {}): Promise<CreatedRequest> {
  const params: ICoordinator.RequestParamsStruct = {
    modelHash: p.modelHash,
    input: o.input ?? new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0]),
    inputHash: "0x" + "00".repeat(32),
    inputURI: "",
    redundancy: o.redundancy ?? 0,
    maxFee: o.maxFee ?? FEE * 8n,
    deadline: o.deadline ?? 0n,
    callback: o.callback ?? "0x0000000000000000000000000000000000000000",
    callbackGasLimit: o.callbackGasLimit ?? 0,
    finality: o.finality ?? 0,
  };
  const c = p.coordinator.connect(o.from ?? p.requester);
  const tx = o.payNow ? await c.requestInferencePayNow(params) : await c.requestInference(params);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  const created = createdRequestIn(receipt.logs);
  return o.assign === false ? created : assignRequest(p, created);
}

/** Draws the operators of a created request (`assign`, sent by `from`, default the deployer). */
export async function assignRequest(
  p: Protocol,
  created: CreatedRequest,
  from?: Signer,
): Promise<CreatedRequest> {
  const tx = await p.coordinator
    .connect(from ?? p.deployer)
    .assign(created.requestId, created.request, { gasLimit: 1_000_000n });
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  const a = assignmentsIn(receipt.logs)[0];
  if (a === undefined) throw new Error(`request ${created.requestId} was not assigned (ticket renewed?)`);
  return withAssignment(created, a);
}

/** The operator object assigned at `index` of a request. */
export function assigned(p: Protocol, created: CreatedRequest, index: number): Operator {
  const address = created.request.operators[index];
  const op = p.operators.find((o) => o.address.toLowerCase() === address?.toLowerCase());
  if (!op) throw new Error(`operator ${address} not in the fixture`);
  return op;
}

/** A signed answer from the operator at `index`. */
export async function signedAnswer(
  p: Protocol,
  created: CreatedRequest,
  index: number,
  output: Uint8Array | string,
  opts: { invalid?: ReasonCode; signer?: Wallet } = {},
): Promise<ICoordinator.AnswerStruct> {
  const signer = opts.signer ?? assigned(p, created, index).signer;
  const outputBytes = opts.invalid !== undefined ? reasonCodeToBytes32(opts.invalid) : output;
  const outputHash = opts.invalid !== undefined ? reasonCodeToBytes32(opts.invalid) : keccak256(outputBytes);
  // A reason code carries its own outcome: INVALID_INPUT, or CANNOT_SERVE for the "cannot serve" codes.
  const outcome = opts.invalid !== undefined ? outcomeOfReason(opts.invalid) : Outcome.RESULT;
  const signature = await signAttestation(
    signer,
    verdictDomain(p.chainId, await p.coordinator.getAddress()),
    {
      requestId: created.requestId,
      modelHash: created.request.modelHash,
      inputHash: created.request.inputHash,
      outputHash,
      outcome,
    },
  );
  return { index, outcome, output: getBytes(outputBytes), signature };
}

/** Moves the chain's clock forward. */
export async function increaseTime(p: Protocol, seconds: number | bigint): Promise<void> {
  await p.connection.networkHelpers.time.increase(seconds);
}

/** Executes a governance call through the timelock (schedule, wait the delay, execute). */
export async function governed(p: Protocol, target: string, data: string): Promise<void> {
  const zero = "0x" + "00".repeat(32);
  const salt = keccak256(new TextEncoder().encode(`${target}${data}${Date.now()}${Math.random()}`));
  await (await p.timelock.connect(p.deployer).schedule(target, 0, data, zero, salt, TIMELOCK_DELAY)).wait();
  await increaseTime(p, TIMELOCK_DELAY + 1);
  await (await p.timelock.connect(p.deployer).execute(target, 0, data, zero, salt)).wait();
}
