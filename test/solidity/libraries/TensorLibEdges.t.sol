// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TensorLib} from "../../../contracts/libraries/TensorLib.sol";
import {TensorLibHarness} from "../../../contracts/test-helpers/TensorLibHarness.sol";
import {Test} from "../utils/Test.sol";

/// @dev TensorLib.readInt against a buffer shorter than the one the tensor was decoded from.
contract TruncatedReadProbe {
    function readFromTruncated(bytes memory full, uint256 keep, uint256 i) external pure returns (int256) {
        TensorLib.Tensor[] memory tensors = TensorLib.decode(full);
        bytes memory cut = new bytes(keep);
        for (uint256 j = 0; j < keep; ++j) cut[j] = full[j];
        return TensorLib.readInt(cut, tensors[0], i);
    }
}

/// @notice TensorLib's bounds: too many tensors to encode, reads past the buffer.
contract TensorLibEdgesTest is Test {
    TruncatedReadProbe internal probe;
    TensorLibHarness internal tensors;

    function setUp() public {
        probe = new TruncatedReadProbe();
        tensors = new TensorLibHarness();
    }

    function testEncodingMoreThan32TensorsIsRefused() public {
        TensorLib.TensorData[] memory list = new TensorLib.TensorData[](33);
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTooMany.selector, 33));
        tensors.encode(list);
    }

    function testReadingPastTheBufferIsRefused() public {
        uint32[] memory dims = new uint32[](1);
        dims[0] = 2;
        int256[] memory data = new int256[](2);
        (data[0], data[1]) = (-3, 9);
        bytes memory full = tensors.encodeSingle("x", 5, 0, dims, data); // int64: 8 bytes each
        assertEq(uint256(probe.readFromTruncated(full, full.length, 1)), 9, "whole buffer reads");
        uint256 secondElement = full.length - 8;
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTruncated.selector, secondElement));
        probe.readFromTruncated(full, full.length - 1, 1);
    }
}
