// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {TensorLib} from "../libraries/TensorLib.sol";
import {VerdictTypes} from "../libraries/VerdictTypes.sol";

/// @title TensorLibHarness
/// @notice Test-only: exposes TensorLib and VerdictTypes so the TypeScript SDK can be checked against
///         them. Batch functions keep cross-language fuzzing to a few eth_calls.
contract TensorLibHarness is EIP712("Verdict", "1") {
    /// @notice Decodes (validating) `input` into tensors with their values.
    function decode(bytes calldata input) public pure returns (TensorLib.TensorData[] memory out) {
        bytes memory b = input;
        TensorLib.Tensor[] memory ts = TensorLib.decode(b);
        out = new TensorLib.TensorData[](ts.length);
        for (uint256 i = 0; i < ts.length; ++i) {
            out[i] = TensorLib.TensorData(
                ts[i].name,
                ts[i].dtype,
                ts[i].scale,
                ts[i].dims,
                TensorLib.values(b, ts[i])
            );
        }
    }

    /// @notice For each input: its decoded tensors and their re-encoding.
    function roundTripMany(
        bytes[] calldata inputs
    ) external pure returns (TensorLib.TensorData[][] memory decoded, bytes[] memory reencoded) {
        decoded = new TensorLib.TensorData[][](inputs.length);
        reencoded = new bytes[](inputs.length);
        for (uint256 i = 0; i < inputs.length; ++i) {
            decoded[i] = decode(inputs[i]);
            reencoded[i] = TensorLib.encode(decoded[i]);
        }
    }

    /// @notice Reverts unless `input` is valid VTN1.
    function validate(bytes calldata input) external pure {
        TensorLib.validate(input);
    }

    /// @notice For each input: empty when valid, else the revert data of `validate`.
    function validateMany(bytes[] calldata inputs) external view returns (bytes[] memory errors) {
        errors = new bytes[](inputs.length);
        for (uint256 i = 0; i < inputs.length; ++i) {
            try this.validate(inputs[i]) {} catch (bytes memory reason) {
                errors[i] = reason;
            }
        }
    }

    /// @notice TensorLib.count.
    function count(bytes calldata input) external pure returns (uint256) {
        return TensorLib.count(input);
    }

    /// @notice TensorLib.at.
    function at(bytes calldata input, uint256 index) external pure returns (TensorLib.Tensor memory) {
        return TensorLib.at(input, index);
    }

    /// @notice TensorLib.find.
    function find(
        bytes calldata input,
        string calldata name
    ) external pure returns (TensorLib.Tensor memory) {
        return TensorLib.find(input, name);
    }

    /// @notice Element `i` of tensor `name`.
    function readInt(bytes calldata input, string calldata name, uint256 i) external pure returns (int256) {
        bytes memory b = input;
        return TensorLib.readInt(b, TensorLib.find(b, name), i);
    }

    /// @notice TensorLib.agree.
    function agree(bytes calldata a, bytes calldata b, uint256 tolerance) external pure returns (bool) {
        return TensorLib.agree(a, b, tolerance);
    }

    /// @notice TensorLib.encodeSingle.
    function encodeSingle(
        string calldata name,
        uint8 dtype,
        uint8 scale,
        uint32[] calldata dims,
        int256[] calldata data
    ) external pure returns (bytes memory) {
        return TensorLib.encodeSingle(name, dtype, scale, dims, data);
    }

    /// @notice TensorLib.encode.
    function encode(TensorLib.TensorData[] calldata tensors) external pure returns (bytes memory) {
        return TensorLib.encode(tensors);
    }

    /// @notice VerdictTypes.ATTESTATION_TYPEHASH.
    function attestationTypehash() external pure returns (bytes32) {
        return VerdictTypes.ATTESTATION_TYPEHASH;
    }

    /// @notice VerdictTypes.INFERENCE_REQUEST_TYPEHASH.
    function inferenceRequestTypehash() external pure returns (bytes32) {
        return VerdictTypes.INFERENCE_REQUEST_TYPEHASH;
    }

    /// @notice The EIP-712 domain separator of this contract.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The EIP-712 digest of `att` under this contract's domain.
    function attestationDigest(VerdictTypes.Attestation calldata att) public view returns (bytes32) {
        return _hashTypedDataV4(VerdictTypes.hash(att));
    }

    /// @notice The signer of `att` under this contract's domain.
    function recoverAttestation(
        VerdictTypes.Attestation calldata att,
        bytes calldata signature
    ) external view returns (address) {
        return ECDSA.recover(attestationDigest(att), signature);
    }

    /// @notice The EIP-712 digest of `req` under this contract's domain.
    function inferenceRequestDigest(
        VerdictTypes.InferenceRequest calldata req
    ) public view returns (bytes32) {
        return _hashTypedDataV4(VerdictTypes.hash(req));
    }

    /// @notice The signer of `req` under this contract's domain.
    function recoverInferenceRequest(
        VerdictTypes.InferenceRequest calldata req,
        bytes calldata signature
    ) external view returns (address) {
        return ECDSA.recover(inferenceRequestDigest(req), signature);
    }

    /// @notice A reason code's bytes32 form, as VerdictTypes defines them.
    function reasonCodes() external pure returns (bytes32[10] memory) {
        return
            [
                VerdictTypes.REASON_UNDECODABLE,
                VerdictTypes.REASON_NAME_MISMATCH,
                VerdictTypes.REASON_DTYPE_MISMATCH,
                VerdictTypes.REASON_SHAPE_MISMATCH,
                VerdictTypes.REASON_OUT_OF_RANGE,
                VerdictTypes.REASON_INPUT_UNAVAILABLE,
                VerdictTypes.REASON_MODEL_FAILED,
                VerdictTypes.REASON_MODEL_UNAVAILABLE,
                VerdictTypes.REASON_DECLINED,
                VerdictTypes.REASON_OUTPUT_TOO_LARGE
            ];
    }

    /// @notice For codes 0..15: 1 when VerdictTypes accepts it for INVALID_INPUT, 2 for CANNOT_SERVE, else 0.
    function reasonOutcomes() external pure returns (uint8[16] memory out) {
        for (uint256 i = 0; i < 16; ++i) {
            if (VerdictTypes.isInvalidInputReason(bytes32(i))) out[i] = 1;
            else if (VerdictTypes.isCannotServeReason(bytes32(i))) out[i] = 2;
        }
    }
}
