// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TensorLib
/// @notice Reads, validates and writes VTN1 tensor lists (docs/protocol.md, "Tensors"). The checks and
///         their order are the same as the TypeScript decoder's (`sdk/tensor.ts`): each custom error
///         here is the `details.rule` the SDK reports for the same bytes.
/// @dev Decode once with `decode` and reuse the result; `count`, `at` and `find` each decode in full.
library TensorLib {
    uint8 internal constant INT8 = 1;
    uint8 internal constant UINT8 = 2;
    uint8 internal constant INT16 = 3;
    uint8 internal constant INT32 = 4;
    uint8 internal constant INT64 = 5;
    uint8 internal constant BOOL = 6;
    uint8 internal constant FIXED64 = 7;

    uint256 internal constant MAX_TENSORS = 32;
    uint256 internal constant MAX_NAME_LENGTH = 64;
    uint256 internal constant MAX_RANK = 8;
    uint256 internal constant MAX_SCALE = 18;
    uint256 internal constant MAX_ELEMENTS = 1_048_576;

    /// @dev Bit c is set when ASCII byte c may appear in a name: [A-Za-z0-9_.:/-].
    uint256 private constant NAME_CHARS = 0x07fffffe87fffffe07ffe00000000000;
    /// @dev "VTN" in the top three bytes of a word.
    uint256 private constant MAGIC = 0x56544e;
    uint256 private constant VERSION = 0x31;

    /// @notice A decoded tensor header; its elements stay in the encoding (read them with `readInt`).
    struct Tensor {
        string name;
        bytes32 nameHash;
        uint8 dtype;
        uint8 scale;
        uint32[] dims;
        uint256 elementCount;
        /// Byte offset of the first element inside the encoding.
        uint256 dataOffset;
    }

    /// @notice A tensor with its values, the input of `encode`.
    struct TensorData {
        string name;
        uint8 dtype;
        uint8 scale;
        uint32[] dims;
        int256[] data;
    }

    error TensorTruncated(uint256 offset);
    error TensorTrailingBytes(uint256 offset);
    error TensorBadMagic();
    error TensorBadVersion(uint8 version);
    error TensorTooMany(uint256 count);
    error TensorBadName(uint256 index);
    error TensorUnsorted(uint256 index);
    error TensorBadDType(uint256 index, uint8 dtype);
    error TensorBadScale(uint256 index, uint8 scale);
    error TensorBadRank(uint256 index, uint256 rank);
    error TensorTooLarge(uint256 index, uint256 elementCount);
    error TensorValueOutOfRange(uint256 index, uint256 element);
    error TensorShapeMismatch(uint256 index);
    error TensorNotFound(string name);
    error TensorIndexOutOfBounds(uint256 index);

    // ----------------------------------------------------------------------------------------------
    // Reading
    // ----------------------------------------------------------------------------------------------

    /// @notice Decodes and fully validates `b`; reverts with the matching custom error otherwise.
    function decode(bytes memory b) internal pure returns (Tensor[] memory tensors) {
        bytes memory err;
        (tensors, err) = _decode(b);
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 32), mload(err))
            }
        }
    }

    /// @notice Like `decode`, but returns `ok = false` instead of reverting on malformed bytes.
    function tryDecode(bytes memory b) internal pure returns (bool ok, Tensor[] memory tensors) {
        bytes memory err;
        (tensors, err) = _decode(b);
        ok = err.length == 0;
    }

    /// @notice Reverts unless `b` is a valid VTN1 encoding.
    function validate(bytes memory b) internal pure {
        decode(b);
    }

    /// @notice Number of tensors in a valid encoding.
    function count(bytes memory b) internal pure returns (uint256) {
        return decode(b).length;
    }

    /// @notice The `index`-th tensor (in name order).
    function at(bytes memory b, uint256 index) internal pure returns (Tensor memory) {
        Tensor[] memory tensors = decode(b);
        if (index >= tensors.length) revert TensorIndexOutOfBounds(index);
        return tensors[index];
    }

    /// @notice The tensor called `name`; reverts with TensorNotFound when absent.
    function find(bytes memory b, string memory name) internal pure returns (Tensor memory) {
        return get(decode(b), name);
    }

    /// @notice Looks `name` up in decoded tensors; reverts with TensorNotFound when absent.
    function get(Tensor[] memory tensors, string memory name) internal pure returns (Tensor memory) {
        bytes32 h = keccak256(bytes(name));
        for (uint256 i = 0; i < tensors.length; ++i) {
            if (tensors[i].nameHash == h) return tensors[i];
        }
        revert TensorNotFound(name);
    }

    /// @notice Element `i` (row-major) of tensor `t` decoded from `b`, sign-extended by dtype.
    function readInt(bytes memory b, Tensor memory t, uint256 i) internal pure returns (int256 v) {
        if (i >= t.elementCount) revert TensorIndexOutOfBounds(i);
        uint256 width = widthOf(t.dtype);
        uint256 offset = t.dataOffset + i * width;
        if (offset + width > b.length) revert TensorTruncated(offset);
        bool signed = isSigned(t.dtype);
        assembly ("memory-safe") {
            let x := shr(sub(256, mul(8, width)), mload(add(add(b, 32), offset)))
            if signed {
                x := signextend(sub(width, 1), x)
            }
            v := x
        }
    }

    /// @notice All elements of tensor `t` decoded from `b`.
    function values(bytes memory b, Tensor memory t) internal pure returns (int256[] memory out) {
        out = new int256[](t.elementCount);
        for (uint256 i = 0; i < out.length; ++i) out[i] = readInt(b, t, i);
    }

    /// @notice Bytes per element of `dtype` (0 for an unknown code).
    function widthOf(uint8 dtype) internal pure returns (uint256) {
        if (dtype == INT8 || dtype == UINT8 || dtype == BOOL) return 1;
        if (dtype == INT16) return 2;
        if (dtype == INT32) return 4;
        if (dtype == INT64 || dtype == FIXED64) return 8;
        return 0;
    }

    /// @notice True for the two's complement dtypes.
    function isSigned(uint8 dtype) internal pure returns (bool) {
        return dtype != UINT8 && dtype != BOOL;
    }

    /// @notice Inclusive value range of `dtype`.
    function rangeOf(uint8 dtype) internal pure returns (int256 min, int256 max) {
        if (dtype == UINT8) return (0, 255);
        if (dtype == BOOL) return (0, 1);
        if (dtype == INT8) return (type(int8).min, type(int8).max);
        if (dtype == INT16) return (type(int16).min, type(int16).max);
        if (dtype == INT32) return (type(int32).min, type(int32).max);
        return (type(int64).min, type(int64).max);
    }

    /// @notice Agreement (docs/protocol.md): equal bytes agree; otherwise both must decode with the same
    ///         names, dtypes, scales and shapes and every element may differ by at most `tolerance`.
    function agree(bytes memory a, bytes memory b, uint256 tolerance) internal pure returns (bool) {
        if (keccak256(a) == keccak256(b)) return true;
        (bool okA, Tensor[] memory ta) = tryDecode(a);
        if (!okA) return false;
        (bool okB, Tensor[] memory tb) = tryDecode(b);
        if (!okB || ta.length != tb.length) return false;
        for (uint256 i = 0; i < ta.length; ++i) {
            if (!_sameHeader(ta[i], tb[i])) return false;
        }
        for (uint256 i = 0; i < ta.length; ++i) {
            for (uint256 k = 0; k < ta[i].elementCount; ++k) {
                int256 d = readInt(a, ta[i], k) - readInt(b, tb[i], k);
                if ((d < 0 ? uint256(-d) : uint256(d)) > tolerance) return false;
            }
        }
        return true;
    }

    // ----------------------------------------------------------------------------------------------
    // Writing
    // ----------------------------------------------------------------------------------------------

    /// @notice Encodes one tensor (`dims` empty for a scalar). Reverts on any invalid field or value.
    function encodeSingle(
        string memory name,
        uint8 dtype,
        uint8 scale,
        uint32[] memory dims,
        int256[] memory data
    ) internal pure returns (bytes memory) {
        TensorData[] memory list = new TensorData[](1);
        list[0] = TensorData(name, dtype, scale, dims, data);
        return encode(list);
    }

    /// @notice Encodes tensors that are already in strictly ascending name order (reverts with
    ///         TensorUnsorted otherwise: sorting is the caller's job on chain).
    function encode(TensorData[] memory tensors) internal pure returns (bytes memory out) {
        if (tensors.length > MAX_TENSORS) revert TensorTooMany(tensors.length);
        uint256 size = 5;
        for (uint256 i = 0; i < tensors.length; ++i) {
            size += _checkForEncode(tensors, i);
        }
        out = new bytes(size);
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(out, 32)
            mstore(ptr, or(shl(224, 0x56544e31), shl(216, mload(tensors))))
            ptr := add(ptr, 5)
        }
        for (uint256 i = 0; i < tensors.length; ++i) {
            ptr = _write(ptr, tensors[i]);
        }
        assembly ("memory-safe") {
            mstore(ptr, 0) // keep the padding after the last byte clean
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------

    function _decode(bytes memory b) private pure returns (Tensor[] memory tensors, bytes memory err) {
        uint256 len = b.length;
        if (len < 5) return (tensors, abi.encodeWithSelector(TensorTruncated.selector, 0));
        uint256 head = _word(b, 0);
        if (head >> 232 != MAGIC) return (tensors, abi.encodeWithSelector(TensorBadMagic.selector));
        uint256 version = (head >> 224) & 0xff;
        if (version != VERSION) return (tensors, abi.encodeWithSelector(TensorBadVersion.selector, version));
        uint256 n = (head >> 216) & 0xff;
        if (n > MAX_TENSORS) return (tensors, abi.encodeWithSelector(TensorTooMany.selector, n));
        tensors = new Tensor[](n);
        uint256 p = 5;
        for (uint256 index = 0; index < n; ++index) {
            Tensor memory t = tensors[index];
            (p, err) = _readName(b, p, index, t);
            if (err.length != 0) return (tensors, err);
            if (index > 0 && !_less(tensors[index - 1].name, t.name)) {
                return (tensors, abi.encodeWithSelector(TensorUnsorted.selector, index));
            }
            (p, err) = _readHeader(b, p, index, t);
            if (err.length != 0) return (tensors, err);
        }
        if (p != len) return (tensors, abi.encodeWithSelector(TensorTrailingBytes.selector, p));
    }

    /// @dev Reads nameLength + name into `t`, checking length and charset.
    function _readName(
        bytes memory b,
        uint256 p,
        uint256 index,
        Tensor memory t
    ) private pure returns (uint256, bytes memory) {
        if (p + 1 > b.length) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        uint256 nameLength = _word(b, p) >> 248;
        ++p;
        if (nameLength == 0 || nameLength > MAX_NAME_LENGTH) {
            return (p, abi.encodeWithSelector(TensorBadName.selector, index));
        }
        if (p + nameLength > b.length) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        string memory name = new string(nameLength);
        for (uint256 c = 0; c < nameLength; ++c) {
            uint256 ch = _word(b, p + c) >> 248;
            if ((NAME_CHARS >> ch) & 1 == 0)
                return (p, abi.encodeWithSelector(TensorBadName.selector, index));
        }
        assembly ("memory-safe") {
            mcopy(add(name, 32), add(add(b, 32), p), nameLength)
        }
        t.name = name;
        t.nameHash = keccak256(bytes(name));
        return (p + nameLength, "");
    }

    /// @dev Reads dtype, scale, rank, dims and skips the data of one tensor, checking each.
    function _readHeader(
        bytes memory b,
        uint256 p,
        uint256 index,
        Tensor memory t
    ) private pure returns (uint256, bytes memory) {
        uint256 len = b.length;
        if (p + 1 > len) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        uint8 dtype = uint8(_word(b, p) >> 248);
        uint256 width = widthOf(dtype);
        if (width == 0) return (p, abi.encodeWithSelector(TensorBadDType.selector, index, dtype));
        ++p;
        if (p + 1 > len) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        uint8 scale = uint8(_word(b, p) >> 248);
        if (scale > (dtype == FIXED64 ? MAX_SCALE : 0)) {
            return (p, abi.encodeWithSelector(TensorBadScale.selector, index, scale));
        }
        ++p;
        if (p + 1 > len) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        uint256 rank = _word(b, p) >> 248;
        if (rank > MAX_RANK) return (p, abi.encodeWithSelector(TensorBadRank.selector, index, rank));
        ++p;
        if (p + 4 * rank > len) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        uint32[] memory dims = new uint32[](rank);
        uint256 elements = 1;
        for (uint256 d = 0; d < rank; ++d) {
            uint32 dim = uint32(_word(b, p + 4 * d) >> 224);
            dims[d] = dim;
            // Saturating product: exact while <= MAX_ELEMENTS, and a later 0 still yields 0.
            elements *= dim;
            if (elements > MAX_ELEMENTS) elements = MAX_ELEMENTS + 1;
        }
        p += 4 * rank;
        if (elements > MAX_ELEMENTS)
            return (p, abi.encodeWithSelector(TensorTooLarge.selector, index, elements));
        if (p + width * elements > len) return (p, abi.encodeWithSelector(TensorTruncated.selector, p));
        if (dtype == BOOL) {
            for (uint256 k = 0; k < elements; ++k) {
                if (_word(b, p + k) >> 248 > 1) {
                    return (p, abi.encodeWithSelector(TensorValueOutOfRange.selector, index, k));
                }
            }
        }
        t.dtype = dtype;
        t.scale = scale;
        t.dims = dims;
        t.elementCount = elements;
        t.dataOffset = p;
        return (p + width * elements, "");
    }

    /// @dev Validates tensor `i` for `encode` and returns its encoded size.
    function _checkForEncode(TensorData[] memory tensors, uint256 i) private pure returns (uint256) {
        TensorData memory t = tensors[i];
        bytes memory name = bytes(t.name);
        if (name.length == 0 || name.length > MAX_NAME_LENGTH) revert TensorBadName(i);
        for (uint256 c = 0; c < name.length; ++c) {
            if ((NAME_CHARS >> uint8(name[c])) & 1 == 0) revert TensorBadName(i);
        }
        if (i > 0 && !_less(tensors[i - 1].name, t.name)) revert TensorUnsorted(i);
        uint256 width = widthOf(t.dtype);
        if (width == 0) revert TensorBadDType(i, t.dtype);
        if (t.scale > (t.dtype == FIXED64 ? MAX_SCALE : 0)) revert TensorBadScale(i, t.scale);
        if (t.dims.length > MAX_RANK) revert TensorBadRank(i, t.dims.length);
        uint256 elements = 1;
        for (uint256 d = 0; d < t.dims.length; ++d) {
            elements *= t.dims[d];
            if (elements > MAX_ELEMENTS) elements = MAX_ELEMENTS + 1;
        }
        if (elements > MAX_ELEMENTS) revert TensorTooLarge(i, elements);
        if (elements != t.data.length) revert TensorShapeMismatch(i);
        (int256 min, int256 max) = rangeOf(t.dtype);
        for (uint256 k = 0; k < elements; ++k) {
            int256 v = t.data[k];
            if (v < min || v > max) revert TensorValueOutOfRange(i, k);
        }
        return 1 + name.length + 3 + 4 * t.dims.length + width * elements;
    }

    /// @dev Writes one validated tensor at `ptr`. Each mstore may scribble up to 31 bytes past the
    ///      value; the next write (or free memory, which Solidity never assumes clean) absorbs it.
    function _write(uint256 ptr, TensorData memory t) private pure returns (uint256) {
        bytes memory name = bytes(t.name);
        uint256 width = widthOf(t.dtype);
        uint256 header = (uint256(t.dtype) << 16) | (uint256(t.scale) << 8) | t.dims.length;
        uint32[] memory dims = t.dims;
        int256[] memory data = t.data;
        assembly ("memory-safe") {
            let nameLength := mload(name)
            mstore8(ptr, nameLength)
            mcopy(add(ptr, 1), add(name, 32), nameLength)
            ptr := add(ptr, add(1, nameLength))
            mstore(ptr, shl(232, header))
            ptr := add(ptr, 3)
            let rank := mload(dims)
            for {
                let d := 0
            } lt(d, rank) {
                d := add(d, 1)
            } {
                mstore(ptr, shl(224, mload(add(dims, mul(32, add(d, 1))))))
                ptr := add(ptr, 4)
            }
            let shift := sub(256, mul(8, width))
            let n := mload(data)
            for {
                let k := 0
            } lt(k, n) {
                k := add(k, 1)
            } {
                mstore(ptr, shl(shift, mload(add(data, mul(32, add(k, 1))))))
                ptr := add(ptr, width)
            }
        }
        return ptr;
    }

    function _sameHeader(Tensor memory x, Tensor memory y) private pure returns (bool) {
        if (x.nameHash != y.nameHash || x.dtype != y.dtype || x.scale != y.scale) return false;
        if (x.dims.length != y.dims.length) return false;
        for (uint256 d = 0; d < x.dims.length; ++d) {
            if (x.dims[d] != y.dims[d]) return false;
        }
        return true;
    }

    /// @dev Strict byte-order comparison: a < b.
    function _less(string memory a, string memory b) private pure returns (bool) {
        bytes memory x = bytes(a);
        bytes memory y = bytes(b);
        uint256 n = x.length < y.length ? x.length : y.length;
        for (uint256 i = 0; i < n; ++i) {
            if (x[i] != y[i]) return x[i] < y[i];
        }
        return x.length < y.length;
    }

    /// @dev The 32 bytes of `b` starting at `offset` (may include bytes past the end; callers check).
    function _word(bytes memory b, uint256 offset) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 32), offset))
        }
    }
}
