import { expect } from "chai";

import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  BWRP_SERVICES,
  bwrpDiscountToEngine,
  bwrpServiceOf,
  normalizeBwrpName,
  PlanKind,
  rate,
  rateBwrpAgreement,
  rateBwrpRequest,
  RatingError,
  Service,
  stringifyBwrpResult,
  type BwrpAgreement,
  type BwrpOptions,
  type BwrpPartyResult,
  type RatingErrorCode,
} from "../../sdk/src/rating";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

// A two-party agreement in the gsma-bwr-roaming-v1 model (as the BWRP common adapter writes it), EUR, and a usage
// report from DTAG's side: "outbound" holds DTAG's subscribers abroad, "inbound" T-Mobile US's visitors.
//
// DTAG pays (home DEUD1/DEUD2 on USAW6/USAW7), send-or-pay commitment of 500 EUR:
//   MOC Local   tiered: 0.05/min, from 1,000 min 10 + 0.04/min  1,500 min  -> 50 + 10 + 20     =  80.00 (included)
//   SMSMO       linear 0.01/SMS                                 20,000 SMS -> 200.00                  (included)
//   GPRS        back to first: 0.10/MB, from 1,000 MB 0.05,    3,000 MB   -> 3,000 * 0.05     = 150.00 (included)
//               from 5,000 MB 25 + 0.02/MB
//   MTC         linear 0.01/min                                 100 min    ->   1.00                  (not included)
//   Included deal value 430.00 < 500.00: shortfall 70.00 spread 80 : 200 : 150 over voiceMO, smsMO, data.
//
// TMUS pays (home USAW6/USAW7 on DEUD1/DEUD2), contract revenue commitment of 1,000 EUR including taxes:
//   VoLTE       balanced 0.02/min, unbalanced 0.06/min          5,000 min against DTAG's 2,000 min
//                                                              -> 2,000 * 0.02 + 3,000 * 0.06   = 220.00 (included)
//   SMSMO       flat 150                                        12,345 SMS -> 150.00                   (included)
//   NB-IoT      access, tiered 0.50/IMSI, from 500 IMSI 0.30   800 IMSI   -> 250 + 90         = 340.00 (not included)
//   GPRS        linear 0.004/MB                                 25,000.5 MB -> 100.002                (included)
//   Included charges + taxes: 476 + 357 + 297.5 = 1,130.5 >= 1,000: the deal applies.

const DTAG_NETWORKS = ["DEUD1", "DEUD2"];
const TMUS_NETWORKS = ["USAW6", "USAW7"];

