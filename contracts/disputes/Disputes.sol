// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICoordinator, IDisputeHook} from "../interfaces/ICoordinator.sol";
import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";
import {IRefereeCourt} from "../interfaces/IRefereeCourt.sol";
import {AgreementChecker} from "../requests/AgreementChecker.sol";
import {DisputeMath} from "./DisputeMath.sol";
import {IDisputes} from "../interfaces/IDisputes.sol";
import {IStakingDisputes} from "../interfaces/IDisputeDeps.sol";
import {JuryLib} from "./JuryLib.sol";

/// @title Disputes
/// @notice Challenges of answered requests and their resolution (docs/disputes.md): a challenger posts a
///         bond equal to the operators' at-risk amount, or the coordinator opens a dispute without a bond
///         when answers disagree. The model's on-chain referee decides when governance admitted it for that
///         model ({IRefereeCourt}), subject to an appeal to the committee with a bond; otherwise a
///         stake-weighted committee of other operators, drawn from randomness nobody knew when the dispute
///         opened ({IRandomnessSource}), commits and reveals the output it computed, a strict majority
///         decides, no majority escalates to a larger committee, and after `maxRounds` the arbiter (a
///         timelocked protocol role the owner names) decides. Losers pay: a wrong operator is slashed and jailed, a wrong
///         challenger loses its bond; every amount comes from {DisputeMath}.
/// @dev The dispute id is the request id. The request is passed back in calldata and checked against the
///      coordinator's commitment, so opening a dispute writes one storage slot. Payouts (challenger,
///      jurors, requester compensation) are credited and pulled with {claim}; the contract is deployed with
///      a 1-wei float (deploy/Verdict.ts) so its token balance never returns to zero.
contract Disputes is IDisputes, IDisputeHook, ReentrancyGuardTransient, Ownable2Step {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using DisputeMath for DisputeMath.Params;

    uint8 private constant OUTCOME_RESULT = 0;
    uint8 private constant OUTCOME_INVALID_INPUT = 1;
    /// @notice The reason code delivered when the arbiter did not decide in time (docs/disputes.md).
    bytes32 public constant REASON_UNDECIDED = bytes32(uint256(8));

    IERC20 public immutable token;
    ICoordinator public immutable coordinator;
    IStakingDisputes public immutable staking;
    /// @notice Which referees count, and runs them.
    IRefereeCourt public immutable court;
    AgreementChecker public immutable agreementChecker;
    /// @notice Where committee draws get their randomness (a ticket when the dispute opens or a round ends).
    IRandomnessSource public immutable randomness;

    /// @notice Decides a dispute only after the committee rounds ran out; every decision is an event.
    address public arbiter;
    /// @notice Tokens owed to the burn (lost bonds' and slashes' burned parts, juror penalties), burned in
    ///         batches by {burnPending}. Packed with `arbiter`, so a settlement adds to it for one warm write.
    uint96 public pendingBurn;

    DisputeMath.Params private _params;

    mapping(uint256 disputeId => Dispute) private _disputes;
    JuryLib.Rounds private _rounds;
    mapping(address account => Account) private _accounts;

    /// @param owner_ The {owner}, which sets parameters within their bounds and names the arbiter: the
    ///        governance timelock, from construction (Disputes needs no wiring). @param arbiter_ The arbiter
    ///        (a timelocked protocol role, set by the owner with {setArbiter}).
    /// @param court_ The referee admission registry. @param randomness_ The source of committee draws.
    constructor(
        IERC20 token_,
        ICoordinator coordinator_,
        IStakingDisputes staking_,
        IRefereeCourt court_,
        AgreementChecker agreementChecker_,
        address owner_,
        address arbiter_,
        IRandomnessSource randomness_
    ) Ownable(owner_) {
        if (
            address(token_) == address(0) ||
            address(coordinator_) == address(0) ||
            address(staking_) == address(0) ||
            address(court_) == address(0) ||
            address(agreementChecker_) == address(0) ||
            arbiter_ == address(0) ||
            address(randomness_) == address(0)
        ) revert ZeroAddress();
        token = token_;
        coordinator = coordinator_;
        staking = staking_;
        court = court_;
        randomness = randomness_;
        agreementChecker = agreementChecker_;
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
        // One slot. The coordinator checks `req` against its commitment and the window.
        d.challenger = msg.sender;
        d.bondUnits = (amount / DisputeMath.BOND_UNIT).toUint64();
        d.phase = Phase.Open;
        emit DisputeOpened(requestId, msg.sender, amount, claimedOutput);
        coordinator.markDisputed(requestId, req, msg.sender);
        _lock(req.operators);
        _ticket(requestId, 1);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IDisputeHook
    /// @dev Opens a dispute without a bond when k > 1 answers disagree. Only the coordinator.
    function onAnswersDisagree(uint256 requestId, ICoordinator.Request calldata req) external {
        if (msg.sender != address(coordinator)) revert NotCoordinator(msg.sender);
        Dispute storage d = _disputes[requestId];
        if (d.phase != Phase.None) revert DisputeExists(requestId);
        d.phase = Phase.Open;
        emit DisputeOpened(requestId, address(0), 0, "");
        _lock(req.operators);
        _ticket(requestId, 1);
    }

    // ================================================================ resolution 1: referee

    /// @notice Decides the dispute with the model's admitted on-chain referee ({IRefereeCourt}), at any phase
    ///         before settlement unless the referee was already appealed. `input` must hash to the request's
    ///         input hash. A referee revert with an error means "invalid input" is the right answer. The
    ///         verdict is recorded, not applied: it can be appealed ({appealReferee}) until the appeal
    ///         deadline (one committee round: commit + reveal durations), then anyone applies it
    ///         ({settleReferee}). Reverts `NoReferee` when the model has no admitted referee whose code still
    ///         matches: the committee decides.
    function resolveByReferee(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        bytes calldata input
    ) external nonReentrant {
        (Dispute storage d, , ) = _load(disputeId, req, true);
        Phase phase = d.phase;
        if (phase == Phase.Settled || phase == Phase.Refereed || d.appealed)
            revert WrongPhase(disputeId, phase);
        if (keccak256(input) != req.inputHash) revert InputMismatch(disputeId);
        DisputeMath.Params storage s = _params;
        JuryLib.refereeDecide(
            _rounds,
            d,
            address(court),
            disputeId,
            req.modelHash,
            input,
            s.commitDuration + s.revealDuration
        );
    }

    /// @notice Appeals the referee's verdict to the committee before the appeal deadline, posting a bond
    ///         ({bondFor}) that is burned if the committee (or the arbiter) upholds the verdict and credited
    ///         back otherwise. A randomness ticket is taken; {drawJury} draws the committee from it.
    function appealReferee(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        (Dispute storage d, , ) = _load(disputeId, req, true);
        uint256 amount = bondFor(req);
        JuryLib.appeal(_rounds, d, address(randomness), disputeId, msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Applies the referee's unappealed verdict after the appeal deadline. Anyone may call, with the
    ///         verdict's outcome and output (event `RefereeDecided`). An operator is right only if its answer
    ///         is exactly the referee's output (referee models are integer and bit-exact).
    function settleReferee(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        uint8 outcome,
        bytes calldata output
    ) external nonReentrant {
        (Dispute storage d, uint8 invalidMask, uint8 silentMask) = _load(disputeId, req, false);
        JuryLib.checkVerdict(_rounds, d, disputeId, outcome, output);
        _decide(
            disputeId,
            d,
            req,
            Method.Referee,
            invalidMask,
            silentMask,
            outcome,
            output,
            new bytes[](0),
            0,
            0
        );
    }

    // ================================================================ resolution 2: committee

    /// @notice Draws the next committee of an open dispute from the value of the randomness ticket taken
    ///         when the dispute opened, the last round ended or the referee was appealed. Anyone may call.
    ///         Reverts `IRandomnessSource.RandomnessNotReady` until the value exists; if the ticket expired
    ///         (or the staking weights moved on since it was taken) a new ticket is taken instead
    ///         (`JuryTicketTaken`) and the committee is drawn by a later call.
    function drawJury(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        (Dispute storage d, , ) = _load(disputeId, req, true);
        if (d.phase != Phase.Open) revert WrongPhase(disputeId, d.phase);
        _startRound(disputeId, d, req, d.round + 1);
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
        (Dispute storage d, uint8 invalidMask, uint8 silentMask) = _load(disputeId, req, false);
        if (d.phase != Phase.Voting) revert WrongPhase(disputeId, d.phase);
        if (block.timestamp <= d.revealDeadline) revert RevealNotOver(disputeId, d.revealDeadline);
        uint8 round = d.round;
        uint256 key = JuryLib.roundKey(disputeId, round);
        JuryLib.Tally memory tally = _rounds.tally[key];
        if (tally.majority == bytes31(0)) revert NoMajority(disputeId, round);
        uint8 outcome = _outcomeOf(disputeId, tally.majority, majorityOutput);
        (uint256 winners, uint256 penalties) = _closeDecidingRound(disputeId, round, key, tally);
        _decide(
            disputeId,
            d,
            req,
            Method.Committee,
            invalidMask,
            silentMask,
            outcome,
            majorityOutput,
            answeredOutputs,
            winners,
            penalties
        );
    }

    /// @notice After the reveal deadline of a round without a strict majority: penalises the jurors that
    ///         did not reveal and takes a randomness ticket for a larger committee (2M+1), which {drawJury}
    ///         draws once the ticket's value exists; or after `maxRounds` hands the dispute to the arbiter.
    ///         Anyone may call.
    function escalate(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        (Dispute storage d, , ) = _load(disputeId, req, true);
        if (d.phase != Phase.Voting) revert WrongPhase(disputeId, d.phase);
        if (block.timestamp <= d.revealDeadline) revert RevealNotOver(disputeId, d.revealDeadline);
        uint8 round = d.round;
        if (_rounds.tally[JuryLib.roundKey(disputeId, round)].majority != bytes31(0))
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
            d.phase = Phase.Open;
            _ticket(disputeId, round + 1);
        } else {
            _toArbitration(disputeId, d, round, round);
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
        (Dispute storage d, uint8 invalidMask, uint8 silentMask) = _load(disputeId, req, false);
        if (d.phase != Phase.Arbitration) revert WrongPhase(disputeId, d.phase);
        if (outcome > OUTCOME_INVALID_INPUT) revert BadOutcome(outcome);
        if (outcome == OUTCOME_INVALID_INPUT) _checkReason(output);
        _decide(
            disputeId,
            d,
            req,
            Method.Arbiter,
            invalidMask,
            silentMask,
            outcome,
            output,
            answeredOutputs,
            0,
            0
        );
    }

    /// @notice Settles a dispute the arbiter did not decide within `arbiterTimeout` of the arbitration
    ///         call: nobody is slashed; the requester is refunded in full (the coordinator delivers "invalid
    ///         input" with reason {REASON_UNDECIDED} as the correction), the challenger's bond is credited
    ///         back, and every operator's stake is unlocked. Anyone may call.
    function resolveByTimeout(uint256 disputeId, ICoordinator.Request calldata req) external nonReentrant {
        (Dispute storage d, , ) = _load(disputeId, req, true);
        if (d.phase != Phase.Arbitration) revert WrongPhase(disputeId, d.phase);
        uint40 deadline = d.arbiterDeadline;
        if (block.timestamp <= deadline) revert ArbiterTimeNotOver(disputeId, deadline);
        d.phase = Phase.Settled;
        address challenger = d.challenger;
        uint256 bondAmount = uint256(d.bondUnits) * DisputeMath.BOND_UNIT;
        // Every operator's answer is withdrawn (the only refund path of the coordinator).
        uint8 mask = uint8((uint256(1) << req.operators.length) - 1);
        emit ArbiterTimedOut(disputeId, deadline);
        emit DisputeResolved(disputeId, Method.Timeout, mask, OUTCOME_INVALID_INPUT, REASON_UNDECIDED);
        emit DisputePayouts(disputeId, 0, 0, bondAmount, 0, 0, 0);
        if (challenger != address(0)) _credit(challenger, bondAmount);
        if (d.appealed) _settleAppeal(disputeId, 0, "", false);
        coordinator.settleDispute(disputeId, req, mask, OUTCOME_INVALID_INPUT, abi.encode(REASON_UNDECIDED));
        _unlock(req.operators);
    }

    // ================================================================ payouts

    /// @notice Pays the caller everything credited to it (bond back and reward, juror shares,
    ///         compensation). Reverts with {NothingToClaim} when there is nothing.
    function claim() external nonReentrant returns (uint256 amount) {
        Account storage a = _accounts[msg.sender];
        uint128 credited = a.credited;
        amount = credited - a.claimed;
        if (amount == 0) revert NothingToClaim(msg.sender);
        a.claimed = credited;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays `juror` (an operator of the deciding committee that revealed the majority vote) its
    ///         share of a settled dispute. Anyone may call; the share goes to the juror. Reverts with
    ///         {NothingToClaim} for anyone else or a second time.
    function claimJurorReward(
        uint256 disputeId,
        address juror
    ) external nonReentrant returns (uint256 amount) {
        amount = JuryLib.claimShare(_rounds, _disputes[disputeId], disputeId, juror);
        token.safeTransfer(juror, amount);
    }

    /// @notice Burns every token owed to the burn ({pendingBurn}). Anyone may call.
    function burnPending() external nonReentrant returns (uint256 amount) {
        amount = pendingBurn;
        if (amount == 0) revert NothingToClaim(address(0));
        pendingBurn = 0;
        ERC20Burnable(address(token)).burn(amount);
    }

    // ================================================================ governance

    /// @notice Replaces every parameter at once; each must lie within its bounds ({DisputeMath.valid},
    ///         docs/disputes.md). Running disputes keep their deadlines. Owner (timelock) only.
    function setParameters(DisputeMath.Params calldata p) external onlyOwner {
        JuryLib.setParameters(_params, p);
    }

    /// @notice Names the arbiter. Owner (timelock) only.
    function setArbiter(address newArbiter) external onlyOwner {
        if (newArbiter == address(0)) revert ZeroAddress();
        arbiter = newArbiter;
        emit ArbiterChanged(newArbiter);
    }

    // ================================================================ views

    /// @notice The current parameters.
    function parameters() external view returns (DisputeMath.Params memory) {
        return _params;
    }

    /// @notice What `account` can {claim} now.
    function claimable(address account) external view returns (uint256) {
        Account storage a = _accounts[account];
        return a.credited - a.claimed;
    }

    /// @notice The bond a challenger must post for `req` now: max(minBond, the largest at-risk amount of
    ///         its operators), rounded up to a gwei, see {DisputeMath.atRisk} and {DisputeMath.bond}.
    function bondFor(ICoordinator.Request calldata req) public view returns (uint256) {
        DisputeMath.Params memory p = _slot0Params();
        uint256 price = uint256(req.feePerOperator) * req.redundancy;
        uint256 maxRisk;
        for (uint256 i = 0; i < req.operators.length; ++i) {
            uint256 risk = p.atRisk(staking.poolAssets(req.operators[i]), price);
            if (risk > maxRisk) maxRisk = risk;
        }
        return p.bond(maxRisk);
    }

    /// @notice The referee verdict and appeal of a dispute (zero when the referee did not decide).
    function appealOf(uint256 disputeId) external view returns (Appeal memory) {
        return _rounds.appeals[disputeId];
    }

    /// @notice The pending randomness ticket of the dispute's next committee and the block it was taken in.
    function ticketOf(uint256 disputeId) external view returns (uint256 ticket, uint256 takenAt) {
        uint256 packed = _rounds.tickets[disputeId];
        return (uint192(packed), packed >> 192);
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
        return _rounds.tally[JuryLib.roundKey(disputeId, round)].majority;
    }

    /// @notice The key a revealed vote is counted under: outcome and output hash ("invalid input" votes
    ///         count together whatever the reason).
    function voteKey(uint8 outcome, bytes32 outputHash) external pure returns (bytes31) {
        return JuryLib.voteKey(outcome, outputHash);
    }

    // ================================================================ internals

    /// @dev The dispute, the request's invalid-input mask and its silent mask (bit i: operator i never
    ///      answered; only in an automatic dispute). With `verify`, checks `req` against the coordinator's
    ///      commitment; the settling paths skip it because `coordinator.settleDispute`, which they all call,
    ///      checks the same commitment and reverts the whole transaction on a mismatch.
    function _load(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        bool verify
    ) private view returns (Dispute storage d, uint8 invalidMask, uint8 silentMask) {
        d = _disputes[disputeId];
        if (d.phase == Phase.None) revert WrongPhase(disputeId, Phase.None);
        ICoordinator.RequestState memory st = coordinator.requestState(disputeId);
        if (verify && st.commitment != bytes22(keccak256(abi.encode(req)))) revert RequestMismatch(disputeId);
        invalidMask = st.invalidMask;
        silentMask = uint8(((uint256(1) << req.operators.length) - 1) & ~uint256(st.answeredMask));
    }

    function _judge(
        uint256 disputeId,
        ICoordinator.Request calldata req,
        uint8 invalidMask,
        uint8 outcome,
        bytes memory output,
        bytes[] memory answeredOutputs,
        bool exact
    ) private view returns (uint8 wrongMask, bytes memory payoutOutput) {
        return
            JuryLib.judge(
                address(coordinator),
                address(agreementChecker),
                disputeId,
                req.operators.length,
                req.tolerance,
                invalidMask,
                outcome,
                output,
                answeredOutputs,
                exact
            );
    }

    function _ticket(uint256 disputeId, uint8 nextRound) private {
        JuryLib.takeTicket(_rounds, address(randomness), disputeId, nextRound);
    }

    /// @dev Settles an appeal of the referee against the decision: upheld burns the appellant's bond,
    ///      otherwise it is credited back (JuryLib.settleAppeal).
    function _settleAppeal(uint256 disputeId, uint8 outcome, bytes memory output, bool decided) private {
        (address appellant, uint256 amount, bool upheld) = JuryLib.settleAppeal(
            _rounds,
            disputeId,
            outcome,
            output,
            decided
        );
        if (upheld) _burn(amount);
        else _credit(appellant, amount);
    }

    /// @dev Only the parameters of slot 0 (what the bond needs): opening a dispute reads one slot.
    function _slot0Params() private view returns (DisputeMath.Params memory p) {
        DisputeMath.Params storage s = _params;
        p.minBond = s.minBond;
        p.slashFloor = s.slashFloor;
        p.feeMultipleBps = s.feeMultipleBps;
        p.slashBps = s.slashBps;
        p.jurySize = s.jurySize;
        p.maxRounds = s.maxRounds;
    }

    /// @dev Slots 0 and 1: what a settlement needs (not the phase durations or the arbiter timeout).
    function _settleParams() private view returns (DisputeMath.Params memory p) {
        p = _slot0Params();
        DisputeMath.Params storage s = _params;
        p.jurorPenalty = s.jurorPenalty;
        p.compensationBps = s.compensationBps;
        p.challengerRewardBps = s.challengerRewardBps;
        p.jurorRewardBps = s.jurorRewardBps;
        p.operatorShareBps = s.operatorShareBps;
        p.jurorBondShareBps = s.jurorBondShareBps;
        p.jailDuration = s.jailDuration;
    }

    function _toArbitration(uint256 disputeId, Dispute storage d, uint8 round, uint8 roundsRun) private {
        uint40 deadline = uint40(block.timestamp) + _params.arbiterTimeout;
        d.phase = Phase.Arbitration;
        d.round = round;
        d.arbiterDeadline = deadline;
        emit ArbitrationRequired(disputeId, roundsRun);
    }

    function _credit(address account, uint256 amount) private {
        if (amount != 0) _accounts[account].credited += amount.toUint128();
    }

    function _hashOf(uint8 outcome, bytes memory output) private pure returns (bytes32) {
        return outcome == OUTCOME_RESULT ? keccak256(output) : bytes32(output);
    }

    /// @dev The outcome the majority vote key stands for, given the output the caller says it voted for.
    function _outcomeOf(
        uint256 disputeId,
        bytes31 majority,
        bytes calldata majorityOutput
    ) private pure returns (uint8) {
        if (majority == JuryLib.voteKey(OUTCOME_RESULT, keccak256(majorityOutput))) return OUTCOME_RESULT;
        if (majority != JuryLib.voteKey(OUTCOME_INVALID_INPUT, bytes32(0)))
            revert MajorityMismatch(disputeId);
        _checkReason(majorityOutput);
        return OUTCOME_INVALID_INPUT;
    }

    /// @dev Ends the deciding round: how many jurors revealed the majority, and the penalties of those that
    ///      did not reveal. When everyone revealed the majority (the usual case) there is nothing to loop over.
    function _closeDecidingRound(
        uint256 disputeId,
        uint8 round,
        uint256 key,
        JuryLib.Tally memory tally
    ) private returns (uint256 winners, uint256 penalties) {
        winners = tally.seated;
        if (_rounds.votes[key][tally.majority] == winners) return (winners, 0);
        return
            JuryLib.closeRound(
                _rounds,
                address(staking),
                disputeId,
                round,
                tally.majority,
                _params.jurorPenalty
            );
    }

    function _checkReason(bytes calldata output) private pure {
        if (output.length != 32 || bytes32(output) == bytes32(0)) revert BadReasonCode();
    }

    function _lock(address[] calldata operators) private {
        for (uint256 i = 0; i < operators.length; ++i) staking.lockStake(operators[i]);
    }

    function _unlock(address[] calldata operators) private {
        for (uint256 i = 0; i < operators.length; ++i) staking.unlockStake(operators[i]);
    }

    function _burn(uint256 amount) private {
        if (amount != 0) pendingBurn += amount.toUint96();
    }

    /// @dev Draws the committee of `round` from the dispute's ticket (JuryLib.drawRound); too few eligible
    ///      operators send the dispute to the arbiter; a stale ticket is replaced and the draw waits for it.
    function _startRound(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        uint8 round
    ) private {
        DisputeMath.Params storage s = _params;
        uint8 result = JuryLib.drawRound(
            _rounds,
            d,
            address(staking),
            address(randomness),
            disputeId,
            round,
            req.operators,
            d.appealed ? _rounds.appeals[disputeId].appellant : address(0),
            DisputeMath.jurySizeOf(s.jurySize, round),
            s.commitDuration,
            s.revealDuration
        );
        if (result == JuryLib.TOO_FEW) _toArbitration(disputeId, d, round, round - 1);
    }

    /// @dev The one step every decision ends with (referee, committee, arbiter): judges the answers against
    ///      the decided `outcome`/`output` ({_judge}; bit-exact for the referee), emits `ArbiterDecided` on
    ///      the arbiter's path, and settles the decision ({_resolve}). `winners`/`extraBurn`: the deciding
    ///      round's majority jurors and penalties (0 outside the committee path).
    function _decide(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        Method method,
        uint8 invalidMask,
        uint8 silentMask,
        uint8 outcome,
        bytes memory output,
        bytes[] memory answeredOutputs,
        uint256 winners,
        uint256 extraBurn
    ) private {
        (uint8 wrongMask, bytes memory payoutOutput) = _judge(
            disputeId,
            req,
            invalidMask,
            outcome,
            output,
            answeredOutputs,
            method == Method.Referee
        );
        if (method == Method.Arbiter) {
            emit ArbiterDecided(disputeId, msg.sender, outcome, _hashOf(outcome, output), wrongMask);
        }
        _resolve(
            disputeId,
            d,
            req,
            method,
            wrongMask,
            silentMask,
            outcome,
            output,
            payoutOutput,
            winners,
            extraBurn
        );
    }

    /// @dev Settles a decision: marks it, emits it, pays it out ({_payWrongOperators} or {_payLostBond}), settles
    ///      an appeal of the referee, and unlocks the operators' stake. `wrongMask`: the operators whose answer
    ///      is not the decided one (slashed and jailed). `silentMask`: operators that never answered (an
    ///      automatic dispute opens at the first disagreeing answer): not slashed, but never paid: the mask
    ///      passed to `coordinator.settleDispute` is `wrongMask | silentMask`, and a non-zero mask pays no
    ///      operator (the requester is refunded and the decided output delivered).
    function _resolve(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        Method method,
        uint8 wrongMask,
        uint8 silentMask,
        uint8 outcome,
        bytes memory output,
        bytes memory payoutOutput,
        uint256 winners,
        uint256 extraBurn
    ) private {
        d.phase = Phase.Settled;
        emit DisputeResolved(disputeId, method, wrongMask, outcome, _hashOf(outcome, output));
        if (d.appealed) _settleAppeal(disputeId, outcome, output, true);
        uint8 unpaid = wrongMask | silentMask;
        if (unpaid != 0) {
            _payWrongOperators(disputeId, d, req, wrongMask, winners, extraBurn);
            coordinator.settleDispute(disputeId, req, unpaid, outcome, output);
        } else {
            _payLostBond(disputeId, d, req, winners, extraBurn);
            coordinator.settleDispute(disputeId, req, 0, 0, payoutOutput);
        }
        _unlock(req.operators);
    }

    /// @dev Operator(s) wrong: slash and jail them; from the slashed tokens the requester's compensation,
    ///      the challenger's reward (with its bond back) — both credited, see {claim} — and the majority
    ///      jurors' share ({claimJurorReward}), the rest queued for the burn; the coordinator refunds the
    ///      fee and delivers the correction.
    function _payWrongOperators(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        uint8 wrongMask,
        uint256 winners,
        uint256 extraBurn
    ) private {
        DisputeMath.Params memory p = _settleParams();
        address challenger = d.challenger;
        uint256 bondAmount = uint256(d.bondUnits) * DisputeMath.BOND_UNIT;
        uint256 slashed = _slashWrong(req, wrongMask, p);
        DisputeMath.SlashSplit memory s = p.splitSlash(
            slashed,
            bondAmount,
            challenger != address(0),
            winners != 0
        );
        uint256 dust = _shareJurors(d, winners, s.jurors);
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
        _credit(req.requester, s.compensation);
        if (challengerPaid != 0) _credit(challenger, challengerPaid);
        _burn(s.burned + dust + extraBurn);
    }

    /// @dev The answers stand: the bond goes to the operators' pools, the majority jurors and the burn; the
    ///      coordinator pays the request out.
    function _payLostBond(
        uint256 disputeId,
        Dispute storage d,
        ICoordinator.Request calldata req,
        uint256 winners,
        uint256 extraBurn
    ) private {
        DisputeMath.Params memory p = _settleParams();
        DisputeMath.BondSplit memory s = p.splitBond(
            uint256(d.bondUnits) * DisputeMath.BOND_UNIT,
            winners != 0
        );
        uint256 dust = _shareJurors(d, winners, s.jurors);
        uint256 n = req.operators.length;
        uint256 perOperator = s.operators / n;
        uint256 operatorDust = s.operators - perOperator * n;
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
            for (uint256 i = 0; i < n; ++i) staking.notifyReward(req.operators[i], perOperator);
        }
        _burn(s.burned + dust + operatorDust + extraBurn);
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

    /// @dev Records each majority juror's equal share of `pot` ({claimJurorReward}); returns the undivided
    ///      remainder (burned by the caller).
    function _shareJurors(Dispute storage d, uint256 winners, uint256 pot) private returns (uint256 dust) {
        if (winners == 0) return pot;
        uint256 each = pot / winners;
        d.jurorShare = each.toUint128();
        dust = pot - each * winners;
    }
}
