// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IVerdictConsumer} from "../interfaces/IVerdictConsumer.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";
import {Assignment} from "./Assignment.sol";
import {Escrow} from "./Escrow.sol";

/// @title CoordinatorState
/// @notice The request coordinator's storage, parameters and the settlement steps both of its halves run:
///         {Coordinator} (requests, answers, finalize) and {Settlement} (expiry and its penalties, batch
///         finalize, royalties, governance), which the coordinator reaches by delegatecall.
///         Both inherit this contract and declare no storage of their own, so they share one layout.
///         The {owner} (Ownable2Step, inherited here so that its slots are the same in both halves) sets
///         parameters and never moves funds: the deployer while it wires the protocol, then the governance
///         TimelockController once it accepts ({acceptOwnership}).
abstract contract CoordinatorState is ICoordinator, Escrow, Ownable2Step {
    /// @notice Largest output a RESULT answer may carry, in bytes: governed within
    ///         [MIN_OUTPUT_LIMIT, MAX_OUTPUT_LIMIT] by {setMaxOutput}, default DEFAULT_MAX_OUTPUT. Read only
    ///         for outputs above MIN_OUTPUT_LIMIT.
    uint32 public maxOutput = DEFAULT_MAX_OUTPUT;

    /// @notice Largest inline input, in bytes (fits a 32 ms Silero VAD frame with its state). Larger inputs
    ///         travel as hash + URI.
    uint256 public constant MAX_INLINE_INPUT = 8_192;
    /// @notice Bounds and default of the governed output limit {maxOutput}, in bytes. Outputs up to the
    ///         floor are always accepted (no storage read); the ceiling keeps one answer (about 1.1 KiB of
    ///         calldata besides its output) inside the 128 KiB transaction size public mempools accept.
    uint32 public constant MIN_OUTPUT_LIMIT = 4_096;
    uint32 public constant MAX_OUTPUT_LIMIT = 120 * 1024;
    uint32 public constant DEFAULT_MAX_OUTPUT = 64 * 1024;
    /// @notice For a model with a tolerance, k × output size may not exceed this: agreement within a tolerance
    ///         is checked element by element (~250 gas a byte, in `submitAnswer` and in a dispute's `settle`,
    ///         which may compare all k answers), and every check must fit one transaction (EIP-7825: 2^24 gas),
    ///         or an honest answer could not be posted and a dispute could not be settled.
    uint32 public constant MAX_COMPARED_BYTES = 40 * 1024;
    /// @notice Largest k: answers are tracked in 8-bit masks.
    uint8 public constant MAX_REDUNDANCY = 8;
    uint16 public constant MAX_TREASURY_BPS = 2_000;
    uint32 public constant MAX_CALLBACK_GAS_CAP = 2_000_000;
    uint16 public constant MAX_MISS_PENALTY_BPS = 500;
    /// @notice Bounds of the governed minimum answer time: a request's deadline is at least
    ///         `now + minAnswerTime` (never above the default deadline).
    uint16 public constant MIN_ANSWER_TIME_FLOOR = 10;
    uint16 public constant MAX_MIN_ANSWER_TIME = 1 hours;
    /// @notice A requester may raise k up to this, or up to the model's default redundancy if larger.
    uint8 public constant FREE_REDUNDANCY = 3;
    /// @notice Bound of the callback gas price, in gwei of OPG per gas.
    uint32 public constant MAX_CALLBACK_GAS_PRICE = 1_000_000;
    /// @dev Gas the coordinator needs after a callback returns, to finish the transaction.
    uint256 internal constant CALLBACK_RESERVE = 10_000;

    /// @notice EIP-712 typehashes (VerdictTypes; the TypeScript twin is sdk/eip712.ts).
    bytes32 public constant ATTESTATION_TYPEHASH = VerdictTypes.ATTESTATION_TYPEHASH;
    bytes32 public constant INFERENCE_REQUEST_TYPEHASH = VerdictTypes.INFERENCE_REQUEST_TYPEHASH;

    uint8 internal constant OUTCOME_RESULT = 0;
    uint8 internal constant OUTCOME_INVALID_INPUT = 1;
    uint8 internal constant OUTCOME_CANNOT_SERVE = 2;

    IStaking public immutable staking;
    IModelRegistry public immutable registry;
    /// @notice Where operator draws get their randomness (chosen by the deployment, never changed); address(0)
    ///         is the built-in block-hash source ({Assignment-ticket}).
    IRandomnessSource public immutable randomness;

    /// @notice Governed parameters (set by the timelocked governance). Packed in one slot.
    struct Params {
        uint48 nextRequestId; // kept here: the slot every request reads anyway
        uint16 treasuryBps;
        uint16 missPenaltyBps; // slash, in bps of the pool, for a penalised miss
        uint32 callbackGasCap;
        uint32 defaultDeadline; // seconds
        uint32 maxDeadline; // seconds
        uint32 missJailDuration; // seconds
        uint16 minAnswerTime; // seconds: deadline >= now + minAnswerTime
        uint32 callbackGasPrice; // gwei of OPG per gas: feePerOperator >= callbackGasLimit x this
    }

    Params public params;

    /// @notice Governed parameters of the liveness rules, read only by {expire} and the model strikes.
    struct LivenessParams {
        uint32 missWindow; // seconds: penalised misses are counted within this window
        uint8 missesToJail; // penalised misses within the window that jail (then the count restarts)
        uint8 modelStrikes; // distinct operators' MODEL_UNAVAILABLE on unserved requests that suspend a model
    }

    LivenessParams public liveness;

    /// @dev MODEL_UNAVAILABLE strikes of a model since it was last served: `epoch` moves on every served
    ///      result, which forgets the strikes; `count` distinct operators struck in this epoch.
    struct Strikes {
        uint32 epoch;
        uint32 count;
    }

    mapping(bytes32 modelHash => Strikes) internal _strikes;
    /// @dev epoch + 1 in which the operator last struck the model (0: never).
    mapping(bytes32 modelHash => mapping(address operator => uint32)) internal _struckIn;

    modifier onlyDisputes() {
        if (msg.sender != disputeHook || msg.sender == address(0)) revert NotDisputeContract(msg.sender);
        _;
    }
    /// @notice Receives the treasury cut of every fee (as an escrow balance).
    address public treasury;
    /// @dev Treasury income not yet moved into its `_balances` entry ({balanceOf} counts it; a withdrawal or
    ///      a change of treasury moves it). It shares the treasury's slot, so a payout writes one slot instead
    ///      of reading the treasury and then writing its balance.
    uint96 internal _treasuryAccrued;
    /// @notice The dispute contract, told about disagreeing answers.
    address public disputeHook;

    mapping(uint256 requestId => RequestState) internal _states;
    mapping(uint256 requestId => mapping(uint256 index => bytes32 outputHash)) internal _answers;
    mapping(address operator => OperatorRecord) internal _records;
    /// @notice Next nonce of each requester's EIP-712 signed requests.
    mapping(address requester => uint256) public nonces;
    /// @notice Royalties accrued to each model and not yet claimed: they belong to whoever owns the model
    ///         in the registry when {claimRoyalties} runs.
    mapping(bytes32 modelHash => uint256) public royaltiesOf;
    /// @dev Copy of each model's registry terms, as `IModelRegistry.packedTerms` (0: no copy; a registered
    ///      model's word is never 0). Kept only while this coordinator is the registry's terms listener, which
    ///      drops it on every change.
    mapping(bytes32 modelHash => uint256 packedTerms) internal _terms;

    constructor(
        IERC20 token_,
        IStaking staking_,
        IModelRegistry registry_,
        IRandomnessSource randomness_,
        address initialOwner
    ) Escrow(token_) Ownable(initialOwner) {
        staking = staking_;
        registry = registry_;
        randomness = randomness_;
    }

    /// @dev Refuses a RESULT output above the request's limit: the governed `maxOutput`, and for a model with
    ///      a tolerance at most MAX_COMPARED_BYTES / k. Callers skip it up to MIN_OUTPUT_LIMIT (never above
    ///      either limit: MAX_COMPARED_BYTES / MAX_REDUNDANCY = 5,120).
    function _checkOutputSize(uint256 size, Request calldata req) internal view {
        uint256 max = maxOutput;
        if (req.tolerance != 0) {
            uint256 compared = MAX_COMPARED_BYTES / req.redundancy;
            if (compared < max) max = compared;
        }
        if (size > max) revert OutputTooLarge(size, max);
    }

    function _inputHashOf(RequestParams calldata p) internal pure returns (bytes32) {
        if (p.input.length == 0) {
            if (p.inputHash == bytes32(0) || bytes(p.inputURI).length == 0) revert MissingInput();
            return p.inputHash;
        }
        if (p.inputHash != bytes32(0) || bytes(p.inputURI).length != 0) revert AmbiguousInput();
        if (p.input.length > MAX_INLINE_INPUT) revert InputTooLarge(p.input.length, MAX_INLINE_INPUT);
        return keccak256(p.input);
    }

    /// @dev Pays out an answered request. Only the operators that answered with a served answer are paid and
    ///      counted as served (all of them agreed with the anchor, or a dispute found them right); the
    ///      shares of operators that answered "cannot serve" or never answered go back to the requester.
    ///      `anchorOnly`: the delivered output must be the anchor's (finalize); else any served answer's.
    function _settle(
        uint256 requestId,
        Request calldata req,
        RequestState memory st,
        bytes calldata output,
        bool anchorOnly
    ) internal {
        uint256 k = req.redundancy;
        uint256 price = uint256(req.feePerOperator) * k;
        uint8 servedMask = st.answeredMask & ~st.unservedMask;
        if (st.invalidMask & servedMask != 0) {
            // The served answers said "invalid input" (outcome first: all or none) and it stood.
            st.status = Status.Rejected;
            _states[requestId] = st;
            _credit(req.requester, price);
            emit RequestRejected(requestId, price);
            if (req.finality == Finality.Final && req.callback != address(0)) {
                _deliverChecked(requestId, req, st, OUTCOME_INVALID_INPUT, output, anchorOnly);
            }
            return;
        }
        st.status = Status.Finalized;
        _states[requestId] = st;

        uint256 paid = 0;
        for (uint256 i = 0; i < k; ++i) {
            if (servedMask & (1 << i) != 0) ++paid;
        }
        uint256 earned = uint256(req.feePerOperator) * paid;
        uint256 royalty = (earned * req.royaltyBps) / 10_000;
        uint256 treasuryCut = (earned * req.treasuryBps) / 10_000;
        uint256 toOperators = earned - royalty - treasuryCut;
        uint256 perOperator = paid == 0 ? 0 : toOperators / paid;
        uint256 dust = toOperators - perOperator * paid;
        for (uint256 i = 0; i < k; ++i) {
            if (servedMask & (1 << i) == 0) continue;
            OperatorRecord storage rec = _records[req.operators[i]];
            rec.accruedFees += uint128(perOperator);
            rec.served += 1;
        }
        if (royalty > 0) royaltiesOf[req.modelHash] += royalty;
        if (treasuryCut + dust != 0) _treasuryAccrued += SafeCast.toUint96(treasuryCut + dust);
        _credit(req.requester, price - earned);
        emit RequestFinalized(requestId, toOperators - dust, royalty, treasuryCut + dust, price - earned);
        if (req.finality == Finality.Final && req.callback != address(0)) {
            _deliverChecked(requestId, req, st, OUTCOME_RESULT, output, anchorOnly);
        }
    }

    /// @dev Delivers `output` once it matches the anchor's attested hash (`anchorOnly`) or any served answer's.
    function _deliverChecked(
        uint256 requestId,
        Request calldata req,
        RequestState memory st,
        uint8 outcome,
        bytes calldata output,
        bool anchorOnly
    ) internal {
        bytes32 actual =
            outcome == OUTCOME_RESULT
                ? keccak256(output)
                : (output.length == 32 ? bytes32(output) : bytes32(0));
        uint8 candidates = anchorOnly ? uint8(1 << st.anchor) : st.answeredMask & ~st.unservedMask;
        for (uint256 i = 0; i < req.redundancy; ++i) {
            if (candidates & (1 << i) != 0 && _answers[requestId][i] == actual) {
                _deliver(requestId, req, outcome, output, false);
                return;
            }
        }
        revert OutputMismatch(requestId);
    }

    /// @dev Calls the consumer with exactly `callbackGasLimit` gas. Its failure (revert, out of gas, huge
    ///      return data) is recorded and never blocks settlement: return data is not copied.
    function _deliver(
        uint256 requestId,
        Request calldata req,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) internal {
        bytes memory data = abi.encodeCall(
            IVerdictConsumer.onInferenceResult,
            (requestId, outcome, output, corrected)
        );
        uint256 gasLimit = req.callbackGasLimit;
        // EIP-150 forwards at most 63/64 of what is left: make sure the callee can get all of gasLimit.
        uint256 needed = (gasLimit * 64) / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert NotEnoughGasForCallback(gasleft(), needed);
        address target = req.callback;
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 32), mload(data), 0, 0)
        }
        emit CallbackResult(requestId, target, success, corrected);
    }

    /// @notice The stored state of a request.
    function requestState(uint256 requestId) external view returns (RequestState memory) {
        return _states[requestId];
    }

    /// @notice The output hash (or invalid-input reason code) operator `index` attested, or zero when it has
    ///         not answered or answered "cannot serve" (such answers are never judged).
    function answerOf(uint256 requestId, uint256 index) external view returns (bytes32) {
        if (index < 8 && _states[requestId].unservedMask & (1 << index) != 0) return bytes32(0);
        return _answers[requestId][index];
    }

    function _load(uint256 requestId, Request calldata req) internal view returns (RequestState memory st) {
        st = _states[requestId];
        if (st.status == Status.None) revert UnknownRequest(requestId);
        if (st.commitment != _commitment(req)) revert RequestMismatch(requestId);
    }

    /// @dev bytes22(keccak256(abi.encode(req))) built from the calldata words, without the ABI encoder's copy
    ///      and checks (the request is passed back on every call: this is paid on each). The words are hashed as
    ///      they are: when the result equals a commitment the coordinator built from clean values, the words
    ///      are those clean values, and every later read of `req` sees them.
    function _commitment(Request calldata req) internal pure returns (bytes22) {
        address[] calldata operators = req.operators;
        uint256 buf = Assignment.encodeHead(req);
        bytes32 h;
        assembly ("memory-safe") {
            mstore(add(buf, 0x1e0), operators.length)
            let size := shl(5, operators.length)
            calldatacopy(add(buf, 0x200), operators.offset, size)
            h := keccak256(buf, add(0x200, size))
        }
        return bytes22(h);
    }

    /// @dev Draws and commits the operators of a Requested request, or renews its ticket. `strict`: revert
    ///      (single {assign}) rather than skip (batch) when the request cannot be assigned now.
    function _assign(uint256 requestId, Request calldata req, bool strict) internal returns (bool) {
        // As {_load}, with the commitment rebuilt from the calldata words (cheaper than re-encoding them). The
        // status comes first: a request another caller already drew is skipped by a batch, whatever `req` says.
        RequestState memory st = _states[requestId];
        if (st.status == Status.None) revert UnknownRequest(requestId);
        if (st.status != Status.Requested) {
            if (strict) revert WrongStatus(requestId, st.status);
            return false;
        }
        // A Requested request is committed without operators: `req.operators` must be empty to match.
        if (st.commitment != _commitment(req)) revert RequestMismatch(requestId);
        if (block.timestamp > req.deadline) {
            if (strict) revert AssignmentTooLate(requestId, req.deadline);
            return false;
        }
        uint256 ticket = st.windowEnds;
        (Assignment.Outcome outcome, address[] memory operators, bytes32 seed) = Assignment.draw(
            randomness,
            staking,
            requestId,
            ticket,
            req.redundancy
        );
        if (outcome == Assignment.Outcome.NotReady) {
            if (strict) revert IRandomnessSource.RandomnessNotReady(ticket);
            return false;
        }
        if (outcome == Assignment.Outcome.Renew) {
            st.windowEnds = Assignment.ticket(randomness);
            _states[requestId] = st;
            emit TicketRenewed(requestId, st.windowEnds);
            return false;
        }
        _states[requestId] = RequestState({
            commitment: Assignment.commitment(req, operators),
            status: Status.Assigned,
            answeredMask: 0,
            invalidMask: 0,
            unservedMask: 0,
            anchor: 0,
            windowEnds: 0
        });
        emit OperatorsAssigned(requestId, operators, ticket, seed);
        return true;
    }

    /// @dev The treasury's income kept in its slot ({_treasuryAccrued}).
    function _accruedTo(address account) internal view override returns (uint256) {
        return account == treasury ? _treasuryAccrued : 0;
    }

    function _collectAccrued(address account) internal override returns (uint256 amount) {
        if (account != treasury) return 0;
        amount = _treasuryAccrued;
        _treasuryAccrued = 0;
    }

    function _recordDisputed(address[] calldata operators) internal {
        for (uint256 i = 0; i < operators.length; ++i) {
            _records[operators[i]].disputed += 1;
        }
    }
}
