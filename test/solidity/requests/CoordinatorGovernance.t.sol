// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {ModelRegistry} from "../../../contracts/models/ModelRegistry.sol";
import {AgreementChecker} from "../../../contracts/requests/AgreementChecker.sol";
import {Coordinator} from "../../../contracts/requests/Coordinator.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @notice The coordinator's timelocked parameters and the registry's lookups of unknown models: every
///         out-of-bounds value and every stranger is refused with a typed error and leaves the parameters as
///         they were; in-bounds values take effect.
contract GovernanceTest is Test {
    OPGToken internal token;
    ModelRegistry internal registry;
    Coordinator internal coordinator;
    address internal constant TREASURY = address(0x7EA5);
    address internal constant STRANGER = address(0xBAD);
    bytes32 internal constant UNKNOWN = keccak256("no such model");

    function setUp() public {
        token = new OPGToken(address(this), 1_000_000 ether);
        registry = new ModelRegistry();
        coordinator = new Coordinator(
            IERC20(address(token)),
            IStaking(address(0x57A4E)),
            registry,
            new AgreementChecker(),
            address(this),
            TREASURY,
            IRandomnessSource(address(0))
        );
    }

    function _params()
        internal
        view
        returns (
            uint16 treasuryBps,
            uint16 missBps,
            uint32 cap,
            uint32 defDeadline,
            uint32 maxDeadline,
            uint32 jail
        )
    {
        (, treasuryBps, missBps, cap, defDeadline, maxDeadline, jail, , ) = coordinator.params();
    }

    function _paramsHash() internal view returns (bytes32) {
        (uint16 a, uint16 b, uint32 c, uint32 d, uint32 e, uint32 f) = _params();
        return keccak256(abi.encode(a, b, c, d, e, f, coordinator.treasury(), coordinator.governance()));
    }

    function test_constructorRefusesZeroGovernanceOrTreasury() public {
        AgreementChecker checker = new AgreementChecker();
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("governance"), 0)
        );
        new Coordinator(
            IERC20(address(token)),
            IStaking(address(1)),
            registry,
            checker,
            address(0),
            TREASURY,
            IRandomnessSource(address(0))
        );
        // A zero treasury is named as such (it was reported as "governance").
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("treasury"), 0)
        );
        new Coordinator(
            IERC20(address(token)),
            IStaking(address(1)),
            registry,
            checker,
            address(this),
            address(0),
            IRandomnessSource(address(0))
        );
    }

    function test_strangersCannotGovern() public {
        bytes32 before = _paramsHash();
        bytes memory notGov = abi.encodeWithSelector(IVerdictErrors.NotGovernance.selector, STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.setTreasury(STRANGER, 0);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.setCallbackGasCap(1);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.setDeadlines(1, 2);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.setMissPenalty(0, 0);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.transferGovernance(STRANGER);
        assertEq(_paramsHash(), before, "a stranger changed a parameter");
    }

    function test_outOfBoundsValuesAreRefusedAndChangeNothing() public {
        bytes32 before = _paramsHash();
        uint16 maxTreasury = coordinator.MAX_TREASURY_BPS();
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerdictErrors.InvalidParameter.selector,
                bytes32("treasuryBps"),
                maxTreasury + 1
            )
        );
        coordinator.setTreasury(TREASURY, maxTreasury + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("treasury"), 0)
        );
        coordinator.setTreasury(address(0), 100);

        uint32 maxCap = coordinator.MAX_CALLBACK_GAS_CAP();
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerdictErrors.InvalidParameter.selector,
                bytes32("callbackGasCap"),
                maxCap + 1
            )
        );
        coordinator.setCallbackGasCap(maxCap + 1);

        bytes32 deadline = bytes32("deadline");
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, deadline, 600));
        coordinator.setDeadlines(0, 600); // no default
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, deadline, 600));
        coordinator.setDeadlines(601, 600); // default beyond the longest
        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, deadline, 7 days + 1)
        );
        coordinator.setDeadlines(600, 7 days + 1); // longest beyond a week

        uint16 maxMiss = coordinator.MAX_MISS_PENALTY_BPS();
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerdictErrors.InvalidParameter.selector,
                bytes32("missPenaltyBps"),
                maxMiss + 1
            )
        );
        coordinator.setMissPenalty(maxMiss + 1, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerdictErrors.InvalidParameter.selector,
                bytes32("missJailDuration"),
                30 days + 1
            )
        );
        coordinator.setMissPenalty(0, 30 days + 1);

        vm.expectRevert(
            abi.encodeWithSelector(IVerdictErrors.InvalidParameter.selector, bytes32("governance"), 0)
        );
        coordinator.transferGovernance(address(0));
        assertEq(_paramsHash(), before, "a refused value changed a parameter");
    }

    function test_inBoundsValuesTakeEffect() public {
        coordinator.setTreasury(address(0x7EA6), 2_000);
        coordinator.setCallbackGasCap(2_000_000);
        coordinator.setDeadlines(60, 7 days);
        coordinator.setMissPenalty(500, 30 days);
        (
            uint16 treasuryBps,
            uint16 missBps,
            uint32 cap,
            uint32 defDeadline,
            uint32 maxDeadline,
            uint32 jail
        ) = _params();
        assertEq(coordinator.treasury(), address(0x7EA6), "treasury");
        assertEq(treasuryBps, 2_000, "treasuryBps");
        assertEq(cap, 2_000_000, "callbackGasCap");
        assertEq(defDeadline, 60, "defaultDeadline");
        assertEq(maxDeadline, 7 days, "maxDeadline");
        assertEq(missBps, 500, "missPenaltyBps");
        assertEq(jail, 30 days, "missJailDuration");

        coordinator.transferGovernance(address(0x71E10C));
        assertEq(coordinator.governance(), address(0x71E10C), "governance");
        vm.expectRevert(abi.encodeWithSelector(IVerdictErrors.NotGovernance.selector, address(this)));
        coordinator.setCallbackGasCap(1); // the old governance is out
    }

    function test_onlyTheRegistryMayDropATermsCopy() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(ICoordinator.NotRegistry.selector, STRANGER));
        coordinator.onTermsChanged(UNKNOWN);
    }

    function test_unknownModelsAreTypedErrors() public {
        bytes memory unknown = abi.encodeWithSelector(IModelRegistry.UnknownModel.selector, UNKNOWN);
        vm.expectRevert(unknown);
        registry.ownerOf(UNKNOWN);
        vm.expectRevert(unknown);
        registry.getModel(UNKNOWN);
        vm.expectRevert(unknown);
        registry.packedTerms(UNKNOWN);
        vm.expectRevert(unknown);
        registry.setFee(UNKNOWN, 1);
        vm.expectRevert(unknown);
        registry.deactivate(UNKNOWN);
        assertEq(registry.refereeOf(UNKNOWN), address(0), "an unknown model has no referee");
        assertEq(coordinator.royaltiesOf(UNKNOWN), 0, "an unknown model has no royalties");
        assertEq(coordinator.claimRoyalties(UNKNOWN), 0, "claiming nothing credits nothing");
        assertEq(coordinator.balanceOf(address(this)), 0, "nothing was credited");
        assertEq(coordinator.treasury(), TREASURY, "treasury unchanged");
    }
}
