/**
 * Operator grinding (issue 16): a requester that wants its request drawn for one chosen operator tries many
 * choices it controls (the input, i.e. its hash; which of its addresses sends; how many blocks it waits before
 * sending) and, for each request it sends, picks the choice its best prediction of the draw favours: the seed
 * as it would be if the ticket's block were the latest block it can see (the old draw mixed the input hash and
 * the requester into the seed, so this used to win ~100 % of the time after a few tries). The draw now uses
 * the hash of the request's own block and the request id only, so none of the choices moves it: the attacker's
 * hit rate must stay within noise of the operator's stake share. Real contracts on Hardhat's EVM.
 *
 * Figure: `selection.operatorGrind.successOverStakeShare` (hit rate / stake share; target ≤ 1.2).
 */
import { AbiCoder, keccak256, type Signer } from "ethers";
import type { Attack } from "../attacks.js";
import { FEE, deployProtocol, type Protocol } from "../../../test/helpers/protocol.js";
import { RequestStatus, assignmentsIn, createdRequestIn } from "../../../sdk/requests.js";

const coder = AbiCoder.defaultAbiCoder();

export interface GrindResult {
  /** Requests sent (each after choosing among `choicesPerRequest` candidates). */
  requests: number;
  /** Attacker choices evaluated in total (candidates × requests). */
  choices: number;
  hits: number;
  hitRate: number;
  stakeShare: number;
  successOverStakeShare: number;
  /** How often the attacker's prediction named the target (≈ 1 when it found a favourable candidate). */
  predictedTargetRate: number;
}

/** An attacker's choice for one request: the input (its hash), the sending address, blocks waited. */
interface Candidate {
  input: Uint8Array;
  from: Signer;
  wait: number;
}

/** The target's share of the total effective stake (its fair draw rate). */
async function stakeShareOf(p: Protocol, target: string): Promise<number> {
  const weights = await Promise.all(p.operators.map((o) => p.staking.effectiveWeight(o.address)));
  const total = weights.reduce((a, b) => a + b, 0n);
  return Number(weights[p.operators.findIndex((o) => o.address === target)]!) / Number(total);
}

/** Three attacker addresses, each with a prepaid balance for all its requests. */
async function fundAttackers(p: Protocol, requests: number): Promise<Signer[]> {
  const attackers: Signer[] = p.others.slice(0, 3);
  const coordinator = await p.coordinator.getAddress();
  for (const a of attackers) {
    const addr = await a.getAddress();
    const amount = FEE * BigInt(requests);
    await (await p.token.connect(p.deployer).transfer(addr, amount)).wait();
    await (await p.token.connect(a).approve(coordinator, amount)).wait();
    await (await p.coordinator.connect(a).deposit(addr, amount)).wait();
  }
  return attackers;
}

/**
 * Candidates: a fresh input (its hash), a requester, blocks to wait. Predicts each one's draw from the latest
 * block and takes the first the prediction favours (`favourable`), else the first candidate.
 */
async function chooseCandidate(
  p: Protocol,
  attackers: readonly Signer[],
  target: string,
  choices: number,
  nextNonce: () => number,
): Promise<{ chosen: Candidate; favourable: boolean }> {
  const latest = (await p.ethers.provider.getBlock("latest"))!;
  const id = await p.coordinator.nextRequestId();
  let chosen: Candidate | undefined;
  for (let c = 0; c < choices; c++) {
    const input = new Uint8Array([
      0x56,
      0x54,
      0x4e,
      0x31,
      0,
      ...new TextEncoder().encode(String(nextNonce())),
    ]);
    const from = attackers[c % attackers.length]!;
    const wait = c % 3;
    const guess = BigInt(
      keccak256(
        coder.encode(
          ["bytes32", "uint256", "address", "bytes32", "uint256"],
          [latest.hash!, id, await from.getAddress(), keccak256(input), wait],
        ),
      ),
    );
    const predicted = (await p.staking.selectOperators(guess, 1, []))[0];
    if (predicted === target) return { chosen: { input, from, wait }, favourable: true };
    chosen ??= { input, from, wait };
  }
  if (chosen === undefined) throw new Error("no candidate");
  return { chosen, favourable: false };
}

