/**
 * `verdict governance …`: the hand-over of the deployer-wired contracts to the governance timelock
 * (deploy/handover.ts). The deployment leaves the coordinator, staking and the registry owned by the deployer
 * with the timelock as pending owner (Ownable2Step) and one scheduled timelock batch of their
 * `acceptOwnership()` calls; `accept` executes that batch once the delay has passed (anyone may), `status`
 * shows where the hand-over stands.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { Contract, type InterfaceAbi, ZeroAddress } from "ethers";
import type { HandoverBatch, HandoverContract } from "../../deploy/handover.js";
import { coordinatorAbi, modelRegistryAbi, stakingAbi } from "../../sdk/abi/index.js";
import { CliError, EXIT_CHAIN, EXIT_USER, REPO_ROOT, table } from "../support.js";
import { type Ctx, iso } from "../lib/context.js";
import type { Session } from "../lib/session.js";

const TIMELOCK_ARTIFACT =
  "artifacts/@openzeppelin/contracts/governance/TimelockController.sol/TimelockController.json";

/** TimelockController.getOperationState. */
const STATES = ["unset", "waiting", "ready", "done"] as const;
export type HandoverState = (typeof STATES)[number];

/** One governed contract's owners. */
export interface OwnerRecord {
  name: HandoverContract;
  address: string;
  owner: string;
  pendingOwner: string;
}

/** Where the hand-over stands. */
export interface HandoverStatus {
  timelock: string;
  operationId: string;
  state: HandoverState;
  /** When the batch may run (unix seconds; 0 when not scheduled, 1 once done). */
  readyAt: bigint;
  contracts: OwnerRecord[];
}

function timelockAbi(): InterfaceAbi {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, TIMELOCK_ARTIFACT), "utf8")) as { abi: InterfaceAbi })
    .abi;
}

/** deploy/handover.ts, loaded when a command runs: loading the CLI needs only cli/ and sdk/. */
type Handover = typeof import("../../deploy/handover.js");
const loadHandover = (): Promise<Handover> => import("../../deploy/handover.js");

async function ownersOf(s: Session, h: Handover): Promise<OwnerRecord[]> {
  const abis: Record<HandoverContract, InterfaceAbi> = {
    coordinator: coordinatorAbi,
    staking: stakingAbi,
    registry: modelRegistryAbi,
  };
  return Promise.all(
    h.HANDOVER_CONTRACTS.map(async (name) => {
      const address = s.cfg[name];
      const c = new Contract(address, abis[name], s.provider);
      const [owner, pendingOwner] = (await Promise.all([
        c.getFunction("owner")(),
        c.getFunction("pendingOwner")(),
      ])) as [string, string];
      return { name, address, owner, pendingOwner };
    }),
  );
}

/** The timelock: the coordinator's pending owner during the hand-over, its owner afterwards. */
async function timelockOf(s: Session, coordinator: OwnerRecord): Promise<Contract> {
  const address = coordinator.pendingOwner !== ZeroAddress ? coordinator.pendingOwner : coordinator.owner;
  const timelock = new Contract(address, timelockAbi(), s.signer ?? s.provider);
  try {
    await timelock.getFunction("getMinDelay")();
  } catch {
    throw new CliError(
      "NOT_TIMELOCK",
      `The coordinator's ${coordinator.pendingOwner !== ZeroAddress ? "pending owner" : "owner"} ${address} is not a TimelockController: there is no hand-over to finish.`,
      EXIT_CHAIN,
      { address },
    );
  }
  return timelock;
}

async function statusOf(
  s: Session,
): Promise<{ status: HandoverStatus; timelock: Contract; batch: HandoverBatch }> {
  const h = await loadHandover();
  const contracts = await ownersOf(s, h);
  const timelock = await timelockOf(s, contracts[0]!);
  const batch = h.handoverBatch({
    coordinator: s.cfg.coordinator,
    staking: s.cfg.staking,
    registry: s.cfg.registry,
  });
  const operationId = (await timelock.getFunction("hashOperationBatch")(...h.executeArgs(batch))) as string;
  const [state, readyAt] = (await Promise.all([
    timelock.getFunction("getOperationState")(operationId),
    timelock.getFunction("getTimestamp")(operationId),
  ])) as [bigint, bigint];
  return {
    status: {
      timelock: await timelock.getAddress(),
      operationId,
      state: STATES[Number(state)] ?? "unset",
      readyAt,
      contracts,
    },
    timelock,
    batch,
  };
}

function render(st: HandoverStatus): string {
  const when = st.state === "waiting" || st.state === "ready" ? ` (ready at ${iso(st.readyAt)})` : "";
  return [
    `timelock: ${st.timelock}`,
    `hand-over batch ${st.operationId}: ${st.state}${when}`,
    table([
      ["CONTRACT", "ADDRESS", "OWNER", "PENDING OWNER"],
      ...st.contracts.map((c) => [
        c.name,
        c.address,
        c.owner,
        c.pendingOwner === ZeroAddress ? "-" : c.pendingOwner,
      ]),
    ]),
  ].join("\n");
}

/** Refuses, with a typed error, a batch that cannot run now. */
async function requireReady(s: Session, st: HandoverStatus): Promise<void> {
  if (st.state === "done")
    throw new CliError(
      "HANDOVER_DONE",
      `The hand-over already ran: ${st.timelock} owns the contracts.`,
      EXIT_USER,
      {
        operationId: st.operationId,
      },
    );
  if (st.state === "unset")
    throw new CliError(
      "HANDOVER_NOT_SCHEDULED",
      `No hand-over batch is scheduled at the timelock ${st.timelock} for these contracts (deploy/Verdict.ts schedules it).`,
      EXIT_USER,
      { operationId: st.operationId },
    );
  if (st.state === "waiting") {
    const now = BigInt((await s.provider.getBlock("latest"))?.timestamp ?? 0);
    const left = st.readyAt > now ? st.readyAt - now : 0n;
    throw new CliError(
      "HANDOVER_NOT_READY",
      `The hand-over batch is not ready: the timelock delay ends at ${iso(st.readyAt)} (${left}s from the last block). Nothing was sent.`,
      EXIT_USER,
      { operationId: st.operationId, readyAt: st.readyAt.toString(), secondsLeft: left.toString() },
    );
  }
}

export function register(program: Command, ctx: Ctx): void {
  const gov = program
    .command("governance")
    .description("the hand-over of the deployer-wired contracts to the governance timelock");
  gov
    .command("status")
    .description("owners, pending owners and the state of the scheduled hand-over batch")
    .action(async () => {
      const s = await ctx.session(false);
      const { status } = await statusOf(s);
      ctx.emit(status, () => render(status));
    });
  gov
    .command("accept")
    .description(
      "execute the scheduled acceptOwnership() batch once the timelock delay has passed (anyone may)",
    )
    .action(async () => {
      const s = await ctx.session(true);
      const { status, timelock, batch } = await statusOf(s);
      await requireReady(s, status);
      const { executeArgs } = await loadHandover();
      const receipt = await s.send("executing the hand-over batch…", () =>
        timelock.connect(s.requireSigner()).getFunction("executeBatch")(...executeArgs(batch)),
      );
      const after = { ...(await statusOf(s)).status, transactionHash: receipt.hash };
      ctx.emit(after, () => [`hand-over done in ${receipt.hash}`, render(after)].join("\n"));
    });
}
