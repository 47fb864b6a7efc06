// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IRefereeCourt} from "../interfaces/IRefereeCourt.sol";
import {AgreementChecker} from "../requests/AgreementChecker.sol";
import {DisputeMath} from "./DisputeMath.sol";
import {IStakingDisputes} from "../interfaces/IDisputeDeps.sol";
import {IDisputes} from "../interfaces/IDisputes.sol";
import {IVerdictErrors} from "../interfaces/IVerdictErrors.sol";

/// @title JuryLib
/// @notice The committee of a dispute (seating, commit, reveal, tally, closing a round) and the judgement
///         of the operators' answers against a decided output. A linked library: its code runs in the
///         dispute contract's context (delegatecall), on the dispute contract's storage.
library JuryLib {
    uint8 internal constant OUTCOME_RESULT = 0;
    uint8 internal constant OUTCOME_INVALID_INPUT = 1;
    /// @notice {drawRound} results.
    uint8 internal constant DRAWN = 0;
    uint8 internal constant TOO_FEW = 1;
    uint8 internal constant NEW_TICKET = 2;

    /// @notice Committee storage, keyed by {roundKey}.
    struct Rounds {
        mapping(uint256 roundKey => address[]) jurors;
        mapping(uint256 roundKey => mapping(address juror => IDisputes.Ballot)) ballots;
        mapping(uint256 roundKey => mapping(bytes31 vote => uint256)) votes;
        mapping(uint256 roundKey => Tally) tally;
        /// @dev The pending randomness ticket of a dispute's next committee: the block it was taken in
        ///      (bits 192-255) and the source's ticket (bits 0-191).
        mapping(uint256 disputeId => uint256) tickets;
        /// @dev The referee's verdict of a dispute and its appeal.
        mapping(uint256 disputeId => IDisputes.Appeal) appeals;
    }

    /// @notice A round's committee size and the vote key a strict majority revealed (zero until then),
    ///         in one slot written when the committee is seated.
    struct Tally {
        bytes31 majority;
        uint8 seated;
    }

    /// @notice The storage key of a dispute's round.
    function roundKey(uint256 disputeId, uint8 round) internal pure returns (uint256) {
        return (disputeId << 8) | round;
    }

    /// @notice The key a revealed vote is counted under ("invalid input" votes count together).
    function voteKey(uint8 outcome, bytes32 outputHash) internal pure returns (bytes31) {
        return
            bytes31(
                keccak256(abi.encode(outcome, outcome == OUTCOME_INVALID_INPUT ? bytes32(0) : outputHash))
            );
    }

    /// @notice Takes a randomness ticket for the next committee of `disputeId` (when a dispute opens, when a
    ///         round ends without a majority, when a referee's verdict is appealed, when a ticket expired):
    ///         the committee is drawn from its value, which nobody knows yet.
    function takeTicket(Rounds storage r, address source, uint256 disputeId, uint8 nextRound) public {
        uint256 ticket = IRandomnessSource(source).requestRandomness();
        if (ticket >> 192 != 0) revert IDisputes.TicketTooLarge(ticket);
        r.tickets[disputeId] = (block.number << 192) | ticket;
        emit IDisputes.JuryTicketTaken(disputeId, nextRound, ticket);
    }

    /// @notice Draws and seats the committee of `round` from the value of the dispute's ticket, excluding the
    ///         request's operators, the challenger and the appellant (and the operators behind them, if they
    ///         are signer keys), and opens its commit phase. Returns {TOO_FEW} when too few operators are
    ///         eligible, {NEW_TICKET} when the ticket expired or the staking weights moved on since it was
    ///         taken (a new ticket is taken: draw again once it is ready); reverts
    ///         `IRandomnessSource.RandomnessNotReady` before the ticket's value exists (nobody can choose the
    ///         block, then draw) and on any other draw failure (a starved call must not skip a round).
    function drawRound(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address staking,
        address source,
        uint256 disputeId,
        uint8 round,
        address[] calldata operators,
        address appellant,
        uint256 size,
        uint32 commitDuration,
        uint32 revealDuration
    ) public returns (uint8) {
        uint256 seed;
        {
            uint256 packed = r.tickets[disputeId];
            uint256 ticket = uint192(packed);
            (bool ready, bool expired, bytes32 value) = IRandomnessSource(source).randomness(ticket);
            if (expired || _weightsMoved(staking, packed >> 192)) {
                takeTicket(r, source, disputeId, round);
                return NEW_TICKET;
            }
            if (!ready) revert IRandomnessSource.RandomnessNotReady(ticket);
            seed = uint256(keccak256(abi.encode(value, disputeId, round)));
        }
        address[] memory jurors;
        try
            IStaking(staking).selectOperators(seed, size, _excluded(d, staking, operators, appellant))
        returns (address[] memory drawn) {
            jurors = drawn;
        } catch (bytes memory reason) {
            if (reason.length < 4 || bytes4(reason) != IStaking.NotEnoughOperators.selector) {
                revert IDisputes.DrawFailed(disputeId);
            }
            return TOO_FEW;
        }
        _seat(r, roundKey(disputeId, round), jurors);
        uint40 commitDeadline = uint40(block.timestamp) + commitDuration;
        uint40 revealDeadline = commitDeadline + revealDuration;
        d.round = round;
        d.phase = IDisputes.Phase.Voting;
        d.commitDeadline = commitDeadline;
        d.revealDeadline = revealDeadline;
        emit IDisputes.JuryDrawn(disputeId, round, jurors, seed, commitDeadline, revealDeadline);
        return DRAWN;
    }

    /// @dev Who may not sit on the committee: the request's operators, the challenger, the appellant and the
    ///      operators behind those two keys.
    function _excluded(
        IDisputes.Dispute storage d,
        address staking,
        address[] calldata operators,
        address appellant
    ) private view returns (address[] memory exclude) {
        uint256 n = operators.length;
        exclude = new address[](n + 4);
        for (uint256 i = 0; i < n; ++i) exclude[i] = operators[i];
        address challenger = d.challenger;
        if (challenger != address(0)) {
            exclude[n] = challenger;
            exclude[n + 1] = IStakingDisputes(staking).operatorOfSigner(challenger);
        }
        if (appellant != address(0)) {
            exclude[n + 2] = appellant;
            exclude[n + 3] = IStakingDisputes(staking).operatorOfSigner(appellant);
        }
    }

    /// @dev True when the current weight epoch started after block T + 1, T = `takenAt` + 1 being the block
    ///      whose randomness the ticket names (IStaking.weightEpoch: a draw seeded by block T is valid only while
    ///      startBlock <= T + 1): the weights could include stake moved once the seed was known, so the ticket
    ///      is stale. A staking contract without weight epochs (no `weightEpoch()`) never makes it stale.
    function _weightsMoved(address staking, uint256 takenAt) private view returns (bool) {
        (bool ok, bytes memory ret) = staking.staticcall(abi.encodeWithSignature("weightEpoch()"));
        if (!ok || ret.length < 64) return false;
        (, uint64 startBlock) = abi.decode(ret, (uint64, uint64));
        return startBlock > takenAt + 2;
    }

    function _seat(Rounds storage r, uint256 key, address[] memory drawn) private {
        address[] storage list = r.jurors[key];
        for (uint256 i = 0; i < drawn.length; ++i) {
            list.push(drawn[i]);
            r.ballots[key][drawn[i]].state = IDisputes.BallotState.Drawn;
        }
        r.tally[key].seated = uint8(drawn.length);
    }

    /// @notice Records the commitment of the juror whose current signer key is `signer`.
    function commit(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address staking,
        uint256 disputeId,
        address signer,
        bytes32 commitment
    ) public {
        if (d.phase != IDisputes.Phase.Voting) revert IDisputes.WrongPhase(disputeId, d.phase);
        if (block.timestamp > d.commitDeadline) revert IDisputes.CommitClosed(disputeId, d.commitDeadline);
        address juror = _jurorOf(staking, disputeId, signer);
        uint8 round = d.round;
        IDisputes.Ballot storage b = r.ballots[roundKey(disputeId, round)][juror];
        IDisputes.BallotState state = b.state;
        if (state == IDisputes.BallotState.None) revert IDisputes.NotJuror(disputeId, signer);
        if (state != IDisputes.BallotState.Drawn) revert IDisputes.AlreadyCommitted(disputeId, juror);
        b.hash = bytes31(commitment);
        b.state = IDisputes.BallotState.Committed;
        emit IDisputes.VoteCommitted(disputeId, round, juror, commitment);
    }

    /// @notice Checks a reveal against the commitment and counts it; records a strict majority.
    function reveal(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address staking,
        uint256 disputeId,
        address signer,
        uint8 outcome,
        bytes32 outputHash,
        bytes32 salt
    ) public {
        if (d.phase != IDisputes.Phase.Voting) revert IDisputes.WrongPhase(disputeId, d.phase);
        if (block.timestamp <= d.commitDeadline || block.timestamp > d.revealDeadline) {
            revert IDisputes.RevealNotOpen(disputeId, d.commitDeadline, d.revealDeadline);
        }
        if (outcome > OUTCOME_INVALID_INPUT) revert IVerdictErrors.BadOutcome(outcome);
        address juror = _jurorOf(staking, disputeId, signer);
        uint8 round = d.round;
        uint256 key = roundKey(disputeId, round);
        IDisputes.Ballot storage b = r.ballots[key][juror];
        if (b.state != IDisputes.BallotState.Committed) revert IDisputes.NotCommitted(disputeId, juror);
        bytes31 expected = bytes31(keccak256(abi.encode(disputeId, round, juror, outcome, outputHash, salt)));
        if (b.hash != expected) revert IDisputes.RevealMismatch(disputeId, juror);
        bytes31 vote = voteKey(outcome, outputHash);
        b.hash = vote;
        b.state = IDisputes.BallotState.Revealed;
        uint256 count = ++r.votes[key][vote];
        Tally storage t = r.tally[key];
        if (2 * count > t.seated && t.majority == bytes31(0)) t.majority = vote;
        emit IDisputes.VoteRevealed(disputeId, round, juror, outcome, outputHash);
    }

    /// @notice Ends a round: jurors that did not reveal are slashed `penalty` (the total is returned, to
    ///         burn); returns how many revealed `majority` (they claim their share later).
    function closeRound(
        Rounds storage r,
        address staking,
        uint256 disputeId,
        uint8 round,
        bytes31 majority,
        uint256 penalty
    ) public returns (uint256 winners, uint256 penalties) {
        uint256 key = roundKey(disputeId, round);
        address[] storage list = r.jurors[key];
        uint256 n = list.length;
        for (uint256 i = 0; i < n; ++i) {
            address juror = list[i];
            IDisputes.Ballot memory b = r.ballots[key][juror];
            if (b.state == IDisputes.BallotState.Revealed) {
                if (majority != bytes31(0) && b.hash == majority) ++winners;
            } else {
                uint256 slashed = IStakingDisputes(staking).slash(juror, penalty, 0);
                penalties += slashed;
                emit IDisputes.JurorPenalised(disputeId, round, juror, slashed);
            }
        }
    }

    /// @notice Which operators were wrong against the decided (`outcome`, `output`), and an output that
    ///         some right operator attested (what the coordinator delivers when the answers stand).
    ///         Operators that never answered (only in an automatic dispute) are neither right nor wrong.
    /// @param invalidMask The request's invalid-input mask (bit i: operator i answered "invalid input").
    /// @param exact True for the referee: only an identical answer is right (no tolerance, no outputs).
    function judge(
        address coordinatorAddress,
        address checker,
        uint256 disputeId,
        uint256 k,
        uint256 tolerance,
        uint8 invalidMask,
        uint8 outcome,
        bytes memory output,
        bytes[] memory answeredOutputs,
        bool exact
    ) public view returns (uint8 wrongMask, bytes memory payoutOutput) {
        ICoordinator coordinator = ICoordinator(coordinatorAddress);
        if (!exact && answeredOutputs.length != k)
            revert IDisputes.OutputCountMismatch(answeredOutputs.length, k);
        bytes32 decided = keccak256(output);
        for (uint256 i = 0; i < k; ++i) {
            bytes32 answer = coordinator.answerOf(disputeId, i);
            if (answer == bytes32(0)) continue;
            bool saidInvalid = invalidMask & (1 << i) != 0;
            bool right;
            bytes memory attested = output;
            if (outcome == OUTCOME_INVALID_INPUT || saidInvalid) {
                right = outcome == OUTCOME_INVALID_INPUT && saidInvalid;
                attested = abi.encode(answer);
            } else if (answer == decided) {
                right = true;
            } else if (!exact && tolerance != 0) {
                // Tolerance 0: VTN1 is canonical, so agreement is byte equality and the hashes decide.
                attested = answeredOutputs[i];
                if (keccak256(attested) != answer) revert IDisputes.AnswerMismatch(disputeId, i);
                right = AgreementChecker(checker).agree(attested, output, tolerance);
            }
            if (!right) wrongMask |= uint8(1 << i);
            else if (payoutOutput.length == 0) payoutOutput = attested;
        }
    }

    /// @notice Replaces the dispute parameters with `p` if every one lies within its bounds
    ///         ({DisputeMath.valid}); else reverts `InvalidParameter("disputeParameters", 0)`.
    function setParameters(DisputeMath.Params storage target, DisputeMath.Params calldata p) public {
        if (!DisputeMath.valid(p)) revert IVerdictErrors.InvalidParameter("disputeParameters", 0);
        target.minBond = p.minBond;
        target.slashFloor = p.slashFloor;
        target.feeMultipleBps = p.feeMultipleBps;
        target.slashBps = p.slashBps;
        target.jurySize = p.jurySize;
        target.maxRounds = p.maxRounds;
        target.jurorPenalty = p.jurorPenalty;
        target.compensationBps = p.compensationBps;
        target.challengerRewardBps = p.challengerRewardBps;
        target.jurorRewardBps = p.jurorRewardBps;
        target.operatorShareBps = p.operatorShareBps;
        target.jurorBondShareBps = p.jurorBondShareBps;
        target.jailDuration = p.jailDuration;
        target.commitDuration = p.commitDuration;
        target.revealDuration = p.revealDuration;
        target.arbiterTimeout = p.arbiterTimeout;
        emit IDisputes.ParametersChanged(p);
    }

    // ------------------------------------------------------------------ referee and appeal

    /// @notice Runs the model's admitted referee (reverts `NoReferee` without one) and records its verdict,
    ///         open to appeal until `now + window`.
    function refereeDecide(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address court,
        uint256 disputeId,
        bytes32 modelHash,
        bytes calldata input,
        uint40 window
    ) public {
        (uint8 outcome, bytes memory output) = IRefereeCourt(court).evaluate(disputeId, modelHash, input);
        uint40 deadline = uint40(block.timestamp) + window;
        r.appeals[disputeId].verdict = verdictOf(outcome, output);
        d.phase = IDisputes.Phase.Refereed;
        d.arbiterDeadline = deadline;
        emit IDisputes.RefereeDecided(disputeId, outcome, output, deadline);
    }

    /// @notice Records an appeal of the referee's verdict by `appellant` with a bond of `amount` (pulled by
    ///         the caller) and takes the randomness ticket of the committee that decides instead.
    function appeal(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address source,
        uint256 disputeId,
        address appellant,
        uint256 amount
    ) public {
        if (d.phase != IDisputes.Phase.Refereed) revert IDisputes.WrongPhase(disputeId, d.phase);
        uint40 deadline = d.arbiterDeadline;
        if (block.timestamp > deadline) revert IDisputes.AppealClosed(disputeId, deadline);
        IDisputes.Appeal storage a = r.appeals[disputeId];
        a.appellant = appellant;
        a.bondUnits = uint64(amount / 1 gwei);
        d.phase = IDisputes.Phase.Open;
        d.appealed = true;
        emit IDisputes.RefereeAppealed(disputeId, appellant, amount);
        takeTicket(r, source, disputeId, d.round + 1);
    }

    /// @notice Checks that the referee's verdict can be applied: no appeal, the window is over, and
    ///         (`outcome`, `output`) is the verdict.
    function checkVerdict(
        Rounds storage r,
        IDisputes.Dispute storage d,
        uint256 disputeId,
        uint8 outcome,
        bytes calldata output
    ) public view {
        if (d.phase != IDisputes.Phase.Refereed) revert IDisputes.WrongPhase(disputeId, d.phase);
        uint40 deadline = d.arbiterDeadline;
        if (block.timestamp <= deadline) revert IDisputes.AppealOpen(disputeId, deadline);
        if (verdictOf(outcome, output) != r.appeals[disputeId].verdict)
            revert IDisputes.VerdictMismatch(disputeId);
    }

    /// @notice Settles an appeal against the decision (`outcome`, `output`); `decided` false: nobody decided
    ///         (arbiter timeout). Upheld (the decision is the referee's verdict; "invalid input" whatever the
    ///         reason): the bond is to be burned; otherwise credited back. Returns who and how much.
    function settleAppeal(
        Rounds storage r,
        uint256 disputeId,
        uint8 outcome,
        bytes memory output,
        bool decided
    ) public returns (address appellant, uint256 amount, bool upheld) {
        IDisputes.Appeal storage a = r.appeals[disputeId];
        bytes32 verdict = a.verdict;
        upheld =
            decided &&
            (verdict == verdictOf(outcome, output) ||
                (uint256(verdict) & 1 == OUTCOME_INVALID_INPUT && outcome == OUTCOME_INVALID_INPUT));
        appellant = a.appellant;
        amount = uint256(a.bondUnits) * 1 gwei;
        emit IDisputes.AppealSettled(disputeId, appellant, upheld, amount);
    }

    /// @notice The referee verdict key: keccak256(abi.encode(outcome, output)) with its lowest bit set to
    ///         `outcome`, so that "invalid input" is recognised whatever the reason code.
    function verdictOf(uint8 outcome, bytes memory output) internal pure returns (bytes32) {
        return bytes32((uint256(keccak256(abi.encode(outcome, output))) & ~uint256(1)) | outcome);
    }

    /// @notice Marks the share of `juror` (a majority juror of the deciding round of a settled dispute) paid
    ///         and returns it; reverts `NothingToClaim` for anyone else or a second time.
    function claimShare(
        Rounds storage r,
        IDisputes.Dispute storage d,
        uint256 disputeId,
        address juror
    ) public returns (uint256 amount) {
        amount = d.jurorShare;
        uint256 key = roundKey(disputeId, d.round);
        IDisputes.Ballot storage b = r.ballots[key][juror];
        if (
            d.phase != IDisputes.Phase.Settled ||
            amount == 0 ||
            b.state != IDisputes.BallotState.Revealed ||
            b.hash != r.tally[key].majority
        ) revert IDisputes.NothingToClaim(juror);
        b.state = IDisputes.BallotState.Paid;
        emit IDisputes.JurorRewardClaimed(disputeId, juror, amount);
    }

    /// @dev The operator behind a signer key, if that key is its current signer.
    function _jurorOf(
        address staking,
        uint256 disputeId,
        address signer
    ) private view returns (address juror) {
        juror = IStakingDisputes(staking).operatorOfSigner(signer);
        if (juror == address(0) || IStakingDisputes(staking).signerOf(juror) != signer)
            revert IDisputes.NotJuror(disputeId, signer);
    }
}
