/**
 * What the pages read live from the chain (state, not events): operators and their stake, models, every
 * privileged role. Reads go through the SDK where it has them (sdk/stats.ts); results are cached for a
 * short time so a page stays fast however many requests are indexed.
 */
import { Contract, ZeroAddress, getAddress, type Provider, type Result } from "ethers";
import type { ModelInfo } from "../sdk/client.js";
import { networkStats, type NetworkStats } from "../sdk/stats.js";
import {
  coordinatorInterface,
  courtInterface,
  disputesInterface,
  registryInterface,
  stakingInterface,
  timelockInterface,
  fn,
} from "./abis.js";
import type { ExplorerAddresses } from "./config.js";

export interface OperatorDetail {
  operator: string;
  status: string;
  signer: string;
  commissionBps: number;
  pendingCommissionBps: number;
  commissionReadyAt: number;
  jailed: boolean;
  jailedUntil: number;
  pool: bigint;
  selfStake: bigint;
  delegated: bigint;
  openDisputes: number;
  metadataURI: string;
  effectiveWeight: bigint;
  record: { served: number; disputed: number; lost: number; missed: number; accruedFees: bigint };
}

/** A model as the pages show it: the SDK's ModelInfo (its hash as `hash`), the court's admission, royalties. */
export interface ModelDetail extends Omit<ModelInfo, "modelHash"> {
  hash: string;
  refereeAdmitted: string | undefined;
  royaltiesAccrued: bigint;
}

export interface PowerRole {
  contract: string;
  address: string;
  role: string;
  holders: string[];
  /** What stands between the role's decision and its effect. */
  delay: string;
  /** What the role may do and within which bounds. */
  bounds: string;
}

const STATUS = ["None", "Active", "Deactivated", "Exited"];

export class LiveChain {
  readonly #cache = new Map<string, { at: number; value: unknown }>();

  constructor(
    readonly provider: Provider,
    readonly addresses: ExplorerAddresses,
    readonly ttlMs = 3_000,
  ) {}

  async #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#cache.get(key);
    if (hit !== undefined && Date.now() - hit.at < this.ttlMs) return hit.value as T;
    const value = await load();
    this.#cache.set(key, { at: Date.now(), value });
    if (this.#cache.size > 1_000) this.#cache.clear();
    return value;
  }

