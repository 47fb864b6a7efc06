// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DisputeMath
/// @notice The dispute parameters, their bounds, and the pure formulas every payout uses: the amount at
///         risk for an operator, the challenger's bond, and how a slash or a lost bond is split. The
///         dispute contract and the economics fuzz test (test/solidity/disputes/Economics.t.sol) both call
///         these, so the test checks the formulas that actually pay (docs/economics.md).
library DisputeMath {
    /// @notice The governed parameters (docs/disputes.md), packed in three slots: slot 0 is all that
    ///         opening a dispute reads.
    struct Params {
        // slot 0
        uint96 minBond; // floor of a challenger's bond, wei
        uint96 slashFloor; // floor of an operator's slash, wei
        uint32 feeMultipleBps; // an operator's at-risk amount is at least this multiple of the request price
        uint16 slashBps; // slash, in bps of the operator's pool
        uint8 jurySize; // jurors in round 1 (odd); round r+1 has 2M+1
        uint8 maxRounds; // committee rounds before the arbiter decides
        // slot 1
        uint96 jurorPenalty; // slash of a drawn juror that does not reveal, wei
        uint16 compensationBps; // of a slash: to the requester's escrow balance
        uint16 challengerRewardBps; // of min(slash, bond): to the winning challenger
        uint16 jurorRewardBps; // of a slash: to the majority jurors
        uint16 operatorShareBps; // of a lost bond: to the operators' pools
        uint16 jurorBondShareBps; // of a lost bond: to the majority jurors
        uint32 jailDuration; // seconds a losing operator is jailed
        uint32 commitDuration; // seconds jurors have to commit
        uint32 revealDuration; // seconds jurors have to reveal after the commit phase
        // slot 2
        uint32 arbiterTimeout; // seconds the arbiter has to decide before anyone may settle without a verdict
    }

    /// @notice How the tokens slashed from losing operators are spent. Sums to the slashed amount.
    struct SlashSplit {
        uint256 compensation;
        uint256 challengerReward;
        uint256 jurors;
        uint256 burned;
    }

    /// @notice How a losing challenger's bond is spent. Sums to the bond.
    struct BondSplit {
        uint256 operators;
        uint256 jurors;
        uint256 burned;
    }

    uint256 internal constant BPS = 10_000;

    // Bounds (inclusive). Every bound keeps lying and frivolous disputes unprofitable (docs/economics.md).
    uint256 internal constant MIN_BOND_MIN = 1 ether;
    uint256 internal constant MIN_BOND_MAX = 1_000_000 ether;
    uint256 internal constant SLASH_FLOOR_MIN = 1 ether;
    uint256 internal constant SLASH_FLOOR_MAX = 1_000_000 ether;
    uint256 internal constant FEE_MULTIPLE_MIN = 20_000; // 2x the price
    uint256 internal constant FEE_MULTIPLE_MAX = 1_000_000; // 100x the price
    uint256 internal constant SLASH_BPS_MIN = 100;
    uint256 internal constant SLASH_BPS_MAX = 5_000;
    uint256 internal constant JURY_SIZE_MAX = 9;
    uint256 internal constant MAX_ROUNDS_MAX = 3;
    uint256 internal constant JUROR_PENALTY_MIN = 0.1 ether;
    uint256 internal constant JUROR_PENALTY_MAX = 10_000 ether;
    uint256 internal constant CHALLENGER_REWARD_MIN = 1_000;
    uint256 internal constant SLASH_SHARES_MAX = BPS; // compensation + challenger reward + jurors
    uint256 internal constant OPERATOR_SHARE_MAX = 5_000;
    uint256 internal constant BOND_SHARES_MAX = 8_000; // at least 20% of a lost bond is burned
    uint256 internal constant JAIL_MIN = 1 hours;
    uint256 internal constant JAIL_MAX = 90 days;
    uint256 internal constant PHASE_MIN = 30 seconds;
    uint256 internal constant PHASE_MAX = 7 days;
    uint256 internal constant ARBITER_TIMEOUT_MIN = 1 hours;
    uint256 internal constant ARBITER_TIMEOUT_MAX = 30 days;
    /// @notice Bonds are whole multiples of this unit (rounded up), so a bond fits the dispute's first slot.
    uint256 internal constant BOND_UNIT = 1 gwei;
    /// @notice The largest committee any round can have: 9 → 19 → 39.
    uint256 internal constant MAX_JURORS = 39;

    /// @notice The defaults (docs/disputes.md; devnet-friendly phase durations).
    function defaults() internal pure returns (Params memory p) {
        p.minBond = 100 ether;
        p.slashFloor = 100 ether;
        p.feeMultipleBps = 100_000; // 10x the price
        p.slashBps = 1_000; // 10% of the pool
        p.jurySize = 3;
        p.maxRounds = 3;
        p.jurorPenalty = 10 ether;
        p.compensationBps = 2_000;
        p.challengerRewardBps = 3_000;
        p.jurorRewardBps = 2_000;
        p.operatorShareBps = 4_000;
        p.jurorBondShareBps = 1_000;
        p.jailDuration = 7 days;
        p.commitDuration = 60;
        p.revealDuration = 60;
        p.arbiterTimeout = 3 days;
    }

    /// @notice The amount an operator with `pool` assets risks on a request of total price `price`:
    ///         max(slashFloor, slashBps of the pool, feeMultipleBps of the price).
    function atRisk(Params memory p, uint256 pool, uint256 price) internal pure returns (uint256) {
        uint256 amount = p.slashFloor;
        uint256 byPool = (pool * p.slashBps) / BPS;
        uint256 byPrice = (price * p.feeMultipleBps) / BPS;
        if (byPool > amount) amount = byPool;
        if (byPrice > amount) amount = byPrice;
        return amount;
    }

    /// @notice The challenger's bond: max(minBond, the largest at-risk amount of the request's operators),
    ///         rounded up to a whole {BOND_UNIT}, so that the bond equals what the operator stands to lose
    ///         (UMA's equal bonds) to within 1 gwei.
    function bond(Params memory p, uint256 maxAtRisk) internal pure returns (uint256) {
        uint256 amount = maxAtRisk > p.minBond ? maxAtRisk : p.minBond;
        return ((amount + BOND_UNIT - 1) / BOND_UNIT) * BOND_UNIT;
    }

    /// @notice Splits `slashed` tokens taken from losing operators. The challenger's reward is capped by
    ///         its bond; without a challenger (automatic dispute) or without majority jurors (referee,
    ///         arbiter) those shares are burned. `burned` is the remainder, so the parts add up to the wei.
    function splitSlash(
        Params memory p,
        uint256 slashed,
        uint256 bondAmount,
        bool hasChallenger,
        bool hasJurors
    ) internal pure returns (SlashSplit memory s) {
        s.compensation = (slashed * p.compensationBps) / BPS;
        if (hasChallenger) {
            uint256 base = slashed < bondAmount ? slashed : bondAmount;
            s.challengerReward = (base * p.challengerRewardBps) / BPS;
        }
        if (hasJurors) s.jurors = (slashed * p.jurorRewardBps) / BPS;
        s.burned = slashed - s.compensation - s.challengerReward - s.jurors;
    }

    /// @notice Splits a losing challenger's bond: part to the operators' pools, part to the majority
    ///         jurors (burned without them), the rest burned.
    function splitBond(
        Params memory p,
        uint256 bondAmount,
        bool hasJurors
    ) internal pure returns (BondSplit memory s) {
        s.operators = (bondAmount * p.operatorShareBps) / BPS;
        if (hasJurors) s.jurors = (bondAmount * p.jurorBondShareBps) / BPS;
        s.burned = bondAmount - s.operators - s.jurors;
    }

    /// @notice The committee size of round `round` (1-based): M, 2M+1, 4M+3, ...
    function jurySizeOf(uint256 jurySize, uint256 round) internal pure returns (uint256 size) {
        size = jurySize;
        for (uint256 r = 1; r < round; ++r) size = 2 * size + 1;
    }

    /// @notice True when every parameter lies within its bounds and the shares fit.
    function valid(Params memory p) internal pure returns (bool) {
        return
            _in(p.minBond, MIN_BOND_MIN, MIN_BOND_MAX) &&
            _in(p.slashFloor, SLASH_FLOOR_MIN, SLASH_FLOOR_MAX) &&
            p.minBond <= 2 * uint256(p.slashFloor) &&
            _in(p.feeMultipleBps, FEE_MULTIPLE_MIN, FEE_MULTIPLE_MAX) &&
            _in(p.slashBps, SLASH_BPS_MIN, SLASH_BPS_MAX) &&
            _in(p.jurySize, 1, JURY_SIZE_MAX) &&
            p.jurySize % 2 == 1 &&
            _in(p.maxRounds, 1, MAX_ROUNDS_MAX) &&
            _in(p.jurorPenalty, JUROR_PENALTY_MIN, JUROR_PENALTY_MAX) &&
            p.challengerRewardBps >= CHALLENGER_REWARD_MIN &&
            uint256(p.compensationBps) + p.challengerRewardBps + p.jurorRewardBps <= SLASH_SHARES_MAX &&
            p.operatorShareBps <= OPERATOR_SHARE_MAX &&
            uint256(p.operatorShareBps) + p.jurorBondShareBps <= BOND_SHARES_MAX &&
            _in(p.jailDuration, JAIL_MIN, JAIL_MAX) &&
            _in(p.commitDuration, PHASE_MIN, PHASE_MAX) &&
            _in(p.revealDuration, PHASE_MIN, PHASE_MAX) &&
            _in(p.arbiterTimeout, ARBITER_TIMEOUT_MIN, ARBITER_TIMEOUT_MAX);
    }

    function _in(uint256 v, uint256 lo, uint256 hi) private pure returns (bool) {
        return v >= lo && v <= hi;
    }
}
