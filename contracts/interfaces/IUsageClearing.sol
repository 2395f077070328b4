// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IOperatorRegistry } from "./IOperatorRegistry.sol";
import { IRoamingAgreements } from "./IRoamingAgreements.sol";
import { ISettlementVault } from "./ISettlementVault.sol";
import { IUsageChallenges } from "./IUsageChallenges.sol";
import { AgreementTerms } from "../types/AgreementTypes.sol";
import {
    Batch,
    BatchHeader,
    BatchStatus,
    BatchTotals,
    ClearingConfig,
    FraudKind,
    Lane,
    OperatorClearingStats,
    PeriodCorrections,
    SubmissionTerms,
    Voucher
} from "../types/ClearingTypes.sol";
import { OperatorStatus } from "../types/OperatorTypes.sol";
import { Service, Tariff } from "../types/RatingTypes.sol";

/// @title IUsageClearing
/// @notice Usage clearing between roaming partners: the visited network (VPMN) submits usage batches (TAP-like: a
/// sequence number, per-service totals and the Merkle root of the records), the contract rates them with the
/// agreement's base tariff, and the home network (HPMN) accepts, rejects whole (RAP-like fatal codes) or disputes
/// records (RAP-like codes) within the dispute window. Anyone holding the records may prove objective fraud on chain.
/// Undisputed usage is final when the window ends, without a transaction at that moment; its charge reaches the
/// {ISettlementVault} (HPMN pays VPMN) on the first touch. Real-time vouchers signed by the HPMN charge at once. Each
/// agreement period's discount deal is settled by {IPeriodSettlement} from the running volumes kept here.
/// @dev Batches are keyed by their id, the EIP-712 struct hash of their header; calls about a batch take the header
/// back as calldata. A submission carries neither the terms nor the tariff: what it needs of a version of the terms
/// (dispute window, submission grace, taxed services, and the base tariff's rate card, see {RateCard}) is cached once
/// per version and direction by {enableClearing} and {cacheTerms}, keyed by the terms' hash, and found through the
/// version {IRoamingAgreements.termsAt} says is in force at the batch's period start. The other calls that need terms
/// or tariffs take them as calldata and check them against {IRoamingAgreements} (terms in force at the batch's period
/// start) or the header (its base tariff id).
///
/// Rating: per (agreement, direction, period) the contract keeps the running volume `V_s` of each base-tariff
/// service. A batch adding `v_s` is charged `Σ_s R_s(V_s + v_s) − R_s(V_s)`, `R_s` being the base plan's rounded
/// period result ({Rating.rate}), so the batches of a period add up to `Σ_s R_s(V_s)`. Removing a record of volume `v`
/// (dispute or fraud proof) lowers `V_s` by `v` and the batch's charge by `R_s(V_s) − R_s(V_s − v)`, capped at the
/// charge; whatever rejections and caps move away from `Σ_s R_s(V_s)` is kept as the period's drift.
///
/// Each batch keeps, per plan, the volume it still counts in its period (its totals less what removals took from it),
/// so that a removal never takes more than its own batch added and a rejection takes back exactly the rest, in a
/// bounded number of steps whatever was challenged before.
///
/// EIP-712 domain: name "RoamLedger UsageClearing", version "1". Signed types: `BatchHeader` (see
/// {ClearingHashes.BATCH_HEADER_TYPEHASH}), `Voucher(bytes32 agreementId,uint8 direction,uint128 cumulativeAmount,
/// uint64 expiry)` and `Resolution(bytes32 batchId,uint16 round,uint16 disputed,uint128 held,uint128 payAmount)`.
interface IUsageClearing is IUsageChallenges {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted once per agreement when it enters clearing.
    event ClearingEnabled(bytes32 indexed agreementId, address indexed token, uint32 partyA, uint32 partyB);

