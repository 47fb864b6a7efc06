// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {ICoordinator, IDisputeHook} from "../interfaces/ICoordinator.sol";
import {IModelRegistry, ITermsListener} from "../interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking, IFeeSource} from "../interfaces/IStaking.sol";
import {IVerdictConsumer} from "../interfaces/IVerdictConsumer.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";
import {AgreementChecker} from "./AgreementChecker.sol";
import {Assignment} from "./Assignment.sol";
import {Escrow} from "./Escrow.sol";

/// @title Coordinator
/// @notice The request path of Verdict. A requester escrows `k × fee`; k operators are drawn from staking
///         once the request's randomness exists ({assign}); each posts an EIP-712 attestation of its output (anyone may carry it); answers that disagree
///         open a dispute; after the dispute window anyone finalizes and the fee splits into royalty,
///         treasury and the operators' pools. Past the deadline without all answers, anyone expires the
///         request: full refund, missing operators penalised.
/// @dev A request costs one storage slot: the full {Request} is emitted once and passed back in calldata,
///      checked against a 192-bit commitment.
contract Coordinator is ICoordinator, IFeeSource, ITermsListener, Escrow, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice The timelocked governance (a TimelockController): sets parameters, never moves funds. The
    ///         deployer holds it while wiring the protocol, then hands it to the timelock.
    address public governance;

    /// @notice Largest inline input, in bytes (fits a 32 ms Silero VAD frame with its state). Larger inputs
    ///         travel as hash + URI.
    uint256 public constant MAX_INLINE_INPUT = 8_192;
    /// @notice Largest output an answer may carry, in bytes.
    uint256 public constant MAX_OUTPUT = 4_096;
    /// @notice Largest k: answers are tracked in 8-bit masks.
    uint8 public constant MAX_REDUNDANCY = 8;
    uint16 public constant MAX_TREASURY_BPS = 2_000;
    uint32 public constant MAX_CALLBACK_GAS_CAP = 2_000_000;
    uint16 public constant MAX_MISS_PENALTY_BPS = 500;
    /// @dev Gas the coordinator needs after a callback returns, to finish the transaction.
    uint256 private constant CALLBACK_RESERVE = 10_000;

    /// @notice EIP-712 typehashes (VerdictTypes; the TypeScript twin is sdk/eip712.ts).
    bytes32 public constant ATTESTATION_TYPEHASH = VerdictTypes.ATTESTATION_TYPEHASH;
    bytes32 public constant INFERENCE_REQUEST_TYPEHASH = VerdictTypes.INFERENCE_REQUEST_TYPEHASH;

    uint8 private constant OUTCOME_RESULT = 0;
    uint8 private constant OUTCOME_INVALID_INPUT = 1;

    IStaking public immutable staking;
    IModelRegistry public immutable registry;
    AgreementChecker public immutable agreementChecker;
    /// @notice Where operator draws get their randomness (chosen by the deployment, never changed); address(0)
    ///         is the built-in block-hash source ({Assignment.ticket}).
    IRandomnessSource public immutable randomness;

    /// @notice Governed parameters (set by the timelocked governance). Packed in one slot.
    struct Params {
        uint64 nextRequestId; // kept here: the slot every request reads anyway
        uint16 treasuryBps;
        uint16 missPenaltyBps; // slash, in bps of the pool, for an operator that missed a deadline
        uint32 callbackGasCap;
        uint32 defaultDeadline; // seconds
        uint32 maxDeadline; // seconds
        uint32 missJailDuration; // seconds
    }

    Params public params;

    error InvalidParameter(bytes32 name, uint256 value);
    error NotGovernance(address caller);
    error NotDisputeContract(address caller);
    error NotRegistry(address caller);

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    modifier onlyDisputes() {
        if (msg.sender != disputeHook || msg.sender == address(0)) revert NotDisputeContract(msg.sender);
        _;
    }
    /// @notice Receives the treasury cut of every fee (as an escrow balance).
    address public treasury;
    /// @notice The dispute contract, told about disagreeing answers.
    address public disputeHook;

    mapping(uint256 requestId => RequestState) private _states;
    mapping(uint256 requestId => mapping(uint256 index => bytes32 outputHash)) private _answers;
    mapping(address operator => OperatorRecord) private _records;
    /// @notice Next nonce of each requester's EIP-712 signed requests.
    mapping(address requester => uint256) public nonces;
    /// @notice Royalties accrued to each model and not yet claimed: they belong to whoever owns the model
    ///         in the registry when {claimRoyalties} runs.
    mapping(bytes32 modelHash => uint256) public royaltiesOf;
    /// @dev Copy of each model's registry terms, as `IModelRegistry.packedTerms` (0: no copy; a registered
    ///      model's word is never 0). Kept only while this coordinator is the registry's terms listener, which
    ///      drops it on every change.
    mapping(bytes32 modelHash => uint256 packedTerms) private _terms;

    constructor(
        IERC20 token_,
        IStaking staking_,
        IModelRegistry registry_,
        AgreementChecker agreementChecker_,
        address governance_,
        address treasury_,
        IRandomnessSource randomness_
    ) Escrow(token_) EIP712("Verdict", "1") {
        if (governance_ == address(0) || treasury_ == address(0)) revert InvalidParameter("governance", 0);
        staking = staking_;
        registry = registry_;
        agreementChecker = agreementChecker_;
        randomness = randomness_;
        governance = governance_;
        treasury = treasury_;
        params = Params({
            nextRequestId: 1,
            treasuryBps: 500,
            missPenaltyBps: 10,
            callbackGasCap: 300_000,
            defaultDeadline: 10 minutes,
            maxDeadline: 1 days,
            missJailDuration: 1 hours
        });
    }

    // ================================================================ requests

    /// @notice Requests an inference paid from the caller's prepaid balance.
    /// @return requestId The new request's id.
    function requestInference(RequestParams calldata p) external nonReentrant returns (uint256 requestId) {
        return _create(msg.sender, p, true);
    }

    /// @notice Requests an inference paid now by `transferFrom` of the caller (pay as you go).
    function requestInferencePayNow(
        RequestParams calldata p
    ) external nonReentrant returns (uint256 requestId) {
        return _create(msg.sender, p, false);
    }

    /// @notice Submits a request signed (EIP-712 `InferenceRequest`) by `requester`, paid from the
    ///         requester's prepaid balance. Anyone may submit it; `nonce` must be the requester's next.
    function requestInferenceSigned(
        RequestParams calldata p,
        address requester,
        uint256 nonce,
        uint64 signatureDeadline,
        bytes calldata signature
    ) external nonReentrant returns (uint256 requestId) {
        if (block.timestamp > signatureDeadline) revert SignatureExpired(signatureDeadline);
        uint256 expected = nonces[requester];
        if (nonce != expected) revert BadNonce(requester, nonce, expected);
        bytes32 digest = _hashTypedDataV4(_hashRequest(p, requester, nonce, signatureDeadline));
        address recovered = ECDSA.recover(digest, signature);
        if (recovered != requester) revert BadRequestSignature(recovered, requester);
        nonces[requester] = expected + 1;
        return _create(requester, p, true);
    }

    /// @dev EIP-712 struct hash of a signed request; all members are static, so two encodes concatenate.
    function _hashRequest(
        RequestParams calldata p,
        address requester,
        uint256 nonce,
        uint64 signatureDeadline
    ) private pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    abi.encode(
                        INFERENCE_REQUEST_TYPEHASH,
                        requester,
                        p.modelHash,
                        _inputHashOf(p),
                        p.redundancy,
                        p.maxFee
                    ),
                    abi.encode(
                        p.deadline,
                        p.callbackGasLimit,
                        p.finality,
                        p.callback,
                        nonce,
                        signatureDeadline
                    )
                )
            );
    }

    function _inputHashOf(RequestParams calldata p) private pure returns (bytes32) {
        if (p.input.length == 0) {
            if (p.inputHash == bytes32(0) || bytes(p.inputURI).length == 0) revert MissingInput();
            return p.inputHash;
        }
        if (p.inputHash != bytes32(0) || bytes(p.inputURI).length != 0) revert AmbiguousInput();
        if (p.input.length > MAX_INLINE_INPUT) revert InputTooLarge(p.input.length, MAX_INLINE_INPUT);
        return keccak256(p.input);
    }

    function _create(
        address requester,
        RequestParams calldata p,
        bool prepaid
    ) private returns (uint256 requestId) {
        bytes32 inputHash = _inputHashOf(p);
        Params memory cfg = params;
        requestId = cfg.nextRequestId;
        params.nextRequestId = cfg.nextRequestId + 1;
        Request memory req = _buildRequest(requester, p, inputHash, cfg);
        // No draw here: the operators are drawn by {assign} from randomness that does not exist yet.
        uint40 ticket = Assignment.ticket(randomness);
        _states[requestId] = RequestState({
            commitment: bytes24(_commitHash(req)),
            status: Status.Requested,
            answeredMask: 0,
            invalidMask: 0,
            windowEnds: ticket // while Requested: the randomness ticket
        });
        emit RequestCreated(requestId, requester, p.modelHash, _packCreated(req, ticket, p));

        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        if (prepaid) {
            _debit(requester, price);
        } else if (price > 0) {
            feeToken.safeTransferFrom(requester, address(this), price);
        }
    }

    /// @dev Checks the parameters against the model's terms and the governed bounds. The operators stay empty
    ///      until {assign}. Each calldata field is read once.
    function _buildRequest(
        address requester,
        RequestParams calldata p,
        bytes32 inputHash,
        Params memory cfg
    ) private returns (Request memory req) {
        bytes32 modelHash = p.modelHash;
        uint256 terms = _modelTerms(modelHash); // layout: IModelRegistry.packedTerms
        if ((terms >> 224) & 0xff == 0) revert IModelRegistry.ModelInactive(modelHash);
        uint96 fee = uint96(terms);
        uint8 k = p.redundancy;
        if (k == 0) k = uint8(terms >> 208);
        if (k > MAX_REDUNDANCY) revert RedundancyOutOfBounds(k, MAX_REDUNDANCY);
        uint256 price = uint256(fee) * k;
        if (price > p.maxFee) revert FeeAboveMax(price, p.maxFee);
        uint64 deadline = p.deadline;
        if (deadline == 0) deadline = uint64(block.timestamp) + cfg.defaultDeadline;
        uint64 maxDeadline = uint64(block.timestamp) + cfg.maxDeadline;
        if (deadline <= block.timestamp || deadline > maxDeadline) {
            revert DeadlineOutOfBounds(deadline, uint64(block.timestamp) + 1, maxDeadline);
        }
        uint32 callbackGasLimit = p.callbackGasLimit;
        if (callbackGasLimit > cfg.callbackGasCap)
            revert CallbackGasTooHigh(callbackGasLimit, cfg.callbackGasCap);
        address callback = p.callback;
        if (callback != address(0) && callbackGasLimit == 0) revert CallbackWithoutGas();

        req.requester = requester;
        req.callback = callback;
        req.modelHash = modelHash;
        req.inputHash = inputHash;
        req.feePerOperator = fee;
        req.deadline = deadline;
        req.tolerance = uint64(terms >> 128);
        req.disputeWindow = uint32(terms >> 96);
        req.callbackGasLimit = callbackGasLimit;
        req.royaltyBps = uint16(terms >> 192);
        req.treasuryBps = cfg.treasuryBps;
        req.redundancy = k;
        req.finality = p.finality;
    }

    /// @dev The model's terms: this coordinator's copy, else the registry's (copied when the registry will tell
    ///      this coordinator about changes, so the copy is never stale).
    function _modelTerms(bytes32 modelHash) private returns (uint256 terms) {
        terms = _terms[modelHash];
        if (terms != 0) return terms;
        terms = registry.packedTerms(modelHash);
        if (registry.termsListener() == address(this)) _terms[modelHash] = terms;
    }

    /// @notice Drops the copy of a model's terms after the registry changed them. Only the registry.
    function onTermsChanged(bytes32 modelHash) external {
        if (msg.sender != address(registry)) revert NotRegistry(msg.sender);
        delete _terms[modelHash];
    }

    /// @dev The `packed` payload of {RequestCreated} (layout in ICoordinator): the request's fields that the
    ///      topics do not carry, the randomness ticket and the input (or its hash and URI), unpadded.
    function _packCreated(
        Request memory req,
        uint256 ticket,
        RequestParams calldata p
    ) private pure returns (bytes memory out) {
        bool inlineInput = p.input.length != 0;
        bytes calldata tail = inlineInput ? p.input : bytes(p.inputURI);
        address callback = req.callback;
        bytes32 inputHash = req.inputHash;
        uint256 terms =
            (uint256(req.feePerOperator) << 160) |
                (uint256(req.deadline) << 96) |
                (uint256(req.tolerance) << 32) |
                req.disputeWindow;
        uint256 flags =
            (uint256(req.callbackGasLimit) << 224) |
                (uint256(req.royaltyBps) << 208) |
                (uint256(req.treasuryBps) << 192) |
                (uint256(req.redundancy) << 184) |
                (uint256(req.finality) << 176) |
                (inlineInput ? 0 : uint256(1) << 168) |
                (ticket << 128); // < 2^40 (Assignment.ticket)
        assembly ("memory-safe") {
            out := mload(0x40)
            let ptr := add(out, 0x20)
            // Each store writes one field at its offset; the next store overwrites the padding behind it.
            mstore(ptr, shl(96, callback))
            mstore(add(ptr, 20), terms)
            mstore(add(ptr, 52), flags)
            let at := add(ptr, 68)
            // An inline input's hash is keccak256 of the bytes that follow; a URI comes after its hash.
            if iszero(inlineInput) {
                mstore(at, inputHash)
                at := add(at, 32)
            }
            calldatacopy(at, tail.offset, tail.length)
            let end := add(at, tail.length)
            mstore(out, sub(end, ptr))
            mstore(0x40, and(add(end, 31), not(31)))
        }
    }

    // ================================================================ answers

    /// @notice Posts operator `answer.index`'s signed answer. Anyone may post it. With k > 1, every answer
    ///         after the first is checked against the first: `referenceOutput` must be the first answer's
    ///         output when the outputs differ, and disagreement beyond tolerance opens a dispute.
    /// @param referenceOutput The first answer's output bytes, or empty when not needed.
    function submitAnswer(
        uint256 requestId,
        Request calldata req,
        Answer calldata answer,
        bytes calldata referenceOutput
    ) external nonReentrant {
        _submitAnswer(requestId, req, answer, referenceOutput);
    }

    /// @notice Posts many signed answers in one transaction (a relayer with many answers due). All or
    ///         nothing: simulate first and leave out entries that would fail.
    function submitAnswers(
        uint256[] calldata requestIds,
        Request[] calldata reqs,
        Answer[] calldata answers,
        bytes[] calldata referenceOutputs
    ) external nonReentrant {
        uint256 n = requestIds.length;
        if (reqs.length != n || answers.length != n || referenceOutputs.length != n)
            revert RequestMismatch(0);
        for (uint256 i = 0; i < n; ++i) {
            _submitAnswer(requestIds[i], reqs[i], answers[i], referenceOutputs[i]);
        }
    }

    function _submitAnswer(
        uint256 requestId,
        Request calldata req,
        Answer calldata answer,
        bytes calldata referenceOutput
    ) private {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Assigned) revert WrongStatus(requestId, st.status);
        if (block.timestamp > req.deadline) revert AnswerAfterDeadline(requestId, req.deadline);
        if (answer.index >= req.redundancy) revert NotAssigned(requestId, answer.index);
        uint8 bit = uint8(1 << answer.index);
        if (st.answeredMask & bit != 0) revert AlreadyAnswered(requestId, answer.index);

        bytes32 outputHash = _outputHash(answer);
        address operator = req.operators[answer.index];
        _checkAttestation(requestId, req, operator, answer, outputHash);

        bool first = st.answeredMask == 0;
        (bool agrees, uint8 firstIndex) = first
            ? (true, answer.index)
            : _agrees(requestId, req, st, answer, outputHash, referenceOutput);
        st.answeredMask |= bit;
        if (answer.outcome == OUTCOME_INVALID_INPUT) st.invalidMask |= bit;
        _answers[requestId][answer.index] = outputHash;
        bool complete = st.answeredMask == uint8((uint256(1) << req.redundancy) - 1);
        if (!agrees) {
            st.status = Status.Disputed;
        } else if (complete) {
            st.status = Status.Answered;
            st.windowEnds = uint40(block.timestamp) + req.disputeWindow;
        }
        _states[requestId] = st;

        _emitAnswer(requestId, operator, answer, outputHash);
        if (!agrees) {
            emit AnswersDisagree(requestId, firstIndex, answer.index);
            _recordDisputed(req.operators);
            if (disputeHook != address(0)) IDisputeHook(disputeHook).onAnswersDisagree(requestId, req);
            return;
        }
        if (complete) emit AnswersComplete(requestId, st.windowEnds);
        if (first && req.finality == Finality.Fast && req.callback != address(0)) {
            _deliver(requestId, req, answer.outcome, answer.output, false);
        }
    }

    function _emitAnswer(
        uint256 requestId,
        address operator,
        Answer calldata answer,
        bytes32 outputHash
    ) private {
        emit AnswerSubmitted(
            requestId,
            operator,
            answer.index,
            answer.outcome,
            outputHash,
            answer.output,
            answer.signature
        );
    }

    function _outputHash(Answer calldata answer) private pure returns (bytes32) {
        if (answer.outcome == OUTCOME_RESULT) {
            if (answer.output.length > MAX_OUTPUT) revert OutputTooLarge(answer.output.length, MAX_OUTPUT);
            return keccak256(answer.output);
        }
        if (answer.outcome != OUTCOME_INVALID_INPUT) revert BadOutcome(answer.outcome);
        if (answer.output.length != 32) revert BadReasonCode();
        bytes32 reason = bytes32(answer.output);
        if (reason == bytes32(0)) revert BadReasonCode();
        return reason;
    }

    function _checkAttestation(
        uint256 requestId,
        Request calldata req,
        address operator,
        Answer calldata answer,
        bytes32 outputHash
    ) private view {
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH,
                    requestId,
                    req.modelHash,
                    req.inputHash,
                    outputHash,
                    answer.outcome
                )
            )
        );
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, answer.signature);
        address expected = staking.signerOf(operator);
        if (err != ECDSA.RecoverError.NoError || recovered != expected || expected == address(0)) {
            revert InvalidSignature(requestId, answer.index, recovered, expected);
        }
    }

    /// @dev Compares a later answer with the first one given. Returns whether they agree and the first's index.
    function _agrees(
        uint256 requestId,
        Request calldata req,
        RequestState memory st,
        Answer calldata answer,
        bytes32 outputHash,
        bytes calldata referenceOutput
    ) private view returns (bool, uint8 firstIndex) {
        firstIndex = _firstAnswered(st.answeredMask);
        bytes32 firstHash = _answers[requestId][firstIndex];
        if (firstHash == outputHash) return (true, firstIndex);
        bool firstInvalid = st.invalidMask & uint8(1 << firstIndex) != 0;
        // An "invalid input" verdict agrees only with the same verdict; two different reasons still agree
        // that the input is invalid.
        if (firstInvalid || answer.outcome == OUTCOME_INVALID_INPUT) {
            return (firstInvalid && answer.outcome == OUTCOME_INVALID_INPUT, firstIndex);
        }
        if (keccak256(referenceOutput) != firstHash) revert ReferenceMismatch(requestId);
        return (agreementChecker.agree(referenceOutput, answer.output, req.tolerance), firstIndex);
    }

    function _firstAnswered(uint8 mask) private pure returns (uint8 index) {
        while (mask & 1 == 0) {
            mask >>= 1;
            ++index;
        }
    }

    // ================================================================ settlement

    /// @notice Finalizes a request whose dispute window has passed: pays royalty, treasury and the
    ///         operators' pools, or, if the operators said "invalid input", refunds the requester.
    /// @param output The answer's output; needed only to deliver a FINAL-mode callback (else empty).
    function finalize(uint256 requestId, Request calldata req, bytes calldata output) external nonReentrant {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Answered) revert WrongStatus(requestId, st.status);
        if (block.timestamp < st.windowEnds) revert WindowOpen(requestId, st.windowEnds);
        _settle(requestId, req, st, output);
    }

    /// @notice Finalizes many requests in one transaction. Entries that are not finalizable yet (wrong
    ///         status, window open) are skipped, not reverted, so one stale entry cannot block the batch.
    /// @return finalized How many were finalized.
    function finalizeBatch(
        uint256[] calldata requestIds,
        Request[] calldata reqs,
        bytes[] calldata outputs
    ) external nonReentrant returns (uint256 finalized) {
        uint256 n = requestIds.length;
        if (reqs.length != n || outputs.length != n) revert RequestMismatch(0);
        for (uint256 i = 0; i < n; ++i) {
            RequestState memory st = _load(requestIds[i], reqs[i]);
            if (st.status != Status.Answered || block.timestamp < st.windowEnds) continue;
            _settle(requestIds[i], reqs[i], st, outputs[i]);
            ++finalized;
        }
    }

    function _settle(
        uint256 requestId,
        Request calldata req,
        RequestState memory st,
        bytes calldata output
    ) private {
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        if (st.invalidMask != 0) {
            // Every operator said "invalid input" (agreement guarantees all or none) and nobody disputed it.
            st.status = Status.Rejected;
            _states[requestId] = st;
            _credit(req.requester, price);
            emit RequestRejected(requestId, price);
            if (req.finality == Finality.Final && req.callback != address(0)) {
                _deliverChecked(requestId, req, OUTCOME_INVALID_INPUT, output, false);
            }
            return;
        }
        st.status = Status.Finalized;
        _states[requestId] = st;

        uint256 royalty = (price * req.royaltyBps) / 10_000;
        uint256 treasuryCut = (price * req.treasuryBps) / 10_000;
        uint256 toOperators = price - royalty - treasuryCut;
        uint256 perOperator = toOperators / req.redundancy;
        uint256 dust = toOperators - perOperator * req.redundancy;
        for (uint256 i = 0; i < req.redundancy; ++i) {
            OperatorRecord storage rec = _records[req.operators[i]];
            rec.accruedFees += uint128(perOperator);
            rec.served += 1;
        }
        if (royalty > 0) royaltiesOf[req.modelHash] += royalty;
        _credit(treasury, treasuryCut + dust);
        emit RequestFinalized(requestId, toOperators - dust, royalty, treasuryCut + dust, 0);
        if (req.finality == Finality.Final && req.callback != address(0)) {
            _deliverChecked(requestId, req, OUTCOME_RESULT, output, false);
        }
    }

    /// @notice Expires a request whose deadline passed before all k answers arrived: the requester gets
    ///         the whole fee back and every assigned operator that did not answer is penalised. A request whose
    ///         operators were never drawn is refunded in full and penalises nobody.
    function expire(uint256 requestId, Request calldata req) external nonReentrant {
        RequestState memory st = _load(requestId, req);
        // assignment: a never-assigned (Requested) request expires too; it has no operators (req.operators is
        // empty), so nobody is penalised, and its ticket (kept in windowEnds) is cleared.
        if (st.status != Status.Assigned && st.status != Status.Requested)
            revert WrongStatus(requestId, st.status);
        if (block.timestamp <= req.deadline) revert DeadlineNotPassed(requestId, req.deadline);
        st.status = Status.Expired;
        st.windowEnds = 0;
        _states[requestId] = st;
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        _credit(req.requester, price);

        uint8 missedMask = 0;
        uint256 slashed = 0;
        Params memory cfg = params;
        for (uint256 i = 0; i < req.operators.length; ++i) {
            if (st.answeredMask & (1 << i) != 0) continue;
            missedMask |= uint8(1 << i);
            address operator = req.operators[i];
            _records[operator].missed += 1;
            uint256 penalty = (staking.poolAssets(operator) * cfg.missPenaltyBps) / 10_000;
            slashed += staking.slash(operator, penalty, uint64(block.timestamp) + cfg.missJailDuration);
        }
        emit RequestExpired(requestId, price, missedMask, slashed);
        // Slashed stake for a missed deadline is burned: the requester is already made whole.
        if (slashed > 0) ERC20Burnable(address(feeToken)).burn(slashed);
    }

    // ================================================================ assignment

    /// @inheritdoc ICoordinator
    function assign(uint256 requestId, Request calldata req) external nonReentrant returns (bool assigned) {
        return _assign(requestId, req, true);
    }

    /// @inheritdoc ICoordinator
    function assignBatch(
        uint256[] calldata requestIds,
        Request[] calldata reqs
    ) external nonReentrant returns (uint256 assigned) {
        uint256 n = requestIds.length;
        if (reqs.length != n) revert RequestMismatch(0);
        for (uint256 i = 0; i < n; ++i) {
            if (_assign(requestIds[i], reqs[i], false)) ++assigned;
        }
    }

    /// @dev Draws and commits the operators of a Requested request, or renews its ticket. `strict`: revert
    ///      (single {assign}) rather than skip (batch) when the request cannot be assigned now.
    function _assign(uint256 requestId, Request calldata req, bool strict) private returns (bool) {
        // As {_load}, with the commitment rebuilt from the calldata words (cheaper than re-encoding them). The
        // status comes first: a request another caller already drew is skipped by a batch, whatever `req` says.
        RequestState memory st = _states[requestId];
        if (st.status == Status.None) revert UnknownRequest(requestId);
        if (st.status != Status.Requested) {
            if (strict) revert WrongStatus(requestId, st.status);
            return false;
        }
        if (st.commitment != Assignment.commitment(req, new address[](0))) revert RequestMismatch(requestId);
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
            windowEnds: 0
        });
        emit OperatorsAssigned(requestId, operators, ticket, seed);
        return true;
    }

    // ================================================================ dispute hooks

    /// @notice Freezes an answered request while a dispute runs. Only the dispute contract.
    function markDisputed(uint256 requestId, Request calldata req, address by) external onlyDisputes {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Answered) revert WrongStatus(requestId, st.status);
        if (block.timestamp >= st.windowEnds) revert WindowClosed(requestId, st.windowEnds);
        st.status = Status.Disputed;
        _states[requestId] = st;
        _recordDisputed(req.operators);
        emit RequestDisputed(requestId, by);
    }

    /// @notice Settles a disputed request. Only the dispute contract. `wrongMask` 0: the answers stand and
    ///         the request is paid out as in {finalize}. Otherwise the operators in `wrongMask` lost: the
    ///         requester is refunded in full and `output` (with `outcome`) is delivered as the correct
    ///         result (a correction callback in FAST mode).
    function settleDispute(
        uint256 requestId,
        Request calldata req,
        uint8 wrongMask,
        uint8 outcome,
        bytes calldata output
    ) external onlyDisputes nonReentrant {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Disputed) revert WrongStatus(requestId, st.status);
        if (wrongMask >> req.redundancy != 0) revert BadWrongMask(wrongMask, req.redundancy);
        if (wrongMask == 0) {
            _settle(requestId, req, st, output);
            return;
        }
        st.status = Status.Corrected;
        _states[requestId] = st;
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        _credit(req.requester, price);
        for (uint256 i = 0; i < req.redundancy; ++i) {
            if (wrongMask & (1 << i) != 0) _records[req.operators[i]].lost += 1;
        }
        emit RequestCorrected(requestId, wrongMask, outcome, output, price);
        if (req.callback != address(0))
            _deliver(requestId, req, outcome, output, req.finality == Finality.Fast);
    }

    // ================================================================ fees

    /// @inheritdoc IFeeSource
    function collectFees(address operator) external returns (uint256 amount) {
        if (msg.sender != address(staking)) revert NotFeeCollector(msg.sender);
        OperatorRecord storage rec = _records[operator];
        amount = rec.accruedFees;
        if (amount == 0) return 0;
        rec.accruedFees = 0;
        emit FeesCollected(operator, amount);
        feeToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Credits the royalties accrued to `modelHash` to the escrow balance of the model's current
    ///         owner in the registry. Anyone may call it; the owner then withdraws from its balance.
    /// @return amount The royalties credited (0 if none had accrued).
    function claimRoyalties(bytes32 modelHash) external nonReentrant returns (uint256 amount) {
        amount = royaltiesOf[modelHash];
        if (amount == 0) return 0;
        address owner = registry.ownerOf(modelHash);
        royaltiesOf[modelHash] = 0;
        _credit(owner, amount);
        emit RoyaltiesClaimed(modelHash, owner, amount);
    }

    // ================================================================ callbacks

    function _deliverChecked(
        uint256 requestId,
        Request calldata req,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) private {
        bytes32 actual =
            outcome == OUTCOME_RESULT
                ? keccak256(output)
                : (output.length == 32 ? bytes32(output) : bytes32(0));
        for (uint256 i = 0; i < req.redundancy; ++i) {
            if (_answers[requestId][i] == actual) {
                _deliver(requestId, req, outcome, output, corrected);
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
    ) private {
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

    // ================================================================ governance

    /// @notice Sets the treasury and its cut of every fee (≤ MAX_TREASURY_BPS). Timelocked.
    function setTreasury(address newTreasury, uint16 treasuryBps) external onlyGovernance {
        if (treasuryBps > MAX_TREASURY_BPS) revert InvalidParameter("treasuryBps", treasuryBps);
        if (newTreasury == address(0)) revert InvalidParameter("treasury", 0);
        treasury = newTreasury;
        params.treasuryBps = treasuryBps;
        emit ParameterChanged("treasuryBps", treasuryBps);
    }

    /// @notice Sets the callback gas cap (≤ MAX_CALLBACK_GAS_CAP). Timelocked.
    function setCallbackGasCap(uint32 cap) external onlyGovernance {
        if (cap > MAX_CALLBACK_GAS_CAP) revert InvalidParameter("callbackGasCap", cap);
        params.callbackGasCap = cap;
        emit ParameterChanged("callbackGasCap", cap);
    }

    /// @notice Sets the default and the longest request deadline, in seconds. Timelocked.
    function setDeadlines(uint32 defaultDeadline, uint32 maxDeadline) external onlyGovernance {
        if (defaultDeadline == 0 || defaultDeadline > maxDeadline || maxDeadline > 7 days) {
            revert InvalidParameter("deadline", maxDeadline);
        }
        params.defaultDeadline = defaultDeadline;
        params.maxDeadline = maxDeadline;
        emit ParameterChanged("defaultDeadline", defaultDeadline);
        emit ParameterChanged("maxDeadline", maxDeadline);
    }

    /// @notice Sets the penalty for a missed deadline: a slash in bps of the pool and a jail time.
    function setMissPenalty(uint16 penaltyBps, uint32 jailDuration) external onlyGovernance {
        if (penaltyBps > MAX_MISS_PENALTY_BPS) revert InvalidParameter("missPenaltyBps", penaltyBps);
        if (jailDuration > 30 days) revert InvalidParameter("missJailDuration", jailDuration);
        params.missPenaltyBps = penaltyBps;
        params.missJailDuration = jailDuration;
        emit ParameterChanged("missPenaltyBps", penaltyBps);
        emit ParameterChanged("missJailDuration", jailDuration);
    }

    /// @notice Hands governance to `newGovernance` (the timelock, after deployment).
    function transferGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert InvalidParameter("governance", 0);
        governance = newGovernance;
        emit ParameterChanged("governance", uint160(newGovernance));
    }

    /// @notice Sets the dispute contract: the only caller of the dispute hooks, told about disagreeing
    ///         answers. Timelocked.
    function setDisputeHook(address hook) external onlyGovernance {
        disputeHook = hook;
        emit ParameterChanged("disputeHook", uint160(hook));
    }

    // ================================================================ views

    /// @notice The id the next request will get.
    function nextRequestId() external view returns (uint256) {
        return params.nextRequestId;
    }

    /// @notice The stored state of a request.
    function requestState(uint256 requestId) external view returns (RequestState memory) {
        return _states[requestId];
    }

    /// @notice The output hash (or invalid-input reason code) operator `index` attested, or zero.
    function answerOf(uint256 requestId, uint256 index) external view returns (bytes32) {
        return _answers[requestId][index];
    }

    /// @notice An operator's record: fees accrued for its pool, served, disputed, lost, missed.
    function operatorRecord(address operator) external view returns (OperatorRecord memory) {
        return _records[operator];
    }

    /// @notice The commitment a {Request} must hash to.
    function commitmentOf(Request calldata req) external pure returns (bytes24) {
        return bytes24(keccak256(abi.encode(req)));
    }

    /// @notice The EIP-712 domain separator of attestations and signed requests.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ================================================================ internals

    /// @dev keccak256(abi.encode(req)) without the ABI encoder: a struct in memory holds its 13 static fields
    ///      as clean words followed by a pointer to `operators`, so the encoding is two copies.
    function _commitHash(Request memory req) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, 0x20) // offset of the (dynamic) tuple
            mcopy(add(buf, 0x20), req, 0x1a0) // the 13 static fields
            mstore(add(buf, 0x1c0), 0x1c0) // offset of `operators` within the tuple
            let ops := mload(add(req, 0x1a0))
            let size := add(shl(5, mload(ops)), 0x20) // length word + elements
            mcopy(add(buf, 0x1e0), ops, size)
            h := keccak256(buf, add(0x1e0, size))
        }
    }

    function _load(uint256 requestId, Request calldata req) private view returns (RequestState memory st) {
        st = _states[requestId];
        if (st.status == Status.None) revert UnknownRequest(requestId);
        if (st.commitment != bytes24(keccak256(abi.encode(req)))) revert RequestMismatch(requestId);
    }

    function _recordDisputed(address[] calldata operators) private {
        for (uint256 i = 0; i < operators.length; ++i) {
            _records[operators[i]].disputed += 1;
        }
    }
}
