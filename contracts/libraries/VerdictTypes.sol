// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title VerdictTypes
/// @notice EIP-712 type strings, typehashes, struct hashing and invalid-input reason codes shared by
///         the contracts (docs/protocol.md, "EIP-712"). The TypeScript twin is `sdk/eip712.ts`; a test
///         checks both sides agree. Domain: name "Verdict", version "1", chainId, verifyingContract =
///         the request coordinator (use OpenZeppelin `EIP712("Verdict", "1")`).
library VerdictTypes {
    /// @notice Attestation outcome: RESULT (outputHash = keccak256(output)), INVALID_INPUT or CANNOT_SERVE
    ///         (outputHash = the reason code as bytes32; each outcome accepts only its own codes).
    enum Outcome {
        RESULT,
        INVALID_INPUT,
        CANNOT_SERVE
    }

    /// @notice What an operator's signer signs for one request.
    struct Attestation {
        uint256 requestId;
        bytes32 modelHash;
        bytes32 inputHash;
        bytes32 outputHash;
        Outcome outcome;
    }

    /// @notice A gasless request signed by `requester`; anyone may submit it. The input's form is bound:
    ///         `inputKind` 0 inline (inputURI ""), 1 hash + URI; `inputURI` is hashed as EIP-712 strings are.
    struct InferenceRequest {
        address requester;
        bytes32 modelHash;
        bytes32 inputHash;
        uint8 inputKind;
        string inputURI;
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
        "InferenceRequest(address requester,bytes32 modelHash,bytes32 inputHash,uint8 inputKind,string inputURI,uint8 redundancy,uint256 maxFee,uint64 deadline,uint32 callbackGasLimit,uint8 finality,address callback,uint256 nonce,uint64 signatureDeadline)"
    );

    /// @notice Reason codes (bytes32, left-padded integers), one numbering for both outcomes that carry one.
    ///         INVALID_INPUT: 1..5 and 7. CANNOT_SERVE: 6, 9, 10, 11. 8 is the dispute contract's UNDECIDED.
    bytes32 internal constant REASON_UNDECODABLE = bytes32(uint256(1));
    bytes32 internal constant REASON_NAME_MISMATCH = bytes32(uint256(2));
    bytes32 internal constant REASON_DTYPE_MISMATCH = bytes32(uint256(3));
    bytes32 internal constant REASON_SHAPE_MISMATCH = bytes32(uint256(4));
    bytes32 internal constant REASON_OUT_OF_RANGE = bytes32(uint256(5));
    /// @notice CANNOT_SERVE: the input URI cannot be fetched (or its bytes do not hash to inputHash).
    bytes32 internal constant REASON_INPUT_UNAVAILABLE = bytes32(uint256(6));
    bytes32 internal constant REASON_MODEL_FAILED = bytes32(uint256(7));
    /// @notice CANNOT_SERVE: the model's bytes cannot be fetched or do not hash to modelHash.
    bytes32 internal constant REASON_MODEL_UNAVAILABLE = bytes32(uint256(9));
    /// @notice CANNOT_SERVE: the operator has not opted in to this model or cannot run it (resources, time).
    bytes32 internal constant REASON_DECLINED = bytes32(uint256(10));
    /// @notice CANNOT_SERVE: the output is larger than the coordinator's maxOutput.
    bytes32 internal constant REASON_OUTPUT_TOO_LARGE = bytes32(uint256(11));

    /// @notice True when `reason` is a defined INVALID_INPUT code (1..5, 7) or CANNOT_SERVE code (6, 9..11).
    function isReasonCode(bytes32 reason) internal pure returns (bool) {
        return isInvalidInputReason(reason) || isCannotServeReason(reason);
    }

    /// @notice True for the INVALID_INPUT reason codes: 1..5 and 7.
    function isInvalidInputReason(bytes32 reason) internal pure returns (bool) {
        uint256 r = uint256(reason);
        return r >= 1 && r <= 7 && r != 6;
    }

    /// @notice True for the CANNOT_SERVE reason codes: 6 and 9..11.
    function isCannotServeReason(bytes32 reason) internal pure returns (bool) {
        uint256 r = uint256(reason);
        return r == 6 || (r >= 9 && r <= 11);
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
                        req.inputKind,
                        keccak256(bytes(req.inputURI)),
                        req.redundancy
                    ),
                    abi.encode(
                        req.maxFee,
                        req.deadline,
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
