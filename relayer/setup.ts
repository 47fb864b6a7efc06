/**
 * The relayer's setup checks, run by `check` and before the chain loop starts: every setup mistake is a
 * typed error said once, never an "RPC endpoint unavailable; retrying" loop. Only an endpoint that does not
 * answer at all is waited for (when `waitForRpc`), with backoff (sdk/retry.ts).
 *
 * | code                    | mistake                                                                      |
 * | ----------------------- | ---------------------------------------------------------------------------- |
 * | RPC_UNREACHABLE         | the endpoint does not answer (only `check`; `run` waits for it)              |
 * | CHAIN_ID_MISMATCH       | the endpoint serves another chain than VERDICT_CHAIN_ID                      |
 * | NO_CODE                 | no contract at a configured address (wrong address or wrong chain)           |
 * | WRONG_CONTRACT          | a contract of the wrong kind (its identifying view is missing or differs)    |
 * | CONTRACT_MISMATCH       | a configured staking/registry address is not the coordinator's own           |
 * | OPERATOR_NOT_REGISTERED | VERDICT_OPERATOR_ADDRESS is not a registered operator                        |
 * | SIGNER_NOT_REGISTERED   | the operator's registered signer is another key than this relayer's          |
 * | NO_GAS_BALANCE          | the signer cannot pay for one answer's gas                                   |
 */
import { Interface, ZeroAddress, getAddress, type Provider } from "ethers";
import type { Logger } from "pino";
import { resolveDeployment, SetupError, type DeploymentAddresses } from "../sdk/deployment.js";
import { VerdictError } from "../sdk/errors.js";
import { retry } from "../sdk/retry.js";
import { rpcChainId } from "../sdk/rpc.js";
import type { RelayerConfig } from "./config.js";

/** Gas one answer transaction is budgeted at when checking the signer's balance. */
export const ANSWER_GAS_BUDGET = 150_000n;

export interface SetupReport {
  chainId: bigint;
  addresses: DeploymentAddresses;
  /** Where sync starts without a cursor (configured, from the deployment, or head − confirmations). */
  startBlock: number;
  head: number;
  signer: string;
  /** The signer's balance (wei) and what one answer costs at current fees (wei). */
  balance: bigint;
  answerCost: bigint;
}

export interface SetupOptions {
  provider: Provider;
  config: Readonly<RelayerConfig>;
  signerAddress: string;
  logger?: Logger;
  /** Keep waiting (with backoff) while the endpoint does not answer at all; else RPC_UNREACHABLE at once. */
  waitForRpc?: boolean;
}

const stakingViews = new Interface(["function signerOf(address) view returns (address)"]);

/** Runs every check; resolves with what was found or throws the first mistake's typed error. */
export async function checkSetup(o: SetupOptions): Promise<SetupReport> {
  const { provider, config } = o;
  const chainId = await retry(() => rpcChainId(config.rpcUrl, { timeoutMs: 10_000 }), {
    attempts: o.waitForRpc ? Number.POSITIVE_INFINITY : 1,
    baseDelayMs: 500,
    maxDelayMs: 10_000,
    retryable: (e) => e instanceof VerdictError && e.code === "RPC_UNREACHABLE",
    onRetry: ({ err, attempt }) =>
      o.logger?.warn(
        { attempt, err: err instanceof Error ? err.message : String(err) },
        "RPC endpoint unavailable; retrying",
      ),
  });
  if (chainId !== config.chainId) {
    throw new SetupError(
      "CHAIN_ID_MISMATCH",
      `the RPC endpoint serves chain ${chainId}, configured ${config.chainId}`,
      { actual: chainId.toString(), expected: config.chainId.toString() },
    );
  }
  const expected: Partial<DeploymentAddresses> = {};
  if (config.stakingAddress !== "") expected.staking = config.stakingAddress;
  if (config.registryAddress !== "") expected.registry = config.registryAddress;
  const addresses = await resolveDeployment(provider, config.coordinatorAddress, expected);

  const operator = getAddress(config.operatorAddress);
  const signer = getAddress(o.signerAddress);
  const raw = await provider.call({
    to: addresses.staking,
    data: stakingViews.encodeFunctionData("signerOf", [operator]),
  });
  const registered = getAddress(String(stakingViews.decodeFunctionResult("signerOf", raw)[0]));
  if (registered === ZeroAddress) {
    throw new SetupError(
      "OPERATOR_NOT_REGISTERED",
      `operator ${operator} is not registered on staking ${addresses.staking}: register it (and this signer) first`,
      { operator, staking: addresses.staking },
    );
  }
  if (registered !== signer) {
    throw new SetupError(
      "SIGNER_NOT_REGISTERED",
      `operator ${operator} has signer ${registered}, not this relayer's ${signer}: register this signer or configure the registered key`,
      { operator, registered, signer },
    );
  }

  const [balance, fees, head] = await Promise.all([
    provider.getBalance(signer),
    provider.getFeeData(),
    provider.getBlockNumber(),
  ]);
  const answerCost = (fees.maxFeePerGas ?? fees.gasPrice ?? 0n) * ANSWER_GAS_BUDGET;
  if (balance === 0n || balance < answerCost) {
    throw new SetupError(
      "NO_GAS_BALANCE",
      `signer ${signer} holds ${balance} wei, less than one answer's gas (~${answerCost} wei at current fees): fund it`,
      { signer, balance: balance.toString(), answerCost: answerCost.toString() },
    );
  }
  const startBlock = config.startBlock ?? Math.max(0, head - config.confirmations);
  return { chainId, addresses, startBlock, head, signer, balance, answerCost };
}
