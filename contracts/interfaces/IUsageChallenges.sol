// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { BatchHeader, BatchTotals, FraudKind, RecordMultiProof, RecordProof } from "../types/ClearingTypes.sol";

/// @title IUsageChallenges
/// @notice The challenge calls of usage clearing: rejections, disputes and fraud proofs. {IUsageClearing} extends it,
/// and both sides of the `delegatecall` seam implement it with `override`: {UsageClearing} (which forwards these calls'
/// calldata unchanged) and its module {UsageChallenges} (which runs them on {UsageClearing}'s state). A signature
/// changed on one side only no longer compiles. Events and errors are {IUsageClearing}'s. See docs/ARCHITECTURE.md,
/// section 7.
interface IUsageChallenges {
    /// @notice The home network rejects a batch whole (fatal): what it still counts in its period leaves it (its
    /// volumes less those its disputed and proven records took already), its charge and held part are dropped, nothing
    /// is paid. It depends on nothing anyone else can change: no list of challenged records is needed, and its cost is
    /// bounded by the base tariff's plan count, whatever was challenged before.
    /// @dev Emits {IUsageClearing.BatchRejected}. Requirements, checked in this order: a pending batch inside its
    /// window; the caller is the HPMN's admin or an active signer key; `reasonCode` is 100 (file unreadable), 101
    /// (wrong recipient), 102 (totals mismatch) or 109 (other); `totals` are the batch's (the taxes a period settlement
    /// tracks, as the cached terms of its submission name them, are taken back).
    function reject(BatchHeader calldata header, BatchTotals calldata totals, uint16 reasonCode) external;

    /// @notice The home network disputes records (RAP-like): they leave the period's volumes (each at most what its
    /// batch still counts of its service) and their marginal charge is held until the parties or the arbiter resolve
    /// it.
    /// @dev Emits {IUsageClearing.RecordDisputed} per record. Requirements, checked in this order: a pending batch
    /// inside its window; the caller is the HPMN's admin or an active signer key; one code per record, at least one
    /// record; at most {IUsageClearing.MAX_DISPUTES} disputed records per batch; a valid multi-proof; then per record,
    /// a code of 10 (unknown subscriber), 11 (duplicate event), 12 (impossible sequence) or 19 (other), and no record
    /// challenged before.
    function dispute(BatchHeader calldata header, RecordMultiProof calldata records, uint8[] calldata codes) external;

    /// @notice Proves a record fraudulent (OutsidePeriod, BadIncrement or ServiceNotCovered); anyone may. The record is
    /// removed from the batch's charge for good (its volume leaves the period, at most what its batch still counts of
    /// the service) and counted against the VPMN. A proof uses up none of the home network's disputes.
    /// @dev Emits {IUsageClearing.FraudProven}. Requirements: a pending batch inside its window; a valid proof; the
    /// leaf shows `kind` (judged with the header's base tariff, read from its rate card); the record not challenged
    /// before.
    function proveFraud(FraudKind kind, BatchHeader calldata header, RecordProof calldata record) external;

    /// @notice Proves a record is a duplicate of an earlier one (same `recordId`, same agreement and direction, in an
    /// earlier batch or at a lower index of the same batch); anyone may. The later copy is removed as in {proveFraud}.
    /// @dev Emits {IUsageClearing.FraudProven}. Requirements: as {proveFraud} for the later copy; the kept copy is in a
    /// batch of the same agreement and direction that is not rejected, with a valid proof, not challenged itself.
    function proveDuplicate(
        BatchHeader calldata keptHeader,
        RecordProof calldata kept,
        BatchHeader calldata header,
        RecordProof calldata record
    ) external;
}
