// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {StakingBase} from "./StakingBase.sol";

contract StakingFuzzTest is StakingBase {
    function setUp() public override {
        super.setUp();
        _register(OP1, SIGNER1, 1_000, MIN_SELF);
    }

    /// @dev A delegator's value is exactly ⌊shares·A/S⌋ through interleaved rewards and slashes, within 1 wei
    ///      of its pro-rata share of A; its rewards track shares/active of each distribution.
    function testFuzz_ValueFollowsProRataShare(
        uint256 a,
        uint256 b,
        uint256 r1,
        uint256 s1,
        uint256 r2,
        uint256 s2
    ) public {
        a = bound(a, 1, 1e9 ether);
        b = bound(b, 1, 1e9 ether);
        uint256 sa = _delegate(ALICE, OP1, a);
        uint256 sb = _delegate(BOB, OP1, b);
        vm.warp(block.timestamp + staking.activationDelay());
        staking.syncRewards(OP1); // both tranches active from here
        uint256 active = MIN_SELF + sa + sb;
        uint256[2] memory rewards = [bound(r1, 0, 1e8 ether), bound(r2, 0, 1e8 ether)];
        uint256[2] memory slashes = [bound(s1, 0, 2e9 ether), bound(s2, 0, 2e9 ether)];
        uint256 expectedAlice;
        uint256 expectedBob;
        for (uint256 i; i < 2; ++i) {
            if (rewards[i] != 0) {
                staking.notifyReward(OP1, rewards[i]);
                uint256 toDelegators = rewards[i] - (rewards[i] * 1_000) / 10_000;
                expectedAlice += (toDelegators * sa) / active;
                expectedBob += (toDelegators * sb) / active;
            }
            if (slashes[i] != 0) staking.slash(OP1, slashes[i], 0);
            vm.warp(block.timestamp + 1 days);
        }
        (uint256 assets, uint256 shares, ) = _pool(OP1);
        uint256 va = staking.assetsOf(OP1, ALICE);
        uint256 vb = staking.assetsOf(OP1, BOB);
        uint256 vo = staking.assetsOf(OP1, OP1);
        assertEq(va, (sa * assets) / shares, "alice exact");
        assertEq(vb, (sb * assets) / shares, "bob exact");
        assertLe(va + vb + vo, assets, "values within assets");
        assertLe(assets - (va + vb + vo), 3, "dust at most 1 wei per holder");
        assertApproxEq(staking.pendingRewards(OP1, ALICE), expectedAlice, 2, "alice rewards");
        assertApproxEq(staking.pendingRewards(OP1, BOB), expectedBob, 2, "bob rewards");
        assertLe(staking.pendingRewards(OP1, ALICE), expectedAlice + 1, "alice rewards never above share");
    }

    /// @dev Delegating then withdrawing (with an optional slash in between) never returns more than the
    ///      exact pro-rata value, and never more than was put in.
    function testFuzz_RoundingNeverFavoursWithdrawer(
        uint256 amount,
        uint256 slashAmount,
        uint256 part
    ) public {
        amount = bound(amount, 1, 1e9 ether);
        uint256 shares = _delegate(ALICE, OP1, amount);
        slashAmount = bound(slashAmount, 0, MIN_SELF + amount);
        if (slashAmount != 0) staking.slash(OP1, slashAmount, 0);
        part = bound(part, 1, shares);
        (uint256 assetsBefore, uint256 sharesBefore, ) = _pool(OP1);
        uint256 id = _undelegate(ALICE, OP1, part);
        vm.warp(block.timestamp + 7 days);
        uint256 received = staking.completeUndelegation(id);
        // received·S ≤ part·A: never above the exact pro-rata value
        assertLe(received * sharesBefore, part * assetsBefore, "not above pro-rata");
        assertLe(received, amount, "not above deposit");
        assertEq(token.balanceOf(ALICE), received, "paid what was reported");
        // the holders that stay are not diluted: price per share does not fall
        (uint256 assetsAfter, uint256 sharesAfter, ) = _pool(OP1);
        assertLe(assetsBefore * sharesAfter, assetsAfter * sharesBefore, "remaining price not lower");
    }

    /// @dev Queued shares lose exactly what active shares lose in a slash.
    function testFuzz_QueuedStakeIsSlashedLikeActive(uint256 amount, uint256 slashAmount) public {
        amount = bound(amount, 1, 1e9 ether);
        uint256 sa = _delegate(ALICE, OP1, amount);
        uint256 sb = _delegate(BOB, OP1, amount);
        assertEq(sa, sb, "same shares");
        uint256 id = _undelegate(ALICE, OP1, sa);
        slashAmount = bound(slashAmount, 1, MIN_SELF + 2 * amount);
        uint256 slashed = staking.slash(OP1, slashAmount, 0);
        assertGe(slashed, 1, "something slashed");
        uint256 bobValue = staking.assetsOf(OP1, BOB);
        vm.warp(block.timestamp + 7 days);
        uint256 received = staking.completeUndelegation(id);
        assertEq(received, bobValue, "queued and active lose alike");
        (uint256 assets, uint256 shares, ) = _pool(OP1);
        assertEq(bobValue, (sb * (assets + received)) / (shares + sa), "pro-rata of the slashed pool");
    }

    /// @dev Completing before `unlocksAt` reverts WithdrawalNotReady and leaves the withdrawal intact.
    function testFuzz_CompleteEarlyReverts(uint256 amount, uint256 wait) public {
        amount = bound(amount, 1, 1e9 ether);
        uint256 shares = _delegate(ALICE, OP1, amount);
        uint256 id = _undelegate(ALICE, OP1, shares);
        uint64 unlocksAt = uint64(block.timestamp + 7 days);
        wait = bound(wait, 0, 7 days - 1);
        vm.warp(block.timestamp + wait);
        vm.expectRevert(abi.encodeWithSelector(IStaking.WithdrawalNotReady.selector, id, unlocksAt));
        staking.completeUndelegation(id);
        assertEq(staking.withdrawal(id).shares, shares, "still queued");
        assertEq(token.balanceOf(ALICE), 0, "nothing paid");
    }

    /// @dev Open disputes block completion (StakeLockedByDispute) until every one is unlocked.
    function testFuzz_StakeLockedByDispute(uint256 amount, uint256 disputes) public {
        amount = bound(amount, 1, 1e9 ether);
        disputes = bound(disputes, 1, 5);
        uint256 shares = _delegate(ALICE, OP1, amount);
        uint256 id = _undelegate(ALICE, OP1, shares);
        for (uint256 i; i < disputes; ++i) staking.lockStake(OP1);
        vm.warp(block.timestamp + 30 days);
        for (uint256 i = disputes; i > 0; --i) {
            vm.expectRevert(abi.encodeWithSelector(IStaking.StakeLockedByDispute.selector, OP1, i));
            staking.completeUndelegation(id);
            staking.unlockStake(OP1);
        }
        assertEq(staking.completeUndelegation(id), amount, "paid once unlocked");
    }
}
