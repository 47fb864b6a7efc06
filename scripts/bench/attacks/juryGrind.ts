/**
 * Attack (issue 16.1, jury side): a challenger with sybil operators tries to get a jury majority of its
 * sybils by choosing when it opens the dispute, which account draws, and in which block the draw is sent,
 * undoing every draw it does not like (an EVM snapshot: stronger than any real attacker). Against the real
 * contracts the committee is drawn from the randomness ticket taken when the dispute opened, so every choice
 * after opening gives the same committee, and the opening block's hash was unknown when it opened.
 *
 * Figure: selection.juryGrind.successOverStakeShare = the attacker's rate of sybil majorities over the rate
 * its stake share gives (3 sybils among 10 equally staked eligible operators, juries of 3 drawn without
 * replacement: P(>= 2 sybils) = (C(3,2)·C(7,1) + C(3,3)) / C(10,3) = 22/120).
 */
import { parseEther } from "ethers";
import type { Attack } from "../attacks.js";
import { makeRequest, signedAnswer } from "../../../test/helpers/protocol.js";
import { deployDisputeProtocol, fundChallenger } from "../../../test/helpers/disputes.js";

export interface GrindResult {
  trials: number;
  choices: number;
  successes: number;
  expected: number;
  successOverStakeShare: number;
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}

/** P(at least a strict majority of a jury of `size` are sybils), `sybils` of `eligible` equal weights. */
export function majorityChance(eligible: number, sybils: number, size: number): number {
  let p = 0;
  for (let j = Math.floor(size / 2) + 1; j <= Math.min(size, sybils); j++) {
    p += (choose(sybils, j) * choose(eligible - sybils, size - j)) / choose(eligible, size);
  }
  return p;
}

/**
 * `trials` disputes of the same answered request (each from a snapshot), each opened after a chosen number
 * of blocks by one of two accounts, then up to `drawChoices` draws (different callers and blocks), each undone
 * unless the sybils hold the majority; the last one stands.
 */
export async function grindJury(trials: number, drawChoices: number): Promise<GrindResult> {
  // A day-long dispute window: the trials take minutes of wall-clock time, which Hardhat's clock follows.
  const p = await deployDisputeProtocol({ operators: 11, disputeWindow: 86_400 });
  const provider = p.connection.provider;
  const attackers = [p.others[0]!, p.others[1]!];
  for (const a of attackers) await fundChallenger(p, a, parseEther("1000000"));
  const created = await makeRequest(p);
  await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, "0x56544e3100"),
      "0x",
    )
  ).wait();
  const served = created.request.operators[0]!.toLowerCase();
  const eligible = p.operators.map((o) => o.address.toLowerCase()).filter((a) => a !== served);
  const sybils = new Set(eligible.slice(0, 3));
  const callers = [...attackers, p.others[2]!, p.others[3]!];
  const base = (await provider.request({ method: "evm_snapshot", params: [] })) as string;
  const now = (await p.ethers.provider.getBlock("latest"))!.timestamp;
  let successes = 0;
  let choices = 0;
  for (let t = 0; t < trials; t++) {
    const start = (await provider.request({ method: "evm_snapshot", params: [] })) as string;
    // Every trial starts at its own time (Hardhat's block hashes follow the timestamps: trials run within the
    // same wall-clock second would otherwise replay the same hashes), then opens after a chosen delay.
    await p.connection.networkHelpers.time.setNextBlockTimestamp(now + 10 + t * 7);
    await p.connection.networkHelpers.mine(1 + (t % 5)); // when the dispute opens
    const opener = attackers[t % 2]!;
    await (await p.disputes.connect(opener).openDispute(created.requestId, created.request, "0x")).wait();
    ++choices; // the opening block and account
    let won = false;
    for (let c = 0; c < drawChoices; c++) {
      const attempt = (await provider.request({ method: "evm_snapshot", params: [] })) as string;
      await p.connection.networkHelpers.mine(1 + c); // the block the draw is sent in
      await (
        await p.disputes.connect(callers[c % callers.length]!).drawJury(created.requestId, created.request)
      ).wait();
      ++choices;
      const jurors = await p.disputes.jurorsOf(created.requestId, 1);
      won = jurors.filter((j) => sybils.has(j.toLowerCase())).length * 2 > jurors.length;
      if (won || c === drawChoices - 1) break;
      await provider.request({ method: "evm_revert", params: [attempt] });
    }
    if (won) ++successes;
    await provider.request({ method: "evm_revert", params: [start] });
  }
  await provider.request({ method: "evm_revert", params: [base] });
  const expected = majorityChance(eligible.length, sybils.size, 3);
  return { trials, choices, successes, expected, successOverStakeShare: successes / trials / expected };
}

const attack: Attack = {
  description:
    "A challenger with 3 sybils among 10 eligible operators chooses the opening block, the drawing account and " +
    "the drawing block (undoing draws it dislikes) to seat a sybil jury majority; juries come from the ticket.",
  targets: { "selection.juryGrind.successOverStakeShare": { max: 1.2 } },
  run: async (_connection, quick) => {
    const r = await grindJury(quick ? 500 : 1000, 2);
    return {
      "selection.juryGrind.successOverStakeShare": Number(r.successOverStakeShare.toFixed(3)),
      "selection.juryGrind.choices": r.choices,
      "selection.juryGrind.trials": r.trials,
      "selection.juryGrind.expectedMajorityRate": Number(r.expected.toFixed(4)),
    };
  },
};
export default attack;
