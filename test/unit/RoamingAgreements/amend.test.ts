import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  agreementIdOf,
  agreementsDomain,
  amendmentDigest,
  hashAgreementTerms,
  recoverAmendmentSigner,
  signAmendment,
  termsFromResult,
  normalizeTerms,
  type AgreementAmendment,
  type AgreementTerms,
} from "../../../sdk/src";
import type { MockStablecoin } from "../../../sdk/src/typechain";
import {
  AgreementStatus,
  DAY,
  OperatorStatus,
  PERIOD,
  deployAgreementFixture,
  makeTerms,
  signedAmendment,
  signedOffer,
  type AgreementFixture,
} from "../../helpers/agreements";

/** New terms for `f`'s agreement (shorter notice, an Access base tariff towards beta) and their amendment. */
async function proposal(
  f: AgreementFixture,
  options: {
    overrides?: Partial<AgreementTerms>;
    effectiveFrom?: bigint;
    baseVersion?: number;
    currentTerms?: AgreementTerms;
  } = {},
) {
  const newTerms: AgreementTerms = {
    ...f.terms,
    noticePeriod: 60 * DAY,
    baseTariff: [f.iotTariffId, f.accessTariffId],
    ...options.overrides,
  };
  const amendment: AgreementAmendment = {
    agreementId: f.agreementId,
    baseVersion: options.baseVersion ?? 0,
    newTermsHash: hashAgreementTerms(newTerms),
    effectiveFrom: options.effectiveFrom ?? BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD),
  };
  const { signatureA, signatureB } = await signedAmendment(f, amendment);
  const currentTerms = options.currentTerms ?? f.terms;
  return {
    newTerms,
    amendment,
    signatureA,
    signatureB,
    send: (who = f.accounts.eve) =>
      f.agreements.connect(who).amend(amendment, currentTerms, newTerms, signatureA, signatureB),
  };
}

