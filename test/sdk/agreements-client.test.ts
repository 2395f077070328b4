import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, keccak256, type ContractRunner, type TransactionRequest } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  AgreementsClient,
  InvalidArgumentError,
  RoamLedgerContractError,
  RoamingAgreements__factory,
  SignerRequiredError,
  agreementIdOf,
  agreementsDomain,
  amendmentTypedData,
  computeTariffId,
  parseTariff,
  decodeRoamLedgerError,
  documentCommitment,
  hashAgreementAmendment,
  hashAgreementOffer,
  hashAgreementTerms,
  isBaseTariff,
  nonceBitmapPosition,
  normalizeTerms,
  offerDigest,
  offerTypedData,
  randomDocumentId,
  randomNonce,
  recoverAmendmentSigner,
  recoverOfferSigner,
  signAmendment,
  signOffer,
  type Tariff,
  type AgreementTerms,
} from "../../sdk/src";
import { AGREEMENTS_DOMAIN_NAME } from "../../sdk/src/typedData/agreements";
import { AgreementsTransactionBuilder } from "../../sdk/src/clients/agreements";
import { SUITE_ERROR_SOURCES } from "../../sdk/src/errors";
import {
  DAY,
  Kind,
  PERIOD,
  Svc,
  accessTariff,
  deployAgreementsFixture,
  discountTariff,
  iotTariff,
  makeTerms,
  signedOffer,
} from "../helpers/agreements";
import { deploySuite } from "../helpers/fixtures";
import { rejection } from "./fixture";

/** The fixture plus clients for beta's admin (bob) and for alpha's admin (alice). */
async function clientFixture() {
  const f = await deployAgreementsFixture();
  const bobClient = new AgreementsClient(f.agreementsAddress, f.accounts.bob);
  const aliceClient = bobClient.connect(f.accounts.alice);
  return { ...f, bobClient, aliceClient };
}

/** A runner that records what it is asked to send and sends nothing. */
function recordingRunner(): ContractRunner & { sent: TransactionRequest[] } {
  const sent: TransactionRequest[] = [];
  return {
    provider: null,
    sent,
    sendTransaction: async (tx: TransactionRequest) => {
      sent.push(tx);
      throw new Error("the recording runner sends nothing");
    },
  };
}

function expectInvalid(fn: () => unknown, field: string): InvalidArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError for ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
  return caught as InvalidArgumentError;
}

async function expectRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(RoamLedgerContractError);
  expect((error as RoamLedgerContractError).name).to.equal(name);
  return error as RoamLedgerContractError;
}

