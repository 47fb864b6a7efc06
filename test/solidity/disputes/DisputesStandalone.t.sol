// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Disputes} from "../../../contracts/disputes/Disputes.sol";
import {IDisputes} from "../../../contracts/interfaces/IDisputes.sol";
import {IStakingDisputes} from "../../../contracts/interfaces/IDisputeDeps.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {BlockhashRandomness} from "../../../contracts/randomness/BlockhashRandomness.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {IRefereeCourt} from "../../../contracts/interfaces/IRefereeCourt.sol";
import {AgreementChecker} from "../../../contracts/requests/AgreementChecker.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @notice Disputes' own guards, checked without a protocol around it: this test is both the governance and
///         the "coordinator" address (only the coordinator may open a bond-free dispute). Requests are the
///         empty struct: with no operators, opening locks nobody's stake.
contract DisputesStandaloneTest is Test {
    OPGToken internal token;
    Disputes internal disputes;
    address internal constant STAKING = address(0x57A);
    address internal constant REGISTRY = address(0x4E6);
    address internal constant ARBITER = address(0xA4B);
    address internal constant STRANGER = address(0xBAD);
    address internal randomness;

    function _deploy(address[8] memory a) internal returns (Disputes) {
        return
            new Disputes(
                IERC20(a[0]),
                ICoordinator(a[1]),
                IStakingDisputes(a[2]),
                IRefereeCourt(a[3]),
                AgreementChecker(a[4]),
                a[5],
                a[6],
                IRandomnessSource(a[7])
            );
    }

    function _addresses() internal view returns (address[8] memory) {
        return
            [
                address(token),
                address(this),
                STAKING,
                REGISTRY,
                address(0xC4EC),
                address(this),
                ARBITER,
                randomness
            ];
    }

    function setUp() public {
        token = new OPGToken(address(this), 1e6 ether);
        randomness = address(new BlockhashRandomness());
        disputes = _deploy(_addresses());
    }

    function testConstructorRejectsEveryZeroAddress() public {
        for (uint256 i = 0; i < 8; ++i) {
            address[8] memory a = _addresses();
            a[i] = address(0);
            // The owner (index 5) is Ownable's: a zero owner is OwnableInvalidOwner.
            if (i == 5)
                vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
            else vm.expectRevert(IVerdictErrors.ZeroAddress.selector);
            this.deployWith(a);
        }
    }

    /// @dev External so that expectRevert sees the deployment as the next call.
    function deployWith(address[8] memory a) external returns (Disputes) {
        return _deploy(a);
    }

    function testOnlyTheCoordinatorOpensBondFreeDisputesAndOnlyOnce() public {
        ICoordinator.Request memory req;
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.NotCoordinator.selector, STRANGER));
        vm.prank(STRANGER);
        disputes.onAnswersDisagree(7, req);
        assertTrue(disputes.disputeOf(7).phase == IDisputes.Phase.None, "nothing opened");

        disputes.onAnswersDisagree(7, req);
        IDisputes.Dispute memory d = disputes.disputeOf(7);
        assertTrue(d.phase == IDisputes.Phase.Open, "opened");
        assertEq(d.challenger, address(0), "no challenger");
        assertEq(uint256(d.bondUnits), 0, "no bond");

        vm.expectRevert(abi.encodeWithSelector(IDisputes.DisputeExists.selector, 7));
        disputes.onAnswersDisagree(7, req);
    }

    function testUnknownDisputeIsWrongPhase() public {
        ICoordinator.Request memory req;
        vm.expectRevert(abi.encodeWithSelector(IDisputes.WrongPhase.selector, 99, IDisputes.Phase.None));
        disputes.drawJury(99, req);
    }

    function testNothingToBurn() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputes.NothingToClaim.selector, address(0)));
        disputes.burnPending();
        assertEq(disputes.pendingBurn(), 0, "nothing pending");
    }

    function testArbiterAndOwnershipHandOver() public {
        vm.expectRevert(IVerdictErrors.ZeroAddress.selector);
        disputes.setArbiter(address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        vm.prank(STRANGER);
        disputes.setArbiter(STRANGER);
        assertEq(disputes.arbiter(), ARBITER, "arbiter unchanged");
        disputes.setArbiter(address(0xA4C));
        assertEq(disputes.arbiter(), address(0xA4C), "arbiter set");

        disputes.transferOwnership(address(0x60F));
        assertEq(disputes.owner(), address(this), "owner unchanged until the accept");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        vm.prank(STRANGER);
        disputes.acceptOwnership();
        vm.prank(address(0x60F));
        disputes.acceptOwnership();
        assertEq(disputes.owner(), address(0x60F), "ownership handed over");
        assertEq(disputes.pendingOwner(), address(0), "nothing pending");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        disputes.setArbiter(ARBITER);
    }

    function testVoteKeys() public view {
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        assertEq(
            bytes32(disputes.voteKey(1, a)),
            bytes32(disputes.voteKey(1, b)),
            "invalid votes count together"
        );
        assertTrue(disputes.voteKey(0, a) != disputes.voteKey(0, b), "results differ by output");
        assertTrue(
            disputes.voteKey(0, bytes32(0)) != disputes.voteKey(1, bytes32(0)),
            "outcome is in the key"
        );
        assertEq(
            bytes32(disputes.voteKey(0, a)),
            bytes32(bytes31(keccak256(abi.encode(uint8(0), a)))),
            "formula"
        );
    }
}
