import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";

import { computeTariffId, type Tariff, type AgreementTerms } from "../../../sdk/src";
import { applyCondition, rate } from "../../../sdk/src/rating/engine";
import type { Condition, ConditionKind, Service } from "../../../sdk/src/rating/types";
import { DAY, discountTariff, iotTariff, PERIOD } from "../../helpers/agreements";
import {
  batchArgs,
  agreementWithTariff,
  deployClearingFixture,
  Reject,
  UNIT,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  agreementWithCondition,
  batchOf,
  DATA,
  DECIMALS,
  driftOf,
  IOT_SERVICES,
  makeBatch,
  rated,
  sdkPlan,
  SMS,
  submit,
  VOICE,
  VOLTE,
  volumesOf,
} from "../UsageChallenges/shared";

/*//////////////////////////////////////////////////////////////////////////
                                 EXPECTATIONS
//////////////////////////////////////////////////////////////////////////*/

const EMPTY: Tariff = { plans: [] };
const coder = ethers.AbiCoder.defaultAbiCoder();
const TIERS = "tuple(uint64,uint96,uint96)[]";
/** keccak256(abi.encode(tariff)), for the empty tariff too (the SDK's computeTariffId refuses it). */
function tariffHash(tariff: Tariff): string {
  if (tariff.plans.length !== 0) return computeTariffId(tariff);
  return ethers.keccak256(coder.encode([`tuple(tuple(uint8,uint8,uint32,${TIERS},${TIERS})[])`], [[[]]]));
}

/** The vault reference of a period difference: keccak256(abi.encode(agreementId, period, direction)). */
function periodRef(agreementId: string, period: number, direction: number): string {
  return ethers.keccak256(coder.encode(["bytes32", "uint256", "uint8"], [agreementId, period, direction]));
}

/** When period `period` of the fixture's terms may be settled: its end + submissionGrace + disputeWindow. */
function readyAt(terms: AgreementTerms, period: number): bigint {
  const end = BigInt(terms.validFrom) + BigInt((period + 1) * PERIOD);
  return end + BigInt(terms.submissionGrace) + BigInt(terms.disputeWindow);
}

interface DirectionResult {
  exactBase: bigint;
  charged: bigint;
  target: bigint;
  difference: bigint;
}

/**
 * One direction's settlement as IPeriodSettlement documents it, computed with the SDK's rating engine: per base
 * service, `charges = R_base(V)`, `dealValue = R_disc(V, V_opposite)` (or the base value when the discount tariff does
 * not price it), the included taxes on the figures of the included services (only their sum matters); the target is
 * the sum of the condition's outcomes; `charged = exactBase + drift`.
 */
function expectedDirection(options: {
  own: bigint[];
  opposite: bigint[];
  drift: bigint;
  discount?: Tariff;
  condition?: Condition;
  includedTaxes?: bigint;
}): DirectionResult {
  const base = iotTariff();
  const figures = IOT_SERVICES.map((service, p) => {
    const charges = rate(sdkPlan(base, service), options.own[p], 0n, DECIMALS);
    const priced = options.discount?.plans.some((plan) => Number(plan.service) === service) ?? false;
    const dealValue = priced
      ? rate(sdkPlan(options.discount!, service), options.own[p], options.opposite[p], DECIMALS)
      : charges;
    return { service: service as Service, dealValue, charges, taxes: 0n };
  });
  const exactBase = figures.reduce((sum, f) => sum + f.charges, 0n);
  const charged = exactBase + options.drift;
  if (options.discount === undefined) return { exactBase, charged, target: charged, difference: 0n };
  const condition = options.condition!;
  const first = figures.findIndex((f) => (condition.includedServices >> f.service) & 1);
  if (first >= 0) figures[first] = { ...figures[first], taxes: options.includedTaxes ?? 0n };
  const { outcomes } = applyCondition(condition, figures);
  const target = outcomes.reduce((sum, o) => sum + o.value, 0n);
  return { exactBase, charged, target, difference: target - charged };
}

