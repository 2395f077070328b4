import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { CapacityKind, emptySlice, encodeLabel, saltOf, type BandPlan, type ClassTerms } from "../../sdk/src/capacity";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import { DAY, deployCapacityFixture, instantGovernor, PLAN, type CapacityFixture } from "../helpers/capacity";

/**
 * Invariant K6 of test/invariant/README.md across band plans: spectrum is never leased twice. Random sequences of band
 * plans (many overlapping one another or the fixture's plan, which `createBandPlan` must refuse) and random spectrum
 * blocks (exclusive or shared) over several plans and areas, against a model that predicts every outcome or its exact
 * refusal from physical extents, never from the plan-relative grid. After each action the plans and every exclusive
 * class are read back from the chain (the classes from their `ClassCreated` events) and mapped to kHz x seconds x area:
 * no two plans overlap in kHz x seconds, and no two exclusive classes overlap in kHz x seconds x area.
 */

const SEQUENCES = campaignSize("CAPACITY_SPECTRUM_RUNS", 40, 2, "INVARIANT_RUNS");
const DEPTH = campaignSize("CAPACITY_SPECTRUM_DEPTH", 25, 6, "INVARIANT_DEPTH");
const stats = { actions: 0, refused: 0, plans: 0, planOverlaps: 0, exclusive: 0, overlaps: 0 };

/** A rectangle of spectrum x time: `[lowKHz, highKHz)` x `[start, end)`. */
interface Extent {
  lowKHz: bigint;
  highKHz: bigint;
  start: bigint;
  end: bigint;
}

/** An exclusive block, physically: its area and extent. */
interface Lease extends Extent {
  areaId: bigint;
}

interface Model {
  plans: BandPlan[];
  leases: Lease[];
  salt: number;
}

interface Real {
  f: CapacityFixture;
  governor: HardhatEthersSigner;
  issuers: [HardhatEthersSigner, bigint][];
  /** The block after the fixture's setup: the campaign's `ClassCreated` events come from later blocks. */
  fromBlock: number;
}

const intersects = (a: Extent, b: Extent) =>
  a.lowKHz < b.highKHz && b.lowKHz < a.highKHz && a.start < b.end && b.start < a.end;

/** The physical extent of channels `[c, c + cc)` x slots `[s, s + sc)` of `plan`. */
function extentOf(plan: BandPlan, c: bigint, cc: bigint, s: bigint, sc: bigint): Extent {
  const [origin, width, epoch, seconds] = [plan.originKHz, plan.channelWidthKHz, plan.epoch, plan.slotSeconds].map(
    BigInt,
  );
  return {
    lowKHz: origin + c * width,
    highKHz: origin + (c + cc) * width,
    start: epoch + s * seconds,
    end: epoch + (s + sc) * seconds,
  };
}

const planExtent = (plan: BandPlan) => extentOf(plan, 0n, BigInt(plan.channelCount), 0n, BigInt(plan.slotCount));

async function refused(tx: Promise<ContractTransactionResponse>, f: CapacityFixture, name: string, args: unknown[]) {
  await expect(tx)
    .to.be.revertedWithCustomError(f.capacity, name)
    .withArgs(...args);
  stats.refused++;
}

async function check(m: Model, { f, fromBlock }: Real): Promise<void> {
  // The plans on chain are the model's, and no two overlap in kHz x seconds.
  const count = Number(await f.capacity.bandPlanCount());
  expect(count).to.equal(m.plans.length);
  const plans: BandPlan[] = [];
  for (let id = 1; id <= count; id++) {
    const p = await f.capacity.bandPlan(id);
    plans.push({
      originKHz: p.originKHz,
      channelWidthKHz: p.channelWidthKHz,
      channelCount: p.channelCount,
      slotSeconds: p.slotSeconds,
      epoch: p.epoch,
      slotCount: p.slotCount,
    });
    expect(plans[id - 1]).to.deep.equal(m.plans[id - 1]);
  }
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) expect(intersects(planExtent(plans[i]), planExtent(plans[j]))).to.equal(false);
  }
  // Every exclusive class the token issued, physically: no two share kHz x seconds in one area.
  const created = await f.capacity.queryFilter(f.capacity.filters.ClassCreated(), fromBlock + 1);
  const leases: Lease[] = [];
  for (const event of created) {
    const g = event.args.terms.spectrum;
    if (Number(event.args.kind) !== CapacityKind.Spectrum || !g.exclusive) continue;
    const plan = plans[Number(g.bandPlanId) - 1];
    const extent = extentOf(plan, g.firstChannel, g.channelCount, g.firstSlot, g.slotCount);
    expect([extent.start, extent.end]).to.deep.equal([event.args.terms.validFrom, event.args.terms.validUntil]);
    leases.push({ areaId: g.areaId, ...extent });
  }
  expect(leases).to.deep.equal(m.leases);
  for (let i = 0; i < leases.length; i++) {
    for (let j = i + 1; j < leases.length; j++) {
      expect(leases[i].areaId === leases[j].areaId && intersects(leases[i], leases[j])).to.equal(false);
    }
  }
}

