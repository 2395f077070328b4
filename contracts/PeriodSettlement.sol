// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IPeriodSettlement } from "./interfaces/IPeriodSettlement.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import { IUsageClearing } from "./interfaces/IUsageClearing.sol";
import { Rating } from "./libraries/Rating.sol";
import { TariffHash } from "./libraries/TariffHash.sol";
import { TypedData } from "./libraries/TypedData.sol";
import { Agreement, AgreementTerms } from "./types/AgreementTypes.sol";
import { ClearingConfig, PeriodCorrections } from "./types/ClearingTypes.sol";
import { Condition, ServiceFigures, ServiceOutcome, Tariff } from "./types/RatingTypes.sol";

/// @title PeriodSettlement
/// @notice See the documentation in {IPeriodSettlement}.
contract PeriodSettlement is IPeriodSettlement {
    using SafeCast for uint256;
    using SafeCast for int256;

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS & STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPeriodSettlement
    IUsageClearing public immutable override clearing;

    /// @inheritdoc IPeriodSettlement
    IRoamingAgreements public immutable override agreements;

    /// @inheritdoc IPeriodSettlement
    ISettlementVault public immutable override vault;

    /// @inheritdoc IPeriodSettlement
    uint256 public constant override MAX_PARTS_PER_CALL = 8;

    mapping(bytes32 agreementId => mapping(uint256 word => uint256 bits)) private _settled;

    /// @dev Per `keccak256(abi.encode(agreementId, period, direction))`: the part of a true-up above what
    /// {MAX_PARTS_PER_CALL} obligations carry, still to record (written only for such amounts).
    mapping(bytes32 key => Outstanding outstanding) private _outstanding;

    /// @dev Who pays whom a direction's true-up, and under which key.
    struct TrueUp {
        bytes32 agreementId;
        uint256 period;
        bytes32 key;
        IERC20 token;
        uint32 payer;
        uint32 payee;
        uint8 direction;
    }

    /// @dev What remains of a true-up recorded in parts. One slot: remaining (26) + nextPart (4) + homePays (1).
    struct Outstanding {
        uint208 remaining;
        uint32 nextPart;
        bool homePays;
    }
    /// @dev One direction's period settlement (see {PeriodSettled}).
    struct DirectionResult {
        uint256 exactBase;
        int256 charged;
        uint256 target;
        int256 difference;
    }

    /// @dev The final running volumes of one period, by base-tariff plan position, of a direction and the opposite one.
    struct PeriodVolumes {
        uint64[] own;
        uint64[] opposite;
        uint8 decimals;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param clearing_ The clearing contract (its agreements and vault are this contract's).
    constructor(IUsageClearing clearing_) {
        if (address(clearing_) == address(0)) revert PeriodSettlement_ZeroAddress("clearing");
        clearing = clearing_;
        agreements = clearing_.agreements();
        vault = clearing_.vault();
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPeriodSettlement
    function isPeriodSettled(bytes32 agreementId, uint256 period) external view override returns (bool) {
        return (_settled[agreementId][period >> 8] >> (period & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IPeriodSettlement
    function outstandingTrueUp(
        bytes32 agreementId,
        uint256 period,
        uint8 direction
    ) external view override returns (uint256 remaining, uint32 nextPart) {
        Outstanding memory o = _outstanding[_trueUpKey(agreementId, period, direction)];
        return (o.remaining, o.nextPart);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPeriodSettlement
    function settlePeriod(
        bytes32 agreementId,
        uint256 period,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs,
        Tariff[2] calldata discountTariffs
    ) external override {
        // Checks, and the period marked settled.
        ClearingConfig memory c = _checkSettlement(agreementId, period, terms, baseTariffs, discountTariffs);
        uint8 decimals = clearing.lane(agreementId, 0).decimals;
        uint64[][2] memory volumes = [
            clearing.periodVolumes(agreementId, 0, period, baseTariffs[0].plans.length),
            clearing.periodVolumes(agreementId, 1, period, baseTariffs[1].plans.length)
        ];

        // One obligation per direction whose deal differs from what its batches charged.
        for (uint8 d; d < 2; ++d) {
            DirectionResult memory r = _settleDirection(
                agreementId,
                period,
                d,
                terms,
                baseTariffs,
                discountTariffs,
                PeriodVolumes({ own: volumes[d], opposite: volumes[1 - d], decimals: decimals })
            );
            emit PeriodSettled(agreementId, period, d, r.exactBase, r.charged, r.target, r.difference);
            if (r.difference != 0) {
                bool homePays = r.difference > 0;
                uint256 amount = homePays ? uint256(r.difference) : uint256(-r.difference);
                _recordParts(agreementId, period, d, c, Outstanding(amount.toUint208(), 0, homePays));
            }
        }
    }

    /// @inheritdoc IPeriodSettlement
    function collectTrueUp(bytes32 agreementId, uint256 period, uint8 direction) external override {
        Outstanding memory o = _outstanding[_trueUpKey(agreementId, period, direction)];
        if (o.remaining == 0) revert PeriodSettlement_NothingOutstanding(agreementId, period, direction);
        _recordParts(agreementId, period, direction, clearing.clearingConfig(agreementId), o);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev Records up to {MAX_PARTS_PER_CALL} parts of what `o` says remains of a true-up, each at most the vault's
    /// {ISettlementVault.MAX_OBLIGATION}, and keeps the rest: the home network pays when `o.homePays`, else the
    /// visited network refunds. A true-up that fits one obligation is recorded as before (part 0), writing nothing
    /// here.
    function _recordParts(
        bytes32 agreementId,
        uint256 period,
        uint8 direction,
        ClearingConfig memory c,
        Outstanding memory o
    ) private {
        (uint32 vpmn, uint32 hpmn) = direction == 0 ? (c.partyA, c.partyB) : (c.partyB, c.partyA);
        TrueUp memory t = TrueUp({
            agreementId: agreementId,
            period: period,
            key: _trueUpKey(agreementId, period, direction),
            token: IERC20(c.token),
            payer: o.homePays ? hpmn : vpmn,
            payee: o.homePays ? vpmn : hpmn,
            direction: direction
        });
        uint256 max = vault.MAX_OBLIGATION();
        bool parted = o.nextPart != 0 || o.remaining > max;
        for (uint256 i; i < MAX_PARTS_PER_CALL && o.remaining != 0; ++i) {
            // Safe cast: amount <= remaining, a uint208.
            uint208 amount = o.remaining < max ? o.remaining : uint208(max);
            o.remaining -= amount;
            bytes32 ref = o.nextPart == 0 ? t.key : keccak256(abi.encode(t.key, o.nextPart));
            if (parted) emit TrueUpPartRecorded(t.agreementId, t.period, t.direction, o.nextPart, amount, o.remaining);
            o.nextPart += 1;
            vault.recordObligation(t.payer, t.payee, t.token, amount, ref);
        }
        if (parted) _outstanding[t.key] = o;
    }

    /// @dev The key of a direction's true-up: also the vault reference of its first (often only) part.
    function _trueUpKey(bytes32 agreementId, uint256 period, uint8 direction) private pure returns (bytes32) {
        return keccak256(abi.encode(agreementId, period, direction));
    }

    /// @dev The checks of a settlement; marks the period settled. Returns the agreement's clearing record.
    function _checkSettlement(
        bytes32 agreementId,
        uint256 period,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs,
        Tariff[2] calldata discountTariffs
    ) private returns (ClearingConfig memory c) {
        c = clearing.clearingConfig(agreementId);
        if (c.token == address(0)) revert PeriodSettlement_ClearingNotEnabled(agreementId);
        (uint256 start, uint256 end) = _periodBounds(agreementId, period);
        (, uint32 version, bytes32 hash) = agreements.termsAt(agreementId, start);
        if (TypedData.hashTerms(terms) != hash) revert PeriodSettlement_TermsMismatch(agreementId, version);
        uint256 readyAt = end + terms.submissionGrace + terms.disputeWindow;
        if (block.timestamp < readyAt) revert PeriodSettlement_PeriodNotReady(agreementId, period, readyAt);
        for (uint256 d; d < 2; ++d) {
            _checkTariff(terms.baseTariff[d], baseTariffs[d]);
            if (terms.discountTariff[d] != bytes32(0)) _checkTariff(terms.discountTariff[d], discountTariffs[d]);
        }
        uint256 bit = 1 << (period & 0xff);
        uint256 bits = _settled[agreementId][period >> 8];
        if (bits & bit != 0) revert PeriodSettlement_PeriodSettled(agreementId, period);
        _settled[agreementId][period >> 8] = bits | bit;
    }

    /// @dev The bounds `[start, end)` of an agreement period, clipped to the validity window.
    function _periodBounds(bytes32 agreementId, uint256 period) private view returns (uint256 start, uint256 end) {
        Agreement memory a = agreements.getAgreement(agreementId);
        if (period >= (uint256(a.validUntil) - a.validFrom + a.periodLength - 1) / a.periodLength) {
            revert PeriodSettlement_UnknownPeriod(agreementId, period);
        }
        start = uint256(a.validFrom) + period * a.periodLength;
        end = start + a.periodLength < a.validUntil ? start + a.periodLength : a.validUntil;
    }

    /// @dev The direction's period result: `difference = target − charged` (zero without a discount tariff).
    function _settleDirection(
        bytes32 agreementId,
        uint256 period,
        uint8 d,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs,
        Tariff[2] calldata discountTariffs,
        PeriodVolumes memory volumes
    ) private view returns (DirectionResult memory r) {
        bool hasDiscount = terms.discountTariff[d] != bytes32(0);
        ServiceFigures[] memory figures;
        (figures, r.exactBase) = _figures(volumes, baseTariffs[d], baseTariffs[1 - d], discountTariffs[d], hasDiscount);
        PeriodCorrections memory corrections = clearing.periodCorrections(agreementId, d, period);
        r.charged = r.exactBase.toInt256() + corrections.drift;
        if (hasDiscount) {
            r.target = _conditionedTotal(terms.conditions[d], figures, corrections.includedTaxes);
            r.difference = r.target.toInt256() - r.charged;
        } else {
            r.target = r.charged.toUint256();
        }
    }

    /// @dev Per base-tariff service: its base charges over the period's final volume, and its deal value (the
    /// discount tariff's; the base value for a service it does not price, or without one).
    function _figures(
        PeriodVolumes memory volumes,
        Tariff calldata base,
        Tariff calldata oppositeBase,
        Tariff calldata discount,
        bool hasDiscount
    ) private pure returns (ServiceFigures[] memory figures, uint256 exactBase) {
        uint256 n = base.plans.length;
        figures = new ServiceFigures[](n);
        for (uint256 p; p < n; ++p) {
            ServiceFigures memory f = figures[p];
            f.service = base.plans[p].service;
            f.charges = Rating.rate(base.plans[p], volumes.own[p], 0, volumes.decimals);
            f.dealValue = f.charges;
            if (hasDiscount) _applyDeal(volumes, discount, oppositeBase, f, volumes.own[p]);
            exactBase += f.charges;
        }
    }

    /// @dev Sets `f.dealValue` to the discount tariff's value of `volume` if it prices the service (a Ratio plan
    /// balances it against the opposite direction's volume of the service).
    function _applyDeal(
        PeriodVolumes memory volumes,
        Tariff calldata discount,
        Tariff calldata oppositeBase,
        ServiceFigures memory f,
        uint256 volume
    ) private pure {
        (bool found, uint256 q) = TariffHash.positionOf(discount, f.service);
        if (!found) return;
        (bool oppositeFound, uint256 o) = TariffHash.positionOf(oppositeBase, f.service);
        uint256 opposite = oppositeFound ? volumes.opposite[o] : 0;
        f.dealValue = Rating.rate(discount.plans[q], volume, opposite, volumes.decimals);
    }

    /// @dev Applies the condition; the included services' taxes count as one figure (only their sum matters).
    function _conditionedTotal(
        Condition calldata condition,
        ServiceFigures[] memory figures,
        uint256 includedTaxes
    ) private pure returns (uint256 total) {
        for (uint256 i; i < figures.length; ++i) {
            if ((condition.includedServices >> uint8(figures[i].service)) & 1 == 1) {
                figures[i].taxes = includedTaxes;
                break;
            }
        }
        (ServiceOutcome[] memory outcomes, ) = Rating.applyCondition(condition, figures);
        for (uint256 i; i < outcomes.length; ++i) {
            total += outcomes[i].value;
        }
    }

    function _checkTariff(bytes32 expected, Tariff calldata tariff) private pure {
        bytes32 given = TariffHash.ofCalldata(tariff);
        if (given != expected) revert PeriodSettlement_TariffMismatch(expected, given);
    }
}
