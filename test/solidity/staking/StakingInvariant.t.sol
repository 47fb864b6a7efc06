// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {MockFeeSource} from "../../../contracts/staking/mocks/MockFeeSource.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives Staking with random delegations, undelegations, completions, claims, slashes, rewards,
///         jails and time jumps. It is the slasher and the reward payer, and keeps ghost state.
contract StakingHandler is Test {
    Staking public immutable staking;
    OPGToken public immutable token;
    MockFeeSource public immutable fees;
    address[3] public ops;
    address[3] public actors;

    uint256[] public withdrawalIds;
    uint256 public calls;
    bool public capViolated;
    /// @dev Set if a draw changed within a weight epoch (it must only change across epochs).
    bool public drawChanged;
    uint256 public probes;
    uint256 internal _probeEpoch;
    address internal _probePick;
    mapping(address operator => uint256) public ghostWindowStart;
    mapping(address operator => uint256) public ghostWindowBase;
    mapping(address operator => uint256) public ghostWindowSlashed;

    constructor(Staking staking_, OPGToken token_, MockFeeSource fees_, address[3] memory ops_) {
        staking = staking_;
        token = token_;
        fees = fees_;
        ops = ops_;
        actors = [address(0xA1), address(0xA2), address(0xA3)];
        for (uint256 i; i < 3; ++i) {
            vm.prank(actors[i]);
            token.approve(address(staking_), type(uint256).max);
        }
        token_.approve(address(staking_), type(uint256).max);
        token_.approve(address(fees_), type(uint256).max);
    }

    function withdrawalCount() external view returns (uint256) {
        return withdrawalIds.length;
    }

    function delegate(uint256 actorSeed, uint256 opSeed, uint256 amount) external {
        ++calls;
        address actor = actors[actorSeed % 3];
        address op = ops[opSeed % 3];
        if (!staking.isEligible(op)) return;
        amount = bound(amount, 1, 1e6 ether);
        token.transfer(actor, amount);
        vm.prank(actor);
        staking.delegate(op, amount);
    }

    function undelegate(uint256 actorSeed, uint256 opSeed, uint256 percent) external {
        ++calls;
        address actor = actors[actorSeed % 3];
        address op = ops[opSeed % 3];
        uint256 shares = (staking.sharesOf(op, actor) * bound(percent, 1, 100)) / 100;
        if (shares == 0) return;
        vm.prank(actor);
        withdrawalIds.push(staking.undelegate(op, shares));
    }

    function complete(uint256 seed) external {
        ++calls;
        uint256 n = withdrawalIds.length;
        if (n == 0) return;
        uint256 i = seed % n;
        uint256 id = withdrawalIds[i];
        Staking.Withdrawal memory w = staking.withdrawal(id);
        if (block.timestamp < w.unlocksAt) return;
        if (staking.getOperator(w.operator).openDisputes != 0) return;
        staking.completeUndelegation(id);
        withdrawalIds[i] = withdrawalIds[n - 1];
        withdrawalIds.pop();
    }

    function claim(uint256 holderSeed, uint256 opSeed) external {
        ++calls;
        address op = ops[opSeed % 3];
        address holder = holderSeed % 4 == 3 ? op : actors[holderSeed % 4];
        vm.prank(holder);
        try staking.claimRewards(op) {} catch {}
    }

    function slash(uint256 opSeed, uint256 amount, bool doJail) external {
        ++calls;
        address op = ops[opSeed % 3];
        amount = bound(amount, 1, 2e6 ether);
        uint256 assetsBefore = staking.poolAssets(op);
        uint256 start = ghostWindowStart[op];
        if (start == 0 || block.timestamp >= start + staking.slashWindow()) {
            ghostWindowStart[op] = block.timestamp;
            ghostWindowBase[op] = assetsBefore;
            ghostWindowSlashed[op] = 0;
        }
        uint256 slashed = staking.slash(op, amount, doJail ? uint64(block.timestamp + 1 hours) : 0);
        if (slashed > amount) capViolated = true;
        ghostWindowSlashed[op] += slashed;
        if (ghostWindowSlashed[op] * 10_000 > ghostWindowBase[op] * staking.slashCapBps()) capViolated = true;
    }

    function reward(uint256 opSeed, uint256 amount, bool viaFeeSource) external {
        ++calls;
        address op = ops[opSeed % 3];
        amount = bound(amount, 1, 1e5 ether);
        if (viaFeeSource) fees.accrue(op, amount);
        else staking.notifyReward(op, amount);
    }

    function sync(uint256 opSeed) external {
        ++calls;
        staking.syncRewards(ops[opSeed % 3]);
    }

    function jail(uint256 opSeed, uint256 duration) external {
        ++calls;
        staking.jail(ops[opSeed % 3], uint64(block.timestamp + bound(duration, 1, 2 days)));
    }

    function unjail(uint256 opSeed) external {
        ++calls;
        address op = ops[opSeed % 3];
        vm.prank(op);
        try staking.unjail() {} catch {}
    }

    function lock(uint256 opSeed, bool unlock) external {
        ++calls;
        address op = ops[opSeed % 3];
        if (unlock) {
            if (staking.getOperator(op).openDisputes != 0) staking.unlockStake(op);
        } else {
            staking.lockStake(op);
        }
    }

    function warp(uint256 dt) external {
        ++calls;
        vm.warp(block.timestamp + bound(dt, 1, 3 days));
        vm.roll(block.number + (dt % 80));
    }

    /// @dev Draws with a fixed seed: within one weight epoch the pick never changes, whatever the other
    ///      actions (delegate, undelegate, slash, jail, unjail, complete) did in between.
    function probeDraw() external {
        ++calls;
        address pick;
        try staking.selectOperators(42, 1, new address[](0)) returns (address[] memory p) {
            pick = p[0];
        } catch {
            pick = address(1);
        }
        (uint64 epoch, ) = staking.weightEpoch();
        if (probes != 0 && epoch == _probeEpoch && pick != _probePick) drawChanged = true;
        _probeEpoch = epoch;
        _probePick = pick;
        ++probes;
    }
}

