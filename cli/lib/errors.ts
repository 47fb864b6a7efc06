/**
 * Errors as users read them: any failure becomes a CliError with a stable code, a sentence, an exit code
 * (1 user error, 2 chain or network) and JSON details. A contract revert is decoded against every custom
 * error in the build (cli/lib/abis.ts) and written as a sentence: a hand-written one for the errors users
 * hit most (below), otherwise one generated from the error's name and named arguments.
 */
import { type ErrorDescription, type Interface, formatEther, isError } from "ethers";
import { VerdictError, isVerdictError } from "../../sdk/errors.js";
import { decodeRevertData as decodeCustomError, revertDataOf } from "../../sdk/revert.js";
import { CliError, EXIT_CHAIN, EXIT_USER, opg } from "../support.js";
import { allErrorsInterface } from "./abis.js";

const STATUS = [
  "None",
  "Assigned",
  "Answered",
  "Disputed",
  "Finalized",
  "Rejected",
  "Expired",
  "Corrected",
  "Unserved",
  "Requested",
];
const PHASE = ["None", "Open", "Voting", "Arbitration", "Settled"];
const when = (ts: unknown): string => new Date(Number(ts) * 1000).toISOString();
const s = (v: unknown): string => String(v);

/** Sentences for the protocol's custom errors users meet most, keyed by error name. */
export const SENTENCES: Readonly<Record<string, (a: readonly unknown[]) => string>> = {
  InsufficientBalance: (a) =>
    `Your escrow balance is ${opg(a[1] as bigint)} but this request needs ${opg(a[2] as bigint)}. Deposit more with \`verdict escrow deposit <amount>\`.`,
  ERC20InsufficientBalance: (a) =>
    `Your OPG wallet balance is ${opg(a[1] as bigint)} but ${opg(a[2] as bigint)} is needed.`,
  ERC20InsufficientAllowance: (a) =>
    `The OPG allowance is ${opg(a[1] as bigint)} but ${opg(a[2] as bigint)} is needed.`,
  UnknownRequest: (a) => `Request ${s(a[0])} does not exist.`,
  WrongStatus: (a) => `Request ${s(a[0])} is ${STATUS[Number(a[1])] ?? s(a[1])}, which does not allow this.`,
  FeeAboveMax: (a) => `The fee is ${opg(a[0] as bigint)} but your maximum fee is ${opg(a[1] as bigint)}.`,
  UnknownModel: (a) => `Model ${s(a[0])} is not registered.`,
  ModelInactive: (a) => `Model ${s(a[0])} is deactivated.`,
  ModelAlreadyRegistered: (a) => `Model ${s(a[0])} is already registered.`,
  NotModelOwner: (a) => `${s(a[1])} does not own model ${s(a[0])}.`,
  RoyaltyTooHigh: (a) => `A royalty of ${s(a[0])} bps is above the maximum of ${s(a[1])} bps.`,
  DisputeWindowOutOfBounds: (a) => `A dispute window of ${s(a[0])} s is outside ${s(a[1])}..${s(a[2])} s.`,
  RedundancyOutOfBounds: (a) => `Redundancy ${s(a[0])} is above the maximum of ${s(a[1])}.`,
  NotEnoughOperators: (a) => `The request needs ${s(a[0])} operators but only ${s(a[1])} are eligible.`,
  InputTooLarge: (a) => `The input is ${s(a[0])} bytes; inline inputs are limited to ${s(a[1])} bytes.`,
  MissingInput: () => `The request has no input: pass --input, or --input-uri with --input-hash.`,
  AmbiguousInput: () => `The request has both an inline input and an input hash/URI: pass one.`,
  DeadlineOutOfBounds: (a) => `The deadline ${when(a[0])} must be between ${when(a[1])} and ${when(a[2])}.`,
  CallbackGasTooHigh: (a) => `A callback gas limit of ${s(a[0])} is above the cap of ${s(a[1])}.`,
  CallbackWithoutGas: () => `A callback needs a gas limit: pass --callback-gas <n>.`,
  WindowOpen: (a) => `Request ${s(a[0])} is still in its dispute window until ${when(a[1])}.`,
  WindowClosed: (a) => `The dispute window of request ${s(a[0])} closed at ${when(a[1])}.`,
  AssignmentTooLate: (a) =>
    `Request ${s(a[0])} passed its deadline ${when(a[1])} before its operators were drawn; expire it for a full refund.`,
  RandomnessNotReady: (a) =>
    `The randomness of ticket ${s(a[0])} does not exist yet: the operators can be drawn from the next block.`,
  DeadlineNotPassed: (a) => `Request ${s(a[0])} cannot expire before its deadline ${when(a[1])}.`,
  AlreadyRegistered: (a) => `${s(a[0])} is already a registered operator.`,
  UnknownOperator: (a) => `${s(a[0])} is not a registered operator.`,
  CommissionTooHigh: (a) => `A commission of ${s(a[0])} bps is above the maximum of ${s(a[1])} bps.`,
  SelfStakeTooLow: (a) =>
    `The self-stake would be ${opg(a[0] as bigint)}, below the minimum of ${opg(a[1] as bigint)}.`,
  SignerInUse: (a) => `Signer ${s(a[0])} is already used by an operator; pick a fresh key.`,
  OperatorNotActive: (a) => `Operator ${s(a[0])} is not active.`,
  OperatorJailed: (a) => `Operator ${s(a[0])} is jailed until ${when(a[1])}.`,
  NotJailed: (a) => `Operator ${s(a[0])} is not jailed.`,
  StillJailed: (a) => `Operator ${s(a[0])} stays jailed until ${when(a[1])}; unjail after that.`,
  NothingQueued: () => `There is no queued change to apply.`,
  ChangeNotReady: (a) => `The queued change takes effect at ${when(a[0])}.`,
  InsufficientShares: (a) => `You asked for ${s(a[0])} shares but hold ${s(a[1])}.`,
  UnknownWithdrawal: (a) => `Withdrawal ${s(a[0])} does not exist (or was already completed).`,
  WithdrawalNotReady: (a) => `Withdrawal ${s(a[0])} unlocks at ${when(a[1])}.`,
  StakeLockedByDispute: (a) => `Operator ${s(a[0])} has ${s(a[1])} open dispute(s); its stake is locked.`,
  ExitNotReady: (a) => `Operator ${s(a[0])} can exit from ${when(a[1])}.`,
  ZeroAmount: () => `The amount must be more than zero.`,
  DisputeExists: (a) => `Request ${s(a[0])} is already disputed.`,
  WrongPhase: (a) =>
    `Dispute ${s(a[0])} is in phase ${PHASE[Number(a[1])] ?? s(a[1])}, which does not allow this.`,
  RevealNotOver: (a) => `The reveal phase of dispute ${s(a[0])} lasts until ${when(a[1])}.`,
  NoMajority: (a) =>
    `Round ${s(a[1])} of dispute ${s(a[0])} has no majority: escalate it with \`verdict dispute escalate ${s(a[0])}\`.`,
  MajorityReached: (a) =>
    `Round ${s(a[1])} of dispute ${s(a[0])} has a majority: settle it with \`verdict dispute settle ${s(a[0])}\`.`,
  MajorityMismatch: (a) => `The output given for dispute ${s(a[0])} is not the one the majority voted for.`,
  ArbiterTimeNotOver: (a) => `Dispute ${s(a[0])} waits for the arbiter until ${when(a[1])}.`,
  NothingToClaim: (a) => `${s(a[0])} has nothing to claim.`,
  CommitClosed: (a) => `The commit phase of dispute ${s(a[0])} closed at ${when(a[1])}.`,
  NotJuror: (a) => `${s(a[1])} is not a juror of dispute ${s(a[0])}.`,
};

