import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { DAY, deployCapacityFixture } from "../../helpers/capacity";
import { QUANTITY, UNIT_PRICE, listingOf, suspend, validUntilOf } from "../../helpers/market";

describe("CapacityMarket.list", () => {
  /** A listing expiry ten days after the fixture's clock. */
  const expiryOf = (now: bigint) => now + 10n * BigInt(DAY);

  describe("when the caller is not an active operator's admin", () => {
    it("should revert with NotMember for an attacker and for an operator's signer key and payout address", async () => {
      const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
      for (const who of [a.eve, a.aliceSigner, a.alicePayout]) {
        await expect(market.connect(who).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
          .withArgs(who.address);
      }
    });

    it("should revert with NotMember for the admin of a suspended operator, though it holds the units", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const { market, usdc, dataId, now, accounts: a } = f;
      await suspend(f, f.alpha);
      await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
        .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
        .withArgs(a.alice.address);
      expect(await market.listingCount()).to.equal(0n);
    });
  });

  describe("when the caller is an active operator's admin", () => {
    describe("when the quantity is zero", () => {
      it("should revert with ZeroQuantity", async () => {
        const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(
          market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, 0, expiryOf(now)),
        ).to.be.revertedWithCustomError(market, "CapacityMarket_ZeroQuantity");
      });
    });

    describe("when the unit price is zero", () => {
      it("should revert with ZeroPrice", async () => {
        const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(
          market.connect(a.alice).list(dataId, usdc, 0, QUANTITY, expiryOf(now)),
        ).to.be.revertedWithCustomError(market, "CapacityMarket_ZeroPrice");
      });
    });

    describe("when the expiry is past", () => {
      it("should revert with InvalidExpiry for an expiry one second before the block", async () => {
        const { market, usdc, dataId, accounts: a } = await loadFixture(deployCapacityFixture);
        const at = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(at);
        await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, at - 1n))
          .to.be.revertedWithCustomError(market, "CapacityMarket_InvalidExpiry")
          .withArgs(at - 1n);
      });

      it("should revert with InvalidExpiry for a zero expiry", async () => {
        const { market, usdc, dataId, accounts: a } = await loadFixture(deployCapacityFixture);
        await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, 0))
          .to.be.revertedWithCustomError(market, "CapacityMarket_InvalidExpiry")
          .withArgs(0);
      });
    });

    describe("when the expiry is the block's own second", () => {
      it("should list (the listing may be filled during that second only)", async () => {
        const { market, usdc, dataId, accounts: a } = await loadFixture(deployCapacityFixture);
        const at = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(at);
        await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, at)).to.emit(market, "Listed");
        expect((await market.getListing(1n)).expiry).to.equal(at);
      });
    });

    describe("when the payment token is not allowed in the vault", () => {
      it("should revert with TokenNotAllowed for an unknown address and an ERC-20 never allowed", async () => {
        const { market, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
        const factory = await ethers.getContractFactory("MockStablecoin");
        const other = await factory.deploy("Other", "OTH", 6);
        for (const token of [ethers.Wallet.createRandom().address, await other.getAddress(), ethers.ZeroAddress]) {
          await expect(market.connect(a.alice).list(dataId, token, UNIT_PRICE, QUANTITY, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_TokenNotAllowed")
            .withArgs(token);
        }
      });
    });

    describe("when the class is not tradable", () => {
      it("should revert with ClassNotTradable for an unknown class", async () => {
        const { market, usdc, now, accounts: a } = await loadFixture(deployCapacityFixture);
        const unknown = 12345n;
        await expect(market.connect(a.alice).list(unknown, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(unknown);
      });

      it("should revert with ClassNotTradable at the class's validUntil second and after it", async () => {
        const { market, usdc, dataId, data, accounts: a } = await loadFixture(deployCapacityFixture);
        const validUntil = validUntilOf(data);
        await time.setNextBlockTimestamp(validUntil);
        await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, validUntil + BigInt(DAY)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(dataId);
        await time.increaseTo(validUntil + BigInt(DAY));
        await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, validUntil + 2n * BigInt(DAY)))
          .to.be.revertedWithCustomError(market, "CapacityMarket_ClassNotTradable")
          .withArgs(dataId);
      });

      it("should still list at the last second before validUntil", async () => {
        const { market, usdc, dataId, data, accounts: a } = await loadFixture(deployCapacityFixture);
        await time.setNextBlockTimestamp(validUntilOf(data) - 1n);
        await expect(
          market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, validUntilOf(data) + BigInt(DAY)),
        ).to.emit(market, "Listed");
      });
    });

    describe("when the class is tradable", () => {
      describe("when the caller holds fewer units than it lists", () => {
        it("should revert with InsufficientBalance(classId, balance, quantity)", async () => {
          const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, 101n, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientBalance")
            .withArgs(dataId, 100n, 101n);
        });

        it("should revert with a zero balance for a member that holds none (bob)", async () => {
          const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          await expect(market.connect(a.bob).list(dataId, usdc, UNIT_PRICE, 1n, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientBalance")
            .withArgs(dataId, 0n, 1n);
        });
      });

      describe("when the caller has not approved the market", () => {
        it("should revert with NotApproved(seller) for a holder that never approved", async () => {
          const { market, capacity, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          await capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, dataId, 20n, "0x");
          await expect(market.connect(a.bob).list(dataId, usdc, UNIT_PRICE, 20n, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_NotApproved")
            .withArgs(a.bob.address);
        });

        it("should revert with NotApproved(seller) once the holder revoked its approval", async () => {
          const { market, capacity, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          await capacity.connect(a.alice).setApprovalForAll(market, false);
          await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
            .to.be.revertedWithCustomError(market, "CapacityMarket_NotApproved")
            .withArgs(a.alice.address);
        });
      });

      describe("when the caller holds the units and approved the market", () => {
        it("should store the listing and emit Listed with all its fields", async () => {
          const { market, capacity, usdc, dataId, alpha, now, accounts: a } = await loadFixture(deployCapacityFixture);
          const expiry = expiryOf(now);
          const tx = market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiry);
          await expect(tx)
            .to.emit(market, "Listed")
            .withArgs(1n, dataId, alpha, a.alice.address, await usdc.getAddress(), UNIT_PRICE, QUANTITY, expiry);
          expect(await listingOf(market, 1n)).to.deep.equal({
            classId: dataId,
            seller: a.alice.address,
            sellerId: alpha,
            expiry,
            token: await usdc.getAddress(),
            remaining: QUANTITY,
            unitPrice: UNIT_PRICE,
          });
          expect(await market.listingCount()).to.equal(1n);
          // Nothing is escrowed: the units stay with the seller until a fill.
          expect(await capacity.balanceOf(a.alice, dataId)).to.equal(100n);
          expect(await capacity.balanceOf(market, dataId)).to.equal(0n);
        });

        it("should return the new listing's id", async () => {
          const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          const id = await market.connect(a.alice).list.staticCall(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now));
          expect(id).to.equal(1n);
        });

        it("should number listings from 1, sequentially across sellers, classes and tokens", async () => {
          const f = await loadFixture(deployCapacityFixture);
          const { market, capacity, usdc, eurc, dataId, sliceId, now, accounts: a } = f;
          await capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, dataId, 5n, "0x");
          await capacity.connect(a.carol).setApprovalForAll(market, true);
          await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiryOf(now)))
            .to.emit(market, "Listed")
            .withArgs(
              1n,
              dataId,
              f.alpha,
              a.alice.address,
              await usdc.getAddress(),
              UNIT_PRICE,
              QUANTITY,
              expiryOf(now),
            );
          await expect(market.connect(a.alice).list(sliceId, eurc, 7n, 10n, expiryOf(now)))
            .to.emit(market, "Listed")
            .withArgs(2n, sliceId, f.alpha, a.alice.address, await eurc.getAddress(), 7n, 10n, expiryOf(now));
          await expect(market.connect(a.carol).list(dataId, usdc, 1n, 5n, expiryOf(now)))
            .to.emit(market, "Listed")
            .withArgs(3n, dataId, f.gamma, a.carol.address, await usdc.getAddress(), 1n, 5n, expiryOf(now));
          expect(await market.listingCount()).to.equal(3n);
          expect((await market.getListing(3n)).sellerId).to.equal(f.gamma);
        });

        it("should let a seller list the same units twice (the balance is checked at each fill)", async () => {
          const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          await market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, 100n, expiryOf(now));
          await expect(market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, 100n, expiryOf(now)))
            .to.emit(market, "Listed")
            .withArgs(2n, dataId, 1n, a.alice.address, await usdc.getAddress(), UNIT_PRICE, 100n, expiryOf(now));
        });

        it("should accept the largest unit price (uint128 max)", async () => {
          const { market, usdc, dataId, now, accounts: a } = await loadFixture(deployCapacityFixture);
          const maxPrice = 2n ** 128n - 1n;
          await market.connect(a.alice).list(dataId, usdc, maxPrice, 100n, expiryOf(now));
          expect((await market.getListing(1n)).unitPrice).to.equal(maxPrice);
        });
      });
    });
  });
});
