/**
 * VerdictClient: the typed, importable way to use Verdict from an ethers Provider or Signer. Request an
 * inference and await its result, read status, manage the escrow, models and stake, follow and verify a
 * request's accountability trail, and read concentration stats. ABIs come from sdk/abi (generated from the
 * build as `as const` TypeScript), so the client needs no build folder at run time. It re-exports the
 * encoding helpers for convenience.
 */
import {
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type ErrorDescription,
  Interface,
  type InterfaceAbi,
  type Provider,
  type Signer,
  ZeroAddress,
  ZeroHash,
  getAddress,
  getBytes,
  hexlify,
  isAddress,
  isError,
  keccak256,
} from "ethers";
import { coordinatorAbi, disputesAbi, modelRegistryAbi, opgTokenAbi, stakingAbi } from "./abi/index.js";
import {
  coordinatorAt,
  modelRegistryAt,
  opgTokenAt,
  stakingAt,
  type Coordinator,
  type ModelRegistry,
  type OPGToken,
  type Staking,
} from "./abi/contracts.js";
import { VerdictError } from "./errors.js";
import { decodeRevert } from "./revert.js";
import { requestParams, type RequestTerms } from "./request-uri.js";
import {
  Finality,
  Outcome,
  bytes32ToReasonCode,
  verdictDomain,
  type ReasonCode,
  type VerdictDomain,
} from "./eip712.js";
import {
  RequestStatus,
  assignmentsIn,
  createdRequestIn,
  requestGasLimit,
  statusName,
  withAssignment,
  type CreatedRequest,
} from "./requests.js";
import { decodeTensors, encodeTensors, type Tensor } from "./tensor.js";
import { findCreatedRequest, followTrail, type Trail } from "./trail.js";
import { LogReader, readerOf, type LogReaderOptions } from "./logs.js";
import { readDeployment, resolveDeployment, type Deployment } from "./deployment.js";
import { signerAtFromStaking, verifyTrail, type TrailVerification } from "./verify.js";
import { networkStats, type NetworkStats } from "./stats.js";
import { sleep } from "./retry.js";

export * from "./errors.js";
export * from "./tensor.js";
export * from "./agreement.js";
export * from "./eip712.js";
export {
  RequestStatus,
  statusName,
  createdRequestIn,
  assignmentsIn,
  withAssignment,
  type Assignment,
  type CreatedRequest,
  type CommittedRequest,
} from "./requests.js";
export * from "./trail.js";
export * from "./verify.js";
export * from "./stats.js";
export * from "./logs.js";
export * from "./deployment.js";
export { RpcHttpError, retry, sleep, isRateLimitError, type RetryOptions } from "./retry.js";
export { VerdictRpcProvider, rpcProvider, rpcChainId, checkRpcUrl, type RpcOptions } from "./rpc.js";

export interface VerdictAddresses {
  coordinator: string;
  staking: string;
  registry: string;
  /** The dispute contract, when deployed, with its ABI. */
  disputes?: { address: string; abi: InterfaceAbi };
}

export interface VerdictClientOptions {
  /** A Signer (for writes) or a read-only Provider. */
  runner: Signer | Provider;
  addresses: VerdictAddresses;
  /** First block to scan for events (the coordinator's deploy block). Default 0. */
  fromBlock?: number;
  /** Bounded log reads: a shared reader or its options (default: the provider's own, else 2,000 blocks). */
  logs?: LogReader | LogReaderOptions;
}

/** Starting from the coordinator alone, or from a deployment file (`npm run deploy` writes one). */
export interface VerdictClientStart {
  runner: Signer | Provider;
  /** The coordinator's address (the rest is read from it), unless `deployment` is given. */
  coordinator?: string;
  /** A deployment file path or its parsed record (addresses and start block). */
  deployment?: string | Deployment;
  /** First block to scan; default the deployment's start block, else 0. */
  fromBlock?: number;
  logs?: LogReader | LogReaderOptions;
}

