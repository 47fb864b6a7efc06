// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {VoiceActivityGate} from "../../../contracts/consumer/VoiceActivityGate.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";

/// @notice The speech gate refuses a callback for a check it never asked.
contract VoiceActivityGateTest is Test {
    OPGToken internal token;

    function setUp() public {
        token = new OPGToken(address(this), 1e9 ether);
    }

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
}
