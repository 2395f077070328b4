/**
 * Adapter from the GSMA BWRP JSON model to the rating engine.
 *
 * Takes a discount agreement written as in GSMA's open-source Billing & Wholesale Roaming Platform (the
 * `gsma-bwr-roaming-v1` contract document of `GSMA-CPAS/BWRP-common-adapter`, whose `discounts` are what
 * `GSMA-CPAS/BWRP-calculation-service` rates) and the period's usage report (`usage.inbound` / `usage.outbound`),
 * and returns, per party, the deal value and the short-of-commitment of each service, computed by this package's
 * engine ({@link rate}, {@link applyCondition}) on plans that are one to one what the contracts would be given.
 *
 * Where this adapter differs from the BWRP calculation service, on purpose:
 * - No floating point. Prices, volumes, charges, taxes and commitments are decimal strings (safe-integer JSON numbers
 *   are accepted too) converted exactly: prices to wad, money to token base units, volumes (given in rating units:
 *   minutes, messages, MB, devices...) to volume units (seconds, messages, bytes, devices...). A value that would
 *   need rounding (a price finer than 10^-18, money finer than the token's decimals, 0.5 SMS, 1.01 min = 60.6 s)
 *   is an {@link InvalidArgumentError} naming the field, never rounded silently. Deal values are rounded once, half
 *   up, as the contracts do.
 * - One plan per RoamLedger service and party: two BWRP services of one party that map to the same RoamLedger
 *   service (e.g. "MOC Local" and "MOC Back Home", both voice MO) are an input error; choose with
 *   {@link BwrpOptions.serviceNames}.
 * - Back to first prices the whole volume at the highest tier whose start is below it; a volume exactly on a
 *   threshold stays in the lower tier, as in the threshold model. (The calculation service's loop does not stop at
 *   that tier and ends up pricing with the last one.)
 * - Contract revenue commitments count the charges (and taxes, if `includingTaxes`) of the services included in the
 *   commitment only (the calculation service counts every service); send-or-pay shortfalls are spread over the
 *   included services in proportion to their deal values with the engine's integer remainder rule, not as rounded
 *   floats, and the deal values stand (the calculation service reports the commitment itself as the total).
 * - Taxes are summed record by record (the calculation service's aggregation adds the charges into the taxes).
 * - Unknown service names, plan kinds, condition kinds and units are errors, not silently unconditional or ignored.
 * - Each usage record counts once for a service group, however often a TADIG is listed.
 * - The usage records of a service mapped to `iotAccess` count devices: their `units`, if given, must be a device
 *   unit ("IMSI"...), so that MB are never priced as devices.
 *
 * Service mapping ({@link BWRP_SERVICES}; names are compared ignoring case, spaces, `-` and `_`):
 *
 * | BWRP service                                                          | RoamLedger      | Rating unit    |
 * | --------------------------------------------------------------------- | --------------- | -------------- |
 * | MOC, MOC Local, MOC Back Home, MOC International, MOC EU, MOC EEA,    | `voiceMO` (0)   | min            |
 * | MOC RoW, MOC Premium, MOC Satellite, MOC Special Destinations         |                 |                |
 * | MTC                                                                   | `voiceMT` (1)   | min            |
 * | SMS MO, SMSMO                                                         | `smsMO` (2)     | SMS            |
 * | SMS MT, SMSMT                                                         | `smsMT` (3)     | SMS            |
 * | GPRS, Data                                                            | `data` (4)      | MB             |
 * | VoLTE                                                                 | `volte` (5)     | min            |
 * | M2M, NB-IoT, LTE-M (their `accessPricing`), Network Access            | `iotAccess` (6) | IMSI (devices) |
 * | (RoamLedger keys, e.g. `sliceHours`, `spectrumMHzHours`)              | same            | hour, MHz-hour |
 * | MOC Video Telephony, ViLTE, IMS Signalling                            | none (error)    |                |
 *
 * Plan kinds (`ratingPlan.kind`): "Flat rate", "Linear rate", "Tiered with Thresholds", "Normal" (or no kind, with
 * a `rate`) -> `Threshold`; "Threshold - back to first" -> `BackToFirst`; "Balanced/Unbalanced (Linear rate)",
 * "Balanced/Unbalanced" (or no kind, with `balancedRate` / `unbalancedRate`) -> `Ratio`; any threshold-style
 * `accessPricing` (or the usage pricing of a service mapped to `iotAccess`) -> `Access`; "Not Charged" (no
 * pricing) -> a `Threshold` plan with no tiers (deal value 0).
 *
 * Conditions (`condition.kind`): "Unconditional" (or no condition) -> `Unconditional`; "Contract Revenue
 * Commitment" -> `ContractRevenue`; "Deal Revenue Commitment" / "Discount Revenue Commitment" -> `DiscountRevenue`
 * (send-or-pay). `commitment.value` is in currency units; `includedInCommitment` (default false, as in the BWRP
 * calculation service) sets the service's bit in `includedServices`.
 *
 * Usage: a party's volume of a service is the sum of the records (from `inbound` and `outbound`) of that service name
 * whose `homeTadig` is in the service group's `homeTadigs` and `visitorTadig` in its `visitorTadigs`; the opposite
 * volume (for balanced/unbalanced) is the sum of the records with the two lists swapped. The party's direction is
 * the list its records came from.
 *
 * Pure: no Node-only API, no floating point.
 */
