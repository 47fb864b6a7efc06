// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title IEscrow
/// @notice Prepaid fee balances held by the request coordinator.
interface IEscrow is IVerdictErrors {
    /// @notice Deposits `amount` from the caller into `account`'s balance.
    function deposit(address account, uint256 amount) external;

    /// @notice Withdraws `amount` of the caller's balance to `to`.
    function withdraw(address to, uint256 amount) external;

    /// @notice Withdrawable balance of `account`.
    function balanceOf(address account) external view returns (uint256);
}
