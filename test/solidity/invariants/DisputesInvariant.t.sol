// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {ModelRegistry} from "../../../contracts/models/ModelRegistry.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {AgreementChecker} from "../../../contracts/requests/AgreementChecker.sol";
import {Coordinator} from "../../../contracts/requests/Coordinator.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {Disputes} from "../../../contracts/disputes/Disputes.sol";
import {IDisputes} from "../../../contracts/interfaces/IDisputes.sol";
import {IStakingDisputes} from "../../../contracts/interfaces/IDisputeDeps.sol";
import {DisputeMath} from "../../../contracts/disputes/DisputeMath.sol";
import {VerdictTypes} from "../../../contracts/libraries/VerdictTypes.sol";
import {Test, Vm} from "../utils/Test.sol";
import {SeedReferee} from "./SeedReferee.sol";
import {RefereeCourt} from "../../../contracts/referee/RefereeCourt.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";

/// @notice Drives the token, staking, the coordinator and the REAL dispute contract together: requests
///         (k = 1..3, inline input) on a model without a referee and on one with a referee, answers signed
///         with vm.sign by the operators' signer keys (honest, lying, or "invalid input"; k > 1
///         disagreement opens a bond-free dispute through the coordinator's hook), bonded disputes by
///         challengers, jury draws, juror commit/reveal through the jurors' signer keys, settlement,
///         escalation, arbiter rulings and arbiter timeouts, referee resolutions, claims (challengers,
///         requesters, jurors), the burn queue, finalize, expire, escrow deposits/withdrawals, royalties,
///         delegations, undelegations, completions, reward claims and time. Inputs are bounded so most calls
///         act; every call and every success is counted. After every call the handler re-reads each request
///         and dispute and counts any state that moved backwards or left a terminal state, and every slash
///         beyond the staking cap of its window.
contract DisputesHandler is Test {
    uint256 internal constant N_OPS = 9;
    bytes5 internal constant VTN1 = 0x56544e3100;
    bytes32 internal constant REASON = bytes32(uint256(3));

    OPGToken public immutable token;
    Staking public immutable staking;
    Coordinator public immutable coordinator;
    Disputes public immutable disputes;
    bytes32 public immutable plainModel; // no referee: committee, then arbiter
    bytes32 public immutable refModel; // a referee ({SeedReferee}) can decide alone
    address public immutable arbiter;

    address[N_OPS] internal _ops;
    uint256[N_OPS] internal _keys;
    address[3] internal _actors;
    address[2] internal _challengers;

    struct Tracked {
        ICoordinator.Request req;
        bytes input;
        ICoordinator.Status terminal; // None until the handler saw it reach a terminal state
        IDisputes.Phase phase; // the dispute's phase when last seen
        uint8 round; // the dispute's round when last seen
        uint256 progress; // {_progress} when last seen
    }

    struct Vote {
        uint8 outcome;
        bytes32 outputHash;
        bytes32 salt;
    }

    uint256[] public ids;
    uint256[] public disputeIds;
    mapping(uint256 id => Tracked) internal _tracked;
    mapping(bytes32 ballot => Vote) internal _votes;
    uint256[] public withdrawalIds;

    // counters
    uint256 public calls;
    uint256 public successes;
    mapping(bytes32 action => uint256) public done;

    // ghosts
    uint256 public ghostTerminalChanges;
    uint256 public ghostPhaseRegressions;
    uint256 public ghostSlashCapViolations;
    uint256 public ghostLockedCompletions; // withdrawals completed while the handler knew of an open dispute
    uint256 public ghostUnlockedWithdrawalFailures; // matured, unlocked withdrawals that failed
    uint256 public ghostLockedAttempts; // completions tried while locked (they must all fail)
    mapping(address operator => uint256) public ghostWindowStart;
    mapping(address operator => uint256) public ghostWindowBase;
    mapping(address operator => uint256) public ghostWindowSlashed;
    uint256 public ghostSlashed; // total observed slashes (all parties)
    /// @notice What the handler expected and did not see: a request commitment other than the one it
    ///         built, a bond not pulled in full, a claim or juror share not paid in full, a burn not burned.
    uint256 public ghostUnexpected;
    bool internal _completing;

    error UnknownOperator(address operator);

    constructor(
        OPGToken token_,
        Staking staking_,
        Coordinator coordinator_,
        Disputes disputes_,
        bytes32[2] memory models_,
        address arbiter_,
        address[N_OPS] memory ops_,
        uint256[N_OPS] memory keys_
    ) {
        token = token_;
        staking = staking_;
        coordinator = coordinator_;
        disputes = disputes_;
        plainModel = models_[0];
        refModel = models_[1];
        arbiter = arbiter_;
        _ops = ops_;
        _keys = keys_;
        _actors = [address(0xA1), address(0xA2), address(0xA3)];
        _challengers = [address(0xC1), address(0xC2)];
        for (uint256 i; i < 3; ++i) {
            vm.startPrank(_actors[i]);
            token_.approve(address(coordinator_), type(uint256).max);
            token_.approve(address(staking_), type(uint256).max);
            vm.stopPrank();
        }
        for (uint256 i; i < 2; ++i) {
            vm.prank(_challengers[i]);
            token_.approve(address(disputes_), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------ step bookkeeping

    function _expect(bool ok) internal {
        if (!ok) ++ghostUnexpected;
    }

    modifier step() {
        ++calls;
        uint256[N_OPS] memory before;
        for (uint256 i; i < N_OPS; ++i) before[i] = staking.poolAssets(_ops[i]);
        _;
        _afterStep(before);
        _completing = false; // set by {complete}: its pool outflows are withdrawals, not slashes
    }

    function _afterStep(uint256[N_OPS] memory before) internal {
        if (!_completing) {
            // Outside completions, pool assets only fall by slashes.
            for (uint256 i; i < N_OPS; ++i) {
                uint256 nowAssets = staking.poolAssets(_ops[i]);
                if (nowAssets < before[i]) _recordSlash(_ops[i], before[i], before[i] - nowAssets);
            }
        }
        uint256 n = ids.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = ids[i];
            Tracked storage t = _tracked[id];
            ICoordinator.Status s = coordinator.requestState(id).status;
            if (t.terminal != ICoordinator.Status.None) {
                if (s != t.terminal) ++ghostTerminalChanges;
            } else if (_isTerminal(s)) {
                t.terminal = s;
            }
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            uint256 progress = _progress(d);
            if (progress < t.progress) ++ghostPhaseRegressions;
            if (t.phase == IDisputes.Phase.None && d.phase != IDisputes.Phase.None) disputeIds.push(id);
            t.phase = d.phase;
            t.round = d.round;
            t.progress = progress;
        }
    }

    /// @dev Mirrors the staking rule independently: a window opens at the first slash after the last one
    ///      ended, with the pool's assets then as its base; within it at most slashCapBps of the base goes.
    function _recordSlash(address operator, uint256 assetsBefore, uint256 slashed) internal {
        ghostSlashed += slashed;
        uint256 start = ghostWindowStart[operator];
        if (start == 0 || block.timestamp >= start + staking.slashWindow()) {
            ghostWindowStart[operator] = block.timestamp;
            ghostWindowBase[operator] = assetsBefore;
            ghostWindowSlashed[operator] = 0;
        }
        ghostWindowSlashed[operator] += slashed;
        if (ghostWindowSlashed[operator] * 10_000 > ghostWindowBase[operator] * staking.slashCapBps()) {
            ++ghostSlashCapViolations;
        }
    }

    function _isTerminal(ICoordinator.Status s) internal pure returns (bool) {
        return
            s == ICoordinator.Status.Finalized ||
            s == ICoordinator.Status.Rejected ||
            s == ICoordinator.Status.Expired ||
            s == ICoordinator.Status.Corrected;
    }

    // ------------------------------------------------------------------ views for the invariants

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function disputeCount() external view returns (uint256) {
        return disputeIds.length;
    }

    function tracked(
        uint256 id
    ) external view returns (ICoordinator.Request memory, ICoordinator.Status, IDisputes.Phase, uint8) {
        Tracked storage t = _tracked[id];
        return (t.req, t.terminal, t.phase, t.round);
    }

    function actor(uint256 i) external view returns (address) {
        return _actors[i];
    }

    function challenger(uint256 i) external view returns (address) {
        return _challengers[i];
    }

    function op(uint256 i) external view returns (address) {
        return _ops[i];
    }

    function signer(uint256 i) external view returns (address) {
        return vm.addr(_keys[i]);
    }

    /// @notice Σ fees locked in requests that are not terminal (Assigned, Answered, Disputed).
    function lockedFees() external view returns (uint256 sum) {
        for (uint256 i; i < ids.length; ++i) {
            ICoordinator.Status s = coordinator.requestState(ids[i]).status;
            if (s != ICoordinator.Status.None && !_isTerminal(s)) {
                ICoordinator.Request storage r = _tracked[ids[i]].req;
                sum += uint256(r.feePerOperator) * r.redundancy;
            }
        }
    }

    function _isOpen(IDisputes.Phase p) internal pure returns (bool) {
        return
            p == IDisputes.Phase.Open ||
            p == IDisputes.Phase.Voting ||
            p == IDisputes.Phase.Arbitration ||
            p == IDisputes.Phase.Refereed;
    }

    /// @dev How far a dispute got; it never decreases. Open with round r waits for the draw of round r + 1
    ///      (after an escalation or an appeal); an appeal (once) outranks everything before it.
    function _progress(IDisputes.Dispute memory d) internal pure returns (uint256) {
        if (d.phase == IDisputes.Phase.None) return 0;
        uint256 base = d.appealed ? 1024 : 1;
        if (d.phase == IDisputes.Phase.Settled) return base + 1000;
        if (d.phase == IDisputes.Phase.Open) return base + (uint256(d.round) + 1) * 8;
        if (d.phase == IDisputes.Phase.Refereed) return base + (uint256(d.round) + 1) * 8 + 1;
        if (d.phase == IDisputes.Phase.Voting) return base + uint256(d.round) * 8 + 1;
        return base + uint256(d.round) * 8 + 2; // Arbitration
    }

    /// @notice Σ bonds of disputes not settled yet, read from the dispute contract's records.
    function openBonds() external view returns (uint256 sum) {
        for (uint256 i; i < disputeIds.length; ++i) {
            IDisputes.Dispute memory d = disputes.disputeOf(disputeIds[i]);
            if (_isOpen(d.phase)) sum += uint256(d.bondUnits) * DisputeMath.BOND_UNIT;
        }
    }

    /// @notice Σ juror shares of settled disputes that majority jurors have not claimed yet.
    function unpaidJurorShares() external view returns (uint256 sum) {
        for (uint256 i; i < disputeIds.length; ++i) {
            uint256 id = disputeIds[i];
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            if (d.phase != IDisputes.Phase.Settled || d.jurorShare == 0) continue;
            bytes31 majority = disputes.majorityOf(id, d.round);
            address[] memory jurors = disputes.jurorsOf(id, d.round);
            for (uint256 j; j < jurors.length; ++j) {
                IDisputes.Ballot memory b = disputes.ballotOf(id, d.round, jurors[j]);
                if (b.state == IDisputes.BallotState.Revealed && b.hash == majority) sum += d.jurorShare;
            }
        }
    }

    /// @notice How many disputes the handler knows to be open with `operator` among the request's operators.
    function openDisputesOf(address operator) public view returns (uint256 count) {
        for (uint256 i; i < disputeIds.length; ++i) {
            uint256 id = disputeIds[i];
            if (!_isOpen(disputes.disputeOf(id).phase)) continue;
            address[] storage list = _tracked[id].req.operators;
            for (uint256 j; j < list.length; ++j) if (list[j] == operator) ++count;
        }
    }

    // ------------------------------------------------------------------ picking

    /// @dev Scans the created ids from `seed` for one whose request is in `want` (0 when none).
    function _pick(uint256 seed, ICoordinator.Status want) internal view returns (uint256) {
        uint256 n = ids.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = ids[((seed % n) + j) % n];
            if (coordinator.requestState(id).status == want) return id;
        }
        return 0;
    }

    /// @dev Scans the disputes from `seed` for one in `want` (0 when none).
    function _pickDispute(uint256 seed, IDisputes.Phase want) internal view returns (uint256) {
        uint256 n = disputeIds.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = disputeIds[((seed % n) + j) % n];
            if (disputes.disputeOf(id).phase == want) return id;
        }
        return 0;
    }

    function _ballotKey(uint256 id, uint8 round, address juror) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, round, juror));
    }

    function _out(uint8 v) internal pure returns (bytes memory) {
        return abi.encodePacked(VTN1, v);
    }

    /// @dev The right answer for a request: "invalid input" for a referee-model seed divisible by 5, else
    ///      the tensor VTN1 ‖ 0 (the handler's "lie" is VTN1 ‖ 1).
    function _truthInvalid(uint256 id) internal view returns (bool) {
        Tracked storage t = _tracked[id];
        return t.req.modelHash == refModel && uint64(_seedOf(t.input)) % 5 == 0;
    }

    /// @dev The uint64 seed after the 5-byte header of a handler-made input.
    function _seedOf(bytes memory input) internal pure returns (bytes8 seed) {
        assembly ("memory-safe") {
            seed := mload(add(input, 37)) // skip the length word and the header
        }
    }

    // ------------------------------------------------------------------ escrow

    function deposit(uint256 actorSeed, uint256 amount) external step {
        address a = _actors[actorSeed % 3];
        amount = bound(amount, 1, 1_000 ether);
        token.transfer(a, amount);
        vm.prank(a);
        coordinator.deposit(a, amount);
        _ok("deposit");
    }

    function withdraw(uint256 actorSeed, uint256 amount) external step {
        address a = _actors[actorSeed % 3];
        for (uint256 j; j < 3 && coordinator.balanceOf(a) == 0; ++j) a = _actors[((actorSeed % 3) + j) % 3];
        uint256 bal = coordinator.balanceOf(a);
        if (bal == 0) return;
        amount = bound(amount, 1, bal);
        vm.prank(a);
        coordinator.withdraw(a, amount);
        _ok("withdraw");
    }

    function claimRoyalties(bool ref) external step {
        bytes32 m = ref ? refModel : plainModel;
        if (coordinator.royaltiesOf(m) == 0) return;
        coordinator.claimRoyalties(m);
        _ok("claimRoyalties");
    }

    // ------------------------------------------------------------------ requests

    /// @dev Counts a success of `action`; returns true so callers can `return _ok(...)`.
    function _ok(bytes32 action) internal returns (bool) {
        ++successes;
        ++done[action];
        return true;
    }

    function _sub(uint256 seed, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, n)));
    }

    function _keyOf(address operator) internal view returns (uint256) {
        for (uint256 i; i < N_OPS; ++i) if (_ops[i] == operator) return _keys[i];
        revert UnknownOperator(operator);
    }

    /// @dev A request by actor seed % 3, k in 1..3, on either model, paid now or from a deposit.
    function _request(uint256 seed) internal returns (bool) {
        address a = _actors[seed % 3];
        uint8 k = uint8(bound(seed >> 8, 1, 3));
        if (staking.eligibleCount() < k) return false;
        bool payNow = (seed >> 80) & 1 == 1;
        bytes32 m = (seed >> 88) & 1 == 1 ? refModel : plainModel;
        uint256 price = 2 ether * uint256(k);
        token.transfer(a, price);
        if (!payNow) {
            vm.prank(a);
            coordinator.deposit(a, price);
        }
        bytes memory input = abi.encodePacked(VTN1, uint64(seed >> 16));
        ICoordinator.RequestParams memory p = ICoordinator.RequestParams({
            modelHash: m,
            input: input,
            inputHash: bytes32(0),
            inputURI: "",
            redundancy: k,
            maxFee: price,
            deadline: 0,
            callback: address(0),
            callbackGasLimit: 0,
            finality: ICoordinator.Finality.Fast
        });
        uint256 id = coordinator.nextRequestId();
        bytes32 inputHash = keccak256(input);
        vm.prank(a);
        uint256 got = payNow ? coordinator.requestInferencePayNow(p) : coordinator.requestInference(p);
        _expect(got == id);
        ICoordinator.Request memory r;
        r.requester = a;
        r.modelHash = m;
        r.inputHash = inputHash;
        r.feePerOperator = 2 ether;
        r.deadline = uint64(block.timestamp) + 10 minutes;
        r.disputeWindow = 60;
        r.royaltyBps = 500;
        r.treasuryBps = 500;
        r.redundancy = k;
        r.finality = ICoordinator.Finality.Fast;
        _expect(coordinator.requestState(id).commitment == coordinator.commitmentOf(r));
        // The draw: one block later, from the ticket's value and the request id only; the operators as
        // OperatorsAssigned states them, checked against the draw anyone recomputes from its seed.
        // The ticket (the request's block) read back from the state: under viaIR a `block.number` read here may
        // be one from before an earlier vm.roll.
        uint256 ticket = coordinator.requestState(id).windowEnds;
        vm.roll(ticket + 1);
        vm.recordLogs();
        _expect(coordinator.assign(id, r));
        address[] memory drawn = _drawnIn(id, ticket, k);
        r.operators = drawn;
        _expect(coordinator.requestState(id).commitment == coordinator.commitmentOf(r));
        Tracked storage t = _tracked[id];
        t.req = r;
        t.input = input;
        ids.push(id);
        return _ok("request");
    }

    /// @dev The operators of `id` from its OperatorsAssigned (logs recorded since `vm.recordLogs()`), checked
    ///      against `staking.selectOperators` at the event's seed and the request's ticket.
    function _drawnIn(uint256 id, uint256 ticket, uint8 k) internal returns (address[] memory drawn) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool found;
        uint256 usedTicket;
        bytes32 seed;
        for (uint256 i; i < logs.length && !found; ++i) {
            if (logs[i].topics.length < 2 || logs[i].topics[0] != ICoordinator.OperatorsAssigned.selector)
                continue;
            if (uint256(logs[i].topics[1]) != id) continue;
            (drawn, usedTicket, seed) = abi.decode(logs[i].data, (address[], uint256, bytes32));
            found = true;
        }
        _expect(found && usedTicket == ticket && drawn.length == k);
        if (drawn.length != k) return drawn;
        address[] memory again = staking.selectOperators(uint256(seed), k, new address[](0));
        for (uint256 j; j < k; ++j) _expect(again[j] == drawn[j]);
    }

    /// @dev One operator's signed answer to an Assigned request still before its deadline: mode % 8 == 0
    ///      lies (VTN1 ‖ 1), == 1 says "invalid input", else the right answer.
    function _answer(uint256 seed) internal returns (bool) {
        uint256 n = ids.length;
        uint256 id;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 candidate = ids[((seed % n) + j) % n];
            if (
                coordinator.requestState(candidate).status == ICoordinator.Status.Assigned &&
                block.timestamp <= _tracked[candidate].req.deadline
            ) {
                id = candidate;
                break;
            }
        }
        if (id == 0) return false;
        ICoordinator.RequestState memory st = coordinator.requestState(id);
        ICoordinator.Request memory r = _tracked[id].req;
        uint8 index = uint8((seed >> 8) % r.redundancy);
        while (st.answeredMask & (1 << index) != 0) index = (index + 1) % r.redundancy;
        uint256 mode = (seed >> 16) % 8;
        bool invalid = mode == 1 || (mode > 1 && _truthInvalid(id));
        uint8 outcome = invalid ? 1 : 0;
        bytes memory output = invalid ? abi.encode(REASON) : _out(mode == 0 ? 1 : 0);
        bytes32 outputHash = invalid ? REASON : keccak256(output);
        bytes32 structHash = keccak256(
            abi.encode(VerdictTypes.ATTESTATION_TYPEHASH, id, r.modelHash, r.inputHash, outputHash, outcome)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", coordinator.domainSeparator(), structHash));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(_keyOf(r.operators[index]), digest);
        ICoordinator.Answer memory ans = ICoordinator.Answer(
            index,
            outcome,
            output,
            abi.encodePacked(rr, s, v)
        );
        bytes memory reference_;
        if (st.answeredMask != 0) {
            // The anchor: the first served answer posted (docs/protocol.md, "Agreement: a fixed anchor").
            uint8 first = st.anchor;
            bytes32 firstHash = coordinator.answerOf(id, first);
            if (keccak256(_out(0)) == firstHash) reference_ = _out(0);
            else if (keccak256(_out(1)) == firstHash) reference_ = _out(1);
        }
        coordinator.submitAnswer(id, r, ans, reference_);
        return _ok("answer");
    }

    function _finalize(uint256 seed) internal returns (bool) {
        uint256 id = _pick(seed, ICoordinator.Status.Answered);
        if (id == 0) return false;
        ICoordinator.RequestState memory st = coordinator.requestState(id);
        if (block.timestamp < st.windowEnds) vm.warp(st.windowEnds);
        coordinator.finalize(id, _tracked[id].req, "");
        return _ok("finalize");
    }

    function _expire(uint256 seed) internal returns (bool) {
        uint256 id = _pick(seed, ICoordinator.Status.Assigned);
        if (id == 0) return false;
        ICoordinator.Request memory r = _tracked[id].req;
        if (block.timestamp <= r.deadline) vm.warp(uint256(r.deadline) + 1);
        coordinator.expire(id, r);
        return _ok("expire");
    }

    // ------------------------------------------------------------------ disputes

    /// @dev A challenger posts the bond and disputes an answered request inside its window, claiming the
    ///      other output.
    function _openDispute(uint256 seed) internal returns (bool) {
        uint256 n = ids.length;
        uint256 id;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 candidate = ids[((seed % n) + j) % n];
            ICoordinator.RequestState memory st = coordinator.requestState(candidate);
            if (st.status == ICoordinator.Status.Answered && block.timestamp < st.windowEnds) {
                id = candidate;
                break;
            }
        }
        if (id == 0) return false;
        ICoordinator.Request memory r = _tracked[id].req;
        address c = _challengers[(seed >> 8) % 2];
        uint256 bond = disputes.bondFor(r);
        token.transfer(c, bond);
        uint256 balanceBefore = token.balanceOf(address(disputes));
        vm.prank(c);
        disputes.openDispute(id, r, _out(1));
        _expect(token.balanceOf(address(disputes)) == balanceBefore + bond);
        return _ok("openDispute");
    }

    function _drawJury(uint256 seed) internal returns (bool) {
        uint256 id = _pickDispute(seed, IDisputes.Phase.Open);
        if (id == 0) return false;
        // The draw waits for its ticket's value (the next block's hash); an expired ticket is replaced first.
        vm.roll(block.number + 2);
        disputes.drawJury(id, _tracked[id].req);
        if (disputes.disputeOf(id).phase == IDisputes.Phase.Open) {
            vm.roll(block.number + 2);
            disputes.drawJury(id, _tracked[id].req);
        }
        return _ok("drawJury");
    }

    /// @dev A voting dispute whose current round has a juror in ballot state `want` (and, for Drawn, whose
    ///      commit phase is open; for Committed, whose reveal phase is not over).
    function _pickBallot(
        uint256 seed,
        IDisputes.BallotState want,
        bool patient
    ) internal view returns (uint256 id, uint8 round, address juror) {
        uint256 n = disputeIds.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 candidate = disputeIds[((seed % n) + j) % n];
            IDisputes.Dispute memory d = disputes.disputeOf(candidate);
            if (d.phase != IDisputes.Phase.Voting) continue;
            if (want == IDisputes.BallotState.Drawn && block.timestamp > d.commitDeadline) continue;
            if (want == IDisputes.BallotState.Committed && block.timestamp > d.revealDeadline) continue;
            address[] memory jurors = disputes.jurorsOf(candidate, d.round);
            if (patient && block.timestamp <= d.commitDeadline && _anyDrawn(candidate, d.round, jurors))
                continue;
            for (uint256 i; i < jurors.length; ++i) {
                address x = jurors[((seed >> 8) + i) % jurors.length];
                if (disputes.ballotOf(candidate, d.round, x).state == want) return (candidate, d.round, x);
            }
        }
    }

    function _anyDrawn(uint256 id, uint8 round, address[] memory jurors) internal view returns (bool) {
        for (uint256 i; i < jurors.length; ++i) {
            if (disputes.ballotOf(id, round, jurors[i]).state == IDisputes.BallotState.Drawn) return true;
        }
        return false;
    }

    /// @dev A drawn juror commits through its signer key: (seed >> 16) % 10 < 7 votes the right answer,
    ///      7..8 the lie (VTN1 ‖ 1), 9 "invalid input".
    function _commit(uint256 seed) internal returns (bool) {
        (uint256 id, uint8 round, address juror) = _pickBallot(seed, IDisputes.BallotState.Drawn, false);
        if (id == 0) return false;
        uint256 pick = (seed >> 16) % 10;
        Vote memory v;
        if (pick == 9 || (pick < 7 && _truthInvalid(id))) {
            v.outcome = 1;
            v.outputHash = REASON;
        } else {
            v.outputHash = keccak256(_out(pick < 7 ? 0 : 1));
        }
        v.salt = keccak256(abi.encode(seed, juror));
        _votes[_ballotKey(id, round, juror)] = v;
        bytes32 commitment = keccak256(abi.encode(id, round, juror, v.outcome, v.outputHash, v.salt));
        vm.prank(staking.signerOf(juror));
        disputes.commitVote(id, commitment);
        return _ok("commitVote");
    }

    /// @dev A committed juror reveals, jumping past the commit phase if needed; `patient` leaves rounds
    ///      whose commit phase is open with jurors still to commit.
    function _reveal(uint256 seed, bool patient) internal returns (bool) {
        (uint256 id, uint8 round, address juror) = _pickBallot(
            seed,
            IDisputes.BallotState.Committed,
            patient
        );
        if (id == 0) return false;
        uint40 commitDeadline = disputes.disputeOf(id).commitDeadline;
        if (block.timestamp <= commitDeadline) vm.warp(uint256(commitDeadline) + 1);
        Vote memory v = _votes[_ballotKey(id, round, juror)];
        vm.prank(staking.signerOf(juror));
        disputes.revealVote(id, v.outcome, v.outputHash, v.salt);
        return _ok("revealVote");
    }

    /// @dev The output a revealed majority stands for.
    function _majorityOutput(bytes31 majority) internal view returns (bytes memory) {
        if (majority == disputes.voteKey(0, keccak256(_out(0)))) return _out(0);
        if (majority == disputes.voteKey(0, keccak256(_out(1)))) return _out(1);
        return abi.encode(REASON);
    }

    function _settle(uint256 seed) internal returns (bool) {
        uint256 n = disputeIds.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = disputeIds[((seed % n) + j) % n];
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            if (d.phase != IDisputes.Phase.Voting) continue;
            bytes31 majority = disputes.majorityOf(id, d.round);
            if (majority == bytes31(0)) continue;
            if (block.timestamp <= d.revealDeadline) vm.warp(uint256(d.revealDeadline) + 1);
            ICoordinator.Request memory r = _tracked[id].req;
            disputes.settle(id, r, _majorityOutput(majority), new bytes[](r.operators.length));
            return _ok("settle");
        }
        return false;
    }

    /// @dev Escalates a round without a majority whose reveal phase is over (or, one time in four, cuts a
    ///      running round short by jumping past its reveal deadline).
    function _escalate(uint256 seed) internal returns (bool) {
        uint256 n = disputeIds.length;
        bool force = (seed >> 8) % 4 == 0;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = disputeIds[((seed % n) + j) % n];
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            if (d.phase != IDisputes.Phase.Voting) continue;
            if (disputes.majorityOf(id, d.round) != bytes31(0)) continue;
            if (block.timestamp <= d.revealDeadline) {
                if (!force) continue;
                vm.warp(uint256(d.revealDeadline) + 1);
            }
            disputes.escalate(id, _tracked[id].req);
            return _ok("escalate");
        }
        return false;
    }

    /// @dev The arbiter rules before its deadline: mostly the right answer, one time in four the lie.
    function _arbitrate(uint256 seed) internal returns (bool) {
        uint256 id = _pickDispute(seed, IDisputes.Phase.Arbitration);
        if (id == 0) return false;
        if (block.timestamp > disputes.disputeOf(id).arbiterDeadline) return false;
        ICoordinator.Request memory r = _tracked[id].req;
        bool lie = (seed >> 8) % 4 == 0;
        uint8 outcome = _truthInvalid(id) && !lie ? 1 : 0;
        bytes memory output = outcome == 1 ? abi.encode(REASON) : _out(lie ? 1 : 0);
        vm.prank(arbiter);
        disputes.arbitrate(id, r, outcome, output, new bytes[](r.operators.length));
        return _ok("arbitrate");
    }

    function _timeout(uint256 seed) internal returns (bool) {
        uint256 id = _pickDispute(seed, IDisputes.Phase.Arbitration);
        if (id == 0) return false;
        uint40 deadline = disputes.disputeOf(id).arbiterDeadline;
        if (block.timestamp <= deadline) vm.warp(uint256(deadline) + 1);
        disputes.resolveByTimeout(id, _tracked[id].req);
        return _ok("resolveByTimeout");
    }

    /// @dev The referee decides an open dispute on the referee model, whatever its phase.
    function _referee(uint256 seed) internal returns (bool) {
        uint256 n = disputeIds.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = disputeIds[((seed % n) + j) % n];
            Tracked storage t = _tracked[id];
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            if (d.phase == IDisputes.Phase.Refereed) {
                // The appeal window passes without an appeal: anyone applies the verdict.
                if (block.timestamp <= d.arbiterDeadline) vm.warp(uint256(d.arbiterDeadline) + 1);
                (uint8 outcome, bytes memory output) = disputes.court().evaluate(
                    id,
                    t.req.modelHash,
                    t.input
                );
                disputes.settleReferee(id, t.req, outcome, output);
                return _ok("settleReferee");
            }
            if (t.req.modelHash != refModel || !_isOpen(d.phase) || d.appealed) continue;
            disputes.resolveByReferee(id, t.req, t.input);
            return _ok("resolveByReferee");
        }
        return false;
    }

    /// @dev A requester or a challenger pulls what settlements credited to it.
    function _claim(uint256 seed) internal returns (bool) {
        address[5] memory accounts = [_actors[0], _actors[1], _actors[2], _challengers[0], _challengers[1]];
        address a = accounts[seed % 5];
        for (uint256 j; j < 5 && disputes.claimable(a) == 0; ++j) a = accounts[((seed % 5) + j) % 5];
        uint256 amount = disputes.claimable(a);
        if (amount == 0) return false;
        uint256 before = token.balanceOf(a);
        vm.prank(a);
        disputes.claim();
        _expect(token.balanceOf(a) == before + amount);
        return _ok("claim");
    }

    function _claimJurorReward(uint256 seed) internal returns (bool) {
        uint256 n = disputeIds.length;
        for (uint256 j; j < n && j < 32; ++j) {
            uint256 id = disputeIds[((seed % n) + j) % n];
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            if (d.phase != IDisputes.Phase.Settled || d.jurorShare == 0) continue;
            bytes31 majority = disputes.majorityOf(id, d.round);
            address[] memory jurors = disputes.jurorsOf(id, d.round);
            for (uint256 i; i < jurors.length; ++i) {
                address juror = jurors[((seed >> 8) + i) % jurors.length];
                IDisputes.Ballot memory b = disputes.ballotOf(id, d.round, juror);
                if (b.state != IDisputes.BallotState.Revealed || b.hash != majority) continue;
                uint256 before = token.balanceOf(juror);
                disputes.claimJurorReward(id, juror);
                _expect(token.balanceOf(juror) == before + d.jurorShare);
                return _ok("claimJurorReward");
            }
        }
        return false;
    }

    function _burnPending() internal returns (bool) {
        uint256 pending = disputes.pendingBurn();
        if (pending == 0) return false;
        uint256 supply = token.totalSupply();
        disputes.burnPending();
        _expect(token.totalSupply() == supply - pending);
        return _ok("burnPending");
    }

    // Fallback chains: a call with nothing to act on does the step before it, so every call moves some
    // request or dispute forward.

    function _toAnswer(uint256 seed) internal {
        if (!_answer(seed)) _request(seed);
    }

    function _toDispute(uint256 seed) internal {
        if (!_openDispute(seed)) _toAnswer(seed);
    }

    function _toVoting(uint256 seed) internal {
        if (!_commit(seed) && !_drawJury(seed)) _toDispute(seed);
    }

    /// @dev Reveals where every juror committed (or the commit phase is over), else commits, else reveals
    ///      anyway (cutting the commit phase short).
    function _toDecision(uint256 seed) internal {
        if (!_reveal(seed, true) && !_commit(seed) && !_reveal(seed, false) && !_drawJury(seed))
            _toDispute(seed);
    }

    /// @notice Creates a request (k = 1..3, either model, paid now or from a deposit).
    function request(uint256 seed) external step {
        _request(seed);
    }

    /// @notice Posts an operator's signed answer (or, with none due, creates a request).
    function answer(uint256 seed) external step {
        _toAnswer(seed);
    }

    function finalize(uint256 seed) external step {
        if (!_finalize(seed)) _toAnswer(seed);
    }

    function expire(uint256 seed) external step {
        if (!_expire(seed)) _request(seed);
    }

    function openDispute(uint256 seed) external step {
        _toDispute(seed);
    }

    function drawJury(uint256 seed) external step {
        if (!_drawJury(seed)) _toDispute(seed);
    }

    function commitVote(uint256 seed) external step {
        _toVoting(seed);
    }

    function revealVote(uint256 seed) external step {
        _toDecision(seed);
    }

    function settle(uint256 seed) external step {
        if (!_settle(seed)) _toDecision(seed);
    }

    function escalate(uint256 seed) external step {
        if (!_escalate(seed)) _toDecision(seed);
    }

    function arbitrate(uint256 seed) external step {
        if (!_arbitrate(seed) && !_escalate(seed)) _toDecision(seed);
    }

    function resolveByTimeout(uint256 seed) external step {
        if (!_timeout(seed) && !_escalate(seed)) _toDecision(seed);
    }

    function resolveByReferee(uint256 seed) external step {
        if (!_referee(seed)) _toDispute(seed);
    }

    function claim(uint256 seed) external step {
        if (!_claim(seed) && !_settle(seed)) _toDecision(seed);
    }

    function claimJurorReward(uint256 seed) external step {
        if (!_claimJurorReward(seed) && !_settle(seed)) _toDecision(seed);
    }

    function burnPending(uint256 seed) external step {
        if (!_burnPending() && !_settle(seed)) _toDecision(seed);
    }

    // ------------------------------------------------------------------ staking

    function _delegate(uint256 actorSeed, uint256 opSeed, uint256 amount) internal returns (bool) {
        address a = _actors[actorSeed % 3];
        for (uint256 j; j < N_OPS; ++j) {
            address o = _ops[((opSeed % N_OPS) + j) % N_OPS];
            if (!staking.isEligible(o)) continue;
            amount = bound(amount, 1 ether, 50_000 ether);
            token.transfer(a, amount);
            vm.prank(a);
            staking.delegate(o, amount);
            return _ok("delegate");
        }
        return false;
    }

    /// @dev Queues `percent` of some actor's shares in some pool (scanning from the seeds for a holding).
    function _undelegate(uint256 actorSeed, uint256 opSeed, uint256 percent) internal returns (bool) {
        for (uint256 j; j < 3 * N_OPS; ++j) {
            address a = _actors[((actorSeed % 3) + j) % 3];
            address o = _ops[((opSeed % N_OPS) + j / 3) % N_OPS];
            uint256 shares = (staking.sharesOf(o, a) * bound(percent, 1, 100)) / 100;
            if (shares == 0) continue;
            vm.prank(a);
            withdrawalIds.push(staking.undelegate(o, shares));
            return _ok("undelegate");
        }
        return false;
    }

    function delegate(uint256 actorSeed, uint256 opSeed, uint256 amount) external step {
        _delegate(actorSeed, opSeed, amount);
    }

    function undelegate(uint256 actorSeed, uint256 opSeed, uint256 percent) external step {
        if (!_undelegate(actorSeed, opSeed, percent)) _delegate(actorSeed, opSeed, percent);
    }

    /// @notice Tries a queued withdrawal once matured, preferring (one time in two) one whose pool has an
    ///         open dispute: a success while the handler knows of an open dispute on the pool is a
    ///         violation, and so is a failure without one.
    function complete(uint256 seed) external step {
        uint256 n = withdrawalIds.length;
        if (n == 0) {
            if (!_undelegate(seed, seed >> 8, seed >> 16)) _delegate(seed, seed >> 8, seed >> 16);
            return;
        }
        uint256 i = seed % n;
        if ((seed >> 8) & 1 == 1) {
            for (uint256 j; j < n; ++j) {
                uint256 k = ((seed % n) + j) % n;
                if (openDisputesOf(staking.withdrawal(withdrawalIds[k]).operator) != 0) {
                    i = k;
                    break;
                }
            }
        }
        uint256 id = withdrawalIds[i];
        Staking.Withdrawal memory w = staking.withdrawal(id);
        if (block.timestamp < w.unlocksAt) vm.warp(w.unlocksAt);
        bool locked = openDisputesOf(w.operator) != 0;
        if (locked) ++ghostLockedAttempts;
        _completing = true;
        try staking.completeUndelegation(id) {
            if (locked) ++ghostLockedCompletions;
            withdrawalIds[i] = withdrawalIds[n - 1];
            withdrawalIds.pop();
            _ok("complete");
        } catch {
            if (!locked) ++ghostUnlockedWithdrawalFailures;
        }
    }

    function claimStakingRewards(uint256 holderSeed, uint256 opSeed) external step {
        address o = _ops[opSeed % N_OPS];
        address holder = holderSeed % 4 == 3 ? o : _actors[holderSeed % 4];
        vm.prank(holder);
        try staking.claimRewards(o) {
            _ok("claimStakingRewards");
        } catch {}
    }

    function sync(uint256 opSeed) external step {
        staking.syncRewards(_ops[opSeed % N_OPS]);
        _ok("sync");
    }

    function unjail(uint256 opSeed) external step {
        address o = _ops[opSeed % N_OPS];
        Staking.OperatorInfo memory info = staking.getOperator(o);
        if (!info.jailed) return;
        if (block.timestamp < info.jailedUntil) vm.warp(info.jailedUntil);
        vm.prank(o);
        staking.unjail();
        _ok("unjail");
    }

    /// @notice Time: mostly short steps (phases are 60 s), one in eight a long jump (hours to days).
    function warp(uint256 dt, uint8 kind) external step {
        vm.warp(block.timestamp + (kind % 8 == 0 ? bound(dt, 1 hours, 4 days) : bound(dt, 1, 150)));
        _ok("warp");
    }
}

