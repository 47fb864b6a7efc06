/**
 * `verdict operator …`: run an operator (register, stake, commission, signer rotation, unjail, exit, info).
 * Every call goes through the SDK's Staking contract (ABI from the build).
 */
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { CliError, opg, parseAddress, parseAmount, parseInteger, withSpinner } from "../support.js";
import { iso, type Ctx } from "../lib/context.js";

const STATUS = ["None", "Active", "Deactivated", "Exited"];

function lifecycle(operator: Command, ctx: Ctx): void {
  operator
    .command("register")
    .description("register the key's account as an operator with a separate signer key")
    .requiredOption("--signer <address>", "the key that signs attestations")
    .requiredOption("--stake <opg>", "self-stake")
    .option("--commission <bps>", "commission", "1000")
    .option("--metadata <uri>", "metadata URI", "")
    .action(async (o: { signer: string; stake: string; commission: string; metadata: string }) => {
      const signer = parseAddress(o.signer, "--signer");
      const stake = parseAmount(o.stake, "--stake");
      const commissionBps = parseInteger(o.commission, "--commission", 0, 10_000);
      const s = await ctx.session(true);
      await withSpinner(ctx.io, "registering operator…", () =>
        s.client.registerOperator({ signer, commissionBps, metadataURI: o.metadata, selfStake: stake }),
      );
      const me = await s.account();
      ctx.emit(
        { operator: me, signer, selfStake: stake },
        () => `registered operator ${me} with signer ${signer} and ${opg(stake)} self-stake`,
      );
    });
  operator
    .command("exit")
    .description("deactivate (first call) or complete the exit (after the exit delay)")
    .action(async () => {
      const s = await ctx.session(true);
      const me = await s.account();
      const info = await s.client.staking.getOperator(me);
      if (info.status === 0n) throw new CliError("NOT_OPERATOR", `${me} is not a registered operator.`);
      if (info.status === 1n) {
        await withSpinner(ctx.io, "deactivating…", () => s.client.deactivate());
        const after = await s.client.staking.getOperator(me);
        return ctx.emit(
          { operator: me, status: "Deactivated", exitReadyAt: after.exitReadyAt },
          () => `deactivated: no new assignments; exit possible from ${iso(after.exitReadyAt)}`,
        );
      }
      if (info.status === 3n)
        return ctx.emit({ operator: me, status: "Exited" }, () => `${me} has already exited`);
      await withSpinner(ctx.io, "exiting…", () => s.client.exit());
      ctx.emit(
        { operator: me, status: "Exited" },
        () => `exited: undelegate your self-stake with \`verdict undelegate ${me} <amount>\``,
      );
    });
  operator
    .command("unjail")
    .description("end your jail once its term is over (restores your draw weight)")
    .action(async () => {
      const s = await ctx.session(true);
      const me = await s.account();
      await s.send("unjailing…", () => s.client.staking.connect(s.requireSigner()).unjail());
      ctx.emit({ operator: me, jailed: false }, () => `operator ${me} is no longer jailed`);
    });
}

function stakeAndCommission(operator: Command, ctx: Ctx): void {
  operator
    .command("stake <amount>")
    .description("add self-stake to your operator pool")
    .action(async (amount: string) => {
      const wei = parseAmount(amount, "amount");
      const s = await ctx.session(true);
      const me = await s.account();
      await withSpinner(ctx.io, "staking…", () => s.client.delegate(me, wei));
      const pool = await s.client.staking.poolAssets(me);
      ctx.emit({ operator: me, pool }, () => `pool of ${me}: ${opg(pool)}`);
    });
  operator
    .command("commission <bps>")
    .description("set your commission: decreases apply at once, increases after the commission delay")
    .action(async (bps: string) => {
      const n = parseInteger(bps, "commission", 0, 10_000);
      const s = await ctx.session(true);
      await withSpinner(ctx.io, "queueing commission change…", () => s.client.setCommission(n));
      const info = await s.client.staking.getOperator(await s.account());
      ctx.emit({ commissionBps: info.commissionBps, readyAt: info.commissionReadyAt }, () =>
        info.commissionReadyAt > 0n
          ? `commission ${n} bps queued; applies at ${iso(info.commissionReadyAt)}`
          : `commission is now ${info.commissionBps} bps`,
      );
    });
  operator
    .command("apply-commission [operator]")
    .description("apply a queued commission increase once ready (anyone; default: you)")
    .action(async (address?: string) => {
      const s = await ctx.session(true);
      const who = await s.accountOr(address, "operator");
      await s.send("applying…", () => s.client.staking.connect(s.requireSigner()).applyCommissionChange(who));
      const info = await s.client.staking.getOperator(who);
      ctx.emit(
        { operator: who, commissionBps: info.commissionBps },
        () => `commission of ${who} is now ${info.commissionBps} bps`,
      );
    });
}

