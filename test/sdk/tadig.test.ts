import { expect } from "chai";
import fc from "fast-check";
import { hexlify } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { decodeRoamLedgerError, InvalidArgumentError } from "../../sdk/src/errors";
import {
  decodeTadig,
  encodeTadig,
  encodeTadigs,
  InvalidTadigError,
  isTadig,
  isTadigBytes,
  TADIG_PATTERN,
} from "../../sdk/src/tadig";
import { addr, deployRegistryFixture, freshKey } from "./fixture";

const VALID = ["DEUD1", "GBRCN", "USA01", "AAA00", "ZZZZZ", "AAAAA", "FRAF9"];

const INVALID: [label: string, value: string][] = [
  ["lower-case", "deud1"],
  ["mixed case", "DEUd1"],
  ["too short", "DEU"],
  ["4 characters", "DEUD"],
  ["too long", "DEUD12"],
  ["empty", ""],
  ["leading space", " DEUD1"],
  ["trailing space", "DEUD1 "],
  ["trailing newline", "DEUD1\n"],
  ["a digit in the country code", "1EUD1"],
  ["a digit in the third letter", "DE1D1"],
  ["punctuation", "DEU-1"],
  ["@ (just below A)", "@EUD1"],
  ["[ (just above Z)", "DEU[1"],
  ["/ (just below 0)", "DEUD/"],
  [": (just above 9)", "DEUD:"],
  ["non-ASCII letter", "DEUÄ1"],
  ["full-width letters", "ＤＥＵＤ１"],
  ["an Arabic-Indic digit", "DEUD\u0661"],
  ["a NUL byte", "DEUD\u0000"],
  ["a dotless i", "DEUDı"],
];

