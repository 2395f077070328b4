import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import path from "node:path";

import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  computeTariffId,
  isBaseTariff,
  parseTariff,
  tariffFromResult,
  tariffToJson,
  type TariffJson,
} from "../../sdk/src/rating/tariff";
import { PlanKind, Service, type Tariff } from "../../sdk/src/rating/types";
import { campaignSize } from "../helpers/campaign";
import { deploySuite } from "../helpers/fixtures";

/**
 * The one tariff shape (`Tariff`, bigints) and its converters (`sdk/src/rating/tariff.ts`, provider-free): JSON in
 * and out, the decoded event, and the content id, which must be the id `RoamingAgreements.publishTariff` gives.
 */

const ID_RUNS = campaignSize("TARIFF_ID_RUNS", 40, 5);
const SAMPLE = path.resolve(__dirname, "../../examples/operator/tariff.json");

const WAD = 10n ** 18n;

/** A valid tariff of every plan kind, values at the edges of their ABI types. */
const EDGES: Tariff = {
  plans: [
    {
      service: Service.VoiceMO,
      kind: PlanKind.Threshold,
      increment: 60n,
      tiers: [
        { start: 0n, fixedPrice: 0n, linearPrice: WAD / 20n },
        { start: 2n ** 64n - 1n, fixedPrice: 2n ** 96n - 1n, linearPrice: 2n ** 96n - 1n },
      ],
      unbalancedTiers: [],
    },
    {
      service: Service.Data,
      kind: PlanKind.BackToFirst,
      increment: 2n ** 32n - 1n,
      tiers: [{ start: 0n, fixedPrice: 1n, linearPrice: 2n }],
      unbalancedTiers: [],
    },
    {
      service: Service.VoLTE,
      kind: PlanKind.Ratio,
      increment: 1n,
      tiers: [{ start: 5n, fixedPrice: 0n, linearPrice: 3n }],
      unbalancedTiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 4n }],
    },
    {
      service: Service.SpectrumMHzHours,
      kind: PlanKind.Access,
      increment: 1n,
      tiers: [],
      unbalancedTiers: [],
    },
  ],
};

