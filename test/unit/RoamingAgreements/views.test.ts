import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  agreementIdOf,
  computeTariffId,
  hashAgreementAmendment,
  hashAgreementOffer,
  hashAgreementTerms,
  offerDigest,
  type AgreementTerms,
} from "../../../sdk/src";
import {
  DAY,
  PERIOD,
  deployAgreementFixture,
  iotTariff,
  makeTerms,
  signedAmendment,
  signedOffer,
  type AgreementFixture,
} from "../../helpers/agreements";

const UNKNOWN = ethers.id("unknown agreement");

/** Records `count` amendments of `f`'s agreement, version v effective from period `starts[v - 1]`. */
async function amendTimes(f: AgreementFixture, starts: number[]): Promise<AgreementTerms[]> {
  const versions: AgreementTerms[] = [f.terms];
  for (const [i, period] of starts.entries()) {
    const newTerms: AgreementTerms = { ...f.terms, noticePeriod: (i + 1) * DAY };
    const amendment = {
      agreementId: f.agreementId,
      baseVersion: i,
      newTermsHash: hashAgreementTerms(newTerms),
      effectiveFrom: BigInt(f.terms.validFrom) + BigInt(period) * BigInt(PERIOD),
    };
    const { signatureA, signatureB } = await signedAmendment(f, amendment);
    await f.agreements.amend(amendment, versions[i], newTerms, signatureA, signatureB);
    versions.push(newTerms);
  }
  return versions;
}

