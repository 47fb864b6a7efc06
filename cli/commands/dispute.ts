/**
 * `verdict dispute …`: open a dispute, follow it (status), move it on (draw, escalate, settle) and collect
 * (claim). Calls go through the dispute contract's ABI from the build; `settle` picks the contract call the
 * dispute's phase needs and assembles its arguments from the request's trail.
 */
import type { Command } from "commander";
import { type Contract, ZeroAddress, hexlify, id, keccak256 } from "ethers";
import { Outcome } from "../../sdk/eip712.js";
import { CliError, EXIT_CHAIN, opg, parseAddress, parseRequestId, readTensorFile } from "../support.js";
import { iso, type Ctx } from "../lib/context.js";
import type { Session } from "../lib/session.js";
import { sleep } from "../../sdk/retry.js";

const PHASES = ["None", "Open", "Voting", "Arbitration", "Settled"] as const;

interface DisputeInfo {
  challenger: string;
  bondUnits: bigint;
  phase: bigint;
  round: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  arbiterDeadline: bigint;
}

async function disputeOf(d: Contract, requestId: bigint): Promise<DisputeInfo> {
  const info = (await d.getFunction("disputeOf")(requestId)) as DisputeInfo;
  if (info.phase === 0n) throw new CliError("NO_DISPUTE", `Request ${requestId} has no dispute.`);
  return info;
}

async function open(ctx: Ctx, id: string, o: { claimedOutput?: string }): Promise<void> {
  const requestId = parseRequestId(id);
  const claimed = o.claimedOutput ? hexlify(readTensorFile(o.claimedOutput, ctx.io.cwd)) : "0x";
  const s = await ctx.session(true);
  const d = s.disputes();
  const address = String(s.cfg.disputes);
  if ((await s.provider.getCode(address)) === "0x")
    throw new CliError("NOT_DEPLOYED", `No dispute contract at ${address}.`, EXIT_CHAIN);
  const created = await s.client.findRequest(requestId);
  const bond = (await d.getFunction("bondFor")(created.request)) as bigint;
  const token = await s.client.token();
  const me = await s.account();
  if ((await token.allowance(me, address)) < bond)
    await s.send("approving the bond…", () => token.connect(s.requireSigner()).approve(address, bond));
  await s.send(`opening dispute (bond ${opg(bond)})…`, () =>
    d.getFunction("openDispute")(requestId, created.request, claimed),
  );
  ctx.emit({ requestId, bond }, () => `dispute opened on request ${requestId} with a bond of ${opg(bond)}`);
}

async function status(ctx: Ctx, id: string): Promise<void> {
  const requestId = parseRequestId(id);
  const s = await ctx.session(false);
  const d = s.disputes();
  const info = await disputeOf(d, requestId);
  const phase = PHASES[Number(info.phase)] ?? String(info.phase);
  const jurors = (await d.getFunction("jurorsOf")(requestId, info.round)) as string[];
  // The contract stores the bond in whole gwei (bondFor rounds up to a gwei).
  const bond = info.bondUnits * 1_000_000_000n;
  const lines = [
    `dispute on request ${requestId}: ${phase}, round ${info.round}`,
    `challenger: ${info.challenger === ZeroAddress ? "automatic (answers disagreed)" : info.challenger}`,
    `bond: ${opg(bond)}`,
    `jurors: ${jurors.length ? jurors.join(", ") : "not drawn yet"}`,
  ];
  if (phase === "Voting")
    lines.push(`commit until ${iso(info.commitDeadline)}, reveal until ${iso(info.revealDeadline)}`);
  if (phase === "Arbitration") lines.push(`arbiter decides until ${iso(info.arbiterDeadline)}`);
  ctx.emit({ requestId, phase, round: info.round, challenger: info.challenger, bond, jurors }, () =>
    lines.join("\n"),
  );
}

/** Draws the first jury (or sends the dispute to the arbiter when too few operators are eligible). */
async function draw(ctx: Ctx, id: string): Promise<void> {
  const requestId = parseRequestId(id);
  const s = await ctx.session(true);
  const d = s.disputes();
  const created = await s.client.findRequest(requestId);
  await untilRandomness(async () => {
    await d.getFunction("drawJury").staticCall(requestId, created.request);
  });
  await s.send("drawing the jury…", () => d.getFunction("drawJury")(requestId, created.request));
  await report(ctx, d, requestId);
}

