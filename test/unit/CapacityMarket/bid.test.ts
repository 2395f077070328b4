import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { DAY, deployCapacityFixture } from "../../helpers/capacity";
import { QUANTITY, UNIT_PRICE, bidOf, suspend, withBid, validUntilOf } from "../../helpers/market";

/** A bid expiry ten days after the fixture's clock. */
const expiryOf = (now: bigint) => now + 10n * BigInt(DAY);

describe("CapacityMarket.bid", () => {
  describe("when the caller is not an active operator's admin", () => {
    it("should revert with NotMember for an attacker and for an operator's signer key and payout address", async () => {
      const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
      for (const who of [a.eve, a.bobSigner, a.bobPayout]) {
        await expect(market.connect(who).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
          .withArgs(who.address);
      }
    });

    it("should revert with NotMember for the admin of a suspended operator", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const { market, usdc, dataId, now, accounts: a } = f;
      await suspend(f, f.beta);
      await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
        .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
        .withArgs(a.bob.address);
      expect(await market.bidCount()).to.equal(0n);
    });
  });

  describe("when the caller is an active operator's admin", () => {
    describe("when the quantity is zero", () => {
      it("should revert with ZeroQuantity", async () => {
        const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(
          market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, 0n, expiryOf(now)),
        ).to.be.revertedWithCustomError(market, "CapacityMarket_ZeroQuantity");
      });
    });

    describe("when the unit price is zero", () => {
      it("should revert with ZeroPrice", async () => {
        const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(
          market.connect(a.bob).bid(dataId, usdc, 0n, QUANTITY, expiryOf(now)),
        ).to.be.revertedWithCustomError(market, "CapacityMarket_ZeroPrice");
      });
    });

    describe("when the expiry is past", () => {
      it("should revert with InvalidExpiry for an expiry one second before the block", async () => {
        const { market, usdc, dataId, accounts: a } = await loadFixture(deployCapacityFixture);
        const at = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(at);
        await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, at - 1n))
          .to.be.revertedWithCustomError(market, "CapacityMarket_InvalidExpiry")
          .withArgs(at - 1n);
      });

      it("should accept an expiry equal to the block's second", async () => {
        const { market, usdc, dataId, accounts: a } = await loadFixture(deployCapacityFixture);
        const at = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(at);
        await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, at)).to.emit(market, "BidPlaced");
      });
    });

    describe("when the payment token is not allowed in the vault", () => {
      it("should revert with TokenNotAllowed", async () => {
        const { market, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        for (const token of [ethers.Wallet.createRandom().address, ethers.ZeroAddress]) {
          await expect(market.connect(a.bob).bid(dataId, token, UNIT_PRICE, QUANTITY, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_TokenNotAllowed")
            .withArgs(token);
        }
      });
    });

    describe("when the class is not tradable", () => {
      it("should revert with ClassNotTradable for an unknown class", async () => {
        const { market, usdc, now, accounts: a } = await loadFixture(deployCapacityFixture);
        const unknown = ethers.toBigInt(ethers.id("no such class"));
        await expect(market.connect(a.bob).bid(unknown, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(unknown);
      });

      it("should revert with ClassNotTradable at the class's validUntil second and after it", async () => {
        const { market, usdc, dataId, data, accounts: a } = await loadFixture(deployCapacityFixture);
        const validUntil = validUntilOf(data);
        await time.setNextBlockTimestamp(validUntil);
        await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, validUntil + BigInt(DAY)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(dataId);
        await time.increaseTo(validUntil + BigInt(DAY));
        await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, validUntil + 2n * BigInt(DAY)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(dataId);
      });

      it("should still accept a bid at the last second before validUntil", async () => {
        const { market, usdc, dataId, data, accounts: a } = await loadFixture(deployCapacityFixture);
        await time.setNextBlockTimestamp(validUntilOf(data) - 1n);
        await expect(
          market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, validUntilOf(data) + BigInt(DAY)),
        ).to.emit(market, "BidPlaced");
      });
    });

    describe("when the bid is valid", () => {
      it("should store the bid and emit BidPlaced with all its fields", async () => {
        const { market, usdc, dataId, beta, now, accounts: a } = await loadFixture(deployCapacityFixture);
        const expiry = expiryOf(now);
        await expect(market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiry))
          .to.emit(market, "BidPlaced")
          .withArgs(1n, dataId, beta, a.bob.address, await usdc.getAddress(), UNIT_PRICE, QUANTITY, expiry);
        expect(await bidOf(market, 1n)).to.deep.equal({
          classId: dataId,
          buyer: a.bob.address,
          buyerId: beta,
          expiry,
          token: await usdc.getAddress(),
          remaining: QUANTITY,
          unitPrice: UNIT_PRICE,
        });
        expect(await market.bidCount()).to.equal(1n);
        expect(await market.listingCount()).to.equal(0n);
      });

      it("should escrow nothing: neither the buyer's free balance nor its wallet moves", async () => {
        const { market, vault, usdc, dataId, beta, now, accounts: a } = await loadFixture(deployCapacityFixture);
        const free = await vault.freeBalanceOf(beta, usdc);
        const wallet = await usdc.balanceOf(a.bob);
        await market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now));
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(free);
        expect(await usdc.balanceOf(a.bob)).to.equal(wallet);
      });

      it("should accept a bid above the buyer's free balance (checked at each fill)", async () => {
        const { market, eurc, dataId, beta, now, vault, accounts: a } = await loadFixture(deployCapacityFixture);
        expect(await vault.freeBalanceOf(beta, eurc)).to.equal(0n);
        await expect(market.connect(a.bob).bid(dataId, eurc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.emit(market, "BidPlaced")
          .withArgs(1n, dataId, beta, a.bob.address, await eurc.getAddress(), UNIT_PRICE, QUANTITY, expiryOf(now));
      });

      it("should let the class's issuer bid for its own class too", async () => {
        const { market, usdc, dataId, alpha, now, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(market.connect(a.alice).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.emit(market, "BidPlaced")
          .withArgs(1n, dataId, alpha, a.alice.address, await usdc.getAddress(), UNIT_PRICE, QUANTITY, expiryOf(now));
      });

      it("should return the new bid's id and number bids from 1, apart from listings", async () => {
        const { market, usdc, dataId, sliceId, now, gamma, accounts: a } = await loadFixture(deployCapacityFixture);
        await market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now));
        expect(await market.connect(a.bob).bid.staticCall(dataId, usdc, 1n, 1n, expiryOf(now))).to.equal(1n);
        await market.connect(a.bob).bid(dataId, usdc, 1n, 1n, expiryOf(now));
        await expect(market.connect(a.carol).bid(sliceId, usdc, 2n, 3n, expiryOf(now)))
          .to.emit(market, "BidPlaced")
          .withArgs(2n, sliceId, gamma, a.carol.address, await usdc.getAddress(), 2n, 3n, expiryOf(now));
        expect(await market.bidCount()).to.equal(2n);
        expect(await market.listingCount()).to.equal(1n);
      });
    });
  });
});

