import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { checkGas } from "../helpers/gas";
import { Kind, Svc, deployRatingHarness, plan, tier } from "../helpers/rating";

/** Issue 3's budget: rating one service with up to 4 tiers, the plan already in memory. */
const RATING_BUDGET = 15_000n;

const GB = 1_000_000_000n;
const four = [
  tier(0, "0", "0.01"),
  tier(GB, "5", "0.008"),
  tier(5n * GB, "10", "0.006"),
  tier(20n * GB, "20", "0.004"),
];

/**
 * Gas of the pure rating call alone (measured inside RatingHarness with gasleft()), in the worst case of each plan
 * kind: a volume that reaches the last of 4 tiers.
 */
describe("Gas snapshot: Rating (pure library call, 4 tiers in memory)", () => {
  const scenarios: [string, Parameters<typeof plan>, bigint, bigint][] = [
    ["rating.rate Threshold, 4 tiers, last tier reached", [Svc.Data, Kind.Threshold, four], 30n * GB, 0n],
    ["rating.rate BackToFirst, 4 tiers, last tier", [Svc.Data, Kind.BackToFirst, four], 30n * GB, 0n],
    ["rating.rate Access, 4 tiers, last tier", [Svc.IoTAccess, Kind.Access, four], 30n * GB, 0n],
    ["rating.rate Ratio, 4 + 4 tiers, last tiers", [Svc.Data, Kind.Ratio, four, four], 60n * GB, 30n * GB],
  ];

  for (const [name, args, volume, opposite] of scenarios) {
    it(`should keep "${name}" within its budget and the snapshot`, async () => {
      const { harness } = await loadFixture(deployRatingHarness);
      const [, gas] = await harness.rateWithGas(plan(...args), volume, opposite, 6);
      const failure = checkGas(name, gas, RATING_BUDGET);
      expect(failure, failure).to.equal(undefined);
    });
  }
});
