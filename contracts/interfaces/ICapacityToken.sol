// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { BandPlan, CapacityKind, ClassInfo, ClassTerms, SlaBreach } from "../types/CapacityTypes.sol";

/// @title ICapacityToken
/// @notice Wholesale capacity (data, voice minutes, IoT connectivity, 5G slices) and spectrum access as ERC-1155
/// tokens, one id per class (docs/ARCHITECTURE.md section 9).
///
/// Classes. An active operator's admin creates a class from its {ClassTerms}; its id is
/// `uint256(keccak256(abi.encode(terms)))`. Only the issuer mints it, up to `maxSupply` units in all. Holders are
/// registered operators: every mint and transfer must go to the admin account of an active operator. A class moves
/// (mint or transfer) only before its `validUntil`; a holder redeems (burns) units to use them inside
/// `[validFrom, validUntil)`, and the {Redeemed} event tells the issuer's network what to provision.
///
/// Spectrum grid. Governance creates band plans ({BandPlan}), at most {MAX_BAND_PLANS}: channels of a fixed width from
/// an origin frequency, slots of a fixed length from an epoch, each plan a rectangle of frequency x time that overlaps
/// no other plan's. A spectrum class covers a block of channels x slots inside one plan, in one area, and its validity
/// is exactly the block's time window. Area ids are one suite-wide namespace of disjoint licence areas (the same id is
/// the same ground in every plan; two ids never share any), so two blocks can only share spectrum, time and ground
/// inside one plan and one area. An exclusive block is one indivisible lease (`maxSupply` 1) and is reserved in the
/// grid: one bit per (band plan, area, channel, slot), a storage word holding 4 channels x 64 slots (so a 4-channel x
/// 96-slot block touches 2 to 6 words). A class whose block shares one channel-slot with an exclusive block already
/// issued, by anyone, is refused; adjacent channels or slots are not shared. Reservations are never released.
///
/// Slice SLA credits. The issuer, or the arbiter, records a breach of a slice class over `[from, to)`; both paths
/// meet the same breach, `keccak256(abi.encode(classId, from, to))` (the evidence is emitted, not part of its id).
/// Its first record fixes how many units it may credit in all: the class's supply outside the issuer's admin account
/// at that moment. Each holder operator named is credited once per breach for `units = min(balance, remaining)`,
/// `units x creditPerUnitHour x (to - from) / 3600`, rounded half up, as a vault obligation from the issuer to the
/// holder (queued by the vault if the issuer lacks funds). A class's terms bound its largest credit to one vault
/// obligation ({MAX_SLA_CREDIT}), so every credit can be recorded.
///
/// Pausing stops class creation, minting and transfers, never redemption.
interface ICapacityToken {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted when governance creates a band plan.
    event BandPlanCreated(uint32 indexed bandPlanId, BandPlan plan);

    /// @notice Emitted when governance changes the base metadata URI (with ERC-1155 `{id}` substitution).
    event BaseURISet(string baseURI);

    /// @notice Emitted per class created, with its full terms (an indexer needs nothing else to rebuild it).
    event ClassCreated(uint256 indexed classId, uint32 indexed issuerId, CapacityKind indexed kind, ClassTerms terms);

    /// @notice Emitted when a holder redeems units; the issuer's network provisions them.
    /// @param holderId The operator that redeemed.
    /// @param holder The account the units were burnt from.
    /// @param provisioningRef The hash of the (encrypted, off-chain) provisioning request: which subscribers,
    /// APNs or cells the units are for. No personal data goes on chain.
    event Redeemed(
        uint256 indexed classId,
        uint32 indexed holderId,
        uint32 indexed issuerId,
        address holder,
        uint256 amount,
        bytes32 provisioningRef
    );

    /// @notice Emitted per call that records a slice SLA breach (one breach may take several calls, by either path).
    /// @param breachId `keccak256(abi.encode(classId, from, to))`.
    /// @param evidence The hash of this call's evidence (each call may bring its own).
    /// @param creditable Units the breach may still credit as the call starts; on the breach's first call, the class's
    /// supply outside the issuer's admin account.
    event SlaBreachRecorded(
        bytes32 indexed breachId,
        uint256 indexed classId,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        bool byArbiter,
        uint256 creditable
    );

