/**
 * `npm run demo`: the whole story on a local chain, with nothing else installed or running.
 *
 * Starts `hardhat node` on 127.0.0.1, deploys everything with the Ignition module, registers Silero VAD, a
 * generated float MLP and an integer MLP with its on-chain referee, starts operator relayers as separate
 * processes (one configured to lie), funds delegators and a requester, and drives an example dApp through:
 * honest requests; a lie caught and slashed; a disagreement within tolerance that is not a dispute; an
 * expired request refunded. Prints a report, stops every process it started, exits non-zero on any failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  formatEther,
  getBytes,
  JsonRpcProvider,
  keccak256,
  NonceManager,
  parseEther,
  type Log,
} from "ethers";
import {
  devAccount,
  generatedModel,
  inlineParams,
  request,
  rpc,
  sileroModel,
  startDevnet,
  startHardhatNode,
  startRelayerProcess,
  type Devnet,
  type DevnetModel,
  type RelayerProcess,
} from "./lib/devnet.js";
import { delegateToPools } from "./lib/delegators.js";
import { finalizeAll } from "./lib/lifecycle.js";
import { SILERO_HASH, silentFrame, sileroInput, speechFrame } from "./lib/silero.js";
import { deployIntegerReferee } from "./models/deploy-referee.js";
import { modelEntry } from "./models/manifest.js";
import { encodeTensors } from "../sdk/tensor.js";
import { RequestStatus, statusName, type CreatedRequest } from "../sdk/requests.js";
import { networkStats } from "../sdk/stats.js";
import {
  Disputes__factory,
  OPGToken__factory,
  Staking__factory,
  VoiceActivityGate__factory,
  type Coordinator,
  type OPGToken,
  type Staking,
} from "../types/ethers-contracts/index.js";
import { sleep } from "../sdk/retry.js";

const OPERATORS = 5;
const LIAR = 0; // its relayer lies once the lie phase starts
const WATCHTOWER = 1; // re-executes others' answers and challenges lies
const OFFLINE = 4; // its relayer is stopped for the expiry phase
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const opg = (wei: bigint): string =>
  `${Number(formatEther(wei)).toLocaleString("en-US", { maximumFractionDigits: 6 })} OPG`;

function step(title: string): void {
  console.log(`\n▶ ${title}  (${elapsed()})`);
}
function line(text: string): void {
  console.log(`  ${text}`);
}
class DemoFailure extends Error {}
function check(condition: boolean, what: string): void {
  if (!condition) throw new DemoFailure(what);
  line(`✔ ${what}`);
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new DemoFailure(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function statusOf(c: Coordinator, id: bigint): Promise<number> {
  return Number((await c.requestState(id)).status);
}

async function waitStatus(
  c: Coordinator,
  id: bigint,
  wanted: readonly number[],
  what: string,
): Promise<number> {
  return waitUntil(what, async () => {
    const s = await statusOf(c, id);
    return wanted.includes(s) ? s : undefined;
  });
}

async function timeTravel(devnet: Devnet, seconds: number): Promise<void> {
  await rpc(devnet.url, "evm_increaseTime", [seconds]);
  await rpc(devnet.url, "evm_mine", []);
}

/** What the steps share: the chain, the operators' relayer processes and the models they serve. */
interface Stage {
  readonly d: Devnet;
  readonly relayers: RelayerProcess[];
  /** Operator `i`'s relayer environment (its own data directory), with `extra` on top. */
  envFor(i: number, extra?: Record<string, string>): Record<string, string>;
  readonly token: OPGToken;
  readonly staking: Staking;
  readonly mlp: DevnetModel;
  readonly intModel: DevnetModel;
}

/** The float MLP's base input (its eight features, fixed point at scale 6). */
const X8 = [0.5, -1.25, 2, 0.125, -0.75, 1.5, -2, 0.25].map((v) => BigInt(Math.round(v * 1e6)));

