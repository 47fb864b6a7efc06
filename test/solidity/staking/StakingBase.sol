// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {MockFeeSource} from "../../../contracts/staking/mocks/MockFeeSource.sol";
import {Test} from "../utils/Test.sol";

/// @notice Shared set-up: OPG, Staking administered by this test contract (also the slasher), a mock fee
///         source, and helpers to register operators and delegate.
abstract contract StakingBase is Test {
    OPGToken internal token;
    Staking internal staking;
    MockFeeSource internal fees;

    uint256 internal constant SUPPLY = 1e12 ether;
    uint256 internal constant MIN_SELF = 1_000 ether;

    address internal constant OP1 = address(0x1001);
    address internal constant OP2 = address(0x1002);
    address internal constant OP3 = address(0x1003);
    address internal constant SIGNER1 = address(0x5001);
    address internal constant SIGNER2 = address(0x5002);
    address internal constant SIGNER3 = address(0x5003);
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    /// @dev The second fixed slasher (this test contract is the first).
    address internal constant DISPUTES = address(0xD15);

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new OPGToken(address(this), SUPPLY);
        staking = new Staking(IERC20(address(token)), address(this));
        staking.setSlashers(address(this), DISPUTES);
        fees = new MockFeeSource(IERC20(address(token)));
        fees.setStaking(address(staking));
        staking.setFeeSource(address(fees));
        token.approve(address(fees), type(uint256).max);
        token.approve(address(staking), type(uint256).max);
    }

    function _fund(address who, uint256 amount) internal {
        token.transfer(who, amount);
        vm.prank(who);
        token.approve(address(staking), type(uint256).max);
    }

    function _register(address op, address signer, uint16 commissionBps, uint256 selfStake) internal {
        _fund(op, selfStake);
        vm.prank(op);
        staking.registerOperator(signer, commissionBps, "ipfs://op", selfStake);
    }

    function _delegate(address who, address op, uint256 amount) internal returns (uint256 shares) {
        _fund(who, amount);
        vm.prank(who);
        shares = staking.delegate(op, amount);
    }

    function _undelegate(address who, address op, uint256 shares) internal returns (uint256 id) {
        vm.prank(who);
        id = staking.undelegate(op, shares);
    }

    /// @dev Moves to the next weight epoch: changes made so far count for the draw.
    function _nextEpoch() internal {
        vm.roll(block.number + staking.EPOCH_BLOCKS());
    }

    /// @dev Lets delegations made so far activate (earn rewards, carry weight): past the activation delay,
    ///      then a poke of each pool and the next epoch.
    function _activateAll(address[] memory ops) internal {
        vm.warp(block.timestamp + staking.activationDelay());
        for (uint256 i; i < ops.length; ++i) staking.syncRewards(ops[i]);
        _nextEpoch();
    }

    /// @dev Pool state as (assets, totalShares, queuedShares).
    function _pool(address op) internal view returns (uint256 a, uint256 s, uint256 q) {
        Staking.OperatorInfo memory info = staking.getOperator(op);
        return (info.assets, info.totalShares, info.queuedShares);
    }
}
