// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title ICoordinator
/// @notice The request path: requests with escrowed fees, assignment, signed answers, dispute windows,
///         finalization, expiry, and the hooks through which the dispute contract settles a dispute.
interface ICoordinator is IVerdictErrors {
    /// @notice The state machine of a request (docs/protocol.md). Finalized, Rejected, Expired and
    ///         Corrected are terminal: every request reaches exactly one of them.
    enum Status {
        None,
        Assigned, // waiting for the k answers
        Answered, // all k answers in and agreeing: the dispute window runs
        Disputed, // a dispute is open (or the answers disagreed)
        Finalized, // paid out
        Rejected, // "invalid input" stood: the requester was refunded
        Expired, // deadline passed without all answers: refunded, missing operators penalised
        Corrected, // a dispute overturned the answer: refunded, corrected output delivered
        Unserved, // every operator answered "cannot serve": refunded, nobody penalised
        Requested // escrowed, waiting for its operator draw ({assign}); appended to keep the numbering above
    }

    enum Finality {
        Fast, // callback on the first answer, correction callback if overturned
        Final // callback once final
    }

    /// @notice What a requester asks for.
    struct RequestParams {
        bytes32 modelHash;
        bytes input; // inline canonical input (≤ MAX_INLINE_INPUT); empty when inputHash + inputURI are used
        bytes32 inputHash; // only with an empty `input`
        string inputURI; // only with an empty `input`
        uint8 redundancy; // k; 0 takes the model's default
        uint256 maxFee; // the most the requester will pay (k × fee)
        uint64 deadline; // absolute; 0 takes now + defaultDeadline
        address callback; // IVerdictConsumer or address(0)
        uint32 callbackGasLimit; // exact gas for the callback, ≤ callbackGasCap
        Finality finality;
    }

    /// @notice The request as committed on chain. Every later call passes it back in calldata; the
    ///         coordinator checks it against the stored commitment, so storage stays one slot. The royalty
    ///         accrues to the model (`modelHash`), not to an address: see {royaltiesOf}.
    struct Request {
        address requester;
        address callback;
        bytes32 modelHash;
        bytes32 inputHash;
        uint96 feePerOperator; // the model's fee at request time
        uint64 deadline;
        uint64 tolerance;
        uint32 disputeWindow;
        uint32 callbackGasLimit;
        uint16 royaltyBps;
        uint16 treasuryBps;
        uint8 redundancy;
        Finality finality;
        address[] operators; // the k drawn operators, in draw order
    }

    /// @notice One storage slot per request.
    struct RequestState {
        bytes22 commitment; // first 22 bytes of keccak256(abi.encode(request))
        Status status;
        uint8 answeredMask; // bit i: operators[i] answered (any outcome)
        uint8 invalidMask; // bit i: operators[i] said "invalid input"
        uint8 unservedMask; // bit i: operators[i] said "cannot serve" (never compared, paid or penalised)
        uint8 anchor; // index of the first served (result / invalid input) answer posted: the agreement anchor
        uint40 windowEnds; // when all answers are in: the end of the dispute window
    }

    /// @notice Per-operator record: fees accrued for its pool and its accountability counts (first slot),
    ///         and the window of its recent penalised misses (second slot, touched only by {expire}).
    struct OperatorRecord {
        uint128 accruedFees;
        uint32 served;
        uint32 disputed;
        uint32 lost;
        uint32 missed; // penalised misses only: requests that another drawn operator served
        uint40 missWindowStart; // start of the current miss window
        uint8 recentMisses; // penalised misses since missWindowStart (jail at `missesToJail`, then reset)
    }

