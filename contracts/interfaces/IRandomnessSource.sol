// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRandomnessSource
/// @notice Where operator and jury draws get their randomness: a value that nobody could know while they could
///         still act on it. A draw first asks for a ticket (fixing *which* future value it will use), and draws
///         only once that value exists. The deployment chooses the source: {BlockhashRandomness} (the local
///         default: the hash of the block the ticket was taken in), or an adapter to a VRF or a beacon.
///         docs/threat-model.md ("Selection nobody can steer") says which source a deployment on each chain
///         should use.
///
///         A ticket is a block number T: the value must be unknowable to anyone acting in a block before T,
///         and stake weights fixed at the start of block T + 1 or earlier may be drawn with it (the coordinator
///         checks `IStaking.weightEpoch().startBlock <= T + 1`). Tickets must stay below 2^40. The coordinator
///         treats a source of address(0) as {BlockhashRandomness} built in (same rule, no external calls).
///
///         Shape of a VRF or beacon adapter (e.g. Chainlink VRF v2.5, drand via a relay, an L1 RANDAO oracle):
///         - `requestRandomness()` sends at most one request to the oracle per block (the first caller in block
///           N pays for it; later callers in N share it), remembers `oracleRequestId[N]`, and returns N.
///         - the oracle's callback (e.g. `fulfillRandomWords`) stores `value[N]`, after checking it is the
///           oracle calling.
///         - `randomness(N)` returns (true, false, value[N]) once stored; (false, false, 0) before; and
///           (false, true, 0) when the oracle missed its own deadline (e.g. 256 blocks), so that the draw takes
///           a new ticket instead of waiting forever.
///         The value is fixed by the oracle after block N, so no participant of block N or earlier knows it, and
///         a beacon value cannot be withheld by a single block producer.
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
