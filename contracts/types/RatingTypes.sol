// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The services the rating engine prices. Each has a volume unit (what records count) and a rating unit
/// (what prices are quoted per), see {Rating.ratingUnit}:
/// - VoiceMO, VoiceMT, VoLTE: seconds; priced per minute (60 s).
/// - SmsMO, SmsMT: messages; priced per message.
/// - Data: bytes; priced per MB (1,000,000 bytes).
/// - IoTAccess: devices (connected subscriptions); priced per device.
/// - SliceHours: network-slice hours; priced per hour.
/// - SpectrumMHzHours: MHz-hours of spectrum; priced per MHz-hour.
enum Service {
    VoiceMO,
    VoiceMT,
    SmsMO,
    SmsMT,
    Data,
    VoLTE,
    IoTAccess,
    SliceHours,
    SpectrumMHzHours
}

/// @notice How a plan turns a volume into a value (GSMA BWRP discount models).
/// - Threshold: each tier charges `fixedPrice + linearPrice * v` on the part `v` of the volume inside the tier; a tier
///   the volume does not exceed contributes nothing. A flat rate is one tier from 0.
/// - BackToFirst: the highest tier whose start is below the volume prices the whole volume from zero.
/// - Ratio: balanced/unbalanced. `min(volume, opposite volume)` is priced with `tiers` (balanced rate), the surplus
///   with `unbalancedTiers`, both as Threshold.
/// - Access: Threshold applied to a count of connected devices instead of usage.
enum PlanKind {
    Threshold,
    BackToFirst,
    Ratio,
    Access
}

/// @notice One tier of a plan: from `start` (in volume units) to the next tier's start; the last is unbounded.
/// @dev Prices are 18-decimal fixed point ("wad") in whole settlement-token units: `fixedPrice` once per tier reached,
/// `linearPrice` per rating unit of the service. One slot: 64 + 96 + 96 bits.
struct Tier {
    uint64 start;
    uint96 fixedPrice;
    uint96 linearPrice;
}

/// @notice The plan of one service in a tariff.
/// @param increment The charging increment in volume units, applied per record by rounding up (e.g. 60 s, 1,024 B).
/// @param tiers The tiers, starts strictly ascending (at most {Rating.MAX_TIERS}); the balanced tiers of a Ratio plan.
/// @param unbalancedTiers Only for Ratio plans: the tiers of the unbalanced surplus; empty otherwise.
struct ServicePlan {
    Service service;
    PlanKind kind;
    uint32 increment;
    Tier[] tiers;
    Tier[] unbalancedTiers;
}

/// @notice A content-addressed price list: one plan per service, services strictly ascending.
struct Tariff {
    ServicePlan[] plans;
}

/// @notice What a discount deal is conditional on (per paying party and direction).
/// - Unconditional: the deal value applies.
/// - ContractRevenue: the deal applies only if the included services' actual charges (with taxes if
///   `includingTaxes`) reach `commitment`; otherwise the actual charges stand.
/// - DiscountRevenue (send-or-pay): if the included services' deal values sum to less than `commitment`, the
///   shortfall is owed too, spread over the included services in proportion to their deal values (equally when all
///   are zero); the remainder of that integer split goes one base unit each to the included services in ascending
///   service order.
enum ConditionKind {
    Unconditional,
    ContractRevenue,
    DiscountRevenue
}

/// @notice A condition of a discount agreement.
/// @param includedServices Bitmap of the services the commitment covers (bit `i` = `Service(i)`).
/// @param commitment The committed value, in settlement-token base units.
struct Condition {
    ConditionKind kind;
    bool includingTaxes;
    uint16 includedServices;
    uint128 commitment;
}

/// @notice The period's figures of one service, for {Rating.applyCondition}.
/// @param dealValue What the discount plan values the period's volume at (base units).
/// @param charges What the base (IOT) plan charged for the period (base units).
/// @param taxes The taxes reported with those charges (base units).
struct ServiceFigures {
    Service service;
    uint256 dealValue;
    uint256 charges;
    uint256 taxes;
}

/// @notice The outcome of a condition for one service.
/// @param value What is owed for the service for the period (base units), shortfall included.
/// @param shortfall The part of `value` that is a send-or-pay shortfall (0 unless DiscountRevenue fell short).
struct ServiceOutcome {
    Service service;
    uint256 value;
    uint256 shortfall;
}
