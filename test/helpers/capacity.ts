import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import {
  CapacityKind,
  classIdOf,
  emptySlice,
  emptySpectrum,
  encodeLabel,
  spectrumWindow,
  type BandPlan,
  type ClassTerms,
  type SpectrumTerms,
} from "../../sdk/src/capacity";
import { Roles } from "../../sdk/src/governance";
import { scheduleAndExecute } from "./fixtures";
import { deployVault, USDC, type VaultFixture } from "./vault";

export { USDC };

/** A day and an hour, in seconds. */
export const DAY = 24 * 60 * 60;
export const HOUR = 60 * 60;

/**
 * The fixture's band plan: 3.55 GHz upwards (CBRS-like), 30 channels of 5 MHz, 15-minute slots for a year (35,040 slots):
 * it covers 3,550-3,700 MHz over `[epoch, epoch + 365 days)`.
 */
export const PLAN = {
  originKHz: 3_550_000n,
  channelWidthKHz: 5_000n,
  channelCount: 30n,
  slotSeconds: 900n,
  slotCount: 35_040n,
} as const;

/** The licence area of the fixture's spectrum classes. */
export const AREA = 7n;

export interface CapacityFixture extends VaultFixture {
  /** Band plan 1, whose epoch is the start of the day after the fixture's clock. */
  plan: BandPlan;
  /** When the fixture's clock stands. */
  now: bigint;
  /** Alpha's data class (1,000 GB, valid for 30 days from tomorrow), 100 units minted to alice. */
  data: ClassTerms;
  dataId: bigint;
  /** Alpha's slice class (credits 2 USDC per unit-hour of breach), 10 units minted to alice. */
  slice: ClassTerms;
  sliceId: bigint;
}

/** Terms of a data class of `issuerId` valid `[validFrom, validUntil)` (defaults: alpha, the fixture's month). */
export function dataTerms(f: Pick<CapacityFixture, "alpha" | "now">, overrides: Partial<ClassTerms> = {}): ClassTerms {
  return {
    issuerId: f.alpha,
    kind: CapacityKind.Data,
    unit: encodeLabel("GB"),
    validFrom: f.now + BigInt(DAY),
    validUntil: f.now + BigInt(31 * DAY),
    maxSupply: 1_000n,
    region: encodeLabel("DEUD1", "region"),
    salt: ethers.ZeroHash,
    slice: emptySlice(),
    spectrum: emptySpectrum(),
    ...overrides,
  };
}

/** Terms of a slice class of alpha crediting `creditPerUnitHour` of `creditToken` per unit-hour of breach. */
export function sliceTerms(
  f: Pick<CapacityFixture, "alpha" | "now">,
  creditToken: string,
  creditPerUnitHour = 2n * USDC,
  overrides: Partial<ClassTerms> = {},
): ClassTerms {
  return dataTerms(f, {
    kind: CapacityKind.Slice,
    unit: encodeLabel("slice-hour"),
    maxSupply: 100n,
    slice: {
      snssai: 0x01_000001,
      throughputKbps: 100_000,
      latencyMs: 10,
      availabilityBp: 9_999,
      creditToken,
      creditPerUnitHour,
    },
    ...overrides,
  });
}

/**
 * Terms of an exclusive spectrum class of `issuerId` over channels `[firstChannel, +channelCount)` and slots
 * `[firstSlot, +slotCount)` of the fixture's plan and area, its validity the block's time window.
 */
export function spectrumTerms(
  f: Pick<CapacityFixture, "alpha" | "plan">,
  block: Partial<SpectrumTerms> & Pick<SpectrumTerms, "firstChannel" | "channelCount" | "firstSlot" | "slotCount">,
  overrides: Partial<ClassTerms> = {},
): ClassTerms {
  const spectrum: SpectrumTerms = { bandPlanId: 1n, areaId: AREA, exclusive: true, ...block };
  const { validFrom, validUntil } = spectrumWindow(f.plan, spectrum.firstSlot, spectrum.slotCount);
  return {
    issuerId: f.alpha,
    kind: CapacityKind.Spectrum,
    unit: encodeLabel("lease"),
    validFrom,
    validUntil,
    maxSupply: spectrum.exclusive ? 1n : 10n,
    region: ethers.ZeroHash,
    salt: ethers.ZeroHash,
    slice: emptySlice(),
    spectrum,
    ...overrides,
  };
}

/**
 * The vault fixture (alpha/alice, beta/bob, gamma/carol; USDC and EURC allowed) with the capacity token and market of
 * the deploy module: each operator has 100,000 USDC deposited in the vault; band plan 1 exists; alpha issued a data
 * class (100 units to alice) and a slice class (10 units to alice), and alice approved the market.
 */
export async function deployCapacityFixture(): Promise<CapacityFixture> {
  const f = await deployVault();
  const { manager, vault, capacity, market, usdc, accounts: a } = f;
  for (const [admin, id] of [
    [a.alice, f.alpha],
    [a.bob, f.beta],
    [a.carol, f.gamma],
  ] as const) {
    await vault.connect(admin).deposit(id, usdc, 100_000n * USDC);
  }
  const latest = BigInt(await time.latest());
  const epoch = (latest / BigInt(DAY) + 1n) * BigInt(DAY) + 10n * BigInt(DAY);
  const plan: BandPlan = { ...PLAN, epoch };
  const data = capacity.interface.encodeFunctionData("createBandPlan", [plan]);
  await scheduleAndExecute(manager, a.governor, await capacity.getAddress(), data);
  const now = BigInt(await time.latest());

  const dataClass = dataTerms({ alpha: f.alpha, now });
  const sliceClass = sliceTerms({ alpha: f.alpha, now }, await usdc.getAddress());
  await capacity.connect(a.alice).createClass(dataClass, "");
  await capacity.connect(a.alice).createClass(sliceClass, "");
  const dataId = classIdOf(dataClass);
  const sliceId = classIdOf(sliceClass);
  await capacity.connect(a.alice).mint(dataId, a.alice, 100n, "0x");
  await capacity.connect(a.alice).mint(sliceId, a.alice, 10n, "0x");
  await capacity.connect(a.alice).setApprovalForAll(market, true);
  return { ...f, plan, now, data: dataClass, dataId, slice: sliceClass, sliceId };
}

/**
 * Grants `account` (default: dave) the governor role with no execution delay, as the AccessManager's admin may, so it
 * calls restricted functions such as `createBandPlan` directly. For tests that create many band plans; the governor's
 * delay itself is tested in `test/unit/CapacityToken/governance.test.ts`.
 */
export async function instantGovernor(
  f: Pick<CapacityFixture, "manager" | "accounts">,
  account: HardhatEthersSigner = f.accounts.dave,
): Promise<HardhatEthersSigner> {
  await f.manager.connect(f.accounts.admin).grantRole(Roles.GOVERNOR, account, 0);
  return account;
}

/**
 * Band plans 2, 3, ... that overlap neither plan 1 nor one another: plan 1's band, one day of 15-minute slots each,
 * day after day from the end of plan 1's year.
 */
export function laterPlans(f: Pick<CapacityFixture, "plan">, count: number): BandPlan[] {
  const end = BigInt(f.plan.epoch) + BigInt(f.plan.slotCount) * BigInt(f.plan.slotSeconds);
  return Array.from({ length: count }, (_, i) => ({
    ...PLAN,
    epoch: end + BigInt(i * DAY),
    slotCount: 96n,
  }));
}
