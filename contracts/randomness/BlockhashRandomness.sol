// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title BlockhashRandomness
/// @notice The local default randomness source: a ticket taken in block N names block N + 1, whose hash nobody
///         but that block's producer knows while the ticket can still be changed. The value can be read from
///         block N + 2 on, for 256 blocks; after that the ticket has expired and a new one is needed.
/// @dev Stateless. What it does not protect against (the producer of block N + 1 can grind its hash; on some
///      rollups the sequencer produces every block) is in docs/threat-model.md, with the source each chain
///      should use instead.
contract BlockhashRandomness is IRandomnessSource {
    /// @inheritdoc IRandomnessSource
    function requestRandomness() external view returns (uint256 ticket) {
        return block.number + 1;
    }

    /// @inheritdoc IRandomnessSource
    function randomness(uint256 ticket) external view returns (bool ready, bool expired, bytes32 value) {
        if (block.number <= ticket) return (false, false, bytes32(0));
        if (block.number - ticket > 256) return (false, true, bytes32(0));
        return (true, false, blockhash(ticket));
    }
}