import { InvalidArgumentError } from "../errors";
import { applyCondition, decimalToUnits, rate, validatePlans } from "./engine";
import {
  CONDITION_KIND_NAMES,
  ConditionKind,
  MAX_DECIMALS,
  PLAN_KIND_NAMES,
  PlanKind,
  RATING_UNITS,
  SERVICE_KEYS,
  Service,
  UINT128_MAX,
  UINT64_MAX,
  UINT96_MAX,
  type Condition,
  type ConditionKindName,
  type PlanKindName,
  type ServiceFigures,
  type ServiceKey,
  type ServiceOutcome,
  type ServicePlan,
  type Tier,
} from "./types";

/*//////////////////////////////////////////////////////////////////////////
                                  INPUT MODEL
//////////////////////////////////////////////////////////////////////////*/

/** The document version this adapter reads. */
export const BWRP_VERSION = "gsma-bwr-roaming-v1";

/** A decimal in the BWRP JSON: a string such as `"0.05"` (a safe-integer JSON number such as `0` is accepted too). */
export type BwrpDecimal = string | number;

/** One threshold of a BWRP rate: `start` in rating units, prices in currency units (per rating unit for linear). */
export interface BwrpThreshold {
  readonly start: BwrpDecimal;
  readonly fixedPrice?: BwrpDecimal;
  readonly linearPrice?: BwrpDecimal;
}

/** A BWRP rate: either `thresholds`, or one flat/linear price from 0. */
export interface BwrpRate {
  readonly thresholds?: readonly BwrpThreshold[];
  readonly fixedPrice?: BwrpDecimal;
  readonly linearPrice?: BwrpDecimal;
}

/** A BWRP rating plan: `rate` for the threshold kinds, `balancedRate` + `unbalancedRate` for balanced/unbalanced. */
export interface BwrpRatingPlan {
  readonly kind?: string;
  readonly rate?: BwrpRate;
  readonly balancedRate?: BwrpRate;
  readonly unbalancedRate?: BwrpRate;
}

/** A BWRP pricing: the unit prices are quoted per (e.g. `"Min"`, `"SMS"`, `"MB"`, `"IMSI"`) and the plan. */
export interface BwrpPricing {
  readonly unit?: string;
  readonly ratingPlan: BwrpRatingPlan;
}

/** A service of a BWRP service group. */
export interface BwrpService {
  /** The BWRP service name, e.g. `"MOC Local"`, `"SMSMO"`, `"GPRS"`, `"NB-IoT"`. */
  readonly service: string;
  readonly includedInCommitment?: boolean;
  readonly usagePricing?: BwrpPricing | null;
  readonly accessPricing?: BwrpPricing | null;
}

/** Services priced for traffic from `homeTadigs` (the paying party's networks) on `visitorTadigs`. */
export interface BwrpServiceGroup {
  readonly homeTadigs: readonly string[];
  readonly visitorTadigs: readonly string[];
  readonly services: readonly BwrpService[];
}

/** A BWRP condition, e.g. `{ kind: "Deal Revenue Commitment", commitment: { value: "12500", currency: "EUR" } }`. */
export interface BwrpCondition {
  readonly kind: string;
  readonly commitment?: {
    readonly value: BwrpDecimal;
    readonly currency?: string;
    readonly includingTaxes?: boolean;
  };
}

/** One party's discount: its condition and service groups. */
export interface BwrpDiscount {
  readonly condition?: BwrpCondition;
  readonly serviceGroups: readonly BwrpServiceGroup[];
}

/**
 * A BWRP discount agreement: a `gsma-bwr-roaming-v1` document (only `discounts` is read, `version` is checked if
 * present), or the `discounts` of a calculation-service request.
 */
export interface BwrpAgreement {
  readonly version?: string;
  readonly metadata?: unknown;
  readonly framework?: unknown;
  /** The discounts by party (e.g. by MSP or operator code). */
  readonly discounts: Readonly<Record<string, BwrpDiscount>>;
}

/** One usage record: aggregated traffic of one service and TADIG pair, `usage` in rating units. */
export interface BwrpUsageRecord {
  readonly homeTadig: string;
  readonly visitorTadig: string;
  readonly service: string;
  /** The volume in rating units (minutes, messages, MB, devices...). */
  readonly usage: BwrpDecimal;
  /** The unit of `usage`, e.g. `"min"`; checked against the service's rating unit if present. */
  readonly units?: string;
  /** The base (IOT) charges, in currency units. */
  readonly charges?: BwrpDecimal;
  /** The taxes on those charges, in currency units. */
  readonly taxes?: BwrpDecimal;
  readonly currency?: string;
  readonly yearMonth?: string;
}

/** The usage report of the period. */
export interface BwrpUsage {
  readonly inbound?: readonly BwrpUsageRecord[];
  readonly outbound?: readonly BwrpUsageRecord[];
}

/** A calculation-service request: discounts and usage together. */
export interface BwrpCalculationRequest extends BwrpAgreement {
  readonly usage: BwrpUsage;
}

/** Options of {@link rateBwrpAgreement}. */
export interface BwrpOptions {
  /** The settlement token's decimals (0 to 18): money is returned in its base units. */
  readonly decimals: number;
  /**
   * Extra or overriding BWRP service names: the RoamLedger service key each maps to, or `null` to leave that BWRP
   * service unrated (its usage is then ignored). Looked up like {@link BWRP_SERVICES} (ignoring case, spaces, `-`
   * and `_`), before it.
   */
  readonly serviceNames?: Readonly<Record<string, ServiceKey | null>>;
  /**
   * The charging increment to put in each generated plan, by service key (default 1). The BWRP model has none; the
   * increment does not change the rating of aggregated volumes, only the plans handed to the contracts.
   */
  readonly increments?: Readonly<Partial<Record<ServiceKey, number | bigint>>>;
  /** If set, every commitment and usage record that names a currency must name this one. */
  readonly currency?: string;
}

