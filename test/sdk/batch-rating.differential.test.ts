import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { InvalidArgumentError } from "../../sdk/src/errors";
import { batchCharge } from "../../sdk/src/rating/batch";
import { RatingError, toAbiPlans } from "../../sdk/src/rating/engine";
import type { Service, ServicePlan, Tier } from "../../sdk/src/rating/types";
import type { BatchRatingHarness } from "../../sdk/src/typechain";
import { packBatchTotals } from "../../sdk/src/typedData/clearing";
import { campaignSize } from "../helpers/campaign";

/**
 * Differential test of the batch rating kernel: `BatchRating.rate` (contracts/libraries/BatchRating.sol, the rating
 * loop of `UsageClearing.submitBatch`, run alone through BatchRatingHarness) against its SDK twin `batchCharge`
 * (sdk/src/rating/batch.ts) and against `Rating.rateBase` service by service: random base tariffs (Threshold and Access
 * plans, services ascending, tiers around the period's volumes), random period volumes, random batches (sometimes with
 * a service the tariff does not rate), every token precision. Both sides must give the same charge, or the same error
 * with the same arguments; on success the period's volumes must grow, and the batch's own volumes be set, by exactly
 * the batch's volumes.
 *
 * Case count sized for CI; `DIFFERENTIAL_RUNS` raises it.
 */
const RUNS = campaignSize("DIFFERENTIAL_RUNS", 1000, 100);

const U64 = 2n ** 64n - 1n;
const U96 = 2n ** 96n - 1n;
const U128 = 2n ** 128n - 1n;

type Outcome = { ok: string } | { error: string; args: string[] };

async function deployHarness(): Promise<{
  harness: BatchRatingHarness;
  errors: InstanceType<typeof ethers.Interface>;
}> {
  const harness = (await (
    await ethers.getContractFactory("BatchRatingHarness")
  ).deploy()) as unknown as BatchRatingHarness;
  // The kernel reverts with UsageClearing's errors and Rating's.
  const fragments = [
    ...(await ethers.getContractFactory("UsageClearing")).interface.fragments,
    ...(await ethers.getContractFactory("RatingHarness")).interface.fragments,
  ].filter((f) => f.type === "error");
  return { harness, errors: new ethers.Interface(fragments) };
}

/** The kernel's errors and the twin's, named alike: which check failed, and its arguments. */
const SAME_CHECK: Record<string, string> = {
  UsageClearing_ServiceNotRated: "service not rated",
  UsageClearing_VolumeOverflow: "volume over uint64",
  Rating_VolumeTooLarge: "volume over uint64",
  Rating_AmountOverflow: "amount over uint128",
};

async function onChain(errors: InstanceType<typeof ethers.Interface>, call: () => Promise<bigint>): Promise<Outcome> {
  try {
    return { ok: (await call()).toString() };
  } catch (err) {
    const data = (err as { data?: string }).data;
    if (typeof data !== "string") throw err;
    const parsed = errors.parseError(data);
    if (parsed === null) throw err;
    return {
      error: SAME_CHECK[parsed.name] ?? parsed.name,
      args: parsed.args.toArray().map((a: unknown) => String(a)),
    };
  }
}

