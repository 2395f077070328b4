import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { DAY } from "../../helpers/capacity";
import {
  QUANTITY,
  UNIT_PRICE,
  fillRef,
  priceOf,
  suspend,
  u,
  withBid,
  type BidFixture,
  validUntilOf,
} from "../../helpers/market";

/** Everything a fill of bid 1 by alice may move: vault balances, wallets, units and the bid's remainder. */
async function snapshot(f: BidFixture) {
  const { vault, usdc, capacity, market, dataId, accounts: a } = f;
  return {
    alphaFree: await vault.freeBalanceOf(f.alpha, usdc),
    betaFree: await vault.freeBalanceOf(f.beta, usdc),
    bobWallet: await usdc.balanceOf(a.bob),
    aliceWallet: await usdc.balanceOf(a.alice),
    payoutWallet: await usdc.balanceOf(a.alicePayout),
    vaultWallet: await usdc.balanceOf(vault),
    aliceUnits: await capacity.balanceOf(a.alice, dataId),
    bobUnits: await capacity.balanceOf(a.bob, dataId),
    remaining: (await market.getBid(f.bidId)).remaining,
  };
}

describe("CapacityMarket.fillBid", () => {
  describe("when the bid does not exist", () => {
    it("should revert with UnknownBid for id 0 and for the next id", async () => {
      const { market, accounts: a } = await loadFixture(withBid);
      for (const id of [0n, 2n]) {
        await expect(market.connect(a.alice).fillBid(id, 1n))
          .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownBid")
          .withArgs(id);
      }
    });
  });

  describe("when the bid is closed", () => {
    it("should revert with Closed once filled", async () => {
      const { market, bidId, accounts: a } = await loadFixture(withBid);
      await market.connect(a.alice).fillBid(bidId, QUANTITY);
      await expect(market.connect(a.alice).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
        .withArgs(bidId);
    });

    it("should revert with Closed once cancelled", async () => {
      const { market, bidId, accounts: a } = await loadFixture(withBid);
      await market.connect(a.bob).cancelBid(bidId);
      await expect(market.connect(a.alice).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
        .withArgs(bidId);
    });
  });

  describe("when the bid's expiry is reached", () => {
    it("should fill at the expiry second itself", async () => {
      const { market, bidId, expiry, alpha, accounts: a } = await loadFixture(withBid);
      await time.setNextBlockTimestamp(expiry);
      await expect(market.connect(a.alice).fillBid(bidId, 1n))
        .to.emit(market, "BidFilled")
        .withArgs(bidId, alpha, a.alice.address, 1n, UNIT_PRICE);
    });

    it("should revert with Expired(id, expiry) one second later", async () => {
      const { market, bidId, expiry, accounts: a } = await loadFixture(withBid);
      await time.setNextBlockTimestamp(expiry + 1n);
      await expect(market.connect(a.alice).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_Expired")
        .withArgs(bidId, expiry);
    });
  });

  describe("when the quantity is zero", () => {
    it("should revert with ZeroQuantity", async () => {
      const { market, bidId, accounts: a } = await loadFixture(withBid);
      await expect(market.connect(a.alice).fillBid(bidId, 0n)).to.be.revertedWithCustomError(
        market,
        "CapacityMarket_ZeroQuantity",
      );
    });
  });

  describe("when the quantity is above what remains", () => {
    it("should revert with InsufficientRemaining(id, remaining, quantity)", async () => {
      const { market, bidId, accounts: a } = await loadFixture(withBid);
      await expect(market.connect(a.alice).fillBid(bidId, QUANTITY + 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientRemaining")
        .withArgs(bidId, QUANTITY, QUANTITY + 1n);
      await market.connect(a.alice).fillBid(bidId, 4n);
      await expect(market.connect(a.alice).fillBid(bidId, 7n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientRemaining")
        .withArgs(bidId, 6n, 7n);
    });
  });

  describe("when the filler is not an active operator's admin", () => {
    it("should revert with NotMember for an attacker", async () => {
      const { market, bidId, accounts: a } = await loadFixture(withBid);
      await expect(market.connect(a.eve).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
        .withArgs(a.eve.address);
    });

    it("should revert with NotMember for the admin of a suspended operator, though it holds the units", async () => {
      const f = await loadFixture(withBid);
      await suspend(f, f.alpha);
      await expect(f.market.connect(f.accounts.alice).fillBid(f.bidId, 1n))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
        .withArgs(f.accounts.alice.address);
    });
  });

  describe("when the filler is the buyer's operator", () => {
    it("should revert with SelfTrade(operatorId)", async () => {
      const { market, capacity, bidId, dataId, beta, accounts: a } = await loadFixture(withBid);
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, dataId, 5n, "0x");
      await capacity.connect(a.bob).setApprovalForAll(market, true);
      await expect(market.connect(a.bob).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_SelfTrade")
        .withArgs(beta);
    });
  });

  describe("when the buyer's operator is suspended", () => {
    it("should revert with NotMember(buyer) and move nothing", async () => {
      const f = await loadFixture(withBid);
      await suspend(f, f.beta);
      const before = await snapshot(f);
      await expect(f.market.connect(f.accounts.alice).fillBid(f.bidId, 1n))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
        .withArgs(f.accounts.bob.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("when the buyer's free balance does not cover the price", () => {
    it("should revert with the vault's InsufficientFreeBalance and move nothing", async () => {
      const f = await loadFixture(withBid);
      const { market, vault, usdc, bidId, beta, accounts: a } = f;
      await vault.connect(a.bob).withdraw(beta, usdc, u(100_000) - u(20) + 1n);
      const before = await snapshot(f);
      await expect(market.connect(a.alice).fillBid(bidId, 4n))
        .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
        .withArgs(beta, await usdc.getAddress(), u(20) - 1n, priceOf(4n));
      expect(await snapshot(f)).to.deep.equal(before);
      // One unit less fits.
      await expect(market.connect(a.alice).fillBid(bidId, 3n)).to.emit(market, "BidFilled");
    });

    it("should revert for a bid in a token the buyer never deposited", async () => {
      const { market, vault, eurc, dataId, expiry, beta, accounts: a } = await loadFixture(withBid);
      await market.connect(a.bob).bid(dataId, eurc, UNIT_PRICE, QUANTITY, expiry);
      await expect(market.connect(a.alice).fillBid(2n, 1n))
        .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
        .withArgs(beta, await eurc.getAddress(), 0n, UNIT_PRICE);
    });
  });

  describe("when the delivery of the units fails (all or nothing)", () => {
    it("should revert with ERC1155InsufficientBalance when the filler holds none", async () => {
      const f = await loadFixture(withBid);
      const { market, capacity, bidId, dataId, accounts: a } = f;
      await capacity.connect(a.carol).setApprovalForAll(market, true);
      const before = await snapshot(f);
      await expect(market.connect(a.carol).fillBid(bidId, 2n))
        .to.be.revertedWithCustomError(capacity, "ERC1155InsufficientBalance")
        .withArgs(a.carol.address, 0n, 2n, dataId);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("should revert with ERC1155InsufficientBalance when the filler holds fewer than it sells", async () => {
      const f = await loadFixture(withBid);
      const { market, capacity, usdc, bidId, dataId, expiry, accounts: a } = f;
      await market.connect(a.bob).bid(dataId, usdc, 1n, 150n, expiry);
      const before = await snapshot(f);
      await expect(market.connect(a.alice).fillBid(2n, 101n))
        .to.be.revertedWithCustomError(capacity, "ERC1155InsufficientBalance")
        .withArgs(a.alice.address, 100n, 101n, dataId);
      expect(await snapshot(f)).to.deep.equal(before);
      expect((await market.getBid(2n)).remaining).to.equal(150n);
      expect((await market.getBid(bidId)).remaining).to.equal(QUANTITY);
    });

    it("should revert with ERC1155MissingApprovalForAll when the filler has not approved the market", async () => {
      const f = await loadFixture(withBid);
      const { market, capacity, bidId, dataId, gamma, vault, usdc, accounts: a } = f;
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, dataId, 5n, "0x");
      const before = await snapshot(f);
      const gammaFree = await vault.freeBalanceOf(gamma, usdc);
      await expect(market.connect(a.carol).fillBid(bidId, 5n))
        .to.be.revertedWithCustomError(capacity, "ERC1155MissingApprovalForAll")
        .withArgs(await market.getAddress(), a.carol.address);
      expect(await snapshot(f)).to.deep.equal(before);
      expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(gammaFree);
      expect(await capacity.balanceOf(a.carol, dataId)).to.equal(5n);
    });

    it("should revert with CapacityToken_ClassExpired once the class's validity is over", async () => {
      const f = await loadFixture(withBid);
      const { market, capacity, usdc, data, dataId, accounts: a } = f;
      await market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, validUntilOf(data) + BigInt(DAY));
      await time.setNextBlockTimestamp(validUntilOf(data)); // the first second the class no longer moves
      const before = await snapshot(f);
      await expect(market.connect(a.alice).fillBid(2n, 1n))
        .to.be.revertedWithCustomError(capacity, "CapacityToken_ClassExpired")
        .withArgs(dataId, validUntilOf(data));
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("when the fill is valid", () => {
    it("should pay the filler from the buyer's free balance, deliver the units and emit BidFilled", async () => {
      const f = await loadFixture(withBid);
      const { market, vault, usdc, capacity, bidId, dataId, alpha, beta, accounts: a } = f;
      const before = await snapshot(f);
      const price = priceOf(4n);
      const tx = market.connect(a.alice).fillBid(bidId, 4n);
      await expect(tx).to.emit(market, "BidFilled").withArgs(bidId, alpha, a.alice.address, 4n, price);
      await expect(tx)
        .to.emit(vault, "FreeBalanceTransferred")
        .withArgs(await usdc.getAddress(), beta, alpha, price, fillRef(1, bidId));
      await expect(tx)
        .to.emit(capacity, "TransferSingle")
        .withArgs(await market.getAddress(), a.alice.address, a.bob.address, dataId, 4n);
      // No ERC-20 moves: wallets, the payout address and the vault's holdings are unchanged.
      expect(await snapshot(f)).to.deep.equal({
        ...before,
        alphaFree: before.alphaFree + price,
        betaFree: before.betaFree - price,
        aliceUnits: before.aliceUnits - 4n,
        bobUnits: before.bobUnits + 4n,
        remaining: QUANTITY - 4n,
      });
    });

    it("should let any holder fill, in parts, until the bid is filled", async () => {
      const f = await loadFixture(withBid);
      const { market, vault, usdc, capacity, bidId, dataId, alpha, beta, gamma, accounts: a } = f;
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, dataId, 8n, "0x");
      await capacity.connect(a.carol).setApprovalForAll(market, true);
      await market.connect(a.alice).fillBid(bidId, 3n);
      await expect(market.connect(a.carol).fillBid(bidId, 7n))
        .to.emit(market, "BidFilled")
        .withArgs(bidId, gamma, a.carol.address, 7n, priceOf(7n));
      expect((await market.getBid(bidId)).remaining).to.equal(0n);
      expect(await capacity.balanceOf(a.bob, dataId)).to.equal(QUANTITY);
      expect(await capacity.balanceOf(a.carol, dataId)).to.equal(1n);
      expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(100_000) - priceOf(QUANTITY));
      expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(100_000) + priceOf(3n));
      expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(u(100_000) + priceOf(7n));
      await expect(market.connect(a.alice).fillBid(bidId, 1n))
        .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
        .withArgs(bidId);
    });

    it("should charge exactly quantity x unitPrice, without rounding", async () => {
      const { market, vault, usdc, dataId, expiry, alpha, beta, accounts: a } = await loadFixture(withBid);
      const unitPrice = 3_333_333n;
      await market.connect(a.bob).bid(dataId, usdc, unitPrice, 50n, expiry);
      await expect(market.connect(a.alice).fillBid(2n, 33n))
        .to.emit(market, "BidFilled")
        .withArgs(2n, alpha, a.alice.address, 33n, 109_999_989n);
      expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(100_000) - 109_999_989n);
      expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(100_000) + 109_999_989n);
    });
  });
});
