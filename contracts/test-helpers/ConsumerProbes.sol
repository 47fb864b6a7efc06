// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerdictConsumer} from "../interfaces/IVerdictConsumer.sol";

/// @notice Test consumer: records every delivery.
contract RecordingConsumer is IVerdictConsumer {
    struct Delivery {
        uint256 requestId;
        uint8 outcome;
        bytes output;
        bool corrected;
        uint256 gasLeft;
    }

    Delivery[] public deliveries;

    function onInferenceResult(
        uint256 requestId,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) external {
        deliveries.push(Delivery(requestId, outcome, output, corrected, gasleft()));
    }

    function deliveryCount() external view returns (uint256) {
        return deliveries.length;
    }
}

/// @notice Test consumer: always reverts.
contract RevertingConsumer is IVerdictConsumer {
    error NoThanks();

    function onInferenceResult(uint256, uint8, bytes calldata, bool) external pure {
        revert NoThanks();
    }
}

/// @notice Test consumer: burns all the gas it is given, then returns a huge payload attempt.
contract GasBurningConsumer is IVerdictConsumer {
    function onInferenceResult(uint256, uint8, bytes calldata, bool) external pure {
        while (true) {}
    }
}

/// @notice Test consumer: tries to re-enter the coordinator from the callback.
contract ReentrantConsumer is IVerdictConsumer {
    address public immutable coordinator;
    bool public reentered;

    error ReentryBlocked();

    constructor(address coordinator_) {
        coordinator = coordinator_;
    }

    function onInferenceResult(uint256, uint8, bytes calldata, bool) external {
        (bool ok, ) = coordinator.call(
            abi.encodeWithSignature("withdraw(address,uint256)", address(this), 1)
        );
        reentered = ok;
        if (!ok) revert ReentryBlocked();
    }
}

/// @notice Test consumer: returns 1 MB of data, to check the coordinator never copies return data.
contract ReturnBombConsumer is IVerdictConsumer {
    function onInferenceResult(uint256, uint8, bytes calldata, bool) external pure {
        assembly ("memory-safe") {
            return(0, 1000000)
        }
    }
}
