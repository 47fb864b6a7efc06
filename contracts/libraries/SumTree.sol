// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SumTree
/// @notice A 4-ary sum tree over leaf slots `0..size-1`, each holding a 56-bit weight, that remembers every
///         node as it stood at the start of the current epoch. Draws read the start-of-epoch tree, so a change
///         made during an epoch counts from the next one; updates write the latest tree.
/// @dev Node (L, g) is one storage slot: its four child sums (4 × 56 bits) and, in the top 32 bits, the tag of
///      the epoch that last wrote it. Level 0 nodes hold leaf weights: node (0, g) holds leaves 4g..4g+3; node
///      (L, g) holds the sums of nodes (L-1, 4g..4g+3); the top node (depth-1, 0) holds the total in its four
///      entries. The first write to a node in an epoch first copies its values to the node's snapshot slot, so
///      "the node at the start of epoch e" is the node itself if its tag is older than e, else its snapshot:
///      one SLOAD per level for an untouched node, two for one touched this epoch, O(log4 n) either way.
///      Epoch tags are chosen by the owner (Staking: block.number / EPOCH_BLOCKS + 1, never 0, so a node never
///      written reads as "untouched"). The header also keeps one epoch-versioned 64-bit value for the owner
///      (Staking: the weight cap), read with the header in one SLOAD.
library SumTree {
    uint256 private constant _BITS = 56;
    uint256 private constant _MASK = (1 << 56) - 1;
    uint256 private constant _VALUES = (1 << 224) - 1;
    uint256 private constant _TAG_SHIFT = 224;
    uint256 private constant _SNAPSHOT = 1 << 128;
    /// @notice Leaves are addressed by uint32 indices; 4^16 exceeds that.
    uint256 internal constant MAX_DEPTH = 16;
    /// @notice Largest weight of a leaf, and of any node sum.
    uint256 internal constant MAX_WEIGHT = (1 << 56) - 1;

    struct Tree {
        uint32 size;
        uint32 nonZero; // leaves with a non-zero (latest) weight
        uint8 depth;
        // Spare bits of the header slot, free for the owning contract (Staking keeps its cap in bps here).
        uint16 aux;
        // An epoch-versioned value of the owner's (Staking: the water-filled weight cap), see {setValue}.
        uint32 valueTag;
        uint64 valueLatest;
        uint64 valueStart;
        mapping(uint256 key => uint256 packed) nodes;
    }

    /// @notice A weight update would overflow a 56-bit node sum.
    error SumTreeOverflow();
    /// @notice The tree holds 2^32 leaves already.
    error SumTreeFull();
    /// @notice `target` is not below the (adjusted) start-of-epoch total.
    error SumTreeTargetOutOfRange();

    function _key(uint256 level, uint256 index) private pure returns (uint256) {
        return (level << 64) | index;
    }

    function _entry(uint256 node, uint256 child) private pure returns (uint256) {
        return (node >> (child * _BITS)) & _MASK;
    }

    function _sum(uint256 node) private pure returns (uint256) {
        return (node & _MASK) + ((node >> 56) & _MASK) + ((node >> 112) & _MASK) + ((node >> 168) & _MASK);
    }

    /// @dev The values of node `k` at the start of the epoch tagged `tag`.
    function _startNode(Tree storage t, uint256 k, uint256 tag) private view returns (uint256) {
        uint256 node = t.nodes[k];
        if (node >> _TAG_SHIFT < tag) return node & _VALUES;
        return t.nodes[k | _SNAPSHOT];
    }

    /// @dev Writes `values` to node `k` (whose current content is `node`) in epoch `tag`, saving the
    ///      start-of-epoch values first if this is the node's first write of the epoch.
    function _write(Tree storage t, uint256 k, uint256 node, uint256 values, uint256 tag) private {
        if (node >> _TAG_SHIFT < tag) t.nodes[k | _SNAPSHOT] = node & _VALUES;
        t.nodes[k] = values | (tag << _TAG_SHIFT);
    }

    /// @notice Appends a leaf of weight 0 and returns its index. O(1).
    function push(Tree storage t, uint256 tag) internal returns (uint256 index) {
        index = t.size;
        uint256 depth = t.depth;
        if (depth == 0 || index == 1 << (depth << 1)) {
            // Full (or empty): grow one level. The new top's first child is the old top, now and at the start
            // of the epoch.
            if (depth == MAX_DEPTH || index == type(uint32).max) revert SumTreeFull();
            if (depth > 0) {
                uint256 k = _key(depth - 1, 0);
                uint256 top = _key(depth, 0);
                t.nodes[top | _SNAPSHOT] = _sum(_startNode(t, k, tag));
                t.nodes[top] = _sum(t.nodes[k] & _VALUES) | (tag << _TAG_SHIFT);
            }
            t.depth = uint8(depth + 1);
        }
        t.size = uint32(index + 1);
    }

    /// @notice The latest weight of leaf `index`.
    function get(Tree storage t, uint256 index) internal view returns (uint256) {
        return _entry(t.nodes[_key(0, index >> 2)], index & 3);
    }

    /// @notice The weight of leaf `index` at the start of the epoch tagged `tag`.
    function getAtStart(Tree storage t, uint256 index, uint256 tag) internal view returns (uint256) {
        return _entry(_startNode(t, _key(0, index >> 2), tag), index & 3);
    }

    /// @notice Latest sum of all leaf weights. One SLOAD.
    function total(Tree storage t) internal view returns (uint256) {
        uint256 depth = t.depth;
        return depth == 0 ? 0 : _sum(t.nodes[_key(depth - 1, 0)] & _VALUES);
    }

    /// @notice Sum of all leaf weights at the start of the epoch tagged `tag`.
    function totalAtStart(Tree storage t, uint256 tag) internal view returns (uint256) {
        uint256 depth = t.depth;
        return depth == 0 ? 0 : _sum(_startNode(t, _key(depth - 1, 0), tag));
    }

    /// @notice Sets leaf `index` to `weight` in epoch `tag` and updates every ancestor. O(log4 n). Returns
    ///         the old (latest) weight.
    function set(Tree storage t, uint256 index, uint256 weight, uint256 tag) internal returns (uint256 old) {
        if (weight > _MASK) revert SumTreeOverflow();
        uint256 k = _key(0, index >> 2);
        uint256 shift = (index & 3) * _BITS;
        uint256 node = t.nodes[k];
        old = (node >> shift) & _MASK;
        if (old == weight) return old;
        _write(t, k, node, (node & _VALUES & ~(_MASK << shift)) | (weight << shift), tag);
        if (old == 0) ++t.nonZero;
        else if (weight == 0) --t.nonZero;
        uint256 depth = t.depth;
        for (uint256 level = 1; level < depth; ++level) {
            k = _key(level, index >> ((level + 1) << 1));
            shift = ((index >> (level << 1)) & 3) * _BITS;
            node = t.nodes[k];
            uint256 entry = (node >> shift) & _MASK;
            entry = weight > old ? entry + (weight - old) : entry - (old - weight);
            if (entry > _MASK) revert SumTreeOverflow();
            _write(t, k, node, (node & _VALUES & ~(_MASK << shift)) | (entry << shift), tag);
        }
    }

    /// @notice Sets the owner's epoch-versioned value in epoch `tag`.
    function setValue(Tree storage t, uint256 value, uint256 tag) internal {
        if (t.valueTag < tag) {
            t.valueStart = t.valueLatest;
            t.valueTag = uint32(tag);
        }
        t.valueLatest = uint64(value);
    }

    /// @notice The owner's value as it stood at the start of the epoch tagged `tag`.
    function valueAtStart(Tree storage t, uint256 tag) internal view returns (uint256) {
        return t.valueTag < tag ? t.valueLatest : t.valueStart;
    }

    /// @notice Finds the leaf whose cumulative start-of-epoch weight range contains `target`, treating the
    ///         first `m` leaves of `removed` (indices; their start-of-epoch weights in `removedWeights`) as
    ///         weight 0. Returns the leaf and its start-of-epoch weight.
    /// @dev `target` must be below `totalAtStart(t, tag) - Σ removedWeights[0..m)`. O(log4 n · (1 + 4m)).
    function find(
        Tree storage t,
        uint256 target,
        uint256[] memory removed,
        uint256[] memory removedWeights,
        uint256 m,
        uint256 tag
    ) internal view returns (uint256 index, uint256 weight) {
        uint256 depth = t.depth;
        if (depth == 0) revert SumTreeTargetOutOfRange();
        // `index` is the node index at the current level; it becomes the leaf index at level 0.
        // Unchecked: levels and child indices are bounded by depth ≤ MAX_DEPTH; `target -= w` runs only when
        // target ≥ w; a removed leaf's weight is part of every ancestor entry it is subtracted from.
        unchecked {
            for (uint256 level = depth; level > 0; --level) {
                uint256 lvl = level - 1;
                uint256 node = _startNode(t, _key(lvl, index), tag);
                uint256 base = index << 2;
                bool found;
                for (uint256 c; c < 4; ++c) {
                    uint256 w = (node >> (c * _BITS)) & _MASK;
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
