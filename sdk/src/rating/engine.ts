/**
 * The rating engine: the TypeScript twin of `contracts/libraries/Rating.sol`.
 *
 * Every function returns what the library returns and throws where the library reverts, with the same error name and
 * arguments, in the same order of checks. The Solidity code is the specification; the comments quote it where the
 * order matters.
 *
 * Two families of errors:
 * - {@link RatingError}: what the contract would revert with. `code` is the Solidity error's name
 *   (e.g. `"Rating_TiersNotAscending"`) and `args` its arguments in order, as `bigint`s (as ethers decodes them).
 *   Arithmetic the library leaves to Solidity's checked arithmetic (only reachable with plans that
 *   {@link validatePlan} rejects, or with {@link toAmount} and {@link chargedVolume} called directly) throws
 *   `code: "Panic"` with the panic code: `0x11` (overflow/underflow) or `0x12` (division by zero).
 * - {@link InvalidArgumentError}: input the ABI could not even encode (a negative volume, a price above uint96, a
 *   service id 9, a fractional number...). Checked first, for the whole input, as the ABI decoder would.
 *
 * Units and the one rounding rule (docs/ARCHITECTURE.md section 5): the value of one (service, direction, period) is
 * `N / D` with `N = 10^decimals * Σ (fixedPrice * U + linearPrice * v)` over the tiers reached and `D = U * 10^18`,
 * rounded half up once: `(N + D / 2) / D`.
 *
 * Pure: no Node-only API, no floating point; runs in browsers as well as Node.
 */
import { InvalidArgumentError } from "../errors";
import type { UintLike } from "../validation";
import {
  ConditionKind,
  MAX_DECIMALS,
  MAX_TIERS,
  PlanKind,
  RATING_UNITS,
  SERVICE_COUNT,
  SERVICE_NAMES,
  UINT128_MAX,
  UINT16_MAX,
  UINT256_MAX,
  UINT32_MAX,
  UINT64_MAX,
  UINT96_MAX,
  WAD,
  type Condition,
  type ConditionResult,
  type Service,
  type ServiceFigures,
  type ServiceOutcome,
  type ServicePlan,
  type Tier,
} from "./types";

/*//////////////////////////////////////////////////////////////////////////
                                    ERRORS
//////////////////////////////////////////////////////////////////////////*/

