// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title WeightsStore
/// @notice Stores immutable bytes as the runtime code of a data contract (the SSTORE2 pattern): writing
///         costs ~200 gas per byte once, reading is one EXTCODECOPY (2,600 cold + 3 per word). The code
///         starts with a STOP byte (0x00) so the data contract cannot be called into anything.
library WeightsStore {
    /// @notice The data is longer than a contract's code may be (EIP-170: 24,576 bytes, minus the STOP byte).
    error WeightsTooLarge(uint256 length);
    /// @notice CREATE failed (out of gas or a collision).
    error WeightsDeployFailed();

    /// @notice Largest payload one data contract holds.
    uint256 internal constant MAX_DATA = 24_575;

    /// @notice Deploys a data contract whose code is `0x00 || data` and returns its address.
    function store(bytes memory data) internal returns (address pointer) {
        if (data.length > MAX_DATA) revert WeightsTooLarge(data.length);
        bytes memory initCode = creationCode(data);
        assembly ("memory-safe") {
            pointer := create(0, add(initCode, 32), mload(initCode))
        }
        if (pointer == address(0)) revert WeightsDeployFailed();
    }

    /// @notice The creation code that deploys `0x00 || data` as runtime code:
    ///         PUSH2 len, DUP1, PUSH1 10, PUSH0, CODECOPY, PUSH0, RETURN (10 bytes), then the runtime code.
    function creationCode(bytes memory data) internal pure returns (bytes memory) {
        uint256 runtimeLength = data.length + 1;
        return abi.encodePacked(hex"61", uint16(runtimeLength), hex"80600a5f395ff3", hex"00", data);
    }

    /// @notice Reads the stored payload back (for tests and tools; the referee reads with EXTCODECOPY).
    function read(address pointer) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length;
        uint256 length = size == 0 ? 0 : size - 1;
        data = new bytes(length);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 32), 1, length)
        }
    }
}
