import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { PayVia, QUANTITY, listingOf, suspend, withListing } from "../../helpers/market";

describe("CapacityMarket.cancelListing", () => {
  describe("when the listing does not exist", () => {
    it("should revert with UnknownListing for id 0 and for the next id", async () => {
      const { market, accounts: a } = await loadFixture(withListing);
      for (const id of [0n, 2n]) {
        await expect(market.connect(a.alice).cancelListing(id))
          .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownListing")
          .withArgs(id);
      }
    });
  });

  describe("when the listing exists", () => {
    describe("when the caller is not the seller account", () => {
      it("should revert with NotOwner for an attacker, another member and the seller's payout and signer", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        for (const who of [a.eve, a.bob, a.alicePayout, a.aliceSigner]) {
          await expect(market.connect(who).cancelListing(listingId))
            .to.be.revertedWithCustomError(market, "CapacityMarket_NotOwner")
            .withArgs(listingId, who.address);
        }
        expect((await market.getListing(listingId)).remaining).to.equal(QUANTITY);
      });
    });

    describe("when the listing is closed", () => {
      it("should revert with Closed once sold out", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        await market.connect(a.bob).buy(listingId, QUANTITY, PayVia.Vault);
        await expect(market.connect(a.alice).cancelListing(listingId))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
          .withArgs(listingId);
      });

      it("should revert with Closed once cancelled already, for the seller and for anyone else", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        await market.connect(a.alice).cancelListing(listingId);
        for (const who of [a.alice, a.eve]) {
          await expect(market.connect(who).cancelListing(listingId))
            .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
            .withArgs(listingId);
        }
      });
    });

    describe("when the seller cancels an open listing", () => {
      it("should set remaining to zero, keep the other fields and emit ListingCancelled(id, remaining)", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        const before = await listingOf(market, listingId);
        await expect(market.connect(a.alice).cancelListing(listingId))
          .to.emit(market, "ListingCancelled")
          .withArgs(listingId, QUANTITY);
        expect(await listingOf(market, listingId)).to.deep.equal({ ...before, remaining: 0n });
      });

      it("should report what was left after a partial fill", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        await market.connect(a.bob).buy(listingId, 4n, PayVia.Vault);
        await expect(market.connect(a.alice).cancelListing(listingId))
          .to.emit(market, "ListingCancelled")
          .withArgs(listingId, QUANTITY - 4n);
        expect((await market.getListing(listingId)).remaining).to.equal(0n);
      });

      it("should stop purchases of the listing: buy reverts with Closed", async () => {
        const { market, listingId, accounts: a } = await loadFixture(withListing);
        await market.connect(a.alice).cancelListing(listingId);
        for (const payVia of [PayVia.Vault, PayVia.Direct]) {
          await expect(market.connect(a.bob).buy(listingId, 1n, payVia))
            .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
            .withArgs(listingId);
        }
      });

      it("should work after the listing expired", async () => {
        const { market, listingId, expiry, accounts: a } = await loadFixture(withListing);
        await time.increaseTo(expiry + 1n);
        await expect(market.connect(a.alice).cancelListing(listingId))
          .to.emit(market, "ListingCancelled")
          .withArgs(listingId, QUANTITY);
      });

      it("should work while the seller's operator is suspended", async () => {
        const f = await loadFixture(withListing);
        await suspend(f, f.alpha);
        await expect(f.market.connect(f.accounts.alice).cancelListing(f.listingId))
          .to.emit(f.market, "ListingCancelled")
          .withArgs(f.listingId, QUANTITY);
      });
    });
  });
});
