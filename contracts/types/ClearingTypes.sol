// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Service } from "./RatingTypes.sol";

/// @notice Where a usage batch stands.
/// - `None`: no batch has this id.
/// - `Pending`: submitted, inside or past its dispute window, its charge not yet recorded in the vault. Once
///   `block.timestamp >= finalAt` it is final by time ({IUsageClearing.isFinal}) even before anyone records it.
/// - `Final`: its charge was recorded in the vault. Only a held part may still be paid, by a resolution.
/// - `Rejected`: rejected whole by the home network; nothing of it is ever paid.
/// - `Accepted`: accepted by the home network inside its window: final at once, its charge recorded by the next
///   {IUsageClearing.finalize} (anyone may call it at once).
enum BatchStatus {
    None,
    Pending,
    Final,
    Rejected,
    Accepted
}

/// @notice What a fraud proof shows about a record leaf, judged on chain without an arbiter.
/// - `Duplicate`: the same `recordId` appears earlier on the same (agreement, direction): in a batch with a lower
///   sequence, or at a lower index of the same batch.
/// - `OutsidePeriod`: `eventStart` is outside the batch's `[periodStart, periodEnd)` (which lies inside the
///   agreement's validity).
/// - `BadIncrement`: `chargedVolume` is not a multiple of the service's charging increment in the base tariff.
/// - `ServiceNotCovered`: the base tariff has no plan for the record's service.
enum FraudKind {
    None,
    Duplicate,
    OutsidePeriod,
    BadIncrement,
    ServiceNotCovered
}

/// @notice A visited network's (VPMN) usage batch for one agreement and direction, as submitted and as signed
/// (EIP-712) by a VPMN signer key when a relayer submits it. Its EIP-712 struct hash is the batch id. Every call about
/// the batch takes it back as calldata: it is fully static (ten words), its per-service figures being committed to by
/// `totals` ({BatchTotals}, passed in full where needed).
/// @param agreementId The agreement.
/// @param direction 0: party A is the visited network and charges party B; 1: the reverse.
/// @param sequence The batch's number on this (agreement, direction): exactly the previous one plus one, from 1, as
/// TAP file sequence numbers (a rejected batch keeps its number).
/// @param periodStart Start of the usage the batch covers (Unix seconds, inclusive).
/// @param periodEnd End of the usage it covers (exclusive); `[periodStart, periodEnd)` lies inside one agreement
/// period.
/// @param baseTariff The id of the base tariff that rates it: the terms' base tariff of the direction, checked on
/// submission (so that later calls about the batch need the tariff, not the terms).
/// @param taxes The sum of `totals.taxes`: what the batch pays on top of its charge.
/// @param totals The EIP-712 struct hash of the batch's {BatchTotals} (in the signed message, the struct itself).
/// @param root The Merkle root of the record leaves ({RecordLeaf}); never used by another batch of the same agreement
/// and direction (other lanes' roots do not matter).
/// @param fileHash The hash of the encrypted record file both parties hold.
// solhint-disable-next-line gas-struct-packing
struct BatchHeader {
    bytes32 agreementId;
    uint8 direction;
    uint32 sequence;
    uint40 periodStart;
    uint40 periodEnd;
    bytes32 baseTariff;
    uint128 taxes;
    bytes32 totals;
    bytes32 root;
    bytes32 fileHash;
}

/// @notice A batch's per-service figures, aligned arrays: `services` strictly ascending, each covered by the base
/// tariff. What the header's `totals` hashes ({ClearingHashes.hashTotals}) and {IUsageClearing.reject} takes;
/// {IUsageClearing.submitBatch} takes the same figures packed, one word per service (`service | volume << 8 |
/// recordCount << 72 | tax << 104`), and hashes them unpacked.
/// @param volumes Per service, the charged volume (after per-record rounding to the increment), in volume units.
/// @param recordCounts Per service, the number of records.
/// @param taxes Per service, the taxes charged with the usage, in settlement-token base units.
struct BatchTotals {
    Service[] services;
    uint64[] volumes;
    uint32[] recordCounts;
    uint128[] taxes;
}

/// @notice One usage record as committed to by a batch root. See {RecordLeafLib} for the leaf hash.
/// @param recordId `keccak256(abi.encode(subscriberHash, service, eventStart, eventRef))`: the same event billed
/// twice has the same id.
/// @param subscriberHash `keccak256(abi.encode(periodSalt, imsi))`: a per-period pseudonym, never an IMSI.
/// @param service The service used.
/// @param eventStart When the event started (Unix seconds).
/// @param chargedVolume The volume after rounding up to the charging increment.
/// @param index The record's position in the batch file (so two copies in one file are distinct leaves).
// solhint-disable-next-line gas-struct-packing
struct RecordLeaf {
    bytes32 recordId;
    bytes32 subscriberHash;
    Service service;
    uint64 eventStart;
    uint64 chargedVolume;
    uint32 index;
}

/// @notice A record leaf with its Merkle proof.
struct RecordProof {
    RecordLeaf leaf;
    bytes32[] proof;
}

