import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { computeTariffId, hashAgreementTerms } from "../../../sdk/src";
import { accessTariff, DAY, discountTariff, PERIOD } from "../../helpers/agreements";
import {
  agreementWithTariff,
  deployClearingFixture,
  eightServiceTariff,
  type ClearingFixture,
} from "../../helpers/clearing";
import { scheduleAndExecute } from "../../helpers/fixtures";
import { amendFromSecondPeriod, cached, chargeOf, enabled, submit, usageBatch, withPendingBatch } from "./shared";

/** The fixture's base tariffs of direction 0 and 1 (the IOT tariff both ways). */
const both = (f: ClearingFixture) => [f.tariff, f.tariff] as const;

describe("UsageClearing.enableClearing", () => {
  describe("when the agreement does not exist", () => {
    it("should revert (the agreements contract refuses the id)", async () => {
      const f = await loadFixture(deployClearingFixture);
      const unknown = ethers.id("no agreement");
      await expect(f.clearing.enableClearing(unknown, f.terms, [...both(f)]))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownAgreement")
        .withArgs(unknown);
    });
  });

  describe("when the terms are not version 0 of the agreement", () => {
    it("should revert for altered terms", async () => {
      const f = await loadFixture(deployClearingFixture);
      const altered = { ...f.terms, submissionGrace: 0 };
      await expect(f.clearing.enableClearing(f.agreementId, altered, [...both(f)]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 0);
    });

    it("should revert for the terms of a later version, and take version 0 after an amendment", async () => {
      const f = await loadFixture(deployClearingFixture);
      const amended = await amendFromSecondPeriod(f);
      await expect(f.clearing.enableClearing(f.agreementId, amended, [...both(f)]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 0);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms, [...both(f)])).to.emit(
        f.clearing,
        "ClearingEnabled",
      );
    });
  });

  describe("when the vault does not allow the agreement's token", () => {
    it("should revert with the token", async () => {
      const f = await loadFixture(deployClearingFixture);
      const data = f.vault.interface.encodeFunctionData("disallowToken", [f.tokenAddress]);
      await scheduleAndExecute(f.manager, f.accounts.governor, await f.vault.getAddress(), data);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms, [...both(f)]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TokenNotAllowed")
        .withArgs(f.tokenAddress);
    });
  });

  describe("when a base tariff given is not the terms' base tariff of its direction", () => {
    it("should revert with the expected and the given tariff ids, for either direction", async () => {
      const f = await loadFixture(deployClearingFixture);
      for (const [tariffs, given] of [
        [[accessTariff(), f.tariff], computeTariffId(accessTariff())],
        [[f.tariff, discountTariff()], f.discountTariffId],
      ] as const) {
        await expect(f.clearing.enableClearing(f.agreementId, f.terms, [...tariffs]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TariffMismatch")
          .withArgs(f.iotTariffId, given);
      }
    });
  });

  describe("when the agreement is in clearing already", () => {
    it("should revert after enableClearing", async () => {
      const f = await loadFixture(enabled);
      await expect(f.clearing.connect(f.accounts.eve).enableClearing(f.agreementId, f.terms, [...both(f)]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingAlreadyEnabled")
        .withArgs(f.agreementId);
    });

    it("should revert once the agreement has batches", async () => {
      const f = await loadFixture(withPendingBatch);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms, [...both(f)]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingAlreadyEnabled")
        .withArgs(f.agreementId);
    });
  });

  describe("when the terms are version 0, the token is allowed and clearing is not enabled", () => {
    it("should let anyone enable it and emit ClearingEnabled and TermsCached", async () => {
      const f = await loadFixture(deployClearingFixture);
      const tx = f.clearing.connect(f.accounts.eve).enableClearing(f.agreementId, f.terms, [...both(f)]);
      await expect(tx).to.emit(f.clearing, "ClearingEnabled").withArgs(f.agreementId, f.tokenAddress, f.alpha, f.beta);
      await expect(tx).to.emit(f.clearing, "TermsCached").withArgs(f.agreementId, 0, hashAgreementTerms(f.terms));
    });

    it("should record the token and the parties, open both lanes with the decimals, and enroll the parties", async () => {
      const f = await loadFixture(deployClearingFixture);
      expect((await f.clearing.clearingConfig(f.agreementId)).token).to.equal(ethers.ZeroAddress);
      expect((await f.clearing.operatorStats(f.alpha)).enrolled).to.equal(false);
      await f.clearing.enableClearing(f.agreementId, f.terms, [...both(f)]);
      const config = await f.clearing.clearingConfig(f.agreementId);
      expect([config.token, config.partyA, config.partyB]).to.deep.equal([f.tokenAddress, f.alpha, f.beta]);
      for (const direction of [0, 1]) {
        const lane = await f.clearing.lane(f.agreementId, direction);
        expect([lane.sequence, lane.voucherRedeemed, lane.decimals, lane.open]).to.deep.equal([0n, 0n, 6n, true]);
      }
      for (const id of [f.alpha, f.beta]) {
        const stats = await f.clearing.operatorStats(id);
        expect([stats.fraudProven, stats.batchesRejected, stats.enrolled]).to.deep.equal([0n, 0n, true]);
      }
      expect((await f.clearing.operatorStats(f.gamma)).enrolled).to.equal(false);
    });

    it("should cache, per direction, the dispute window, the grace, the taxed services and the rate card", async () => {
      const f = await loadFixture(deployClearingFixture);
      const hash = hashAgreementTerms(f.terms);
      expect((await f.clearing.submissionTerms(hash, 0, f.iotTariffId)).rateCard).to.equal(ethers.ZeroAddress);
      await f.clearing.enableClearing(f.agreementId, f.terms, [...both(f)]);
      const cards = new Set<string>();
      for (const direction of [0, 1]) {
        const st = await f.clearing.submissionTerms(hash, direction, f.iotTariffId);
        expect(st.rateCard).to.not.equal(ethers.ZeroAddress);
        expect([st.disputeWindow, st.submissionGrace]).to.deep.equal([
          BigInt(f.terms.disputeWindow),
          BigInt(f.terms.submissionGrace),
        ]);
        const condition = f.terms.conditions[direction];
        const tracked = Number(condition.kind) === 1 && Boolean(condition.includingTaxes);
        expect(st.taxedServices).to.equal(tracked ? BigInt(condition.includedServices) : 0n);
        // The card: the plan count, per plan a header word and one word per tier; its code a STOP byte first.
        const words = 1 + f.tariff.plans.reduce((n, p) => n + 1 + p.tiers.length, 0);
        expect(st.rateCardSize).to.equal(BigInt(32 * words));
        const code = await ethers.provider.getCode(st.rateCard);
        expect(ethers.dataLength(code)).to.equal(32 * words + 1);
        expect(ethers.dataSlice(code, 0, 1)).to.equal("0x00");
        cards.add(st.rateCard);
        // Keyed by the base tariff of the direction: another tariff id finds nothing.
        const other = await f.clearing.submissionTerms(hash, direction, f.discountTariffId);
        expect(other.rateCard).to.equal(ethers.ZeroAddress);
      }
      // One card per tariff: both directions share it.
      expect(cards.size).to.equal(1);
    });

    it("should not emit ClearingEnabled on the agreement's first batch", async () => {
      const f = await loadFixture(enabled);
      const tx = submit(f, usageBatch(f, { sequence: 1 }).header);
      await expect(tx).to.emit(f.clearing, "BatchSubmitted");
      await expect(tx).to.not.emit(f.clearing, "ClearingEnabled");
    });
  });
});

describe("UsageClearing.cacheTerms", () => {
  describe("when the terms are not the version named", () => {
    it("should revert for an unknown version, and for another version's terms", async () => {
      const f = await loadFixture(enabled);
      await expect(cached(f, 1, f.terms))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownVersion")
        .withArgs(f.agreementId, 1);
      const amended = await amendFromSecondPeriod(f);
      await expect(cached(f, 1, f.terms))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 1);
      await expect(cached(f, 0, amended))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 0);
    });
  });

  describe("when the agreement is not in clearing", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployClearingFixture);
      await expect(cached(f, 0, f.terms))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingNotEnabled")
        .withArgs(f.agreementId);
    });
  });

  describe("when a base tariff given is not the terms' base tariff of its direction", () => {
    it("should revert with the expected and the given tariff ids", async () => {
      const f = await loadFixture(enabled);
      const amended = await amendFromSecondPeriod(f);
      await expect(f.clearing.cacheTerms(f.agreementId, 1, amended, [f.tariff, accessTariff()]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TariffMismatch")
        .withArgs(f.iotTariffId, computeTariffId(accessTariff()));
    });
  });

  describe("when the terms are the version named and the agreement is in clearing", () => {
    it("should let anyone cache a later version, emit TermsCached, and let its batches be submitted", async () => {
      const f = await loadFixture(enabled);
      const amended = await amendFromSecondPeriod(f);
      const hash = hashAgreementTerms(amended);
      await expect(f.clearing.connect(f.accounts.eve).cacheTerms(f.agreementId, 1, amended, [f.tariff, f.tariff]))
        .to.emit(f.clearing, "TermsCached")
        .withArgs(f.agreementId, 1, hash);
      const version0 = await f.clearing.submissionTerms(hashAgreementTerms(f.terms), 0, f.iotTariffId);
      const version1 = await f.clearing.submissionTerms(hash, 0, f.iotTariffId);
      // The amendment changed the dispute window; the tariff, hence its rate card, is the same.
      expect(version1.disputeWindow).to.equal(BigInt(5 * DAY));
      expect(version0.disputeWindow).to.equal(BigInt(f.terms.disputeWindow));
      expect(version1.rateCard).to.equal(version0.rateCard);
      const start = BigInt(f.terms.validFrom) + BigInt(PERIOD);
      await time.increaseTo(start + BigInt(DAY));
      const batch = usageBatch(f, { sequence: 1, periodStart: start, periodEnd: start + BigInt(DAY) });
      await expect(submit(f, batch.header)).to.emit(f.clearing, "BatchSubmitted");
    });

    it("should cache again to the same entries (and version 0 after enableClearing)", async () => {
      const f = await loadFixture(enabled);
      const hash = hashAgreementTerms(f.terms);
      const before = await f.clearing.submissionTerms(hash, 1, f.iotTariffId);
      await expect(cached(f, 0, f.terms))
        .to.emit(f.clearing, "TermsCached")
        .withArgs(f.agreementId, 0, hash);
      expect(await f.clearing.submissionTerms(hash, 1, f.iotTariffId)).to.deep.equal(before);
    });

    it("should create a rate card per tariff, which rates batches as the tariff does", async () => {
      const f = await loadFixture(enabled);
      const tariff = eightServiceTariff();
      const other = await agreementWithTariff(f, tariff);
      await f.clearing.enableClearing(other.agreementId, other.terms, [tariff, tariff]);
      const st = await f.clearing.submissionTerms(hashAgreementTerms(other.terms), 0, computeTariffId(tariff));
      const mine = await f.clearing.submissionTerms(hashAgreementTerms(f.terms), 0, f.iotTariffId);
      expect(st.rateCard).to.not.equal(mine.rateCard);
      const usage = Object.fromEntries(tariff.plans.map((p) => [Number(p.service), [60n * 7n]]));
      const { header } = usageBatch(f, { sequence: 1, agreementId: other.agreementId, usage, tariff });
      await expect(submit(f, header))
        .to.emit(f.clearing, "BatchSubmitted")
        .withArgs(
          (id: string) => id.length === 66,
          other.agreementId,
          0,
          1,
          0,
          header.root,
          chargeOf(tariff, header),
          0,
          (at: bigint) => at > 0n,
          (uri: string) => uri.length > 0,
        );
    });
  });
});