    /// @notice Emitted per holder credited for a breach; `credit` is recorded in the vault (issuer -> holder, `ref` =
    /// `keccak256(abi.encode(breachId, holderId))`) unless it is zero.
    /// @param units The units credited: the holder's balance, or what the breach could still credit if less.
    /// @param remaining Units the breach may still credit after this one.
    event SlaCredited(
        bytes32 indexed breachId,
        uint32 indexed holderId,
        uint256 units,
        uint256 credit,
        uint256 remaining
    );

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The caller is not the admin of the operator `issuerId`, or that operator is not active.
    error CapacityToken_NotIssuer(uint32 issuerId, address caller);

    /// @notice No class has this id.
    error CapacityToken_UnknownClass(uint256 classId);

    /// @notice A class with these terms exists already (change the salt).
    error CapacityToken_ClassExists(uint256 classId);

    /// @notice The validity window is empty or already over.
    error CapacityToken_InvalidValidity(uint40 validFrom, uint40 validUntil);

    /// @notice The maximum supply is zero, or not 1 for an exclusive spectrum block.
    error CapacityToken_InvalidMaxSupply(uint64 maxSupply);

    /// @notice Slice terms on a class that is not a slice, or spectrum terms on one that is not spectrum.
    error CapacityToken_TermsOfOtherKind(CapacityKind kind);

    /// @notice A slice's availability exceeds 10,000 basis points.
    error CapacityToken_InvalidAvailability(uint16 availabilityBp);

    /// @notice The slice's credit token is not allowed in the vault.
    error CapacityToken_CreditTokenNotAllowed(address token);

    /// @notice The slice's largest possible credit to one holder (every unit over the whole validity) exceeds what one
    /// vault obligation can hold.
    error CapacityToken_CreditTooLarge(uint256 maxCredit, uint256 max);

    /// @notice A band plan with a zero channel width, channel count, slot length or slot count.
    error CapacityToken_InvalidBandPlan();

    /// @notice The band plans are at their maximum number.
    error CapacityToken_TooManyBandPlans(uint256 max);

    /// @notice The band plan's frequency x time rectangle overlaps that of an existing plan (the lowest such id).
    error CapacityToken_BandPlanOverlap(uint32 otherBandPlanId);

    /// @notice No band plan has this id.
    error CapacityToken_UnknownBandPlan(uint32 bandPlanId);

    /// @notice The block is empty or its channels lie outside the band plan.
    error CapacityToken_InvalidBlock(uint16 firstChannel, uint16 channelCount, uint32 slotCount);

    /// @notice The block's slots run past the band plan's last slot (`planSlotCount - 1`).
    error CapacityToken_SlotsOutsidePlan(uint32 firstSlot, uint32 slotCount, uint32 planSlotCount);

    /// @notice The block touches more grid words than one class may (groups of 4 channels x runs of 64 slots).
    error CapacityToken_BlockTooLarge(uint256 words, uint256 maxWords);

    /// @notice A spectrum class's validity must be its block's time window.
    error CapacityToken_SpectrumWindowMismatch(uint256 expectedFrom, uint256 expectedUntil);

    /// @notice The block shares this channel-slot with an exclusive block already issued.
    error CapacityToken_SpectrumOverlap(uint16 channel, uint32 slot);

    /// @notice Minting `amount` would take the class past its maximum supply.
    error CapacityToken_ExceedsMaxSupply(uint256 classId, uint256 minted, uint256 amount, uint256 maxSupply);

    /// @notice A zero amount.
    error CapacityToken_ZeroAmount();

    /// @notice Capacity may only go to the admin account of an active operator.
    error CapacityToken_NotMember(address account);

    /// @notice The class's validity ended: it neither moves nor is redeemed.
    error CapacityToken_ClassExpired(uint256 classId, uint40 validUntil);

    /// @notice The class cannot be used before its validity starts.
    error CapacityToken_NotYetValid(uint256 classId, uint40 validFrom);

    /// @notice Only slice classes have SLA credits.
    error CapacityToken_NotSlice(uint256 classId);

    /// @notice The breach window is empty, outside the class's validity, or not over yet.
    error CapacityToken_InvalidBreachWindow(uint40 from, uint40 to);

