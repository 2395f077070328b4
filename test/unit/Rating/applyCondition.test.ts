import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { Cond, Svc, deployRatingHarness } from "../../helpers/rating";

const bit = (...services: number[]) => services.reduce((m, s) => m | (1 << s), 0);
const fig = (service: number, dealValue: bigint, charges = 0n, taxes = 0n) => ({ service, dealValue, charges, taxes });

async function outcome(
  harness: Awaited<ReturnType<typeof deployRatingHarness>>["harness"],
  condition: { kind: number; includingTaxes: boolean; includedServices: number; commitment: bigint },
  figures: ReturnType<typeof fig>[],
) {
  const [outcomes, dealApplies] = await harness.applyCondition(condition, figures);
  return { values: outcomes.map((o) => [o.value, o.shortfall]), dealApplies };
}

describe("Rating.applyCondition", () => {
  const figures = [fig(Svc.VoiceMO, 100n, 150n, 15n), fig(Svc.SmsMO, 20n, 30n, 3n), fig(Svc.Data, 300n, 400n, 40n)];

  describe("when the condition is Unconditional", () => {
    it("should apply the deal values with no shortfall", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        { kind: Cond.Unconditional, includingTaxes: false, includedServices: 0, commitment: 10_000n },
        figures,
      );
      expect(r).to.deep.equal({
        values: [
          [100n, 0n],
          [20n, 0n],
          [300n, 0n],
        ],
        dealApplies: true,
      });
    });
  });

  describe("when the condition is a contract revenue commitment", () => {
    it("should apply the deal when the included services' charges reach the commitment", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        {
          kind: Cond.ContractRevenue,
          includingTaxes: false,
          includedServices: bit(Svc.VoiceMO, Svc.Data),
          commitment: 550n,
        },
        figures,
      );
      expect(r.dealApplies).to.equal(true); // 150 + 400 = 550
      expect(r.values).to.deep.equal([
        [100n, 0n],
        [20n, 0n],
        [300n, 0n],
      ]);
    });

    it("should leave the base charges standing when they fall short", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        {
          kind: Cond.ContractRevenue,
          includingTaxes: false,
          includedServices: bit(Svc.VoiceMO, Svc.Data),
          commitment: 551n,
        },
        figures,
      );
      expect(r).to.deep.equal({
        values: [
          [150n, 0n],
          [30n, 0n],
          [400n, 0n],
        ],
        dealApplies: false,
      });
    });

    it("should count the taxes when the commitment includes them", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        {
          kind: Cond.ContractRevenue,
          includingTaxes: true,
          includedServices: bit(Svc.VoiceMO, Svc.Data),
          commitment: 605n,
        },
        figures,
      );
      expect(r.dealApplies).to.equal(true); // 150 + 15 + 400 + 40 = 605
    });
  });

  describe("when the condition is a discount revenue commitment (send-or-pay)", () => {
    it("should add no shortfall when the included deal values reach the commitment", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        {
          kind: Cond.DiscountRevenue,
          includingTaxes: false,
          includedServices: bit(Svc.VoiceMO, Svc.SmsMO, Svc.Data),
          commitment: 420n,
        },
        figures,
      );
      expect(r.values).to.deep.equal([
        [100n, 0n],
        [20n, 0n],
        [300n, 0n],
      ]);
    });

    it("should spread the shortfall in proportion to the deal values, the remainder in service order", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        {
          kind: Cond.DiscountRevenue,
          includingTaxes: false,
          includedServices: bit(Svc.VoiceMO, Svc.SmsMO, Svc.Data),
          commitment: 430n,
        },
        figures,
      );
      // S = 10 over (100, 20, 300) of 420: floors (2, 0, 7) = 9, remainder 1 to voice.
      expect(r.values).to.deep.equal([
        [103n, 3n],
        [20n, 0n],
        [307n, 7n],
      ]);
    });

    it("should split 10 as (4, 3, 3) over equal deal values and over all-zero deal values", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const all = bit(Svc.VoiceMO, Svc.SmsMO, Svc.Data);
      const ones = [fig(Svc.VoiceMO, 1n), fig(Svc.SmsMO, 1n), fig(Svc.Data, 1n)];
      const zeros = [fig(Svc.VoiceMO, 0n), fig(Svc.SmsMO, 0n), fig(Svc.Data, 0n)];
      const c = (commitment: bigint) => ({
        kind: Cond.DiscountRevenue,
        includingTaxes: false,
        includedServices: all,
        commitment,
      });
      expect((await outcome(harness, c(13n), ones)).values.map(([, s]) => s)).to.deep.equal([4n, 3n, 3n]);
      expect((await outcome(harness, c(10n), zeros)).values.map(([, s]) => s)).to.deep.equal([4n, 3n, 3n]);
    });

    it("should leave services outside the commitment untouched", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        { kind: Cond.DiscountRevenue, includingTaxes: false, includedServices: bit(Svc.SmsMO), commitment: 50n },
        figures,
      );
      expect(r.values).to.deep.equal([
        [100n, 0n],
        [50n, 30n],
        [300n, 0n],
      ]);
    });

    it("should add nothing when no listed service is included", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const r = await outcome(
        harness,
        { kind: Cond.DiscountRevenue, includingTaxes: false, includedServices: bit(Svc.VoLTE), commitment: 1_000n },
        figures,
      );
      expect(r.values).to.deep.equal([
        [100n, 0n],
        [20n, 0n],
        [300n, 0n],
      ]);
    });
  });

  describe("when an amount exceeds uint128", () => {
    it("should revert, naming the service and the amount", async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const big = 2n ** 128n;
      const c = { kind: Cond.Unconditional, includingTaxes: false, includedServices: 0, commitment: 0n };
      for (const f of [fig(Svc.Data, big), fig(Svc.Data, 0n, big), fig(Svc.Data, 0n, 0n, big)]) {
        await expect(harness.applyCondition(c, [fig(Svc.VoiceMO, 1n), f]))
          .to.be.revertedWithCustomError(harness, "Rating_AmountOverflow")
          .withArgs(Svc.Data, big);
      }
    });
  });
});
