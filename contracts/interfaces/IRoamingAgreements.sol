// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IOperatorRegistry } from "./IOperatorRegistry.sol";
import { Agreement, AgreementTerms, Amendment, Offer, TariffRecord, TermsVersion } from "../types/AgreementTypes.sol";
import { OperatorStatus } from "../types/OperatorTypes.sol";
import { Tariff } from "../types/RatingTypes.sol";

/// @title IRoamingAgreements
/// @notice The suite's roaming agreements, all in one contract and keyed by id (as Morpho keys markets): published
/// tariffs, agreements created from EIP-712 offers in one transaction, their terms versions, amendments signed by
/// both parties, and termination with notice.
/// @dev Tariffs are content-addressed: `tariffId = keccak256(abi.encode(tariff))`; a tariff is published once and
/// referenced by any number of agreements. Agreement terms are never stored: the contract keeps their EIP-712 struct
/// hash per version ({termsHash}) and emits them in full in {AgreementCreated} and {AgreementAmended}; calls that need
/// them take them back as calldata and check the hash.
///
/// EIP-712 domain: name "RoamLedger RoamingAgreements", version "1", the chain id and this contract's address.
/// Signed types (see {TypedData}): `Offer(AgreementTerms terms,uint32 counterparty,uint64 expiry,uint256 nonce)`
/// and `Amendment(bytes32 agreementId,uint32 baseVersion,bytes32 newTermsHash,uint40 effectiveFrom)`. A signature
/// is judged when it is used: the signer must be an active key of its operator at that moment.
///
/// Only active members propose, accept and amend. `pause` (pauser) stops publishing, accepting and amending;
/// nonce revocation and termination always work.
interface IRoamingAgreements {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted once per tariff, with its full content, so that indexers and the SDK can rate with it.
    event TariffPublished(bytes32 indexed tariffId, address indexed publisher, bool usableAsBase, Tariff tariff);

    /// @notice Emitted when an offer is accepted: the agreement is active from now on, with `terms` as version 0.
    /// @param offerHash The EIP-712 struct hash of the offer (shared by every agreement made from an open offer).
    event AgreementCreated(
        bytes32 indexed agreementId,
        uint32 indexed partyA,
        uint32 indexed partyB,
        bytes32 offerHash,
        AgreementTerms terms
    );

    /// @notice Emitted when both parties' amendment is recorded: `terms` apply from `effectiveFrom` as `version`.
    event AgreementAmended(
        bytes32 indexed agreementId,
        uint32 indexed version,
        uint40 effectiveFrom,
        AgreementTerms terms
    );

    /// @notice Emitted when a party gives notice: the agreement ends at `endAt` (its new `validUntil`).
    event AgreementTerminated(bytes32 indexed agreementId, uint32 indexed operatorId, uint40 endAt);

    /// @notice Emitted when an operator revokes offer nonces: the bits of `mask` are set in word `wordIndex` of its
    /// bitmap (nonce `n` is bit `n % 256` of word `n / 256`).
    event NoncesInvalidated(uint32 indexed operatorId, uint256 indexed wordIndex, uint256 mask);

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice `field` must not be the zero address.
    error RoamingAgreements_ZeroAddress(string field);

    /// @notice A tariff must hold at least one plan.
    error RoamingAgreements_EmptyTariff();

    /// @notice The tariff `tariffId` was published before.
    error RoamingAgreements_TariffExists(bytes32 tariffId);

    /// @notice No tariff `tariffId` was published (a base tariff of 0 is never published).
    error RoamingAgreements_TariffNotPublished(bytes32 tariffId);

    /// @notice The tariff `tariffId` holds a Back-to-first or Ratio plan, so it cannot be a base tariff.
    error RoamingAgreements_TariffNotBase(bytes32 tariffId);

    /// @notice The offer could be accepted until `expiry`, which has passed.
    error RoamingAgreements_OfferExpired(uint64 expiry);

    /// @notice `signer`, recovered from a signature, is not an active signer key of operator `operatorId` (it is
    /// unknown, revoked, another operator's key, or the signature was made for another chain or contract).
    error RoamingAgreements_SignerNotAuthorized(uint32 operatorId, address signer);

    /// @notice Operator `operatorId` revoked `nonce`.
    error RoamingAgreements_NonceRevoked(uint32 operatorId, uint256 nonce);

    /// @notice `caller` is neither the admin nor an active signer key of `counterparty`, which the offer names.
    error RoamingAgreements_NotCounterparty(uint32 counterparty, address caller);