/** Sends the chosen request after its wait, draws it at once and returns the operator drawn. */
async function sendAndDraw(p: Protocol, chosen: Candidate): Promise<string> {
  const id = await p.coordinator.nextRequestId();
  if (chosen.wait > 0) await p.connection.networkHelpers.mine(chosen.wait);
  const params = {
    modelHash: p.modelHash,
    input: chosen.input,
    inputHash: "0x" + "00".repeat(32),
    inputURI: "",
    redundancy: 1,
    maxFee: FEE,
    deadline: 0n,
    callback: "0x0000000000000000000000000000000000000000",
    callbackGasLimit: 0,
    finality: 0,
  };
  const sent = await (await p.coordinator.connect(chosen.from).requestInference(params)).wait();
  if (sent === null) throw new Error("no receipt");
  if ((await p.coordinator.requestState(id)).status !== BigInt(RequestStatus.Requested))
    throw new Error("request not Requested");
  const created = createdRequestIn(sent.logs);
  // The attacker draws itself, as early as it can (it gains nothing by waiting: the value is fixed).
  const assigned = await (await p.coordinator.connect(chosen.from).assign(id, created.request)).wait();
  const drawn = assignmentsIn(assigned!.logs)[0];
  if (drawn === undefined) throw new Error(`request ${id} was not drawn`);
  return drawn.operators[0]!;
}

/**
 * Runs the grind on a protocol with `operators` equally staked operators (target: the first); `requests`
 * requests, each choosing among `choicesPerRequest` candidates (input nonce × requester × blocks waited).
 */
export async function operatorGrind(
  p: Protocol,
  opts: { requests: number; choicesPerRequest: number },
): Promise<GrindResult> {
  const target = p.operators[0]!.address;
  const stakeShare = await stakeShareOf(p, target);
  const attackers = await fundAttackers(p, opts.requests);
  let hits = 0;
  let predictedTarget = 0;
  let nonce = 0;
  for (let r = 0; r < opts.requests; r++) {
    const { chosen, favourable } = await chooseCandidate(
      p,
      attackers,
      target,
      opts.choicesPerRequest,
      () => nonce++,
    );
    if ((await sendAndDraw(p, chosen)) === target) hits++;
    if (favourable) predictedTarget++;
  }
  const hitRate = hits / opts.requests;
  return {
    requests: opts.requests,
    choices: opts.requests * opts.choicesPerRequest,
    hits,
    hitRate,
    stakeShare,
    successOverStakeShare: hitRate / stakeShare,
    predictedTargetRate: predictedTarget / opts.requests,
  };
}

const attack: Attack = {
  description:
    "A requester grinds its input hash, sending address and send block (4 candidates per request, 1,000 " +
    "requests) to have a chosen operator drawn; the draw uses only the hash of the request's own block and " +
    "the request id (issue 16), so its hit rate stays at the operator's stake share.",
  targets: { "selection.operatorGrind.successOverStakeShare": { max: 1.2 } },
  run: async () => {
    const p = await deployProtocol({ operators: 5 });
    const r = await operatorGrind(p, { requests: 1_000, choicesPerRequest: 4 });
    return {
      "selection.operatorGrind.successOverStakeShare": Math.round(r.successOverStakeShare * 1000) / 1000,
      "selection.operatorGrind.hitRate": Math.round(r.hitRate * 1000) / 1000,
      "selection.operatorGrind.stakeShare": Math.round(r.stakeShare * 1000) / 1000,
      "selection.operatorGrind.choices": r.choices,
      "selection.operatorGrind.predictedTargetRate": Math.round(r.predictedTargetRate * 1000) / 1000,
    };
  },
};
export default attack;
