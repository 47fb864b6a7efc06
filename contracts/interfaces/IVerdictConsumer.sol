// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IVerdictConsumer
/// @notice Implemented by contracts that receive inference results from the coordinator.
interface IVerdictConsumer {
    /// @notice Delivers a result. `outcome` 0 is a result; 1 means the input was judged invalid and
    ///         `output` holds the 32-byte reason code. `corrected` is true when a dispute overturned an
    ///         earlier (FAST mode) delivery.
    function onInferenceResult(
        uint256 requestId,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) external;
}
