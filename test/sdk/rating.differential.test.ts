import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  RatingError,
  applyCondition,
  rate,
  toAbiCondition,
  toAbiFigures,
  toAbiPlan,
  validatePlan,
} from "../../sdk/src/rating/engine";
import type { Condition, ServiceFigures, ServicePlan, Tier } from "../../sdk/src/rating/types";
import type { RatingHarness } from "../../sdk/src/typechain";
import { campaignSize } from "../helpers/campaign";
import { deployRatingHarness } from "../helpers/rating";

/**
 * Differential test: the Solidity library (through RatingHarness) and the SDK's TypeScript twin must agree on every
 * input: the same amount, or the same error with the same arguments. Random plans of every kind, volumes around tier
 * starts and near the uint64 bound, every token precision, and every condition kind.
 *
 * Case counts are sized for CI; `DIFFERENTIAL_RUNS` raises them.
 */
const RUNS = campaignSize("DIFFERENTIAL_RUNS", 2000, 200);
const CONDITION_RUNS = Math.max(200, Math.floor(RUNS / 2));

const U64 = 2n ** 64n - 1n;
const U96 = 2n ** 96n - 1n;
const U128 = 2n ** 128n - 1n;

type Outcome = { ok: string } | { error: string; args: string[] };

/** What the contract call returned, or the custom error (or panic) it reverted with. */
async function onChain(harness: RatingHarness, call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: stringify(await call()) };
  } catch (err) {
    const data = (err as { data?: string }).data;
    if (typeof data !== "string") throw err;
    const parsed = harness.interface.parseError(data);
    if (parsed === null) {
      if (data.startsWith("0x4e487b71")) return { error: "Panic", args: [BigInt("0x" + data.slice(10)).toString()] };
      throw err;
    }
    return { error: parsed.name, args: parsed.args.toArray().map((a: unknown) => String(a)) };
  }
}

/** What the twin returned, or the RatingError it threw. */
function offChain(call: () => unknown): Outcome {
  try {
    return { ok: stringify(call()) };
  } catch (err) {
    if (!(err instanceof RatingError)) throw err;
    return { error: err.code, args: err.args.map((a) => a.toString()) };
  }
}

/** A canonical text of a result (ethers Results and plain objects alike), for comparison. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
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

/** Tier starts: strictly ascending, from a small range (so volumes hit them) or the whole of uint64. */
const starts = (max: number) =>
  fc
    .oneof(
      fc.uniqueArray(fc.bigInt(0n, 10_000n), { maxLength: max }),
      fc.uniqueArray(fc.bigInt(0n, U64), { maxLength: max }),
    )
    .map((xs) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

const tiers = (max: number): fc.Arbitrary<Tier[]> =>
  starts(max).chain((ss) =>
    fc
      .array(fc.tuple(price, price), { minLength: ss.length, maxLength: ss.length })
      .map((prices) => ss.map((start, i) => ({ start, fixedPrice: prices[i][0], linearPrice: prices[i][1] }))),
  );

const service = fc.integer({ min: 0, max: 8 }) as fc.Arbitrary<ServicePlan["service"]>;

/** Valid plans of every kind (the library rates validated plans; validation is compared separately below). */
const validPlan: fc.Arbitrary<ServicePlan> = fc
  .record({
    service,
    kind: fc.integer({ min: 0, max: 3 }) as fc.Arbitrary<ServicePlan["kind"]>,
    increment: fc.integer({ min: 1, max: 2 ** 32 - 1 }).map(BigInt),
    tiers: tiers(6),
    unbalanced: tiers(6),
  })
  .map(({ unbalanced, ...p }) => ({
    ...p,
    unbalancedTiers:
      p.kind === 2 ? (unbalanced.length > 0 ? unbalanced : [{ start: 0n, fixedPrice: 0n, linearPrice: 1n }]) : [],
  }));

/** Any plan, including malformed ones: zero increments, unsorted or too many tiers, mismatched unbalanced tiers. */
const anyPlan: fc.Arbitrary<ServicePlan> = fc.record({
  service,
  kind: fc.integer({ min: 0, max: 3 }) as fc.Arbitrary<ServicePlan["kind"]>,
  increment: fc.oneof(fc.constant(0n), fc.bigInt(1n, 100n)),
  tiers: fc.array(fc.record({ start: fc.bigInt(0n, 20n), fixedPrice: price, linearPrice: price }), { maxLength: 18 }),
  unbalancedTiers: fc.array(fc.record({ start: fc.bigInt(0n, 20n), fixedPrice: price, linearPrice: price }), {
    maxLength: 3,
  }),
});

/** Volumes: near a tier start, small, anywhere in uint64, at the bound, or beyond it. */
const volumeFor = (p: ServicePlan) => {
  const near = [...p.tiers, ...p.unbalancedTiers]
    .flatMap((t) => [t.start - 1n, t.start, t.start + 1n])
    .filter((v) => v >= 0n);
  return fc.oneof(
    { weight: 3, arbitrary: near.length > 0 ? fc.constantFrom(...near) : fc.constant(0n) },
    { weight: 3, arbitrary: fc.bigInt(0n, 100_000n) },
    { weight: 2, arbitrary: fc.bigInt(0n, U64) },
    { weight: 1, arbitrary: fc.constantFrom(0n, U64, U64 + 1n, 2n ** 200n) },
  );
};

const decimals = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(0, 2, 6, 8, 18) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) },
);

