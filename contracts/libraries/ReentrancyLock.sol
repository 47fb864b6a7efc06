// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ReentrancyLock
/// @notice A reentrancy guard in a transient storage variable (EIP-1153): 100 gas per guarded call
///         instead of two storage writes, cleared automatically at the end of the transaction.
abstract contract ReentrancyLock {
    bool private transient _locked;

    error Reentrancy();

    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }
}
