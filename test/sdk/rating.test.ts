import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  applyCondition,
  chargedVolume,
  CONDITION_KIND_NAMES,
  ConditionKind,
  decimalToUnits,
  decimalToWad,
  encodePlan,
  fromAbiOutcome,
  isRatingError,
  MAX_DECIMALS,
  MAX_TIERS,
  PLAN_KIND_NAMES,
  PlanKind,
  rate,
  RATING_UNITS,
  RatingError,
  ratingUnit,
  Service,
  SERVICE_KEYS,
  SERVICE_NAMES,
  serviceBitmap,
  servicesOf,
  toAbiCondition,
  toAbiFigures,
  toAbiPlan,
  toAbiPlans,
  toAmount,
  unitsToDecimal,
  validatePlan,
  validatePlans,
  type Condition,
  type RatingErrorCode,
  type ServiceFigures,
  type ServicePlan,
  type Tier,
} from "../../sdk/src/rating";
import { Cond, Kind, Svc, deployRatingHarness } from "../helpers/rating";

const MB = 1_000_000n;
const GB = 1_000n * MB;
const U64_MAX = 2n ** 64n - 1n;
const U96_MAX = 2n ** 96n - 1n;
const U128_MAX = 2n ** 128n - 1n;
const U256_MAX = 2n ** 256n - 1n;

/** A tier: start in volume units, prices as exact decimal strings in whole token units. */
const tier = (start: bigint | number, fixedPrice: string, linearPrice: string): Tier => ({
  start: BigInt(start),
  fixedPrice: decimalToWad(fixedPrice),
  linearPrice: decimalToWad(linearPrice),
});

const plan = (
  service: Service,
  kind: PlanKind,
  tiers: Tier[],
  unbalancedTiers: Tier[] = [],
  increment: bigint | number = 1,
): ServicePlan => ({ service, kind, increment: BigInt(increment), tiers, unbalancedTiers });

/** Runs `fn` and asserts it throws the RatingError `code` with exactly `args`. */
function expectRatingError(fn: () => unknown, code: RatingErrorCode, args: (bigint | number)[]): RatingError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).to.be.instanceOf(RatingError);
  const error = thrown as RatingError;
  expect(error.code).to.equal(code);
  expect(error.args).to.deep.equal(args.map(BigInt));
  return error;
}

/** Runs `fn` and asserts it throws an InvalidArgumentError naming `field`. */
function expectInvalid(fn: () => unknown, field: string | undefined): InvalidArgumentError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected an InvalidArgumentError for ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect(thrown).not.to.be.instanceOf(RatingError);
  const error = thrown as InvalidArgumentError;
  expect(error.field).to.equal(field);
  return error;
}

// The worked example of docs/ARCHITECTURE.md section 5: 0.05/min up to 1,000 min, then 10 + 0.04/min.
const VOICE = plan(Service.VoiceMO, PlanKind.Threshold, [tier(0, "0", "0.05"), tier(60_000, "10", "0.04")], [], 60);
const BACK_TO_FIRST_DATA = plan(
  Service.Data,
  PlanKind.BackToFirst,
  [tier(0, "0", "0.10"), tier(GB, "0", "0.05"), tier(5n * GB, "25", "0.02")],
  [],
  1024,
);
const RATIO_DATA = plan(Service.Data, PlanKind.Ratio, [tier(0, "0", "0.01")], [tier(0, "0", "0.03")], 1024);
const smsAt = (price: string) => plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "0", price)]);

