// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IStaking} from "../interfaces/IStaking.sol";

/// @notice The parts of Staking the dispute contract uses beyond {IStaking}.
interface IStakingDisputes is IStaking {
    function operatorOfSigner(address signer) external view returns (address operator);

    function notifyReward(address operator, uint256 amount) external;
}

/// @notice The coordinator as the dispute contract sees it (its dispute hooks, views and escrow deposit).
interface ICoordinatorDisputes {
    function markDisputed(uint256 requestId, ICoordinator.Request calldata req, address by) external;

    function settleDispute(
        uint256 requestId,
        ICoordinator.Request calldata req,
        uint8 wrongMask,
        uint8 outcome,
        bytes calldata output
    ) external;

    function answerOf(uint256 requestId, uint256 index) external view returns (bytes32);

    function requestState(uint256 requestId) external view returns (ICoordinator.RequestState memory);

    function deposit(address account, uint256 amount) external;
}
