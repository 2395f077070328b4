import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { Kind, Svc, deployRatingHarness, plan, tier } from "../../helpers/rating";

describe("Rating.ratingUnit", () => {
  it("should price voice and VoLTE per minute, data per MB and everything else per unit", async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    const expected: [number, bigint][] = [
      [Svc.VoiceMO, 60n],
      [Svc.VoiceMT, 60n],
      [Svc.SmsMO, 1n],
      [Svc.SmsMT, 1n],
      [Svc.Data, 1_000_000n],
      [Svc.VoLTE, 60n],
      [Svc.IoTAccess, 1n],
      [Svc.SliceHours, 1n],
      [Svc.SpectrumMHzHours, 1n],
    ];
    for (const [service, unit] of expected)
      expect(await harness.ratingUnit(service), `service ${service}`).to.equal(unit);
  });
});

describe("Rating.chargedVolume", () => {
  it("should round each record up to the charging increment", async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    const cases: [number, number, bigint][] = [
      [0, 60, 0n],
      [1, 60, 60n],
      [60, 60, 60n],
      [61, 60, 120n],
      [61, 30, 90n],
      [1025, 1024, 2048n],
      [7, 1, 7n],
    ];
    for (const [raw, increment, charged] of cases) {
      expect(await harness.chargedVolume(raw, increment), `${raw} per ${increment}`).to.equal(charged);
    }
  });
});

describe("Rating.validatePlan", () => {
  describe("when the increment is zero", () => {
    it("should revert", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await expect(harness.validatePlan(plan(Svc.Data, Kind.Threshold, [tier(0, "0", "1")], [], 0)))
        .to.be.revertedWithCustomError(harness, "Rating_ZeroIncrement")
        .withArgs(Svc.Data);
    });
  });

  describe("when a tier list is too long", () => {
    it("should revert for 17 tiers", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const tiers = Array.from({ length: 17 }, (_, i) => tier(i * 10, "0", "1"));
      await expect(harness.validatePlan(plan(Svc.SmsMO, Kind.Threshold, tiers)))
        .to.be.revertedWithCustomError(harness, "Rating_TooManyTiers")
        .withArgs(Svc.SmsMO, 17, 16);
    });

    it("should accept 16 tiers", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await harness.validatePlan(
        plan(
          Svc.SmsMO,
          Kind.Threshold,
          Array.from({ length: 16 }, (_, i) => tier(i, "0", "1")),
        ),
      );
    });
  });

  describe("when tier starts do not strictly ascend", () => {
    it("should revert, naming the first offending tier", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const equal = [tier(0, "0", "1"), tier(100, "0", "1"), tier(100, "0", "1")];
      await expect(harness.validatePlan(plan(Svc.VoiceMO, Kind.Threshold, equal)))
        .to.be.revertedWithCustomError(harness, "Rating_TiersNotAscending")
        .withArgs(Svc.VoiceMO, 2);
      const descending = [tier(50, "0", "1"), tier(10, "0", "1")];
      await expect(harness.validatePlan(plan(Svc.VoiceMO, Kind.BackToFirst, descending)))
        .to.be.revertedWithCustomError(harness, "Rating_TiersNotAscending")
        .withArgs(Svc.VoiceMO, 1);
    });

    it("should check the unbalanced tiers of a ratio plan too", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const bad = [tier(5, "0", "1"), tier(5, "0", "1")];
      await expect(harness.validatePlan(plan(Svc.Data, Kind.Ratio, [tier(0, "0", "1")], bad)))
        .to.be.revertedWithCustomError(harness, "Rating_TiersNotAscending")
        .withArgs(Svc.Data, 1);
    });
  });

  describe("when unbalanced tiers do not match the plan kind", () => {
    it("should revert for a ratio plan without them and for any other kind with them", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await expect(harness.validatePlan(plan(Svc.Data, Kind.Ratio, [tier(0, "0", "1")])))
        .to.be.revertedWithCustomError(harness, "Rating_UnbalancedTiersMismatch")
        .withArgs(Svc.Data, Kind.Ratio);
      for (const kind of [Kind.Threshold, Kind.BackToFirst, Kind.Access]) {
        await expect(harness.validatePlan(plan(Svc.Data, kind, [tier(0, "0", "1")], [tier(0, "0", "2")])))
          .to.be.revertedWithCustomError(harness, "Rating_UnbalancedTiersMismatch")
          .withArgs(Svc.Data, kind);
      }
    });
  });

  describe("when the plan is well-formed", () => {
    it("should accept it, including an empty tier list", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await harness.validatePlan(plan(Svc.Data, Kind.Ratio, [tier(0, "0", "1")], [tier(0, "0", "2")], 1024));
      await harness.validatePlan(plan(Svc.SmsMT, Kind.Threshold, []));
    });
  });
});

describe("Rating.validatePlans", () => {
  it("should revert when services repeat or are not ascending", async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    const sms = plan(Svc.SmsMO, Kind.Threshold, [tier(0, "0", "0.1")]);
    const voice = plan(Svc.VoiceMO, Kind.Threshold, [tier(0, "0", "0.1")]);
    await expect(harness.validatePlans([sms, voice]))
      .to.be.revertedWithCustomError(harness, "Rating_ServicesNotAscending")
      .withArgs(1);
    await expect(harness.validatePlans([voice, sms, sms]))
      .to.be.revertedWithCustomError(harness, "Rating_ServicesNotAscending")
      .withArgs(2);
  });

  it("should validate each plan", async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    const voice = plan(Svc.VoiceMO, Kind.Threshold, [tier(0, "0", "0.1")]);
    await expect(harness.validatePlans([voice, plan(Svc.Data, Kind.Threshold, [], [], 0)]))
      .to.be.revertedWithCustomError(harness, "Rating_ZeroIncrement")
      .withArgs(Svc.Data);
  });

  it("should accept ascending valid plans and an empty list", async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    await harness.validatePlans([]);
    await harness.validatePlans([
      plan(Svc.VoiceMO, Kind.Threshold, [tier(0, "0", "0.1")], [], 60),
      plan(Svc.Data, Kind.Threshold, [tier(0, "0", "0.002")], [], 1024),
    ]);
  });
});