    /// @notice More holders than one call may credit.
    error CapacityToken_TooManyHolders(uint256 count, uint256 max);

    /// @notice The holder's operator was already credited for this breach.
    error CapacityToken_AlreadyCredited(bytes32 breachId, uint32 holderId);

    /// @notice The account is not an operator's admin holding units of the class, or is the issuer's own.
    error CapacityToken_NothingToCredit(address holder);

    /// @notice The breach has credited every unit it may (see {SlaBreach}): nothing is left for `holder`.
    error CapacityToken_BreachFullyCredited(bytes32 breachId, address holder);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The most grid words (groups of 4 channels x runs of 64 slots touched) one spectrum class may reserve.
    function MAX_BLOCK_WORDS() external view returns (uint256);

    /// @notice The most holders one breach call may credit.
    function MAX_BREACH_HOLDERS() external view returns (uint256);

    /// @notice The most band plans there may be (so creating one compares it with a bounded number of plans).
    function MAX_BAND_PLANS() external view returns (uint256);

    /// @notice The largest SLA credit a slice class may owe one holder: the vault's largest obligation, `2^96 - 1`.
    function MAX_SLA_CREDIT() external view returns (uint256);

    /// @notice The operator registry.
    function registry() external view returns (address);

    /// @notice The settlement vault SLA credits are recorded in.
    function vault() external view returns (address);

    /// @notice The id of the class with these terms: `uint256(keccak256(abi.encode(terms)))`.
    function classIdOf(ClassTerms calldata terms) external pure returns (uint256);

    /// @notice The record of a class (all zero if it does not exist).
    function classInfo(uint256 classId) external view returns (ClassInfo memory);

    /// @notice How many band plans exist; they are numbered from 1.
    function bandPlanCount() external view returns (uint32);

    /// @notice A band plan (reverts for an unknown id).
    function bandPlan(uint32 bandPlanId) external view returns (BandPlan memory);

    /// @notice Whether an exclusive block reserves this (band plan, area, channel, slot).
    function isReserved(uint32 bandPlanId, uint32 areaId, uint16 channel, uint32 slot) external view returns (bool);

    /// @notice Whether `holderId` was credited for `breachId`.
    function isCredited(bytes32 breachId, uint32 holderId) external view returns (bool);

    /// @notice The id of the SLA breach of `classId` over `[from, to)`: `keccak256(abi.encode(classId, from, to))`.
    function slaBreachIdOf(uint256 classId, uint40 from, uint40 to) external pure returns (bytes32);

    /// @notice The record of an SLA breach: whether it was recorded, and how many units it may still credit (all zero
    /// if it was never recorded).
    function slaBreach(bytes32 breachId) external view returns (SlaBreach memory);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Creates a band plan of the spectrum grid (immutable), numbered from 1.
    /// @dev Emits {BandPlanCreated}. Restricted (governor). Gas grows with the number of plans (one storage read each),
    /// bounded by {MAX_BAND_PLANS}.
    ///
    /// Requirements, in this order:
    /// - a non-zero channel width, channel count, slot length and slot count;
    /// - fewer than {MAX_BAND_PLANS} plans exist;
    /// - its frequencies `[originKHz, originKHz + channelCount * channelWidthKHz)` x time `[epoch, epoch + slotCount
    ///   * slotSeconds)` overlap no existing plan's (else {CapacityToken_BandPlanOverlap} names the lowest such id).
    ///
    /// @param plan The plan; see {BandPlan}.
    /// @return bandPlanId The new plan's id.
    function createBandPlan(BandPlan calldata plan) external returns (uint32 bandPlanId);

    /// @notice Sets the base metadata URI, which clients expand per class by ERC-1155 `{id}` substitution.
    /// @dev Emits {BaseURISet}. Restricted (governor).
    function setBaseURI(string calldata baseURI) external;

