import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { getAddress, hexlify, ZeroHash } from "ethers";

import {
  bandPlanExtent,
  bandPlansOverlap,
  blockWords,
  CAPACITY_LIMITS,
  CapacityKind,
  channelBand,
  classIdHex,
  classIdOf,
  encodeLabel,
  firstSharedCell,
  maxSlaCredit,
  normalizeClassTerms,
  saltOf,
  slaCredit,
  slotAt,
  spectrumExtent,
  spectrumOverlap,
  spectrumWindow,
  type BandPlan,
  type ClassTerms,
  type SpectrumTerms,
} from "../../sdk/src/capacity";
import { decodeRoamLedgerError, InvalidArgumentError, RoamLedgerContractError } from "../../sdk/src/errors";
import { campaignSize } from "../helpers/campaign";
import {
  AREA,
  DAY,
  deployCapacityFixture,
  instantGovernor,
  PLAN,
  sliceTerms,
  spectrumTerms,
  USDC,
} from "../helpers/capacity";

/** Differential runs against the chain: each is a fresh fixture (snapshot revert), a class and a transaction or two. */
const ID_RUNS = 50;
const CREDIT_RUNS = 20;
/** Random band plans checked against `createBandPlan` (`CAPACITY_PLAN_RUNS` for more). */
const PLAN_RUNS = campaignSize("CAPACITY_PLAN_RUNS", 100, 5);

const uint = (bits: number) => fc.bigInt(0n, (1n << BigInt(bits)) - 1n);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)));

/** Any terms the ABI accepts, whether or not `createClass` would (classIdOf is a pure hash of them). */
const anyTerms: fc.Arbitrary<ClassTerms> = fc.record({
  issuerId: fc.bigInt(1n, 2n ** 32n - 1n),
  kind: fc.constantFrom(...Object.values(CapacityKind)),
  unit: bytes32,
  validFrom: uint(40),
  validUntil: uint(40),
  maxSupply: uint(64),
  region: bytes32,
  salt: bytes32,
  slice: fc.record({
    snssai: uint(32),
    throughputKbps: uint(32),
    latencyMs: uint(32),
    availabilityBp: uint(16),
    creditToken: address,
    creditPerUnitHour: uint(128),
  }),
  spectrum: fc.record({
    bandPlanId: uint(32),
    areaId: uint(32),
    firstChannel: uint(16),
    channelCount: uint(16),
    firstSlot: uint(32),
    slotCount: uint(32),
    exclusive: fc.boolean(),
  }),
});

async function rejectionOf(promise: Promise<unknown>): Promise<RoamLedgerContractError> {
  try {
    await promise;
  } catch (error) {
    const decoded = decodeRoamLedgerError(error);
    expect(decoded, String(error)).to.be.instanceOf(RoamLedgerContractError);
    return decoded!;
  }
  expect.fail("expected the transaction to revert");
}

function expectInvalid(call: () => unknown, field: string): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError naming ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
}

