/**
 * The one tariff shape of the SDK ({@link Tariff}: every integer a `bigint`, services and kinds the enum numbers) and
 * its explicit converters: {@link parseTariff} from loose input (JSON), {@link tariffToJson} to the documented file
 * format ({@link TariffJson}), {@link tariffFromResult} from a decoded event or call, and {@link computeTariffId}, the
 * content id `RoamingAgreements.publishTariff` gives it.
 *
 * Pure: no chain library (ABI encoding and Keccak are the SDK's own, `../encoding`), browser-safe.
 */
import { abiEncodeBytes, bytesToHex, keccak256Bytes, parseParam, type AbiParam } from "../encoding";
import { InvalidArgumentError } from "../errors";
import { requireObject, toUint } from "../validation";
import { MAX_TIERS, PlanKind, SERVICE_COUNT, type Service, type ServicePlan, type Tariff, type Tier } from "./types";

/** The limits of a tariff, as `Rating.validatePlans` checks them. */
export const TARIFF_LIMITS = { services: SERVICE_COUNT, planKinds: 4, maxTiers: MAX_TIERS } as const;

/** An integer of a JSON file: a safe-integer number or a string of decimal digits (see {@link UintLike}). */
export type JsonInteger = number | string;

/** One tier in the tariff file format. */
export interface TierJson {
  start: JsonInteger;
  fixedPrice: JsonInteger;
  linearPrice: JsonInteger;
}

/** One plan in the tariff file format. */
export interface ServicePlanJson {
  service: JsonInteger;
  kind: JsonInteger;
  increment: JsonInteger;
  tiers: TierJson[];
  unbalancedTiers: TierJson[];
}

/**
 * A tariff in its file format (`docs/USER_GUIDE.md`, "The tariff JSON"; what `roamledger tariff publish` reads): the
 * fields of {@link Tariff}, integers as safe-integer JSON numbers or decimal strings. {@link tariffToJson} writes the
 * enums (`service`, `kind`) as numbers and every other integer as a decimal string.
 */
export interface TariffJson {
  plans: ServicePlanJson[];
}

/** The ABI type of `Tariff`, as `abi.encode` sees it. */
export const TARIFF_ABI =
  "tuple(tuple(uint8 service,uint8 kind,uint32 increment,tuple(uint64 start,uint96 fixedPrice,uint96 linearPrice)[] " +
  "tiers,tuple(uint64 start,uint96 fixedPrice,uint96 linearPrice)[] unbalancedTiers)[] plans)";

let tariffParam: AbiParam | undefined;

function parseTiers(value: unknown, field: string): Tier[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError("must be an array of tiers", { field, value });
  if (value.length > TARIFF_LIMITS.maxTiers) {
    throw new InvalidArgumentError(`must hold at most ${TARIFF_LIMITS.maxTiers} tiers`, { field, value });
  }
  const out: Tier[] = [];
  value.forEach((tier: unknown, i) => {
    const at = `${field}[${i}]`;
    requireObject(tier, at);
    const t = tier as Record<string, unknown>;
    const parsed: Tier = {
      start: toUint(t.start as never, 64, `${at}.start`),
      fixedPrice: toUint(t.fixedPrice as never, 96, `${at}.fixedPrice`),
      linearPrice: toUint(t.linearPrice as never, 96, `${at}.linearPrice`),
    };
    if (i > 0 && parsed.start <= out[i - 1].start) {
      throw new InvalidArgumentError("must start after the tier before it", { field: `${at}.start`, value: t.start });
    }
    out.push(parsed);
  });
  return out;
}

/**
 * Reads a tariff from loose input (a parsed JSON file, or a {@link Tariff}): integers as `bigint`, safe-integer
 * numbers or decimal strings ({@link UintLike}). Checks everything `Rating.validatePlans` checks, as the contract will:
 * at least one plan, services `0..8` strictly ascending, kinds `0..3`, non-zero `uint32` increments, at most 16 tiers
 * per list with strictly ascending starts, unbalanced tiers exactly for Ratio plans, and every value within its ABI
 * type.
 *
 * @param field The name of the input, the root of the field paths of the errors (`tariff.plans[1].tiers[0].start`).
 * @throws InvalidArgumentError naming the first field that is wrong.
 */
