// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";

import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { Rating } from "./libraries/Rating.sol";
import { TypedData } from "./libraries/TypedData.sol";
import {
    Agreement,
    AgreementStatus,
    AgreementTerms,
    Amendment,
    Offer,
    TariffRecord,
    TermsVersion
} from "./types/AgreementTypes.sol";
import { OperatorStatus } from "./types/OperatorTypes.sol";
import { PlanKind, Service, Tariff } from "./types/RatingTypes.sol";

/// @title RoamingAgreements
/// @notice See the documentation in {IRoamingAgreements}.
contract RoamingAgreements is IRoamingAgreements, AccessManaged, EIP712, Pausable {
    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS & STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev The bits of `Condition.includedServices` that name a service (bit `i` = `Service(i)`).
    uint16 private constant SERVICE_BITS = uint16((1 << (uint256(type(Service).max) + 1)) - 1);

    /// @inheritdoc IRoamingAgreements
    IOperatorRegistry public immutable override registry;

    mapping(bytes32 tariffId => TariffRecord record) private _tariffs;
    mapping(bytes32 agreementId => Agreement agreement) private _agreements;
    mapping(bytes32 agreementId => mapping(uint32 version => TermsVersion terms)) private _versions;
    mapping(uint32 operatorId => mapping(uint256 wordIndex => uint256 bitmap)) private _nonceBitmaps;

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    /// @param registry_ The suite's operator registry.
    constructor(
        address authority,
        IOperatorRegistry registry_
    ) AccessManaged(authority) EIP712("RoamLedger RoamingAgreements", "1") {
        if (address(registry_) == address(0)) revert RoamingAgreements_ZeroAddress("registry");
        registry = registry_;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoamingAgreements
    function tariffIdOf(Tariff calldata tariff) external pure override returns (bytes32) {
        return keccak256(abi.encode(tariff));
    }

    /// @inheritdoc IRoamingAgreements
    function isTariffPublished(bytes32 tariffId) external view override returns (bool) {
        return _tariffs[tariffId].publishedAt != 0;
    }

    /// @inheritdoc IRoamingAgreements
    function getTariffRecord(bytes32 tariffId) external view override returns (TariffRecord memory) {
        return _tariffs[tariffId];
    }

    /// @inheritdoc IRoamingAgreements
    function getAgreement(bytes32 agreementId) external view override returns (Agreement memory) {
        return _getAgreement(agreementId);
    }

    /// @inheritdoc IRoamingAgreements
    function termsHash(bytes32 agreementId, uint32 version) external view override returns (bytes32) {
        return _getVersion(agreementId, version).termsHash;
    }

    /// @inheritdoc IRoamingAgreements
    function termsVersion(bytes32 agreementId, uint32 version) external view override returns (TermsVersion memory) {
        return _getVersion(agreementId, version);
    }

    /// @inheritdoc IRoamingAgreements
    function versionAt(bytes32 agreementId, uint256 timestamp) external view override returns (uint32) {
        return _versionAt(agreementId, _getAgreement(agreementId).latestVersion, timestamp);
    }

    /// @inheritdoc IRoamingAgreements
    function termsAt(
        bytes32 agreementId,
        uint256 timestamp
    ) external view override returns (Agreement memory agreement, uint32 version, bytes32 hash) {
        agreement = _getAgreement(agreementId);
        version = _versionAt(agreementId, agreement.latestVersion, timestamp);
        hash = _versions[agreementId][version].termsHash;
    }

    /// @inheritdoc IRoamingAgreements
    function periodOf(bytes32 agreementId, uint256 timestamp) external view override returns (uint256) {
        Agreement memory a = _getAgreement(agreementId);
        if (timestamp < a.validFrom || timestamp >= a.validUntil) {
            revert RoamingAgreements_OutsideValidity(agreementId, timestamp);
        }
        return (timestamp - a.validFrom) / a.periodLength;
    }

    /// @inheritdoc IRoamingAgreements
    function periodBounds(
        bytes32 agreementId,
        uint256 period
    ) external view override returns (uint40 start, uint40 end) {
        Agreement memory a = _getAgreement(agreementId);
        if (period >= _periodCount(a)) revert RoamingAgreements_UnknownPeriod(agreementId, period);
        // Safe casts: start < validUntil, and end <= validUntil, both uint40.
        uint256 from = a.validFrom + period * a.periodLength;
        uint256 to = from + a.periodLength;
        start = uint40(from);
        end = to < a.validUntil ? uint40(to) : a.validUntil;
    }

    /// @inheritdoc IRoamingAgreements
    function periodCount(bytes32 agreementId) external view override returns (uint256) {
        return _periodCount(_getAgreement(agreementId));
    }

    /// @inheritdoc IRoamingAgreements
    function isActive(bytes32 agreementId, uint256 timestamp) external view override returns (bool) {
        Agreement memory a = _agreements[agreementId];
        return a.status != AgreementStatus.None && timestamp >= a.validFrom && timestamp < a.validUntil;
    }

    /// @inheritdoc IRoamingAgreements
    function isExpired(bytes32 agreementId) external view override returns (bool) {
        Agreement memory a = _agreements[agreementId];
        return a.status != AgreementStatus.None && block.timestamp >= a.validUntil;
    }

    /// @inheritdoc IRoamingAgreements
    function isNonceRevoked(uint32 operatorId, uint256 nonce) external view override returns (bool) {
        return _isNonceRevoked(operatorId, nonce);
    }

    /// @inheritdoc IRoamingAgreements
    function nonceBitmap(uint32 operatorId, uint256 wordIndex) external view override returns (uint256) {
        return _nonceBitmaps[operatorId][wordIndex];
    }

    /// @inheritdoc IRoamingAgreements
    function hashTerms(AgreementTerms calldata terms) external pure override returns (bytes32) {
        return TypedData.hashTerms(terms);
    }

    /// @inheritdoc IRoamingAgreements
    function hashOffer(Offer calldata offer) external pure override returns (bytes32) {
        return TypedData.hashOffer(TypedData.hashTerms(offer.terms), offer.counterparty, offer.expiry, offer.nonce);
    }

    /// @inheritdoc IRoamingAgreements
    function hashAmendment(Amendment calldata amendment) external pure override returns (bytes32) {
        return TypedData.hashAmendment(amendment);
    }

    /// @inheritdoc IRoamingAgreements
    function hashTypedData(bytes32 structHash) external view override returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    /// @inheritdoc IRoamingAgreements
    function agreementIdOf(bytes32 offerHash, uint32 acceptorId) external pure override returns (bytes32) {
        return keccak256(abi.encode(offerHash, acceptorId));
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoamingAgreements
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc IRoamingAgreements
    function unpause() external override restricted {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRoamingAgreements
    function publishTariff(Tariff calldata tariff) external override whenNotPaused returns (bytes32 tariffId) {
        // Checks.
        Tariff memory copy = tariff;
        uint256 count = copy.plans.length;
        if (count == 0) revert RoamingAgreements_EmptyTariff();
        Rating.validatePlans(copy.plans);
        tariffId = keccak256(abi.encode(copy));
        if (_tariffs[tariffId].publishedAt != 0) revert RoamingAgreements_TariffExists(tariffId);
        // Services strictly ascend, so there is at most one plan per service: the loop is bounded.
        bool usableAsBase = true;
        for (uint256 i; i < count; ++i) {
            PlanKind kind = copy.plans[i].kind;
            if (kind != PlanKind.Threshold && kind != PlanKind.Access) {
                usableAsBase = false;
                break;
            }
        }

        // Effects.
        _tariffs[tariffId] = TariffRecord({ publishedAt: uint40(block.timestamp), usableAsBase: usableAsBase });
        emit TariffPublished(tariffId, msg.sender, usableAsBase, tariff);
    }

    /// @inheritdoc IRoamingAgreements
    function acceptOffer(
        Offer calldata offer,
        bytes calldata signature
    ) external override whenNotPaused returns (bytes32 agreementId) {
        AgreementTerms calldata terms = offer.terms;
        uint32 partyA = terms.proposer;
        uint32 counterparty = offer.counterparty;
        uint64 expiry = offer.expiry;
        uint256 nonce = offer.nonce;

        // Checks: the offer, its signature and its nonce.
        if (block.timestamp > expiry) revert RoamingAgreements_OfferExpired(expiry);
        bytes32 hashOfTerms = TypedData.hashTerms(terms);
        bytes32 offerHash = TypedData.hashOffer(hashOfTerms, counterparty, expiry, nonce);
        OperatorStatus statusA = _requireSignedBy(partyA, offerHash, signature);
        if (_isNonceRevoked(partyA, nonce)) revert RoamingAgreements_NonceRevoked(partyA, nonce);

        // Checks: the acceptor, both parties' status, and that this acceptor has not accepted this offer yet.
        (uint32 partyB, OperatorStatus statusB) = _acceptor(counterparty);
        if (partyB == partyA) revert RoamingAgreements_SelfAcceptance(partyA);
        _requireActive(partyA, statusA);
        _requireActive(partyB, statusB);
        agreementId = keccak256(abi.encode(offerHash, partyB));
        if (_agreements[agreementId].status != AgreementStatus.None) {
            revert RoamingAgreements_AlreadyAccepted(agreementId);
        }

        // Checks: the terms.
        _requireSaneTerms(terms);
        _checkToken(terms.token);

        // Effects.
        _storeNewAgreement(agreementId, partyA, partyB, terms);
        _versions[agreementId][0].termsHash = hashOfTerms;
        _emitAgreementCreated(agreementId, partyA, partyB, offerHash, terms);
    }

    /// @inheritdoc IRoamingAgreements
    function invalidateNonces(uint32 operatorId, uint256 wordIndex, uint256 mask) external override {
        // Checks.
        (bool isAdmin, bool isActiveSigner, ) = registry.accessOf(msg.sender, operatorId);
        if (!isAdmin && !isActiveSigner) revert RoamingAgreements_NotOperatorAccount(operatorId, msg.sender);

        // Effects.
        _nonceBitmaps[operatorId][wordIndex] |= mask;
        emit NoncesInvalidated(operatorId, wordIndex, mask);
    }

    /// @inheritdoc IRoamingAgreements
    function amend(
        Amendment calldata amendment,
        AgreementTerms calldata currentTerms,
        AgreementTerms calldata newTerms,
        bytes calldata signatureA,
        bytes calldata signatureB
    ) external override whenNotPaused returns (uint32 version) {
        bytes32 agreementId = amendment.agreementId;
        Agreement memory a = _getAgreement(agreementId);

        // Checks: the agreement, the versions and the new terms.
        _requireOpen(agreementId, a);
        version = _checkAmendment(amendment, a, currentTerms, newTerms);

        // Checks: both parties signed, with keys active now, and both parties are active.
        bytes32 amendmentHash = TypedData.hashAmendment(amendment);
        _requireSignedByBoth(a, amendmentHash, signatureA, signatureB);

        // Effects.
        _versions[agreementId][version] = TermsVersion({
            termsHash: amendment.newTermsHash,
            effectiveFrom: amendment.effectiveFrom
        });
        Agreement storage stored = _agreements[agreementId];
        stored.latestVersion = version;
        stored.validUntil = newTerms.validUntil;
        emit AgreementAmended(agreementId, version, amendment.effectiveFrom, newTerms);
    }

    /// @inheritdoc IRoamingAgreements
    function terminate(bytes32 agreementId, AgreementTerms calldata terms, uint40 endAt) external override {
        Agreement memory a = _getAgreement(agreementId);

        // Checks: the caller, the agreement, the terms in force and the notice.
        uint32 operatorId = registry.operatorOfAdmin(msg.sender);
        if (operatorId != a.partyA && operatorId != a.partyB) {
            revert RoamingAgreements_NotPartyAdmin(agreementId, msg.sender);
        }
        _requireOpen(agreementId, a);
        uint32 version = _versionAt(agreementId, a.latestVersion, block.timestamp);
        if (TypedData.hashTerms(terms) != _versions[agreementId][version].termsHash) {
            revert RoamingAgreements_TermsMismatch(agreementId, version);
        }
        uint256 earliest = block.timestamp + terms.noticePeriod;
        if (earliest < a.validFrom) earliest = a.validFrom;
        if (endAt < earliest || endAt > a.validUntil) {
            revert RoamingAgreements_InvalidTermination(endAt, earliest, a.validUntil);
        }

        // Effects.
        Agreement storage stored = _agreements[agreementId];
        stored.validUntil = endAt;
        stored.status = AgreementStatus.Terminated;
        emit AgreementTerminated(agreementId, operatorId, endAt);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 INTERNAL FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev The one check of an agreement's settlement token, run when an offer is accepted (an amendment cannot
    /// change the token): it must be a contract (which also refuses the zero address). The SettlementVault's
    /// allow-list is not consulted here (one more cold call would break the acceptance gas budget); the vault applies
    /// it when clearing records the agreement's obligations. Nothing else in this contract looks at the token.
    function _checkToken(address token) internal view {
        if (token.code.length == 0) revert RoamingAgreements_InvalidToken(token);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev Emits {AgreementCreated} with the terms copied straight from calldata: the same bytes as
    /// `emit AgreementCreated(agreementId, partyA, partyB, offerHash, terms)` (a static struct is encoded in place),
    /// without re-encoding 21 words one field at a time (this saves about 2,000 gas on every acceptance).
    /// {TypedData.hashTerms} has already checked that every field is in range.
    function _emitAgreementCreated(
        bytes32 agreementId,
        uint32 partyA,
        uint32 partyB,
        bytes32 offerHash,
        AgreementTerms calldata terms
    ) private {
        bytes32 topic = AgreementCreated.selector;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, offerHash)
            calldatacopy(add(m, 0x20), terms, 0x2a0) // the 21 words of the terms
            log4(m, 0x2c0, topic, agreementId, partyA, partyB)
        }
    }

    /// @dev Writes a new agreement's record (version 0, status Active) in one `SSTORE`, packed by hand in the layout
    /// of {Agreement} (members from the lowest bits up): partyA 0-31, partyB 32-63, validFrom 64-103, validUntil
    /// 104-143, acceptedAt 144-183, status 184-191, latestVersion 192-223 (0), periodLength 224-255. Solidity's
    /// struct assignment costs about 900 gas more. The views' tests read every member back.
    function _storeNewAgreement(
        bytes32 agreementId,
        uint32 partyA,
        uint32 partyB,
        AgreementTerms calldata terms
    ) private {
        uint256 packed =
            uint256(partyA) |
                (uint256(partyB) << 32) |
                (uint256(terms.validFrom) << 64) |
                (uint256(terms.validUntil) << 104) |
                (uint256(uint40(block.timestamp)) << 144) |
                (uint256(uint8(AgreementStatus.Active)) << 184) |
                (uint256(terms.periodLength) << 224);
        Agreement storage stored = _agreements[agreementId];
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
    }

    function _getAgreement(bytes32 agreementId) private view returns (Agreement memory a) {
        a = _agreements[agreementId];
        if (a.status == AgreementStatus.None) revert RoamingAgreements_UnknownAgreement(agreementId);
    }

    function _getVersion(bytes32 agreementId, uint32 version) private view returns (TermsVersion memory) {
        if (version > _getAgreement(agreementId).latestVersion) {
            revert RoamingAgreements_UnknownVersion(agreementId, version);
        }
        return _versions[agreementId][version];
    }

    /// @dev Reverts unless no party gave notice and the agreement has not expired.
    function _requireOpen(bytes32 agreementId, Agreement memory a) private view {
        if (a.status == AgreementStatus.Terminated) revert RoamingAgreements_Terminated(agreementId);
        if (block.timestamp >= a.validUntil) revert RoamingAgreements_Expired(agreementId, a.validUntil);
    }

    /// @dev Checks an amendment's versions, terms and start; returns the new version number.
    function _checkAmendment(
        Amendment calldata amendment,
        Agreement memory a,
        AgreementTerms calldata currentTerms,
        AgreementTerms calldata newTerms
    ) private view returns (uint32 version) {
        bytes32 agreementId = amendment.agreementId;
        uint32 latest = a.latestVersion;
        if (amendment.baseVersion != latest) {
            revert RoamingAgreements_StaleVersion(agreementId, amendment.baseVersion, latest);
        }
        TermsVersion storage current = _versions[agreementId][latest];
        if (TypedData.hashTerms(currentTerms) != current.termsHash) {
            revert RoamingAgreements_TermsMismatch(agreementId, latest);
        }
        version = latest + 1;
        if (TypedData.hashTerms(newTerms) != amendment.newTermsHash) {
            revert RoamingAgreements_TermsMismatch(agreementId, version);
        }

        if (newTerms.proposer != a.partyA) revert RoamingAgreements_ImmutableField(agreementId, "proposer");
        if (newTerms.token != currentTerms.token) revert RoamingAgreements_ImmutableField(agreementId, "token");
        if (newTerms.validFrom != a.validFrom) revert RoamingAgreements_ImmutableField(agreementId, "validFrom");
        if (newTerms.periodLength != a.periodLength) {
            revert RoamingAgreements_ImmutableField(agreementId, "periodLength");
        }
        _requireSaneTerms(newTerms);

        uint40 effectiveFrom = amendment.effectiveFrom;
        if (
            effectiveFrom <= block.timestamp ||
            effectiveFrom >= newTerms.validUntil ||
            effectiveFrom < a.validFrom ||
            (effectiveFrom - a.validFrom) % a.periodLength != 0 ||
            effectiveFrom < current.effectiveFrom
        ) {
            revert RoamingAgreements_InvalidEffectiveFrom(agreementId, effectiveFrom);
        }
    }

    /// @dev Reverts unless the terms are sane and reference published tariffs (see {acceptOffer}). The token is
    /// checked apart, by {_checkToken}.
    function _requireSaneTerms(AgreementTerms calldata t) private view {
        uint40 validFrom = t.validFrom;
        uint40 validUntil = t.validUntil;
        if (validFrom >= validUntil || validUntil <= block.timestamp) {
            revert RoamingAgreements_InvalidValidity(validFrom, validUntil);
        }
        if (t.periodLength == 0) revert RoamingAgreements_ZeroDuration("periodLength");
        if (t.disputeWindow == 0) revert RoamingAgreements_ZeroDuration("disputeWindow");
        uint16 included0 = t.conditions[0].includedServices;
        if (included0 & ~SERVICE_BITS != 0) revert RoamingAgreements_InvalidCondition(0, included0);
        uint16 included1 = t.conditions[1].includedServices;
        if (included1 & ~SERVICE_BITS != 0) revert RoamingAgreements_InvalidCondition(1, included1);
        _requireTariffs(t.baseTariff[0], t.discountTariff[0]);
        _requireTariffs(t.baseTariff[1], t.discountTariff[1]);
    }

    /// @dev Reverts unless `base` is published and usable as base, and `discount` is 0 or published.
    function _requireTariffs(bytes32 base, bytes32 discount) private view {
        TariffRecord memory record = _tariffs[base];
        if (record.publishedAt == 0) revert RoamingAgreements_TariffNotPublished(base);
        if (!record.usableAsBase) revert RoamingAgreements_TariffNotBase(base);
        if (discount != 0 && _tariffs[discount].publishedAt == 0) revert RoamingAgreements_TariffNotPublished(discount);
    }

    /// @dev Reverts unless `signature` signs `structHash` in this domain with an active key of `operatorId`; returns
    /// the operator's status (read in the same registry call).
    function _requireSignedBy(
        uint32 operatorId,
        bytes32 structHash,
        bytes calldata signature
    ) private view returns (OperatorStatus status) {
        address signer = ECDSA.recoverCalldata(_hashTypedDataV4(structHash), signature);
        bool isActiveSigner;
        (, isActiveSigner, status) = registry.accessOf(signer, operatorId);
        if (!isActiveSigner) revert RoamingAgreements_SignerNotAuthorized(operatorId, signer);
    }

    /// @dev Reverts unless both parties signed `structHash` with active keys and both parties are active.
    function _requireSignedByBoth(
        Agreement memory a,
        bytes32 structHash,
        bytes calldata signatureA,
        bytes calldata signatureB
    ) private view {
        OperatorStatus statusA = _requireSignedBy(a.partyA, structHash, signatureA);
        OperatorStatus statusB = _requireSignedBy(a.partyB, structHash, signatureB);
        _requireActive(a.partyA, statusA);
        _requireActive(a.partyB, statusB);
    }

    /// @dev The accepting operator and its status, in one registry call: `counterparty` if the caller is its admin or
    /// one of its active keys; for an open offer (`counterparty == 0`), the operator the caller acts for (the one it
    /// administers, else the one whose active key it is).
    function _acceptor(uint32 counterparty) private view returns (uint32 operatorId, OperatorStatus status) {
        if (counterparty != 0) {
            (bool isAdmin, bool isActiveSigner, OperatorStatus s) = registry.accessOf(msg.sender, counterparty);
            if (!isAdmin && !isActiveSigner) revert RoamingAgreements_NotCounterparty(counterparty, msg.sender);
            return (counterparty, s);
        }
        (operatorId, status) = registry.operatorOfAccount(msg.sender);
        if (operatorId == 0) revert RoamingAgreements_UnknownCaller(msg.sender);
    }

    function _requireActive(uint32 operatorId, OperatorStatus status) private pure {
        if (status != OperatorStatus.Active) revert RoamingAgreements_NotActive(operatorId, status);
    }

    function _isNonceRevoked(uint32 operatorId, uint256 nonce) private view returns (bool) {
        return (_nonceBitmaps[operatorId][nonce >> 8] >> (nonce & 0xff)) & 1 == 1;
    }

    /// @dev The highest version `v <= latest` with `effectiveFrom(v) <= timestamp` (version 0 starts at 0). Versions'
    /// starts never decrease, so a binary search finds it in at most 32 steps.
    function _versionAt(bytes32 agreementId, uint32 latest, uint256 timestamp) private view returns (uint32 low) {
        uint32 high = latest;
        while (low < high) {
            uint32 mid = uint32((uint256(low) + high + 1) / 2);
            if (_versions[agreementId][mid].effectiveFrom <= timestamp) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
    }

    function _periodCount(Agreement memory a) private pure returns (uint256) {
        return (uint256(a.validUntil) - a.validFrom + a.periodLength - 1) / a.periodLength;
    }
}
