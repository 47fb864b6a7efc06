// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SumTree} from "../../../contracts/libraries/SumTree.sol";
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

/// @notice SumTree's bounds: empty trees, targets at or past the total, weights that would overflow.
contract SumTreeEdgesTest is Test {
    SumTreeProbe internal tree;

    function setUp() public {
        tree = new SumTreeProbe();
    }

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
}