describe("RoamingAgreements views", () => {
  describe("when the agreement does not exist", () => {
    it("should revert in every view that reads it, and report it neither active nor expired", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const c = f.agreements;
      const calls = [
        () => c.getAgreement(UNKNOWN),
        () => c.termsHash(UNKNOWN, 0),
        () => c.termsVersion(UNKNOWN, 0),
        () => c.versionAt(UNKNOWN, 0),
        () => c.periodOf(UNKNOWN, 0),
        () => c.periodBounds(UNKNOWN, 0),
        () => c.periodCount(UNKNOWN),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(c, "RoamingAgreements_UnknownAgreement").withArgs(UNKNOWN);
      }
      expect(await c.isActive(UNKNOWN, await time.latest())).to.equal(false);
      expect(await c.isExpired(UNKNOWN)).to.equal(false);
    });
  });

  describe("termsHash / termsVersion", () => {
    it("should revert for a version above the latest", async () => {
      const f = await loadFixture(deployAgreementFixture);
      for (const call of [
        () => f.agreements.termsHash(f.agreementId, 1),
        () => f.agreements.termsVersion(f.agreementId, 1),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownVersion")
          .withArgs(f.agreementId, 1);
      }
    });
  });

  describe("versionAt", () => {
    it("should find the highest version started at a time, over many versions", async () => {
      const f = await loadFixture(deployAgreementFixture);
      await amendTimes(f, [2, 3, 3, 5, 8, 9]);
      const at = (period: number, offset = 0n) =>
        f.agreements.versionAt(f.agreementId, BigInt(f.terms.validFrom) + BigInt(period) * BigInt(PERIOD) + offset);
      expect(await f.agreements.versionAt(f.agreementId, 0)).to.equal(0n);
      expect(await at(2, -1n)).to.equal(0n);
      expect(await at(2)).to.equal(1n);
      expect(await at(3, -1n)).to.equal(1n);
      expect(await at(3)).to.equal(3n); // version 2 was replaced before it started
      expect(await at(5)).to.equal(4n);
      expect(await at(8, 5n)).to.equal(5n);
      expect(await at(9)).to.equal(6n);
      expect(await at(100)).to.equal(6n);
    });
  });

  describe("periods", () => {
    it("should number periods from validFrom and refuse times outside the validity", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const from = BigInt(f.terms.validFrom);
      const until = BigInt(f.terms.validUntil);
      const P = BigInt(PERIOD);
      expect(await f.agreements.periodOf(f.agreementId, from)).to.equal(0n);
      expect(await f.agreements.periodOf(f.agreementId, from + P - 1n)).to.equal(0n);
      expect(await f.agreements.periodOf(f.agreementId, from + P)).to.equal(1n);
      expect(await f.agreements.periodOf(f.agreementId, until - 1n)).to.equal(11n);
      for (const t of [from - 1n, until, until + P]) {
        await expect(f.agreements.periodOf(f.agreementId, t))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_OutsideValidity")
          .withArgs(f.agreementId, t);
      }
      expect(await f.agreements.periodCount(f.agreementId)).to.equal(12n);
      expect(await f.agreements.periodBounds(f.agreementId, 0)).to.deep.equal([from, from + P]);
      expect(await f.agreements.periodBounds(f.agreementId, 11)).to.deep.equal([from + 11n * P, until]);
      for (const period of [12n, ethers.MaxUint256]) {
        await expect(f.agreements.periodBounds(f.agreementId, period))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownPeriod")
          .withArgs(f.agreementId, period);
      }
    });

    it("should clip the last period to a validity end that is not a boundary", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const terms = await makeTerms(f, { validUntil: BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD) + 100n });
      const { offer, signature, offerHash } = await signedOffer(f, { terms, nonce: 7 });
      await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
      const id = agreementIdOf(offerHash, f.beta);
      expect(await f.agreements.periodCount(id)).to.equal(3n);
      const start = BigInt(terms.validFrom) + 2n * BigInt(PERIOD);
      expect(await f.agreements.periodBounds(id, 2)).to.deep.equal([start, start + 100n]);
      expect(await f.agreements.periodOf(id, start + 99n)).to.equal(2n);
    });
  });

  describe("isActive / isExpired", () => {
    it("should follow the validity window with no transaction", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const from = BigInt(f.terms.validFrom);
      const until = BigInt(f.terms.validUntil);
      expect(await f.agreements.isActive(f.agreementId, from - 1n)).to.equal(false);
      expect(await f.agreements.isActive(f.agreementId, from)).to.equal(true);
      expect(await f.agreements.isActive(f.agreementId, until - 1n)).to.equal(true);
      expect(await f.agreements.isActive(f.agreementId, until)).to.equal(false);
      expect(await f.agreements.isExpired(f.agreementId)).to.equal(false);
      await time.increaseTo(until - 1n);
      expect(await f.agreements.isExpired(f.agreementId)).to.equal(false);
      await time.increaseTo(until);
      expect(await f.agreements.isExpired(f.agreementId)).to.equal(true);
    });
  });

  describe("hashes", () => {
    it("should equal the SDK's struct hashes, digest, agreement id and tariff id", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const c = f.agreements;
      expect(await c.hashTerms(f.terms)).to.equal(hashAgreementTerms(f.terms));
      expect(await c.hashOffer(f.offer)).to.equal(hashAgreementOffer(f.offer));
      const offerHash = hashAgreementOffer(f.offer);
      expect(await c.hashTypedData(offerHash)).to.equal(offerDigest(f.domain, f.offer));
      expect(await c.agreementIdOf(offerHash, f.beta)).to.equal(agreementIdOf(offerHash, f.beta));
      expect(f.agreementId).to.equal(agreementIdOf(offerHash, f.beta));
      const amendment = {
        agreementId: f.agreementId,
        baseVersion: 3,
        newTermsHash: ethers.id("new terms"),
        effectiveFrom: 1_900_000_000n,
      };
      expect(await c.hashAmendment(amendment)).to.equal(hashAgreementAmendment(amendment));
      expect(await c.tariffIdOf(iotTariff())).to.equal(computeTariffId(iotTariff()));
    });

    it("should revert without data when terms words do not fit their types", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const data = f.agreements.interface.encodeFunctionData("hashTerms", [f.terms]);
      // Words after the selector: 0 proposer, 1 token, 2-3 validity, 16-19 condition 1.
      for (const [word, value] of [
        [0, 1n << 32n],
        [1, 1n << 160n],
        [3, 1n << 40n],
        [16, 3n],
        [18, 1n << 16n],
      ] as [number, bigint][]) {
        const patched =
          data.slice(0, 10 + word * 64) + value.toString(16).padStart(64, "0") + data.slice(10 + (word + 1) * 64);
        await expect(ethers.provider.call({ to: f.agreementsAddress, data: patched })).to.be.revertedWithoutReason();
      }
      expect(await ethers.provider.call({ to: f.agreementsAddress, data })).to.equal(hashAgreementTerms(f.terms));
    });
  });
});