/*//////////////////////////////////////////////////////////////////////////
                                 OUTPUT MODEL
//////////////////////////////////////////////////////////////////////////*/

/** A usage direction of the BWRP usage report. */
export type BwrpDirection = "inbound" | "outbound";

/** The exact figures of one service (bigint, for computation; the strings beside them are the same numbers). */
export interface BwrpServiceAmounts {
  readonly volume: bigint;
  readonly oppositeVolume: bigint;
  readonly dealValue: bigint;
  readonly charges: bigint;
  readonly taxes: bigint;
  readonly value: bigint;
  readonly shortfall: bigint;
}

/** The result of one service of one party. Money in token base units, volumes in volume units, as decimal strings. */
export interface BwrpServiceResult {
  /** The RoamLedger service key, e.g. `"voiceMO"`. */
  readonly service: ServiceKey;
  /** The RoamLedger service id. */
  readonly serviceId: Service;
  /** The service's name in the agreement, e.g. `"MOC Local"`. */
  readonly bwrpService: string;
  /** The plan kind the BWRP plan maps to. */
  readonly kind: PlanKindName;
  readonly includedInCommitment: boolean;
  /** The service group's TADIG lists. */
  readonly homeTadigs: readonly string[];
  readonly visitorTadigs: readonly string[];
  /** The party's volume (seconds, messages, bytes, devices, hours or MHz-hours). */
  readonly volume: string;
  /** The other direction's volume (what balanced/unbalanced matches against). */
  readonly oppositeVolume: string;
  /** The deal value of the volume under the discount plan. */
  readonly dealValue: string;
  /** The reported base charges and taxes. */
  readonly charges: string;
  readonly taxes: string;
  /** What is owed for the service once the condition is applied, shortfall included. */
  readonly value: string;
  /** The service's share of the send-or-pay short-of-commitment (part of `value`). */
  readonly shortfall: string;
  readonly exact: BwrpServiceAmounts;
}

/** The engine's own inputs and outputs for one party: what the contracts would be given and would return. */
export interface BwrpEngineView {
  /** The plans, services ascending, validated with {@link validatePlans}. */
  readonly plans: readonly ServicePlan[];
  readonly condition: Condition;
  /** The figures handed to {@link applyCondition}, services ascending. */
  readonly figures: readonly ServiceFigures[];
  readonly outcomes: readonly ServiceOutcome[];
}

/** The result of one party's discount. */
export interface BwrpPartyResult {
  /** The party's key in `discounts`. */
  readonly party: string;
  /** The usage list the party's records came from (null if it has none). */
  readonly direction: BwrpDirection | null;
  readonly condition: {
    readonly kind: ConditionKindName;
    /** In token base units. */
    readonly commitment: string;
    readonly includingTaxes: boolean;
    readonly includedServices: readonly ServiceKey[];
  };
  /** False only when a contract revenue commitment was not reached: each service then owes its base charges. */
  readonly dealApplies: boolean;
  /**
   * Whether the commitment was reached: always for Unconditional; the included charges (and taxes) for
   * ContractRevenue; the included deal values for DiscountRevenue.
   */
  readonly commitmentReached: boolean;
  /** Sums over the services, in token base units. */
  readonly dealValue: string;
  readonly value: string;
  readonly shortfall: string;
  /** The services, ascending by RoamLedger id. */
  readonly services: readonly BwrpServiceResult[];
  readonly engine: BwrpEngineView;
}

/** The result of {@link rateBwrpAgreement}. */
export interface BwrpResult {
  /** The token decimals the money is expressed in. */
  readonly decimals: number;
  /** One result per party, in the order of `discounts`. */
  readonly parties: readonly BwrpPartyResult[];
}

/*//////////////////////////////////////////////////////////////////////////
                                SERVICE MAPPING
//////////////////////////////////////////////////////////////////////////*/

/**
 * BWRP service names and the RoamLedger service each maps to (see the table in this module's documentation).
 * Lookups ignore case, spaces, `-` and `_` ({@link normalizeBwrpName}); RoamLedger's own keys map to themselves.
 */
export const BWRP_SERVICES: Readonly<Record<string, ServiceKey>> = Object.freeze({
  MOC: "voiceMO",
  "MOC Local": "voiceMO",
  "MOC Back Home": "voiceMO",
  "MOC International": "voiceMO",
  "MOC EU": "voiceMO",
  "MOC EEA": "voiceMO",
  "MOC RoW": "voiceMO",
  "MOC Premium": "voiceMO",
  "MOC Satellite": "voiceMO",
  "MOC Special Destinations": "voiceMO",
  MTC: "voiceMT",
  "SMS MO": "smsMO",
  "SMS MT": "smsMT",
  GPRS: "data",
  Data: "data",
  VoLTE: "volte",
  M2M: "iotAccess",
  "NB-IoT": "iotAccess",
  "LTE-M": "iotAccess",
  "Network Access": "iotAccess",
});

