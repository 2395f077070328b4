/**
 * The types of the rating engine, mirroring `contracts/types/RatingTypes.sol` one to one.
 *
 * Every enum has the same numbering as the Solidity enum; every amount, volume and price is a `bigint` (no floating
 * point anywhere). Pure: no Node-only API, runs in browsers as well as Node.
 */

/*//////////////////////////////////////////////////////////////////////////
                                    ENUMS
//////////////////////////////////////////////////////////////////////////*/

/**
 * The services the engine prices, numbered as Solidity's `enum Service`. Each has a volume unit (what records count)
 * and a rating unit (what prices are quoted per), see {@link RATING_UNITS}.
 */
export const Service = {
  /** Mobile-originated voice: seconds, priced per minute. */
  VoiceMO: 0,
  /** Mobile-terminated voice: seconds, priced per minute. */
  VoiceMT: 1,
  /** Mobile-originated SMS: messages, priced per message. */
  SmsMO: 2,
  /** Mobile-terminated SMS: messages, priced per message. */
  SmsMT: 3,
  /** Packet data: bytes, priced per MB (1,000,000 bytes). */
  Data: 4,
  /** Voice over LTE: seconds, priced per minute. */
  VoLTE: 5,
  /** IoT access: connected devices (subscriptions), priced per device. */
  IoTAccess: 6,
  /** Network-slice hours, priced per hour. */
  SliceHours: 7,
  /** MHz-hours of spectrum, priced per MHz-hour. */
  SpectrumMHzHours: 8,
} as const;
/** A service id, `0..8`. */
export type Service = (typeof Service)[keyof typeof Service];

/** The number of services (`Service` values are `0 .. SERVICE_COUNT - 1`). */
export const SERVICE_COUNT = 9;

/** The Solidity names of the services, indexed by id: `SERVICE_NAMES[Service.Data] === "Data"`. */
export const SERVICE_NAMES = [
  "VoiceMO",
  "VoiceMT",
  "SmsMO",
  "SmsMT",
  "Data",
  "VoLTE",
  "IoTAccess",
  "SliceHours",
  "SpectrumMHzHours",
] as const satisfies readonly (keyof typeof Service)[];
/** The Solidity name of a service, e.g. `"VoiceMO"`. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * The keys the SDK uses for services in JSON output (lower camel case), indexed by id:
 * `SERVICE_KEYS[Service.VoiceMO] === "voiceMO"`.
 */
export const SERVICE_KEYS = [
  "voiceMO",
  "voiceMT",
  "smsMO",
  "smsMT",
  "data",
  "volte",
  "iotAccess",
  "sliceHours",
  "spectrumMHzHours",
] as const;
/** A service's JSON key, e.g. `"voiceMO"`. */
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/**
 * How a plan turns a volume into a value (GSMA BWRP discount models), numbered as Solidity's `enum PlanKind`.
 * - `Threshold`: each tier reached charges `fixedPrice + linearPrice * v` on the part `v` of the volume inside it.
 * - `BackToFirst`: the highest tier whose start is below the volume prices the whole volume from zero.
 * - `Ratio`: `min(volume, opposite volume)` priced with `tiers`, the surplus with `unbalancedTiers`.
 * - `Access`: `Threshold` applied to a count of connected devices.
 */
export const PlanKind = { Threshold: 0, BackToFirst: 1, Ratio: 2, Access: 3 } as const;
/** A plan kind, `0..3`. */
export type PlanKind = (typeof PlanKind)[keyof typeof PlanKind];
/** The Solidity names of the plan kinds, indexed by value. */
export const PLAN_KIND_NAMES = ["Threshold", "BackToFirst", "Ratio", "Access"] as const;
/** A plan kind's Solidity name. */
export type PlanKindName = (typeof PLAN_KIND_NAMES)[number];

/**
 * What a discount deal is conditional on, numbered as Solidity's `enum ConditionKind`.
 * - `Unconditional`: the deal value applies.
 * - `ContractRevenue`: the deal applies only if the included services' charges (with taxes if `includingTaxes`)
 *   reach `commitment`; otherwise the charges stand.
 * - `DiscountRevenue` (send-or-pay): a shortfall of the included deal values below `commitment` is owed too, spread
 *   over the included services.
 */
export const ConditionKind = { Unconditional: 0, ContractRevenue: 1, DiscountRevenue: 2 } as const;
/** A condition kind, `0..2`. */
export type ConditionKind = (typeof ConditionKind)[keyof typeof ConditionKind];
/** The Solidity names of the condition kinds, indexed by value. */
export const CONDITION_KIND_NAMES = ["Unconditional", "ContractRevenue", "DiscountRevenue"] as const;
/** A condition kind's Solidity name. */
export type ConditionKindName = (typeof CONDITION_KIND_NAMES)[number];

