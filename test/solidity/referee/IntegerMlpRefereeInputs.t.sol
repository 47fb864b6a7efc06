// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IntegerMlpReferee} from "../../../contracts/referee/IntegerMlpReferee.sol";
import {WeightsStore} from "../../../contracts/referee/WeightsStore.sol";
import {Test} from "../utils/Test.sol";

contract WeightsDeployer {
    function store(bytes memory data) external returns (address) {
        return WeightsStore.store(data);
    }
}

/// @notice The referee's diagnosis of malformed VTN1 inputs (each reason code a user would see in the dispute).
contract IntegerMlpRefereeInputsTest is Test {
    IntegerMlpReferee internal referee;

    bytes32 internal constant UNDECODABLE = bytes32(uint256(1));
    bytes32 internal constant SHAPE = bytes32(uint256(4));

    function setUp() public {
        // The 2x3x2 layout of the referee suite (weights content does not matter for input checks).
        address weights = new WeightsDeployer().store(new bytes(3 * (4 + 2 * 2) + 2 * (4 + 2 * 3)));
        uint256[] memory widths = new uint256[](3);
        (widths[0], widths[1], widths[2]) = (2, 3, 2);
        uint256[] memory divisors = new uint256[](2);
        (divisors[0], divisors[1]) = (10, 3);
        referee = new IntegerMlpReferee(weights, widths, divisors, 1000, "x", "y");
    }

    function _expectReason(bytes memory input, bytes32 reason) internal view {
        try referee.evaluate(input) returns (bytes memory) {
            revert AssertionFailed("evaluate accepted a malformed input");
        } catch (bytes memory err) {
            assertEq(
                err,
                abi.encodeWithSelector(IntegerMlpReferee.RefereeInvalidInput.selector, reason),
                "reason"
            );
        }
    }

    /// @dev One tensor: name, dtype, scale 0, dims, raw data bytes.
    function _tensor(
        bytes memory name,
        uint8 dtype,
        uint32[] memory dims,
        bytes memory data
    ) internal pure returns (bytes memory out) {
        out = abi.encodePacked(uint8(name.length), name, dtype, uint8(0), uint8(dims.length));
        for (uint256 i = 0; i < dims.length; ++i) out = abi.encodePacked(out, dims[i]);
        out = abi.encodePacked(out, data);
    }

    function _dims(uint32 a, uint32 b) internal pure returns (uint32[] memory d) {
        d = new uint32[](2);
        (d[0], d[1]) = (a, b);
    }

    function _x() internal pure returns (bytes memory) {
        return _tensor("x", 5, _dims(1, 2), new bytes(16));
    }

    function testDiagnosesMalformedInputs() public view {
        _expectReason(abi.encodePacked("VTN1", uint8(33)), UNDECODABLE); // too many tensors
        _expectReason(abi.encodePacked("VTN1", uint8(2), _x()), UNDECODABLE); // count above content
        _expectReason(abi.encodePacked("VTN1", uint8(1), uint8(0), uint24(0)), UNDECODABLE); // empty name
        _expectReason(
            abi.encodePacked("VTN1", uint8(1), _tensor("x y", 5, _dims(1, 2), new bytes(16))),
            UNDECODABLE
        ); // a space is not a name character
        _expectReason(
            abi.encodePacked("VTN1", uint8(2), _tensor("y", 5, _dims(1, 2), new bytes(16)), _x()),
            UNDECODABLE
        ); // names not ascending
        _expectReason(
            abi.encodePacked("VTN1", uint8(1), uint8(1), "x", uint8(5), uint8(0), uint8(9)),
            UNDECODABLE
        );
        _expectReason(
            abi.encodePacked("VTN1", uint8(1), _tensor("x", 1, _dims(2048, 1024), "")),
            UNDECODABLE
        ); // more than 2^20 elements
        uint32[] memory two = new uint32[](1);
        two[0] = 2;
        _expectReason(abi.encodePacked("VTN1", uint8(1), _tensor("x", 6, two, hex"0102")), UNDECODABLE); // a bool byte above 1
    }

    function testPrefixNameIsAscendingAndTheFirstProblemWins() public view {
        // "x" (wrong shape) then "xa" (a valid extra tensor): "x" < "xa" by length, so decoding goes on and
        // the first problem, the shape of "x", is the reason.
        bytes memory input = abi.encodePacked(
            "VTN1",
            uint8(2),
            _tensor("x", 5, _dims(1, 3), new bytes(24)),
            _tensor("xa", 6, _dims(1, 2), hex"0001")
        );
        _expectReason(input, SHAPE);
    }
}
