// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IFeeSource} from "../../interfaces/IStaking.sol";

/// @title MockFeeSource
/// @notice Test helper standing in for the request coordinator: holds fees per operator and hands them
///         to staking on {collectFees}.
contract MockFeeSource is IFeeSource {
    using SafeERC20 for IERC20;

    error OnlyStaking();

    IERC20 public immutable token;
    address public staking;
    mapping(address operator => uint256) public accrued;

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @notice Sets the staking contract allowed to collect.
    function setStaking(address staking_) external {
        staking = staking_;
    }

    /// @notice Pulls `amount` from the caller as fees for `operator`.
    function accrue(address operator, uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        accrued[operator] += amount;
    }

    /// @inheritdoc IFeeSource
    function collectFees(address operator) external returns (uint256 amount) {
        if (msg.sender != staking) revert OnlyStaking();
        amount = accrued[operator];
        if (amount == 0) return 0;
        accrued[operator] = 0;
        token.safeTransfer(msg.sender, amount);
    }
}