const rateCase = validPlan.chain((p) => fc.tuple(fc.constant(p), volumeFor(p), volumeFor(p), decimals));

const amount = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt(0n, 10n ** 12n) },
  { weight: 1, arbitrary: fc.constantFrom(0n, U128, U128 + 1n) },
);

const conditionCase = fc.tuple(
  fc.record({
    kind: fc.integer({ min: 0, max: 2 }) as fc.Arbitrary<Condition["kind"]>,
    includingTaxes: fc.boolean(),
    includedServices: fc.integer({ min: 0, max: 2 ** 9 - 1 }),
    commitment: fc.oneof(fc.bigInt(0n, 5n * 10n ** 12n), fc.constant(U128)),
  }),
  fc
    .uniqueArray(service, { maxLength: 9 })
    .map((ss) => [...ss].sort((a, b) => a - b))
    .chain((ss) =>
      fc.tuple(
        ...ss.map((s) => fc.record({ service: fc.constant(s), dealValue: amount, charges: amount, taxes: amount })),
      ),
    ),
);

// ---------------------------------------------------------------------------------------------------------------

describe("Rating: Solidity library and TypeScript twin agree (differential)", () => {
  it(`should rate ${RUNS} random plans, volumes and precisions identically`, async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(rateCase, async ([p, volume, opposite, d]) => {
        const chain = await onChain(harness, () => harness.rate(toAbiPlan(p), volume, opposite, d));
        const twin = offChain(() => rate(p, volume, opposite, d));
        if ("error" in chain) errors++;
        expect(twin).to.deep.equal(chain);
      }),
      { numRuns: RUNS },
    );
    console.log(`      rating differential: ${RUNS} cases, ${errors} of them errors on both sides`);
    expect(errors).to.be.lessThan(RUNS / 2); // most cases must rate, not fail
  });

  it(`should validate ${Math.floor(RUNS / 4)} random, often malformed, plans identically`, async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    await fc.assert(
      fc.asyncProperty(anyPlan, async (p) => {
        const chain = await onChain(harness, () => harness.validatePlan(toAbiPlan(p)));
        const twin = offChain(() => validatePlan(p));
        // Validation returns nothing: compare only whether each side failed, and how.
        expect("error" in twin ? twin : "valid").to.deep.equal("error" in chain ? chain : "valid");
      }),
      { numRuns: Math.floor(RUNS / 4) },
    );
  });

  it(`should apply ${CONDITION_RUNS} random conditions identically`, async () => {
    const { harness } = await loadFixture(deployRatingHarness);
    await fc.assert(
      fc.asyncProperty(conditionCase, async ([condition, figures]) => {
        const list = figures as ServiceFigures[];
        const chain = await onChain(harness, async () => {
          const [outcomes, dealApplies] = await harness.applyCondition(toAbiCondition(condition), toAbiFigures(list));
          return {
            outcomes: outcomes.map((o) => ({ service: Number(o.service), value: o.value, shortfall: o.shortfall })),
            dealApplies,
          };
        });
        const twin = offChain(() => applyCondition(condition, list));
        expect(twin).to.deep.equal(chain);
      }),
      { numRuns: CONDITION_RUNS },
    );
  });
});
