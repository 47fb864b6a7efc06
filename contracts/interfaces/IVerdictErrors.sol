// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IVerdictErrors
/// @notice Errors that more than one Verdict contract raises, declared once (as OpenZeppelin's
///         draft-IERC6093 does for tokens). The contracts' own interfaces inherit it; select them as
///         `IVerdictErrors.<Error>.selector`.
interface IVerdictErrors {
    /// @notice A governed parameter `name` was given a value outside its documented bounds (an address
    ///         parameter reports 0 for the zero address).
    error InvalidParameter(bytes32 name, uint256 value);
    /// @notice Only the timelocked governance may call this.
    error NotGovernance(address caller);
    /// @notice A required address is the zero address.
    error ZeroAddress();
}
