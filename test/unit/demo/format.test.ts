import { expect } from "chai";
import fc from "fast-check";

import { dayBins, distribution, secondsToDays } from "../../../scripts/demo/distribution";
import { decimalToSignedUnits, formatDecimal, formatUnits } from "../../../scripts/demo/format";

/** The demo report's pure figures: amounts as a finance reader reads them, and the settlement-time summary. */
describe("Demo report figures", function () {
  describe("formatUnits", function () {
    describe("when the token has 6 decimals", function () {
      it("should write zero with all six decimals", function () {
        expect(formatUnits(0n, 6)).to.equal("0.000000");
      });

      it("should write less than one unit with a leading zero", function () {
        expect(formatUnits(1n, 6)).to.equal("0.000001");
        expect(formatUnits(999_999n, 6)).to.equal("0.999999");
        expect(formatUnits(1_000_000n, 6)).to.equal("1.000000");
      });

      it("should group the whole part by thousands", function () {
        expect(formatUnits(999_000_000n, 6)).to.equal("999.000000");
        expect(formatUnits(1_000_000_000n, 6)).to.equal("1,000.000000");
        expect(formatUnits(1_234_567_890n, 6)).to.equal("1,234.567890");
        expect(formatUnits(100_000_000_000n, 6)).to.equal("100,000.000000");
        expect(formatUnits(1_000_000_000_000n, 6)).to.equal("1,000,000.000000");
      });

      it("should put the sign before the digits of a negative amount", function () {
        expect(formatUnits(-1_234_567_890n, 6)).to.equal("-1,234.567890");
        expect(formatUnits(-1n, 6)).to.equal("-0.000001");
      });

      it("should keep every digit of a very large amount", function () {
        expect(formatUnits(123_456_789_012_345_678_901_234_567_890n, 6)).to.equal(
          "123,456,789,012,345,678,901,234.567890",
        );
      });
    });

    describe("when the token has 18 decimals", function () {
      it("should write one wei exactly", function () {
        expect(formatUnits(1n, 18)).to.equal("0.000000000000000001");
      });

      it("should write the largest uint256 exactly", function () {
        expect(formatUnits(2n ** 256n - 1n, 18)).to.equal(
          "115,792,089,237,316,195,423,570,985,008,687,907,853,269,984,665,640,564,039,457.584007913129639935",
        );
      });

      it("should round to fewer fraction digits half away from zero", function () {
        const wad = 10n ** 18n;
        expect(formatUnits(1_234n * wad + wad / 2n, 18, 2)).to.equal("1,234.50");
        expect(formatUnits(wad / 200n, 18, 2)).to.equal("0.01"); // 0.005
        expect(formatUnits(wad / 200n - 1n, 18, 2)).to.equal("0.00"); // 0.004999...
        expect(formatUnits(-(wad / 200n), 18, 2)).to.equal("-0.01");
      });
    });

    describe("when fewer fraction digits are asked for", function () {
      it("should carry a rounding into a new thousands group", function () {
        expect(formatUnits(999_995_000n, 6, 2)).to.equal("1,000.00");
        expect(formatUnits(-999_995_000n, 6, 2)).to.equal("-1,000.00");
      });

      it("should never write a negative zero", function () {
        expect(formatUnits(-1n, 6, 2)).to.equal("0.00");
        expect(formatUnits(-4_999n, 6, 2)).to.equal("0.00");
        expect(formatUnits(-499_999n, 6, 0)).to.equal("0");
      });

      it("should write no decimal point for zero fraction digits", function () {
        expect(formatUnits(1_234_500_000n, 6, 0)).to.equal("1,235");
        expect(formatUnits(1_234n, 0)).to.equal("1,234");
      });
    });

    describe("when more fraction digits are asked for", function () {
      it("should append zeros", function () {
        expect(formatUnits(5n, 0, 2)).to.equal("5.00");
        expect(formatUnits(-15n, 1, 3)).to.equal("-1.500");
      });
    });

    describe("when an argument is invalid", function () {
      it("should throw a RangeError", function () {
        expect(() => formatUnits(1 as unknown as bigint, 6)).to.throw(RangeError, "bigint");
        expect(() => formatUnits(1n, -1)).to.throw(RangeError, "decimals");
        expect(() => formatUnits(1n, 1.5)).to.throw(RangeError, "decimals");
        expect(() => formatUnits(1n, 6, Number.NaN)).to.throw(RangeError, "fractionDigits");
      });
    });

    it("should read back exactly, for any amount and any decimals, once the separators are removed", function () {
      fc.assert(
        fc.property(fc.bigInt({ min: -(2n ** 256n), max: 2n ** 256n }), fc.nat({ max: 30 }), (units, decimals) => {
          const text = formatUnits(units, decimals);
          expect(text).to.match(decimals === 0 ? /^-?\d{1,3}(,\d{3})*$/ : /^-?\d{1,3}(,\d{3})*\.\d+$/);
          if (decimals > 0) expect(text.split(".")[1]).to.have.length(decimals);
          expect(decimalToSignedUnits(text.replace(/,/g, ""), decimals)).to.equal(units);
        }),
      );
    });
  });

  describe("formatDecimal", function () {
    it("should format the report's signed decimal strings", function () {
      expect(formatDecimal("-1234.5", 6)).to.equal("-1,234.500000");
      expect(formatDecimal("0", 6)).to.equal("0.000000");
      expect(formatDecimal("40000", 6, 2)).to.equal("40,000.00");
    });

    it("should refuse a string with more significant decimals than the token has", function () {
      expect(() => formatDecimal("0.0000001", 6)).to.throw("more than 6 fractional digits");
    });
  });

  describe("distribution", function () {
    it("should take the middle value of an odd count", function () {
      expect(distribution([5, 1, 9])).to.deep.equal({ count: 3, min: 1, median: 5, max: 9 });
    });

    it("should take the mean of the two middle values of an even count", function () {
      expect(distribution([10, 1, 4, 7])).to.deep.equal({ count: 4, min: 1, median: 5.5, max: 10 });
    });

    it("should summarize a single value", function () {
      expect(distribution([42])).to.deep.equal({ count: 1, min: 42, median: 42, max: 42 });
    });

    it("should refuse no values, negative or fractional seconds", function () {
      expect(() => distribution([])).to.throw(RangeError, "no values");
      expect(() => distribution([1, -1])).to.throw(RangeError, "-1");
      expect(() => distribution([1.5])).to.throw(RangeError, "1.5");
    });
  });

  describe("secondsToDays", function () {
    it("should write days with one decimal, rounded half up", function () {
      expect(secondsToDays(0)).to.equal("0.0");
      expect(secondsToDays(129_600)).to.equal("1.5");
      expect(secondsToDays(262_884)).to.equal("3.0"); // 3.0426 days
      expect(secondsToDays(4_320)).to.equal("0.1"); // 0.05 days, half up
      expect(secondsToDays(4_319.5)).to.equal("0.0"); // a median may be a half second
      expect(secondsToDays(86_400 * 1_234)).to.equal("1,234.0");
    });
  });

  describe("dayBins", function () {
    it("should count values per whole day up to the maximum's day", function () {
      expect(dayBins([0, 86_399, 86_400, 3 * 86_400 + 5])).to.deep.equal([2, 1, 0, 1]);
    });
  });
});
