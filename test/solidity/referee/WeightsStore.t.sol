// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {WeightsStore} from "../../../contracts/referee/WeightsStore.sol";
import {Test} from "../utils/Test.sol";

/// @dev Exposes WeightsStore.store.
contract WeightsStoreProbe {
    function store(bytes memory data) external returns (address) {
        return WeightsStore.store(data);
    }
}

/// @notice WeightsStore's data contract deployment fails typed when starved of gas.
contract WeightsStoreTest is Test {
    WeightsStoreProbe internal probe;

    function setUp() public {
        probe = new WeightsStoreProbe();
    }

    function testStarvedDataContractDeploymentIsTyped() public {
        bytes memory big = new bytes(WeightsStore.MAX_DATA);
        // The code deposit alone costs 200 gas a byte (~4.9M): with 2M the CREATE fails.
        vm.expectRevert(WeightsStore.WeightsDeployFailed.selector);
        probe.store{gas: 2_000_000}(big);
        address pointer = probe.store(big);
        assertEq(pointer.code.length, WeightsStore.MAX_DATA + 1, "deploys with enough gas");
    }
}
