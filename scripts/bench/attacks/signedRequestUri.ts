/**
 * Issue 15.6: the carrier of a signed inline request resubmits it as hash + URI (a URI it controls): the
 * nonce would be consumed and the genuine submission fail. The signature now binds the input's form.
 */
import { ZeroAddress, keccak256 } from "ethers";
import type { Attack } from "../attacks.js";
import { InputKind, signInferenceRequest, verdictDomain } from "../../../sdk/eip712.js";
import { FEE, deployProtocol } from "../../../test/helpers/protocol.js";

const attack: Attack = {
  description:
    "A carrier resubmits a signed inline request as hash + URI of its choosing, to burn the nonce and make the " +
    "genuine submission fail.",
  targets: {
    "attacks.signedRequestUri.honestLossOpg": { max: 0 },
    "attacks.signedRequestUri.attackerNetOpg": { max: 0 },
  },
  run: async () => {
    const p = await deployProtocol();
    const requester = await p.requester.getAddress();
    const input = new Uint8Array([0x56, 0x54, 0x4e, 0x31, 0]);
    const base = {
      modelHash: p.modelHash,
      redundancy: 1,
      maxFee: FEE,
      deadline: 0n,
      callback: ZeroAddress,
      callbackGasLimit: 0,
      finality: 0,
    };
    const now = BigInt((await p.ethers.provider.getBlock("latest"))!.timestamp);
    const message = {
      ...base,
      finality: 0 as const,
      requester,
      inputHash: keccak256(input),
      inputKind: InputKind.INLINE,
      inputURI: "",
      nonce: 0n,
      signatureDeadline: now + 600n,
    };
    const signature = await signInferenceRequest(
      p.requester,
      verdictDomain(p.chainId, await p.coordinator.getAddress()),
      message,
    );
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
        await carrier.requestInferenceSigned(
          { ...base, input, inputHash: "0x" + "00".repeat(32), inputURI: "" },
          requester,
          0n,
          message.signatureDeadline,
          signature,
        )
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
  },
};
export default attack;
