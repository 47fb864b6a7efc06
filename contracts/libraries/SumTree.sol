// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SumTree
/// @notice A 4-ary sum tree over leaf slots `0..size-1`, each holding a uint64 weight. A node stores the
///         four sums of its children packed in one storage slot (4 × 64 bits), so a draw reads one slot
///         per level: ⌈log4 n⌉ SLOADs, and a weight update writes one slot per level.
/// @dev Level 0 nodes hold leaf weights: node (0, g) holds leaves 4g..4g+3. Node (L, g) holds the sums of
///      nodes (L-1, 4g..4g+3). The top level `depth - 1` has one node, (depth-1, 0); the tree total is the
///      sum of its four entries. Capacity is 4^depth; when it is reached the tree grows by one level in
///      O(1): the new top node's entry 0 is the old total.
library SumTree {
    uint256 private constant _MASK = type(uint64).max;
    /// @notice Leaves are addressed by uint32 indices; 4^16 exceeds that.
    uint256 internal constant MAX_DEPTH = 16;

    struct Tree {
        uint32 size;
        uint32 nonZero; // leaves with a non-zero weight
        uint8 depth;
        // Spare bits of the header slot, free for the owning contract: whatever it keeps here is read with
        // the header at no extra cost (Staking keeps its draw weight cap).
        uint16 aux;
        mapping(uint256 key => uint256 packed) nodes;
    }

    /// @notice A weight update would overflow a 64-bit node sum.
    error SumTreeOverflow();
    /// @notice The tree holds 2^32 leaves already.
    error SumTreeFull();
    /// @notice `target` is not below the (adjusted) total.
    error SumTreeTargetOutOfRange();

    function _key(uint256 level, uint256 index) private pure returns (uint256) {
        return (level << 64) | index;
    }

    function _entry(uint256 node, uint256 child) private pure returns (uint256) {
        return (node >> (child << 6)) & _MASK;
    }

    function _sum(uint256 node) private pure returns (uint256) {
        return (node & _MASK) + ((node >> 64) & _MASK) + ((node >> 128) & _MASK) + (node >> 192);
    }

    /// @notice Appends a leaf of weight 0 and returns its index. O(1).
    function push(Tree storage t) internal returns (uint256 index) {
        index = t.size;
        uint256 depth = t.depth;
        if (depth == 0 || index == 1 << (depth << 1)) {
            // Full (or empty): grow one level. The new top's first child is the old top.
            if (depth == MAX_DEPTH || index == type(uint32).max) revert SumTreeFull();
            if (depth > 0) t.nodes[_key(depth, 0)] = _sum(t.nodes[_key(depth - 1, 0)]);
            t.depth = uint8(depth + 1);
        }
        t.size = uint32(index + 1);
    }

    /// @notice The weight of leaf `index`.
    function get(Tree storage t, uint256 index) internal view returns (uint256) {
        return _entry(t.nodes[_key(0, index >> 2)], index & 3);
    }

    /// @notice Sum of all leaf weights. One SLOAD.
    function total(Tree storage t) internal view returns (uint256) {
        uint256 depth = t.depth;
        return depth == 0 ? 0 : _sum(t.nodes[_key(depth - 1, 0)]);
    }

    /// @notice Sets leaf `index` to `weight` and updates every ancestor. O(log4 n). Returns the old weight.
    function set(Tree storage t, uint256 index, uint256 weight) internal returns (uint256 old) {
        if (weight > _MASK) revert SumTreeOverflow();
        uint256 k = _key(0, index >> 2);
        uint256 shift = (index & 3) << 6;
        uint256 node = t.nodes[k];
        old = (node >> shift) & _MASK;
        if (old == weight) return old;
        t.nodes[k] = (node & ~(_MASK << shift)) | (weight << shift);
        if (old == 0) ++t.nonZero;
        else if (weight == 0) --t.nonZero;
        uint256 depth = t.depth;
        for (uint256 level = 1; level < depth; ++level) {
            k = _key(level, index >> ((level + 1) << 1));
            shift = ((index >> (level << 1)) & 3) << 6;
            node = t.nodes[k];
            uint256 entry = (node >> shift) & _MASK;
            entry = weight > old ? entry + (weight - old) : entry - (old - weight);
            if (entry > _MASK) revert SumTreeOverflow();
            t.nodes[k] = (node & ~(_MASK << shift)) | (entry << shift);
        }
    }

    /// @notice Finds the leaf whose cumulative weight range contains `target`, treating the first `m`
    ///         leaves of `removed` (indices; their weights in `removedWeights`) as weight 0.
    /// @dev `target` must be below `total(t) - Σ removedWeights[0..m)`. O(log4 n · (1 + 4m)).
    function find(
        Tree storage t,
        uint256 target,
        uint256[] memory removed,
        uint256[] memory removedWeights,
        uint256 m
    ) internal view returns (uint256 index, uint256 weight) {
        uint256 depth = t.depth;
        if (depth == 0) revert SumTreeTargetOutOfRange();
        // `index` is the node index at the current level; it becomes the leaf index at level 0.
        // Unchecked: levels and child indices are bounded by depth ≤ MAX_DEPTH; `target -= w` runs only when
        // target ≥ w; a removed leaf's weight is part of every ancestor entry it is subtracted from.
        unchecked {
            for (uint256 level = depth; level > 0; --level) {
                uint256 lvl = level - 1;
                uint256 node = t.nodes[_key(lvl, index)];
                uint256 base = index << 2;
                bool found;
                for (uint256 c; c < 4; ++c) {
                    uint256 w = (node >> (c << 6)) & _MASK;
                    if (m != 0 && w != 0) {
                        uint256 child = base + c;
                        uint256 shift = lvl << 1;
                        for (uint256 j; j < m; ++j) {
                            if (removed[j] >> shift == child) w -= removedWeights[j];
                        }
                    }
                    if (target < w) {
                        index = base + c;
                        weight = w;
                        found = true;
                        break;
                    }
                    target -= w;
                }
                if (!found) revert SumTreeTargetOutOfRange();
            }
        }
    }
}