    /// @notice Emitted when what submissions need of version `version` of an agreement's terms (hash `termsHash`) is
    /// cached, both directions ({submissionTerms}).
    event TermsCached(bytes32 indexed agreementId, uint32 indexed version, bytes32 termsHash);

    /// @notice Emitted per batch. With the call's `header` (whose struct hash is `batchId`) and `totals` arguments
    /// (whose struct hash is `header.totals`), an indexer rebuilds the usage invoice: per-service volumes, record
    /// counts and taxes.
    /// @param period The agreement period the batch belongs to.
    /// @param sequence The batch's sequence number on (agreement, direction).
    /// @param root The Merkle root of its records.
    /// @param charge What the base tariff charges for it (taxes excluded; they are paid on top).
    /// @param taxes The total of its taxes.
    /// @param finalAt When its dispute window ends.
    /// @param fileURI Where the encrypted record file (hash `header.fileHash`) can be fetched.
    event BatchSubmitted(
        bytes32 indexed batchId,
        bytes32 indexed agreementId,
        uint8 indexed direction,
        uint32 sequence,
        uint256 period,
        bytes32 root,
        uint256 charge,
        uint256 taxes,
        uint40 finalAt,
        string fileURI
    );

    /// @notice Emitted when the home network accepts a batch inside its window: it is final at once.
    event BatchAccepted(bytes32 indexed batchId);

    /// @notice Emitted when a batch's charge plus taxes (`amount`) is recorded in the vault, `ref` = the batch id.
    /// @param accepted True when the home network had accepted it, false when its window had ended.
    event BatchFinalized(bytes32 indexed batchId, uint256 amount, bool accepted);

    /// @notice Emitted when the home network rejects a batch whole; `charge` and `held` are dropped.
    event BatchRejected(bytes32 indexed batchId, uint16 reasonCode, uint256 charge, uint256 held);

    /// @notice Emitted per disputed record: `amount` of the batch's charge is now held.
    event RecordDisputed(bytes32 indexed batchId, bytes32 indexed recordId, uint32 index, uint8 code, uint256 amount);

    /// @notice Emitted per record proven fraudulent: `amount` is removed from the batch's charge for good.
    event FraudProven(
        bytes32 indexed batchId,
        bytes32 indexed recordId,
        address indexed prover,
        uint32 index,
        FraudKind kind,
        uint256 amount
    );

    /// @notice Emitted when a held part is settled: `payAmount` is recorded in the vault (`ref` =
    /// `keccak256(abi.encode(batchId, round))`), `waived` is dropped.
    event DisputeResolved(
        bytes32 indexed batchId,
        uint16 indexed round,
        uint256 payAmount,
        uint256 waived,
        bool byArbiter
    );

    /// @notice Emitted when a voucher is redeemed: `increase` is recorded in the vault (`ref` = the voucher's struct
    /// hash).
    event VoucherRedeemed(
        bytes32 indexed agreementId,
        uint8 indexed direction,
        address indexed signer,
        uint256 cumulativeAmount,
        uint256 increase
    );

    /// @notice Emitted when the arbiter's escalation timeout changes.
    event EscalationTimeoutSet(uint32 escalationTimeout);

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice `field` must not be the zero address.
    error UsageClearing_ZeroAddress(string field);

    /// @notice The escalation timeout must not be zero.
    error UsageClearing_ZeroEscalationTimeout();

    /// @notice A direction is 0 or 1.
    error UsageClearing_InvalidDirection(uint8 direction);

    /// @notice The terms given do not hash to version `version` of `agreementId`, the one in force.
    error UsageClearing_TermsMismatch(bytes32 agreementId, uint32 version);

    /// @notice The tariff id `given` (of a tariff passed in, or the one a header names) is not `expected` (the terms'
    /// base tariff of the direction, or the one the batch's header names).
    error UsageClearing_TariffMismatch(bytes32 expected, bytes32 given);

