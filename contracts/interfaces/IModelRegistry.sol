// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IVerdictErrors} from "./IVerdictErrors.sol";

/// @title IModelRegistry
/// @notice Models identified by the sha256 of their ONNX bytes, with what a request needs to price,
///         run, check and settle an inference.
interface IModelRegistry is IVerdictErrors {
    /// @notice What the request path reads, packed in one storage slot.
    struct ModelTerms {
        uint96 feePerInference; // paid to each assigned operator's pool, before royalty and treasury cuts
        uint32 disputeWindow; // seconds an answer stays disputable
        uint64 tolerance; // agreement tolerance, in integer units of the output encoding
        uint16 royaltyBps; // share of the fee paid to the model owner
        uint8 defaultRedundancy; // k when a request asks for 0
        uint8 outputScale; // decimal digits of fixed64 outputs
        bool active;
    }

    /// @notice Everything registered about a model.
    struct Model {
        ModelTerms terms;
        address owner;
        address referee; // on-chain twin (IReferee) or address(0)
        bytes32 modelCardHash;
        string ioSchema; // JSON: {"inputs":[{"name","dtype","shape"}],"outputs":[...]}
        string[] uris;
    }

    /// @notice A scheduled fee increase: applied by `applyFee` from `effectiveAt` on.
    struct PendingFee {
        uint96 feePerInference;
        uint64 effectiveAt;
    }

    /// @notice Registration input.
    struct ModelSpec {
        bytes32 modelHash;
        string[] uris;
        string ioSchema;
        uint8 outputScale;
        uint64 tolerance;
        uint96 feePerInference;
        uint16 royaltyBps;
        uint32 disputeWindow;
        uint8 defaultRedundancy;
        address referee;
        bytes32 modelCardHash;
    }

    error ModelAlreadyRegistered(bytes32 modelHash);
    error UnknownModel(bytes32 modelHash);
    error ModelInactive(bytes32 modelHash);
    error NotModelOwner(bytes32 modelHash, address caller);
    error ZeroModelHash();
    error NoURIs();
    error EmptySchema();
    error RoyaltyTooHigh(uint16 royaltyBps, uint16 maxBps);
    error DisputeWindowOutOfBounds(uint32 window, uint32 min, uint32 max);
    error ScaleTooLarge(uint8 scale);
    error ZeroOwner();
    error TermsListenerAlreadySet(address listener);
    error ZeroListener();
    error NoPendingFee(bytes32 modelHash);
    error FeeNotYetEffective(bytes32 modelHash, uint64 effectiveAt);

    event ModelRegistered(bytes32 indexed modelHash, address indexed owner, ModelSpec spec);
    event ModelURIsChanged(bytes32 indexed modelHash, string[] uris);
    event ModelFeeChanged(bytes32 indexed modelHash, uint96 feePerInference);
    /// @notice A fee increase was scheduled; it can be applied from `effectiveAt` on.
    event ModelFeeIncreaseScheduled(bytes32 indexed modelHash, uint96 feePerInference, uint64 effectiveAt);
    event ModelOwnershipTransferred(bytes32 indexed modelHash, address indexed from, address indexed to);
    event ModelDeactivated(bytes32 indexed modelHash);
    event TermsListenerSet(address indexed listener);

    /// @notice The terms the request path reads (reverts for an unknown model).
    function terms(bytes32 modelHash) external view returns (ModelTerms memory);

    /// @notice The terms as one word, laid out as they are stored (Solidity packing, first field lowest):
    ///         feePerInference bits 0-95, disputeWindow 96-127, tolerance 128-191, royaltyBps 192-207,
    ///         defaultRedundancy 208-215, outputScale 216-223, active 224-231. Reverts for an unknown model.
    function packedTerms(bytes32 modelHash) external view returns (uint256);

    /// @notice The contract told about every change of a model's terms (the request coordinator, which
    ///         keeps a copy), or address(0).
    function termsListener() external view returns (address);

    /// @notice The owner that receives royalties (the coordinator credits a model's accrued royalties to its
    ///         owner at claim time).
    function ownerOf(bytes32 modelHash) external view returns (address);

    /// @notice The model's on-chain referee, or address(0).
    function refereeOf(bytes32 modelHash) external view returns (address);

    /// @notice Emitted when the terms listener (the coordinator) suspends a model that distinct operators
    ///         kept reporting as unavailable.
    event ModelSuspended(bytes32 indexed modelHash);

    error NotTermsListener(address caller);

    /// @notice Deactivates a model on the coordinator's word (distinct operators' MODEL_UNAVAILABLE answers
    ///         on requests nobody served). Only the terms listener.
    function suspend(bytes32 modelHash) external;
}

/// @title ITermsListener
/// @notice Told by the registry whenever a model's terms change (fee, deactivation), so a copy can be dropped.
interface ITermsListener {
    function onTermsChanged(bytes32 modelHash) external;
}
