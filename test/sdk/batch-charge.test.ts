import { expect } from "chai";

import { InvalidArgumentError } from "../../sdk/src/errors";
import { batchCharge, PlanKind, rate, Service, type ServicePlan } from "../../sdk/src/rating";

/**
 * `batchCharge`, the SDK's twin of `UsageClearing.submitBatch`'s rating (the clearing invariant campaign compares it
 * with the contract's charge at every random submission): worked values and refusals.
 */
describe("batchCharge (a batch rated at the margin of its period)", function () {
  const WAD = 10n ** 18n;
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
    kind: PlanKind.Threshold,
    increment: 1_000n,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: WAD / 1000n }],
    unbalancedTiers: [],
  };
  const plans = [voice, data];

  it("should price a first batch as the plans' rating of its volumes", function () {
    const charge = batchCharge(plans, [0n, 0n], [Service.VoiceMO, Service.Data], [3_000n, 2_000_000n], 6);
    expect(charge).to.equal(rate(voice, 3_000n, 0n, 6) + rate(data, 2_000_000n, 0n, 6));
    // voice is rated per minute (50 min at 0.02), data per MB (2 MB at 0.001), in units of 6 decimals
    expect(charge).to.equal(1_000_000n + 2_000n);
  });

  it("should price a later batch at the margin: its volumes crossing a threshold take the next tier's price", function () {
    // 4,000 s already in the period: 2,000 s more at 0.02 a minute, then 2,000 s at 0.01 (over 6,000 s); each R
    // rounds once, so the margin is R(8,000 s) − R(4,000 s) = 2.333333 − 1.333333, not the sum of rounded parts
    const charge = batchCharge(plans, [4_000n, 0n], [Service.VoiceMO], [4_000n], 6);
    expect(charge).to.equal(rate(voice, 8_000n, 0n, 6) - rate(voice, 4_000n, 0n, 6));
    expect(charge).to.equal(2_333_333n - 1_333_333n);
  });

  it("should take the header's integers as the CLI writes them (decimal strings)", function () {
    expect(batchCharge(plans, [0n, 0n], ["4"], ["2000000"], 6)).to.equal(2_000n);
  });

  it("should refuse a service without a plan, and lists of different lengths, naming the field", function () {
    const refused = (fn: () => unknown, field: string) => {
      expect(fn).to.throw(InvalidArgumentError).with.property("field", field);
    };
    refused(() => batchCharge(plans, [0n, 0n], [Service.SmsMO], [1n], 6), "services[0]");
    refused(() => batchCharge(plans, [0n, 0n], [Service.VoiceMO], [1n, 2n], 6), "volumes");
    refused(() => batchCharge(plans, [0n], [Service.VoiceMO], [1n], 6), "periodVolumes");
  });
});