function agreementFixture() {
  return {
    version: "gsma-bwr-roaming-v1",
    metadata: { name: "DTAG - TMUS discount 2025", authors: "Roaming team" },
    framework: {
      contractParties: ["DTAG", "TMUS"],
      term: { start: "2025-01-01T00:00:00.000Z", end: "2025-12-31T23:59:59.000Z" },
      payment: { taxesIncluded: false },
      partyInformation: {
        DTAG: { contractCurrency: "EUR", defaultTadigCodes: DTAG_NETWORKS },
        TMUS: { contractCurrency: "EUR", defaultTadigCodes: TMUS_NETWORKS },
      },
    },
    discounts: {
      DTAG: {
        condition: {
          kind: "Deal Revenue Commitment",
          commitment: { value: "500", currency: "EUR", includingTaxes: false },
        },
        serviceGroups: [
          {
            homeTadigs: DTAG_NETWORKS,
            visitorTadigs: TMUS_NETWORKS,
            services: [
              {
                service: "MOC Local",
                includedInCommitment: true,
                usagePricing: {
                  unit: "Min",
                  ratingPlan: {
                    kind: "Tiered with Thresholds",
                    rate: {
                      thresholds: [
                        { start: "0", fixedPrice: 0, linearPrice: "0.05" },
                        { start: "1000", fixedPrice: "10", linearPrice: "0.04" },
                      ],
                    },
                  },
                },
              },
              {
                service: "SMSMO",
                includedInCommitment: true,
                usagePricing: { unit: "SMS", ratingPlan: { kind: "Linear rate", rate: { linearPrice: "0.01" } } },
              },
              {
                service: "GPRS",
                includedInCommitment: true,
                usagePricing: {
                  unit: "MB",
                  ratingPlan: {
                    kind: "Threshold - back to first",
                    rate: {
                      thresholds: [
                        { start: "0", linearPrice: "0.10" },
                        { start: "1000", linearPrice: "0.05" },
                        { start: "5000", fixedPrice: "25", linearPrice: "0.02" },
                      ],
                    },
                  },
                },
              },
              {
                service: "MTC",
                includedInCommitment: false,
                usagePricing: { unit: "Min", ratingPlan: { kind: "Linear rate", rate: { linearPrice: "0.01" } } },
              },
            ],
          },
        ],
      },
      TMUS: {
        condition: {
          kind: "Contract Revenue Commitment",
          commitment: { value: "1000", currency: "EUR", includingTaxes: true },
        },
        serviceGroups: [
          {
            homeTadigs: TMUS_NETWORKS,
            visitorTadigs: DTAG_NETWORKS,
            services: [
              {
                service: "VoLTE",
                includedInCommitment: true,
                usagePricing: {
                  unit: "min",
                  ratingPlan: {
                    kind: "Balanced/Unbalanced (Linear rate)",
                    balancedRate: { linearPrice: "0.02" },
                    unbalancedRate: { linearPrice: "0.06" },
                  },
                },
              },
              {
                service: "SMSMO",
                includedInCommitment: true,
                usagePricing: { unit: "SMS", ratingPlan: { kind: "Flat rate", rate: { fixedPrice: "150" } } },
              },
              {
                service: "NB-IoT",
                includedInCommitment: false,
                accessPricing: {
                  unit: "IMSI",
                  ratingPlan: {
                    kind: "Tiered with Thresholds",
                    rate: {
                      thresholds: [
                        { start: "0", linearPrice: "0.50" },
                        { start: "500", linearPrice: "0.30" },
                      ],
                    },
                  },
                },
              },
              {
                service: "GPRS",
                includedInCommitment: true,
                usagePricing: { unit: "MB", ratingPlan: { kind: "Linear rate", rate: { linearPrice: "0.004" } } },
              },
            ],
          },
        ],
      },
    },
  };
}

const rec = (
  homeTadig: string,
  visitorTadig: string,
  service: string,
  usage: string,
  units: string,
  charges: string,
  taxes = "0",
) => ({ yearMonth: "202503", homeTadig, visitorTadig, service, usage, units, charges, taxes, currency: "EUR" });

function usageFixture() {
  return {
    inbound: [
      rec("USAW6", "DEUD1", "VoLTE", "3000", "min", "250", "47.5"),
      rec("USAW7", "DEUD2", "VoLTE", "2000", "min", "150", "28.5"),
      rec("USAW6", "DEUD1", "SMSMO", "12345", "SMS", "300", "57"),
      rec("USAW6", "DEUD1", "NB-IoT", "800", "IMSI", "400"),
      rec("USAW7", "DEUD2", "GPRS", "25000.5", "MB", "250", "47.5"),
    ],
    outbound: [
      rec("DEUD1", "USAW6", "MOC Local", "1000.5", "min", "120.06"),
      rec("DEUD2", "USAW7", "MOC Local", "499.5", "min", "59.94"),
      rec("DEUD1", "USAW6", "SMS MO", "20000", "SMS", "400"),
      rec("DEUD1", "USAW6", "GPRS", "1200.5", "MB", "60.025"),
      rec("DEUD2", "USAW6", "GPRS", "1799.5", "MB", "89.975"),
      rec("DEUD1", "USAW7", "MTC", "100", "min", "5"),
      rec("DEUD1", "USAW6", "VoLTE", "2000", "min", "120"), // priced by nobody for DTAG: TMUS's opposite volume
      rec("DEUD1", "FRAF1", "SMS MO", "999", "SMS", "9.99"), // another partner's network: ignored
      rec("DEUD1", "USAW6", "ViLTE", "0.5", "min", "1"), // a service the agreement does not price: ignored
    ],
  };
}