/** `name` upper-cased, without spaces, `-` and `_`: `"SMS MO"`, `"SMSMO"` and `"sms_mo"` all give `"SMSMO"`. */
export function normalizeBwrpName(name: string): string {
  return name.toUpperCase().replace(/[\s_-]+/g, "");
}

const DEFAULT_SERVICES: ReadonlyMap<string, ServiceKey> = new Map<string, ServiceKey>([
  ...Object.entries(BWRP_SERVICES).map(([name, key]) => [normalizeBwrpName(name), key] as [string, ServiceKey]),
  ...SERVICE_KEYS.map((key) => [normalizeBwrpName(key), key] as [string, ServiceKey]),
]);

/**
 * The RoamLedger service a BWRP service name maps to: a service id, `null` if `overrides` leaves it unrated, or
 * `undefined` if the name is unknown.
 */
export function bwrpServiceOf(
  name: string,
  overrides?: Readonly<Record<string, ServiceKey | null>>,
): Service | null | undefined {
  const key = normalizeBwrpName(name);
  if (overrides !== undefined) {
    for (const [overridden, target] of Object.entries(overrides)) {
      if (normalizeBwrpName(overridden) !== key) continue;
      if (target === null) return null;
      const id = SERVICE_KEYS.indexOf(target);
      if (id < 0) {
        throw new InvalidArgumentError(`not a RoamLedger service key (one of ${SERVICE_KEYS.join(", ")})`, {
          field: `options.serviceNames[${JSON.stringify(overridden)}]`,
          value: target,
        });
      }
      return id as Service;
    }
  }
  const target = DEFAULT_SERVICES.get(key);
  return target === undefined ? undefined : (SERVICE_KEYS.indexOf(target) as Service);
}

/** The units accepted for each service's rating unit (compared case-insensitively), indexed by service id. */
const UNIT_ALIASES: readonly (readonly string[])[] = [
  ["min", "mins", "minute", "minutes"],
  ["min", "mins", "minute", "minutes"],
  ["sms", "msg", "message", "messages"],
  ["sms", "msg", "message", "messages"],
  ["mb"],
  ["min", "mins", "minute", "minutes"],
  ["imsi", "imsis", "device", "devices", "subscription", "subscriptions", "sim", "sims"],
  ["h", "hour", "hours"],
  ["mhzh", "mhz-h", "mhz-hour", "mhz-hours"],
];

/** The volume unit of each service, for messages, indexed by service id. */
const VOLUME_UNITS = ["s", "s", "messages", "messages", "bytes", "s", "devices", "hours", "MHz-hours"];

/*//////////////////////////////////////////////////////////////////////////
                                    PARSING
//////////////////////////////////////////////////////////////////////////*/

function at(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) throw new InvalidArgumentError("not an object", { field, value });
  return value;
}

function list(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError("not an array", { field, value });
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "")
    throw new InvalidArgumentError("not a non-empty string", { field, value });
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new InvalidArgumentError("not a boolean", { field, value });
  return value;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** A BWRP decimal as a decimal string (safe-integer numbers converted exactly; other numbers rejected). */
function decimalText(value: unknown, field: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value.toString();
  throw new InvalidArgumentError(
    typeof value === "number"
      ? 'a fractional or unsafe JSON number cannot be read exactly: give decimals as strings (e.g. "0.05")'
      : 'not a decimal (a string such as "0.05")',
    { field, value },
  );
}

function bounded(value: bigint, max: bigint, what: string, field: string, raw: unknown): bigint {
  if (value > max) throw new InvalidArgumentError(`too large: ${what}`, { field, value: raw });
  return value;
}

/** A price in currency units -> wad, fitting uint96. */
function price(value: unknown, field: string): bigint {
  if (!present(value)) return 0n;
  const wad = decimalToUnits(decimalText(value, field), MAX_DECIMALS, field);
  return bounded(wad, UINT96_MAX, "a price must fit uint96 in wad (about 79 billion units)", field, value);
}

/** Money in currency units -> token base units (absent: 0). */
function money(value: unknown, decimals: number, field: string): bigint {
  if (!present(value)) return 0n;
  return decimalToUnits(decimalText(value, field), decimals, field);
}

/** A quantity in rating units -> volume units, which must be whole. */
function volumeOf(value: unknown, service: Service, field: string): bigint {
  const textValue = decimalText(value, field);
  const fraction = /\.([0-9]+)$/.exec(textValue)?.[1] ?? "";
  const scaled = decimalToUnits(textValue, fraction.length, field); // exact: value * 10^k
  const scale = 10n ** BigInt(fraction.length);
  const unit = RATING_UNITS[service];
  if ((scaled * unit) % scale !== 0n) {
    throw new InvalidArgumentError(
      `not a whole number of ${VOLUME_UNITS[service]} (${unit} per rating unit of ${SERVICE_KEYS[service]})`,
      { field, value },
    );
  }
  return (scaled * unit) / scale;
}

function checkUnit(unit: unknown, service: Service, field: string): void {
  if (!present(unit)) return;
  const name = text(unit, field);
  if (!UNIT_ALIASES[service].includes(name.toLowerCase())) {
    throw new InvalidArgumentError(
      `not the rating unit of ${SERVICE_KEYS[service]} (one of ${UNIT_ALIASES[service].join(", ")})`,
      { field, value: unit },
    );
  }
}

function checkCurrency(value: unknown, options: BwrpOptions, field: string): void {
  if (options.currency === undefined || !present(value)) return;
  if (value !== options.currency) {
    throw new InvalidArgumentError(`not the settlement currency ${JSON.stringify(options.currency)}`, { field, value });
  }
}

