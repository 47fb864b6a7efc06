/** Outside stake for a devnet's operators, as the demo and the explorer's story give it. */
import { parseEther } from "ethers";
import { OPGToken__factory, Staking__factory, type OPGToken } from "../../types/ethers-contracts/index.js";
import { devAccount, type Devnet } from "./devnet.js";

/**
 * Dev accounts 10, 11, … delegate 5,000, 10,000, … OPG (sent from `token`'s signer) to the first `count`
 * operators' pools; `told` hears each delegation.
 */
export async function delegateToPools(
  d: Devnet,
  token: OPGToken,
  count: number = d.operators.length,
  told?: (delegator: string, amount: bigint, i: number) => void,
): Promise<void> {
  const staking = Staking__factory.connect(d.addresses.staking, d.provider);
  for (let i = 0; i < count; i++) {
    const delegator = devAccount(10 + i, d.provider);
    const amount = parseEther(String(5_000 * (i + 1)));
    await (await token.transfer(delegator.address, amount)).wait();
    await (
      await OPGToken__factory.connect(d.addresses.token, delegator).approve(d.addresses.staking, amount)
    ).wait();
    await (await staking.connect(delegator).delegate(d.operators[i]!.address, amount)).wait();
    told?.(delegator.address, amount, i);
  }
}