/** Statuses at which `waitForResult` returns by default. */
export const RESULT_STATUSES: readonly RequestStatus[] = [
  RequestStatus.Answered,
  RequestStatus.Finalized,
  RequestStatus.Rejected,
  RequestStatus.Expired,
  RequestStatus.Corrected,
];

export interface RequestInput extends RequestTerms {
  modelHash: string;
  /** Canonical VTN1 bytes or tensors to encode. */
  input: Uint8Array | readonly Tensor[];
}

export interface InferenceResult {
  requestId: bigint;
  status: RequestStatus;
  statusName: string;
  /** "none" when the request expired with no result. */
  outcome: "result" | "invalid_input" | "none";
  /** Output bytes (hex); for invalid input, the 32-byte reason code. */
  output?: string;
  outputHash?: string;
  tensors?: Tensor[];
  reasonCode?: ReasonCode;
  /** True when a dispute corrected the operators' answer. */
  corrected: boolean;
  answers: number;
}

export interface RequestStatusInfo {
  requestId: bigint;
  status: RequestStatus;
  statusName: string;
  answered: number;
  redundancy: number;
  windowEnds: bigint;
  deadline: bigint;
  created: CreatedRequest;
}

export interface ModelInfo {
  modelHash: string;
  owner: string;
  feePerInference: bigint;
  disputeWindow: number;
  tolerance: bigint;
  royaltyBps: number;
  defaultRedundancy: number;
  outputScale: number;
  active: boolean;
  referee: string;
  modelCardHash: string;
  ioSchema: string;
  uris: string[];
}

export interface ModelSpecInput {
  modelHash: string;
  uris: string[];
  ioSchema: string;
  outputScale?: number;
  tolerance?: bigint;
  feePerInference: bigint;
  royaltyBps?: number;
  disputeWindow?: number;
  defaultRedundancy?: number;
  referee?: string;
  modelCardHash?: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** Statuses to stop at; default RESULT_STATUSES. */
  until?: readonly RequestStatus[];
  onStatus?: (status: RequestStatus) => void;
}

function isSigner(r: Signer | Provider): r is Signer {
  return typeof (r as Signer).signTypedData === "function";
}

/** All the protocol's ABIs, for decoding revert data from any of them. */
export function errorInterface(extra: readonly InterfaceAbi[] = []): Interface {
  const fragments = new Map<string, unknown>();
  const abis: InterfaceAbi[] = [
    coordinatorAbi as InterfaceAbi,
    stakingAbi as InterfaceAbi,
    modelRegistryAbi as InterfaceAbi,
    opgTokenAbi as InterfaceAbi,
    ...extra,
  ];
  for (const abi of abis) {
    const list = typeof abi === "string" ? (JSON.parse(abi) as unknown[]) : (abi as readonly unknown[]);
    for (const f of list) {
      const frag = f as { type?: string; name?: string; inputs?: { type: string }[] };
      if (frag.type !== "error") continue;
      const sig = `${frag.name}(${(frag.inputs ?? []).map((i) => i.type).join(",")})`;
      if (!fragments.has(sig)) fragments.set(sig, f);
    }
  }
  return new Interface([...fragments.values()] as InterfaceAbi);
}

/** The one revert-data digger, re-exported where callers found it before. */
export { revertDataOf } from "./revert.js";

/** The protocol custom error inside `err`, decoded with the contracts' ABIs, or null. */
export function decodeContractError(
  err: unknown,
  extra: readonly InterfaceAbi[] = [],
): ErrorDescription | null {
  return decodeRevert(err, errorInterface(extra));
}