const THRESHOLD_KINDS = ["flat rate", "linear rate", "tiered with thresholds", "normal", "threshold"];
const BACK_TO_FIRST_KINDS = ["threshold - back to first"];
const RATIO_KINDS = ["balanced/unbalanced (linear rate)", "balanced/unbalanced"];

function tiersOf(rateValue: unknown, field: string, service: Service): Tier[] {
  const r = record(rateValue, field);
  const hasThresholds = present(r.thresholds);
  const hasFlat = present(r.fixedPrice) || present(r.linearPrice);
  if (hasThresholds && hasFlat) {
    throw new InvalidArgumentError("has both thresholds and a flat fixedPrice/linearPrice: give one", {
      field,
      value: rateValue,
    });
  }
  if (!hasThresholds) {
    if (!hasFlat) throw new InvalidArgumentError("has neither thresholds nor a price", { field, value: rateValue });
    return [
      {
        start: 0n,
        fixedPrice: price(r.fixedPrice, at(field, "fixedPrice")),
        linearPrice: price(r.linearPrice, at(field, "linearPrice")),
      },
    ];
  }
  const thresholdsField = at(field, "thresholds");
  return list(r.thresholds, thresholdsField).map((item, i) => {
    const tField = at(thresholdsField, i);
    const t = record(item, tField);
    if (!present(t.start)) throw new InvalidArgumentError("missing", { field: at(tField, "start"), value: t.start });
    const start = volumeOf(t.start, service, at(tField, "start"));
    return {
      start: bounded(start, UINT64_MAX, "a threshold must fit uint64 volume units", at(tField, "start"), t.start),
      fixedPrice: price(t.fixedPrice, at(tField, "fixedPrice")),
      linearPrice: price(t.linearPrice, at(tField, "linearPrice")),
    };
  });
}

/** The kind, tiers and unbalanced tiers of one BWRP pricing. */
function planOf(
  pricingValue: unknown,
  service: Service,
  access: boolean,
  field: string,
): { kind: PlanKind; tiers: Tier[]; unbalancedTiers: Tier[] } {
  const pricing = record(pricingValue, field);
  checkUnit(pricing.unit, service, at(field, "unit"));
  const planField = at(field, "ratingPlan");
  const plan = record(pricing.ratingPlan, planField);
  const kindField = at(planField, "kind");
  const kindName = present(plan.kind) ? text(plan.kind, kindField).toLowerCase() : undefined;
  const ratioParts = present(plan.balancedRate) || present(plan.unbalancedRate);

  let ratio: boolean;
  let backToFirst = false;
  if (kindName === undefined) {
    if (ratioParts && present(plan.rate)) {
      throw new InvalidArgumentError("has both a rate and balanced/unbalanced rates: give a kind or one of them", {
        field: planField,
        value: plan,
      });
    }
    ratio = ratioParts;
  } else if (THRESHOLD_KINDS.includes(kindName) || BACK_TO_FIRST_KINDS.includes(kindName)) {
    ratio = false;
    backToFirst = BACK_TO_FIRST_KINDS.includes(kindName);
    if (ratioParts) {
      throw new InvalidArgumentError(`has balanced/unbalanced rates, but its kind is ${JSON.stringify(plan.kind)}`, {
        field: planField,
        value: plan,
      });
    }
  } else if (RATIO_KINDS.includes(kindName)) {
    ratio = true;
    if (present(plan.rate)) {
      throw new InvalidArgumentError(`has a rate, but its kind is ${JSON.stringify(plan.kind)}`, {
        field: at(planField, "rate"),
        value: plan.rate,
      });
    }
  } else {
    throw new InvalidArgumentError(
      'not a known plan kind ("Flat rate", "Linear rate", "Tiered with Thresholds", "Threshold - back to first", ' +
        '"Balanced/Unbalanced (Linear rate)")',
      { field: kindField, value: plan.kind },
    );
  }
  if (access && (ratio || backToFirst)) {
    throw new InvalidArgumentError("access pricing (per device) must be a threshold-style plan", {
      field: kindField,
      value: plan.kind,
    });
  }

  if (ratio) {
    return {
      kind: PlanKind.Ratio,
      tiers: present(plan.balancedRate) ? tiersOf(plan.balancedRate, at(planField, "balancedRate"), service) : [],
      unbalancedTiers: present(plan.unbalancedRate)
        ? tiersOf(plan.unbalancedRate, at(planField, "unbalancedRate"), service)
        : [],
    };
  }
  if (!present(plan.rate))
    throw new InvalidArgumentError("missing", { field: at(planField, "rate"), value: plan.rate });
  const kind = access ? PlanKind.Access : backToFirst ? PlanKind.BackToFirst : PlanKind.Threshold;
  return { kind, tiers: tiersOf(plan.rate, at(planField, "rate"), service), unbalancedTiers: [] };
}

/*//////////////////////////////////////////////////////////////////////////
                              AGREEMENT -> ENGINE
//////////////////////////////////////////////////////////////////////////*/

/** One rated service of a party's discount, as {@link bwrpDiscountToEngine} maps it. */
export interface BwrpPlannedService {
  readonly service: Service;
  readonly bwrpService: string;
  readonly includedInCommitment: boolean;
  readonly homeTadigs: readonly string[];
  readonly visitorTadigs: readonly string[];
  readonly plan: ServicePlan;
}