/*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS
//////////////////////////////////////////////////////////////////////////*/

/**
 * The rating unit `U` of each service in volume units, indexed by service id (as `Rating.ratingUnit`): 60 s for
 * voice and VoLTE, 1,000,000 bytes for data, 1 for everything else.
 */
export const RATING_UNITS: readonly bigint[] = Object.freeze([60n, 60n, 1n, 1n, 1_000_000n, 60n, 1n, 1n, 1n]);

/** The most tiers a tier list may hold (`Rating.MAX_TIERS`). */
export const MAX_TIERS = 16;

/** The most decimals a settlement token may have (`Rating.MAX_DECIMALS`). */
export const MAX_DECIMALS = 18;

/** 10^18: prices are 18-decimal fixed point ("wad"). */
export const WAD = 10n ** 18n;

/** The largest values of the Solidity integer types the engine uses. */
export const UINT16_MAX = 2n ** 16n - 1n;
export const UINT32_MAX = 2n ** 32n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
export const UINT96_MAX = 2n ** 96n - 1n;
export const UINT128_MAX = 2n ** 128n - 1n;
export const UINT256_MAX = 2n ** 256n - 1n;

/*//////////////////////////////////////////////////////////////////////////
                                   STRUCTS
//////////////////////////////////////////////////////////////////////////*/

/**
 * One tier of a plan: from `start` (volume units) to the next tier's start; the last is unbounded.
 * Prices are wad (18-decimal fixed point) in whole settlement-token units.
 */
export interface Tier {
  /** The first volume unit of the tier (`uint64`). A volume equal to `start` does not reach the tier. */
  readonly start: bigint;
  /** Charged once when the tier is reached, in wad token units (`uint96`). */
  readonly fixedPrice: bigint;
  /** Charged per rating unit of the service inside the tier, in wad token units (`uint96`). */
  readonly linearPrice: bigint;
}

/** The plan of one service in a tariff (Solidity `ServicePlan`). */
export interface ServicePlan {
  readonly service: Service;
  readonly kind: PlanKind;
  /** The charging increment in volume units (`uint32`, must be greater than 0 to validate). */
  readonly increment: bigint;
  /** The tiers, starts strictly ascending, at most {@link MAX_TIERS}; the balanced tiers of a Ratio plan. */
  readonly tiers: Tier[];
  /** Only for Ratio plans: the tiers of the unbalanced surplus; empty otherwise. */
  readonly unbalancedTiers: Tier[];
}

/**
 * A price list: one plan per service, services strictly ascending (Solidity `Tariff`). The one tariff shape of the SDK:
 * every function and client takes and returns it (the arrays are plain arrays, so a `Tariff` is also what the
 * TypeChain bindings take). Read one from JSON with {@link parseTariff}, write one with {@link tariffToJson}.
 */
export interface Tariff {
  readonly plans: ServicePlan[];
}

/** A condition of a discount agreement (Solidity `Condition`). */
export interface Condition {
  readonly kind: ConditionKind;
  /** ContractRevenue only: count the taxes with the charges. */
  readonly includingTaxes: boolean;
  /** Bitmap of the services the commitment covers, bit `i` = `Service(i)` (`uint16`). */
  readonly includedServices: number;
  /** The committed value in settlement-token base units (`uint128`). */
  readonly commitment: bigint;
}

/** The period's figures of one service, input of `applyCondition` (Solidity `ServiceFigures`). */
export interface ServiceFigures {
  readonly service: Service;
  /** What the discount plan values the period's volume at (base units). */
  readonly dealValue: bigint;
  /** What the base (IOT) plan charged for the period (base units). */
  readonly charges: bigint;
  /** The taxes reported with those charges (base units). */
  readonly taxes: bigint;
}

/** The outcome of a condition for one service (Solidity `ServiceOutcome`). */
export interface ServiceOutcome {
  readonly service: Service;
  /** What is owed for the service for the period (base units), shortfall included. */
  readonly value: bigint;
  /** The part of `value` that is a send-or-pay shortfall (0 unless DiscountRevenue fell short). */
  readonly shortfall: bigint;
}

/** The result of `applyCondition`. */
export interface ConditionResult {
  /** One outcome per figure, in the figures' order. */
  readonly outcomes: ServiceOutcome[];
  /** False only when a ContractRevenue commitment was not reached (the base charges stand). */
  readonly dealApplies: boolean;
}