/** The result of a request, from the answers or the correction in its events. */
export function resultFromTrail(trail: Trail): InferenceResult {
  const status = trail.chain.status as RequestStatus;
  const base = {
    requestId: trail.requestId,
    status,
    statusName: statusName(status),
    corrected: status === RequestStatus.Corrected,
    answers: trail.answers.length,
  };
  let outcome: number | undefined;
  let output: string | undefined;
  if (trail.settlement?.event === "RequestCorrected" && trail.settlement.correctedOutput !== undefined) {
    outcome = trail.settlement.correctedOutcome;
    output = trail.settlement.correctedOutput;
  } else if (trail.answers[0] && status !== RequestStatus.Expired && status !== RequestStatus.Assigned) {
    outcome = trail.answers[0].outcome;
    output = trail.answers[0].output;
  }
  if (outcome === undefined || output === undefined) return { ...base, outcome: "none" };
  if (outcome === Outcome.INVALID_INPUT) {
    const r: InferenceResult = { ...base, outcome: "invalid_input", output, outputHash: output };
    try {
      r.reasonCode = bytes32ToReasonCode(output);
    } catch {
      /* unknown code: leave it out */
    }
    return r;
  }
  const r: InferenceResult = { ...base, outcome: "result", output, outputHash: keccak256(output) };
  try {
    r.tensors = decodeTensors(getBytes(output));
  } catch {
    /* not a canonical encoding: the bytes are still returned */
  }
  return r;
}

export class VerdictClient {
  readonly provider: Provider;
  readonly signer: Signer | undefined;
  readonly addresses: VerdictAddresses;
  readonly coordinator: Coordinator;
  readonly staking: Staking;
  readonly registry: ModelRegistry;
  readonly fromBlock: number;
  /** The bounded log reader every trail/status read uses (sdk/logs.ts). */
  readonly logs: LogReader;
  #token: OPGToken | undefined;

  constructor(opts: VerdictClientOptions) {
    const { runner, addresses } = opts;
    for (const [name, value] of Object.entries({
      coordinator: addresses.coordinator,
      staking: addresses.staking,
      registry: addresses.registry,
    })) {
      if (!isAddress(value))
        throw new VerdictError("CONFIG_INVALID", `${name} address ${String(value)} is not an address`, {
          name,
        });
    }
    this.signer = isSigner(runner) ? runner : undefined;
    const provider = isSigner(runner) ? runner.provider : runner;
    if (!provider) throw new VerdictError("CONFIG_INVALID", "the signer is not connected to a provider");
    this.provider = provider;
    this.addresses = addresses;
    this.fromBlock = opts.fromBlock ?? 0;
    this.logs = opts.logs instanceof LogReader ? opts.logs : readerOf(provider, opts.logs ?? {});
    this.coordinator = coordinatorAt(addresses.coordinator, runner);
    this.staking = stakingAt(addresses.staking, runner);
    this.registry = modelRegistryAt(addresses.registry, runner);
  }

  /** Connects and checks the chain id first (WRONG_NETWORK when it differs). */
  static async connect(opts: VerdictClientOptions & { expectedChainId?: bigint }): Promise<VerdictClient> {
    const client = new VerdictClient(opts);
    if (opts.expectedChainId !== undefined) {
      const actual = await client.chainId();
      if (actual !== opts.expectedChainId) {
        throw new VerdictError(
          "WRONG_NETWORK",
          `connected to chain ${actual} but expected chain ${opts.expectedChainId}`,
          { actual: actual.toString(), expected: opts.expectedChainId.toString() },
        );
      }
    }
    return client;
  }

