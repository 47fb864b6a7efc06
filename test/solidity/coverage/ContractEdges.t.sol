// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {VoiceActivityGate} from "../../../contracts/consumer/VoiceActivityGate.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {IntegerMlpReferee} from "../../../contracts/referee/IntegerMlpReferee.sol";
import {WeightsStore} from "../../../contracts/referee/WeightsStore.sol";
import {Escrow} from "../../../contracts/requests/Escrow.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";

/// @dev The Escrow base on its own, with its internal credit exposed.
contract EscrowProbe is Escrow {
    constructor(IERC20 token_) Escrow(token_) {}

    function credit(address account, uint256 amount) external {
        _credit(account, amount);
    }
}

contract WeightsDeployer {
    function store(bytes memory data) external returns (address) {
        return WeightsStore.store(data);
    }
}

/// @notice Escrow's permit deposit and zero amounts, the speech gate's unknown callback, and the referee's
///         diagnosis of malformed VTN1 inputs (each reason code a user would see in the dispute).
contract ContractEdgesTest is Test {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    uint256 internal constant OWNER_KEY = 0xA11CE5;

    OPGToken internal token;
    EscrowProbe internal escrow;
    IntegerMlpReferee internal referee;
    address internal owner;

    bytes32 internal constant UNDECODABLE = bytes32(uint256(1));
    bytes32 internal constant SHAPE = bytes32(uint256(4));

    function setUp() public {
        token = new OPGToken(address(this), 1e9 ether);
        escrow = new EscrowProbe(IERC20(address(token)));
        owner = vm.addr(OWNER_KEY);
        token.transfer(owner, 100 ether);
        // The 2x3x2 layout of the referee suite (weights content does not matter for input checks).
        address weights = new WeightsDeployer().store(new bytes(3 * (4 + 2 * 2) + 2 * (4 + 2 * 3)));
        uint256[] memory widths = new uint256[](3);
        (widths[0], widths[1], widths[2]) = (2, 3, 2);
        uint256[] memory divisors = new uint256[](2);
        (divisors[0], divisors[1]) = (10, 3);
        referee = new IntegerMlpReferee(weights, widths, divisors, 1000, "x", "y");
    }

    // ------------------------------------------------------------------ Escrow
    function _permit(uint256 amount, uint256 deadline) internal view returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 structHash = keccak256(
            abi.encode(PERMIT_TYPEHASH, owner, address(escrow), amount, token.nonces(owner), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        return vm.sign(OWNER_KEY, digest);
    }

    function testDepositWithPermitCreditsTheOwner() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        escrow.depositWithPermit(owner, 30 ether, deadline, v, r, s);
        assertEq(escrow.balanceOf(owner), 30 ether, "credited");
        assertEq(token.balanceOf(owner), 70 ether, "pulled from the owner");
        assertEq(token.balanceOf(address(escrow)), 30 ether, "held");
    }

    function testFrontRunPermitStillDeposits() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        token.permit(owner, address(escrow), 30 ether, deadline, v, r, s); // someone used it first
        escrow.depositWithPermit(owner, 30 ether, deadline, v, r, s);
        assertEq(escrow.balanceOf(owner), 30 ether, "credited anyway");
    }

    function testBadPermitWithoutAllowanceLeavesBalancesIntact() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(30 ether, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector,
                address(escrow),
                0,
                31 ether
            )
        );
        escrow.depositWithPermit(owner, 31 ether, deadline, v, r, s); // signed for 30, asks 31
        assertEq(escrow.balanceOf(owner), 0, "nothing credited");
        assertEq(token.balanceOf(owner), 100 ether, "nothing pulled");
    }

    function testZeroDepositIsRefusedAndZeroCreditIsSilent() public {
        token.approve(address(escrow), 1 ether);
        vm.expectRevert(Escrow.ZeroAmount.selector);
        escrow.deposit(address(this), 0);
        escrow.credit(owner, 0);
        assertEq(escrow.balanceOf(owner), 0, "zero credit books nothing");
        escrow.credit(owner, 5);
        assertEq(escrow.balanceOf(owner), 5, "credit books");
    }

    // ------------------------------------------------------------------ VoiceActivityGate
    function testGateRefusesAResultForACheckItNeverAsked() public {
        // This test stands in for the coordinator: the callback comes from the right address.
        VoiceActivityGate gate = new VoiceActivityGate(
            ICoordinator(address(this)),
            IERC20(address(token)),
            bytes32("vad"),
            500_000,
            1 ether
        );
        vm.expectRevert(abi.encodeWithSelector(VoiceActivityGate.UnknownCheck.selector, 42));
        gate.onInferenceResult(42, 0, "", false);
        (address asker, , , ) = gate.checks(42);
        assertEq(asker, address(0), "no check recorded");
    }

    // ------------------------------------------------------------------ referee diagnosis
    function _expectReason(bytes memory input, bytes32 reason) internal view {
        try referee.evaluate(input) returns (bytes memory) {
            revert AssertionFailed("evaluate accepted a malformed input");
        } catch (bytes memory err) {
            assertEq(err, abi.encodeWithSelector(IntegerMlpReferee.RefereeInvalidInput.selector, reason), "reason");
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
        _expectReason(abi.encodePacked("VTN1", uint8(1), uint8(1), "x", uint8(5), uint8(0), uint8(9)), UNDECODABLE);
        _expectReason(
            abi.encodePacked("VTN1", uint8(1), _tensor("x", 1, _dims(2048, 1024), "")),
            UNDECODABLE
        ); // more than 2^20 elements
        uint32[] memory two = new uint32[](1);
        two[0] = 2;
        _expectReason(
            abi.encodePacked("VTN1", uint8(1), _tensor("x", 6, two, hex"0102")),
            UNDECODABLE
        ); // a bool byte above 1
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
