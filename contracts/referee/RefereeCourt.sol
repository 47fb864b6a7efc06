// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IReferee} from "../interfaces/IReferee.sol";
import {IRefereeCourt} from "../interfaces/IRefereeCourt.sol";

/// @title RefereeCourt
/// @notice The admission registry of on-chain referees and the place they are run (docs/referee.md,
///         "Admission"). Registration of a model stays permissionless and its owner still names a referee, but
///         that referee decides nothing until governance (the timelock, so anyone can check the proposal
///         during its delay) admits it for that model with the code hashes it reviewed: the referee's
///         EXTCODEHASH (its immutables include its weights contract's address) and the weights contract's
///         EXTCODEHASH (its code is the packed weights). A referee whose code no longer matches, or a model
///         whose registered referee is another one, has no referee: the dispute goes to the committee.
contract RefereeCourt is IRefereeCourt, Ownable2Step {
    uint8 private constant OUTCOME_INVALID_INPUT = 1;

    IModelRegistry public immutable registry;
    mapping(bytes32 modelHash => Admission) private _admissions;

    /// @param registry_ The model registry. @param owner_ Admits and revokes referees ({owner}): the governance
    ///        timelock, from construction (the court needs no wiring).
    constructor(IModelRegistry registry_, address owner_) Ownable(owner_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    /// @notice Admits `referee` as the judge of `modelHash`. The model must name it as its referee, and the
    ///         code deployed at `referee` and `weights` must hash to `codeHash` and `weightsCodeHash`, the
    ///         hashes the governance proposal states (reviewers recompute the referee's output on the ONNX
    ///         file's test vectors during the timelock delay). `weights` may be address(0) for a referee
    ///         whose parameters are all in its own code. Replaces an earlier admission. Owner (timelock) only.
    function admit(
        bytes32 modelHash,
        address referee,
        bytes32 codeHash,
        address weights,
        bytes32 weightsCodeHash
    ) external onlyOwner {
        if (registry.refereeOf(modelHash) != referee || referee == address(0))
            revert NotModelReferee(modelHash, referee);
        _checkCode(referee, codeHash);
        if (weights != address(0)) _checkCode(weights, weightsCodeHash);
        else weightsCodeHash = bytes32(0);
        _admissions[modelHash] = Admission(referee, codeHash, weights, weightsCodeHash);
        emit RefereeAdmitted(modelHash, referee, codeHash, weights, weightsCodeHash);
    }

    /// @notice Withdraws the admission of the referee of `modelHash`: its disputes go to the committee.
    ///         Owner (timelock) only.
    function revoke(bytes32 modelHash) external onlyOwner {
        address referee = _admissions[modelHash].referee;
        if (referee == address(0)) revert NoReferee(modelHash);
        delete _admissions[modelHash];
        emit RefereeRevoked(modelHash, referee);
    }

    /// @notice The admission recorded for `modelHash` (zero when none).
    function admissionOf(bytes32 modelHash) external view returns (Admission memory) {
        return _admissions[modelHash];
    }

    /// @inheritdoc IRefereeCourt
    function admittedReferee(bytes32 modelHash) public view returns (address) {
        Admission storage a = _admissions[modelHash];
        address referee = a.referee;
        if (referee == address(0) || referee.codehash != a.codeHash) return address(0);
        address weights = a.weights;
        if (weights != address(0) && weights.codehash != a.weightsCodeHash) return address(0);
        if (registry.refereeOf(modelHash) != referee) return address(0);
        return referee;
    }

    /// @inheritdoc IRefereeCourt
    function evaluate(
        uint256 disputeId,
        bytes32 modelHash,
        bytes calldata input
    ) external view returns (uint8 outcome, bytes memory output) {
        address referee = admittedReferee(modelHash);
        if (referee == address(0)) revert NoReferee(modelHash);
        try IReferee(referee).evaluate(input) returns (bytes memory out) {
            return (0, out);
        } catch (bytes memory reason) {
            // An empty revert is out of gas or a bug, never a verdict: a caller must not be able to turn a
            // starved call into "invalid input".
            if (reason.length < 4) revert RefereeFailed(disputeId);
            return (OUTCOME_INVALID_INPUT, abi.encode(_reasonOf(reason)));
        }
    }

    function _checkCode(address target, bytes32 expected) private view {
        bytes32 actual = target.codehash;
        if (target.code.length == 0 || actual != expected) revert CodeHashMismatch(target, expected, actual);
    }

    /// @dev The reason code of a referee revert: the first argument of a one-word custom error, else 1
    ///      ("undecodable").
    function _reasonOf(bytes memory revertData) private pure returns (bytes32 reason) {
        if (revertData.length == 36) {
            assembly ("memory-safe") {
                reason := mload(add(revertData, 36))
            }
        }
        if (reason == bytes32(0)) reason = bytes32(uint256(1));
    }
}
