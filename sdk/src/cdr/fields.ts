/**
 * Parsing of one raw CDR's fields: strict, exact, integer-only. Pure: browser-safe.
 *
 * Every value is read as text (a CSV cell, a JSON string, or a JSON number's literal text) and must match its
 * format exactly: no trimming, no signs, no decimals, no exponents. Integers are parsed as `bigint`.
 */
import { SERVICE_COUNT, SERVICE_KEYS, SERVICE_NAMES, UINT128_MAX, UINT64_MAX, type Service } from "../rating/types";
import { CDR_COLUMNS, MAX_EVENT_REF_LENGTH, type CdrColumn, type CdrRecord } from "./types";

/** One rejected field of a record. */
export interface CdrFieldIssue {
  /** The column or key. */
  readonly field: string;
  /** The value as given (`undefined` when missing). */
  readonly value: unknown;
  /** Why it was rejected. */
  readonly reason: string;
}

/** The outcome of {@link parseCdrFields}: the record, or every issue found. */
export type ParsedCdrFields =
  { readonly ok: true; readonly cdr: CdrRecord } | { readonly ok: false; readonly issues: CdrFieldIssue[] };

/** Options of {@link parseCdrFields}. */
export interface ParseCdrFieldsOptions {
  /** Ignore keys other than {@link CDR_COLUMNS} instead of rejecting them. */
  readonly allowExtraFields?: boolean;
}

/** The reasons of the field checks (exported so callers and tests can match them exactly). */
export const CDR_REASONS = {
  required: "is required",
  unknownField: "unknown field (only eventRef, imsi, service, eventStart, rawVolume and tax are allowed)",
  eventRef: `must be 1 to ${MAX_EVENT_REF_LENGTH} printable ASCII characters`,
  eventRefSpace: "must not begin or end with a space (the reference is hashed as is)",
  imsi: "must be 6 to 15 digits",
  service: "must be a service key (voiceMO ... spectrumMHzHours), its Solidity name (VoiceMO ...) or its id (0 to 8)",
  eventStart: "must be Unix seconds or an ISO-8601 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)",
  eventStartFraction: "fractional seconds are not allowed",
  eventStartUtc: "must be in UTC (end with Z)",
  eventStartDate: "is not a valid date and time",
  eventStartEpoch: "must not be before 1970-01-01T00:00:00Z",
  uint: "must be a non-negative integer",
  uint64: `must be at most ${UINT64_MAX} (uint64)`,
  uint128: `must be at most ${UINT128_MAX} (uint128)`,
  unsafeNumber: "a number above 2^53-1 loses precision: give it as a string or a bigint",
} as const;

const KNOWN_FIELDS: ReadonlySet<string> = new Set(CDR_COLUMNS);

/** Service tokens: keys, Solidity names and decimal ids. */
const SERVICE_TOKENS: ReadonlyMap<string, Service> = (() => {
  const map = new Map<string, Service>();
  for (let id = 0; id < SERVICE_COUNT; ++id) {
    const service = id as Service;
    map.set(SERVICE_KEYS[id], service);
    map.set(SERVICE_NAMES[id], service);
    map.set(String(id), service);
  }
  return map;
})();

const DIGITS = /^[0-9]+$/;
const IMSI = /^[0-9]{6,15}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const ISO =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/;
/** Longer digit strings are out of range for any field (avoids converting huge strings to bigint). */
const MAX_DIGITS = 80;

/**
 * A field's value as text: strings as they are, bigints and safe-integer numbers in decimal; anything else (and unsafe
 * numbers) is not text.
 */
function asText(value: unknown): string | undefined | { unsafe: true } {
  if (typeof value === "string") return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : { unsafe: true };
  return undefined;
}

/** Parses an unsigned decimal integer of at most `max`; returns a reason on failure. */
function parseUint(text: string, max: bigint, tooLarge: string): bigint | { reason: string } {
  if (!DIGITS.test(text)) return { reason: CDR_REASONS.uint };
  if (text.length > MAX_DIGITS) return { reason: tooLarge };
  const value = BigInt(text);
  return value > max ? { reason: tooLarge } : value;
}

