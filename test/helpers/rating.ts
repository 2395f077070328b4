import { ethers } from "hardhat";

import type { RatingHarness } from "../../sdk/src/typechain";

/** Services, plan kinds and condition kinds as the contracts number them: the SDK's own tables. */
export { ConditionKind as Cond, PlanKind as Kind, Service as Svc } from "../../sdk/src/rating/types";

export interface TierArg {
  start: bigint;
  fixedPrice: bigint;
  linearPrice: bigint;
}
export interface PlanArg {
  service: number;
  kind: number;
  increment: number;
  tiers: TierArg[];
  unbalancedTiers: TierArg[];
}

/** Exact decimal -> 18-decimal fixed point (test helper: literal prices only). */
export function wad(decimal: string): bigint {
  return ethers.parseUnits(decimal, 18);
}

/** A tier: start in volume units, prices as decimal strings in whole token units. */
export function tier(start: bigint | number, fixedPrice: string, linearPrice: string): TierArg {
  return { start: BigInt(start), fixedPrice: wad(fixedPrice), linearPrice: wad(linearPrice) };
}

export function plan(
  service: number,
  kind: number,
  tiers: TierArg[],
  unbalancedTiers: TierArg[] = [],
  increment = 1,
): PlanArg {
  return { service, kind, increment, tiers, unbalancedTiers };
}

export async function deployRatingHarness(): Promise<{ harness: RatingHarness }> {
  const harness = (await (await ethers.getContractFactory("RatingHarness")).deploy()) as unknown as RatingHarness;
  return { harness };
}
