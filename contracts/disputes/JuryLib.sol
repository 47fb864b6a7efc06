// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {AgreementChecker} from "../requests/AgreementChecker.sol";
import {IStakingDisputes} from "./IDisputeDeps.sol";
import {IDisputes} from "./IDisputes.sol";

/// @title JuryLib
/// @notice The committee of a dispute (seating, commit, reveal, tally, closing a round) and the judgement
///         of the operators' answers against a decided output. A linked library: its code runs in the
///         dispute contract's context (delegatecall), on the dispute contract's storage.
library JuryLib {
    uint8 internal constant OUTCOME_RESULT = 0;
    uint8 internal constant OUTCOME_INVALID_INPUT = 1;

    /// @notice Committee storage, keyed by {roundKey}.
    struct Rounds {
        mapping(uint256 roundKey => address[]) jurors;
        mapping(uint256 roundKey => mapping(address juror => IDisputes.Ballot)) ballots;
        mapping(uint256 roundKey => mapping(bytes31 vote => uint256)) votes;
        mapping(uint256 roundKey => Tally) tally;
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

    /// @notice Draws and seats the committee of `round`, excluding the request's operators and the
    ///         challenger (and the operator behind it, if the challenger is a signer key), and opens its
    ///         commit phase. Returns false when too few operators are eligible; any other draw failure
    ///         reverts (a starved call must not skip a round).
    function drawRound(
        Rounds storage r,
        IDisputes.Dispute storage d,
        address staking,
        uint256 disputeId,
        uint8 round,
        address[] calldata operators,
        uint256 size,
        uint32 commitDuration,
        uint32 revealDuration
    ) public returns (bool) {
        uint256 n = operators.length;
        address[] memory exclude = new address[](n + 2);
        for (uint256 i = 0; i < n; ++i) exclude[i] = operators[i];
        address challenger = d.challenger;
        if (challenger != address(0)) {
            exclude[n] = challenger;
            exclude[n + 1] = IStakingDisputes(staking).operatorOfSigner(challenger);
        }
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, disputeId, round)));
        address[] memory jurors;
        try IStaking(staking).selectOperators(seed, size, exclude) returns (address[] memory drawn) {
            jurors = drawn;
        } catch (bytes memory reason) {
            if (reason.length < 4 || bytes4(reason) != IStaking.NotEnoughOperators.selector) {
                revert IDisputes.DrawFailed(disputeId);
            }
            return false;
        }
        _seat(r, roundKey(disputeId, round), jurors);
        uint40 commitDeadline = uint40(block.timestamp) + commitDuration;
        uint40 revealDeadline = commitDeadline + revealDuration;
        d.round = round;
        d.phase = IDisputes.Phase.Voting;
        d.commitDeadline = commitDeadline;
        d.revealDeadline = revealDeadline;
        emit IDisputes.JuryDrawn(disputeId, round, jurors, seed, commitDeadline, revealDeadline);
        return true;
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
        if (outcome > OUTCOME_INVALID_INPUT) revert IDisputes.BadOutcome(outcome);
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
