// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Condition } from "./RatingTypes.sol";

/// @notice Whether an agreement exists and whether notice of termination was given.
/// @dev `None` is the zero value of an id that was never created. `Terminated` means a party gave notice: the
/// agreement stays in force until its (shortened) `validUntil`. Expiry is not a status: an agreement is expired when
/// `block.timestamp >= validUntil`, with no transaction needed.
enum AgreementStatus {
    None,
    Active,
    Terminated
}

/// @notice The terms of a roaming agreement, as signed in an offer or an amendment. Never stored: the contract keeps
/// their EIP-712 struct hash ({TypedData.hashTerms}) per version, emits them in full once, and calls that need them
/// take them back as calldata.
/// @dev Direction `d` of the two-element arrays: direction 0 = the proposer (party A) is the visited network and
/// charges the acceptor (party B); direction 1 = the reverse. Fully static, so its ABI encoding is 21 words.
/// @param proposer The operator id of party A, whose signer key signs the offer.
/// @param token The settlement ERC-20 (a contract; issue 4 adds the vault's allow-list check).
/// @param validFrom Start of the validity window (Unix seconds, inclusive); anchors the periods.
/// @param validUntil End of the validity window (exclusive).
/// @param periodLength The agreement period in seconds: period `k` is
/// `[validFrom + k * periodLength, validFrom + (k + 1) * periodLength)`, clipped to `validUntil`.
/// @param disputeWindow Seconds the home network has to respond to a usage batch (non-zero).
/// @param submissionGrace Seconds after a period's end during which its usage may still be submitted.
/// @param noticePeriod Seconds of notice a party must give to terminate.
/// @param baseTariff Per direction, the published base (IOT) tariff that charges usage as it clears: only Threshold
/// and Access plans.
/// @param discountTariff Per direction, the published discount tariff settled at each period's end; 0 = none.
/// @param conditions Per direction, the paying party's condition on the discount deal.
/// @param documentCommitment `keccak256(abi.encode(documentHash, documentId))`, where `documentHash` is the hash of the
/// signed legal document and `documentId` 32 random bytes kept off chain. Not a plain hash of the text: without the
/// random id, a guessed document cannot be confirmed against the chain.
// solhint-disable-next-line gas-struct-packing
struct AgreementTerms {
    uint32 proposer;
    address token;
    uint40 validFrom;
    uint40 validUntil;
    uint32 periodLength;
    uint32 disputeWindow;
    uint32 submissionGrace;
    uint32 noticePeriod;
    bytes32[2] baseTariff;
    bytes32[2] discountTariff;
    Condition[2] conditions;
    bytes32 documentCommitment;
}

/// @notice An offer of terms, signed (EIP-712) by an active signer key of `terms.proposer`.
/// @param counterparty The operator that may accept, or 0 for any active member (an open offer, which every member
/// may accept once).
/// @param expiry The last second (Unix) at which the offer may be accepted.
/// @param nonce Revocable through the proposer's nonce bitmap; accepting does not consume it.
// solhint-disable-next-line gas-struct-packing
struct Offer {
    AgreementTerms terms;
    uint32 counterparty;
    uint64 expiry;
    uint256 nonce;
}

/// @notice New terms for an agreement, signed (EIP-712) by active signer keys of both parties.
/// @param agreementId The agreement amended.
/// @param baseVersion The version the amendment replaces: it must be the agreement's latest, so an amendment
/// applies at most once.
/// @param newTermsHash {TypedData.hashTerms} of the new terms.
/// @param effectiveFrom The future period boundary from which the new terms apply.
// solhint-disable-next-line gas-struct-packing
struct Amendment {
    bytes32 agreementId;
    uint32 baseVersion;
    bytes32 newTermsHash;
    uint40 effectiveFrom;
}

/// @notice Storage record of one agreement.
/// @dev One slot: partyA (4) + partyB (4) + validFrom (5) + validUntil (5) + acceptedAt (5) + status (1) +
/// latestVersion (4) + periodLength (4) = 32 bytes. `validFrom` and `periodLength` never change (they number the
/// periods); `validUntil` follows the latest terms, or the end a party gave notice for.
// solhint-disable-next-line gas-struct-packing
struct Agreement {
    uint32 partyA;
    uint32 partyB;
    uint40 validFrom;
    uint40 validUntil;
    uint40 acceptedAt;
    AgreementStatus status;
    uint32 latestVersion;
    uint32 periodLength;
}

/// @notice One version of an agreement's terms.
/// @dev Slot 0: termsHash. Slot 1: effectiveFrom (0 for version 0, which applies from the start; never written).
struct TermsVersion {
    bytes32 termsHash;
    uint40 effectiveFrom;
}

/// @notice Storage record of one published tariff.
/// @dev One slot: publishedAt (5) + usableAsBase (1).
/// @param publishedAt When it was published (0 = never).
/// @param usableAsBase Whether every plan is a Threshold or Access plan, which never decreases as the volume grows,
/// so that usage can be rated incrementally as it clears.
struct TariffRecord {
    uint40 publishedAt;
    bool usableAsBase;
}