    /// @notice A signed answer as posted. Outcomes and reason codes (docs/protocol.md, "Outcomes"):
    ///         RESULT (0): `output` is the canonical output, attested as keccak256(output).
    ///         INVALID_INPUT (1): the input is at fault; `output` is a reason code, attested as itself:
    ///           1 UNDECODABLE, 2 NAME_MISMATCH, 3 DTYPE_MISMATCH, 4 SHAPE_MISMATCH, 5 OUT_OF_RANGE,
    ///           7 MODEL_FAILED (the model fails deterministically on this input). Agrees with any other
    ///           INVALID_INPUT answer, never with a RESULT. Refunds the requester if it stands.
    ///         CANNOT_SERVE (2): the operator cannot serve, through nobody's fault it can prove; never compared,
    ///           paid or penalised: 6 INPUT_UNAVAILABLE (the input URI cannot be fetched or does not hash to
    ///           inputHash), 9 MODEL_UNAVAILABLE (the model bytes cannot be fetched or do not hash to
    ///           modelHash), 10 DECLINED (not opted in to the model, or beyond the operator's resource
    ///           limits), 11 OUTPUT_TOO_LARGE (the output exceeds maxOutput).
    ///         Code 8 (UNDECIDED) is delivered only by the dispute contract. Any other code is rejected.
    struct Answer {
        uint8 index; // position of the operator in request.operators
        uint8 outcome; // 0 RESULT, 1 INVALID_INPUT, 2 CANNOT_SERVE
        bytes output; // canonical output; for INVALID_INPUT / CANNOT_SERVE the 32-byte reason code
        bytes signature; // EIP-712 Attestation by the operator's signer
    }

    error UnknownRequest(uint256 requestId);
    error WrongStatus(uint256 requestId, Status status);
    error InputTooLarge(uint256 size, uint256 max);
    error OutputTooLarge(uint256 size, uint256 max);
    error MissingInput();
    error AmbiguousInput();
    error FeeAboveMax(uint256 fee, uint256 maxFee);
    error DeadlineOutOfBounds(uint64 deadline, uint64 min, uint64 max);
    error CallbackGasTooHigh(uint32 gasLimit, uint32 cap);
    error CallbackWithoutGas();
    error AnswerAfterDeadline(uint256 requestId, uint64 deadline);
    error NotAssigned(uint256 requestId, uint8 index);
    error AlreadyAnswered(uint256 requestId, uint8 index);
    error InvalidSignature(uint256 requestId, uint8 index, address recovered, address expected);
    error ReferenceMismatch(uint256 requestId);
    error WindowOpen(uint256 requestId, uint40 windowEnds);
    error WindowClosed(uint256 requestId, uint40 windowEnds);
    error DeadlineNotPassed(uint256 requestId, uint64 deadline);
    error OutputMismatch(uint256 requestId);
    error SignatureExpired(uint64 signatureDeadline);
    error BadNonce(address requester, uint256 nonce, uint256 expected);
    error BadRequestSignature(address recovered, address requester);
    error NotEnoughGasForCallback(uint256 gasLeft, uint256 needed);
    error BadWrongMask(uint8 wrongMask, uint8 redundancy);
    error NotFeeCollector(address caller);
    error NotDisputeContract(address caller);
    error NotRegistry(address caller);
    /// @notice The model's fee per operator does not cover the callback's gas at `callbackGasPrice`.
    error FeeBelowCallbackCost(uint256 feePerOperator, uint256 minFee);

    /// @notice A request was created (status Requested; its operators are drawn later by {assign}). `packed`
    ///         carries the rest of the {Request}, the randomness ticket its draw will use and the input, tightly
    ///         packed (big-endian, no padding; docs/protocol.md, "RequestCreated"; `sdk/requests.ts` decodes it):
    ///         callback (20) ‖ feePerOperator (12) ‖ deadline (8) ‖ tolerance (8) ‖ disputeWindow (4) ‖
    ///         callbackGasLimit (4) ‖ royaltyBps (2) ‖ treasuryBps (2) ‖ redundancy (1) ‖ finality (1) ‖
    ///         inputKind (1) ‖ ticket (5) ‖ then, for inputKind 0, the inline input (inputHash = its
    ///         keccak256), for inputKind 1, inputHash (32) ‖ the input URI (UTF-8). The committed request has no
    ///         operators until {OperatorsAssigned}.
    event RequestCreated(
        uint256 indexed requestId,
        address indexed requester,
        bytes32 indexed modelHash,
        bytes packed
    );
    event AnswerSubmitted(
        uint256 indexed requestId,
        address indexed operator,
        uint8 index,
        uint8 outcome,
        bytes32 outputHash,
        bytes output,
        bytes signature
    );
    event AnswersDisagree(uint256 indexed requestId, uint8 indexA, uint8 indexB);
    event AnswersComplete(uint256 indexed requestId, uint40 windowEnds);
    event CallbackResult(uint256 indexed requestId, address indexed callback, bool success, bool corrected);
    event RequestFinalized(
        uint256 indexed requestId,
        uint256 toOperators,
        uint256 royalty,
        uint256 treasuryCut,
        uint256 refund
    );
    event RequestRejected(uint256 indexed requestId, uint256 refund);
    event RequestExpired(uint256 indexed requestId, uint256 refund, uint8 missedMask, uint256 slashed);
    event RequestDisputed(uint256 indexed requestId, address indexed by);
    /// @notice Every drawn operator answered "cannot serve": the requester got `refund` (the whole fee) back and
    ///         nobody was penalised.
    event RequestUnserved(uint256 indexed requestId, uint256 refund);
    /// @notice `operator` answered MODEL_UNAVAILABLE on a request nobody served; `strikes` distinct operators
    ///         have now done so since the model was last served. At `modelStrikes` the model is suspended.
    event ModelStruck(bytes32 indexed modelHash, address indexed operator, uint256 strikes);
    event RequestCorrected(
        uint256 indexed requestId,
        uint8 wrongMask,
        uint8 outcome,
        bytes output,
        uint256 refund
    );
    event FeesCollected(address indexed operator, uint256 amount);
    /// @notice The royalties accrued to `modelHash` were credited to its current owner's escrow balance.
    event RoyaltiesClaimed(bytes32 indexed modelHash, address indexed owner, uint256 amount);
    event ParameterChanged(bytes32 indexed name, uint256 value);