/** A party's discount in the engine's terms. */
export interface BwrpEngineDiscount {
  /** The rated services, ascending by service id. */
  readonly services: readonly BwrpPlannedService[];
  /** Their plans, ascending, validated with {@link validatePlans}. */
  readonly plans: readonly ServicePlan[];
  readonly condition: Condition;
}

/**
 * Maps one party's BWRP discount to the engine: one {@link ServicePlan} per service (ascending, validated) and the
 * {@link Condition}, amounts in base units of a token with `options.decimals` decimals.
 *
 * @param party The party's key in `discounts` (for error messages).
 * @throws InvalidArgumentError naming the field for anything the engine cannot express exactly.
 * @throws RatingError if the plans are invalid for the engine (e.g. `Rating_TiersNotAscending`,
 *   `Rating_UnbalancedTiersMismatch` for a balanced/unbalanced plan without unbalanced rate, `Rating_TooManyTiers`).
 */
export function bwrpDiscountToEngine(party: string, discount: BwrpDiscount, options: BwrpOptions): BwrpEngineDiscount {
  const decimals = checkDecimals(options);
  const base = at("discounts", party);
  const d = record(discount, base);
  const condition = conditionOf(d.condition, decimals, options, at(base, "condition"));

  const byService = new Map<Service, BwrpPlannedService & { field: string }>();
  const groupsField = at(base, "serviceGroups");
  list(d.serviceGroups, groupsField).forEach((groupValue, g) => {
    const groupField = at(groupsField, g);
    const group = record(groupValue, groupField);
    const homeTadigs = list(group.homeTadigs, at(groupField, "homeTadigs")).map((t, i) =>
      text(t, at(at(groupField, "homeTadigs"), i)),
    );
    const visitorTadigs = list(group.visitorTadigs, at(groupField, "visitorTadigs")).map((t, i) =>
      text(t, at(at(groupField, "visitorTadigs"), i)),
    );
    const servicesField = at(groupField, "services");
    list(group.services, servicesField).forEach((serviceValue, s) => {
      const field = at(servicesField, s);
      const entry = record(serviceValue, field);
      const name = text(entry.service, at(field, "service"));
      const service = bwrpServiceOf(name, options.serviceNames);
      if (service === null) return; // left unrated by the caller
      if (service === undefined) {
        throw new InvalidArgumentError(
          "not a BWRP service RoamLedger rates (map it with options.serviceNames, or to null to leave it unrated)",
          { field: at(field, "service"), value: name },
        );
      }
      const earlier = byService.get(service);
      if (earlier !== undefined) {
        throw new InvalidArgumentError(
          `maps to ${SERVICE_KEYS[service]}, which ${earlier.field} (${JSON.stringify(earlier.bwrpService)}) already ` +
            "prices: RoamLedger rates one plan per service and party (choose with options.serviceNames)",
          { field: at(field, "service"), value: name },
        );
      }
      const includedInCommitment = optionalBoolean(entry.includedInCommitment, at(field, "includedInCommitment"));
      const iot = service === Service.IoTAccess;
      const hasUsage = present(entry.usagePricing);
      const hasAccess = present(entry.accessPricing);
      if (hasAccess && !iot) {
        throw new InvalidArgumentError(
          `access pricing is for iotAccess only; ${name} maps to ${SERVICE_KEYS[service]}`,
          {
            field: at(field, "accessPricing"),
            value: entry.accessPricing,
          },
        );
      }
      if (hasAccess && hasUsage) {
        throw new InvalidArgumentError(
          "has both usage and access pricing: RoamLedger rates one plan per service (the usage pricing of " +
            `${name} has no RoamLedger service; drop it or map the service with options.serviceNames)`,
          { field: at(field, "usagePricing"), value: entry.usagePricing },
        );
      }
      let parts: { kind: PlanKind; tiers: Tier[]; unbalancedTiers: Tier[] };
      if (hasAccess) {
        parts = planOf(entry.accessPricing, service, true, at(field, "accessPricing"));
      } else if (hasUsage) {
        parts = planOf(entry.usagePricing, service, iot, at(field, "usagePricing"));
      } else {
        parts = { kind: iot ? PlanKind.Access : PlanKind.Threshold, tiers: [], unbalancedTiers: [] }; // Not Charged
      }
      const plan: ServicePlan = { service, increment: incrementOf(service, options), ...parts };
      byService.set(service, {
        service,
        bwrpService: name,
        includedInCommitment,
        homeTadigs,
        visitorTadigs,
        plan,
        field,
      });
    });
  });

  const services = [...byService.values()]
    .sort((a, b) => a.service - b.service)
    .map(({ field: _field, ...rest }) => rest);
  const plans = services.map((s) => s.plan);
  validatePlans(plans);
  let includedServices = 0;
  for (const s of services) if (s.includedInCommitment) includedServices |= 1 << s.service;
  return { services, plans, condition: { ...condition, includedServices } };
}

function checkDecimals(options: BwrpOptions): number {
  const o = record(options, "options");
  const decimals = o.decimals;
  if (typeof decimals !== "number" || !Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new InvalidArgumentError(`not a token's decimals (an integer from 0 to ${MAX_DECIMALS})`, {
      field: "options.decimals",
      value: decimals,
    });
  }
  return decimals;
}

