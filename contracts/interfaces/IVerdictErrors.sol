// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IVerdictErrors
/// @notice Errors that more than one Verdict contract raises, declared once (as OpenZeppelin's
///         draft-IERC6093 does for tokens). The contracts' own interfaces inherit it; select them as
///         `IVerdictErrors.<Error>.selector`. Access control is OpenZeppelin's Ownable2Step everywhere: a
///         caller who is not the owner gets `OwnableUnauthorizedAccount(caller)`.
interface IVerdictErrors {
    /// @notice A governed parameter `name` was given a value outside its documented bounds (an address
    ///         parameter reports 0 for the zero address).
    error InvalidParameter(bytes32 name, uint256 value);
    /// @notice A required address is the zero address.
    error ZeroAddress();
    /// @notice An amount that must be positive is zero.
    error ZeroAmount();
    /// @notice Only the request coordinator may call this.
    error NotCoordinator(address caller);
    /// @notice The request (or the dispute's request) passed in calldata is not the one committed for `id`
    ///         (a request id for the coordinator, a dispute id for the dispute contract).
    error RequestMismatch(uint256 id);
    /// @notice The model has no referee that counts (none registered, not admitted, or its code changed).
    error NoReferee(bytes32 modelHash);
    /// @notice The referee ran out of gas or reverted without data: never a verdict.
    error RefereeFailed(uint256 disputeId);
    /// @notice An answer's outcome is not one of RESULT, INVALID_INPUT, CANNOT_SERVE.
    error BadOutcome(uint8 outcome);
    /// @notice An INVALID_INPUT / CANNOT_SERVE answer's output is not a 32-byte reason code the protocol accepts.
    error BadReasonCode();
    /// @notice A redundancy k outside 1 .. `max`.
    error RedundancyOutOfBounds(uint8 redundancy, uint8 max);
}