  #c(address: string, iface: typeof stakingInterface): Contract {
    return new Contract(address, iface, this.provider);
  }

  network(): Promise<NetworkStats> {
    return this.#cached("network", () => networkStats(this.provider, this.addresses));
  }

  operator(address: string): Promise<OperatorDetail | undefined> {
    return this.#cached(`op:${address.toLowerCase()}`, async () => {
      const staking = this.#c(this.addresses.staking, stakingInterface);
      const coord = this.#c(this.addresses.coordinator, coordinatorInterface);
      const [info, self, eff, rec] = (await Promise.all([
        fn(staking, "getOperator", address),
        fn(staking, "assetsOf", address, address),
        fn(staking, "effectiveWeight", address),
        fn(coord, "operatorRecord", address),
      ])) as [Result, bigint, bigint, Result];
      if (Number(info.status) === 0) return undefined;
      const pool = BigInt(info.assets as bigint);
      return {
        operator: getAddress(address),
        status: STATUS[Number(info.status)] ?? String(info.status),
        signer: String(info.signer),
        commissionBps: Number(info.commissionBps),
        pendingCommissionBps: Number(info.pendingCommissionBps),
        commissionReadyAt: Number(info.commissionReadyAt),
        jailed: Boolean(info.jailed),
        jailedUntil: Number(info.jailedUntil),
        pool,
        selfStake: self,
        delegated: pool > self ? pool - self : 0n,
        openDisputes: Number(info.openDisputes),
        metadataURI: String(info.metadataURI),
        effectiveWeight: eff,
        record: {
          served: Number(rec.served),
          disputed: Number(rec.disputed),
          lost: Number(rec.lost),
          missed: Number(rec.missed),
          accruedFees: BigInt(rec.accruedFees as bigint),
        },
      };
    });
  }

  model(hash: string): Promise<ModelDetail | undefined> {
    return this.#cached(`model:${hash.toLowerCase()}`, async () => {
      const registry = this.#c(this.addresses.registry, registryInterface);
      let m: Result;
      try {
        m = (await fn(registry, "getModel", hash)) as Result;
      } catch {
        return undefined;
      }
      if (String(m.owner) === ZeroAddress) return undefined;
      const terms = m.terms as Result;
      let admitted: string | undefined;
      if (this.addresses.refereeCourt) {
        try {
          const a = String(
            await fn(this.#c(this.addresses.refereeCourt, courtInterface), "admittedReferee", hash),
          );
          admitted = a === ZeroAddress ? undefined : a;
        } catch {
          admitted = undefined;
        }
      }
      const royalties = (await fn(
        this.#c(this.addresses.coordinator, coordinatorInterface),
        "royaltiesOf",
        hash,
      )) as bigint;
      return {
        hash,
        owner: String(m.owner),
        referee: String(m.referee),
        refereeAdmitted: admitted,
        modelCardHash: String(m.modelCardHash),
        ioSchema: String(m.ioSchema),
        uris: [...(m.uris as string[])].map(String),
        feePerInference: BigInt(terms.feePerInference as bigint),
        disputeWindow: Number(terms.disputeWindow),
        tolerance: BigInt(terms.tolerance as bigint),
        royaltyBps: Number(terms.royaltyBps),
        defaultRedundancy: Number(terms.defaultRedundancy),
        outputScale: Number(terms.outputScale),
        active: Boolean(terms.active),
        royaltiesAccrued: royalties,
      };
    });
  }

  /** The registry's models (modelCount/modelAt). */
  modelHashes(): Promise<string[]> {
    return this.#cached("models", async () => {
      const registry = this.#c(this.addresses.registry, registryInterface);
      const n = Number(await fn(registry, "modelCount"));
      return Promise.all(Array.from({ length: n }, async (_, i) => String(await fn(registry, "modelAt", i))));
    });
  }

  /**
   * Every privileged role, its holder(s), the delay before it acts and its bounds, read from the chain.
   * `granted(source)` gives the timelock's role holders the indexer saw granted (confirmed here with hasRole).
   * Every governed contract is Ownable2Step: its one privileged role is its owner (the timelock, once it
   * accepted; a pending owner is shown until then).
   */
  power(granted: (source: string) => Map<string, Set<string>>): Promise<PowerRole[]> {
    return this.#cached("power", async () => {
      const a = this.addresses;
      const coord = this.#c(a.coordinator, coordinatorInterface);
      const coordOwner = await ownerOf(coord);
      const timelockAddress =
        a.timelock ?? (coordOwner.pending !== ZeroAddress ? coordOwner.pending : coordOwner.owner);
      const timelock = this.#c(timelockAddress, timelockInterface);
      let delay = "none (not a timelock)";
      let minDelay = 0n;
      try {
        minDelay = (await fn(timelock, "getMinDelay")) as bigint;
        delay = `${minDelay} s timelock (TimelockController.getMinDelay)`;
      } catch {
        /* governance is not a timelock */
      }
      const p: PowerReads = {
        via: (holder: string): string =>
          holder.toLowerCase() === timelockAddress.toLowerCase() ? delay : "none: acts at once",
        ownerRole(contract: string, address: string, o: Ownership, bounds: string): PowerRole {
          const pending =
            o.pending !== ZeroAddress ? `; ${o.pending} may accept ownership (Ownable2Step)` : "";
          return {
            contract,
            address,
            role: "owner (Ownable2Step)",
            holders: [o.owner],
            delay: this.via(o.owner) + pending,
            bounds,
          };
        },
        confirmed: async (c: Contract, source: string, role: string): Promise<string[]> => {
          const seen = [...(granted(source).get(role) ?? new Set<string>())];
          const ok = await Promise.all(
            seen.map(async (h) => (((await fn(c, "hasRole", role, h)) as boolean) ? h : undefined)),
          );
          return ok.filter((x): x is string => x !== undefined);
        },
      };
      return [
        ...(minDelay > 0n || a.timelock ? await timelockRoles(timelock, timelockAddress, delay, p) : []),
        ...(await coordinatorRoles(coord, a.coordinator, coordOwner, p)),
        ...(await this.#stakingRoles(p)),
        ...(a.disputes ? await this.#disputesRoles(a.disputes, p) : []),
        ...(a.refereeCourt ? await this.#courtRoles(a.refereeCourt, p) : []),
        ...(await this.#registryRoles(p)),
      ];
    });
  }

  /** The staking owner (bounded parameters), the slashers and the fee source. */
  async #stakingRoles(p: PowerReads): Promise<PowerRole[]> {
    const a = this.addresses;
    const out: PowerRole[] = [];
    const staking = this.#c(a.staking, stakingInterface);
    const owner = await ownerOf(staking);
    const [
      unbonding,
      exitDelay,
      signerDelay,
      commissionDelay,
      slashWindow,
      maxCommission,
      slashCap,
      weightCap,
    ] = (await Promise.all([
      fn(staking, "unbondingPeriod"),
      fn(staking, "exitDelay"),
      fn(staking, "signerRotationDelay"),
      fn(staking, "commissionDelay"),
      fn(staking, "slashWindow"),
      fn(staking, "maxCommissionBps"),
      fn(staking, "slashCapBps"),
      fn(staking, "weightCapBps"),
    ])) as bigint[];
    out.push(
      p.ownerRole(
        "Staking",
        a.staking,
        owner,
        "fixed the slashers and the fee source once, at deployment; sets " +
          `unbonding ${unbonding} s (≤ 90 days, ≥ exit and activation delays), exit delay ${exitDelay} s (1 h … unbonding), ` +
          `signer rotation delay ${signerDelay} s (≤ 30 days), commission delay ${commissionDelay} s (≤ 90 days), slash window ${slashWindow} s (1 h … 30 days), ` +
          `max commission ${maxCommission} bps (≤ 10,000), slash cap ${slashCap} bps per window (1 … 10,000), weight cap ${weightCap} bps (500 … 10,000); never moves stake`,
      ),
    );
    const [reqSlasher, disSlasher, feeSource] = (await Promise.all([
      fn(staking, "requestSlasher"),
      fn(staking, "disputeSlasher"),
      fn(staking, "feeSource"),
    ])) as string[];
    out.push({
      contract: "Staking",
      address: a.staking,
      role: "slashers (fixed at deployment)",
      holders: [reqSlasher!, disSlasher!],
      delay: "code, not a key: the coordinator (missed answers) and the dispute contract (lost disputes)",
      bounds: `slash at most ${slashCap} bps of a pool per ${slashWindow} s window; no role can add or replace a slasher`,
    });
    out.push({
      contract: "Staking",
      address: a.staking,
      role: "fee source (fixed at deployment)",
      holders: [feeSource!],
      delay: "code, not a key",
      bounds: "credits request fees to operator pools",
    });
    return out;
  }

  /** The dispute contract's owner and its last-resort arbiter. */
  async #disputesRoles(address: string, p: PowerReads): Promise<PowerRole[]> {
    const d = this.#c(address, disputesInterface);
    const [dg, arbiter, params] = (await Promise.all([
      ownerOf(d),
      fn(d, "arbiter"),
      fn(d, "parameters"),
    ])) as [Ownership, string, Result];
    return [
      p.ownerRole(
        "Disputes",
        address,
        dg,
        `sets dispute parameters (min bond ${params.minBond}, slash ${params.slashBps} bps, jury size ${params.jurySize}, ` +
          `rounds ${params.maxRounds}, jail ${params.jailDuration} s) within DisputeMath's bounds; names the arbiter`,
      ),
      {
        contract: "Disputes",
        address,
        role: "arbiter (last resort)",
        holders: [arbiter],
        delay: `${p.via(arbiter)}; decides only after ${params.maxRounds} committee rounds without a majority, within ${params.arbiterTimeout} s or the dispute settles without a verdict`,
        bounds:
          "picks the right outcome of a dispute that reached it; every decision is an event (ArbiterDecided)",
      },
    ];
  }

  /** The referee court's owner. */
  async #courtRoles(address: string, p: PowerReads): Promise<PowerRole[]> {
    const court = this.#c(address, courtInterface);
    const cg = await ownerOf(court);
    return [
      p.ownerRole(
        "RefereeCourt",
        address,
        cg,
        "admits a model's on-chain referee by its code hash (and its weights' code hash); cannot change a verdict",
      ),
    ];
  }

  /** The registry's owner (named the terms listener once) and model owners, bounded by its constants. */
  async #registryRoles(p: PowerReads): Promise<PowerRole[]> {
    const registry = this.#c(this.addresses.registry, registryInterface);
    const owner = await ownerOf(registry);
    const registryOwner: PowerRole = p.ownerRole(
      "ModelRegistry",
      this.addresses.registry,
      owner,
      "named the terms listener (the coordinator) once, at deployment; no other power",
    );
    return [
      registryOwner,
      {
        contract: "ModelRegistry",
        address: this.addresses.registry,
        role: "model owners",
        holders: [`${(await fn(registry, "modelCount")) as bigint} model owner(s): see each model`],
        delay: "fee increases wait FEE_INCREASE_DELAY; decreases apply at once",
        bounds: `royalty ≤ ${(await fn(registry, "MAX_ROYALTY_BPS")) as bigint} bps, dispute window ${(await fn(registry, "MIN_DISPUTE_WINDOW")) as bigint}…${(await fn(registry, "MAX_DISPUTE_WINDOW")) as bigint} s; a model's hash never changes`,
      },
    ];
  }
}