  /**
   * A client started from the coordinator's address alone or from a deployment file: every address is read
   * from the coordinator and checked on chain (NO_CODE, WRONG_CONTRACT, CONTRACT_MISMATCH: sdk/deployment.ts);
   * a deployment on another chain is WRONG_NETWORK. Logs are read from the deployment's start block.
   */
  static async start(opts: VerdictClientStart): Promise<VerdictClient> {
    const provider = isSigner(opts.runner) ? opts.runner.provider : opts.runner;
    if (!provider) throw new VerdictError("CONFIG_INVALID", "the signer is not connected to a provider");
    const deployment =
      typeof opts.deployment === "string" ? readDeployment(opts.deployment) : opts.deployment;
    if (deployment) {
      const actual = (await provider.getNetwork()).chainId;
      if (actual !== deployment.chainId)
        throw new VerdictError(
          "WRONG_NETWORK",
          `the deployment is on chain ${deployment.chainId} but the provider serves chain ${actual}`,
          { actual: actual.toString(), expected: deployment.chainId.toString() },
        );
    }
    const coordinator = opts.coordinator ?? deployment?.addresses.coordinator;
    if (coordinator === undefined || !isAddress(coordinator))
      throw new VerdictError("CONFIG_INVALID", "a coordinator address or a deployment file is needed");
    const found = await resolveDeployment(provider, coordinator, deployment?.addresses ?? {});
    return new VerdictClient({
      runner: opts.runner,
      addresses: {
        coordinator: found.coordinator,
        staking: found.staking,
        registry: found.registry,
        ...(found.disputes
          ? { disputes: { address: found.disputes, abi: disputesAbi as InterfaceAbi } }
          : {}),
      },
      fromBlock: opts.fromBlock ?? deployment?.startBlock ?? 0,
      ...(opts.logs !== undefined ? { logs: opts.logs } : {}),
    });
  }

  async chainId(): Promise<bigint> {
    return (await this.provider.getNetwork()).chainId;
  }

  async domain(): Promise<VerdictDomain> {
    return verdictDomain(await this.chainId(), this.addresses.coordinator);
  }

  /** The account that signs transactions; NO_SIGNER for a read-only client. */
  async account(): Promise<string> {
    return getAddress(await this.requireSigner().getAddress());
  }

  requireSigner(): Signer {
    if (!this.signer)
      throw new VerdictError("NO_SIGNER", "this action sends a transaction: a private key is needed");
    return this.signer;
  }

  async token(): Promise<OPGToken> {
    if (!this.#token) {
      this.#token = opgTokenAt(await this.coordinator.feeToken(), this.signer ?? this.provider);
    }
    return this.#token;
  }

  private async send(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    const receipt = await (await tx).wait();
    if (!receipt) throw new VerdictError("TX_FAILED", "the transaction was dropped");
    return receipt;
  }

  /** Approves `spender` for `amount` of OPG if the allowance is short. */
  private async ensureAllowance(spender: string, amount: bigint): Promise<void> {
    const token = await this.token();
    const owner = await this.account();
    if ((await token.allowance(owner, spender)) >= amount) return;
    await this.send(token.connect(this.requireSigner()).approve(spender, amount));
  }

  // ------------------------------------------------------------------ models

  async getModel(modelHash: string): Promise<ModelInfo> {
    const m = await this.registry.getModel(modelHash);
    if (m.owner === ZeroAddress) {
      throw new VerdictError("MODEL_NOT_FOUND", `model ${modelHash} is not registered`, { modelHash });
    }
    return {
      modelHash,
      owner: m.owner,
      feePerInference: m.terms.feePerInference,
      disputeWindow: Number(m.terms.disputeWindow),
      tolerance: m.terms.tolerance,
      royaltyBps: Number(m.terms.royaltyBps),
      defaultRedundancy: Number(m.terms.defaultRedundancy),
      outputScale: Number(m.terms.outputScale),
      active: m.terms.active,
      referee: m.referee,
      modelCardHash: m.modelCardHash,
      ioSchema: m.ioSchema,
      uris: [...m.uris],
    };
  }

  async listModels(): Promise<ModelInfo[]> {
    const n = Number(await this.registry.modelCount());
    const hashes = await Promise.all(Array.from({ length: n }, (_, i) => this.registry.modelAt(i)));
    return Promise.all(hashes.map((h) => this.getModel(h)));
  }

