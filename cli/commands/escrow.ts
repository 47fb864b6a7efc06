/**
 * `verdict escrow …`: the prepaid request balance (deposit, withdraw, balance). `verdict deposit` and
 * `verdict balance` remain as the top-level forms.
 */
import type { Command } from "commander";
import { CliError, opg, parseAddress, parseAmount, withSpinner } from "../support.js";
import type { Ctx } from "../lib/context.js";

async function deposit(ctx: Ctx, amount: string): Promise<void> {
  const wei = parseAmount(amount, "amount");
  const s = await ctx.session(true);
  await withSpinner(ctx.io, "depositing…", () => s.client.deposit(wei));
  const balance = await s.client.balanceOf(await s.account());
  ctx.emit({ deposited: wei, balance }, () => `escrow balance: ${opg(balance)}`);
}

async function withdraw(ctx: Ctx, amount: string, o: { to?: string; all?: boolean }): Promise<void> {
  const to = o.to === undefined ? undefined : parseAddress(o.to, "--to");
  const wei = o.all ? undefined : parseAmount(amount, "amount");
  const s = await ctx.session(true);
  const me = await s.account();
  const value = wei ?? (await s.client.balanceOf(me));
  await withSpinner(ctx.io, "withdrawing…", () => s.client.withdraw(value, to));
  const balance = await s.client.balanceOf(me);
  ctx.emit({ withdrawn: value, to: to ?? me, balance }, () =>
    [`withdrew ${opg(value)} to ${to ?? me}`, `escrow balance: ${opg(balance)}`].join("\n"),
  );
}

async function balance(ctx: Ctx, account?: string): Promise<void> {
  const s = await ctx.session(false);
  const who = await s.accountOr(account, "account");
  const value = await s.client.balanceOf(who);
  ctx.emit({ account: who, balance: value }, () => `${who}: ${opg(value)}`);
}

export function register(program: Command, ctx: Ctx): void {
  const escrow = program.command("escrow").description("your prepaid request balance at the coordinator");
  escrow
    .command("deposit <amount>")
    .description("deposit OPG into your prepaid request balance (approves first if needed)")
    .action((amount: string) => deposit(ctx, amount));
  escrow
    .command("withdraw [amount]")
    .description("withdraw OPG from your prepaid balance (royalties credited there too)")
    .option("--to <address>", "recipient (default: you)")
    .option("--all", "the whole balance")
    .action((amount: string | undefined, o: { to?: string; all?: boolean }) => {
      if (amount === undefined && !o.all) throw new CliError("USAGE", "Pass an amount or --all.");
      return withdraw(ctx, amount ?? "0", o);
    });
  escrow
    .command("balance [account]")
    .description("prepaid request balance")
    .action((account?: string) => balance(ctx, account));

  program
    .command("deposit <amount>")
    .description("same as `escrow deposit`")
    .action((amount: string) => deposit(ctx, amount));
  program
    .command("balance [account]")
    .description("same as `escrow balance`")
    .action((account?: string) => balance(ctx, account));
}
