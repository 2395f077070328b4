// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { MerkleProof } from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { ClearingBase } from "./abstracts/ClearingBase.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { IUsageChallenges } from "./interfaces/IUsageChallenges.sol";
import { IUsageClearing } from "./interfaces/IUsageClearing.sol";
import { ClearingHashes } from "./libraries/ClearingHashes.sol";
import { ClearingStorage } from "./libraries/ClearingStorage.sol";
import { RateCard } from "./libraries/RateCard.sol";
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

/// @title UsageChallenges
/// @notice The challenge half of {UsageClearing}: rejections, disputes and fraud proofs ({IUsageChallenges}, which
/// both contracts implement with `override`, so the compiler holds the two sides of the seam to one signature per
/// call). {UsageClearing} deploys it in its constructor and forwards these four calls' calldata to it unchanged by
/// `delegatecall`, so it runs on {UsageClearing}'s state ({ClearingStorage}) and emits {UsageClearing}'s events.
/// Split off to keep each contract under the 24,576-byte code size limit. Calling it directly reverts.
contract UsageChallenges is IUsageChallenges, ClearingBase {
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

    /// @inheritdoc IUsageChallenges
    function reject(
        BatchHeader calldata header,
        BatchTotals calldata totals,
        uint16 reasonCode
    ) external override onlyDelegated {
        // Checks.
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Context memory ctx = _context(batchId, header);
        _requireAccount(ctx.hpmn);
        if (reasonCode != 100 && reasonCode != 101 && reasonCode != 102 && reasonCode != 109) {
            revert IUsageClearing.UsageClearing_InvalidReasonCode(reasonCode);
        }
        _checkTotals(header, totals);

        // Effects: what the batch still counts in its period (its volumes less those of its removed records, kept
        // per batch) leaves the period; its charge and held part are dropped.
        uint256 marginal = _removeBatchVolumes(ctx);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        _addDrift(ctx.periodKey, marginal.toInt256() - int256(uint256(b.charge)));
        _untrackTaxes(header, totals, ctx.periodKey);
        $.stats[ctx.vpmn].batchesRejected += 1;
        $.batches[batchId] = Batch({
            finalAt: b.finalAt,
            status: BatchStatus.Rejected,
            charge: 0,
            held: 0,
            round: b.round,
            disputed: b.disputed
        });
        emit IUsageClearing.BatchRejected(batchId, reasonCode, b.charge, b.held);
    }

    /// @inheritdoc IUsageChallenges
    function dispute(
        BatchHeader calldata header,
        RecordMultiProof calldata records,
        uint8[] calldata codes
    ) external override onlyDelegated {
        // Checks.
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Context memory ctx = _context(batchId, header);
        _requireAccount(ctx.hpmn);
        uint256 n = records.leaves.length;
        if (n == 0 || codes.length != n) revert IUsageClearing.UsageClearing_LengthMismatch(n, codes.length);
        if (b.disputed + n > DISPUTE_LIMIT) {
            revert IUsageClearing.UsageClearing_TooManyDisputes(batchId, b.disputed + n, DISPUTE_LIMIT);
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
            uint256 marginal = _removeRecord(ctx, leaf);
            uint256 amount = marginal < b.charge ? marginal : b.charge;
            b.charge -= uint88(amount);
            b.held += uint88(amount);
            drift += marginal - amount;
            emit IUsageClearing.RecordDisputed(batchId, leaf.recordId, leaf.index, code, amount);
        }
        b.disputed += uint16(n);
        ClearingStorage.layout().batches[batchId] = b;
        _addDrift(ctx.periodKey, drift.toInt256());
    }

    /// @inheritdoc IUsageChallenges
    function proveFraud(
        FraudKind kind,
        BatchHeader calldata header,
        RecordProof calldata record
    ) external override onlyDelegated {
        if (kind == FraudKind.None || kind == FraudKind.Duplicate) {
            revert IUsageClearing.UsageClearing_InvalidFraudKind(kind);
        }
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Context memory ctx = _context(batchId, header);
        _verifyProof(batchId, header.root, record);
        if (!_shows(kind, header, ctx.card, record.leaf)) revert IUsageClearing.UsageClearing_NotFraud(kind);
        _removeFraudulent(ctx, b, record.leaf, kind);
    }

    /// @inheritdoc IUsageChallenges
    function proveDuplicate(
        BatchHeader calldata keptHeader,
        RecordProof calldata kept,
        BatchHeader calldata header,
        RecordProof calldata record
    ) external override onlyDelegated {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        _checkKeptCopy(keptHeader, kept, header, record.leaf.index);
        if (kept.leaf.recordId != record.leaf.recordId) {
            revert IUsageClearing.UsageClearing_NotFraud(FraudKind.Duplicate);
        }
        Context memory ctx = _context(batchId, header);
        _verifyProof(batchId, header.root, record);
        _removeFraudulent(ctx, b, record.leaf, FraudKind.Duplicate);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev Removes a record proven fraudulent: its marginal charge is dropped and the VPMN's count goes up. Proofs
    /// are not counted against the batch's disputes: only the home network's own disputes are.
    function _removeFraudulent(Context memory ctx, Batch memory b, RecordLeaf calldata leaf, FraudKind kind) private {
        _markChallenged(ctx.batchId, leaf.index);
        uint256 marginal = _removeRecord(ctx, leaf);
        uint256 amount = marginal < b.charge ? marginal : b.charge;
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        if (amount != 0) {
            b.charge -= uint88(amount);
            $.batches[ctx.batchId] = b;
        }
        _addDrift(ctx.periodKey, (marginal - amount).toInt256());
        $.stats[ctx.vpmn].fraudProven += 1;
        emit IUsageClearing.FraudProven(ctx.batchId, leaf.recordId, msg.sender, leaf.index, kind, amount);
    }

    /// @dev Lowers the running volume of the record's service by its volume, at most what its batch still counts of
    /// that service; returns the marginal charge.
    function _removeRecord(Context memory ctx, RecordLeaf calldata leaf) private returns (uint256) {
        (bool covered, uint256 position, uint256 plan) = RateCard.find(ctx.card, leaf.service);
        if (!covered) return 0;
        uint256 taken = _takeBatchVolume(ctx.laneRoot, position, leaf.chargedVolume);
        return _removeVolume(ctx, plan, position, taken);
    }

    /// @dev Lowers the running volume at `position` (whose plan's header is at `plan` in the card) by `volume` (at most
    /// to zero); returns `R(V) − R(V')`.
    function _removeVolume(
        Context memory ctx,
        uint256 plan,
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
        uint256 after_ = next == 0 ? 0 : RateCard.rate(plan, next, ctx.decimals);
        return RateCard.rate(plan, current, ctx.decimals) - after_;
    }

    /// @dev Removes from the period what a rejected batch still counts there, plan by plan (its volumes less those of
    /// its removed records), and clears it; returns the marginal charge removed, `Σ_s R_s(V_s) − R_s(V_s')`. Reads
    /// at most one word per four plans of the base tariff, whatever was challenged before.
    function _removeBatchVolumes(Context memory ctx) private returns (uint256 marginal) {
        mapping(uint256 word => uint256 packed) storage words = ClearingStorage.layout().batchVolumes[ctx.laneRoot];
        uint256 plans = RateCard.planCount(ctx.card);
        uint256 plan = RateCard.planAt(ctx.card, 0);
        for (uint256 position; position < plans; ++position) {
            uint256 word = words[position >> 2];
            uint256 field = (word >> ((position & 3) << 6)) & VOLUME_MASK;
            if (field > 1) marginal += _removeVolume(ctx, plan, position, field - 1);
            if (position & 3 == 3 || position + 1 == plans) {
                if (word != 0 && word != EMPTY_VOLUMES) words[position >> 2] = EMPTY_VOLUMES;
            }
            plan = RateCard.next(plan);
        }
    }

    /// @dev Takes back from the period's corrections the rejected batch's taxes of the services a period settlement
    /// tracks: those the cached terms of its submission name ({SubmissionTerms.taxedServices}).
    function _untrackTaxes(BatchHeader calldata header, BatchTotals calldata totals, bytes32 periodKey) private {
        (, , bytes32 termsHash) = _agreements.termsAt(header.agreementId, header.periodStart);
        uint256 taxed = ClearingStorage
            .layout()
            .submissionTerms[_submissionKey(termsHash, header.direction, header.baseTariff)]
            .taxedServices;
        if (taxed == 0) return;
        uint256 included;
        uint256 n = totals.taxes.length;
        for (uint256 i; i < n; ++i) {
            if ((taxed >> uint8(totals.services[i])) & 1 == 1) included += totals.taxes[i];
        }
        if (included != 0) {
            PeriodCorrections storage corrections = ClearingStorage.layout().corrections[periodKey];
            corrections.includedTaxes -= uint128(included);
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
        uint256 card,
        RecordLeaf calldata leaf
    ) private pure returns (bool) {
        if (kind == FraudKind.OutsidePeriod) {
            return leaf.eventStart < header.periodStart || leaf.eventStart >= header.periodEnd;
        }
        (bool covered, , uint256 plan) = RateCard.find(card, leaf.service);
        if (kind == FraudKind.BadIncrement) {
            return covered && leaf.chargedVolume % RateCard.incrementOf(plan) != 0;
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