const OPTIONS: BwrpOptions = { decimals: 6 };

/** Sets `value` at `path` inside a JSON fixture (for the error cases). */
function set(target: object, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

const DTAG_SERVICES = ["discounts", "DTAG", "serviceGroups", 0, "services"];
const TMUS_SERVICES = ["discounts", "TMUS", "serviceGroups", 0, "services"];

function party(result: ReturnType<typeof rateBwrpAgreement>, name: string): BwrpPartyResult {
  const found = result.parties.find((p) => p.party === name);
  expect(found, name).not.to.equal(undefined);
  return found as BwrpPartyResult;
}

/** service key -> [dealValue, shortfall, value] */
function table(p: BwrpPartyResult): Record<string, [string, string, string]> {
  return Object.fromEntries(p.services.map((s) => [s.service, [s.dealValue, s.shortfall, s.value]]));
}

function expectInvalid(fn: () => unknown, field: string): InvalidArgumentError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected an InvalidArgumentError for ${field}`).to.be.instanceOf(InvalidArgumentError);
  const error = thrown as InvalidArgumentError;
  expect(error.field).to.equal(field);
  return error;
}

function expectRatingError(fn: () => unknown, code: RatingErrorCode, args: (bigint | number)[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).to.be.instanceOf(RatingError);
  expect((thrown as RatingError).code).to.equal(code);
  expect((thrown as RatingError).args).to.deep.equal(args.map(BigInt));
}

/*//////////////////////////////////////////////////////////////////////////
                                    TESTS
//////////////////////////////////////////////////////////////////////////*/

describe("bwrp (GSMA BWRP JSON adapter)", function () {
  describe("when rating the fixture agreement", function () {
    const result = rateBwrpAgreement(agreementFixture(), usageFixture(), OPTIONS);

    it("should return one result per party, in the order of the discounts", function () {
      expect(result.decimals).to.equal(6);
      expect(result.parties.map((p) => p.party)).to.deep.equal(["DTAG", "TMUS"]);
      expect(party(result, "DTAG").direction).to.equal("outbound");
      expect(party(result, "TMUS").direction).to.equal("inbound");
    });

    describe("given DTAG's send-or-pay commitment of 500 EUR", function () {
      const dtag = party(result, "DTAG");

      it("should rate each service with its plan kind (threshold, back to first, linear)", function () {
        expect(dtag.services.map((s) => [s.service, s.bwrpService, s.kind])).to.deep.equal([
          ["voiceMO", "MOC Local", "Threshold"],
          ["voiceMT", "MTC", "Threshold"],
          ["smsMO", "SMSMO", "Threshold"],
          ["data", "GPRS", "BackToFirst"],
        ]);
        expect(dtag.services.map((s) => s.volume)).to.deep.equal(["90000", "6000", "20000", "3000000000"]);
        expect(dtag.services.map((s) => s.dealValue)).to.deep.equal(["80000000", "1000000", "200000000", "150000000"]);
      });

      it("should spread the 70 EUR shortfall 80 : 200 : 150 over the included services", function () {
        // floor(70e6 * 80/430) = 13,023,255, floor(70e6 * 200/430) = 32,558,139, floor(70e6 * 150/430) = 24,418,604;
        // 69,999,998 distributed, the 2 left go to voiceMO and smsMO.
        expect(table(dtag)).to.deep.equal({
          voiceMO: ["80000000", "13023256", "93023256"],
          voiceMT: ["1000000", "0", "1000000"],
          smsMO: ["200000000", "32558140", "232558140"],
          data: ["150000000", "24418604", "174418604"],
        });
        expect(dtag.dealValue).to.equal("431000000");
        expect(dtag.shortfall).to.equal("70000000");
        expect(dtag.value).to.equal("501000000");
        expect(dtag.dealApplies).to.equal(true);
        expect(dtag.commitmentReached).to.equal(false);
        expect(dtag.condition).to.deep.equal({
          kind: "DiscountRevenue",
          commitment: "500000000",
          includingTaxes: false,
          includedServices: ["voiceMO", "smsMO", "data"],
        });
      });

      it("should report the aggregated charges exactly", function () {
        expect(dtag.services.map((s) => s.charges)).to.deep.equal(["180000000", "5000000", "400000000", "150000000"]);
        expect(dtag.services[0].exact.charges).to.equal(180_000_000n);
      });
    });

    describe("given TMUS's contract revenue commitment of 1,000 EUR with taxes", function () {
      const tmus = party(result, "TMUS");

      it("should rate balanced/unbalanced against DTAG's traffic, access per device and a flat rate", function () {
        expect(tmus.services.map((s) => [s.service, s.bwrpService, s.kind, s.volume, s.oppositeVolume])).to.deep.equal([
          ["smsMO", "SMSMO", "Threshold", "12345", "0"],
          ["data", "GPRS", "Threshold", "25000500000", "0"],
          ["volte", "VoLTE", "Ratio", "300000", "120000"],
          ["iotAccess", "NB-IoT", "Access", "800", "0"],
        ]);
        expect(table(tmus)).to.deep.equal({
          smsMO: ["150000000", "0", "150000000"],
          data: ["100002000", "0", "100002000"],
          volte: ["220000000", "0", "220000000"],
          iotAccess: ["340000000", "0", "340000000"],
        });
        expect(tmus.dealValue).to.equal("810002000");
        expect(tmus.dealApplies).to.equal(true);
        expect(tmus.commitmentReached).to.equal(true);
      });

      it("should leave the base charges standing when the commitment is not reached", function () {
        const agreement = agreementFixture();
        set(agreement, ["discounts", "TMUS", "condition", "commitment", "value"], "1200");
        const r = party(rateBwrpAgreement(agreement, usageFixture(), OPTIONS), "TMUS");
        expect(r.dealApplies).to.equal(false);
        expect(r.commitmentReached).to.equal(false);
        expect(r.services.map((s) => s.value)).to.deep.equal(["300000000", "250000000", "400000000", "400000000"]);
        expect(r.value).to.equal("1350000000");
        expect(r.shortfall).to.equal("0");
      });

      it("should count the taxes only when the commitment includes them", function () {
        const agreement = agreementFixture();
        set(agreement, ["discounts", "TMUS", "condition", "commitment", "includingTaxes"], false);
        const r = party(rateBwrpAgreement(agreement, usageFixture(), OPTIONS), "TMUS"); // 950 < 1,000
        expect(r.dealApplies).to.equal(false);
      });
    });

    it("should hand back the engine's own inputs and outputs, which rate the same", function () {
      const dtag = party(result, "DTAG");
      expect(dtag.engine.plans.map((p) => p.service)).to.deep.equal([
        Service.VoiceMO,
        Service.VoiceMT,
        Service.SmsMO,
        Service.Data,
      ]);
      const voice = dtag.engine.plans[0];
      expect(voice).to.deep.equal({
        service: Service.VoiceMO,
        kind: PlanKind.Threshold,
        increment: 1n,
        tiers: [
          { start: 0n, fixedPrice: 0n, linearPrice: 5n * 10n ** 16n },
          { start: 60_000n, fixedPrice: 10n * 10n ** 18n, linearPrice: 4n * 10n ** 16n },
        ],
        unbalancedTiers: [],
      });
      expect(rate(voice, 90_000n, 0n, 6)).to.equal(80_000_000n); // the worked example of ARCHITECTURE.md
      expect(dtag.engine.condition).to.deep.equal({
        kind: 2,
        includingTaxes: false,
        commitment: 500_000_000n,
        includedServices: 0b10101,
      });
      expect(dtag.engine.outcomes.map((o) => o.shortfall)).to.deep.equal([13_023_256n, 0n, 32_558_140n, 24_418_604n]);
    });

    it("should serialise to JSON with bigints as decimal strings", function () {
      const json = JSON.parse(stringifyBwrpResult(result)) as { parties: { services: { exact: unknown }[] }[] };
      expect(json.parties[0].services[0].exact).to.deep.equal({
        volume: "90000",
        oppositeVolume: "0",
        dealValue: "80000000",
        charges: "180000000",
        taxes: "0",
        value: "93023256",
        shortfall: "13023256",
      });
    });
  });

  describe("when the options vary", function () {
    it("should express money in the token's decimals", function () {
      const dtag = party(rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals: 18 }), "DTAG");
      expect(dtag.services[0].dealValue).to.equal((80n * 10n ** 18n).toString());
      expect(dtag.services[0].charges).to.equal((180n * 10n ** 18n).toString());
      // One decimal: TMUS's GPRS deal value of 100.002 rounds to 100.0 (DTAG's charges, in cents, are left out).
      const tenths = party(
        rateBwrpAgreement(agreementFixture(), { inbound: usageFixture().inbound }, { decimals: 1 }),
        "TMUS",
      );
      expect(tenths.services.find((s) => s.service === "data")?.dealValue).to.equal("1000");
    });

    it("should put the requested increments in the plans", function () {
      const dtag = party(
        rateBwrpAgreement(agreementFixture(), usageFixture(), {
          decimals: 6,
          increments: { voiceMO: 60, data: 1024n },
        }),
        "DTAG",
      );
      expect(dtag.engine.plans.map((p) => p.increment)).to.deep.equal([60n, 1n, 1n, 1024n]);
      expectInvalid(
        () => rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals: 6, increments: { voiceMO: 0 } }),
        "options.increments.voiceMO",
      );
    });

    it("should check the currency when asked to", function () {
      expect(() =>
        rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals: 6, currency: "EUR" }),
      ).not.to.throw();
      expectInvalid(
        () => rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals: 6, currency: "USD" }),
        "discounts.DTAG.condition.commitment.currency",
      );
    });

    it("should reject decimals the engine does not take", function () {
      for (const decimals of [19, -1, 1.5]) {
        expectInvalid(() => rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals }), "options.decimals");
      }
    });
  });

  describe("when a party has no usage", function () {
    it("should spread a send-or-pay commitment equally over the included services", function () {
      const usage = usageFixture();
      const r = party(rateBwrpAgreement(agreementFixture(), { inbound: usage.inbound }, OPTIONS), "DTAG");
      expect(r.direction).to.equal(null);
      // 500,000,000 / 3 = 166,666,666 each, remainder 2 to voiceMO and smsMO.
      expect(table(r)).to.deep.equal({
        voiceMO: ["0", "166666667", "166666667"],
        voiceMT: ["0", "0", "0"],
        smsMO: ["0", "166666667", "166666667"],
        data: ["0", "166666666", "166666666"],
      });
    });
  });

  describe("when given a calculation-service request", function () {
    it("should rate its discounts on its usage", function () {
      const { discounts } = agreementFixture();
      const r = rateBwrpRequest({ discounts, usage: usageFixture() }, OPTIONS);
      expect(r.parties.map((p) => p.value)).to.deep.equal(["501000000", "810002000"]);
    });

    it("should reproduce the calculation service's exact tiered result (1,500 at 5 + 1,500 at 3)", function () {
      const r = rateBwrpRequest(
        {
          discounts: {
            A: {
              condition: { kind: "Unconditional" },
              serviceGroups: [
                {
                  homeTadigs: ["AAAA1"],
                  visitorTadigs: ["BBBB1"],
                  services: [
                    {
                      service: "SMSMO",
                      usagePricing: {
                        ratingPlan: {
                          rate: {
                            thresholds: [
                              { start: "0", linearPrice: "5" },
                              { start: "1500", linearPrice: "3" },
                            ],
                          },
                        },
                      },
                    },
                  ],
                },
              ],
            },
          },
          usage: { inbound: [{ service: "SMSMO", usage: "3000", homeTadig: "AAAA1", visitorTadig: "BBBB1" }] },
        },
        { decimals: 0 },
      );
      expect(r.parties[0].services[0].dealValue).to.equal("12000");
    });
  });

  describe("when mapping service names", function () {
    it("should map the BWRP names to RoamLedger services, ignoring case, spaces, '-' and '_'", function () {
      expect(bwrpServiceOf("MOC Back Home")).to.equal(Service.VoiceMO);
      expect(bwrpServiceOf("SMS MO")).to.equal(Service.SmsMO);
      expect(bwrpServiceOf("smsmo")).to.equal(Service.SmsMO);
      expect(bwrpServiceOf("SMS_MT")).to.equal(Service.SmsMT);
      expect(bwrpServiceOf("NB-IOT")).to.equal(Service.IoTAccess);
      expect(bwrpServiceOf("VOLTE")).to.equal(Service.VoLTE);
      expect(bwrpServiceOf("spectrumMHzHours")).to.equal(Service.SpectrumMHzHours);
      expect(bwrpServiceOf("ViLTE")).to.equal(undefined);
      expect(bwrpServiceOf("ViLTE", { vilte: "sliceHours" })).to.equal(Service.SliceHours);
      expect(bwrpServiceOf("MOC EU", { "MOC EU": null })).to.equal(null);
      expect(normalizeBwrpName("MOC Back-Home")).to.equal("MOCBACKHOME");
      expect(Object.keys(BWRP_SERVICES)).to.include.members(["MOC Local", "MTC", "GPRS", "NB-IoT", "VoLTE"]);
    });

    it("should reject two BWRP services of one party that map to one RoamLedger service", function () {
      const agreement = agreementFixture();
      const services = agreement.discounts.DTAG.serviceGroups[0].services as unknown[];
      services.push({
        service: "MOC Back Home",
        usagePricing: { ratingPlan: { kind: "Linear rate", rate: { linearPrice: "0.20" } } },
      });
      const error = expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[4].service",
      );
      expect(error.message).to.contain("discounts.DTAG.serviceGroups[0].services[0]");
      // Leaving it unrated, or mapping it elsewhere, is the caller's choice.
      const unrated = rateBwrpAgreement(agreement, usageFixture(), {
        ...OPTIONS,
        serviceNames: { "MOC Back Home": null },
      });
      expect(party(unrated, "DTAG").dealValue).to.equal("431000000");
    });

    it("should reject a service RoamLedger does not rate, unless mapped", function () {
      const agreement = agreementFixture();
      set(agreement, [...TMUS_SERVICES, 1, "service"], "ViLTE");
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.TMUS.serviceGroups[0].services[1].service",
      );
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), { ...OPTIONS, serviceNames: { ViLTE: "nope" as "data" } }),
        'options.serviceNames["ViLTE"]',
      );
    });

    it("should reject access pricing on a service that is not IoT access", function () {
      const agreement = agreementFixture();
      set(agreement, [...TMUS_SERVICES, 1, "accessPricing"], {
        ratingPlan: { rate: { linearPrice: "1" } },
      });
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.TMUS.serviceGroups[0].services[1].accessPricing",
      );
    });

    it("should reject an IoT service priced both per device and per MB", function () {
      const agreement = agreementFixture();
      set(agreement, [...TMUS_SERVICES, 2, "usagePricing"], { unit: "MB", ratingPlan: { rate: { linearPrice: "1" } } });
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.TMUS.serviceGroups[0].services[2].usagePricing",
      );
    });
  });

  describe("when a value cannot be converted exactly", function () {
    const GPRS_RATE = [...DTAG_SERVICES, 2, "usagePricing", "ratingPlan", "rate"];

    it("should reject a volume that is not a whole number of volume units, naming the record", function () {
      const usage = usageFixture();
      set(usage, ["outbound", 2, "usage"], "20000.5"); // half an SMS
      expectInvalid(() => rateBwrpAgreement(agreementFixture(), usage, OPTIONS), "usage.outbound[2].usage");
      const voice = usageFixture();
      set(voice, ["outbound", 0, "usage"], "2149.896"); // 128,993.76 s
      const error = expectInvalid(
        () => rateBwrpAgreement(agreementFixture(), voice, OPTIONS),
        "usage.outbound[0].usage",
      );
      expect(error.message).to.contain("not a whole number of s (60 per rating unit of voiceMO)");
    });

    it("should accept minutes that are whole seconds", function () {
      const usage = usageFixture();
      set(usage, ["outbound", 0, "usage"], "1000.55"); // 60,033 s
      set(usage, ["outbound", 1, "usage"], "499.45"); // 29,967 s
      expect(party(rateBwrpAgreement(agreementFixture(), usage, OPTIONS), "DTAG").services[0].volume).to.equal("90000");
    });

    it("should reject a threshold that is not whole in volume units", function () {
      const agreement = agreementFixture();
      set(agreement, [...DTAG_SERVICES, 0, "usagePricing", "ratingPlan", "rate", "thresholds", 1, "start"], "1000.001");
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[0].usagePricing.ratingPlan.rate.thresholds[1].start",
      );
    });

    it("should reject a price finer than 10^-18 or above uint96, naming the field", function () {
      const fine = agreementFixture();
      set(fine, [...DTAG_SERVICES, 1, "usagePricing", "ratingPlan", "rate", "linearPrice"], "0.0000000000000000001");
      expectInvalid(
        () => rateBwrpAgreement(fine, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[1].usagePricing.ratingPlan.rate.linearPrice",
      );
      const huge = agreementFixture();
      set(huge, [...GPRS_RATE, "thresholds", 2, "fixedPrice"], "79228162515");
      expectInvalid(
        () => rateBwrpAgreement(huge, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[2].usagePricing.ratingPlan.rate.thresholds[2].fixedPrice",
      );
    });

    it("should reject fractional JSON numbers, which are already inexact", function () {
      const agreement = agreementFixture();
      set(agreement, [...DTAG_SERVICES, 1, "usagePricing", "ratingPlan", "rate", "linearPrice"], 0.01);
      const error = expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[1].usagePricing.ratingPlan.rate.linearPrice",
      );
      expect(error.message).to.contain("give decimals as strings");
    });

    it("should reject money finer than the token's decimals", function () {
      expectInvalid(
        () => rateBwrpAgreement(agreementFixture(), usageFixture(), { decimals: 2 }),
        "usage.outbound[3].charges",
      );
    });
  });

  describe("when the plans are invalid for the engine", function () {
    it("should throw the contract's Rating_TiersNotAscending", function () {
      const agreement = agreementFixture();
      set(agreement, [...DTAG_SERVICES, 2, "usagePricing", "ratingPlan", "rate", "thresholds", 2, "start"], "1000");
      expectRatingError(() => rateBwrpAgreement(agreement, usageFixture(), OPTIONS), "Rating_TiersNotAscending", [
        Service.Data,
        2,
      ]);
    });

    it("should throw Rating_UnbalancedTiersMismatch for balanced/unbalanced without unbalanced rate", function () {
      const agreement = agreementFixture();
      set(agreement, [...TMUS_SERVICES, 0, "usagePricing", "ratingPlan", "unbalancedRate"], undefined);
      expectRatingError(() => rateBwrpAgreement(agreement, usageFixture(), OPTIONS), "Rating_UnbalancedTiersMismatch", [
        Service.VoLTE,
        PlanKind.Ratio,
      ]);
    });

    it("should throw the contract's Rating_VolumeTooLarge above uint64 volume units", function () {
      const usage = usageFixture();
      set(usage, ["outbound", 3, "usage"], "20000000000000"); // 2 * 10^19 bytes
      expectRatingError(() => rateBwrpAgreement(agreementFixture(), usage, OPTIONS), "Rating_VolumeTooLarge", [
        Service.Data,
        20_000_000_001_799_500_000n,
      ]);
    });
  });

  describe("when the agreement or usage is malformed", function () {
    it("should reject an unknown plan kind, condition or document version", function () {
      const kind = agreementFixture();
      set(kind, [...DTAG_SERVICES, 1, "usagePricing", "ratingPlan", "kind"], "Stepped");
      expectInvalid(
        () => rateBwrpAgreement(kind, usageFixture(), OPTIONS),
        "discounts.DTAG.serviceGroups[0].services[1].usagePricing.ratingPlan.kind",
      );
      const condition = agreementFixture();
      set(condition, ["discounts", "TMUS", "condition", "kind"], "Volume Commitment");
      expectInvalid(() => rateBwrpAgreement(condition, usageFixture(), OPTIONS), "discounts.TMUS.condition.kind");
      const version = { ...agreementFixture(), version: "gsma-bwr-roaming-v2" };
      expectInvalid(() => rateBwrpAgreement(version, usageFixture(), OPTIONS), "agreement.version");
    });

    it("should reject a unit that is not the service's rating unit", function () {
      const usage = usageFixture();
      set(usage, ["outbound", 0, "units"], "MB");
      expectInvalid(() => rateBwrpAgreement(agreementFixture(), usage, OPTIONS), "usage.outbound[0].units");
      const agreement = agreementFixture();
      set(agreement, [...TMUS_SERVICES, 0, "usagePricing", "unit"], "MB"); // VoLTE is rated per minute
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.TMUS.serviceGroups[0].services[0].usagePricing.unit",
      );
    });

    it("should reject a party whose records appear in both directions", function () {
      const usage = usageFixture();
      (usage.outbound as unknown[]).push(rec("USAW6", "DEUD2", "SMSMO", "1", "SMS", "0.02"));
      expectInvalid(() => rateBwrpAgreement(agreementFixture(), usage, OPTIONS), "discounts.TMUS");
    });

    it("should reject a conditional deal without a commitment value", function () {
      const agreement = agreementFixture();
      set(agreement, ["discounts", "DTAG", "condition", "commitment", "value"], undefined);
      expectInvalid(
        () => rateBwrpAgreement(agreement, usageFixture(), OPTIONS),
        "discounts.DTAG.condition.commitment.value",
      );
    });

    it("should treat a missing condition as unconditional and a missing pricing as not charged", function () {
      const agreement = agreementFixture();
      set(agreement, ["discounts", "DTAG", "condition"], undefined);
      set(agreement, [...DTAG_SERVICES, 3, "usagePricing"], undefined);
      const dtag = party(rateBwrpAgreement(agreement, usageFixture(), OPTIONS), "DTAG");
      expect(dtag.condition.kind).to.equal("Unconditional");
      expect(table(dtag).voiceMT).to.deep.equal(["0", "0", "0"]);
      expect(dtag.value).to.equal("430000000");
    });

    it("should map a discount on its own with bwrpDiscountToEngine", function () {
      const { discounts } = agreementFixture() as BwrpAgreement;
      const mapped = bwrpDiscountToEngine("TMUS", discounts.TMUS, OPTIONS);
      expect(mapped.plans.map((p) => [p.service, p.kind])).to.deep.equal([
        [Service.SmsMO, PlanKind.Threshold],
        [Service.Data, PlanKind.Threshold],
        [Service.VoLTE, PlanKind.Ratio],
        [Service.IoTAccess, PlanKind.Access],
      ]);
      expect(mapped.condition).to.deep.equal({
        kind: 1,
        includingTaxes: true,
        commitment: 1_000_000_000n,
        includedServices: (1 << Service.SmsMO) | (1 << Service.Data) | (1 << Service.VoLTE),
      });
    });
  });
});
