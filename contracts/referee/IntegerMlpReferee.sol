// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IReferee} from "../interfaces/IReferee.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";

/// @title IntegerMlpReferee
/// @notice The on-chain twin of an integer ("fixed-point") MLP ONNX model (docs/referee.md). Per layer l:
///         `a = x·W_l + b_l`; on hidden layers `a = max(a, 0)`; then `x = a / d_l`, truncating toward zero
///         (SDIV, exactly like ONNX `Div` on int64 in onnxruntime). The input is one VTN1 tensor
///         `inputName`, int64, shape [1, n_0], every element within ±`INPUT_BOUND`; the output is one VTN1
///         tensor `outputName`, int64, shape [1, n_L].
/// @dev Weights live in the code of a data contract (see {WeightsStore}): for each layer, for each output
///      j: bias_j as int32 big-endian, then w[0][j] .. w[n_in-1][j] as int16 big-endian. The generator
///      certifies that no partial sum can exceed int64 for inputs within the bound, so the int256 maths
///      here equals onnxruntime's int64 maths; a post-bias sum outside int64 reverts as out of range.
contract IntegerMlpReferee is IReferee {
    /// @notice The input does not fit the model; `reason` is a docs/protocol.md reason code (1..5).
    error RefereeInvalidInput(bytes32 reason);
    /// @notice Constructor: 1..8 layers and every width in 1..65535 are required.
    error RefereeBadLayers();
    /// @notice Constructor: `divisors` must hold one non-zero divisor per layer.
    error RefereeBadDivisors();
    /// @notice Constructor: names are 1..15 characters of [A-Za-z0-9_.:/-].
    error RefereeBadName();
    /// @notice Constructor: the bound must be at most int64 max.
    error RefereeBadBound();
    /// @notice Constructor: the data contract's payload is not the size the layers need.
    error RefereeWeightsSizeMismatch(uint256 expected, uint256 actual);

    uint256 private constant MAX_LAYERS = 8;
    uint256 private constant MAX_NAME = 15;
    uint8 private constant DTYPE_INT64 = 5;

    /// @notice The data contract holding the packed weights.
    address public immutable WEIGHTS;
    /// @notice Inputs must satisfy |x| ≤ INPUT_BOUND.
    uint256 public immutable INPUT_BOUND;
    /// @notice Number of layers L.
    uint256 public immutable LAYER_COUNT;

    /// @dev Width l (l = 0..L) in bits [16l, 16l + 16).
    uint256 private immutable _widths;
    /// @dev Divisor l (l = 0..L-1) in bits [32l, 32l + 32).
    uint256 private immutable _divisors;
    uint256 private immutable _weightsLength;
    uint256 private immutable _maxWidth;
    /// @dev The exact expected input prefix (magic .. dims), left-aligned, and its length.
    bytes32 private immutable _inputHeader;
    uint256 private immutable _inputHeaderLength;
    bytes32 private immutable _inputNameHash;
    /// @dev The output prefix (magic .. dims), left-aligned, and its length.
    bytes32 private immutable _outputHeader;
    uint256 private immutable _outputHeaderLength;

    /// @param weights The data contract whose code is `0x00 || packed weights`.
    /// @param widths Layer widths, input first: [n_0, .., n_L].
    /// @param divisors One divisor per layer (uint32, non-zero).
    /// @param inputBound Inputs must satisfy |x| ≤ inputBound (≤ 2^63 − 1).
    /// @param inputName The ONNX input name; @param outputName The ONNX output name.
    constructor(
        address weights,
        uint256[] memory widths,
        uint256[] memory divisors,
        uint256 inputBound,
        string memory inputName,
        string memory outputName
    ) {
        uint256 layers = widths.length - (widths.length == 0 ? 0 : 1);
        if (layers == 0 || layers > MAX_LAYERS) revert RefereeBadLayers();
        if (divisors.length != layers) revert RefereeBadDivisors();
        if (inputBound > uint256(uint64(type(int64).max))) revert RefereeBadBound();
        uint256 packedWidths;
        uint256 packedDivisors;
        uint256 weightsLength;
        uint256 maxWidth;
        for (uint256 k = 0; k <= layers; ++k) {
            uint256 w = widths[k];
            if (w == 0 || w > type(uint16).max) revert RefereeBadLayers();
            packedWidths |= w << (16 * k);
            if (w > maxWidth) maxWidth = w;
            if (k < layers) {
                uint256 d = divisors[k];
                if (d == 0 || d > type(uint32).max) revert RefereeBadDivisors();
                packedDivisors |= d << (32 * k);
                weightsLength += widths[k + 1] * (4 + 2 * w);
            }
        }
        uint256 codeSize = weights.code.length;
        if (codeSize != weightsLength + 1) {
            revert RefereeWeightsSizeMismatch(weightsLength, codeSize == 0 ? 0 : codeSize - 1);
        }
        WEIGHTS = weights;
        INPUT_BOUND = inputBound;
        LAYER_COUNT = layers;
        _widths = packedWidths;
        _divisors = packedDivisors;
        _weightsLength = weightsLength;
        _maxWidth = maxWidth;
        (_inputHeader, _inputHeaderLength) = _header(inputName, widths[0]);
        (_outputHeader, _outputHeaderLength) = _header(outputName, widths[layers]);
        _inputNameHash = keccak256(bytes(inputName));
    }

    /// @notice The layer widths, input first.
    function layerWidths() external view returns (uint256[] memory widths) {
        widths = new uint256[](LAYER_COUNT + 1);
        for (uint256 k = 0; k < widths.length; ++k) widths[k] = (_widths >> (16 * k)) & 0xffff;
    }

    /// @notice The per-layer divisors.
    function layerDivisors() external view returns (uint256[] memory divisors) {
        divisors = new uint256[](LAYER_COUNT);
        for (uint256 k = 0; k < divisors.length; ++k) divisors[k] = (_divisors >> (32 * k)) & 0xffffffff;
    }

    /// @inheritdoc IReferee
    /// @dev Reverts with {RefereeInvalidInput} when the input is not exactly one int64 tensor `inputName`
    ///      of shape [1, n_0] with every element within ±INPUT_BOUND (reason codes 1..5).
    // solhint-disable-next-line function-max-lines
    function evaluate(bytes calldata input) external view returns (bytes memory output) {
        uint256 widths = _widths;
        uint256 headerLength = _inputHeaderLength;
        bytes32 header = _inputHeader;
        bool fits;
        assembly ("memory-safe") {
            let mask := not(shr(shl(3, headerLength), not(0)))
            fits := and(
                eq(input.length, add(headerLength, shl(3, and(widths, 0xffff)))),
                eq(and(calldataload(input.offset), mask), header)
            )
        }
        if (!fits) revert RefereeInvalidInput(_diagnose(input));

        uint256 layers = LAYER_COUNT;
        uint256 divs = _divisors;
        uint256 bound = INPUT_BOUND;
        address weights = WEIGHTS;
        uint256 weightsLength = _weightsLength;
        uint256 maxWidth = _maxWidth;
        bytes32 outHeader = _outputHeader;
        uint256 outHeaderLength = _outputHeaderLength;
        bytes4 selector = RefereeInvalidInput.selector;
        bytes32 outOfRange = VerdictTypes.REASON_OUT_OF_RANGE;
        assembly ("memory-safe") {
            let m := and(shr(shl(4, layers), widths), 0xffff)
            output := mload(0x40)
            let outLength := add(outHeaderLength, shl(3, m))
            mstore(output, outLength)
            // Weights after the output (+32 bytes for the last element's spill), then two activation buffers.
            let w := add(add(output, 64), and(add(outLength, 31), not(31)))
            extcodecopy(weights, w, 1, weightsLength)
            let a := add(w, and(add(weightsLength, 63), not(31)))
            let b := add(a, shl(5, maxWidth))
            mstore(0x40, add(b, shl(5, maxWidth)))

            // Input: int64 big-endian -> int256 words, each within ±bound.
            let n0 := and(widths, 0xffff)
            let src := add(input.offset, headerLength)
            let bound2 := shl(1, bound)
            for {
                let i := 0
            } lt(i, n0) {
                i := add(i, 1)
            } {
                let v := signextend(7, shr(192, calldataload(add(src, shl(3, i)))))
                if gt(add(v, bound), bound2) {
                    mstore(0, selector)
                    mstore(4, outOfRange)
                    revert(0, 36)
                }
                mstore(add(a, shl(5, i)), v)
            }

            let wp := w
            for {
                let l := 0
            } lt(l, layers) {
                l := add(l, 1)
            } {
                let nOut := and(shr(shl(4, add(l, 1)), widths), 0xffff)
                let d := and(shr(shl(5, l), divs), 0xffffffff)
                let hidden := lt(add(l, 1), layers)
                let aEnd := add(a, shl(5, and(shr(shl(4, l), widths), 0xffff)))
                for {
                    let j := 0
                } lt(j, nOut) {
                    j := add(j, 1)
                } {
                    let acc := signextend(3, shr(224, mload(wp)))
                    wp := add(wp, 4)
                    let xp := a
                    // Two multiply-accumulates per iteration while at least two inputs remain.
                    for {
                        let end2 := sub(aEnd, 32)
                    } lt(xp, end2) {
                        xp := add(xp, 64)
                    } {
                        let ww := mload(wp)
                        acc := add(
                            acc,
                            add(
                                mul(mload(xp), signextend(1, shr(240, ww))),
                                mul(mload(add(xp, 32)), signextend(1, shr(224, ww)))
                            )
                        )
                        wp := add(wp, 4)
                    }
                    if lt(xp, aEnd) {
                        acc := add(acc, mul(mload(xp), signextend(1, shr(240, mload(wp)))))
                        wp := add(wp, 2)
                    }
                    if iszero(eq(signextend(7, acc), acc)) {
                        mstore(0, selector)
                        mstore(4, outOfRange)
                        revert(0, 36)
                    }
                    if and(hidden, slt(acc, 0)) {
                        acc := 0
                    }
                    mstore(add(b, shl(5, j)), sdiv(acc, d))
                }
                let t := a
                a := b
                b := t
            }

            // Output: header, then int64 big-endian elements (each store spills zeros the next overwrites).
            mstore(add(output, 32), outHeader)
            let dst := add(add(output, 32), outHeaderLength)
            for {
                let j := 0
            } lt(j, m) {
                j := add(j, 1)
            } {
                mstore(add(dst, shl(3, j)), shl(192, mload(add(a, shl(5, j)))))
            }
        }
    }

    /// @dev The VTN1 prefix of one int64 tensor `name` of shape [1, n], left-aligned in a word.
    function _header(string memory name, uint256 n) private pure returns (bytes32 header, uint256 length) {
        bytes memory raw = bytes(name);
        if (raw.length == 0 || raw.length > MAX_NAME) revert RefereeBadName();
        for (uint256 i = 0; i < raw.length; ++i) {
            if (!_isNameChar(uint8(raw[i]))) revert RefereeBadName();
        }
        bytes memory packed = abi.encodePacked(
            "VTN1",
            uint8(1),
            uint8(raw.length),
            raw,
            DTYPE_INT64,
            uint8(0),
            uint8(2),
            uint32(1),
            uint32(n)
        );
        length = packed.length;
        assembly ("memory-safe") {
            header := mload(add(packed, 32))
        }
    }

    function _isNameChar(uint256 c) private pure returns (bool) {
        return
            (c >= 0x30 && c <= 0x3a) || // 0-9 :
            (c >= 0x41 && c <= 0x5a) || // A-Z
            (c >= 0x61 && c <= 0x7a) || // a-z
            c == 0x5f || // _
            c == 0x2e || // .
            c == 0x2f || // /
            c == 0x2d; // -
    }

    /// @dev Why `input` (which failed the fast path) does not fit: 1 when it is not canonical VTN1,
    ///      else 2 (name missing or unexpected), 3 (dtype) or 4 (shape), first problem in tensor order.
    // solhint-disable-next-line function-max-lines
    function _diagnose(bytes calldata input) private view returns (bytes32) {
        uint256 len = input.length;
        if (len < 5 || bytes4(input[0:4]) != bytes4("VTN1")) return VerdictTypes.REASON_UNDECODABLE;
        uint256 count = uint8(input[4]);
        if (count > 32) return VerdictTypes.REASON_UNDECODABLE;
        uint256 p = 5;
        bytes32 mismatch;
        bool seen;
        bytes calldata previous = input[0:0];
        for (uint256 t = 0; t < count; ++t) {
            if (p >= len) return VerdictTypes.REASON_UNDECODABLE;
            uint256 nameLength = uint8(input[p]);
            ++p;
            if (nameLength == 0 || nameLength > 64 || p + nameLength + 3 > len) {
                return VerdictTypes.REASON_UNDECODABLE;
            }
            bytes calldata name = input[p:p + nameLength];
            p += nameLength;
            for (uint256 i = 0; i < nameLength; ++i) {
                if (!_isNameChar(uint8(name[i]))) return VerdictTypes.REASON_UNDECODABLE;
            }
            if (t > 0 && !_ascending(previous, name)) return VerdictTypes.REASON_UNDECODABLE;
            previous = name;
            uint256 dtype = uint8(input[p]);
            uint256 scale = uint8(input[p + 1]);
            uint256 rank = uint8(input[p + 2]);
            p += 3;
            if (dtype == 0 || dtype > 7) return VerdictTypes.REASON_UNDECODABLE;
            if (dtype == 7 ? scale > 18 : scale != 0) return VerdictTypes.REASON_UNDECODABLE;
            if (rank > 8 || p + 4 * rank > len) return VerdictTypes.REASON_UNDECODABLE;
            uint256 elements = 1;
            bool shapeFits = rank == 2;
            for (uint256 r = 0; r < rank; ++r) {
                uint256 dim = uint32(bytes4(input[p:p + 4]));
                p += 4;
                elements *= dim; // ≤ (2^32)^8: cannot overflow
                if ((r == 0 && dim != 1) || (r == 1 && dim != (_widths & 0xffff))) shapeFits = false;
            }
            if (elements > 1_048_576) return VerdictTypes.REASON_UNDECODABLE;
            uint256 width =
                dtype == 3
                    ? 2
                    : dtype == 4
                        ? 4
                        : (dtype == 5 || dtype == 7)
                            ? 8
                            : 1;
            if (p + width * elements > len) return VerdictTypes.REASON_UNDECODABLE;
            if (dtype == 6) {
                for (uint256 i = 0; i < elements; ++i) {
                    if (uint8(input[p + i]) > 1) return VerdictTypes.REASON_UNDECODABLE;
                }
            }
            p += width * elements;
            if (mismatch == bytes32(0)) {
                if (keccak256(name) != _inputNameHash) mismatch = VerdictTypes.REASON_NAME_MISMATCH;
                else if (dtype != DTYPE_INT64) mismatch = VerdictTypes.REASON_DTYPE_MISMATCH;
                else if (!shapeFits) mismatch = VerdictTypes.REASON_SHAPE_MISMATCH;
            }
            if (keccak256(name) == _inputNameHash) seen = true;
        }
        if (p != len) return VerdictTypes.REASON_UNDECODABLE;
        if (!seen) return VerdictTypes.REASON_NAME_MISMATCH;
        // A canonical encoding that passed every check above is the expected header: unreachable.
        return mismatch == bytes32(0) ? VerdictTypes.REASON_UNDECODABLE : mismatch;
    }

    /// @dev True when `a` < `b` in byte order (VTN1 names are strictly ascending).
    function _ascending(bytes calldata a, bytes calldata b) private pure returns (bool) {
        uint256 n = a.length < b.length ? a.length : b.length;
        for (uint256 i = 0; i < n; ++i) {
            if (a[i] != b[i]) return uint8(a[i]) < uint8(b[i]);
        }
        return a.length < b.length;
    }
}