function offChain(call: () => bigint): Outcome {
  try {
    return { ok: call().toString() };
  } catch (err) {
    if (err instanceof RatingError) return { error: SAME_CHECK[err.code] ?? err.code, args: err.args.map(String) };
    // batchCharge names the service without a plan as `services[i]`.
    if (err instanceof InvalidArgumentError && /^services\[\d+\]$/.test(err.field ?? "")) {
      return { error: SAME_CHECK.UsageClearing_ServiceNotRated, args: [err.field!.slice(9, -1), String(err.value)] };
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------------------

/** Prices: mostly realistic (up to 1,000 token units with 18 decimals), sometimes anything up to uint96. */
const price = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt(0n, 1000n * 10n ** 18n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, U96) },
  { weight: 1, arbitrary: fc.bigInt(0n, U96) },
);

/** Tiers of a base plan: starts strictly ascending, from a small range (so volumes cross them) or all of uint64. */
const tiers: fc.Arbitrary<Tier[]> = fc
  .oneof(
    { weight: 4, arbitrary: fc.uniqueArray(fc.bigInt(0n, 10_000n), { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.bigInt(0n, U64), { maxLength: 6 }) },
  )
  .map((xs) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  .chain((ss) =>
    fc
      .array(fc.tuple(price, price), { minLength: ss.length, maxLength: ss.length })
      .map((prices) => ss.map((start, i) => ({ start, fixedPrice: prices[i][0], linearPrice: prices[i][1] }))),
  );

/** A base tariff: Threshold and Access plans (the kinds a base tariff holds), services ascending. */
const baseTariff: fc.Arbitrary<ServicePlan[]> = fc
  .uniqueArray(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 9 })
  .map((ss) => [...ss].sort((a, b) => a - b))
  .chain((ss) =>
    fc.tuple(
      ...ss.map((service) =>
        fc.record({
          service: fc.constant(service as ServicePlan["service"]),
          kind: fc.constantFrom(0, 3) as fc.Arbitrary<ServicePlan["kind"]>,
          increment: fc.bigInt({ min: 1n, max: 2n ** 32n - 1n }),
          tiers,
          unbalancedTiers: fc.constant([] as Tier[]),
        }),
      ),
    ),
  );

/** A volume near one of the plan's tier starts, small, anywhere in uint64, or at its top. */
const volumeNear = (p: ServicePlan, below: bigint) => {
  const near = p.tiers.flatMap((t) => [t.start - 1n, t.start, t.start + 1n]).filter((v) => v >= 0n && v <= below);
  return fc.oneof(
    { weight: 3, arbitrary: near.length > 0 ? fc.constantFrom(...near) : fc.constant(0n) },
    { weight: 3, arbitrary: fc.bigInt(0n, 100_000n < below ? 100_000n : below) },
    { weight: 1, arbitrary: fc.bigInt(0n, below) },
    { weight: 1, arbitrary: fc.constantFrom(0n, below) },
  );
};

const decimals = fc.constantFrom(0, 2, 6, 8, 18);

/**
 * A case: the tariff, the period's volumes (one per plan, often zero), and a batch: services ascending, mostly the
 * tariff's, sometimes any (a service without a plan must be refused), each with a volume below 2^64 − 1 (a batch volume
 * of 2^64 − 1 is refused by the kernel alone: see the unit cases below) and its record count and tax, which the rating
 * ignores.
 */
const batchCase = baseTariff.chain((plans) =>
  fc.tuple(
    fc.constant(plans),
    fc.tuple(
      ...plans.map((p) =>
        fc.oneof({ weight: 2, arbitrary: fc.constant(0n) }, { weight: 3, arbitrary: volumeNear(p, U64) }),
      ),
    ),
    fc
      .oneof(
        { weight: 6, arbitrary: fc.subarray(plans.map((p) => Number(p.service))) },
        { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 9 }) },
      )
      .map((ss) => [...ss].sort((a, b) => a - b))
      .filter((ss) => ss.length > 0)
      .chain((ss) =>
        fc.tuple(
          ...ss.map((service) => {
            const p = plans.find((q) => Number(q.service) === service) ?? plans[0];
            return fc.record({
              service: fc.constant(service),
              volume: volumeNear(p, U64 - 1n),
              recordCount: fc.bigInt(0n, 2n ** 32n - 1n),
              tax: fc.oneof(fc.constant(0n), fc.bigInt(0n, U128)),
            });
          }),
        ),
      ),
    decimals,
  ),
);

// ---------------------------------------------------------------------------------------------------------------

describe("BatchRating: the batch rating kernel, Rating.rateBase and the SDK's batchCharge agree (differential)", () => {
  it(`should rate ${RUNS} random batches identically (charge, error and volumes)`, async () => {
    const { harness, errors } = await loadFixture(deployHarness);
    const seen = { rated: 0, notRated: 0, volume: 0, amount: 0 };
    await fc.assert(
      fc.asyncProperty(batchCase, async ([plans, period, entries, d]) => {
        const tariff = { plans: toAbiPlans(plans) };
        const services = entries.map((e) => e.service as Service);
        const volumes = entries.map((e) => e.volume);
        const totals = packBatchTotals({
          services,
          volumes,
          recordCounts: entries.map((e) => e.recordCount),
          taxes: entries.map((e) => e.tax),
        });
        let result: Awaited<ReturnType<typeof harness.rate.staticCall>> | undefined;
        const chain = await onChain(errors, async () => {
          result = await harness.rate.staticCall(tariff, period, totals, d);
          return result.charge;
        });
        const twin = offChain(() => batchCharge(plans, period, services, volumes, d));
        expect(chain).to.deep.equal(twin);
        if ("error" in chain) {
          if (chain.error === SAME_CHECK.UsageClearing_ServiceNotRated) seen.notRated++;
          else if (chain.error === SAME_CHECK.Rating_AmountOverflow) seen.amount++;
          else seen.volume++;
          return;
        }
        seen.rated++;
        // Rating.rateBase, service by service, gives the same charge.
        expect(await harness.rateByRating(tariff, period, services, volumes, d)).to.equal(BigInt(chain.ok));
        // The period grows, and the batch's own volumes are set, by exactly the batch's volumes, plan by plan.
        const added = plans.map((p) => entries.find((e) => e.service === Number(p.service))?.volume ?? 0n);
        expect(result!.periodAfter).to.deep.equal(period.map((v, i) => v + added[i]));
        expect(result!.ownAfter).to.deep.equal(added);
      }),
      { numRuns: RUNS },
    );
    console.log(
      `      batch rating differential: ${RUNS} cases, ${seen.rated} rated, errors on both sides: ` +
        `${seen.notRated} service not rated, ${seen.volume} volume over uint64, ${seen.amount} amount over uint128`,
    );
    // Most cases must rate, and each refusal must be met.
    expect(seen.rated).to.be.greaterThan(RUNS / 2);
    if (RUNS >= 1000) {
      expect(seen.notRated).to.be.greaterThan(0);
      expect(seen.volume).to.be.greaterThan(0);
      expect(seen.amount).to.be.greaterThan(0);
    }
  });
});
