/**
 * How the CLI prints values for people (its `--json` output keeps integers exact, as decimal strings): amounts as
 * decimals of their token, times as ISO-8601 UTC.
 */
import { unitsToDecimal } from "@roamledger/sdk";

/** A unix time in seconds as ISO-8601 UTC, to the second (`2026-12-06T04:00:00Z`). */
export function isoTime(unixSeconds: bigint | number): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** Token units (signed) as a decimal of a token with `decimals` decimals, exact: `-1234500n, 6` gives `-1.2345`. */
export function tokenDecimal(units: bigint, decimals: number | bigint): string {
  const text = unitsToDecimal(units < 0n ? -units : units, Number(decimals));
  return units < 0n ? `-${text}` : text;
}
