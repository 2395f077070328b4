// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IOperatorRegistry } from "../interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "../interfaces/IRoamingAgreements.sol";
import { IUsageClearing } from "../interfaces/IUsageClearing.sol";
import { ClearingHashes } from "../libraries/ClearingHashes.sol";
import { ClearingStorage } from "../libraries/ClearingStorage.sol";
import { RateCard } from "../libraries/RateCard.sol";
import { TariffHash } from "../libraries/TariffHash.sol";
import { Batch, BatchHeader, BatchStatus, BatchTotals, ClearingConfig, Lane } from "../types/ClearingTypes.sol";
import { Tariff } from "../types/RatingTypes.sol";

/// @title ClearingBase
/// @notice What {UsageClearing} and its challenge module {UsageChallenges} share: the registry and agreements they
/// read, and the checks of a batch's terms, tariff, caller and window. State lives in {ClearingStorage}.
abstract contract ClearingBase {
    using SafeCast for uint256;

    /// @dev The most records of one batch the home network may dispute ({IUsageClearing.MAX_DISPUTES}): what
    /// `Batch.disputed` counts.
    uint256 internal constant DISPUTE_LIMIT = type(uint16).max;

    /// @dev Running volumes are uint64, four per storage word, by plan position in the base tariff; so are a batch's
    /// remaining volumes ({ClearingStorage.Layout.batchVolumes}), each stored plus one.
    uint256 internal constant VOLUME_MASK = type(uint64).max;

    /// @dev A batch-volume word whose four fields hold zero (each field is the volume plus one).
    uint256 internal constant EMPTY_VOLUMES = 0x0000000000000001000000000000000100000000000000010000000000000001;

    /// @dev The operator registry.
    IOperatorRegistry internal immutable _registry;

    /// @dev The roaming agreements contract.
    IRoamingAgreements internal immutable _agreements;

    /// @dev What the calls about one submitted batch need from its agreement, checked once.
    struct Context {
        bytes32 batchId;
        bytes32 periodKey;
        uint32 vpmn;
        uint32 hpmn;
        uint8 decimals;
        bytes32 laneRoot;
        // Where the base tariff's rate card was copied in memory ({RateCard.load}).
        uint256 card;
    }

    constructor(IOperatorRegistry registry_, IRoamingAgreements agreements_) {
        if (address(registry_) == address(0)) revert IUsageClearing.UsageClearing_ZeroAddress("registry");
        if (address(agreements_) == address(0)) revert IUsageClearing.UsageClearing_ZeroAddress("agreements");
        _registry = registry_;
        _agreements = agreements_;
    }

    /// @dev The context of a submitted batch (whose header is authentic: it hashes to a stored batch, so its base
    /// tariff is the one its terms named, whose rate card exists): its period key, parties, the token's decimals, its
    /// lane root and its base tariff's rate card, from the agreement's clearing records.
    function _context(bytes32 batchId, BatchHeader calldata header) internal view returns (Context memory ctx) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        ClearingConfig memory c = $.configs[header.agreementId];
        Lane memory laneState = $.lanes[header.agreementId][header.direction];
        (ctx.vpmn, ctx.hpmn) = _parties(c.partyA, c.partyB, header.direction);
        ctx.batchId = batchId;
        uint256 period = (header.periodStart - laneState.validFrom) / laneState.periodLength;
        ctx.periodKey = _periodKey(header.agreementId, header.direction, period);
        ctx.decimals = laneState.decimals;
        ctx.laneRoot = _laneRoot(header.agreementId, header.direction, header.root);
        ctx.card = RateCard.load($.rateCards[header.baseTariff]);
    }

    /// @dev Reverts unless `totals` hash to the header's `totals`.
    function _checkTotals(BatchHeader calldata header, BatchTotals calldata totals) internal pure {
        bytes32 given = ClearingHashes.hashTotals(totals);
        if (given != header.totals) revert IUsageClearing.UsageClearing_TotalsMismatch(header.totals, given);
    }

    function _checkTariff(bytes32 expected, Tariff calldata tariff) internal pure {
        bytes32 given = TariffHash.ofCalldata(tariff);
        if (given != expected) revert IUsageClearing.UsageClearing_TariffMismatch(expected, given);
    }

    /// @dev Reverts unless the caller is the admin or an active signer key of `operatorId`.
    function _requireAccount(uint32 operatorId) internal view {
        (bool isAdmin, bool isActiveSigner, ) = _registry.accessOf(msg.sender, operatorId);
        if (!isAdmin && !isActiveSigner) revert IUsageClearing.UsageClearing_NotOperatorAccount(operatorId, msg.sender);
    }

    function _getBatch(bytes32 batchId) internal view returns (Batch memory b) {
        b = ClearingStorage.layout().batches[batchId];
        if (b.status == BatchStatus.None) revert IUsageClearing.UsageClearing_UnknownBatch(batchId);
    }

    /// @dev A pending batch whose window is open (it can still be accepted, rejected, disputed or challenged).
    function _openBatch(bytes32 batchId) internal view returns (Batch memory b) {
        b = _getBatch(batchId);
        if (b.status != BatchStatus.Pending || block.timestamp >= b.finalAt) {
            revert IUsageClearing.UsageClearing_WindowClosed(batchId, b.status, b.finalAt);
        }
    }

    /// @dev Takes up to `volume` from what the batch at `laneRoot` still counts at plan `position` of its period;
    /// returns the volume taken: a record's removal never takes more than its own batch added (a record whose service
    /// the batch's totals left out, or whose batch has nothing left of it, removes nothing).
    function _takeBatchVolume(bytes32 laneRoot, uint256 position, uint256 volume) internal returns (uint256 taken) {
        mapping(uint256 word => uint256 packed) storage words = ClearingStorage.layout().batchVolumes[laneRoot];
        uint256 word = words[position >> 2];
        uint256 shift = (position & 3) << 6;
        uint256 field = (word >> shift) & VOLUME_MASK;
        if (field <= 1) return 0; // 0: a word the batch never wrote; 1: nothing left
        taken = volume < field - 1 ? volume : field - 1;
        // The field stays >= 1: no borrow into the next field.
        if (taken != 0) words[position >> 2] = word - (taken << shift);
    }

    /// @dev The key of a batch's root on its lane, under which its remaining volumes are kept.
    function _laneRoot(bytes32 agreementId, uint8 direction, bytes32 root) internal pure returns (bytes32 key) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            mstore(m, agreementId)
            mstore(add(m, 0x20), direction)
            mstore(add(m, 0x40), root)
            key := keccak256(m, 0x60)
        }
    }

    function _volumeAt(bytes32 key, uint256 position) internal view returns (uint256) {
        return (ClearingStorage.layout().volumes[key][position >> 2] >> ((position & 3) << 6)) & VOLUME_MASK;
    }

    function _checkDirection(uint8 direction) internal pure {
        if (direction > 1) revert IUsageClearing.UsageClearing_InvalidDirection(direction);
    }

    /// @dev Direction 0: party A is the visited network (it charges), party B the home network (it pays).
    function _parties(uint32 partyA, uint32 partyB, uint8 direction) internal pure returns (uint32 vpmn, uint32 hpmn) {
        (vpmn, hpmn) = direction == 0 ? (partyA, partyB) : (partyB, partyA);
    }

    /// @dev Where the cached submission terms of (`termsHash`, `direction`, `baseTariff`) are.
    function _submissionKey(
        bytes32 termsHash,
        uint8 direction,
        bytes32 baseTariff
    ) internal pure returns (bytes32 key) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            mstore(m, termsHash)
            mstore(add(m, 0x20), direction)
            mstore(add(m, 0x40), baseTariff)
            key := keccak256(m, 0x60)
        }
    }

    function _periodKey(bytes32 agreementId, uint8 direction, uint256 period) internal pure returns (bytes32) {
        return keccak256(abi.encode(agreementId, direction, period));
    }
}
