// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRandomnessSource
/// @notice Where operator and jury draws get their randomness: a value that nobody could know while they could
///         still act on it. A draw first asks for a ticket (fixing *which* future value it will use), and draws
///         only once that value exists. The deployment chooses the source: {BlockhashRandomness} (the local
///         default: the hash of a block after the ticket was taken), or an adapter to a VRF or a beacon.
///         docs/threat-model.md says which source a deployment on each chain should use.
interface IRandomnessSource {
    /// @notice The ticket's value is not available yet (too early) or not any more (too late: ask again).
    error RandomnessNotReady(uint256 ticket);

    /// @notice Fixes the future value a draw will use and returns its ticket. Called by the coordinator and the
    ///         dispute contract when a draw is needed (a VRF adapter sends its request here).
    function requestRandomness() external returns (uint256 ticket);

    /// @notice The ticket's value once available. `ready` is false before it exists; `expired` is true when it
    ///         can no longer be read (e.g. a block hash older than 256 blocks) and a new ticket is needed.
    function randomness(uint256 ticket) external view returns (bool ready, bool expired, bytes32 value);
}
