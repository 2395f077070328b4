/**
 * EIP-712 typed data of `RoamingAgreements`: the domain, the `Offer` and `Amendment` types, struct hashes equal to
 * the contract's (`contracts/libraries/TypedData.sol`), signers, and the legal-document commitment.
 *
 * Pure and browser-safe: no chain library (hashing and signer recovery are the SDK's own `encoding`, on
 * `@noble/hashes`; random bytes come from `crypto.getRandomValues`).
 * Every input is validated and normalised first; a bad one throws an {@link InvalidArgumentError} naming the field
 * (e.g. `"offer.terms.baseTariff[1]"`).
 */
import {
  abiEncodeBytes,
  bytesToHex,
  hashStruct,
  hashTypedData,
  keccak256,
  recoverAddress,
  type TypedDataDomain,
  type TypedDataField,
} from "../encoding";
import { InvalidArgumentError } from "../errors";
import { requireObject, toAddress, toBytes32, toUint, type UintLike } from "../validation";

/*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS
//////////////////////////////////////////////////////////////////////////*/

/** The EIP-712 domain name of `RoamingAgreements`. */
export const AGREEMENTS_DOMAIN_NAME = "RoamLedger RoamingAgreements";
/** The EIP-712 domain version of `RoamingAgreements`. */
export const AGREEMENTS_DOMAIN_VERSION = "1";

/** How a discount deal is conditional (`ConditionKind` in `contracts/types/RatingTypes.sol`). */
export const AGREEMENT_CONDITION_KINDS = { Unconditional: 0, ContractRevenue: 1, DiscountRevenue: 2 } as const;

/** The number of services the rating engine knows (`Service` in RatingTypes.sol): condition bitmaps use bits 0-8. */
export const AGREEMENT_SERVICE_COUNT = 9;

const CONDITION_FIELDS: TypedDataField[] = [
  { name: "kind", type: "uint8" },
  { name: "includingTaxes", type: "bool" },
  { name: "includedServices", type: "uint16" },
  { name: "commitment", type: "uint128" },
];

const TERMS_FIELDS: TypedDataField[] = [
  { name: "proposer", type: "uint32" },
  { name: "token", type: "address" },
  { name: "validFrom", type: "uint40" },
  { name: "validUntil", type: "uint40" },
  { name: "periodLength", type: "uint32" },
  { name: "disputeWindow", type: "uint32" },
  { name: "submissionGrace", type: "uint32" },
  { name: "noticePeriod", type: "uint32" },
  { name: "baseTariff", type: "bytes32[2]" },
  { name: "discountTariff", type: "bytes32[2]" },
  { name: "conditions", type: "Condition[2]" },
  { name: "documentCommitment", type: "bytes32" },
];

/** The EIP-712 types of agreement terms alone (primary type `AgreementTerms`). */
export const AGREEMENT_TERMS_TYPES: Record<string, TypedDataField[]> = {
  AgreementTerms: TERMS_FIELDS,
  Condition: CONDITION_FIELDS,
};

/** The EIP-712 types of an offer (primary type `Offer`). */
export const OFFER_TYPES: Record<string, TypedDataField[]> = {
  Offer: [
    { name: "terms", type: "AgreementTerms" },
    { name: "counterparty", type: "uint32" },
    { name: "expiry", type: "uint64" },
    { name: "nonce", type: "uint256" },
  ],
  AgreementTerms: TERMS_FIELDS,
  Condition: CONDITION_FIELDS,
};

/** The EIP-712 types of an amendment (primary type `Amendment`). */
export const AMENDMENT_TYPES: Record<string, TypedDataField[]> = {
  Amendment: [
    { name: "agreementId", type: "bytes32" },
    { name: "baseVersion", type: "uint32" },
    { name: "newTermsHash", type: "bytes32" },
    { name: "effectiveFrom", type: "uint40" },
  ],
};

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** A condition of a discount deal (`Condition` in RatingTypes.sol). */
export interface AgreementCondition {
  /** 0 unconditional, 1 contract revenue commitment, 2 discount revenue commitment (see {@link AGREEMENT_CONDITION_KINDS}). */
  kind: UintLike;
  includingTaxes: boolean;
  /** Bitmap of the services the commitment covers (bit `i` = service `i`, 0 to 8). */
  includedServices: UintLike;
  /** The committed value, in settlement-token base units. */
  commitment: UintLike;
}

/**
 * The terms of a roaming agreement (`AgreementTerms` in AgreementTypes.sol). Direction 0 of the pairs: the proposer
 * is the visited network and charges the acceptor; direction 1: the reverse.
 */
