// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {
    Condition,
    ConditionKind,
    PlanKind,
    Service,
    ServiceFigures,
    ServiceOutcome,
    ServicePlan,
    Tier
} from "../types/RatingTypes.sol";

/// @title Rating
/// @notice The rating engine: exact, pure, and identical to its TypeScript twin in `sdk/src/rating`.
///
/// Units. Volumes are integers in the service's volume unit (seconds, messages, bytes, devices, hours, MHz-hours).
/// Prices are 18-decimal fixed point in whole settlement-token units per rating unit `U` of the service (per minute,
/// message, MB, device, hour, MHz-hour). Money is an integer number of the token's base units (`decimals` digits).
///
/// The one rounding rule. The value of one (service, direction, period) is the exact fraction `N / D` with
///     N = 10^decimals * sum over the tiers reached of (fixedPrice * U + linearPrice * v)
///     D = U * 10^18
/// where `v` is the part of the volume that a tier prices; all tiers are summed before the one division, which rounds
/// half up: `amount = (N + D / 2) / D`. D is always even, so "half" is exact.
///
/// Bounds. Volumes fit in uint64 and prices in uint96, plans have at most {MAX_TIERS} tiers and `decimals <= 18`, so
/// `N < 2^226` never overflows; a result above uint128 reverts with {Rating_AmountOverflow}. Nothing wraps.
library Rating {
    /// @notice The most tiers a tier list may hold.
    uint256 internal constant MAX_TIERS = 16;
    /// @notice The most decimals a settlement token may have.
    uint8 internal constant MAX_DECIMALS = 18;
    uint256 private constant WAD = 1e18;

    /// @notice A plan's charging increment is zero.
    error Rating_ZeroIncrement(Service service);
    /// @notice A tier list holds `count` tiers, more than `max`.
    error Rating_TooManyTiers(Service service, uint256 count, uint256 max);
    /// @notice Tier `index` does not start after the tier before it.
    error Rating_TiersNotAscending(Service service, uint256 index);
    /// @notice Only Ratio plans have unbalanced tiers, and a Ratio plan needs them.
    error Rating_UnbalancedTiersMismatch(Service service, PlanKind kind);
    /// @notice A volume above uint64.
    error Rating_VolumeTooLarge(Service service, uint256 volume);
    /// @notice A token with more than 18 decimals.
    error Rating_TooManyDecimals(uint8 decimals);
    /// @notice A result above uint128 base units.
    error Rating_AmountOverflow(Service service, uint256 amount);
    /// @notice The plans of a tariff are not in strictly ascending service order (or a service repeats).
    error Rating_ServicesNotAscending(uint256 index);

    /*//////////////////////////////////////////////////////////////////////////
                                      UNITS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The rating unit of `service` in volume units: what one unit of `linearPrice` buys.
    function ratingUnit(Service service) internal pure returns (uint256) {
        if (service == Service.VoiceMO || service == Service.VoiceMT || service == Service.VoLTE) return 60;
        if (service == Service.Data) return 1_000_000;
        return 1;
    }

    /// @notice A record's raw volume rounded up to the charging increment, as the visited network bills it.
    function chargedVolume(uint256 rawVolume, uint32 increment) internal pure returns (uint256) {
        if (rawVolume == 0) return 0;
        return ((rawVolume - 1) / increment + 1) * increment;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                    VALIDATION
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Reverts unless `plan` is well-formed: non-zero increment, at most {MAX_TIERS} tiers with strictly
    /// ascending starts in each list, and unbalanced tiers exactly when the plan is a Ratio plan.
    function validatePlan(ServicePlan memory plan) internal pure {
        if (plan.increment == 0) revert Rating_ZeroIncrement(plan.service);
        _validateTiers(plan.service, plan.tiers);
        bool ratio = plan.kind == PlanKind.Ratio;
        if (ratio != (plan.unbalancedTiers.length != 0)) {
            revert Rating_UnbalancedTiersMismatch(plan.service, plan.kind);
        }
        if (ratio) _validateTiers(plan.service, plan.unbalancedTiers);
    }

    /// @notice Reverts unless every plan is valid and the services are strictly ascending.
    function validatePlans(ServicePlan[] memory plans) internal pure {
        for (uint256 i; i < plans.length; ++i) {
            if (i > 0 && uint8(plans[i].service) <= uint8(plans[i - 1].service)) revert Rating_ServicesNotAscending(i);
            validatePlan(plans[i]);
        }
    }

    /*//////////////////////////////////////////////////////////////////////////
                                      RATING
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The value of `volume` under `plan`, in token base units, rounded once (half up).
    /// @param volume The period's charged volume of this direction, in volume units.
    /// @param oppositeVolume The other direction's volume (used by Ratio plans only).
    /// @param decimals The settlement token's decimals (at most 18).
    function rate(
        ServicePlan memory plan,
        uint256 volume,
        uint256 oppositeVolume,
        uint8 decimals
    ) internal pure returns (uint256 amount) {
        if (volume > type(uint64).max) revert Rating_VolumeTooLarge(plan.service, volume);
        uint256 unit = ratingUnit(plan.service);
        uint256 sum;
        if (plan.kind == PlanKind.BackToFirst) {
            sum = _backToFirst(plan.tiers, unit, volume);
        } else if (plan.kind == PlanKind.Ratio) {
            if (oppositeVolume > type(uint64).max) revert Rating_VolumeTooLarge(plan.service, oppositeVolume);
            uint256 balanced = volume < oppositeVolume ? volume : oppositeVolume;
            sum = _threshold(plan.tiers, unit, balanced) + _threshold(plan.unbalancedTiers, unit, volume - balanced);
        } else {
            // Threshold and Access price the same way; Access counts devices instead of usage.
            sum = _threshold(plan.tiers, unit, volume);
        }
        amount = toAmount(plan.service, sum, unit, decimals);
    }

    /// @notice {rate} of a base plan (Threshold or Access: the kinds a base tariff holds, which never decrease as the
    /// volume grows) read from calldata, without copying or re-validating it: usage clearing rates every batch this
    /// way, after checking that the tariff's calldata hashes to a published tariff id.
    /// @dev Trusts the plan's encoding: the caller must have checked it is the canonical encoding of a published
    /// (hence validated, cleanly encoded) tariff, as {TariffHash.ofCalldata} against a tariff id does. The same sum and
    /// rounding as {rate} for those kinds; the clearing tests hold both to the SDK's engine.
    function rateBase(ServicePlan calldata plan, uint256 volume, uint8 decimals) internal pure returns (uint256) {
        Service service = plan.service;
        if (volume > type(uint64).max) revert Rating_VolumeTooLarge(service, volume);
        uint256 unit = ratingUnit(service);
        uint256 sum;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // ServicePlan: service, kind, increment, tiers (offset), unbalancedTiers (offset); Tier: start, fixedPrice,
            // linearPrice. Every value is within its type (canonical encoding), so no product below overflows.
            let tiers := add(plan, calldataload(add(plan, 0x60)))
            let count := calldataload(tiers)
            let tier := add(tiers, 0x20)
            for {
                let i := 0
            } lt(i, count) {
                i := add(i, 1)
                tier := add(tier, 0x60)
            } {
                let start := calldataload(tier)
                if iszero(gt(volume, start)) {
                    break
                }
                let upTo := volume
                if lt(add(i, 1), count) {
                    let next := calldataload(add(tier, 0x60))
                    if lt(next, volume) {
                        upTo := next
                    }
                }
                let linear := mul(calldataload(add(tier, 0x40)), sub(upTo, start))
                sum := add(sum, add(mul(calldataload(add(tier, 0x20)), unit), linear))
            }
        }
        return toAmount(service, sum, unit, decimals);
    }

    /// @notice Applies the one rounding rule to an exact sum `sum = Σ (fixedPrice * U + linearPrice * v)`.
    function toAmount(
        Service service,
        uint256 sum,
        uint256 unit,
        uint8 decimals
    ) internal pure returns (uint256 amount) {
        if (decimals > MAX_DECIMALS) revert Rating_TooManyDecimals(decimals);
        uint256 denominator = unit * WAD;
        amount = (sum * 10 ** decimals + denominator / 2) / denominator;
        if (amount > type(uint128).max) revert Rating_AmountOverflow(service, amount);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                    CONDITIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice What each service owes for a period once the deal's condition is applied.
    /// @dev Services in `figures` must be distinct; their order is the order of the remainder rule (ascending service
    /// order when they come from a tariff). Every amount must fit in uint128 (rated amounts always do), else
    /// {Rating_AmountOverflow}. Returns the outcomes in the same order, and whether the deal applied
    /// (false only when a ContractRevenue commitment was not reached, in which case the base charges stand).
    function applyCondition(
        Condition memory condition,
        ServiceFigures[] memory figures
    ) internal pure returns (ServiceOutcome[] memory outcomes, bool dealApplies) {
        uint256 n = figures.length;
        for (uint256 i; i < n; ++i) {
            ServiceFigures memory f = figures[i];
            uint256 largest = f.dealValue > f.charges ? f.dealValue : f.charges;
            if (f.taxes > largest) largest = f.taxes;
            if (largest > type(uint128).max) revert Rating_AmountOverflow(f.service, largest);
        }
        outcomes = new ServiceOutcome[](n);
        dealApplies = true;

        if (condition.kind == ConditionKind.ContractRevenue) {
            uint256 revenue;
            for (uint256 i; i < n; ++i) {
                if (_included(condition, figures[i].service)) {
                    revenue += figures[i].charges + (condition.includingTaxes ? figures[i].taxes : 0);
                }
            }
            dealApplies = revenue >= condition.commitment;
        }

        uint256 includedCount;
        uint256 includedValue;
        for (uint256 i; i < n; ++i) {
            ServiceFigures memory f = figures[i];
            outcomes[i] = ServiceOutcome({
                service: f.service,
                value: dealApplies ? f.dealValue : f.charges,
                shortfall: 0
            });
            if (_included(condition, f.service)) {
                includedCount += 1;
                includedValue += f.dealValue;
            }
        }

        if (condition.kind != ConditionKind.DiscountRevenue || includedValue >= condition.commitment) {
            return (outcomes, dealApplies);
        }
        if (includedCount == 0) return (outcomes, dealApplies); // nothing to spread a shortfall over
        _spreadShortfall(
            condition,
            outcomes,
            figures,
            condition.commitment - includedValue,
            includedValue,
            includedCount
        );
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    function _validateTiers(Service service, Tier[] memory tiers) private pure {
        if (tiers.length > MAX_TIERS) revert Rating_TooManyTiers(service, tiers.length, MAX_TIERS);
        for (uint256 i = 1; i < tiers.length; ++i) {
            if (tiers[i].start <= tiers[i - 1].start) revert Rating_TiersNotAscending(service, i);
        }
    }

    /// @dev Σ over the tiers the volume exceeds of `fixedPrice * U + linearPrice * (part of the volume in the tier)`.
    function _threshold(Tier[] memory tiers, uint256 unit, uint256 volume) private pure returns (uint256 sum) {
        uint256 count = tiers.length;
        for (uint256 i; i < count; ++i) {
            uint256 start = tiers[i].start;
            if (volume <= start) break; // starts ascend: no later tier is reached either
            uint256 end = i + 1 < count ? tiers[i + 1].start : type(uint256).max;
            uint256 inTier = (volume < end ? volume : end) - start;
            sum += uint256(tiers[i].fixedPrice) * unit + uint256(tiers[i].linearPrice) * inTier;
        }
    }

    /// @dev The highest tier whose start is below the volume prices the whole volume.
    function _backToFirst(Tier[] memory tiers, uint256 unit, uint256 volume) private pure returns (uint256) {
        uint256 count = tiers.length;
        uint256 k = count;
        for (uint256 i; i < count; ++i) {
            if (tiers[i].start >= volume) break;
            k = i;
        }
        if (k == count) return 0; // no tier starts below the volume (or no tiers, or zero volume)
        return uint256(tiers[k].fixedPrice) * unit + uint256(tiers[k].linearPrice) * volume;
    }

    function _included(Condition memory condition, Service service) private pure returns (bool) {
        return (condition.includedServices >> uint8(service)) & 1 == 1;
    }

    /// @dev Adds the shortfall to the included services: in proportion to their deal values (floor), or equally when
    /// all are zero; the remainder of that integer split goes one base unit each to the included services in order.
    function _spreadShortfall(
        Condition memory condition,
        ServiceOutcome[] memory outcomes,
        ServiceFigures[] memory figures,
        uint256 shortfall,
        uint256 includedValue,
        uint256 includedCount
    ) private pure {
        uint256 n = figures.length;
        uint256 distributed;
        for (uint256 i; i < n; ++i) {
            if (!_included(condition, figures[i].service)) continue;
            uint256 share =
                includedValue == 0 ? shortfall / includedCount : (shortfall * figures[i].dealValue) / includedValue;
            outcomes[i].shortfall = share;
            distributed += share;
        }
        uint256 remainder = shortfall - distributed; // < includedCount
        for (uint256 i; i < n && remainder > 0; ++i) {
            if (!_included(condition, figures[i].service)) continue;
            outcomes[i].shortfall += 1;
            remainder -= 1;
        }
        for (uint256 i; i < n; ++i) {
            outcomes[i].value += outcomes[i].shortfall;
        }
    }
}
