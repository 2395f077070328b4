import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { deployCapacityFixture } from "../../helpers/capacity";
import { PayVia, QUANTITY, UNIT_PRICE, bidOf, listingOf, withBid, withListing } from "../../helpers/market";

describe("CapacityMarket views", () => {
  describe("capacityToken, vault and registry", () => {
    it("should return the suite's contracts the market was deployed with", async () => {
      const { market, capacity, vault, registry } = await loadFixture(deployCapacityFixture);
      expect(await market.capacityToken()).to.equal(await capacity.getAddress());
      expect(await market.vault()).to.equal(await vault.getAddress());
      expect(await market.registry()).to.equal(await registry.getAddress());
    });

    it("should be on the vault's list of suite contracts (needed to move free balances)", async () => {
      const { market, vault } = await loadFixture(deployCapacityFixture);
      expect(await vault.isSuiteContract(market)).to.equal(true);
    });
  });

  describe("listingCount and bidCount", () => {
    it("should be zero before any order", async () => {
      const { market } = await loadFixture(deployCapacityFixture);
      expect(await market.listingCount()).to.equal(0n);
      expect(await market.bidCount()).to.equal(0n);
    });

    it("should count orders ever created, cancelled and sold out included", async () => {
      const { market, usdc, dataId, listingId, expiry, accounts: a } = await loadFixture(withListing);
      await market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, 1n, expiry);
      await market.connect(a.alice).cancelListing(listingId);
      await market.connect(a.bob).buy(2n, 1n, PayVia.Vault);
      await market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, 1n, expiry);
      expect(await market.listingCount()).to.equal(2n);
      expect(await market.bidCount()).to.equal(1n);
    });
  });

  describe("getListing", () => {
    describe("when the id is unknown", () => {
      it("should revert with UnknownListing for 0, the next id and a huge id", async () => {
        const { market } = await loadFixture(withListing);
        for (const id of [0n, 2n, 2n ** 256n - 1n]) {
          await expect(market.getListing(id))
            .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownListing")
            .withArgs(id);
        }
      });

      it("should not answer a bid's id: ids of listings and bids are separate", async () => {
        const { market } = await loadFixture(withBid);
        await expect(market.getListing(1n))
          .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownListing")
          .withArgs(1n);
      });
    });

    describe("when the listing exists", () => {
      it("should return it, and keep returning it once closed (remaining 0)", async () => {
        const { market, usdc, dataId, listingId, alpha, expiry, accounts: a } = await loadFixture(withListing);
        const expected = {
          classId: dataId,
          seller: a.alice.address,
          sellerId: alpha,
          expiry,
          token: await usdc.getAddress(),
          remaining: QUANTITY,
          unitPrice: UNIT_PRICE,
        };
        expect(await listingOf(market, listingId)).to.deep.equal(expected);
        await market.connect(a.bob).buy(listingId, QUANTITY, PayVia.Vault);
        expect(await listingOf(market, listingId)).to.deep.equal({ ...expected, remaining: 0n });
      });
    });
  });

  describe("getBid", () => {
    describe("when the id is unknown", () => {
      it("should revert with UnknownBid for 0, the next id and a huge id", async () => {
        const { market } = await loadFixture(withBid);
        for (const id of [0n, 2n, 2n ** 256n - 1n]) {
          await expect(market.getBid(id))
            .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownBid")
            .withArgs(id);
        }
      });

      it("should not answer a listing's id", async () => {
        const { market } = await loadFixture(withListing);
        await expect(market.getBid(1n)).to.be.revertedWithCustomError(market, "CapacityMarket_UnknownBid").withArgs(1n);
      });
    });

    describe("when the bid exists", () => {
      it("should return it, and keep returning it once cancelled (remaining 0)", async () => {
        const { market, usdc, dataId, bidId, beta, expiry, accounts: a } = await loadFixture(withBid);
        const expected = {
          classId: dataId,
          buyer: a.bob.address,
          buyerId: beta,
          expiry,
          token: await usdc.getAddress(),
          remaining: QUANTITY,
          unitPrice: UNIT_PRICE,
        };
        expect(await bidOf(market, bidId)).to.deep.equal(expected);
        await market.connect(a.bob).cancelBid(bidId);
        expect(await bidOf(market, bidId)).to.deep.equal({ ...expected, remaining: 0n });
      });
    });
  });
});
