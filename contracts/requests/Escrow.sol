// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Escrow
/// @notice Prepaid OPG balances: deposit (or deposit with an EIP-2612 permit), withdraw, and the internal
///         debits and credits the request coordinator makes when it locks a fee, refunds it or pays it out.
///         Every token the coordinator holds is a balance here, a fee locked in an open request, or a fee
///         accrued to an operator's pool and not yet collected by staking.
abstract contract Escrow is IEscrow, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The fee token (OPG).
    IERC20 public immutable feeToken;

    /// @dev Balance of each account (see {balanceOf}, which adds income kept elsewhere: {_accruedTo}).
    mapping(address account => uint256) internal _balances;

    error InsufficientBalance(address account, uint256 balance, uint256 needed);

    event Deposited(address indexed from, address indexed account, uint256 amount);
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    constructor(IERC20 token_) {
        feeToken = token_;
    }

    /// @notice Deposits `amount` from the caller into `account`'s prepaid balance.
    function deposit(address account, uint256 amount) external nonReentrant {
        _pullDeposit(msg.sender, account, amount);
    }

    /// @notice Deposits with an EIP-2612 permit signed by `owner`, into `owner`'s balance, in one call.
    /// @dev A permit front-run by someone else still leaves the allowance in place, so the deposit goes on.
    function depositWithPermit(
        address owner,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        try
            IERC20Permit(address(feeToken)).permit(owner, address(this), amount, deadline, v, r, s)
        {} catch {}
        _pullDeposit(owner, owner, amount);
    }

    /// @notice Withdraws `amount` of the caller's balance to `to`.
    function withdraw(address to, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _debit(msg.sender, amount);
        emit Withdrawn(msg.sender, to, amount);
        feeToken.safeTransfer(to, amount);
    }

    /// @notice Withdrawable balance of `account`: prepaid funds, refunds, royalties, treasury income.
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account] + _accruedTo(account);
    }

    function _pullDeposit(address from, address account, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        _balances[account] += amount;
        emit Deposited(from, account, amount);
        feeToken.safeTransferFrom(from, address(this), amount);
    }

    function _debit(address account, uint256 amount) internal {
        uint256 balance = _balances[account];
        if (balance < amount) {
            balance += _collectAccrued(account); // income kept elsewhere joins the balance when it is needed
            if (balance < amount) revert InsufficientBalance(account, balance, amount);
        }
        unchecked {
            _balances[account] = balance - amount;
        }
    }

    /// @dev Income credited to `account` outside `_balances` (none here; the coordinator keeps the treasury's in
    ///      the treasury's own slot). {balanceOf} counts it.
    function _accruedTo(address) internal view virtual returns (uint256) {
        return 0;
    }

    /// @dev Zeroes the income {_accruedTo} reports for `account` and returns it (the caller adds it to the
    ///      balance it writes).
    function _collectAccrued(address) internal virtual returns (uint256) {
        return 0;
    }

    /// @dev Silent: every credit is explained by the coordinator's request event that caused it
    ///      (RequestFinalized, RequestRejected, RequestExpired, RequestCorrected), which carries the amounts.
    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        _balances[account] += amount;
    }
}
