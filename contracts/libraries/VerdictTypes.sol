// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title VerdictTypes
/// @notice EIP-712 type strings, typehashes, struct hashing and invalid-input reason codes shared by
///         the contracts (docs/protocol.md, "EIP-712"). The TypeScript twin is `sdk/eip712.ts`; a test
///         checks both sides agree. Domain: name "Verdict", version "1", chainId, verifyingContract =
///         the request coordinator (use OpenZeppelin `EIP712("Verdict", "1")`).
library VerdictTypes {
    /// @notice Attestation outcome: RESULT (outputHash = keccak256(output)) or INVALID_INPUT
    ///         (outputHash = the reason code as bytes32).
    enum Outcome {
        RESULT,
        INVALID_INPUT
    }

    /// @notice What an operator's signer signs for one request.
    struct Attestation {
        uint256 requestId;
        bytes32 modelHash;
        bytes32 inputHash;
        bytes32 outputHash;
        Outcome outcome;
    }

    /// @notice A gasless request signed by `requester`; anyone may submit it.
    struct InferenceRequest {
        address requester;
        bytes32 modelHash;
        bytes32 inputHash;
        uint8 redundancy;
        uint256 maxFee;
        uint64 deadline;
        uint32 callbackGasLimit;
        uint8 finality;
        address callback;
        uint256 nonce;
        uint64 signatureDeadline;
    }

    bytes32 internal constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 requestId,bytes32 modelHash,bytes32 inputHash,bytes32 outputHash,uint8 outcome)"
    );

    bytes32 internal constant INFERENCE_REQUEST_TYPEHASH = keccak256(
        "InferenceRequest(address requester,bytes32 modelHash,bytes32 inputHash,uint8 redundancy,uint256 maxFee,uint64 deadline,uint32 callbackGasLimit,uint8 finality,address callback,uint256 nonce,uint64 signatureDeadline)"
    );

    /// @notice Invalid-input reason codes (bytes32, left-padded integers).
    bytes32 internal constant REASON_UNDECODABLE = bytes32(uint256(1));
    bytes32 internal constant REASON_NAME_MISMATCH = bytes32(uint256(2));
    bytes32 internal constant REASON_DTYPE_MISMATCH = bytes32(uint256(3));
    bytes32 internal constant REASON_SHAPE_MISMATCH = bytes32(uint256(4));
    bytes32 internal constant REASON_OUT_OF_RANGE = bytes32(uint256(5));
    bytes32 internal constant REASON_INPUT_UNAVAILABLE = bytes32(uint256(6));
    bytes32 internal constant REASON_MODEL_FAILED = bytes32(uint256(7));

    /// @notice True when `reason` is one of the defined reason codes (1..7).
    function isReasonCode(bytes32 reason) internal pure returns (bool) {
        return uint256(reason) >= 1 && uint256(reason) <= 7;
    }

    /// @notice The EIP-712 struct hash of an attestation (feed it to `_hashTypedDataV4`).
    function hash(Attestation memory att) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    ATTESTATION_TYPEHASH,
                    att.requestId,
                    att.modelHash,
                    att.inputHash,
                    att.outputHash,
                    uint8(att.outcome)
                )
            );
    }

    /// @notice The EIP-712 struct hash of a signed inference request (feed it to `_hashTypedDataV4`).
    function hash(InferenceRequest memory req) internal pure returns (bytes32) {
        return
            keccak256(
                bytes.concat(
                    abi.encode(
                        INFERENCE_REQUEST_TYPEHASH,
                        req.requester,
                        req.modelHash,
                        req.inputHash,
                        req.redundancy,
                        req.maxFee,
                        req.deadline
                    ),
                    abi.encode(
                        req.callbackGasLimit,
                        req.finality,
                        req.callback,
                        req.nonce,
                        req.signatureDeadline
                    )
                )
            );
    }
}