contract StakingInvariantTest is Test {
    OPGToken internal token;
    Staking internal staking;
    MockFeeSource internal fees;
    StakingHandler internal handler;
    address[3] internal ops = [address(0x1001), address(0x1002), address(0x1003)];

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OPGToken(address(this), 1e12 ether);
        staking = new Staking(IERC20(address(token)), address(this));
        fees = new MockFeeSource(IERC20(address(token)));
        fees.setStaking(address(staking));
        staking.setFeeSource(address(fees));
        for (uint256 i; i < 3; ++i) {
            token.transfer(ops[i], 2_000 ether);
            vm.startPrank(ops[i]);
            token.approve(address(staking), type(uint256).max);
            staking.registerOperator(address(uint160(0x5001 + i)), uint16(1_000 * i), "x", 2_000 ether);
            vm.stopPrank();
        }
        handler = new StakingHandler(staking, token, fees, ops);
        staking.setSlashers(address(handler), address(handler));
        token.transfer(address(handler), 1e11 ether);
        targetContract(address(handler));
    }

    /// @dev The staking contract's OPG balance equals the pools' assets plus every unclaimed reward and
    ///      commission, plus sub-wei reward dust (at most a few wei per handler call, never negative).
    function invariant_tokenBalanceCoversPoolsAndRewards() public view {
        uint256 accounted;
        for (uint256 i; i < 3; ++i) {
            address op = ops[i];
            Staking.OperatorInfo memory info = staking.getOperator(op);
            accounted += info.assets + info.commissionClaimable + staking.pendingRewards(op, op);
            for (uint256 j; j < 3; ++j) accounted += staking.pendingRewards(op, handler.actors(j));
        }
        uint256 balance = token.balanceOf(address(staking));
        assertGe(balance, accounted, "solvent");
        assertLe(balance - accounted, 4 * (handler.calls() + 1), "dust bounded");
        uint256 total;
        for (uint256 i; i < 3; ++i) total += staking.poolAssets(ops[i]);
        assertEq(staking.totalStake(), total, "totalStake");
    }

    /// @dev Shares are conserved (holders + queued withdrawals = S, queued = Q) and their value at A/S adds
    ///      up to A less at most 1 wei of rounding per position.
    function invariant_sharesTimesPriceEqualsAssets() public view {
        uint256 n = handler.withdrawalCount();
        for (uint256 i; i < 3; ++i) {
            address op = ops[i];
            Staking.OperatorInfo memory info = staking.getOperator(op);
            uint256 shares = staking.sharesOf(op, op);
            uint256 value = staking.assetsOf(op, op);
            uint256 positions = 1;
            for (uint256 j; j < 3; ++j) {
                address actor = handler.actors(j);
                shares += staking.sharesOf(op, actor);
                value += staking.assetsOf(op, actor);
                ++positions;
            }
            uint256 queued;
            for (uint256 k; k < n; ++k) {
                Staking.Withdrawal memory w = staking.withdrawal(handler.withdrawalIds(k));
                if (w.operator != op) continue;
                queued += w.shares;
                value += staking.convertToAssets(op, w.shares);
                ++positions;
            }
            assertEq(queued, info.queuedShares, "queued shares");
            assertEq(shares + queued, info.totalShares, "shares conserved");
            assertLe(value, info.assets, "value within assets");
            assertLe(info.assets - value, positions, "rounding dust per position");
        }
    }

    /// @dev No window ever loses more than slashCapBps of the pool's assets at the window start.
    function invariant_slashWithinCap() public view {
        assertTrue(!handler.capViolated(), "slash cap exceeded");
    }

    /// @dev The (latest) draw tree holds each eligible operator's active stake and nothing else: neither
    ///      queued nor activating shares weigh.
    function invariant_drawWeightsMatchPools() public view {
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            address op = ops[i];
            Staking.OperatorInfo memory info = staking.getOperator(op);
            uint256 expected;
            if (staking.isEligible(op) && info.totalShares != 0) {
                uint256 active = info.totalShares - info.queuedShares - info.activatingShares;
                expected = ((active * info.assets) / info.totalShares / 1e12) * 1e12;
            }
            assertEq(info.drawWeight, expected, "draw weight");
            total += expected;
        }
        assertEq(staking.latestTotalWeight(), total, "tree total");
    }

    /// @dev The pool's activating shares are exactly its delegators' tranches still waiting.
    function invariant_activatingSharesAddUp() public view {
        for (uint256 i; i < 3; ++i) {
            address op = ops[i];
            uint256 waiting;
            for (uint256 j; j < 4; ++j) {
                (uint256 shares, uint64 at) = staking.activatingOf(op, j == 3 ? op : handler.actors(j));
                if (at != 0) waiting += shares;
            }
            assertEq(staking.getOperator(op).activatingShares, waiting, "activating shares");
        }
    }

    /// @dev Stake moved during a weight epoch never changes that epoch's draw.
    function invariant_drawFrozenWithinEpoch() public view {
        assertTrue(!handler.drawChanged(), "draw changed within an epoch");
    }
}