export interface AgreementTerms {
  /** Party A's operator id. */
  proposer: UintLike;
  /** The settlement ERC-20. */
  token: string;
  /** Start of validity (Unix seconds, inclusive). */
  validFrom: UintLike;
  /** End of validity (exclusive). */
  validUntil: UintLike;
  /** Agreement period, seconds. */
  periodLength: UintLike;
  disputeWindow: UintLike;
  submissionGrace: UintLike;
  noticePeriod: UintLike;
  /** Published base tariff ids, per direction. */
  baseTariff: [string, string];
  /** Published discount tariff ids, per direction; the zero hash means none. */
  discountTariff: [string, string];
  conditions: [AgreementCondition, AgreementCondition];
  /** {@link documentCommitment} of the legal document. */
  documentCommitment: string;
}

/** An offer of terms, signed by one of the proposer's signer keys. */
export interface AgreementOffer {
  terms: AgreementTerms;
  /** The operator that may accept, or 0 for any active member. */
  counterparty: UintLike;
  /** The last second (Unix) the offer may be accepted. */
  expiry: UintLike;
  /** Revocable with `invalidateNonces` (see {@link nonceBitmapPosition}). */
  nonce: UintLike;
}

/** New terms for an agreement, signed by both parties' signer keys. */
export interface AgreementAmendment {
  agreementId: string;
  /** The agreement's latest version, which the amendment replaces. */
  baseVersion: UintLike;
  /** {@link hashAgreementTerms} of the new terms. */
  newTermsHash: string;
  /** The future period boundary from which the new terms apply. */
  effectiveFrom: UintLike;
}

/** A condition with every field normalised (bigints, as ethers and TypeChain return them). */
export interface NormalizedCondition {
  kind: bigint;
  includingTaxes: boolean;
  includedServices: bigint;
  commitment: bigint;
}

/** Terms with every field normalised: bigints, checksummed address, lower-case bytes32. */
export interface NormalizedTerms {
  proposer: bigint;
  token: string;
  validFrom: bigint;
  validUntil: bigint;
  periodLength: bigint;
  disputeWindow: bigint;
  submissionGrace: bigint;
  noticePeriod: bigint;
  baseTariff: [string, string];
  discountTariff: [string, string];
  conditions: [NormalizedCondition, NormalizedCondition];
  documentCommitment: string;
}

/** A normalised offer. */
export interface NormalizedOffer {
  terms: NormalizedTerms;
  counterparty: bigint;
  expiry: bigint;
  nonce: bigint;
}

/** A normalised amendment. */
export interface NormalizedAmendment {
  agreementId: string;
  baseVersion: bigint;
  newTermsHash: string;
  effectiveFrom: bigint;
}

/** Where the contract is: the variable part of the EIP-712 domain. */
export interface AgreementsDomainParams {
  chainId: UintLike;
  verifyingContract: string;
}

/** A complete EIP-712 request, as `eth_signTypedData_v4` and ethers' `signTypedData` take it. */
export interface AgreementTypedData<M> {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: M;
}

/** Anything that signs EIP-712 data the way an ethers v6 `Signer` does. */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/*//////////////////////////////////////////////////////////////////////////
                                 VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function pair<T, U>(value: readonly T[], field: string, map: (item: T, field: string) => U): [U, U] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidArgumentError("must be an array of 2 (direction 0, direction 1)", { field, value });
  }
  return [map(value[0], `${field}[0]`), map(value[1], `${field}[1]`)];
}

/** Validates and normalises a condition. */
export function normalizeCondition(condition: AgreementCondition, field = "condition"): NormalizedCondition {
  requireObject(condition, field);
  const kind = toUint(condition.kind, 8, `${field}.kind`);
  if (kind > 2n) {
    throw new InvalidArgumentError("must be 0 (unconditional), 1 (contract revenue) or 2 (discount revenue)", {
      field: `${field}.kind`,
      value: condition.kind,
    });
  }
  if (typeof condition.includingTaxes !== "boolean") {
    throw new InvalidArgumentError("must be a boolean", {
      field: `${field}.includingTaxes`,
      value: condition.includingTaxes,
    });
  }
  const includedServices = toUint(condition.includedServices, 16, `${field}.includedServices`);
  if (includedServices >> BigInt(AGREEMENT_SERVICE_COUNT) !== 0n) {
    throw new InvalidArgumentError(`must name services 0 to ${AGREEMENT_SERVICE_COUNT - 1} only`, {
      field: `${field}.includedServices`,
      value: condition.includedServices,
    });
  }
  return {
    kind,
    includingTaxes: condition.includingTaxes,
    includedServices,
    commitment: toUint(condition.commitment, 128, `${field}.commitment`),
  };
}

