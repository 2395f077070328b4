import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { DAY } from "../../helpers/capacity";
import {
  E18,
  PayVia,
  QUANTITY,
  UNIT_PRICE,
  fillRef,
  priceOf,
  suspend,
  u,
  withFeeToken,
  withListing,
  type ListingFixture,
  validUntilOf,
} from "../../helpers/market";

/** Everything a purchase of listing 1 may move: vault balances, wallets, units and the listing's remainder. */
async function snapshot(f: ListingFixture) {
  const { vault, usdc, capacity, market, dataId, accounts: a } = f;
  return {
    alphaFree: await vault.freeBalanceOf(f.alpha, usdc),
    betaFree: await vault.freeBalanceOf(f.beta, usdc),
    alphaBalance: await vault.balanceOf(f.alpha, usdc),
    betaBalance: await vault.balanceOf(f.beta, usdc),
    bobWallet: await usdc.balanceOf(a.bob),
    payoutWallet: await usdc.balanceOf(a.alicePayout),
    vaultWallet: await usdc.balanceOf(vault),
    aliceUnits: await capacity.balanceOf(a.alice, dataId),
    bobUnits: await capacity.balanceOf(a.bob, dataId),
    remaining: (await market.getListing(f.listingId)).remaining,
  };
}

const BOTH = [
  ["Vault", PayVia.Vault],
  ["Direct", PayVia.Direct],
] as const;

