// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IOperatorRegistry } from "../interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "../interfaces/IRoamingAgreements.sol";
import { IUsageClearing } from "../interfaces/IUsageClearing.sol";
import { ClearingHashes } from "../libraries/ClearingHashes.sol";
import { ClearingStorage } from "../libraries/ClearingStorage.sol";
import { TariffHash } from "../libraries/TariffHash.sol";
import { TypedData } from "../libraries/TypedData.sol";
import { Agreement, AgreementTerms } from "../types/AgreementTypes.sol";
import {
    Batch,
    BatchHeader,
    BatchStatus,
    BatchTotals,
    ClearingConfig,
    Lane,
    PeriodCorrections
} from "../types/ClearingTypes.sol";
import { Condition, ConditionKind, Tariff } from "../types/RatingTypes.sol";

/// @title ClearingBase
/// @notice What {UsageClearing} and its challenge module {UsageChallenges} share: the registry and agreements they
/// read, and the checks of a batch's terms, tariff, caller and window. State lives in {ClearingStorage}.
abstract contract ClearingBase {
    using SafeCast for uint256;

    /// @dev The most records of one batch that may be challenged ({IUsageClearing.MAX_CHALLENGES}).
    uint256 internal constant CHALLENGE_LIMIT = 256;

    /// @dev Running volumes are uint64, four per storage word, by plan position in the base tariff.
    uint256 internal constant VOLUME_MASK = type(uint64).max;

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
    }

    constructor(IOperatorRegistry registry_, IRoamingAgreements agreements_) {
        if (address(registry_) == address(0)) revert IUsageClearing.UsageClearing_ZeroAddress("registry");
        if (address(agreements_) == address(0)) revert IUsageClearing.UsageClearing_ZeroAddress("agreements");
        _registry = registry_;
        _agreements = agreements_;
    }

    /// @dev Loads the agreement and checks the terms (in force at the batch's start), that the header names their base
    /// tariff of the direction, and the tariff given.
    function _loadTerms(
        BatchHeader calldata header,
        AgreementTerms calldata terms,
        Tariff calldata baseTariff
    ) internal view returns (Agreement memory a) {
        _checkDirection(header.direction);
        uint32 version;
        bytes32 hash;
        (a, version, hash) = _agreements.termsAt(header.agreementId, header.periodStart);
        if (TypedData.hashTerms(terms) != hash) {
            revert IUsageClearing.UsageClearing_TermsMismatch(header.agreementId, version);
        }
        bytes32 expected = terms.baseTariff[header.direction];
        if (header.baseTariff != expected) {
            revert IUsageClearing.UsageClearing_TariffMismatch(expected, header.baseTariff);
        }
        _checkTariff(expected, baseTariff);
    }

    /// @dev The context of a submitted batch (whose header is authentic: it hashes to a stored batch): its period key,
    /// parties and the token's decimals, from the agreement's clearing records; and checks the tariff given against
    /// the header's.
    function _context(
        bytes32 batchId,
        BatchHeader calldata header,
        Tariff calldata baseTariff
    ) internal view returns (Context memory ctx) {
        _checkTariff(header.baseTariff, baseTariff);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        ClearingConfig memory c = $.configs[header.agreementId];
        Lane memory laneState = $.lanes[header.agreementId][header.direction];
        (ctx.vpmn, ctx.hpmn) = _parties(c.partyA, c.partyB, header.direction);
        ctx.batchId = batchId;
        uint256 period = (header.periodStart - laneState.validFrom) / laneState.periodLength;
        ctx.periodKey = _periodKey(header.agreementId, header.direction, period);
        ctx.decimals = laneState.decimals;
    }

    /// @dev Adds (on submission) or removes (on rejection) the batch's taxes of the services a ContractRevenue
    /// condition with taxes includes, the only taxes a period settlement needs; returns the batch's total taxes.
    function _trackTaxes(
        BatchTotals calldata totals,
        Condition calldata condition,
        bytes32 key,
        bool add
    ) internal returns (uint256 total) {
        bool tracked = condition.kind == ConditionKind.ContractRevenue && condition.includingTaxes;
        uint256 included;
        uint256 n = totals.taxes.length;
        for (uint256 i; i < n; ++i) {
            uint256 tax = totals.taxes[i];
            total += tax;
            if (tracked && (condition.includedServices >> uint8(totals.services[i])) & 1 == 1) included += tax;
        }
        if (included != 0) {
            PeriodCorrections storage corrections = ClearingStorage.layout().corrections[key];
            corrections.includedTaxes =
                add
                    ? (corrections.includedTaxes + included).toUint128()
                    : corrections.includedTaxes - uint128(included);
        }
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

    function _periodKey(bytes32 agreementId, uint8 direction, uint256 period) internal pure returns (bytes32) {
        return keccak256(abi.encode(agreementId, direction, period));
    }
}