/** An Ownable2Step contract's owner and the address that may accept ownership (zero: none). */
interface Ownership {
  owner: string;
  pending: string;
}

async function ownerOf(c: Contract): Promise<Ownership> {
  const [owner, pending] = (await Promise.all([fn(c, "owner"), fn(c, "pendingOwner")])) as string[];
  return { owner: String(owner), pending: String(pending) };
}

/** What every role reader of `power` shares: the delay a holder acts after, and hasRole-confirmed holders. */
interface PowerReads {
  via(holder: string): string;
  /** A contract's owner row: the delay it acts after, and who may still accept ownership. */
  ownerRole(contract: string, address: string, o: Ownership, bounds: string): PowerRole;
  confirmed(c: Contract, source: string, role: string): Promise<string[]>;
}

/** The timelock's own roles (proposer, executor, canceller, admin). */
async function timelockRoles(
  timelock: Contract,
  timelockAddress: string,
  delay: string,
  p: PowerReads,
): Promise<PowerRole[]> {
  const out: PowerRole[] = [];
  for (const [name, label, bounds] of [
    [
      "PROPOSER_ROLE",
      "proposer",
      "schedules any call of governance; it runs only after the delay, and anyone sees it queued (CallScheduled)",
    ],
    ["EXECUTOR_ROLE", "executor", "runs a scheduled call once its delay has passed (0x0 holder: anyone may)"],
    ["CANCELLER_ROLE", "canceller", "cancels a scheduled call before it runs"],
    [
      "DEFAULT_ADMIN_ROLE",
      "admin",
      "grants and revokes the timelock's roles (none held: only the timelock itself, through its own delay)",
    ],
  ] as const) {
    const role = (await fn(timelock, name)) as string;
    out.push({
      contract: "TimelockController (governance)",
      address: timelockAddress,
      role: label,
      holders: await p.confirmed(timelock, "timelock", role),
      delay: name === "PROPOSER_ROLE" ? delay : name === "EXECUTOR_ROLE" ? "after the delay" : "none",
      bounds,
    });
  }
  return out;
}

