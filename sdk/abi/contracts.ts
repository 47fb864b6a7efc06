/**
 * Verdict's contracts as typed ethers Contracts, from the generated `as const` ABIs (no build folders at run
 * time): `coordinatorAt(address, runner)` and friends, and their types.
 */
import type { Addressable, ContractRunner } from "ethers";
import { coordinatorAbi, disputesAbi, modelRegistryAbi, opgTokenAbi, stakingAbi } from "./index.js";
import { type TypedContract, typedContract } from "./typed.js";

export type Coordinator = TypedContract<typeof coordinatorAbi>;
export type Staking = TypedContract<typeof stakingAbi>;
export type ModelRegistry = TypedContract<typeof modelRegistryAbi>;
export type OPGToken = TypedContract<typeof opgTokenAbi>;
export type Disputes = TypedContract<typeof disputesAbi>;

type Target = string | Addressable;

export const coordinatorAt = (address: Target, runner?: ContractRunner | null): Coordinator =>
  typedContract(coordinatorAbi, address, runner);
export const stakingAt = (address: Target, runner?: ContractRunner | null): Staking =>
  typedContract(stakingAbi, address, runner);
export const modelRegistryAt = (address: Target, runner?: ContractRunner | null): ModelRegistry =>
  typedContract(modelRegistryAbi, address, runner);
export const opgTokenAt = (address: Target, runner?: ContractRunner | null): OPGToken =>
  typedContract(opgTokenAbi, address, runner);
export const disputesAt = (address: Target, runner?: ContractRunner | null): Disputes =>
  typedContract(disputesAbi, address, runner);