/** The fixture's direction-0 condition (DiscountRevenue on voice and data, 50,000 units), in SDK form. */
function fixtureCondition(f: ClearingFixture): Condition {
  const c = f.terms.conditions[0];
  return {
    kind: Number(c.kind) as ConditionKind,
    includingTaxes: Boolean(c.includingTaxes),
    includedServices: Number(c.includedServices),
    commitment: BigInt(c.commitment),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

/** The clearing fixture with the agreement in clearing and no usage. */
async function enabled(): Promise<ClearingFixture> {
  const f = await loadFixture(deployClearingFixture);
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  return f;
}

const voice = (n: number) => Array.from({ length: n }, () => ({ service: Svc.VoiceMO, volume: VOICE }));
const data = (n: number) => Array.from({ length: n }, () => ({ service: Svc.Data, volume: DATA }));

interface Usage extends ClearingFixture {
  /** Direction 0's unrejected batches. */
  d0: Batch[];
  /** Direction 1's unrejected batch. */
  d1: Batch[];
}

/**
 * Period 0 of the fixture agreement, both directions, each with a rejection that leaves a drift of 8 units:
 * - direction 0 (alpha charges beta): batch 1 (36,000 s voice, 1,000 KiB data) is rejected after batch 2 (36,000 s
 *   voice, 2 SMS, 180 s VoLTE, 4 units of SMS taxes); then batch 3 (36,000 s voice, 1,500 KiB data). Final volumes:
 *   voice 72,000 s, 2 SMS, 1,536,000 B, 180 s.
 * - direction 1 (beta charges alpha): batch 1 (36,000 s voice, 500 KiB) is rejected after batch 2 (36,000 s voice).
 *   Final volumes: voice 36,000 s.
 */
async function usage(): Promise<Usage> {
  const f = await loadFixture(enabled);
  const b1 = makeBatch(f, { sequence: 1, day: 0, records: [...voice(3), ...data(2)] });
  const b2 = makeBatch(f, {
    sequence: 2,
    day: 1,
    records: [
      ...voice(3),
      { service: Svc.SmsMO, volume: SMS },
      { service: Svc.SmsMO, volume: SMS },
      { service: Svc.VoLTE, volume: VOLTE },
    ],
    taxes: { [Svc.SmsMO]: 4n * UNIT },
  });
  const c1 = makeBatch(f, { direction: 1, sequence: 1, day: 0, records: [...voice(3), ...data(1)] });
  const c2 = makeBatch(f, { direction: 1, sequence: 2, day: 1, records: voice(3) });
  for (const batch of [b1, b2, c1, c2]) await submit(f, batch);
  await f.clearing.connect(f.accounts.bob).reject(...batchArgs(b1.header), Reject.TotalsMismatch);
  await f.clearing.connect(f.accounts.alice).reject(...batchArgs(c1.header), Reject.Other);
  await time.increaseTo(BigInt(f.terms.validFrom) + BigInt(3 * DAY));
  const b3 = makeBatch(f, { sequence: 3, day: 2, records: [...voice(3), ...data(3)] });
  await submit(f, b3);
  return { ...f, d0: [b2, b3], d1: [c2] };
}

/** `usage`, with the clock at the period's readiness. */
async function usageReady(): Promise<Usage> {
  const f = await loadFixture(usage);
  await time.increaseTo(readyAt(f.terms, 0));
  return f;
}

interface Conditional extends ClearingFixture {
  conditionalId: string;
  conditionalTerms: AgreementTerms;
}

/** Included charges of the ContractRevenue scenario: 36,000 s voice (30 units) and 1,000 KiB data (0.002048). */
const INCLUDED_CHARGES = rated(Svc.VoiceMO, 3n * VOICE) + rated(Svc.Data, 2n * DATA);
/** A commitment the included charges miss by 997,952 base units. */
const COMMITMENT = 31_000_000n;
/** ContractRevenue with taxes on voice and data. */
const CONTRACT_REVENUE: Condition = {
  kind: 1,
  includingTaxes: true,
  includedServices: (1 << Svc.VoiceMO) | (1 << Svc.Data),
  commitment: COMMITMENT,
};

/**
 * A second agreement whose direction-0 discount applies only if voice and data charges, taxes included, reach 31
 * units (ContractRevenue with taxes, the fixture's discount tariff; direction 1 without discount).
 */
async function conditional(): Promise<Conditional> {
  const f = await loadFixture(deployClearingFixture);
  const { agreementId, terms } = await agreementWithCondition(f, CONTRACT_REVENUE);
  return { ...f, conditionalId: agreementId, conditionalTerms: terms };
}

/** One direction-0 batch of the conditional agreement with `dataTaxes` of data taxes and 5 units of SMS taxes. */
async function conditionalUsage(f: Conditional, dataTaxes: bigint): Promise<Conditional> {
  const batch = makeBatch(f, {
    agreementId: f.conditionalId,
    sequence: 1,
    day: 0,
    records: [...voice(3), ...data(2), { service: Svc.SmsMO, volume: SMS }],
    taxes: { [Svc.Data]: dataTaxes, [Svc.SmsMO]: 5n * UNIT },
  });
  await submit(f, batch, f.conditionalTerms);
  await time.increaseTo(readyAt(f.conditionalTerms, 0));
  return f;
}

/** The data taxes bring the included revenue exactly to the commitment. */
async function commitmentReached(): Promise<Conditional> {
  return conditionalUsage(await loadFixture(conditional), COMMITMENT - INCLUDED_CHARGES);
}

/** One base unit of data taxes less: the commitment is missed (the SMS taxes do not count). */
async function commitmentMissed(): Promise<Conditional> {
  return conditionalUsage(await loadFixture(conditional), COMMITMENT - INCLUDED_CHARGES - 1n);
}

/** The settlement arguments of the fixture agreement, overridable. */
function args(
  f: ClearingFixture,
  overrides: { period?: number; terms?: AgreementTerms; base?: Tariff[]; discount?: Tariff[] } = {},
) {
  return [
    f.agreementId,
    overrides.period ?? 0,
    overrides.terms ?? f.terms,
    (overrides.base ?? [f.tariff, f.tariff]) as [Tariff, Tariff],
    (overrides.discount ?? [discountTariff(), EMPTY]) as [Tariff, Tariff],
  ] as const;
}

describe("PeriodSettlement.settlePeriod", () => {
  describe("when the agreement is not in clearing", () => {
    it("should revert for an agreement never used in clearing", async () => {
      const f = await loadFixture(enabled);
      const tariff = iotTariff(1n);
      const { agreementId, terms } = await agreementWithTariff(f, tariff);
      expect((await f.clearing.clearingConfig(agreementId)).token).to.equal(ethers.ZeroAddress);
      await expect(f.settlement.settlePeriod(agreementId, 0, terms, [tariff, tariff], [EMPTY, EMPTY]))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_ClearingNotEnabled")
        .withArgs(agreementId);
    });

    it("should revert for an id no agreement has, whatever the period", async () => {
      const f = await loadFixture(enabled);
      const id = ethers.id("no agreement");
      for (const period of [0, 12]) {
        await expect(f.settlement.settlePeriod(id, period, f.terms, [f.tariff, f.tariff], [EMPTY, EMPTY]))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_ClearingNotEnabled")
          .withArgs(id);
      }
    });
  });

  describe("when the agreement has no such period", () => {
    it("should revert for the period after the last one and far beyond, whatever the terms", async () => {
      const f = await loadFixture(enabled);
      const wrongTerms = { ...f.terms, disputeWindow: 1 };
      for (const period of [12n, 2n ** 64n, ethers.MaxUint256]) {
        await expect(f.settlement.settlePeriod(f.agreementId, period, wrongTerms, [f.tariff, f.tariff], [EMPTY, EMPTY]))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_UnknownPeriod")
          .withArgs(f.agreementId, period);
      }
    });
  });

  describe("when the terms are not those in force at the period's start", () => {
    it("should revert, before checking readiness", async () => {
      const f = await loadFixture(enabled);
      const terms = { ...f.terms, noticePeriod: Number(f.terms.noticePeriod) - 1 };
      await expect(f.settlement.settlePeriod(...args(f, { terms })))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_TermsMismatch")
        .withArgs(f.agreementId, 0);
    });
  });

  describe("when the period is not ready", () => {
    it("should revert with its end + submissionGrace + disputeWindow, before checking the tariffs", async () => {
      const f = await loadFixture(usage);
      const ready = readyAt(f.terms, 0);
      expect(ready).to.equal(BigInt(f.terms.validFrom) + BigInt(40 * DAY));
      await expect(f.settlement.settlePeriod(...args(f, { discount: [EMPTY, EMPTY] })))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_PeriodNotReady")
        .withArgs(f.agreementId, 0, ready);
    });

    it("should revert one second before, after the submission deadline has passed", async () => {
      const f = await loadFixture(usage);
      const ready = readyAt(f.terms, 0);
      await time.setNextBlockTimestamp(ready - 1n);
      await expect(f.settlement.settlePeriod(...args(f)))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_PeriodNotReady")
        .withArgs(f.agreementId, 0, ready);
    });

    it("should revert for a later period with its own readiness", async () => {
      const f = await loadFixture(usageReady);
      await expect(f.settlement.settlePeriod(...args(f, { period: 1 })))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_PeriodNotReady")
        .withArgs(f.agreementId, 1, readyAt(f.terms, 1));
    });
  });

  describe("when the tariffs are not the terms'", () => {
    it("should revert for another base tariff of either direction", async () => {
      const f = await loadFixture(usageReady);
      const other = iotTariff(1n);
      for (const base of [
        [other, f.tariff],
        [f.tariff, other],
      ]) {
        await expect(f.settlement.settlePeriod(...args(f, { base })))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_TariffMismatch")
          .withArgs(f.iotTariffId, computeTariffId(other));
      }
    });

    it("should revert for another or no discount tariff on the direction that has one", async () => {
      const f = await loadFixture(usageReady);
      expect(tariffHash(EMPTY)).to.equal(await f.agreements.tariffIdOf(EMPTY));
      for (const given of [EMPTY, f.tariff]) {
        await expect(f.settlement.settlePeriod(...args(f, { discount: [given, EMPTY] })))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_TariffMismatch")
          .withArgs(f.discountTariffId, tariffHash(given));
      }
    });
  });

  describe("when the period was settled before", () => {
    it("should revert for anyone, a tariff mismatch still being reported first", async () => {
      const f = await loadFixture(usageReady);
      await f.settlement.connect(f.accounts.eve).settlePeriod(...args(f));
      for (const who of [f.accounts.eve, f.accounts.alice, f.accounts.bob]) {
        await expect(f.settlement.connect(who).settlePeriod(...args(f)))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_PeriodSettled")
          .withArgs(f.agreementId, 0);
      }
      // The tariff check comes first (NatSpec order).
      await expect(f.settlement.settlePeriod(...args(f, { discount: [EMPTY, EMPTY] })))
        .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_TariffMismatch")
        .withArgs(f.discountTariffId, tariffHash(EMPTY));
    });
  });

  describe("when every check passes", () => {
    it("should settle at readiness exactly, for anyone, and mark the period settled", async () => {
      const f = await loadFixture(usage);
      expect(await f.settlement.isPeriodSettled(f.agreementId, 0)).to.equal(false);
      await time.setNextBlockTimestamp(readyAt(f.terms, 0));
      await expect(f.settlement.connect(f.accounts.eve).settlePeriod(...args(f))).to.emit(
        f.settlement,
        "PeriodSettled",
      );
      expect(await f.settlement.isPeriodSettled(f.agreementId, 0)).to.equal(true);
      expect(await f.settlement.isPeriodSettled(f.agreementId, 1)).to.equal(false);
    });

    it("should emit PeriodSettled for direction 0, then direction 1", async () => {
      const f = await loadFixture(usageReady);
      const receipt = await (await f.settlement.settlePeriod(...args(f))).wait();
      const settled = receipt!.logs
        .map((log) => f.settlement.interface.parseLog(log))
        .filter((parsed) => parsed?.name === "PeriodSettled");
      expect(settled.map((e) => e!.args.direction)).to.deep.equal([0n, 1n]);
    });

    describe("given a direction without a discount tariff", () => {
      it("should emit its exact base and charged (drift included) as the target, with no difference", async () => {
        const f = await loadFixture(usageReady);
        const own = await volumesOf(f, 1);
        expect(own).to.deep.equal([3n * VOICE, 0n, 0n, 0n]);
        const drift = await driftOf(f, 1);
        expect(drift).to.equal(8_000_000n);
        const e = expectedDirection({ own, opposite: await volumesOf(f, 0), drift });
        expect([e.exactBase, e.charged]).to.deep.equal([30_000_000n, 38_000_000n]);
        await expect(f.settlement.settlePeriod(...args(f)))
          .to.emit(f.settlement, "PeriodSettled")
          .withArgs(f.agreementId, 0, 1, e.exactBase, e.charged, e.charged, 0);
      });

      it("should charge what its batches charged: no obligation, whatever is passed as its discount tariff", async () => {
        const f = await loadFixture(usageReady);
        expect((await batchOf(f, f.d1[0].batchId)).charge).to.equal(38_000_000n);
        const receipt = await (
          await f.settlement.settlePeriod(...args(f, { discount: [discountTariff(), f.tariff] }))
        ).wait();
        const refs = receipt!.logs
          .filter((log) => log.address === (f.vault.target as string))
          .map((log) => f.vault.interface.parseLog(log)!.args.ref as string);
        expect(refs).to.deep.equal([periodRef(f.agreementId, 0, 0)]);
      });

      it("should record nothing at all for an agreement without discount", async () => {
        const f = await loadFixture(enabled);
        const tariff = iotTariff(1n);
        const { agreementId, terms } = await agreementWithTariff(f, tariff);
        const batch = makeBatch(f, { agreementId, sequence: 1, day: 0, records: [...voice(2), ...data(1)], tariff });
        await submit(f, batch, terms, tariff);
        await time.increaseTo(readyAt(terms, 0));
        const { charge } = await batchOf(f, batch.batchId);
        const tx = f.settlement.settlePeriod(agreementId, 0, terms, [tariff, tariff], [EMPTY, EMPTY]);
        await expect(tx).to.emit(f.settlement, "PeriodSettled").withArgs(agreementId, 0, 0, charge, charge, charge, 0);
        await expect(tx).to.emit(f.settlement, "PeriodSettled").withArgs(agreementId, 0, 1, 0, 0, 0, 0);
        await expect(tx).not.to.emit(f.vault, "ObligationApplied");
        await expect(tx).not.to.emit(f.vault, "ObligationQueued");
      });
    });

    describe("given the fixture's discount tariff and DiscountRevenue condition (direction 0)", () => {
      it("should value the deal over the final volumes, Ratio voice balanced against direction 1's voice", async () => {
        const f = await loadFixture(usageReady);
        const own = await volumesOf(f, 0);
        const opposite = await volumesOf(f, 1);
        expect(own).to.deep.equal([6n * VOICE, 2n * SMS, 3n * DATA, VOLTE]);
        const e = expectedDirection({
          own,
          opposite,
          drift: await driftOf(f, 0),
          discount: discountTariff(),
          condition: fixtureCondition(f),
        });
        // exactBase: voice R(72,000) = 68, SMS 0.02, data 0.003072, VoLTE 0.135; drift 8 (batch 1 rejected).
        expect(e.exactBase).to.equal(68_158_072n);
        expect(e.charged).to.equal(76_158_072n);
        // Deal: voice 36,000 s balanced at 0.02 + 36,000 s unbalanced at 0.035 = 33; data 0.003072; both far below
        // the 50,000-unit commitment, so the shortfall tops the included services up to it; SMS and VoLTE stay base.
        expect(e.target).to.equal(50_000_000_000n + 20_000n + 135_000n);
        await expect(f.settlement.settlePeriod(...args(f)))
          .to.emit(f.settlement, "PeriodSettled")
          .withArgs(f.agreementId, 0, 0, e.exactBase, e.charged, e.target, e.difference);
      });

      it("should have charged exactly what the period's unrejected batches charge", async () => {
        const f = await loadFixture(usageReady);
        const charges = await Promise.all(f.d0.map(async (b) => (await batchOf(f, b.batchId)).charge));
        expect(charges.reduce((a, b) => a + b, 0n)).to.equal(76_158_072n);
      });

      it("should record the positive difference as an obligation of the home network to the visited one", async () => {
        const f = await loadFixture(usageReady);
        const e = expectedDirection({
          own: await volumesOf(f, 0),
          opposite: await volumesOf(f, 1),
          drift: await driftOf(f, 0),
          discount: discountTariff(),
          condition: fixtureCondition(f),
        });
        expect(e.difference).to.equal(49_923_996_928n);
        const { cycle } = await f.vault.tokenConfig(f.token);
        await expect(f.settlement.settlePeriod(...args(f)))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.hpmn, f.vpmn, cycle, e.difference, periodRef(f.agreementId, 0, 0));
        expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(e.difference);
        expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(-e.difference);
      });

      it("should owe the whole send-or-pay commitment for a period without usage", async () => {
        const f = await loadFixture(enabled);
        await time.increaseTo(readyAt(f.terms, 1));
        const commitment = BigInt(f.terms.conditions[0].commitment);
        const tx = f.settlement.settlePeriod(...args(f, { period: 1 }));
        await expect(tx)
          .to.emit(f.settlement, "PeriodSettled")
          .withArgs(f.agreementId, 1, 0, 0, 0, commitment, commitment);
        await expect(tx).to.emit(f.settlement, "PeriodSettled").withArgs(f.agreementId, 1, 1, 0, 0, 0, 0);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.hpmn, f.vpmn, anyValue, commitment, periodRef(f.agreementId, 1, 0));
      });
    });

    describe("given a ContractRevenue condition that includes taxes", () => {
      it("should track only the included services' taxes", async () => {
        const f = await loadFixture(commitmentReached);
        const corrections = await f.clearing.periodCorrections(f.conditionalId, 0, 0);
        expect(corrections.includedTaxes).to.equal(COMMITMENT - INCLUDED_CHARGES);
        expect(corrections.drift).to.equal(0n);
      });

      it("should apply the deal when the taxes bring the included charges to the commitment, the VPMN refunding", async () => {
        const f = await loadFixture(commitmentReached);
        const own = await volumesOf(f, 0, 0, f.conditionalId);
        const e = expectedDirection({
          own,
          opposite: [0n, 0n, 0n, 0n],
          drift: 0n,
          discount: discountTariff(),
          condition: CONTRACT_REVENUE,
          includedTaxes: COMMITMENT - INCLUDED_CHARGES,
        });
        // Charged 30.012048; the deal: voice all unbalanced (no usage the other way) at 0.035 = 21, data and SMS as
        // charged: 9 units less.
        expect([e.charged, e.target, e.difference]).to.deep.equal([30_012_048n, 21_012_048n, -9_000_000n]);
        const { cycle } = await f.vault.tokenConfig(f.token);
        const tx = f.settlement.settlePeriod(
          f.conditionalId,
          0,
          f.conditionalTerms,
          [f.tariff, f.tariff],
          [discountTariff(), EMPTY],
        );
        await expect(tx)
          .to.emit(f.settlement, "PeriodSettled")
          .withArgs(f.conditionalId, 0, 0, e.exactBase, e.charged, e.target, e.difference);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.vpmn, f.hpmn, cycle, -e.difference, periodRef(f.conditionalId, 0, 0));
      });

      it("should keep the charges when the taxes fall one base unit short, the other services' taxes not counting", async () => {
        const f = await loadFixture(commitmentMissed);
        const own = await volumesOf(f, 0, 0, f.conditionalId);
        const e = expectedDirection({
          own,
          opposite: [0n, 0n, 0n, 0n],
          drift: 0n,
          discount: discountTariff(),
          condition: CONTRACT_REVENUE,
          includedTaxes: COMMITMENT - INCLUDED_CHARGES - 1n,
        });
        expect([e.target, e.difference]).to.deep.equal([e.charged, 0n]);
        const tx = f.settlement.settlePeriod(
          f.conditionalId,
          0,
          f.conditionalTerms,
          [f.tariff, f.tariff],
          [discountTariff(), EMPTY],
        );
        await expect(tx)
          .to.emit(f.settlement, "PeriodSettled")
          .withArgs(f.conditionalId, 0, 0, e.exactBase, e.charged, e.charged, 0);
        await expect(tx).not.to.emit(f.vault, "ObligationApplied");
        await expect(tx).not.to.emit(f.vault, "ObligationQueued");
      });
    });

    describe("given a true-up above what one vault obligation carries (the review's uint96 finding)", () => {
      const MAX = 2n ** 96n - 1n;
      /** A send-or-pay commitment of 17 obligations and 5 base units, with no usage: the whole of it is owed. */
      const HUGE = 17n * MAX + 5n;

      async function hugeShortfall(): Promise<Conditional> {
        const f = await loadFixture(deployClearingFixture);
        const { agreementId, terms } = await agreementWithCondition(f, {
          kind: 2,
          includingTaxes: false,
          includedServices: 1 << Svc.VoiceMO,
          commitment: HUGE,
        });
        await f.clearing.enableClearing(agreementId, terms, [f.tariff, f.tariff]);
        await time.increaseTo(readyAt(terms, 0));
        return { ...f, conditionalId: agreementId, conditionalTerms: terms };
      }

      function settle(f: Conditional) {
        return f.settlement.settlePeriod(
          f.conditionalId,
          0,
          f.conditionalTerms,
          [f.tariff, f.tariff],
          [discountTariff(), EMPTY],
        );
      }

      /** The vault reference of part `part` of direction 0's true-up. */
      function partRef(f: Conditional, part: number): string {
        const key = periodRef(f.conditionalId, 0, 0);
        return part === 0 ? key : ethers.keccak256(coder.encode(["bytes32", "uint32"], [key, part]));
      }

      it("should settle the period, recording the first MAX_PARTS_PER_CALL parts and keeping the rest", async () => {
        const f = await loadFixture(hugeShortfall);
        expect(await f.vault.MAX_OBLIGATION()).to.equal(MAX);
        expect(await f.settlement.MAX_PARTS_PER_CALL()).to.equal(8n);
        const tx = settle(f);
        await expect(tx).to.emit(f.settlement, "PeriodSettled").withArgs(f.conditionalId, 0, 0, 0, 0, HUGE, HUGE);
        for (let part = 0; part < 8; part++) {
          await expect(tx)
            .to.emit(f.settlement, "TrueUpPartRecorded")
            .withArgs(f.conditionalId, 0, 0, part, MAX, HUGE - BigInt(part + 1) * MAX);
          await expect(tx)
            .to.emit(f.vault, "ObligationQueued")
            .withArgs(f.tokenAddress, f.hpmn, f.vpmn, anyValue, MAX, partRef(f, part));
        }
        expect(await f.settlement.outstandingTrueUp(f.conditionalId, 0, 0)).to.deep.equal([HUGE - 8n * MAX, 8n]);
        expect(await f.settlement.outstandingTrueUp(f.conditionalId, 0, 1)).to.deep.equal([0n, 0n]);
        expect(await f.settlement.isPeriodSettled(f.conditionalId, 0)).to.equal(true);
      });

      it("should let anyone collect the rest in later calls, every base unit once, then refuse", async () => {
        const f = await loadFixture(hugeShortfall);
        await settle(f);
        await f.settlement.connect(f.accounts.eve).collectTrueUp(f.conditionalId, 0, 0);
        expect(await f.settlement.outstandingTrueUp(f.conditionalId, 0, 0)).to.deep.equal([HUGE - 16n * MAX, 16n]);
        const last = f.settlement.connect(f.accounts.eve).collectTrueUp(f.conditionalId, 0, 0);
        await expect(last).to.emit(f.settlement, "TrueUpPartRecorded").withArgs(f.conditionalId, 0, 0, 16, MAX, 5n);
        await expect(last).to.emit(f.settlement, "TrueUpPartRecorded").withArgs(f.conditionalId, 0, 0, 17, 5n, 0n);
        expect(await f.settlement.outstandingTrueUp(f.conditionalId, 0, 0)).to.deep.equal([0n, 18n]);
        const queued = await f.vault.queryFilter(f.vault.filters.ObligationQueued(f.tokenAddress, f.hpmn));
        expect(queued.reduce((sum, e) => sum + e.args.amount, 0n)).to.equal(HUGE);
        expect(new Set(queued.map((e) => e.args.ref)).size).to.equal(18);
        await expect(f.settlement.collectTrueUp(f.conditionalId, 0, 0))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_NothingOutstanding")
          .withArgs(f.conditionalId, 0, 0);
      });

      it("should refuse to collect a true-up that was recorded whole, or of a period not settled", async () => {
        const f = await loadFixture(commitmentReached);
        await expect(f.settlement.collectTrueUp(f.conditionalId, 0, 0))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_NothingOutstanding")
          .withArgs(f.conditionalId, 0, 0);
        await f.settlement.settlePeriod(
          f.conditionalId,
          0,
          f.conditionalTerms,
          [f.tariff, f.tariff],
          [discountTariff(), EMPTY],
        );
        expect(await f.settlement.outstandingTrueUp(f.conditionalId, 0, 0)).to.deep.equal([0n, 0n]);
        await expect(f.settlement.collectTrueUp(f.conditionalId, 0, 0))
          .to.be.revertedWithCustomError(f.settlement, "PeriodSettlement_NothingOutstanding")
          .withArgs(f.conditionalId, 0, 0);
      });
    });
  });
});
