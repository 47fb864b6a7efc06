// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IReferee} from "../../../contracts/interfaces/IReferee.sol";

/// @notice A stand-in on-chain referee for the dispute invariants: the input is VTN1's 5-byte header and a
///         big-endian uint64 seed. Seeds divisible by 5 are "invalid input" (a one-word custom error whose
///         argument is the reason code 3); every other input's output is the one-byte tensor `VTN1 ‖ 0`.
contract SeedReferee is IReferee {
    /// @notice The reason code the referee gives for a rejected input.
    bytes32 public constant REASON = bytes32(uint256(3));

    error InputRejected(bytes32 reason);

    /// @inheritdoc IReferee
    function evaluate(bytes calldata input) external pure returns (bytes memory output) {
        if (input.length != 13) revert InputRejected(REASON);
        if (uint64(bytes8(input[5:13])) % 5 == 0) revert InputRejected(REASON);
        return abi.encodePacked(bytes5(0x56544e3100), uint8(0));
    }
}
