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
import type { Attack } from "../attacks.js";
import { formatEther, parseEther } from "ethers";
import { request, uriParams } from "../../lib/devnet.js";
import { Disputes__factory } from "../../../types/ethers-contracts/index.js";
import {
  answeredWithin,
  attackBed,
  fundSigners,
  honestInput,
  requesterBalance,
  stakeLoss,
  stakes,
} from "../../lib/node-attack.js";

const attack: Attack = {
  description:
    "A requester serves its URI input to the first fetch only (then 404) while a second operator's watchtower " +
    "and challenger re-execute the answer; real relayer processes",
  targets: {
    "attacks.withdrawnInput.honestLossOpg": { max: 0 },
    "attacks.withdrawnInput.attackerNetOpg": { max: 0 },
    "attacks.withdrawnInput.disputesOpened": { max: 0 },
  },
  async run() {
    const bed = await attackBed(2);
    const input = honestInput(7);
    let served = 0;
    const server = createServer((_req, res) => {
      served++;
      if (served === 1) res.writeHead(200).end(Buffer.from(input));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { devnet } = bed;
      await fundSigners(devnet, parseEther("1000"));
      const duty = {
        VERDICT_WATCHTOWER_SHARE: "1",
        VERDICT_CHALLENGER: "1",
        VERDICT_CHALLENGER_BOND_BUDGET: "1000",
      };
      const relayers = [bed.startRelayer(0, duty), bed.startRelayer(1, duty)];
      for (const r of relayers) await r.waitFor((l) => l.includes("chain loop started"), 120_000);
      const before = await stakes(devnet);
      const balance = await requesterBalance(devnet);
      const from = await devnet.provider.getBlockNumber();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/input.vtn1`;
      const created = await request(devnet, uriParams(devnet.models[bed.honest.name]!, input, url));
      const answer = await answeredWithin(devnet, created.requestId, from, 60_000);
      if (answer === undefined) throw new Error("the honest operator did not answer");
      // The other operator's watchtower re-executes (and fails to fetch); give it a few polls.
      await new Promise((r) => setTimeout(r, 8_000));
      const opened = await devnet.provider.getLogs({
        fromBlock: from,
        toBlock: "latest",
        topics: [],
      });
      const disputesInterface = Disputes__factory.createInterface();
      const disputes = opened.filter((l) => {
        try {
          return (
            disputesInterface.parseLog({ topics: [...l.topics], data: l.data })?.name === "DisputeOpened"
          );
        } catch {
          return false;
        }
      }).length;
      return {
        "attacks.withdrawnInput.honestLossOpg": await stakeLoss(devnet, before),
        "attacks.withdrawnInput.attackerNetOpg": Number(
          formatEther((await requesterBalance(devnet)) - balance),
        ),
        "attacks.withdrawnInput.disputesOpened": disputes,
        "attacks.withdrawnInput.inputFetches": served,
      };
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await bed.stop();
    }
  },
};

export default attack;