/**
 * Validates and normalises agreement terms: field types and ranges only (what the contract checks against the
 * chain, such as published tariffs or the token, is left to it).
 */
export function normalizeTerms(terms: AgreementTerms, field = "terms"): NormalizedTerms {
  requireObject(terms, field);
  return {
    proposer: toUint(terms.proposer, 32, `${field}.proposer`),
    token: toAddress(terms.token, `${field}.token`),
    validFrom: toUint(terms.validFrom, 40, `${field}.validFrom`),
    validUntil: toUint(terms.validUntil, 40, `${field}.validUntil`),
    periodLength: toUint(terms.periodLength, 32, `${field}.periodLength`),
    disputeWindow: toUint(terms.disputeWindow, 32, `${field}.disputeWindow`),
    submissionGrace: toUint(terms.submissionGrace, 32, `${field}.submissionGrace`),
    noticePeriod: toUint(terms.noticePeriod, 32, `${field}.noticePeriod`),
    baseTariff: pair(terms.baseTariff, `${field}.baseTariff`, toBytes32),
    discountTariff: pair(terms.discountTariff, `${field}.discountTariff`, toBytes32),
    conditions: pair(terms.conditions, `${field}.conditions`, normalizeCondition),
    documentCommitment: toBytes32(terms.documentCommitment, `${field}.documentCommitment`),
  };
}

/** Validates and normalises an offer. */
export function normalizeOffer(offer: AgreementOffer, field = "offer"): NormalizedOffer {
  requireObject(offer, field);
  return {
    terms: normalizeTerms(offer.terms, `${field}.terms`),
    counterparty: toUint(offer.counterparty, 32, `${field}.counterparty`),
    expiry: toUint(offer.expiry, 64, `${field}.expiry`),
    nonce: toUint(offer.nonce, 256, `${field}.nonce`),
  };
}

