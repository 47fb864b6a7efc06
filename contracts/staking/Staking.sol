// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStaking, IFeeSource} from "../interfaces/IStaking.sol";
import {SumTree} from "../libraries/SumTree.sol";

/// @title Staking
/// @notice Operators, delegation as shares of an operator's pool, fee rewards through a reward-per-share
///         accumulator, capped slashing and the capped, stake-weighted draw of operators.
/// @dev Accounting (see docs/staking.md):
///      - Pool of an operator: assets A, shares S (active + queued), queued shares Q. Shares convert at
///        A / S (1:1 in an empty pool), both ways rounded down, so rounding never favours the caller; the
///        dust stays in A. Nothing adds assets without minting shares (rewards bypass A) and the first
///        deposit is the self-stake (≥ minSelfStake), so the donation ("inflation") attack on the share
///        price has no entry point.
///      - New shares are slashable at once but *activating*: they join the reward-earning and draw-weight set
///        only after `activationDelay` (longer than request deadline + dispute window + longest dispute), so
///        a delegation made after a reward was earned never shares it. Activating shares wait in at most two
///        per-pool buckets; each bucket's activation records the accumulator, O(1) per operation.
///      - Rewards never enter A: they go to the operator (commission) and to the accumulator
///        `rewardPerShare` over the active shares S - Q - (activating), scaled by 1e36.
///      - The draw tree holds each eligible operator's active stake in units of 1e12 wei; draws read it as it
///        stood at the start of the current weight epoch (EPOCH_BLOCKS blocks), so stake moved while a draw
///        is pending cannot change it. Each pick is ∝ min(weight, c) with c the water-filled cap
///        (c = weightCapBps · Σ min(w_i, c)), kept from a small set of the heaviest operators.
///      The two slashers (the request coordinator and the dispute contract) are fixed once at wiring
///      ({setSlashers}); nobody can add one later. The {owner} (Ownable2Step: the deployer while it wires the
///      protocol, then the governance TimelockController) only sets bounded parameters; the fee source is set
///      once. Nobody can move a delegator's funds.
contract Staking is IStaking, Ownable2Step {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SumTree for SumTree.Tree;

    // ---------------------------------------------------------------- types
    enum Status {
        None,
        Active,
        Deactivated,
        Exited
    }

    struct Operator {
        // slot 0
        address signer;
        uint16 commissionBps;
        Status status;
        bool jailed;
        uint64 jailedUntil;
        // slot 1
        address pendingSigner;
        uint64 signerReadyAt;
        uint16 pendingCommissionBps;
        // slot 2
        uint64 commissionReadyAt;
        uint64 exitReadyAt;
        uint32 openDisputes;
        uint32 index;
        uint64 slashWindowStart;
        // slot 3: the pool
        uint128 assets;
        uint128 totalShares;
        // slot 4
        uint128 queuedShares;
        uint128 commissionClaimable;
        // slot 5
        uint256 rewardPerShare;
        // slot 6
        uint128 slashWindowBase;
        uint128 slashWindowSlashed;
        // slot 7: the older activation bucket (id 0: none)
        uint64 olderAt;
        uint128 olderShares;
        uint32 olderId;
        uint32 lastBucketId;
        // slot 8: the newer activation bucket (id 0: none)
        uint64 newerAt;
        uint128 newerShares;
        uint32 newerId;
    }

    struct Delegation {
        uint128 shares; // active shares only; queued shares live in the withdrawal
        uint128 pendingRewards;
        uint256 rewardDebt;
        uint128 activatingShares; // slashable, not yet earning: in the pool's bucket `activatingBucket`
        uint32 activatingBucket;
    }

    struct Withdrawal {
        address delegator;
        uint64 unlocksAt;
        address operator;
        uint128 shares;
    }

    /// @notice Everything about an operator, for UIs and the other contracts.
    struct OperatorInfo {
        Status status;
        address signer;
        uint16 commissionBps;
        bool jailed;
        uint64 jailedUntil;
        address pendingSigner;
        uint64 signerReadyAt;
        uint16 pendingCommissionBps;
        uint64 commissionReadyAt;
        uint64 exitReadyAt;
        uint32 openDisputes;
        uint32 index;
        uint256 assets;
        uint256 totalShares;
        uint256 queuedShares;
        uint256 commissionClaimable;
        uint256 drawWeight;
        string metadataURI;
        uint256 activatingShares;
    }

    // ---------------------------------------------------------------- extra errors and events
    /// @notice `unjail` by an operator that is not jailed.
    error NotJailed(address operator);
    /// @notice `unlockStake` with no open dispute.
    error NoOpenDisputes(address operator);
    /// @notice `setParameter` with a name this contract does not know.
    error UnknownParameter(bytes32 name);
    /// @notice Delegation to a pool whose assets were slashed to zero while shares remain.
    error PoolDepleted(address operator);
    /// @notice A guarded function was re-entered.
    error Reentrancy();

    // ---------------------------------------------------------------- constants
    /// @notice Scale of `rewardPerShare`.
    uint256 public constant REWARD_SCALE = 1e36;
    /// @notice Draw weights are kept in units of 1e12 wei (56-bit node sums hold 7.2e28 wei: 72e9 OPG).
    uint256 public constant WEIGHT_UNIT = 1e12;
    /// @notice Cap-rejections tolerated per pick; the 64th candidate is accepted whatever its weight.
    uint256 public constant MAX_DRAW_TRIES = 64;
    /// @notice Blocks per weight epoch. Draws read weights as they stood at the epoch's first block. 64 blocks
    ///         (~2 min at 2 s, ~13 min at 12 s): a slash, jail or exit reaches the draw within one epoch, and
    ///         a draw made d blocks after its seed became readable crosses an epoch boundary (and must be
    ///         re-ticketed) with probability d/64 (never when drawn at the first block it can be).
    uint256 public constant EPOCH_BLOCKS = 64;
    /// @notice Most operators kept in the heavy set from which the water-filled cap is computed. At most
    ///         1/weightCapBps operators are capped (≤ 20 at the 5% floor of weightCapBps).
    uint256 public constant MAX_HEAVY = 24;
    /// @notice Operators are addressed by 24-bit indices in the heavy set.
    uint256 public constant MAX_OPERATORS = 1 << 24;
    /// @notice Delegations whose activation times fall within this span share one activation bucket (the
    ///         later time wins): a delegation never activates early, at most this much late.
    uint256 public constant ACTIVATION_GRANULE = 1 hours;
    uint256 private constant _BPS = 10_000;

    bytes32 private constant _P_MIN_SELF_STAKE = "minSelfStake";
    bytes32 private constant _P_UNBONDING = "unbondingPeriod";
    bytes32 private constant _P_EXIT_DELAY = "exitDelay";
    bytes32 private constant _P_SIGNER_DELAY = "signerRotationDelay";
    bytes32 private constant _P_COMMISSION_DELAY = "commissionDelay";
    bytes32 private constant _P_SLASH_WINDOW = "slashWindow";
    bytes32 private constant _P_MAX_COMMISSION = "maxCommissionBps";
    bytes32 private constant _P_SLASH_CAP = "slashCapBps";
    bytes32 private constant _P_WEIGHT_CAP = "weightCapBps";
    bytes32 private constant _P_ACTIVATION = "activationDelay";

    // ---------------------------------------------------------------- storage
    IERC20 private immutable _token;

    /// @notice Minimum self-stake (assets) of a registered, not yet exited operator.
    uint128 public minSelfStake = 1_000 ether;
    /// @notice Time between `undelegate` and `completeUndelegation`.
    uint64 public unbondingPeriod = 7 days;
    /// @notice Time between `deactivate` and `exit`; at least request deadline + dispute window + longest dispute.
    uint64 public exitDelay = 3 days;

    uint64 public signerRotationDelay = 1 days;
    uint64 public commissionDelay = 7 days;
    uint64 public slashWindow = 1 days;
    uint16 public maxCommissionBps = 5_000;
    /// @notice Share of a pool's assets at the start of a slash window that may be slashed in that window.
    uint16 public slashCapBps = 5_000;

    /// @notice Time from a delegation until its shares earn rewards and carry draw weight; at least request
    ///         deadline + dispute window + longest dispute, so a reward is booked before a delegation made
    ///         after it was earned can share it.
    uint64 public activationDelay = 3 days;

    /// @notice Where fees accrue (the request coordinator); address(0): none. Set once.
    address public feeSource;
    /// @notice The request coordinator: one of the two fixed slashers. Set once.
    address public requestSlasher;
    /// @notice The dispute contract: the other fixed slasher. Set once.
    address public disputeSlasher;

    uint128 private _totalStake;
    uint64 private _lastWithdrawalId;
    uint8 private _heavyCount;

    /// @dev The draw tree. Its header slot also holds the draw weight cap (`_tree.aux`, see {weightCapBps}),
    ///      so a draw reads size, depth and cap in one SLOAD.
    SumTree.Tree private _tree;
    mapping(uint256 index => address operator) private _operatorAt;
    mapping(address operator => Operator) private _operators;
    mapping(address operator => string) private _metadata;
    mapping(address signer => address operator) public operatorOfSigner;
    mapping(address operator => mapping(address delegator => Delegation)) private _delegations;
    mapping(uint256 withdrawalId => Withdrawal) private _withdrawals;
    /// @dev The accumulator when a bucket activated: its shares earn from there on.
    mapping(address operator => mapping(uint256 bucketId => uint256 acc)) private _activationAcc;
    /// @dev The heavy set: up to MAX_HEAVY (leaf index 24 bits, latest weight 56 bits) entries, 3 per slot,
    ///      `_heavyCount` of them, heaviest first: the heaviest operators as of their last update. At most
    ///      1/weightCapBps (≤ 20) operators are capped, so 24 leave room for drift; {recap} re-adds an
    ///      operator that is missing.
    mapping(uint256 slot => uint256 packed) private _heavy;

    /// @dev Reentrancy lock in transient storage (EIP-1153), cleared at the end of each guarded call.
    bool private transient _locked;

    // ---------------------------------------------------------------- modifiers
    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    modifier onlySlasher() {
        if (msg.sender != requestSlasher && msg.sender != disputeSlasher) revert NotSlasher(msg.sender);
        _;
    }

    modifier onlyOperator() {
        if (_operators[msg.sender].status == Status.None) revert UnknownOperator(msg.sender);
        _;
    }

    /// @param token_ The staked token (OPG).
    /// @param initialOwner The {owner}: the deployer, which wires the protocol ({setFeeSource}, {setSlashers})
    ///        and then hands ownership to the governance TimelockController (Ownable2Step).
    constructor(IERC20 token_, address initialOwner) Ownable(initialOwner) {
        if (address(token_) == address(0)) revert ZeroAddress();
        _token = token_;
        _tree.aux = 1_000;
    }

    // ================================================================ wiring (once)

    /// @notice Fixes the two slashers: the request coordinator and the dispute contract. Callable once, by
    ///         the owner (the deployer, during wiring); nobody can add, replace or remove a slasher
    ///         afterwards, so governance can never take stake. Slashed tokens go to the slasher contracts, which
    ///         route them by rule (refunds, rewards, burn).
    function setSlashers(address requests, address disputes) external onlyOwner {
        if (requestSlasher != address(0)) revert SlashersAlreadySet(requestSlasher, disputeSlasher);
        if (requests == address(0) || disputes == address(0)) revert ZeroAddress();
        requestSlasher = requests;
        disputeSlasher = disputes;
        emit SlashersSet(requests, disputes);
    }

    /// @notice Sets the fee source (the request coordinator). Callable once, by the owner: a fee source
    ///         is called on every withdrawal, so replacing it later could freeze staked funds.
    function setFeeSource(address newFeeSource) external onlyOwner {
        if (feeSource != address(0)) revert FeeSourceAlreadySet(feeSource);
        if (newFeeSource == address(0)) revert ZeroAddress();
        feeSource = newFeeSource;
        emit FeeSourceChanged(newFeeSource);
    }

    // ================================================================ operators

    /// @notice Registers the caller as an operator with `selfStake` pulled from its balance.
    /// @param signer The key that signs attestations: not the caller, not used by any operator before.
    /// @param commissionBps Share of fees kept by the operator, at most `maxCommissionBps`.
    /// @param metadataURI Where the operator describes itself.
    /// @param selfStake At least `minSelfStake`; becomes the operator's own delegation.
    function registerOperator(
        address signer,
        uint16 commissionBps,
        string calldata metadataURI,
        uint256 selfStake
    ) external nonReentrant {
        Operator storage o = _operators[msg.sender];
        if (o.status != Status.None) revert AlreadyRegistered(msg.sender);
        _checkSigner(signer);
        if (commissionBps > maxCommissionBps) revert CommissionTooHigh(commissionBps, maxCommissionBps);
        if (selfStake == 0) revert ZeroAmount();
        if (selfStake < minSelfStake) revert SelfStakeTooLow(selfStake, minSelfStake);
        if (operatorOfSigner[msg.sender] != address(0)) revert SignerInUse(msg.sender);

        uint256 index = _tree.push(_epochTag());
        if (index >= MAX_OPERATORS) revert TooManyOperators(MAX_OPERATORS);
        _operatorAt[index] = msg.sender;
        o.signer = signer;
        o.commissionBps = commissionBps;
        o.status = Status.Active;
        o.index = uint32(index);
        operatorOfSigner[signer] = msg.sender;
        _metadata[msg.sender] = metadataURI;
        emit OperatorRegistered(msg.sender, signer, commissionBps, metadataURI, selfStake);
        // A new pool has earned nothing yet: its self-stake is active at once.
        _delegate(msg.sender, o, msg.sender, selfStake, true);
    }

    /// @notice Queues a new signer; it takes effect `signerRotationDelay` later through {applySignerRotation}.
    ///         The new key is reserved at once; old keys stay reserved forever.
    function rotateSigner(address newSigner) external onlyOperator {
        Operator storage o = _operators[msg.sender];
        if (o.status == Status.Exited) revert OperatorNotActive(msg.sender);
        _checkSigner(newSigner);
        operatorOfSigner[newSigner] = msg.sender;
        uint64 readyAt = uint64(block.timestamp) + signerRotationDelay;
        o.pendingSigner = newSigner;
        o.signerReadyAt = readyAt;
        emit SignerRotationQueued(msg.sender, newSigner, readyAt);
    }

    /// @notice Applies a queued signer rotation once ready. Anyone may call.
    function applySignerRotation(address operator) external {
        Operator storage o = _known(operator);
        address newSigner = o.pendingSigner;
        if (newSigner == address(0)) revert NothingQueued();
        if (block.timestamp < o.signerReadyAt) revert ChangeNotReady(o.signerReadyAt);
        address old = o.signer;
        o.signer = newSigner;
        o.pendingSigner = address(0);
        o.signerReadyAt = 0;
        emit SignerRotated(operator, old, newSigner);
    }

    /// @notice Sets the caller's commission: a decrease applies at once (and cancels a queued increase), an
    ///         increase is queued for `commissionDelay`. Fees accrued so far are distributed first.
    function setCommission(uint16 newCommissionBps) external onlyOperator nonReentrant {
        if (newCommissionBps > maxCommissionBps) revert CommissionTooHigh(newCommissionBps, maxCommissionBps);
        Operator storage o = _operators[msg.sender];
        uint16 current = o.commissionBps;
        if (newCommissionBps <= current) {
            _sync(msg.sender, o);
            o.commissionBps = newCommissionBps;
            o.pendingCommissionBps = 0;
            o.commissionReadyAt = 0;
            emit CommissionChanged(msg.sender, current, newCommissionBps);
        } else {
            uint64 readyAt = uint64(block.timestamp) + commissionDelay;
            o.pendingCommissionBps = newCommissionBps;
            o.commissionReadyAt = readyAt;
            emit CommissionChangeQueued(msg.sender, newCommissionBps, readyAt);
        }
    }

    /// @notice Applies a queued commission increase once ready (fees accrued before are distributed at the
    ///         old rate first). Anyone may call.
    function applyCommissionChange(address operator) external nonReentrant {
        Operator storage o = _known(operator);
        uint64 readyAt = o.commissionReadyAt;
        if (readyAt == 0) revert NothingQueued();
        if (block.timestamp < readyAt) revert ChangeNotReady(readyAt);
        uint16 next = o.pendingCommissionBps;
        if (next > maxCommissionBps) revert CommissionTooHigh(next, maxCommissionBps);
        _sync(operator, o);
        uint16 old = o.commissionBps;
        o.commissionBps = next;
        o.pendingCommissionBps = 0;
        o.commissionReadyAt = 0;
        emit CommissionChanged(operator, old, next);
    }

    /// @notice Sets the caller's metadata URI.
    function setMetadataURI(string calldata metadataURI) external onlyOperator {
        _metadata[msg.sender] = metadataURI;
        emit MetadataURIChanged(msg.sender, metadataURI);
    }

    /// @notice Stops new assignments at once and starts the exit delay.
    function deactivate() external onlyOperator {
        Operator storage o = _operators[msg.sender];
        if (o.status != Status.Active) revert OperatorNotActive(msg.sender);
        uint64 readyAt = uint64(block.timestamp) + exitDelay;
        o.status = Status.Deactivated;
        o.exitReadyAt = readyAt;
        _updateWeight(o);
        emit OperatorDeactivated(msg.sender, readyAt);
    }

    /// @notice Completes the exit after the exit delay with no open dispute; the operator may then
    ///         undelegate all of its self-stake.
    function exit() external onlyOperator {
        Operator storage o = _operators[msg.sender];
        if (o.status != Status.Deactivated) revert OperatorNotActive(msg.sender);
        if (block.timestamp < o.exitReadyAt) revert ExitNotReady(msg.sender, o.exitReadyAt);
        if (o.openDisputes != 0) revert StakeLockedByDispute(msg.sender, o.openDisputes);
        o.status = Status.Exited;
        emit OperatorExited(msg.sender);
    }

    /// @notice Ends the caller's jail once its term is over and restores its draw weight.
    function unjail() external onlyOperator {
        Operator storage o = _operators[msg.sender];
        if (!o.jailed) revert NotJailed(msg.sender);
        if (block.timestamp < o.jailedUntil) revert StillJailed(msg.sender, o.jailedUntil);
        o.jailed = false;
        _updateWeight(o);
        emit Unjailed(msg.sender);
    }

    // ================================================================ delegation

    /// @notice Delegates `amount` to `operator`'s pool and returns the shares minted (rounded down). The shares
    ///         are slashable at once and activate (earn rewards, carry draw weight) after `activationDelay`.
    function delegate(address operator, uint256 amount) external nonReentrant returns (uint256 shares) {
        if (amount == 0) revert ZeroAmount();
        Operator storage o = _known(operator);
        if (o.status != Status.Active) revert OperatorNotActive(operator);
        if (o.jailed) revert OperatorJailed(operator, o.jailedUntil);
        shares = _delegate(operator, o, msg.sender, amount, false);
    }

    /// @notice Queues `shares` of the caller's shares (activating ones first) for withdrawal after
    ///         `unbondingPeriod`. Queued shares stay slashable, earn no rewards and carry no draw weight.
    function undelegate(
        address operator,
        uint256 shares
    ) external nonReentrant returns (uint256 withdrawalId) {
        if (shares == 0) revert ZeroAmount();
        Operator storage o = _known(operator);
        _sync(operator, o);
        Delegation storage d = _delegations[operator][msg.sender];
        _fold(operator, o, d);
        uint256 held = d.shares;
        uint256 activating = d.activatingShares;
        if (shares > held + activating) revert InsufficientShares(shares, held + activating);
        uint256 fromActivating = shares < activating ? shares : activating;
        if (fromActivating != 0) {
            _moveBucketShares(o, d.activatingBucket, fromActivating, false);
            d.activatingShares = uint128(activating - fromActivating);
            if (activating == fromActivating) d.activatingBucket = 0;
        }
        uint256 remaining = held - (shares - fromActivating);
        _settle(d, held, remaining, o.rewardPerShare);
        if (msg.sender == operator && o.status != Status.Exited) {
            uint256 left = _toAssets(o, remaining + activating - fromActivating);
            if (left < minSelfStake) revert SelfStakeTooLow(left, minSelfStake);
        }
        o.queuedShares += uint128(shares);
        uint64 unlocksAt = uint64(block.timestamp) + unbondingPeriod;
        withdrawalId = ++_lastWithdrawalId;
        _withdrawals[withdrawalId] = Withdrawal(msg.sender, unlocksAt, operator, uint128(shares));
        _updateWeight(o);
        emit UndelegationQueued(operator, msg.sender, withdrawalId, shares, unlocksAt);
    }

    /// @notice Pays a matured withdrawal to its delegator: shares·A/S, rounded down. Anyone may
    ///         call; the tokens always go to the delegator.
    function completeUndelegation(uint256 withdrawalId) external nonReentrant returns (uint256 assets) {
        Withdrawal memory w = _withdrawals[withdrawalId];
        if (w.delegator == address(0)) revert UnknownWithdrawal(withdrawalId);
        if (block.timestamp < w.unlocksAt) revert WithdrawalNotReady(withdrawalId, w.unlocksAt);
        Operator storage o = _operators[w.operator];
        if (o.openDisputes != 0) revert StakeLockedByDispute(w.operator, o.openDisputes);
        _sync(w.operator, o);
        assets = _toAssets(o, w.shares);
        o.assets -= uint128(assets);
        o.totalShares -= w.shares;
        o.queuedShares -= w.shares;
        _totalStake -= uint128(assets);
        delete _withdrawals[withdrawalId];
        _updateWeight(o);
        emit UndelegationCompleted(w.operator, w.delegator, withdrawalId, assets);
        _token.safeTransfer(w.delegator, assets);
    }

    /// @notice Claims the caller's rewards from `operator`'s pool (and, for the operator itself, its
    ///         commission). Fees accrued in the fee source are synced first.
    function claimRewards(address operator) external nonReentrant returns (uint256 amount) {
        Operator storage o = _known(operator);
        _sync(operator, o);
        Delegation storage d = _delegations[operator][msg.sender];
        _fold(operator, o, d);
        amount = d.pendingRewards;
        d.pendingRewards = 0;
        if (msg.sender == operator) {
            amount += o.commissionClaimable;
            o.commissionClaimable = 0;
        }
        if (amount == 0) revert ZeroAmount();
        emit RewardsClaimed(operator, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ================================================================ rewards

    /// @inheritdoc IStaking
    /// @dev Also activates matured activation buckets (and updates the draw weight): the poke that makes
    ///      activated stake count for the draw from the next epoch.
    function syncRewards(address operator) external nonReentrant {
        _sync(operator, _known(operator));
    }

    /// @notice Pays `amount` from the caller to `operator`'s pool as rewards (commission, then the active
    ///         shares), e.g. a dispute outcome that pays a pool. Fees accrued before are distributed first, and
    ///         matured buckets activate, so the reward goes to the shares active now.
    function notifyReward(address operator, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Operator storage o = _known(operator);
        _sync(operator, o);
        _token.safeTransferFrom(msg.sender, address(this), amount);
        _distribute(operator, o, amount);
    }

    // ================================================================ protocol roles

    /// @inheritdoc IStaking
    function slash(
        address operator,
        uint256 amount,
        uint64 jailUntil
    ) external onlySlasher nonReentrant returns (uint256 slashed) {
        Operator storage o = _known(operator);
        if (amount == 0 && jailUntil <= block.timestamp) revert ZeroAmount();
        uint256 start = o.slashWindowStart;
        uint256 assets = o.assets;
        if (start == 0 || block.timestamp >= start + slashWindow) {
            o.slashWindowStart = uint64(block.timestamp);
            o.slashWindowBase = uint128(assets);
            o.slashWindowSlashed = 0;
        }
        uint256 cap = (uint256(o.slashWindowBase) * slashCapBps) / _BPS;
        uint256 used = o.slashWindowSlashed;
        uint256 room = cap > used ? cap - used : 0;
        slashed = Math.min(amount, Math.min(assets, room));
        if (slashed != 0) {
            o.assets = uint128(assets - slashed);
            o.slashWindowSlashed = uint128(used + slashed);
            _totalStake -= uint128(slashed);
        }
        if (jailUntil > block.timestamp) _jail(operator, o, jailUntil);
        _updateWeight(o);
        emit Slashed(operator, msg.sender, amount, slashed);
        if (slashed != 0) _token.safeTransfer(msg.sender, slashed);
    }

    /// @notice Jails `operator` until `until` (extends, never shortens, a current term). Slashers only.
    function jail(address operator, uint64 until) external onlySlasher {
        Operator storage o = _known(operator);
        if (until <= block.timestamp) revert InvalidParameter("jailUntil", until);
        _jail(operator, o, until);
        _updateWeight(o);
    }

    /// @inheritdoc IStaking
    function lockStake(address operator) external onlySlasher {
        Operator storage o = _known(operator);
        uint32 open = o.openDisputes + 1;
        o.openDisputes = open;
        emit StakeLocked(operator, open);
    }

    /// @inheritdoc IStaking
    function unlockStake(address operator) external onlySlasher {
        Operator storage o = _known(operator);
        uint32 open = o.openDisputes;
        if (open == 0) revert NoOpenDisputes(operator);
        o.openDisputes = open - 1;
        emit StakeUnlocked(operator, open - 1);
    }

    // ================================================================ governance

    /// @notice Sets a parameter by name (see docs/staking.md for names and bounds). Owner (timelock)
    ///         only.
    function setParameter(bytes32 name, uint256 value) external onlyOwner {
        if (name == _P_MIN_SELF_STAKE) {
            if (value > type(uint128).max) revert InvalidParameter(name, value);
            minSelfStake = uint128(value);
        } else if (name == _P_UNBONDING) {
            if (value < exitDelay || value < activationDelay || value > 90 days) {
                revert InvalidParameter(name, value);
            }
            unbondingPeriod = uint64(value);
        } else if (name == _P_EXIT_DELAY) {
            if (value < 1 hours || value > unbondingPeriod) revert InvalidParameter(name, value);
            exitDelay = uint64(value);
        } else if (name == _P_SIGNER_DELAY) {
            if (value > 30 days) revert InvalidParameter(name, value);
            signerRotationDelay = uint64(value);
        } else if (name == _P_COMMISSION_DELAY) {
            if (value > 90 days) revert InvalidParameter(name, value);
            commissionDelay = uint64(value);
        } else if (name == _P_SLASH_WINDOW) {
            if (value < 1 hours || value > 30 days) revert InvalidParameter(name, value);
            slashWindow = uint64(value);
        } else if (name == _P_MAX_COMMISSION) {
            if (value > _BPS) revert InvalidParameter(name, value);
            maxCommissionBps = uint16(value);
        } else if (name == _P_SLASH_CAP) {
            if (value == 0 || value > _BPS) revert InvalidParameter(name, value);
            slashCapBps = uint16(value);
        } else if (name == _P_WEIGHT_CAP) {
            if (value < 500 || value > _BPS) revert InvalidParameter(name, value);
            _tree.aux = uint16(value);
            _refreshCap(type(uint256).max, 0, _epochTag());
        } else if (name == _P_ACTIVATION) {
            if (value < 1 hours || value > unbondingPeriod) revert InvalidParameter(name, value);
            activationDelay = uint64(value);
        } else {
            revert UnknownParameter(name);
        }
        emit ParameterChanged(name, value);
    }

    // ================================================================ views

    /// @inheritdoc IStaking
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IStaking
    function signerOf(address operator) external view returns (address) {
        return _operators[operator].signer;
    }

    /// @inheritdoc IStaking
    function isEligible(address operator) public view returns (bool) {
        Operator storage o = _operators[operator];
        return o.status == Status.Active && !o.jailed;
    }

    /// @inheritdoc IStaking
    function poolAssets(address operator) external view returns (uint256) {
        return _operators[operator].assets;
    }

    /// @notice The full record of `operator`.
    function getOperator(address operator) external view returns (OperatorInfo memory info) {
        Operator storage o = _operators[operator];
        info.status = o.status;
        info.signer = o.signer;
        info.commissionBps = o.commissionBps;
        info.jailed = o.jailed;
        info.jailedUntil = o.jailedUntil;
        info.pendingSigner = o.pendingSigner;
        info.signerReadyAt = o.signerReadyAt;
        info.pendingCommissionBps = o.pendingCommissionBps;
        info.commissionReadyAt = o.commissionReadyAt;
        info.exitReadyAt = o.exitReadyAt;
        info.openDisputes = o.openDisputes;
        info.index = o.index;
        info.assets = o.assets;
        info.totalShares = o.totalShares;
        info.queuedShares = o.queuedShares;
        info.commissionClaimable = o.commissionClaimable;
        info.drawWeight = o.status == Status.None ? 0 : _tree.get(o.index) * WEIGHT_UNIT;
        info.metadataURI = _metadata[operator];
        info.activatingShares = _bucketShares(o);
    }

    /// @notice Shares `delegator` holds in `operator`'s pool, active and activating (not those queued for
    ///         withdrawal): what {undelegate} accepts.
    function sharesOf(address operator, address delegator) external view returns (uint256) {
        Delegation storage d = _delegations[operator][delegator];
        return uint256(d.shares) + d.activatingShares;
    }

    /// @notice Of {sharesOf}, the shares still activating and when they activate (0: none). Until then
    ///         they are slashable but earn no rewards and carry no draw weight.
    function activatingOf(
        address operator,
        address delegator
    ) external view returns (uint256 shares, uint64 activatesAt) {
        Delegation storage d = _delegations[operator][delegator];
        Operator storage o = _operators[operator];
        uint256 id = d.activatingBucket;
        shares = d.activatingShares;
        if (shares == 0) return (0, 0);
        if (id == o.olderId) activatesAt = o.olderAt;
        else if (id == o.newerId) activatesAt = o.newerAt;
        else activatesAt = 0; // activated: counted as active at the next touch
    }

    /// @notice Current value of `delegator`'s shares, active and activating (what they would withdraw,
    ///         rounded down).
    function assetsOf(address operator, address delegator) external view returns (uint256) {
        Operator storage o = _operators[operator];
        Delegation storage d = _delegations[operator][delegator];
        return _toAssets(o, uint256(d.shares) + d.activatingShares);
    }

    /// @notice Value of `shares` of `operator`'s pool, rounded down.
    function convertToAssets(address operator, uint256 shares) external view returns (uint256) {
        return _toAssets(_operators[operator], shares);
    }

    /// @notice Shares `assets` would mint in `operator`'s pool, rounded down.
    function convertToShares(address operator, uint256 assets) external view returns (uint256) {
        return _toShares(operator, _operators[operator], assets);
    }

    /// @notice Rewards claimable by `delegator` from `operator`'s pool, not counting fees still in the
    ///         fee source (call {syncRewards} first) nor the operator's commission.
    function pendingRewards(address operator, address delegator) external view returns (uint256 amount) {
        Delegation storage d = _delegations[operator][delegator];
        Operator storage o = _operators[operator];
        uint256 acc = o.rewardPerShare;
        uint256 accrued = Math.mulDiv(d.shares, acc, REWARD_SCALE);
        uint256 debt = d.rewardDebt;
        amount = d.pendingRewards + (accrued > debt ? accrued - debt : 0);
        uint256 p = d.activatingShares;
        uint256 id = d.activatingBucket;
        if (p != 0 && id != o.olderId && id != o.newerId) {
            uint256 gain = Math.mulDiv(p, acc, REWARD_SCALE);
            uint256 base = Math.mulDiv(p, _activationAcc[operator][id], REWARD_SCALE, Math.Rounding.Ceil);
            if (gain > base) amount += gain - base;
        }
    }

    /// @notice A queued withdrawal (delegator 0: unknown or completed).
    function withdrawal(uint256 withdrawalId) external view returns (Withdrawal memory) {
        return _withdrawals[withdrawalId];
    }

    /// @notice Sum of all pools' assets (active, queued, self-stake).
    function totalStake() external view returns (uint256) {
        return _totalStake;
    }

    /// @notice Number of registered operators (ever), the range of {operatorAt}.
    function operatorCount() external view returns (uint256) {
        return _tree.size;
    }

    /// @notice The operator in draw slot `index`.
    function operatorAt(uint256 index) external view returns (address) {
        return _operatorAt[index];
    }

    /// @notice Number of operators with a non-zero (latest) draw weight.
    function eligibleCount() external view returns (uint256) {
        return _tree.nonZero;
    }

    /// @inheritdoc IStaking
    function weightEpoch() external view returns (uint64 epoch, uint64 startBlock) {
        epoch = uint64(block.number / EPOCH_BLOCKS);
        startBlock = uint64(epoch * EPOCH_BLOCKS);
    }

    /// @notice Sum of the draw weights this epoch's draws use (uncapped, as at the epoch's start): the active
    ///         stake of eligible operators, in wei rounded down to WEIGHT_UNIT per operator.
    function totalEffectiveWeight() public view returns (uint256) {
        return _tree.totalAtStart(_epochTag()) * WEIGHT_UNIT;
    }

    /// @notice Sum of the latest draw weights: what {totalEffectiveWeight} becomes next epoch (absent changes).
    function latestTotalWeight() external view returns (uint256) {
        return _tree.total() * WEIGHT_UNIT;
    }

    /// @notice Draw weight cap, as a share (bps) of the capped total weight. Default 1,000 (10 %).
    function weightCapBps() external view returns (uint16) {
        return _tree.aux;
    }

    /// @notice The per-operator weight cap c this epoch's draws use: water-filled, c = weightCapBps ·
    ///         Σ min(w_i, c), so no operator gets more than weightCapBps of the picks when at least
    ///         1/weightCapBps operators are eligible (with fewer, c is the smallest heavy weight: the draw is as
    ///         even as it can be).
    function weightCap() public view returns (uint256) {
        return _tree.valueAtStart(_epochTag()) * WEIGHT_UNIT;
    }

    /// @notice The weight this epoch's draws give `operator`: min(start-of-epoch weight, cap). A single pick
    ///         selects an operator with probability effectiveWeight / Σ effectiveWeight.
    function effectiveWeight(address operator) external view returns (uint256) {
        Operator storage o = _operators[operator];
        if (o.status == Status.None) return 0;
        uint256 tag = _epochTag();
        return Math.min(_tree.getAtStart(o.index, tag), _tree.valueAtStart(tag)) * WEIGHT_UNIT;
    }

    /// @notice Adds `operator` to the heavy set (the heaviest operators, from which the cap is water-filled)
    ///         if it is missing there, e.g. after heavier ones left without it being updated, and recomputes
    ///         the cap. Anyone may call; the new cap counts from the next epoch.
    function recap(address operator) external {
        Operator storage o = _known(operator);
        _refreshCap(o.index, _tree.get(o.index), _epochTag());
    }

    /// @notice Share (bps) of {totalEffectiveWeight} held by the `n` heaviest eligible operators (uncapped
    ///         weights). O(operators · n): meant for off-chain reads.
    function topNShare(uint256 n) external view returns (uint256 bps) {
        uint256 total = _tree.total();
        if (total == 0 || n == 0) return 0;
        uint256 count = _tree.size;
        if (n > count) n = count;
        uint256[] memory top = new uint256[](n);
        for (uint256 i; i < count; ++i) {
            uint256 w = _tree.get(i);
            if (w <= top[n - 1]) continue;
            uint256 j = n - 1;
            while (j > 0 && top[j - 1] < w) {
                top[j] = top[j - 1];
                --j;
            }
            top[j] = w;
        }
        uint256 sum;
        for (uint256 i; i < n; ++i) sum += top[i];
        return (sum * _BPS) / total;
    }

    /// @inheritdoc IStaking
    function selectOperators(
        uint256 seed,
        uint256 k,
        address[] calldata exclude
    ) external view returns (address[] memory picked) {
        picked = new address[](k);
        if (k == 0) return picked;
        uint256 tag = _epochTag();
        uint256 total = _tree.totalAtStart(tag);
        uint256 slots = exclude.length + k;
        uint256[] memory removed = new uint256[](slots);
        uint256[] memory removedWeights = new uint256[](slots);
        uint256 m;
        uint256 removedTotal;
        for (uint256 i; i < exclude.length; ++i) {
            Operator storage e = _operators[exclude[i]];
            if (e.status == Status.None) continue;
            uint256 idx = e.index;
            uint256 w = _tree.getAtStart(idx, tag);
            if (w == 0 || _contains(removed, m, idx)) continue;
            removed[m] = idx;
            removedWeights[m] = w;
            removedTotal += w;
            ++m;
        }
        uint256 cap = _tree.valueAtStart(tag);
        if (cap == 0) cap = 1;
        uint256 nonce;
        // Unchecked: nonce and tries stay below k·MAX_DRAW_TRIES; removedTotal is a sum of distinct leaves,
        // at most the tree total; total - removedTotal > 0 is checked before each pick.
        unchecked {
            for (uint256 j; j < k; ++j) {
                if (total == removedTotal) revert NotEnoughOperators(k, j);
                uint256 idx;
                uint256 w;
                for (uint256 tries = 1; ; ++tries) {
                    uint256 rnd = _hash2(seed, nonce++);
                    (idx, w) = _tree.find(rnd % (total - removedTotal), removed, removedWeights, m, tag);
                    // Accept with probability min(1, cap / w): picks are then ∝ min(w, cap).
                    if (w <= cap || tries == MAX_DRAW_TRIES) break;
                    if (uint256(keccak256(abi.encode(rnd))) % w < cap) break;
                }
                picked[j] = _operatorAt[idx];
                removed[m] = idx;
                removedWeights[m] = w;
                removedTotal += w;
                ++m;
            }
        }
    }

    /// @dev keccak256(abi.encode(a, b)) in scratch space.
    function _hash2(uint256 a, uint256 b) private pure returns (uint256 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }

    // ================================================================ internals

    function _known(address operator) private view returns (Operator storage o) {
        o = _operators[operator];
        if (o.status == Status.None) revert UnknownOperator(operator);
    }

    function _checkSigner(address signer) private view {
        if (signer == address(0)) revert ZeroAddress();
        if (
            signer == msg.sender ||
            operatorOfSigner[signer] != address(0) ||
            _operators[signer].status != Status.None
        ) {
            revert SignerInUse(signer);
        }
    }

    function _contains(uint256[] memory list, uint256 m, uint256 value) private pure returns (bool) {
        for (uint256 i; i < m; ++i) if (list[i] == value) return true;
        return false;
    }

    /// @dev shares → assets, rounded down: shares·A/S.
    function _toAssets(Operator storage o, uint256 shares) private view returns (uint256) {
        uint256 total = o.totalShares;
        return total == 0 ? 0 : Math.mulDiv(shares, o.assets, total);
    }

    /// @dev assets → shares, rounded down: assets·S/A (1:1 in an empty pool). A pool whose assets were
    ///      slashed to zero while shares remain cannot price new shares: {PoolDepleted}.
    function _toShares(address operator, Operator storage o, uint256 assets) private view returns (uint256) {
        uint256 total = o.totalShares;
        if (total == 0) return assets;
        uint256 poolAssets_ = o.assets;
        if (poolAssets_ == 0) revert PoolDepleted(operator);
        return Math.mulDiv(assets, total, poolAssets_);
    }

    function _delegate(
        address operator,
        Operator storage o,
        address delegator,
        uint256 amount,
        bool immediate
    ) private returns (uint256 shares) {
        _sync(operator, o);
        shares = _toShares(operator, o, amount);
        if (shares == 0) revert ZeroAmount();
        Delegation storage d = _delegations[operator][delegator];
        _fold(operator, o, d);
        if (immediate) {
            uint256 held = d.shares;
            _settle(d, held, held + shares, o.rewardPerShare);
        } else {
            _addActivating(o, d, shares);
        }
        o.assets = (uint256(o.assets) + amount).toUint128();
        o.totalShares = (uint256(o.totalShares) + shares).toUint128();
        _totalStake += uint128(amount);
        _updateWeight(o);
        emit Delegated(operator, delegator, amount, shares);
        _token.safeTransferFrom(delegator, address(this), amount);
    }

    /// @dev Books the rewards `held` shares earned since the last settlement, then sets the shares to
    ///      `newShares` and the debt to match. The debt is rounded up and the accrual down, so the rewards
    ///      booked never exceed what was distributed; the sub-wei difference stays in the contract.
    function _settle(Delegation storage d, uint256 held, uint256 newShares, uint256 acc) private {
        uint256 pending = d.pendingRewards;
        if (held != 0) {
            uint256 accrued = Math.mulDiv(held, acc, REWARD_SCALE);
            uint256 debt = d.rewardDebt;
            if (accrued > debt) pending += accrued - debt;
        }
        d.shares = uint128(newShares);
        d.pendingRewards = pending.toUint128();
        d.rewardDebt = Math.mulDiv(newShares, acc, REWARD_SCALE, Math.Rounding.Ceil);
    }

    /// @dev Books the delegator's rewards so far and, if its activating tranche's bucket has activated, makes
    ///      the tranche active, booking what it earned since the activation (accumulator recorded then).
    function _fold(address operator, Operator storage o, Delegation storage d) private {
        uint256 acc = o.rewardPerShare;
        uint256 held = d.shares;
        uint256 p = d.activatingShares;
        if (p != 0) {
            uint256 id = d.activatingBucket;
            if (id != o.olderId && id != o.newerId) {
                uint256 gain = Math.mulDiv(p, acc, REWARD_SCALE);
                uint256 base = Math.mulDiv(p, _activationAcc[operator][id], REWARD_SCALE, Math.Rounding.Ceil);
                if (gain > base) d.pendingRewards = (uint256(d.pendingRewards) + gain - base).toUint128();
                d.activatingShares = 0;
                d.activatingBucket = 0;
                _settle(d, held, held + p, acc);
                return;
            }
        }
        _settle(d, held, held, acc);
    }

    /// @dev Puts `shares` new shares of `d` in an activation bucket that activates no earlier than
    ///      now + activationDelay (and at most ACTIVATION_GRANULE later, or, when both buckets are taken,
    ///      at most one activation delay later). The delegator's tranche still activating moves along.
    function _addActivating(Operator storage o, Delegation storage d, uint256 shares) private {
        uint256 at = block.timestamp + activationDelay;
        uint256 moving = d.activatingShares;
        uint256 from = d.activatingBucket;
        uint256 id = o.newerId;
        if (id != 0 && (at <= o.newerAt + ACTIVATION_GRANULE || o.olderId != 0)) {
            if (at > o.newerAt) o.newerAt = uint64(at);
        } else {
            if (id != 0) {
                // The older bucket is free: the newer one becomes the older one (ids stay).
                o.olderId = uint32(id);
                o.olderAt = o.newerAt;
                o.olderShares = o.newerShares;
            }
            id = ++o.lastBucketId;
            o.newerId = uint32(id);
            o.newerAt = uint64(at);
            o.newerShares = 0;
        }
        if (moving != 0 && from != id) _moveBucketShares(o, from, moving, false);
        else moving = 0;
        o.newerShares += uint128(shares + moving);
        d.activatingShares = uint128(uint256(d.activatingShares) + shares);
        d.activatingBucket = uint32(id);
    }

    function _moveBucketShares(Operator storage o, uint256 id, uint256 amount, bool add) private {
        if (id == o.olderId)
            o.olderShares = add ? o.olderShares + uint128(amount) : o.olderShares - uint128(amount);
        else o.newerShares = add ? o.newerShares + uint128(amount) : o.newerShares - uint128(amount);
    }

    /// @dev Shares of the pool still activating.
    function _bucketShares(Operator storage o) private view returns (uint256) {
        return uint256(o.olderShares) + o.newerShares;
    }

    /// @dev Activates every bucket whose time has come, recording the accumulator each starts from.
    function _activate(address operator, Operator storage o) private returns (bool activated) {
        uint256 id = o.olderId;
        if (id != 0 && o.olderAt <= block.timestamp) {
            activated = true;
            _activationAcc[operator][id] = o.rewardPerShare;
            emit SharesActivated(operator, id, o.olderShares);
            o.olderId = 0;
            o.olderAt = 0;
            o.olderShares = 0;
        }
        id = o.newerId;
        if (id != 0 && o.newerAt <= block.timestamp) {
            activated = true;
            _activationAcc[operator][id] = o.rewardPerShare;
            emit SharesActivated(operator, id, o.newerShares);
            o.newerId = 0;
            o.newerAt = 0;
            o.newerShares = 0;
        }
    }

    /// @dev Distributes the fees accrued in the fee source over the shares active so far, then activates
    ///      matured buckets (their stake then weighs in the draw from the next epoch): fees booked before a
    ///      bucket's activation never reach it.
    function _sync(address operator, Operator storage o) private {
        address source = feeSource;
        if (source != address(0)) {
            uint256 amount = IFeeSource(source).collectFees(operator);
            if (amount != 0) _distribute(operator, o, amount);
        }
        if (_activate(operator, o)) _updateWeight(o);
    }

    /// @dev Commission to the operator; the rest over the active shares. With no active shares the
    ///      delegators' part goes to the operator's claimable balance too. The remainder of the division
    ///      (under 1 wei per distribution) is never booked to anyone: it stays in the contract as dust.
    function _distribute(address operator, Operator storage o, uint256 amount) private {
        uint256 commission = (amount * o.commissionBps) / _BPS;
        uint256 toDelegators = amount - commission;
        uint256 active = uint256(o.totalShares) - o.queuedShares - _bucketShares(o);
        if (active == 0) {
            commission = amount;
            toDelegators = 0;
        } else {
            o.rewardPerShare += Math.mulDiv(toDelegators, REWARD_SCALE, active);
        }
        if (commission != 0) {
            o.commissionClaimable = (uint256(o.commissionClaimable) + commission).toUint128();
        }
        emit RewardsDistributed(operator, amount, commission, toDelegators);
    }

    function _jail(address operator, Operator storage o, uint64 until) private {
        if (until > o.jailedUntil) o.jailedUntil = until;
        o.jailed = true;
        emit Jailed(operator, o.jailedUntil);
    }

    /// @dev The tag of the current weight epoch (never 0).
    function _epochTag() private view returns (uint256) {
        return block.number / EPOCH_BLOCKS + 1;
    }

    /// @dev Sets the operator's latest draw weight: its active stake if eligible, else 0; it counts for draws
    ///      from the next epoch. Refreshes the cap when the weight changed.
    function _updateWeight(Operator storage o) private {
        uint256 units;
        if (o.status == Status.Active && !o.jailed) {
            uint256 active = uint256(o.totalShares) - o.queuedShares - _bucketShares(o);
            units = _toAssets(o, active) / WEIGHT_UNIT;
        }
        uint256 tag = _epochTag();
        uint256 index = o.index;
        if (_tree.set(index, units, tag) != units) _refreshCap(index, units, tag);
    }

    /// @dev Updates leaf `index`'s entry in the heavy set, the MAX_HEAVY heaviest operators updated so far
    ///      (index type(uint256).max: no entry, only recompute), then water-fills the cap from it: the smallest
    ///      j with c_j = capBps·(T − Σ top j)/(BPS − j·capBps) ≥ the (j+1)-th heaviest weight. A full set drops
    ///      its lightest entry for a heavier newcomer; zero weights leave (an untouched heavier operator can
    ///      then be missing: {recap}). O(MAX_HEAVY) memory work, ⌈count/3⌉ slots.
    function _refreshCap(uint256 index, uint256 units, uint256 tag) private {
        uint256 n = _heavyCount;
        (uint256[] memory hi, uint256[] memory hw) = _loadHeavy(n);
        if (index != type(uint256).max) {
            bool found;
            for (uint256 i; i < n; ++i) {
                if (hi[i] == index) {
                    hw[i] = units;
                    found = true;
                    break;
                }
            }
            if (!found && units != 0) {
                if (n < MAX_HEAVY) {
                    hi[n] = index;
                    hw[n] = units;
                    ++n;
                } else {
                    uint256 lightest;
                    for (uint256 i = 1; i < n; ++i) if (hw[i] < hw[lightest]) lightest = i;
                    if (hw[lightest] < units) {
                        hi[lightest] = index;
                        hw[lightest] = units;
                    }
                }
            }
        }
        _sortHeavy(hi, hw, n);
        while (n > 0 && hw[n - 1] == 0) --n;
        // Write back, heaviest first (the entries that left are the zero-weight ones).
        uint256 packed;
        for (uint256 i; i < n; ++i) {
            packed |= (hi[i] | (hw[i] << 24)) << ((i % 3) * 80);
            if (i % 3 == 2) {
                _heavy[i / 3] = packed;
                packed = 0;
            }
        }
        if (n % 3 != 0) _heavy[n / 3] = packed;
        _heavyCount = uint8(n);
        _tree.setValue(_waterFill(hw, n), tag);
    }

    /// @dev Sorts the first `n` entries by weight, heaviest first (insertion sort, n ≤ MAX_HEAVY).
    function _sortHeavy(uint256[] memory hi, uint256[] memory hw, uint256 n) private pure {
        for (uint256 i = 1; i < n; ++i) {
            uint256 wi = hw[i];
            uint256 ii = hi[i];
            uint256 j = i;
            while (j > 0 && hw[j - 1] < wi) {
                hw[j] = hw[j - 1];
                hi[j] = hi[j - 1];
                --j;
            }
            hw[j] = wi;
            hi[j] = ii;
        }
    }

    /// @dev The heavy set's `n` entries (indices, weights) in memory, with room for one more.
    function _loadHeavy(uint256 n) private view returns (uint256[] memory hi, uint256[] memory hw) {
        hi = new uint256[](n + 1);
        hw = new uint256[](n + 1);
        for (uint256 i; i < n; ++i) {
            uint256 e = (_heavy[i / 3] >> ((i % 3) * 80)) & ((1 << 80) - 1);
            hi[i] = e & 0xFFFFFF;
            hw[i] = e >> 24;
        }
    }

    /// @dev The water-filled cap over the latest tree, given its heaviest weights `hw[0..n)` (descending).
    ///      With too few operators for any cap to hold, the smallest heavy weight (the most even draw).
    function _waterFill(uint256[] memory hw, uint256 n) private view returns (uint256) {
        uint256 total = _tree.total();
        uint256 capBps = _tree.aux;
        if (capBps >= _BPS) return total;
        uint256 sum;
        for (uint256 j; j <= n; ++j) {
            if (j * capBps >= _BPS) break;
            if (total > sum) {
                uint256 c = (capBps * (total - sum)) / (_BPS - j * capBps);
                if (c != 0 && (j == n || hw[j] <= c)) return c;
            }
            if (j < n) sum += hw[j];
        }
        return n > 0 ? hw[n - 1] : total;
    }
}
