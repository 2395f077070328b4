// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice What a capacity class sells.
enum CapacityKind {
    Data, // data capacity in a network or region (unit: e.g. GB)
    Voice, // voice minutes
    Iot, // IoT connectivity (unit: e.g. device-months)
    Slice, // a 5G network slice with SLA figures (unit: e.g. slice-hours)
    Spectrum // access to a block of the spectrum grid (unit: the lease)
}

/// @notice The SLA of a network slice class (kind {CapacityKind.Slice}; all zero for other kinds).
/// @param snssai The S-NSSAI: slice/service type (8 bits) then slice differentiator (24 bits).
/// @param throughputKbps Guaranteed throughput, in kbit/s.
/// @param latencyMs Maximum latency, in milliseconds.
/// @param availabilityBp Availability, in basis points (10,000 = 100%).
/// @param creditToken The vault token SLA credits are paid in.
/// @param creditPerUnitHour What the issuer owes per unit held per hour of breach, in `creditToken` base units.
// solhint-disable-next-line gas-struct-packing
struct SliceTerms {
    uint32 snssai;
    uint32 throughputKbps;
    uint32 latencyMs;
    uint16 availabilityBp;
    address creditToken;
    uint128 creditPerUnitHour;
}

/// @notice The block of the spectrum grid a spectrum class covers (kind {CapacityKind.Spectrum}; all zero for other
/// kinds): channels `[firstChannel, firstChannel + channelCount)` and slots `[firstSlot, firstSlot + slotCount)` of a
/// band plan, in one area; the block lies inside the plan's channels and slots.
/// @param bandPlanId The band plan ({BandPlan}) that numbers channels and slots.
/// @param areaId The licence area. Area ids are one suite-wide namespace of disjoint licence areas: an id means the
/// same ground in every band plan, and two ids never share any.
/// @param firstChannel The lowest channel.
/// @param channelCount How many adjacent channels.
/// @param firstSlot The first time slot.
/// @param slotCount How many consecutive slots.
/// @param exclusive Whether the block is sold to one holder only (then it is checked against, and reserved in, the
/// grid); a shared (GAA-like) block is not.
struct SpectrumTerms {
    uint32 bandPlanId;
    uint32 areaId;
    uint16 firstChannel;
    uint16 channelCount;
    uint32 firstSlot;
    uint32 slotCount;
    bool exclusive;
}

/// @notice Everything that defines a capacity class. Its ERC-1155 id is `uint256(keccak256(abi.encode(terms)))`;
/// only the class record ({ClassInfo}) is stored, and calls that need more pass the terms back (hash-checked).
/// @param issuerId The issuing operator.
/// @param kind See {CapacityKind}.
/// @param unit What one token is, as an ASCII label right-padded with zeros (e.g. "GB", "minute", "slice-hour").
/// @param validFrom Start of use (Unix seconds, inclusive); tokens may be traded before it.
/// @param validUntil End of use (exclusive): from then on the class neither moves nor is redeemed.
/// @param maxSupply How many units may ever be minted.
/// @param region Where the capacity is usable: a network (TADIG) or region code, as a label or a hash.
/// @param salt Lets an issuer create two classes with otherwise identical terms.
/// @param slice The SLA of a slice class.
/// @param spectrum The grid block of a spectrum class.
// solhint-disable-next-line gas-struct-packing
struct ClassTerms {
    uint32 issuerId;
    CapacityKind kind;
    bytes32 unit;
    uint40 validFrom;
    uint40 validUntil;
    uint64 maxSupply;
    bytes32 region;
    bytes32 salt;
    SliceTerms slice;
    SpectrumTerms spectrum;
}

/// @notice Storage record of one class.
/// @dev One slot: issuerId (4) + kind (1) + validFrom (5) + validUntil (5) + maxSupply (8) + minted (8) = 31 bytes.
/// @param minted Units minted so far (redeemed units are burnt, never minted again).
// solhint-disable-next-line gas-struct-packing
struct ClassInfo {
    uint32 issuerId;
    CapacityKind kind;
    uint40 validFrom;
    uint40 validUntil;
    uint64 maxSupply;
    uint64 minted;
}

/// @notice A band plan of the spectrum grid: channel `c < channelCount` is `[originKHz + c * channelWidthKHz,
/// + channelWidthKHz)` and slot `s < slotCount` is `[epoch + s * slotSeconds, + slotSeconds)`, so the plan covers the
/// frequencies `[originKHz, originKHz + channelCount * channelWidthKHz)` over the time `[epoch, epoch + slotCount *
/// slotSeconds)`. No two plans overlap in that frequency x time rectangle. Immutable once created.
/// @dev One slot: originKHz (8) + channelWidthKHz (4) + channelCount (2) + slotSeconds (4) + epoch (5) + slotCount (4)
/// = 27 bytes.
struct BandPlan {
    uint64 originKHz;
    uint32 channelWidthKHz;
    uint16 channelCount;
    uint32 slotSeconds;
    uint40 epoch;
    uint32 slotCount;
}

/// @notice Storage record of one SLA breach of a slice class, keyed by `keccak256(abi.encode(classId, from, to))`.
/// @dev One slot: recorded (1) + remaining (8) = 9 bytes.
/// @param recorded Whether the breach was recorded (its first call sets `remaining`).
/// @param remaining Units that may still be credited: the class's supply outside the issuer's admin account when the
/// breach was first recorded, less every unit credited since.
struct SlaBreach {
    bool recorded;
    uint64 remaining;
}

/// @notice How a market purchase is paid.
enum PayVia {
    Vault, // from the buyer's free balance in the SettlementVault to the seller's, at once
    Direct // an ERC-20 transfer from the buyer to the seller's payout address
}

/// @notice A fixed-price offer to sell units of a class, filled in parts until `remaining` is zero.
/// @dev Four slots: classId; seller (20) + sellerId (4) + expiry (5); token (20) + remaining (8); unitPrice (16).
/// @param classId The capacity class.
/// @param seller The seller's admin account, which holds the units and approved the market.
/// @param sellerId The selling operator.
/// @param expiry The last second (Unix) at which the listing may be filled.
/// @param token The payment token (allowed in the vault).
/// @param remaining Units still for sale (0: sold out or cancelled).
/// @param unitPrice Price of one unit, in `token` base units.
// solhint-disable-next-line gas-struct-packing
struct Listing {
    uint256 classId;
    address seller;
    uint32 sellerId;
    uint40 expiry;
    address token;
    uint64 remaining;
    uint128 unitPrice;
}

/// @notice A request to buy units of a class at a fixed price, which any holder may fill in parts; paid from the
/// buyer's free vault balance when filled (no escrow).
/// @dev Four slots, as {Listing}.
/// @param classId The capacity class.
/// @param buyer The buyer's admin account, which receives the units.
/// @param buyerId The buying operator.
/// @param expiry The last second (Unix) at which the bid may be filled.
/// @param token The payment token (allowed in the vault).
/// @param remaining Units still wanted (0: filled or cancelled).
/// @param unitPrice Price of one unit, in `token` base units.
// solhint-disable-next-line gas-struct-packing
struct Bid {
    uint256 classId;
    address buyer;
    uint32 buyerId;
    uint40 expiry;
    address token;
    uint64 remaining;
    uint128 unitPrice;
}
