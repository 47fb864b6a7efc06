// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IModelRegistry, ITermsListener} from "../interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Registers ONNX models by the sha256 of their bytes. The hash never changes: a new version is a
///         new model. A model's owner may change its URIs, fee and ownership, and deactivate it; nothing else.
///         The registry itself has an {owner} (Ownable2Step: the deployer while it wires the protocol, then the
///         governance timelock) whose only power is naming the terms listener, once.
contract ModelRegistry is IModelRegistry, Ownable2Step {
    /// @notice Highest royalty a model owner may take, in bps of the fee.
    uint16 public constant MAX_ROYALTY_BPS = 3_000;
    /// @notice Bounds on a model's dispute window (seconds). The lower bound allows devnet presets.
    uint32 public constant MIN_DISPUTE_WINDOW = 30;
    uint32 public constant MAX_DISPUTE_WINDOW = 7 days;
    /// @notice Highest redundancy (k) a model may default to; the coordinator has the same bound.
    uint8 public constant MAX_REDUNDANCY = 8;
    /// @notice Highest fixed64 scale (decimal digits) an output may use.
    uint8 public constant MAX_SCALE = 18;
    /// @notice How long a fee increase waits before {applyFee} can apply it: longer than any request's life
    ///         (the coordinator's largest allowed deadline, 7 days, plus the largest dispute window, 7 days),
    ///         so a request never pays a fee raised after it was sent or signed. Decreases apply at once.
    uint32 public constant FEE_INCREASE_DELAY = 15 days;

    mapping(bytes32 modelHash => Model) private _models;
    bytes32[] private _modelHashes;
    mapping(bytes32 modelHash => PendingFee) private _pendingFees;

    /// @inheritdoc IModelRegistry
    address public termsListener;
    /// @notice The deployer owns the registry until it hands it to the timelock ({transferOwnership}, then
    ///         the timelock's {acceptOwnership}).
    constructor() Ownable(msg.sender) {}

    modifier onlyModelOwner(bytes32 modelHash) {
        address modelOwner = _models[modelHash].owner;
        if (modelOwner == address(0)) revert UnknownModel(modelHash);
        if (modelOwner != msg.sender) revert NotModelOwner(modelHash, msg.sender);
        _;
    }

    /// @notice Registers a model; the caller becomes its owner.
    /// @param spec The model's hash, URIs, I/O schema, scale, tolerance, fee, royalty, window,
    ///        redundancy, optional referee and model-card hash.
    function register(ModelSpec calldata spec) external {
        if (spec.modelHash == bytes32(0)) revert ZeroModelHash();
        if (_models[spec.modelHash].owner != address(0)) revert ModelAlreadyRegistered(spec.modelHash);
        if (spec.uris.length == 0) revert NoURIs();
        if (bytes(spec.ioSchema).length == 0) revert EmptySchema();
        if (spec.royaltyBps > MAX_ROYALTY_BPS) revert RoyaltyTooHigh(spec.royaltyBps, MAX_ROYALTY_BPS);
        if (spec.disputeWindow < MIN_DISPUTE_WINDOW || spec.disputeWindow > MAX_DISPUTE_WINDOW) {
            revert DisputeWindowOutOfBounds(spec.disputeWindow, MIN_DISPUTE_WINDOW, MAX_DISPUTE_WINDOW);
        }
        if (spec.defaultRedundancy == 0 || spec.defaultRedundancy > MAX_REDUNDANCY) {
            revert RedundancyOutOfBounds(spec.defaultRedundancy, MAX_REDUNDANCY);
        }
        if (spec.outputScale > MAX_SCALE) revert ScaleTooLarge(spec.outputScale);

        Model storage model = _models[spec.modelHash];
        model.terms = ModelTerms({
            feePerInference: spec.feePerInference,
            disputeWindow: spec.disputeWindow,
            tolerance: spec.tolerance,
            royaltyBps: spec.royaltyBps,
            defaultRedundancy: spec.defaultRedundancy,
            outputScale: spec.outputScale,
            active: true
        });
        model.owner = msg.sender;
        model.referee = spec.referee;
        model.modelCardHash = spec.modelCardHash;
        model.ioSchema = spec.ioSchema;
        _setURIs(model, spec.uris);
        _modelHashes.push(spec.modelHash);
        emit ModelRegistered(spec.modelHash, msg.sender, spec);
    }

    /// @notice Sets the contract told about every change of a model's terms: the request coordinator, which
    ///         keeps a copy of the terms it reads. Once, by the owner (the deployer, while wiring the protocol).
    function setTermsListener(address listener) external onlyOwner {
        if (termsListener != address(0)) revert TermsListenerAlreadySet(termsListener);
        if (listener == address(0)) revert ZeroListener();
        termsListener = listener;
        emit TermsListenerSet(listener);
    }

    /// @notice Replaces the URIs the model's bytes can be fetched from. The hash stays.
    function setURIs(bytes32 modelHash, string[] calldata uris) external onlyModelOwner(modelHash) {
        if (uris.length == 0) revert NoURIs();
        _setURIs(_models[modelHash], uris);
        emit ModelURIsChanged(modelHash, uris);
    }

    /// @notice Changes the fee per inference. A decrease (or the same fee) applies at once and cancels a
    ///         pending increase; an increase is only scheduled: {applyFee} applies it from
    ///         `now + FEE_INCREASE_DELAY` on (a later call replaces it and restarts the delay). Until then
    ///         requests pay the current fee ({packedTerms} shows only the fee in force). Requests already made
    ///         keep the fee they escrowed.
    function setFee(bytes32 modelHash, uint96 feePerInference) external onlyModelOwner(modelHash) {
        if (feePerInference <= _models[modelHash].terms.feePerInference) {
            delete _pendingFees[modelHash];
            _applyFee(modelHash, feePerInference);
            return;
        }
        uint64 effectiveAt = uint64(block.timestamp) + FEE_INCREASE_DELAY;
        _pendingFees[modelHash] = PendingFee(feePerInference, effectiveAt);
        emit ModelFeeIncreaseScheduled(modelHash, feePerInference, effectiveAt);
    }

    /// @notice Applies a scheduled fee increase once its delay has passed. Anyone may call.
    function applyFee(bytes32 modelHash) external {
        PendingFee memory p = _pendingFees[modelHash];
        if (p.effectiveAt == 0) revert NoPendingFee(modelHash);
        if (block.timestamp < p.effectiveAt) revert FeeNotYetEffective(modelHash, p.effectiveAt);
        delete _pendingFees[modelHash];
        _applyFee(modelHash, p.feePerInference);
    }

    /// @notice The scheduled fee increase of a model (zero when none).
    function pendingFee(bytes32 modelHash) external view returns (PendingFee memory) {
        return _pendingFees[modelHash];
    }

    function _applyFee(bytes32 modelHash, uint96 feePerInference) private {
        _models[modelHash].terms.feePerInference = feePerInference;
        emit ModelFeeChanged(modelHash, feePerInference);
        _termsChanged(modelHash);
    }

    /// @notice Hands the model to `newOwner`, with its royalties: the coordinator accrues royalties per model
    ///         and credits them to whoever owns the model when they are claimed, so a seller claims first.
    function transferModelOwnership(bytes32 modelHash, address newOwner) external onlyModelOwner(modelHash) {
        if (newOwner == address(0)) revert ZeroOwner();
        _models[modelHash].owner = newOwner;
        emit ModelOwnershipTransferred(modelHash, msg.sender, newOwner);
    }

    /// @notice Stops new requests for the model. Open requests settle as usual. Irreversible: a model
    ///         that should come back is registered again under a new hash.
    function deactivate(bytes32 modelHash) external onlyModelOwner(modelHash) {
        _models[modelHash].terms.active = false;
        emit ModelDeactivated(modelHash);
        _termsChanged(modelHash);
    }

    /// @dev Tells the listener (the coordinator) to drop its copy of the model's terms.
    function _termsChanged(bytes32 modelHash) private {
        address listener = termsListener;
        if (listener != address(0)) ITermsListener(listener).onTermsChanged(modelHash);
    }

    function _setURIs(Model storage model, string[] calldata uris) private {
        delete model.uris;
        for (uint256 i = 0; i < uris.length; ++i) {
            model.uris.push(uris[i]);
        }
    }

    /// @inheritdoc IModelRegistry
    /// @dev One SLOAD: a registered model's terms are never all zero (its dispute window is at least
    ///      MIN_DISPUTE_WINDOW), so a zero window means the model is unknown.
    function terms(bytes32 modelHash) external view returns (ModelTerms memory t) {
        t = _models[modelHash].terms;
        if (t.disputeWindow == 0) revert UnknownModel(modelHash);
    }

    /// @inheritdoc IModelRegistry
    function packedTerms(bytes32 modelHash) external view returns (uint256 word) {
        Model storage model = _models[modelHash];
        assembly ("memory-safe") {
            word := sload(model.slot) // `terms` is the first member: one slot
        }
        if (word == 0) revert UnknownModel(modelHash);
    }

    /// @inheritdoc IModelRegistry
    function ownerOf(bytes32 modelHash) external view returns (address) {
        address modelOwner = _models[modelHash].owner;
        if (modelOwner == address(0)) revert UnknownModel(modelHash);
        return modelOwner;
    }

    /// @inheritdoc IModelRegistry
    function refereeOf(bytes32 modelHash) external view returns (address) {
        return _models[modelHash].referee;
    }

    /// @notice The whole record of a model.
    function getModel(bytes32 modelHash) external view returns (Model memory) {
        Model storage model = _models[modelHash];
        if (model.owner == address(0)) revert UnknownModel(modelHash);
        return model;
    }

    /// @notice Number of models ever registered.
    function modelCount() external view returns (uint256) {
        return _modelHashes.length;
    }

    /// @notice The hash of the `index`-th registered model.
    function modelAt(uint256 index) external view returns (bytes32) {
        return _modelHashes[index];
    }

    /// @inheritdoc IModelRegistry
    /// @dev Like {deactivate}, but by the terms listener (the coordinator, on the strike rule of
    ///      docs/protocol.md, "Cannot serve"). Irreversible, as a deactivation.
    function suspend(bytes32 modelHash) external {
        if (msg.sender != termsListener || msg.sender == address(0)) revert NotTermsListener(msg.sender);
        if (_models[modelHash].owner == address(0)) revert UnknownModel(modelHash);
        _models[modelHash].terms.active = false;
        emit ModelSuspended(modelHash);
        _termsChanged(modelHash);
    }
}