    /// @notice Version `version` of the agreement's terms, the one in force at the batch's start, is not cached with
    /// `baseTariff` (the header's) as the base tariff of the batch's direction: the terms were never cached
    /// ({enableClearing} for version 0, {cacheTerms}), or the header names another tariff than theirs.
    error UsageClearing_TermsNotCached(bytes32 agreementId, uint32 version, bytes32 baseTariff);

    /// @notice The agreement `agreementId` is not in clearing yet.
    error UsageClearing_ClearingNotEnabled(bytes32 agreementId);

    /// @notice The agreement `agreementId` is in clearing already.
    error UsageClearing_ClearingAlreadyEnabled(bytes32 agreementId);

    /// @notice The vault does not accept `token`, the agreement's settlement token.
    error UsageClearing_TokenNotAllowed(address token);

    /// @notice `caller` is neither the admin nor an active signer key of operator `operatorId`.
    error UsageClearing_NotOperatorAccount(uint32 operatorId, address caller);

    /// @notice `signer`, recovered from a signature, is not an active signer key of operator `operatorId`.
    error UsageClearing_SignerNotAuthorized(uint32 operatorId, address signer);

    /// @notice Operator `operatorId` is `status`, not active.
    error UsageClearing_OperatorNotActive(uint32 operatorId, OperatorStatus status);

    /// @notice `[periodStart, periodEnd)` is empty, not inside one agreement period within validity, or not over.
    error UsageClearing_InvalidBatchPeriod(uint40 periodStart, uint40 periodEnd);

    /// @notice Usage of `period` could be submitted until `deadline` (its end plus the submission grace).
    error UsageClearing_SubmissionClosed(bytes32 agreementId, uint256 period, uint256 deadline);

    /// @notice The batch must have sequence `expected`, not `given`.
    error UsageClearing_SequenceMismatch(uint32 expected, uint32 given);

    /// @notice The root is zero, or a batch of the same agreement and direction used it.
    error UsageClearing_RootUsed(bytes32 agreementId, uint8 direction, bytes32 root);

    /// @notice The per-service arrays are empty or of different lengths.
    error UsageClearing_MalformedTotals();

    /// @notice The totals given hash to `given`, not to the header's `expected`.
    error UsageClearing_TotalsMismatch(bytes32 expected, bytes32 given);

    /// @notice The header declares `declared` taxes; its totals add up to `sum`.
    error UsageClearing_TaxesMismatch(uint256 declared, uint256 sum);

    /// @notice A dispute needs at least one record and one reason code per record (`records` and `codes`).
    error UsageClearing_LengthMismatch(uint256 records, uint256 codes);

    /// @notice `services[index]` is not strictly above the previous service, or the base tariff has no plan for it.
    error UsageClearing_ServiceNotRated(uint256 index, Service service);

    /// @notice The running volume of `service` would exceed uint64 (`volume`), or the batch's own volume of it is
    /// 2^64 − 1 (then `volume` is at least 2^64: a batch's volume is kept plus one).
    error UsageClearing_VolumeOverflow(Service service, uint256 volume);

    /// @notice `amount` exceeds what one obligation may carry: a batch's charge plus taxes (its charge must also fit
    /// uint88) or a voucher's increase above uint96.
    error UsageClearing_AmountTooLarge(uint256 amount);

    /// @notice No batch has id `batchId`.
    error UsageClearing_UnknownBatch(bytes32 batchId);

    /// @notice The batch `batchId` is `status` with window end `finalAt`: it can no longer be accepted, rejected,
    /// disputed or challenged.
    error UsageClearing_WindowClosed(bytes32 batchId, BatchStatus status, uint40 finalAt);

    /// @notice The batch `batchId` is `status`: it cannot be finalized (its window ends at `finalAt`).
    error UsageClearing_NotFinalizable(bytes32 batchId, BatchStatus status, uint40 finalAt);

    /// @notice `code` is not a reason code of this action.
    error UsageClearing_InvalidReasonCode(uint256 code);

