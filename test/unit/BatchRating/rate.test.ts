import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { toAbiPlans } from "../../../sdk/src/rating/engine";
import { PlanKind, Service, type ServicePlan } from "../../../sdk/src/rating/types";
import type { BatchRatingHarness } from "../../../sdk/src/typechain";

/**
 * BatchRating.rate (the rating kernel of a submission) on its own, through BatchRatingHarness: worked values and the
 * refusals the differential test (test/sdk/batch-rating.differential.test.ts) does not reach because the SDK's
 * `batchCharge` does not make them (an empty batch, services out of order, a batch volume of 2^64 − 1).
 */
describe("BatchRating.rate", function () {
  const WAD = 10n ** 18n;
  const U64 = 2n ** 64n - 1n;
  const voice: ServicePlan = {
    service: Service.VoiceMO,
    kind: PlanKind.Threshold,
    increment: 60n,
    tiers: [
      { start: 0n, fixedPrice: 0n, linearPrice: (2n * WAD) / 100n },
      { start: 6_000n, fixedPrice: 0n, linearPrice: WAD / 100n },
    ],
    unbalancedTiers: [],
  };
  const data: ServicePlan = {
    service: Service.Data,
    kind: PlanKind.Access,
    increment: 1_000n,
    tiers: [{ start: 0n, fixedPrice: WAD, linearPrice: WAD / 1000n }],
    unbalancedTiers: [],
  };
  const tariff = { plans: toAbiPlans([voice, data]) };
  /** A packed totals word: `service | volume << 8` (no record count, no tax). */
  const entry = (service: number, volume: bigint) => BigInt(service) | (volume << 8n);

  async function deploy() {
    const harness = (await (
      await ethers.getContractFactory("BatchRatingHarness")
    ).deploy()) as unknown as BatchRatingHarness;
    // The kernel reverts with UsageClearing's errors.
    const clearing = await ethers.getContractFactory("UsageClearing");
    return { harness, clearing };
  }

  describe("when the batch's services are ascending and rated by the tariff", function () {
    it("should charge the increase of each plan's period result and add the volumes", async function () {
      const { harness } = await loadFixture(deploy);
      // 4,000 s of voice already in the period: 2,000 s more at 0.02 a minute, then 2,000 s at 0.01 (R rounds once:
      // 2.333333 − 1.333333); data from zero: the Access fee once (1) plus 2 MB at 0.001; 6 decimals.
      const result = await harness.rate.staticCall(
        tariff,
        [4_000n, 0n],
        [entry(Service.VoiceMO, 4_000n), entry(Service.Data, 2_000_000n)],
        6,
      );
      expect(result.charge).to.equal(2_333_333n - 1_333_333n + 1_000_000n + 2_000n);
      expect(result.periodAfter).to.deep.equal([8_000n, 2_000_000n]);
      expect(result.ownAfter).to.deep.equal([4_000n, 2_000_000n]);
    });

    it("should leave a plan the batch does not name as it was", async function () {
      const { harness } = await loadFixture(deploy);
      const result = await harness.rate.staticCall(tariff, [7n, 9n], [entry(Service.Data, 1_000n)], 6);
      expect(result.periodAfter).to.deep.equal([7n, 1_009n]);
      expect(result.ownAfter).to.deep.equal([0n, 1_000n]);
    });
  });

  describe("when the batch is malformed", function () {
    it("should revert for a batch without services", async function () {
      const { harness, clearing } = await loadFixture(deploy);
      await expect(harness.rate.staticCall(tariff, [0n, 0n], [], 6)).to.be.revertedWithCustomError(
        clearing,
        "UsageClearing_MalformedTotals",
      );
    });

    it("should revert for a service not strictly above the one before, naming its index", async function () {
      const { harness, clearing } = await loadFixture(deploy);
      await expect(harness.rate.staticCall(tariff, [0n, 0n], [entry(Service.Data, 1n), entry(Service.VoiceMO, 1n)], 6))
        .to.be.revertedWithCustomError(clearing, "UsageClearing_ServiceNotRated")
        .withArgs(1, Service.VoiceMO);
      await expect(harness.rate.staticCall(tariff, [0n, 0n], [entry(Service.Data, 1n), entry(Service.Data, 1n)], 6))
        .to.be.revertedWithCustomError(clearing, "UsageClearing_ServiceNotRated")
        .withArgs(1, Service.Data);
    });

    it("should revert for a service that is not a Service, as the ABI decoder does", async function () {
      const { harness } = await loadFixture(deploy);
      await expect(harness.rate.staticCall(tariff, [0n, 0n], [entry(9, 1n)], 6)).to.be.revertedWithoutReason();
    });
  });

  describe("when a volume does not fit", function () {
    it("should revert for a batch volume of 2^64 − 1, even on an empty period (its own field holds it plus one)", async function () {
      const { harness, clearing } = await loadFixture(deploy);
      await expect(harness.rate.staticCall(tariff, [0n, 0n], [entry(Service.VoiceMO, U64)], 6))
        .to.be.revertedWithCustomError(clearing, "UsageClearing_VolumeOverflow")
        .withArgs(Service.VoiceMO, U64 + 1n);
    });

    it("should revert for a running volume over uint64, naming it", async function () {
      const { harness, clearing } = await loadFixture(deploy);
      await expect(harness.rate.staticCall(tariff, [U64 - 1n, 0n], [entry(Service.VoiceMO, 2n)], 6))
        .to.be.revertedWithCustomError(clearing, "UsageClearing_VolumeOverflow")
        .withArgs(Service.VoiceMO, U64 + 1n);
    });
  });
});
