import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import { scheduleAndExecute } from "../../helpers/fixtures";
import type { CapacityFixture } from "../../helpers/capacity";
import { PayVia, withBid, withListing } from "../../helpers/market";

/** Hands `operatorId`'s admin role from `from` to dave (two steps, as the registry requires). */
async function handOver(f: CapacityFixture, operatorId: bigint, from: typeof f.accounts.alice): Promise<void> {
  await f.registry.connect(from).transferAdmin(operatorId, f.accounts.dave);
  await f.registry.connect(f.accounts.dave).acceptAdmin(operatorId);
}

describe("CapacityMarket: orders of an account that is no longer its operator's admin, and token allow-list", () => {
  describe("when the seller's operator handed its admin role to another account", () => {
    it("should refuse to fill the listing from the old account, by either payment path", async () => {
      const f = await loadFixture(withListing);
      await handOver(f, f.alpha, f.accounts.alice);
      for (const payVia of [PayVia.Vault, PayVia.Direct]) {
        await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, payVia))
          .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
          .withArgs(f.accounts.alice.address);
      }
    });

    it("should refuse it too when the old account became the admin of another operator", async () => {
      const f = await loadFixture(withListing);
      await handOver(f, f.alpha, f.accounts.alice);
      await f.registry
        .connect(f.accounts.registrar)
        .registerOperator(
          [encodeTadig("FRAZZ")],
          f.accounts.alice,
          f.accounts.alice,
          [ethers.Wallet.createRandom().address],
          "",
        );
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Vault))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
        .withArgs(f.accounts.alice.address);
    });

    it("should let the operator's new admin, and the old account, cancel the listing", async () => {
      const f = await loadFixture(withListing);
      await handOver(f, f.alpha, f.accounts.alice);
      await expect(f.market.connect(f.accounts.eve).cancelListing(f.listingId))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotOwner")
        .withArgs(f.listingId, f.accounts.eve.address);
      await expect(f.market.connect(f.accounts.dave).cancelListing(f.listingId)).to.emit(f.market, "ListingCancelled");
      const again = await loadFixture(withListing);
      await handOver(again, again.alpha, again.accounts.alice);
      await expect(again.market.connect(again.accounts.alice).cancelListing(again.listingId)).to.emit(
        again.market,
        "ListingCancelled",
      );
    });
  });

  describe("when the buyer's operator handed its admin role to another account", () => {
    it("should refuse to fill the bid (the units would go to an account the buyer no longer controls)", async () => {
      const f = await loadFixture(withBid);
      await handOver(f, f.beta, f.accounts.bob);
      await expect(f.market.connect(f.accounts.alice).fillBid(f.bidId, 1n))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_NotMember")
        .withArgs(f.accounts.bob.address);
    });

    it("should let the buyer operator's new admin cancel the bid", async () => {
      const f = await loadFixture(withBid);
      await handOver(f, f.beta, f.accounts.bob);
      await expect(f.market.connect(f.accounts.dave).cancelBid(f.bidId)).to.emit(f.market, "BidCancelled");
    });
  });

  describe("when the governor disallows the listing's token after it was listed", () => {
    it("should refuse a direct payment with TokenNotAllowed (the vault path is refused by the vault)", async () => {
      const f = await loadFixture(withListing);
      const data = f.vault.interface.encodeFunctionData("disallowToken", [await f.usdc.getAddress()]);
      await scheduleAndExecute(f.manager, f.accounts.governor, await f.vault.getAddress(), data);
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Direct))
        .to.be.revertedWithCustomError(f.market, "CapacityMarket_TokenNotAllowed")
        .withArgs(await f.usdc.getAddress());
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Vault))
        .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenNotAllowed")
        .withArgs(await f.usdc.getAddress());
    });
  });

  describe("when the vault is paused", () => {
    it("should still sell for a direct payment, and refuse a vault payment (the market has its own pause)", async () => {
      const f = await loadFixture(withListing);
      await f.vault.connect(f.accounts.pauser).pause();
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Direct)).to.emit(f.market, "Bought");
      await expect(f.market.connect(f.accounts.bob).buy(f.listingId, 1n, PayVia.Vault)).to.be.revertedWithCustomError(
        f.vault,
        "EnforcedPause",
      );
    });
  });
});
