import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";

import { computeTariffId, parseTariff, tariffFromResult, type Tariff } from "../../../sdk/src";
import type { TariffStruct } from "../../../sdk/src/typechain/contracts/RoamingAgreements";
import { Kind, Svc, accessTariff, deployAgreementsFixture, discountTariff, iotTariff } from "../../helpers/agreements";
import { deploySuite } from "../../helpers/fixtures";

const flat = (service: number, kind: number = Kind.Threshold): TariffStruct["plans"][number] => ({
  service,
  kind,
  increment: 1,
  tiers: [{ start: 0, fixedPrice: 0, linearPrice: 10n ** 16n }],
  unbalancedTiers: kind === Kind.Ratio ? [{ start: 0, fixedPrice: 0, linearPrice: 10n ** 16n }] : [],
});

describe("RoamingAgreements.publishTariff", () => {
  describe("when the contract is paused", () => {
    it("should revert", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      await agreements.connect(a.pauser).pause();
      await expect(agreements.connect(a.eve).publishTariff(iotTariff())).to.be.revertedWithCustomError(
        agreements,
        "EnforcedPause",
      );
    });
  });

  describe("when the tariff holds no plan", () => {
    it("should revert", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      await expect(agreements.connect(a.eve).publishTariff({ plans: [] })).to.be.revertedWithCustomError(
        agreements,
        "RoamingAgreements_EmptyTariff",
      );
    });
  });

  describe("when a plan is invalid", () => {
    it("should revert with the rating library's error", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      const publish = (plans: TariffStruct["plans"]) => agreements.connect(a.eve).publishTariff({ plans });

      await expect(publish([flat(Svc.Data), flat(Svc.SmsMO)]))
        .to.be.revertedWithCustomError(agreements, "Rating_ServicesNotAscending")
        .withArgs(1);
      await expect(publish([flat(Svc.SmsMO), flat(Svc.SmsMO)]))
        .to.be.revertedWithCustomError(agreements, "Rating_ServicesNotAscending")
        .withArgs(1);
      await expect(publish([{ ...flat(Svc.Data), increment: 0 }]))
        .to.be.revertedWithCustomError(agreements, "Rating_ZeroIncrement")
        .withArgs(Svc.Data);
      const tiers = Array.from({ length: 17 }, (_, i) => ({ start: i, fixedPrice: 0, linearPrice: 1 }));
      await expect(publish([{ ...flat(Svc.Data), tiers }]))
        .to.be.revertedWithCustomError(agreements, "Rating_TooManyTiers")
        .withArgs(Svc.Data, 17, 16);
      const unordered = [
        { start: 0, fixedPrice: 0, linearPrice: 1 },
        { start: 100, fixedPrice: 0, linearPrice: 1 },
        { start: 100, fixedPrice: 0, linearPrice: 1 },
      ];
      await expect(publish([{ ...flat(Svc.Data), tiers: unordered }]))
        .to.be.revertedWithCustomError(agreements, "Rating_TiersNotAscending")
        .withArgs(Svc.Data, 2);
      await expect(publish([{ ...flat(Svc.VoiceMO, Kind.Ratio), unbalancedTiers: [] }]))
        .to.be.revertedWithCustomError(agreements, "Rating_UnbalancedTiersMismatch")
        .withArgs(Svc.VoiceMO, Kind.Ratio);
      await expect(publish([{ ...flat(Svc.VoiceMO), unbalancedTiers: flat(Svc.VoiceMO, Kind.Ratio).unbalancedTiers }]))
        .to.be.revertedWithCustomError(agreements, "Rating_UnbalancedTiersMismatch")
        .withArgs(Svc.VoiceMO, Kind.Threshold);
    });
  });

  describe("when the tariff was published before", () => {
    it("should revert, whoever publishes it again", async () => {
      const { agreements, accounts: a, iotTariffId } = await loadFixture(deployAgreementsFixture);
      for (const who of [a.dave, a.eve, a.alice]) {
        await expect(agreements.connect(who).publishTariff(iotTariff()))
          .to.be.revertedWithCustomError(agreements, "RoamingAgreements_TariffExists")
          .withArgs(iotTariffId);
      }
    });
  });

  describe("when the tariff is valid and new", () => {
    it("should let anyone publish it under its content id, return the id and emit the full tariff", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      const tariff = iotTariff();
      const id = computeTariffId(tariff);
      expect(await agreements.tariffIdOf(tariff)).to.equal(id);
      expect(await agreements.connect(a.eve).publishTariff.staticCall(tariff)).to.equal(id);
      expect(await agreements.isTariffPublished(id)).to.equal(false);

      const tx = agreements.connect(a.eve).publishTariff(tariff);
      await expect(tx).to.emit(agreements, "TariffPublished").withArgs(id, a.eve.address, true, anyValue);
      const receipt = await (await tx).wait();
      const log = agreements.interface.parseLog(receipt!.logs[0])!;
      expect(tariffFromResult(log.args.tariff)).to.deep.equal(parseTariff(tariff));

      expect(await agreements.isTariffPublished(id)).to.equal(true);
      const record = await agreements.getTariffRecord(id);
      expect([record.publishedAt, record.usableAsBase]).to.deep.equal([BigInt(await time.latest()), true]);
    });

    it("should mark Threshold and Access tariffs usable as base, Back-to-first and Ratio ones not", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      const cases: [Tariff, boolean][] = [
        [accessTariff(), true],
        [discountTariff(), false],
        [parseTariff({ plans: [flat(Svc.SmsMO), flat(Svc.Data, Kind.BackToFirst)] }), false],
        [parseTariff({ plans: [flat(Svc.VoiceMO, Kind.Ratio)] }), false],
        [parseTariff({ plans: [flat(Svc.SmsMO), flat(Svc.IoTAccess, Kind.Access)] }), true],
      ];
      for (const [tariff, base] of cases) {
        const id = computeTariffId(tariff);
        await expect(agreements.connect(a.dave).publishTariff(tariff))
          .to.emit(agreements, "TariffPublished")
          .withArgs(id, a.dave.address, base, anyValue);
        expect((await agreements.getTariffRecord(id)).usableAsBase).to.equal(base);
      }
    });

    it("should give different contents different ids (a one-wei price change is a new tariff)", async () => {
      const { agreements, accounts: a } = await loadFixture(deployAgreementsFixture);
      const variant = iotTariff(1n);
      await agreements.connect(a.eve).publishTariff(variant);
      expect(await agreements.isTariffPublished(computeTariffId(variant))).to.equal(true);
      expect(computeTariffId(variant)).to.not.equal(computeTariffId(iotTariff()));
    });
  });

  describe("when nothing was published", () => {
    it("should report an unknown id as unpublished", async () => {
      const { agreements } = await loadFixture(deploySuite);
      const record = await agreements.getTariffRecord(ethers.id("nothing"));
      expect([record.publishedAt, record.usableAsBase]).to.deep.equal([0n, false]);
      expect(await agreements.isTariffPublished(ethers.ZeroHash)).to.equal(false);
    });
  });
});