    /// @notice Records an SLA breach of a slice class as the arbiter; see {recordSlaBreach}. The arbiter meets the
    /// same breach as the issuer for the same window, whatever the evidence.
    /// @dev Emits {SlaBreachRecorded}, then {SlaCredited} per holder. Restricted (arbiter); then the requirements of
    /// {recordSlaBreach} after its first.
    function arbitrateSlaBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        address[] calldata holders
    ) external;

    /// @notice Stops class creation, minting and transfers. Restricted (pauser).
    function pause() external;

    /// @notice Lifts {pause}. Restricted (governor).
    function unpause() external;

    /*//////////////////////////////////////////////////////////////////////////
                                  ISSUER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Creates a class; nothing is minted yet.
    /// @dev Emits {ClassCreated} (and `URI` if `classURI` is not empty). Requirements, in this order: not paused; the
    /// caller is the admin of the active operator `terms.issuerId`; the class does not exist; `validFrom <
    /// validUntil` and `validUntil` is in the future; `maxSupply > 0`; slice terms only on a slice (availability at
    /// most 10,000 bp; when credits are non-zero, a largest credit `(creditPerUnitHour x maxSupply x (validUntil -
    /// validFrom) + 1800) / 3600` of at most {MAX_SLA_CREDIT} and a credit token allowed in the vault) and spectrum
    /// terms only on spectrum. For spectrum: a known band plan, a non-empty block inside its channels and inside its
    /// slots, at most {MAX_BLOCK_WORDS} grid words, validity equal to the block's time window, and for an exclusive
    /// block `maxSupply` 1 and no channel-slot shared with one already reserved (which it then reserves).
    /// @param classURI A metadata URI for this class only, or empty for the base URI.
    /// @return classId The class's ERC-1155 id.
    function createClass(ClassTerms calldata terms, string calldata classURI) external returns (uint256 classId);

    /// @notice Mints units of a class to an operator's admin account.
    /// @dev Emits `TransferSingle`. Requirements: not paused; the class exists; the caller is the admin of its
    /// active issuer; `amount > 0`; at most `maxSupply` minted in all; the class not expired; `to` an active
    /// operator's admin (and an ERC-1155 receiver if it is a contract).
    function mint(uint256 classId, address to, uint256 amount, bytes calldata data) external;

    /// @notice Sets (or with an empty string, clears) the metadata URI of one class.
    /// @dev Emits `URI`. Requirements: the class exists; the caller is the admin of its active issuer.
    function setClassURI(uint256 classId, string calldata classURI) external;

    /// @notice Records an SLA breach of a slice class over `[from, to)` as its issuer, crediting `holders`.
    /// @dev Emits {SlaBreachRecorded}, then {SlaCredited} per holder.
    ///
    /// Notes:
    /// - The breach is `slaBreachIdOf(classId, from, to)`, whichever path records it and whatever the evidence. Its
    ///   first record (by either path, even naming no holder) fixes the units it may credit in all: `totalSupply -
    ///   balanceOf(issuer's admin)` at that moment. Each holder then takes `min(balance, remaining)`, in the order
    ///   named, so units that move after the first record are never credited twice; a holder credited for part of its
    ///   balance is not credited again.
    /// - A holder with nothing creditable left is refused ({CapacityToken_BreachFullyCredited}), not skipped: the call
    ///   records all its holders or none, and `remaining` never grows, so a refused holder can never be credited later.
    ///
    /// Requirements, in this order:
    /// - the caller is the admin of the issuer (in any status: the issuer pays);
    /// - the class (`classIdOf(terms)`) exists and is a slice;
    /// - `from < to`, `validFrom <= from`, `to <= validUntil` and `to <= now`;
    /// - at most {MAX_BREACH_HOLDERS} holders, each the admin of an operator other than the issuer, holding units, not
    ///   credited for this breach yet, while the breach may still credit units.
    ///
    /// @param terms The class's terms (hash-checked: the class is `classIdOf(terms)`).
    /// @param from The breach's start (Unix seconds, inclusive).
    /// @param to The breach's end (exclusive).
    /// @param evidence The hash of this call's evidence (emitted, not part of the breach's id).
    /// @param holders Holders' admin accounts, each credited once.
    function recordSlaBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        address[] calldata holders
    ) external;

    /*//////////////////////////////////////////////////////////////////////////
                                  HOLDER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Burns `amount` of the caller's units to use them; the issuer's network provisions them.
    /// @dev Emits `TransferSingle` (to zero) and {Redeemed}. Works in any operator status and while paused.
    /// Requirements: the caller is an operator's admin; `amount > 0` and held; `validFrom <= now < validUntil`.
    function redeem(uint256 classId, uint256 amount, bytes32 provisioningRef) external;
}