/**
 * A jury is drawn from the randomness ticket the dispute took, readable from the block after it: until then
 * `drawJury` reverts RandomnessNotReady. Waits (up to `limitMs`) for the chain to produce that block rather
 * than failing a user who asked a moment too early; any other revert is thrown at once.
 */
/** Selector of IRandomnessSource.RandomnessNotReady(uint256), reverted by the jury draw (in JuryLib). */
const RANDOMNESS_NOT_READY = id("RandomnessNotReady(uint256)").slice(0, 10);

async function untilRandomness(simulate: () => Promise<void>, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    try {
      await simulate();
      return;
    } catch (err) {
      const data = String((err as { data?: unknown }).data ?? "");
      if (!data.startsWith(RANDOMNESS_NOT_READY) || Date.now() > until) throw err;
      await sleep(500);
    }
  }
}

async function escalate(ctx: Ctx, id: string): Promise<void> {
  const requestId = parseRequestId(id);
  const s = await ctx.session(true);
  const d = s.disputes();
  const created = await s.client.findRequest(requestId);
  await s.send("escalating…", () => d.getFunction("escalate")(requestId, created.request));
  await report(ctx, d, requestId);
}

async function report(ctx: Ctx, d: Contract, requestId: bigint): Promise<void> {
  const info = await disputeOf(d, requestId);
  const phase = PHASES[Number(info.phase)] ?? String(info.phase);
  const jurors =
    phase === "Voting" ? ((await d.getFunction("jurorsOf")(requestId, info.round)) as string[]) : [];
  ctx.emit({ requestId, phase, round: info.round, jurors }, () =>
    phase === "Voting"
      ? `dispute ${requestId}: round ${info.round} jury ${jurors.join(", ")}; reveal ends ${iso(info.revealDeadline)}`
      : `dispute ${requestId}: ${phase}${phase === "Arbitration" ? ` (arbiter deadline ${iso(info.arbiterDeadline)})` : ""}`,
  );
}

/** The output the majority of round `round` voted for, among the outputs this request's trail holds. */
async function majorityOutput(s: Session, d: Contract, requestId: bigint, round: bigint, extra?: string) {
  const trail = await s.client.trail(requestId);
  const majority = (await d.getFunction("majorityOf")(requestId, round)) as string;
  const candidates = [
    ...(extra ? [extra] : []),
    ...trail.answers.filter((a) => a.outcome === Outcome.RESULT).map((a) => a.output),
    ...trail.entries
      .filter((e) => e.source === "disputes" && e.name === "DisputeOpened")
      .map((e) => String(e.args.claimedOutput))
      .filter((c) => c !== "0x"),
  ];
  let output: string | undefined;
  if (/^0x0+$/.test(majority)) output = "0x";
  for (const c of candidates) {
    if (output !== undefined) break;
    if ((await d.getFunction("voteKey")(Outcome.RESULT, keccak256(c))) === majority) output = c;
  }
  if (
    output === undefined &&
    (await d.getFunction("voteKey")(Outcome.INVALID_INPUT, `0x${"00".repeat(32)}`)) === majority
  )
    output = trail.answers.find((a) => a.outcome === Outcome.INVALID_INPUT)?.output;
  if (output === undefined)
    throw new CliError(
      "MAJORITY_OUTPUT_UNKNOWN",
      `The majority of dispute ${requestId} voted for an output this trail does not hold: pass it with --output <file>.`,
    );
  const answered = Array.from({ length: trail.created.request.operators.length }, (_, i) => {
    const a = trail.answers.find((x) => x.index === i);
    return a && a.outcome === Outcome.RESULT && output !== "0x" && keccak256(a.output) !== keccak256(output)
      ? a.output
      : "0x";
  });
  return { request: trail.created.request, output, answered };
}

