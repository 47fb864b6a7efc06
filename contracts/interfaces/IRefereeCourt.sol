// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title IRefereeCourt
/// @notice Which on-chain referees count (docs/referee.md, "Admission"): governance (the timelock) admits a
///         referee for one model, bound to the EXTCODEHASH of the referee and of its weights contract. A
///         referee counts only while it is admitted for that model, is the model's registered referee, and
///         both code hashes still match; otherwise the dispute is left to the committee.
interface IRefereeCourt is IVerdictErrors {
    /// @notice An admission, as governance made it.
    struct Admission {
        address referee;
        bytes32 codeHash; // EXTCODEHASH of the referee at admission
        address weights; // the data contract the referee reads its weights from, or address(0)
        bytes32 weightsCodeHash; // EXTCODEHASH of the weights contract at admission
    }

    /// @notice The referee named is not the model's registered referee.
    error NotModelReferee(bytes32 modelHash, address referee);
    /// @notice The code hash governance stated is not the code deployed there.
    error CodeHashMismatch(address target, bytes32 expected, bytes32 actual);

    event RefereeAdmitted(
        bytes32 indexed modelHash,
        address indexed referee,
        bytes32 codeHash,
        address weights,
        bytes32 weightsCodeHash
    );
    event RefereeRevoked(bytes32 indexed modelHash, address indexed referee);

    /// @notice The referee of `modelHash` that counts now, or address(0).
    function admittedReferee(bytes32 modelHash) external view returns (address);

    /// @notice Runs the model's admitted referee on `input`. outcome 0: `output` is the canonical output;
    ///         outcome 1: the input is invalid and `output` is the 32-byte reason code (the first argument of
    ///         the referee's one-word custom error, else 1). Reverts {NoReferee} without an admitted referee,
    ///         {RefereeFailed} on an empty revert (out of gas: a starved call is never a verdict).
    function evaluate(
        uint256 disputeId,
        bytes32 modelHash,
        bytes calldata input
    ) external view returns (uint8 outcome, bytes memory output);
}
