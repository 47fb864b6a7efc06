// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title IStaking
/// @notice Operators, delegation as shares of an operator's pool, fee rewards, slashing and the capped,
///         stake-weighted draw of operators. The request coordinator and the dispute contracts talk to
///         staking only through this interface.
interface IStaking is IVerdictErrors {
    // ---------------------------------------------------------------- errors
    error UnknownOperator(address operator);
    error AlreadyRegistered(address operator);
    error CommissionTooHigh(uint256 commissionBps, uint256 maxBps);
    error SelfStakeTooLow(uint256 selfStake, uint256 minSelfStake);
    error OperatorNotActive(address operator);
    error OperatorJailed(address operator, uint64 until);
    error StillJailed(address operator, uint64 until);
    error NothingQueued();
    error ChangeNotReady(uint64 readyAt);
    error InsufficientShares(uint256 requested, uint256 available);
    error UnknownWithdrawal(uint256 withdrawalId);
    error WithdrawalNotReady(uint256 withdrawalId, uint64 unlocksAt);
    error StakeLockedByDispute(address operator, uint256 openDisputes);
    error ExitNotReady(address operator, uint64 readyAt);
    error NotEnoughOperators(uint256 requested, uint256 eligible);
    error TooManyOperators(uint256 capacity);
    error SignerInUse(address signer);
    /// @notice A slasher-only call from an address that is not one of the two fixed slashers.
    error NotSlasher(address caller);
    /// @notice `setSlashers` after the slashers were fixed.
    error SlashersAlreadySet(address requests, address disputes);
    /// @notice `setFeeSource` after the fee source was set.
    error FeeSourceAlreadySet(address feeSource);

    // ---------------------------------------------------------------- events
    event OperatorRegistered(
        address indexed operator,
        address indexed signer,
        uint16 commissionBps,
        string metadataURI,
        uint256 selfStake
    );
    event SignerRotationQueued(address indexed operator, address indexed newSigner, uint64 readyAt);
    event SignerRotated(address indexed operator, address indexed oldSigner, address indexed newSigner);
    event CommissionChangeQueued(address indexed operator, uint16 newCommissionBps, uint64 readyAt);
    event CommissionChanged(address indexed operator, uint16 oldCommissionBps, uint16 newCommissionBps);
    event MetadataURIChanged(address indexed operator, string metadataURI);
    event OperatorDeactivated(address indexed operator, uint64 exitReadyAt);
    event OperatorExited(address indexed operator);
    event Delegated(address indexed operator, address indexed delegator, uint256 assets, uint256 shares);
    event UndelegationQueued(
        address indexed operator,
        address indexed delegator,
        uint256 indexed withdrawalId,
        uint256 shares,
        uint64 unlocksAt
    );
    event UndelegationCompleted(
        address indexed operator,
        address indexed delegator,
        uint256 indexed withdrawalId,
        uint256 assets
    );
    event RewardsDistributed(
        address indexed operator,
        uint256 amount,
        uint256 commission,
        uint256 toDelegators
    );
    event RewardsClaimed(address indexed operator, address indexed delegator, uint256 amount);
    event Slashed(address indexed operator, address indexed slasher, uint256 requested, uint256 slashed);
    event Jailed(address indexed operator, uint64 until);
    event Unjailed(address indexed operator);
    event StakeLocked(address indexed operator, uint256 openDisputes);
    event StakeUnlocked(address indexed operator, uint256 openDisputes);
    event ParameterChanged(bytes32 indexed name, uint256 value);
    event SlashersSet(address indexed requests, address indexed disputes);
    event FeeSourceChanged(address indexed feeSource);
    /// @notice A bucket of delegated shares became active: it earns rewards and carries draw weight.
    event SharesActivated(address indexed operator, uint256 indexed bucketId, uint256 shares);

    // ---------------------------------------------------------------- views
    /// @notice The staked token (OPG).
    function token() external view returns (IERC20);

    /// @notice The key that signs this operator's attestations (address(0) if unknown).
    function signerOf(address operator) external view returns (address);

    /// @notice True when `operator` is registered, active, not jailed and not exiting: it can be drawn.
    function isEligible(address operator) external view returns (bool);

    /// @notice Assets of the whole pool: self-stake, delegations and queued withdrawals.
    function poolAssets(address operator) external view returns (uint256);

    /// @notice The weight epoch draws read now and the block it started at. {selectOperators} reads every
    ///         weight as it stood at `startBlock` (changes made during the epoch count from the next one), so a
    ///         draw seeded by blockhash(T) is unaffected by stake moved after block T while startBlock <= T + 1.
    function weightEpoch() external view returns (uint64 epoch, uint64 startBlock);

    /// @notice The draw: `k` distinct operators eligible at the start of the current weight epoch, stake-weighted
    ///         with each weight capped (water-filled: min(w, c), c = weightCapBps · Σ min(w_i, c)), from `seed`,
    ///         never returning an address in `exclude`. O(k·log n) gas. An operator jailed or deactivated during
    ///         the epoch can still be returned until the epoch ends: callers check {isEligible} if they must.
    /// @dev Named so that its selector (0x01cc0d44) sorts first: the via-IR dispatcher compares selectors
    ///      one by one in ascending order, and every request pays for the comparisons before its match.
    function selectOperators(
        uint256 seed,
        uint256 k,
        address[] calldata exclude
    ) external view returns (address[] memory);

    // ---------------------------------------------------------------- protocol roles
    /// @notice Slashes up to `amount` from the whole pool of `operator` (bounded by the per-window cap),
    ///         transfers what was taken to the caller and jails the operator until `jailUntil` (0: no jail).
    /// @dev Only the two fixed slashers (the request coordinator and the dispute contract, set once).
    function slash(address operator, uint256 amount, uint64 jailUntil) external returns (uint256 slashed);

    /// @notice Marks one more open dispute against `operator`: its stake cannot leave until unlocked.
    /// @dev Only the fixed slashers.
    function lockStake(address operator) external;

    /// @notice Clears one open dispute against `operator`.
    /// @dev Only the fixed slashers.
    function unlockStake(address operator) external;

    /// @notice Pulls the fees accrued for `operator` from the fee source and distributes them: the
    ///         commission to the operator, the rest to the pool's active shares. Anyone may call.
    function syncRewards(address operator) external;
}

/// @title IFeeSource
/// @notice Where operators' fees accrue (the request coordinator). Staking pulls them, so a finalize costs
///         no token transfer and rewards always reach the shares that held the pool while they accrued.
interface IFeeSource {
    /// @notice Transfers every fee accrued for `operator` to the staking contract and returns the amount.
    /// @dev Only callable by the staking contract.
    function collectFees(address operator) external returns (uint256 amount);
}
