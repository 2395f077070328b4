/**
 * The charge of a usage batch as `UsageClearing.submitBatch` rates it on chain: each service's volume priced at the
 * margin of its period's running volume under the base tariff's plan, `R(current + v) − R(current)`, where `R` is
 * {@link rate} in the settlement token's decimals (one rounding per call, as `Rating.rateBase`; `R(0) = 0`).
 *
 * Pure: no chain I/O, no floating point. The clearing invariant campaign (`test/invariant/clearing.invariant.test.ts`)
 * prices every random submission with this function and compares it with the contract's `BatchSubmitted` charge.
 */
import { InvalidArgumentError } from "../errors";
import { rate } from "./engine";
import type { ServicePlan } from "./types";

/** One plan's `R(volume)`: nothing for no volume. */
function rated(plan: ServicePlan, volume: bigint, decimals: number): bigint {
  return volume === 0n ? 0n : rate(plan, volume, 0n, decimals);
}

/**
 * The batch's charge in token units.
 * @param plans The base tariff's plans, in their order (the period volumes' positions).
 * @param periodVolumes The period's volumes before the batch, by plan position (`UsageClearing.periodVolumes`).
 * @param services The batch's services (its header's `services`).
 * @param volumes The batch's charged volumes, one per service (its header's `volumes`).
 * @param decimals The settlement token's decimals.
 * @throws InvalidArgumentError if the lists' lengths differ or a service has no plan (the contract reverts with
 *   `UsageClearing_ServiceNotRated`); the rating's own errors as {@link rate} throws them.
 */
export function batchCharge(
  plans: readonly ServicePlan[],
  periodVolumes: readonly bigint[],
  services: readonly (number | bigint | string)[],
  volumes: readonly (number | bigint | string)[],
  decimals: number,
): bigint {
  if (services.length !== volumes.length) {
    throw new InvalidArgumentError(`one volume per service (${services.length} services)`, {
      field: "volumes",
      value: volumes.length,
    });
  }
  if (periodVolumes.length !== plans.length) {
    throw new InvalidArgumentError(`one volume per plan (${plans.length} plans)`, {
      field: "periodVolumes",
      value: periodVolumes.length,
    });
  }
  let charge = 0n;
  services.forEach((service, i) => {
    const position = plans.findIndex((plan) => Number(plan.service) === Number(service));
    if (position === -1) {
      throw new InvalidArgumentError("not a service of the base tariff", { field: `services[${i}]`, value: service });
    }
    const current = periodVolumes[position];
    const next = current + BigInt(volumes[i]);
    charge += rated(plans[position], next, decimals) - rated(plans[position], current, decimals);
  });
  return charge;
}
