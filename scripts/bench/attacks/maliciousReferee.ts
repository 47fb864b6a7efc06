/**
 * Attack (issue 15.1): a model owner registers its model with the project's own IntegerMlpReferee with one
 * bias changed, requests k = 3, disputes the three honest answers and asks its referee to slash them. Against
 * the real contracts: the referee was never admitted by governance (RefereeCourt), so `resolveByReferee`
 * refuses it and the committee recomputes the genuine output; the attacker loses its bond.
 */
import { keccak256, parseEther } from "ethers";
import { defineAttack } from "../attack.js";
import { deployIntegerRefereeFromParts, readPackedWeights } from "../../models/deploy-referee.js";
import { modelEntry, type ModelEntry } from "../../models/manifest.js";
import { FEE, assigned, increaseTime, makeRequest, signedAnswer } from "../../../test/helpers/protocol.js";
import {
  commitVotes,
  deployDisputeProtocol,
  drawJury,
  fundChallenger,
  integerInput,
  revealVotes,
  saltOf,
} from "../../../test/helpers/disputes.js";
import { refereeParts, riggedModelTerms } from "../../../test/helpers/attack-beds.js";

const OPG = 10n ** 18n;

/** `weights` with the bias of the last layer's first output raised by 2^16 (the "one bias changed" referee). */
export function riggedWeights(entry: ModelEntry, weights: Uint8Array): Uint8Array {
  const widths = entry.layers;
  let offset = 0;
  for (let l = 0; l + 2 < widths.length; l++) offset += widths[l + 1]! * (4 + 2 * widths[l]!);
  const rigged = new Uint8Array(weights);
  rigged[offset + 1] = (rigged[offset + 1]! + 1) & 0xff; // int32 big-endian: +65,536
  return rigged;
}

async function run(): Promise<Record<string, number>> {
  const entry = modelEntry("int-mlp-16x32x1");
  const p = await deployDisputeProtocol({ operators: 10 });
  const owner = p.modelOwner;
  const ownerAddress = await owner.getAddress();
  const parts = refereeParts(entry);
  const genuine = await deployIntegerRefereeFromParts(p.deployer, {
    ...parts,
    weights: readPackedWeights(entry),
  });
  const rigged = await deployIntegerRefereeFromParts(owner, {
    ...parts,
    weights: riggedWeights(entry, readPackedWeights(entry)),
  });
  const modelHash = "0x" + entry.sha256;
  await (await p.registry.connect(owner).register(riggedModelTerms(entry, rigged.refereeAddress, 3))).wait();
  const input = integerInput(
    entry,
    Array.from({ length: 16 }, (_, i) => BigInt(i * 97 - 600)),
  );
  const truth = await genuine.referee.evaluate(input);
  const lie = await rigged.referee.evaluate(input);
  if (truth === lie) throw new Error("the rigged referee computes the same output");

  // The attacker is the model owner and the requester (its own money on both sides).
  await fundChallenger(p, owner, parseEther("100000"));
  const requesterAddress = await p.requester.getAddress();
  const worth = async (): Promise<bigint> =>
    (await p.token.balanceOf(ownerAddress)) +
    (await p.disputes.claimable(ownerAddress)) +
    (await p.coordinator.balanceOf(ownerAddress)) +
    (await p.token.balanceOf(requesterAddress)) +
    (await p.coordinator.balanceOf(requesterAddress)) +
    (await p.disputes.claimable(requesterAddress)) +
    (await p.coordinator.royaltiesOf(modelHash));
  const before = await worth();

  const created = await makeRequest({ ...p, modelHash }, { input, redundancy: 3, maxFee: FEE * 3n });
  const honest = [0, 1, 2].map((i) => assigned(p, created, i).address);
  const pools0 = await Promise.all(honest.map((h) => p.staking.poolAssets(h)));
  for (let i = 0; i < 3; i++) {
    await (
      await p.coordinator.submitAnswer(
        created.requestId,
        created.request,
        await signedAnswer(p, created, i, truth),
        i === 0 ? "0x" : truth,
      )
    ).wait();
  }
  await (await p.disputes.connect(owner).openDispute(created.requestId, created.request, lie)).wait();
  let refereeRefused = 0;
  try {
    await (
      await p.disputes.connect(owner).resolveByReferee(created.requestId, created.request, input)
    ).wait();
  } catch {
    refereeRefused = 1;
  }
  // The committee (honest jurors) recomputes the genuine output.
  const jurors = await drawJury(p, created);
  const vote = (j: string) => ({ outcome: 0, outputHash: keccak256(truth), salt: saltOf(j, 1) });
  await commitVotes(p, created.requestId, 1, jurors, vote);
  await increaseTime(p, 61);
  await revealVotes(p, created.requestId, jurors, vote);
  await increaseTime(p, 61);
  await (await p.disputes.settle(created.requestId, created.request, truth, ["0x", "0x", "0x"])).wait();

  let honestLoss = 0n;
  for (const [i, h] of honest.entries()) {
    const now = await p.staking.poolAssets(h);
    if (now < pools0[i]!) honestLoss += pools0[i]! - now;
  }
  const net = (await worth()) - before;
  return {
    "attacks.maliciousReferee.honestLossOpg": Number(honestLoss) / Number(OPG),
    "attacks.maliciousReferee.attackerNetOpg": Number(net) / Number(OPG),
    "attacks.maliciousReferee.refereeRefused": refereeRefused,
  };
}

export default defineAttack(run, {
  name: "maliciousReferee",
  description:
    "A model owner names a rigged IntegerMlpReferee (one bias changed), requests k = 3, disputes the honest answers and resolves by its referee; the referee was never admitted by governance, so the committee decides.",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0 },
});
