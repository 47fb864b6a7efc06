// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {ModelRegistry} from "../../../contracts/models/ModelRegistry.sol";
import {AgreementChecker} from "../../../contracts/requests/AgreementChecker.sol";
import {Coordinator} from "../../../contracts/requests/Coordinator.sol";
import {Settlement} from "../../../contracts/requests/Settlement.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Test} from "../utils/Test.sol";
import {IVerdictErrors} from "../../../contracts/interfaces/IVerdictErrors.sol";

/// @notice The coordinator's timelocked parameters and the registry's lookups of unknown models: every
///         out-of-bounds value and every stranger is refused with a typed error and leaves the parameters as
///         they were; in-bounds values take effect. Ownership (Ownable2Step) moves in two steps, and the
///         owner {Coordinator} reports is the one {Settlement}'s setters obey (one storage layout).
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
        return keccak256(abi.encode(a, b, c, d, e, f, coordinator.treasury(), coordinator.owner()));
    }

    function test_constructorRefusesZeroOwnerOrTreasury() public {
        AgreementChecker checker = new AgreementChecker();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new Coordinator(
            IERC20(address(token)),
            IStaking(address(1)),
            registry,
            checker,
            address(0),
            TREASURY,
            IRandomnessSource(address(0))
        );
        // A zero treasury is named as such.
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
        bytes memory notGov = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER);
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
        coordinator.setMaxOutput(4_096);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.setDisputeHook(STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(notGov);
        coordinator.transferOwnership(STRANGER);
        assertEq(_paramsHash(), before, "a stranger changed a parameter");
        assertEq(coordinator.pendingOwner(), address(0), "a stranger named a pending owner");
        assertEq(coordinator.disputeHook(), address(0), "a stranger set the dispute hook");
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
    }

    function test_ownershipMovesOnlyWhenThePendingOwnerAccepts() public {
        address timelock = address(0x71E10C);
        coordinator.transferOwnership(timelock);
        assertEq(coordinator.pendingOwner(), timelock, "pending");
        assertEq(coordinator.owner(), address(this), "the deployer still owns it until the accept");
        // Until the accept, the deployer still governs (Settlement's setters read the same owner slot) ...
        coordinator.setCallbackGasCap(7);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, timelock));
        coordinator.setCallbackGasCap(8);
        // ... and nobody but the pending owner can accept.
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        coordinator.acceptOwnership();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        coordinator.acceptOwnership();
        assertEq(coordinator.owner(), address(this), "owner unchanged by refused accepts");

        vm.prank(timelock);
        coordinator.acceptOwnership();
        assertEq(coordinator.owner(), timelock, "accepted");
        assertEq(coordinator.pendingOwner(), address(0), "nothing pending");
        vm.prank(timelock);
        coordinator.setCallbackGasCap(9);
        (, , uint32 cap, , , ) = _params();
        assertEq(cap, 9, "the new owner governs through Settlement");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        coordinator.setCallbackGasCap(1); // the deployer is out
    }

    function test_registryOwnerNamesTheTermsListenerOnlyAndHandsOverInTwoSteps() public {
        address timelock = address(0x71E10C);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        registry.setTermsListener(STRANGER);
        registry.transferOwnership(timelock);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER));
        registry.acceptOwnership();
        assertEq(registry.owner(), address(this), "still the deployer's");
        vm.prank(timelock);
        registry.acceptOwnership();
        assertEq(registry.owner(), timelock, "the timelock owns the registry");
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        registry.setTermsListener(address(coordinator));
        assertEq(registry.termsListener(), address(0), "nobody named a listener");
        // The listener is still set once only, by the owner.
        vm.prank(timelock);
        registry.setTermsListener(address(coordinator));
        vm.prank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(IModelRegistry.TermsListenerAlreadySet.selector, address(coordinator))
        );
        registry.setTermsListener(STRANGER);
    }

    function test_settlementAloneHasNoOwner() public {
        Settlement settlement = Settlement(coordinator.settlement());
        assertEq(settlement.owner(), address(0), "nobody owns the Settlement's own storage");
        // Not even the coordinator that created it, nor the coordinator's owner.
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(coordinator))
        );
        vm.prank(address(coordinator));
        settlement.setCallbackGasCap(1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        settlement.setCallbackGasCap(1);
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