/** Validates and normalises an amendment. */
export function normalizeAmendment(amendment: AgreementAmendment, field = "amendment"): NormalizedAmendment {
  requireObject(amendment, field);
  return {
    agreementId: toBytes32(amendment.agreementId, `${field}.agreementId`),
    baseVersion: toUint(amendment.baseVersion, 32, `${field}.baseVersion`),
    newTermsHash: toBytes32(amendment.newTermsHash, `${field}.newTermsHash`),
    effectiveFrom: toUint(amendment.effectiveFrom, 40, `${field}.effectiveFrom`),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                   DOMAIN
//////////////////////////////////////////////////////////////////////////*/

/** The EIP-712 domain of the `RoamingAgreements` at `verifyingContract` on `chainId`. */
export function agreementsDomain(params: AgreementsDomainParams): TypedDataDomain {
  requireObject(params, "domain");
  return {
    name: AGREEMENTS_DOMAIN_NAME,
    version: AGREEMENTS_DOMAIN_VERSION,
    chainId: toUint(params.chainId, 256, "domain.chainId"),
    verifyingContract: toAddress(params.verifyingContract, "domain.verifyingContract"),
  };
}

function toDomain(domain: AgreementsDomainParams | TypedDataDomain): TypedDataDomain {
  if (typeof domain === "object" && domain !== null && "name" in domain && domain.name !== undefined) {
    return domain; // an explicit domain, e.g. one read with `eip712Domain()`, or a deliberately foreign one in tests
  }
  return agreementsDomain(domain as AgreementsDomainParams);
}

/*//////////////////////////////////////////////////////////////////////////
                                STRUCT HASHES
//////////////////////////////////////////////////////////////////////////*/

/** The EIP-712 struct hash of agreement terms: the contract's `hashTerms`, the terms hash stored per version. */
export function hashAgreementTerms(terms: AgreementTerms): string {
  return hashStruct("AgreementTerms", AGREEMENT_TERMS_TYPES, normalizeTerms(terms));
}

/** The EIP-712 struct hash of an offer: the contract's `hashOffer`, and the `offerHash` of `AgreementCreated`. */
export function hashAgreementOffer(offer: AgreementOffer): string {
  return hashStruct("Offer", OFFER_TYPES, normalizeOffer(offer));
}

/** The EIP-712 struct hash of an amendment: the contract's `hashAmendment`. */
export function hashAgreementAmendment(amendment: AgreementAmendment): string {
  return hashStruct("Amendment", AMENDMENT_TYPES, normalizeAmendment(amendment));
}

/** The id of the agreement that `acceptorId` creates by accepting the offer with struct hash `offerHash`. */
export function agreementIdOf(offerHash: string, acceptorId: UintLike): string {
  return keccak256(
    abiEncodeBytes(["bytes32", "uint32"], [toBytes32(offerHash, "offerHash"), toUint(acceptorId, 32, "acceptorId")]),
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                 TYPED DATA
//////////////////////////////////////////////////////////////////////////*/

/** The EIP-712 request that a proposer's signer key signs for `offer`. */
export function offerTypedData(
  domain: AgreementsDomainParams | TypedDataDomain,
  offer: AgreementOffer,
): AgreementTypedData<NormalizedOffer> {
  return { domain: toDomain(domain), types: OFFER_TYPES, primaryType: "Offer", message: normalizeOffer(offer) };
}

/** The EIP-712 request that each party's signer key signs for `amendment`. */
export function amendmentTypedData(
  domain: AgreementsDomainParams | TypedDataDomain,
  amendment: AgreementAmendment,
): AgreementTypedData<NormalizedAmendment> {
  return {
    domain: toDomain(domain),
    types: AMENDMENT_TYPES,
    primaryType: "Amendment",
    message: normalizeAmendment(amendment),
  };
}

/** The digest signed for `offer` (what `ecrecover` checks). */
export function offerDigest(domain: AgreementsDomainParams | TypedDataDomain, offer: AgreementOffer): string {
  const data = offerTypedData(domain, offer);
  return hashTypedData(data.domain, data.types, data.message);
}

/** The digest signed for `amendment`. */
export function amendmentDigest(
  domain: AgreementsDomainParams | TypedDataDomain,
  amendment: AgreementAmendment,
): string {
  const data = amendmentTypedData(domain, amendment);
  return hashTypedData(data.domain, data.types, data.message);
}

/** Signs `offer` with a proposer's signer key; returns the 65-byte signature `acceptOffer` takes. */
export async function signOffer(
  signer: TypedDataSigner,
  domain: AgreementsDomainParams | TypedDataDomain,
  offer: AgreementOffer,
): Promise<string> {
  const data = offerTypedData(domain, offer);
  return signer.signTypedData(data.domain, data.types, data.message as unknown as Record<string, unknown>);
}

/** Signs `amendment` with one party's signer key. */
export async function signAmendment(
  signer: TypedDataSigner,
  domain: AgreementsDomainParams | TypedDataDomain,
  amendment: AgreementAmendment,
): Promise<string> {
  const data = amendmentTypedData(domain, amendment);
  return signer.signTypedData(data.domain, data.types, data.message as unknown as Record<string, unknown>);
}

/** The address that signed `offer` with `signature` in `domain` (to check a received offer before accepting it). */
export function recoverOfferSigner(
  domain: AgreementsDomainParams | TypedDataDomain,
  offer: AgreementOffer,
  signature: string,
): string {
  const data = offerTypedData(domain, offer);
  return recoverAddress(hashTypedData(data.domain, data.types, data.message), signature);
}

/** The address that signed `amendment` with `signature` in `domain`. */
export function recoverAmendmentSigner(
  domain: AgreementsDomainParams | TypedDataDomain,
  amendment: AgreementAmendment,
  signature: string,
): string {
  const data = amendmentTypedData(domain, amendment);
  return recoverAddress(hashTypedData(data.domain, data.types, data.message), signature);
}

/*//////////////////////////////////////////////////////////////////////////
                          NONCES AND DOCUMENTS
//////////////////////////////////////////////////////////////////////////*/

/** Where nonce `nonce` lives in an operator's bitmap: `invalidateNonces(operatorId, wordIndex, mask)` revokes it. */
export function nonceBitmapPosition(nonce: UintLike): { wordIndex: bigint; mask: bigint } {
  const n = toUint(nonce, 256, "nonce");
  return { wordIndex: n >> 8n, mask: 1n << (n & 0xffn) };
}

/** A fresh random offer nonce (256 random bits), so that offers never collide without any bookkeeping. */
export function randomNonce(): bigint {
  return BigInt(randomHex32());
}

/**
 * The commitment to a legal document stored in the terms: `keccak256(abi.encode(documentHash, documentId))`.
 * It is not a plain hash of the text: `documentId` is 32 random bytes ({@link randomDocumentId}) kept off chain with
 * the document, so that a guessed document cannot be confirmed against the chain. Give both to whoever must verify.
 */
export function documentCommitment(documentHash: string, documentId: string): string {
  return keccak256(
    abiEncodeBytes(
      ["bytes32", "bytes32"],
      [toBytes32(documentHash, "documentHash"), toBytes32(documentId, "documentId")],
    ),
  );
}

/** 32 random bytes (hex) for {@link documentCommitment}, from a cryptographically secure source. */
export function randomDocumentId(): string {
  return randomHex32();
}

/** 32 bytes from the platform's cryptographically secure source (Web Crypto, in browsers and Node alike). */
function randomHex32(): string {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}
