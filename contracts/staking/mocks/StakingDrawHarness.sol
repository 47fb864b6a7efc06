// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "../../interfaces/IStaking.sol";

/// @title StakingDrawHarness
/// @notice Test and benchmark helper: runs {IStaking.draw} inside a transaction (so its gas shows in a
///         receipt) and counts many draws in one call (for the selection-frequency test).
contract StakingDrawHarness {
    IStaking public immutable staking;
    /// @notice The last operator drawn by {drawOnce}.
    address public last;

    constructor(IStaking staking_) {
        staking = staking_;
    }

    /// @notice Draws `k` operators from `seed` in a transaction and stores the first.
    function drawOnce(uint256 seed, uint256 k) external {
        address[] memory none = new address[](0);
        last = staking.selectOperators(seed, k, none)[0];
    }

    /// @notice Counts how often each address is drawn over `count` draws of `k`, seeds `seed + i`.
    /// @return drawn Every address returned, in order (count × k entries).
    function drawMany(
        uint256 seed,
        uint256 count,
        uint256 k,
        address[] calldata exclude
    ) external view returns (address[] memory drawn) {
        drawn = new address[](count * k);
        for (uint256 i; i < count; ++i) {
            address[] memory picked = staking.selectOperators(seed + i, k, exclude);
            for (uint256 j; j < k; ++j) drawn[i * k + j] = picked[j];
        }
    }
}