    /// @notice The Merkle proof does not show the leaves are in the batch `batchId`.
    error UsageClearing_InvalidProof(bytes32 batchId);

    /// @notice The record at `index` of `batchId` was disputed or proven before.
    error UsageClearing_RecordAlreadyChallenged(bytes32 batchId, uint32 index);

    /// @notice The home network may dispute at most `max` records of a batch (`count` with this dispute).
    error UsageClearing_TooManyDisputes(bytes32 batchId, uint256 count, uint256 max);

    /// @notice The leaf does not show fraud of kind `kind`.
    error UsageClearing_NotFraud(FraudKind kind);

    /// @notice Duplicates are proven with {proveDuplicate}; `kind` is not a kind {proveFraud} judges.
    error UsageClearing_InvalidFraudKind(FraudKind kind);

    /// @notice The kept copy's batch `keptBatchId` is not an earlier, unrejected batch of the same agreement and
    /// direction, or its leaf was challenged.
    error UsageClearing_InvalidKeptCopy(bytes32 keptBatchId);

    /// @notice The batch `batchId` holds nothing to resolve.
    error UsageClearing_NothingHeld(bytes32 batchId);

    /// @notice A resolution may pay at most the `held` amount.
    error UsageClearing_PayAmountTooLarge(uint256 payAmount, uint256 held);

    /// @notice The arbiter may decide the held part of `batchId` from `dueAt` on.
    error UsageClearing_EscalationNotDue(bytes32 batchId, uint256 dueAt);

    /// @notice The voucher could be redeemed until `expiry`.
    error UsageClearing_VoucherExpired(uint64 expiry);

    /// @notice The voucher's cumulative amount does not exceed what was redeemed already.
    error UsageClearing_StaleVoucher(uint256 cumulativeAmount, uint256 redeemed);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The operator registry.
    function registry() external view returns (IOperatorRegistry);

    /// @notice The roaming agreements contract.
    function agreements() external view returns (IRoamingAgreements);

    /// @notice The settlement vault, which lists this contract as a suite contract.
    function vault() external view returns (ISettlementVault);

    /// @notice How long after a batch's window ends the arbiter may decide its held part.
    function escalationTimeout() external view returns (uint32);

    /// @notice The most records of one batch the home network may dispute (uint16: {Batch.disputed}). Fraud proofs
    /// are not counted: nothing anyone else does uses up the home network's disputes.
    function MAX_DISPUTES() external view returns (uint256);

    /// @notice An agreement's clearing record (token zero: not in clearing).
    function clearingConfig(bytes32 agreementId) external view returns (ClearingConfig memory);

    /// @notice The state of one (agreement, direction): last sequence, voucher amount redeemed.
    function lane(bytes32 agreementId, uint8 direction) external view returns (Lane memory);

    /// @notice What submissions need of the terms whose hash is `termsHash` ({TypedData.hashTerms}) for `direction`,
    /// when their base tariff of the direction is `baseTariff`, as {enableClearing} or {cacheTerms} cached it; all zero
    /// when not cached (or when `baseTariff` is not the terms' base tariff of the direction).
    function submissionTerms(
        bytes32 termsHash,
        uint8 direction,
        bytes32 baseTariff
    ) external view returns (SubmissionTerms memory);

    /// @notice One batch's record.
    function getBatch(bytes32 batchId) external view returns (Batch memory);

    /// @notice Whether a batch of (`agreementId`, `direction`) used `root`.
    function isRootUsed(bytes32 agreementId, uint8 direction, bytes32 root) external view returns (bool);

    /// @notice What the batch of `header` still counts in its period, by base-tariff plan position (`count`
    /// positions): its totals' volumes less what disputes and fraud proofs took from it; all zero once it is rejected
    /// (or for a header never submitted).
    function batchVolumes(BatchHeader calldata header, uint256 count) external view returns (uint64[] memory volumes);

    /// @notice Whether the batch's charge is final: accepted, recorded, or its window is over and it was not
    /// rejected.
    function isFinal(bytes32 batchId) external view returns (bool);

