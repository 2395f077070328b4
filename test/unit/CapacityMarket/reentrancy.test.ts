import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";

import {
  Mode,
  PayVia,
  QUANTITY,
  UNIT_PRICE,
  buyData,
  priceOf,
  withReceiver,
  type ReceiverFixture,
} from "../../helpers/market";

/** The selector of OpenZeppelin's `ReentrancyGuardReentrantCall()`. */
const REENTRANT_CALL = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

interface ReentryFixture extends ReceiverFixture {
  /** Bid 1: bob wants 10 data units at 5 USDC (a target for re-entering fillBid). */
  bidId: bigint;
  /** Bid 2: the receiver wants 10 data units at 5 USDC, paid from its vault balance. */
  receiverBidId: bigint;
}

/** {@link withReceiver} plus a bid by bob and a bid by the receiver (placed through `execute`). */
async function withReentry(): Promise<ReentryFixture> {
  const f = await loadFixture(withReceiver);
  const { market, receiver, usdc, dataId, expiry, accounts: a } = f;
  await market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiry);
  const data = market.interface.encodeFunctionData("bid", [
    dataId,
    await usdc.getAddress(),
    UNIT_PRICE,
    QUANTITY,
    expiry,
  ]);
  await receiver.connect(a.dave).execute(market, data);
  return { ...f, bidId: 1n, receiverBidId: 2n };
}

/** Everything a purchase by (or a fill for) the receiver may move. */
async function snapshot(f: ReentryFixture) {
  const { vault, usdc, capacity, market, dataId, receiverAddress, accounts: a } = f;
  return {
    receiverFree: await vault.freeBalanceOf(f.receiverId, usdc),
    alphaFree: await vault.freeBalanceOf(f.alpha, usdc),
    betaFree: await vault.freeBalanceOf(f.beta, usdc),
    receiverWallet: await usdc.balanceOf(receiverAddress),
    payoutWallet: await usdc.balanceOf(a.alicePayout),
    receiverUnits: await capacity.balanceOf(receiverAddress, dataId),
    aliceUnits: await capacity.balanceOf(a.alice, dataId),
    bobUnits: await capacity.balanceOf(a.bob, dataId),
    listingRemaining: (await market.getListing(f.listingId)).remaining,
    bidRemaining: (await market.getBid(f.bidId)).remaining,
    receiverBidRemaining: (await market.getBid(f.receiverBidId)).remaining,
  };
}

/** The receiver buys `quantity` units of listing 1 (it is the operator admin; dave drives it). */
function receiverBuys(f: ReentryFixture, quantity: bigint, payVia: PayVia): Promise<ContractTransactionResponse> {
  return f.receiver.connect(f.accounts.dave).execute(f.market, buyData(f.market, f.listingId, quantity, payVia));
}

/** The calls the hook tries to re-enter the market with: every state-changing member function. */
function reentryCalls(f: ReentryFixture, usdc: string): [string, string][] {
  const m = f.market.interface;
  return [
    ["buy", buyData(f.market, f.listingId, 1n, PayVia.Vault)],
    ["fillBid", m.encodeFunctionData("fillBid", [f.bidId, 1n])],
    ["cancelListing", m.encodeFunctionData("cancelListing", [f.listingId])],
    ["cancelBid", m.encodeFunctionData("cancelBid", [f.receiverBidId])],
    ["list", m.encodeFunctionData("list", [f.dataId, usdc, UNIT_PRICE, 1n, f.expiry])],
    ["bid", m.encodeFunctionData("bid", [f.dataId, usdc, UNIT_PRICE, 1n, f.expiry])],
  ];
}

const BOTH = [
  ["Vault", PayVia.Vault],
  ["Direct", PayVia.Direct],
] as const;

