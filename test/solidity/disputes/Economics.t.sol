// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {DisputeMath} from "../../../contracts/disputes/DisputeMath.sol";

/// @notice docs/economics.md, checked over fuzzed parameters within the contract's own bounds and with the
///         contract's own formulas (DisputeMath): lying and disputing falsely have negative expected value
///         whenever the committee errs with probability ε ≤ 1/3, and disputing a lie pays.
contract EconomicsTest is Test {
    uint256 private constant EPS_DEN = 1_000;
    uint256 private constant EPS_MAX = 333; // ε ≤ 1/3 (in thousandths)

    function _params(uint256[8] memory r) private pure returns (DisputeMath.Params memory p) {
        p = DisputeMath.defaults();
        p.slashFloor = uint96(bound(r[0], DisputeMath.SLASH_FLOOR_MIN, DisputeMath.SLASH_FLOOR_MAX));
        uint256 bondCap = 2 * uint256(p.slashFloor);
        if (bondCap > DisputeMath.MIN_BOND_MAX) bondCap = DisputeMath.MIN_BOND_MAX;
        p.minBond = uint96(bound(r[1], DisputeMath.MIN_BOND_MIN, bondCap));
        p.feeMultipleBps = uint32(bound(r[2], DisputeMath.FEE_MULTIPLE_MIN, DisputeMath.FEE_MULTIPLE_MAX));
        p.slashBps = uint16(bound(r[3], DisputeMath.SLASH_BPS_MIN, DisputeMath.SLASH_BPS_MAX));
        p.challengerRewardBps = uint16(bound(r[4], DisputeMath.CHALLENGER_REWARD_MIN, DisputeMath.BPS));
        p.compensationBps = uint16(bound(r[5], 0, DisputeMath.BPS - p.challengerRewardBps));
        p.jurorRewardBps = uint16(DisputeMath.BPS - p.challengerRewardBps - p.compensationBps);
        p.operatorShareBps = uint16(bound(r[6], 0, DisputeMath.OPERATOR_SHARE_MAX));
        p.jurorBondShareBps = uint16(bound(r[7], 0, DisputeMath.BOND_SHARES_MAX - p.operatorShareBps));
        assertTrue(DisputeMath.valid(p), "fuzzed parameters within bounds");
    }

    /// @dev A colluding set of operators (all k answers) lies. With probability 1-ε the lie is caught: each
    ///      loses its slash and the fee. With probability ε the committee errs: they keep the fee and their
    ///      pools receive the operator share of the challenger's bond. Honest work would have earned the fee
    ///      minus a compute cost ≥ 0, so the lie's advantage is at most EV(lie) computed here.
    function testFuzz_lyingLoses(uint256[8] memory r, uint256 pool, uint256 price, uint256 eps) public pure {
        DisputeMath.Params memory p = _params(r);
        pool = bound(pool, 1_000 ether, 1e9 ether);
        // Registration rule (docs/economics.md): the slash must fit the staking slash cap (50% of a pool).
        uint256 maxPrice = (pool * 5_000 * DisputeMath.BPS) / DisputeMath.BPS / p.feeMultipleBps;
        price = bound(price, 0, maxPrice);
        eps = bound(eps, 0, EPS_MAX);
        uint256 risk = DisputeMath.atRisk(p, pool, price);
        vm.assume(risk <= pool / 2);
        uint256 bondAmount = DisputeMath.bond(p, risk);
        DisputeMath.BondSplit memory b = DisputeMath.splitBond(p, bondAmount, true);
        assertEq(b.operators + b.jurors + b.burned, bondAmount, "bond split adds up");
        uint256 gain = eps * (price + b.operators);
        uint256 loss = (EPS_DEN - eps) * risk;
        assertTrue(gain < loss, "EV(lie) < 0");
    }

    /// @dev A challenger disputes a right answer. With probability 1-ε it loses the bond; with ε the
    ///      committee errs and it gets the bond back plus the reward (capped by its bond).
    function testFuzz_frivolousDisputeLoses(
        uint256[8] memory r,
        uint256 pool,
        uint256 price,
        uint256 eps
    ) public pure {
        DisputeMath.Params memory p = _params(r);
        pool = bound(pool, 1_000 ether, 1e9 ether);
        price = bound(price, 0, 1e6 ether);
        eps = bound(eps, 0, EPS_MAX);
        uint256 risk = DisputeMath.atRisk(p, pool, price);
        uint256 slashed = risk < pool / 2 ? risk : pool / 2;
        uint256 bondAmount = DisputeMath.bond(p, risk);
        DisputeMath.SlashSplit memory s = DisputeMath.splitSlash(p, slashed, bondAmount, true, true);
        assertEq(s.compensation + s.challengerReward + s.jurors + s.burned, slashed, "slash split adds up");
        uint256 gain = eps * s.challengerReward;
        uint256 loss = (EPS_DEN - eps) * bondAmount;
        assertTrue(gain < loss, "EV(frivolous dispute) < 0");
    }

    /// @dev Disputing a lie pays: the challenger gets its bond back and a positive reward.
    function testFuzz_honestChallengePays(uint256[8] memory r, uint256 pool, uint256 price) public pure {
        DisputeMath.Params memory p = _params(r);
        pool = bound(pool, 1_000 ether, 1e9 ether);
        price = bound(price, 0, 1e6 ether);
        uint256 risk = DisputeMath.atRisk(p, pool, price);
        uint256 slashed = risk < pool / 2 ? risk : pool / 2;
        DisputeMath.SlashSplit memory s = DisputeMath.splitSlash(
            p,
            slashed,
            DisputeMath.bond(p, risk),
            true,
            true
        );
        assertTrue(s.challengerReward > 0, "reward > 0");
    }

    /// @dev The bond equals the operator's risk (or the minimum bond) to within one gwei, rounded up, and
    ///      never exceeds twice the slash plus that gwei (the bound the lying argument uses).
    function testFuzz_bondMatchesRisk(uint256[8] memory r, uint256 pool, uint256 price) public pure {
        DisputeMath.Params memory p = _params(r);
        pool = bound(pool, 1_000 ether, 1e9 ether);
        price = bound(price, 0, 1e6 ether);
        uint256 risk = DisputeMath.atRisk(p, pool, price);
        uint256 b = DisputeMath.bond(p, risk);
        uint256 floor = risk > p.minBond ? risk : p.minBond;
        assertEq(b % DisputeMath.BOND_UNIT, 0, "whole gwei");
        assertTrue(b >= floor && b < floor + DisputeMath.BOND_UNIT, "bond = max(minBond, risk), rounded up");
        assertTrue(b < 2 * risk + DisputeMath.BOND_UNIT, "bond < 2 x slash + 1 gwei");
    }

    /// @dev The arbiter timeout is a bounded parameter: outside [1 h, 30 d] the set is invalid.
    function testFuzz_arbiterTimeoutBounded(uint32 timeout) public pure {
        DisputeMath.Params memory p = DisputeMath.defaults();
        p.arbiterTimeout = timeout;
        bool inside =
            timeout >= DisputeMath.ARBITER_TIMEOUT_MIN && timeout <= DisputeMath.ARBITER_TIMEOUT_MAX;
        assertTrue(DisputeMath.valid(p) == inside, "valid iff within bounds");
    }
}
