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
import {VerdictTypes} from "../../../contracts/libraries/VerdictTypes.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the token, staking and the coordinator together: prepaid deposits and withdrawals,
///         requests (k = 1..3), answers signed with vm.sign by the operators' signer keys (agreeing or not),
///         finalize, expire, disputes (this handler stands in as the dispute contract: it freezes a request,
///         locks the operators' stake, and settles it either way, slashing the losers), delegations,
///         undelegations, completions, reward claims (which pull the coordinator's accrued fees) and time.
///         Inputs are bounded so most calls succeed; every success is counted.
contract ProtocolHandler is Test {
    OPGToken public immutable token;
    Staking public immutable staking;
    Coordinator public immutable coordinator;
    bytes32 public immutable modelHash;
    address public immutable treasury;
    address public immutable modelOwner;

    address[3] public ops;
    uint256[3] public signerKeys;
    address[3] public actors;

    struct Tracked {
        ICoordinator.Request req;
        ICoordinator.Status terminal; // None until the handler saw it reach a terminal state
    }

    uint256[] public ids;
    mapping(uint256 id => Tracked) internal _tracked;
    uint256[] public withdrawalIds;

    // ghosts
    uint256 public calls;
    uint256 public successes;
    uint256 public ghostSlashCapViolations;
    uint256 public ghostLockedCompletions; // withdrawals completed while the pool had an open dispute
    uint256 public ghostDisputedExits;
    mapping(address operator => uint256) public ghostWindowStart;
    mapping(address operator => uint256) public ghostWindowBase;
    mapping(address operator => uint256) public ghostWindowSlashed;

    constructor(
        OPGToken token_,
        Staking staking_,
        Coordinator coordinator_,
        bytes32 modelHash_,
        address treasury_,
        address modelOwner_,
        address[3] memory ops_,
        uint256[3] memory keys_
    ) {
        token = token_;
        staking = staking_;
        coordinator = coordinator_;
        modelHash = modelHash_;
        treasury = treasury_;
        modelOwner = modelOwner_;
        ops = ops_;
        signerKeys = keys_;
        actors = [address(0xA1), address(0xA2), address(0xA3)];
        for (uint256 i; i < 3; ++i) {
            vm.startPrank(actors[i]);
            token_.approve(address(coordinator_), type(uint256).max);
            token_.approve(address(staking_), type(uint256).max);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ views for the invariants

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function tracked(uint256 id) external view returns (ICoordinator.Request memory, ICoordinator.Status) {
        return (_tracked[id].req, _tracked[id].terminal);
    }

    function actor(uint256 i) external view returns (address) {
        return actors[i];
    }

    function op(uint256 i) external view returns (address) {
        return ops[i];
    }

    /// @notice Σ fees locked in requests that are not terminal (Assigned, Answered, Disputed).
    function lockedFees() external view returns (uint256 sum) {
        for (uint256 i; i < ids.length; ++i) {
            ICoordinator.Status s = coordinator.requestState(ids[i]).status;
            if (
                s == ICoordinator.Status.Assigned ||
                s == ICoordinator.Status.Answered ||
                s == ICoordinator.Status.Disputed
            ) {
                ICoordinator.Request memory r = _tracked[ids[i]].req;
                sum += uint256(r.feePerOperator) * r.redundancy;
            }
        }
    }

    // ------------------------------------------------------------------ escrow

    function deposit(uint256 actorSeed, uint256 amount) external {
        ++calls;
        address a = actors[actorSeed % 3];
        amount = bound(amount, 1, 1_000 ether);
        token.transfer(a, amount);
        vm.prank(a);
        coordinator.deposit(a, amount);
        ++successes;
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        ++calls;
        // Royalties accrue to the model; credit them to its owner first, as a finalize used to.
        if (coordinator.royaltiesOf(modelHash) > 0) coordinator.claimRoyalties(modelHash);
        address[5] memory who = [actors[0], actors[1], actors[2], treasury, modelOwner];
        address a = who[actorSeed % 5];
        for (uint256 j; j < 5 && coordinator.balanceOf(a) == 0; ++j) a = who[(actorSeed + j) % 5];
        uint256 bal = coordinator.balanceOf(a);
        if (bal == 0) return;
        amount = bound(amount, 1, bal);
        vm.prank(a);
        coordinator.withdraw(a, amount);
        ++successes;
    }

    /// @dev Anyone may move a model's accrued royalties to its owner's escrow balance. With nothing accrued
    ///      there is nothing to exercise: not a counted call.
    function claimRoyalties() external {
        if (coordinator.royaltiesOf(modelHash) == 0) return;
        ++calls;
        coordinator.claimRoyalties(modelHash);
        ++successes;
    }

    // ------------------------------------------------------------------ requests

    function request(uint256 actorSeed, uint256 kSeed, uint256 inputSeed, bool payNow) external {
        ++calls;
        address a = actors[actorSeed % 3];
        uint8 k = uint8(bound(kSeed, 1, 3));
        if (staking.eligibleCount() < k) return;
        uint256 price = 2 ether * uint256(k);
        token.transfer(a, price);
        if (!payNow) {
            vm.prank(a);
            coordinator.deposit(a, price);
        }
        bytes memory input = abi.encodePacked(bytes5(0x56544e3100), uint64(inputSeed));
        ICoordinator.RequestParams memory p = ICoordinator.RequestParams({
            modelHash: modelHash,
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
        uint256 ticket = block.number; // BlockhashRandomness: the request's own block
        vm.prank(a);
        uint256 got = payNow ? coordinator.requestInferencePayNow(p) : coordinator.requestInference(p);
        require(got == id, "id");
        ICoordinator.Request memory r;
        r.requester = a;
        r.modelHash = modelHash;
        r.inputHash = inputHash;
        r.feePerOperator = 2 ether;
        r.deadline = uint64(block.timestamp) + 10 minutes;
        r.tolerance = 0;
        r.disputeWindow = 60;
        r.royaltyBps = 500;
        r.treasuryBps = 500;
        r.redundancy = k;
        r.finality = ICoordinator.Finality.Fast;
        require(coordinator.requestState(id).commitment == coordinator.commitmentOf(r), "commitment");
        // The draw: one block later, from the ticket's block hash and the request id only.
        vm.roll(block.number + 1);
        uint256 seed = uint256(keccak256(abi.encode(blockhash(ticket), id)));
        address[] memory drawn = staking.selectOperators(seed, k, new address[](0));
        require(coordinator.assign(id, r), "assign");
        r.operators = drawn;
        require(coordinator.requestState(id).commitment == coordinator.commitmentOf(r), "commitment");
        _tracked[id].req = r;
        ids.push(id);
        ++successes;
    }

    function _signerKeyOf(address operator) internal view returns (uint256) {
        for (uint256 i; i < 3; ++i) if (ops[i] == operator) return signerKeys[i];
        revert("unknown operator");
    }

    /// @dev Scans the created ids from `seed` for one in `want` (0 when none): keeps most calls useful.
    function _pick(uint256 seed, ICoordinator.Status want) internal view returns (uint256) {
        uint256 n = ids.length;
        for (uint256 j; j < n && j < 24; ++j) {
            uint256 id = ids[(seed + j) % n];
            if (coordinator.requestState(id).status == want) return id;
        }
        return 0;
    }

    function answer(uint256 idSeed, uint256 indexSeed, uint8 value, bool invalid) external {
        ++calls;
        uint256 id = _pick(idSeed, ICoordinator.Status.Assigned);
        if (id == 0) return;
        ICoordinator.RequestState memory st = coordinator.requestState(id);
        ICoordinator.Request memory r = _tracked[id].req;
        if (block.timestamp > r.deadline) return;
        uint8 index = uint8(indexSeed % r.redundancy);
        while (st.answeredMask & (1 << index) != 0) index = (index + 1) % r.redundancy;
        // Mostly agreeing answers (value 0..3 maps to one output), some disagreement.
        bytes memory output = abi.encodePacked(bytes5(0x56544e3100), uint8(value % 4 == 0 ? 1 : 0));
        uint8 outcome = invalid && value % 7 == 0 ? 1 : 0;
        bytes32 outputHash = keccak256(output);
        if (outcome == 1) {
            output = abi.encode(uint256(1));
            outputHash = bytes32(uint256(1));
        }
        bytes32 structHash = keccak256(
            abi.encode(VerdictTypes.ATTESTATION_TYPEHASH, id, r.modelHash, r.inputHash, outputHash, outcome)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", coordinator.domainSeparator(), structHash));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(_signerKeyOf(r.operators[index]), digest);
        ICoordinator.Answer memory ans = ICoordinator.Answer(
            index,
            outcome,
            output,
            abi.encodePacked(rr, s, v)
        );
        bytes memory reference_;
        if (st.answeredMask != 0) {
            // The first answer's bytes, when they differ from ours (result outputs only).
            // The anchor: the first served answer posted (docs/protocol.md, "Agreement: a fixed anchor").
            uint8 first = st.anchor;
            bytes32 firstHash = coordinator.answerOf(id, first);
            bytes memory a0 = abi.encodePacked(bytes5(0x56544e3100), uint8(0));
            bytes memory a1 = abi.encodePacked(bytes5(0x56544e3100), uint8(1));
            reference_ =
                keccak256(a0) == firstHash
                    ? a0
                    : keccak256(a1) == firstHash
                        ? a1
                        : bytes("");
        }
        coordinator.submitAnswer(id, r, ans, reference_);
        ++successes;
    }

    function finalize(uint256 idSeed) external {
        ++calls;
        uint256 id = _pick(idSeed, ICoordinator.Status.Answered);
        if (id == 0) return;
        ICoordinator.RequestState memory st = coordinator.requestState(id);
        if (block.timestamp < st.windowEnds) vm.warp(st.windowEnds);
        coordinator.finalize(id, _tracked[id].req, "");
        _markTerminal(id);
        ++successes;
    }

    function expire(uint256 idSeed) external {
        ++calls;
        uint256 id = _pick(idSeed, ICoordinator.Status.Assigned);
        if (id == 0) return;
        ICoordinator.Request memory r = _tracked[id].req;
        if (block.timestamp <= r.deadline) vm.warp(uint256(r.deadline) + 1);
        coordinator.expire(id, r);
        _markTerminal(id);
        ++successes;
    }

    /// @notice Opens a dispute as the dispute contract would: freeze, lock every operator's stake.
    function openDispute(uint256 idSeed) external {
        ++calls;
        uint256 id = _pick(idSeed, ICoordinator.Status.Answered);
        if (id == 0) return;
        ICoordinator.RequestState memory st = coordinator.requestState(id);
        if (block.timestamp >= st.windowEnds) return;
        ICoordinator.Request memory r = _tracked[id].req;
        coordinator.markDisputed(id, r, address(this));
        for (uint256 i; i < r.operators.length; ++i) staking.lockStake(r.operators[i]);
        _disputeLocked[id] = true;
        ++successes;
    }

    /// @notice The coordinator's hook when k > 1 answers disagree: an automatic dispute, stake locked.
    function onAnswersDisagree(uint256 id, ICoordinator.Request calldata r) external {
        require(msg.sender == address(coordinator), "only coordinator");
        for (uint256 i; i < r.operators.length; ++i) staking.lockStake(r.operators[i]);
        _disputeLocked[id] = true;
    }

    /// @notice Settles a disputed request: `wrongMask` 0 (answers stand) or the operators in it slashed.
    function settleDispute(uint256 idSeed, uint8 wrongSeed, uint256 slashAmount) external {
        ++calls;
        uint256 id = _pick(idSeed, ICoordinator.Status.Disputed);
        if (id == 0) return;
        ICoordinator.Request memory r = _tracked[id].req;
        uint8 wrongMask = uint8(wrongSeed % (1 << r.redundancy));
        bool locked = _lockedByUs(id);
        if (wrongMask != 0) {
            for (uint256 i; i < r.redundancy; ++i) {
                if (wrongMask & (1 << i) != 0) _slash(r.operators[i], bound(slashAmount, 1, 5_000 ether));
            }
        }
        bytes memory out = wrongMask == 0 ? bytes("") : abi.encodePacked(bytes5(0x56544e3100));
        coordinator.settleDispute(id, r, wrongMask, 0, out);
        if (locked) for (uint256 i; i < r.operators.length; ++i) staking.unlockStake(r.operators[i]);
        _markTerminal(id);
        ++successes;
    }

    /// @dev Automatic disputes (answers disagreed) reach Disputed without our lock; markDisputed'd ones have it.
    mapping(uint256 id => bool) internal _disputeLocked;

    function _lockedByUs(uint256 id) internal view returns (bool) {
        return _disputeLocked[id];
    }

    function _slash(address operator, uint256 amount) internal {
        uint256 assetsBefore = staking.poolAssets(operator);
        uint256 start = ghostWindowStart[operator];
        if (start == 0 || block.timestamp >= start + staking.slashWindow()) {
            ghostWindowStart[operator] = block.timestamp;
            ghostWindowBase[operator] = assetsBefore;
            ghostWindowSlashed[operator] = 0;
        }
        uint256 slashed = staking.slash(operator, amount, 0);
        if (slashed > amount || slashed > assetsBefore) ++ghostSlashCapViolations;
        ghostWindowSlashed[operator] += slashed;
        if (ghostWindowSlashed[operator] * 10_000 > ghostWindowBase[operator] * staking.slashCapBps())
            ++ghostSlashCapViolations;
        token.burn(slashed);
    }

    function _markTerminal(uint256 id) internal {
        ICoordinator.Status s = coordinator.requestState(id).status;
        if (
            s == ICoordinator.Status.Finalized ||
            s == ICoordinator.Status.Rejected ||
            s == ICoordinator.Status.Expired ||
            s == ICoordinator.Status.Corrected
        ) {
            _tracked[id].terminal = s;
        }
    }

    // ------------------------------------------------------------------ staking

    function delegate(uint256 actorSeed, uint256 opSeed, uint256 amount) external {
        ++calls;
        address a = actors[actorSeed % 3];
        address o = ops[opSeed % 3];
        if (!staking.isEligible(o)) return;
        amount = bound(amount, 1 ether, 50_000 ether);
        token.transfer(a, amount);
        vm.prank(a);
        staking.delegate(o, amount);
        ++successes;
    }

    function undelegate(uint256 actorSeed, uint256 opSeed, uint256 percent) external {
        ++calls;
        address a = actors[actorSeed % 3];
        address o = ops[opSeed % 3];
        uint256 shares = (staking.sharesOf(o, a) * bound(percent, 1, 100)) / 100;
        if (shares == 0) return;
        vm.prank(a);
        withdrawalIds.push(staking.undelegate(o, shares));
        ++successes;
    }

    /// @notice Tries every matured withdrawal, including locked ones: a success while locked is a violation.
    function complete(uint256 seed) external {
        ++calls;
        uint256 n = withdrawalIds.length;
        if (n == 0) return;
        uint256 i = seed % n;
        uint256 id = withdrawalIds[i];
        Staking.Withdrawal memory w = staking.withdrawal(id);
        if (block.timestamp < w.unlocksAt) vm.warp(w.unlocksAt);
        bool locked = staking.getOperator(w.operator).openDisputes != 0;
        try staking.completeUndelegation(id) {
            if (locked) ++ghostLockedCompletions;
            withdrawalIds[i] = withdrawalIds[n - 1];
            withdrawalIds.pop();
            ++successes;
        } catch {
            if (!locked) revert("unlocked withdrawal failed");
        }
    }

    function claim(uint256 holderSeed, uint256 opSeed) external {
        ++calls;
        address o = ops[opSeed % 3];
        address holder = holderSeed % 4 == 3 ? o : actors[holderSeed % 4];
        vm.prank(holder);
        try staking.claimRewards(o) {
            ++successes;
        } catch {}
    }

    function sync(uint256 opSeed) external {
        ++calls;
        staking.syncRewards(ops[opSeed % 3]);
        ++successes;
    }

    function unjail(uint256 opSeed) external {
        ++calls;
        address o = ops[opSeed % 3];
        Staking.OperatorInfo memory info = staking.getOperator(o);
        if (!info.jailed) return;
        if (block.timestamp < info.jailedUntil) vm.warp(info.jailedUntil);
        vm.prank(o);
        staking.unjail();
        ++successes;
    }

    function warp(uint256 dt) external {
        ++calls;
        vm.warp(block.timestamp + bound(dt, 1, 2 hours));
        ++successes;
    }
}

/// @notice Protocol-wide invariants over {ProtocolHandler}'s random call sequences.
contract ProtocolInvariantTest is Test {
    uint256 internal constant SUPPLY = 1e12 ether;
    OPGToken internal token;
    Staking internal staking;
    ModelRegistry internal registry;
    Coordinator internal coordinator;
    ProtocolHandler internal handler;
    bytes32 internal constant MODEL = keccak256("invariant-model");
    address internal constant TREASURY = address(0x7EA5);
    address internal constant MODEL_OWNER = address(0x0DE1);
    address[3] internal ops = [address(0x1001), address(0x1002), address(0x1003)];

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OPGToken(address(this), SUPPLY);
        staking = new Staking(IERC20(address(token)), address(this));
        registry = new ModelRegistry();
        coordinator = new Coordinator(
            IERC20(address(token)),
            IStaking(address(staking)),
            IModelRegistry(address(registry)),
            new AgreementChecker(),
            address(this),
            TREASURY,
            new BlockhashRandomness()
        );
        staking.setFeeSource(address(coordinator));
        registry.setTermsListener(address(coordinator));
        uint256[3] memory keys = [uint256(0xA11CE1), uint256(0xA11CE2), uint256(0xA11CE3)];
        for (uint256 i; i < 3; ++i) {
            token.transfer(ops[i], 20_000 ether);
            vm.startPrank(ops[i]);
            token.approve(address(staking), type(uint256).max);
            staking.registerOperator(vm.addr(keys[i]), uint16(1_000 * i), "x", 20_000 ether);
            vm.stopPrank();
        }
        string[] memory uris = new string[](1);
        uris[0] = "file://m.onnx";
        vm.prank(MODEL_OWNER);
        registry.register(
            IModelRegistry.ModelSpec({
                modelHash: MODEL,
                uris: uris,
                ioSchema: "{}",
                outputScale: 0,
                tolerance: 0,
                feePerInference: 2 ether,
                royaltyBps: 500,
                disputeWindow: 60,
                defaultRedundancy: 1,
                referee: address(0),
                modelCardHash: bytes32(0)
            })
        );
        handler = new ProtocolHandler(token, staking, coordinator, MODEL, TREASURY, MODEL_OWNER, ops, keys);
        coordinator.setDisputeHook(address(handler));
        staking.setSlashers(address(coordinator), address(handler));
        vm.roll(block.number + staking.EPOCH_BLOCKS()); // the registered weights count from the next epoch
        token.transfer(address(handler), 1e11 ether);
        targetContract(address(handler));
    }

    /// @dev Every token is held by a known party; what is gone was burned (total supply fell by it).
    function invariant_tokenConservation() public view {
        uint256 held =
            token.balanceOf(address(this)) +
                token.balanceOf(address(handler)) +
                token.balanceOf(address(coordinator)) +
                token.balanceOf(address(staking)) +
                token.balanceOf(TREASURY) +
                token.balanceOf(MODEL_OWNER);
        for (uint256 i; i < 3; ++i) held += token.balanceOf(handler.actor(i)) + token.balanceOf(ops[i]);
        uint256 burned = SUPPLY - token.totalSupply();
        assertEq(held + burned, SUPPLY, "tokens appeared or leaked to an unknown holder");
    }

    /// @dev The coordinator holds exactly the escrow balances, the fees locked in open requests and the
    ///      fees accrued to operators and to the model (royalties not yet claimed): a fee released twice
    ///      (refund + payout) would break the equality.
    function invariant_escrowNeverReleasedTwice() public view {
        uint256 escrow =
            coordinator.balanceOf(TREASURY) +
                coordinator.balanceOf(MODEL_OWNER) +
                coordinator.royaltiesOf(MODEL);
        uint256 accrued;
        for (uint256 i; i < 3; ++i) {
            escrow += coordinator.balanceOf(handler.actor(i));
            accrued += coordinator.operatorRecord(ops[i]).accruedFees;
        }
        assertEq(
            token.balanceOf(address(coordinator)),
            escrow + handler.lockedFees() + accrued,
            "coordinator balance != escrow + locked + accrued"
        );
    }

    /// @dev Every request the handler created has exactly one status; terminal ones never change.
    function invariant_oneTerminalState() public view {
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.ids(i);
            ICoordinator.Status s = coordinator.requestState(id).status;
            assertTrue(s != ICoordinator.Status.None, "created request lost its state");
            (, ICoordinator.Status terminal) = handler.tracked(id);
            if (terminal != ICoordinator.Status.None) {
                assertEq(uint256(s), uint256(terminal), "terminal state changed");
            }
        }
    }

    /// @dev In every pool, the shares held (active + queued) sum to the total, and their value at the
    ///      current price never exceeds the pool's assets (rounding favours the pool).
    function invariant_sharesTimesPriceEqualsAssets() public view {
        for (uint256 o; o < 3; ++o) {
            Staking.OperatorInfo memory info = staking.getOperator(ops[o]);
            uint256 shares = staking.sharesOf(ops[o], ops[o]) + info.queuedShares;
            for (uint256 a; a < 3; ++a) shares += staking.sharesOf(ops[o], handler.actor(a));
            assertEq(shares, info.totalShares, "shares do not add up");
            if (info.totalShares == 0) continue;
            uint256 value =
                (staking.sharesOf(ops[o], ops[o]) * info.assets) / info.totalShares +
                    (info.queuedShares * info.assets) / info.totalShares;
            for (uint256 a; a < 3; ++a) {
                value += (staking.sharesOf(ops[o], handler.actor(a)) * info.assets) / info.totalShares;
            }
            assertLe(value, info.assets, "shares worth more than the pool");
            assertLe(info.assets - value, 5, "more than rounding dust unowned");
        }
    }

    /// @dev No withdrawal completed while its pool had an open dispute.
    function invariant_disputedStakeCannotLeave() public view {
        assertEq(handler.ghostLockedCompletions(), 0, "stake left during a dispute");
    }

    /// @dev No slash took more than asked, than the pool, or than the window cap.
    function invariant_slashWithinCap() public view {
        assertEq(handler.ghostSlashCapViolations(), 0, "slash above cap");
    }

    /// @dev The views that relayers, the SDK and explorers read never revert in any reachable state.
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
        for (uint256 i; i < 3; ++i) {
            staking.getOperator(ops[i]);
            staking.effectiveWeight(ops[i]);
            staking.poolAssets(ops[i]);
            coordinator.operatorRecord(ops[i]);
        }
        uint256 n = handler.idCount();
        for (uint256 i; i < n && i < 32; ++i) {
            uint256 id = handler.ids(i);
            coordinator.requestState(id);
            coordinator.answerOf(id, 0);
            (ICoordinator.Request memory r, ) = handler.tracked(id);
            coordinator.commitmentOf(r);
        }
    }

    /// @dev The handler is not a no-op: once 60 calls went through, at least a tenth did something. The
    ///      first calls of a sequence are mostly answers, disputes and claims with nothing to act on yet, so
    ///      the bar is low; a handler whose bounded inputs stopped reaching the protocol scores ~0. (A
    ///      reverted call reverts its own counters, so a handler whose every call reverts never reaches 60
    ///      counted calls: `invariant_handlerRuns` catches that.)
    function invariant_handlerMakesProgress() public view {
        uint256 c = handler.calls();
        if (c < 60) return;
        assertGe(handler.successes() * 10, c, "most handler calls did nothing");
    }

    /// @dev Calls land: after the first few time jumps at least one counted call exists.
    function invariant_handlerRuns() public view {
        if (block.timestamp < 1_700_000_000 + 6 hours) return;
        assertGe(handler.calls(), 1, "every handler call reverted");
    }
}
