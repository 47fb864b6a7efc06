// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {IEscrow} from "../interfaces/IEscrow.sol";
import {IVerdictConsumer} from "../interfaces/IVerdictConsumer.sol";

/// @title VerdictConsumer
/// @notice Base for dApps that ask Verdict for inferences: pays from the contract's own escrow balance,
///         accepts results only from the coordinator, and hands them to {_onResult}.
abstract contract VerdictConsumer is IVerdictConsumer {
    using SafeERC20 for IERC20;

    /// @notice The request coordinator this consumer trusts.
    ICoordinator public immutable coordinator;

    error NotCoordinator(address caller);

    constructor(ICoordinator coordinator_) {
        coordinator = coordinator_;
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

    /// @dev Requests an inference paid from this contract's prepaid escrow balance, with the callback to
    ///      this contract.
    function _request(
        bytes32 modelHash,
        bytes memory input,
        uint256 maxFee,
        uint32 callbackGasLimit,
        ICoordinator.Finality finality
    ) internal returns (uint256 requestId) {
        return
            coordinator.requestInference(
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
    }

    /// @dev Tops up this contract's escrow balance from `from` (who approved this contract).
    function _fund(IERC20 token, address from, uint256 amount) internal {
        token.safeTransferFrom(from, address(this), amount);
        token.forceApprove(address(coordinator), amount);
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
