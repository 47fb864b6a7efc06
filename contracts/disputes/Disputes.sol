// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICoordinator, IDisputeHook} from "../interfaces/ICoordinator.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IReferee} from "../interfaces/IReferee.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {ReentrancyLock} from "../libraries/ReentrancyLock.sol";
import {AgreementChecker} from "../requests/AgreementChecker.sol";
import {DisputeMath} from "./DisputeMath.sol";
import {IDisputes} from "./IDisputes.sol";
import {ICoordinatorDisputes, IStakingDisputes} from "./IDisputeDeps.sol";
import {JuryLib} from "./JuryLib.sol";

/// @title Disputes
/// @notice Challenges of answered requests and their resolution (docs/disputes.md): a challenger posts a
///         bond equal to the operators' at-risk amount, or the coordinator opens a dispute without a bond
///         when answers disagree. The model's on-chain referee decides alone when there is one; otherwise a
///         stake-weighted committee of other operators commits and reveals the output it computed, a strict
///         majority decides, no majority escalates to a larger committee, and after `maxRounds` the
///         arbiter (a timelocked governance role) decides. Losers pay: a wrong operator is slashed and
///         jailed, a wrong challenger loses its bond; every amount comes from {DisputeMath}.
/// @dev The dispute id is the request id. The request is passed back in calldata and checked against a
///      160-bit commitment, so a dispute costs two storage slots.
contract Disputes is IDisputes, IDisputeHook, ReentrancyLock {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using DisputeMath for DisputeMath.Params;

    uint8 private constant OUTCOME_RESULT = 0;
    uint8 private constant OUTCOME_INVALID_INPUT = 1;

    IERC20 public immutable token;
    ICoordinatorDisputes public immutable coordinator;
    IStakingDisputes public immutable staking;
    IModelRegistry public immutable registry;
    AgreementChecker public immutable agreementChecker;

    /// @notice Sets parameters within their bounds and names the arbiter: the governance timelock.
    address public governance;
    /// @notice Decides a dispute only after the committee rounds ran out; every decision is an event.
    address public arbiter;

    DisputeMath.Params private _params;

    mapping(uint256 disputeId => Dispute) private _disputes;
    JuryLib.Rounds private _rounds;

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    /// @param governance_ The governance timelock. @param arbiter_ The arbiter (a timelocked role).
    constructor(
        IERC20 token_,
        ICoordinatorDisputes coordinator_,
        IStakingDisputes staking_,
        IModelRegistry registry_,
        AgreementChecker agreementChecker_,
        address governance_,
        address arbiter_
    ) {
        if (
            address(token_) == address(0) ||
            address(coordinator_) == address(0) ||
            address(staking_) == address(0) ||
            address(registry_) == address(0) ||
            address(agreementChecker_) == address(0) ||
            governance_ == address(0) ||
            arbiter_ == address(0)
        ) revert ZeroAddress();
        token = token_;
        coordinator = coordinator_;
        staking = staking_;
        registry = registry_;
        agreementChecker = agreementChecker_;
        governance = governance_;
        arbiter = arbiter_;
        _params = DisputeMath.defaults();
    }

    // ================================================================ opening

    /// @notice Disputes the answers of `requestId` during its dispute window. Pulls the bond ({bondFor})
    ///         from the caller, freezes the request and locks the stake of every assigned operator.
    /// @param claimedOutput The output the challenger claims is right (optional; recorded in the event).
    function openDispute(
        uint256 requestId,
        ICoordinator.Request calldata req,
        bytes calldata claimedOutput
    ) external nonReentrant {
        Dispute storage d = _disputes[requestId];
        if (d.phase != Phase.None) revert DisputeExists(requestId);
        uint256 amount = bondFor(req);
        d.challenger = msg.sender;
        d.bond = amount.toUint96();
        d.requestCommitment = _commit(req);
        d.phase = Phase.Open;
        emit DisputeOpened(requestId, msg.sender, amount, claimedOutput);
        coordinator.markDisputed(requestId, req, msg.sender);
        _lock(req.operators);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IDisputeHook
    /// @dev Opens a dispute without a bond when k > 1 answers disagree. Only the coordinator.
    function onAnswersDisagree(uint256 requestId, ICoordinator.Request calldata req) external {
        if (msg.sender != address(coordinator)) revert NotCoordinator(msg.sender);
        Dispute storage d = _disputes[requestId];
        if (d.phase != Phase.None) revert DisputeExists(requestId);
        d.requestCommitment = _commit(req);
        d.phase = Phase.Open;
        emit DisputeOpened(requestId, address(0), 0, "");
        _lock(req.operators);
    }

    // ================================================================ resolution 1: referee

    /// @notice Decides the dispute with the model's on-chain referee, in one transaction, at any phase
    ///         before settlement. `input` must hash to the request's input hash. A referee revert with
    ///         an error means "invalid input" is the right answer; an operator is right only if its
    ///         answer is exactly the referee's output (referee models are integer and bit-exact).
    function resolveByReferee(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        bytes calldata input
    ) external nonReentrant {
        Dispute storage d = _load(disputeId, req);
        Phase phase = d.phase;
        if (phase == Phase.Settled) revert WrongPhase(disputeId, phase);
        address referee = registry.refereeOf(req.modelHash);
        if (referee == address(0)) revert NoReferee(req.modelHash);
        if (keccak256(input) != req.inputHash) revert InputMismatch(disputeId);
        uint8 outcome;
        bytes memory output;
        try IReferee(referee).evaluate(input) returns (bytes memory out) {
            output = out;
        } catch (bytes memory reason) {
            // An empty revert is out of gas or a bug, never a verdict: a caller must not be able to turn
            // a starved call into "invalid input".
            if (reason.length < 4) revert RefereeFailed(disputeId);
            outcome = OUTCOME_INVALID_INPUT;
            output = abi.encode(_reasonOf(reason));
        }
        (uint8 wrongMask, bytes memory payoutOutput) = JuryLib.judge(
            address(coordinator),
            address(agreementChecker),
            disputeId,
            req.operators.length,
            req.tolerance,
            outcome,
            output,
            new bytes[](0),
            true
        );
        _resolve(
            disputeId,
            d,
            req,
            Method.Referee,
            wrongMask,
            outcome,
            output,
            payoutOutput,
            new address[](0),
            0
        );
    }

    // ================================================================ resolution 2: committee

    /// @notice Draws the first committee of an open dispute. Anyone may call.
    function drawJury(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        Dispute storage d = _load(disputeId, req);
        if (d.phase != Phase.Open) revert WrongPhase(disputeId, d.phase);
        _startRound(disputeId, d, req, 1);
    }

    /// @notice Commits the caller's juror vote: `commitment` = keccak256(abi.encode(disputeId, round,
    ///         juror, outcome, outputHash, salt)). The caller is the drawn operator's signer key.
    function commitVote(uint256 disputeId, bytes32 commitment) external {
        JuryLib.commit(_rounds, _disputes[disputeId], address(staking), disputeId, msg.sender, commitment);
    }

    /// @notice Reveals a committed vote after the commit phase and before the reveal deadline.
    /// @param outcome 0: `outputHash` is keccak256 of the canonical output; 1: invalid input (any reason).
    function revealVote(uint256 disputeId, uint8 outcome, bytes32 outputHash, bytes32 salt) external {
        JuryLib.reveal(
            _rounds,
            _disputes[disputeId],
            address(staking),
            disputeId,
            msg.sender,
            outcome,
            outputHash,
            salt
        );
    }

    /// @notice Settles a dispute whose committee reached a strict majority, after the reveal deadline.
    ///         Anyone may call. Jurors that did not reveal are penalised.
    /// @param majorityOutput The output the majority voted for (its keccak256 is the majority's hash);
    ///        for an "invalid input" majority, a 32-byte reason code.
    /// @param answeredOutputs One entry per operator: its answered output when its hash differs from the
    ///        majority's and it answered a result (checked against the stored hash), else empty.
    function settle(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        bytes calldata majorityOutput,
        bytes[] calldata answeredOutputs
    ) external nonReentrant {
        Dispute storage d = _load(disputeId, req);
        if (d.phase != Phase.Voting) revert WrongPhase(disputeId, d.phase);
        if (block.timestamp <= d.revealDeadline) revert RevealNotOver(disputeId, d.revealDeadline);
        uint8 round = d.round;
        bytes31 majority = _rounds.majority[JuryLib.roundKey(disputeId, round)];
        if (majority == bytes31(0)) revert NoMajority(disputeId, round);
        uint8 outcome;
        if (majority == JuryLib.voteKey(OUTCOME_RESULT, keccak256(majorityOutput))) {
            outcome = OUTCOME_RESULT;
        } else if (majority == JuryLib.voteKey(OUTCOME_INVALID_INPUT, bytes32(0))) {
            outcome = OUTCOME_INVALID_INPUT;
            _checkReason(majorityOutput);
        } else {
            revert MajorityMismatch(disputeId);
        }
        (uint8 wrongMask, bytes memory payoutOutput) = JuryLib.judge(
            address(coordinator),
            address(agreementChecker),
            disputeId,
            req.operators.length,
            req.tolerance,
            outcome,
            majorityOutput,
            answeredOutputs,
            false
        );
        (address[] memory winners, uint256 penalties) = JuryLib.closeRound(
            _rounds,
            address(staking),
            disputeId,
            round,
            majority,
            _params.jurorPenalty
        );
        _resolve(
            disputeId,
            d,
            req,
            Method.Committee,
            wrongMask,
            outcome,
            majorityOutput,
            payoutOutput,
            winners,
            penalties
        );
    }

    /// @notice After the reveal deadline of a round without a strict majority: penalises the jurors that
    ///         did not reveal and draws a larger committee (2M+1), or after `maxRounds` hands the dispute
    ///         to the arbiter. Anyone may call.
    function escalate(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        Dispute storage d = _load(disputeId, req);
        if (d.phase != Phase.Voting) revert WrongPhase(disputeId, d.phase);
        if (block.timestamp <= d.revealDeadline) revert RevealNotOver(disputeId, d.revealDeadline);
        uint8 round = d.round;
        if (_rounds.majority[JuryLib.roundKey(disputeId, round)] != bytes31(0))
            revert MajorityReached(disputeId, round);
        (, uint256 penalties) = JuryLib.closeRound(
            _rounds,
            address(staking),
            disputeId,
            round,
            bytes31(0),
            _params.jurorPenalty
        );
        _burn(penalties);
        emit DisputeEscalated(disputeId, round);
        if (round < _params.maxRounds) {
            _startRound(disputeId, d, req, round + 1);
        } else {
            d.phase = Phase.Arbitration;
            emit ArbitrationRequired(disputeId, round);
        }
    }

    // ================================================================ resolution 3: arbiter

    /// @notice The arbiter's decision, only after the committee rounds ran out. Same rules as {settle}
    ///         with the arbiter's `output` in place of the majority's; no juror is paid.
    function arbitrate(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        uint8 outcome,
        bytes calldata output,
        bytes[] calldata answeredOutputs
    ) external nonReentrant {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        Dispute storage d = _load(disputeId, req);
        if (d.phase != Phase.Arbitration) revert WrongPhase(disputeId, d.phase);
        if (outcome > OUTCOME_INVALID_INPUT) revert BadOutcome(outcome);
        if (outcome == OUTCOME_INVALID_INPUT) _checkReason(output);
        (uint8 wrongMask, bytes memory payoutOutput) = JuryLib.judge(
            address(coordinator),
            address(agreementChecker),
            disputeId,
            req.operators.length,
            req.tolerance,
            outcome,
            output,
            answeredOutputs,
            false
        );
        emit ArbiterDecided(disputeId, msg.sender, outcome, _hashOf(outcome, output), wrongMask);
        _resolve(
            disputeId,
            d,
            req,
            Method.Arbiter,
            wrongMask,
            outcome,
            output,
            payoutOutput,
            new address[](0),
            0
        );
    }

    // ================================================================ governance

    /// @notice Replaces every parameter at once; each must lie within its bounds ({DisputeMath.valid},
    ///         docs/disputes.md). Running disputes keep their deadlines. Governance only.
    function setParameters(DisputeMath.Params calldata p) external onlyGovernance {
        if (!DisputeMath.valid(p)) revert InvalidParameters();
        _params = p;
        emit ParametersChanged(p);
    }

    /// @notice Names the arbiter. Governance only.
    function setArbiter(address newArbiter) external onlyGovernance {
        if (newArbiter == address(0)) revert ZeroAddress();
        arbiter = newArbiter;
        emit ArbiterChanged(newArbiter);
    }

    /// @notice Hands governance to `newGovernance`. Governance only.
    function transferGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert ZeroAddress();
        governance = newGovernance;
        emit GovernanceTransferred(newGovernance);
    }

    // ================================================================ views

    /// @notice The current parameters.
    function parameters() external view returns (DisputeMath.Params memory) {
        return _params;
    }

    /// @notice The bond a challenger must post for `req` now: max(minBond, the largest at-risk amount of
    ///         its operators), see {DisputeMath.atRisk}.
    function bondFor(ICoordinator.Request calldata req) public view returns (uint256) {
        DisputeMath.Params memory p = _params;
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        uint256 maxRisk;
        for (uint256 i = 0; i < req.operators.length; ++i) {
            uint256 risk = p.atRisk(staking.poolAssets(req.operators[i]), price);
            if (risk > maxRisk) maxRisk = risk;
        }
        return p.bond(maxRisk);
    }

    /// @notice A dispute's stored record.
    function disputeOf(uint256 disputeId) external view returns (Dispute memory) {
        return _disputes[disputeId];
    }

    /// @notice The committee of `round` (1-based).
    function jurorsOf(uint256 disputeId, uint8 round) external view returns (address[] memory) {
        return _rounds.jurors[JuryLib.roundKey(disputeId, round)];
    }

    /// @notice A juror's ballot in `round`.
    function ballotOf(uint256 disputeId, uint8 round, address juror) external view returns (Ballot memory) {
        return _rounds.ballots[JuryLib.roundKey(disputeId, round)][juror];
    }

    /// @notice The vote key a strict majority of `round` revealed, or zero.
    function majorityOf(uint256 disputeId, uint8 round) external view returns (bytes31) {
        return _rounds.majority[JuryLib.roundKey(disputeId, round)];
    }

    /// @notice The key a revealed vote is counted under: outcome and output hash ("invalid input" votes
    ///         count together whatever the reason).
    function voteKey(uint8 outcome, bytes32 outputHash) external pure returns (bytes31) {
        return JuryLib.voteKey(outcome, outputHash);
    }

    // ================================================================ internals

    function _load(
        uint256 disputeId,
        ICoordinator.Request calldata req
    ) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.phase == Phase.None) revert WrongPhase(disputeId, Phase.None);
        if (d.requestCommitment != _commit(req)) revert RequestMismatch(disputeId);
    }

    function _commit(ICoordinator.Request calldata req) private pure returns (bytes20) {
        return bytes20(keccak256(abi.encode(req)));
    }

    function _hashOf(uint8 outcome, bytes calldata output) private pure returns (bytes32) {
        return outcome == OUTCOME_RESULT ? keccak256(output) : bytes32(output);
    }

    function _checkReason(bytes calldata output) private pure {
        if (output.length != 32 || bytes32(output) == bytes32(0)) revert BadReasonCode();
    }

    /// @dev The reason code of a referee revert: the first argument of a one-word custom error, else 1
    ///      ("undecodable").
    function _reasonOf(bytes memory revertData) private pure returns (bytes32 reason) {
        if (revertData.length == 36) {
            assembly ("memory-safe") {
                reason := mload(add(revertData, 36))
            }
        }
        if (reason == bytes32(0)) reason = bytes32(uint256(1));
    }

    function _lock(address[] calldata operators) private {
        for (uint256 i = 0; i < operators.length; ++i) staking.lockStake(operators[i]);
    }

    function _unlock(address[] calldata operators) private {
        for (uint256 i = 0; i < operators.length; ++i) staking.unlockStake(operators[i]);
    }

    function _burn(uint256 amount) private {
        if (amount != 0) ERC20Burnable(address(token)).burn(amount);
    }

    /// @dev Draws the committee of `round`, excluding the request's operators and the challenger (and the
    ///      operator behind it, if the challenger is a signer key). Too few eligible operators send the
    ///      dispute to the arbiter; any other draw failure reverts (a starved call must not skip a round).
    function _startRound(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        uint8 round
    ) private {
        DisputeMath.Params memory p = _params;
        uint256 n = req.operators.length;
        address[] memory exclude = new address[](n + 2);
        for (uint256 i = 0; i < n; ++i) exclude[i] = req.operators[i];
        address challenger = d.challenger;
        if (challenger != address(0)) {
            exclude[n] = challenger;
            exclude[n + 1] = staking.operatorOfSigner(challenger);
        }
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, disputeId, round)));
        address[] memory jurors;
        try staking.draw(seed, p.jurySizeOf(round), exclude) returns (address[] memory drawn) {
            jurors = drawn;
        } catch (bytes memory reason) {
            if (reason.length < 4 || bytes4(reason) != IStaking.NotEnoughOperators.selector) {
                revert DrawFailed(disputeId);
            }
            d.phase = Phase.Arbitration;
            d.round = round;
            emit ArbitrationRequired(disputeId, round - 1);
            return;
        }
        JuryLib.seat(_rounds, JuryLib.roundKey(disputeId, round), jurors);
        uint40 commitDeadline = uint40(block.timestamp) + p.commitDuration;
        uint40 revealDeadline = commitDeadline + p.revealDuration;
        d.round = round;
        d.phase = Phase.Voting;
        d.commitDeadline = commitDeadline;
        d.revealDeadline = revealDeadline;
        emit JuryDrawn(disputeId, round, jurors, seed, commitDeadline, revealDeadline);
    }

    /// @dev Pays out a decision. Operator(s) wrong: slash and jail them; from the slashed tokens the
    ///      requester's compensation, the challenger's reward (with its bond back), the majority jurors'
    ///      share, the rest burned; the coordinator refunds the fee and delivers the correction. Answers
    ///      right: the bond goes to the operators' pools, the majority jurors and the burn; the coordinator
    ///      pays the request out. Always unlocks the operators' stake.
    function _resolve(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        Method method,
        uint8 wrongMask,
        uint8 outcome,
        bytes memory output,
        bytes memory payoutOutput,
        address[] memory winners,
        uint256 extraBurn
    ) private {
        d.phase = Phase.Settled;
        DisputeMath.Params memory p = _params;
        address challenger = d.challenger;
        uint256 bondAmount = d.bond;
        bool hasJurors = winners.length != 0;
        emit DisputeResolved(
            disputeId,
            method,
            wrongMask,
            outcome,
            outcome == OUTCOME_RESULT ? keccak256(output) : bytes32(output)
        );
        if (wrongMask != 0) {
            uint256 slashed = _slashWrong(req, wrongMask, p);
            DisputeMath.SlashSplit memory s = p.splitSlash(
                slashed,
                bondAmount,
                challenger != address(0),
                hasJurors
            );
            coordinator.settleDispute(disputeId, req, wrongMask, outcome, output);
            uint256 dust = _payJurors(winners, s.jurors);
            uint256 challengerPaid = challenger == address(0) ? 0 : bondAmount + s.challengerReward;
            emit DisputePayouts(
                disputeId,
                slashed,
                s.compensation,
                challengerPaid,
                s.jurors - dust,
                0,
                s.burned + dust + extraBurn
            );
            if (s.compensation != 0) {
                token.forceApprove(address(coordinator), s.compensation);
                coordinator.deposit(req.requester, s.compensation);
            }
            if (challengerPaid != 0) token.safeTransfer(challenger, challengerPaid);
            _burn(s.burned + dust + extraBurn);
        } else {
            DisputeMath.BondSplit memory s = p.splitBond(bondAmount, hasJurors);
            coordinator.settleDispute(disputeId, req, 0, 0, payoutOutput);
            uint256 dust = _payJurors(winners, s.jurors);
            uint256 perOperator = s.operators / req.operators.length;
            uint256 operatorDust = s.operators - perOperator * req.operators.length;
            emit DisputePayouts(
                disputeId,
                0,
                0,
                0,
                s.jurors - dust,
                s.operators - operatorDust,
                s.burned + dust + operatorDust + extraBurn
            );
            if (perOperator != 0) {
                token.forceApprove(address(staking), s.operators - operatorDust);
                for (uint256 i = 0; i < req.operators.length; ++i)
                    staking.notifyReward(req.operators[i], perOperator);
            }
            _burn(s.burned + dust + operatorDust + extraBurn);
        }
        _unlock(req.operators);
    }

    function _slashWrong(
        ICoordinator.Request calldata req,
        uint8 wrongMask,
        DisputeMath.Params memory p
    ) private returns (uint256 slashed) {
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        uint64 jailUntil = uint64(block.timestamp) + p.jailDuration;
        for (uint256 i = 0; i < req.operators.length; ++i) {
            if (wrongMask & (1 << i) == 0) continue;
            address op = req.operators[i];
            slashed += staking.slash(op, p.atRisk(staking.poolAssets(op), price), jailUntil);
        }
    }

    /// @dev Pays `pot` equally to `winners`; returns the undivided remainder (burned by the caller).
    function _payJurors(address[] memory winners, uint256 pot) private returns (uint256 dust) {
        uint256 n = winners.length;
        if (n == 0) return pot;
        uint256 each = pot / n;
        dust = pot - each * n;
        if (each == 0) return dust;
        for (uint256 i = 0; i < n; ++i) token.safeTransfer(winners[i], each);
    }
}