/** The service of a token (key, Solidity name or id), or undefined. */
export function parseServiceToken(token: string): Service | undefined {
  return SERVICE_TOKENS.get(token);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`), integers only. */
function daysFromCivil(year: bigint, month: bigint, day: bigint): bigint {
  const y = month <= 2n ? year - 1n : year;
  const era = (y >= 0n ? y : y - 399n) / 400n;
  const yoe = y - era * 400n;
  const mp = month > 2n ? month - 3n : month + 9n;
  const doy = (153n * mp + 2n) / 5n + day - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n;
}

function isLeap(year: bigint): boolean {
  return (year % 4n === 0n && year % 100n !== 0n) || year % 400n === 0n;
}

const MONTH_DAYS = [31n, 28n, 31n, 30n, 31n, 30n, 31n, 31n, 30n, 31n, 30n, 31n];

/**
 * Parses an ISO-8601 UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds. Fractional seconds, offsets other than
 * `Z`, leap seconds and dates before 1970 are refused.
 *
 * @returns The seconds, or the reason it was refused.
 */
export function parseIsoTimestamp(text: string): bigint | { reason: string } {
  const m = ISO.exec(text);
  if (m === null) return { reason: CDR_REASONS.eventStart };
  if (m[7] !== undefined) return { reason: CDR_REASONS.eventStartFraction };
  if (m[8] !== "Z") return { reason: CDR_REASONS.eventStartUtc };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => BigInt(part));
  if (month < 1n || month > 12n) return { reason: CDR_REASONS.eventStartDate };
  const monthDays = month === 2n && isLeap(year) ? 29n : MONTH_DAYS[Number(month) - 1];
  if (day < 1n || day > monthDays || hour > 23n || minute > 59n || second > 59n) {
    return { reason: CDR_REASONS.eventStartDate };
  }
  if (year < 1970n) return { reason: CDR_REASONS.eventStartEpoch };
  return daysFromCivil(year, month, day) * 86_400n + hour * 3_600n + minute * 60n + second;
}

/** Unix seconds as an ISO-8601 UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` (the inverse of {@link parseIsoTimestamp}). */
export function formatIsoTimestamp(seconds: bigint): string {
  if (seconds < 0n) throw new RangeError("seconds must not be negative");
  const days = seconds / 86_400n;
  const rest = seconds % 86_400n;
  // H. Hinnant's civil_from_days.
  const z = days + 719468n;
  const era = z / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  const pad = (n: bigint, width: number): string => n.toString().padStart(width, "0");
  return (
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T` +
    `${pad(rest / 3_600n, 2)}:${pad((rest % 3_600n) / 60n, 2)}:${pad(rest % 60n, 2)}Z`
  );
}

/**
 * Parses an `eventStart`: Unix seconds (digits) or an ISO-8601 UTC timestamp, at most `uint64`.
 *
 * @returns The seconds, or the reason it was refused.
 */
export function parseEventStart(text: string): bigint | { reason: string } {
  if (DIGITS.test(text)) return parseUint(text, UINT64_MAX, CDR_REASONS.uint64);
  const seconds = parseIsoTimestamp(text);
  if (typeof seconds === "bigint" && seconds > UINT64_MAX) return { reason: CDR_REASONS.uint64 };
  return seconds;
}

type FieldParser<T> = (text: string) => T | { reason: string };

const parseEventRef: FieldParser<string> = (text) => {
  if (text.length === 0 || text.length > MAX_EVENT_REF_LENGTH || !PRINTABLE_ASCII.test(text)) {
    return { reason: CDR_REASONS.eventRef };
  }
  if (text.startsWith(" ") || text.endsWith(" ")) return { reason: CDR_REASONS.eventRefSpace };
  return text;
};

const parseImsi: FieldParser<string> = (text) => (IMSI.test(text) ? text : { reason: CDR_REASONS.imsi });

const parseService: FieldParser<Service> = (text) => parseServiceToken(text) ?? { reason: CDR_REASONS.service };

const parseRawVolume: FieldParser<bigint> = (text) => parseUint(text, UINT64_MAX, CDR_REASONS.uint64);

/** An empty tax (an empty CSV cell) is 0. */
const parseTax: FieldParser<bigint> = (text) => (text === "" ? 0n : parseUint(text, UINT128_MAX, CDR_REASONS.uint128));

function isReason(value: unknown): value is { reason: string } {
  return typeof value === "object" && value !== null && "reason" in value;
}

/**
 * Parses the fields of one raw CDR (a CSV row by column name, or a JSON object): every field is checked and every
 * problem reported, each naming its field. Strings are taken as they are; numbers must be safe integers and bigints
 * non-negative (both are read as their decimal text). `tax` may be missing (0).
 *
 * @param fields The record's fields by name.
 * @param options `allowExtraFields` to ignore unknown keys (refused by default).
 */
export function parseCdrFields(
  fields: Readonly<Record<string, unknown>>,
  options: ParseCdrFieldsOptions = {},
): ParsedCdrFields {
  const issues: CdrFieldIssue[] = [];
  if (options.allowExtraFields !== true) {
    for (const key of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(key)) issues.push({ field: key, value: fields[key], reason: CDR_REASONS.unknownField });
    }
  }
  const read = <T>(field: CdrColumn, parser: FieldParser<T>, invalid: string, optional = false): T | undefined => {
    const value = Object.prototype.hasOwnProperty.call(fields, field) ? fields[field] : undefined;
    if (value === undefined) {
      if (!optional) issues.push({ field, value, reason: CDR_REASONS.required });
      return undefined;
    }
    const text = asText(value);
    if (text === undefined) {
      issues.push({ field, value, reason: invalid });
      return undefined;
    }
    if (typeof text !== "string") {
      issues.push({ field, value, reason: CDR_REASONS.unsafeNumber });
      return undefined;
    }
    const parsed = parser(text);
    if (isReason(parsed)) {
      issues.push({ field, value, reason: parsed.reason });
      return undefined;
    }
    return parsed;
  };
  const eventRef = read("eventRef", parseEventRef, CDR_REASONS.eventRef);
  const imsi = read("imsi", parseImsi, CDR_REASONS.imsi);
  const service = read("service", parseService, CDR_REASONS.service);
  const eventStart = read("eventStart", parseEventStart, CDR_REASONS.eventStart);
  const rawVolume = read("rawVolume", parseRawVolume, CDR_REASONS.uint);
  const tax = read("tax", parseTax, CDR_REASONS.uint, true) ?? 0n;
  if (
    issues.length > 0 ||
    eventRef === undefined ||
    imsi === undefined ||
    service === undefined ||
    eventStart === undefined ||
    rawVolume === undefined
  ) {
    return { ok: false, issues };
  }
  return { ok: true, cdr: { eventRef, imsi, service, eventStart, rawVolume, tax } };
}