/** A node, the integer MLP's referee on it, and Verdict deployed with the three models. */
async function startChain(): Promise<{ devnet: Devnet; mlp: DevnetModel; intModel: DevnetModel }> {
  step("Starting a local chain (hardhat node on 127.0.0.1) and deploying Verdict with Ignition");
  const node = await startHardhatNode();
  const nodeProvider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  const referee = await deployIntegerReferee(
    new NonceManager(devAccount(0, nodeProvider)),
    modelEntry("int-mlp-16x32x1"),
  );
  nodeProvider.destroy();
  const intModel = { ...generatedModel("int-mlp-16x32x1", 0n), referee: referee.refereeAddress };
  const mlp = generatedModel("mlp-8x16x4", 2n);
  const devnet = await startDevnet({
    node,
    operators: OPERATORS,
    models: [sileroModel(), mlp, intModel],
    disputeWindow: 60,
  });
  line(`chain ${devnet.chainId} at ${devnet.url}; coordinator ${devnet.addresses.coordinator}`);
  line(
    `models: Silero VAD ${SILERO_HASH.slice(0, 12)}…, ${mlp.name}, ${intModel.name} (referee ${referee.refereeAddress.slice(0, 10)}…)`,
  );
  return { devnet, mlp, intModel };
}

async function fundDelegators({ d, token }: Stage): Promise<void> {
  step("Funding delegators: each operator's pool gets outside stake");
  // funded dev accounts 10..14
  await delegateToPools(d, token, OPERATORS, (delegator, amount, i) =>
    line(`delegator ${delegator.slice(0, 10)}… staked ${opg(amount)} with operator ${i}`),
  );
}

async function startRelayers({ d, relayers, envFor, token }: Stage): Promise<void> {
  step(`Starting ${OPERATORS} operator relayers as separate processes`);
  const watchtowerEnv = {
    VERDICT_WATCHTOWER_SHARE: "1",
    VERDICT_CHALLENGER: "1",
    VERDICT_CHALLENGER_BOND_BUDGET: "5000",
  };
  // The challenger's bonds are paid by its signer key: give it OPG.
  await (await token.transfer(d.operators[WATCHTOWER]!.signerAddress, parseEther("5000"))).wait();
  for (let i = 0; i < OPERATORS; i++) {
    relayers[i] = startRelayerProcess(envFor(i, i === WATCHTOWER ? watchtowerEnv : {}));
  }
  line(`operator ${WATCHTOWER} also runs a watchtower that re-executes everyone else's answers`);
}

/** Restarts operator `i`'s relayer with `extra` in its environment. */
async function restartRelayer({ relayers, envFor }: Stage, i: number, extra?: Record<string, string>) {
  await relayers[i]!.kill("SIGTERM");
  relayers[i] = startRelayerProcess(envFor(i, extra));
}

