/**
 * Attack (issue 21.3): the example consumer's prepaid escrow drained by strangers. The VoiceActivityGate is
 * funded with 100 OPG; an account holding 0 OPG calls checkSpeech 50 times with maxFee = 100 OPG. Against the
 * real contracts only the owner and the askers it allows spend the prepaid balance (at most the fee cap per
 * check); anyone else pays its own check, so the stranger's calls revert and the owner withdraws everything.
 * Figure: attacks.consumerDrain.lostOpg = prepaid OPG the gate's owner can no longer withdraw.
 */
import { Wallet, parseEther } from "ethers";
import { defineAttack } from "../attack.js";
import { FEE } from "../../../test/helpers/protocol.js";
import { deployDisputeProtocol } from "../../../test/helpers/disputes.js";
import type { VoiceActivityGate } from "../../../types/ethers-contracts/index.js";

const OPG = 10n ** 18n;

async function run(): Promise<Record<string, number>> {
  const p = await deployDisputeProtocol({ operators: 3 });
  const owner = p.requester;
  const ownerAddress = await owner.getAddress();
  const gate = (await p.ethers.deployContract(
    "VoiceActivityGate",
    [await p.coordinator.getAddress(), await p.token.getAddress(), p.modelHash, 500_000, FEE * 2n],
    owner,
  )) as unknown as VoiceActivityGate;
  const gateAddress = await gate.getAddress();
  const prepaid = parseEther("100");
  await (await p.token.connect(p.deployer).transfer(ownerAddress, prepaid)).wait();
  await (await p.token.connect(owner).approve(gateAddress, prepaid)).wait();
  await (await gate.connect(owner).fund(prepaid)).wait();

  const stranger = Wallet.createRandom().connect(p.ethers.provider);
  await p.connection.networkHelpers.setBalance(stranger.address, parseEther("10"));
  let drained = 0;
  for (let i = 0; i < 50; i++) {
    try {
      await (
        await gate.connect(stranger).checkSpeech(new Uint8Array([0x56, 0x54, 0x4e, 0x31, i]), prepaid)
      ).wait();
      drained++;
    } catch {
      // refused: the stranger must pay its own check
    }
  }
  const left = await p.coordinator.balanceOf(gateAddress);
  const before = await p.token.balanceOf(ownerAddress);
  if (left > 0n) await (await gate.connect(owner).withdrawEscrow(ownerAddress, left)).wait();
  const recovered = (await p.token.balanceOf(ownerAddress)) - before;
  return {
    "attacks.consumerDrain.lostOpg": Number(prepaid - recovered) / Number(OPG),
    "attacks.consumerDrain.strangerChecksPaidByGate": drained,
  };
}

export default defineAttack(run, {
  name: "consumerDrain",
  description:
    "A stranger with 0 OPG calls the example VoiceActivityGate's checkSpeech 50 times with maxFee = the whole prepaid 100 OPG; strangers pay their own checks, so the owner withdraws all of it.",
  maxima: { lostOpg: 0 },
});
