/** The bare token + staking pair the staking-side benchmarks measure (no coordinator, no timelock). */
import { network } from "hardhat";
import { parseEther } from "ethers";
import type { OPGToken, Staking } from "../../types/ethers-contracts/index.js";

type Ethers = Awaited<ReturnType<typeof network.create>>["ethers"];

/** OPG with 1e9 supply minted to `admin`, and Staking governed by `admin` (benchmarks skip the timelock). */
export async function deployTokenAndStaking(
  ethers: Ethers,
  admin: string,
): Promise<{ token: OPGToken; staking: Staking }> {
  const token = (await ethers.deployContract("OPGToken", [
    admin,
    parseEther("1000000000"),
  ])) as unknown as OPGToken;
  const staking = (await ethers.deployContract("Staking", [
    await token.getAddress(),
    admin,
  ])) as unknown as Staking;
  return { token, staking };
}
