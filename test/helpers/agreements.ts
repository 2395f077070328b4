import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { TypedDataEncoder, type TypedDataDomain } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import {
  agreementsDomain,
  computeTariffId,
  parseTariff,
  documentCommitment,
  hashAgreementOffer,
  normalizeTerms,
  signAmendment,
  signOffer,
  type AgreementAmendment,
  type AgreementOffer,
  type Tariff,
  type AgreementTerms,
  type TypedDataSigner,
} from "../../sdk/src";
import { OFFER_TYPES } from "../../sdk/src/typedData/agreements";
import type { MockStablecoin } from "../../sdk/src/typechain";
import { deployRegistryWithOperators, type RegistryFixture } from "./fixtures";
import { Kind, Svc } from "./rating";

export const HOUR = 3600;
export const DAY = 24 * HOUR;
/** The agreement period of the fixture's terms: 30 days. */
export const PERIOD = 30 * DAY;

/** Service ids and plan kinds of contracts/types/RatingTypes.sol. */
export { Kind, Svc } from "./rating";
export const AgreementStatus = { None: 0n, Active: 1n, Terminated: 2n } as const;
export const OperatorStatus = { None: 0n, Active: 1n, Suspended: 2n, Exited: 3n } as const;

const WAD = 10n ** 18n;
/** A price in wad from a number of thousandths of a token unit (0.05 = 50n). */
const milli = (n: bigint) => (n * WAD) / 1000n;

/** A standard IOT tariff with 4 services (voice MO, SMS MO, data, VoLTE), flat or tiered Threshold plans. */
export function iotTariff(variant = 0n): Tariff {
  return parseTariff({
    plans: [
      {
        service: Svc.VoiceMO,
        kind: Kind.Threshold,
        increment: 60,
        tiers: [
          { start: 0, fixedPrice: 0, linearPrice: milli(50n) + variant },
          { start: 60_000, fixedPrice: 10n * WAD, linearPrice: milli(40n) },
        ],
        unbalancedTiers: [],
      },
      {
        service: Svc.SmsMO,
        kind: Kind.Threshold,
        increment: 1,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: milli(10n) }],
        unbalancedTiers: [],
      },
      {
        service: Svc.Data,
        kind: Kind.Threshold,
        increment: 1024,
        tiers: [
          { start: 0, fixedPrice: 0, linearPrice: milli(2n) },
          { start: 1_000_000_000, fixedPrice: 0, linearPrice: milli(1n) },
        ],
        unbalancedTiers: [],
      },
      {
        service: Svc.VoLTE,
        kind: Kind.Threshold,
        increment: 60,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: milli(45n) }],
        unbalancedTiers: [],
      },
    ],
  });
}

/** An IoT access tariff (usable as base: Access plans). */
export function accessTariff(): Tariff {
  return parseTariff({
    plans: [
      {
        service: Svc.IoTAccess,
        kind: Kind.Access,
        increment: 1,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: milli(300n) }],
        unbalancedTiers: [],
      },
    ],
  });
}

/** A discount tariff: back-to-first on data, balanced/unbalanced on voice (not usable as base). */
export function discountTariff(): Tariff {
  return parseTariff({
    plans: [
      {
        service: Svc.VoiceMO,
        kind: Kind.Ratio,
        increment: 60,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: milli(20n) }],
        unbalancedTiers: [{ start: 0, fixedPrice: 0, linearPrice: milli(35n) }],
      },
      {
        service: Svc.Data,
        kind: Kind.BackToFirst,
        increment: 1024,
        tiers: [
          { start: 0, fixedPrice: 0, linearPrice: milli(2n) },
          { start: 10_000_000_000, fixedPrice: 0, linearPrice: milli(1n) },
        ],
        unbalancedTiers: [],
      },
    ],
  });
}

export interface AgreementsFixture extends RegistryFixture {
  token: MockStablecoin;
  tokenAddress: string;
  agreementsAddress: string;
  /** The contract's EIP-712 domain. */
  domain: TypedDataDomain;
  chainId: bigint;
  /** Published: the IOT tariff (base), the access tariff (base) and the discount tariff (not base). */
  iotTariffId: string;
  accessTariffId: string;
  discountTariffId: string;
  /** A legal document's commitment. */
  commitment: string;
}

/** The suite with three active operators, a settlement token and three published tariffs. */
export async function deployAgreementsFixture(): Promise<AgreementsFixture> {
  const f = await deployRegistryWithOperators();
  const token = (await ethers.deployContract("MockStablecoin", ["USD Coin", "USDC", 6])) as unknown as MockStablecoin;
  const agreementsAddress = await f.agreements.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  for (const tariff of [iotTariff(), accessTariff(), discountTariff()]) {
    await f.agreements.connect(f.accounts.dave).publishTariff(tariff);
  }
  return {
    ...f,
    token,
    tokenAddress: await token.getAddress(),
    agreementsAddress,
    domain: agreementsDomain({ chainId, verifyingContract: agreementsAddress }),
    chainId,
    iotTariffId: computeTariffId(iotTariff()),
    accessTariffId: computeTariffId(accessTariff()),
    discountTariffId: computeTariffId(discountTariff()),
    commitment: documentCommitment(ethers.id("roaming agreement alpha-beta v1.pdf"), ethers.id("random document id")),
  };
}