  async registerModel(spec: ModelSpecInput): Promise<ContractTransactionReceipt> {
    return this.send(
      this.registry.connect(this.requireSigner()).register({
        modelHash: spec.modelHash,
        uris: spec.uris,
        ioSchema: spec.ioSchema,
        outputScale: spec.outputScale ?? 6,
        tolerance: spec.tolerance ?? 0n,
        feePerInference: spec.feePerInference,
        royaltyBps: spec.royaltyBps ?? 0,
        disputeWindow: spec.disputeWindow ?? 7200,
        defaultRedundancy: spec.defaultRedundancy ?? 1,
        referee: spec.referee ?? ZeroAddress,
        modelCardHash: spec.modelCardHash ?? ZeroHash,
      }),
    );
  }

  // ------------------------------------------------------------------ escrow

  async balanceOf(account?: string): Promise<bigint> {
    return this.coordinator.balanceOf(account ?? (await this.account()));
  }

  async deposit(amount: bigint): Promise<ContractTransactionReceipt> {
    const me = await this.account();
    await this.ensureAllowance(this.addresses.coordinator, amount);
    return this.send(this.coordinator.connect(this.requireSigner()).deposit(me, amount));
  }

  async withdraw(amount: bigint, to?: string): Promise<ContractTransactionReceipt> {
    const me = await this.account();
    return this.send(this.coordinator.connect(this.requireSigner()).withdraw(to ?? me, amount));
  }

  // ------------------------------------------------------------------ requests

  /** Fee, k and total price of a request for `modelHash`. */
  async quote(modelHash: string, redundancy = 0): Promise<{ fee: bigint; k: number; total: bigint }> {
    const model = await this.getModel(modelHash);
    const k = redundancy === 0 ? model.defaultRedundancy : redundancy;
    return { fee: model.feePerInference, k, total: model.feePerInference * BigInt(k) };
  }

  /**
   * Requests an inference paid from the escrow balance, then (unless `assign: false`) waits for its operator
   * draw, sending `assign` itself once the ticket's value exists if no relayer did first. Returns the request
   * as committed (with its operators once drawn).
   */
  async request(input: RequestInput): Promise<CreatedRequest> {
    const bytes = input.input instanceof Uint8Array ? input.input : encodeTensors(input.input);
    const maxFee = input.maxFee ?? (await this.quote(input.modelHash, input.redundancy ?? 0)).total;
    const params = requestParams(input, { input: hexlify(bytes), inputHash: ZeroHash, inputURI: "" }, maxFee);
    const coordinator = this.coordinator.connect(this.requireSigner());
    const receipt = await this.send(
      (async () => {
        const estimate = await coordinator.requestInference.estimateGas(params);
        return coordinator.requestInference(params, { gasLimit: requestGasLimit(estimate) });
      })(),
    );
    const created = createdRequestIn(receipt.logs);
    return input.assign === false ? created : this.assign(created);
  }

