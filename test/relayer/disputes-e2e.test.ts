/**
 * Dispute duties end to end: a real `hardhat node`, the protocol deployed through the Ignition module, and
 * five REAL relayer processes (`node --import tsx relayer/main.ts run`):
 * - operator 0 lies (VERDICT_DEV_LIE=1: every answer perturbed far beyond the tolerance);
 * - operator 1 is a watchtower (share 1) with the challenger duty, its signer funded with OPG for bonds;
 * - operators 2..4 are plain relayers, i.e. jurors.
 * A request assigned to the liar is answered wrongly, disputed by the watchtower with a bond, judged by a
 * committee of the three juror processes (one of which is SIGKILLed between commit and reveal and
 * restarted: it reveals the committed vote from its stored salt), settled, and the liar slashed.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak256, parseEther } from "ethers";
import { RequestStatus } from "../../sdk/requests.js";
import { sleep } from "../../sdk/retry.js";
import { encodeTensors, toFixed } from "../../sdk/tensor.js";
import {
  Disputes__factory,
  OPGToken__factory,
  Staking__factory,
  type Disputes,
} from "../../types/ethers-contracts/index.js";
import { perturbOutput } from "../../relayer/chain/dev-lie.js";
import { loadConfig } from "../../relayer/config.js";
import {
  devAccount,
  generatedModel,
  inlineParams,
  request,
  rpc,
  startDevnet,
  startRelayerProcess,
  type Devnet,
  type RelayerProcess,
} from "../../scripts/lib/devnet.js";

const BPS = 10_000n;
const Phase = { None: 0n, Open: 1n, Voting: 2n, Arbitration: 3n, Settled: 4n };
const Ballot = { Drawn: 1n, Committed: 2n, Revealed: 3n };

async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  dump: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dump()}`);
    await sleep(250);
  }
}

async function advance(devnet: Devnet, seconds: number): Promise<void> {
  await rpc(devnet.url, "evm_increaseTime", [seconds]);
  await rpc(devnet.url, "evm_mine");
}

const max = (...xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b));

describe("relayer dispute duties end to end (5 relayer processes, one lying)", function () {
  this.timeout(300_000);
  const mlp = generatedModel("mlp-8x16x4");
  let devnet: Devnet;
  let disputes: Disputes;
  let tmp: string;
  const procs: RelayerProcess[] = [];

  const dataDir = (i: number): string => path.join(tmp, `op${i}`);
  const spawn = (i: number, extra: Record<string, string> = {}): RelayerProcess => {
    const r = startRelayerProcess(devnet.relayerEnv(i, { VERDICT_DATA_DIR: dataDir(i), ...extra }));
    procs.push(r);
    return r;
  };
  const dumpAll = (): string =>
    procs
      .map((p, i) => `--- relayer ${i}\n${p.lines().slice(-15).join("\n")}\n${p.stderr().slice(-2000)}`)
      .join("\n");

  before(async function () {
    tmp = mkdtempSync(path.join(tmpdir(), "verdict-disputes-e2e-"));
    devnet = await startDevnet({ operators: 5, models: [mlp], disputeWindow: 600 });
    disputes = Disputes__factory.connect(await devnet.coordinator.disputeHook(), devnet.provider);
  });

  after(async function () {
    for (const p of procs.splice(0)) await p.kill();
    await devnet?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses VERDICT_DEV_LIE off the devnet and a challenger without a bond budget", function () {
    const env = devnet.relayerEnv(0, { VERDICT_DATA_DIR: dataDir(9) });
    expect(loadConfig({ ...env, VERDICT_DEV_LIE: "1" }).devLie).to.equal(1);
    expect(() => loadConfig({ ...env, VERDICT_DEV_LIE: "1", VERDICT_CHAIN_ID: "1" }))
      .to.throw()
      .with.property("problems")
      .that.satisfies((ps: string[]) => ps.some((p) => p.includes("VERDICT_DEV_LIE")));
    expect(() => loadConfig({ ...env, VERDICT_DEV_LIE: "2" })).to.throw();
    expect(() => loadConfig({ ...env, VERDICT_CHALLENGER: "1", VERDICT_WATCHTOWER_SHARE: "1" }))
      .to.throw()
      .with.property("problems")
      .that.satisfies((ps: string[]) => ps.some((p) => p.includes("VERDICT_CHALLENGER_BOND_BUDGET")));
    const ok = loadConfig({
      ...env,
      VERDICT_CHALLENGER: "1",
      VERDICT_WATCHTOWER_SHARE: "1",
      VERDICT_CHALLENGER_BOND_BUDGET: "2500.5",
    });
    expect(ok.challengerBondBudget).to.equal(parseEther("2500.5"));
    expect(ok.juror).to.equal(true);
    // The perturbation moves every element far beyond any tolerance.
    const out = encodeTensors([{ name: "y", dtype: "fixed64", scale: 6, dims: [2], data: [1n, -5n] }]);
    const lie = perturbOutput(out);
    expect(lie?.outputHash).to.not.equal(keccak256(out));
  });

  it("a lie is disputed by the watchtower, loses before a committee of relayers, and is slashed", async function () {
    const [liar, watcher, ...jurorOps] = devnet.operators;
    if (liar === undefined || watcher === undefined) throw new Error("operators missing");
    const provider = devnet.provider;
    const token = OPGToken__factory.connect(devnet.addresses.token, devAccount(0, provider));
    const staking = Staking__factory.connect(devnet.addresses.staking, provider);
    // The challenger's bonds are paid by its signer key.
    const budget = parseEther("5000");
    await (await token.transfer(watcher.signerAddress, budget)).wait();

    const liarProc = spawn(0, { VERDICT_DEV_LIE: "1" });
    const watchProc = spawn(1, {
      VERDICT_WATCHTOWER_SHARE: "1",
      VERDICT_CHALLENGER: "1",
      VERDICT_CHALLENGER_BOND_BUDGET: "5000",
    });
    const jurorProcs = jurorOps.map((_op, k) => spawn(2 + k));
    await Promise.all(procs.map((p) => p.waitFor((l) => l.includes("chain loop started"), 90_000)));
    await liarProc.waitFor((l) => l.includes("DELIBERATELY POSTS WRONG ANSWERS"), 5_000);

    // Requests until one is assigned to the liar (the others are answered honestly meanwhile).
    const x = [0.5, -0.25, 0.125, 1, -1, 0.375, 0.75, -0.625];
    const input = encodeTensors([
      { name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: toFixed(x, 6) },
    ]);
    let target;
    for (let i = 0; i < 40 && target === undefined; i++) {
      const c = await request(devnet, inlineParams(devnet.models[mlp.name]!, input));
      if (c.request.operators[0]?.toLowerCase() === liar.address.toLowerCase()) target = c;
    }
    if (target === undefined) throw new Error("no request was assigned to the liar");
    const id = target.requestId;
    const price = target.request.feePerOperator * target.request.redundancy;
    const escrow0 = await devnet.coordinator.balanceOf(devnet.requester.address);
    const claimable0 = await disputes.claimable(devnet.requester.address);

    // The watchtower re-executes, disagrees, and files the dispute with its bond.
    await waitUntil(
      "the dispute",
      async () => (await disputes.disputeOf(id)).phase !== Phase.None,
      60_000,
      dumpAll,
    );
    const opened = await disputes.disputeOf(id);
    expect(opened.challenger).to.equal(watcher.signerAddress);
    await liarProc.waitFor((l) => l.includes("perturbed this answer"), 1_000);
    const pool0 = await staking.poolAssets(liar.address);
    const bond = await disputes.bondFor(target.request);
    expect(await token.balanceOf(watcher.signerAddress)).to.equal(budget - bond);
    expect((await devnet.coordinator.requestState(id)).status).to.equal(BigInt(RequestStatus.Disputed));

    // The challenger draws the jury: the three other operators (the liar and the challenger's operator
    // are excluded).
    const jurors = await waitUntil(
      "the jury",
      async () => {
        const j = await disputes.jurorsOf(id, 1);
        return j.length > 0 ? j : undefined;
      },
      30_000,
      dumpAll,
    );
    expect(jurors.map((j) => j.toLowerCase()).sort()).to.deep.equal(
      jurorOps.map((o) => o.address.toLowerCase()).sort(),
    );

    // Every juror process commits; one is killed right after its commit.
    const ballots = async (): Promise<bigint[]> =>
      Promise.all(jurors.map(async (j) => (await disputes.ballotOf(id, 1, j)).state));
    await waitUntil(
      "three commits",
      async () => (await ballots()).every((s) => s === Ballot.Committed),
      60_000,
      dumpAll,
    );
    const victim = 0; // operator 2's relayer
    await jurorProcs[victim]!.waitFor((l) => l.includes("juror vote committed"), 5_000);
    await jurorProcs[victim]!.kill();

    // Past the commit deadline: the live jurors reveal; the victim is restarted and reveals too.
    const { commitDeadline, revealDeadline } = await disputes.disputeOf(id);
    const now = (await provider.getBlock("latest"))!.timestamp;
    await advance(devnet, Number(commitDeadline) - now + 1);
    const restarted = spawn(2);
    await waitUntil(
      "three reveals",
      async () => (await ballots()).every((s) => s === Ballot.Revealed),
      60_000,
      dumpAll,
    );
    await restarted.waitFor((l) => l.includes("juror vote revealed"), 5_000);
    expect(restarted.lines().some((l) => l.includes("juror vote computed"))).to.equal(false); // salt reloaded
    const revealed = await disputes.queryFilter(disputes.filters.VoteRevealed(id));
    expect(revealed).to.have.length(3);
    const claimed = await disputes.queryFilter(disputes.filters.DisputeOpened(id));
    const rightHash = keccak256(claimed[0]!.args.claimedOutput);
    for (const ev of revealed) expect(ev.args.outputHash).to.equal(rightHash);

    // Past the reveal deadline: the challenger settles (nobody else has to).
    const now2 = (await provider.getBlock("latest"))!.timestamp;
    await advance(devnet, Math.max(1, Number(revealDeadline) - now2 + 1));
    await waitUntil(
      "settlement",
      async () => (await disputes.disputeOf(id)).phase === Phase.Settled,
      60_000,
      dumpAll,
    );
    const resolved = await disputes.queryFilter(disputes.filters.DisputeResolved(id));
    expect(resolved[0]!.args.wrongMask).to.equal(1n);
    expect(resolved[0]!.args.outputHash).to.equal(rightHash);

    // The slash formula, the correction, the refund.
    const params = await disputes.parameters();
    const atRisk = max(
      params.slashFloor,
      (pool0 * params.slashBps) / BPS,
      (price * params.feeMultipleBps) / BPS,
    );
    expect(await staking.poolAssets(liar.address)).to.equal(pool0 - atRisk);
    expect((await staking.getOperator(liar.address)).jailed).to.equal(true);
    expect((await devnet.coordinator.requestState(id)).status).to.equal(BigInt(RequestStatus.Corrected));
    const compensation = (atRisk * params.compensationBps) / BPS;
    const escrow1 = await devnet.coordinator.balanceOf(devnet.requester.address);
    const claimable1 = await disputes.claimable(devnet.requester.address);
    expect(escrow1 - escrow0 + (claimable1 - claimable0)).to.equal(price + compensation);
    expect(escrow1 - escrow0).to.be.greaterThanOrEqual(price); // the fee came back

    // The challenger's relayer claims its bond back plus the reward.
    const payouts = await disputes.queryFilter(disputes.filters.DisputePayouts(id));
    const challengerPaid = payouts[0]!.args.challengerPaid;
    const reward = ((atRisk < bond ? atRisk : bond) * params.challengerRewardBps) / BPS;
    expect(challengerPaid).to.equal(bond + reward);
    await waitUntil(
      "the challenger's claim",
      async () => (await token.balanceOf(watcher.signerAddress)) === budget + reward,
      30_000,
      dumpAll,
    );
    expect(watchProc.lines().filter((l) => l.includes('"msg":"dispute opened"'))).to.have.length(1);
  });
});