/** Terms proposed by alpha: one year from the next day boundary, 30-day periods, the fixture's tariffs. */
export async function makeTerms(
  f: AgreementsFixture,
  overrides: Partial<AgreementTerms> = {},
): Promise<AgreementTerms> {
  const now = await time.latest();
  const validFrom = BigInt(Math.floor(now / DAY) * DAY + DAY);
  return {
    proposer: f.alpha,
    token: f.tokenAddress,
    validFrom,
    validUntil: validFrom + BigInt(12 * PERIOD),
    periodLength: PERIOD,
    disputeWindow: 7 * DAY,
    submissionGrace: 3 * DAY,
    noticePeriod: 90 * DAY,
    baseTariff: [f.iotTariffId, f.iotTariffId],
    discountTariff: [f.discountTariffId, ethers.ZeroHash],
    conditions: [
      {
        kind: 2,
        includingTaxes: false,
        includedServices: (1 << Svc.VoiceMO) | (1 << Svc.Data),
        commitment: 50_000_000_000n,
      },
      { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
    ],
    documentCommitment: f.commitment,
    ...overrides,
  };
}

export interface OfferOptions {
  terms?: AgreementTerms;
  /** Default: beta. 0 = open offer. */
  counterparty?: bigint | number;
  /** Default: a week from now. */
  expiry?: bigint | number;
  nonce?: bigint | number;
  /** Default: alpha's signer key. */
  signer?: TypedDataSigner;
  /** Default: the contract's domain. */
  domain?: TypedDataDomain;
}

/** An offer by alpha and its signature. */
export async function signedOffer(
  f: AgreementsFixture,
  options: OfferOptions = {},
): Promise<{ offer: AgreementOffer; signature: string; offerHash: string }> {
  const offer: AgreementOffer = {
    terms: options.terms ?? (await makeTerms(f)),
    counterparty: options.counterparty ?? f.beta,
    expiry: options.expiry ?? (await time.latest()) + 7 * DAY,
    nonce: options.nonce ?? 1n,
  };
  const signature = await signOffer(options.signer ?? f.accounts.aliceSigner, options.domain ?? f.domain, offer);
  return { offer, signature, offerHash: hashAgreementOffer(offer) };
}

/**
 * An offer by alpha with terms the SDK would refuse (a zero token, a condition naming an unknown service), signed
 * through ethers directly, to reach the contract's own checks.
 */
export async function rawSignedOffer(
  f: AgreementsFixture,
  patch: { token?: string; includedServices?: [number, number] },
): Promise<{ offer: Record<string, unknown>; signature: string; offerHash: string }> {
  const terms = normalizeTerms(await makeTerms(f));
  if (patch.token !== undefined) terms.token = patch.token;
  if (patch.includedServices !== undefined) {
    terms.conditions[0].includedServices = BigInt(patch.includedServices[0]);
    terms.conditions[1].includedServices = BigInt(patch.includedServices[1]);
  }
  const offer = { terms, counterparty: f.beta, expiry: BigInt((await time.latest()) + 7 * DAY), nonce: 1n };
  const signer: HardhatEthersSigner = f.accounts.aliceSigner;
  const signature = await signer.signTypedData(f.domain, OFFER_TYPES, offer);
  return { offer, signature, offerHash: TypedDataEncoder.hashStruct("Offer", OFFER_TYPES, offer) };
}

export interface AgreementFixture extends AgreementsFixture {
  agreementId: string;
  offer: AgreementOffer;
  terms: AgreementTerms;
}

/** An agreement between alpha (party A) and beta (party B), accepted by bob (beta's admin). */
export async function deployAgreementFixture(): Promise<AgreementFixture> {
  const f = await deployAgreementsFixture();
  const { offer, signature, offerHash } = await signedOffer(f);
  await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
  const agreementId = await f.agreements.agreementIdOf(offerHash, f.beta);
  return { ...f, agreementId, offer, terms: offer.terms };
}

/** The amendment of the latest version of `f`'s agreement to `newTerms`, signed by both parties' keys. */
export async function signedAmendment(
  f: AgreementFixture,
  amendment: AgreementAmendment,
  signers: [TypedDataSigner, TypedDataSigner] = [f.accounts.aliceSigner, f.accounts.bobSigner],
): Promise<{ signatureA: string; signatureB: string }> {
  return {
    signatureA: await signAmendment(signers[0], f.domain, amendment),
    signatureB: await signAmendment(signers[1], f.domain, amendment),
  };
}