function signer(operator: Command, ctx: Ctx): void {
  operator
    .command("rotate-signer <address>")
    .description("queue a new signer key (reserved at once; applies after the rotation delay)")
    .action(async (address: string) => {
      const next = parseAddress(address, "signer");
      const s = await ctx.session(true);
      const receipt = await s.send("queueing signer rotation…", () =>
        s.client.staking.connect(s.requireSigner()).rotateSigner(next),
      );
      let readyAt = 0n;
      for (const log of receipt.logs) {
        const d = s.client.staking.interface.parseLog(log);
        if (d?.name === "SignerRotationQueued") readyAt = BigInt(d.args.readyAt as bigint);
      }
      ctx.emit(
        { signer: next, readyAt },
        () => `signer ${next} queued; apply it from ${iso(readyAt)} with \`verdict operator apply-signer\``,
      );
    });
  operator
    .command("apply-signer [operator]")
    .description("apply a queued signer rotation once ready (anyone; default: you)")
    .action(async (address?: string) => {
      const s = await ctx.session(true);
      const who = await s.accountOr(address, "operator");
      await s.send("applying signer rotation…", () =>
        s.client.staking.connect(s.requireSigner()).applySignerRotation(who),
      );
      const now = await s.client.staking.signerOf(who);
      ctx.emit({ operator: who, signer: now }, () => `signer of ${who} is now ${now}`);
    });
}

export function register(program: Command, ctx: Ctx): void {
  const operator = program.command("operator").description("run an operator");
  lifecycle(operator, ctx);
  stakeAndCommission(operator, ctx);
  signer(operator, ctx);
  operator
    .command("info [address]")
    .description("an operator's pool, status and record")
    .action(async (address?: string) => {
      const s = await ctx.session(false);
      const who = await s.accountOr(address, "operator");
      const [info, rec] = await Promise.all([
        s.client.staking.getOperator(who),
        s.client.coordinator.operatorRecord(who),
      ]);
      if (info.status === 0n) throw new CliError("NOT_OPERATOR", `${who} is not a registered operator.`);
      const status = STATUS[Number(info.status)] ?? String(info.status);
      const record = { served: rec.served, disputed: rec.disputed, lost: rec.lost, missed: rec.missed };
      const summary = {
        operator: who,
        status,
        jailed: info.jailed,
        jailedUntil: info.jailedUntil,
        signer: info.signer,
        pendingSigner: info.pendingSigner,
        signerReadyAt: info.signerReadyAt,
        commissionBps: info.commissionBps,
        pool: info.assets,
        record,
      };
      ctx.emit(summary, () =>
        [
          `operator ${who}: ${status}${info.jailed ? ` (jailed until ${iso(info.jailedUntil)})` : ""}`,
          `signer: ${info.signer}${info.pendingSigner !== ZeroAddress ? ` (rotating to ${info.pendingSigner} at ${iso(info.signerReadyAt)})` : ""}`,
          `commission: ${info.commissionBps} bps`,
          `pool: ${opg(info.assets)}`,
          `record: served ${rec.served}, disputed ${rec.disputed}, lost ${rec.lost}, missed ${rec.missed}`,
        ].join("\n"),
      );
    });
}