describe("CapacityMarket.buy", () => {
  describe("when the listing does not exist", () => {
    it("should revert with UnknownListing for id 0 and for the next id", async () => {
      const { market, accounts: a } = await loadFixture(withListing);
      for (const id of [0n, 2n]) {
        await expect(market.connect(a.bob).buy(id, 1n, PayVia.Vault))
          .to.be.revertedWithCustomError(market, "CapacityMarket_UnknownListing")
          .withArgs(id);
      }
    });
  });

  describe("when the listing is closed", () => {
    it("should revert with Closed once sold out", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      await market.connect(a.bob).buy(listingId, QUANTITY, PayVia.Vault);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(market.connect(a.carol).buy(listingId, 1n, payVia))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
          .withArgs(listingId);
      }
    });

    it("should revert with Closed once cancelled", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      await market.connect(a.alice).cancelListing(listingId);
      await expect(market.connect(a.bob).buy(listingId, 1n, PayVia.Vault))
        .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
        .withArgs(listingId);
    });
  });

  describe("when the listing's expiry is reached", () => {
    for (const [name, payVia] of BOTH) {
      it(`should sell at the expiry second itself (${name})`, async () => {
        const { market, listingId, expiry, accounts: a } = await loadFixture(withListing);
        await time.setNextBlockTimestamp(expiry);
        await expect(market.connect(a.bob).buy(listingId, 1n, payVia))
          .to.emit(market, "Bought")
          .withArgs(listingId, 2n, a.bob.address, 1n, UNIT_PRICE, payVia);
      });

      it(`should revert with Expired(id, expiry) one second later (${name})`, async () => {
        const { market, listingId, expiry, accounts: a } = await loadFixture(withListing);
        await time.setNextBlockTimestamp(expiry + 1n);
        await expect(market.connect(a.bob).buy(listingId, 1n, payVia))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Expired")
          .withArgs(listingId, expiry);
      });
    }
  });

  describe("when the quantity is zero", () => {
    it("should revert with ZeroQuantity", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(market.connect(a.bob).buy(listingId, 0n, payVia)).to.be.revertedWithCustomError(
          market,
          "CapacityMarket_ZeroQuantity",
        );
      }
    });
  });

  describe("when the quantity is above what remains", () => {
    it("should revert with InsufficientRemaining(id, remaining, quantity) on a fresh listing", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      await expect(market.connect(a.bob).buy(listingId, QUANTITY + 1n, PayVia.Vault))
        .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientRemaining")
        .withArgs(listingId, QUANTITY, QUANTITY + 1n);
    });

    it("should revert with InsufficientRemaining after a partial fill", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      await market.connect(a.bob).buy(listingId, 3n, PayVia.Vault);
      await expect(market.connect(a.carol).buy(listingId, 8n, PayVia.Direct))
        .to.be.revertedWithCustomError(market, "CapacityMarket_InsufficientRemaining")
        .withArgs(listingId, 7n, 8n);
    });
  });

  describe("when the buyer is not an active operator's admin", () => {
    it("should revert with NotMember for an attacker", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(market.connect(a.eve).buy(listingId, 1n, payVia))
          .to.be.revertedWithCustomError(market, "CapacityMarket_NotMember")
          .withArgs(a.eve.address);
      }
    });

    it("should revert with NotMember for the admin of a suspended operator", async () => {
      const f = await loadFixture(withListing);
      await suspend(f, f.beta);
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Vault))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
        .withArgs(f.accounts.bob.address);
    });
  });

  describe("when the buyer is the seller's operator", () => {
    it("should revert with SelfTrade(operatorId)", async () => {
      const { market, listingId, alpha, accounts: a } = await loadFixture(withListing);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(market.connect(a.alice).buy(listingId, 1n, payVia))
          .to.be.revertedWithCustomError(market, "CapacityMarket_SelfTrade")
          .withArgs(alpha);
      }
    });
  });

  describe("when the seller's operator is suspended", () => {
    it("should revert with NotMember(seller) and move nothing", async () => {
      const f = await loadFixture(withListing);
      await suspend(f, f.alpha);
      const before = await snapshot(f);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, payVia))
          .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
          .withArgs(f.accounts.alice.address);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });

  describe("when the pay-via value is not a PayVia", () => {
    it("should revert without a reason (ABI decoding of the enum)", async () => {
      const { market, listingId, accounts: a } = await loadFixture(withListing);
      await expect(market.connect(a.bob).buy(listingId, 1n, 2)).to.be.revertedWithoutReason();
    });
  });

  describe("when paying from the vault", () => {
    describe("when the buyer's free balance does not cover the price", () => {
      it("should revert with the vault's InsufficientFreeBalance for a token the buyer never deposited", async () => {
        const { market, vault, eurc, dataId, expiry, beta, accounts: a } = await loadFixture(withListing);
        await market.connect(a.alice).list(dataId, eurc, UNIT_PRICE, QUANTITY, expiry);
        await expect(market.connect(a.bob).buy(2n, 2n, PayVia.Vault))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(beta, await eurc.getAddress(), 0n, priceOf(2n));
      });

      it("should revert at one cent above the free balance and move nothing", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, usdc, listingId, beta, accounts: a } = f;
        // Leave bob 15 USDC - 1 base unit free: 3 units cost 15 USDC.
        await vault.connect(a.bob).withdraw(beta, usdc, u(100_000) - u(15) + 1n);
        const before = await snapshot(f);
        await expect(market.connect(a.bob).buy(listingId, 3n, PayVia.Vault))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(beta, await usdc.getAddress(), u(15) - 1n, priceOf(3n));
        expect(await snapshot(f)).to.deep.equal(before);
      });
    });

    describe("when the buyer's free balance covers the price", () => {
      it("should move exactly the price between free balances, deliver the units and emit Bought", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, usdc, capacity, dataId, listingId, alpha, beta, accounts: a } = f;
        const before = await snapshot(f);
        const price = priceOf(3n);
        const tx = market.connect(a.bob).buy(listingId, 3n, PayVia.Vault);
        await expect(tx).to.emit(market, "Bought").withArgs(listingId, beta, a.bob.address, 3n, price, PayVia.Vault);
        await expect(tx)
          .to.emit(vault, "FreeBalanceTransferred")
          .withArgs(await usdc.getAddress(), beta, alpha, price, fillRef(0, listingId));
        await expect(tx)
          .to.emit(capacity, "TransferSingle")
          .withArgs(await market.getAddress(), a.alice.address, a.bob.address, dataId, 3n);
        expect(await snapshot(f)).to.deep.equal({
          ...before,
          alphaFree: before.alphaFree + price,
          betaFree: before.betaFree - price,
          alphaBalance: before.alphaBalance + price,
          betaBalance: before.betaBalance - price,
          aliceUnits: before.aliceUnits - 3n,
          bobUnits: before.bobUnits + 3n,
          remaining: QUANTITY - 3n,
        });
      });

      it("should spend the whole free balance when the price equals it", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, usdc, listingId, beta, accounts: a } = f;
        await vault.connect(a.bob).withdraw(beta, usdc, u(100_000) - u(15));
        await market.connect(a.bob).buy(listingId, 3n, PayVia.Vault);
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(0n);
      });

      it("should fill in parts until sold out, then close", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, usdc, capacity, dataId, listingId, alpha, gamma, accounts: a } = f;
        await market.connect(a.bob).buy(listingId, 3n, PayVia.Vault);
        expect((await market.getListing(listingId)).remaining).to.equal(7n);
        await expect(market.connect(a.carol).buy(listingId, 7n, PayVia.Vault))
          .to.emit(market, "Bought")
          .withArgs(listingId, gamma, a.carol.address, 7n, priceOf(7n), PayVia.Vault);
        expect((await market.getListing(listingId)).remaining).to.equal(0n);
        expect(await capacity.balanceOf(a.bob, dataId)).to.equal(3n);
        expect(await capacity.balanceOf(a.carol, dataId)).to.equal(7n);
        expect(await capacity.balanceOf(a.alice, dataId)).to.equal(90n);
        expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(100_000) + priceOf(QUANTITY));
        expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(u(100_000) - priceOf(7n));
        await expect(market.connect(a.carol).buy(listingId, 1n, PayVia.Vault))
          .to.be.revertedWithCustomError(market, "CapacityMarket_Closed")
          .withArgs(listingId);
      });

      it("should charge exactly quantity x unitPrice, without rounding", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, usdc, dataId, expiry, alpha, beta, accounts: a } = f;
        const unitPrice = 1_234_567n;
        await market.connect(a.alice).list(dataId, usdc, unitPrice, 90n, expiry);
        await expect(market.connect(a.bob).buy(2n, 77n, PayVia.Vault))
          .to.emit(market, "Bought")
          .withArgs(2n, beta, a.bob.address, 77n, 95_061_659n, PayVia.Vault);
        expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(100_000) + 77n * unitPrice);
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(100_000) - 77n * unitPrice);
      });

      it("should need no ERC-20 allowance from the buyer", async () => {
        const f = await loadFixture(withListing);
        const { market, usdc, listingId, accounts: a } = f;
        expect(await usdc.allowance(a.carol, market)).to.equal(0n);
        await expect(market.connect(a.carol).buy(listingId, 1n, PayVia.Vault)).to.emit(market, "Bought");
      });
    });
  });

  describe("when paying directly in ERC-20", () => {
    describe("when the buyer has not approved the market", () => {
      it("should revert with the token's ERC20InsufficientAllowance(market, 0, price)", async () => {
        const f = await loadFixture(withListing);
        const { market, usdc, listingId, accounts: a } = f;
        await expect(market.connect(a.carol).buy(listingId, 2n, PayVia.Direct))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
          .withArgs(await market.getAddress(), 0n, priceOf(2n));
      });

      it("should revert when the allowance is one base unit short", async () => {
        const f = await loadFixture(withListing);
        const { market, usdc, listingId, accounts: a } = f;
        await usdc.connect(a.carol).approve(market, priceOf(2n) - 1n);
        await expect(market.connect(a.carol).buy(listingId, 2n, PayVia.Direct))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
          .withArgs(await market.getAddress(), priceOf(2n) - 1n, priceOf(2n));
      });
    });

    describe("when the buyer's wallet does not hold the price", () => {
      it("should revert with the token's ERC20InsufficientBalance(buyer, balance, price)", async () => {
        const f = await loadFixture(withListing);
        const { market, usdc, dataId, expiry, accounts: a } = f;
        await market.connect(a.alice).list(dataId, usdc, u(200_000), QUANTITY, expiry);
        await expect(market.connect(a.bob).buy(2n, 5n, PayVia.Direct))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientBalance")
          .withArgs(a.bob.address, u(900_000), u(1_000_000)); // 100,000 of his 1,000,000 are in the vault
      });
    });

    describe("when the token keeps a fee on transfer", () => {
      it("should revert with TransferMismatch(expected, received) and move nothing", async () => {
        const f = await loadFixture(withFeeToken);
        const { market, fee, capacity, dataId, feeListingId, accounts: a } = f;
        const price = 4n * E18;
        const bobBefore = await fee.balanceOf(a.bob);
        await expect(market.connect(a.bob).buy(feeListingId, 4n, PayVia.Direct))
          .to.be.revertedWithCustomError(market, "CapacityMarket_TransferMismatch")
          .withArgs(price, price - price / 100n);
        expect(await fee.balanceOf(a.bob)).to.equal(bobBefore);
        expect(await fee.balanceOf(a.alicePayout)).to.equal(0n);
        expect(await capacity.balanceOf(a.bob, dataId)).to.equal(0n);
        expect((await market.getListing(feeListingId)).remaining).to.equal(QUANTITY);
      });
    });

    describe("when the buyer approved the market", () => {
      it("should pay exactly the price to the seller's payout address, deliver the units and emit Bought", async () => {
        const f = await loadFixture(withListing);
        const { market, vault, listingId, beta, accounts: a } = f;
        const before = await snapshot(f);
        const price = priceOf(4n);
        const tx = market.connect(a.bob).buy(listingId, 4n, PayVia.Direct);
        await expect(tx).to.emit(market, "Bought").withArgs(listingId, beta, a.bob.address, 4n, price, PayVia.Direct);
        await expect(tx).not.to.emit(vault, "FreeBalanceTransferred");
        expect(await snapshot(f)).to.deep.equal({
          ...before,
          bobWallet: before.bobWallet - price,
          payoutWallet: before.payoutWallet + price,
          aliceUnits: before.aliceUnits - 4n,
          bobUnits: before.bobUnits + 4n,
          remaining: QUANTITY - 4n,
        });
      });

      it("should pay the payout address current at the purchase, not the seller account", async () => {
        const f = await loadFixture(withListing);
        const { market, registry, usdc, listingId, alpha, accounts: a } = f;
        const newPayout = ethers.Wallet.createRandom().address;
        await registry.connect(a.alice).setPayout(alpha, newPayout);
        const aliceWallet = await usdc.balanceOf(a.alice);
        await market.connect(a.bob).buy(listingId, 2n, PayVia.Direct);
        expect(await usdc.balanceOf(newPayout)).to.equal(priceOf(2n));
        expect(await usdc.balanceOf(a.alicePayout)).to.equal(0n);
        expect(await usdc.balanceOf(a.alice)).to.equal(aliceWallet);
      });

      it("should leave the allowance reduced by exactly the price", async () => {
        const f = await loadFixture(withListing);
        const { market, usdc, listingId, accounts: a } = f;
        await usdc.connect(a.carol).approve(market, priceOf(5n));
        await market.connect(a.carol).buy(listingId, 3n, PayVia.Direct);
        expect(await usdc.allowance(a.carol, market)).to.equal(priceOf(2n));
      });
    });
  });

  describe("when the delivery of the units fails (all or nothing)", () => {
    for (const [name, payVia] of BOTH) {
      describe(`when paying via ${name}`, () => {
        it("should revert with ERC1155InsufficientBalance when the seller no longer holds the units", async () => {
          const f = await loadFixture(withListing);
          const { market, capacity, dataId, listingId, accounts: a } = f;
          await capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, dataId, 95n, "0x");
          const before = await snapshot(f);
          await expect(market.connect(a.bob).buy(listingId, 6n, payVia))
            .to.be.revertedWithCustomError(capacity, "ERC1155InsufficientBalance")
            .withArgs(a.alice.address, 5n, 6n, dataId);
          expect(await snapshot(f)).to.deep.equal(before);
          // What the seller still holds can be bought.
          await expect(market.connect(a.bob).buy(listingId, 5n, payVia)).to.emit(market, "Bought");
        });

        it("should revert with ERC1155MissingApprovalForAll when the seller revoked the market", async () => {
          const f = await loadFixture(withListing);
          const { market, capacity, listingId, accounts: a } = f;
          await capacity.connect(a.alice).setApprovalForAll(market, false);
          const before = await snapshot(f);
          await expect(market.connect(a.bob).buy(listingId, 1n, payVia))
            .to.be.revertedWithCustomError(capacity, "ERC1155MissingApprovalForAll")
            .withArgs(await market.getAddress(), a.alice.address);
          expect(await snapshot(f)).to.deep.equal(before);
        });

        it("should revert with CapacityToken_ClassExpired once the class's validity is over", async () => {
          const f = await loadFixture(withListing);
          const { market, capacity, usdc, data, dataId, accounts: a } = f;
          // A listing that outlives its class.
          await market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, validUntilOf(data) + BigInt(DAY));
          await time.setNextBlockTimestamp(validUntilOf(data)); // the first second the class no longer moves
          const before = await snapshot(f);
          await expect(market.connect(a.bob).buy(2n, 1n, payVia))
            .to.be.revertedWithCustomError(capacity, "CapacityToken_ClassExpired")
            .withArgs(dataId, validUntilOf(data));
          expect(await snapshot(f)).to.deep.equal(before);
          expect((await market.getListing(2n)).remaining).to.equal(QUANTITY);
        });

        it("should revert with the token's EnforcedPause while the capacity token is paused", async () => {
          const f = await loadFixture(withListing);
          const { market, capacity, listingId, accounts: a } = f;
          await capacity.connect(a.pauser).pause();
          const before = await snapshot(f);
          await expect(market.connect(a.bob).buy(listingId, 1n, payVia)).to.be.revertedWithCustomError(
            capacity,
            "EnforcedPause",
          );
          expect(await snapshot(f)).to.deep.equal(before);
        });
      });
    }
  });
});
