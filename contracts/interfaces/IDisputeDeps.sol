// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "../interfaces/IStaking.sol";

/// @notice The parts of Staking the dispute contract uses beyond {IStaking}.
interface IStakingDisputes is IStaking {
    function operatorOfSigner(address signer) external view returns (address operator);

    function notifyReward(address operator, uint256 amount) external;
}
