import { ethers } from "hardhat";

import type { RatingHarness } from "../../sdk/src/typechain";

/** Services, plan kinds and condition kinds as the contracts number them (contracts/types/RatingTypes.sol). */
export const Svc = {
  VoiceMO: 0,
  VoiceMT: 1,
  SmsMO: 2,
  SmsMT: 3,
  Data: 4,
  VoLTE: 5,
  IoTAccess: 6,
  SliceHours: 7,
  SpectrumMHzHours: 8,
} as const;
export const Kind = { Threshold: 0, BackToFirst: 1, Ratio: 2, Access: 3 } as const;
export const Cond = { Unconditional: 0, ContractRevenue: 1, DiscountRevenue: 2 } as const;

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
