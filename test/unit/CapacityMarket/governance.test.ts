import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { GOVERNOR_DELAY, scheduleAndExecute } from "../../helpers/fixtures";
import { PayVia, QUANTITY, UNIT_PRICE, withListing, type ListingFixture } from "../../helpers/market";

interface OrdersFixture extends ListingFixture {
  /** Bid 1: bob wants 10 data units at 5 USDC. */
  bidId: bigint;
}

/** {@link withListing} plus bid 1 (bob wants 10 data units at 5 USDC). */
async function withOrders(): Promise<OrdersFixture> {
  const f = await loadFixture(withListing);
  await f.market.connect(f.accounts.bob).bid(f.dataId, f.usdc, UNIT_PRICE, QUANTITY, f.expiry);
  return { ...f, bidId: 1n };
}

/** {@link withOrders}, paused by the pauser. */
async function paused(): Promise<OrdersFixture> {
  const f = await loadFixture(withOrders);
  await f.market.connect(f.accounts.pauser).pause();
  return f;
}

/** Runs `unpause` as the governor through the manager, after its delay. */
async function unpauseAsGovernor(f: OrdersFixture): Promise<void> {
  const data = f.market.interface.encodeFunctionData("unpause");
  await scheduleAndExecute(f.manager, f.accounts.governor, await f.market.getAddress(), data);
}

describe("CapacityMarket.pause", () => {
  describe("when the caller is not the pauser", () => {
    it("should revert for an attacker, the governor, the arbiter, the admin and members", async () => {
      const { market, accounts: a } = await loadFixture(withOrders);
      for (const who of [a.eve, a.governor, a.arbiter, a.admin, a.registrar, a.alice, a.bob]) {
        await expect(market.connect(who).pause())
          .to.be.revertedWithCustomError(market, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await market.paused()).to.equal(false);
    });
  });

  describe("when the caller is the pauser", () => {
    describe("when the market is paused already", () => {
      it("should revert with EnforcedPause", async () => {
        const { market, accounts: a } = await loadFixture(paused);
        await expect(market.connect(a.pauser).pause()).to.be.revertedWithCustomError(market, "EnforcedPause");
      });
    });

    describe("when the market is not paused", () => {
      it("should pause at once and emit Paused(pauser)", async () => {
        const { market, accounts: a } = await loadFixture(withOrders);
        await expect(market.connect(a.pauser).pause()).to.emit(market, "Paused").withArgs(a.pauser.address);
        expect(await market.paused()).to.equal(true);
      });

      it("should stop listing and bidding", async () => {
        const { market, usdc, dataId, expiry, accounts: a } = await loadFixture(paused);
        await expect(
          market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiry),
        ).to.be.revertedWithCustomError(market, "EnforcedPause");
        await expect(
          market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiry),
        ).to.be.revertedWithCustomError(market, "EnforcedPause");
        expect(await market.listingCount()).to.equal(1n);
        expect(await market.bidCount()).to.equal(1n);
      });

      it("should stop buying (both ways of paying) and filling bids", async () => {
        const { market, listingId, bidId, accounts: a } = await loadFixture(paused);
        for (const payVia of [PayVia.Vault, PayVia.Direct]) {
          await expect(market.connect(a.bob).buy(listingId, 1n, payVia)).to.be.revertedWithCustomError(
            market,
            "EnforcedPause",
          );
        }
        await expect(market.connect(a.alice).fillBid(bidId, 1n)).to.be.revertedWithCustomError(market, "EnforcedPause");
        expect((await market.getListing(listingId)).remaining).to.equal(QUANTITY);
        expect((await market.getBid(bidId)).remaining).to.equal(QUANTITY);
      });

      it("should still let sellers cancel listings and buyers cancel bids", async () => {
        const { market, listingId, bidId, accounts: a } = await loadFixture(paused);
        await expect(market.connect(a.alice).cancelListing(listingId))
          .to.emit(market, "ListingCancelled")
          .withArgs(listingId, QUANTITY);
        await expect(market.connect(a.bob).cancelBid(bidId)).to.emit(market, "BidCancelled").withArgs(bidId, QUANTITY);
        expect((await market.getListing(listingId)).remaining).to.equal(0n);
        expect((await market.getBid(bidId)).remaining).to.equal(0n);
      });

      it("should still check ownership of cancellations while paused", async () => {
        const { market, listingId, bidId, accounts: a } = await loadFixture(paused);
        await expect(market.connect(a.eve).cancelListing(listingId))
          .to.be.revertedWithCustomError(market, "CapacityMarket_NotOwner")
          .withArgs(listingId, a.eve.address);
        await expect(market.connect(a.eve).cancelBid(bidId))
          .to.be.revertedWithCustomError(market, "CapacityMarket_NotOwner")
          .withArgs(bidId, a.eve.address);
      });

      it("should leave plain ERC-1155 transfers between members alone (the token has its own pause)", async () => {
        const { capacity, dataId, accounts: a } = await loadFixture(paused);
        await capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, dataId, 1n, "0x");
        expect(await capacity.balanceOf(a.bob, dataId)).to.equal(1n);
      });
    });
  });
});

describe("CapacityMarket.unpause", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser, the arbiter, the admin and a member", async () => {
      const { market, accounts: a } = await loadFixture(paused);
      for (const who of [a.eve, a.pauser, a.arbiter, a.admin, a.alice]) {
        await expect(market.connect(who).unpause())
          .to.be.revertedWithCustomError(market, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await market.paused()).to.equal(true);
    });
  });

  describe("when the governor calls directly (its role carries an execution delay)", () => {
    it("should revert with AccessManagerNotScheduled: nothing was scheduled", async () => {
      const { market, manager, accounts: a } = await loadFixture(paused);
      const data = market.interface.encodeFunctionData("unpause");
      await expect(market.connect(a.governor).unpause())
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(await manager.hashOperation(a.governor, market, data));
      expect(await market.paused()).to.equal(true);
    });
  });

  describe("when the governor executes a scheduled unpause before its delay is over", () => {
    it("should revert with AccessManagerNotReady", async () => {
      const { market, manager, accounts: a } = await loadFixture(paused);
      const data = market.interface.encodeFunctionData("unpause");
      await manager.connect(a.governor).schedule(market, data, 0);
      await time.increase(GOVERNOR_DELAY - 10);
      await expect(manager.connect(a.governor).execute(market, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
        .withArgs(await manager.hashOperation(a.governor, market, data));
      expect(await market.paused()).to.equal(true);
    });
  });

  describe("when the governor acts through the manager after its delay", () => {
    describe("when the market is not paused", () => {
      it("should revert with ExpectedPause", async () => {
        const f = await loadFixture(withOrders);
        await expect(unpauseAsGovernor(f)).to.be.revertedWithCustomError(f.market, "ExpectedPause");
      });
    });

    describe("when the market is paused", () => {
      it("should unpause, emit Unpaused (by the manager) and let trading resume", async () => {
        const f = await loadFixture(paused);
        const { market, manager, listingId, bidId, accounts: a } = f;
        const data = market.interface.encodeFunctionData("unpause");
        await manager.connect(a.governor).schedule(market, data, 0);
        await time.increase(GOVERNOR_DELAY);
        await expect(manager.connect(a.governor).execute(market, data))
          .to.emit(market, "Unpaused")
          .withArgs(await manager.getAddress());
        expect(await market.paused()).to.equal(false);
        await expect(market.connect(a.bob).buy(listingId, 1n, PayVia.Vault)).to.emit(market, "Bought");
        await expect(market.connect(a.alice).fillBid(bidId, 1n)).to.emit(market, "BidFilled");
      });
    });
  });
});
