import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import {
  buildClassMetadata,
  CapacityKind,
  classIdHex,
  classIdOf,
  emptySlice,
  emptySpectrum,
  encodeLabel,
  expandMetadataUri,
  formatBasisPoints,
  spectrumWindow,
  validateClassMetadata,
  type BandPlan,
  type CapacityClassMetadata,
  type ClassTerms,
} from "../../sdk/src/capacity";
import { InvalidArgumentError } from "../../sdk/src/errors";
import { addr } from "./fixture";

/** 2026-01-01T00:00:00Z and 2026-01-31T00:00:00Z. */
const JAN_1 = 1_767_225_600n;
const JAN_31 = JAN_1 + 30n * 86_400n;
const USDC_TOKEN = addr(0xc0);
const PLAN: BandPlan = {
  originKHz: 3_550_000n,
  channelWidthKHz: 5_000n,
  channelCount: 30n,
  slotSeconds: 900n,
  epoch: JAN_1,
  slotCount: 96n,
};

function data(overrides: Partial<ClassTerms> = {}): ClassTerms {
  return {
    issuerId: 1n,
    kind: CapacityKind.Data,
    unit: encodeLabel("GB"),
    validFrom: JAN_1,
    validUntil: JAN_31,
    maxSupply: 1_000n,
    region: encodeLabel("DEUD1", "region"),
    salt: ZeroHash,
    slice: emptySlice(),
    spectrum: emptySpectrum(),
    ...overrides,
  };
}

function slice(snssai = 0x01_000001, availabilityBp = 9_999): ClassTerms {
  return data({
    kind: CapacityKind.Slice,
    unit: encodeLabel("slice-hour"),
    maxSupply: 2n ** 64n - 1n,
    slice: {
      snssai,
      throughputKbps: 100_000,
      latencyMs: 10,
      availabilityBp,
      creditToken: USDC_TOKEN.toLowerCase(),
      creditPerUnitHour: 2n ** 128n - 1n,
    },
  });
}

/** An exclusive block of channels [2, 5) x slots [4, 12) of PLAN (validity 01:00 to 03:00). */
function spectrum(): ClassTerms {
  const block = { bandPlanId: 1, areaId: 7, firstChannel: 2, channelCount: 3, firstSlot: 4, slotCount: 8 };
  const { validFrom, validUntil } = spectrumWindow(PLAN, block.firstSlot, block.slotCount);
  return data({
    kind: CapacityKind.Spectrum,
    unit: encodeLabel("lease"),
    validFrom,
    validUntil,
    maxSupply: 1n,
    region: ZeroHash,
    spectrum: { ...block, exclusive: true },
  });
}

const OPTIONS = { name: "Alpha data, January", description: "1 GB of data in DEUD1" };

function expectInvalid(call: () => unknown, field: string): InvalidArgumentError {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError naming ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
  return caught as InvalidArgumentError;
}