/// @notice A multi-proof of several leaves of one batch, as `getMultiProof` of OpenZeppelin's merkle-tree package
/// returns it (`leaves` in its order).
struct RecordMultiProof {
    RecordLeaf[] leaves;
    bytes32[] proof;
    bool[] proofFlags;
}

/// @notice Storage record of one batch.
/// @dev One slot: finalAt (5) + status (1) + charge (11) + held (11) + round (2) + disputed (2) = 32 bytes.
/// @param finalAt When the dispute window ends: the batch is final by time from then on.
/// @param status See {BatchStatus}.
/// @param charge What the batch owes for its usage (base plan, before taxes), disputed and proven parts removed.
/// @param held The disputed part awaiting a resolution.
/// @param round How many times a held part was resolved (signed resolutions name the round, so none replays).
/// @param disputed How many of its records the home network disputed (each at most once; fraud proofs, which anyone
/// may send, are not counted here). Only disputes move it, so a signed {Resolution} that names it, with the round and
/// the held amount, applies to exactly the disputes both parties saw.
// solhint-disable-next-line gas-struct-packing
struct Batch {
    uint40 finalAt;
    BatchStatus status;
    uint88 charge;
    uint88 held;
    uint16 round;
    uint16 disputed;
}

/// @notice Storage record of one agreement in clearing (token zero: not in clearing).
/// @dev One slot: token (20) + partyA (4) + partyB (4). The token and the parties never change.
struct ClearingConfig {
    address token;
    uint32 partyA;
    uint32 partyB;
}

/// @notice Storage record of one (agreement, direction).
/// @dev One slot: sequence (4) + voucherRedeemed (16) + decimals (1) + open (1) + validFrom (5) + periodLength (4).
/// @param sequence The last batch sequence number used.
/// @param voucherRedeemed The cumulative amount of the latest voucher redeemed.
/// @param decimals The settlement token's decimals (what rating rounds to).
/// @param open Set when clearing is enabled, so the slot is never written from zero by a batch.
/// @param validFrom The agreement's start, which never changes (it numbers the periods).
/// @param periodLength The agreement's period length, which never changes.
struct Lane {
    uint32 sequence;
    uint128 voucherRedeemed;
    uint8 decimals;
    bool open;
    uint40 validFrom;
    uint32 periodLength;
}

/// @notice What submitting a batch needs of one version of an agreement's terms, for one direction: cached once by
/// {IUsageClearing.enableClearing} (version 0) or {IUsageClearing.cacheTerms} (a later version), keyed by the terms'
/// hash, the direction and the direction's base tariff id, so that submissions carry neither the terms nor the tariff.
/// @dev One slot: rateCard (20) + disputeWindow (4) + submissionGrace (4) + taxedServices (2) + rateCardSize (2).
/// @param rateCard The contract whose code holds the base tariff's rate card ({RateCard}); zero: not cached.
/// @param disputeWindow The terms' dispute window.
/// @param submissionGrace The terms' submission grace.
/// @param taxedServices The services whose taxes a period settlement tracks: the direction's condition's included
/// services when it is ContractRevenue with taxes, none otherwise.
/// @param rateCardSize The rate card's length in bytes.
struct SubmissionTerms {
    address rateCard;
    uint32 disputeWindow;
    uint32 submissionGrace;
    uint16 taxedServices;
    uint16 rateCardSize;
}

/// @notice Corrections kept per (agreement, direction, period), written only when non-zero.
/// @param drift `Σ final batch charges − Σ_s R_s(V_s)`: what removals moved away from the exact period result
/// (rejections, and removals capped at a batch's charge).
/// @param includedTaxes Taxes of the services a ContractRevenue-with-taxes condition includes (only then tracked).
struct PeriodCorrections {
    int128 drift;
    uint128 includedTaxes;
}

/// @notice A real-time voucher: the home network's signer key acknowledges that the cumulative amount owed on
/// (agreement, direction) has reached `cumulativeAmount`. Redeeming the latest charges the increase at once.
struct Voucher {
    bytes32 agreementId;
    uint8 direction;
    uint128 cumulativeAmount;
    uint64 expiry;
}

/// @notice Both parties' settlement of a batch's held part: `payAmount` is paid, the rest is waived. It names the
/// batch's state both parties saw when they signed: its round, how many records were disputed and the held amount; a
/// resolution applies only while the batch is exactly in that state (a dispute after signing voids the signatures).
struct Resolution {
    bytes32 batchId;
    uint16 round;
    uint16 disputed;
    uint128 held;
    uint128 payAmount;
}

/// @notice What a member's clearing record counts.
/// @param fraudProven Records of its batches proven fraudulent.
/// @param batchesRejected Its batches rejected whole.
/// @param enrolled Set when a first agreement of the member enters clearing, so counting never writes from zero.
struct OperatorClearingStats {
    uint32 fraudProven;
    uint32 batchesRejected;
    bool enrolled;
}