describe("RoamingAgreements.amend", () => {
  describe("when the contract is paused", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      await f.agreements.connect(f.accounts.pauser).pause();
      await expect(p.send()).to.be.revertedWithCustomError(f.agreements, "EnforcedPause");
    });
  });

  describe("when the agreement does not exist", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const unknown = ethers.id("no agreement");
      const amendment = { agreementId: unknown, baseVersion: 0, newTermsHash: ethers.ZeroHash, effectiveFrom: 0 };
      const p = await proposal(f);
      await expect(f.agreements.amend(amendment, f.terms, p.newTerms, p.signatureA, p.signatureB))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownAgreement")
        .withArgs(unknown);
    });
  });

  describe("when a party gave notice", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      const endAt = BigInt(f.terms.validUntil) - 1n;
      await f.agreements.connect(f.accounts.bob).terminate(f.agreementId, f.terms, endAt);
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_Terminated")
        .withArgs(f.agreementId);
    });
  });

  describe("when the agreement has expired", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      await time.increaseTo(f.terms.validUntil);
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_Expired")
        .withArgs(f.agreementId, f.terms.validUntil);
    });
  });

  describe("when the base version is not the latest", () => {
    it("should revert for a future version, and for a replay once the amendment is recorded", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const ahead = await proposal(f, { baseVersion: 1 });
      await expect(ahead.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_StaleVersion")
        .withArgs(f.agreementId, 1, 0);
      const p = await proposal(f);
      await p.send();
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_StaleVersion")
        .withArgs(f.agreementId, 0, 1);
    });
  });

  describe("when the current terms are not those of the base version", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f, { currentTerms: { ...f.terms, submissionGrace: 0 } });
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TermsMismatch")
        .withArgs(f.agreementId, 0);
    });
  });

  describe("when the new terms do not hash to the signed hash", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      const other = { ...p.newTerms, noticePeriod: 0 };
      await expect(f.agreements.amend(p.amendment, f.terms, other, p.signatureA, p.signatureB))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TermsMismatch")
        .withArgs(f.agreementId, 1);
    });
  });

  describe("when the new terms change a field that may not change", () => {
    it("should revert for the proposer, the token, validFrom and the period length", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const otherToken = (await ethers.deployContract("MockStablecoin", [
        "Euro Coin",
        "EURC",
        6,
      ])) as unknown as MockStablecoin;
      const cases: [Partial<AgreementTerms>, string][] = [
        [{ proposer: f.beta }, "proposer"],
        [{ token: await otherToken.getAddress() }, "token"],
        [{ validFrom: BigInt(f.terms.validFrom) + 1n }, "validFrom"],
        [{ periodLength: 7 * DAY }, "periodLength"],
      ];
      for (const [overrides, field] of cases) {
        const p = await proposal(f, { overrides });
        await expect(p.send(), field)
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_ImmutableField")
          .withArgs(f.agreementId, field);
      }
    });
  });

  describe("when the new terms are not sane", () => {
    it("should revert for a zero dispute window and for an unpublished tariff", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const zero = await proposal(f, { overrides: { disputeWindow: 0 } });
      await expect(zero.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_ZeroDuration")
        .withArgs("disputeWindow");
      const unknown = ethers.id("unpublished");
      const unpublished = await proposal(f, { overrides: { discountTariff: [unknown, ethers.ZeroHash] } });
      await expect(unpublished.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_TariffNotPublished")
        .withArgs(unknown);
    });
  });

  describe("when effectiveFrom is not a future period boundary inside the new validity", () => {
    it("should revert for a time between boundaries, before validFrom, at or after validUntil", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const validFrom = BigInt(f.terms.validFrom);
      const validUntil = BigInt(f.terms.validUntil);
      for (const effectiveFrom of [
        validFrom + 2n * BigInt(PERIOD) + 1n,
        validFrom - BigInt(PERIOD),
        validUntil,
        validUntil + BigInt(PERIOD),
      ]) {
        const p = await proposal(f, { effectiveFrom });
        await expect(p.send())
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidEffectiveFrom")
          .withArgs(f.agreementId, effectiveFrom);
      }
    });

    it("should revert for a future time before validFrom (the agreement starts later)", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const later = BigInt(f.terms.validFrom) + 3n * BigInt(PERIOD);
      const terms = await makeTerms(f, { validFrom: later, validUntil: later + 12n * BigInt(PERIOD) });
      const { offer, signature, offerHash } = await signedOffer(f, { terms, nonce: 5 });
      await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
      const g = { ...f, agreementId: agreementIdOf(offerHash, f.beta), terms };
      const effectiveFrom = later - BigInt(PERIOD);
      const p = await proposal(g, { effectiveFrom });
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidEffectiveFrom")
        .withArgs(g.agreementId, effectiveFrom);
    });

    it("should revert for a boundary that is now or past", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const boundary = BigInt(f.terms.validFrom) + BigInt(PERIOD);
      const p = await proposal(f, { effectiveFrom: boundary });
      await time.setNextBlockTimestamp(boundary);
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidEffectiveFrom")
        .withArgs(f.agreementId, boundary);
    });

    it("should revert for a boundary before the latest version's start", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const validFrom = BigInt(f.terms.validFrom);
      const first = await proposal(f, { effectiveFrom: validFrom + 3n * BigInt(PERIOD) });
      await first.send();
      const earlier = validFrom + 2n * BigInt(PERIOD);
      const second = await proposal(f, {
        baseVersion: 1,
        currentTerms: first.newTerms,
        effectiveFrom: earlier,
        overrides: { noticePeriod: 10 * DAY },
      });
      await expect(second.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidEffectiveFrom")
        .withArgs(f.agreementId, earlier);
    });
  });

  describe("when a signature is not by an active key of its party", () => {
    it("should revert for keys of the wrong party and for a revoked key", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const a = f.accounts;
      const p = await proposal(f);
      const byBob = await signAmendment(a.bobSigner, f.domain, p.amendment);
      const byAlice = await signAmendment(a.aliceSigner, f.domain, p.amendment);
      await expect(f.agreements.amend(p.amendment, f.terms, p.newTerms, byBob, byBob))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.alpha, a.bobSigner.address);
      await expect(f.agreements.amend(p.amendment, f.terms, p.newTerms, byAlice, byAlice))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.beta, a.aliceSigner.address);
      await f.registry.connect(a.bob).revokeSigner(f.beta, a.bobSigner);
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.beta, a.bobSigner.address);
    });

    it("should revert for an amendment signed for another chain", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      const foreign = agreementsDomain({ chainId: 10, verifyingContract: f.agreementsAddress });
      const signatureA = await signAmendment(f.accounts.aliceSigner, foreign, p.amendment);
      expect(amendmentDigest(foreign, p.amendment)).to.not.equal(amendmentDigest(f.domain, p.amendment));
      await expect(f.agreements.amend(p.amendment, f.terms, p.newTerms, signatureA, p.signatureB))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.alpha, recoverAmendmentSigner(f.domain, p.amendment, signatureA));
    });
  });

  describe("when a party is not active", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      await f.registry.connect(f.accounts.pauser).suspendOperator(f.beta, ethers.ZeroHash);
      await expect(p.send())
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotActive")
        .withArgs(f.beta, OperatorStatus.Suspended);
    });
  });

  describe("when every check passes", () => {
    it("should record version 1 from effectiveFrom, submitted by anyone, and emit the full new terms", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f);
      expect(
        await f.agreements
          .connect(f.accounts.eve)
          .amend.staticCall(p.amendment, f.terms, p.newTerms, p.signatureA, p.signatureB),
      ).to.equal(1n);
      const tx = p.send();
      await expect(tx)
        .to.emit(f.agreements, "AgreementAmended")
        .withArgs(f.agreementId, 1, p.amendment.effectiveFrom, (t: unknown) => t !== undefined);
      const log = f.agreements.interface.parseLog((await (await tx).wait())!.logs[0])!;
      expect(termsFromResult(log.args.terms)).to.deep.equal(normalizeTerms(p.newTerms));

      const agreement = await f.agreements.getAgreement(f.agreementId);
      expect([agreement.latestVersion, agreement.status]).to.deep.equal([1n, AgreementStatus.Active]);
      const v1 = await f.agreements.termsVersion(f.agreementId, 1);
      expect([v1.termsHash, v1.effectiveFrom]).to.deep.equal([
        hashAgreementTerms(p.newTerms),
        BigInt(p.amendment.effectiveFrom),
      ]);
      expect(await f.agreements.termsHash(f.agreementId, 1)).to.equal(p.amendment.newTermsHash);
      const start = BigInt(p.amendment.effectiveFrom);
      expect(await f.agreements.versionAt(f.agreementId, start - 1n)).to.equal(0n);
      expect(await f.agreements.versionAt(f.agreementId, start)).to.equal(1n);
    });

    it("should extend or shorten the validity with the new terms' validUntil", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const longer = BigInt(f.terms.validUntil) + 12n * BigInt(PERIOD);
      const p = await proposal(f, { overrides: { validUntil: longer } });
      await p.send();
      expect((await f.agreements.getAgreement(f.agreementId)).validUntil).to.equal(longer);
      expect(await f.agreements.periodCount(f.agreementId)).to.equal(24n);

      const shorter = BigInt(f.terms.validFrom) + 4n * BigInt(PERIOD) + BigInt(DAY);
      const q = await proposal(f, {
        baseVersion: 1,
        currentTerms: p.newTerms,
        effectiveFrom: BigInt(f.terms.validFrom) + 3n * BigInt(PERIOD),
        overrides: { validUntil: shorter },
      });
      await q.send();
      expect((await f.agreements.getAgreement(f.agreementId)).validUntil).to.equal(shorter);
      expect(await f.agreements.periodCount(f.agreementId)).to.equal(5n);
    });

    it("should let a later amendment with the same start replace a pending one", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const start = BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD);
      const first = await proposal(f, { effectiveFrom: start });
      await first.send();
      const second = await proposal(f, {
        baseVersion: 1,
        currentTerms: first.newTerms,
        effectiveFrom: start,
        overrides: { noticePeriod: 30 * DAY },
      });
      await second.send();
      expect(await f.agreements.versionAt(f.agreementId, start)).to.equal(2n);
      expect(await f.agreements.versionAt(f.agreementId, start - 1n)).to.equal(0n);
    });

    it("should accept an amendment from the first period boundary, before the agreement starts", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const p = await proposal(f, { effectiveFrom: BigInt(f.terms.validFrom) });
      await p.send();
      expect(await f.agreements.versionAt(f.agreementId, f.terms.validFrom)).to.equal(1n);
    });
  });
});
