// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";
import {CoordinatorState} from "./CoordinatorState.sol";

/// @title Settlement
/// @notice The coordinator's second half, run only by delegatecall from {Coordinator} (which creates it and
///         forwards these functions to it): signed-request checks, expiry and the liveness penalties, "cannot
///         serve" settlement and model strikes, batch finalize, royalties and the governed
///         parameters. Called directly it acts on its own, empty storage: every request is unknown and nobody
///         owns it (its constructor renounces the ownership Ownable needs to start with).
contract Settlement is CoordinatorState, EIP712 {
    constructor(
        IERC20 token_,
        IStaking staking_,
        IModelRegistry registry_,
        IRandomnessSource randomness_
    ) CoordinatorState(token_, staking_, registry_, randomness_, msg.sender) EIP712("Verdict", "1") {
        _transferOwnership(address(0));
    }

    /// @notice Checks a signed request for {Coordinator-requestInferenceSigned} (which creates the request
    ///         after this returns): the signature deadline, the requester's next nonce (consumed) and the
    ///         EIP-712 `InferenceRequest` signature, which binds the input's form (kind and URI).
    function requestInferenceSigned(
        RequestParams calldata p,
        address requester,
        uint256 nonce,
        uint64 signatureDeadline,
        bytes calldata signature
    ) external returns (uint256) {
        if (block.timestamp > signatureDeadline) revert SignatureExpired(signatureDeadline);
        uint256 expected = nonces[requester];
        if (nonce != expected) revert BadNonce(requester, nonce, expected);
        bytes32 digest = _hashTypedDataV4(_hashRequest(p, requester, nonce, signatureDeadline));
        address recovered = ECDSA.recover(digest, signature);
        if (recovered != requester) revert BadRequestSignature(recovered, requester);
        nonces[requester] = expected + 1;
        return 0;
    }

    /// @dev EIP-712 struct hash of a signed request (VerdictTypes.hash): the input's form is bound by
    ///      inputKind and the URI's hash, so a carrier cannot resubmit an inline request as hash + URI.
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
                        p.input.length == 0 ? 1 : 0, // inputKind: 0 inline, 1 hash + URI
                        keccak256(bytes(p.inputURI)),
                        p.redundancy
                    ),
                    abi.encode(
                        p.maxFee,
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

    /// @notice Not served here: the dispute hooks run on the coordinator itself.
    function markDisputed(uint256, Request calldata, address) external pure {
        revert UnknownRequest(0);
    }

    /// @notice The answers-stand half of {Coordinator-settleDispute} (`wrongMask` 0), reached by delegatecall
    ///         after the coordinator checked the caller, the status and the mask: pays the operators that
    ///         served, as {Coordinator-finalize} does; `output` must be one of their outputs.
    function settleDispute(
        uint256 requestId,
        Request calldata req,
        uint8,
        uint8,
        bytes calldata output
    ) external onlyDisputes {
        RequestState memory st = _load(requestId, req);
        if (st.status != Status.Disputed) revert WrongStatus(requestId, st.status);
        _settle(requestId, req, st, output, false);
    }

    /// @notice Not served here: requests are made on the coordinator.
    function requestInference(RequestParams calldata) external pure returns (uint256) {
        revert UnknownRequest(0);
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
            _settle(requestIds[i], reqs[i], st, outputs[i], true);
            ++finalized;
        }
    }

    /// @notice Expires a request whose deadline passed before all k answers arrived (or before its operators
    ///         were drawn): the requester gets the whole fee back. A missing operator is penalised only when another drawn operator served
    ///         the request (so it was answerable): a slash of `missPenaltyBps`, and a jail once it has
    ///         `missesToJail` such misses within `missWindow`. When nobody served it, nobody is penalised.
    function expire(uint256 requestId, Request calldata req) external nonReentrant {
        RequestState memory st = _load(requestId, req);
        // A never-assigned (Requested) request expires too: it has no operators (req.operators is empty), so
        // nobody is penalised, and its ticket (kept in windowEnds) is cleared.
        if (st.status != Status.Assigned && st.status != Status.Requested)
            revert WrongStatus(requestId, st.status);
        if (block.timestamp <= req.deadline) revert DeadlineNotPassed(requestId, req.deadline);
        st.status = Status.Expired;
        st.windowEnds = 0;
        _states[requestId] = st;
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        _credit(req.requester, price);

        bool answerable = st.answeredMask & ~st.unservedMask != 0;
        uint8 missedMask = 0;
        uint256 slashed = 0;
        for (uint256 i = 0; i < req.operators.length; ++i) {
            if (st.answeredMask & (1 << i) != 0) continue;
            missedMask |= uint8(1 << i);
            if (answerable) slashed += _penaliseMiss(req.operators[i]);
        }
        if (!answerable) _strikeModel(requestId, req, st.unservedMask);
        emit RequestExpired(requestId, price, missedMask, slashed);
        // Slashed stake for a missed deadline is burned: the requester is already made whole.
        if (slashed > 0) ERC20Burnable(address(feeToken)).burn(slashed);
    }

    // ---------------------------------------------------------------- assignment

    /// @notice Not served here: the coordinator draws a single request itself (no delegatecall on the
    ///         lifecycle's path).
    function assign(uint256, Request calldata) external pure returns (bool) {
        revert UnknownRequest(0);
    }

    /// @notice {Coordinator-assign} for many requests, for {Coordinator-assignBatch}: entries not assignable now (not
    ///         Requested, not ready, past their deadline) are skipped.
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

    /// @dev One penalised miss: counted, slashed `missPenaltyBps` of the pool, jailed at the window's
    ///      `missesToJail`-th miss. Never calls staking with nothing to do (a zero penalty and no jail).
    function _penaliseMiss(address operator) private returns (uint256 slashed) {
        Params memory cfg = params;
        LivenessParams memory live = liveness;
        OperatorRecord storage rec = _records[operator];
        rec.missed += 1;
        uint40 start = rec.missWindowStart;
        uint256 recent = rec.recentMisses;
        if (block.timestamp >= uint256(start) + live.missWindow) {
            rec.missWindowStart = uint40(block.timestamp);
            recent = 0;
        }
        ++recent;
        uint64 jailUntil = 0;
        if (recent >= live.missesToJail) {
            recent = 0;
            if (cfg.missJailDuration != 0) jailUntil = uint64(block.timestamp) + cfg.missJailDuration;
        }
        rec.recentMisses = uint8(recent);
        uint256 penalty = (staking.poolAssets(operator) * cfg.missPenaltyBps) / 10_000;
        if (penalty == 0 && jailUntil == 0) return 0;
        return staking.slash(operator, penalty, jailUntil);
    }

    /// @notice Settles a request every drawn operator answered "cannot serve" (the coordinator calls it when
    ///         the last answer arrives): full refund, nobody penalised, MODEL_UNAVAILABLE answers strike the
    ///         model.
    function settleUnserved(uint256 requestId, Request calldata req, uint8 unservedMask) external {
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        _credit(req.requester, price);
        emit RequestUnserved(requestId, price);
        _strikeModel(requestId, req, unservedMask);
    }

    /// @dev Strikes the model for each operator in `unservedMask` that answered MODEL_UNAVAILABLE, on a
    ///      request nobody served. Strikes count distinct operators; a served result forgets them. At
    ///      `modelStrikes` the registry suspends the model.
    function _strikeModel(uint256 requestId, Request calldata req, uint8 unservedMask) private {
        if (unservedMask == 0) return;
        bytes32 modelHash = req.modelHash;
        for (uint256 i = 0; i < req.redundancy; ++i) {
            if (unservedMask & (1 << i) == 0) continue;
            if (_answers[requestId][i] != VerdictTypes.REASON_MODEL_UNAVAILABLE) continue;
            address operator = req.operators[i];
            Strikes memory s = _strikes[modelHash];
            if (_struckIn[modelHash][operator] == s.epoch + 1) continue;
            _struckIn[modelHash][operator] = s.epoch + 1;
            s.count += 1;
            _strikes[modelHash] = s;
            emit ModelStruck(modelHash, operator, s.count);
            if (s.count == liveness.modelStrikes) registry.suspend(modelHash);
        }
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

    // ================================================================ governance

    /// @notice Sets the treasury and its cut of every fee (≤ MAX_TREASURY_BPS). Timelocked.
    function setTreasury(address newTreasury, uint16 treasuryBps) external onlyOwner {
        if (treasuryBps > MAX_TREASURY_BPS) revert InvalidParameter("treasuryBps", treasuryBps);
        if (newTreasury == address(0)) revert InvalidParameter("treasury", 0);
        // Income accrued so far belongs to the treasury that earned it.
        uint256 accrued = _treasuryAccrued;
        if (accrued != 0) {
            _treasuryAccrued = 0;
            _credit(treasury, accrued);
        }
        treasury = newTreasury;
        params.treasuryBps = treasuryBps;
        emit ParameterChanged("treasuryBps", treasuryBps);
    }

    /// @notice Sets the callback gas cap (≤ MAX_CALLBACK_GAS_CAP). Timelocked.
    function setCallbackGasCap(uint32 cap) external onlyOwner {
        _setting("callbackGasCap", cap, 0, MAX_CALLBACK_GAS_CAP);
        params.callbackGasCap = cap;
    }

    /// @notice Sets the default and the longest request deadline, in seconds (the default at least the
    ///         minimum answer time). Timelocked.
    function setDeadlines(uint32 defaultDeadline, uint32 maxDeadline) external onlyOwner {
        if (
            defaultDeadline < params.minAnswerTime ||
            defaultDeadline == 0 ||
            defaultDeadline > maxDeadline ||
            maxDeadline > 7 days
        ) {
            revert InvalidParameter("deadline", maxDeadline);
        }
        params.defaultDeadline = defaultDeadline;
        params.maxDeadline = maxDeadline;
        emit ParameterChanged("defaultDeadline", defaultDeadline);
        emit ParameterChanged("maxDeadline", maxDeadline);
    }

    /// @notice Sets the penalty for a missed deadline: a slash in bps of the pool and a jail time.
    function setMissPenalty(uint16 penaltyBps, uint32 jailDuration) external onlyOwner {
        _setting("missPenaltyBps", penaltyBps, 0, MAX_MISS_PENALTY_BPS);
        _setting("missJailDuration", jailDuration, 0, 30 days);
        params.missPenaltyBps = penaltyBps;
        params.missJailDuration = jailDuration;
    }

    /// @notice Sets the liveness rules: the minimum answer time of a request (MIN_ANSWER_TIME_FLOOR ..
    ///         MAX_MIN_ANSWER_TIME, at most the default deadline), the window in which penalised misses are
    ///         counted (1 hour .. 30 days) and how many misses in it jail (1 .. 100). Timelocked.
    function setLiveness(uint16 minAnswerTime, uint32 missWindow, uint8 missesToJail) external onlyOwner {
        uint256 maxMinAnswerTime = Math.min(MAX_MIN_ANSWER_TIME, params.defaultDeadline);
        _setting("minAnswerTime", minAnswerTime, MIN_ANSWER_TIME_FLOOR, maxMinAnswerTime);
        _setting("missWindow", missWindow, 1 hours, 30 days);
        _setting("missesToJail", missesToJail, 1, 100);
        params.minAnswerTime = minAnswerTime;
        liveness.missWindow = missWindow;
        liveness.missesToJail = missesToJail;
    }

    /// @notice Sets how many distinct operators' MODEL_UNAVAILABLE answers on unserved requests suspend a
    ///         model (2 .. 32: one operator alone can never suspend a model). Timelocked.
    function setModelStrikes(uint8 strikes) external onlyOwner {
        _setting("modelStrikes", strikes, 2, 32);
        liveness.modelStrikes = strikes;
    }

    /// @notice Sets the callback gas price, in gwei of OPG per gas (≤ MAX_CALLBACK_GAS_PRICE): a request
    ///         with a callback needs a fee per operator of at least callbackGasLimit × this. Timelocked.
    function setCallbackGasPrice(uint32 price) external onlyOwner {
        _setting("callbackGasPrice", price, 0, MAX_CALLBACK_GAS_PRICE);
        params.callbackGasPrice = price;
    }

    /// @notice Sets the largest output a RESULT answer may carry, in bytes (MIN_OUTPUT_LIMIT ..
    ///         MAX_OUTPUT_LIMIT). Answers already posted are not affected. Timelocked.
    function setMaxOutput(uint32 limit) external onlyOwner {
        _setting("maxOutput", limit, MIN_OUTPUT_LIMIT, MAX_OUTPUT_LIMIT);
        maxOutput = limit;
    }

    /// @dev The check and the log of a bounded setting: reverts `InvalidParameter(name, value)` unless
    ///      `min <= value <= max`, else emits `ParameterChanged(name, value)`; the caller stores the value.
    function _setting(bytes32 name, uint256 value, uint256 min, uint256 max) private {
        if (value < min || value > max) revert InvalidParameter(name, value);
        emit ParameterChanged(name, value);
    }

    /// @notice Sets the dispute contract: the only caller of the dispute hooks, told about disagreeing
    ///         answers. Timelocked.
    function setDisputeHook(address hook) external onlyOwner {
        disputeHook = hook;
        emit ParameterChanged("disputeHook", uint160(hook));
    }
}
