// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IDisputeHook} from "../interfaces/ICoordinator.sol";
import {IModelRegistry, ITermsListener} from "../interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking, IFeeSource} from "../interfaces/IStaking.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";
import {AgreementChecker} from "./AgreementChecker.sol";
import {CoordinatorState} from "./CoordinatorState.sol";
import {Settlement} from "./Settlement.sol";
import {Assignment} from "./Assignment.sol";

/// @title Coordinator
/// @notice The request path of Verdict. A requester escrows `k × fee`; k operators are drawn from staking
///         once the request's randomness exists ({assign}); each posts an EIP-712 attestation of its output
///         (anyone may carry it); answers that disagree open a dispute; after the dispute window anyone finalizes and the fee splits into royalty,
///         treasury and the operators' pools. Past the deadline without all answers, anyone expires the
///         request: full refund, missing operators penalised.
/// @dev A request costs one storage slot: the full {Request} is emitted once and passed back in calldata,
///      checked against a 176-bit commitment.
contract Coordinator is IFeeSource, ITermsListener, CoordinatorState, EIP712 {
    using SafeERC20 for IERC20;

    AgreementChecker public immutable agreementChecker;
    /// @notice The coordinator's second half (expiry, dispute settlement, governance), created with it and
    ///         reached by delegatecall.
    address public immutable settlement;

    constructor(
        IERC20 token_,
        IStaking staking_,
        IModelRegistry registry_,
        AgreementChecker agreementChecker_,
        address initialOwner,
        address treasury_,
        IRandomnessSource randomness_
    ) CoordinatorState(token_, staking_, registry_, randomness_, initialOwner) EIP712("Verdict", "1") {
        if (treasury_ == address(0)) revert InvalidParameter("treasury", 0);
        agreementChecker = agreementChecker_;
        settlement = address(new Settlement(token_, staking_, registry_, randomness_));
        treasury = treasury_;
        params = Params({
            nextRequestId: 1,
            treasuryBps: 500,
            missPenaltyBps: 10,
            callbackGasCap: 300_000,
            defaultDeadline: 10 minutes,
            maxDeadline: 1 days,
            missJailDuration: 1 hours,
            minAnswerTime: 60,
            callbackGasPrice: 10
        });
        liveness = LivenessParams({missWindow: 1 days, missesToJail: 3, modelStrikes: 3});
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
        uint256,
        uint64,
        bytes calldata
    ) external nonReentrant returns (uint256 requestId) {
        // Settlement checks the signature, the deadline and the nonce, and consumes the nonce.
        _delegateCalldata();
        return _create(requester, p, true);
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
            commitment: bytes22(_commitHash(req)),
            status: Status.Requested,
            answeredMask: 0,
            invalidMask: 0,
            unservedMask: 0,
            anchor: 0,
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
        uint8 maxK = uint8(terms >> 208); // the model's default redundancy
        if (k == 0) k = maxK;
        if (maxK < FREE_REDUNDANCY) maxK = FREE_REDUNDANCY;
        if (maxK > MAX_REDUNDANCY) maxK = MAX_REDUNDANCY;
        if (k > maxK) revert RedundancyOutOfBounds(k, maxK);
        uint256 price = uint256(fee) * k;
        if (price > p.maxFee) revert FeeAboveMax(price, p.maxFee);
        uint64 deadline = p.deadline;
        if (deadline == 0) deadline = uint64(block.timestamp) + cfg.defaultDeadline;
        uint64 maxDeadline = uint64(block.timestamp) + cfg.maxDeadline;
        uint64 minDeadline = uint64(block.timestamp) + cfg.minAnswerTime;
        if (deadline < minDeadline || deadline > maxDeadline) {
            revert DeadlineOutOfBounds(deadline, minDeadline, maxDeadline);
        }
        uint32 callbackGasLimit = p.callbackGasLimit;
        if (callbackGasLimit > cfg.callbackGasCap)
            revert CallbackGasTooHigh(callbackGasLimit, cfg.callbackGasCap);
        address callback = p.callback;
        if (callback != address(0)) {
            if (callbackGasLimit == 0) revert CallbackWithoutGas();
            // Whoever triggers the callback (an operator, mostly) pays its gas: the fee must cover it.
            uint256 minFee = uint256(callbackGasLimit) * cfg.callbackGasPrice * 1 gwei;
            if (fee < minFee) revert FeeBelowCallbackCost(fee, minFee);
        }

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
        uint8 index = answer.index;
        if (index >= req.redundancy) revert NotAssigned(requestId, index);
        uint8 bit = uint8(1 << index);
        if (st.answeredMask & bit != 0) revert AlreadyAnswered(requestId, index);

        uint8 outcome = answer.outcome;
        bytes32 outputHash = _outputHash(req, answer);
        address operator = req.operators[index];
        _checkAttestation(requestId, req, operator, answer, outputHash);

        // Agreement has a fixed anchor: the first served answer posted. Every later served answer is compared
        // with it alone, outcome first; "cannot serve" answers are never compared.
        bool anchored = st.answeredMask & ~st.unservedMask != 0;
        bool agrees = true;
        if (outcome == OUTCOME_CANNOT_SERVE) {
            st.unservedMask |= bit;
        } else if (!anchored) {
            st.anchor = index;
            if (outcome == OUTCOME_RESULT) _forgetStrikes(req.modelHash);
        } else {
            agrees = _agrees(requestId, req, st, outcome, answer.output, outputHash, referenceOutput);
        }
        st.answeredMask |= bit;
        if (outcome == OUTCOME_INVALID_INPUT) st.invalidMask |= bit;
        _answers[requestId][index] = outputHash;
        bool complete = st.answeredMask == uint8((uint256(1) << req.redundancy) - 1);
        if (!agrees) {
            st.status = Status.Disputed;
        } else if (complete) {
            if (st.unservedMask == st.answeredMask) {
                st.status = Status.Unserved;
            } else {
                st.status = Status.Answered;
                st.windowEnds = uint40(block.timestamp) + req.disputeWindow;
            }
        }
        _states[requestId] = st;

        _emitAnswer(requestId, operator, answer, outputHash);
        if (!agrees) {
            emit AnswersDisagree(requestId, st.anchor, index);
            _recordDisputed(req.operators);
            if (disputeHook != address(0)) IDisputeHook(disputeHook).onAnswersDisagree(requestId, req);
            return;
        }
        if (st.status == Status.Unserved) {
            _delegate(abi.encodeCall(Settlement.settleUnserved, (requestId, req, st.unservedMask)));
            return;
        }
        if (complete) emit AnswersComplete(requestId, st.windowEnds);
        if (outcome != OUTCOME_CANNOT_SERVE && !anchored) {
            if (req.finality == Finality.Fast && req.callback != address(0))
                _deliver(requestId, req, outcome, answer.output, false);
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

    /// @dev The attested hash: keccak256 of a RESULT's output, or the reason code itself, which must be one
    ///      of the outcome's defined codes (so no reason can pose as an output hash).
    function _outputHash(Request calldata req, Answer calldata answer) private view returns (bytes32) {
        uint8 outcome = answer.outcome;
        if (outcome == OUTCOME_RESULT) {
            if (answer.output.length > MIN_OUTPUT_LIMIT) _checkOutputSize(answer.output.length, req);
            return keccak256(answer.output);
        }
        if (outcome > OUTCOME_CANNOT_SERVE) revert BadOutcome(outcome);
        if (answer.output.length != 32) revert BadReasonCode();
        bytes32 reason = bytes32(answer.output);
        bool defined =
            outcome == OUTCOME_INVALID_INPUT
                ? VerdictTypes.isInvalidInputReason(reason)
                : VerdictTypes.isCannotServeReason(reason);
        if (!defined) revert BadReasonCode();
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

    /// @dev Compares a served answer with the anchor, outcome first: an INVALID_INPUT answer agrees with an
    ///      INVALID_INPUT anchor (whatever the two reasons) and never with a RESULT; two RESULTs agree when
    ///      their hashes are equal or, for a model with a tolerance, the outputs agree within it
    ///      (`referenceOutput` is the anchor's).
    function _agrees(
        uint256 requestId,
        Request calldata req,
        RequestState memory st,
        uint8 outcome,
        bytes calldata output,
        bytes32 outputHash,
        bytes calldata referenceOutput
    ) private view returns (bool) {
        bool anchorInvalid = st.invalidMask & uint8(1 << st.anchor) != 0;
        if (anchorInvalid || outcome == OUTCOME_INVALID_INPUT)
            return anchorInvalid && outcome == OUTCOME_INVALID_INPUT;
        bytes32 anchorHash = _answers[requestId][st.anchor];
        if (anchorHash == outputHash) return true;
        // Tolerance 0: VTN1 is canonical, so agreement is byte equality and the hashes decide (no reference,
        // no element-by-element scan, whose gas grows with the output: docs/protocol.md, "Output size").
        if (req.tolerance == 0) return false;
        if (keccak256(referenceOutput) != anchorHash) revert ReferenceMismatch(requestId);
        return agreementChecker.agree(referenceOutput, output, req.tolerance);
    }

    // ================================================================ settlement

    /// @notice Finalizes a request whose dispute window has passed: pays royalty, treasury and the
    ///         operators' pools, or, if the operators said "invalid input", refunds the requester.
    /// @param output The answer's output; needed only to deliver a FINAL-mode callback (else empty).
    function finalize(uint256 requestId, Request calldata req, bytes calldata output) external nonReentrant {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Answered) revert WrongStatus(requestId, st.status);
        if (block.timestamp < st.windowEnds) revert WindowOpen(requestId, st.windowEnds);
        _settle(requestId, req, st, output, true);
    }

    /// @dev A served result for the model: its strikes are forgotten.
    function _forgetStrikes(bytes32 modelHash) private {
        Strikes memory s = _strikes[modelHash];
        if (s.count == 0) return;
        _strikes[modelHash] = Strikes({epoch: s.epoch + 1, count: 0});
    }

    // ================================================================ dispute hooks (kept here: the dispute
    //                                                                  path's gas goals leave no room for a
    //                                                                  delegatecall)

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

    /// @notice Settles a disputed request. Only the dispute contract. `wrongMask` 0: the served answers
    ///         stand and are paid as in {finalize} (only operators that answered with a served answer are
    ///         paid or counted as served; `output` must be one of their outputs). Otherwise the operators in
    ///         `wrongMask` lost: the requester is refunded in full and `output` (with `outcome`) is delivered as
    ///         the correct result (a correction callback in FAST mode). Bits of operators that did not serve
    ///         an answer are ignored: they are never counted as having lost.
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
            // The answers stand: paid as in finalize, by Settlement (keeps one copy of the payout here).
            _delegateCalldata();
            return;
        }
        st.status = Status.Corrected;
        _states[requestId] = st;
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        _credit(req.requester, price);
        uint8 lostMask = wrongMask & st.answeredMask & ~st.unservedMask;
        for (uint256 i = 0; i < req.redundancy; ++i) {
            if (lostMask & (1 << i) != 0) _records[req.operators[i]].lost += 1;
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
    // ================================================================ forwarded to Settlement

    /// @notice Finalizes many requests in one transaction; entries not finalizable yet are skipped
    ///         (see {Settlement-finalizeBatch}).
    function finalizeBatch(
        uint256[] calldata,
        Request[] calldata,
        bytes[] calldata
    ) external returns (uint256) {
        _forward();
    }

    /// @notice Expires a request past its deadline: full refund; missing operators are penalised only when
    ///         another drawn operator served it; a request never assigned penalises nobody (see
    ///         {Settlement-expire}).
    function expire(uint256, Request calldata) external {
        _forward();
    }

    /// @notice Draws the k operators of a Requested request from its ticket's randomness; anyone may call it
    ///         (see {ICoordinator-assign}). Runs here, not in {Settlement}: it is on every request's path.
    /// @dev No reentrancy lock: its only calls are views of staking and of the randomness source (STATICCALL),
    ///      and the source's `requestRandomness` on a renewal, which the deployment chose (immutable) and which
    ///      decides the draw anyway; every state write follows it.
    function assign(uint256 requestId, Request calldata req) external returns (bool) {
        return _assign(requestId, req, true);
    }

    /// @notice {assign} for many requests; entries not assignable now are skipped (see
    ///         {Settlement-assignBatch}).
    function assignBatch(uint256[] calldata, Request[] calldata) external returns (uint256) {
        _forward();
    }

    /// @notice Credits a model's accrued royalties to its current owner's escrow balance.
    function claimRoyalties(bytes32) external returns (uint256) {
        _forward();
    }

    /// @notice Sets the treasury and its cut of every fee (≤ MAX_TREASURY_BPS). Timelocked.
    function setTreasury(address, uint16) external {
        _forward();
    }

    /// @notice Sets the callback gas cap (≤ MAX_CALLBACK_GAS_CAP). Timelocked.
    function setCallbackGasCap(uint32) external {
        _forward();
    }

    /// @notice Sets the default and the longest request deadline, in seconds. Timelocked.
    function setDeadlines(uint32, uint32) external {
        _forward();
    }

    /// @notice Sets the penalty for a penalised miss: a slash in bps of the pool and a jail time. Timelocked.
    function setMissPenalty(uint16, uint32) external {
        _forward();
    }

    /// @notice Sets the minimum answer time, the miss window and the misses that jail. Timelocked.
    function setLiveness(uint16, uint32, uint8) external {
        _forward();
    }

    /// @notice Sets how many distinct operators' MODEL_UNAVAILABLE answers suspend a model. Timelocked.
    function setModelStrikes(uint8) external {
        _forward();
    }

    /// @notice Sets the callback gas price, in gwei of OPG per gas. Timelocked.
    function setCallbackGasPrice(uint32) external {
        _forward();
    }

    /// @notice Sets the largest output an answer may carry, in bytes. Timelocked.
    function setMaxOutput(uint32) external {
        _forward();
    }

    /// @notice Sets the dispute contract. Timelocked.
    function setDisputeHook(address) external {
        _forward();
    }

    /// @dev Runs `data` on {Settlement} in this contract's storage; bubbles a revert up.
    function _delegate(bytes memory data) private {
        (bool ok, bytes memory ret) = settlement.delegatecall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    /// @dev Runs this call's calldata on {Settlement} in this contract's storage; bubbles a revert up and
    ///      returns to the caller here.
    function _delegateCalldata() private {
        address target = settlement;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            if iszero(delegatecall(gas(), target, ptr, calldatasize(), 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev Runs this call's calldata on {Settlement} in this contract's storage and returns what it returns.
    function _forward() private {
        address target = settlement;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            let ok := delegatecall(gas(), target, ptr, calldatasize(), 0, 0)
            returndatacopy(ptr, 0, returndatasize())
            if iszero(ok) {
                revert(ptr, returndatasize())
            }
            return(ptr, returndatasize())
        }
    }

    // ================================================================ views

    /// @notice The id the next request will get.
    function nextRequestId() external view returns (uint256) {
        return params.nextRequestId;
    }

    /// @notice An operator's record: fees accrued for its pool, served, disputed, lost, missed.
    function operatorRecord(address operator) external view returns (OperatorRecord memory) {
        return _records[operator];
    }

    /// @notice The commitment a {Request} must hash to.
    function commitmentOf(Request calldata req) external pure returns (bytes22) {
        return bytes22(keccak256(abi.encode(req)));
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
}