    // ---------------------------------------------------------------- functions other contracts call

    /// @notice Requests an inference paid from the caller's prepaid escrow balance.
    function requestInference(RequestParams calldata p) external returns (uint256 requestId);

    /// @notice Freezes an answered request while a dispute runs (dispute contract only).
    function markDisputed(uint256 requestId, Request calldata req, address by) external;

    /// @notice Settles a disputed request (dispute contract only).
    function settleDispute(
        uint256 requestId,
        Request calldata req,
        uint8 wrongMask,
        uint8 outcome,
        bytes calldata output
    ) external;

    /// @notice The stored state of a request.
    function requestState(uint256 requestId) external view returns (RequestState memory);

    /// @notice The output hash (or invalid-input reason code) operator `index` attested, or zero.
    function answerOf(uint256 requestId, uint256 index) external view returns (bytes32);

    // ---------------------------------------------------------------- assignment (issue 16)

    /// @notice {assign} after the request's deadline: nobody could answer in time, {expire} refunds it.
    error AssignmentTooLate(uint256 requestId, uint64 deadline);
    /// @notice The randomness source returned a ticket the request state cannot hold (≥ 2^40).
    error TicketOutOfRange(uint256 ticket);

    /// @notice The k operators of `requestId` were drawn, from `seed` = keccak256(abi.encode(value of
    ///         `ticket`, requestId)): anyone can recompute the draw. The committed request now carries
    ///         `operators` (in draw order); relayers learn their assignments from this event.
    event OperatorsAssigned(uint256 indexed requestId, address[] operators, uint256 ticket, bytes32 seed);
    /// @notice The request's randomness ticket expired (or the weight epoch moved past it) before anyone drew
    ///         its operators: the draw will use `ticket` instead.
    event TicketRenewed(uint256 indexed requestId, uint256 ticket);

    /// @notice Draws the k operators of a Requested request from its ticket's randomness; anyone may call it
    ///         (only one call succeeds). Reverts with `IRandomnessSource.RandomnessNotReady` before the value
    ///         exists, so a draw can never run in the block that fixed its ticket. If the ticket expired or the
    ///         weight epoch moved past it, takes a new ticket instead, emits {TicketRenewed} and returns false.
    /// @param req The request as committed by {RequestCreated} (with no operators).
    /// @return assigned True when the operators were drawn.
    function assign(uint256 requestId, Request calldata req) external returns (bool assigned);

    /// @notice {assign} for many requests; entries not assignable now (not Requested, not ready, past their
    ///         deadline) are skipped, not reverted, so racing relayers do not fail each other's batches.
    /// @return assigned How many were assigned.
    function assignBatch(
        uint256[] calldata requestIds,
        Request[] calldata reqs
    ) external returns (uint256 assigned);
}

/// @title IDisputeHook
/// @notice Implemented by the dispute contract: told when k > 1 answers disagree beyond tolerance, so it
///         can open a dispute without a bond.
interface IDisputeHook {
    function onAnswersDisagree(uint256 requestId, ICoordinator.Request calldata request) external;
}
