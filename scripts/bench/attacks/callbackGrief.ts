/**
 * Issue 15.9: a zero-fee model plus a gas-burning FAST callback made the first answering operator pay ~388k gas
 * for 0 OPG. Now a request with a callback needs a fee per operator covering the callback's gas at the governed
 * callback gas price.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { encodeTensors } from "../../../sdk/tensor.js";
import { deployProtocol, makeRequest, signedAnswer } from "../../../test/helpers/protocol.js";
import { callbackRequest, registerZeroFeeModel } from "../../../test/helpers/attack-beds.js";

async function replay(): Promise<Figures> {
  const p = await deployProtocol();
  const burner = await p.ethers.deployContract("GasBurningConsumer");
  const zeroFee = await registerZeroFeeModel(p);
  const gasLimit = 300_000;
  const price = (await p.coordinator.params()).callbackGasPrice * 10n ** 9n; // OPG wei per gas
  let accepted = true;
  try {
    await (
      await p.coordinator
        .connect(p.requester)
        .requestInference(callbackRequest(zeroFee, await burner.getAddress(), gasLimit))
    ).wait();
  } catch {
    accepted = false;
  }
  // With a paying model the same callback goes through; the operator that posts the first answer pays
  // the callback's gas (valued at the governed price) and is owed at least the fee per operator.
  const created = await makeRequest(p, { callback: await burner.getAddress(), callbackGasLimit: gasLimit });
  const receipt = await (
    await p.coordinator.submitAnswer(
      created.requestId,
      created.request,
      await signedAnswer(p, created, 0, encodeTensors([])),
      "0x",
    )
  ).wait();
  const callbackCost = BigInt(gasLimit) * price;
  const fee = created.request.feePerOperator;
  const loss = (accepted ? BigInt(gasLimit) * price : 0n) + (callbackCost > fee ? callbackCost - fee : 0n);
  if (!receipt) throw new Error("no receipt");
  return {
    "attacks.callbackGrief.honestLossOpg": Number(loss) / 1e18,
    "attacks.callbackGrief.attackerNetOpg": 0,
  };
}

export default defineAttack(replay, {
  name: "callbackGrief",
  description:
    "A requester registers a zero-fee model and asks with a gas-burning FAST callback, so that the first answering operator pays the callback's gas for nothing.",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0 },
});
