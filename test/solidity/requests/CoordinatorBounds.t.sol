// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OPGToken} from "../../../contracts/token/OPGToken.sol";
import {Staking} from "../../../contracts/staking/Staking.sol";
import {ModelRegistry} from "../../../contracts/models/ModelRegistry.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {IRandomnessSource} from "../../../contracts/interfaces/IRandomnessSource.sol";
import {ICoordinator} from "../../../contracts/interfaces/ICoordinator.sol";
import {AgreementChecker} from "../../../contracts/requests/AgreementChecker.sol";
import {Coordinator} from "../../../contracts/requests/Coordinator.sol";
import {VerdictTypes} from "../../../contracts/libraries/VerdictTypes.sol";
import {Test, Vm} from "../utils/Test.sol";

/// @notice Issue 15.8: every value inside a governed bound keeps every path working. Each fuzz run sets every
///         coordinator parameter to a value inside its bounds (as governance may), then drives a request
///         through expiry (one answer in, one missing: the penalised path), through finalize, and through an
///         expiry nobody answered: none may revert, and every fee ends refunded or paid.
contract CoordinatorBoundsTest is Test {
    OPGToken internal token;
    Staking internal staking;
    ModelRegistry internal registry;
    Coordinator internal coordinator;
    address internal constant TREASURY = address(0x7EA5);
    address internal constant REQUESTER = address(0xBEEF);
    bytes32 internal constant MODEL = keccak256("bounds-model");
    address[3] internal ops = [address(0x0B1), address(0x0B2), address(0x0B3)];
    uint256[3] internal keys = [uint256(0xB0B1), uint256(0xB0B2), uint256(0xB0B3)];

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OPGToken(address(this), 1e9 ether);
        staking = new Staking(IERC20(address(token)), address(this));
        registry = new ModelRegistry();
        coordinator = new Coordinator(
            IERC20(address(token)),
            IStaking(address(staking)),
            IModelRegistry(address(registry)),
            new AgreementChecker(),
            address(this),
            TREASURY,
            IRandomnessSource(address(0))
        );
        staking.setFeeSource(address(coordinator));
        staking.setSlashers(address(coordinator), address(0xD15));
        registry.setTermsListener(address(coordinator));
        for (uint256 i; i < 3; ++i) {
            token.transfer(ops[i], 20_000 ether);
            vm.startPrank(ops[i]);
            token.approve(address(staking), type(uint256).max);
            staking.registerOperator(vm.addr(keys[i]), 1_000, "x", 20_000 ether);
            vm.stopPrank();
        }
        vm.roll(block.number + staking.EPOCH_BLOCKS()); // the registered weights count from the next epoch
        string[] memory uris = new string[](1);
        uris[0] = "file://m.onnx";
        registry.register(
            IModelRegistry.ModelSpec({
                modelHash: MODEL,
                uris: uris,
                ioSchema: "{}",
                outputScale: 0,
                tolerance: 0,
                feePerInference: 2 ether,
                royaltyBps: 500,
                disputeWindow: 60,
                defaultRedundancy: 2,
                referee: address(0),
                modelCardHash: bytes32(0)
            })
        );
        token.transfer(REQUESTER, 1_000 ether);
        vm.startPrank(REQUESTER);
        token.approve(address(coordinator), type(uint256).max);
        coordinator.deposit(REQUESTER, 1_000 ether);
        vm.stopPrank();
    }

    struct Knobs {
        uint16 treasuryBps;
        uint32 callbackGasCap;
        uint32 defaultDeadline;
        uint32 maxDeadline;
        uint16 missBps;
        uint32 jail;
        uint16 minAnswerTime;
        uint32 missWindow;
        uint8 missesToJail;
        uint8 strikes;
        uint32 gasPrice;
    }

    /// @dev Sets every parameter to the fuzzed value, bounded into what each setter accepts.
    function _govern(Knobs memory k) internal {
        k.minAnswerTime = uint16(bound(k.minAnswerTime, 10, 1 hours));
        k.maxDeadline = uint32(bound(k.maxDeadline, k.minAnswerTime, 7 days));
        k.defaultDeadline = uint32(bound(k.defaultDeadline, k.minAnswerTime, k.maxDeadline));
        // setDeadlines needs default >= the current minAnswerTime; setLiveness needs minAnswerTime <= default.
        coordinator.setDeadlines(7 days, 7 days);
        coordinator.setLiveness(
            k.minAnswerTime,
            uint32(bound(k.missWindow, 1 hours, 30 days)),
            uint8(bound(k.missesToJail, 1, 100))
        );
        coordinator.setDeadlines(k.defaultDeadline, k.maxDeadline);
        coordinator.setTreasury(TREASURY, uint16(bound(k.treasuryBps, 0, 2_000)));
        coordinator.setCallbackGasCap(uint32(bound(k.callbackGasCap, 0, 2_000_000)));
        coordinator.setMissPenalty(uint16(bound(k.missBps, 0, 500)), uint32(bound(k.jail, 0, 30 days)));
        coordinator.setModelStrikes(uint8(bound(k.strikes, 2, 32)));
        coordinator.setCallbackGasPrice(uint32(bound(k.gasPrice, 0, 1_000_000)));
    }

    function _request() internal returns (uint256 id, ICoordinator.Request memory r) {
        bytes memory input = abi.encodePacked(bytes5(0x56544e3100));
        id = coordinator.nextRequestId();
        bytes32 inputHash = keccak256(input);
        (, uint16 treasuryBps, , , uint32 defaultDeadline, , , , ) = coordinator.params();
        vm.prank(REQUESTER);
        coordinator.requestInference(
            ICoordinator.RequestParams({
                modelHash: MODEL,
                input: input,
                inputHash: bytes32(0),
                inputURI: "",
                redundancy: 0,
                maxFee: 4 ether,
                deadline: 0,
                callback: address(0),
                callbackGasLimit: 0,
                finality: ICoordinator.Finality.Fast
            })
        );
        r.requester = REQUESTER;
        r.modelHash = MODEL;
        r.inputHash = inputHash;
        r.feePerOperator = 2 ether;
        r.deadline = uint64(block.timestamp) + defaultDeadline;
        r.disputeWindow = 60;
        r.royaltyBps = 500;
        r.treasuryBps = treasuryBps;
        r.redundancy = 2;
        r.finality = ICoordinator.Finality.Fast;
        assertEq(
            bytes32(coordinator.requestState(id).commitment),
            bytes32(coordinator.commitmentOf(r)),
            "requested"
        );
        // The draw: one block later, from the ticket's value and the request id only. The operators are read from
        // OperatorsAssigned (what relayers do), and checked against the draw anyone recomputes from its seed. The
        // ticket (the request's block) is read back from the state: under viaIR a test's `block.number` may be
        // a value read before an earlier vm.roll.
        uint256 ticket = coordinator.requestState(id).windowEnds;
        vm.roll(ticket + 1);
        vm.recordLogs();
        assertTrue(coordinator.assign(id, r), "assign");
        (address[] memory drawn, uint256 usedTicket, bytes32 seed) = _assignment(id);
        assertEq(usedTicket, ticket, "ticket");
        _sameOperators(staking.selectOperators(uint256(seed), 2, new address[](0)), drawn);
        r.operators = drawn;
        assertEq(
            bytes32(coordinator.requestState(id).commitment),
            bytes32(coordinator.commitmentOf(r)),
            "commitment"
        );
    }

    /// @dev The OperatorsAssigned of `id` among the logs recorded since `vm.recordLogs()`.
    function _assignment(uint256 id) internal returns (address[] memory drawn, uint256 ticket, bytes32 seed) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length < 2 || logs[i].topics[0] != ICoordinator.OperatorsAssigned.selector)
                continue;
            if (uint256(logs[i].topics[1]) != id) continue;
            return abi.decode(logs[i].data, (address[], uint256, bytes32));
        }
        revert AssertionFailed("no OperatorsAssigned");
    }

    function _sameOperators(address[] memory a, address[] memory b) internal pure {
        assertEq(a.length, b.length, "k");
        for (uint256 i; i < a.length; ++i) assertEq(a[i], b[i], "operator");
    }

    function _answer(uint256 id, ICoordinator.Request memory r, uint8 index) internal {
        bytes memory output = abi.encodePacked(bytes5(0x56544e3100));
        bytes32 structHash = keccak256(
            abi.encode(
                VerdictTypes.ATTESTATION_TYPEHASH,
                id,
                r.modelHash,
                r.inputHash,
                keccak256(output),
                uint8(0)
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", coordinator.domainSeparator(), structHash));
        uint256 key;
        for (uint256 i; i < 3; ++i) if (ops[i] == r.operators[index]) key = keys[i];
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, digest);
        coordinator.submitAnswer(
            id,
            r,
            ICoordinator.Answer(index, 0, output, abi.encodePacked(rr, s, v)),
            ""
        );
    }

    function testFuzz_everyBoundKeepsExpireAndFinalizeWorking(Knobs memory k) public {
        _govern(k);
        uint256 start = coordinator.balanceOf(REQUESTER);

        // One answer in, one missing: expire refunds and penalises the missing operator (or not, at 0).
        (uint256 id, ICoordinator.Request memory r) = _request();
        _answer(id, r, 0);
        vm.warp(r.deadline + 1);
        coordinator.expire(id, r);
        assertEq(uint8(coordinator.requestState(id).status), uint8(ICoordinator.Status.Expired), "expired");
        assertEq(coordinator.balanceOf(REQUESTER), start, "refund");

        // Nobody answered: expire refunds, nobody is penalised.
        (id, r) = _request();
        uint256 pool0 = staking.poolAssets(r.operators[0]);
        vm.warp(r.deadline + 1);
        coordinator.expire(id, r);
        assertEq(staking.poolAssets(r.operators[0]), pool0, "no penalty when nobody served");
        assertEq(coordinator.balanceOf(REQUESTER), start, "refund");

        // Both answer: finalize pays out (whoever is jailed by now still answers its own request).
        (id, r) = _request();
        _answer(id, r, 0);
        _answer(id, r, 1);
        vm.warp(block.timestamp + 61);
        coordinator.finalize(id, r, "");
        assertEq(
            uint8(coordinator.requestState(id).status),
            uint8(ICoordinator.Status.Finalized),
            "finalized"
        );
        assertEq(coordinator.balanceOf(REQUESTER), start - 4 ether, "paid");
    }
}
