/**
 * `verdict stake …`: delegation (delegate, undelegate, complete, claim, rewards). The top-level forms
 * `delegate`, `undelegate`, `complete` and `claim` remain.
 */
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { CliError, opg, parseAddress, parseAmount, parseInteger, withSpinner } from "../support.js";
import { iso, type Ctx } from "../lib/context.js";

async function delegate(ctx: Ctx, op: string, amount: string): Promise<void> {
  const who = parseAddress(op, "operator");
  const wei = parseAmount(amount, "amount");
  const s = await ctx.session(true);
  await withSpinner(ctx.io, "delegating…", () => s.client.delegate(who, wei));
  const mine = await s.client.staking.assetsOf(who, await s.account());
  ctx.emit(
    { operator: who, delegated: wei, stake: mine },
    () => `delegated ${opg(wei)} to ${who}; your stake there: ${opg(mine)}`,
  );
}

async function undelegate(ctx: Ctx, op: string, amount: string, o: { shares?: boolean }): Promise<void> {
  const who = parseAddress(op, "operator");
  const value = o.shares ? BigInt(parseInteger(amount, "shares", 1)) : parseAmount(amount, "amount");
  const s = await ctx.session(true);
  const q = await withSpinner(ctx.io, "queueing withdrawal…", () =>
    s.client.undelegate(who, o.shares ? { shares: value } : { assets: value }),
  );
  ctx.emit(
    { withdrawalId: q.withdrawalId, unlocksAt: q.unlocksAt },
    () =>
      `withdrawal ${q.withdrawalId} queued; complete it after ${iso(q.unlocksAt)} with \`verdict complete ${q.withdrawalId}\``,
  );
}

async function complete(ctx: Ctx, id: string): Promise<void> {
  const wid = BigInt(parseInteger(id, "withdrawal id", 1));
  const s = await ctx.session(true);
  const w = await s.client.staking.withdrawal(wid);
  if (w.delegator === ZeroAddress)
    throw new CliError("UNKNOWN_WITHDRAWAL", `Withdrawal ${wid} does not exist (or was already completed).`);
  await withSpinner(ctx.io, "completing withdrawal…", () => s.client.completeUndelegation(wid));
  ctx.emit({ withdrawalId: wid, paidTo: w.delegator }, () => `withdrawal ${wid} paid to ${w.delegator}`);
}

async function claim(ctx: Ctx, op: string): Promise<void> {
  const who = parseAddress(op, "operator");
  const s = await ctx.session(true);
  const receipt = await withSpinner(ctx.io, "claiming…", () => s.client.claimRewards(who));
  let amount = 0n;
  for (const log of receipt.logs) {
    const d = s.client.staking.interface.parseLog(log);
    if (d?.name === "RewardsClaimed") amount = BigInt(d.args.amount as bigint);
  }
  ctx.emit({ operator: who, claimed: amount }, () => `claimed ${opg(amount)}`);
}

/** Registers the delegation commands on `parent` (the `stake` group, and the program for the old names). */
function commands(parent: Command, ctx: Ctx, suffix: string): void {
  parent
    .command("delegate <operator> <amount>")
    .description("delegate OPG to an operator's pool" + suffix)
    .action((op: string, amount: string) => delegate(ctx, op, amount));
  parent
    .command("undelegate <operator> <amount>")
    .description("queue a withdrawal of <amount> OPG (or --shares) from an operator's pool" + suffix)
    .option("--shares", "the amount is in shares, not OPG")
    .action((op: string, amount: string, o: { shares?: boolean }) => undelegate(ctx, op, amount, o));
  parent
    .command("complete <withdrawalId>")
    .description("complete a matured withdrawal" + suffix)
    .action((id: string) => complete(ctx, id));
  parent
    .command("claim <operator>")
    .description("claim your rewards from an operator's pool" + suffix)
    .action((op: string) => claim(ctx, op));
}

export function register(program: Command, ctx: Ctx): void {
  const stake = program.command("stake").description("delegate to operators and collect rewards");
  commands(stake, ctx, "");
  stake
    .command("position <operator> [delegator]")
    .description("your stake and pending rewards in an operator's pool")
    .action(async (op: string, delegator?: string) => {
      const who = parseAddress(op, "operator");
      const s = await ctx.session(false);
      const me = await s.accountOr(delegator, "delegator");
      const [assets, shares, pending] = await Promise.all([
        s.client.staking.assetsOf(who, me),
        s.client.staking.sharesOf(who, me),
        s.client.staking.pendingRewards(who, me),
      ]);
      ctx.emit(
        { operator: who, delegator: me, assets, shares, pendingRewards: pending },
        () =>
          `${me} in the pool of ${who}: ${opg(assets)} (${shares} shares), rewards pending ${opg(pending)}`,
      );
    });
  commands(program, ctx, " (same as `stake …`)");
}