    /// @notice `caller` is neither an operator's admin nor an active signer key.
    error RoamingAgreements_UnknownCaller(address caller);

    /// @notice Operator `operatorId` cannot accept its own offer.
    error RoamingAgreements_SelfAcceptance(uint32 operatorId);

    /// @notice Operator `operatorId` is not active (it is `status`).
    error RoamingAgreements_NotActive(uint32 operatorId, OperatorStatus status);

    /// @notice The agreement `agreementId` exists: this acceptor accepted this offer before.
    error RoamingAgreements_AlreadyAccepted(bytes32 agreementId);

    /// @notice The validity window is empty (`validFrom >= validUntil`) or already over (`validUntil <= now`).
    error RoamingAgreements_InvalidValidity(uint40 validFrom, uint40 validUntil);

    /// @notice The duration `field` (`periodLength` or `disputeWindow`) must not be zero.
    error RoamingAgreements_ZeroDuration(string field);

    /// @notice The condition of `direction` names services that do not exist (bits above the last service).
    error RoamingAgreements_InvalidCondition(uint256 direction, uint16 includedServices);

    /// @notice `token` is not a contract.
    error RoamingAgreements_InvalidToken(address token);

    /// @notice No agreement has id `agreementId`.
    error RoamingAgreements_UnknownAgreement(bytes32 agreementId);

    /// @notice The agreement `agreementId` has no terms version `version`.
    error RoamingAgreements_UnknownVersion(bytes32 agreementId, uint32 version);

    /// @notice The terms given do not hash to the terms hash of `version` of `agreementId` (for a new version, to
    /// the hash the amendment signs).
    error RoamingAgreements_TermsMismatch(bytes32 agreementId, uint32 version);

    /// @notice An amendment of `baseVersion` when the latest version is `latestVersion`.
    error RoamingAgreements_StaleVersion(bytes32 agreementId, uint32 baseVersion, uint32 latestVersion);

    /// @notice An amendment may not change `field` (`proposer`, `token`, `validFrom` or `periodLength`).
    error RoamingAgreements_ImmutableField(bytes32 agreementId, string field);

    /// @notice `effectiveFrom` is not a future period boundary before the new `validUntil`, at or after the latest
    /// version's start.
    error RoamingAgreements_InvalidEffectiveFrom(bytes32 agreementId, uint40 effectiveFrom);

    /// @notice A party gave notice on `agreementId` already.
    error RoamingAgreements_Terminated(bytes32 agreementId);

    /// @notice The agreement `agreementId` expired at `validUntil`.
    error RoamingAgreements_Expired(bytes32 agreementId, uint40 validUntil);

    /// @notice `caller` is the admin of neither party of `agreementId`.
    error RoamingAgreements_NotPartyAdmin(bytes32 agreementId, address caller);

    /// @notice `endAt` is outside `[earliest, latest]`: at least the notice period from now (and not before
    /// `validFrom`), and not after `validUntil`.
    error RoamingAgreements_InvalidTermination(uint40 endAt, uint256 earliest, uint256 latest);

    /// @notice `caller` is neither the admin nor an active signer key of operator `operatorId`.
    error RoamingAgreements_NotOperatorAccount(uint32 operatorId, address caller);

    /// @notice `timestamp` is outside the validity window of `agreementId`.
    error RoamingAgreements_OutsideValidity(bytes32 agreementId, uint256 timestamp);

    /// @notice The agreement `agreementId` has no period `period` (it starts at or after `validUntil`).
    error RoamingAgreements_UnknownPeriod(bytes32 agreementId, uint256 period);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The operator registry that says who the members are, their keys and their status.
    function registry() external view returns (IOperatorRegistry);

    /// @notice The id a tariff has, or would have once published: `keccak256(abi.encode(tariff))`.
    function tariffIdOf(Tariff calldata tariff) external pure returns (bytes32);

    /// @notice Whether the tariff `tariffId` was published.
    function isTariffPublished(bytes32 tariffId) external view returns (bool);

    /// @notice When `tariffId` was published (0 if never) and whether it can be a base tariff.
    function getTariffRecord(bytes32 tariffId) external view returns (TariffRecord memory);

