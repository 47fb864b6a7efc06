// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DisputeMath} from "../disputes/DisputeMath.sol";
import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title IDisputes
/// @notice Types, errors and events of the dispute contract (docs/disputes.md). A dispute's id is the id of
///         the request it disputes: a request can be disputed once.
interface IDisputes is IVerdictErrors {
    /// @notice Open: waiting for the jury draw (its randomness ticket is taken) or the referee. Voting: a
    ///         committee round runs. Arbitration: the rounds ran out; only the arbiter (or the referee) can
    ///         decide. Refereed: an admitted referee decided; its verdict can be appealed to the committee
    ///         until the appeal deadline, then anyone settles it ({settleReferee}).
    enum Phase {
        None,
        Open,
        Voting,
        Arbitration,
        Settled,
        Refereed
    }

    enum BallotState {
        None,
        Drawn,
        Committed,
        Revealed,
        Paid // a majority juror of the deciding round that claimed its share
    }

    /// @notice How a dispute was decided. Timeout: the arbiter did not decide in time; nobody is slashed.
    enum Method {
        Referee,
        Committee,
        Arbiter,
        Timeout
    }

    /// @notice A dispute, in two slots; opening one writes only the first. The request itself is passed
    ///         back in calldata and checked against the coordinator's commitment.
    struct Dispute {
        // slot 0
        address challenger; // address(0) for an automatic dispute (answers disagreed)
        uint64 bondUnits; // the bond in DisputeMath.BOND_UNIT (gwei)
        Phase phase;
        uint8 round;
        // slot 1 (written when a jury is drawn or the arbiter is called)
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint40 arbiterDeadline; // Arbitration: after it, anyone may settle without a verdict; Refereed: the
        // end of the appeal window
        uint128 jurorShare; // settled by a committee: what each juror of the majority claims
        bool appealed; // the referee's verdict was appealed: the committee decides, the referee no more
    }

    /// @notice A referee's verdict and, once appealed, the appellant and its bond (at risk: burned when the
    ///         committee or the arbiter upholds the verdict, credited back otherwise).
    struct Appeal {
        bytes32 verdict; // keccak256(abi.encode(outcome, output)) with its lowest bit replaced by the outcome
        address appellant;
        uint64 bondUnits; // DisputeMath.BOND_UNIT
    }

    /// @notice Tokens credited to an account, claimable with {claim}. Cumulative, so the slot never
    ///         returns to zero and later credits stay cheap.
    struct Account {
        uint128 credited;
        uint128 claimed;
    }

    /// @notice A juror's ballot in one round: the commitment, then the vote key once revealed.
    struct Ballot {
        bytes31 hash;
        BallotState state;
    }

    error NotArbiter(address caller);
    error DisputeExists(uint256 disputeId);
    error WrongPhase(uint256 disputeId, Phase phase);
    error InputMismatch(uint256 disputeId);
    error DrawFailed(uint256 disputeId);
    error NotJuror(uint256 disputeId, address caller);
    error AlreadyCommitted(uint256 disputeId, address juror);
    error NotCommitted(uint256 disputeId, address juror);
    error CommitClosed(uint256 disputeId, uint40 commitDeadline);
    error RevealNotOpen(uint256 disputeId, uint40 commitDeadline, uint40 revealDeadline);
    error RevealMismatch(uint256 disputeId, address juror);
    error RevealNotOver(uint256 disputeId, uint40 revealDeadline);
    error NoMajority(uint256 disputeId, uint8 round);
    error MajorityReached(uint256 disputeId, uint8 round);
    error MajorityMismatch(uint256 disputeId);
    error AnswerMismatch(uint256 disputeId, uint256 index);
    error OutputCountMismatch(uint256 given, uint256 expected);
    error ArbiterTimeNotOver(uint256 disputeId, uint40 arbiterDeadline);
    error NothingToClaim(address account);
    /// @notice The referee's appeal window closed at `deadline` (appeal) or is still open (settle).
    error AppealClosed(uint256 disputeId, uint40 deadline);
    error AppealOpen(uint256 disputeId, uint40 deadline);
    /// @notice The outcome and output given are not the referee's verdict.
    error VerdictMismatch(uint256 disputeId);
    /// @notice The randomness source returned a ticket that does not fit 192 bits.
    error TicketTooLarge(uint256 ticket);

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
    /// @notice A randomness ticket was taken for the next committee of `disputeId` (docs/disputes.md): the
    ///         committee is drawn from the ticket's value once it exists (`drawJury`), never before.
    event JuryTicketTaken(uint256 indexed disputeId, uint8 nextRound, uint256 ticket);
    /// @notice An admitted referee decided; the verdict can be appealed until `appealDeadline`.
    event RefereeDecided(uint256 indexed disputeId, uint8 outcome, bytes output, uint40 appealDeadline);
    /// @notice The referee's verdict was appealed with a bond; the committee decides.
    event RefereeAppealed(uint256 indexed disputeId, address indexed appellant, uint256 bond);
    /// @notice The appeal was settled: `upheld` (the decision equals the referee's verdict) burns the bond,
    ///         otherwise it is credited back to the appellant.
    event AppealSettled(uint256 indexed disputeId, address indexed appellant, bool upheld, uint256 bond);
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
    /// @notice Every token moved by a settlement. Operator wrong: slashed + bond = compensation +
    ///         challengerPaid + toJurors + burned (less juror penalties, burned too). Challenger wrong:
    ///         bond = toOperators + toJurors + burned (plus juror penalties). Compensation and
    ///         challengerPaid are credited to the requester and the challenger ({claim}); toJurors is
    ///         claimed by each majority juror ({claimJurorReward}).
    event DisputePayouts(
        uint256 indexed disputeId,
        uint256 slashed,
        uint256 compensation,
        uint256 challengerPaid,
        uint256 toJurors,
        uint256 toOperators,
        uint256 burned
    );
    /// @notice The arbiter did not decide by `arbiterDeadline`: the requester is refunded, the challenger
    ///         gets its bond back, every lock is released, nobody is slashed.
    event ArbiterTimedOut(uint256 indexed disputeId, uint40 arbiterDeadline);
    /// @notice `account` (challenger or requester) claimed the `amount` credited to it by settlements.
    event Claimed(address indexed account, uint256 amount);
    /// @notice A juror of the deciding majority was paid its share of a settled dispute.
    event JurorRewardClaimed(uint256 indexed disputeId, address indexed juror, uint256 amount);
    event ParametersChanged(DisputeMath.Params params);
    event ArbiterChanged(address indexed arbiter);
}
