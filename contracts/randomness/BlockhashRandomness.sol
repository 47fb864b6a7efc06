// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title BlockhashRandomness
/// @notice The local default randomness source: a ticket taken in block N names block N itself, whose hash
///         nobody sending a transaction into block N can know (it commits to the whole block, including that
///         transaction) and nobody but that block's producer can steer. The value can be read from block N + 1
///         on, for 256 blocks; after that the ticket has expired and a new one is needed. Inside block N the
///         value does not exist yet (`blockhash(block.number)` is zero), so "request, then draw in the same
///         transaction or block" is refused.
/// @dev Stateless. What it does not protect against (the producer of block N can grind its hash; on rollups
///      the sequencer produces every block) is in docs/threat-model.md, "Selection nobody can steer", with the
///      source each chain should use instead.
contract BlockhashRandomness is IRandomnessSource {
    /// @inheritdoc IRandomnessSource
    function requestRandomness() external view returns (uint256 ticket) {
        return block.number;
    }

    /// @inheritdoc IRandomnessSource
    function randomness(uint256 ticket) external view returns (bool ready, bool expired, bytes32 value) {
        if (block.number <= ticket) return (false, false, bytes32(0));
        if (block.number - ticket > 256) return (false, true, bytes32(0));
        return (true, false, blockhash(ticket));
    }
}
