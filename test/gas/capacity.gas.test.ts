import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { PayVia } from "../../sdk/src/capacity";
import {
  DAY,
  deployCapacityFixture,
  HOUR,
  instantGovernor,
  laterPlans,
  PLAN,
  spectrumTerms,
  USDC,
  type CapacityFixture,
} from "../helpers/capacity";
import { checkGas, gasUsed } from "../helpers/gas";

/**
 * Gas of the capacity token's and market's user-facing operations, one named scenario each, checked against the
 * committed snapshot and against the budgets of issue 6: buying from a listing (payment and delivery in one
 * transaction) <= 150,000, by either payment path (and filling a bid, its mirror image); issuing an exclusive spectrum
 * class of 4 channels x 96 slots <= 250,000, measured aligned on the grid (2 fresh words of 4 channels x 64 slots) and
 * in the worst alignment (channels across two groups, slots across three runs: 6 fresh words).
 *
 * Purchases are measured in the worst case for storage: the buyer holds none of the class before (a fresh ERC-1155
 * balance slot) and, for the vault path, already has a vault account (members deposit before trading).
 *
 * Creating a band plan compares it with every plan that exists (one storage read each): it is measured at the maximum,
 * the 64th plan against 63, placed so that every comparison reads all four bounds (same band, earlier in time). An SLA
 * breach is measured on its first record, which stores the breach's creditable units.
 */
const BUDGET = { buy: 150_000n, spectrum4x96: 250_000n };

/** Alice listed 50 data units at 5 USDC each, valid for a week. */
async function listed(): Promise<CapacityFixture> {
  const f = await deployCapacityFixture();
  await f.market.connect(f.accounts.alice).list(f.dataId, f.usdc, 5n * USDC, 50n, f.now + BigInt(7 * 24 * HOUR));
  return f;
}

/** 63 band plans (the fixture's and 62 days of its band after its year); dave governs with no delay. */
async function sixtyThreePlans() {
  const f = await deployCapacityFixture();
  const governor = await instantGovernor(f);
  for (const plan of laterPlans(f, 62)) await f.capacity.connect(governor).createBandPlan(plan);
  return { ...f, governor };
}

/** Bob bid for 10 data units at 4 USDC each; alice can fill it. */
async function bidPlaced(): Promise<CapacityFixture> {
  const f = await deployCapacityFixture();
  await f.market.connect(f.accounts.bob).bid(f.dataId, f.usdc, 4n * USDC, 10n, f.now + BigInt(7 * 24 * HOUR));
  return f;
}

const scenarios: { name: string; budget?: bigint; run: () => Promise<bigint> }[] = [
  {
    name: "capacity.createClass (data)",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      return gasUsed(f.capacity.connect(f.accounts.alice).createClass({ ...f.data, salt: ethers.id("gas") }, ""));
    },
  },
  {
    name: "capacity.createClass (spectrum, 4 channels x 96 slots, aligned: 2 grid words)",
    budget: BUDGET.spectrum4x96,
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      const terms = spectrumTerms(f, { firstChannel: 4, channelCount: 4, firstSlot: 0, slotCount: 96 });
      return gasUsed(f.capacity.connect(f.accounts.alice).createClass(terms, ""));
    },
  },
  {
    name: "capacity.createClass (spectrum, 4 channels x 96 slots, worst case: 6 grid words)",
    budget: BUDGET.spectrum4x96,
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      const terms = spectrumTerms(f, { firstChannel: 2, channelCount: 4, firstSlot: 60, slotCount: 96 });
      return gasUsed(f.capacity.connect(f.accounts.alice).createClass(terms, ""));
    },
  },
  {
    name: "capacity.createBandPlan (the 64th, compared with 63 plans)",
    run: async () => {
      const f = await loadFixture(sixtyThreePlans);
      expect(await f.capacity.bandPlanCount()).to.equal(63n);
      // Plan 1's band on the day before it: each comparison finds the bands shared and the times only touching.
      const plan = { ...PLAN, epoch: BigInt(f.plan.epoch) - BigInt(DAY), slotCount: 96n };
      return gasUsed(f.capacity.connect(f.governor).createBandPlan(plan));
    },
  },
  {
    name: "capacity.mint (to a new holder)",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      return gasUsed(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 10n, "0x"));
    },
  },
  {
    name: "capacity.safeTransferFrom (to a new holder)",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      return gasUsed(f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 10n, "0x"));
    },
  },
  {
    name: "capacity.redeem",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      await time.increaseTo(f.data.validFrom);
      return gasUsed(f.capacity.connect(f.accounts.alice).redeem(f.dataId, 10n, ethers.id("provisioning")));
    },
  },
  {
    name: "capacity.recordSlaBreach (one holder)",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.sliceId, 4n, "0x");
      const from = BigInt(f.slice.validFrom);
      await time.increaseTo(from + BigInt(HOUR));
      return gasUsed(
        f.capacity.connect(a.alice).recordSlaBreach(f.slice, from, from + BigInt(HOUR), ethers.ZeroHash, [a.bob]),
      );
    },
  },
  {
    name: "market.list",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      return gasUsed(
        f.market.connect(f.accounts.alice).list(f.dataId, f.usdc, 5n * USDC, 50n, f.now + BigInt(7 * 24 * HOUR)),
      );
    },
  },
  {
    name: "market.buy (vault payment, new holder)",
    budget: BUDGET.buy,
    run: async () => {
      const f = await loadFixture(listed);
      return gasUsed(f.market.connect(f.accounts.bob).buy(1n, 3n, PayVia.Vault));
    },
  },
  {
    name: "market.buy (direct ERC-20 payment, new holder)",
    budget: BUDGET.buy,
    run: async () => {
      const f = await loadFixture(listed);
      await f.usdc.connect(f.accounts.bob).approve(f.market, 15n * USDC);
      return gasUsed(f.market.connect(f.accounts.bob).buy(1n, 3n, PayVia.Direct));
    },
  },
  {
    name: "market.cancelListing",
    run: async () => {
      const f = await loadFixture(listed);
      return gasUsed(f.market.connect(f.accounts.alice).cancelListing(1n));
    },
  },
  {
    name: "market.bid",
    run: async () => {
      const f = await loadFixture(deployCapacityFixture);
      return gasUsed(
        f.market.connect(f.accounts.bob).bid(f.dataId, f.usdc, 4n * USDC, 10n, f.now + BigInt(7 * 24 * HOUR)),
      );
    },
  },
  {
    name: "market.fillBid (new holder)",
    budget: BUDGET.buy,
    run: async () => {
      const f = await loadFixture(bidPlaced);
      return gasUsed(f.market.connect(f.accounts.alice).fillBid(1n, 10n));
    },
  },
];

describe("Gas: CapacityToken and CapacityMarket", () => {
  for (const { name, budget, run } of scenarios) {
    const within = budget === undefined ? "" : ` and within its budget of ${budget.toLocaleString("en")}`;
    it(`should keep "${name}" within 1% of the snapshot${within}`, async () => {
      const failure = checkGas(name, await run(), budget);
      expect(failure, failure).to.equal(undefined);
    });
  }
});
