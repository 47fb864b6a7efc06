/**
 * Issue 20.5: a requester serves its hash + URI input until the answer lands, then withdraws it (HTTP 404).
 * Before, every re-execution turned the fetch failure into "invalid input": the watchtower found the honest
 * answer "wrong", the challenger disputed it, jurors voted "invalid", the operator was slashed and the fee
 * refunded. Now re-execution that cannot fetch an input the operators attested a result for abstains. Two
 * operators run the real relayer process with watchtower share 1 and the challenger on (signers funded with
 * OPG, so a dispute could be filed); figures: honest stake lost, the requester's net, disputes opened.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import { parseEther } from "ethers";
import { request, uriParams } from "../../lib/devnet.js";
import { sleep } from "../../../sdk/retry.js";
import { Disputes__factory } from "../../../types/ethers-contracts/index.js";
import {
  answeredWithin,
  fundSigners,
  honestInput,
  openLedger,
  withRunningBed,
  type AttackBed,
} from "../../lib/node-attack.js";

async function replay(): Promise<Figures> {
  const input = honestInput(7);
  let served = 0;
  const server = createServer((_req, res) => {
    served++;
    if (served === 1) res.writeHead(200).end(Buffer.from(input));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const duty = {
    VERDICT_WATCHTOWER_SHARE: "1",
    VERDICT_CHALLENGER: "1",
    VERDICT_CHALLENGER_BOND_BUDGET: "1000",
  };
  const prepare = (bed: AttackBed): Promise<void> => fundSigners(bed.devnet, parseEther("1000"));
  try {
    return await withRunningBed({ operators: 2, env: duty, prepare }, async (bed) => {
      const { devnet } = bed;
      const ledger = await openLedger(devnet);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/input.vtn1`;
      const created = await request(devnet, uriParams(devnet.models[bed.honest.name]!, input, url));
      const answer = await answeredWithin(devnet, created.requestId, ledger.from, 60_000);
      if (answer === undefined) throw new Error("the honest operator did not answer");
      // The other operator's watchtower re-executes (and fails to fetch); give it a few polls.
      await sleep(8_000);
      return {
        "attacks.withdrawnInput.honestLossOpg": await ledger.stakeLoss(),
        "attacks.withdrawnInput.attackerNetOpg": await ledger.requesterNetOpg(),
        "attacks.withdrawnInput.disputesOpened": await disputesOpenedSince(devnet, ledger.from),
        "attacks.withdrawnInput.inputFetches": served,
      };
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

export default defineAttack(replay, {
  name: "withdrawnInput",
  description:
    "A requester serves its URI input to the first fetch only (then 404) while a second operator's watchtower and challenger re-execute the answer; real relayer processes",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0, disputesOpened: 0 },
});

/** DisputeOpened events since `from`. */
async function disputesOpenedSince(devnet: AttackBed["devnet"], from: number): Promise<number> {
  const logs = await devnet.provider.getLogs({ fromBlock: from, toBlock: "latest", topics: [] });
  const disputesInterface = Disputes__factory.createInterface();
  return logs.filter((l) => {
    try {
      return disputesInterface.parseLog({ topics: [...l.topics], data: l.data })?.name === "DisputeOpened";
    } catch {
      return false;
    }
  }).length;
}
