// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SumTree} from "../../../contracts/libraries/SumTree.sol";
import {TensorLib} from "../../../contracts/libraries/TensorLib.sol";
import {WeightsStore} from "../../../contracts/referee/WeightsStore.sol";
import {TensorLibHarness} from "../../../contracts/test-helpers/TensorLibHarness.sol";
import {Test} from "../utils/Test.sol";

/// @dev Exposes a SumTree (no exclusions in `find`). Writes happen in epoch 1; `find` reads the start of
///      epoch 2, i.e. the latest weights.
contract SumTreeProbe {
    using SumTree for SumTree.Tree;
    SumTree.Tree internal tree;

    function push() external returns (uint256) {
        return tree.push(1);
    }

    function set(uint256 index, uint256 weight) external returns (uint256) {
        return tree.set(index, weight, 1);
    }

    function get(uint256 index) external view returns (uint256) {
        return tree.get(index);
    }

    function total() external view returns (uint256) {
        return tree.total();
    }

    function find(uint256 target) external view returns (uint256 index, uint256 weight) {
        return tree.find(target, new uint256[](0), new uint256[](0), 0, 2);
    }
}

/// @dev TensorLib.readInt against a buffer shorter than the one the tensor was decoded from, and
///      WeightsStore.store.
contract LibraryProbe {
    function readFromTruncated(bytes memory full, uint256 keep, uint256 i) external pure returns (int256) {
        TensorLib.Tensor[] memory tensors = TensorLib.decode(full);
        bytes memory cut = new bytes(keep);
        for (uint256 j = 0; j < keep; ++j) cut[j] = full[j];
        return TensorLib.readInt(cut, tensors[0], i);
    }

    function store(bytes memory data) external returns (address) {
        return WeightsStore.store(data);
    }
}

contract LibraryEdgesTest is Test {
    SumTreeProbe internal tree;
    LibraryProbe internal probe;
    TensorLibHarness internal tensors;

    function setUp() public {
        tree = new SumTreeProbe();
        probe = new LibraryProbe();
        tensors = new TensorLibHarness();
    }

    // ------------------------------------------------------------------ SumTree
    function testFindInAnEmptyTreeIsOutOfRange() public {
        vm.expectRevert(SumTree.SumTreeTargetOutOfRange.selector);
        tree.find(0);
    }

    function testLeafAboveUint64IsRefused() public {
        tree.push();
        vm.expectRevert(SumTree.SumTreeOverflow.selector);
        tree.set(0, SumTree.MAX_WEIGHT + 1);
        assertEq(tree.get(0), 0, "leaf unchanged");
        assertEq(tree.total(), 0, "total unchanged");
    }

    function testAncestorOverflowIsRefusedAndLeavesTheTreeIntact() public {
        for (uint256 i = 0; i < 5; ++i) tree.push(); // depth 2: leaves 0..3 share one level-1 entry
        tree.set(0, SumTree.MAX_WEIGHT);
        vm.expectRevert(SumTree.SumTreeOverflow.selector);
        tree.set(1, 1);
        assertEq(tree.get(1), 0, "leaf unchanged");
        assertEq(tree.total(), SumTree.MAX_WEIGHT, "total unchanged");
    }

    function testFindAtOrPastTheTotalIsOutOfRange() public {
        for (uint256 i = 0; i < 3; ++i) tree.push();
        tree.set(0, 5);
        tree.set(2, 7);
        (uint256 index, uint256 weight) = tree.find(11);
        assertEq(index, 2, "last unit falls in leaf 2");
        assertEq(weight, 7, "its weight");
        vm.expectRevert(SumTree.SumTreeTargetOutOfRange.selector);
        tree.find(12);
    }

    // ------------------------------------------------------------------ TensorLib
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

    // ------------------------------------------------------------------ WeightsStore
    function testStarvedDataContractDeploymentIsTyped() public {
        bytes memory big = new bytes(WeightsStore.MAX_DATA);
        // The code deposit alone costs 200 gas a byte (~4.9M): with 2M the CREATE fails.
        vm.expectRevert(WeightsStore.WeightsDeployFailed.selector);
        probe.store{gas: 2_000_000}(big);
        address pointer = probe.store(big);
        assertEq(pointer.code.length, WeightsStore.MAX_DATA + 1, "deploys with enough gas");
    }
}