describe("capacity terms (pure, and against CapacityToken)", function () {
  describe("classIdOf", function () {
    it(`should equal the contract's classIdOf for ${ID_RUNS} random terms`, async function () {
      const { capacity } = await loadFixture(deployCapacityFixture);
      await fc.assert(
        fc.asyncProperty(anyTerms, async (terms) => {
          const id = classIdOf(terms);
          expect(id).to.equal(await capacity.classIdOf(terms));
          expect(classIdHex(id)).to.equal(id.toString(16).padStart(64, "0"));
        }),
        { numRuns: ID_RUNS, seed: 20260101 },
      );
    });

    it("should equal the id of classes the contract created, and change with the salt", async function () {
      const f = await loadFixture(deployCapacityFixture);
      expect(classIdOf(f.data)).to.equal(f.dataId);
      expect((await f.capacity.classInfo(f.dataId)).issuerId).to.equal(f.alpha);
      const salted = { ...f.data, salt: saltOf(1) };
      expect(classIdOf(salted)).to.not.equal(f.dataId);
      expect(classIdOf(salted)).to.equal(await f.capacity.classIdOf(salted));
      // Equal terms in another spelling (numbers, upper-case hex) have the same id.
      expect(classIdOf({ ...f.data, issuerId: 1, region: f.data.region.toUpperCase().replace("0X", "0x") })).to.equal(
        f.dataId,
      );
    });
  });

  describe("slaCredit", function () {
    it("should round half up, as the contract does", function () {
      expect(slaCredit(1, 1, 0, 1_800)).to.equal(1n); // 0.5 -> 1
      expect(slaCredit(1, 1, 0, 1_799)).to.equal(0n); // 0.4997 -> 0
      expect(slaCredit(1, 1, 0, 5_400)).to.equal(2n); // 1.5 -> 2
      expect(slaCredit(3, 1, 100, 1_300)).to.equal(1n); // exactly 1
      expect(slaCredit(10, 2n * USDC, 0, 3_600)).to.equal(20n * USDC);
      expect(slaCredit(0, 2n * USDC, 0, 3_600)).to.equal(0n);
      const max = slaCredit(2n ** 64n - 1n, 2n ** 128n - 1n, 0, 2n ** 40n - 1n);
      expect(max).to.equal(((2n ** 64n - 1n) * (2n ** 128n - 1n) * (2n ** 40n - 1n) + 1_800n) / 3_600n);
    });

    it(`should equal what the contract credits, for ${CREDIT_RUNS} random breaches (event and vault)`, async function () {
      const usdcAddress = await (await loadFixture(deployCapacityFixture)).usdc.getAddress();
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt(1n, 20n), // units held
          fc.oneof(fc.bigInt(0n, 3n), fc.bigInt(1n, 5n * USDC)), // credit per unit-hour
          fc.integer({ min: 0, max: 20 * DAY }), // breach start, after validFrom
          fc.integer({ min: 1, max: 5 * DAY }), // breach length
          async (units, price, offset, length) => {
            const f = await loadFixture(deployCapacityFixture);
            const { alice, bob } = f.accounts;
            const terms = sliceTerms(f, usdcAddress, price, { salt: saltOf(1) });
            const classId = classIdOf(terms);
            await f.capacity.connect(alice).createClass(terms, "");
            await f.capacity.connect(alice).mint(classId, bob, units, "0x");
            const from = BigInt(terms.validFrom) + BigInt(offset);
            const to = from + BigInt(length);
            await time.increaseTo(to);
            const before = await f.vault.openPositionOf(f.beta, f.usdc);
            const tx = await f.capacity.connect(alice).recordSlaBreach(terms, from, to, ZeroHash, [bob]);
            const receipt = (await tx.wait())!;
            const credited = receipt.logs
              .map((log) => f.capacity.interface.parseLog(log))
              .find((parsed) => parsed?.name === "SlaCredited");
            const expected = slaCredit(units, price, from, to);
            expect(credited!.args.units).to.equal(units);
            expect(credited!.args.credit).to.equal(expected);
            expect((await f.vault.openPositionOf(f.beta, f.usdc)) - before).to.equal(expected);
          },
        ),
        {
          numRuns: CREDIT_RUNS,
          seed: 4242,
          // The rounding edges: exactly half a base unit (rounded up), just under it, and a credit of zero.
          examples: [
            [1n, 1n, 0, 1_800],
            [1n, 1n, 7, 1_799],
            [3n, 1n, 0, 5_400],
            [20n, 0n, 0, 3_600],
          ],
        },
      );
    });
  });

  describe("maxSlaCredit", function () {
    it("should be the credit of every unit over the whole validity, and zero for an empty one", function () {
      const terms = {
        maxSupply: 100n,
        validFrom: 1_000n,
        validUntil: 1_000n + 30n * BigInt(DAY),
        slice: { creditPerUnitHour: 3n },
      };
      expect(maxSlaCredit(terms)).to.equal(3n * 100n * 720n);
      expect(maxSlaCredit(terms)).to.equal(slaCredit(100n, 3n, terms.validFrom, terms.validUntil));
      // One unit at 1 per hour for 1,000 s: 0.28 rounds to 0; for 1,800 s, 0.5 rounds up to 1.
      const one = { ...terms, maxSupply: 1n, slice: { creditPerUnitHour: 1n } };
      expect(maxSlaCredit({ ...one, validUntil: 2_000n })).to.equal(0n);
      expect(maxSlaCredit({ ...one, validUntil: 2_800n })).to.equal(1n);
      expect(maxSlaCredit({ ...terms, validUntil: terms.validFrom })).to.equal(0n);
      expect(maxSlaCredit({ ...terms, slice: { creditPerUnitHour: 0n } })).to.equal(0n);
      expect(CAPACITY_LIMITS.maxSlaCredit).to.equal(2n ** 96n - 1n);
      expectInvalid(() => maxSlaCredit({ ...terms, maxSupply: 2n ** 64n }), "maxSupply");
      expectInvalid(() => maxSlaCredit({ ...terms, slice: { creditPerUnitHour: -1n } }), "slice.creditPerUnitHour");
    });
  });

  describe("band plans (no two overlap in frequency x time)", function () {
    /** Plan 1 of the fixture: 3,550-3,700 MHz over a year from its epoch. */
    const base = { ...PLAN, epoch: 10_000_000n };
    const yearEnd = base.epoch + PLAN.slotCount * PLAN.slotSeconds;

    it("should give a plan's extent and overlap only on shared kHz and shared seconds", function () {
      expect(bandPlanExtent(base)).to.deep.equal({
        lowKHz: 3_550_000n,
        highKHz: 3_700_000n,
        start: 10_000_000n,
        end: yearEnd,
      });
      const cases: [string, BandPlan, boolean][] = [
        ["itself", base, true],
        ["a 10 MHz plan over it", { ...base, channelWidthKHz: 10_000n, channelCount: 15n }, true],
        [
          "one kHz and one second",
          { ...base, originKHz: 3_699_999n, epoch: yearEnd - 1n, slotSeconds: 1n, slotCount: 1n },
          true,
        ],
        ["the band above", { ...base, originKHz: 3_700_000n }, false],
        ["the band below", { ...base, originKHz: 3_540_000n, channelCount: 2n }, false],
        ["the year after", { ...base, epoch: yearEnd }, false],
        ["the time before", { ...base, epoch: base.epoch - 900n, slotCount: 1n }, false],
      ];
      for (const [name, other, overlaps] of cases) {
        expect(bandPlansOverlap(base, other), name).to.equal(overlaps);
        expect(bandPlansOverlap(other, base), name).to.equal(overlaps);
      }
      expectInvalid(() => bandPlanExtent({ ...base, slotCount: 2n ** 32n }), "plan.slotCount");
    });

    it(`should refuse exactly the plans it says overlap plan 1, for ${PLAN_RUNS} random plans`, async function () {
      const f = await loadFixture(deployCapacityFixture);
      const governor = await instantGovernor(f);
      const epoch = BigInt(f.plan.epoch);
      const year = PLAN.slotCount * PLAN.slotSeconds;
      const plan = fc.record({
        originKHz: fc.bigInt(3_000_000n, 4_000_000n),
        channelWidthKHz: fc.constantFrom(1n, 5_000n, 10_000n, 20_000n),
        channelCount: fc.bigInt(1n, 60n),
        slotSeconds: fc.constantFrom(1n, 900n, 3_600n),
        epoch: fc.bigInt(epoch - year, epoch + 2n * year),
        slotCount: fc.bigInt(1n, 20_000n),
      });
      await fc.assert(
        fc.asyncProperty(plan, async (p) => {
          const create = f.capacity.connect(governor).createBandPlan.staticCall(p);
          if (bandPlansOverlap(p, f.plan)) {
            const error = await rejectionOf(create);
            expect(error.name).to.equal("CapacityToken_BandPlanOverlap");
            expect(error.args).to.deep.equal({ otherBandPlanId: 1n });
          } else {
            expect(await create).to.equal(2n);
          }
        }),
        {
          numRuns: PLAN_RUNS,
          seed: 6,
          // The edges: touching above, below, after, before; one kHz x one second shared.
          examples: [
            [{ ...f.plan, originKHz: 3_700_000n }],
            [{ ...f.plan, originKHz: 3_450_000n, channelCount: 20n }],
            [{ ...f.plan, epoch: epoch + year }],
            [{ ...f.plan, epoch: epoch - 900n, slotCount: 1n }],
            [{ ...f.plan, originKHz: 3_699_999n, epoch: epoch + year - 1n, slotSeconds: 1n, slotCount: 1n }],
          ],
        },
      );
    });

    it("should compute a block's physical extent, and overlap blocks of any plans physically", function () {
      const block = {
        bandPlanId: 1,
        areaId: 7,
        firstChannel: 4,
        channelCount: 4,
        firstSlot: 100,
        slotCount: 96,
        exclusive: true,
      };
      expect(spectrumExtent(base, block)).to.deep.equal({
        areaId: 7n,
        lowKHz: 3_570_000n,
        highKHz: 3_590_000n,
        start: base.epoch + 90_000n,
        end: base.epoch + 176_400n,
      });
      // The same kHz and seconds through a 10 MHz plan's numbering (which createBandPlan refuses): an overlap.
      const tenMHz = { ...base, channelWidthKHz: 10_000n, channelCount: 15n };
      const same = { ...block, bandPlanId: 2, firstChannel: 2, channelCount: 1 };
      expect(spectrumOverlap({ plan: base, spectrum: block }, { plan: tenMHz, spectrum: same })).to.equal(true);
      expect(
        spectrumOverlap({ plan: base, spectrum: block }, { plan: tenMHz, spectrum: { ...same, areaId: 8 } }),
      ).to.equal(false);
      expect(
        spectrumOverlap({ plan: base, spectrum: block }, { plan: tenMHz, spectrum: { ...same, firstChannel: 4 } }),
      ).to.equal(false); // 3,590-3,600 MHz: touching
      expect(
        spectrumOverlap({ plan: base, spectrum: block }, { plan: base, spectrum: { ...block, firstSlot: 196 } }),
      ).to.equal(false);
      // On one plan, a physical overlap is a shared cell.
      const inside = { ...block, firstChannel: 7, channelCount: 2, firstSlot: 195, slotCount: 3 };
      expect(spectrumOverlap({ plan: base, spectrum: block }, { plan: base, spectrum: inside })).to.equal(true);
      expect(firstSharedCell(block, inside)).to.deep.equal({ channel: 7n, slot: 195n });
    });
  });

  describe("the spectrum grid", function () {
    const plan = { ...PLAN, epoch: 1_000_000n };

    it("should compute a block's window, its slots and its band from the plan", function () {
      // 15-minute slots from the epoch.
      expect(spectrumWindow(plan, 0, 1)).to.deep.equal({ validFrom: 1_000_000n, validUntil: 1_000_900n });
      expect(spectrumWindow(plan, 4n, 8n)).to.deep.equal({ validFrom: 1_003_600n, validUntil: 1_010_800n });
      expect(slotAt(plan, 1_000_000n)).to.equal(0n);
      expect(slotAt(plan, 1_000_899n)).to.equal(0n);
      expect(slotAt(plan, 1_000_900)).to.equal(1n);
      expect(slotAt(plan, 1_003_600n)).to.equal(4n);
      // Channels of 5 MHz from 3.55 GHz.
      expect(channelBand(plan, 0)).to.deep.equal({ lowKHz: 3_550_000n, highKHz: 3_555_000n });
      expect(channelBand(plan, 2, 3)).to.deep.equal({ lowKHz: 3_560_000n, highKHz: 3_575_000n });
      expect(channelBand(plan, 29n, 1n)).to.deep.equal({ lowKHz: 3_695_000n, highKHz: 3_700_000n });
      fc.assert(
        fc.property(fc.bigInt(0n, 2n ** 24n), fc.bigInt(1n, 2n ** 16n), (first, count) => {
          const { validFrom, validUntil } = spectrumWindow(plan, first, count);
          expect(validUntil - validFrom).to.equal(count * plan.slotSeconds);
          expect(slotAt(plan, validFrom)).to.equal(first);
          expect(slotAt(plan, validUntil - 1n)).to.equal(first + count - 1n);
          expect(slotAt(plan, validUntil)).to.equal(first + count);
        }),
        { numRuns: 200, seed: 7 },
      );
    });

    it("should count the grid words a block reserves (groups of 4 channels x runs of 64 slots touched)", function () {
      expect(blockWords({ firstChannel: 0, channelCount: 1, firstSlot: 0, slotCount: 64 })).to.equal(1n);
      expect(blockWords({ firstChannel: 0, channelCount: 4, firstSlot: 0, slotCount: 64 })).to.equal(1n);
      expect(blockWords({ firstChannel: 0, channelCount: 1, firstSlot: 0, slotCount: 65 })).to.equal(2n);
      expect(blockWords({ firstChannel: 0, channelCount: 1, firstSlot: 63, slotCount: 2 })).to.equal(2n);
      expect(blockWords({ firstChannel: 3, channelCount: 2, firstSlot: 0, slotCount: 64 })).to.equal(2n);
      expect(blockWords({ firstChannel: 1, channelCount: 3, firstSlot: 250, slotCount: 350 })).to.equal(7n);
      expect(blockWords({ firstChannel: 2, channelCount: 4, firstSlot: 60, slotCount: 96 })).to.equal(6n);
      expect(blockWords({ firstChannel: 0, channelCount: 30, firstSlot: 0, slotCount: 512 })).to.equal(64n);
      expect(blockWords({ firstChannel: 0, channelCount: 5, firstSlot: 0, slotCount: 0 })).to.equal(0n);
    });

    it("should agree with the contract on the window and the word count it enforces", async function () {
      const f = await loadFixture(deployCapacityFixture);
      const alice = f.capacity.connect(f.accounts.alice);
      // A validity off by one second: the contract names the window spectrumWindow computes.
      const block = { firstChannel: 0, channelCount: 1, firstSlot: 3, slotCount: 5 };
      const terms = spectrumTerms(f, block);
      const shifted = { ...terms, validUntil: BigInt(terms.validUntil) + 1n };
      const mismatch = await rejectionOf(alice.createClass(shifted, ""));
      expect(mismatch.name).to.equal("CapacityToken_SpectrumWindowMismatch");
      const window = spectrumWindow(f.plan, block.firstSlot, block.slotCount);
      expect(mismatch.args).to.deep.equal({ expectedFrom: window.validFrom, expectedUntil: window.validUntil });
      // 64 words pass; 96 are refused with the count blockWords computes.
      await alice.createClass(
        spectrumTerms(f, { firstChannel: 0, channelCount: 30, firstSlot: 0, slotCount: 512 }),
        "",
      );
      const big = { firstChannel: 0, channelCount: 30, firstSlot: 2_048, slotCount: 768 }; // 8 groups x 12 runs
      const tooLarge = await rejectionOf(alice.createClass(spectrumTerms(f, big), ""));
      expect(tooLarge.name).to.equal("CapacityToken_BlockTooLarge");
      expect(tooLarge.args).to.deep.equal({ words: blockWords(big), maxWords: 64n });
      expect(blockWords(big)).to.equal(96n);
    });

    describe("firstSharedCell against the contract's overlap refusal", function () {
      /** Alpha's exclusive block A; then `block` (by beta) is created, or refused at the cell the SDK predicts. */
      const a = { firstChannel: 2, channelCount: 3, firstSlot: 10, slotCount: 10 };
      const a2 = { firstChannel: 10, channelCount: 1, firstSlot: 250, slotCount: 10 };
      const cases: [string, typeof a, Partial<SpectrumTerms> & typeof a, boolean][] = [
        ["the next channels, same slots", a, { firstChannel: 5, channelCount: 2, firstSlot: 10, slotCount: 10 }, false],
        ["the previous channels", a, { firstChannel: 0, channelCount: 2, firstSlot: 12, slotCount: 3 }, false],
        ["the next slots, same channels", a, { firstChannel: 2, channelCount: 3, firstSlot: 20, slotCount: 5 }, false],
        ["the previous slots", a, { firstChannel: 2, channelCount: 3, firstSlot: 0, slotCount: 10 }, false],
        ["a diagonal corner", a, { firstChannel: 5, channelCount: 1, firstSlot: 20, slotCount: 1 }, false],
        ["another area", a, { ...a, areaId: AREA + 1n }, false],
        [
          "one shared cell (last channel, last slot)",
          a,
          { firstChannel: 4, channelCount: 2, firstSlot: 19, slotCount: 3 },
          true,
        ],
        [
          "one shared cell (first channel, first slot)",
          a,
          { firstChannel: 0, channelCount: 3, firstSlot: 5, slotCount: 6 },
          true,
        ],
        ["the same block", a, a, true],
        ["a block inside", a, { firstChannel: 3, channelCount: 1, firstSlot: 12, slotCount: 2 }, true],
        [
          "a shared cell past a word boundary",
          a2,
          { firstChannel: 10, channelCount: 2, firstSlot: 259, slotCount: 3 },
          true,
        ],
        [
          "shared cells across a word boundary",
          a2,
          { firstChannel: 9, channelCount: 2, firstSlot: 255, slotCount: 3 },
          true,
        ],
      ];
      for (const [title, first, block, overlaps] of cases) {
        it(`should ${overlaps ? "refuse" : "allow"} ${title}`, async function () {
          const f = await loadFixture(deployCapacityFixture);
          const termsA = spectrumTerms(f, first);
          const termsB = spectrumTerms(f, block, { issuerId: f.beta });
          await f.capacity.connect(f.accounts.alice).createClass(termsA, "");
          const shared = firstSharedCell(termsA.spectrum, termsB.spectrum);
          const create = f.capacity.connect(f.accounts.bob).createClass(termsB, "");
          if (!overlaps) {
            expect(shared).to.equal(undefined);
            await create;
            expect((await f.capacity.classInfo(classIdOf(termsB))).issuerId).to.equal(f.beta);
            return;
          }
          expect(shared).to.not.equal(undefined);
          const error = await rejectionOf(create);
          expect(error.name).to.equal("CapacityToken_SpectrumOverlap");
          expect(error.args).to.deep.equal({ channel: shared!.channel, slot: shared!.slot });
          expect(await f.capacity.isReserved(1, AREA, shared!.channel, shared!.slot)).to.equal(true);
        });
      }

      it("should report overlaps geometrically: a shared (non-exclusive) block may overlap, as the grid allows", async function () {
        const f = await loadFixture(deployCapacityFixture);
        const termsA = spectrumTerms(f, a);
        const shared = spectrumTerms(f, { ...a, exclusive: false }, { issuerId: f.beta });
        await f.capacity.connect(f.accounts.alice).createClass(termsA, "");
        await f.capacity.connect(f.accounts.bob).createClass(shared, "");
        expect(firstSharedCell(termsA.spectrum, shared.spectrum)).to.deep.equal({ channel: 2n, slot: 10n });
        expect(firstSharedCell(termsA.spectrum, { ...shared.spectrum, bandPlanId: 2n })).to.equal(undefined);
      });
    });
  });

  describe("input validation", function () {
    it("should name the field of every invalid input", function () {
      const base: ClassTerms = {
        issuerId: 1,
        kind: CapacityKind.Data,
        unit: encodeLabel("GB"),
        validFrom: 1,
        validUntil: 2,
        maxSupply: 1,
        region: ZeroHash,
        salt: ZeroHash,
        slice: {
          snssai: 0,
          throughputKbps: 0,
          latencyMs: 0,
          availabilityBp: 0,
          creditToken: ethers.ZeroAddress,
          creditPerUnitHour: 0,
        },
        spectrum: {
          bandPlanId: 0,
          areaId: 0,
          firstChannel: 0,
          channelCount: 0,
          firstSlot: 0,
          slotCount: 0,
          exclusive: false,
        },
      };
      expect(normalizeClassTerms(base).issuerId).to.equal(1n);
      const termCases: [Partial<ClassTerms> | ((t: ClassTerms) => ClassTerms), string][] = [
        [{ kind: 5 as CapacityKind }, "kind"],
        [{ issuerId: 0 }, "issuerId"],
        [{ issuerId: 2n ** 32n }, "issuerId"],
        [{ issuerId: 1.5 }, "issuerId"],
        [{ unit: "GB" }, "unit"],
        [{ validFrom: 2n ** 40n }, "validFrom"],
        [{ validUntil: -1 }, "validUntil"],
        [{ maxSupply: 2n ** 64n }, "maxSupply"],
        [{ region: "DEUD1" }, "region"],
        [{ salt: "0x12" }, "salt"],
        [(t) => ({ ...t, slice: { ...t.slice, snssai: 2n ** 32n } }), "slice.snssai"],
        [(t) => ({ ...t, slice: { ...t.slice, throughputKbps: -1 } }), "slice.throughputKbps"],
        [(t) => ({ ...t, slice: { ...t.slice, latencyMs: 2n ** 32n } }), "slice.latencyMs"],
        [(t) => ({ ...t, slice: { ...t.slice, availabilityBp: 2 ** 16 } }), "slice.availabilityBp"],
        [(t) => ({ ...t, slice: { ...t.slice, creditToken: "0x12" } }), "slice.creditToken"],
        [(t) => ({ ...t, slice: { ...t.slice, creditPerUnitHour: 2n ** 128n } }), "slice.creditPerUnitHour"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, bandPlanId: 2n ** 32n } }), "spectrum.bandPlanId"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, areaId: -1 } }), "spectrum.areaId"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, firstChannel: 2 ** 16 } }), "spectrum.firstChannel"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, channelCount: 2 ** 16 } }), "spectrum.channelCount"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, firstSlot: 2n ** 32n } }), "spectrum.firstSlot"],
        [(t) => ({ ...t, spectrum: { ...t.spectrum, slotCount: 0.5 } }), "spectrum.slotCount"],
      ];
      for (const [change, field] of termCases) {
        const terms = typeof change === "function" ? change(base) : { ...base, ...change };
        expectInvalid(() => normalizeClassTerms(terms), field);
        expectInvalid(() => classIdOf(terms), field);
      }
      expectInvalid(() => classIdHex(-1n), "classId");
      expectInvalid(() => classIdHex(2n ** 256n), "classId");
      expectInvalid(() => saltOf(-1), "salt");
      expectInvalid(() => encodeLabel(""), "unit");
      expectInvalid(() => encodeLabel("x".repeat(32), "region"), "region");
      expectInvalid(() => encodeLabel("Gigabyte\u00e9"), "unit");
      const plan = { ...PLAN, epoch: 1_000n };
      expectInvalid(() => spectrumWindow({ ...plan, slotSeconds: 0 }, 0, 1), "plan.slotSeconds");
      expectInvalid(() => spectrumWindow({ ...plan, epoch: 2n ** 40n }, 0, 1), "plan.epoch");
      expectInvalid(() => spectrumWindow(plan, -1, 1), "firstSlot");
      expectInvalid(() => spectrumWindow(plan, 0, 0), "slotCount");
      expectInvalid(() => slotAt(plan, 999), "timestamp");
      expectInvalid(() => slotAt(plan, 2n ** 40n), "timestamp");
      expectInvalid(() => slotAt({ ...plan, slotSeconds: 0 }, 1_000), "plan.slotSeconds");
      expectInvalid(() => channelBand(plan, 2 ** 16), "firstChannel");
      expectInvalid(() => channelBand(plan, 0, 2 ** 16), "channelCount");
      expectInvalid(() => channelBand({ ...plan, channelWidthKHz: 2n ** 32n }, 0), "plan.channelWidthKHz");
      expectInvalid(() => channelBand({ ...plan, originKHz: -1n }, 0), "plan.originKHz");
      expectInvalid(() => slaCredit(1, 1, 10, 10), "to");
      expectInvalid(() => slaCredit(1, 1, 2n ** 40n, 2n ** 40n + 1n), "from");
      expectInvalid(() => slaCredit(-1, 1, 0, 1), "units");
      expectInvalid(() => slaCredit(1, 2n ** 128n, 0, 1), "creditPerUnitHour");
    });
  });
});
