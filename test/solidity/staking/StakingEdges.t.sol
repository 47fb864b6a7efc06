// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IFeeSource, IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {StakingBase} from "../staking/StakingBase.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @dev A hostile fee source: on collection it calls back into staking (the guard must stop it).
contract ReentrantFeeSource is IFeeSource {
    Staking internal immutable staking;

    constructor(Staking staking_) {
        staking = staking_;
    }

    function collectFees(address operator) external returns (uint256) {
        staking.syncRewards(operator);
        return 0;
    }
}

/// @notice Staking paths outside the draw that the main suites leave out: the reentrancy guard, operator-only
///         calls, signer-key rules, lifecycle errors, every governance parameter with its bounds, a depleted
///         pool, and the views. Each bad call reverts with its typed error and leaves the state as it was.
contract StakingEdgesTest is StakingBase {
    bytes32 internal constant P_MIN_SELF = "minSelfStake";
    bytes32 internal constant P_UNBONDING = "unbondingPeriod";
    bytes32 internal constant P_EXIT = "exitDelay";
    bytes32 internal constant P_SIGNER = "signerRotationDelay";
    bytes32 internal constant P_COMMISSION = "commissionDelay";
    bytes32 internal constant P_WINDOW = "slashWindow";
    bytes32 internal constant P_MAX_COMMISSION = "maxCommissionBps";
    bytes32 internal constant P_SLASH_CAP = "slashCapBps";
    bytes32 internal constant P_WEIGHT_CAP = "weightCapBps";

    function testConstructorRejectsZeroAddresses() public {
        vm.expectRevert(IVerdictErrors.ZeroAddress.selector);
        new Staking(IERC20(address(0)), address(this));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new Staking(IERC20(address(token)), address(0));
    }

    function testReentrantFeeSourceIsStopped() public {
        // The fee source is set once, so the hostile one is wired into a fresh staking contract.
        staking = new Staking(IERC20(address(token)), address(this));
        staking.setFeeSource(address(new ReentrantFeeSource(staking)));
        _fund(OP1, MIN_SELF);
        vm.expectRevert(Staking.Reentrancy.selector);
        vm.prank(OP1);
        staking.registerOperator(SIGNER1, 1_000, "ipfs://op", MIN_SELF);
        assertEq(staking.sharesOf(OP1, OP1), 0, "no shares minted");
        assertEq(token.balanceOf(OP1), MIN_SELF, "nothing pulled");
        assertEq(staking.totalStake(), 0, "stake unchanged");
    }

    function testOperatorOnlyCallsRejectStrangers() public {
        vm.expectRevert(abi.encodeWithSelector(IStaking.UnknownOperator.selector, ALICE));
        vm.prank(ALICE);
        staking.setMetadataURI("ipfs://alice");
        assertEq(bytes(staking.getOperator(ALICE).metadataURI), bytes(""), "no record");
    }

    function testSetMetadataURI() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.prank(OP1);
        staking.setMetadataURI("ipfs://new");
        assertEq(bytes(staking.getOperator(OP1).metadataURI), bytes("ipfs://new"), "uri updated");
    }

    function testASignerKeyCannotRegisterAsOperator() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        _fund(SIGNER1, MIN_SELF);
        uint256 count = staking.operatorCount();
        vm.expectRevert(abi.encodeWithSelector(IStaking.SignerInUse.selector, SIGNER1));
        vm.prank(SIGNER1);
        staking.registerOperator(SIGNER2, 0, "x", MIN_SELF);
        assertEq(staking.operatorCount(), count, "no operator added");
        assertEq(token.balanceOf(SIGNER1), MIN_SELF, "nothing pulled");
        assertEq(staking.operatorOfSigner(SIGNER2), address(0), "signer not reserved");
    }

    function testLifecycleErrors() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.prank(OP1);
        staking.deactivate();
        // A second deactivation, and delegating to a deactivated operator.
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotActive.selector, OP1));
        vm.prank(OP1);
        staking.deactivate();
        _fund(ALICE, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotActive.selector, OP1));
        vm.prank(ALICE);
        staking.delegate(OP1, 5 ether);
        assertEq(token.balanceOf(ALICE), 5 ether, "nothing pulled");
        // After the exit, the operator can no longer rotate its signer.
        vm.warp(block.timestamp + staking.exitDelay());
        vm.prank(OP1);
        staking.exit();
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotActive.selector, OP1));
        vm.prank(OP1);
        staking.rotateSigner(SIGNER3);
        assertEq(staking.operatorOfSigner(SIGNER3), address(0), "new signer not reserved");
        assertEq(staking.getOperator(OP1).pendingSigner, address(0), "nothing queued");
    }

    function testQueuedCommissionAboveANewMaximumIsRefused() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.prank(OP1);
        staking.setCommission(4_000);
        staking.setParameter(P_MAX_COMMISSION, 3_000);
        vm.warp(block.timestamp + staking.commissionDelay());
        vm.expectRevert(abi.encodeWithSelector(IStaking.CommissionTooHigh.selector, 4_000, 3_000));
        staking.applyCommissionChange(OP1);
        Staking.OperatorInfo memory info = staking.getOperator(OP1);
        assertEq(info.commissionBps, 1_000, "commission unchanged");
        assertEq(info.pendingCommissionBps, 4_000, "still queued");
    }

    function testZeroRewardSlashAndPastJailAreRefused() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.expectRevert(IVerdictErrors.ZeroAmount.selector);
        staking.notifyReward(OP1, 0);
        vm.expectRevert(IVerdictErrors.ZeroAmount.selector);
        staking.slash(OP1, 0, uint64(block.timestamp));
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerdictErrors.InvalidParameter.selector,
                bytes32("jailUntil"),
                block.timestamp
            )
        );
        staking.jail(OP1, uint64(block.timestamp));
        Staking.OperatorInfo memory info = staking.getOperator(OP1);
        assertEq(info.assets, MIN_SELF, "assets intact");
        assertTrue(!info.jailed, "not jailed");
        assertEq(info.commissionClaimable, 0, "no reward");
    }

    function _expectBadParameter(bytes32 name, uint256 value) internal {
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, name, value));
        staking.setParameter(name, value);
    }

    function testEveryParameterIsBoundedAndSettable() public {
        _expectBadParameter(P_MIN_SELF, uint256(type(uint128).max) + 1);
        staking.setParameter(P_MIN_SELF, 2_000 ether);
        assertEq(staking.minSelfStake(), 2_000 ether, "minSelfStake");

        _expectBadParameter(P_UNBONDING, staking.exitDelay() - 1);
        _expectBadParameter(P_UNBONDING, 90 days + 1);
        staking.setParameter(P_UNBONDING, 10 days);
        assertEq(staking.unbondingPeriod(), 10 days, "unbondingPeriod");

        _expectBadParameter(P_EXIT, 1 hours - 1);
        _expectBadParameter(P_EXIT, 10 days + 1);
        staking.setParameter(P_EXIT, 2 days);
        assertEq(staking.exitDelay(), 2 days, "exitDelay");

        _expectBadParameter(P_SIGNER, 30 days + 1);
        staking.setParameter(P_SIGNER, 2 days);
        assertEq(staking.signerRotationDelay(), 2 days, "signerRotationDelay");

        _expectBadParameter(P_COMMISSION, 90 days + 1);
        staking.setParameter(P_COMMISSION, 1 days);
        assertEq(staking.commissionDelay(), 1 days, "commissionDelay");

        _expectBadParameter(P_WINDOW, 1 hours - 1);
        _expectBadParameter(P_WINDOW, 30 days + 1);
        staking.setParameter(P_WINDOW, 2 days);
        assertEq(staking.slashWindow(), 2 days, "slashWindow");

        _expectBadParameter(P_MAX_COMMISSION, 10_001);
        staking.setParameter(P_MAX_COMMISSION, 3_000);
        assertEq(staking.maxCommissionBps(), 3_000, "maxCommissionBps");

        _expectBadParameter(P_SLASH_CAP, 0);
        _expectBadParameter(P_SLASH_CAP, 10_001);
        staking.setParameter(P_SLASH_CAP, 10_000);
        assertEq(staking.slashCapBps(), 10_000, "slashCapBps");

        _expectBadParameter(P_WEIGHT_CAP, 0);
        _expectBadParameter(P_WEIGHT_CAP, 10_001);
        staking.setParameter(P_WEIGHT_CAP, 2_000);
        assertEq(staking.weightCapBps(), 2_000, "weightCapBps");

        vm.expectRevert(abi.encodeWithSelector(Staking.UnknownParameter.selector, bytes32("nope")));
        staking.setParameter("nope", 1);
    }

    function testViews() public {
        assertEq(address(staking.token()), address(token), "token");
        assertEq(staking.effectiveWeight(ALICE), 0, "unknown operator weighs nothing");
        assertEq(staking.topNShare(5), 0, "no weight yet");
        _register(OP1, SIGNER1, 1_000, 3_000 ether);
        _register(OP2, SIGNER2, 1_000, 1_000 ether);
        assertEq(staking.convertToShares(OP1, 7 ether), 7 ether, "1:1 pool");
        // n above the operator count: every operator, so the whole weight.
        assertEq(staking.topNShare(5), 10_000, "all operators");
        assertEq(staking.topNShare(1), 7_500, "heaviest operator");
    }

    function testSlashedToZeroPoolCannotPriceNewShares() public {
        staking.setParameter(P_SLASH_CAP, 10_000);
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        staking.slash(OP1, MIN_SELF, 0);
        (uint256 assets, uint256 shares, ) = _pool(OP1);
        assertEq(assets, 0, "assets slashed away");
        assertEq(shares, MIN_SELF, "shares remain");
        vm.expectRevert(abi.encodeWithSelector(Staking.PoolDepleted.selector, OP1));
        staking.convertToShares(OP1, 1 ether);
        _fund(ALICE, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Staking.PoolDepleted.selector, OP1));
        vm.prank(ALICE);
        staking.delegate(OP1, 1 ether);
        assertEq(token.balanceOf(ALICE), 1 ether, "nothing pulled");
        assertEq(staking.sharesOf(OP1, ALICE), 0, "no shares");
    }
}
