/**
 * Issue 20.4: the coordinator accepts any bytes as an input URI. A requester sends one that is not valid
 * UTF-8: the SDK's decoder threw, the relayer skipped the event, and after the deadline `expire` slashed
 * and jailed every assigned operator while refunding the requester. Now every emitted event is processed
 * (lenient decoding) and the request is answered "input unavailable". Replayed against the real relayer
 * process; after the deadline anyone tries `expire`.
 */
import { defineAttack } from "../attack.js";
import type { Figures } from "../record.js";
import {
  deadlineIn,
  expireUnserved,
  openLedger,
  requestWithRawUri,
  uint8Input,
  withRunningBed,
} from "../../lib/node-attack.js";

function replay(): Promise<Figures> {
  return withRunningBed({}, async (bed) => {
    const { devnet } = bed;
    const ledger = await openLedger(devnet);
    const created = await requestWithRawUri(
      devnet,
      devnet.models[bed.honest.name]!,
      uint8Input("x", [1], [0n]),
      Uint8Array.of(0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0xc3, 0x28, 0xff),
      { deadline: await deadlineIn(devnet, 300) },
    );
    await expireUnserved(devnet, created, ledger.from, 60_000);
    return {
      "attacks.nonUtf8Uri.honestLossOpg": await ledger.stakeLoss(),
      "attacks.nonUtf8Uri.attackerNetOpg": await ledger.requesterNetOpg(),
    };
  });
}

export default defineAttack(replay, {
  name: "nonUtf8Uri",
  description:
    "A request whose input URI bytes are not valid UTF-8 (accepted by the contract), then expire after its deadline, against the real relayer process",
  maxima: { honestLossOpg: 0, attackerNetOpg: 0 },
});
