// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICoordinator} from "../interfaces/ICoordinator.sol";
import {TensorLib} from "../libraries/TensorLib.sol";
import {VerdictConsumer} from "./VerdictConsumer.sol";

/// @title VoiceActivityGate
/// @notice An example dApp acting on a real model's answer: it asks Silero VAD whether a 32 ms audio frame
///         holds speech and records the verdict (e.g. to open a voice-gated action). It reads the model's
///         canonical output with {TensorLib}: tensor "output", fixed64, the speech probability at the
///         model's scale. A correction (a lost dispute) overwrites the verdict. Who pays follows
///         {VerdictConsumer}: the owner and its allowed askers from the gate's prepaid balance (at most the
///         fee cap per check), anyone else from its own pocket.
contract VoiceActivityGate is VerdictConsumer {
    /// @notice The Silero VAD model (sha256 of its ONNX bytes).
    bytes32 public immutable modelHash;
    /// @notice Speech when probability ≥ threshold (in the output's fixed-point units, e.g. 500000 = 0.5 at scale 6).
    int256 public immutable threshold;

    enum Verdict {
        Pending,
        Speech,
        NoSpeech,
        Rejected // the operators judged the frame invalid
    }

    struct Check {
        address asker;
        Verdict verdict;
        bool corrected;
        int64 probability;
    }

    mapping(uint256 requestId => Check) public checks;

    event SpeechChecked(uint256 indexed requestId, address indexed asker);
    event SpeechVerdict(uint256 indexed requestId, Verdict verdict, int256 probability, bool corrected);

    error UnknownCheck(uint256 requestId);

    /// @param feeCap_ The most one check paid from the gate's prepaid balance may cost.
    constructor(
        ICoordinator coordinator_,
        IERC20 token_,
        bytes32 modelHash_,
        int256 threshold_,
        uint256 feeCap_
    ) VerdictConsumer(coordinator_, token_, feeCap_) {
        modelHash = modelHash_;
        threshold = threshold_;
    }

    /// @notice The fee token (kept for callers of the first version of this example).
    function token() external view returns (IERC20) {
        return feeToken;
    }

    /// @notice Asks whether `frame` (a canonical Silero VAD input: input, sr, state) holds speech. The owner
    ///         and allowed askers spend the gate's prepaid balance; anyone else pays (approve `maxFee` to the
    ///         gate; the unspent part comes back in the same transaction).
    /// @param maxFee The most this check may cost.
    function checkSpeech(bytes calldata frame, uint256 maxFee) external returns (uint256 requestId) {
        requestId = _request(modelHash, frame, maxFee, 120_000, ICoordinator.Finality.Fast);
        checks[requestId].asker = msg.sender;
        emit SpeechChecked(requestId, msg.sender);
    }

    function _onResult(
        uint256 requestId,
        uint8 outcome,
        bytes calldata output,
        bool corrected
    ) internal override {
        Check storage check = checks[requestId];
        if (check.asker == address(0)) revert UnknownCheck(requestId);
        check.corrected = corrected;
        if (outcome != 0) {
            check.verdict = Verdict.Rejected;
            emit SpeechVerdict(requestId, Verdict.Rejected, 0, corrected);
            return;
        }
        TensorLib.Tensor[] memory tensors = TensorLib.decode(output);
        TensorLib.Tensor memory probability = TensorLib.get(tensors, "output");
        int256 p = TensorLib.readInt(output, probability, 0);
        check.probability = int64(p);
        check.verdict = p >= threshold ? Verdict.Speech : Verdict.NoSpeech;
        emit SpeechVerdict(requestId, check.verdict, p, corrected);
    }
}
