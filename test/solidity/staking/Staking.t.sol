// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {StakingBase} from "./StakingBase.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

contract StakingTest is StakingBase {
    // ------------------------------------------------------------ registration
    function testRegisterRecordsOperatorAndPullsSelfStake() public {
        _register(OP1, SIGNER1, 1_000, 5_000 ether);
        Staking.OperatorInfo memory info = staking.getOperator(OP1);
        assertTrue(info.status == Staking.Status.Active, "active");
        assertEq(info.signer, SIGNER1, "signer");
        assertEq(info.commissionBps, 1_000, "commission");
        assertEq(info.assets, 5_000 ether, "assets");
        assertEq(staking.signerOf(OP1), SIGNER1, "signerOf");
        assertEq(staking.operatorOfSigner(SIGNER1), OP1, "reverse");
        assertEq(staking.assetsOf(OP1, OP1), 5_000 ether, "self stake");
        assertEq(token.balanceOf(address(staking)), 5_000 ether, "pulled");
        assertEq(staking.totalStake(), 5_000 ether, "total");
        assertEq(staking.totalEffectiveWeight(), 0, "weight counts from the next epoch");
        assertEq(staking.latestTotalWeight(), 5_000 ether, "latest weight");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), 5_000 ether, "weight");
        assertTrue(staking.isEligible(OP1), "eligible");
        assertEq(keccak256(bytes(info.metadataURI)), keccak256("ipfs://op"), "uri");
    }

    function _expectRegisterRevert(
        address op,
        address signer,
        uint16 bps,
        uint256 stake,
        bytes memory err
    ) internal {
        _fund(op, stake);
        uint256 count = staking.operatorCount();
        uint256 bal = token.balanceOf(op);
        vm.expectRevert(err);
        vm.prank(op);
        staking.registerOperator(signer, bps, "x", stake);
        assertEq(staking.operatorCount(), count, "count unchanged");
        assertEq(token.balanceOf(op), bal, "balance unchanged");
    }

    function testRegisterBadInputs() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        address signerBefore = staking.signerOf(OP1);
        // double registration
        _expectRegisterRevert(
            OP1,
            SIGNER3,
            0,
            MIN_SELF,
            abi.encodeWithSelector(IStaking.AlreadyRegistered.selector, OP1)
        );
        assertEq(staking.signerOf(OP1), signerBefore, "signer unchanged");
        // signer in use, signer = operator, zero signer, an operator as signer
        _expectRegisterRevert(
            OP2,
            SIGNER1,
            0,
            MIN_SELF,
            abi.encodeWithSelector(IStaking.SignerInUse.selector, SIGNER1)
        );
        _expectRegisterRevert(
            OP2,
            OP2,
            0,
            MIN_SELF,
            abi.encodeWithSelector(IStaking.SignerInUse.selector, OP2)
        );
        _expectRegisterRevert(
            OP2,
            OP1,
            0,
            MIN_SELF,
            abi.encodeWithSelector(IStaking.SignerInUse.selector, OP1)
        );
        _expectRegisterRevert(
            OP2,
            address(0),
            0,
            MIN_SELF,
            abi.encodeWithSelector(IVerdictErrors.ZeroAddress.selector)
        );
        // commission above bound
        _expectRegisterRevert(
            OP2,
            SIGNER2,
            5_001,
            MIN_SELF,
            abi.encodeWithSelector(IStaking.CommissionTooHigh.selector, 5_001, 5_000)
        );
        // self-stake too low / zero
        _expectRegisterRevert(
            OP2,
            SIGNER2,
            0,
            MIN_SELF - 1,
            abi.encodeWithSelector(IStaking.SelfStakeTooLow.selector, MIN_SELF - 1, MIN_SELF)
        );
        _expectRegisterRevert(OP2, SIGNER2, 0, 0, abi.encodeWithSelector(IVerdictErrors.ZeroAmount.selector));
        assertEq(staking.operatorOfSigner(SIGNER2), address(0), "signer not reserved");
    }

    // ------------------------------------------------------------ delegation
    function testDelegateBadInputs() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _fund(ALICE, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.ZeroAmount.selector));
        vm.prank(ALICE);
        staking.delegate(OP1, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.UnknownOperator.selector, OP2));
        vm.prank(ALICE);
        staking.delegate(OP2, 1 ether);
        staking.jail(OP1, uint64(block.timestamp + 1 days));
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.OperatorJailed.selector, OP1, uint64(block.timestamp + 1 days))
        );
        vm.prank(ALICE);
        staking.delegate(OP1, 1 ether);
        assertEq(token.balanceOf(ALICE), 10 ether, "alice unchanged");
        assertEq(staking.poolAssets(OP1), MIN_SELF, "pool unchanged");
    }

    function testUndelegateQueuesAndCompletes() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        uint256 shares = _delegate(ALICE, OP1, 100 ether);
        assertEq(shares, 100 ether, "1:1");
        uint256 id = _undelegate(ALICE, OP1, 40 ether);
        (uint256 a, uint256 s, uint256 q) = _pool(OP1);
        assertEq(a, MIN_SELF + 100 ether, "assets stay");
        assertEq(s, MIN_SELF + 100 ether, "shares stay");
        assertEq(q, 40 ether, "queued");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), MIN_SELF, "activating and queued shares carry no weight");
        (uint256 activating, uint64 at) = staking.activatingOf(OP1, ALICE);
        assertEq(activating, 60 ether, "the rest still activating (undelegated from the activating first)");
        assertEq(at, uint64(block.timestamp + staking.activationDelay()), "activates after the delay");

        vm.warp(block.timestamp + 7 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.WithdrawalNotReady.selector, id, uint64(block.timestamp + 1))
        );
        staking.completeUndelegation(id);
        vm.warp(block.timestamp + 1);
        staking.lockStake(OP1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakeLockedByDispute.selector, OP1, 1));
        staking.completeUndelegation(id);
        staking.unlockStake(OP1);
        staking.completeUndelegation(id);
        assertEq(token.balanceOf(ALICE), 40 ether, "paid");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), MIN_SELF + 60 ether, "alice's rest active by now");
        vm.expectRevert(abi.encodeWithSelector(IStaking.UnknownWithdrawal.selector, id));
        staking.completeUndelegation(id);
    }

    function testUndelegateBadInputs() public {
        _register(OP1, SIGNER1, 0, MIN_SELF + 10 ether);
        _delegate(ALICE, OP1, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.ZeroAmount.selector));
        vm.prank(ALICE);
        staking.undelegate(OP1, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.InsufficientShares.selector, 6 ether, 5 ether));
        vm.prank(ALICE);
        staking.undelegate(OP1, 6 ether);
        vm.expectRevert(abi.encodeWithSelector(IStaking.UnknownOperator.selector, OP2));
        vm.prank(ALICE);
        staking.undelegate(OP2, 1);
        // the operator cannot go below the minimum self-stake while registered
        vm.expectRevert(abi.encodeWithSelector(IStaking.SelfStakeTooLow.selector, MIN_SELF - 1, MIN_SELF));
        vm.prank(OP1);
        staking.undelegate(OP1, 10 ether + 1);
        _undelegate(OP1, OP1, 10 ether);
        (, , uint256 q) = _pool(OP1);
        assertEq(q, 10 ether, "only the allowed part queued");
        assertEq(staking.sharesOf(OP1, ALICE), 5 ether, "alice unchanged");
    }

    // ------------------------------------------------------------ rewards
    function testRewardsSplitCommissionAndShares() public {
        _register(OP1, SIGNER1, 2_000, MIN_SELF);
        _delegate(ALICE, OP1, 3_000 ether);
        fees.accrue(OP1, 100 ether);
        staking.syncRewards(OP1);
        // Alice's shares are still activating: 20 commission, 80 to the only active shares (the self-stake).
        assertEq(staking.pendingRewards(OP1, ALICE), 0, "activating shares earn nothing");
        assertEq(staking.pendingRewards(OP1, OP1), 80 ether, "self-stake share while alone");
        vm.warp(block.timestamp + staking.activationDelay());
        fees.accrue(OP1, 100 ether);
        staking.syncRewards(OP1);
        assertEq(staking.pendingRewards(OP1, ALICE), 0, "fees booked before the activation: still not hers");
        fees.accrue(OP1, 100 ether);
        staking.syncRewards(OP1);
        // 20 to the operator as commission; 80 over 4000 active shares: 20 to OP1's self-stake, 60 to Alice
        assertEq(staking.pendingRewards(OP1, ALICE), 60 ether, "alice");
        assertEq(staking.pendingRewards(OP1, OP1), 180 ether, "self-stake share");
        vm.prank(OP1);
        assertEq(staking.claimRewards(OP1), 240 ether, "operator: commission + self-stake share");
        vm.prank(ALICE);
        assertEq(staking.claimRewards(OP1), 60 ether, "alice claims");
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.ZeroAmount.selector));
        vm.prank(ALICE);
        staking.claimRewards(OP1);
    }

    function testNoJustInTimeCapture() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        fees.accrue(OP1, 100 ether); // accrued while only the operator held the pool
        _delegate(ALICE, OP1, 1_000_000 ether); // delegate syncs first
        assertEq(staking.pendingRewards(OP1, ALICE), 0, "late delegator gets nothing");
        assertEq(staking.pendingRewards(OP1, OP1), 100 ether, "the pool at accrual time gets it");
    }

    function testRewardsWithNoActiveSharesGoToOperator() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.prank(OP1);
        staking.deactivate();
        vm.warp(block.timestamp + 3 days);
        vm.prank(OP1);
        staking.exit();
        _undelegate(OP1, OP1, MIN_SELF);
        staking.notifyReward(OP1, 10 ether);
        assertEq(staking.getOperator(OP1).commissionClaimable, 10 ether, "all to the operator");
        vm.prank(OP1);
        assertEq(staking.claimRewards(OP1), 10 ether, "claimed");
    }

    // ------------------------------------------------------------ slashing and jail
    function testSlashIsCappedPerWindowAndPaysSlasher() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _delegate(ALICE, OP1, 1_000 ether);
        uint256 before = token.balanceOf(address(this));
        assertEq(staking.slash(OP1, 800 ether, 0), 800 ether, "within cap");
        assertEq(staking.slash(OP1, 800 ether, 0), 200 ether, "cap: 50% of 2000 at window start");
        assertEq(staking.slash(OP1, 1, 0), 0, "cap used up");
        assertEq(token.balanceOf(address(this)) - before, 1_000 ether, "slasher paid");
        assertEq(staking.assetsOf(OP1, ALICE), 500 ether, "alice lost half");
        vm.warp(block.timestamp + 1 days);
        assertEq(staking.slash(OP1, 10_000 ether, 0), 500 ether, "new window: 50% of 1000");
    }

    function testSlashOnlySlasher() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotSlasher.selector, ALICE));
        vm.prank(ALICE);
        staking.slash(OP1, 1 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.UnknownOperator.selector, OP2));
        staking.slash(OP2, 1 ether, 0);
        assertEq(staking.poolAssets(OP1), MIN_SELF, "unchanged");
    }

    function testJailRemovesWeightUntilUnjail() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _register(OP2, SIGNER2, 0, MIN_SELF);
        uint64 until = uint64(block.timestamp + 1 days);
        staking.slash(OP1, 10 ether, until);
        assertTrue(!staking.isEligible(OP1), "jailed");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), MIN_SELF, "only OP2 weighs");
        address[] memory none = new address[](0);
        for (uint256 i; i < 20; ++i) assertEq(staking.selectOperators(i, 1, none)[0], OP2, "never drawn");
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotEnoughOperators.selector, 2, 1));
        staking.selectOperators(1, 2, none);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StillJailed.selector, OP1, until));
        vm.prank(OP1);
        staking.unjail();
        vm.warp(until);
        vm.prank(OP1);
        staking.unjail();
        assertTrue(staking.isEligible(OP1), "back");
        assertEq(staking.totalEffectiveWeight(), MIN_SELF, "from the next epoch");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), 2 * MIN_SELF - 10 ether, "weight restored");
        vm.expectRevert(abi.encodeWithSelector(Staking.NotJailed.selector, OP1));
        vm.prank(OP1);
        staking.unjail();
    }

    // ------------------------------------------------------------ operator settings
    function testCommissionDecreaseImmediateIncreaseQueued() public {
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
        vm.prank(OP1);
        staking.setCommission(500);
        assertEq(staking.getOperator(OP1).commissionBps, 500, "decrease immediate");
        vm.prank(OP1);
        staking.setCommission(2_000);
        assertEq(staking.getOperator(OP1).commissionBps, 500, "increase queued");
        uint64 readyAt = uint64(block.timestamp + 7 days);
        vm.expectRevert(abi.encodeWithSelector(IStaking.ChangeNotReady.selector, readyAt));
        staking.applyCommissionChange(OP1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.CommissionTooHigh.selector, 6_000, 5_000));
        vm.prank(OP1);
        staking.setCommission(6_000);
        vm.warp(readyAt);
        staking.applyCommissionChange(OP1);
        assertEq(staking.getOperator(OP1).commissionBps, 2_000, "applied");
        vm.expectRevert(abi.encodeWithSelector(IStaking.NothingQueued.selector));
        staking.applyCommissionChange(OP1);
    }

    function testSignerRotationDelayed() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _register(OP2, SIGNER2, 0, MIN_SELF);
        vm.expectRevert(abi.encodeWithSelector(IStaking.SignerInUse.selector, SIGNER2));
        vm.prank(OP1);
        staking.rotateSigner(SIGNER2);
        vm.prank(OP1);
        staking.rotateSigner(SIGNER3);
        assertEq(staking.signerOf(OP1), SIGNER1, "not yet");
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.ChangeNotReady.selector, uint64(block.timestamp + 1 days))
        );
        staking.applySignerRotation(OP1);
        vm.warp(block.timestamp + 1 days);
        staking.applySignerRotation(OP1);
        assertEq(staking.signerOf(OP1), SIGNER3, "rotated");
        vm.expectRevert(abi.encodeWithSelector(IStaking.NothingQueued.selector));
        staking.applySignerRotation(OP1);
    }

    function testExitNeedsDelayAndNoOpenDisputes() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        vm.expectRevert(abi.encodeWithSelector(IStaking.OperatorNotActive.selector, OP1));
        vm.prank(OP1);
        staking.exit();
        vm.prank(OP1);
        staking.deactivate();
        assertTrue(!staking.isEligible(OP1), "no new assignments");
        assertEq(staking.totalEffectiveWeight(), 0, "weight removed");
        uint64 readyAt = uint64(block.timestamp + 3 days);
        vm.expectRevert(abi.encodeWithSelector(IStaking.ExitNotReady.selector, OP1, readyAt));
        vm.prank(OP1);
        staking.exit();
        vm.warp(readyAt);
        staking.lockStake(OP1);
        vm.expectRevert(abi.encodeWithSelector(IStaking.StakeLockedByDispute.selector, OP1, 1));
        vm.prank(OP1);
        staking.exit();
        assertTrue(staking.getOperator(OP1).status == Staking.Status.Deactivated, "still deactivated");
        // self-stake still bound before exit
        vm.expectRevert(abi.encodeWithSelector(IStaking.SelfStakeTooLow.selector, 0, MIN_SELF));
        vm.prank(OP1);
        staking.undelegate(OP1, MIN_SELF);
        staking.unlockStake(OP1);
        vm.prank(OP1);
        staking.exit();
        uint256 id = _undelegate(OP1, OP1, MIN_SELF);
        vm.warp(block.timestamp + 7 days);
        staking.completeUndelegation(id);
        assertEq(token.balanceOf(OP1), MIN_SELF, "self-stake back");
        vm.expectRevert(abi.encodeWithSelector(Staking.NoOpenDisputes.selector, OP1));
        staking.unlockStake(OP1);
    }

    // ------------------------------------------------------------ governance
    function testParameterChangeThroughTimelock() public {
        address[] memory me = new address[](1);
        me[0] = address(this);
        TimelockController timelock = new TimelockController(2 days, me, me, address(0));
        Staking governed = new Staking(IERC20(address(token)), address(timelock));
        bytes memory data = abi.encodeCall(Staking.setParameter, (bytes32("unbondingPeriod"), 14 days));
        // the timelock is the only admin: a direct call fails
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        governed.setParameter("unbondingPeriod", 14 days);
        timelock.schedule(address(governed), 0, data, bytes32(0), bytes32(0), 2 days);
        vm.warp(block.timestamp + 2 days - 1);
        vm.expectRevert();
        timelock.execute(address(governed), 0, data, bytes32(0), bytes32(0));
        assertEq(governed.unbondingPeriod(), 7 days, "not before the delay");
        vm.warp(block.timestamp + 1);
        timelock.execute(address(governed), 0, data, bytes32(0), bytes32(0));
        assertEq(governed.unbondingPeriod(), 14 days, "changed");
    }

    function testParameterBounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("slashCapBps"), 10_001)
        );
        staking.setParameter("slashCapBps", 10_001);
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("exitDelay"), 8 days)
        );
        staking.setParameter("exitDelay", 8 days);
        vm.expectRevert(abi.encodeWithSelector(Staking.UnknownParameter.selector, bytes32("nope")));
        staking.setParameter("nope", 1);
        staking.setParameter("weightCapBps", 2_000);
        assertEq(staking.weightCapBps(), 2_000, "set");
    }

    // ------------------------------------------------------------ draw
    function testDrawDistinctExcludesAndGrows() public {
        address[20] memory ops;
        for (uint256 i; i < 20; ++i) {
            ops[i] = address(uint160(0x2000 + i));
            _register(ops[i], address(uint160(0x6000 + i)), 0, MIN_SELF * (i + 1));
        }
        assertEq(staking.operatorCount(), 20, "count");
        _nextEpoch();
        assertEq(staking.totalEffectiveWeight(), MIN_SELF * 210, "tree total after growth");
        address[] memory exclude = new address[](2);
        exclude[0] = ops[19];
        exclude[1] = ops[18];
        for (uint256 seed; seed < 10; ++seed) {
            address[] memory picked = staking.selectOperators(seed, 18, exclude);
            for (uint256 i; i < 18; ++i) {
                assertTrue(picked[i] != ops[19] && picked[i] != ops[18], "excluded");
                for (uint256 j; j < i; ++j) assertTrue(picked[i] != picked[j], "distinct");
            }
        }
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotEnoughOperators.selector, 19, 18));
        staking.selectOperators(1, 19, exclude);
        assertEq(staking.topNShare(1), uint256(20 * 10_000) / 210, "top 1");
        assertEq(staking.effectiveWeight(ops[19]), 20 * MIN_SELF, "under the 10% cap");
        staking.setParameter("weightCapBps", 500);
        assertEq(staking.effectiveWeight(ops[19]), 20 * MIN_SELF, "the new cap counts from the next epoch");
        _nextEpoch();
        // Water-filled: c = 5% of Σ min(w_i, c). With 20 operators at 5% only c = the lightest weight solves
        // it: the draw is uniform.
        uint256 c = staking.weightCap();
        uint256 sum;
        for (uint256 i; i < 20; ++i) sum += staking.effectiveWeight(ops[i]);
        assertApproxEq(c * 10_000, 500 * sum, 40_000 * 1e12, "c = 5% of the capped total");
        assertEq(staking.effectiveWeight(ops[19]), c, "capped");
        assertEq(staking.effectiveWeight(ops[0]), MIN_SELF, "uncapped");
    }
}
