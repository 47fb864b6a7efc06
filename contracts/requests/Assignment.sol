// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking} from "../interfaces/IStaking.sol";

/// @title Assignment
/// @notice The operator draw of a request, separated from its creation (issue 16): a request takes a randomness
///         ticket when it is created and its k operators are drawn later, from the ticket's value mixed with the
///         request id only. Nothing the requester chooses (input, address, the block it sends in) enters the
///         seed, and the value does not exist while the request can still be changed.
library Assignment {
    /// @notice What {draw} found.
    enum Outcome {
        Drawn, // operators drawn from the ticket's value
        NotReady, // the ticket's value does not exist yet
        Renew // the ticket expired or the weight epoch moved past it: a new ticket is needed
    }

    /// @notice A ticket from `source`, checked to fit the 40 bits the request state keeps it in. `source`
    ///         address(0) is the built-in block-hash source: {BlockhashRandomness}'s rule without its two external
    ///         calls per request (the ticket is the current block; its hash is the value).
    function ticket(IRandomnessSource source) internal returns (uint40) {
        if (address(source) == address(0)) return uint40(block.number);
        uint256 t = source.requestRandomness();
        if (t >> 40 != 0) revert ICoordinator.TicketOutOfRange(t);
        return uint40(t);
    }

    /// @notice Draws `k` operators for `requestId` from the value of `ticket_`, if it can be used now. The seed is
    ///         keccak256(abi.encode(value, requestId)). The draw is valid only with weights fixed before the value
    ///         was known: `staking.weightEpoch().startBlock <= ticket + 1`.
    function draw(
        IRandomnessSource source,
        IStaking staking,
        uint256 requestId,
        uint256 ticket_,
        uint256 k
    ) internal view returns (Outcome outcome, address[] memory operators, bytes32 seed) {
        (bool ready, bool expired, bytes32 value) = _randomness(source, ticket_);
        if (expired) return (Outcome.Renew, operators, seed);
        if (!ready) return (Outcome.NotReady, operators, seed);
        // An epoch never starts after the current block, so in block ticket + 1 (a prompt draw) the check holds
        // without asking staking.
        if (block.number > ticket_ + 1) {
            (, uint64 startBlock) = staking.weightEpoch();
            if (startBlock > ticket_ + 1) return (Outcome.Renew, operators, seed);
        }
        seed = keccak256(abi.encode(value, requestId));
        operators = staking.selectOperators(uint256(seed), k, new address[](0));
    }

    /// @dev `source.randomness(ticket_)`, or the built-in block-hash rule for address(0) (see {ticket}).
    function _randomness(
        IRandomnessSource source,
        uint256 ticket_
    ) private view returns (bool ready, bool expired, bytes32 value) {
        if (address(source) != address(0)) return source.randomness(ticket_);
        if (block.number <= ticket_) return (false, false, bytes32(0));
        if (block.number - ticket_ > 256) return (false, true, bytes32(0));
        return (true, false, blockhash(ticket_));
    }

    /// @notice The commitment of `req` with `operators` in place of its own: bytes22(keccak256(abi.encode(req
    ///         with operators))), built from the calldata words. With no operators it is the commitment a
    ///         request is created with, which {assign} checks; with the drawn ones, the one it stores.
    /// @dev The static words are hashed as they are: when the result equals a commitment the coordinator built
    ///      from clean values, the words are those clean values.
    function commitment(
        ICoordinator.Request calldata req,
        address[] memory operators
    ) internal pure returns (bytes22) {
        uint256 buf = encodeHead(req);
        bytes32 h;
        assembly ("memory-safe") {
            let size := add(shl(5, mload(operators)), 0x20) // length word + elements
            mcopy(add(buf, 0x1e0), operators, size)
            h := keccak256(buf, add(0x1e0, size))
        }
        return bytes22(h);
    }

    /// @dev Writes the head of abi.encode(req) at the free memory pointer (without moving it): the offset of
    ///      the (dynamic) tuple, the 13 static fields copied from calldata as they are, and the offset of
    ///      `operators` within the tuple; `operators` itself goes at `buf + 0x1e0`. Returns `buf`.
    function encodeHead(ICoordinator.Request calldata req) internal pure returns (uint256 buf) {
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(buf, 0x20) // offset of the (dynamic) tuple
            calldatacopy(add(buf, 0x20), req, 0x1a0) // the 13 static fields
            mstore(add(buf, 0x1c0), 0x1c0) // offset of `operators` within the tuple
        }
    }
}
