// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {StakingBase} from "./StakingBase.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @notice The rules of issues 15.7, 21.2, 16.1 and 16.2, each attacked by an adversary: governance cannot
///         take stake, a delegation made after a reward was earned captures none of it, stake moved while a
///         draw is pending does not change it, and the water-filled cap caps at the boundaries.
contract StakingRulesTest is StakingBase {
    address[] internal none;

    // ------------------------------------------------------------ 15.7: fixed slashers
    function testSlashersAreFixedOnce() public {
        vm.expectRevert(
            abi.encodeWithSelector(IStaking.SlashersAlreadySet.selector, address(this), DISPUTES)
        );
        staking.setSlashers(ALICE, ALICE);
        assertEq(staking.requestSlasher(), address(this), "unchanged");
        assertEq(staking.disputeSlasher(), DISPUTES, "unchanged");
        vm.expectRevert(abi.encodeWithSelector(IStaking.FeeSourceAlreadySet.selector, address(fees)));
        staking.setFeeSource(ALICE);
        assertEq(staking.feeSource(), address(fees), "fee source unchanged");
    }

    function testGovernanceTimelockCannotSlash() public {
        // A deployment whose admin is a timelock that the attacker (this contract) proposes to.
        address[] memory me = new address[](1);
        me[0] = address(this);
        TimelockController timelock = new TimelockController(2 days, me, me, address(0));
        Staking governed = new Staking(IERC20(address(token)), address(timelock));
        // Wiring: the timelock (admin) fixes the slashers once.
        _exec(timelock, address(governed), abi.encodeCall(Staking.setSlashers, (BOB, DISPUTES)));
        _fund(OP1, MIN_SELF);
        vm.startPrank(OP1);
        token.approve(address(governed), MIN_SELF);
        governed.registerOperator(SIGNER1, 0, "x", MIN_SELF);
        vm.stopPrank();
        // Later the timelock tries to make itself a slasher, by every door: all fail.
        bytes memory again = abi.encodeCall(Staking.setSlashers, (address(timelock), address(timelock)));
        timelock.schedule(address(governed), 0, again, bytes32(0), bytes32(uint256(1)), 2 days);
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert();
        timelock.execute(address(governed), 0, again, bytes32(0), bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotSlasher.selector, address(timelock)));
        vm.prank(address(timelock));
        governed.slash(OP1, MIN_SELF / 2, 0);
        vm.expectRevert(abi.encodeWithSelector(IStaking.NotSlasher.selector, address(timelock)));
        vm.prank(address(timelock));
        governed.jail(OP1, uint64(block.timestamp + 1 days));
        assertEq(governed.poolAssets(OP1), MIN_SELF, "stake untouched");
        assertEq(token.balanceOf(address(timelock)), 0, "governance got nothing");
    }

    function _exec(TimelockController timelock, address target, bytes memory data) internal {
        timelock.schedule(target, 0, data, bytes32(0), bytes32(0), 2 days);
        vm.warp(block.timestamp + 2 days);
        timelock.execute(target, 0, data, bytes32(0), bytes32(0));
    }

    // ------------------------------------------------------------ 21.2: rewards only to stake at risk
    function testSniperBeforeFinalizeCapturesNothing() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _delegate(ALICE, OP1, 10_000 ether);
        vm.warp(block.timestamp + staking.activationDelay());
        staking.syncRewards(OP1); // Alice is active: she bore the risk while the fee below was earned
        // The request is answered (fee earned); just before the public booking moment a sniper delegates 18×.
        _delegate(BOB, OP1, 180_000 ether);
        fees.accrue(OP1, 32 ether); // finalize books the fee
        staking.syncRewards(OP1);
        // ... and a lost challenger bond is paid to the pool at the dispute's settlement
        staking.notifyReward(OP1, 721 ether);
        assertEq(staking.pendingRewards(OP1, BOB), 0, "the sniper captured nothing");
        uint256 honest = staking.pendingRewards(OP1, ALICE) + staking.pendingRewards(OP1, OP1);
        assertApproxEq(honest, 753 ether, 2, "all of it to the stake that was at risk");
        // The sniper leaves at once: its shares were slashable and go through the full unbonding.
        uint256 shares = staking.sharesOf(OP1, BOB);
        vm.prank(BOB);
        uint256 id = staking.undelegate(OP1, shares);
        vm.prank(BOB);
        vm.expectRevert(IVerdictErrors.ZeroAmount.selector);
        staking.claimRewards(OP1);
        assertEq(staking.withdrawal(id).shares, shares, "queued in full, no reward");
    }

    function testActivatingSharesAreSlashable() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _delegate(ALICE, OP1, 1_000 ether);
        staking.slash(OP1, 500 ether, 0);
        assertEq(
            staking.assetsOf(OP1, ALICE),
            750 ether,
            "the activating tranche bore its share of the slash"
        );
    }

    function testLateTrancheMovesAlongAndActivatesLater() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        _delegate(ALICE, OP1, 100 ether);
        vm.warp(block.timestamp + 2 days);
        _delegate(ALICE, OP1, 100 ether); // a second tranche: the first moves to the later bucket
        (uint256 shares, uint64 at) = staking.activatingOf(OP1, ALICE);
        assertEq(shares, 200 ether, "both tranches activating");
        assertEq(at, uint64(block.timestamp + staking.activationDelay()), "never earlier than the last");
        vm.warp(at);
        fees.accrue(OP1, 12 ether);
        staking.syncRewards(OP1); // booked before the activation: the self-stake's
        fees.accrue(OP1, 12 ether);
        staking.syncRewards(OP1);
        assertEq(staking.pendingRewards(OP1, ALICE), 2 ether, "200/1200 of the fee booked after activation");
        assertEq(staking.pendingRewards(OP1, OP1), 22 ether, "12 + 1000/1200 of 12");
    }

    function testBucketsStayBoundedUnderManyDelegations() public {
        _register(OP1, SIGNER1, 0, MIN_SELF);
        address[6] memory who = [ALICE, BOB, address(0xC1), address(0xC2), address(0xC3), address(0xC4)];
        for (uint256 i; i < who.length; ++i) {
            _delegate(who[i], OP1, 10 ether);
            vm.warp(block.timestamp + 1 days);
        }
        // 6 delegations a day apart, activation 3 days: at most two buckets ever wait, none activates early.
        for (uint256 i; i < who.length; ++i) {
            (, uint64 at) = staking.activatingOf(OP1, who[i]);
            if (at != 0) assertGe(at, block.timestamp - (who.length - i) * 1 days + 3 days, "not early");
        }
        vm.warp(block.timestamp + 7 days);
        staking.syncRewards(OP1);
        assertEq(staking.getOperator(OP1).activatingShares, 0, "all active");
        fees.accrue(OP1, 106 ether);
        staking.syncRewards(OP1);
        for (uint256 i; i < who.length; ++i)
            assertEq(staking.pendingRewards(OP1, who[i]), 1 ether, "pro rata");
    }

    // ------------------------------------------------------------ 16.1: weights frozen per epoch
    function _ten() internal returns (address[10] memory ops) {
        for (uint256 i; i < 10; ++i) {
            ops[i] = address(uint160(0x3000 + i));
            _register(ops[i], address(uint160(0x7000 + i)), 0, MIN_SELF * (1 + (i % 3)));
        }
        _nextEpoch();
    }

    function _draws() internal view returns (address[40] memory out) {
        for (uint256 s; s < 40; ++s) out[s] = staking.selectOperators(s, 3, none)[0];
    }

    function testStakeMovedAfterTheTicketDoesNotChangeTheDraw() public {
        address[10] memory ops = _ten();
        // A ticket for block T; the seed is readable from T + 1: every change below happens at T + 1 or later,
        // inside the epoch whose start (≤ T + 1) the draw reads.
        (, uint64 start) = staking.weightEpoch();
        vm.roll(start + 1);
        address[40] memory before = _draws();
        staking.jail(ops[0], uint64(block.timestamp + 1 days));
        staking.slash(ops[1], MIN_SELF / 2, uint64(block.timestamp + 1 days));
        _delegate(ALICE, ops[2], 1_000_000 ether);
        vm.prank(ops[3]);
        staking.deactivate();
        _undelegate(ops[4], ops[4], MIN_SELF / 10);
        vm.warp(block.timestamp + staking.activationDelay());
        staking.syncRewards(ops[2]); // Alice's million activates: still not this epoch
        vm.roll(start + staking.EPOCH_BLOCKS() - 1);
        address[40] memory after_ = _draws();
        for (uint256 s; s < 40; ++s) assertEq(after_[s], before[s], "same epoch: same draw");
        // From the next epoch the changes count: the jailed, slashed-and-jailed and exiting are never drawn,
        // and the new million dominates what the cap allows.
        _nextEpoch();
        uint256 aliceOp;
        for (uint256 s; s < 40; ++s) {
            address[] memory picked = staking.selectOperators(s, 3, none);
            for (uint256 j; j < 3; ++j) {
                assertTrue(picked[j] != ops[0] && picked[j] != ops[1] && picked[j] != ops[3], "ineligible");
                if (picked[j] == ops[2]) ++aliceOp;
            }
        }
        assertGe(aliceOp, 8, "the grown pool is drawn (capped at its share)");
    }

    function testRecapAddsAnOperatorThatDriftedAboveTheCap() public {
        // 24 heavy operators fill the heavy set; a mid-sized one and 16 small ones register after them.
        for (uint256 i; i < 24; ++i) {
            _register(address(uint160(0x4000 + i)), address(uint160(0x8000 + i)), 0, 5 * MIN_SELF);
        }
        address mid = address(0x4100);
        _register(mid, address(0x8100), 0, 3 * MIN_SELF);
        for (uint256 i; i < 16; ++i) {
            _register(address(uint160(0x4200 + i)), address(uint160(0x8200 + i)), 0, MIN_SELF);
        }
        // The heavy ones leave: the cap falls below mid's weight without mid being touched.
        for (uint256 i; i < 24; ++i) {
            vm.prank(address(uint160(0x4000 + i)));
            staking.deactivate();
        }
        staking.recap(mid); // anyone may call it
        _nextEpoch();
        uint256 c = staking.weightCap();
        assertLe(c, 3 * MIN_SELF, "mid is capped now");
        uint256 sum = staking.effectiveWeight(mid);
        for (uint256 i; i < 16; ++i) sum += staking.effectiveWeight(address(uint160(0x4200 + i)));
        assertApproxEq(c * 10_000, 1_000 * sum, 10_000 * 4e12, "water-filled: c = 10% of the capped total");
        assertLe((staking.effectiveWeight(mid) * 10_000) / sum, 1_000, "mid gets at most 10%");
    }

    // ------------------------------------------------------------ 16.2: the cap at its boundaries
    /// @dev Registers `n` operators of weight `w` and one of weight `whale` (0: none), next epoch, and returns
    ///      the largest share (bps of Σ effective weight) any operator gets, and the whale's.
    function _shares(
        uint256 n,
        uint256 w,
        uint256 whale
    ) internal returns (uint256 maxBps, uint256 whaleBps) {
        address[] memory ops = new address[](n + 1);
        for (uint256 i; i < n; ++i) {
            ops[i] = address(uint160(0x5000 + i));
            _register(ops[i], address(uint160(0x9000 + i)), 0, w);
        }
        if (whale != 0) {
            ops[n] = address(0x5FFF);
            _register(ops[n], address(0x9FFF), 0, whale);
        }
        _nextEpoch();
        uint256 sum;
        for (uint256 i; i <= n; ++i) sum += staking.effectiveWeight(ops[i]);
        for (uint256 i; i <= n; ++i) {
            uint256 bps = (staking.effectiveWeight(ops[i]) * 10_000) / sum;
            if (bps > maxBps) maxBps = bps;
        }
        if (whale != 0) whaleBps = (staking.effectiveWeight(ops[n]) * 10_000) / sum;
    }

    function testCapTenEqualOperators() public {
        (uint256 maxBps, ) = _shares(10, MIN_SELF, 0);
        assertEq(maxBps, 1_000, "each exactly 10%");
    }

    function testCapWhalePlusNine() public {
        (uint256 maxBps, uint256 whaleBps) = _shares(9, MIN_SELF, 1_000 * MIN_SELF);
        assertEq(whaleBps, 1_000, "the whale gets exactly 10%");
        assertEq(maxBps, 1_000, "nobody more");
        assertEq(staking.weightCap(), MIN_SELF, "c = the others' weight");
    }

    function testCapWhalePlusHundred() public {
        (uint256 maxBps, uint256 whaleBps) = _shares(100, MIN_SELF, 1_000 * MIN_SELF);
        assertLe(whaleBps, 1_000, "the whale gets at most 10%");
        assertGe(whaleBps, 999, "and not much less: the cap binds exactly");
        assertEq(maxBps, whaleBps, "the whale is the largest");
    }

    function testCapWithFewerOperatorsIsAsEvenAsPossible() public {
        // 1 whale + 3: no assignment can stay under 10%; the draw becomes uniform (25% each).
        (uint256 maxBps, uint256 whaleBps) = _shares(3, MIN_SELF, 1_000 * MIN_SELF);
        assertEq(whaleBps, 2_500, "uniform");
        assertEq(maxBps, 2_500, "uniform");
    }

    function testCapDrawFrequencies() public {
        // 1 whale (100×) + 9: over 2,000 single picks the whale gets 10% (± 4σ), not 92%.
        _shares(9, MIN_SELF, 100 * MIN_SELF);
        address whale = address(0x5FFF);
        uint256 hits;
        for (uint256 s; s < 2_000; ++s) if (staking.selectOperators(s, 1, none)[0] == whale) ++hits;
        assertApproxEq(hits, 200, 54, "whale picked ~10% of the time");
    }
}
