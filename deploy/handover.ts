/**
 * The governance hand-over a deployment ends with (docs/operations.md, "Governance hand-over"). One access
 * model everywhere: every governed contract is OpenZeppelin's Ownable2Step, owned by the governance
 * TimelockController. Disputes and RefereeCourt are built with the timelock as owner. The contracts the
 * deployer wires after construction (coordinator, staking, registry) start owned by the deployer, which
 * then calls `transferOwnership(timelock)` on each and schedules ONE timelock batch of their
 * `acceptOwnership()` calls (the deployer is the timelock's proposer); after the delay anyone executes it.
 *
 * This module fixes that batch (targets in order, payloads, predecessor, salt), so the Ignition module that
 * schedules it (deploy/Verdict.ts), the CLI that executes it (`verdict governance accept`) and the devnet all
 * name the same timelock operation. It needs no build: ethers only.
 */
import { ZeroHash, getAddress, id } from "ethers";

/** The contracts whose ownership the batch accepts, in batch order. */
export const HANDOVER_CONTRACTS = ["coordinator", "staking", "registry"] as const;
export type HandoverContract = (typeof HANDOVER_CONTRACTS)[number];

/** `acceptOwnership()` (Ownable2Step): the payload of every call in the batch. */
export const ACCEPT_OWNERSHIP = id("acceptOwnership()").slice(0, 10);
/** The batch's salt: one hand-over per deployment, so a fixed salt names it. */
export const HANDOVER_SALT = id("verdict.governance.handover.v1");
/** The batch has no predecessor. */
export const HANDOVER_PREDECESSOR = ZeroHash;

/** The arguments of `scheduleBatch` / `executeBatch` (without the delay). */
export interface HandoverBatch {
  targets: string[];
  values: bigint[];
  payloads: string[];
  predecessor: string;
  salt: string;
}

/** The hand-over batch of a deployment's coordinator, staking and registry. */
export function handoverBatch(addresses: Readonly<Record<HandoverContract, string>>): HandoverBatch {
  const targets = HANDOVER_CONTRACTS.map((name) => getAddress(addresses[name]));
  return {
    targets,
    values: targets.map(() => 0n),
    payloads: targets.map(() => ACCEPT_OWNERSHIP),
    predecessor: HANDOVER_PREDECESSOR,
    salt: HANDOVER_SALT,
  };
}

/** The batch as positional arguments of `executeBatch`. */
export function executeArgs(batch: HandoverBatch): [string[], bigint[], string[], string, string] {
  return [batch.targets, batch.values, batch.payloads, batch.predecessor, batch.salt];
}
