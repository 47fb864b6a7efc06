// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";
import {IVerdictConsumer} from "../interfaces/IVerdictConsumer.sol";
import {IVerdictErrors} from "../interfaces/IVerdictErrors.sol";

/// @title VerdictConsumer
/// @notice Base for dApps that ask Verdict for inferences: accepts results only from the coordinator and hands
///         them to {_onResult}. Who pays is decided here, so that a dApp built on it cannot be drained:
///         - the owner and the askers it allows ({setAsker}) spend this contract's prepaid escrow balance, at
///           most {feeCap} per request;
///         - anyone else pays its own request: {_request} pulls `maxFee` from the caller, requests, and hands
///           back at once what the request did not cost.
///         The owner can withdraw the prepaid balance ({withdrawEscrow}).
abstract contract VerdictConsumer is IVerdictConsumer, IVerdictErrors, Ownable {
    using SafeERC20 for IERC20;

    /// @notice The request coordinator this consumer trusts.
    ICoordinator public immutable coordinator;
    /// @notice The fee token (the coordinator's escrow currency).
    IERC20 public immutable feeToken;
    /// @notice The most one request paid from the prepaid balance may cost (set by the owner).
    uint256 public feeCap;
    /// @notice Accounts allowed to spend the prepaid balance (the owner always is).
    mapping(address account => bool) public askers;

    /// @notice A request paid from the prepaid balance asked for more than {feeCap}.
    error FeeAboveCap(uint256 maxFee, uint256 cap);

    event AskerSet(address indexed account, bool allowed);
    event FeeCapSet(uint256 cap);
    event EscrowWithdrawn(address indexed to, uint256 amount);

    /// @param feeToken_ The coordinator's fee token. @param feeCap_ The first {feeCap}.
    constructor(ICoordinator coordinator_, IERC20 feeToken_, uint256 feeCap_) Ownable(msg.sender) {
        coordinator = coordinator_;
        feeToken = feeToken_;
        feeCap = feeCap_;
        emit FeeCapSet(feeCap_);
    }

    /// @inheritdoc IVerdictConsumer
    function onInferenceResult(
        uint256 requestId,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) external {
        if (msg.sender != address(coordinator)) revert NotCoordinator(msg.sender);
        _onResult(requestId, outcome, output, corrected);
    }

    /// @notice Allows or stops `account` spending the prepaid balance. Owner only.
    function setAsker(address account, bool allowed) external onlyOwner {
        askers[account] = allowed;
        emit AskerSet(account, allowed);
    }

    /// @notice Sets the most one prepaid request may cost. Owner only.
    function setFeeCap(uint256 cap) external onlyOwner {
        feeCap = cap;
        emit FeeCapSet(cap);
    }

    /// @notice Withdraws `amount` of this contract's prepaid escrow balance (including refunds of its
    ///         requests) to `to`. Owner only.
    function withdrawEscrow(address to, uint256 amount) external onlyOwner {
        emit EscrowWithdrawn(to, amount);
        IEscrow(address(coordinator)).withdraw(to, amount);
    }

    /// @notice Tops up this contract's prepaid escrow balance with `amount` from the caller (approve this
    ///         contract first). Anyone may fund it; only the owner can withdraw.
    function fund(uint256 amount) external {
        _fund(msg.sender, amount);
    }

    /// @dev Requests an inference for `msg.sender`, with the callback to this contract: paid from the prepaid
    ///      balance (at most {feeCap}) when the caller is the owner or an allowed asker, else by the caller
    ///      (`maxFee` pulled, the unspent part returned in the same transaction). Refunds of a request
    ///      (expiry, correction) go to this contract's balance.
    function _request(
        bytes32 modelHash,
        bytes memory input,
        uint256 maxFee,
        uint32 callbackGasLimit,
        ICoordinator.Finality finality
    ) internal returns (uint256 requestId) {
        bool prepaid = askers[msg.sender] || msg.sender == owner();
        uint256 before;
        if (prepaid) {
            if (maxFee > feeCap) revert FeeAboveCap(maxFee, feeCap);
        } else {
            before = IEscrow(address(coordinator)).balanceOf(address(this));
            _fund(msg.sender, maxFee);
        }
        requestId = coordinator.requestInference(
            ICoordinator.RequestParams({
                modelHash: modelHash,
                input: input,
                inputHash: bytes32(0),
                inputURI: "",
                redundancy: 0,
                maxFee: maxFee,
                deadline: 0,
                callback: address(this),
                callbackGasLimit: callbackGasLimit,
                finality: finality
            })
        );
        if (!prepaid) {
            uint256 left = IEscrow(address(coordinator)).balanceOf(address(this));
            if (left > before) IEscrow(address(coordinator)).withdraw(msg.sender, left - before);
        }
    }

    /// @dev Moves `amount` from `from` (who approved this contract) into this contract's escrow balance.
    function _fund(address from, uint256 amount) internal {
        feeToken.safeTransferFrom(from, address(this), amount);
        feeToken.forceApprove(address(coordinator), amount);
        IEscrow(address(coordinator)).deposit(address(this), amount);
    }

    /// @dev Called with every delivery: first results, final results and corrections.
    function _onResult(
        uint256 requestId,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) internal virtual;
}