describe("tadig", function () {
  describe("when checking a code with isTadig", function () {
    it("should use exactly the contract's pattern", function () {
      expect(TADIG_PATTERN.source).to.equal("^[A-Z]{3}[A-Z0-9]{2}$");
      expect(TADIG_PATTERN.flags).to.equal("");
    });

    for (const code of VALID) {
      it(`should accept ${code}`, function () {
        expect(isTadig(code)).to.equal(true);
      });
    }

    for (const [label, code] of INVALID) {
      it(`should reject ${label} (${JSON.stringify(code)})`, function () {
        expect(isTadig(code)).to.equal(false);
      });
    }

    it("should reject values that are not strings", function () {
      for (const value of [undefined, null, 12345, ["DEUD1"], { code: "DEUD1" }, 0x4445554431n]) {
        expect(isTadig(value)).to.equal(false);
      }
    });
  });

  describe("when encoding with encodeTadig", function () {
    it("should give the ASCII bytes as a 0x-prefixed lower-case bytes5", function () {
      expect(encodeTadig("DEUD1")).to.equal("0x4445554431");
      expect(encodeTadig("GBRCN")).to.equal("0x474252434e");
    });

    for (const [label, code] of INVALID) {
      it(`should throw InvalidTadigError for ${label}`, function () {
        expect(() => encodeTadig(code)).to.throw(InvalidTadigError);
      });
    }

    it("should not silently accept lower-case, and say why", function () {
      const error = catchError(() => encodeTadig("deud1", "tadig"));
      expect(error).to.be.instanceOf(InvalidTadigError).and.instanceOf(InvalidArgumentError);
      const e = error as InvalidTadigError;
      expect(e.name).to.equal("InvalidTadigError");
      expect(e.field).to.equal("tadig");
      expect(e.value).to.equal("deud1");
      expect(e.reason).to.match(/upper-case/);
      expect(e.message).to.equal('tadig: must be upper-case ([A-Z]{3}[A-Z0-9]{2}) (got "deud1")');
    });

    it("should name the length when it is wrong", function () {
      const e = catchError(() => encodeTadig("DEUD12")) as InvalidTadigError;
      expect(e.field).to.equal(undefined);
      expect(e.reason).to.match(/5 characters/);
    });

    it("should reject a non-ASCII code without suggesting upper-case", function () {
      const e = catchError(() => encodeTadig("DEUä1", "code")) as InvalidTadigError;
      expect(e.field).to.equal("code");
      expect(e.reason).to.match(/not a TADIG code/);
    });

    it("should reject a value that is not a string", function () {
      const e = catchError(() => encodeTadig(12345 as unknown as string, "tadig")) as InvalidTadigError;
      expect(e).to.be.instanceOf(InvalidTadigError);
      expect(e.reason).to.equal("must be a string");
    });
  });

  describe("when decoding with decodeTadig", function () {
    it("should give back the code", function () {
      expect(decodeTadig("0x4445554431")).to.equal("DEUD1");
      expect(decodeTadig("0x474252434E")).to.equal("GBRCN");
    });

    it("should reject data that is not exactly 5 bytes of hex", function () {
      for (const hex of ["0x44455544", "0x444555443100", "4445554431", "0X4445554431", "0x44455544zz", ""]) {
        const e = catchError(() => decodeTadig(hex, "tadigs")) as InvalidTadigError;
        expect(e, hex).to.be.instanceOf(InvalidTadigError);
        expect(e.field).to.equal("tadigs");
        expect(e.value).to.equal(hex);
      }
    });

    it("should reject 5 bytes that do not hold a code", function () {
      for (const hex of ["0x6465756431", "0x0000000000", "0x44455544c4", "0x4445552031", "0xffffffffff"]) {
        expect(() => decodeTadig(hex), hex).to.throw(InvalidTadigError, /does not hold a TADIG code/);
      }
    });
  });

  describe("when encoding a list with encodeTadigs", function () {
    it("should encode every code in order", function () {
      expect(encodeTadigs(["DEUD1", "GBRCN"])).to.deep.equal(["0x4445554431", "0x474252434e"]);
      expect(encodeTadigs([])).to.deep.equal([]);
    });

    it("should name the offending element", function () {
      const e = catchError(() => encodeTadigs(["DEUD1", "gbrcn"])) as InvalidTadigError;
      expect(e.field).to.equal("tadigs[1]");
      const custom = catchError(() => encodeTadigs(["x"], "codes")) as InvalidTadigError;
      expect(custom.field).to.equal("codes[0]");
    });

    it("should reject a value that is not an array", function () {
      const e = catchError(() => encodeTadigs("DEUD1" as unknown as string[])) as InvalidArgumentError;
      expect(e).to.be.instanceOf(InvalidArgumentError);
      expect(e.field).to.equal("tadigs");
    });
  });

  describe("when checking properties", function () {
    it("should round-trip every well-formed code", function () {
      fc.assert(
        fc.property(fc.stringMatching(/^[A-Z]{3}[A-Z0-9]{2}$/), (code) => {
          const hex = encodeTadig(code);
          return isTadigBytes(hex) && decodeTadig(hex) === code && hex.length === 12;
        }),
        { seed: 20240501, numRuns: 500 },
      );
    });

    it("should agree byte for byte with the string rule for any 5 bytes", function () {
      fc.assert(
        fc.property(fiveBytes(), (bytes) => {
          const asString = String.fromCharCode(...bytes);
          const valid = isTadigBytes(bytes);
          expect(isTadigBytes(hexlify(bytes))).to.equal(valid);
          expect(isTadig(asString)).to.equal(valid);
          if (valid) expect(decodeTadig(hexlify(bytes))).to.equal(asString);
          else expect(() => decodeTadig(hexlify(bytes))).to.throw(InvalidTadigError);
        }),
        { seed: 7, numRuns: 2000 },
      );
    });

    it("should treat anything but exactly 5 bytes as not a code", function () {
      expect(isTadigBytes(new Uint8Array([0x44, 0x45, 0x55, 0x44]))).to.equal(false);
      expect(isTadigBytes(new Uint8Array([0x44, 0x45, 0x55, 0x44, 0x31, 0x31]))).to.equal(false);
      expect(isTadigBytes("0x44455544")).to.equal(false);
      expect(isTadigBytes("DEUD1")).to.equal(false);
    });
  });

  describe("when compared with the contract's Tadig.isValid", function () {
    it("should accept exactly the bytes5 values that registerOperator accepts", async function () {
      const { registry, registrar } = await loadFixture(deployRegistryFixture);
      const samples = fc.sample(fiveBytes(), { seed: 42, numRuns: 300 });
      let accepted = 0;
      for (const bytes of samples) {
        const hex = hexlify(bytes);
        let contractAccepts: boolean;
        try {
          await registry.connect(registrar).registerOperator.staticCall([hex], addr(1), addr(2), [freshKey()], "");
          contractAccepts = true;
        } catch (error) {
          expect(decodeRoamLedgerError(error)?.name, hex).to.equal("OperatorRegistry_InvalidTadig");
          contractAccepts = false;
        }
        expect(isTadigBytes(hex), hex).to.equal(contractAccepts);
        if (contractAccepts) accepted += 1;
      }
      // The sample exercises both outcomes.
      expect(accepted).to.be.greaterThan(20);
      expect(samples.length - accepted).to.be.greaterThan(20);
    });
  });
});

/**
 * 5 bytes, biased so that both outcomes are frequent: well-formed codes, well-formed codes with one byte replaced
 * (often by a byte at the edge of a range the rule checks), and 5 arbitrary bytes.
 */
function fiveBytes(): fc.Arbitrary<Uint8Array> {
  const byte = fc.oneof(
    fc.constantFrom(
      0x00,
      0x20,
      0x2f,
      0x30,
      0x39,
      0x3a,
      0x40,
      0x41,
      0x5a,
      0x5b,
      0x60,
      0x61,
      0x7a,
      0x7b,
      0x80,
      0xc4,
      0xff,
    ),
    fc.integer({ min: 0x30, max: 0x5a }),
    fc.integer({ min: 0, max: 0xff }),
  );
  const code = fc.stringMatching(/^[A-Z]{3}[A-Z0-9]{2}$/).map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)));
  const mutated = fc.tuple(code, fc.integer({ min: 0, max: 4 }), byte).map(([bytes, i, b]) => {
    const copy = Uint8Array.from(bytes);
    copy[i] = b;
    return copy;
  });
  const arbitrary = fc.array(byte, { minLength: 5, maxLength: 5 }).map((values) => Uint8Array.from(values));
  return fc.oneof(code, mutated, arbitrary);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail("expected a throw");
}
