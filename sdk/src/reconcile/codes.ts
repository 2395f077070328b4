/**
 * The numeric codes of usage clearing (docs/ARCHITECTURE.md section 7), as the contracts number them: fraud kinds
 * (`FraudKind` in `contracts/types/ClearingTypes.sol`), RAP-like record dispute codes and fatal batch reject codes.
 *
 * Pure: constants only.
 */

/**
 * What a fraud proof shows about a record leaf, judged on chain without an arbiter (Solidity `enum FraudKind`, where
 * 0 is `None`).
 * - `Duplicate`: the same `recordId` earlier on the same (agreement, direction): in a batch with a lower sequence, or
 *   at a lower `index` of the same batch. The later copy is removed.
 * - `OutsidePeriod`: `eventStart` outside the batch's `[periodStart, periodEnd)` or the agreement's validity.
 * - `BadIncrement`: `chargedVolume` is not a multiple of the service's charging increment in the base tariff.
 * - `ServiceNotCovered`: the base tariff has no plan for the record's service.
 */
export const FraudKind = { Duplicate: 1, OutsidePeriod: 2, BadIncrement: 3, ServiceNotCovered: 4 } as const;
/** A fraud kind, `1..4`. */
export type FraudKind = (typeof FraudKind)[keyof typeof FraudKind];

/**
 * Why the home network disputes a record (RAP-like severe codes), for what the chain cannot judge by itself.
 * - `UnknownSubscriber`: the subscriber pseudonym is not one the home network provisioned for the period.
 * - `DuplicateEvent`: the same event billed again under another reference (never raised automatically).
 * - `ImpossibleSequence`: e.g. one subscriber in two countries at overlapping times (never raised automatically).
 * - `Other`: anything else, such as a charged volume that differs from the home network's own record.
 */
export const DisputeCode = { UnknownSubscriber: 10, DuplicateEvent: 11, ImpossibleSequence: 12, Other: 19 } as const;
/** A dispute code. */
export type DisputeCode = (typeof DisputeCode)[keyof typeof DisputeCode];

/**
 * Why the home network rejects a whole batch (RAP-like fatal codes).
 * - `FileUnreadable`: the record file cannot be fetched, decrypted or parsed.
 * - `WrongRecipient`: the batch is not addressed to this home network.
 * - `TotalsMismatch`: the header's per-service totals do not match the records.
 * - `Other`: any other fatal reason.
 */
export const RejectCode = { FileUnreadable: 100, WrongRecipient: 101, TotalsMismatch: 102, Other: 109 } as const;
/** A reject code. */
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];
