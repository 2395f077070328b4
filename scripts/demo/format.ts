/**
 * Amounts for a reader, exactly: token units (bigint) in, text out, with no floating point anywhere. Pure: no chain
 * access, no locale (the report is in English: "," groups thousands, "." separates decimals).
 */
import { decimalToUnits } from "../../sdk/src";

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/**
 * Formats `units`, an integer number of `10^-decimals` token units, with thousands separators and exactly
 * `fractionDigits` decimals (by default all the token's): `formatUnits(-1234567890n, 6) === "-1,234.567890"`.
 *
 * With fewer `fractionDigits` than `decimals` the value is rounded half away from zero, in integers
 * (`formatUnits(5_000n, 6, 2) === "0.01"`); a value that rounds to zero has no sign (`"0.00"`, never `"-0.00"`). With
 * more, zeros are appended. No decimal point when `fractionDigits` is 0.
 *
 * @throws RangeError if `units` is not a bigint or `decimals` or `fractionDigits` is not a non-negative integer.
 */
export function formatUnits(units: bigint, decimals: number, fractionDigits: number = decimals): string {
  if (typeof units !== "bigint") throw new RangeError(`units must be a bigint, got ${typeof units}`);
  if (!isCount(decimals)) throw new RangeError(`decimals must be a non-negative integer, got ${decimals}`);
  if (!isCount(fractionDigits)) {
    throw new RangeError(`fractionDigits must be a non-negative integer, got ${fractionDigits}`);
  }
  const negative = units < 0n;
  let magnitude = negative ? -units : units;
  // Rescale to 10^-fractionDigits units: exact when widening, rounded half away from zero when narrowing.
  if (fractionDigits < decimals) {
    const divisor = 10n ** BigInt(decimals - fractionDigits);
    magnitude = (magnitude + divisor / 2n) / divisor;
  } else {
    magnitude *= 10n ** BigInt(fractionDigits - decimals);
  }
  const digits = magnitude.toString().padStart(fractionDigits + 1, "0");
  const whole = digits.slice(0, digits.length - fractionDigits);
  const fraction = digits.slice(digits.length - fractionDigits);
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  const sign = negative && magnitude !== 0n ? "-" : "";
  return `${sign}${grouped}${fractionDigits > 0 ? `.${fraction}` : ""}`;
}

/**
 * Parses a decimal string as the report's JSON carries it (`unitsToDecimal`'s output: digits, optionally `.` and
 * digits, optionally a leading `-`) into token units, exactly. The inverse of `unitsToDecimal`.
 *
 * @throws if the string is not such a decimal or has more than `decimals` significant fractional digits.
 */
export function decimalToSignedUnits(value: string, decimals: number): bigint {
  return value.startsWith("-") ? -decimalToUnits(value.slice(1), decimals) : decimalToUnits(value, decimals);
}

/** A report's decimal string, formatted: `formatDecimal("-1234.5", 6) === "-1,234.500000"`. */
export function formatDecimal(value: string, decimals: number, fractionDigits: number = decimals): string {
  return formatUnits(decimalToSignedUnits(value, decimals), decimals, fractionDigits);
}