/** The Solidity errors of `Rating.sol`, with their parameters in order (and `Panic`, Solidity's built-in). */
export const RATING_ERRORS = {
  Rating_ZeroIncrement: [["service", "uint8"]],
  Rating_TooManyTiers: [
    ["service", "uint8"],
    ["count", "uint256"],
    ["max", "uint256"],
  ],
  Rating_TiersNotAscending: [
    ["service", "uint8"],
    ["index", "uint256"],
  ],
  Rating_UnbalancedTiersMismatch: [
    ["service", "uint8"],
    ["kind", "uint8"],
  ],
  Rating_VolumeTooLarge: [
    ["service", "uint8"],
    ["volume", "uint256"],
  ],
  Rating_TooManyDecimals: [["decimals", "uint8"]],
  Rating_AmountOverflow: [
    ["service", "uint8"],
    ["amount", "uint256"],
  ],
  Rating_ServicesNotAscending: [["index", "uint256"]],
  Panic: [["code", "uint256"]],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

/** The name of a Solidity error the engine can throw (`"Panic"` for checked arithmetic). */
export type RatingErrorCode = keyof typeof RATING_ERRORS;

/** Solidity's panic code for an arithmetic overflow or underflow. */
export const PANIC_ARITHMETIC = 0x11n;
/** Solidity's panic code for a division by zero. */
export const PANIC_DIVISION_BY_ZERO = 0x12n;

/**
 * What the rating library would revert with. `code` is the Solidity error's name and `args` its arguments in
 * declaration order, as `bigint`s (enums and `uint8` included), exactly as ethers decodes the revert.
 */
export class RatingError extends Error {
  override name: string = "RatingError";
  /** The Solidity error's name, e.g. `"Rating_TiersNotAscending"`, or `"Panic"`. */
  readonly code: RatingErrorCode;
  /** The error's arguments in declaration order, e.g. `[service, index]`. */
  readonly args: readonly bigint[];

  constructor(code: RatingErrorCode, args: readonly bigint[]) {
    const params = RATING_ERRORS[code];
    const shown = args.map((arg, i) => {
      const [name] = params[i] ?? ["?"];
      const label = name === "service" && arg < BigInt(SERVICE_COUNT) ? ` (${SERVICE_NAMES[Number(arg)]})` : "";
      return `${name}: ${code === "Panic" ? `0x${arg.toString(16)}` : arg.toString()}${label}`;
    });
    super(`${code}(${shown.join(", ")})`);
    this.code = code;
    this.args = Object.freeze([...args]);
  }

  /** The Solidity signature, e.g. `"Rating_TiersNotAscending(uint8,uint256)"`. */
  get signature(): string {
    return `${this.code}(${RATING_ERRORS[this.code].map(([, type]) => type).join(",")})`;
  }
}

/** Whether `error` is a {@link RatingError}, optionally with the given code. */
export function isRatingError(error: unknown, code?: RatingErrorCode): error is RatingError {
  return error instanceof RatingError && (code === undefined || error.code === code);
}

function panic(code: bigint): RatingError {
  return new RatingError("Panic", [code]);
}

/*//////////////////////////////////////////////////////////////////////////
                              CHECKED ARITHMETIC
//////////////////////////////////////////////////////////////////////////*/

// uint256 arithmetic as Solidity 0.8 checks it.

function add(a: bigint, b: bigint): bigint {
  const r = a + b;
  if (r > UINT256_MAX) throw panic(PANIC_ARITHMETIC);
  return r;
}

function sub(a: bigint, b: bigint): bigint {
  if (b > a) throw panic(PANIC_ARITHMETIC);
  return a - b;
}

function mul(a: bigint, b: bigint): bigint {
  const r = a * b;
  if (r > UINT256_MAX) throw panic(PANIC_ARITHMETIC);
  return r;
}

function div(a: bigint, b: bigint): bigint {
  if (b === 0n) throw panic(PANIC_DIVISION_BY_ZERO);
  return a / b;
}

/*//////////////////////////////////////////////////////////////////////////
                           INPUT SHAPE (ABI-LEVEL)
//////////////////////////////////////////////////////////////////////////*/

/** An unsigned integer of `bits` bits: a `bigint`, or a safe-integer `number`. */
function uint(value: unknown, max: bigint, type: string, field: string): bigint {
  let v: bigint;
  if (typeof value === "bigint") {
    v = value;
  } else if (typeof value === "number" && Number.isSafeInteger(value)) {
    v = BigInt(value);
  } else if (typeof value === "string" && /^[0-9]+$/.test(value)) {
    v = BigInt(value); // a decimal string (UintLike): exact at any size
  } else {
    throw new InvalidArgumentError(`not an integer (${type}: a bigint, a safe-integer number or a decimal string)`, {
      field,
      value,
    });
  }
  if (v < 0n || v > max) throw new InvalidArgumentError(`out of range for ${type} (0 to ${max})`, { field, value });
  return v;
}

function enumValue(value: unknown, count: number, type: string, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= count) {
    throw new InvalidArgumentError(`not a ${type} (an integer from 0 to ${count - 1})`, { field, value });
  }
  return value;
}

function serviceValue(value: unknown, field: string): Service {
  return enumValue(value, SERVICE_COUNT, "Service", field) as Service;
}

function uint8(value: unknown, field: string): number {
  return Number(uint(value, 255n, "uint8", field));
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError("not an object", { field, value });
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError("not an array", { field, value });
  return value;
}

