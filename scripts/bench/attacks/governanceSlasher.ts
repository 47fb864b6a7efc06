/**
 * Issue 15.7: governance tries to take stake. The timelock (the deployment's only admin) schedules and
 * executes every call that could make it a slasher (a second `setSlashers`, `grantRole` of the old
 * SLASHER_ROLE, a new fee source), then calls `slash` and `jail` on an honest operator itself. The slashers
 * were fixed once at wiring, so every door is shut: nothing moves.
 */
import { formatEther, id } from "ethers";
import type { Attack } from "../attacks.js";
import { deployProtocol, governed } from "../../../test/helpers/protocol.js";

const attack: Attack = {
  description:
    "The governance timelock tries to make itself a slasher (setSlashers again, grantRole(SLASHER_ROLE), " +
    "setFeeSource) and to slash an honest operator's pool to itself.",
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
    const attackerBefore = await p.token.balanceOf(timelock);

    const doors = [
      p.staking.interface.encodeFunctionData("setSlashers", [timelock, timelock]),
      p.staking.interface.encodeFunctionData("grantRole", [id("SLASHER_ROLE"), timelock]),
      p.staking.interface.encodeFunctionData("setFeeSource", [timelock]),
    ];
    for (const data of doors) {
      try {
        await governed(p, staking, data);
      } catch {
        // refused: the door is shut
      }
    }
    // Whatever went through above, the timelock now tries to slash and jail directly.
    await p.connection.networkHelpers.impersonateAccount(timelock);
    await p.connection.networkHelpers.setBalance(timelock, 10n ** 20n);
    const asTimelock = p.staking.connect(await p.ethers.getSigner(timelock));
    for (const attempt of [
      () => asTimelock.slash(victim, poolBefore / 2n, 0),
      () => asTimelock.jail(victim, BigInt(Math.floor(Date.now() / 1000)) + 10n ** 9n),
    ]) {
      try {
        await (await attempt()).wait();
      } catch {
        // NotSlasher
      }
    }
    const loss = poolBefore - (await p.staking.poolAssets(victim));
    const jailed = (await p.staking.getOperator(victim)).jailed;
    const gain = (await p.token.balanceOf(timelock)) - attackerBefore;
    return {
      "attacks.governanceSlasher.honestLossOpg": Number(formatEther(loss)) + (jailed ? 1e9 : 0),
      "attacks.governanceSlasher.attackerNetOpg": Number(formatEther(gain)),
    };
  },
};
export default attack;
