import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { Kind, Svc, deployRatingHarness, plan, tier, wad } from "../../helpers/rating";

const MB = 1_000_000n;
const GB = 1_000n * MB;
const U64_MAX = 2n ** 64n - 1n;
const U96_MAX = 2n ** 96n - 1n;

/** Hand-computed expectations; amounts in base units of a 6-decimal token unless said otherwise. */
describe("Rating.rate", () => {
  describe("when the plan is Threshold", () => {
    // The worked example of docs/ARCHITECTURE.md section 5: 0.05/min up to 1,000 min, then 10 + 0.04/min.
    const voice = plan(Svc.VoiceMO, Kind.Threshold, [tier(0, "0", "0.05"), tier(60_000, "10", "0.04")], [], 60);

    it("should sum every tier the volume reaches (worked example: 80.000000)", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(voice, 90_000, 0, 6)).to.equal(80_000_000n); // 50 + 10 + 20
    });

    it("should keep a volume exactly on a threshold in the lower tier, without the next tier's fixed price", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(voice, 60_000, 0, 6)).to.equal(50_000_000n);
    });

    it("should charge the next tier's fixed price from its first unit on, and round half up once", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      // 50 + 10 + 0.04 / 60 = 60.000666... -> 60.000667
      expect(await harness.rate(voice, 60_001, 0, 6)).to.equal(60_000_667n);
    });

    it("should rate zero volume and an empty tier list to zero", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(plan(Svc.VoiceMO, Kind.Threshold, [tier(0, "5", "1")]), 0, 0, 6)).to.equal(0n);
      expect(await harness.rate(plan(Svc.VoiceMO, Kind.Threshold, []), 1_000_000, 0, 6)).to.equal(0n);
    });

    it("should price nothing below a first tier that starts above zero", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const p = plan(Svc.SmsMO, Kind.Threshold, [tier(1_000, "0", "0.01")]);
      expect(await harness.rate(p, 1_000, 0, 6)).to.equal(0n);
      expect(await harness.rate(p, 1_500, 0, 6)).to.equal(5_000_000n);
    });

    it("should price data per MB", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const data = plan(Svc.Data, Kind.Threshold, [tier(0, "0", "0.002")], [], 1024);
      expect(await harness.rate(data, 3n * GB, 0, 6)).to.equal(6_000_000n); // 3,000 MB * 0.002
    });
  });

  describe("when the plan is BackToFirst", () => {
    const data = plan(
      Svc.Data,
      Kind.BackToFirst,
      [tier(0, "0", "0.10"), tier(GB, "0", "0.05"), tier(5n * GB, "25", "0.02")],
      [],
      1024,
    );

    it("should price the whole volume at the highest tier that starts below it", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(data, 3n * GB, 0, 6)).to.equal(150_000_000n); // 3,000 MB * 0.05
    });

    it("should use the lower tier when the volume equals a start", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(data, GB, 0, 6)).to.equal(100_000_000n); // 1,000 MB * 0.10
    });

    it("should include the tier's fixed price and round once", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      // 25 + 5,000.000001 MB * 0.02 = 125.00000002 -> 125.000000
      expect(await harness.rate(data, 5n * GB + 1n, 0, 6)).to.equal(125_000_000n);
    });

    it("should rate to zero when no tier starts below the volume", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const late = plan(Svc.Data, Kind.BackToFirst, [tier(GB, "7", "1")]);
      expect(await harness.rate(late, GB, 0, 6)).to.equal(0n);
      expect(await harness.rate(late, 0, 0, 6)).to.equal(0n);
      expect(await harness.rate(plan(Svc.Data, Kind.BackToFirst, []), GB, 0, 6)).to.equal(0n);
    });
  });

  describe("when the plan is Ratio (balanced/unbalanced)", () => {
    const data = plan(Svc.Data, Kind.Ratio, [tier(0, "0", "0.01")], [tier(0, "0", "0.03")], 1024);

    it("should price the matched volume at the balanced rate and the surplus at the unbalanced rate", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(data, 10n * GB, 4n * GB, 6)).to.equal(220_000_000n); // 4,000*0.01 + 6,000*0.03
    });

    it("should price everything as balanced when the other direction carries as much or more", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(data, 4n * GB, 4n * GB, 6)).to.equal(40_000_000n);
      expect(await harness.rate(data, 4n * GB, 9n * GB, 6)).to.equal(40_000_000n);
    });

    it("should price everything as unbalanced when the other direction carries nothing", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(data, 4n * GB, 0, 6)).to.equal(120_000_000n);
    });

    it("should revert when the other direction's volume exceeds uint64", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await expect(harness.rate(data, 1, U64_MAX + 1n, 6))
        .to.be.revertedWithCustomError(harness, "Rating_VolumeTooLarge")
        .withArgs(Svc.Data, U64_MAX + 1n);
    });
  });

  describe("when the plan is Access", () => {
    it("should price the count of connected devices through the tiers", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const iot = plan(Svc.IoTAccess, Kind.Access, [tier(0, "0", "0.5"), tier(500, "0", "0.3")]);
      expect(await harness.rate(iot, 1_000, 0, 6)).to.equal(400_000_000n); // 500*0.5 + 500*0.3
    });
  });

  describe("when rounding", () => {
    const sms = (price: string) => plan(Svc.SmsMO, Kind.Threshold, [tier(0, "0", price)]);

    it("should round half up, exactly once", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(sms("0.0000005"), 1, 0, 6)).to.equal(1n); // 0.5 base units
      expect(await harness.rate(sms("0.00000049"), 1, 0, 6)).to.equal(0n); // 0.49
      expect(await harness.rate(sms("0.00000049"), 3, 0, 6)).to.equal(1n); // 1.47: summed before rounding
    });

    it("should honour 0 and 18 decimals", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(await harness.rate(sms("0.5"), 1, 0, 0)).to.equal(1n);
      expect(await harness.rate(sms("0.4"), 1, 0, 0)).to.equal(0n);
      expect(await harness.rate(sms("0.000000000000000001"), 7, 0, 18)).to.equal(7n);
    });
  });

  describe("when inputs exceed the engine's bounds", () => {
    it("should revert for more than 18 decimals", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      await expect(harness.rate(plan(Svc.SmsMO, Kind.Threshold, [tier(0, "0", "1")]), 1, 0, 19))
        .to.be.revertedWithCustomError(harness, "Rating_TooManyDecimals")
        .withArgs(19);
    });

    it("should revert for a volume above uint64 and accept uint64's maximum", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const p = plan(Svc.SmsMO, Kind.Threshold, [tier(0, "0", "0.000001")]);
      await expect(harness.rate(p, U64_MAX + 1n, 0, 6))
        .to.be.revertedWithCustomError(harness, "Rating_VolumeTooLarge")
        .withArgs(Svc.SmsMO, U64_MAX + 1n);
      expect(await harness.rate(p, U64_MAX, 0, 6)).to.equal(U64_MAX);
    });

    it("should revert when the amount exceeds uint128, naming it", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const p = plan(Svc.SmsMO, Kind.Threshold, [{ start: 0n, fixedPrice: U96_MAX, linearPrice: U96_MAX }]);
      const expected = ((U96_MAX + U96_MAX * U64_MAX) * 10n ** 18n + wad("1") / 2n) / wad("1");
      await expect(harness.rate(p, U64_MAX, 0, 18))
        .to.be.revertedWithCustomError(harness, "Rating_AmountOverflow")
        .withArgs(Svc.SmsMO, expected);
    });
  });
});