function incrementOf(service: Service, options: BwrpOptions): bigint {
  const value = options.increments?.[SERVICE_KEYS[service]];
  if (value === undefined) return 1n;
  const field = at("options.increments", SERVICE_KEYS[service]);
  const increment = typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof increment !== "bigint" || increment <= 0n || increment >= 2n ** 32n) {
    throw new InvalidArgumentError("not a charging increment (an integer from 1 to 2^32 - 1)", { field, value });
  }
  return increment;
}

function conditionOf(
  value: unknown,
  decimals: number,
  options: BwrpOptions,
  field: string,
): Omit<Condition, "includedServices"> {
  const unconditional = { kind: ConditionKind.Unconditional, includingTaxes: false, commitment: 0n };
  if (!present(value)) return unconditional;
  const c = record(value, field);
  const kindName = text(c.kind, at(field, "kind"));
  let kind: ConditionKind;
  switch (kindName.toLowerCase()) {
    case "unconditional":
      return unconditional;
    case "contract revenue commitment":
      kind = ConditionKind.ContractRevenue;
      break;
    case "deal revenue commitment":
    case "discount revenue commitment":
      kind = ConditionKind.DiscountRevenue;
      break;
    default:
      throw new InvalidArgumentError(
        'not a known condition ("Unconditional", "Contract Revenue Commitment", "Deal Revenue Commitment")',
        { field: at(field, "kind"), value: kindName },
      );
  }
  const commitmentField = at(field, "commitment");
  const commitment = record(c.commitment, commitmentField);
  checkCurrency(commitment.currency, options, at(commitmentField, "currency"));
  const valueField = at(commitmentField, "value");
  if (!present(commitment.value))
    throw new InvalidArgumentError("missing", { field: valueField, value: commitment.value });
  const amount = bounded(
    money(commitment.value, decimals, valueField),
    UINT128_MAX,
    "a commitment must fit uint128 base units",
    valueField,
    commitment.value,
  );
  return {
    kind,
    includingTaxes: optionalBoolean(commitment.includingTaxes, at(commitmentField, "includingTaxes")),
    commitment: amount,
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                     USAGE
//////////////////////////////////////////////////////////////////////////*/

interface UsageRow {
  readonly direction: BwrpDirection;
  readonly index: number;
  readonly value: Record<string, unknown>;
  readonly service: string; // normalized
  readonly homeTadig: string;
  readonly visitorTadig: string;
}

function usageRows(usage: unknown): UsageRow[] {
  const u = record(usage, "usage");
  const rows: UsageRow[] = [];
  for (const direction of ["inbound", "outbound"] as const) {
    if (!present(u[direction])) continue;
    const field = at("usage", direction);
    list(u[direction], field).forEach((item, index) => {
      const rowField = at(field, index);
      const value = record(item, rowField);
      rows.push({
        direction,
        index,
        value,
        service: normalizeBwrpName(text(value.service, at(rowField, "service"))),
        homeTadig: text(value.homeTadig, at(rowField, "homeTadig")),
        visitorTadig: text(value.visitorTadig, at(rowField, "visitorTadig")),
      });
    });
  }
  return rows;
}

interface Aggregate {
  volume: bigint;
  charges: bigint;
  taxes: bigint;
  directions: Set<BwrpDirection>;
}

function aggregate(
  rows: readonly UsageRow[],
  name: string,
  service: Service,
  homeTadigs: ReadonlySet<string>,
  visitorTadigs: ReadonlySet<string>,
  decimals: number,
  options: BwrpOptions,
): Aggregate {
  const key = normalizeBwrpName(name);
  const result: Aggregate = { volume: 0n, charges: 0n, taxes: 0n, directions: new Set() };
  for (const row of rows) {
    if (row.service !== key || !homeTadigs.has(row.homeTadig) || !visitorTadigs.has(row.visitorTadig)) continue;
    const field = at(at("usage", row.direction), row.index);
    const r = row.value;
    checkUnit(r.units, service, at(field, "units"));
    checkCurrency(r.currency, options, at(field, "currency"));
    if (!present(r.usage)) throw new InvalidArgumentError("missing", { field: at(field, "usage"), value: r.usage });
    result.volume += volumeOf(r.usage, service, at(field, "usage"));
    result.charges += money(r.charges, decimals, at(field, "charges"));
    result.taxes += money(r.taxes, decimals, at(field, "taxes"));
    result.directions.add(row.direction);
  }
  return result;
}

/*//////////////////////////////////////////////////////////////////////////
                                    RATING
//////////////////////////////////////////////////////////////////////////*/

/**
 * Rates a BWRP discount agreement on a period's usage with the RoamLedger engine.
 *
 * For each party of `agreement.discounts` (in order): maps its discount to plans and a condition
 * ({@link bwrpDiscountToEngine}), aggregates its usage per service (and the opposite direction's, for
 * balanced/unbalanced), rates each service ({@link rate}, rounded once, half up) and applies the condition
 * ({@link applyCondition}).
 *
 * @example
 * ```ts
 * const result = rateBwrpAgreement(contract, usage, { decimals: 6 });
 * for (const party of result.parties) {
 *   for (const s of party.services) console.log(party.party, s.service, s.dealValue, s.shortfall);
 * }
 * ```
 * @param agreement A `gsma-bwr-roaming-v1` document, or any object with its `discounts`.
 * @param usage The period's usage report (`inbound` / `outbound` records).
 * @param options The token's decimals, and optional service-name mapping, increments and currency check.
 * @returns Per party, the deal value, value owed and short-of-commitment of each service, as decimal strings of
 *   token base units (with the exact bigints under `exact`), and the engine's own inputs and outputs under `engine`.
 * @throws InvalidArgumentError naming the field for input the engine cannot take exactly (a price finer than
 *   10^-18, money finer than the token's decimals, a volume that is not whole in volume units, an unknown service,
 *   plan kind, condition or unit, two BWRP services of one party mapping to one RoamLedger service, usage of one
 *   party in both directions...).
 * @throws RatingError where the contracts would revert (invalid plans, a volume above uint64, an amount above
 *   uint128).
 */
export function rateBwrpAgreement(agreement: BwrpAgreement, usage: BwrpUsage, options: BwrpOptions): BwrpResult {
  const decimals = checkDecimals(options);
  const a = record(agreement, "agreement");
  if (present(a.version) && a.version !== BWRP_VERSION) {
    throw new InvalidArgumentError(`not a ${BWRP_VERSION} document`, { field: "agreement.version", value: a.version });
  }
  const discounts = record(a.discounts, "discounts");
  const rows = usageRows(usage);
  const parties = Object.keys(discounts).map((party) =>
    rateParty(party, discounts[party] as BwrpDiscount, rows, decimals, options),
  );
  return { decimals, parties };
}

/** {@link rateBwrpAgreement} on a calculation-service request (`{ discounts, usage }`). */
export function rateBwrpRequest(request: BwrpCalculationRequest, options: BwrpOptions): BwrpResult {
  return rateBwrpAgreement(request, record(request, "request").usage as BwrpUsage, options);
}

function rateParty(
  party: string,
  discount: BwrpDiscount,
  rows: readonly UsageRow[],
  decimals: number,
  options: BwrpOptions,
): BwrpPartyResult {
  const mapped = bwrpDiscountToEngine(party, discount, options);
  const directions = new Set<BwrpDirection>();
  const rated = mapped.services.map((s) => {
    const home = new Set(s.homeTadigs);
    const visitor = new Set(s.visitorTadigs);
    const own = aggregate(rows, s.bwrpService, s.service, home, visitor, decimals, options);
    own.directions.forEach((d) => directions.add(d));
    const opposite =
      s.plan.kind === PlanKind.Ratio
        ? aggregate(rows, s.bwrpService, s.service, visitor, home, decimals, options).volume
        : 0n;
    const dealValue = rate(s.plan, own.volume, opposite, decimals);
    return { planned: s, volume: own.volume, opposite, dealValue, charges: own.charges, taxes: own.taxes };
  });
  if (directions.size > 1) {
    throw new InvalidArgumentError(
      "the party's usage records appear in both usage.inbound and usage.outbound: its direction is ambiguous",
      { field: at("discounts", party), value: party },
    );
  }

  const figures: ServiceFigures[] = rated.map((r) => ({
    service: r.planned.service,
    dealValue: r.dealValue,
    charges: r.charges,
    taxes: r.taxes,
  }));
  const { outcomes, dealApplies } = applyCondition(mapped.condition, figures);

  const condition = mapped.condition;
  let includedDeal = 0n;
  for (const r of rated) if (r.planned.includedInCommitment) includedDeal += r.dealValue;
  const commitmentReached =
    condition.kind === ConditionKind.DiscountRevenue ? includedDeal >= condition.commitment : dealApplies;

  const services: BwrpServiceResult[] = rated.map((r, i) => {
    const exact: BwrpServiceAmounts = {
      volume: r.volume,
      oppositeVolume: r.opposite,
      dealValue: r.dealValue,
      charges: r.charges,
      taxes: r.taxes,
      value: outcomes[i].value,
      shortfall: outcomes[i].shortfall,
    };
    return {
      service: SERVICE_KEYS[r.planned.service],
      serviceId: r.planned.service,
      bwrpService: r.planned.bwrpService,
      kind: PLAN_KIND_NAMES[r.planned.plan.kind],
      includedInCommitment: r.planned.includedInCommitment,
      homeTadigs: [...r.planned.homeTadigs],
      visitorTadigs: [...r.planned.visitorTadigs],
      volume: exact.volume.toString(),
      oppositeVolume: exact.oppositeVolume.toString(),
      dealValue: exact.dealValue.toString(),
      charges: exact.charges.toString(),
      taxes: exact.taxes.toString(),
      value: exact.value.toString(),
      shortfall: exact.shortfall.toString(),
      exact,
    };
  });
  const sum = (pick: (s: BwrpServiceAmounts) => bigint) => services.reduce((t, s) => t + pick(s.exact), 0n).toString();
  const [direction] = directions;
  return {
    party,
    direction: direction ?? null,
    condition: {
      kind: CONDITION_KIND_NAMES[condition.kind],
      commitment: condition.commitment.toString(),
      includingTaxes: condition.includingTaxes,
      includedServices: services.filter((s) => s.includedInCommitment).map((s) => s.service),
    },
    dealApplies,
    commitmentReached,
    dealValue: sum((s) => s.dealValue),
    value: sum((s) => s.value),
    shortfall: sum((s) => s.shortfall),
    services,
    engine: { plans: mapped.plans, condition, figures, outcomes },
  };
}

/**
 * The JSON text of a result, with every `bigint` written as a decimal string (so the `exact` and `engine` parts
 * survive `JSON.stringify`).
 */
export function stringifyBwrpResult(result: BwrpResult, space?: number): string {
  return JSON.stringify(
    result,
    (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    space,
  );
}