const words = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();

const showArg = (v: unknown): string =>
  typeof v === "bigint" && v >= 10n ** 15n ? `${v} (${formatEther(v)} OPG)` : String(v);

/** A sentence for a decoded contract error: the table's, or one made from its name and arguments. */
export function describeContractError(desc: ErrorDescription): string {
  const f = SENTENCES[desc.name];
  if (f) return f(desc.args);
  const args = desc.fragment.inputs.map((input, i) => `${input.name || `arg${i}`} ${showArg(desc.args[i])}`);
  return `The contract rejected the call: ${words(desc.name)}${args.length ? ` (${args.join(", ")})` : ""}.`;
}

/** Decodes revert data against every custom error in the build; null when it matches none. */
export function decodeRevertData(
  data: string,
  iface: Interface = allErrorsInterface(),
): ErrorDescription | null {
  return decodeCustomError(data, iface);
}

/** A CliError for a decoded revert: code REVERT_<Name>, details { error, selector, args }. */
export function revertError(desc: ErrorDescription): CliError {
  const args: Record<string, string> = {};
  desc.fragment.inputs.forEach((input, i) => (args[input.name || `arg${i}`] = String(desc.args[i])));
  return new CliError(`REVERT_${desc.name}`, describeContractError(desc), EXIT_USER, {
    error: desc.name,
    selector: desc.selector,
    args,
  });
}

/** Maps any error to a CLI error with a sentence and an exit code. */
export async function toCliError(err: unknown): Promise<CliError> {
  if (err instanceof CliError) return err;
  const data = revertDataOf(err);
  const desc = data ? decodeRevertData(data) : null;
  if (desc) return revertError(desc);
  if (isVerdictError(err)) {
    const chain = ["WRONG_NETWORK", "TX_FAILED", "TIMEOUT"].includes(err.code);
    return new CliError(err.code, err.message, chain ? EXIT_CHAIN : EXIT_USER, err.details);
  }
  if (isError(err, "CALL_EXCEPTION")) {
    return new CliError("REVERT", `The transaction would revert: ${err.shortMessage}`, EXIT_USER, {
      ...(data ? { data } : {}),
    });
  }
  if (isError(err, "INSUFFICIENT_FUNDS"))
    return new CliError("NO_GAS_FUNDS", "The sending account has no ETH to pay for gas.", EXIT_USER);
  if (isError(err, "NETWORK_ERROR") || isError(err, "TIMEOUT") || isError(err, "SERVER_ERROR"))
    return new CliError("NETWORK", `Network error: ${err.shortMessage}`, EXIT_CHAIN);
  const msg = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|fetch failed|socket hang up|ENOTFOUND/.test(msg))
    return new CliError("NETWORK", `Cannot reach the RPC endpoint: ${msg}`, EXIT_CHAIN);
  if (err instanceof VerdictError) return new CliError(err.code, err.message, EXIT_USER);
  return new CliError("CHAIN", msg, EXIT_CHAIN);
}

/** The typed JSON object `--json` prints for a failure (on stderr). */
export function errorJson(e: CliError): { error: { code: string; message: string; details: unknown } } {
  return { error: { code: e.code, message: e.message, details: e.details } };
}