  /**
   * Draws the operators of a created request: returns at once if `OperatorsAssigned` is already on chain, else
   * simulates `assign` on the pending block (the ticket's value must exist, or the ticket must be stale and due
   * for renewal) and sends it as `assignBatch`; racing relayers are harmless (the batch form skips a request that
   * is already assigned). Polls every `pollMs` until drawn;
   * NOT_ASSIGNABLE when the request left the Requested state undrawn (expired), TIMEOUT after `timeoutMs`.
   */
  async assign(
    created: CreatedRequest,
    opts: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<CreatedRequest> {
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const pollMs = opts.pollMs ?? 500;
    const started = Date.now();
    const id = created.requestId;
    for (;;) {
      // A provider's cached head may not show the request's own block yet: the request as created stands in.
      const found = await this.findRequest(id).catch((e: unknown) => {
        if (e instanceof VerdictError && e.code === "REQUEST_NOT_FOUND") return created;
        throw e;
      });
      if (found.assignment) return found;
      const status = Number((await this.coordinator.requestState(id)).status);
      if (status !== RequestStatus.Requested) {
        throw new VerdictError(
          "NOT_ASSIGNABLE",
          `request ${id} is ${statusName(status)} and was never assigned`,
          {
            requestId: id.toString(),
          },
        );
      }
      const coordinator = this.coordinator.connect(this.requireSigner());
      // `assign` returns true (drawn) or false (a stale ticket is renewed: worth sending too, or the request
      // would wait for a draw no simulation shows) and reverts when nothing can happen yet.
      const ready = await coordinator.assign
        .staticCall(id, found.request, { blockTag: "pending" })
        .then(() => true)
        .catch(() => false);
      if (ready) {
        const gasLimit = 400_000n + 120_000n * found.request.redundancy;
        const sendAssign = (): Promise<ContractTransactionReceipt> =>
          this.send(coordinator.assignBatch([id], [found.request], { gasLimit }));
        const receipt = await sendAssign().catch(async (e: unknown) => {
          // A provider's briefly cached transaction count (ethers de-duplicates identical calls) can repeat the
          // nonce of the request just sent: wait past the cache, then send once more.
          if (!isError(e, "NONCE_EXPIRED")) throw e;
          await sleep(Math.max(pollMs, 300));
          return sendAssign();
        });
        const a = assignmentsIn(receipt.logs).find((x) => x.requestId === id);
        if (a) return withAssignment(found, a);
      }
      if (Date.now() - started >= timeoutMs) {
        throw new VerdictError("TIMEOUT", `request ${id} was not assigned after ${timeoutMs} ms`, {
          requestId: id.toString(),
        });
      }
      await sleep(pollMs);
    }
  }

  /** Requests and waits for the result (see waitForResult). */
  async requestAndWait(input: RequestInput, wait: WaitOptions = {}): Promise<InferenceResult> {
    const created = await this.request(input);
    return this.waitForResult(created.requestId, wait);
  }

  /** The request as created (REQUEST_NOT_FOUND if it does not exist). */
  async findRequest(requestId: bigint): Promise<CreatedRequest> {
    return findCreatedRequest(
      this.provider,
      this.addresses.coordinator,
      requestId,
      this.fromBlock,
      this.logs,
    );
  }

  async status(requestId: bigint): Promise<RequestStatusInfo> {
    const created = await this.findRequest(requestId);
    const st = await this.coordinator.requestState(requestId);
    let answered = 0;
    for (let m = Number(st.answeredMask); m; m >>= 1) answered += m & 1;
    const status = Number(st.status) as RequestStatus;
    return {
      requestId,
      status,
      statusName: statusName(status),
      answered,
      redundancy: Number(created.request.redundancy),
      windowEnds: st.windowEnds,
      deadline: created.request.deadline,
      created,
    };
  }

  /** The result as it stands now (outcome "none" while nothing is answered). */
  async result(requestId: bigint): Promise<InferenceResult> {
    return resultFromTrail(await this.trail(requestId));
  }

  /** Polls until the request reaches one of `until` (default RESULT_STATUSES); TIMEOUT after `timeoutMs`. */
  async waitForResult(requestId: bigint, opts: WaitOptions = {}): Promise<InferenceResult> {
    const until = opts.until ?? RESULT_STATUSES;
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const pollMs = opts.pollMs ?? 1_000;
    const started = Date.now();
    await this.findRequest(requestId);
    let last: RequestStatus | undefined;
    for (;;) {
      const st = Number((await this.coordinator.requestState(requestId)).status) as RequestStatus;
      if (st !== last) {
        last = st;
        opts.onStatus?.(st);
      }
      if (until.includes(st)) return this.result(requestId);
      if (Date.now() - started >= timeoutMs) {
        throw new VerdictError(
          "TIMEOUT",
          `request ${requestId} is still ${statusName(st)} after ${timeoutMs} ms`,
          {
            requestId: requestId.toString(),
            status: statusName(st),
          },
        );
      }
      await sleep(pollMs);
    }
  }

  async finalize(requestId: bigint): Promise<ContractTransactionReceipt> {
    const trail = await this.trail(requestId);
    const output =
      trail.created.request.finality === BigInt(Finality.FINAL) ? (trail.answers[0]?.output ?? "0x") : "0x";
    return this.send(
      this.coordinator.connect(this.requireSigner()).finalize(requestId, trail.created.request, output),
    );
  }

  async expire(requestId: bigint): Promise<ContractTransactionReceipt> {
    const created = await this.findRequest(requestId);
    return this.send(this.coordinator.connect(this.requireSigner()).expire(requestId, created.request));
  }

  // ------------------------------------------------------------------ staking

  async registerOperator(p: {
    signer: string;
    commissionBps: number;
    metadataURI: string;
    selfStake: bigint;
  }): Promise<ContractTransactionReceipt> {
    await this.ensureAllowance(this.addresses.staking, p.selfStake);
    return this.send(
      this.staking
        .connect(this.requireSigner())
        .registerOperator(p.signer, p.commissionBps, p.metadataURI, p.selfStake),
    );
  }

  async delegate(operator: string, amount: bigint): Promise<ContractTransactionReceipt> {
    await this.ensureAllowance(this.addresses.staking, amount);
    return this.send(this.staking.connect(this.requireSigner()).delegate(operator, amount));
  }

  /** Queues `shares` (or, with `assets`, the shares worth that much) for withdrawal; returns the id. */
  async undelegate(
    operator: string,
    amount: { shares: bigint } | { assets: bigint },
  ): Promise<{ withdrawalId: bigint; unlocksAt: bigint; receipt: ContractTransactionReceipt }> {
    const shares =
      "shares" in amount ? amount.shares : await this.staking.convertToShares(operator, amount.assets);
    const receipt = await this.send(this.staking.connect(this.requireSigner()).undelegate(operator, shares));
    for (const log of receipt.logs) {
      const desc = this.staking.interface.parseLog(log);
      if (desc?.name === "UndelegationQueued") {
        return {
          withdrawalId: BigInt(desc.args.withdrawalId as bigint),
          unlocksAt: BigInt(desc.args.unlocksAt as bigint),
          receipt,
        };
      }
    }
    throw new VerdictError("TX_FAILED", "no UndelegationQueued event in the receipt");
  }

  async completeUndelegation(withdrawalId: bigint): Promise<ContractTransactionReceipt> {
    return this.send(this.staking.connect(this.requireSigner()).completeUndelegation(withdrawalId));
  }

  async claimRewards(operator: string): Promise<ContractTransactionReceipt> {
    return this.send(this.staking.connect(this.requireSigner()).claimRewards(operator));
  }

  async setCommission(bps: number): Promise<ContractTransactionReceipt> {
    return this.send(this.staking.connect(this.requireSigner()).setCommission(bps));
  }

  async deactivate(): Promise<ContractTransactionReceipt> {
    return this.send(this.staking.connect(this.requireSigner()).deactivate());
  }

  async exit(): Promise<ContractTransactionReceipt> {
    return this.send(this.staking.connect(this.requireSigner()).exit());
  }

  // ------------------------------------------------------------------ accountability

  async trail(requestId: bigint): Promise<Trail> {
    return followTrail(
      {
        provider: this.provider,
        coordinator: this.addresses.coordinator,
        staking: this.addresses.staking,
        fromBlock: this.fromBlock,
        logs: this.logs,
        ...(this.addresses.disputes ? { disputes: this.addresses.disputes } : {}),
      },
      requestId,
    );
  }

  /** Follows and verifies the trail of `requestId` (signers read at each answer's block). */
  async audit(requestId: bigint): Promise<{ trail: Trail; verification: TrailVerification }> {
    const trail = await this.trail(requestId);
    const verification = await verifyTrail(trail, {
      signerAt: signerAtFromStaking(this.provider, this.addresses.staking),
    });
    return { trail, verification };
  }

  async stats(): Promise<NetworkStats> {
    return networkStats(this.provider, this.addresses);
  }
}
