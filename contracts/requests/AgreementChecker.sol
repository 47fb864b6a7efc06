// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TensorLib} from "../libraries/TensorLib.sol";

/// @title AgreementChecker
/// @notice Stateless: decides whether two canonical outputs agree within a tolerance (docs/protocol.md,
///         "Agreement"). Deployed once and shared, so the coordinator and the dispute contract stay small.
contract AgreementChecker {
    /// @notice True when `a` and `b` decode to the same names, dtypes, scales and shapes and every element
    ///         differs by at most `tolerance`. Never reverts: malformed outputs simply do not agree.
    function agree(bytes calldata a, bytes calldata b, uint256 tolerance) external pure returns (bool) {
        return TensorLib.agree(a, b, tolerance);
    }
}
