/** The contracts' interfaces, from the build (never retyped), and which contract a log came from. */
import {
  type Contract,
  type EventFragment,
  Interface,
  type InterfaceAbi,
  type Log,
  type Result,
} from "ethers";
import DisputesArtifact from "../artifacts/contracts/disputes/Disputes.sol/Disputes.json" with { type: "json" };
import RegistryArtifact from "../artifacts/contracts/models/ModelRegistry.sol/ModelRegistry.json" with { type: "json" };
import CourtArtifact from "../artifacts/contracts/referee/RefereeCourt.sol/RefereeCourt.json" with { type: "json" };
import TimelockArtifact from "../artifacts/@openzeppelin/contracts/governance/TimelockController.sol/TimelockController.json" with { type: "json" };
import { coordinatorInterface } from "../sdk/requests.js";
import { stakingInterface } from "../sdk/trail.js";

export { coordinatorInterface, stakingInterface };
export const disputesAbi = DisputesArtifact.abi as InterfaceAbi;
export const disputesInterface = new Interface(disputesAbi);
export const registryInterface = new Interface(RegistryArtifact.abi);
export const courtInterface = new Interface(CourtArtifact.abi);
export const timelockInterface = new Interface(TimelockArtifact.abi);

export type Source = "coordinator" | "staking" | "registry" | "disputes" | "court" | "timelock";

export const INTERFACES: Record<Source, Interface> = {
  coordinator: coordinatorInterface,
  staking: stakingInterface,
  registry: registryInterface,
  disputes: disputesInterface,
  court: courtInterface,
  timelock: timelockInterface,
};

const byTopic = new Map<Source, Map<string, EventFragment>>();

/** topic0 -> event, per source (ethers' parseLog hashes every event signature on each call). */
function eventsOf(source: Source): Map<string, EventFragment> {
  let m = byTopic.get(source);
  if (m === undefined) {
    m = new Map();
    INTERFACES[source].forEachEvent((e) => m!.set(e.topicHash, e));
    byTopic.set(source, m);
  }
  return m;
}

/** Decodes a log with its source's interface (null for an unknown or undecodable event). */
export function decodeLog(
  source: Source,
  log: Pick<Log, "topics" | "data">,
): { name: string; fragment: EventFragment; args: Result } | null {
  const fragment = log.topics[0] === undefined ? undefined : eventsOf(source).get(log.topics[0]);
  if (fragment === undefined) return null;
  try {
    return {
      name: fragment.name,
      fragment,
      args: INTERFACES[source].decodeEventLog(fragment, log.data, log.topics),
    };
  } catch {
    return null;
  }
}

/** Calls a contract function by name (a view: the decoded result, a single output unwrapped). */
export function fn(c: Contract, name: string, ...args: unknown[]): Promise<unknown> {
  return c.getFunction(name)(...args) as Promise<unknown>;
}
