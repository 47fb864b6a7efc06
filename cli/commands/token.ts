/** `verdict token …`: the OPG token (wallet balance, transfer). */
import type { Command } from "commander";
import { opg, parseAddress, parseAmount } from "../support.js";
import type { Ctx } from "../lib/context.js";

export function register(program: Command, ctx: Ctx): void {
  const token = program.command("token").description("the OPG token in your wallet");
  token
    .command("balance [account]")
    .description("OPG wallet balance (not the escrow balance)")
    .action(async (account?: string) => {
      const s = await ctx.session(false);
      const who = await s.accountOr(account, "account");
      const value = await (await s.client.token()).balanceOf(who);
      ctx.emit({ account: who, balance: value }, () => `${who}: ${opg(value)}`);
    });
  token
    .command("transfer <to> <amount>")
    .description("send OPG from your wallet")
    .action(async (to: string, amount: string) => {
      const recipient = parseAddress(to, "recipient");
      const wei = parseAmount(amount, "amount");
      const s = await ctx.session(true);
      const t = await s.client.token();
      const receipt = await s.send(`sending ${opg(wei)}…`, () =>
        t.connect(s.requireSigner()).transfer(recipient, wei),
      );
      const left = await t.balanceOf(await s.account());
      ctx.emit({ to: recipient, amount: wei, transactionHash: receipt.hash, balance: left }, () =>
        [`sent ${opg(wei)} to ${recipient}`, `wallet balance: ${opg(left)}`].join("\n"),
      );
    });
}