describe("capacity metadata", function () {
  describe("buildClassMetadata", function () {
    it("should describe a data class per the ERC-1155 metadata schema, with its terms as properties", function () {
      const terms = data();
      expect(buildClassMetadata(terms, OPTIONS)).to.deep.equal({
        name: "Alpha data, January",
        description: "1 GB of data in DEUD1",
        decimals: 0,
        properties: {
          classId: classIdHex(classIdOf(terms)),
          kind: "Data",
          unit: "GB",
          issuerId: 1,
          region: "DEUD1",
          validFrom: "2026-01-01T00:00:00Z",
          validUntil: "2026-01-31T00:00:00Z",
          maxSupply: "1000",
        },
      });
      const withImage = buildClassMetadata(terms, { ...OPTIONS, image: "ipfs://bafy/alpha.png" });
      expect(withImage.image).to.equal("ipfs://bafy/alpha.png");
      expect(Object.keys(withImage)).to.deep.equal(["name", "description", "image", "decimals", "properties"]);
    });

    it("should name every kind, and show a region that is a hash as hex, or no region when it is zero", function () {
      const names = ["Data", "Voice", "Iot"] as const;
      for (const [kind, name] of names.entries()) {
        expect(buildClassMetadata(data({ kind: kind as CapacityKind }), OPTIONS).properties.kind).to.equal(name);
      }
      const hash = "0x" + "ab".repeat(32);
      expect(buildClassMetadata(data({ region: hash }), OPTIONS).properties.region).to.equal(hash);
      expect(buildClassMetadata(data({ region: ZeroHash }), OPTIONS).properties).to.not.have.property("region");
      const rawUnit = "0x" + "ff".repeat(32);
      expect(buildClassMetadata(data({ unit: rawUnit }), OPTIONS).properties.unit).to.equal(rawUnit);
    });

    it("should split a slice's S-NSSAI into SST and SD and show its availability as an exact percentage", function () {
      const m = buildClassMetadata(slice(), OPTIONS);
      expect(m.properties.kind).to.equal("Slice");
      expect(m.properties.maxSupply).to.equal("18446744073709551615");
      expect(m.properties.slice).to.deep.equal({
        snssai: "0x01000001",
        sst: 1,
        sd: "000001",
        throughputKbps: 100_000,
        latencyMs: 10,
        availabilityBp: 9_999,
        availability: "99.99%",
        creditToken: USDC_TOKEN,
        creditPerUnitHour: (2n ** 128n - 1n).toString(),
      });
      expect(m.properties).to.not.have.property("spectrum");
      const edge = buildClassMetadata(slice(0xff_abcdef, 10_000), OPTIONS).properties.slice!;
      expect([edge.snssai, edge.sst, edge.sd, edge.availability]).to.deep.equal([
        "0xffabcdef",
        255,
        "abcdef",
        "100.00%",
      ]);
      expect(buildClassMetadata(slice(0, 0), OPTIONS).properties.slice).to.deep.include({
        snssai: "0x00000000",
        sst: 0,
        sd: "000000",
        availability: "0.00%",
      });
    });

    it("should format basis points with integers only", function () {
      const cases: [number, string][] = [
        [0, "0.00%"],
        [1, "0.01%"],
        [5, "0.05%"],
        [10, "0.10%"],
        [999, "9.99%"],
        [5_000, "50.00%"],
        [9_990, "99.90%"],
        [9_999, "99.99%"],
        [10_000, "100.00%"],
      ];
      for (const [bp, text] of cases) expect(formatBasisPoints(bp)).to.equal(text);
      expectInvalid(() => formatBasisPoints(65_536), "availabilityBp");
      expectInvalid(() => formatBasisPoints(0.5, "x"), "x");
    });

    it("should show a spectrum block, its window, and with the band plan its frequency range", function () {
      const terms = spectrum();
      const without = buildClassMetadata(terms, OPTIONS);
      expect(without.properties).to.not.have.property("region");
      expect(without.properties.spectrum).to.deep.equal({
        bandPlanId: 1,
        areaId: 7,
        firstChannel: 2,
        channelCount: 3,
        firstSlot: 4,
        slotCount: 8,
        exclusive: true,
        window: { start: "2026-01-01T01:00:00Z", end: "2026-01-01T03:00:00Z" },
      });
      const withPlan = buildClassMetadata(terms, { ...OPTIONS, plan: PLAN });
      // Channels 2..4 of 5 MHz from 3.55 GHz: [3.56, 3.575) GHz.
      expect(withPlan.properties.spectrum!.band).to.deep.equal({ lowKHz: "3560000", highKHz: "3575000" });
      expect(withPlan.properties).to.not.have.property("slice");
      const err = expectInvalid(() => buildClassMetadata(terms, { ...OPTIONS, plan: { ...PLAN, epoch: 0n } }), "plan");
      expect(err.reason).to.match(/not the class's validity/);
    });

    it("should produce plain JSON that validates back to the same object, for every kind", function () {
      const all: CapacityClassMetadata[] = [
        buildClassMetadata(data(), OPTIONS),
        buildClassMetadata(data({ kind: CapacityKind.Voice, region: ZeroHash }), { ...OPTIONS, image: "https://x/y" }),
        buildClassMetadata(slice(), OPTIONS),
        buildClassMetadata(spectrum(), OPTIONS),
        buildClassMetadata(spectrum(), { ...OPTIONS, plan: PLAN }),
        // The last second a uint40 can hold is in year 36812.
        buildClassMetadata(data({ validUntil: 2n ** 40n - 1n }), OPTIONS),
      ];
      expect(all[5].properties.validUntil).to.equal("+036812-02-20T00:36:15Z");
      for (const m of all) {
        const json = JSON.stringify(m);
        expect(validateClassMetadata(JSON.parse(json))).to.deep.equal(m);
      }
    });

    it("should refuse bad options and terms, naming the field", function () {
      expectInvalid(() => buildClassMetadata(data(), { ...OPTIONS, name: " " }), "name");
      expectInvalid(() => buildClassMetadata(data(), { ...OPTIONS, name: 7 as unknown as string }), "name");
      expectInvalid(
        () => buildClassMetadata(data(), { ...OPTIONS, description: undefined as unknown as string }),
        "description",
      );
      expectInvalid(() => buildClassMetadata(data(), { ...OPTIONS, image: "alpha.png" }), "image");
      expectInvalid(() => buildClassMetadata(data(), null as unknown as typeof OPTIONS), "options");
      expectInvalid(() => buildClassMetadata(data({ issuerId: 0 }), OPTIONS), "issuerId");
      expectInvalid(() => buildClassMetadata(data({ validUntil: 2n ** 40n }), OPTIONS), "validUntil");
      expectInvalid(() => buildClassMetadata(data({ kind: 9 as CapacityKind }), OPTIONS), "kind");
      expectInvalid(
        () => buildClassMetadata(spectrum(), { ...OPTIONS, plan: { ...PLAN, slotSeconds: 0n } }),
        "plan.slotSeconds",
      );
    });
  });

  describe("validateClassMetadata", function () {
    it("should return only the fields the schema defines", function () {
      const m = buildClassMetadata(data(), OPTIONS);
      const extra = {
        ...m,
        localization: { uri: "x", default: "en", locales: ["en"] },
        properties: { ...m.properties, x: 1 },
      };
      expect(validateClassMetadata(extra)).to.deep.equal(m);
    });

    it("should name the JSON path of the first bad field", function () {
      const base = {
        data: buildClassMetadata(data(), { ...OPTIONS, image: "ipfs://img" }),
        slice: buildClassMetadata(slice(), OPTIONS),
        spectrum: buildClassMetadata(spectrum(), { ...OPTIONS, plan: PLAN }),
      };
      const DELETE = Symbol("delete");
      /** Sets (or deletes) the value at a dotted path of `doc`. */
      const setAt = (doc: unknown, path: string, value: unknown): void => {
        const keys = path.split(".");
        let node = doc as Record<string, unknown>;
        for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
        if (value === DELETE) delete node[keys[keys.length - 1]];
        else node[keys[keys.length - 1]] = value;
      };
      const window = (start: string, end: string) => ({ start, end });
      const cases: [keyof typeof base, string, unknown, string?][] = [
        ["data", "name", DELETE],
        ["data", "name", "  "],
        ["data", "description", 1],
        ["data", "image", "not a uri"],
        ["data", "decimals", 18],
        ["data", "decimals", "0"],
        ["data", "properties", []],
        ["data", "properties.classId", "AB".repeat(32)],
        ["data", "properties.classId", "0x" + "ab".repeat(31)],
        ["data", "properties.kind", "Bandwidth"],
        ["data", "properties.unit", ""],
        ["data", "properties.unit", "x".repeat(32)],
        ["data", "properties.issuerId", 0],
        ["data", "properties.issuerId", 1.5],
        ["data", "properties.issuerId", "1"],
        ["data", "properties.region", ""],
        ["data", "properties.validFrom", "yesterday"],
        ["data", "properties.validFrom", "2026-13-45T99:00:00Z"],
        ["data", "properties.validUntil", "2025-12-31T00:00:00Z"],
        ["data", "properties.maxSupply", 1000],
        ["data", "properties.maxSupply", "01000"],
        ["data", "properties.maxSupply", "0"],
        ["data", "properties.maxSupply", (2n ** 64n).toString()],
        ["data", "properties.slice", base.slice.properties.slice],
        ["data", "properties.spectrum", base.spectrum.properties.spectrum],
        ["slice", "properties.slice", DELETE],
        ["slice", "properties.slice.sst", 256],
        ["slice", "properties.slice.sd", "00001"],
        ["slice", "properties.slice.sd", "000002", "properties.slice.snssai"],
        ["slice", "properties.slice.snssai", "0x1000001"],
        ["slice", "properties.slice.throughputKbps", -1],
        ["slice", "properties.slice.latencyMs", 2 ** 32],
        ["slice", "properties.slice.availabilityBp", 10_001],
        ["slice", "properties.slice.availability", "99.990%"],
        ["slice", "properties.slice.availability", 99.99],
        ["slice", "properties.slice.creditToken", "0x12"],
        ["slice", "properties.slice.creditPerUnitHour", "-1"],
        ["slice", "properties.slice.creditPerUnitHour", (2n ** 128n).toString()],
        ["spectrum", "properties.spectrum", DELETE],
        ["spectrum", "properties.spectrum.bandPlanId", 0],
        ["spectrum", "properties.spectrum.channelCount", 0],
        ["spectrum", "properties.spectrum.channelCount", 300],
        ["spectrum", "properties.spectrum.slotCount", 0],
        ["spectrum", "properties.spectrum.firstChannel", 2 ** 16],
        ["spectrum", "properties.spectrum.exclusive", "yes"],
        ["spectrum", "properties.spectrum.window", { start: "x" }, "properties.spectrum.window.start"],
        [
          "spectrum",
          "properties.spectrum.window",
          window("2026-01-01T01:00:00Z", "2026-01-01T01:00:00Z"),
          "properties.spectrum.window.end",
        ],
        ["spectrum", "properties.spectrum.window", window("2026-01-01T01:00:00Z", "2026-01-01T04:00:00Z")],
        ["spectrum", "properties.spectrum.band", { lowKHz: "5", highKHz: "5" }, "properties.spectrum.band.highKHz"],
        ["spectrum", "properties.spectrum.band", { lowKHz: 5, highKHz: "6" }, "properties.spectrum.band.lowKHz"],
        ["spectrum", "properties.maxSupply", "2"],
      ];
      for (const [kind, path, value, reported] of cases) {
        const doc = structuredClone(base[kind]);
        expect(validateClassMetadata(structuredClone(doc))).to.deep.equal(base[kind]); // valid before the mutation
        setAt(doc, path, value);
        expectInvalid(() => validateClassMetadata(doc), `$.${reported ?? path}`);
      }
      for (const root of [null, "{}", [], 1]) expectInvalid(() => validateClassMetadata(root), "$");
    });
  });

  describe("expandMetadataUri", function () {
    it("should substitute {id} with the id as 64 lowercase hex digits, everywhere it appears", function () {
      const hex = "0".repeat(62) + "2a";
      expect(expandMetadataUri("https://m.example/capacity/{id}.json", 42n)).to.equal(
        `https://m.example/capacity/${hex}.json`,
      );
      expect(expandMetadataUri("ipfs://cid/{id}/{id}", 42)).to.equal(`ipfs://cid/${hex}/${hex}`);
      expect(expandMetadataUri("ipfs://cid/fixed.json", 42n)).to.equal("ipfs://cid/fixed.json");
      expect(expandMetadataUri("", 1n)).to.equal("");
      const id = classIdOf(data());
      expect(expandMetadataUri("{id}", id))
        .to.equal(classIdHex(id))
        .and.to.match(/^[0-9a-f]{64}$/);
      expect(expandMetadataUri("{ID}{id", id)).to.equal("{ID}{id");
    });

    it("should refuse a template that is not a string and an id outside uint256", function () {
      expectInvalid(() => expandMetadataUri(undefined as unknown as string, 1n), "template");
      expectInvalid(() => expandMetadataUri("{id}", -1n), "classId");
      expectInvalid(() => expandMetadataUri("{id}", 2n ** 256n), "classId");
      expectInvalid(() => expandMetadataUri("{id}", ZeroAddress as unknown as bigint), "classId");
    });
  });
});