/** A plan whose fields all have their ABI types' ranges; increment as bigint. */
interface CheckedPlan {
  readonly service: Service;
  readonly kind: PlanKind;
  readonly increment: bigint;
  readonly tiers: readonly Tier[];
  readonly unbalancedTiers: readonly Tier[];
}

function checkTier(value: unknown, field: string): Tier {
  const t = object(value, field);
  return {
    start: uint(t.start, UINT64_MAX, "uint64", `${field}.start`),
    fixedPrice: uint(t.fixedPrice, UINT96_MAX, "uint96", `${field}.fixedPrice`),
    linearPrice: uint(t.linearPrice, UINT96_MAX, "uint96", `${field}.linearPrice`),
  };
}

function checkTiers(value: unknown, field: string): Tier[] {
  return array(value, field).map((t, i) => checkTier(t, `${field}[${i}]`));
}

function checkPlan(value: unknown, field: string): CheckedPlan {
  const p = object(value, field);
  return {
    service: serviceValue(p.service, `${field}.service`),
    kind: enumValue(p.kind, 4, "PlanKind", `${field}.kind`) as PlanKind,
    increment: uint(p.increment, UINT32_MAX, "uint32", `${field}.increment`),
    tiers: checkTiers(p.tiers, `${field}.tiers`),
    unbalancedTiers: checkTiers(p.unbalancedTiers, `${field}.unbalancedTiers`),
  };
}

function checkCondition(value: unknown, field: string): Condition {
  const c = object(value, field);
  if (typeof c.includingTaxes !== "boolean") {
    throw new InvalidArgumentError("not a boolean", { field: `${field}.includingTaxes`, value: c.includingTaxes });
  }
  return {
    kind: enumValue(c.kind, 3, "ConditionKind", `${field}.kind`) as ConditionKind,
    includingTaxes: c.includingTaxes,
    includedServices: Number(uint(c.includedServices, UINT16_MAX, "uint16", `${field}.includedServices`)),
    commitment: uint(c.commitment, UINT128_MAX, "uint128", `${field}.commitment`),
  };
}

function checkFigures(value: unknown, field: string): ServiceFigures[] {
  return array(value, field).map((item, i) => {
    const f = object(item, `${field}[${i}]`);
    return {
      service: serviceValue(f.service, `${field}[${i}].service`),
      dealValue: uint(f.dealValue, UINT256_MAX, "uint256", `${field}[${i}].dealValue`),
      charges: uint(f.charges, UINT256_MAX, "uint256", `${field}[${i}].charges`),
      taxes: uint(f.taxes, UINT256_MAX, "uint256", `${field}[${i}].taxes`),
    };
  });
}

/*//////////////////////////////////////////////////////////////////////////
                                    UNITS
//////////////////////////////////////////////////////////////////////////*/

/**
 * The rating unit of `service` in volume units: what one unit of `linearPrice` buys (`Rating.ratingUnit`).
 * 60 (seconds per minute) for voice and VoLTE, 1,000,000 (bytes per MB) for data, 1 otherwise.
 *
 * @throws InvalidArgumentError if `service` is not a service id.
 */
export function ratingUnit(service: Service): bigint {
  return RATING_UNITS[serviceValue(service, "service")];
}

/**
 * A record's raw volume rounded up to the charging increment, as the visited network bills it
 * (`Rating.chargedVolume`): `0` for `0`, else `ceil(raw / increment) * increment`.
 *
 * @param rawVolume A `uint256`.
 * @param increment A `uint32`. Zero is not rejected here (the library does not check it either): it throws
 *   `RatingError("Panic", [0x12n])` for a non-zero volume, as the library's division does.
 * @throws RatingError `Panic(0x11)` if the rounded volume exceeds uint256 (as the library's checked multiplication).
 * @throws InvalidArgumentError if an argument does not fit its ABI type.
 */
export function chargedVolume(rawVolume: UintLike, increment: UintLike): bigint {
  const raw = uint(rawVolume, UINT256_MAX, "uint256", "rawVolume");
  const inc = uint(increment, UINT32_MAX, "uint32", "increment");
  if (raw === 0n) return 0n;
  return mul(div(raw - 1n, inc) + 1n, inc);
}

