/**
 * Juror votes (docs/disputes.md): the commitment a juror posts in the commit phase. Shared by the relayer's
 * juror duty, the SDK and the tests, so there is one definition of the hash the contract checks on reveal.
 */
import { AbiCoder, keccak256 } from "ethers";

const coder = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode(disputeId, round, juror, outcome, outputHash, salt)): binds the vote to the juror. */
export function voteCommitment(
  disputeId: bigint,
  round: number | bigint,
  juror: string,
  outcome: number,
  outputHash: string,
  salt: string,
): string {
  return keccak256(
    coder.encode(
      ["uint256", "uint8", "address", "uint8", "bytes32", "bytes32"],
      [disputeId, round, juror, outcome, outputHash, salt],
    ),
  );
}
