import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { hashAgreementTerms, type AgreementTerms } from "../../../sdk/src";
import {
  AgreementStatus,
  DAY,
  PERIOD,
  deployAgreementFixture,
  makeTerms,
  signedAmendment,
  signedOffer,
  type AgreementFixture,
} from "../../helpers/agreements";

const NOTICE = 90n * BigInt(DAY); // the fixture's notice period

/** Records an amendment of `f`'s agreement (notice 30 days) effective from the third period. */
async function amendNotice(f: AgreementFixture): Promise<AgreementTerms> {
  const newTerms: AgreementTerms = { ...f.terms, noticePeriod: 30 * DAY };
  const amendment = {
    agreementId: f.agreementId,
    baseVersion: 0,
    newTermsHash: hashAgreementTerms(newTerms),
    effectiveFrom: BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD),
  };
  const { signatureA, signatureB } = await signedAmendment(f, amendment);
  await f.agreements.amend(amendment, f.terms, newTerms, signatureA, signatureB);
  return newTerms;
}

describe("RoamingAgreements.terminate", () => {
  describe("when the agreement does not exist", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const unknown = ethers.id("no agreement");
      await expect(f.agreements.connect(f.accounts.alice).terminate(unknown, f.terms, f.terms.validUntil))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownAgreement")
        .withArgs(unknown);
    });
  });

  describe("when the caller is not the admin of a party", () => {
    it("should revert for an attacker, another operator's admin and a party's signer key", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const a = f.accounts;
      for (const who of [a.eve, a.carol, a.aliceSigner, a.bobSigner]) {
        await expect(f.agreements.connect(who).terminate(f.agreementId, f.terms, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotPartyAdmin")
          .withArgs(f.agreementId, who.address);
      }
    });
  });

  describe("when the caller is the admin of a party", () => {
    describe("when a party already gave notice", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployAgreementFixture);
        await f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, f.terms.validUntil);
        await expect(f.agreements.connect(f.accounts.bob).terminate(f.agreementId, f.terms, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_Terminated")
          .withArgs(f.agreementId);
      });
    });

    describe("when the agreement has expired", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployAgreementFixture);
        await time.increaseTo(f.terms.validUntil);
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_Expired")
          .withArgs(f.agreementId, f.terms.validUntil);
      });
    });

    describe("when the terms are not those in force", () => {
      it("should revert for altered terms", async () => {
        const f = await loadFixture(deployAgreementFixture);
        const altered = { ...f.terms, noticePeriod: 0 };
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, altered, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TermsMismatch")
          .withArgs(f.agreementId, 0);
      });

      it("should take the version in force: the old one before an amendment's start, the new one from it", async () => {
        const f = await loadFixture(deployAgreementFixture);
        const newTerms = await amendNotice(f);
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, newTerms, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TermsMismatch")
          .withArgs(f.agreementId, 0);
        await time.increaseTo(BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD));
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, f.terms.validUntil))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TermsMismatch")
          .withArgs(f.agreementId, 1);
        // The amended 30-day notice applies now.
        const endAt = BigInt(await time.latest()) + 1n + 30n * BigInt(DAY);
        await time.setNextBlockTimestamp(BigInt(await time.latest()) + 1n);
        await f.agreements.connect(f.accounts.alice).terminate(f.agreementId, newTerms, endAt);
        expect((await f.agreements.getAgreement(f.agreementId)).validUntil).to.equal(endAt);
      });
    });

    describe("when the end is outside [max(now + notice, validFrom), validUntil]", () => {
      it("should revert for an end before the notice runs out", async () => {
        const f = await loadFixture(deployAgreementFixture);
        const now = BigInt(await time.latest()) + 1n;
        await time.setNextBlockTimestamp(now);
        const endAt = now + NOTICE - 1n;
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, endAt))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidTermination")
          .withArgs(endAt, now + NOTICE, f.terms.validUntil);
      });

      it("should revert for an end after validUntil", async () => {
        const f = await loadFixture(deployAgreementFixture);
        const now = BigInt(await time.latest()) + 1n;
        await time.setNextBlockTimestamp(now);
        const endAt = BigInt(f.terms.validUntil) + 1n;
        await expect(f.agreements.connect(f.accounts.bob).terminate(f.agreementId, f.terms, endAt))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidTermination")
          .withArgs(endAt, now + NOTICE, f.terms.validUntil);
      });

      it("should revert for an end before validFrom, even with no notice period", async () => {
        const f = await loadFixture(deployAgreementFixture);
        // A second agreement, with no notice period, that has not started yet.
        const terms = await makeTerms(f, { noticePeriod: 0, validFrom: BigInt(f.terms.validFrom) + BigInt(DAY) });
        const { offer, signature } = await signedOffer(f, { terms, nonce: 9 });
        const id = await f.agreements.connect(f.accounts.bob).acceptOffer.staticCall(offer, signature);
        await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
        const endAt = BigInt(terms.validFrom) - 1n;
        await expect(f.agreements.connect(f.accounts.bob).terminate(id, terms, endAt))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidTermination")
          .withArgs(endAt, terms.validFrom, terms.validUntil);
        // At validFrom exactly: the agreement never runs.
        await f.agreements.connect(f.accounts.bob).terminate(id, terms, terms.validFrom);
        expect(await f.agreements.periodCount(id)).to.equal(0n);
        expect(await f.agreements.isActive(id, terms.validFrom)).to.equal(false);
      });
    });

    describe("when the end honours the notice", () => {
      it("should end the agreement at endAt, mark it terminated and emit AgreementTerminated", async () => {
        const f = await loadFixture(deployAgreementFixture);
        const now = BigInt(await time.latest()) + 1n;
        await time.setNextBlockTimestamp(now);
        const endAt = now + NOTICE; // exactly the notice
        await expect(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, endAt))
          .to.emit(f.agreements, "AgreementTerminated")
          .withArgs(f.agreementId, f.alpha, endAt);
        const agreement = await f.agreements.getAgreement(f.agreementId);
        expect([agreement.status, agreement.validUntil, agreement.validFrom]).to.deep.equal([
          AgreementStatus.Terminated,
          endAt,
          BigInt(f.terms.validFrom),
        ]);
        expect(await f.agreements.isActive(f.agreementId, endAt - 1n)).to.equal(true);
        expect(await f.agreements.isActive(f.agreementId, endAt)).to.equal(false);
        expect(await f.agreements.isExpired(f.agreementId)).to.equal(false);
        await time.increaseTo(endAt);
        expect(await f.agreements.isExpired(f.agreementId)).to.equal(true);
      });

      it("should let party B's admin end it at validUntil, while paused and while B is suspended", async () => {
        const f = await loadFixture(deployAgreementFixture);
        await f.agreements.connect(f.accounts.pauser).pause();
        await f.registry.connect(f.accounts.pauser).suspendOperator(f.beta, ethers.ZeroHash);
        await expect(f.agreements.connect(f.accounts.bob).terminate(f.agreementId, f.terms, f.terms.validUntil))
          .to.emit(f.agreements, "AgreementTerminated")
          .withArgs(f.agreementId, f.beta, f.terms.validUntil);
        expect((await f.agreements.getAgreement(f.agreementId)).status).to.equal(AgreementStatus.Terminated);
      });
    });
  });
});