describe("CapacityMarket.cancelBid", () => {
  describe("when the bid does not exist", () => {
    it("should revert with UnknownBid for id 0 and for the next id", async () => {
      const { market, accounts: a } = await loadFixture(withBid);
      for (const id of [0n, 2n]) {
        await expect(market.connect(a.bob).cancelBid(id))
          .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownBid")
          .withArgs(id);
      }
    });
  });

  describe("when the bid exists", () => {
    describe("when the caller is not the buyer account", () => {
      it("should revert with NotOwner for an attacker, another member and the buyer's payout and signer", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        for (const who of [a.eve, a.alice, a.bobPayout, a.bobSigner]) {
          await expect(market.connect(who).cancelBid(bidId))
            .to.be.revertedWithCustomError(market, "CapacityMarket_NotOwner")
            .withArgs(bidId, who.address);
        }
        expect((await market.getBid(bidId)).remaining).to.equal(QUANTITY);
      });
    });

    describe("when the bid is closed", () => {
      it("should revert with Closed once filled", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        await market.connect(a.alice).fillBid(bidId, QUANTITY);
        await expect(market.connect(a.bob).cancelBid(bidId))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
          .withArgs(bidId);
      });

      it("should revert with Closed once cancelled already", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        await market.connect(a.bob).cancelBid(bidId);
        for (const who of [a.bob, a.eve]) {
          await expect(market.connect(who).cancelBid(bidId))
            .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
            .withArgs(bidId);
        }
      });
    });

    describe("when the buyer cancels an open bid", () => {
      it("should set remaining to zero, keep the other fields and emit BidCancelled(id, remaining)", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        const before = await bidOf(market, bidId);
        await expect(market.connect(a.bob).cancelBid(bidId)).to.emit(market, "BidCancelled").withArgs(bidId, QUANTITY);
        expect(await bidOf(market, bidId)).to.deep.equal({ ...before, remaining: 0n });
      });

      it("should report what was left after a partial fill", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        await market.connect(a.alice).fillBid(bidId, 6n);
        await expect(market.connect(a.bob).cancelBid(bidId))
          .to.emit(market, "BidCancelled")
          .withArgs(bidId, QUANTITY - 6n);
      });

      it("should stop fills of the bid: fillBid reverts with Closed", async () => {
        const { market, bidId, accounts: a } = await loadFixture(withBid);
        await market.connect(a.bob).cancelBid(bidId);
        await expect(market.connect(a.alice).fillBid(bidId, 1n))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
          .withArgs(bidId);
      });

      it("should work after the bid expired and while the buyer's operator is suspended", async () => {
        const f = await loadFixture(withBid);
        await time.increaseTo(f.expiry + 1n);
        await suspend(f, f.beta);
        await expect(f.market.connect(f.accounts.bob).cancelBid(f.bidId))
          .to.emit(f.market, "BidCancelled")
          .withArgs(f.bidId, QUANTITY);
      });
    });
  });
});
