// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IReferee
/// @notice An on-chain twin of a model: recomputes the canonical output from the canonical input.
interface IReferee {
    /// @notice The canonical output bytes (docs/protocol.md, "Tensors") for canonical `input`.
    /// @dev Reverts when the input does not fit the model; the dispute contract treats that as
    ///      "invalid input" being the right answer.
    function evaluate(bytes calldata input) external view returns (bytes memory output);
}
