/**
 * Issue 15.7: governance tries to take stake. The timelock (Staking's owner, Ownable2Step) schedules and
 * executes every call that could make it a slasher (a second `setSlashers`, a new fee source), hands
 * ownership to an accomplice key that acts without any delay (`transferOwnership`, then the accomplice's
 * `acceptOwnership` and its own `setSlashers`), then both call `slash` and `jail` on an honest operator. The
 * slashers were fixed once at wiring, so every door is shut: nothing moves.
 */
import { formatEther } from "ethers";
import type { Attack } from "../attacks.js";
import { deployProtocol, governed } from "../../../test/helpers/protocol.js";

const attack: Attack = {
  description:
    "The governance timelock tries to make itself a slasher (setSlashers again, setFeeSource, ownership handed " +
    "to an accomplice key without delay) and to slash an honest operator's pool to itself.",
  targets: {
    "attacks.governanceSlasher.honestLossOpg": { max: 0 },
    "attacks.governanceSlasher.attackerNetOpg": { max: 0 },
  },
  run: async () => {
    const p = await deployProtocol({ operators: 3 });
    const victim = p.operators[0]?.address;
    if (!victim) throw new Error("no operator");
    const staking = await p.staking.getAddress();
    const timelock = await p.timelock.getAddress();
    const poolBefore = await p.staking.poolAssets(victim);
    const signers = await p.ethers.getSigners();
    const accomplice = signers[signers.length - 1]!;
    const accompliceAddress = await accomplice.getAddress();
    const attackerBalance = async (): Promise<bigint> =>
      (await p.token.balanceOf(timelock)) + (await p.token.balanceOf(accompliceAddress));
    const attackerBefore = await attackerBalance();

    const doors = [
      p.staking.interface.encodeFunctionData("setSlashers", [timelock, timelock]),
      p.staking.interface.encodeFunctionData("setFeeSource", [timelock]),
      p.staking.interface.encodeFunctionData("transferOwnership", [accompliceAddress]),
    ];
    for (const data of doors) {
      try {
        await governed(p, staking, data);
      } catch {
        // refused: the door is shut
      }
    }
    // The accomplice, now the pending owner, takes ownership and tries the wiring door with no delay at all.
    const asAccomplice = p.staking.connect(accomplice);
    for (const attempt of [
      () => asAccomplice.acceptOwnership(),
      () => asAccomplice.setSlashers(accompliceAddress, accompliceAddress),
      () => asAccomplice.setFeeSource(accompliceAddress),
    ]) {
      try {
        await (await attempt()).wait();
      } catch {
        // refused: SlashersAlreadySet / FeeSourceAlreadySet
      }
    }
    // Whatever went through above, the timelock and the accomplice now try to slash and jail directly.
    await p.connection.networkHelpers.impersonateAccount(timelock);
    await p.connection.networkHelpers.setBalance(timelock, 10n ** 20n);
    const asTimelock = p.staking.connect(await p.ethers.getSigner(timelock));
    const until = BigInt(Math.floor(Date.now() / 1000)) + 10n ** 9n;
    for (const attempt of [
      () => asTimelock.slash(victim, poolBefore / 2n, 0),
      () => asTimelock.jail(victim, until),
      () => asAccomplice.slash(victim, poolBefore / 2n, 0),
      () => asAccomplice.jail(victim, until),
    ]) {
      try {
        await (await attempt()).wait();
      } catch {
        // NotSlasher
      }
    }
    const loss = poolBefore - (await p.staking.poolAssets(victim));
    const jailed = (await p.staking.getOperator(victim)).jailed;
    const gain = (await attackerBalance()) - attackerBefore;
    return {
      "attacks.governanceSlasher.honestLossOpg": Number(formatEther(loss)) + (jailed ? 1e9 : 0),
      "attacks.governanceSlasher.attackerNetOpg": Number(formatEther(gain)),
    };
  },
};
export default attack;