class CreatePlan implements fc.AsyncCommand<Model, Real> {
  constructor(readonly plan: BandPlan) {}
  check = () => true;
  async run(m: Model, { f, governor }: Real) {
    const send = () => f.capacity.connect(governor).createBandPlan(this.plan);
    const p = this.plan;
    if ([p.channelWidthKHz, p.channelCount, p.slotSeconds, p.slotCount].some((x) => BigInt(x) === 0n)) {
      return refused(send(), f, "CapacityToken_InvalidBandPlan", []);
    }
    if (m.plans.length >= 64) return refused(send(), f, "CapacityToken_TooManyBandPlans", [64]);
    const other = m.plans.findIndex((q) => intersects(planExtent(q), planExtent(p)));
    if (other >= 0) {
      stats.planOverlaps++;
      return refused(send(), f, "CapacityToken_BandPlanOverlap", [other + 1]);
    }
    await expect(send())
      .to.emit(f.capacity, "BandPlanCreated")
      .withArgs(m.plans.length + 1, () => true);
    m.plans.push(p);
    stats.plans++;
  }
  toString = () =>
    `CreatePlan(${this.plan.originKHz} kHz + ${this.plan.channelCount} x ${this.plan.channelWidthKHz}, ` +
    `${this.plan.epoch} s + ${this.plan.slotCount} x ${this.plan.slotSeconds})`;
}

interface BlockChoice {
  plan: number;
  areaId: bigint;
  firstChannel: bigint;
  channelCount: bigint;
  firstSlot: bigint;
  slotCount: bigint;
  exclusive: boolean;
  issuer: number;
}

class Issue implements fc.AsyncCommand<Model, Real> {
  constructor(readonly b: BlockChoice) {}
  check = () => true;
  async run(m: Model, { f, issuers }: Real) {
    const b = this.b;
    // Mostly a plan that exists (the campaign's or the fixture's), sometimes the next id, which does not.
    const bandPlanId = b.plan < 0 ? m.plans.length + 1 : (b.plan % m.plans.length) + 1;
    const plan: BandPlan | undefined = m.plans[bandPlanId - 1];
    const [issuer, issuerId] = issuers[b.issuer];
    // An unknown plan: any validity (the plan is checked first).
    const extent = plan
      ? extentOf(plan, b.firstChannel, b.channelCount, b.firstSlot, b.slotCount)
      : { lowKHz: 0n, highKHz: 0n, start: BigInt(PLAN.slotSeconds), end: 2n ** 40n - 1n };
    const terms: ClassTerms = {
      issuerId,
      kind: CapacityKind.Spectrum,
      unit: encodeLabel("lease"),
      validFrom: extent.start,
      validUntil: extent.end,
      maxSupply: b.exclusive ? 1n : 10n,
      region: ethers.ZeroHash,
      salt: saltOf(m.salt++),
      slice: emptySlice(),
      spectrum: {
        bandPlanId,
        areaId: b.areaId,
        firstChannel: b.firstChannel,
        channelCount: b.channelCount,
        firstSlot: b.firstSlot,
        slotCount: b.slotCount,
        exclusive: b.exclusive,
      },
    };
    const send = () => f.capacity.connect(issuer).createClass(terms, "");
    if (plan === undefined) return refused(send(), f, "CapacityToken_UnknownBandPlan", [bandPlanId]);
    if (b.firstChannel + b.channelCount > BigInt(plan.channelCount)) {
      return refused(send(), f, "CapacityToken_InvalidBlock", [b.firstChannel, b.channelCount, b.slotCount]);
    }
    if (b.firstSlot + b.slotCount > BigInt(plan.slotCount)) {
      return refused(send(), f, "CapacityToken_SlotsOutsidePlan", [b.firstSlot, b.slotCount, plan.slotCount]);
    }
    if (b.exclusive) {
      // The first channel-slot (in the contract's scan order: runs of 64 slots, then groups of 4 channels; in a word
      // the lowest channel, then the lowest slot) whose kHz x seconds meets a lease of the same area.
      const taken = m.leases.filter((l) => l.areaId === b.areaId);
      const [c0, c1, s0, s1] = [
        b.firstChannel,
        b.firstChannel + b.channelCount,
        b.firstSlot,
        b.firstSlot + b.slotCount,
      ];
      const min = (x: bigint, y: bigint) => (x < y ? x : y);
      const max = (x: bigint, y: bigint) => (x > y ? x : y);
      for (let w = s0 >> 6n; w <= (s1 - 1n) >> 6n; w++) {
        for (let g = c0 >> 2n; g <= (c1 - 1n) >> 2n; g++) {
          for (let c = max(c0, g << 2n); c < min(c1, (g + 1n) << 2n); c++) {
            for (let s = max(s0, w << 6n); s < min(s1, (w + 1n) << 6n); s++) {
              const cell = extentOf(plan, c, 1n, s, 1n);
              if (taken.some((l) => intersects(l, cell))) {
                stats.overlaps++;
                return refused(send(), f, "CapacityToken_SpectrumOverlap", [c, s]);
              }
            }
          }
        }
      }
    }
    await expect(send()).to.emit(f.capacity, "ClassCreated");
    if (b.exclusive) {
      m.leases.push({ areaId: b.areaId, ...extent });
      stats.exclusive++;
    }
  }
  toString = () =>
    `Issue(plan ${this.b.plan}, area ${this.b.areaId}, channels ${this.b.firstChannel}+${this.b.channelCount}, ` +
    `slots ${this.b.firstSlot}+${this.b.slotCount}${this.b.exclusive ? "" : ", shared"}, issuer ${this.b.issuer})`;
}