/** Settles by the committee's majority (Voting) or, once the arbiter's time is over, by timeout. */
async function settle(ctx: Ctx, id: string, o: { output?: string }): Promise<void> {
  const requestId = parseRequestId(id);
  const extra = o.output ? hexlify(readTensorFile(o.output, ctx.io.cwd)) : undefined;
  const s = await ctx.session(true);
  const d = s.disputes();
  const info = await disputeOf(d, requestId);
  const phase = PHASES[Number(info.phase)];
  if (phase === "Arbitration") {
    const created = await s.client.findRequest(requestId);
    await s.send("settling (the arbiter did not decide)…", () =>
      d.getFunction("resolveByTimeout")(requestId, created.request),
    );
  } else if (phase === "Voting") {
    const m = await majorityOutput(s, d, requestId, info.round, extra);
    await s.send("settling by the jury's majority…", () =>
      d.getFunction("settle")(requestId, m.request, m.output, m.answered),
    );
  } else {
    const hint =
      phase === "Open"
        ? ` Draw its jury with \`verdict dispute draw ${requestId}\`.`
        : " It is already settled.";
    throw new CliError("WRONG_PHASE", `Dispute ${requestId} is ${phase}.${hint}`);
  }
  const st = (await s.client.status(requestId)).statusName;
  ctx.emit(
    { requestId, phase: "Settled", status: st },
    () => `dispute ${requestId} settled; request ${requestId} is now ${st}`,
  );
}

async function claim(ctx: Ctx, o: { juror?: string; dispute?: string }): Promise<void> {
  const s = await ctx.session(true);
  const d = s.disputes();
  const me = await s.account();
  let receipt;
  if (o.dispute !== undefined) {
    const disputeId = parseRequestId(o.dispute);
    const juror = o.juror ? parseAddress(o.juror, "--juror") : me;
    receipt = await s.send("claiming the juror reward…", () =>
      d.getFunction("claimJurorReward")(disputeId, juror),
    );
  } else {
    receipt = await s.send("claiming…", () => d.getFunction("claim")());
  }
  let amount = 0n;
  for (const log of receipt.logs) {
    const e = d.interface.parseLog(log);
    if (e?.name === "Claimed" || e?.name === "JurorRewardClaimed") amount += BigInt(e.args.amount as bigint);
  }
  ctx.emit({ account: me, claimed: amount }, () => `claimed ${opg(amount)} from the dispute contract`);
}

export function register(program: Command, ctx: Ctx): void {
  const dispute = program.command("dispute").description("disputes (needs the dispute contract)");
  dispute
    .command("open <requestId>")
    .description("dispute a request's answers by posting the bond")
    .option("--claimed-output <file>", "the output you claim is right (VTN1 or JSON)")
    .action((id: string, o: { claimedOutput?: string }) => open(ctx, id, o));
  dispute
    .command("status <requestId>")
    .description("a dispute's phase, round and jury")
    .action((id: string) => status(ctx, id));
  dispute
    .command("draw <requestId>")
    .description("draw the first jury of an open dispute (anyone)")
    .action((id: string) => draw(ctx, id));
  dispute
    .command("escalate <requestId>")
    .description(
      "after a round without majority: a larger jury, or the arbiter after the last round (anyone)",
    )
    .action((id: string) => escalate(ctx, id));
  dispute
    .command("settle <requestId>")
    .description("settle by the jury's majority, or by timeout when the arbiter did not decide (anyone)")
    .option("--output <file>", "the output the majority voted for, if not in the trail (VTN1 or JSON)")
    .action((id: string, o: { output?: string }) => settle(ctx, id, o));
  dispute
    .command("claim")
    .description("collect what the dispute contract credited you (bond back, rewards, compensation)")
    .option("--dispute <id>", "instead: a majority juror's reward of this settled dispute")
    .option("--juror <address>", "with --dispute: the juror to pay (default: you)")
    .action((o: { juror?: string; dispute?: string }) => claim(ctx, o));
  dispute
    .command("claimable [account]")
    .description("what an account can claim from the dispute contract")
    .action(async (account?: string) => {
      const s = await ctx.session(false);
      const who = await s.accountOr(account, "account");
      const amount = (await s.disputes().getFunction("claimable")(who)) as bigint;
      ctx.emit({ account: who, claimable: amount }, () => `${who} can claim ${opg(amount)}`);
    });
  program
    .command("dispute-status <requestId>")
    .description("same as `dispute status`")
    .action((id: string) => status(ctx, id));
}
