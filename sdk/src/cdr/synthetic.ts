/**
 * A deterministic generator of synthetic CDR files (a visited network's month of usage), with injected fraud patterns
 * and their ground truth (test tooling: exported by `@roamledger/sdk/testing`, not by the application entry points).
 *
 * Deterministic from a seed, without `Math.random`: record `i` is a pure function of `(seed, i)` (a counter-based
 * 32-bit PRNG), so records are produced lazily, any record can be recomputed (a duplicate copies an earlier one
 * without keeping it), and 200,000 records are generated and written in well under two seconds. Integer arithmetic
 * only. Pure: browser-safe.
 */
import { InvalidArgumentError } from "../errors";
import { Service, SERVICE_COUNT } from "../rating/types";
import type { CdrRecord } from "./types";

/*//////////////////////////////////////////////////////////////////////////
                                     PRNG
//////////////////////////////////////////////////////////////////////////*/

/** A 32-bit integer finalizer (lowbias32, C. Wellons): a bijection of `uint32` with good avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A small counter-based PRNG of 32-bit integers (a Weyl sequence through `mix32`). */
export class Prng32 {
  #state: number;

  /** @param seed Any 32-bit integer. */
  constructor(seed: number) {
    this.#state = seed | 0;
  }

  /** The next `uint32`. */
  next(): number {
    this.#state = (this.#state + 0x9e3779b9) | 0;
    return mix32(this.#state);
  }

  /** A uniform-ish integer in `[0, n)`, `1 <= n <= 2^32` (modulo reduction: the bias is below `n / 2^32`). */
  below(n: number): number {
    return n === 1 ? 0 : this.next() % n;
  }

  /** A uniform-ish bigint in `[0, n)`, `n >= 1` (one draw up to 2^32, two up to 2^64, ...). */
  belowBig(n: bigint): bigint {
    if (n <= 0x1_0000_0000n) return BigInt(this.below(Number(n)));
    let r = 0n;
    for (let bound = 1n; bound < n << 32n; bound <<= 32n) r = (r << 32n) | BigInt(this.next());
    return r % n;
  }
}

/** A 32-bit seed from a number, bigint or string (FNV-1a over the text). */
export function seed32(seed: number | bigint | string): number {
  const text = typeof seed === "string" ? `s:${seed}` : `n:${BigInt(seed)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; ++i) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h >>> 0);
}

/*//////////////////////////////////////////////////////////////////////////
                                  GENERATOR
//////////////////////////////////////////////////////////////////////////*/

/** An inclusive range of volumes (or taxes). */
export interface VolumeRange {
  readonly min: bigint;
  readonly max: bigint;
}

/** A service and its relative weight in the generated traffic. */
export interface ServiceWeight {
  readonly service: Service;
  /** A positive integer. */
  readonly weight: number;
}

/** Options of {@link generateCdrs}. */
export interface SyntheticCdrOptions {
  /** The seed: the same seed and options give the same records. */
  readonly seed: number | bigint | string;
  /** How many records in all, injected ones included. */
  readonly count: number;
  /** How many distinct genuine subscribers (IMSIs) the home network has. */
  readonly subscribers: number;
  /** The IMSI prefix (MCC + MNC), 3 to 10 digits; default `"21407"`. IMSIs are 15 digits. */
  readonly imsiPrefix?: string;
  /** The first second of the file's period (Unix seconds). */
  readonly periodStart: bigint;
  /** The end of the period, exclusive. */
  readonly periodEnd: bigint;
  /** The agreement's start: out-of-period events are never before it. Default: one week before `periodStart`. */
  readonly validFrom?: bigint;
  /** The services and their weights; default voiceMO 30, voiceMT 15, smsMO 10, smsMT 5, data 40. */
  readonly services?: readonly ServiceWeight[];
  /**
   * Volume ranges by service id, overriding the defaults: voice and VoLTE 5..1800 s, SMS 1, data 1 kB..200 MB,
   * IoT access 1, slice hours 1..24, MHz-hours 1..100.
   */
  readonly volumes?: Readonly<Partial<Record<Service, VolumeRange>>>;
  /** Tax per record, in token base units; default none (0). */
  readonly tax?: VolumeRange;
  /** Prefix of the event references (`<prefix><10-digit index>`); default `"E"`. */
  readonly eventRefPrefix?: string;
  /** Fraud patterns to inject (their records count in `count`). */
  readonly inject?: {
    /** Copies of earlier genuine records: same eventRef, imsi, service, eventStart and volume. */
    readonly duplicates?: number;
    /** Records before `periodStart` (not before `validFrom`) or at/after `periodEnd`. */
    readonly outOfPeriod?: number;
    /** Records of IMSIs that are not among the home network's subscribers. */
    readonly phantom?: number;
    /** Records of a service (presumably one the base tariff does not cover). */
    readonly uncoveredService?: { readonly service: Service; readonly n: number };
  };
}

/** A duplicate and the earlier record it copies. */
export interface SyntheticDuplicate {
  readonly index: number;
  readonly originalIndex: number;
}

/** What was injected where (indices are positions in the generated file, 0-based, ascending). */
export interface SyntheticTruth {
  readonly duplicates: readonly SyntheticDuplicate[];
  readonly outOfPeriod: readonly number[];
  readonly phantom: readonly number[];
  readonly uncoveredService: readonly number[];
  /** The genuine subscribers' IMSIs: the home network's view. */
  readonly subscribers: readonly string[];
  /** The IMSIs phantom records use (none of them is a subscriber). */
  readonly phantomImsis: readonly string[];
}

/** A generated file: iterate it (lazily, as often as needed), or compute any record by position. */
export interface SyntheticCdrs extends Iterable<CdrRecord> {
  readonly count: number;
  readonly truth: SyntheticTruth;
  /** The record at `index` (0-based). */
  record(index: number): CdrRecord;
}

const DEFAULT_WEIGHTS: readonly ServiceWeight[] = [
  { service: Service.VoiceMO, weight: 30 },
  { service: Service.VoiceMT, weight: 15 },
  { service: Service.SmsMO, weight: 10 },
  { service: Service.SmsMT, weight: 5 },
  { service: Service.Data, weight: 40 },
];

const VOICE: VolumeRange = { min: 5n, max: 1_800n };
const ONE: VolumeRange = { min: 1n, max: 1n };
/** Default volume ranges, indexed by service id. */
export const DEFAULT_VOLUME_RANGES: readonly VolumeRange[] = Object.freeze([
  VOICE,
  VOICE,
  ONE,
  ONE,
  { min: 1_000n, max: 200_000_000n },
  VOICE,
  ONE,
  { min: 1n, max: 24n },
  { min: 1n, max: 100n },
]);

const IMSI_LENGTH = 15;
const WEEK = 604_800n;
/** An odd multiplier not divisible by 5: `s -> s * A + B mod 10^k` is a bijection of the MSINs. */
const MSIN_MULTIPLIER = 2_654_435_761n;

const Kind = { Normal: 0, Duplicate: 1, OutOfPeriod: 2, Phantom: 3, Uncovered: 4 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

function count(value: unknown, field: string, min = 0): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > 0xffff_ffff) {
    throw new InvalidArgumentError(`must be an integer from ${min} to 2^32-1`, { field, value });
  }
  return value;
}

function checkRange(range: VolumeRange, field: string): VolumeRange {
  if (typeof range?.min !== "bigint" || typeof range.max !== "bigint" || range.min < 0n || range.max < range.min) {
    throw new InvalidArgumentError("must be {min, max} bigints with 0 <= min <= max", { field, value: range });
  }
  return range;
}

/**
 * Generates a synthetic CDR file: `count` records of `subscribers` genuine IMSIs over `[periodStart, periodEnd)`,
 * with the injected patterns at pseudo-random positions (never position 0), and the ground truth.
 *
 * @throws InvalidArgumentError if an option is invalid (e.g. more injected records than `count - 1`).
 */
export function generateCdrs(options: SyntheticCdrOptions): SyntheticCdrs {
  const total = count(options.count, "count");
  const subscriberCount = count(options.subscribers, "subscribers", 1);
  const prefix = options.imsiPrefix ?? "21407";
  if (typeof prefix !== "string" || !/^[0-9]{3,10}$/.test(prefix)) {
    throw new InvalidArgumentError("must be 3 to 10 digits", { field: "imsiPrefix", value: prefix });
  }
  const { periodStart, periodEnd } = options;
  if (typeof periodStart !== "bigint" || periodStart < 0n) {
    throw new InvalidArgumentError("must be a non-negative bigint", { field: "periodStart", value: periodStart });
  }
  if (typeof periodEnd !== "bigint" || periodEnd <= periodStart) {
    throw new InvalidArgumentError("must be a bigint after periodStart", { field: "periodEnd", value: periodEnd });
  }
  const validFrom = options.validFrom ?? (periodStart > WEEK ? periodStart - WEEK : 0n);
  if (typeof validFrom !== "bigint" || validFrom > periodStart) {
    throw new InvalidArgumentError("must be a bigint not after periodStart", { field: "validFrom", value: validFrom });
  }
  const weights = options.services ?? DEFAULT_WEIGHTS;
  const cumulative: number[] = [];
  let weightSum = 0;
  weights.forEach((w, i) => {
    if (!Number.isInteger(w.service) || w.service < 0 || w.service >= SERVICE_COUNT) {
      throw new InvalidArgumentError("not a service id", { field: `services[${i}].service`, value: w.service });
    }
    weightSum += count(w.weight, `services[${i}].weight`, 1);
    cumulative.push(weightSum);
  });
  if (weights.length === 0 || weightSum > 0xffff_ffff) {
    throw new InvalidArgumentError("must list 1 or more services, weights summing to at most 2^32-1", {
      field: "services",
      value: weights,
    });
  }
  const ranges = DEFAULT_VOLUME_RANGES.map((range, s) => {
    const given = options.volumes?.[s as Service];
    return given === undefined ? range : checkRange(given, `volumes[${s}]`);
  });
  const tax = options.tax === undefined ? undefined : checkRange(options.tax, "tax");
  const refPrefix = options.eventRefPrefix ?? "E";
  if (typeof refPrefix !== "string" || !/^[\x21-\x7e]{0,50}$/.test(refPrefix)) {
    throw new InvalidArgumentError("must be 0 to 50 printable ASCII characters, no space", {
      field: "eventRefPrefix",
      value: refPrefix,
    });
  }
  const inject = options.inject ?? {};
  const duplicates = count(inject.duplicates ?? 0, "inject.duplicates");
  const outOfPeriod = count(inject.outOfPeriod ?? 0, "inject.outOfPeriod");
  const phantom = count(inject.phantom ?? 0, "inject.phantom");
  const uncovered = count(inject.uncoveredService?.n ?? 0, "inject.uncoveredService.n");
  const uncoveredService = inject.uncoveredService?.service;
  if (
    uncoveredService !== undefined &&
    (!Number.isInteger(uncoveredService) || uncoveredService < 0 || uncoveredService >= SERVICE_COUNT)
  ) {
    throw new InvalidArgumentError("not a service id", {
      field: "inject.uncoveredService.service",
      value: uncoveredService,
    });
  }
  const injected = duplicates + outOfPeriod + phantom + uncovered;
  if (injected > Math.max(0, total - 1)) {
    throw new InvalidArgumentError("more injected records than count - 1 (record 0 is always genuine)", {
      field: "inject",
      value: injected,
    });
  }

  const seed = seed32(options.seed);

  // IMSIs: a bijection of the MSIN space, genuine subscribers first, phantoms after them.
  const msinDigits = IMSI_LENGTH - prefix.length;
  const msinSpace = 10n ** BigInt(msinDigits);
  const phantomPool = phantom === 0 ? 0 : Math.max(1, Math.ceil(phantom / 4));
  if (BigInt(subscriberCount + phantomPool) > msinSpace) {
    throw new InvalidArgumentError(`more subscribers than ${msinDigits}-digit MSINs`, {
      field: "subscribers",
      value: subscriberCount,
    });
  }
  const offset = BigInt(seed) % msinSpace;
  const imsiOf = (s: number): string =>
    prefix + ((BigInt(s) * MSIN_MULTIPLIER + offset) % msinSpace).toString().padStart(msinDigits, "0");
  const subscribers = Array.from({ length: subscriberCount }, (_, s) => imsiOf(s));
  const phantomImsis = Array.from({ length: phantomPool }, (_, k) => imsiOf(subscriberCount + k));

  // Positions of the injected records: distinct, in [1, total).
  const kinds = new Map<number, Kind>();
  const positions = new Prng32(mix32(seed ^ 0x5bd1e995));
  const pick = (n: number, kind: Kind): number[] => {
    const out: number[] = [];
    while (out.length < n) {
      const free = total - 1 - kinds.size;
      if (free * 2 >= total - 1) {
        const p = 1 + positions.below(total - 1);
        if (kinds.has(p)) continue;
        kinds.set(p, kind);
        out.push(p);
      } else {
        // Dense: take the k-th free position.
        let k = positions.below(free);
        for (let p = 1; p < total; ++p) {
          if (kinds.has(p)) continue;
          if (k-- === 0) {
            kinds.set(p, kind);
            out.push(p);
            break;
          }
        }
      }
    }
    return out.sort((a, b) => a - b);
  };
  const duplicateAt = pick(duplicates, Kind.Duplicate);
  const outOfPeriodAt = pick(outOfPeriod, Kind.OutOfPeriod);
  const phantomAt = pick(phantom, Kind.Phantom);
  const uncoveredAt = pick(uncovered, Kind.Uncovered);
  const originals = new Map<number, number>();
  for (const index of duplicateAt) {
    let original = 0;
    for (let attempt = 0; attempt < 64; ++attempt) {
      const candidate = positions.below(index);
      if (!kinds.has(candidate)) {
        original = candidate;
        break;
      }
    }
    originals.set(index, original);
  }

  const span = periodEnd - periodStart;
  const before = periodStart - validFrom;

  const genuine = (index: number, rng: Prng32): CdrRecord => {
    const draw = rng.below(weightSum);
    let w = 0;
    while (cumulative[w] <= draw) w += 1;
    const service = weights[w].service;
    const range = ranges[service];
    return {
      eventRef: refPrefix + index.toString().padStart(10, "0"),
      imsi: subscribers[rng.below(subscriberCount)],
      service,
      eventStart: periodStart + rng.belowBig(span),
      rawVolume: range.min + rng.belowBig(range.max - range.min + 1n),
      tax: tax === undefined ? 0n : tax.min + rng.belowBig(tax.max - tax.min + 1n),
    };
  };

  const record = (index: number): CdrRecord => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= total) {
      throw new InvalidArgumentError(`must be an index from 0 to ${total - 1}`, { field: "index", value: index });
    }
    const kind = kinds.get(index) ?? Kind.Normal;
    if (kind === Kind.Duplicate) return record(originals.get(index) as number);
    const rng = new Prng32(mix32(seed ^ mix32(index)));
    const base = genuine(index, rng);
    switch (kind) {
      case Kind.OutOfPeriod: {
        const early = before > 0n && (rng.next() & 1) === 0;
        const eventStart = early
          ? periodStart - 1n - rng.belowBig(before < WEEK ? before : WEEK)
          : periodEnd + rng.belowBig(WEEK);
        return { ...base, eventStart };
      }
      case Kind.Phantom:
        return { ...base, imsi: phantomImsis[rng.below(phantomPool)] };
      case Kind.Uncovered: {
        const service = uncoveredService as Service;
        const range = ranges[service];
        return { ...base, service, rawVolume: range.min + rng.belowBig(range.max - range.min + 1n) };
      }
      default:
        return base;
    }
  };

  const truth: SyntheticTruth = Object.freeze({
    duplicates: duplicateAt.map((index) => ({ index, originalIndex: originals.get(index) as number })),
    outOfPeriod: outOfPeriodAt,
    phantom: phantomAt,
    uncoveredService: uncoveredAt,
    subscribers,
    phantomImsis,
  });

  return {
    count: total,
    truth,
    record,
    *[Symbol.iterator](): Iterator<CdrRecord> {
      for (let i = 0; i < total; ++i) yield record(i);
    },
  };
}