describe("AgreementsClient and the agreements typed data", function () {
  describe("when constructed", function () {
    it("should checksum the address and refuse a malformed one", async function () {
      const { agreementsAddress, accounts, registry } = await loadFixture(clientFixture);
      const client = new AgreementsClient(agreementsAddress.toLowerCase(), accounts.bob);
      expect(client.address).to.equal(agreementsAddress);
      expect(client.build.address).to.equal(agreementsAddress);
      expect(await client.contract.getAddress()).to.equal(agreementsAddress);
      expect(await client.registry()).to.equal(await registry.getAddress());
      for (const bad of ["0x1234", "agreements", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"]) {
        expectInvalid(() => new AgreementsClient(bad), "address");
      }
    });
  });

  describe("typed data", function () {
    it("should build the contract's domain, and read the same from the chain", async function () {
      const { bobClient, domain, chainId, agreementsAddress } = await loadFixture(clientFixture);
      expect(domain).to.deep.equal({
        name: AGREEMENTS_DOMAIN_NAME,
        version: "1",
        chainId,
        verifyingContract: agreementsAddress,
      });
      expect(await bobClient.domain()).to.deep.equal(domain);
    });

    it("should hash terms, offers and amendments exactly as the contract does", async function () {
      const f = await loadFixture(clientFixture);
      const terms = await makeTerms(f);
      const offer = { terms, counterparty: 0, expiry: 2n ** 64n - 1n, nonce: randomNonce() };
      expect(hashAgreementTerms(terms)).to.equal(await f.agreements.hashTerms(terms));
      expect(hashAgreementOffer(offer)).to.equal(await f.agreements.hashOffer(offer));
      expect(offerDigest(f.domain, offer)).to.equal(await f.agreements.hashTypedData(hashAgreementOffer(offer)));
      const amendment = {
        agreementId: ethers.id("a"),
        baseVersion: 2 ** 32 - 1,
        newTermsHash: hashAgreementTerms(terms),
        effectiveFrom: 2n ** 40n - 1n,
      };
      expect(hashAgreementAmendment(amendment)).to.equal(await f.agreements.hashAmendment(amendment));
      const extreme: AgreementTerms = {
        ...terms,
        proposer: 2 ** 32 - 1,
        validUntil: 2n ** 40n - 1n,
        conditions: [
          { kind: 2, includingTaxes: true, includedServices: 0x1ff, commitment: 2n ** 128n - 1n },
          { kind: 1, includingTaxes: false, includedServices: 1, commitment: 1 },
        ],
      };
      expect(hashAgreementTerms(extreme)).to.equal(await f.agreements.hashTerms(extreme));
    });

    it("should return EIP-712 requests whose signatures recover to the signer", async function () {
      const f = await loadFixture(clientFixture);
      const { offer } = await signedOffer(f);
      const request = offerTypedData({ chainId: f.chainId, verifyingContract: f.agreementsAddress }, offer);
      expect(request.primaryType).to.equal("Offer");
      expect(request.domain).to.deep.equal(f.domain);
      const signature = await signOffer(f.accounts.aliceSigner, request.domain, offer);
      expect(recoverOfferSigner(f.domain, offer, signature)).to.equal(f.accounts.aliceSigner.address);
      expect(await f.bobClient.signOffer(f.accounts.aliceSigner, offer)).to.equal(signature);

      const amendment = { agreementId: ethers.id("x"), baseVersion: 0, newTermsHash: ethers.id("y"), effectiveFrom: 1 };
      expect(amendmentTypedData(f.domain, amendment).primaryType).to.equal("Amendment");
      const byBob = await f.bobClient.signAmendment(f.accounts.bobSigner, amendment);
      expect(byBob).to.equal(await signAmendment(f.accounts.bobSigner, f.domain, amendment));
      expect(recoverAmendmentSigner(f.domain, amendment, byBob)).to.equal(f.accounts.bobSigner.address);
    });

    it("should commit to a document with a random id, not a plain hash", function () {
      const documentHash = ethers.id("the signed PDF");
      const id = randomDocumentId();
      expect(id).to.match(/^0x[0-9a-f]{64}$/);
      expect(randomDocumentId()).to.not.equal(id);
      expect(documentCommitment(documentHash, id)).to.equal(
        keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [documentHash, id])),
      );
      expect(documentCommitment(documentHash, id)).to.not.equal(documentHash);
      expectInvalid(() => documentCommitment("0x1234", id), "documentHash");
      expectInvalid(() => documentCommitment(documentHash, "random"), "documentId");
    });

    it("should place nonces in the bitmap as the contract does", function () {
      expect(nonceBitmapPosition(0)).to.deep.equal({ wordIndex: 0n, mask: 1n });
      expect(nonceBitmapPosition(257n)).to.deep.equal({ wordIndex: 1n, mask: 2n });
      expect(nonceBitmapPosition(2n ** 256n - 1n)).to.deep.equal({ wordIndex: 2n ** 248n - 1n, mask: 2n ** 255n });
      expectInvalid(() => nonceBitmapPosition(-1), "nonce");
      expect(randomNonce()).to.not.equal(randomNonce());
    });

    it("should refuse malformed terms before anything is signed, naming the field", async function () {
      const f = await loadFixture(clientFixture);
      const terms = await makeTerms(f);
      const offer = (t: Partial<AgreementTerms>) => ({
        terms: { ...terms, ...t },
        counterparty: 0,
        expiry: 1,
        nonce: 1,
      });
      const cases: [Partial<AgreementTerms>, string][] = [
        [{ token: ethers.ZeroAddress }, "offer.terms.token"],
        [{ token: "0x12" }, "offer.terms.token"],
        [{ proposer: 2 ** 32 }, "offer.terms.proposer"],
        [{ validUntil: 2n ** 40n }, "offer.terms.validUntil"],
        [{ periodLength: 1.5 }, "offer.terms.periodLength"],
        [{ noticePeriod: -1 }, "offer.terms.noticePeriod"],
        [{ baseTariff: [f.iotTariffId, "0x00"] }, "offer.terms.baseTariff[1]"],
        [{ discountTariff: [ethers.ZeroHash] as unknown as [string, string] }, "offer.terms.discountTariff"],
        [{ documentCommitment: "commitment" }, "offer.terms.documentCommitment"],
        [{ conditions: [{ ...terms.conditions[0], kind: 3 }, terms.conditions[1]] }, "offer.terms.conditions[0].kind"],
        [
          { conditions: [terms.conditions[0], { ...terms.conditions[1], includedServices: 1 << 9 }] },
          "offer.terms.conditions[1].includedServices",
        ],
        [
          { conditions: [terms.conditions[0], { ...terms.conditions[1], includingTaxes: 1 as unknown as boolean }] },
          "offer.terms.conditions[1].includingTaxes",
        ],
        [
          { conditions: [terms.conditions[0], { ...terms.conditions[1], commitment: 2n ** 128n }] },
          "offer.terms.conditions[1].commitment",
        ],
      ];
      for (const [patch, field] of cases) expectInvalid(() => hashAgreementOffer(offer(patch)), field);
      expectInvalid(() => hashAgreementOffer({ ...offer({}), counterparty: 2 ** 32 }), "offer.counterparty");
      expectInvalid(() => hashAgreementOffer({ ...offer({}), expiry: 2n ** 64n }), "offer.expiry");
      expectInvalid(() => hashAgreementOffer(null as never), "offer");
      expectInvalid(() => agreementsDomain({ chainId: 1, verifyingContract: "nowhere" }), "domain.verifyingContract");
      expectInvalid(() => agreementIdOf(ethers.ZeroHash, 0n - 1n), "acceptorId");
      const bad = { agreementId: "0x00", baseVersion: 0, newTermsHash: ethers.ZeroHash, effectiveFrom: 0 };
      expectInvalid(() => hashAgreementAmendment(bad), "amendment.agreementId");
    });
  });

  describe("tariffs", function () {
    it("should compute the contract's tariff id locally and publish under it", async function () {
      const { agreements, accounts } = await loadFixture(deploySuite);
      const client = new AgreementsClient(await agreements.getAddress(), accounts.dave);
      for (const tariff of [iotTariff(), accessTariff(), discountTariff()]) {
        expect(computeTariffId(tariff)).to.equal(await agreements.tariffIdOf(tariff));
        const { tariffId, receipt } = await client.publishTariff(tariff);
        expect(tariffId).to.equal(computeTariffId(tariff));
        const [event] = await agreements.queryFilter(agreements.filters.TariffPublished(tariffId), receipt.blockNumber);
        expect(event.args.tariffId).to.equal(tariffId);
        expect(await client.isTariffPublished(tariffId)).to.equal(true);
        const record = await client.getTariffRecord(tariffId);
        expect(record).to.deep.equal({ publishedAt: BigInt(await time.latest()), usableAsBase: isBaseTariff(tariff) });
      }
      expect([isBaseTariff(iotTariff()), isBaseTariff(accessTariff()), isBaseTariff(discountTariff())]).to.deep.equal([
        true,
        true,
        false,
      ]);
      const error = await expectRevert(client.publishTariff(iotTariff()), "RoamingAgreements_TariffExists");
      expect(error.args.tariffId).to.equal(computeTariffId(iotTariff()));
    });

    it("should accept numbers, bigints and decimal strings alike", function () {
      const asStrings: unknown = {
        plans: iotTariff().plans.map((p) => ({
          ...p,
          service: String(p.service),
          increment: String(p.increment),
          tiers: p.tiers.map((t) => ({
            start: String(t.start),
            fixedPrice: String(t.fixedPrice),
            linearPrice: String(t.linearPrice),
          })),
        })),
      };
      expect(computeTariffId(parseTariff(asStrings))).to.equal(computeTariffId(iotTariff()));
    });

    it("should refuse an invalid tariff before sending, naming the field", function () {
      const plan = iotTariff().plans[0];
      const tiers = (n: number) => Array.from({ length: n }, (_, i) => ({ start: i, fixedPrice: 0, linearPrice: 1 }));
      const cases: [unknown, string][] = [
        [{ plans: [] }, "tariff.plans"],
        [{ plans: [{ ...plan, service: 9 }] }, "tariff.plans[0].service"],
        [
          {
            plans: [
              { ...plan, service: Svc.Data },
              { ...plan, service: Svc.SmsMO },
            ],
          },
          "tariff.plans[1].service",
        ],
        [{ plans: [{ ...plan, kind: 4 }] }, "tariff.plans[0].kind"],
        [{ plans: [{ ...plan, increment: 0 }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: 2 ** 32 }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, tiers: tiers(17) }] }, "tariff.plans[0].tiers"],
        [
          { plans: [{ ...plan, tiers: [...tiers(2), { start: 1, fixedPrice: 0, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[2].start",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: 0, fixedPrice: 2n ** 96n, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[0].fixedPrice",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: "x", fixedPrice: 0, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[0].start",
        ],
        [{ plans: [{ ...plan, kind: Kind.Ratio }] }, "tariff.plans[0].unbalancedTiers"],
        [{ plans: [{ ...plan, unbalancedTiers: tiers(1) }] }, "tariff.plans[0].unbalancedTiers"],
      ];
      for (const [tariff, field] of cases) {
        expectInvalid(() => parseTariff(tariff), field);
        // The builders and the id check a Tariff too (a JavaScript caller's one may be anything).
        expectInvalid(() => computeTariffId(tariff as Tariff), field);
        expectInvalid(
          () =>
            new AgreementsClient("0x00000000000000000000000000000000000000a1").build.publishTariff(tariff as Tariff),
          field,
        );
      }
    });
  });

  describe("offers and agreements", function () {
    it("should accept an offer, return the agreement id and read the agreement back", async function () {
      const f = await loadFixture(clientFixture);
      const { offer, signature, offerHash } = await signedOffer(f);
      const { agreementId, receipt } = await f.bobClient.acceptOffer(offer, signature);
      expect(agreementId).to.equal(agreementIdOf(offerHash, f.beta));
      expect(receipt.status).to.equal(1);

      const info = await f.bobClient.getAgreement(agreementId);
      expect(info).to.deep.equal({
        id: agreementId,
        partyA: f.alpha,
        partyB: f.beta,
        validFrom: BigInt(offer.terms.validFrom),
        validUntil: BigInt(offer.terms.validUntil),
        acceptedAt: BigInt(await time.latest()),
        status: "active",
        latestVersion: 0n,
        periodLength: BigInt(PERIOD),
      });
      expect(await f.bobClient.termsHash(agreementId, 0)).to.equal(hashAgreementTerms(offer.terms));
      expect(await f.bobClient.getTerms(agreementId, 0)).to.deep.equal(normalizeTerms(offer.terms));
      const from = BigInt(offer.terms.validFrom);
      expect(await f.bobClient.periodOf(agreementId, from + BigInt(PERIOD))).to.equal(1n);
      expect(await f.bobClient.periodBounds(agreementId, 0)).to.deep.equal({ start: from, end: from + BigInt(PERIOD) });
      expect(await f.bobClient.isActive(agreementId, from)).to.equal(true);
      expect(await f.bobClient.isExpired(agreementId)).to.equal(false);
      expect(await f.bobClient.versionAt(agreementId, from)).to.equal(0n);

      const unknown = await expectRevert(
        f.bobClient.getAgreement(ethers.id("none")),
        "RoamingAgreements_UnknownAgreement",
      );
      expect(unknown.args.agreementId).to.equal(ethers.id("none"));
    });

    it("should revoke a nonce, and surface the refusal as a typed error", async function () {
      const f = await loadFixture(clientFixture);
      const nonce = 1234n;
      const { offer, signature } = await signedOffer(f, { nonce });
      await f.aliceClient.revokeNonce(f.alpha, nonce);
      expect(await f.bobClient.isNonceRevoked(f.alpha, nonce)).to.equal(true);
      expect(await f.bobClient.isNonceRevoked(f.alpha, nonce + 1n)).to.equal(false);
      const error = await expectRevert(f.bobClient.acceptOffer(offer, signature), "RoamingAgreements_NonceRevoked");
      expect(error.args).to.deep.equal({ operatorId: f.alpha, nonce });
      await f.aliceClient.invalidateNonces(f.alpha, 0, 0b11);
      expect(await f.bobClient.isNonceRevoked(f.alpha, 1)).to.equal(true);
    });

    it("should amend with both parties' signatures and terminate", async function () {
      const f = await loadFixture(clientFixture);
      const { offer, signature } = await signedOffer(f);
      const { agreementId } = await f.bobClient.acceptOffer(offer, signature);
      const currentTerms = await f.bobClient.getTerms(agreementId, 0);
      const newTerms = { ...currentTerms, noticePeriod: BigInt(30 * DAY) };
      const amendment = {
        agreementId,
        baseVersion: 0,
        newTermsHash: hashAgreementTerms(newTerms),
        effectiveFrom: BigInt(offer.terms.validFrom) + BigInt(PERIOD),
      };
      const signatureA = await f.bobClient.signAmendment(f.accounts.aliceSigner, amendment);
      const signatureB = await f.bobClient.signAmendment(f.accounts.bobSigner, amendment);
      expectInvalid(
        () => f.bobClient.build.amend({ amendment, currentTerms, newTerms: currentTerms, signatureA, signatureB }),
        "newTerms",
      );
      const relayer = f.bobClient.connect(f.accounts.eve);
      const { version } = await relayer.amend({ amendment, currentTerms, newTerms, signatureA, signatureB });
      expect(version).to.equal(1n);
      expect(await f.bobClient.getTerms(agreementId, 1)).to.deep.equal(normalizeTerms(newTerms));

      const endAt = BigInt(offer.terms.validUntil);
      await f.aliceClient.terminate(agreementId, currentTerms, endAt);
      expect((await f.bobClient.getAgreement(agreementId)).status).to.equal("terminated");
      const again = await expectRevert(
        f.bobClient.terminate(agreementId, currentTerms, endAt),
        "RoamingAgreements_Terminated",
      );
      expect(again.args.agreementId).to.equal(agreementId);
    });

    it("should pause and unpause through the governance roles", async function () {
      const f = await loadFixture(clientFixture);
      const pauser = new AgreementsClient(f.agreementsAddress, f.accounts.pauser);
      await pauser.pause();
      expect(await pauser.paused()).to.equal(true);
      await expectRevert(f.bobClient.pause(), "AccessManagedUnauthorized");
      const tx = pauser.build.unpause();
      await f.manager.connect(f.accounts.governor).schedule(tx.to, tx.data, 0);
      await time.increase(2 * DAY);
      await new AgreementsClient(f.agreementsAddress, f.accounts.governor).unpause();
      expect(await pauser.paused()).to.equal(false);
    });
  });

  describe("builders", function () {
    it("should encode each call for any wallet, with value 0", async function () {
      const f = await loadFixture(clientFixture);
      const builder = new AgreementsTransactionBuilder(f.agreementsAddress);
      const iface = RoamingAgreements__factory.createInterface();
      const { offer, signature } = await signedOffer(f);
      const built = [
        [builder.publishTariff(iotTariff()), "publishTariff"],
        [builder.acceptOffer(offer, signature), "acceptOffer"],
        [builder.invalidateNonces(1, 2, 3), "invalidateNonces"],
        [builder.revokeNonce(1, 515), "invalidateNonces"],
        [builder.terminate(ethers.id("a"), offer.terms, 5), "terminate"],
        [builder.pause(), "pause"],
        [builder.unpause(), "unpause"],
      ] as const;
      for (const [tx, name] of built) {
        expect(tx.to).to.equal(f.agreementsAddress);
        expect(tx.value).to.equal(0n);
        expect(iface.parseTransaction({ data: tx.data })?.name).to.equal(name);
      }
      const revoke = iface.decodeFunctionData("invalidateNonces", builder.revokeNonce(1, 515).data);
      expect([revoke[0], revoke[1], revoke[2]]).to.deep.equal([1n, 2n, 8n]);
      expectInvalid(() => builder.acceptOffer(offer, "0x1234"), "signature");
      expectInvalid(() => builder.invalidateNonces(0, 0, 1), "operatorId");
      expectInvalid(() => builder.terminate("0x00", offer.terms, 5), "agreementId");
      expectInvalid(() => builder.terminate(ethers.id("a"), offer.terms, 2n ** 40n), "endAt");
    });

    it("should refuse to send without a signer, and send what the builder builds", async function () {
      const f = await loadFixture(clientFixture);
      const readOnly = new AgreementsClient(f.agreementsAddress, ethers.provider);
      expect(await rejection(readOnly.pause())).to.be.instanceOf(SignerRequiredError);
      const runner = recordingRunner();
      const recording = new AgreementsClient(f.agreementsAddress, runner);
      await rejection(recording.invalidateNonces(1, 0, 1, { gasLimit: 100_000 }));
      expect(runner.sent).to.have.length(1);
      expect(runner.sent[0]).to.deep.equal({ gasLimit: 100_000, ...recording.build.invalidateNonces(1, 0, 1) });
    });
  });

  describe("errors", function () {
    it("should decode every RoamingAgreements error through the suite's decoder", async function () {
      const { agreements } = await loadFixture(deploySuite);
      expect(SUITE_ERROR_SOURCES.map((s) => s.contract)).to.include("RoamingAgreements");
      const data = agreements.interface.encodeErrorResult("RoamingAgreements_OfferExpired", [42]);
      const decoded = decodeRoamLedgerError(data);
      expect(decoded?.name).to.equal("RoamingAgreements_OfferExpired");
      expect(decoded?.args).to.deep.equal({ expiry: 42n });
      const rating = agreements.interface.encodeErrorResult("Rating_ZeroIncrement", [4]);
      expect(decodeRoamLedgerError(rating)?.name).to.equal("Rating_ZeroIncrement");
    });
  });
});
