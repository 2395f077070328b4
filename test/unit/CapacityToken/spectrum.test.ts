import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import fc from "fast-check";

import { blockWords, classIdOf, spectrumWindow, type SpectrumTerms } from "../../../sdk/src/capacity";
import { campaignSize } from "../../helpers/campaign";
import { scheduleAndExecute } from "../../helpers/fixtures";
import {
  AREA,
  deployCapacityFixture,
  instantGovernor,
  PLAN,
  spectrumTerms,
  type CapacityFixture,
} from "../../helpers/capacity";

/** Random block sequences of the grid property (`CAPACITY_GRID_RUNS` for a longer campaign). */
const GRID_RUNS = campaignSize("CAPACITY_GRID_RUNS", 25, 3);

type Block = Pick<SpectrumTerms, "firstChannel" | "channelCount" | "firstSlot" | "slotCount"> & Partial<SpectrumTerms>;

/** Issues an exclusive block as alpha (or as `issuer`). */
async function issue(f: CapacityFixture, block: Block, issuer = f.accounts.alice, issuerId = f.alpha) {
  return f.capacity.connect(issuer).createClass(spectrumTerms(f, block, { issuerId }), "");
}

/** Alpha holds the exclusive block A: channels [4, 8) x slots [100, 196). */
const A: Block = { firstChannel: 4, channelCount: 4, firstSlot: 100, slotCount: 96 };

async function withBlockA(): Promise<CapacityFixture> {
  const f = await deployCapacityFixture();
  await issue(f, A);
  return f;
}