/** The coordinator's owner (bounded fee parameters) and its treasury. */
async function coordinatorRoles(
  coord: Contract,
  address: string,
  owner: Ownership,
  p: PowerReads,
): Promise<PowerRole[]> {
  const [params, live] = await Promise.all([
    fn(coord, "params") as Promise<Result>,
    Promise.all([
      fn(coord, "MAX_TREASURY_BPS"),
      fn(coord, "MAX_CALLBACK_GAS_CAP"),
      fn(coord, "MAX_MISS_PENALTY_BPS"),
      fn(coord, "MAX_REDUNDANCY"),
    ]) as Promise<bigint[]>,
  ]);
  return [
    p.ownerRole(
      "Coordinator",
      address,
      owner,
      `sets fee parameters and liveness rules within fixed bounds: treasury cut ${params.treasuryBps} bps (max ${live[0]}), ` +
        `callback gas cap ${params.callbackGasCap} (max ${live[1]}), miss penalty ${params.missPenaltyBps} bps (max ${live[2]}), ` +
        `redundancy at most ${live[3]}; sets the treasury; cannot move escrowed fees or stake`,
    ),
    {
      contract: "Coordinator",
      address,
      role: "treasury",
      holders: [String(await fn(coord, "treasury"))],
      delay: "n/a",
      bounds: `receives the treasury cut (${params.treasuryBps} bps of each fee); no other power`,
    },
  ];
}
