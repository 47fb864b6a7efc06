/**
 * Attack (issue 21.3): a model owner watches the mempool for a request sent with a generous maxFee and
 * front-runs it with a 100× fee increase. Against the real contracts an increase is only scheduled
 * (ModelRegistry.FEE_INCREASE_DELAY, longer than any request's life): the request pays the fee in force when
 * it was sent. Figure: attacks.feeFrontRun.lostOpg = what the requester paid above that fee.
 */
import { defineAttack } from "../attack.js";
import { FEE, makeRequest } from "../../../test/helpers/protocol.js";
import { deployDisputeProtocol } from "../../../test/helpers/disputes.js";
import { sleep } from "../../../sdk/retry.js";

const OPG = 10n ** 18n;

async function run(): Promise<Record<string, number>> {
  const p = await deployDisputeProtocol({ operators: 3 });
  const requester = await p.requester.getAddress();
  await makeRequest(p); // the coordinator now holds a copy of the terms
  const before = await p.coordinator.balanceOf(requester);
  // Same block: the owner's fee increase is ordered first, then the victim's request with maxFee = 100 fees.
  await p.connection.networkHelpers.mine();
  await p.connection.provider.request({ method: "evm_setAutomine", params: [false] });
  const raise = await p.registry.connect(p.modelOwner).setFee(p.modelHash, FEE * 100n);
  const victim = makeRequest(p, { maxFee: FEE * 100n });
  await sleep(200);
  await p.connection.provider.request({ method: "evm_mine", params: [] });
  await p.connection.provider.request({ method: "evm_setAutomine", params: [true] });
  await raise.wait();
  const created = await victim;
  const paid = before - (await p.coordinator.balanceOf(requester));
  const lost = paid > FEE ? paid - FEE : 0n;
  void created;
  return {
    "attacks.feeFrontRun.lostOpg": Number(lost) / Number(OPG),
    "attacks.feeFrontRun.paidOpg": Number(paid) / Number(OPG),
  };
}

export default defineAttack(run, {
  name: "feeFrontRun",
  description:
    "A model owner front-runs a request sent with maxFee = 100 fees by raising its fee 100×; increases wait FEE_INCREASE_DELAY (longer than a request's life), so the request pays the fee in force when sent.",
  maxima: { lostOpg: 0 },
});
