// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICoordinator} from "../interfaces/ICoordinator.sol";

/// @notice The part of Staking the benchmark crowd calls.
interface IStakingCrowdTarget {
    function delegate(address operator, uint256 amount) external returns (uint256 shares);

    function registerOperator(
        address signer,
        uint16 commissionBps,
        string calldata metadataURI,
        uint256 selfStake
    ) external;
}

/// @title BenchMember
/// @notice One delegator or operator of the benchmark crowd: a contract account whose constructor pulls
///         `amount` from the crowd and delegates it (or registers itself as an operator with it).
contract BenchMember {
    using SafeERC20 for IERC20;

    constructor(IERC20 token, IStakingCrowdTarget staking, address operator, uint256 amount, address signer) {
        BenchCrowd(msg.sender).fund(amount);
        token.forceApprove(address(staking), amount);
        if (signer == address(0)) staking.delegate(operator, amount);
        else staking.registerOperator(signer, 1_000, "bench://crowd", amount);
    }
}

/// @title BenchCrowd
/// @notice Benchmark helper: creates many delegators or operators, or many open requests, in few transactions
///         so that scale benchmarks (1,000 delegators, 1,000 operators, 1,000 open requests) set up in seconds.
///         Never deployed outside tests and benchmarks.
contract BenchCrowd {
    using SafeERC20 for IERC20;

    /// @notice The staked token the crowd hands out.
    IERC20 public immutable token;
    /// @notice The Staking contract the members join.
    IStakingCrowdTarget public immutable staking;
    /// @notice Members created so far (also the signer-key nonce for operators).
    uint256 public members;
    /// @dev Set only while a member is being created: the amount it may pull.
    uint256 private transient _allowance;

    /// @notice `fund` was called by anyone but a member under construction, or for more than allowed.
    error NotFunding(address caller, uint256 amount);

    constructor(IERC20 token_, IStakingCrowdTarget staking_) {
        token = token_;
        staking = staking_;
    }

    /// @notice Called by a member from its constructor: sends it the amount it is to stake.
    /// @param amount The amount; must equal the amount the crowd is creating the member with.
    function fund(uint256 amount) external {
        if (_allowance == 0 || amount != _allowance) revert NotFunding(msg.sender, amount);
        _allowance = 0;
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Creates `count` delegators of `operator`, each delegating `amount` (held by this contract).
    function delegateMany(address operator, uint256 count, uint256 amount) external {
        for (uint256 i; i < count; ++i) _create(operator, amount, address(0));
    }

    /// @notice Registers one operator per entry of `stakes`, with that self-stake (held by this contract) and
    ///         a fresh signer address derived from this contract and the member count.
    function registerMany(uint256[] calldata stakes) external {
        for (uint256 i; i < stakes.length; ++i) {
            address signer = address(
                uint160(uint256(keccak256(abi.encode(address(this), members, "signer"))))
            );
            _create(address(0), stakes[i], signer);
        }
    }

    /// @notice Makes `count` identical requests paid from this contract's prepaid balance at `coordinator`.
    function requestMany(
        ICoordinator coordinator,
        ICoordinator.RequestParams calldata params,
        uint256 count
    ) external {
        for (uint256 i; i < count; ++i) coordinator.requestInference(params);
    }

    function _create(address operator, uint256 amount, address signer) private {
        _allowance = amount;
        new BenchMember(token, staking, operator, amount, signer);
        ++members;
    }
}