/*//////////////////////////////////////////////////////////////////////////
                                  VALIDATION
//////////////////////////////////////////////////////////////////////////*/

/**
 * Throws unless `plan` is well-formed (`Rating.validatePlan`), checking in the library's order: non-zero increment
 * ({@link RatingError} `Rating_ZeroIncrement(service)`); at most {@link MAX_TIERS} tiers
 * (`Rating_TooManyTiers(service, count, 16)`) with strictly ascending starts (`Rating_TiersNotAscending(service, i)`);
 * unbalanced tiers exactly when the plan is a Ratio plan (`Rating_UnbalancedTiersMismatch(service, kind)`); then the
 * unbalanced tiers as the tiers.
 *
 * @throws InvalidArgumentError first, if any field does not fit its ABI type.
 */
export function validatePlan(plan: ServicePlan): void {
  validateCheckedPlan(checkPlan(plan, "plan"));
}

/**
 * Throws unless every plan is valid and the services strictly ascend (`Rating.validatePlans`): plan by plan, first
 * `Rating_ServicesNotAscending(i)` if plan `i`'s service does not come after plan `i - 1`'s, then plan `i`'s own
 * checks as {@link validatePlan}.
 *
 * @throws InvalidArgumentError first, if any field of any plan does not fit its ABI type.
 */
export function validatePlans(plans: readonly ServicePlan[]): void {
  const checked = array(plans, "plans").map((p, i) => checkPlan(p, `plans[${i}]`));
  for (let i = 0; i < checked.length; ++i) {
    if (i > 0 && checked[i].service <= checked[i - 1].service) {
      throw new RatingError("Rating_ServicesNotAscending", [BigInt(i)]);
    }
    validateCheckedPlan(checked[i]);
  }
}

/** Validates a tariff's plans (see {@link validatePlans}). */
export function validateTariff(tariff: { readonly plans: readonly ServicePlan[] }): void {
  validatePlans(object(tariff, "tariff").plans as readonly ServicePlan[]);
}

function validateCheckedPlan(plan: CheckedPlan): void {
  if (plan.increment === 0n) throw new RatingError("Rating_ZeroIncrement", [BigInt(plan.service)]);
  validateTiers(plan.service, plan.tiers);
  const ratio = plan.kind === PlanKind.Ratio;
  if (ratio !== (plan.unbalancedTiers.length !== 0)) {
    throw new RatingError("Rating_UnbalancedTiersMismatch", [BigInt(plan.service), BigInt(plan.kind)]);
  }
  if (ratio) validateTiers(plan.service, plan.unbalancedTiers);
}

