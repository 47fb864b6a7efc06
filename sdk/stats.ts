/**
 * Concentration and accountability figures from on-chain state: Nakamoto coefficients, HHI and top-5 share
 * of the operators' stakes, and each operator's record (served, disputed, lost, missed).
 *
 * Definitions (exact integer arithmetic on wei):
 * - Nakamoto coefficient at a fraction f: the fewest operators whose combined stake is strictly more than
 *   f of the total (0 when there is no stake).
 * - HHI: Σ (100 · sᵢ / S)², on the usual 0..10,000 scale (10,000 = one operator holds everything), floored.
 * - top-5 share: the 5 largest stakes over the total, in basis points, floored.
 */
import { type Provider, type Result, getAddress } from "ethers";
import { coordinatorInterface } from "./requests.js";
import { stakingInterface } from "./trail.js";

export interface Concentration {
  total: bigint;
  /** Operators with a non-zero weight. */
  count: number;
  nakamoto33: number;
  nakamoto50: number;
  /** 0..10,000. */
  hhi: bigint;
  /** Basis points. */
  top5Bps: bigint;
}

/** Smallest n such that the n largest weights sum to strictly more than num/den of the total. */
export function nakamoto(weights: readonly bigint[], num: bigint, den: bigint): number {
  const sorted = weights.filter((w) => w > 0n).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const total = sorted.reduce((a, b) => a + b, 0n);
  if (total === 0n) return 0;
  let sum = 0n;
  for (const [i, w] of sorted.entries()) {
    sum += w;
    if (sum * den > total * num) return i + 1;
  }
  return sorted.length;
}

/** Concentration figures of a list of stakes (or weights), in any unit. */
export function concentration(weights: readonly bigint[]): Concentration {
  for (const w of weights) if (w < 0n) throw new RangeError("negative weight");
  const positive = weights.filter((w) => w > 0n).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const total = positive.reduce((a, b) => a + b, 0n);
  if (total === 0n) return { total, count: 0, nakamoto33: 0, nakamoto50: 0, hhi: 0n, top5Bps: 0n };
  const squares = positive.reduce((a, w) => a + w * w, 0n);
  const top5 = positive.slice(0, 5).reduce((a, b) => a + b, 0n);
  return {
    total,
    count: positive.length,
    nakamoto33: nakamoto(positive, 1n, 3n),
    nakamoto50: nakamoto(positive, 1n, 2n),
    hhi: (squares * 10_000n) / (total * total),
    top5Bps: (top5 * 10_000n) / total,
  };
}

/** Staking status names, in the contract's enum order. */
export const OPERATOR_STATUS = ["None", "Active", "Deactivated", "Exited"] as const;

export interface OperatorStat {
  operator: string;
  status: string;
  jailed: boolean;
  commissionBps: number;
  /** Pool assets (self-stake, delegations, queued withdrawals). */
  stake: bigint;
  /** The draw weight (active stake, uncapped) and the capped weight the draw uses. */
  drawWeight: bigint;
  effectiveWeight: bigint;
  served: number;
  disputed: number;
  lost: number;
  missed: number;
  accruedFees: bigint;
}

export interface NetworkStats {
  operators: OperatorStat[];
  /** Over every registered, not exited operator's pool. */
  stake: Concentration;
  /** Over the capped draw weights (what selection actually uses). */
  selection: Concentration;
  totalStake: bigint;
}

async function view(
  provider: Provider,
  to: string,
  iface: typeof stakingInterface,
  fn: string,
  args: readonly unknown[],
): Promise<Result> {
  const raw = await provider.call({ to, data: iface.encodeFunctionData(fn, args) });
  return iface.decodeFunctionResult(fn, raw);
}

/** Reads every operator and computes the network's concentration and records. */
export async function networkStats(
  provider: Provider,
  addresses: { staking: string; coordinator: string },
): Promise<NetworkStats> {
  const { staking, coordinator } = addresses;
  const count = Number((await view(provider, staking, stakingInterface, "operatorCount", []))[0]);
  const totalStake = BigInt((await view(provider, staking, stakingInterface, "totalStake", []))[0] as bigint);
  const operators = await Promise.all(
    Array.from({ length: count }, async (_, i): Promise<OperatorStat> => {
      const operator = getAddress(
        String((await view(provider, staking, stakingInterface, "operatorAt", [i]))[0]),
      );
      const [infoR, effR, recR] = await Promise.all([
        view(provider, staking, stakingInterface, "getOperator", [operator]),
        view(provider, staking, stakingInterface, "effectiveWeight", [operator]),
        view(provider, coordinator, coordinatorInterface, "operatorRecord", [operator]),
      ]);
      const info = infoR[0] as Result;
      const rec = recR[0] as Result;
      return {
        operator,
        status: OPERATOR_STATUS[Number(info.status)] ?? `Unknown(${String(info.status)})`,
        jailed: Boolean(info.jailed),
        commissionBps: Number(info.commissionBps),
        stake: BigInt(info.assets as bigint),
        drawWeight: BigInt(info.drawWeight as bigint),
        effectiveWeight: BigInt(effR[0] as bigint),
        served: Number(rec.served),
        disputed: Number(rec.disputed),
        lost: Number(rec.lost),
        missed: Number(rec.missed),
        accruedFees: BigInt(rec.accruedFees as bigint),
      };
    }),
  );
  const live = operators.filter((o) => o.status !== "Exited");
  return {
    operators,
    stake: concentration(live.map((o) => o.stake)),
    selection: concentration(operators.map((o) => o.effectiveWeight)),
    totalStake,
  };
}