/// @notice Protocol-wide invariants, with the real dispute contract, over {DisputesHandler}'s sequences.
contract DisputesInvariantTest is Test {
    uint256 internal constant SUPPLY = 1e12 ether;
    uint256 internal constant N_OPS = 9;
    OPGToken internal token;
    Staking internal staking;
    ModelRegistry internal registry;
    Coordinator internal coordinator;
    Disputes internal disputes;
    DisputesHandler internal handler;
    bytes32 internal constant MODEL = keccak256("invariant-model");
    bytes32 internal constant REF_MODEL = keccak256("invariant-referee-model");
    address internal constant TREASURY = address(0x7EA5);
    address internal constant MODEL_OWNER = address(0x0DE1);
    address internal constant ARBITER = address(0xA4B);
    address[N_OPS] internal ops;

    function _register(bytes32 modelHash, address referee) internal {
        string[] memory uris = new string[](1);
        uris[0] = "file://m.onnx";
        vm.prank(MODEL_OWNER);
        registry.register(
            IModelRegistry.ModelSpec({
                modelHash: modelHash,
                uris: uris,
                ioSchema: "{}",
                outputScale: 0,
                tolerance: 0,
                feePerInference: 2 ether,
                royaltyBps: 500,
                disputeWindow: 60,
                defaultRedundancy: 1,
                referee: referee,
                modelCardHash: bytes32(0)
            })
        );
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OPGToken(address(this), SUPPLY);
        staking = new Staking(IERC20(address(token)), address(this));
        registry = new ModelRegistry();
        AgreementChecker checker = new AgreementChecker();
        coordinator = new Coordinator(
            IERC20(address(token)),
            IStaking(address(staking)),
            IModelRegistry(address(registry)),
            checker,
            address(this),
            TREASURY,
            new BlockhashRandomness()
        );
        // Wired as deploy/Verdict.ts wires it.
        staking.setFeeSource(address(coordinator));
        registry.setTermsListener(address(coordinator));
        RefereeCourt court = new RefereeCourt(IModelRegistry(address(registry)), address(this));
        disputes = new Disputes(
            IERC20(address(token)),
            coordinator,
            IStakingDisputes(address(staking)),
            court,
            checker,
            address(this),
            ARBITER,
            new BlockhashRandomness()
        );
        coordinator.setDisputeHook(address(disputes));
        staking.setSlashers(address(coordinator), address(disputes));
        uint256[N_OPS] memory keys = _registerOperators();
        vm.roll(block.number + staking.EPOCH_BLOCKS()); // the registered weights count from the next epoch
        _register(MODEL, address(0));
        address seedReferee = address(new SeedReferee());
        _register(REF_MODEL, seedReferee);
        court.admit(REF_MODEL, seedReferee, seedReferee.codehash, address(0), bytes32(0));
        handler = new DisputesHandler(
            token,
            staking,
            coordinator,
            disputes,
            [MODEL, REF_MODEL],
            ARBITER,
            ops,
            keys
        );
        token.transfer(address(disputes), 1); // the 1-wei float
        token.transfer(address(handler), 1e11 ether);
        _targetActions();
    }

    /// @dev Nine operators, 20,000 OPG of self-stake each, signer keys 0xA11CE1.. (jury draws need more
    ///      operators than a request's k plus the committee).
    function _registerOperators() internal returns (uint256[N_OPS] memory keys) {
        for (uint256 i; i < N_OPS; ++i) {
            ops[i] = address(uint160(0x1001 + i));
            keys[i] = 0xA11CE1 + i;
        }
        for (uint256 i; i < N_OPS; ++i) {
            token.transfer(ops[i], 20_000 ether);
            vm.startPrank(ops[i]);
            token.approve(address(staking), type(uint256).max);
            staking.registerOperator(vm.addr(keys[i]), uint16(500 * (i % 5)), "x", 20_000 ether);
            vm.stopPrank();
        }
    }

    function _targetActions() internal {
        targetContract(address(handler));
        // Only the actions: the handler's views would be called (and revert out of range) too.
        bytes4[] memory actions = new bytes4[](26);
        actions[0] = DisputesHandler.deposit.selector;
        actions[1] = DisputesHandler.withdraw.selector;
        actions[2] = DisputesHandler.claimRoyalties.selector;
        actions[3] = DisputesHandler.request.selector;
        actions[4] = DisputesHandler.answer.selector;
        actions[5] = DisputesHandler.finalize.selector;
        actions[6] = DisputesHandler.expire.selector;
        actions[7] = DisputesHandler.openDispute.selector;
        actions[8] = DisputesHandler.drawJury.selector;
        actions[9] = DisputesHandler.commitVote.selector;
        actions[10] = DisputesHandler.revealVote.selector;
        actions[11] = DisputesHandler.settle.selector;
        actions[12] = DisputesHandler.escalate.selector;
        actions[13] = DisputesHandler.arbitrate.selector;
        actions[14] = DisputesHandler.resolveByTimeout.selector;
        actions[15] = DisputesHandler.resolveByReferee.selector;
        actions[16] = DisputesHandler.claim.selector;
        actions[17] = DisputesHandler.claimJurorReward.selector;
        actions[18] = DisputesHandler.burnPending.selector;
        actions[19] = DisputesHandler.delegate.selector;
        actions[20] = DisputesHandler.undelegate.selector;
        actions[21] = DisputesHandler.complete.selector;
        actions[22] = DisputesHandler.claimStakingRewards.selector;
        actions[23] = DisputesHandler.sync.selector;
        actions[24] = DisputesHandler.unjail.selector;
        actions[25] = DisputesHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: actions}));
    }

    /// @dev Every token is held by a known party; what is gone was burned (total supply fell by it).
    function invariant_tokenConservation() public view {
        uint256 held =
            token.balanceOf(address(this)) +
                token.balanceOf(address(handler)) +
                token.balanceOf(address(coordinator)) +
                token.balanceOf(address(staking)) +
                token.balanceOf(address(disputes)) +
                token.balanceOf(TREASURY) +
                token.balanceOf(MODEL_OWNER) +
                token.balanceOf(ARBITER);
        for (uint256 i; i < 3; ++i) held += token.balanceOf(handler.actor(i));
        for (uint256 i; i < 2; ++i) held += token.balanceOf(handler.challenger(i));
        for (uint256 i; i < N_OPS; ++i) held += token.balanceOf(ops[i]) + token.balanceOf(handler.signer(i));
        uint256 burned = SUPPLY - token.totalSupply();
        assertEq(held + burned, SUPPLY, "tokens appeared or leaked to an unknown holder");
    }

    /// @dev The coordinator holds exactly the escrow balances, the fees locked in open requests and the
    ///      fees and royalties accrued: a fee released twice (refund + payout) breaks the equality.
    function invariant_escrowNeverReleasedTwice() public view {
        uint256 escrow =
            coordinator.balanceOf(TREASURY) +
                coordinator.balanceOf(MODEL_OWNER) +
                coordinator.royaltiesOf(MODEL) +
                coordinator.royaltiesOf(REF_MODEL);
        for (uint256 i; i < 3; ++i) escrow += coordinator.balanceOf(handler.actor(i));
        for (uint256 i; i < N_OPS; ++i) escrow += coordinator.operatorRecord(ops[i]).accruedFees;
        assertEq(
            token.balanceOf(address(coordinator)),
            escrow + handler.lockedFees(),
            "coordinator balance != escrow + locked + accrued"
        );
    }

    /// @dev The dispute contract holds, to the wei, its 1-wei float, the credits not yet claimed, the juror
    ///      shares not yet claimed, the burn queue and the bonds of open disputes: a bond or a credit paid
    ///      twice (or never booked) breaks the equality.
    function invariant_bondsNeverReleasedTwice() public view {
        uint256 credits;
        for (uint256 i; i < 3; ++i) credits += disputes.claimable(handler.actor(i));
        for (uint256 i; i < 2; ++i) credits += disputes.claimable(handler.challenger(i));
        assertEq(
            token.balanceOf(address(disputes)),
            1 + credits + handler.unpaidJurorShares() + disputes.pendingBurn() + handler.openBonds(),
            "disputes balance != float + credits + juror shares + burn queue + open bonds"
        );
    }

    /// @dev Every request the handler created has a state; terminal ones never change (checked after every
    ///      call by the handler, and here against its record).
    function invariant_oneTerminalState() public view {
        assertEq(handler.ghostTerminalChanges(), 0, "a terminal request changed state");
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.ids(i);
            ICoordinator.Status s = coordinator.requestState(id).status;
            assertTrue(s != ICoordinator.Status.None, "created request lost its state");
            (, ICoordinator.Status terminal, , ) = handler.tracked(id);
            if (terminal != ICoordinator.Status.None)
                assertEq(uint256(s), uint256(terminal), "terminal changed");
        }
    }

    /// @dev A dispute's (phase, round) never moves backwards; an open dispute's request is Disputed and a
    ///      Disputed request has an open dispute; a settled dispute's request is terminal.
    function invariant_disputesOnlyMoveForward() public view {
        assertEq(handler.ghostPhaseRegressions(), 0, "a dispute moved backwards");
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.ids(i);
            ICoordinator.Status s = coordinator.requestState(id).status;
            IDisputes.Phase p = disputes.disputeOf(id).phase;
            bool open =
                p == IDisputes.Phase.Open ||
                    p == IDisputes.Phase.Voting ||
                    p == IDisputes.Phase.Arbitration ||
                    p == IDisputes.Phase.Refereed;
            assertTrue(open == (s == ICoordinator.Status.Disputed), "dispute open iff request Disputed");
            if (p == IDisputes.Phase.Settled) {
                assertTrue(
                    s == ICoordinator.Status.Finalized ||
                        s == ICoordinator.Status.Rejected ||
                        s == ICoordinator.Status.Corrected,
                    "settled dispute, request not settled"
                );
            }
        }
    }

    /// @dev Each pool's dispute lock count equals the open disputes it is an operator of, and no withdrawal
    ///      completed while one was open (a matured withdrawal of an unlocked pool always completes).
    function invariant_disputedStakeCannotLeave() public view {
        for (uint256 i; i < N_OPS; ++i) {
            assertEq(
                staking.getOperator(ops[i]).openDisputes,
                handler.openDisputesOf(ops[i]),
                "lock count != open disputes"
            );
        }
        assertEq(handler.ghostLockedCompletions(), 0, "stake left during a dispute");
        assertEq(handler.ghostUnlockedWithdrawalFailures(), 0, "an unlocked matured withdrawal failed");
    }

    /// @dev No pool lost more than slashCapBps of its window's base within one slash window.
    function invariant_slashWithinCap() public view {
        assertEq(handler.ghostSlashCapViolations(), 0, "slash above cap");
    }

    /// @dev The views relayers, the SDK and explorers read never revert in any reachable state.
    function invariant_gettersNeverRevert() public view {
        coordinator.nextRequestId();
        coordinator.params();
        coordinator.domainSeparator();
        staking.totalStake();
        staking.totalEffectiveWeight();
        staking.weightCap();
        staking.eligibleCount();
        staking.operatorCount();
        staking.topNShare(3);
        disputes.parameters();
        disputes.pendingBurn();
        disputes.owner();
        disputes.arbiter();
        disputes.voteKey(0, bytes32(0));
        for (uint256 i; i < N_OPS; ++i) {
            staking.getOperator(ops[i]);
            staking.effectiveWeight(ops[i]);
            staking.poolAssets(ops[i]);
            coordinator.operatorRecord(ops[i]);
            disputes.claimable(ops[i]);
        }
        uint256 n = handler.idCount();
        for (uint256 i; i < n && i < 32; ++i) {
            uint256 id = handler.ids(i);
            coordinator.requestState(id);
            coordinator.answerOf(id, 0);
            (ICoordinator.Request memory r, , , ) = handler.tracked(id);
            coordinator.commitmentOf(r);
            disputes.bondFor(r);
            IDisputes.Dispute memory d = disputes.disputeOf(id);
            address[] memory jurors = disputes.jurorsOf(id, d.round);
            disputes.majorityOf(id, d.round);
            for (uint256 j; j < jurors.length; ++j) disputes.ballotOf(id, d.round, jurors[j]);
        }
    }

    /// @dev Every payment the handler watched moved exactly what the contracts said it would (bond pulled,
    ///      claims and juror shares paid, burns burned), and every request matched the handler's model.
    function invariant_paymentsAsStated() public view {
        assertEq(handler.ghostUnexpected(), 0, "a payment or commitment differed from what was stated");
    }

    /// @dev The handler is not a no-op: once 60 calls went through, at least a tenth did something.
    function invariant_handlerMakesProgress() public view {
        uint256 c = handler.calls();
        if (c < 60) return;
        assertGe(handler.successes() * 10, c, "most handler calls did nothing");
    }
}
