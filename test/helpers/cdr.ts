import { PlanKind, Service, type ServicePlan, type Tariff } from "../../sdk/src/rating";

/** A Threshold plan of one tier at 0.01 token per unit, charged by `increment`. */
export function thresholdPlan(service: Service, increment: bigint): ServicePlan {
  return {
    service,
    kind: PlanKind.Threshold,
    increment,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: 10n ** 16n }],
    unbalancedTiers: [],
  };
}

/** The tariff of the CDR tests: voice in 60 s / 30 s increments, SMS per message, data per kB; VoLTE (and the rest) not covered. */
export const CDR_TARIFF: Tariff = {
  plans: [
    thresholdPlan(Service.VoiceMO, 60n),
    thresholdPlan(Service.VoiceMT, 30n),
    thresholdPlan(Service.SmsMO, 1n),
    thresholdPlan(Service.SmsMT, 1n),
    thresholdPlan(Service.Data, 1_000n),
  ],
};
