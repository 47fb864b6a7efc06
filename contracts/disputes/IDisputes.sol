// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DisputeMath} from "./DisputeMath.sol";

/// @title IDisputes
/// @notice Types, errors and events of the dispute contract (docs/disputes.md). A dispute's id is the id of
///         the request it disputes: a request can be disputed once.
interface IDisputes {
    /// @notice Open: waiting for the jury draw or the referee. Voting: a committee round runs.
    ///         Arbitration: the rounds ran out; only the arbiter (or the referee) can decide.
    enum Phase {
        None,
        Open,
        Voting,
        Arbitration,
        Settled
    }

    enum BallotState {
        None,
        Drawn,
        Committed,
        Revealed
    }

    /// @notice How a dispute was decided.
    enum Method {
        Referee,
        Committee,
        Arbiter
    }

    /// @notice A dispute, in two slots.
    struct Dispute {
        address challenger; // address(0) for an automatic dispute (answers disagreed)
        uint96 bond;
        bytes20 requestCommitment; // keccak256(abi.encode(request)), first 20 bytes
        uint40 commitDeadline;
        uint40 revealDeadline;
        Phase phase;
        uint8 round;
    }

    /// @notice A juror's ballot in one round: the commitment, then the vote key once revealed.
    struct Ballot {
        bytes31 hash;
        BallotState state;
    }

    error NotGovernance(address caller);
    error NotArbiter(address caller);
    error NotCoordinator(address caller);
    error ZeroAddress();
    error InvalidParameters();
    error DisputeExists(uint256 disputeId);
    error WrongPhase(uint256 disputeId, Phase phase);
    error RequestMismatch(uint256 disputeId);
    error NoReferee(bytes32 modelHash);
    error InputMismatch(uint256 disputeId);
    error RefereeFailed(uint256 disputeId);
    error DrawFailed(uint256 disputeId);
    error NotJuror(uint256 disputeId, address caller);
    error AlreadyCommitted(uint256 disputeId, address juror);
    error NotCommitted(uint256 disputeId, address juror);
    error CommitClosed(uint256 disputeId, uint40 commitDeadline);
    error RevealNotOpen(uint256 disputeId, uint40 commitDeadline, uint40 revealDeadline);
    error RevealMismatch(uint256 disputeId, address juror);
    error BadOutcome(uint8 outcome);
    error BadReasonCode();
    error RevealNotOver(uint256 disputeId, uint40 revealDeadline);
    error NoMajority(uint256 disputeId, uint8 round);
    error MajorityReached(uint256 disputeId, uint8 round);
    error MajorityMismatch(uint256 disputeId);
    error AnswerMismatch(uint256 disputeId, uint256 index);
    error OutputCountMismatch(uint256 given, uint256 expected);

    event DisputeOpened(
        uint256 indexed disputeId,
        address indexed challenger,
        uint256 bond,
        bytes claimedOutput
    );
    event JuryDrawn(
        uint256 indexed disputeId,
        uint8 round,
        address[] jurors,
        uint256 seed,
        uint40 commitDeadline,
        uint40 revealDeadline
    );
    event VoteCommitted(uint256 indexed disputeId, uint8 round, address indexed juror, bytes32 commitment);
    event VoteRevealed(
        uint256 indexed disputeId,
        uint8 round,
        address indexed juror,
        uint8 outcome,
        bytes32 outputHash
    );
    event JurorPenalised(uint256 indexed disputeId, uint8 round, address indexed juror, uint256 slashed);
    event DisputeEscalated(uint256 indexed disputeId, uint8 fromRound);
    event ArbitrationRequired(uint256 indexed disputeId, uint8 rounds);
    event ArbiterDecided(
        uint256 indexed disputeId,
        address indexed arbiter,
        uint8 outcome,
        bytes32 outputHash,
        uint8 wrongMask
    );
    /// @notice The decision: which operators were wrong, the right outcome and output hash.
    event DisputeResolved(
        uint256 indexed disputeId,
        Method method,
        uint8 wrongMask,
        uint8 outcome,
        bytes32 outputHash
    );
    /// @notice Every token moved by a settlement. Operator wrong: slashed = compensation + challengerReward
    ///         + toJurors + burned (less juror penalties, burned too). Challenger wrong: bond = toOperators +
    ///         toJurors + burned (plus juror penalties).
    event DisputePayouts(
        uint256 indexed disputeId,
        uint256 slashed,
        uint256 compensation,
        uint256 challengerPaid,
        uint256 toJurors,
        uint256 toOperators,
        uint256 burned
    );
    event ParametersChanged(DisputeMath.Params params);
    event ArbiterChanged(address indexed arbiter);
    event GovernanceTransferred(address indexed governance);
}
