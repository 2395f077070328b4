import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { PayVia, type ClassTerms } from "../../sdk/src/capacity";
import { encodeTadig } from "../../sdk/src/tadig";
import type { CapacityMarket, FeeOnTransferToken, MockCapacityReceiver } from "../../sdk/src/typechain";
import { DAY, USDC, deployCapacityFixture, type CapacityFixture } from "./capacity";
import { scheduleAndExecute } from "./fixtures";
import { CYCLE } from "./vault";

export { PayVia };

/** Whole units of the fixture's 6-decimal stablecoins. */
export const u = (n: number | bigint): bigint => BigInt(n) * USDC;

/** The fixture listing's and bid's unit price (5 USDC) and quantity (10 units). */
export const UNIT_PRICE = u(5);
export const QUANTITY = 10n;

/** What `quantity` units cost at `unitPrice`. */
export const priceOf = (quantity: bigint, unitPrice: bigint = UNIT_PRICE): bigint => quantity * unitPrice;

/** The vault reference of a market fill: kind 0 for a listing, 1 for a bid. */
export function fillRef(kind: 0 | 1, id: bigint): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint8", "uint256"], [kind, id]));
}

/** The end of validity of a class (exclusive), as a bigint. */
export const validUntilOf = (terms: ClassTerms): bigint => BigInt(terms.validUntil);

/** A listing as a plain object (for deep equality). */
export async function listingOf(market: CapacityMarket, listingId: bigint) {
  const l = await market.getListing(listingId);
  return {
    classId: l.classId,
    seller: l.seller,
    sellerId: l.sellerId,
    expiry: l.expiry,
    token: l.token,
    remaining: l.remaining,
    unitPrice: l.unitPrice,
  };
}

/** A bid as a plain object (for deep equality). */
export async function bidOf(market: CapacityMarket, bidId: bigint) {
  const b = await market.getBid(bidId);
  return {
    classId: b.classId,
    buyer: b.buyer,
    buyerId: b.buyerId,
    expiry: b.expiry,
    token: b.token,
    remaining: b.remaining,
    unitPrice: b.unitPrice,
  };
}

/** A reason hash for registry status changes. */
export const REASON = ethers.id("market test decision");

/** Suspends an operator at once (the pauser may). */
export async function suspend(f: CapacityFixture, operatorId: bigint): Promise<void> {
  await f.registry.connect(f.accounts.pauser).suspendOperator(operatorId, REASON);
}

export interface ListingFixture extends CapacityFixture {
  /** Listing 1: alice (alpha) sells 10 units of the data class at 5 USDC each until `expiry`. */
  listingId: bigint;
  /** Ten days after the fixture's clock: before the class's end of validity. */
  expiry: bigint;
}

/**
 * Fixtures build on each other through `loadFixture` (nested snapshots), so the suite is deployed once per run.
 *
 * The capacity fixture with listing 1 (alice sells 10 data units at 5 USDC), and bob's USDC approved to the market. */
export async function withListing(): Promise<ListingFixture> {
  const f = await loadFixture(deployCapacityFixture);
  const { market, usdc, dataId, accounts: a } = f;
  const expiry = f.now + 10n * BigInt(DAY);
  await market.connect(a.alice).list(dataId, usdc, UNIT_PRICE, QUANTITY, expiry);
  await usdc.connect(a.bob).approve(market, ethers.MaxUint256);
  return { ...f, listingId: 1n, expiry };
}

export interface BidFixture extends CapacityFixture {
  /** Bid 1: bob (beta) wants 10 units of the data class at 5 USDC each until `expiry`, paid from his vault balance. */
  bidId: bigint;
  expiry: bigint;
}

/** The capacity fixture with bid 1 (bob wants 10 data units at 5 USDC). Alice holds 100 units and approved. */
export async function withBid(): Promise<BidFixture> {
  const f = await loadFixture(deployCapacityFixture);
  const { market, usdc, dataId, accounts: a } = f;
  const expiry = f.now + 10n * BigInt(DAY);
  await market.connect(a.bob).bid(dataId, usdc, UNIT_PRICE, QUANTITY, expiry);
  return { ...f, bidId: 1n, expiry };
}

export interface FeeTokenFixture extends ListingFixture {
  /** A fee-on-transfer token (18 decimals, 1% fee), allowed in the vault. Bob holds 1,000 and approved the market. */
  fee: FeeOnTransferToken;
  /** Listing 2: alice sells 10 data units at 1 FEE each. */
  feeListingId: bigint;
}

/** One whole unit of an 18-decimal token. */
export const E18 = 10n ** 18n;

/** {@link withListing} plus a fee-on-transfer token allowed by the governor and a listing priced in it. */
export async function withFeeToken(): Promise<FeeTokenFixture> {
  const f = await loadFixture(withListing);
  const { market, vault, manager, dataId, accounts: a } = f;
  const fee = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy()) as unknown as FeeOnTransferToken;
  const data = vault.interface.encodeFunctionData("allowToken", [await fee.getAddress(), CYCLE]);
  await scheduleAndExecute(manager, a.governor, await vault.getAddress(), data);
  await fee.mint(a.bob, 1_000n * E18);
  await fee.connect(a.bob).approve(market, ethers.MaxUint256);
  const expiry = BigInt(await time.latest()) + 10n * BigInt(DAY);
  await market.connect(a.alice).list(dataId, fee, E18, QUANTITY, expiry);
  return { ...f, fee, feeListingId: 2n };
}

/** The hook modes of {MockCapacityReceiver}. */
export const Mode = { Accept: 0, WrongValue: 1, RevertEmpty: 2, RevertMessage: 3, Reenter: 4 } as const;

export interface ReceiverFixture extends ListingFixture {
  /** A contract admin (deployed and driven by dave) of operator `receiverId`, registered active. */
  receiver: MockCapacityReceiver;
  receiverAddress: string;
  /** Operator 4, with 1,000 USDC free in the vault; the receiver also holds 1,000 USDC approved to the market. */
  receiverId: bigint;
}

/** {@link withListing} plus a contract operator admin ({MockCapacityReceiver}) able to buy and to receive units. */
export async function withReceiver(): Promise<ReceiverFixture> {
  const f = await loadFixture(withListing);
  const { registry, vault, usdc, market, accounts: a } = f;
  const factory = await ethers.getContractFactory("MockCapacityReceiver", a.dave);
  const receiver = (await factory.deploy()) as unknown as MockCapacityReceiver;
  const receiverAddress = await receiver.getAddress();
  await registry
    .connect(a.registrar)
    .registerOperator([encodeTadig("FRAXX")], receiverAddress, a.dave, [a.spareSigner], "");
  const receiverId = await registry.operatorOfAdmin(receiverAddress);
  await vault.connect(a.alice).deposit(receiverId, usdc, u(1_000));
  await usdc.mint(receiverAddress, u(1_000));
  await receiver
    .connect(a.dave)
    .execute(usdc, usdc.interface.encodeFunctionData("approve", [await market.getAddress(), ethers.MaxUint256]));
  return { ...f, receiver, receiverAddress, receiverId };
}

/** Calldata of `market.buy(listingId, quantity, payVia)`, for the receiver to send or to re-enter with. */
export function buyData(market: CapacityMarket, listingId: bigint, quantity: bigint, payVia: PayVia): string {
  return market.interface.encodeFunctionData("buy", [listingId, quantity, payVia]);
}