/** Requests on `model` (input `n` from `inputAt`) until one is drawn so that `drawn` holds; 40 tries. */
async function requestUntilDrawn(
  d: Devnet,
  model: DevnetModel,
  inputAt: (n: number) => Uint8Array,
  drawn: (operators: readonly string[]) => boolean,
  redundancy?: number,
): Promise<CreatedRequest | undefined> {
  for (let n = 0; n < 40; n++) {
    const opts = redundancy === undefined ? undefined : { redundancy };
    const created = await request(d, inlineParams(model, inputAt(n), opts));
    if (drawn(created.request.operators)) return created;
  }
  return undefined;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const mlpInput = (n: number): Uint8Array =>
  encodeTensors([
    { name: "x", dtype: "fixed64", scale: 6, dims: [1, 8], data: X8.map((v) => v + BigInt(n)) },
  ]);

async function honestRequests({ d, token }: Stage): Promise<void> {
  step("Honest requests: a voice-gated dApp asks Silero VAD about two audio frames");
  const requester = d.requesterWallet;
  const gate = await new VoiceActivityGate__factory(requester).deploy(
    d.addresses.coordinator,
    d.addresses.token,
    SILERO_HASH,
    500_000n,
    parseEther("1"), // the owner's cap on one check paid from the gate's prepaid balance
  );
  await gate.waitForDeployment();
  const gateToken = OPGToken__factory.connect(d.addresses.token, requester);
  await (await gateToken.approve(await gate.getAddress(), parseEther("1"))).wait();
  const requesterOwn = await token.balanceOf(d.requester.address);
  if (requesterOwn < parseEther("1"))
    await (await token.transfer(d.requester.address, parseEther("1"))).wait();
  await (await gate.fund(parseEther("1"))).wait();
  const asked: { label: string; id: bigint; expected: bigint }[] = [];
  for (const [label, frame, expected] of [
    ["32 ms of speech", speechFrame(7), 1n],
    ["32 ms of silence", silentFrame(), 2n],
  ] as const) {
    const receipt = await (await gate.checkSpeech(sileroInput(frame), parseEther("1"))).wait();
    const id = BigInt(
      (receipt!.logs as Log[])
        .map((l) => gate.interface.parseLog(l))
        .find((x) => x?.name === "SpeechChecked")!.args.requestId,
    );
    asked.push({ label, id, expected });
  }
  for (const a of asked) {
    const answer = await waitUntil(`the answer to request ${a.id}`, async () => {
      const c = await gate.checks(a.id);
      return c.verdict === 0n ? undefined : c;
    });
    line(
      `request ${a.id} (${a.label}): ${answer.verdict === 1n ? "speech" : "no speech"}, p = ${(Number(answer.probability) / 1e6).toFixed(3)}`,
    );
    check(answer.verdict === a.expected, `the dApp acted on the right verdict for ${a.label}`);
  }
}

async function disagreementWithinTolerance(stage: Stage): Promise<void> {
  const { d, mlp } = stage;
  step("A disagreement within tolerance is not a dispute (k = 2 on the float MLP, tolerance 2 units)");
  const liar = d.operators[LIAR]!.address;
  // Operator 0 now moves every output element by 1 unit: a difference within the model's tolerance.
  await restartRelayer(stage, LIAR, { VERDICT_DEV_LIE: "1", VERDICT_DEV_LIE_UNITS: "1" });
  const k2 = await requestUntilDrawn(d, mlp, mlpInput, (ops) => ops.some((o) => same(o, liar)), 2);
  if (!k2) throw new DemoFailure("no k = 2 request included operator 0 in 40 tries");
  const s2 = await waitStatus(
    d.coordinator,
    k2.requestId,
    [RequestStatus.Answered, RequestStatus.Disputed],
    "two answers",
  );
  const [h0, h1] = await Promise.all([
    d.coordinator.answerOf(k2.requestId, 0),
    d.coordinator.answerOf(k2.requestId, 1),
  ]);
  check(
    h0 !== h1,
    `the two answers to request ${k2.requestId} differ (output hashes ${h0.slice(0, 10)}… and ${h1.slice(0, 10)}…)`,
  );
  check(
    s2 === RequestStatus.Answered,
    `but they agree within tolerance: request ${k2.requestId} is ${statusName(s2)}, no dispute`,
  );
}

/** The lying operator's answer to an integer-MLP request drawn for it, disputed (by the watchtower, or else). */
async function lieDisputed(stage: Stage): Promise<CreatedRequest> {
  const { d, intModel, token } = stage;
  const liar = d.operators[LIAR]!.address;
  const intInput = (n: number): Uint8Array => {
    const x = Array.from({ length: 16 }, (_, j) => BigInt((j * 7919 + n * 104729) % 2001) - 1000n);
    return encodeTensors([{ name: "x", dtype: "int64", scale: 0, dims: [1, 16], data: x }]);
  };
  const lie = await requestUntilDrawn(d, intModel, intInput, (ops) => same(ops[0]!, liar));
  if (!lie) throw new DemoFailure("no request was drawn for operator 0 in 40 tries");
  line(`request ${lie.requestId} was drawn for operator ${LIAR}`);
  await waitStatus(
    d.coordinator,
    lie.requestId,
    [RequestStatus.Answered, RequestStatus.Disputed],
    "the lying answer",
  );
  const filed = await waitUntil(
    "a dispute",
    async () =>
      (await statusOf(d.coordinator, lie.requestId)) === RequestStatus.Disputed ? true : undefined,
    20_000,
  ).catch(() => false);
  if (!filed) {
    line("the watchtower did not file in time: the requester disputes it itself (anyone may)");
    const disputes = Disputes__factory.connect(d.addresses.disputes, d.requesterWallet);
    const bond = await disputes.bondFor(lie.request);
    await (await token.transfer(d.requester.address, bond)).wait();
    await (
      await OPGToken__factory.connect(d.addresses.token, d.requesterWallet).approve(
        d.addresses.disputes,
        bond,
      )
    ).wait();
    await (await disputes.openDispute(lie.requestId, lie.request, "0x")).wait();
  } else {
    line(
      `operator ${WATCHTOWER}'s watchtower re-executed the answer, found it wrong and disputed it with a bond`,
    );
  }
  return lie;
}

/** The admitted referee recomputes `lie` on chain; with no appeal its verdict settles the dispute. */
async function refereeSettles(d: Devnet, lie: CreatedRequest): Promise<void> {
  const disputes = Disputes__factory.connect(d.addresses.disputes, d.requesterWallet);
  if ((await statusOf(d.coordinator, lie.requestId)) === RequestStatus.Disputed) {
    await (
      await disputes.resolveByReferee(lie.requestId, lie.request, getBytes(await inputOf(d, lie)))
    )
      .wait()
      .catch(() => undefined);
    // The referee (admitted by governance for this model) decided; its verdict stands once nobody
    // appealed it to the committee within one committee round.
    const verdict = (await disputes.queryFilter(disputes.filters.RefereeDecided(lie.requestId))).at(-1);
    if (verdict) {
      line("the governance-admitted referee recomputed the output on chain; nobody appeals its verdict");
      const latest = await d.provider.getBlock("latest");
      const wait = Number(verdict.args.appealDeadline) - Number(latest!.timestamp) + 1;
      if (wait > 0) await timeTravel(d, wait);
      await (
        await disputes.settleReferee(lie.requestId, lie.request, verdict.args.outcome, verdict.args.output)
      )
        .wait()
        .catch(() => undefined);
    }
  }
  await waitStatus(d.coordinator, lie.requestId, [RequestStatus.Corrected], "the referee's verdict");
  const payouts = await disputes.queryFilter(disputes.filters.DisputePayouts(lie.requestId));
  const pay = payouts.at(-1)?.args;
  if (pay) {
    line(
      `settled by the on-chain referee: slashed ${opg(pay.slashed)}; the requester is refunded its fee and ` +
        `compensated ${opg(pay.compensation)}; the challenger gets ${opg(pay.challengerPaid)} (bond + reward); ` +
        `${opg(pay.burned)} burned`,
    );
  }
}

async function lieCaughtAndSlashed(stage: Stage): Promise<void> {
  const { d, staking } = stage;
  step("A lie caught and slashed: operator 0's relayer now lies; the chain's referee decides");
  const liar = d.operators[LIAR]!.address;
  await restartRelayer(stage, LIAR, { VERDICT_DEV_LIE: "1" });
  const poolBefore = await staking.poolAssets(liar);
  const lie = await lieDisputed(stage);
  await refereeSettles(d, lie);
  const slashed = poolBefore - (await staking.poolAssets(liar));
  check(
    slashed > 0n,
    `operator ${LIAR} was slashed ${opg(slashed)} (its delegators' stake included) and jailed`,
  );
}

async function nobodyAnswers(stage: Stage): Promise<void> {
  const { d, relayers, staking, mlp } = stage;
  step("Nobody answers: operator 4's relayer is down; the deadline passes; anyone expires the request");
  await restartRelayer(stage, LIAR);
  await relayers[OFFLINE]!.kill("SIGKILL");
  const offline = d.operators[OFFLINE]!.address;
  const missed = await requestUntilDrawn(d, mlp, mlpInput, (ops) => same(ops[0]!, offline));
  if (!missed) throw new DemoFailure("no request was drawn for operator 4 in 40 tries");
  const balanceBefore = await d.coordinator.balanceOf(d.requester.address);
  await timeTravel(d, 11 * 60);
  await (await d.coordinator.expire(missed.requestId, missed.request)).wait();
  const refund = (await d.coordinator.balanceOf(d.requester.address)) - balanceBefore;
  check(
    refund === missed.request.feePerOperator * missed.request.redundancy,
    `request ${missed.requestId} expired: the requester got its ${opg(refund)} back`,
  );
  // Nobody answered, so nobody is penalised: an unanswered request may have been unanswerable (a requester
  // could otherwise slash and jail honest operators at will). Misses count only beside an answer, and jail
  // only after repeated misses (docs/protocol.md, "Outcomes, agreement and liveness").
  check(
    (await staking.isEligible(offline)) && (await d.coordinator.operatorRecord(offline)).missed === 0n,
    `nobody answered request ${missed.requestId}, so nobody was penalised: operator ${OFFLINE} keeps its stake and its place`,
  );
}

async function settlement(d: Devnet): Promise<void> {
  step("Settlement: after the dispute window anyone finalizes; fees go to pools, royalty and treasury");
  await timeTravel(d, 120);
  const open = await openAnswered(d);
  if (open.length > 0) await (await finalizeAll(d.coordinator, open)).wait();
  line(`finalized ${open.length} answered requests in one batch`);
}

async function report(d: Devnet): Promise<void> {
  step("Report");
  const stats = await networkStats(d.provider, d.addresses);
  console.log(
    "  operator                                      stake        served disputed lost missed  fees accrued  status",
  );
  for (const [i, o] of stats.operators.entries()) {
    console.log(
      `  ${i} ${o.operator}  ${opg(o.stake).padStart(12)}  ${String(o.served).padStart(5)} ${String(o.disputed).padStart(8)} ${String(o.lost).padStart(4)} ${String(o.missed).padStart(6)}  ${opg(o.accruedFees).padStart(12)}  ${o.status}${o.jailed ? ", jailed" : ""}`,
    );
  }
  // Royalties accrue per model; anyone credits them to the model's current owner.
  for (const m of Object.values(d.models)) await (await d.coordinator.claimRoyalties(m.hash)).wait();
  line(
    `model owner royalties (claimed): ${opg(await d.coordinator.balanceOf(devAccount(2).address))}; treasury: ${opg(await d.coordinator.balanceOf(await d.coordinator.treasury()))}`,
  );
  line(
    `stake concentration: Nakamoto coefficient ${stats.stake.nakamoto33} (1/3) and ${stats.stake.nakamoto50} (1/2), HHI ${stats.stake.hhi}, top-5 ${Number(stats.stake.top5Bps) / 100}%`,
  );
  line(
    `selection (capped weights): Nakamoto ${stats.selection.nakamoto33} (1/3) and ${stats.selection.nakamoto50} (1/2), HHI ${stats.selection.hhi}`,
  );
  const liarStat = stats.operators[LIAR]!;
  check(liarStat.lost >= 1 && liarStat.jailed, "the liar's record shows the lost dispute and it is jailed");
}

async function main(): Promise<void> {
  const relayers: RelayerProcess[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), "verdict-demo-"));
  let devnet: Devnet | undefined;
  try {
    const chain = await startChain();
    devnet = chain.devnet;
    const d = devnet;
    const stage: Stage = {
      d,
      relayers,
      envFor: (i, extra = {}) =>
        d.relayerEnv(i, {
          VERDICT_DATA_DIR: path.join(dataDir, `op${i}`),
          VERDICT_LOG_LEVEL: "warn",
          ...extra,
        }),
      token: OPGToken__factory.connect(d.addresses.token, new NonceManager(devAccount(0, d.provider))),
      staking: Staking__factory.connect(d.addresses.staking, d.provider),
      mlp: chain.mlp,
      intModel: chain.intModel,
    };
    await fundDelegators(stage);
    await startRelayers(stage);
    await honestRequests(stage);
    await disagreementWithinTolerance(stage);
    await lieCaughtAndSlashed(stage);
    await nobodyAnswers(stage);
    await settlement(d);
    await report(d);
    console.log(`\n✅ demo finished in ${elapsed()}`);
  } catch (e) {
    for (const [i, r] of relayers.entries()) {
      const tail = [...r.lines().slice(-5), r.stderr().slice(-800)].filter(Boolean).join("\n    ");
      if (tail) console.error(`  relayer ${i} (last lines):\n    ${tail}`);
    }
    throw e;
  } finally {
    await Promise.all(relayers.filter(Boolean).map((r) => r.kill("SIGKILL").catch(() => undefined)));
    await devnet?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The inline input of a request, from its RequestCreated event. */
async function inputOf(d: Devnet, created: CreatedRequest): Promise<string> {
  const receipt = await d.provider.getTransactionReceipt(created.transactionHash);
  const { createdRequestIn } = await import("../sdk/requests.js");
  const input = createdRequestIn(receipt!.logs).input;
  if (keccak256(input) !== created.request.inputHash) throw new DemoFailure("input does not match its hash");
  return input;
}

/** Every request currently Answered, from the chain's events. */
async function openAnswered(d: Devnet): Promise<CreatedRequest[]> {
  const { assignmentsIn, createdRequestsIn, withAssignment } = await import("../sdk/requests.js");
  const logs = await d.provider.getLogs({ address: d.addresses.coordinator, fromBlock: d.deployBlock });
  // Each request as committed now: RequestCreated completed by its draw (OperatorsAssigned).
  const draws = new Map(assignmentsIn(logs).map((a) => [a.requestId, a]));
  const out: CreatedRequest[] = [];
  for (const c of createdRequestsIn(logs)) {
    const a = draws.get(c.requestId);
    if (a === undefined) continue; // never drawn: never answered
    if ((await statusOf(d.coordinator, c.requestId)) === RequestStatus.Answered)
      out.push(withAssignment(c, a));
  }
  return out;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`\n❌ demo failed after ${elapsed()}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
