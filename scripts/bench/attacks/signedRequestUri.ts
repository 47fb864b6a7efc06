/**
 * Issue 15.6: the carrier of a signed inline request resubmits it as hash + URI (a URI it controls): the
 * nonce would be consumed and the genuine submission fail. The signature now binds the input's form.
 */
import { keccak256 } from "ethers";
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { FEE, deployProtocol } from "../../../test/helpers/protocol.js";
import { signedInlineRequest } from "../../../test/helpers/attack-beds.js";

async function replay(): Promise<Figures> {
  const p = await deployProtocol();
  const { requester, input, base, inline, message, signature } = await signedInlineRequest(p);
  const carrier = p.coordinator.connect(p.others[0]!);
  let hijacked = true;
  try {
    await (
      await carrier.requestInferenceSigned(
        { ...base, input: "0x", inputHash: keccak256(input), inputURI: "file:///tmp/fifo" },
        requester,
        0n,
        message.signatureDeadline,
        signature,
      )
    ).wait();
  } catch {
    hijacked = false;
  }
  let genuine = true;
  try {
    await (
      await carrier.requestInferenceSigned(inline, requester, 0n, message.signatureDeadline, signature)
    ).wait();
  } catch {
    genuine = false;
  }
  // The requester loses its request (the fee it meant to spend on the inline input) when the genuine
  // submission fails; the carrier gains nothing in OPG either way.
  return {
    "attacks.signedRequestUri.honestLossOpg": hijacked || !genuine ? Number(FEE) / 1e18 : 0,
    "attacks.signedRequestUri.attackerNetOpg": 0,
  };
}

export default defineAttack(replay, {
  name: "signedRequestUri",
  description:
    "A carrier resubmits a signed inline request as hash + URI of its choosing, to burn the nonce and make the genuine submission fail.",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0 },
});
