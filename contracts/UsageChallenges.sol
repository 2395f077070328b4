// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { MerkleProof } from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { ClearingBase } from "./abstracts/ClearingBase.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { IUsageClearing } from "./interfaces/IUsageClearing.sol";
import { ClearingHashes } from "./libraries/ClearingHashes.sol";
import { ClearingStorage } from "./libraries/ClearingStorage.sol";
import { Rating } from "./libraries/Rating.sol";
import { TariffHash } from "./libraries/TariffHash.sol";
import { AgreementTerms } from "./types/AgreementTypes.sol";
import {
    Batch,
    BatchHeader,
    BatchStatus,
    BatchTotals,
    FraudKind,
    PeriodCorrections,
    RecordLeaf,
    RecordMultiProof,
    RecordProof
} from "./types/ClearingTypes.sol";
import { ServicePlan, Tariff } from "./types/RatingTypes.sol";

/// @title UsageChallenges
/// @notice The challenge half of {UsageClearing}: rejections, disputes and fraud proofs. {UsageClearing} deploys it in
/// its constructor and `delegatecall`s it for these four functions, so it runs on {UsageClearing}'s state
/// ({ClearingStorage}) and emits {UsageClearing}'s events; documentation in {IUsageClearing}. Split off to keep each
/// contract under the 24,576-byte code size limit. Calling it directly reverts.
contract UsageChallenges is ClearingBase {
    using SafeCast for uint256;
    using SafeCast for int256;

    /// @dev This contract's own address, to refuse calls that are not `delegatecall`s from {UsageClearing}.
    address private immutable _self;

    /// @notice Thrown when the module is called directly instead of through {UsageClearing}.
    error UsageChallenges_DirectCall();

    modifier onlyDelegated() {
        if (address(this) == _self) revert UsageChallenges_DirectCall();
        _;
    }

    /// @param registry_ The operator registry ({UsageClearing}'s).
    /// @param agreements_ The roaming agreements contract ({UsageClearing}'s).
    constructor(IOperatorRegistry registry_, IRoamingAgreements agreements_) ClearingBase(registry_, agreements_) {
        _self = address(this);
    }

    /// @notice See {IUsageClearing.reject}.
    function reject(
        BatchHeader calldata header,
        BatchTotals calldata totals,
        uint16 reasonCode,
        AgreementTerms calldata terms,
        Tariff calldata baseTariff,
        RecordMultiProof calldata challenged
    ) external onlyDelegated {
        // Checks.
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        _loadTerms(header, terms, baseTariff);
        Context memory ctx = _context(batchId, header, baseTariff);
        _requireAccount(ctx.hpmn);
        if (reasonCode != 100 && reasonCode != 101 && reasonCode != 102 && reasonCode != 109) {
            revert IUsageClearing.UsageClearing_InvalidReasonCode(reasonCode);
        }
        uint256 n = challenged.leaves.length;
        if (n != b.challenged) revert IUsageClearing.UsageClearing_ChallengedCountMismatch(batchId, b.challenged, n);
        _checkTotals(header, totals);
        if (n != 0) _verifyMultiProof(batchId, header.root, challenged);

        // Effects: the batch's volumes leave the period, except those of its challenged records (they left already).
        uint256 marginal = _removeBatchVolumes(ctx, totals, baseTariff, challenged.leaves);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        _addDrift(ctx.periodKey, marginal.toInt256() - int256(uint256(b.charge)));
        _trackTaxes(totals, terms.conditions[header.direction], ctx.periodKey, false);
        $.stats[ctx.vpmn].batchesRejected += 1;
        $.batches[batchId] = Batch({
            finalAt: b.finalAt,
            status: BatchStatus.Rejected,
            charge: 0,
            held: 0,
            round: b.round,
            challenged: b.challenged
        });
        emit IUsageClearing.BatchRejected(batchId, reasonCode, b.charge, b.held);
    }

    /// @notice See {IUsageClearing.dispute}.
    function dispute(
        BatchHeader calldata header,
        Tariff calldata baseTariff,
        RecordMultiProof calldata records,
        uint8[] calldata codes
    ) external onlyDelegated {
        // Checks.
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Context memory ctx = _context(batchId, header, baseTariff);
        _requireAccount(ctx.hpmn);
        uint256 n = records.leaves.length;
        if (n == 0 || codes.length != n) revert IUsageClearing.UsageClearing_LengthMismatch(n, codes.length);
        if (b.challenged + n > CHALLENGE_LIMIT) {
            revert IUsageClearing.UsageClearing_TooManyChallenges(batchId, b.challenged + n, CHALLENGE_LIMIT);
        }
        _verifyMultiProof(batchId, header.root, records);

        // Effects: each record leaves the period; its marginal charge moves from the charge to the held part.
        uint256 drift;
        for (uint256 i; i < n; ++i) {
            uint8 code = codes[i];
            if (code != 10 && code != 11 && code != 12 && code != 19) {
                revert IUsageClearing.UsageClearing_InvalidReasonCode(code);
            }
            RecordLeaf calldata leaf = records.leaves[i];
            _markChallenged(batchId, leaf.index);
            uint256 marginal = _removeRecord(ctx, baseTariff, leaf);
            uint256 amount = marginal < b.charge ? marginal : b.charge;
            b.charge -= uint88(amount);
            b.held += uint88(amount);
            drift += marginal - amount;
            emit IUsageClearing.RecordDisputed(batchId, leaf.recordId, leaf.index, code, amount);
        }
        b.challenged += uint16(n);
        ClearingStorage.layout().batches[batchId] = b;
        _addDrift(ctx.periodKey, drift.toInt256());
    }

    /// @notice See {IUsageClearing.proveFraud}.
    function proveFraud(
        FraudKind kind,
        BatchHeader calldata header,
        Tariff calldata baseTariff,
        RecordProof calldata record
    ) external onlyDelegated {
        if (kind == FraudKind.None || kind == FraudKind.Duplicate) {
            revert IUsageClearing.UsageClearing_InvalidFraudKind(kind);
        }
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Context memory ctx = _context(batchId, header, baseTariff);
        _verifyProof(batchId, header.root, record);
        if (!_shows(kind, header, baseTariff, record.leaf)) revert IUsageClearing.UsageClearing_NotFraud(kind);
        _removeFraudulent(ctx, b, baseTariff, record.leaf, kind);
    }

    /// @notice See {IUsageClearing.proveDuplicate}.
    function proveDuplicate(
        BatchHeader calldata keptHeader,
        RecordProof calldata kept,
        BatchHeader calldata header,
        Tariff calldata baseTariff,
        RecordProof calldata record
    ) external onlyDelegated {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        _checkKeptCopy(keptHeader, kept, header, record.leaf.index);
        if (kept.leaf.recordId != record.leaf.recordId) {
            revert IUsageClearing.UsageClearing_NotFraud(FraudKind.Duplicate);
        }
        Context memory ctx = _context(batchId, header, baseTariff);
        _verifyProof(batchId, header.root, record);
        _removeFraudulent(ctx, b, baseTariff, record.leaf, FraudKind.Duplicate);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev Removes a record proven fraudulent: its marginal charge is dropped and the VPMN's count goes up.
    function _removeFraudulent(
        Context memory ctx,
        Batch memory b,
        Tariff calldata baseTariff,
        RecordLeaf calldata leaf,
        FraudKind kind
    ) private {
        if (b.challenged + 1 > CHALLENGE_LIMIT) {
            revert IUsageClearing.UsageClearing_TooManyChallenges(ctx.batchId, b.challenged + 1, CHALLENGE_LIMIT);
        }
        _markChallenged(ctx.batchId, leaf.index);
        uint256 marginal = _removeRecord(ctx, baseTariff, leaf);
        uint256 amount = marginal < b.charge ? marginal : b.charge;
        b.charge -= uint88(amount);
        b.challenged += 1;
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        $.batches[ctx.batchId] = b;
        _addDrift(ctx.periodKey, (marginal - amount).toInt256());
        $.stats[ctx.vpmn].fraudProven += 1;
        emit IUsageClearing.FraudProven(ctx.batchId, leaf.recordId, msg.sender, leaf.index, kind, amount);
    }

    /// @dev Lowers the running volume of the record's service by its volume; returns the marginal charge.
    function _removeRecord(
        Context memory ctx,
        Tariff calldata baseTariff,
        RecordLeaf calldata leaf
    ) private returns (uint256) {
        (bool covered, uint256 position) = TariffHash.positionOf(baseTariff, leaf.service);
        if (!covered) return 0;
        return _removeVolume(ctx, TariffHash.planAt(baseTariff, position), position, leaf.chargedVolume);
    }

    /// @dev Lowers the running volume at `position` by `volume` (at most to zero); returns `R(V) − R(V')`.
    function _removeVolume(
        Context memory ctx,
        ServicePlan calldata planData,
        uint256 position,
        uint256 volume
    ) private returns (uint256) {
        if (volume == 0) return 0;
        mapping(uint256 => uint256) storage words = ClearingStorage.layout().volumes[ctx.periodKey];
        uint256 word = words[position >> 2];
        uint256 shift = (position & 3) << 6;
        uint256 current = (word >> shift) & VOLUME_MASK;
        uint256 next = volume < current ? current - volume : 0;
        words[position >> 2] = (word & ~(VOLUME_MASK << shift)) | (next << shift);
        uint256 after_ = next == 0 ? 0 : Rating.rateBase(planData, next, ctx.decimals);
        return Rating.rateBase(planData, current, ctx.decimals) - after_;
    }

    /// @dev Removes a rejected batch's volumes from the period (less its challenged records'); returns the marginal
    /// charge removed, `Σ_s R_s(V_s) − R_s(V_s')`.
    function _removeBatchVolumes(
        Context memory ctx,
        BatchTotals calldata totals,
        Tariff calldata baseTariff,
        RecordLeaf[] calldata challenged
    ) private returns (uint256 marginal) {
        uint256[] memory removed = _volumesLessChallenged(totals, challenged, ctx.batchId);
        uint256 position;
        for (uint256 i; i < removed.length; ++i) {
            while (TariffHash.planAt(baseTariff, position).service != totals.services[i]) ++position;
            marginal += _removeVolume(ctx, TariffHash.planAt(baseTariff, position), position, removed[i]);
        }
    }

    /// @dev Per service of the header, its volume less that of its challenged records (at most to zero). Each listed
    /// record must be marked; its mark is cleared while counting (so a record listed twice is refused) and set again
    /// afterwards (the slots are warm by then: a few hundred gas per record).
    function _volumesLessChallenged(
        BatchTotals calldata totals,
        RecordLeaf[] calldata leaves,
        bytes32 batchId
    ) private returns (uint256[] memory removed) {
        mapping(uint256 => uint256) storage marks = ClearingStorage.layout().challenged[batchId];
        uint256 n = totals.services.length;
        removed = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            removed[i] = totals.volumes[i];
        }
        for (uint256 j; j < leaves.length; ++j) {
            RecordLeaf calldata leaf = leaves[j];
            uint256 bit = 1 << (leaf.index & 0xff);
            uint256 bits = marks[leaf.index >> 8];
            if (bits & bit == 0) revert IUsageClearing.UsageClearing_RecordNotChallenged(batchId, leaf.index);
            marks[leaf.index >> 8] = bits & ~bit;
            for (uint256 i; i < n; ++i) {
                if (totals.services[i] == leaf.service) {
                    removed[i] = leaf.chargedVolume < removed[i] ? removed[i] - leaf.chargedVolume : 0;
                    break;
                }
            }
        }
        for (uint256 j; j < leaves.length; ++j) {
            uint32 index = leaves[j].index;
            marks[index >> 8] |= 1 << (index & 0xff);
        }
    }

    function _addDrift(bytes32 key, int256 delta) private {
        if (delta != 0) {
            PeriodCorrections storage c = ClearingStorage.layout().corrections[key];
            c.drift = (c.drift + delta).toInt128();
        }
    }

    function _markChallenged(bytes32 batchId, uint32 index) private {
        mapping(uint256 => uint256) storage marks = ClearingStorage.layout().challenged[batchId];
        uint256 bit = 1 << (index & 0xff);
        uint256 bits = marks[index >> 8];
        if (bits & bit != 0) revert IUsageClearing.UsageClearing_RecordAlreadyChallenged(batchId, index);
        marks[index >> 8] = bits | bit;
    }

    /// @dev Whether the leaf shows fraud of `kind` (OutsidePeriod, BadIncrement or ServiceNotCovered).
    function _shows(
        FraudKind kind,
        BatchHeader calldata header,
        Tariff calldata baseTariff,
        RecordLeaf calldata leaf
    ) private pure returns (bool) {
        if (kind == FraudKind.OutsidePeriod) {
            return leaf.eventStart < header.periodStart || leaf.eventStart >= header.periodEnd;
        }
        (bool covered, uint256 position) = TariffHash.positionOf(baseTariff, leaf.service);
        if (kind == FraudKind.BadIncrement) {
            return covered && leaf.chargedVolume % TariffHash.planAt(baseTariff, position).increment != 0;
        }
        return !covered;
    }

    /// @dev Reverts unless the kept copy is an earlier record of an unrejected batch of the same lane, unchallenged.
    function _checkKeptCopy(
        BatchHeader calldata keptHeader,
        RecordProof calldata kept,
        BatchHeader calldata header,
        uint32 index
    ) private view {
        bytes32 keptId = ClearingHashes.hashHeader(keptHeader);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        BatchStatus status = $.batches[keptId].status;
        uint32 keptIndex = kept.leaf.index;
        bool earlier =
            keptHeader.sequence < header.sequence || (keptHeader.sequence == header.sequence && keptIndex < index);
        if (
            keptHeader.agreementId != header.agreementId ||
            keptHeader.direction != header.direction ||
            status == BatchStatus.None ||
            status == BatchStatus.Rejected ||
            !earlier ||
            ($.challenged[keptId][keptIndex >> 8] >> (keptIndex & 0xff)) & 1 == 1
        ) revert IUsageClearing.UsageClearing_InvalidKeptCopy(keptId);
        _verifyProof(keptId, keptHeader.root, kept);
    }

    function _verifyProof(bytes32 batchId, bytes32 root, RecordProof calldata record) private pure {
        if (!MerkleProof.verifyCalldata(record.proof, root, ClearingHashes.leafHash(record.leaf))) {
            revert IUsageClearing.UsageClearing_InvalidProof(batchId);
        }
    }

    function _verifyMultiProof(bytes32 batchId, bytes32 root, RecordMultiProof calldata records) private pure {
        uint256 n = records.leaves.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = ClearingHashes.leafHash(records.leaves[i]);
        }
        if (!MerkleProof.multiProofVerifyCalldata(records.proof, records.proofFlags, root, hashes)) {
            revert IUsageClearing.UsageClearing_InvalidProof(batchId);
        }
    }
}