    /// @notice One agreement's record.
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement} for an id that was never created.
    function getAgreement(bytes32 agreementId) external view returns (Agreement memory);

    /// @notice The terms hash ({TypedData.hashTerms}) of `version` of an agreement's terms.
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement} or {RoamingAgreements_UnknownVersion}.
    function termsHash(bytes32 agreementId, uint32 version) external view returns (bytes32);

    /// @notice One version of an agreement's terms: its hash and the time it applies from (0 for version 0).
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement} or {RoamingAgreements_UnknownVersion}.
    function termsVersion(bytes32 agreementId, uint32 version) external view returns (TermsVersion memory);

    /// @notice The terms version in force at `timestamp`: the highest version whose `effectiveFrom <= timestamp`.
    /// @dev Binary search over the versions (at most 32 steps). Reverts with {RoamingAgreements_UnknownAgreement}.
    function versionAt(bytes32 agreementId, uint256 timestamp) external view returns (uint32);

    /// @notice The agreement's record, and the terms version in force at `timestamp` with its terms hash, in one call
    /// (what the clearing contract checks the terms it is given against).
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement}.
    function termsAt(
        bytes32 agreementId,
        uint256 timestamp
    ) external view returns (Agreement memory agreement, uint32 version, bytes32 hash);

    /// @notice The period `timestamp` falls in: `(timestamp - validFrom) / periodLength`.
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement}, or {RoamingAgreements_OutsideValidity} unless
    /// `validFrom <= timestamp < validUntil`.
    function periodOf(bytes32 agreementId, uint256 timestamp) external view returns (uint256);

    /// @notice The bounds `[start, end)` of `period`, clipped to the validity window.
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement} or {RoamingAgreements_UnknownPeriod}.
    function periodBounds(bytes32 agreementId, uint256 period) external view returns (uint40 start, uint40 end);

    /// @notice How many periods the validity window holds (the last one may be shorter).
    /// @dev Reverts with {RoamingAgreements_UnknownAgreement}.
    function periodCount(bytes32 agreementId) external view returns (uint256);

    /// @notice Whether the agreement exists and `validFrom <= timestamp < validUntil` (notice given or not).
    function isActive(bytes32 agreementId, uint256 timestamp) external view returns (bool);

    /// @notice Whether the agreement exists and its validity window is over (`block.timestamp >= validUntil`).
    /// Expiry needs no transaction.
    function isExpired(bytes32 agreementId) external view returns (bool);

    /// @notice Whether operator `operatorId` revoked the offer nonce `nonce`.
    function isNonceRevoked(uint32 operatorId, uint256 nonce) external view returns (bool);

    /// @notice Word `wordIndex` of operator `operatorId`'s nonce bitmap (bit `i` = nonce `wordIndex * 256 + i`).
    function nonceBitmap(uint32 operatorId, uint256 wordIndex) external view returns (uint256);

    /// @notice The EIP-712 struct hash of `terms` (the terms hash stored per version).
    function hashTerms(AgreementTerms calldata terms) external pure returns (bytes32);

    /// @notice The EIP-712 struct hash of `offer`.
    function hashOffer(Offer calldata offer) external pure returns (bytes32);

    /// @notice The EIP-712 struct hash of `amendment`.
    function hashAmendment(Amendment calldata amendment) external pure returns (bytes32);

    /// @notice The EIP-712 digest a signer signs for a message whose struct hash is `structHash`, in this domain.
    function hashTypedData(bytes32 structHash) external view returns (bytes32);

    /// @notice The id of the agreement `acceptorId` creates by accepting the offer whose struct hash is `offerHash`:
    /// `keccak256(abi.encode(offerHash, acceptorId))`.
    function agreementIdOf(bytes32 offerHash, uint32 acceptorId) external pure returns (bytes32);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Stops publishing tariffs, accepting offers and amending, at once.
    /// @dev Emits {Pausable-Paused}.
    ///
    /// Requirements:
    /// - Restricted (pauser).
    /// - The contract is not paused.
    function pause() external;

    /// @notice Lets publishing, accepting and amending resume.
    /// @dev Emits {Pausable-Unpaused}.
    ///
    /// Requirements:
    /// - Restricted (governor, with its execution delay).
    /// - The contract is paused.
    function unpause() external;

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Publishes a tariff, which any agreement may then reference by its id. Anyone may publish.
    /// @dev Emits {TariffPublished}.
    ///
    /// Requirements:
    /// - The contract is not paused.
    /// - The tariff holds at least one plan and is valid for {Rating.validatePlans}: services strictly ascending,
    ///   non-zero increments, at most 16 tiers per list with strictly ascending starts, unbalanced tiers exactly for
    ///   Ratio plans.
    /// - It was not published before.
    ///
    /// @param tariff The plans, one per service.
    /// @return tariffId `keccak256(abi.encode(tariff))`.
    function publishTariff(Tariff calldata tariff) external returns (bytes32 tariffId);

    /// @notice Accepts an offer: the agreement between the proposer (party A) and the caller's operator (party B)
    /// is active in this transaction. Accepting does not consume the nonce, so an open offer can be accepted by
    /// every member, once each.
    /// @dev Emits {AgreementCreated}.
    ///
    /// Requirements, checked in this order:
    /// - The contract is not paused.
    /// - `block.timestamp <= offer.expiry`.
    /// - `signature` is a 65-byte signature of the offer in this contract's domain by an active signer key of
    ///   `offer.terms.proposer`.
    /// - The proposer has not revoked `offer.nonce`.
    /// - The caller is the admin or an active signer key of `offer.counterparty` or, for an open offer
    ///   (counterparty 0), of some operator; that operator is not the proposer.
    /// - Both operators are active.
    /// - That operator has not accepted this offer before.
    /// - The terms are sane: `validFrom < validUntil`, `validUntil > now`, non-zero `periodLength` and
    ///   `disputeWindow`, conditions naming existing services only, `token` a contract, both base tariffs published
    ///   and usable as base, and every non-zero discount tariff published.
    ///
    /// @param offer The offer as signed.
    /// @param signature The proposer's signer key's EIP-712 signature of `offer`.
    /// @return agreementId `keccak256(abi.encode(hashOffer(offer), acceptorId))`.
    function acceptOffer(Offer calldata offer, bytes calldata signature) external returns (bytes32 agreementId);

    /// @notice Revokes offer nonces: any offer of `operatorId` whose nonce is set in the bitmap can no longer be
    /// accepted. Works in every status and while paused.
    /// @dev Emits {NoncesInvalidated}.
    ///
    /// Requirements:
    /// - The caller is the admin or an active signer key of `operatorId`.
    ///
    /// @param operatorId The operator whose offers are revoked.
    /// @param wordIndex The bitmap word: nonces `wordIndex * 256` to `wordIndex * 256 + 255`.
    /// @param mask The bits to set (bit `i` revokes nonce `wordIndex * 256 + i`).
    function invalidateNonces(uint32 operatorId, uint256 wordIndex, uint256 mask) external;

    /// @notice Records new terms for an agreement, signed by both parties, applying from a future period boundary.
    /// Anyone may submit it. Versions whose start is reached apply; a later amendment with the same start replaces a
    /// pending one.
    /// @dev Emits {AgreementAmended}. Sets `validUntil` to the new terms' `validUntil`.
    ///
    /// Requirements:
    /// - The contract is not paused.
    /// - The agreement exists, no party gave notice, and it has not expired.
    /// - `amendment.baseVersion` is the latest version, and `currentTerms` are its terms.
    /// - `newTerms` hash to `amendment.newTermsHash`, keep `proposer`, `token`, `validFrom` and `periodLength`, and
    ///   are sane (as in {acceptOffer}; the token is not checked again).
    /// - `amendment.effectiveFrom` is a period boundary, in the future, before the new `validUntil`, and not before
    ///   the latest version's `effectiveFrom`.
    /// - `signatureA` and `signatureB` are signatures of `amendment` by active signer keys of party A and party B.
    /// - Both parties are active.
    ///
    /// @return version The new version number (the previous latest plus one).
    function amend(
        Amendment calldata amendment,
        AgreementTerms calldata currentTerms,
        AgreementTerms calldata newTerms,
        bytes calldata signatureA,
        bytes calldata signatureB
    ) external returns (uint32 version);

    /// @notice Gives notice: the agreement ends at `endAt` instead of its `validUntil`. Works in every status of the
    /// caller's operator and while paused (an exit is never blocked).
    /// @dev Emits {AgreementTerminated}.
    ///
    /// Requirements, checked in this order:
    /// - The agreement exists.
    /// - The caller is the admin of party A or party B.
    /// - No party gave notice before, and the agreement has not expired.
    /// - `terms` are the terms in force now ({versionAt} `block.timestamp`), whose `noticePeriod` applies.
    /// - `max(now + noticePeriod, validFrom) <= endAt <= validUntil`.
    function terminate(bytes32 agreementId, AgreementTerms calldata terms, uint40 endAt) external;
}