function expectInvalid(fn: () => unknown, field: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `an InvalidArgumentError naming ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((thrown as InvalidArgumentError).field).to.equal(field);
}

const uint = (bits: bigint) => fc.bigInt(0n, 2n ** bits - 1n);
const tiers = (minLength: number) =>
  fc
    .uniqueArray(uint(64n), { minLength, maxLength: 16 })
    .chain((starts) =>
      fc
        .array(fc.tuple(uint(96n), uint(96n)), { minLength: starts.length, maxLength: starts.length })
        .map((prices) =>
          [...starts]
            .sort((a, b) => (a < b ? -1 : 1))
            .map((start, i) => ({ start, fixedPrice: prices[i][0], linearPrice: prices[i][1] })),
        ),
    );

/** Random valid tariffs: 1 to 9 plans, services ascending, any kind, 0 to 16 tiers per list. */
const anyTariff: fc.Arbitrary<Tariff> = fc
  .uniqueArray(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 9 })
  .chain((services) =>
    fc.tuple(
      ...[...services]
        .sort((a, b) => a - b)
        .map((service) =>
          fc
            .record({
              kind: fc.integer({ min: 0, max: 3 }),
              increment: fc.bigInt(1n, 2n ** 32n - 1n),
              tiers: tiers(0),
              unbalanced: tiers(1),
            })
            .map(({ kind, increment, tiers: list, unbalanced }) => ({
              service: service as Service,
              kind: kind as PlanKind,
              increment,
              tiers: list,
              unbalancedTiers: kind === PlanKind.Ratio ? unbalanced : [],
            })),
        ),
    ),
  )
  .map((plans) => ({ plans }));

describe("the tariff shape (parseTariff, tariffToJson, tariffFromResult, computeTariffId)", function () {
  describe("parseTariff", function () {
    it("should read numbers, decimal strings and bigints alike into one all-bigint Tariff", function () {
      const loose = {
        plans: [
          {
            service: "4",
            kind: 0,
            increment: "1000",
            tiers: [{ start: 0, fixedPrice: "0", linearPrice: 3_500_000_000_000_000n }],
            unbalancedTiers: [],
          },
        ],
      };
      expect(parseTariff(loose)).to.deep.equal({
        plans: [
          {
            service: Service.Data,
            kind: PlanKind.Threshold,
            increment: 1000n,
            tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 3_500_000_000_000_000n }],
            unbalancedTiers: [],
          },
        ],
      });
    });

    it("should read the sample file of the user guide (examples/operator/tariff.json)", function () {
      const tariff = parseTariff(JSON.parse(readFileSync(SAMPLE, "utf8")));
      expect(tariff.plans.map((p) => p.service)).to.deep.equal([Service.VoiceMO, Service.SmsMO, Service.Data]);
      expect(tariff.plans[0].tiers[0].linearPrice).to.equal(120_000_000_000_000_000n);
      expect(isBaseTariff(tariff)).to.equal(true);
    });

    it("should refuse every tariff the contract refuses, naming the field path", function () {
      const plan = {
        service: 0,
        kind: 0,
        increment: 60,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: 1 }],
        unbalancedTiers: [],
      };
      const tierList = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ start: i, fixedPrice: 0, linearPrice: 1 }));
      const cases: [unknown, string][] = [
        [null, "tariff"],
        ["tariff", "tariff"],
        [{}, "tariff.plans"],
        [{ plans: [] }, "tariff.plans"],
        [{ plans: {} }, "tariff.plans"],
        [{ plans: [null] }, "tariff.plans[0]"],
        [{ plans: [{ ...plan, service: 9 }] }, "tariff.plans[0].service"],
        [{ plans: [{ ...plan, service: -1 }] }, "tariff.plans[0].service"],
        [{ plans: [{ ...plan, service: "VoiceMO" }] }, "tariff.plans[0].service"],
        [{ plans: [plan, { ...plan, service: 0 }] }, "tariff.plans[1].service"],
        [
          {
            plans: [
              { ...plan, service: 4 },
              { ...plan, service: 2 },
            ],
          },
          "tariff.plans[1].service",
        ],
        [{ plans: [{ ...plan, kind: 4 }] }, "tariff.plans[0].kind"],
        [{ plans: [{ ...plan, increment: 0 }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: 2 ** 32 }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: 1.5 }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: "0x3c" }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: "6e1" }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, increment: undefined }] }, "tariff.plans[0].increment"],
        [{ plans: [{ ...plan, tiers: undefined }] }, "tariff.plans[0].tiers"],
        [{ plans: [{ ...plan, tiers: tierList(17) }] }, "tariff.plans[0].tiers"],
        [{ plans: [{ ...plan, tiers: [1] }] }, "tariff.plans[0].tiers[0]"],
        [
          { plans: [{ ...plan, tiers: [...tierList(2), { start: 1, fixedPrice: 0, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[2].start",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: 2n ** 64n, fixedPrice: 0, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[0].start",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: 0, fixedPrice: 2n ** 96n, linearPrice: 0 }] }] },
          "tariff.plans[0].tiers[0].fixedPrice",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: 0, fixedPrice: 0, linearPrice: 2 ** 53 }] }] },
          "tariff.plans[0].tiers[0].linearPrice",
        ],
        [
          { plans: [{ ...plan, tiers: [{ start: 0, fixedPrice: 0, linearPrice: "0.05" }] }] },
          "tariff.plans[0].tiers[0].linearPrice",
        ],
        [{ plans: [{ ...plan, kind: PlanKind.Ratio }] }, "tariff.plans[0].unbalancedTiers"],
        [{ plans: [{ ...plan, unbalancedTiers: tierList(1) }] }, "tariff.plans[0].unbalancedTiers"],
        [
          { plans: [{ ...plan, kind: PlanKind.Ratio, unbalancedTiers: tierList(17) }] },
          "tariff.plans[0].unbalancedTiers",
        ],
        [
          {
            plans: [
              { ...plan, kind: PlanKind.Ratio, unbalancedTiers: [{ start: "x", fixedPrice: 0, linearPrice: 0 }] },
            ],
          },
          "tariff.plans[0].unbalancedTiers[0].start",
        ],
      ];
      for (const [input, field] of cases) {
        expectInvalid(() => parseTariff(input), field);
        expectInvalid(() => computeTariffId(input as Tariff), field);
      }
      expectInvalid(() => parseTariff({ plans: [] }, "baseTariffs[1]"), "baseTariffs[1].plans");
    });
  });

  describe("tariffToJson", function () {
    it("should write the file format: enums as numbers, every other integer as a decimal string", function () {
      const json: TariffJson = tariffToJson(EDGES);
      expect(json.plans[0]).to.deep.equal({
        service: 0,
        kind: 0,
        increment: "60",
        tiers: [
          { start: "0", fixedPrice: "0", linearPrice: "50000000000000000" },
          { start: String(2n ** 64n - 1n), fixedPrice: String(2n ** 96n - 1n), linearPrice: String(2n ** 96n - 1n) },
        ],
        unbalancedTiers: [],
      });
      // JSON-safe: JSON.stringify needs no bigint replacer.
      expect(() => JSON.stringify(json)).to.not.throw();
    });

    it("should round-trip parse -> tariffToJson -> JSON text -> parse, for random tariffs", function () {
      fc.assert(
        fc.property(anyTariff, (tariff) => {
          const again = parseTariff(JSON.parse(JSON.stringify(tariffToJson(tariff))));
          expect(again).to.deep.equal(tariff);
          expect(computeTariffId(again)).to.equal(computeTariffId(tariff));
        }),
        { numRuns: 50 },
      );
    });

    it("should refuse to write a tariff that is not valid", function () {
      expectInvalid(() => tariffToJson({ plans: [] }), "tariff.plans");
    });
  });

  describe("computeTariffId and tariffFromResult against the contract", function () {
    it(`should equal the id publishTariff gives, for the edge tariff and ${ID_RUNS} random tariffs`, async function () {
      const { agreements, accounts } = await loadFixture(deploySuite);
      const samples = [EDGES, ...fc.sample(anyTariff, { numRuns: ID_RUNS, seed: 42 })];
      for (const tariff of samples) {
        const id = computeTariffId(tariff);
        expect(await agreements.tariffIdOf(tariff)).to.equal(id);
        expect(await agreements.connect(accounts.dave).publishTariff.staticCall(tariff)).to.equal(id);
      }
      // Published for real: the event's id is the pure id, and the event's tariff reads back as the same Tariff.
      const receipt = await (await agreements.connect(accounts.dave).publishTariff(EDGES)).wait();
      const [event] = await agreements.queryFilter(agreements.filters.TariffPublished(), receipt!.blockNumber);
      expect(event.args.tariffId).to.equal(computeTariffId(EDGES));
      const read = tariffFromResult(event.args.tariff);
      expect(read).to.deep.equal(EDGES);
      expect(computeTariffId(read)).to.equal(event.args.tariffId);
    });

    it("should give different ids to tariffs that differ by one wei", function () {
      const cheaper = parseTariff(tariffToJson(EDGES));
      cheaper.plans[0].tiers[0] = { ...cheaper.plans[0].tiers[0], linearPrice: WAD / 20n - 1n };
      expect(computeTariffId(cheaper)).to.not.equal(computeTariffId(EDGES));
    });
  });
});
