/**
 * The usage-to-settlement time distribution: summary figures and day bins of whole-second delays. Pure. The report's
 * headline figures and its chart both come from here, so they cannot disagree.
 */
import { formatUnits } from "./format";

export const DAY_SECONDS = 86_400;

export interface Distribution {
  count: number;
  min: number;
  /** The middle value; with an even count, the mean of the two middle values (so possibly a half second). */
  median: number;
  max: number;
}

/**
 * Count, minimum, median and maximum of whole-second durations.
 *
 * @throws RangeError on an empty list or a value that is not a non-negative safe integer.
 */
export function distribution(seconds: readonly number[]): Distribution {
  if (seconds.length === 0) throw new RangeError("no values");
  for (const s of seconds) {
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`not a whole number of seconds: ${s}`);
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { count: n, min: sorted[0], median, max: sorted[n - 1] };
}

/**
 * Seconds (a whole or half number, as a median may be) as days with `fractionDigits` decimals, rounded half up, in
 * integers: `secondsToDays(129_600) === "1.5"`.
 */
export function secondsToDays(seconds: number, fractionDigits = 1): string {
  const halves = seconds * 2;
  if (!Number.isSafeInteger(halves) || halves < 0) throw new RangeError(`not a whole or half second count: ${seconds}`);
  const perDay = BigInt(2 * DAY_SECONDS);
  const scaled = BigInt(halves) * 10n ** BigInt(fractionDigits);
  return formatUnits((2n * scaled + perDay) / (2n * perDay), fractionDigits);
}

/** How many values fall in each whole day [d, d + 1), from day 0 to the maximum's day. */
export function dayBins(seconds: readonly number[]): number[] {
  const bins = new Array<number>(Math.floor(distribution(seconds).max / DAY_SECONDS) + 1).fill(0);
  for (const s of seconds) bins[Math.floor(s / DAY_SECONDS)]++;
  return bins;
}