    /// @notice Whether the record at `index` of `batchId` was disputed or proven.
    function isChallenged(bytes32 batchId, uint32 index) external view returns (bool);

    /// @notice The running volume of each base-tariff plan position (`count` positions) of a period.
    function periodVolumes(
        bytes32 agreementId,
        uint8 direction,
        uint256 period,
        uint256 count
    ) external view returns (uint64[] memory volumes);

    /// @notice A period's corrections (drift and included taxes).
    function periodCorrections(
        bytes32 agreementId,
        uint8 direction,
        uint256 period
    ) external view returns (PeriodCorrections memory);

    /// @notice A member's clearing statistics (fraud proven against it, batches rejected).
    function operatorStats(uint32 operatorId) external view returns (OperatorClearingStats memory);

    /// @notice The batch id: the EIP-712 struct hash of `header`.
    function hashBatchHeader(BatchHeader calldata header) external pure returns (bytes32);

    /// @notice The EIP-712 struct hash of `totals`: what a header's `totals` field holds.
    function hashBatchTotals(BatchTotals calldata totals) external pure returns (bytes32);

    /// @notice The EIP-712 struct hash of `voucher`.
    function hashVoucher(Voucher calldata voucher) external pure returns (bytes32);

    /// @notice The EIP-712 digest of the message whose struct hash is `structHash`, in this contract's domain.
    function hashTypedData(bytes32 structHash) external view returns (bytes32);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Stops batch submission and voucher redemption (everything that protects the home network, and
    /// finalization, keeps working). Restricted (pauser).
    function pause() external;

    /// @notice Lets submission and redemption resume. Restricted (governor).
    function unpause() external;

    /// @notice Sets the escalation timeout. Restricted (governor).
    /// @dev Emits {EscalationTimeoutSet}. Requirements: `timeout > 0`.
    function setEscalationTimeout(uint32 timeout) external;

    /// @notice Decides an escalated dispute: pays `payAmount` of the batch's held part, waives the rest. Restricted
    /// (arbiter).
    /// @dev Emits {DisputeResolved}. Requirements: the header is a batch's; it holds something; `payAmount <= held`;
    /// `block.timestamp >= finalAt + escalationTimeout`.
    function resolveEscalated(BatchHeader calldata header, uint256 payAmount) external;

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Puts an agreement in clearing (anyone may; once, before its first batch): records its token, decimals
    /// and parties, and caches what submissions need of its terms (version 0) as {cacheTerms} does.
    /// @dev Emits {ClearingEnabled} and {TermsCached}. Requirements, in this order: `terms` are version 0 of the
    /// agreement; not enabled before; the vault allows the token; `baseTariffs[d]` is the terms' base tariff of
    /// direction `d` (each hashes to its id).
    function enableClearing(
        bytes32 agreementId,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs
    ) external;

    /// @notice Caches what submitting batches needs of version `version` of an agreement's terms (anyone may; once per
    /// version, after an amendment: {enableClearing} caches version 0), so that submissions carry neither the terms
    /// nor the tariff: per direction, the dispute window, the submission grace, the services whose taxes a period
    /// settlement tracks, and the base tariff's rate card (created once per tariff). Entries are keyed by the terms'
    /// hash, so the terms of one version are never taken for another's; caching again rewrites the same entries.
    /// @dev Emits {TermsCached}. Requirements, in this order: `terms` hash to version `version` of the agreement (an
    /// unknown agreement or version reverts in {IRoamingAgreements.termsHash}); the agreement is in clearing;
    /// `baseTariffs[d]` is the terms' base tariff of direction `d`.
    function cacheTerms(
        bytes32 agreementId,
        uint32 version,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs
    ) external;

    /// @notice Submits a usage batch, rates it with the base tariff and opens its dispute window.
    /// @dev Emits {BatchSubmitted}. The terms in force at the batch's start must have been cached ({enableClearing},
    /// {cacheTerms}): the batch is rated with the rate card of their base tariff of the direction, its window is their
    /// dispute window.
    ///
    /// Requirements, checked in this order:
    /// - Not paused; `direction` is 0 or 1.
    /// - The agreement's terms in force at `periodStart` are cached with `header.baseTariff` as their base tariff of
    ///   the direction.
    /// - With an empty `signature`, the caller is the VPMN's admin or one of its active signer keys; otherwise
    ///   `signature` is the EIP-712 signature of the header by an active signer key of the VPMN (any relayer may
    ///   send it). The VPMN is active.
    /// - `periodStart < periodEnd <= now`, inside one agreement period and the validity window.
    /// - `now <= end of that period + submissionGrace`.
    /// - The agreement is in clearing.
    /// - `sequence` is the previous sequence of (agreement, direction) plus one.
    /// - The root is not zero and was never used.
    /// - `totals` hash to `header.totals` (a word with bits above its fields reverts without data); they are not
    ///   empty; services strictly ascending, each in the base tariff; running volumes fit uint64; `header.taxes` is
    ///   the sum of their taxes; the charge fits uint88 and the charge plus the taxes uint96 (what the vault accepts
    ///   as one obligation).
    /// @param totals The batch's {BatchTotals} packed, one word per service: `service | volume << 8 | recordCount <<
    /// 72 | tax << 104` (232 bits); hashed unpacked ({ClearingHashes.hashPackedTotals}), as the header's `totals`.
    /// @param fileURI Where the encrypted record file can be fetched ({BatchSubmitted}).
    /// @param signature Empty when the caller submits for the VPMN; else a VPMN signer key's EIP-712 signature of the
    /// header, brought by a relayer.
    /// @return batchId The batch id ({hashBatchHeader}).
    function submitBatch(
        BatchHeader calldata header,
        uint256[] calldata totals,
        string calldata fileURI,
        bytes calldata signature
    ) external returns (bytes32 batchId);

    /// @notice The home network accepts a batch: it is final at once (no dispute or fraud proof any more), and its
    /// charge plus taxes is recorded in the vault by {finalize}, which anyone may call at once.
    /// @dev Emits {BatchAccepted}. Requirements: a pending batch inside its window; the caller is the HPMN's admin or
    /// an active signer key.
    function accept(BatchHeader calldata header) external;

    /// @notice Records an accepted batch, or one whose window has ended: its charge plus taxes goes to the vault.
    /// Anyone may call.
    /// @dev Emits {BatchFinalized}. Requirements: an accepted batch, or a pending batch with `now >= finalAt`.
    function finalize(BatchHeader calldata header) external;

    /// @notice Settles a batch's held part with both parties' signatures of `Resolution(batchId, round, disputed,
    /// held, payAmount)`; anyone may submit them. The signed round, disputed count and held amount must be the batch's
    /// now: a resolution pays or waives exactly the held part both parties saw, and a dispute after signing voids it.
    /// @dev Emits {DisputeResolved}. Requirements: the batch holds something; `payAmount <= held`; the signatures are
    /// by active signer keys of the HPMN and of the VPMN, over the batch's current round, disputed count and held
    /// amount (other values recover another signer and revert with {UsageClearing_SignerNotAuthorized}).
    function resolve(
        BatchHeader calldata header,
        uint256 payAmount,
        bytes calldata hpmnSignature,
        bytes calldata vpmnSignature
    ) external;

    /// @notice Redeems the latest voucher of (agreement, direction): the increase over what was redeemed is recorded
    /// in the vault at once. Anyone may.
    /// @dev Emits {VoucherRedeemed}. Requirements: not paused; the agreement is in clearing; `now <= expiry`; the
    /// signature is by an active signer key of the HPMN; `cumulativeAmount > redeemed`; the increase fits uint96.
    function redeemVoucher(Voucher calldata voucher, bytes calldata signature) external;
}