const checked = (command: fc.AsyncCommand<Model, Real>) => checkedCommand(command, stats, check);

/** The capacity fixture, with dave as a governor without delay, so each band plan is one transaction. */
async function spectrumFixture() {
  const f = await deployCapacityFixture();
  const governor = await instantGovernor(f);
  return { f, governor, fromBlock: await ethers.provider.getBlockNumber() };
}

describe("Invariants: spectrum across band plans (model-based random sequences)", () => {
  it(`should never lease the same kHz x seconds x area twice, over ${SEQUENCES} sequences of plans and blocks`, async () => {
    const { f: base } = await loadFixture(spectrumFixture);
    const epoch = BigInt(base.plan.epoch);
    // Every block of the campaign starts after 120 hours before the epoch: still in the future for the whole run.
    expect(epoch - BigInt(await time.latest()) > 6n * BigInt(DAY)).to.equal(true);
    // Plans around the fixture's (3,550-3,700 MHz for a year from its epoch): from 3,450 to 3,750 MHz, a few hours to
    // a few days long, starting up to 120 hours before (the clock stands some 8 days before it) or 200 hours after its
    // epoch. Many overlap it or one another.
    const plan: fc.Arbitrary<BandPlan> = fc.record({
      originKHz: fc.integer({ min: 0, max: 60 }).map((k) => 3_450_000n + BigInt(k) * 5_000n),
      channelWidthKHz: fc.constantFrom(5_000n, 10_000n, 20_000n),
      channelCount: fc.oneof({ arbitrary: fc.bigInt(1n, 6n), weight: 9 }, { arbitrary: fc.constant(0n), weight: 1 }),
      slotSeconds: fc.constantFrom(900n, 1_800n, 3_600n),
      epoch: fc.integer({ min: -120, max: 200 }).map((h) => epoch + BigInt(h) * 3_600n),
      slotCount: fc.bigInt(1n, 48n),
    });
    const block: fc.Arbitrary<BlockChoice> = fc.record({
      plan: fc.oneof({ arbitrary: fc.nat(20), weight: 9 }, { arbitrary: fc.constant(-1), weight: 1 }),
      areaId: fc.bigInt(1n, 2n),
      firstChannel: fc.bigInt(0n, 4n),
      channelCount: fc.bigInt(1n, 3n),
      firstSlot: fc.bigInt(0n, 16n),
      slotCount: fc.bigInt(1n, 8n),
      exclusive: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
      issuer: fc.nat(1),
    });
    const commands = [
      plan.map((p) => new CreatePlan(p)),
      plan.map((p) => new CreatePlan(p)),
      block.map((b) => new Issue(b)),
      block.map((b) => new Issue(b)),
      block.map((b) => new Issue(b)),
    ].map((arb) => arb.map(checked));

    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: DEPTH, size: "max" }), async (cmds) => {
        const { f, governor, fromBlock } = await loadFixture(spectrumFixture);
        const a = f.accounts;
        const model: Model = { plans: [{ ...f.plan }], leases: [], salt: 0 };
        const real: Real = {
          f,
          governor,
          issuers: [
            [a.alice, f.alpha],
            [a.bob, f.beta],
          ],
          fromBlock,
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      spectrum invariant campaign: ${stats.actions} actions, ${stats.plans} plans created ` +
        `(${stats.planOverlaps} overlapping refused), ${stats.exclusive} exclusive blocks issued ` +
        `(${stats.overlaps} overlapping refused), ${stats.refused} refused in all as predicted`,
    );
  });
});