describe("CapacityToken.createClass (spectrum grid)", () => {
  describe("when the block is malformed", () => {
    it("should revert with UnknownBandPlan for a plan that does not exist", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const terms = spectrumTerms(f, { ...A, bandPlanId: 9 });
      await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownBandPlan")
        .withArgs(9);
    });

    it("should revert with InvalidBlock for no channel, no slot, or channels past the plan", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const cases: Block[] = [
        { firstChannel: 0, channelCount: 0, firstSlot: 0, slotCount: 4 },
        { firstChannel: 28, channelCount: 3, firstSlot: 0, slotCount: 4 },
        { firstChannel: 30, channelCount: 1, firstSlot: 0, slotCount: 4 },
      ];
      for (const block of cases) {
        await expect(issue(f, block))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidBlock")
          .withArgs(block.firstChannel, block.channelCount, block.slotCount);
      }
      // No slot: the window helper refuses it too, so build the terms by hand.
      const terms = spectrumTerms(f, { firstChannel: 0, channelCount: 1, firstSlot: 0, slotCount: 1 });
      terms.spectrum = { ...terms.spectrum, slotCount: 0 };
      terms.validUntil = BigInt(terms.validFrom) + 1n;
      await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidBlock")
        .withArgs(0, 1, 0);
    });

    it("should accept the plan's last channel", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(issue(f, { firstChannel: 28, channelCount: 2, firstSlot: 0, slotCount: 1 })).to.emit(
        f.capacity,
        "ClassCreated",
      );
    });

    it("should revert with SlotsOutsidePlan for slots past the plan's last, and accept its last slot", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const last = Number(PLAN.slotCount) - 1; // 35,039: the plan's year ends after it
      for (const block of [
        { firstChannel: 0, channelCount: 1, firstSlot: last, slotCount: 2 },
        { firstChannel: 0, channelCount: 1, firstSlot: last + 1, slotCount: 1 },
        { firstChannel: 0, channelCount: 1, firstSlot: 100_000, slotCount: 1 },
      ]) {
        await expect(issue(f, block))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SlotsOutsidePlan")
          .withArgs(block.firstSlot, block.slotCount, PLAN.slotCount);
      }
      await expect(issue(f, { firstChannel: 0, channelCount: 1, firstSlot: last, slotCount: 1 })).to.emit(
        f.capacity,
        "ClassCreated",
      );
    });

    it("should revert with BlockTooLarge past 64 grid words, and accept exactly 64", async () => {
      const f = await loadFixture(deployCapacityFixture);
      // Channels 0..29 touch 8 groups of 4; slots [0, 576) touch 9 runs of 64: 72 words.
      const tooLarge: Block = { firstChannel: 0, channelCount: 30, firstSlot: 0, slotCount: 576 };
      expect(blockWords(tooLarge)).to.equal(72n);
      await expect(issue(f, tooLarge))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_BlockTooLarge")
        .withArgs(72, 64);
      // 2 channels straddling two groups x 2,048 slots = 2 x 32 words.
      const largest: Block = { firstChannel: 3, channelCount: 2, firstSlot: 0, slotCount: 2048 };
      expect(blockWords(largest)).to.equal(64n);
      await expect(issue(f, largest)).to.emit(f.capacity, "ClassCreated");
    });

    it("should revert with SpectrumWindowMismatch when the validity is not the block's time window", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const { validFrom, validUntil } = spectrumWindow(f.plan, A.firstSlot, A.slotCount);
      for (const [from, until] of [
        [validFrom + 1n, validUntil],
        [validFrom, validUntil - 1n],
      ]) {
        const terms = spectrumTerms(f, A, { validFrom: from, validUntil: until });
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumWindowMismatch")
          .withArgs(validFrom, validUntil);
      }
    });

    it("should revert with InvalidMaxSupply when an exclusive block is not one indivisible lease", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const terms = spectrumTerms(f, A, { maxSupply: 2n });
      await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidMaxSupply")
        .withArgs(2n);
    });
  });

  describe("when an exclusive block is issued", () => {
    it("should reserve exactly its channel-slots", async () => {
      const f = await loadFixture(withBlockA);
      const reserved = (channel: number, slot: number) => f.capacity.isReserved(1, AREA, channel, slot);
      expect(await reserved(4, 100)).to.equal(true);
      expect(await reserved(7, 195)).to.equal(true);
      expect(await reserved(5, 150)).to.equal(true);
      expect(await reserved(3, 100)).to.equal(false);
      expect(await reserved(8, 100)).to.equal(false);
      expect(await reserved(4, 99)).to.equal(false);
      expect(await reserved(4, 196)).to.equal(false);
      expect(await f.capacity.isReserved(1, AREA + 1n, 4, 100)).to.equal(false);
    });

    describe("when a later block only touches it at the edges", () => {
      const neighbours: [string, Block][] = [
        ["the channels just above", { firstChannel: 8, channelCount: 2, firstSlot: 100, slotCount: 96 }],
        ["the channels just below", { firstChannel: 0, channelCount: 4, firstSlot: 100, slotCount: 96 }],
        ["the slots just after", { firstChannel: 4, channelCount: 4, firstSlot: 196, slotCount: 10 }],
        ["the slots just before", { firstChannel: 4, channelCount: 4, firstSlot: 90, slotCount: 10 }],
        ["the diagonal corner", { firstChannel: 8, channelCount: 1, firstSlot: 196, slotCount: 1 }],
      ];
      for (const [name, block] of neighbours) {
        it(`should accept ${name}`, async () => {
          const f = await loadFixture(withBlockA);
          await expect(issue(f, block, f.accounts.bob, f.beta)).to.emit(f.capacity, "ClassCreated");
        });
      }

      it("should accept the same cells in another area, and in a band plan of another band", async () => {
        const f = await loadFixture(withBlockA);
        await expect(issue(f, { ...A, areaId: AREA + 1n }, f.accounts.bob, f.beta)).to.emit(f.capacity, "ClassCreated");
        // Plan 2: 2,500-2,650 MHz at the same times; its channels 4-7 are 2,520-2,540 MHz, not block A's.
        const data = f.capacity.interface.encodeFunctionData("createBandPlan", [{ ...f.plan, originKHz: 2_500_000n }]);
        await scheduleAndExecute(f.manager, f.accounts.governor, await f.capacity.getAddress(), data);
        await expect(issue(f, { ...A, bandPlanId: 2 }, f.accounts.bob, f.beta)).to.emit(f.capacity, "ClassCreated");
      });
    });

    describe("when a later exclusive block shares channel-slots with it", () => {
      const overlaps: [string, Block, number, number][] = [
        [
          "one corner cell (last channel, last slot)",
          { firstChannel: 7, channelCount: 2, firstSlot: 195, slotCount: 2 },
          7,
          195,
        ],
        ["its first cell", { firstChannel: 0, channelCount: 5, firstSlot: 0, slotCount: 101 }, 4, 100],
        ["the same block, issued by another operator", A, 4, 100],
        ["a block inside it", { firstChannel: 5, channelCount: 1, firstSlot: 150, slotCount: 3 }, 5, 150],
        ["a block around it", { firstChannel: 0, channelCount: 12, firstSlot: 0, slotCount: 250 }, 4, 100],
      ];
      for (const [name, block, channel, slot] of overlaps) {
        it(`should revert with SpectrumOverlap at the first shared cell for ${name}`, async () => {
          const f = await loadFixture(withBlockA);
          await expect(issue(f, block, f.accounts.bob, f.beta))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumOverlap")
            .withArgs(channel, slot);
        });
      }

      it("should reserve nothing of a refused block", async () => {
        const f = await loadFixture(withBlockA);
        await expect(
          issue(f, { firstChannel: 0, channelCount: 5, firstSlot: 0, slotCount: 101 }, f.accounts.bob, f.beta),
        ).to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumOverlap");
        expect(await f.capacity.isReserved(1, AREA, 0, 0)).to.equal(false);
        expect(await f.capacity.isReserved(1, AREA, 3, 100)).to.equal(false);
      });

      it("should still accept a shared (non-exclusive) block over the same cells", async () => {
        const f = await loadFixture(withBlockA);
        await expect(issue(f, { ...A, exclusive: false }, f.accounts.bob, f.beta)).to.emit(f.capacity, "ClassCreated");
      });
    });

    describe("when a second band plan would number the same spectrum and time otherwise", () => {
      it("should refuse the plan, so block A's MHz x area x time is never leased twice", async () => {
        const f = await loadFixture(withBlockA);
        const governor = await instantGovernor(f);
        // The attack: a 10 MHz plan over plan 1's band and year, whose channel 2 (3,570-3,580 MHz) lies inside block
        // A's 3,570-3,590 MHz; bob would then lease it in the same area and slots on a grid that knows nothing of A.
        const tenMHz = { ...f.plan, channelWidthKHz: 10_000n, channelCount: 15n };
        await expect(f.capacity.connect(governor).createBandPlan(tenMHz))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_BandPlanOverlap")
          .withArgs(1);
        const doubleLease = spectrumTerms(
          { ...f, plan: tenMHz },
          { ...A, bandPlanId: 2, firstChannel: 2, channelCount: 1 },
        );
        await expect(f.capacity.connect(f.accounts.bob).createClass({ ...doubleLease, issuerId: f.beta }, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownBandPlan")
          .withArgs(2);
      });
    });

    describe("when blocks cross grid word boundaries (64 slots, 4 channels)", () => {
      it("should find the overlap in the second word and accept the cells next to it", async () => {
        const f = await loadFixture(deployCapacityFixture);
        await issue(f, { firstChannel: 0, channelCount: 1, firstSlot: 250, slotCount: 12 }); // slots 250..261
        await expect(
          issue(f, { firstChannel: 0, channelCount: 1, firstSlot: 258, slotCount: 10 }, f.accounts.bob, f.beta),
        )
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumOverlap")
          .withArgs(0, 258);
        await expect(
          issue(f, { firstChannel: 0, channelCount: 1, firstSlot: 262, slotCount: 10 }, f.accounts.bob, f.beta),
        ).to.emit(f.capacity, "ClassCreated");
        await expect(
          issue(f, { firstChannel: 0, channelCount: 1, firstSlot: 240, slotCount: 10 }, f.accounts.bob, f.beta),
        ).to.emit(f.capacity, "ClassCreated");
      });

      it("should reserve a whole word and find an overlap at its last cell", async () => {
        const f = await loadFixture(deployCapacityFixture);
        await issue(f, { firstChannel: 0, channelCount: 4, firstSlot: 64, slotCount: 64 });
        expect(await f.capacity.isReserved(1, AREA, 0, 64)).to.equal(true);
        expect(await f.capacity.isReserved(1, AREA, 3, 127)).to.equal(true);
        expect(await f.capacity.isReserved(1, AREA, 3, 128)).to.equal(false);
        expect(await f.capacity.isReserved(1, AREA, 4, 127)).to.equal(false);
        await expect(
          issue(f, { firstChannel: 3, channelCount: 2, firstSlot: 127, slotCount: 2 }, f.accounts.bob, f.beta),
        )
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumOverlap")
          .withArgs(3, 127);
      });
    });
  });

  describe("when random exclusive blocks are issued in sequence (model-based)", () => {
    it("should accept a block exactly when it shares no cell with those accepted, and name the first shared cell", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const block = fc.record({
        firstChannel: fc.integer({ min: 0, max: 9 }),
        channelCount: fc.integer({ min: 1, max: 3 }),
        firstSlot: fc.integer({ min: 230, max: 290 }),
        slotCount: fc.integer({ min: 1, max: 30 }),
      });
      let salt = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(block, { minLength: 1, maxLength: 8 }), async (blocks) => {
          // Each run uses its own area, so runs are independent on one chain.
          const area = BigInt(1000 + salt++);
          const taken = new Set<string>();
          for (const b of blocks) {
            // The contract scans runs of 64 slots, then groups of 4 channels; in a word, the lowest channel, then
            // the lowest slot.
            let first: [number, number] | undefined;
            const end = { channel: b.firstChannel + b.channelCount, slot: b.firstSlot + b.slotCount };
            scan: for (let w = b.firstSlot >> 6; w <= (end.slot - 1) >> 6; w++) {
              for (let g = b.firstChannel >> 2; g <= (end.channel - 1) >> 2; g++) {
                for (let c = Math.max(b.firstChannel, g << 2); c < Math.min(end.channel, (g + 1) << 2); c++) {
                  for (let s = Math.max(b.firstSlot, w << 6); s < Math.min(end.slot, (w + 1) << 6); s++) {
                    if (taken.has(`${c}/${s}`)) {
                      first = [c, s];
                      break scan;
                    }
                  }
                }
              }
            }
            const call = issue(f, { ...b, areaId: area });
            if (first === undefined) {
              await expect(call).to.emit(f.capacity, "ClassCreated");
              for (let c = b.firstChannel; c < b.firstChannel + b.channelCount; c++)
                for (let s = b.firstSlot; s < b.firstSlot + b.slotCount; s++) taken.add(`${c}/${s}`);
            } else {
              await expect(call)
                .to.be.revertedWithCustomError(f.capacity, "CapacityToken_SpectrumOverlap")
                .withArgs(first[0], first[1]);
            }
          }
        }),
        { numRuns: GRID_RUNS },
      );
    });
  });

  it("should number the fixture's plan 1 with its figures", async () => {
    const f = await loadFixture(deployCapacityFixture);
    const plan = await f.capacity.bandPlan(1);
    expect(plan.originKHz).to.equal(PLAN.originKHz);
    expect(plan.channelCount).to.equal(PLAN.channelCount);
    expect(classIdOf(spectrumTerms(f, A))).to.equal(await f.capacity.classIdOf(spectrumTerms(f, A)));
    expect(ethers.toBigInt(plan.epoch)).to.equal(BigInt(f.plan.epoch));
  });
});