function validateTiers(service: Service, tiers: readonly Tier[]): void {
  if (tiers.length > MAX_TIERS) {
    throw new RatingError("Rating_TooManyTiers", [BigInt(service), BigInt(tiers.length), BigInt(MAX_TIERS)]);
  }
  for (let i = 1; i < tiers.length; ++i) {
    if (tiers[i].start <= tiers[i - 1].start)
      throw new RatingError("Rating_TiersNotAscending", [BigInt(service), BigInt(i)]);
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                    RATING
//////////////////////////////////////////////////////////////////////////*/

/**
 * The value of `volume` under `plan`, in token base units, rounded once, half up (`Rating.rate`).
 *
 * Like the library, it does not validate the plan (call {@link validatePlan} for that); a plan the validation would
 * reject is rated as the library rates it, down to its `Panic(0x11)` on descending tier starts.
 *
 * Order of checks (as the library): `Rating_VolumeTooLarge(service, volume)` if `volume` exceeds uint64; for a Ratio
 * plan, `Rating_VolumeTooLarge(service, oppositeVolume)` if that does; then the sum over the tiers; then
 * `Rating_TooManyDecimals(decimals)` if `decimals > 18`; then `Rating_AmountOverflow(service, amount)` if the rounded
 * amount exceeds uint128.
 *
 * @param plan The plan (any plan kind; Threshold and Access rate alike).
 * @param volume The period's charged volume of this direction, in volume units (`uint256`).
 * @param oppositeVolume The other direction's volume (`uint256`; used, and bounded, by Ratio plans only).
 * @param decimals The settlement token's decimals (`uint8`; at most 18 to rate).
 * @throws InvalidArgumentError first, if an argument does not fit its ABI type.
 */
export function rate(plan: ServicePlan, volume: UintLike, oppositeVolume: UintLike, decimals: number | bigint): bigint {
  const p = checkPlan(plan, "plan");
  const v = uint(volume, UINT256_MAX, "uint256", "volume");
  const opposite = uint(oppositeVolume, UINT256_MAX, "uint256", "oppositeVolume");
  const d = uint8(decimals, "decimals");

  if (v > UINT64_MAX) throw new RatingError("Rating_VolumeTooLarge", [BigInt(p.service), v]);
  const unit = RATING_UNITS[p.service];
  let sum: bigint;
  if (p.kind === PlanKind.BackToFirst) {
    sum = backToFirst(p.tiers, unit, v);
  } else if (p.kind === PlanKind.Ratio) {
    if (opposite > UINT64_MAX) throw new RatingError("Rating_VolumeTooLarge", [BigInt(p.service), opposite]);
    const balanced = v < opposite ? v : opposite;
    sum = add(threshold(p.tiers, unit, balanced), threshold(p.unbalancedTiers, unit, v - balanced));
  } else {
    // Threshold and Access price the same way; Access counts devices instead of usage.
    sum = threshold(p.tiers, unit, v);
  }
  return amountOf(p.service, sum, unit, d);
}

/**
 * Applies the one rounding rule to an exact sum `sum = Σ (fixedPrice * U + linearPrice * v)` (`Rating.toAmount`):
 * `(sum * 10^decimals + D / 2) / D` with `D = unit * 10^18`.
 *
 * @param service The service, named by `Rating_AmountOverflow`.
 * @param sum A `uint256`.
 * @param unit The rating unit (`uint256`; normally {@link ratingUnit}).
 * @param decimals The token's decimals (`uint8`).
 * @throws RatingError `Rating_TooManyDecimals(decimals)` if `decimals > 18`; `Panic` on the library's checked
 *   arithmetic (`0x11` if an intermediate exceeds uint256, `0x12` if `unit` is 0); `Rating_AmountOverflow(service,
 *   amount)` if the amount exceeds uint128.
 * @throws InvalidArgumentError first, if an argument does not fit its ABI type.
 */
export function toAmount(service: Service, sum: UintLike, unit: UintLike, decimals: number | bigint): bigint {
  const s = serviceValue(service, "service");
  const total = uint(sum, UINT256_MAX, "uint256", "sum");
  const u = uint(unit, UINT256_MAX, "uint256", "unit");
  const d = uint8(decimals, "decimals");
  return amountOf(s, total, u, d);
}

function amountOf(service: Service, sum: bigint, unit: bigint, decimals: number): bigint {
  if (decimals > MAX_DECIMALS) throw new RatingError("Rating_TooManyDecimals", [BigInt(decimals)]);
  const denominator = mul(unit, WAD);
  const amount = div(add(mul(sum, 10n ** BigInt(decimals)), denominator / 2n), denominator);
  if (amount > UINT128_MAX) throw new RatingError("Rating_AmountOverflow", [BigInt(service), amount]);
  return amount;
}

/** Σ over the tiers the volume exceeds of `fixedPrice * U + linearPrice * (part of the volume in the tier)`. */
function threshold(tiers: readonly Tier[], unit: bigint, volume: bigint): bigint {
  const count = tiers.length;
  let sum = 0n;
  for (let i = 0; i < count; ++i) {
    const start = tiers[i].start;
    if (volume <= start) break; // starts ascend: no later tier is reached either
    const end = i + 1 < count ? tiers[i + 1].start : UINT256_MAX;
    const inTier = sub(volume < end ? volume : end, start); // underflows (Panic 0x11) only on descending starts
    sum = add(sum, add(mul(tiers[i].fixedPrice, unit), mul(tiers[i].linearPrice, inTier)));
  }
  return sum;
}

/** The last tier before the first one whose start is not below the volume prices the whole volume. */
function backToFirst(tiers: readonly Tier[], unit: bigint, volume: bigint): bigint {
  const count = tiers.length;
  let k = count;
  for (let i = 0; i < count; ++i) {
    if (tiers[i].start >= volume) break;
    k = i;
  }
  if (k === count) return 0n; // no tier starts below the volume (or no tiers, or zero volume)
  return add(mul(tiers[k].fixedPrice, unit), mul(tiers[k].linearPrice, volume));
}

/*//////////////////////////////////////////////////////////////////////////
                                  CONDITIONS
//////////////////////////////////////////////////////////////////////////*/

/**
 * What each service owes for a period once the deal's condition is applied (`Rating.applyCondition`).
 *
 * - First, figure by figure, `Rating_AmountOverflow(service, largest)` if the largest of its deal value, charges and
 *   taxes exceeds uint128.
 * - ContractRevenue: the deal applies only if the included services' charges (plus taxes if `includingTaxes`) reach
 *   the commitment; otherwise every service owes its charges (`dealApplies: false`).
 * - DiscountRevenue (send-or-pay): if the included services' deal values sum to less than the commitment, the
 *   shortfall `S` is spread over the included services: `floor(S * dealValue / Σ dealValue)` each, or
 *   `floor(S / n)` each when all deal values are zero; the remainder goes one base unit each to the included services
 *   in the order of `figures`. Each service's `value` includes its share.
 *
 * Services in `figures` should be distinct and ascending (as they come from a tariff); like the library, this is not
 * checked.
 *
 * @returns The outcomes in the order of `figures`, and whether the deal applied.
 * @throws InvalidArgumentError first, if any field does not fit its ABI type (amounts are `uint256` here; the
 *   uint128 bound is the library's {@link RatingError}).
 */
export function applyCondition(condition: Condition, figures: readonly ServiceFigures[]): ConditionResult {
  const c = checkCondition(condition, "condition");
  const fs = checkFigures(figures, "figures");
  const n = fs.length;
  for (const f of fs) {
    let largest = f.dealValue > f.charges ? f.dealValue : f.charges;
    if (f.taxes > largest) largest = f.taxes;
    if (largest > UINT128_MAX) throw new RatingError("Rating_AmountOverflow", [BigInt(f.service), largest]);
  }

  let dealApplies = true;
  if (c.kind === ConditionKind.ContractRevenue) {
    let revenue = 0n;
    for (const f of fs) {
      if (included(c, f.service)) revenue += f.charges + (c.includingTaxes ? f.taxes : 0n);
    }
    dealApplies = revenue >= c.commitment;
  }

  let includedCount = 0n;
  let includedValue = 0n;
  const values: bigint[] = [];
  const shortfalls: bigint[] = new Array<bigint>(n).fill(0n);
  for (const f of fs) {
    values.push(dealApplies ? f.dealValue : f.charges);
    if (included(c, f.service)) {
      includedCount += 1n;
      includedValue += f.dealValue;
    }
  }

  if (c.kind === ConditionKind.DiscountRevenue && includedValue < c.commitment && includedCount > 0n) {
    const shortfall = c.commitment - includedValue;
    let distributed = 0n;
    for (let i = 0; i < n; ++i) {
      if (!included(c, fs[i].service)) continue;
      const share = includedValue === 0n ? shortfall / includedCount : (shortfall * fs[i].dealValue) / includedValue;
      shortfalls[i] = share;
      distributed += share;
    }
    let remainder = shortfall - distributed; // < includedCount
    for (let i = 0; i < n && remainder > 0n; ++i) {
      if (!included(c, fs[i].service)) continue;
      shortfalls[i] += 1n;
      remainder -= 1n;
    }
    for (let i = 0; i < n; ++i) values[i] += shortfalls[i];
  }

  const outcomes: ServiceOutcome[] = fs.map((f, i) => ({
    service: f.service,
    value: values[i],
    shortfall: shortfalls[i],
  }));
  return { outcomes, dealApplies };
}

function included(condition: Condition, service: Service): boolean {
  return ((condition.includedServices >> service) & 1) === 1;
}

/**
 * The bitmap of `services` for {@link Condition.includedServices} (bit `i` = `Service(i)`).
 *
 * @throws InvalidArgumentError if an element is not a service id.
 */
export function serviceBitmap(services: Iterable<Service>): number {
  let bitmap = 0;
  let i = 0;
  for (const service of services) bitmap |= 1 << serviceValue(service, `services[${i++}]`);
  return bitmap;
}

/** The services whose bits are set in `bitmap`, ascending (bits 9-15, which name no service, are ignored). */
export function servicesOf(bitmap: number): Service[] {
  const services: Service[] = [];
  for (let s = 0; s < SERVICE_COUNT; ++s) if (((bitmap >> s) & 1) === 1) services.push(s as Service);
  return services;
}

/*//////////////////////////////////////////////////////////////////////////
                                  ABI SHAPES
//////////////////////////////////////////////////////////////////////////*/

/** A tier as the TypeChain bindings take it. */
export interface AbiTier {
  start: bigint;
  fixedPrice: bigint;
  linearPrice: bigint;
}

/** A plan as the TypeChain bindings take it (`ServicePlanStruct`): numbers for the uint8 enums, bigint otherwise. */
export interface AbiServicePlan {
  service: number;
  kind: number;
  increment: bigint;
  tiers: AbiTier[];
  unbalancedTiers: AbiTier[];
}

/** A condition as the TypeChain bindings take it (`ConditionStruct`). */
export interface AbiCondition {
  kind: number;
  includingTaxes: boolean;
  includedServices: number;
  commitment: bigint;
}

/** Service figures as the TypeChain bindings take them (`ServiceFiguresStruct`). */
export interface AbiServiceFigures {
  service: number;
  dealValue: bigint;
  charges: bigint;
  taxes: bigint;
}

/**
 * Converts a plan into the object the TypeChain bindings (`RatingHarness`, agreements) accept as `ServicePlanStruct`.
 * Checks only that each field fits its ABI type (so invalid plans can still be sent, e.g. to test reverts).
 *
 * @throws InvalidArgumentError if a field does not fit its ABI type, naming it (e.g. `plan.tiers[1].linearPrice`).
 */
export function toAbiPlan(plan: ServicePlan): AbiServicePlan {
  return abiPlanOf(checkPlan(plan, "plan"));
}

/** Alias of {@link toAbiPlan}. */
export const encodePlan = toAbiPlan;

/** Converts plans (e.g. a tariff's) with {@link toAbiPlan}; fields are named `plans[i]...` in errors. */
export function toAbiPlans(plans: readonly ServicePlan[]): AbiServicePlan[] {
  return array(plans, "plans").map((p, i) => abiPlanOf(checkPlan(p, `plans[${i}]`)));
}

function abiPlanOf(p: CheckedPlan): AbiServicePlan {
  const tiers = (list: readonly Tier[]): AbiTier[] =>
    list.map((t) => ({ start: t.start, fixedPrice: t.fixedPrice, linearPrice: t.linearPrice }));
  return {
    service: p.service,
    kind: p.kind,
    increment: p.increment,
    tiers: tiers(p.tiers),
    unbalancedTiers: tiers(p.unbalancedTiers),
  };
}

/** Converts a condition into the TypeChain `ConditionStruct` shape, checking the ABI ranges. */
export function toAbiCondition(condition: Condition): AbiCondition {
  const c = checkCondition(condition, "condition");
  return {
    kind: c.kind,
    includingTaxes: c.includingTaxes,
    includedServices: c.includedServices,
    commitment: c.commitment,
  };
}

/** Converts figures into the TypeChain `ServiceFiguresStruct[]` shape, checking the ABI ranges. */
export function toAbiFigures(figures: readonly ServiceFigures[]): AbiServiceFigures[] {
  return checkFigures(figures, "figures").map((f) => ({ ...f }));
}

/**
 * Converts an outcome read from a contract (enums decoded as `bigint`) into a {@link ServiceOutcome}.
 *
 * @throws InvalidArgumentError if the service is not a service id.
 */
export function fromAbiOutcome(outcome: {
  readonly service: bigint | number;
  readonly value: bigint;
  readonly shortfall: bigint;
}): ServiceOutcome {
  const service = serviceValue(Number(uint(outcome.service, 255n, "uint8", "outcome.service")), "outcome.service");
  return { service, value: outcome.value, shortfall: outcome.shortfall };
}

/*//////////////////////////////////////////////////////////////////////////
                                DECIMAL INPUT
//////////////////////////////////////////////////////////////////////////*/

const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/;

/**
 * Parses a non-negative decimal string exactly into an integer number of `10^-decimals` units:
 * `decimalToUnits("12.5", 6) === 12_500_000n`. No floating point is involved.
 *
 * Accepted: digits, optionally followed by `.` and at least one digit (`"0"`, `"0.05"`, `"007.50"`). Rejected: signs,
 * exponents, spaces, `","`, `".5"`, `"5."`, and any value that would need rounding: a non-zero digit beyond the
 * `decimals`-th fractional place. (Trailing zeros beyond it change nothing and are accepted.)
 *
 * @param field The name of the input, for the error message.
 * @throws InvalidArgumentError naming `field` if `value` is not such a string or would need rounding.
 */
export function decimalToUnits(value: string, decimals: number, field?: string): bigint {
  if (!Number.isSafeInteger(decimals) || decimals < 0) {
    throw new InvalidArgumentError("not a number of decimals (a non-negative integer)", {
      field: "decimals",
      value: decimals,
    });
  }
  if (typeof value !== "string") {
    throw new InvalidArgumentError('not a decimal string (give exact decimals as strings, e.g. "0.05")', {
      field,
      value,
    });
  }
  const match = DECIMAL.exec(value);
  if (match === null) {
    throw new InvalidArgumentError(
      "not a non-negative decimal number (digits, optionally '.' and digits; no sign, exponent or spaces)",
      { field, value },
    );
  }
  const whole = match[1];
  const fraction = match[2] ?? "";
  const kept = fraction.slice(0, decimals);
  if (/[^0]/.test(fraction.slice(decimals))) {
    throw new InvalidArgumentError(`has more than ${decimals} fractional digits (it would need rounding)`, {
      field,
      value,
    });
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(kept.padEnd(decimals, "0") || "0");
}

/**
 * Parses a decimal price exactly into 18-decimal fixed point ("wad"): `decimalToWad("0.05") === 50000000000000000n`.
 * At most 18 significant fractional digits (see {@link decimalToUnits}); no floating point.
 *
 * @throws InvalidArgumentError naming `field` if `value` is not a non-negative decimal string or needs rounding.
 */
export function decimalToWad(value: string, field?: string): bigint {
  return decimalToUnits(value, MAX_DECIMALS, field);
}

/** Formats an integer number of `10^-decimals` units as a decimal string without trailing zeros: `"12.5"`. */
export function unitsToDecimal(units: bigint, decimals: number): string {
  if (typeof units !== "bigint") throw new InvalidArgumentError("not a bigint", { field: "units", value: units });
  if (!Number.isSafeInteger(decimals) || decimals < 0) {
    throw new InvalidArgumentError("not a number of decimals (a non-negative integer)", {
      field: "decimals",
      value: decimals,
    });
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}
