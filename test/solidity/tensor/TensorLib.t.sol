// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TensorLib} from "../../../contracts/libraries/TensorLib.sol";
import {VerdictTypes} from "../../../contracts/libraries/VerdictTypes.sol";
import {TensorLibHarness} from "../../../contracts/test-helpers/TensorLibHarness.sol";
import {Test} from "../utils/Test.sol";

contract TensorLibTest is Test {
    TensorLibHarness internal h;

    function setUp() public {
        h = new TensorLibHarness();
    }

    function _dims(uint32 a) internal pure returns (uint32[] memory d) {
        d = new uint32[](1);
        d[0] = a;
    }

    function _ints(int256 a, int256 b) internal pure returns (int256[] memory d) {
        d = new int256[](2);
        d[0] = a;
        d[1] = b;
    }

    function testEncodeSingleMatchesSpecBytes() public view {
        // "VTN1", 1 tensor, name "x", int32, scale 0, rank 1, dim 2, data [1, -1]
        bytes memory expected =
            hex"56544e3101017804000100000002"
            hex"00000001ffffffff";
        assertEq(h.encodeSingle("x", TensorLib.INT32, 0, _dims(2), _ints(1, -1)), expected, "bytes");
        assertEq(h.count(expected), 1, "count");
        assertTrue(h.readInt(expected, "x", 1) == -1, "sign extension");
    }

    function testScalarAndEmptyTensors() public view {
        bytes memory scalar = h.encodeSingle("s", TensorLib.INT64, 0, new uint32[](0), _one(type(int64).min));
        TensorLib.Tensor memory t = h.find(scalar, "s");
        assertEq(t.elementCount, 1, "scalar has one element");
        assertTrue(h.readInt(scalar, "s", 0) == type(int64).min, "int64 min");
        bytes memory empty = h.encodeSingle("e", TensorLib.BOOL, 0, _dims(0), new int256[](0));
        assertEq(h.find(empty, "e").elementCount, 0, "zero dim");
        assertEq(h.count(hex"56544e3100"), 0, "empty list");
    }

    function _one(int256 v) internal pure returns (int256[] memory d) {
        d = new int256[](1);
        d[0] = v;
    }

    /// Any in-range values of any dtype round-trip through encodeSingle -> decode -> encode.
    function testFuzzEncodeDecodeRoundTrip(
        uint8 dtypeSeed,
        uint8 scaleSeed,
        uint8 n,
        uint256 seed
    ) public view {
        uint8 dtype = uint8(bound(dtypeSeed, 1, 7));
        uint8 scale = dtype == TensorLib.FIXED64 ? uint8(bound(scaleSeed, 0, 18)) : 0;
        uint256 len = bound(n, 0, 40);
        (int256 min, int256 max) = TensorLib.rangeOf(dtype);
        int256[] memory data = new int256[](len);
        for (uint256 i = 0; i < len; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 span = uint256(max - min) + 1;
            data[i] =
                i == 0
                    ? min
                    : i == 1
                        ? max
                        : min + int256(r % span);
        }
        bytes memory enc = h.encodeSingle("t", dtype, scale, _dims(uint32(len)), data);
        TensorLib.TensorData[] memory dec = h.decode(enc);
        assertEq(dec.length, 1, "one tensor");
        assertEq(dec[0].dtype, dtype, "dtype");
        assertEq(dec[0].scale, scale, "scale");
        for (uint256 i = 0; i < len; ++i) {
            assertTrue(dec[0].data[i] == data[i], "value");
        }
        assertEq(h.encode(dec), enc, "re-encoding");
        assertEq(enc.length, 5 + 1 + 1 + 3 + 4 + len * TensorLib.widthOf(dtype), "size");
    }

    /// Values one past either end of a dtype's range are rejected by the encoder.
    function testFuzzEncodeRejectsOutOfRange(uint8 dtypeSeed, bool high) public {
        uint8 dtype = uint8(bound(dtypeSeed, 1, 7));
        (int256 min, int256 max) = TensorLib.rangeOf(dtype);
        int256[] memory data = _one(high ? max + 1 : min - 1);
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorValueOutOfRange.selector, 0, 0));
        h.encodeSingle("t", dtype, 0, _dims(1), data);
    }

    function testEncodeRejectsBadFields() public {
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadName.selector, 0));
        h.encodeSingle("", TensorLib.INT8, 0, _dims(1), _one(0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadName.selector, 0));
        h.encodeSingle("a b", TensorLib.INT8, 0, _dims(1), _one(0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadDType.selector, 0, 8));
        h.encodeSingle("a", 8, 0, _dims(1), _one(0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadScale.selector, 0, 1));
        h.encodeSingle("a", TensorLib.INT8, 1, _dims(1), _one(0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadScale.selector, 0, 19));
        h.encodeSingle("a", TensorLib.FIXED64, 19, _dims(1), _one(0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorShapeMismatch.selector, 0));
        h.encodeSingle("a", TensorLib.INT8, 0, _dims(2), _one(0));
        vm.expectRevert(
            abi.encodeWithSelector(TensorLib.TensorTooLarge.selector, 0, TensorLib.MAX_ELEMENTS + 1)
        );
        h.encodeSingle("a", TensorLib.INT8, 0, _dims(uint32(TensorLib.MAX_ELEMENTS + 1)), new int256[](0));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadRank.selector, 0, 9));
        h.encodeSingle("a", TensorLib.INT8, 0, new uint32[](9), new int256[](0));
    }

    function testEncodeRequiresSortedUniqueNames() public {
        TensorLib.TensorData[] memory ts = new TensorLib.TensorData[](2);
        ts[0] = TensorLib.TensorData("b", TensorLib.INT8, 0, new uint32[](0), _one(1));
        ts[1] = TensorLib.TensorData("a", TensorLib.INT8, 0, new uint32[](0), _one(2));
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorUnsorted.selector, 1));
        h.encode(ts);
        ts[1].name = "b";
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorUnsorted.selector, 1));
        h.encode(ts);
        ts[1].name = "ba";
        bytes memory enc = h.encode(ts);
        assertTrue(h.readInt(enc, "ba", 0) == 2, "second tensor");
        assertEq(h.at(enc, 0).nameHash, keccak256("b"), "first by name");
    }

    function testValidateRejectsMalformed() public {
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTruncated.selector, 0));
        h.validate(hex"56544e31");
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadMagic.selector));
        h.validate(hex"56544f3100");
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadVersion.selector, 0x32));
        h.validate(hex"56544e3200");
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTrailingBytes.selector, 5));
        h.validate(hex"56544e310000");
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTooMany.selector, 33));
        h.validate(hex"56544e3121");
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorValueOutOfRange.selector, 0, 1));
        h.validate(
            hex"56544e31010161060001"
            hex"00000002"
            hex"0002"
        );
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorBadDType.selector, 0, 0));
        h.validate(
            hex"56544e31010161000000"
            hex"00"
        );
        vm.expectRevert(abi.encodeWithSelector(TensorLib.TensorTruncated.selector, 10));
        h.validate(hex"56544e310101610400000000");
    }

    /// Flipping any single byte of a valid encoding either keeps it valid (it then still re-encodes
    /// to itself) or makes validate revert; it never decodes into something that re-encodes differently.
    function testFuzzMutationsAreCanonicalOrRejected(uint256 at, uint8 value) public view {
        bytes memory enc = h.encodeSingle("ab", TensorLib.INT16, 0, _dims(2), _ints(-2, 300));
        at = bound(at, 0, enc.length - 1);
        enc[at] = bytes1(value);
        try h.decode(enc) returns (TensorLib.TensorData[] memory dec) {
            assertEq(h.encode(dec), enc, "accepted bytes are canonical");
        } catch (bytes memory reason) {
            assertTrue(reason.length >= 4, "typed error");
        }
    }

    function testAgree() public view {
        bytes memory a = h.encodeSingle("y", TensorLib.FIXED64, 6, _dims(2), _ints(100, -100));
        bytes memory b = h.encodeSingle("y", TensorLib.FIXED64, 6, _dims(2), _ints(103, -100));
        bytes memory c = h.encodeSingle("y", TensorLib.FIXED64, 5, _dims(2), _ints(100, -100));
        assertTrue(h.agree(a, b, 3), "within tolerance");
        assertTrue(!h.agree(a, b, 2), "beyond tolerance");
        assertTrue(!h.agree(a, c, 1000), "scale mismatch");
        assertTrue(!h.agree(a, hex"00", 1000), "undecodable");
        assertTrue(h.agree(hex"00", hex"00", 0), "equal bytes");
    }

    function testReasonCodes() public pure {
        assertEq(VerdictTypes.REASON_UNDECODABLE, bytes32(uint256(1)), "1");
        assertEq(VerdictTypes.REASON_MODEL_FAILED, bytes32(uint256(7)), "7");
        assertTrue(VerdictTypes.isReasonCode(VerdictTypes.REASON_OUT_OF_RANGE), "defined");
        assertTrue(
            !VerdictTypes.isReasonCode(bytes32(0)) && !VerdictTypes.isReasonCode(bytes32(uint256(8))),
            "undefined"
        );
    }
}