describe("CapacityMarket re-entrancy and receiver hooks", () => {
  describe("when a contract operator admin accepts the units", () => {
    for (const [name, payVia] of BOTH) {
      it(`should buy through it, its hook called once with the market as operator (${name})`, async () => {
        const f = await loadFixture(withReentry);
        const { market, receiver, dataId, receiverId, listingId, accounts: a } = f;
        const tx = receiverBuys(f, 3n, payVia);
        await expect(tx)
          .to.emit(receiver, "Received")
          .withArgs(await market.getAddress(), a.alice.address, dataId, 3n);
        await expect(tx)
          .to.emit(market, "Bought")
          .withArgs(listingId, receiverId, f.receiverAddress, 3n, priceOf(3n), payVia);
        expect((await snapshot(f)).receiverUnits).to.equal(3n);
      });
    }
  });

  describe("when the hook re-enters the market during a purchase", () => {
    for (const [name, payVia] of BOTH) {
      describe(`when paying via ${name}`, () => {
        it("should revert the purchase with ReentrancyGuardReentrantCall, whichever function is re-entered", async () => {
          const f = await loadFixture(withReentry);
          const { market, receiver, usdc, accounts: a } = f;
          const before = await snapshot(f);
          for (const [, payload] of reentryCalls(f, await usdc.getAddress())) {
            await receiver.connect(a.dave).configure(Mode.Reenter, market, payload, false);
            await expect(receiverBuys(f, 3n, payVia)).to.be.revertedWithCustomError(
              market,
              "ReentrancyGuardReentrantCall",
            );
          }
          expect(await snapshot(f)).to.deep.equal(before);
          expect(await market.listingCount()).to.equal(1n);
          expect(await market.bidCount()).to.equal(2n);
        });
      });
    }

    describe("when the hook swallows the failed re-entry", () => {
      it("should complete exactly one purchase (Vault), the hook logging the guard's selector", async () => {
        const f = await loadFixture(withReentry);
        const { market, receiver, vault, listingId, receiverId, accounts: a } = f;
        await receiver
          .connect(a.dave)
          .configure(Mode.Reenter, market, buyData(market, listingId, 1n, PayVia.Vault), true);
        const before = await snapshot(f);
        const price = priceOf(3n);
        const tx = receiverBuys(f, 3n, PayVia.Vault);
        await expect(tx).to.emit(receiver, "ReentryFailed").withArgs(REENTRANT_CALL);
        await expect(tx)
          .to.emit(market, "Bought")
          .withArgs(listingId, receiverId, f.receiverAddress, 3n, price, PayVia.Vault);
        const receipt = await (await tx).wait();
        const bought = market.interface.getEvent("Bought").topicHash;
        const transfers = vault.interface.getEvent("FreeBalanceTransferred").topicHash;
        expect(receipt!.logs.filter((l) => l.topics[0] === bought)).to.have.length(1);
        expect(receipt!.logs.filter((l) => l.topics[0] === transfers)).to.have.length(1);
        expect(await snapshot(f)).to.deep.equal({
          ...before,
          receiverFree: before.receiverFree - price,
          alphaFree: before.alphaFree + price,
          receiverUnits: 3n,
          aliceUnits: before.aliceUnits - 3n,
          listingRemaining: QUANTITY - 3n,
        });
      });

      it("should complete exactly one purchase (Direct) while the hook tries to cancel the listing", async () => {
        const f = await loadFixture(withReentry);
        const { market, receiver, listingId, accounts: a } = f;
        const cancel = market.interface.encodeFunctionData("cancelListing", [listingId]);
        await receiver.connect(a.dave).configure(Mode.Reenter, market, cancel, true);
        const before = await snapshot(f);
        const price = priceOf(2n);
        const tx = receiverBuys(f, 2n, PayVia.Direct);
        await expect(tx).to.emit(receiver, "ReentryFailed").withArgs(REENTRANT_CALL);
        await expect(tx).not.to.emit(market, "ListingCancelled");
        expect(await snapshot(f)).to.deep.equal({
          ...before,
          receiverWallet: before.receiverWallet - price,
          payoutWallet: before.payoutWallet + price,
          receiverUnits: 2n,
          aliceUnits: before.aliceUnits - 2n,
          listingRemaining: QUANTITY - 2n,
        });
      });
    });
  });

  describe("when the hook re-enters the market during a bid fill", () => {
    it("should revert the fill with ReentrancyGuardReentrantCall and move nothing", async () => {
      const f = await loadFixture(withReentry);
      const { market, receiver, receiverBidId, usdc, accounts: a } = f;
      const before = await snapshot(f);
      for (const [, payload] of reentryCalls(f, await usdc.getAddress())) {
        await receiver.connect(a.dave).configure(Mode.Reenter, market, payload, false);
        await expect(market.connect(a.alice).fillBid(receiverBidId, 4n)).to.be.revertedWithCustomError(
          market,
          "ReentrancyGuardReentrantCall",
        );
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("should complete exactly one fill when the hook swallows the failure", async () => {
      const f = await loadFixture(withReentry);
      const { market, receiver, receiverBidId, alpha, accounts: a } = f;
      await receiver
        .connect(a.dave)
        .configure(Mode.Reenter, market, market.interface.encodeFunctionData("fillBid", [f.bidId, 1n]), true);
      const before = await snapshot(f);
      const price = priceOf(4n);
      const tx = market.connect(a.alice).fillBid(receiverBidId, 4n);
      await expect(tx).to.emit(receiver, "ReentryFailed").withArgs(REENTRANT_CALL);
      await expect(tx).to.emit(market, "BidFilled").withArgs(receiverBidId, alpha, a.alice.address, 4n, price);
      expect(await snapshot(f)).to.deep.equal({
        ...before,
        receiverFree: before.receiverFree - price,
        alphaFree: before.alphaFree + price,
        receiverUnits: 4n,
        aliceUnits: before.aliceUnits - 4n,
        receiverBidRemaining: QUANTITY - 4n,
      });
    });
  });

  describe("when the receiver refuses the units", () => {
    const refusals = [
      ["answers a wrong value", Mode.WrongValue],
      ["reverts without data", Mode.RevertEmpty],
    ] as const;

    for (const [how, mode] of refusals) {
      for (const [name, payVia] of BOTH) {
        it(`should revert a purchase with ERC1155InvalidReceiver when it ${how}, and move nothing (${name})`, async () => {
          const f = await loadFixture(withReentry);
          const { market, capacity, receiver, accounts: a } = f;
          await receiver.connect(a.dave).configure(mode, ethers.ZeroAddress, "0x", false);
          const before = await snapshot(f);
          await expect(receiverBuys(f, 3n, payVia))
            .to.be.revertedWithCustomError(capacity, "ERC1155InvalidReceiver")
            .withArgs(f.receiverAddress);
          expect(await snapshot(f)).to.deep.equal(before);
          expect(await market.listingCount()).to.equal(1n);
        });
      }

      it(`should revert a fill of its bid with ERC1155InvalidReceiver when it ${how}`, async () => {
        const f = await loadFixture(withReentry);
        const { market, capacity, receiver, receiverBidId, accounts: a } = f;
        await receiver.connect(a.dave).configure(mode, ethers.ZeroAddress, "0x", false);
        const before = await snapshot(f);
        await expect(market.connect(a.alice).fillBid(receiverBidId, 3n))
          .to.be.revertedWithCustomError(capacity, "ERC1155InvalidReceiver")
          .withArgs(f.receiverAddress);
        expect(await snapshot(f)).to.deep.equal(before);
      });
    }

    for (const [name, payVia] of BOTH) {
      it(`should bubble the receiver's own error when it reverts with one, and move nothing (${name})`, async () => {
        const f = await loadFixture(withReentry);
        const { receiver, accounts: a } = f;
        await receiver.connect(a.dave).configure(Mode.RevertMessage, ethers.ZeroAddress, "0x", false);
        const before = await snapshot(f);
        await expect(receiverBuys(f, 3n, payVia)).to.be.revertedWithCustomError(
          receiver,
          "MockCapacityReceiver_Refused",
        );
        expect(await snapshot(f)).to.deep.equal(before);
      });
    }

    it("should bubble the receiver's own error on a fill of its bid", async () => {
      const f = await loadFixture(withReentry);
      const { market, receiver, receiverBidId, accounts: a } = f;
      await receiver.connect(a.dave).configure(Mode.RevertMessage, ethers.ZeroAddress, "0x", false);
      const before = await snapshot(f);
      await expect(market.connect(a.alice).fillBid(receiverBidId, 3n)).to.be.revertedWithCustomError(
        receiver,
        "MockCapacityReceiver_Refused",
      );
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });
});