export function parseTariff(input: unknown, field = "tariff"): Tariff {
  requireObject(input, field);
  const plans = (input as { plans?: unknown }).plans;
  if (!Array.isArray(plans) || plans.length === 0) {
    throw new InvalidArgumentError("must hold at least one plan", { field: `${field}.plans`, value: plans });
  }
  const out: ServicePlan[] = [];
  plans.forEach((plan: unknown, i) => {
    const at = `${field}.plans[${i}]`;
    requireObject(plan, at);
    const p = plan as Record<string, unknown>;
    const service = toUint(p.service as never, 8, `${at}.service`);
    if (service >= BigInt(TARIFF_LIMITS.services)) {
      throw new InvalidArgumentError(`must be a service 0 to ${TARIFF_LIMITS.services - 1}`, {
        field: `${at}.service`,
        value: p.service,
      });
    }
    if (i > 0 && Number(service) <= out[i - 1].service) {
      throw new InvalidArgumentError("services must be strictly ascending", {
        field: `${at}.service`,
        value: p.service,
      });
    }
    const kind = toUint(p.kind as never, 8, `${at}.kind`);
    if (kind >= BigInt(TARIFF_LIMITS.planKinds)) {
      throw new InvalidArgumentError("must be a plan kind 0 to 3", { field: `${at}.kind`, value: p.kind });
    }
    const increment = toUint(p.increment as never, 32, `${at}.increment`);
    if (increment === 0n) throw new InvalidArgumentError("must not be zero", { field: `${at}.increment`, value: 0 });
    const tiers = parseTiers(p.tiers, `${at}.tiers`);
    const unbalancedTiers = parseTiers(p.unbalancedTiers, `${at}.unbalancedTiers`);
    if ((Number(kind) === PlanKind.Ratio) !== unbalancedTiers.length > 0) {
      throw new InvalidArgumentError("a Ratio plan needs unbalanced tiers, and only a Ratio plan may have them", {
        field: `${at}.unbalancedTiers`,
        value: p.unbalancedTiers,
      });
    }
    out.push({
      service: Number(service) as Service,
      kind: Number(kind) as PlanKind,
      increment,
      tiers,
      unbalancedTiers,
    });
  });
  return { plans: out };
}

/** A tariff in its file format: the enums as numbers, every other integer as a decimal string (JSON-safe, exact). */
export function tariffToJson(tariff: Tariff): TariffJson {
  const tiers = (list: readonly Tier[]): TierJson[] =>
    list.map((t) => ({
      start: t.start.toString(),
      fixedPrice: t.fixedPrice.toString(),
      linearPrice: t.linearPrice.toString(),
    }));
  return {
    plans: parseTariff(tariff).plans.map((p) => ({
      service: p.service,
      kind: p.kind,
      increment: p.increment.toString(),
      tiers: tiers(p.tiers),
      unbalancedTiers: tiers(p.unbalancedTiers),
    })),
  };
}

/**
 * A tariff as a decoded event or call returns it (e.g. `TariffPublished`'s `tariff`: an array-like of plans, each
 * `[service, kind, increment, tiers, unbalancedTiers]`, each tier `[start, fixedPrice, linearPrice]`, or objects with
 * those names), checked with {@link parseTariff}.
 */
export function tariffFromResult(result: unknown, field = "tariff"): Tariff {
  const at = (value: unknown, index: number, name: string): unknown => {
    if (typeof value !== "object" || value === null) return undefined;
    const named = (value as Record<string, unknown>)[name];
    return named !== undefined ? named : (value as Record<number, unknown>)[index];
  };
  const list = (value: unknown): unknown[] | unknown =>
    typeof value === "object" && value !== null && typeof (value as { length?: unknown }).length === "number"
      ? Array.from(value as ArrayLike<unknown>)
      : value;
  const tiers = (value: unknown) => {
    const items = list(value);
    return Array.isArray(items)
      ? items.map((t) => ({
          start: at(t, 0, "start"),
          fixedPrice: at(t, 1, "fixedPrice"),
          linearPrice: at(t, 2, "linearPrice"),
        }))
      : items;
  };
  const plans = list(at(result, 0, "plans"));
  return parseTariff(
    {
      plans: Array.isArray(plans)
        ? plans.map((p) => ({
            service: at(p, 0, "service"),
            kind: at(p, 1, "kind"),
            increment: at(p, 2, "increment"),
            tiers: tiers(at(p, 3, "tiers")),
            unbalancedTiers: tiers(at(p, 4, "unbalancedTiers")),
          }))
        : plans,
    },
    field,
  );
}

/**
 * The id `RoamingAgreements.publishTariff` gives `tariff`: `keccak256(abi.encode(tariff))`, computed locally (no
 * network, no chain library). The tariff is checked first ({@link parseTariff}).
 *
 * @throws InvalidArgumentError if the tariff is not one the contract accepts.
 */
export function computeTariffId(tariff: Tariff): string {
  tariffParam ??= parseParam(TARIFF_ABI);
  return bytesToHex(keccak256Bytes(abiEncodeBytes([tariffParam], [parseTariff(tariff)])));
}

/** Whether `tariff` can be a base (IOT) tariff: every plan is Threshold or Access. */
export function isBaseTariff(tariff: Tariff): boolean {
  return parseTariff(tariff).plans.every((plan) => plan.kind === PlanKind.Threshold || plan.kind === PlanKind.Access);
}
