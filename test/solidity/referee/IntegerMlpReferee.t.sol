// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {IntegerMlpReferee} from "../../../contracts/referee/IntegerMlpReferee.sol";
import {WeightsStore} from "../../../contracts/referee/WeightsStore.sol";

/// @dev Exposes the WeightsStore library to tests.
contract WeightsStoreHarness {
    function store(bytes memory data) external returns (address) {
        return WeightsStore.store(data);
    }

    function read(address pointer) external view returns (bytes memory) {
        return WeightsStore.read(pointer);
    }
}

/// @notice A hand-checked 2x3x2 model (divisors 10 and 3, bound 1000) and a plain checked-arithmetic
///         reference implementation the assembly is fuzzed against.
contract IntegerMlpRefereeTest is Test {
    WeightsStoreHarness internal store;
    IntegerMlpReferee internal referee;
    address internal weights;

    int256[3][2] internal W0 = [[int256(1), -2, 3], [int256(4), 5, -6]];
    int256[3] internal B0 = [int256(0), 7, -8];
    int256[2][3] internal W1 = [[int256(1), -1], [int256(2), 3], [int256(-4), 5]];
    int256[2] internal B1 = [int256(1), -1];
    uint256 internal constant BOUND = 1000;

    bytes32 internal constant UNDECODABLE = bytes32(uint256(1));
    bytes32 internal constant NAME = bytes32(uint256(2));
    bytes32 internal constant DTYPE = bytes32(uint256(3));
    bytes32 internal constant SHAPE = bytes32(uint256(4));
    bytes32 internal constant RANGE = bytes32(uint256(5));

    function setUp() public {
        store = new WeightsStoreHarness();
        weights = store.store(_packed());
        referee = new IntegerMlpReferee(weights, _widths(), _divisors(), BOUND, "x", "y");
    }

    function _widths() internal pure returns (uint256[] memory w) {
        w = new uint256[](3);
        (w[0], w[1], w[2]) = (2, 3, 2);
    }

    function _divisors() internal pure returns (uint256[] memory d) {
        d = new uint256[](2);
        (d[0], d[1]) = (10, 3);
    }

    function _packed() internal view returns (bytes memory out) {
        for (uint256 j = 0; j < 3; ++j) {
            out = abi.encodePacked(out, int32(B0[j]), int16(W0[0][j]), int16(W0[1][j]));
        }
        for (uint256 j = 0; j < 2; ++j) {
            out = abi.encodePacked(out, int32(B1[j]), int16(W1[0][j]), int16(W1[1][j]), int16(W1[2][j]));
        }
    }

    function _input(int64 a, int64 b) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                "VTN1",
                uint8(1),
                uint8(1),
                "x",
                uint8(5),
                uint8(0),
                uint8(2),
                uint32(1),
                uint32(2),
                a,
                b
            );
    }

    function _output(int64 a, int64 b) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                "VTN1",
                uint8(1),
                uint8(1),
                "y",
                uint8(5),
                uint8(0),
                uint8(2),
                uint32(1),
                uint32(2),
                a,
                b
            );
    }

    function _reference(int256 a, int256 b) internal view returns (int64, int64) {
        int256[3] memory h;
        for (uint256 j = 0; j < 3; ++j) {
            int256 acc = B0[j] + a * W0[0][j] + b * W0[1][j];
            if (acc < 0) acc = 0;
            h[j] = acc / 10; // Solidity's signed division truncates toward zero
        }
        int256[2] memory y;
        for (uint256 j = 0; j < 2; ++j) {
            y[j] = (B1[j] + h[0] * W1[0][j] + h[1] * W1[1][j] + h[2] * W1[2][j]) / 3;
        }
        return (int64(y[0]), int64(y[1]));
    }

    function _expectInvalid(bytes memory input, bytes32 reason, string memory label) internal view {
        try referee.evaluate(input) returns (bytes memory) {
            revert AssertionFailed(label);
        } catch (bytes memory err) {
            assertEq(
                err,
                abi.encodeWithSelector(IntegerMlpReferee.RefereeInvalidInput.selector, reason),
                label
            );
        }
    }

    function test_handComputedOutput() public view {
        // h = relu([-22, -40, 52]) / 10 = [0, 0, 5]; y = [-19, 24] / 3 = [-6, 8] (floor would give -7).
        assertEq(referee.evaluate(_input(6, -7)), _output(-6, 8), "6,-7");
        // h = [11, 0, 27]; y = [-96, 123] / 3 = [-32, 41].
        assertEq(referee.evaluate(_input(100, 3)), _output(-32, 41), "100,3");
    }

    function test_configurationGetters() public view {
        assertEq(referee.WEIGHTS(), weights, "weights");
        assertEq(referee.LAYER_COUNT(), 2, "layers");
        assertEq(referee.INPUT_BOUND(), BOUND, "bound");
        assertEq(keccak256(abi.encode(referee.layerWidths())), keccak256(abi.encode(_widths())), "widths");
        assertEq(
            keccak256(abi.encode(referee.layerDivisors())),
            keccak256(abi.encode(_divisors())),
            "divisors"
        );
    }

    function testFuzz_matchesReference(uint256 ra, uint256 rb) public view {
        int64 a = int64(int256(bound(ra, 0, 2 * BOUND)) - int256(BOUND));
        int64 b = int64(int256(bound(rb, 0, 2 * BOUND)) - int256(BOUND));
        (int64 y0, int64 y1) = _reference(a, b);
        assertEq(referee.evaluate(_input(a, b)), _output(y0, y1), "reference");
    }

    function test_boundIsInclusive() public view {
        int64 m = int64(int256(BOUND));
        (int64 y0, int64 y1) = _reference(m, -m);
        assertEq(referee.evaluate(_input(m, -m)), _output(y0, y1), "at the bound");
        _expectInvalid(_input(m + 1, 0), RANGE, "above");
        _expectInvalid(_input(0, -m - 1), RANGE, "below");
        _expectInvalid(_input(type(int64).min, 0), RANGE, "int64 min");
        _expectInvalid(_input(0, type(int64).max), RANGE, "int64 max");
    }

    // solhint-disable-next-line function-max-lines
    function test_rejectsMisfitInputs() public view {
        bytes memory tail = abi.encodePacked(uint32(1), uint32(2), int64(1), int64(2));
        _expectInvalid(
            abi.encodePacked("VTN1", uint8(1), uint8(1), "z", uint8(5), uint8(0), uint8(2), tail),
            NAME,
            "name"
        );
        _expectInvalid(
            abi.encodePacked("VTN1", uint8(1), uint8(1), "x", uint8(7), uint8(3), uint8(2), tail),
            DTYPE,
            "fixed64"
        );
        _expectInvalid(
            abi.encodePacked(
                "VTN1",
                uint8(1),
                uint8(1),
                "x",
                uint8(5),
                uint8(0),
                uint8(2),
                uint32(2),
                uint32(1),
                int64(1),
                int64(2)
            ),
            SHAPE,
            "[2,1]"
        );
        _expectInvalid(
            abi.encodePacked(
                "VTN1",
                uint8(1),
                uint8(1),
                "x",
                uint8(5),
                uint8(0),
                uint8(1),
                uint32(2),
                int64(1),
                int64(2)
            ),
            SHAPE,
            "rank 1"
        );
        _expectInvalid(abi.encodePacked("VTN1", uint8(0)), NAME, "no tensor");
        _expectInvalid(
            abi.encodePacked("VTN1", uint8(1), uint8(1), "x", uint8(5), uint8(1), uint8(2), tail),
            UNDECODABLE,
            "scale"
        );
        _expectInvalid(
            abi.encodePacked("VTN1", uint8(1), uint8(1), "x", uint8(9), uint8(0), uint8(2), tail),
            UNDECODABLE,
            "dtype 9"
        );
        _expectInvalid(abi.encodePacked(_input(1, 2), uint8(0)), UNDECODABLE, "trailing");
        _expectInvalid(hex"56544e32", UNDECODABLE, "magic");
        _expectInvalid("", UNDECODABLE, "empty");
    }

    /// @notice Arbitrary bytes never evaluate unless they are exactly a valid input; otherwise the revert is
    ///         always the typed error.
    function testFuzz_garbageRevertsTyped(bytes calldata junk) public view {
        try referee.evaluate(junk) returns (bytes memory) {
            assertEq(junk.length, 18 + 16, "only a well-formed input evaluates");
            assertEq(
                keccak256(junk[0:18]),
                keccak256(
                    abi.encodePacked(
                        "VTN1",
                        uint8(1),
                        uint8(1),
                        "x",
                        uint8(5),
                        uint8(0),
                        uint8(2),
                        uint32(1),
                        uint32(2)
                    )
                ),
                "header"
            );
        } catch (bytes memory err) {
            assertEq(err.length, 36, "typed error");
            assertEq(bytes4(err), IntegerMlpReferee.RefereeInvalidInput.selector, "selector");
        }
    }

    // solhint-disable-next-line function-max-lines
    function test_constructorRejectsBadConfiguration() public {
        uint256[] memory widths = _widths();
        uint256[] memory divisors = _divisors();

        address wrongSize = store.store(new bytes(47));
        vm.expectRevert(
            abi.encodeWithSelector(IntegerMlpReferee.RefereeWeightsSizeMismatch.selector, 44, 47)
        );
        new IntegerMlpReferee(wrongSize, widths, divisors, BOUND, "x", "y");

        vm.expectRevert(abi.encodeWithSelector(IntegerMlpReferee.RefereeWeightsSizeMismatch.selector, 44, 0));
        new IntegerMlpReferee(address(0xdead), widths, divisors, BOUND, "x", "y");

        vm.expectRevert(IntegerMlpReferee.RefereeBadLayers.selector);
        new IntegerMlpReferee(weights, new uint256[](1), new uint256[](0), BOUND, "x", "y");

        uint256[] memory zeroWidth = _widths();
        zeroWidth[1] = 0;
        vm.expectRevert(IntegerMlpReferee.RefereeBadLayers.selector);
        new IntegerMlpReferee(weights, zeroWidth, divisors, BOUND, "x", "y");

        uint256[] memory zeroDivisor = _divisors();
        zeroDivisor[1] = 0;
        vm.expectRevert(IntegerMlpReferee.RefereeBadDivisors.selector);
        new IntegerMlpReferee(weights, widths, zeroDivisor, BOUND, "x", "y");

        vm.expectRevert(IntegerMlpReferee.RefereeBadDivisors.selector);
        new IntegerMlpReferee(weights, widths, new uint256[](1), BOUND, "x", "y");

        vm.expectRevert(IntegerMlpReferee.RefereeBadName.selector);
        new IntegerMlpReferee(weights, widths, divisors, BOUND, "x y", "y");

        vm.expectRevert(IntegerMlpReferee.RefereeBadName.selector);
        new IntegerMlpReferee(weights, widths, divisors, BOUND, "x", "a_name_of_16_chr");

        vm.expectRevert(IntegerMlpReferee.RefereeBadBound.selector);
        new IntegerMlpReferee(weights, widths, divisors, uint256(uint64(type(int64).max)) + 1, "x", "y");
    }

    function test_weightsStoreRoundTrip() public {
        bytes memory data = _packed();
        address pointer = store.store(data);
        assertEq(store.read(pointer), data, "round trip");
        assertEq(pointer.code.length, data.length + 1, "STOP byte prefix");
        assertEq(uint256(uint8(pointer.code[0])), 0, "STOP");
        vm.expectRevert(abi.encodeWithSelector(WeightsStore.WeightsTooLarge.selector, 24_576));
        store.store(new bytes(24_576));
    }
}