describe("rating (TypeScript twin of Rating.sol)", function () {
  describe("when reading the types", function () {
    it("should number services, plan kinds and condition kinds as the Solidity enums", function () {
      expect(Service).to.deep.equal(Svc);
      expect(PlanKind).to.deep.equal(Kind);
      expect(ConditionKind).to.deep.equal(Cond);
      SERVICE_NAMES.forEach((name, id) => expect(Service[name]).to.equal(id));
      expect(PLAN_KIND_NAMES.map((name) => PlanKind[name])).to.deep.equal([0, 1, 2, 3]);
      expect(CONDITION_KIND_NAMES.map((name) => ConditionKind[name])).to.deep.equal([0, 1, 2]);
      expect(SERVICE_KEYS).to.have.length(9);
    });

    it("should expose the library's bounds", function () {
      expect(MAX_TIERS).to.equal(16);
      expect(MAX_DECIMALS).to.equal(18);
    });
  });

  describe("when asking for a rating unit", function () {
    it("should match the contract for every service", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      for (let s = 0; s < 9; ++s) {
        expect(ratingUnit(s as Service), SERVICE_NAMES[s]).to.equal(await harness.ratingUnit(s));
        expect(RATING_UNITS[s]).to.equal(ratingUnit(s as Service));
      }
      expect(ratingUnit(Service.VoiceMO)).to.equal(60n);
      expect(ratingUnit(Service.Data)).to.equal(1_000_000n);
      expect(ratingUnit(Service.IoTAccess)).to.equal(1n);
    });

    it("should reject a number that is not a service", function () {
      expectInvalid(() => ratingUnit(9 as Service), "service");
      expectInvalid(() => ratingUnit(-1 as Service), "service");
      expectInvalid(() => ratingUnit(1.5 as Service), "service");
    });
  });

  describe("when charging a record's volume", function () {
    it("should round up to the increment", function () {
      const cases: [bigint, number, bigint][] = [
        [0n, 60, 0n],
        [1n, 60, 60n],
        [60n, 60, 60n],
        [61n, 60, 120n],
        [61n, 30, 90n],
        [1025n, 1024, 2048n],
        [7n, 1, 7n],
      ];
      for (const [raw, increment, charged] of cases) expect(chargedVolume(raw, increment)).to.equal(charged);
    });

    it("should behave as the library's arithmetic on a zero increment and on overflow", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      expect(chargedVolume(0n, 0)).to.equal(0n);
      expect(await harness.chargedVolume(0, 0)).to.equal(0n);
      expectRatingError(() => chargedVolume(5n, 0), "Panic", [0x12]);
      await expect(harness.chargedVolume(5, 0)).to.be.revertedWithPanic(0x12);
      // 2^256 - 2 is a multiple of 7, so rounding 2^256 - 1 up to a multiple of 7 leaves uint256.
      expectRatingError(() => chargedVolume(U256_MAX, 7), "Panic", [0x11]);
      await expect(harness.chargedVolume(U256_MAX, 7)).to.be.revertedWithPanic(0x11);
      expect(chargedVolume(U256_MAX, 3)).to.equal(U256_MAX);
    });

    it("should reject arguments outside their ABI types", function () {
      expectInvalid(() => chargedVolume(-1n, 60), "rawVolume");
      expectInvalid(() => chargedVolume(U256_MAX + 1n, 60), "rawVolume");
      expectInvalid(() => chargedVolume(1n, 2 ** 32), "increment");
      expectInvalid(() => chargedVolume(1.5, 60), "rawVolume");
    });
  });

  describe("when validating a plan", function () {
    it("should accept a well-formed plan of every kind", function () {
      for (const p of [VOICE, BACK_TO_FIRST_DATA, RATIO_DATA, plan(Service.IoTAccess, PlanKind.Access, [])]) {
        expect(() => validatePlan(p)).not.to.throw();
      }
      const sixteen = Array.from({ length: 16 }, (_, i) => tier(i, "0", "1"));
      expect(() => validatePlan(plan(Service.SmsMO, PlanKind.Threshold, sixteen))).not.to.throw();
    });

    describe("given a zero increment", function () {
      it("should throw Rating_ZeroIncrement before looking at the tiers", function () {
        const bad = plan(Service.Data, PlanKind.Threshold, [tier(5, "0", "1"), tier(5, "0", "1")], [], 0);
        expectRatingError(() => validatePlan(bad), "Rating_ZeroIncrement", [Service.Data]);
      });
    });

    describe("given too many tiers", function () {
      it("should throw Rating_TooManyTiers(service, 17, 16)", function () {
        const tiers = Array.from({ length: 17 }, (_, i) => tier(i * 10, "0", "1"));
        expectRatingError(() => validatePlan(plan(Service.SmsMO, PlanKind.Threshold, tiers)), "Rating_TooManyTiers", [
          Service.SmsMO,
          17,
          16,
        ]);
      });

      it("should check the unbalanced tiers of a Ratio plan too", function () {
        const tiers = Array.from({ length: 17 }, (_, i) => tier(i * 10, "0", "1"));
        const bad = plan(Service.Data, PlanKind.Ratio, [tier(0, "0", "1")], tiers);
        expectRatingError(() => validatePlan(bad), "Rating_TooManyTiers", [Service.Data, 17, 16]);
      });
    });

    describe("given starts that do not strictly ascend", function () {
      it("should throw Rating_TiersNotAscending with the first offending index", function () {
        const equal = plan(Service.VoLTE, PlanKind.Threshold, [
          tier(0, "0", "1"),
          tier(60, "0", "1"),
          tier(60, "0", "1"),
        ]);
        expectRatingError(() => validatePlan(equal), "Rating_TiersNotAscending", [Service.VoLTE, 2]);
        const down = plan(Service.VoLTE, PlanKind.BackToFirst, [tier(60, "0", "1"), tier(0, "0", "1")]);
        expectRatingError(() => validatePlan(down), "Rating_TiersNotAscending", [Service.VoLTE, 1]);
      });

      it("should report the tiers before the unbalanced tiers", function () {
        const bad = plan(
          Service.Data,
          PlanKind.Ratio,
          [tier(10, "0", "1"), tier(10, "0", "1")],
          [tier(10, "0", "1"), tier(0, "0", "1")],
        );
        expectRatingError(() => validatePlan(bad), "Rating_TiersNotAscending", [Service.Data, 1]);
        const unbalanced = plan(
          Service.Data,
          PlanKind.Ratio,
          [tier(0, "0", "1")],
          [tier(10, "0", "1"), tier(0, "0", "1")],
        );
        expectRatingError(() => validatePlan(unbalanced), "Rating_TiersNotAscending", [Service.Data, 1]);
      });
    });

    describe("given unbalanced tiers on the wrong kind of plan", function () {
      it("should throw Rating_UnbalancedTiersMismatch for a Ratio plan without them", function () {
        const bad = plan(Service.Data, PlanKind.Ratio, [tier(0, "0", "1")]);
        expectRatingError(() => validatePlan(bad), "Rating_UnbalancedTiersMismatch", [Service.Data, PlanKind.Ratio]);
      });

      it("should throw Rating_UnbalancedTiersMismatch for another kind with them", function () {
        const bad = plan(Service.SmsMT, PlanKind.Access, [], [tier(0, "0", "1")]);
        expectRatingError(() => validatePlan(bad), "Rating_UnbalancedTiersMismatch", [Service.SmsMT, PlanKind.Access]);
      });
    });

    describe("given fields outside their ABI types", function () {
      it("should throw InvalidArgumentError naming the field, before any library check", function () {
        const withTier = (t: Partial<Record<keyof Tier, unknown>>) =>
          ({
            ...VOICE,
            increment: 0,
            tiers: [tier(0, "0", "1"), { ...tier(1, "0", "1"), ...t }],
          }) as unknown as ServicePlan;
        expectInvalid(() => validatePlan(withTier({ linearPrice: U96_MAX + 1n })), "plan.tiers[1].linearPrice");
        expectInvalid(() => validatePlan(withTier({ fixedPrice: -1n })), "plan.tiers[1].fixedPrice");
        expectInvalid(() => validatePlan(withTier({ start: U64_MAX + 1n })), "plan.tiers[1].start");
        expectInvalid(() => validatePlan(withTier({ start: 1.5 })), "plan.tiers[1].start");
        // A decimal string is an integer input (UintLike); hex and padded text are not.
        expectInvalid(() => validatePlan(withTier({ start: "0x1" })), "plan.tiers[1].start");
        expectInvalid(() => validatePlan(withTier({ start: " 1" })), "plan.tiers[1].start");
        expectInvalid(() => validatePlan({ ...VOICE, increment: 2n ** 32n }), "plan.increment");
        expectInvalid(() => validatePlan({ ...VOICE, service: 9 as Service }), "plan.service");
        expectInvalid(() => validatePlan({ ...VOICE, kind: 4 as PlanKind }), "plan.kind");
        expectInvalid(
          () => validatePlan({ ...VOICE, unbalancedTiers: undefined as unknown as Tier[] }),
          "plan.unbalancedTiers",
        );
      });

      it("should accept the largest values of each type", function () {
        const max = plan(Service.Data, PlanKind.Threshold, [
          { start: U64_MAX, fixedPrice: U96_MAX, linearPrice: U96_MAX },
        ]);
        expect(() => validatePlan({ ...max, increment: 2n ** 32n - 1n })).not.to.throw();
      });
    });
  });

  describe("when validating the plans of a tariff", function () {
    const sms = plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "0", "0.01")]);

    it("should accept strictly ascending services", function () {
      expect(() => validatePlans([VOICE, sms, BACK_TO_FIRST_DATA])).not.to.throw();
      expect(() => validatePlans([])).not.to.throw();
    });

    it("should throw Rating_ServicesNotAscending(i) for a repeated or descending service", function () {
      expectRatingError(() => validatePlans([VOICE, sms, sms]), "Rating_ServicesNotAscending", [2]);
      expectRatingError(() => validatePlans([sms, VOICE]), "Rating_ServicesNotAscending", [1]);
    });

    it("should check plan by plan, the order before each plan's own checks", function () {
      const badSms = { ...sms, increment: 0n };
      expectRatingError(() => validatePlans([VOICE, badSms, VOICE]), "Rating_ZeroIncrement", [Service.SmsMO]);
      expectRatingError(() => validatePlans([sms, { ...VOICE, increment: 0n }]), "Rating_ServicesNotAscending", [1]);
    });

    it("should check every plan's ABI shape first", function () {
      expectInvalid(
        () =>
          validatePlans([
            { ...VOICE, increment: 0n },
            { ...sms, increment: -1n },
          ]),
        "plans[1].increment",
      );
    });

    it("should agree with the contract", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      await expect(harness.validatePlans(toAbiPlans([VOICE, sms, sms])))
        .to.be.revertedWithCustomError(harness, "Rating_ServicesNotAscending")
        .withArgs(2);
      await expect(harness.validatePlans(toAbiPlans([VOICE, sms, BACK_TO_FIRST_DATA]))).not.to.be.reverted;
    });
  });

  describe("when rating a Threshold plan", function () {
    it("should sum every tier the volume reaches (worked example: 80,000,000 base units)", function () {
      // N = 10^6 * (0.05e18 * 60,000 + 10e18 * 60 + 0.04e18 * 30,000) = 4.8e27, D = 6e19: 50 + 10 + 20.
      expect(rate(VOICE, 90_000n, 0n, 6)).to.equal(80_000_000n);
    });

    it("should keep a volume exactly on a threshold in the lower tier, without the next fixed price", function () {
      expect(rate(VOICE, 60_000n, 0n, 6)).to.equal(50_000_000n);
    });

    it("should charge the next tier's fixed price from its first volume unit, rounding once", function () {
      expect(rate(VOICE, 60_001n, 0n, 6)).to.equal(60_000_667n); // 60.000666... half up
    });

    it("should rate zero volume and an empty tier list to zero", function () {
      expect(rate(plan(Service.VoiceMO, PlanKind.Threshold, [tier(0, "5", "1")]), 0n, 0n, 6)).to.equal(0n);
      expect(rate(plan(Service.VoiceMO, PlanKind.Threshold, []), 1_000_000n, 0n, 6)).to.equal(0n);
    });

    it("should price nothing up to a first tier that starts above zero", function () {
      const p = plan(Service.SmsMO, PlanKind.Threshold, [tier(1_000, "0", "0.01")]);
      expect(rate(p, 999n, 0n, 6)).to.equal(0n);
      expect(rate(p, 1_000n, 0n, 6)).to.equal(0n);
      expect(rate(p, 1_500n, 0n, 6)).to.equal(5_000_000n);
    });

    it("should charge a flat fee once the volume is above zero", function () {
      const flat = plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "150", "0")]);
      expect(rate(flat, 0n, 0n, 6)).to.equal(0n);
      expect(rate(flat, 1n, 0n, 6)).to.equal(150_000_000n);
      expect(rate(flat, 12_345n, 0n, 6)).to.equal(150_000_000n);
    });

    it("should price data per MB", function () {
      const data = plan(Service.Data, PlanKind.Threshold, [tier(0, "0", "0.002")], [], 1024);
      expect(rate(data, 3n * GB, 0n, 6)).to.equal(6_000_000n);
    });

    it("should ignore the opposite volume, however large", function () {
      expect(rate(VOICE, 90_000n, U256_MAX, 6)).to.equal(80_000_000n);
    });
  });

  describe("when rating a BackToFirst plan", function () {
    it("should price the whole volume at the highest tier that starts below it", function () {
      expect(rate(BACK_TO_FIRST_DATA, 3n * GB, 0n, 6)).to.equal(150_000_000n); // 3,000 MB * 0.05
    });

    it("should use the lower tier when the volume equals a start", function () {
      expect(rate(BACK_TO_FIRST_DATA, GB, 0n, 6)).to.equal(100_000_000n); // 1,000 MB * 0.10
      expect(rate(BACK_TO_FIRST_DATA, 5n * GB, 0n, 6)).to.equal(250_000_000n); // 5,000 MB * 0.05
    });

    it("should switch tiers one unit above a start, with the tier's fixed price", function () {
      expect(rate(BACK_TO_FIRST_DATA, GB + 1n, 0n, 6)).to.equal(50_000_000n); // 1,000.000001 MB * 0.05
      expect(rate(BACK_TO_FIRST_DATA, 5n * GB + 1n, 0n, 6)).to.equal(125_000_000n); // 25 + 5,000.000001 * 0.02
    });

    it("should rate to zero when no tier starts below the volume", function () {
      const late = plan(Service.Data, PlanKind.BackToFirst, [tier(GB, "7", "1")]);
      expect(rate(late, GB - 1n, 0n, 6)).to.equal(0n);
      expect(rate(late, GB, 0n, 6)).to.equal(0n);
      expect(rate(late, 0n, 0n, 6)).to.equal(0n);
      expect(rate(plan(Service.Data, PlanKind.BackToFirst, []), GB, 0n, 6)).to.equal(0n);
      expect(rate(late, 2n * GB, 0n, 6)).to.equal(2_007_000_000n); // 7 + 2,000 MB * 1
    });
  });

  describe("when rating a Ratio plan", function () {
    it("should price the matched volume balanced and the surplus unbalanced (opposite < volume)", function () {
      expect(rate(RATIO_DATA, 10n * GB, 4n * GB, 6)).to.equal(220_000_000n); // 4,000 * 0.01 + 6,000 * 0.03
    });

    it("should price everything balanced when the opposite volume is equal or larger", function () {
      expect(rate(RATIO_DATA, 4n * GB, 4n * GB, 6)).to.equal(40_000_000n);
      expect(rate(RATIO_DATA, 4n * GB, 9n * GB, 6)).to.equal(40_000_000n);
    });

    it("should price everything unbalanced when the opposite direction carries nothing", function () {
      expect(rate(RATIO_DATA, 4n * GB, 0n, 6)).to.equal(120_000_000n);
    });

    it("should apply each list's fixed prices only when its part is above its starts", function () {
      const p = plan(Service.VoLTE, PlanKind.Ratio, [tier(0, "0", "0.15")], [tier(0, "10", "0.20")]);
      expect(rate(p, 180_000n, 120_000n, 2)).to.equal(51_000n); // 2,000 min * 0.15 + 10 + 1,000 min * 0.20 = 510
      expect(rate(p, 120_000n, 180_000n, 2)).to.equal(30_000n); // no unbalanced part: no fixed price
    });

    it("should throw Rating_VolumeTooLarge for an opposite volume above uint64", function () {
      expectRatingError(() => rate(RATIO_DATA, 1n, U64_MAX + 1n, 6), "Rating_VolumeTooLarge", [
        Service.Data,
        U64_MAX + 1n,
      ]);
    });
  });

  describe("when rating an Access plan", function () {
    it("should price the count of connected devices through the tiers", function () {
      const iot = plan(Service.IoTAccess, PlanKind.Access, [tier(0, "0", "0.5"), tier(500, "0", "0.3")]);
      expect(rate(iot, 1_000n, 0n, 6)).to.equal(400_000_000n); // 500 * 0.5 + 500 * 0.3
      expect(rate(iot, 500n, 0n, 6)).to.equal(250_000_000n);
    });
  });

  describe("when rounding", function () {
    it("should round half up, exactly once", function () {
      expect(rate(smsAt("0.0000005"), 1n, 0n, 6)).to.equal(1n); // 0.5 base units
      expect(rate(smsAt("0.00000049"), 1n, 0n, 6)).to.equal(0n); // 0.49
      expect(rate(smsAt("0.00000049"), 3n, 0n, 6)).to.equal(1n); // 1.47: summed before rounding
      expect(rate(smsAt("0.0000015"), 1n, 0n, 6)).to.equal(2n); // 1.5
    });

    it("should round the sum of all tiers, not each tier", function () {
      // 0.0000004 * 1 + 0.0000004 * 1 (two tiers of 0.4 base units each) = 0.8 -> 1, not 0 + 0.
      const p = plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "0", "0.0000004"), tier(1, "0", "0.0000004")]);
      expect(rate(p, 2n, 0n, 6)).to.equal(1n);
    });

    it("should honour 0 and 18 decimals", function () {
      expect(rate(smsAt("0.5"), 1n, 0n, 0)).to.equal(1n);
      expect(rate(smsAt("0.4"), 1n, 0n, 0)).to.equal(0n);
      expect(rate(smsAt("0.000000000000000001"), 7n, 0n, 18)).to.equal(7n);
    });

    it("should price a second of voice at a sixtieth of the per-minute price", function () {
      const p = plan(Service.VoiceMO, PlanKind.Threshold, [tier(0, "0", "0.06")]);
      expect(rate(p, 1n, 0n, 6)).to.equal(1_000n); // 0.001
      expect(rate(p, 1n, 0n, 2)).to.equal(0n); // 0.1 cent
      expect(rate(p, 5n, 0n, 2)).to.equal(1n); // 0.5 cent -> 1
    });
  });

  describe("when inputs exceed the engine's bounds", function () {
    it("should throw Rating_TooManyDecimals above 18", function () {
      expectRatingError(() => rate(smsAt("1"), 1n, 0n, 19), "Rating_TooManyDecimals", [19]);
      expectRatingError(() => rate(smsAt("1"), 1n, 0n, 255), "Rating_TooManyDecimals", [255]);
    });

    it("should throw Rating_VolumeTooLarge above uint64 and accept uint64's maximum", function () {
      const p = smsAt("0.000001");
      expectRatingError(() => rate(p, U64_MAX + 1n, 0n, 6), "Rating_VolumeTooLarge", [Service.SmsMO, U64_MAX + 1n]);
      expect(rate(p, U64_MAX, 0n, 6)).to.equal(U64_MAX);
    });

    it("should check the volume before the decimals", function () {
      expectRatingError(() => rate(smsAt("1"), U64_MAX + 1n, 0n, 19), "Rating_VolumeTooLarge", [
        Service.SmsMO,
        U64_MAX + 1n,
      ]);
    });

    it("should throw Rating_AmountOverflow(service, amount) above uint128, naming the rounded amount", function () {
      const p = plan(Service.SmsMO, PlanKind.Threshold, [{ start: 0n, fixedPrice: U96_MAX, linearPrice: U96_MAX }]);
      const amount = ((U96_MAX + U96_MAX * U64_MAX) * 10n ** 18n + 10n ** 18n / 2n) / 10n ** 18n;
      expect(amount > U128_MAX).to.equal(true);
      expectRatingError(() => rate(p, U64_MAX, 0n, 18), "Rating_AmountOverflow", [Service.SmsMO, amount]);
    });

    it("should rate near uint64 without overflow when the amount fits uint128", function () {
      const p = plan(Service.Data, PlanKind.Threshold, [tier(0, "0", "1000")]);
      // (2^64 - 1) bytes = 18,446,744,073,709.551615 MB at 1,000 per MB, in 6 decimals.
      expect(rate(p, U64_MAX, 0n, 6)).to.equal(U64_MAX * 1000n);
    });

    it("should reject arguments outside their ABI types", function () {
      expectInvalid(() => rate(VOICE, -1n, 0n, 6), "volume");
      expectInvalid(() => rate(VOICE, 1n, U256_MAX + 1n, 6), "oppositeVolume");
      expectInvalid(() => rate(VOICE, 1n, 0n, 256), "decimals");
      expectInvalid(() => rate(VOICE, 1n, 0n, -1), "decimals");
      expectInvalid(() => rate(VOICE, 0.5, 0n, 6), "volume");
    });
  });

  describe("when rating a plan that validation would reject", function () {
    it("should rate it as the library does, without validating", function () {
      expect(rate({ ...VOICE, increment: 0n }, 90_000n, 0n, 6)).to.equal(80_000_000n);
      const equalStarts = plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "1", "0"), tier(0, "2", "0")]);
      expect(rate(equalStarts, 1n, 0n, 0)).to.equal(3n); // both fixed prices, the first tier is empty
      expect(rate(plan(Service.Data, PlanKind.Ratio, [tier(0, "0", "0.01")]), 2n * GB, GB, 6)).to.equal(10_000_000n);
    });

    it("should throw Panic(0x11) where descending starts underflow, as the library", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      const down = plan(Service.SmsMO, PlanKind.Threshold, [tier(10, "0", "1"), tier(5, "0", "1")]);
      expectRatingError(() => rate(down, 20n, 0n, 6), "Panic", [0x11]);
      await expect(harness.rate(toAbiPlan(down), 20, 0, 6)).to.be.revertedWithPanic(0x11);
      expect(rate(down, 10n, 0n, 6)).to.equal(0n); // not above the first start: no tier is reached
      // The panic comes before the decimals check, as in the library.
      expectRatingError(() => rate(down, 20n, 0n, 19), "Panic", [0x11]);
      await expect(harness.rate(toAbiPlan(down), 20, 0, 19)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("when converting an exact sum to an amount", function () {
    it("should apply the one rounding rule", function () {
      expect(toAmount(Service.SmsMO, 5n * 10n ** 11n, 1n, 6)).to.equal(1n); // exactly half
      expect(toAmount(Service.SmsMO, 5n * 10n ** 11n - 1n, 1n, 6)).to.equal(0n);
      expect(toAmount(Service.VoiceMO, 4_800n * 10n ** 18n, 60n, 6)).to.equal(80_000_000n);
    });

    it("should throw in the library's order: decimals, then arithmetic, then the uint128 bound", function () {
      expectRatingError(() => toAmount(Service.Data, U256_MAX, 0n, 19), "Rating_TooManyDecimals", [19]);
      expectRatingError(() => toAmount(Service.Data, 1n, 0n, 6), "Panic", [0x12]);
      expectRatingError(() => toAmount(Service.Data, U256_MAX, 0n, 6), "Panic", [0x11]);
      expectRatingError(() => toAmount(Service.Data, 1n, U256_MAX, 0), "Panic", [0x11]);
      expectRatingError(() => toAmount(Service.Data, 2n ** 128n * 10n ** 18n, 1n, 0), "Rating_AmountOverflow", [
        Service.Data,
        2n ** 128n,
      ]);
      expect(toAmount(Service.Data, U128_MAX * 10n ** 18n, 1n, 0)).to.equal(U128_MAX);
    });
  });

  describe("when applying a condition", function () {
    const fig = (service: Service, dealValue: bigint, charges = 0n, taxes = 0n): ServiceFigures => ({
      service,
      dealValue,
      charges,
      taxes,
    });
    const figures = [
      fig(Service.VoiceMO, 100n, 150n, 15n),
      fig(Service.SmsMO, 20n, 30n, 3n),
      fig(Service.Data, 300n, 400n, 40n),
    ];
    const cond = (kind: ConditionKind, services: Service[], commitment: bigint, includingTaxes = false): Condition => ({
      kind,
      includingTaxes,
      includedServices: serviceBitmap(services),
      commitment,
    });
    const pairs = (r: ReturnType<typeof applyCondition>) => r.outcomes.map((o) => [o.service, o.value, o.shortfall]);
    const shortfalls = (r: ReturnType<typeof applyCondition>) => r.outcomes.map((o) => o.shortfall);
    const ALL = [Service.VoiceMO, Service.SmsMO, Service.Data];

    describe("given an unconditional deal", function () {
      it("should apply the deal values with no shortfall", function () {
        const r = applyCondition(cond(ConditionKind.Unconditional, ALL, 10_000n), figures);
        expect(r.dealApplies).to.equal(true);
        expect(pairs(r)).to.deep.equal([
          [Service.VoiceMO, 100n, 0n],
          [Service.SmsMO, 20n, 0n],
          [Service.Data, 300n, 0n],
        ]);
      });
    });

    describe("given a contract revenue commitment", function () {
      const included = [Service.VoiceMO, Service.Data];

      it("should apply the deal when the included charges reach the commitment exactly", function () {
        const r = applyCondition(cond(ConditionKind.ContractRevenue, included, 550n), figures); // 150 + 400
        expect(r.dealApplies).to.equal(true);
        expect(r.outcomes.map((o) => o.value)).to.deep.equal([100n, 20n, 300n]);
      });

      it("should leave every service's base charges standing when they fall short", function () {
        const r = applyCondition(cond(ConditionKind.ContractRevenue, included, 551n), figures);
        expect(r.dealApplies).to.equal(false);
        expect(pairs(r)).to.deep.equal([
          [Service.VoiceMO, 150n, 0n],
          [Service.SmsMO, 30n, 0n],
          [Service.Data, 400n, 0n],
        ]);
      });

      it("should count the included taxes only when the commitment includes them", function () {
        expect(applyCondition(cond(ConditionKind.ContractRevenue, included, 605n, true), figures).dealApplies).to.equal(
          true,
        ); // 150 + 15 + 400 + 40
        expect(applyCondition(cond(ConditionKind.ContractRevenue, included, 606n, true), figures).dealApplies).to.equal(
          false,
        );
        expect(
          applyCondition(cond(ConditionKind.ContractRevenue, included, 605n, false), figures).dealApplies,
        ).to.equal(false);
      });
    });

    describe("given a discount revenue commitment (send-or-pay)", function () {
      it("should add no shortfall when the included deal values reach the commitment", function () {
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 420n), figures);
        expect(shortfalls(r)).to.deep.equal([0n, 0n, 0n]);
        expect(r.dealApplies).to.equal(true);
      });

      it("should spread the shortfall in proportion to the deal values, the remainder in service order", function () {
        // S = 10 over (100, 20, 300) of 420: floors (2, 0, 7) = 9, remainder 1 to voice.
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 430n), figures);
        expect(pairs(r)).to.deep.equal([
          [Service.VoiceMO, 103n, 3n],
          [Service.SmsMO, 20n, 0n],
          [Service.Data, 307n, 7n],
        ]);
      });

      it("should split S = 10 as (4, 3, 3) over (1, 1, 1) and over (0, 0, 0)", function () {
        const ones = ALL.map((s) => fig(s, 1n));
        const zeros = ALL.map((s) => fig(s, 0n));
        expect(shortfalls(applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 13n), ones))).to.deep.equal([
          4n,
          3n,
          3n,
        ]);
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 10n), zeros);
        expect(pairs(r)).to.deep.equal([
          [Service.VoiceMO, 4n, 4n],
          [Service.SmsMO, 3n, 3n],
          [Service.Data, 3n, 3n],
        ]);
      });

      it("should split S = 10 over (1, 0, 3) as (3, 0, 7) and over (0, 1, 3) as (1, 2, 7)", function () {
        // floors (2, 0, 7) and (0, 2, 7); the remainder unit goes to the first included service, even at zero value.
        const a = [fig(Service.VoiceMO, 1n), fig(Service.SmsMO, 0n), fig(Service.Data, 3n)];
        expect(shortfalls(applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 14n), a))).to.deep.equal([
          3n,
          0n,
          7n,
        ]);
        const b = [fig(Service.VoiceMO, 0n), fig(Service.SmsMO, 1n), fig(Service.Data, 3n)];
        expect(shortfalls(applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 14n), b))).to.deep.equal([
          1n,
          2n,
          7n,
        ]);
      });

      it("should leave excluded services untouched", function () {
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, [Service.SmsMO], 50n), figures);
        expect(pairs(r)).to.deep.equal([
          [Service.VoiceMO, 100n, 0n],
          [Service.SmsMO, 50n, 30n],
          [Service.Data, 300n, 0n],
        ]);
      });

      it("should add nothing when no listed service is included", function () {
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, [Service.VoLTE], 1_000n), figures);
        expect(shortfalls(r)).to.deep.equal([0n, 0n, 0n]);
      });

      it("should give the remainder in the order of the figures", function () {
        const reversed = [fig(Service.Data, 1n), fig(Service.SmsMO, 1n), fig(Service.VoiceMO, 1n)];
        expect(shortfalls(applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 13n), reversed))).to.deep.equal([
          4n,
          3n,
          3n,
        ]);
      });

      it("should ignore includingTaxes", function () {
        const r = applyCondition(cond(ConditionKind.DiscountRevenue, ALL, 430n, true), figures);
        expect(shortfalls(r)).to.deep.equal([3n, 0n, 7n]);
      });
    });

    describe("given an amount above uint128", function () {
      it("should throw Rating_AmountOverflow(service, largest) for the first offending figure", function () {
        const big = 2n ** 128n;
        const c = cond(ConditionKind.Unconditional, [], 0n);
        for (const f of [fig(Service.Data, big), fig(Service.Data, 0n, big), fig(Service.Data, 0n, 1n, big)]) {
          expectRatingError(
            () => applyCondition(c, [fig(Service.VoiceMO, 1n), f, fig(Service.SmsMO, big + 1n)]),
            "Rating_AmountOverflow",
            [Service.Data, big],
          );
        }
        expectRatingError(
          () => applyCondition(c, [fig(Service.Data, big + 5n, big + 9n, big)]),
          "Rating_AmountOverflow",
          [Service.Data, big + 9n],
        );
      });
    });

    describe("given fields outside their ABI types", function () {
      it("should throw InvalidArgumentError naming the field", function () {
        expectInvalid(() => applyCondition({ ...cond(0, [], 0n), commitment: 2n ** 128n }, []), "condition.commitment");
        expectInvalid(
          () => applyCondition({ ...cond(0, [], 0n), includedServices: 65_536 }, []),
          "condition.includedServices",
        );
        expectInvalid(() => applyCondition({ ...cond(0, [], 0n), kind: 3 as ConditionKind }, []), "condition.kind");
        expectInvalid(
          () => applyCondition({ ...cond(0, [], 0n), includingTaxes: 1 as unknown as boolean }, []),
          "condition.includingTaxes",
        );
        expectInvalid(() => applyCondition(cond(0, [], 0n), [fig(Service.Data, -1n)]), "figures[0].dealValue");
        expectInvalid(() => applyCondition(cond(0, [], 0n), [fig(Service.Data, 0n, 2n ** 256n)]), "figures[0].charges");
        expectInvalid(() => applyCondition(cond(0, [], 0n), [fig(9 as Service, 0n)]), "figures[0].service");
      });
    });

    it("should agree with the contract on these cases", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      const cases: [Condition, ServiceFigures[]][] = [
        [cond(ConditionKind.DiscountRevenue, ALL, 430n), figures],
        [cond(ConditionKind.DiscountRevenue, ALL, 10n), ALL.map((s) => fig(s, 0n))],
        [cond(ConditionKind.DiscountRevenue, ALL, 14n), [fig(0, 0n), fig(2, 1n), fig(4, 3n)]],
        [cond(ConditionKind.ContractRevenue, [Service.VoiceMO, Service.Data], 605n, true), figures],
        [cond(ConditionKind.ContractRevenue, [Service.VoiceMO, Service.Data], 606n, true), figures],
      ];
      for (const [c, f] of cases) {
        const [outcomes, dealApplies] = await harness.applyCondition(toAbiCondition(c), toAbiFigures(f));
        const ours = applyCondition(c, f);
        expect(outcomes.map(fromAbiOutcome)).to.deep.equal(ours.outcomes);
        expect(dealApplies).to.equal(ours.dealApplies);
      }
    });
  });

  describe("when encoding for the contracts", function () {
    it("should give the TypeChain shape: numbers for the enums, bigints otherwise", function () {
      const abi = toAbiPlan(RATIO_DATA);
      expect(abi).to.deep.equal({
        service: 4,
        kind: 2,
        increment: 1024n,
        tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 10n ** 16n }],
        unbalancedTiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 3n * 10n ** 16n }],
      });
      expect(encodePlan).to.equal(toAbiPlan);
      expect(toAbiCondition({ kind: 2, includingTaxes: true, includedServices: 5, commitment: 7n })).to.deep.equal({
        kind: 2,
        includingTaxes: true,
        includedServices: 5,
        commitment: 7n,
      });
    });

    it("should let invalid plans through (for revert tests) but not values the ABI cannot encode", function () {
      expect(toAbiPlan({ ...VOICE, increment: 0n }).increment).to.equal(0n);
      expectInvalid(() => toAbiPlan({ ...VOICE, increment: -1n }), "plan.increment");
      expectInvalid(() => toAbiPlans([VOICE, { ...VOICE, service: 10 as Service }]), "plans[1].service");
    });

    it("should rate the hand-computed cases as the contract does", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      const cases: [ServicePlan, bigint, bigint, number][] = [
        [VOICE, 90_000n, 0n, 6],
        [VOICE, 60_000n, 0n, 6],
        [VOICE, 60_001n, 0n, 6],
        [BACK_TO_FIRST_DATA, 3n * GB, 0n, 6],
        [BACK_TO_FIRST_DATA, GB, 0n, 6],
        [BACK_TO_FIRST_DATA, 5n * GB + 1n, 0n, 6],
        [RATIO_DATA, 10n * GB, 4n * GB, 6],
        [RATIO_DATA, 4n * GB, 9n * GB, 6],
        [smsAt("0.0000005"), 1n, 0n, 6],
        [smsAt("0.00000049"), 3n, 0n, 6],
        [plan(Service.SmsMO, PlanKind.Threshold, [tier(0, "1", "0"), tier(0, "2", "0")]), 1n, 0n, 0],
      ];
      for (const [p, volume, opposite, decimals] of cases) {
        expect(await harness.rate(toAbiPlan(p), volume, opposite, decimals)).to.equal(
          rate(p, volume, opposite, decimals),
        );
      }
    });
  });

  describe("when parsing decimal strings", function () {
    it("should convert prices to wad exactly", function () {
      expect(decimalToWad("0.05")).to.equal(50_000_000_000_000_000n);
      expect(decimalToWad("1")).to.equal(10n ** 18n);
      expect(decimalToWad("0")).to.equal(0n);
      expect(decimalToWad("007.50")).to.equal(75n * 10n ** 17n);
      expect(decimalToWad("0.000000000000000001")).to.equal(1n);
      expect(decimalToWad("79228162514.264337593543950335")).to.equal(U96_MAX);
      expect(decimalToWad("0.1000000000000000000000")).to.equal(10n ** 17n); // zeros past 18 digits change nothing
    });

    it("should reject a value that would need rounding, naming the field", function () {
      const error = expectInvalid(() => decimalToWad("0.0000000000000000001", "linearPrice"), "linearPrice");
      expect(error.message).to.contain("more than 18 fractional digits");
      expectInvalid(() => decimalToWad("1.0000000000000000015"), undefined);
      expectInvalid(() => decimalToUnits("12.3456789", 6, "charges"), "charges");
      expect(decimalToUnits("12.345678", 6)).to.equal(12_345_678n);
      expect(decimalToUnits("12", 0)).to.equal(12n);
    });

    for (const bad of [
      "",
      " 1",
      "1 ",
      "-1",
      "+1",
      "1e-3",
      "1E3",
      "1,5",
      ".5",
      "5.",
      "0x10",
      "1.2.3",
      "NaN",
      "Infinity",
    ]) {
      it(`should reject ${JSON.stringify(bad)}`, function () {
        expectInvalid(() => decimalToWad(bad, "price"), "price");
      });
    }

    it("should reject numbers, which may already be inexact", function () {
      expectInvalid(() => decimalToWad(0.05 as unknown as string, "price"), "price");
    });

    it("should format units back without trailing zeros", function () {
      expect(unitsToDecimal(80_000_000n, 6)).to.equal("80");
      expect(unitsToDecimal(60_000_667n, 6)).to.equal("60.000667");
      expect(unitsToDecimal(1n, 18)).to.equal("0.000000000000000001");
      expect(unitsToDecimal(-1500n, 3)).to.equal("-1.5");
      expect(unitsToDecimal(0n, 0)).to.equal("0");
    });
  });

  describe("when building service bitmaps", function () {
    it("should set bit i for Service(i) and read it back", function () {
      expect(serviceBitmap([Service.VoiceMO, Service.Data])).to.equal(0b10001);
      expect(servicesOf(0b10001 | (1 << 12))).to.deep.equal([Service.VoiceMO, Service.Data]);
      expectInvalid(() => serviceBitmap([Service.Data, 9 as Service]), "services[1]");
    });
  });

  describe("when reporting errors", function () {
    it("should name the error, its arguments and its signature", function () {
      const error = expectRatingError(
        () => validatePlan(plan(Service.VoLTE, PlanKind.Threshold, [tier(5, "0", "1"), tier(5, "0", "1")])),
        "Rating_TiersNotAscending",
        [Service.VoLTE, 1],
      );
      expect(error.message).to.equal("Rating_TiersNotAscending(service: 5 (VoLTE), index: 1)");
      expect(error.signature).to.equal("Rating_TiersNotAscending(uint8,uint256)");
      expect(error.name).to.equal("RatingError");
      expect(isRatingError(error)).to.equal(true);
      expect(isRatingError(error, "Rating_TiersNotAscending")).to.equal(true);
      expect(isRatingError(error, "Rating_ZeroIncrement")).to.equal(false);
    });

    it("should use the contract's selectors", async function () {
      const { harness } = await loadFixture(deployRatingHarness);
      const codes: RatingErrorCode[] = [
        "Rating_ZeroIncrement",
        "Rating_TooManyTiers",
        "Rating_TiersNotAscending",
        "Rating_UnbalancedTiersMismatch",
        "Rating_VolumeTooLarge",
        "Rating_TooManyDecimals",
        "Rating_AmountOverflow",
        "Rating_ServicesNotAscending",
      ];
      for (const code of codes) {
        const ours = new RatingError(code, []).signature;
        expect(harness.interface.getError(code)?.format("sighash")).to.equal(ours);
      }
    });
  });
});
