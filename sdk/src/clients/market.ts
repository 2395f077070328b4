/**
 * Client of the `CapacityMarket` (delivery versus payment of capacity tokens, docs/ARCHITECTURE.md section 10) for
 * ethers v6: typed reads (one listing or bid, or id ranges read a bounded page at a time), writes that return their
 * receipt (and the new listing or bid id), and pure transaction builders (`client.build.*`).
 *
 * Every input is validated before anything is sent, and an invalid one throws an {@link InvalidArgumentError} naming
 * the field. Reverts surface as {@link RoamLedgerContractError}, decoded with the suite's errors plus the ERC-20 and
 * ERC-1155 ones (see {@link capacityErrorDecoder}).
 *
 * Approvals: a seller's units move only if its admin approved the market on the capacity token
 * ({@link MarketClient.ensureCapacityApproval}, or `{ approve: true }` on {@link MarketClient.list} and
 * {@link MarketClient.fillBid}); a buyer paying directly needs an ERC-20 allowance for the price
 * (`buy(..., PayVia.Direct, { approve: "exact" })` gives it when it is short).
 */
import {
  getAddress,
  MaxUint256,
  type ContractRunner,
  type LogDescription,
  type Overrides,
  type Provider,
  type TransactionReceipt,
} from "ethers";

import { InvalidArgumentError, SignerRequiredError } from "../errors";
import { PayVia } from "../capacity/terms";
import { toAddress, toInteger, toUint, type UintLike } from "../validation";
import { lazyInterface, SuiteClient, TransactionBuilder } from "./base";
import { CapacityClient, capacityErrorDecoder } from "./capacity";
import type { BuiltTransaction } from "./registry";
import { atBlock as at, sendBuilt } from "./send";
import type { BidStructOutput, CapacityMarket, ListingStructOutput } from "../typechain/contracts/CapacityMarket";
import { CapacityMarket__factory } from "../typechain/factories/contracts/CapacityMarket__factory";
import { IERC20__factory } from "../typechain/factories/@openzeppelin/contracts/token/ERC20/IERC20__factory";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** A fixed-price offer to sell units of a class (`getListing`). */
export interface CapacityListing {
  listingId: bigint;
  classId: bigint;
  /** The seller's admin account, which holds the units. */
  seller: string;
  sellerId: bigint;
  /** The last second (Unix) at which the listing may be filled. */
  expiry: bigint;
  /** The payment token. */
  token: string;
  /** Units still for sale (0: sold out or cancelled). */
  remaining: bigint;
  /** Price of one unit, in `token` base units. */
  unitPrice: bigint;
}

/** A request to buy units of a class at a fixed price (`getBid`). */
export interface CapacityBid {
  bidId: bigint;
  classId: bigint;
  /** The buyer's admin account, which receives the units. */
  buyer: string;
  buyerId: bigint;
  /** The last second (Unix) at which the bid may be filled. */
  expiry: bigint;
  token: string;
  /** Units still wanted (0: filled or cancelled). */
  remaining: bigint;
  unitPrice: bigint;
}

/** A range of listing or bid ids, read `pageSize` at a time at one block. */
export interface MarketRangeOptions {
  /** The first id (default 1). */
  from?: UintLike;
  /** The last id, inclusive (default, and at most: the count at `blockTag`). */
  to?: UintLike;
  /** Ids read per page, concurrently: 1 to {@link MARKET_LIMITS.maxPageSize} (default {@link MARKET_LIMITS.defaultPageSize}). */
  pageSize?: UintLike;
  /** The block to read at (default: the latest block when the range starts, so that all pages agree). */
  blockTag?: number | string;
}

/** {@link MarketRangeOptions} of the open orders: those with units remaining, not expired. */
export interface MarketOpenOptions extends MarketRangeOptions {
  /** Only orders of this class. */
  classId?: UintLike;
  /** The time (Unix seconds) orders must not have expired at (default: the time of the block read). */
  now?: UintLike;
}

/** Options of {@link MarketClient.buy}. */
export interface MarketBuyOptions {
  /**
   * For `PayVia.Direct`: approve the market first if the sender's allowance is below the price, `"exact"` for the
   * price or `"max"` without limit. Default: no approval. Ignored for `PayVia.Vault` (no ERC-20 moves).
   */
  approve?: "exact" | "max" | false;
}

/** Options of {@link MarketClient.list} and {@link MarketClient.fillBid}. */
export interface MarketDeliveryOptions {
  /** Approve the market on the capacity token first (`setApprovalForAll`) if the sender has not. Default false. */
  approve?: boolean;
}

/** The outcome of {@link MarketClient.list}. */
export interface ListedResult {
  /** The new listing's id, read from the `Listed` event. */
  listingId: bigint;
  receipt: TransactionReceipt;
}

/** The outcome of {@link MarketClient.bid}. */
export interface BidPlacedResult {
  /** The new bid's id, read from the `BidPlaced` event. */
  bidId: bigint;
  receipt: TransactionReceipt;
}

/** Bounds of the market's types, and of the paging helpers. */
export const MARKET_LIMITS = {
  maxQuantity: 2n ** 64n - 1n,
  maxUnitPrice: 2n ** 128n - 1n,
  maxExpiry: 2n ** 40n - 1n,
  /** The most ids one page reads (concurrently). */
  maxPageSize: 100n,
  defaultPageSize: 25n,
} as const;

const UINT256_MAX = 2n ** 256n - 1n;

/** Awaits `operation`, rethrowing a known revert as a {@link RoamLedgerContractError}. */
async function capacityDecoded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw capacityErrorDecoder().decode(error) ?? error;
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                 VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function toQuantity(value: UintLike): bigint {
  return toInteger(value, "quantity", 1n, MARKET_LIMITS.maxQuantity, `must be 1 to ${MARKET_LIMITS.maxQuantity}`);
}

function toUnitPrice(value: UintLike): bigint {
  return toInteger(value, "unitPrice", 1n, MARKET_LIMITS.maxUnitPrice, `must be 1 to ${MARKET_LIMITS.maxUnitPrice}`);
}

function toOrderId(value: UintLike, field: string): bigint {
  return toInteger(value, field, 1n, UINT256_MAX, "must be an id, from 1");
}

function toPayVia(value: PayVia): PayVia {
  if (value !== PayVia.Vault && value !== PayVia.Direct) {
    throw new InvalidArgumentError("must be PayVia.Vault (0) or PayVia.Direct (1)", { field: "payVia", value });
  }
  return value;
}

/**
 * The exact price of `quantity` units at `unitPrice` (`quantity x unitPrice`, as the market charges it).
 * @throws InvalidArgumentError naming `quantity` or `unitPrice` outside their types (`uint64`, `uint128`; not zero).
 */
export function marketPrice(quantity: UintLike, unitPrice: UintLike): bigint {
  return toQuantity(quantity) * toUnitPrice(unitPrice);
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

const iface = lazyInterface(CapacityMarket__factory);

/**
 * Pure builders of the market's write transactions (and of the ERC-20 approval a direct purchase needs): each
 * validates its input, encodes the call and returns `{ to, data, value: 0n }`, without touching the network.
 */
export class MarketTransactionBuilder extends TransactionBuilder {
  #order(
    name: "list" | "bid",
    classId: UintLike,
    token: string,
    unitPrice: UintLike,
    quantity: UintLike,
    expiry: UintLike,
  ): BuiltTransaction {
    const id = toUint(classId, 256, "classId");
    const t = toAddress(token, "token");
    const price = toUnitPrice(unitPrice);
    const units = toQuantity(quantity);
    const until = toUint(expiry, 40, "expiry");
    const args: [bigint, string, bigint, bigint, bigint] = [id, t, price, units, until];
    return this.tx(
      name === "list" ? iface().encodeFunctionData("list", args) : iface().encodeFunctionData("bid", args),
    );
  }

  /** `token.approve(market, amount)`: the allowance a `PayVia.Direct` purchase needs (sent to the token). */
  approve(token: string, amount: UintLike): BuiltTransaction {
    const to = toAddress(token, "token");
    const value = toInteger(amount, "amount", 0n, UINT256_MAX);
    return {
      to,
      data: IERC20__factory.createInterface().encodeFunctionData("approve", [this.address, value]),
      value: 0n,
    };
  }

  /** `list(classId, token, unitPrice, quantity, expiry)` (a holder's admin that approved the market). */
  list(classId: UintLike, token: string, unitPrice: UintLike, quantity: UintLike, expiry: UintLike): BuiltTransaction {
    return this.#order("list", classId, token, unitPrice, quantity, expiry);
  }

  /** `cancelListing(listingId)` (its seller). */
  cancelListing(listingId: UintLike): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("cancelListing", [toOrderId(listingId, "listingId")]));
  }

  /** `buy(listingId, quantity, payVia)` (another operator's admin). */
  buy(listingId: UintLike, quantity: UintLike, payVia: PayVia): BuiltTransaction {
    const id = toOrderId(listingId, "listingId");
    const units = toQuantity(quantity);
    return this.tx(iface().encodeFunctionData("buy", [id, units, toPayVia(payVia)]));
  }

  /** `bid(classId, token, unitPrice, quantity, expiry)` (an operator's admin; paid from its vault balance). */
  bid(classId: UintLike, token: string, unitPrice: UintLike, quantity: UintLike, expiry: UintLike): BuiltTransaction {
    return this.#order("bid", classId, token, unitPrice, quantity, expiry);
  }

  /** `cancelBid(bidId)` (its buyer). */
  cancelBid(bidId: UintLike): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("cancelBid", [toOrderId(bidId, "bidId")]));
  }

  /** `fillBid(bidId, quantity)` (another operator's admin holding the units, that approved the market). */
  fillBid(bidId: UintLike, quantity: UintLike): BuiltTransaction {
    const id = toOrderId(bidId, "bidId");
    return this.tx(iface().encodeFunctionData("fillBid", [id, toQuantity(quantity)]));
  }

  /** `pause()` (restricted: pauser): stops listing, bidding, buying and filling. */
  pause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("pause"));
  }

  /** `unpause()` (restricted: governor). */
  unpause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("unpause"));
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   CLIENT
//////////////////////////////////////////////////////////////////////////*/

function toListing(listingId: bigint, l: ListingStructOutput): CapacityListing {
  return {
    listingId,
    classId: l.classId,
    seller: l.seller,
    sellerId: l.sellerId,
    expiry: l.expiry,
    token: l.token,
    remaining: l.remaining,
    unitPrice: l.unitPrice,
  };
}

function toBid(bidId: bigint, b: BidStructOutput): CapacityBid {
  return {
    bidId,
    classId: b.classId,
    buyer: b.buyer,
    buyerId: b.buyerId,
    expiry: b.expiry,
    token: b.token,
    remaining: b.remaining,
    unitPrice: b.unitPrice,
  };
}

/** Reads and writes the `CapacityMarket` at one address. */
export class MarketClient extends SuiteClient<CapacityMarket, MarketTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new MarketTransactionBuilder(address), runner, CapacityMarket__factory);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     READS
  //////////////////////////////////////////////////////////////////////////*/

  /** The capacity token traded. */
  async capacityToken(): Promise<string> {
    return capacityDecoded(() => this.contract.capacityToken());
  }

  /** The settlement vault that pays. */
  async vault(): Promise<string> {
    return capacityDecoded(() => this.contract.vault());
  }

  /** How many listings were created; they are numbered from 1. */
  async listingCount(): Promise<bigint> {
    return capacityDecoded(() => this.contract.listingCount());
  }

  /** How many bids were placed; they are numbered from 1. */
  async bidCount(): Promise<bigint> {
    return capacityDecoded(() => this.contract.bidCount());
  }

  /**
   * One listing.
   * @throws RoamLedgerContractError `CapacityMarket_UnknownListing` for an id never used.
   */
  async listing(listingId: UintLike, blockTag?: number | string): Promise<CapacityListing> {
    const id = toOrderId(listingId, "listingId");
    return toListing(id, await capacityDecoded(() => this.contract.getListing(id, at(blockTag))));
  }

  /**
   * One bid (`getBid`; `bid` is the write that places one).
   * @throws RoamLedgerContractError `CapacityMarket_UnknownBid` for an id never used.
   */
  async getBid(bidId: UintLike, blockTag?: number | string): Promise<CapacityBid> {
    const id = toOrderId(bidId, "bidId");
    return toBid(id, await capacityDecoded(() => this.contract.getBid(id, at(blockTag))));
  }

  /** The exact price of `quantity` units at `unitPrice` (see {@link marketPrice}). */
  priceOf(quantity: UintLike, unitPrice: UintLike): bigint {
    return marketPrice(quantity, unitPrice);
  }

  /** The listings of an id range, in id order, read a bounded page at a time at one block. */
  async *iterateListings(options: MarketRangeOptions = {}): AsyncGenerator<CapacityListing, void, undefined> {
    for await (const page of this.#pages(options, "listingCount", (id, tag) => this.listing(id, tag))) yield* page;
  }

  /** The bids of an id range, in id order, read a bounded page at a time at one block. */
  async *iterateBids(options: MarketRangeOptions = {}): AsyncGenerator<CapacityBid, void, undefined> {
    for await (const page of this.#pages(options, "bidCount", (id, tag) => this.getBid(id, tag))) yield* page;
  }

  /** The listings of an id range (default: all), see {@link iterateListings}. */
  async listings(options: MarketRangeOptions = {}): Promise<CapacityListing[]> {
    const all: CapacityListing[] = [];
    for await (const listing of this.iterateListings(options)) all.push(listing);
    return all;
  }

  /** The bids of an id range (default: all), see {@link iterateBids}. */
  async bids(options: MarketRangeOptions = {}): Promise<CapacityBid[]> {
    const all: CapacityBid[] = [];
    for await (const bid of this.iterateBids(options)) all.push(bid);
    return all;
  }

  /** The listings of an id range that may still be bought: units remaining, not expired (optionally of one class). */
  async openListings(options: MarketOpenOptions = {}): Promise<CapacityListing[]> {
    const { range, classId, now } = await this.#openFilter(options);
    const open: CapacityListing[] = [];
    for await (const l of this.iterateListings(range)) {
      if (l.remaining > 0n && l.expiry >= now && (classId === undefined || l.classId === classId)) open.push(l);
    }
    return open;
  }

  /** The bids of an id range that may still be filled: units wanted, not expired (optionally of one class). */
  async openBids(options: MarketOpenOptions = {}): Promise<CapacityBid[]> {
    const { range, classId, now } = await this.#openFilter(options);
    const open: CapacityBid[] = [];
    for await (const b of this.iterateBids(range)) {
      if (b.remaining > 0n && b.expiry >= now && (classId === undefined || b.classId === classId)) open.push(b);
    }
    return open;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     WRITES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Approves the market to pull `amount` of `token` from the sender (for `PayVia.Direct`) if its allowance is below
   * it.
   * @param mode `"exact"` approves `amount`; `"max"` an unlimited allowance.
   * @returns The approval's receipt, or undefined if the allowance already sufficed.
   */
  async ensureAllowance(
    token: string,
    amount: UintLike,
    mode: "exact" | "max" = "exact",
    overrides?: Overrides,
  ): Promise<TransactionReceipt | undefined> {
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 0n, UINT256_MAX);
    if (mode !== "exact" && mode !== "max") {
      throw new InvalidArgumentError('must be "exact" or "max"', { field: "mode", value: mode });
    }
    const owner = await this.#senderAddress("approve");
    const allowance = await capacityDecoded(() =>
      IERC20__factory.connect(t, this.runner).allowance(owner, this.address),
    );
    if (allowance >= value) return undefined;
    return this.#send("approve", this.build.approve(t, mode === "max" ? MaxUint256 : value), overrides);
  }

  /**
   * Approves the market on the capacity token (`setApprovalForAll`) if the sender has not, so that it can deliver the
   * sender's units when they are bought or sold into a bid.
   * @returns The approval's receipt, or undefined if the market was already approved.
   */
  async ensureCapacityApproval(overrides?: Overrides): Promise<TransactionReceipt | undefined> {
    const owner = await this.#senderAddress("setApprovalForAll");
    const capacity = new CapacityClient(await this.capacityToken(), this.runner);
    if (await capacity.isApprovedForAll(owner, this.address)) return undefined;
    return capacity.setApprovalForAll(this.address, true, overrides);
  }

  /**
   * Lists `quantity` of the sender's units of a class at `unitPrice` of `token` until `expiry` (inclusive). With
   * `options.approve`, approves the market on the capacity token first if needed.
   * @returns The new listing's id and the receipt.
   */
  async list(
    classId: UintLike,
    token: string,
    unitPrice: UintLike,
    quantity: UintLike,
    expiry: UintLike,
    options: MarketDeliveryOptions = {},
    overrides?: Overrides,
  ): Promise<ListedResult> {
    const tx = this.build.list(classId, token, unitPrice, quantity, expiry);
    if (toApproveFlag(options) === true) await this.ensureCapacityApproval();
    const receipt = await this.#send("list", tx, overrides);
    return { listingId: this.#eventId(receipt, "Listed", "listingId"), receipt };
  }

  /** Cancels what remains of a listing (its seller). */
  async cancelListing(listingId: UintLike, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("cancelListing", this.build.cancelListing(listingId), overrides);
  }

  /**
   * Buys `quantity` units of a listing, paid from the sender's free vault balance (`PayVia.Vault`) or by an ERC-20
   * transfer to the seller's payout address (`PayVia.Direct`; `options.approve` approves the market for the price
   * first when the allowance is short). Units and payment move in one transaction, or nothing.
   */
  async buy(
    listingId: UintLike,
    quantity: UintLike,
    payVia: PayVia,
    options: MarketBuyOptions = {},
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    const tx = this.build.buy(listingId, quantity, payVia);
    const approve = options.approve ?? false;
    if (approve !== false && approve !== "exact" && approve !== "max") {
      throw new InvalidArgumentError('must be "exact", "max" or false', { field: "options.approve", value: approve });
    }
    if (approve !== false && payVia === PayVia.Direct) {
      const listing = await this.listing(listingId);
      await this.ensureAllowance(listing.token, marketPrice(quantity, listing.unitPrice), approve);
    }
    return this.#send("buy", tx, overrides);
  }

  /**
   * Bids for `quantity` units of a class at `unitPrice` of `token` until `expiry` (inclusive), paid from the
   * sender's free vault balance when filled (nothing is escrowed).
   * @returns The new bid's id and the receipt.
   */
  async bid(
    classId: UintLike,
    token: string,
    unitPrice: UintLike,
    quantity: UintLike,
    expiry: UintLike,
    overrides?: Overrides,
  ): Promise<BidPlacedResult> {
    const receipt = await this.#send("bid", this.build.bid(classId, token, unitPrice, quantity, expiry), overrides);
    return { bidId: this.#eventId(receipt, "BidPlaced", "bidId"), receipt };
  }

  /** Cancels what remains of a bid (its buyer). */
  async cancelBid(bidId: UintLike, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("cancelBid", this.build.cancelBid(bidId), overrides);
  }

  /**
   * Sells `quantity` of the sender's units into a bid: the buyer's free vault balance pays, the units go to the
   * buyer. With `options.approve`, approves the market on the capacity token first if needed.
   */
  async fillBid(
    bidId: UintLike,
    quantity: UintLike,
    options: MarketDeliveryOptions = {},
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    const tx = this.build.fillBid(bidId, quantity);
    if (toApproveFlag(options) === true) await this.ensureCapacityApproval();
    return this.#send("fillBid", tx, overrides);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                   INTERNALS
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * The pages of an id range: ids `[from, min(to, count)]` at one block, `pageSize` per page. The loop is bounded by
   * the count read at that block.
   */
  async *#pages<T>(
    options: MarketRangeOptions,
    counter: "listingCount" | "bidCount",
    read: (id: bigint, blockTag: number | string | undefined) => Promise<T>,
  ): AsyncGenerator<T[], void, undefined> {
    const { from, to, pageSize } = toRange(options);
    const blockTag = options.blockTag ?? (await this.#latestBlock());
    const count = await capacityDecoded(() => this.contract[counter](at(blockTag)));
    const last = to === undefined || to > count ? count : to;
    for (let start = from; start <= last; start += pageSize) {
      const end = start + pageSize - 1n < last ? start + pageSize - 1n : last;
      const ids: bigint[] = [];
      for (let id = start; id <= end; id += 1n) ids.push(id);
      yield await Promise.all(ids.map((id) => read(id, blockTag)));
    }
  }

  async #openFilter(
    options: MarketOpenOptions,
  ): Promise<{ range: MarketRangeOptions; classId: bigint | undefined; now: bigint }> {
    toRange(options); // validates the range (and that options is an object) before anything is read
    const classId = options.classId === undefined ? undefined : toUint(options.classId, 256, "classId");
    const nowGiven = options.now === undefined ? undefined : toUint(options.now, 40, "now");
    const blockTag = options.blockTag ?? (await this.#latestBlock());
    let now = nowGiven;
    if (now === undefined) {
      const block = await this.#provider()?.getBlock(blockTag ?? "latest");
      if (block === null || block === undefined) {
        throw new Error(`cannot read the time of block ${blockTag ?? "latest"} (a provider is needed, or options.now)`);
      }
      now = BigInt(block.timestamp);
    }
    return { range: { ...options, blockTag }, classId, now };
  }

  #eventId(receipt: TransactionReceipt, event: "Listed" | "BidPlaced", arg: "listingId" | "bidId"): bigint {
    for (const parsed of this.#events(receipt)) {
      if (parsed.name === event) return parsed.args[arg] as bigint;
    }
    throw new Error(`transaction ${receipt.hash} emitted no ${event} event`);
  }

  /** The market's events in `receipt`, parsed, in log order. */
  #events(receipt: TransactionReceipt): LogDescription[] {
    const out: LogDescription[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      const parsed = iface().parseLog(log);
      if (parsed !== null) out.push(parsed);
    }
    return out;
  }

  #provider(): Provider | null {
    return this.runner?.provider ?? null;
  }

  async #latestBlock(): Promise<number | undefined> {
    const provider = this.#provider();
    return provider === null ? undefined : provider.getBlockNumber();
  }

  async #senderAddress(action: string): Promise<string> {
    const runner = this.runner as (ContractRunner & { getAddress?: () => Promise<string> }) | null;
    if (runner === null || typeof runner.getAddress !== "function") throw new SignerRequiredError(action);
    return getAddress(await runner.getAddress());
  }

  /** Sends a built transaction through the runner and waits for its receipt, decoding any revert. */
  async #send(action: string, tx: BuiltTransaction, overrides: Overrides = {}): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides, capacityDecoded);
  }
}

/** The validated bounds of a range of ids (checked before anything is read). */
function toRange(options: MarketRangeOptions): { from: bigint; to: bigint | undefined; pageSize: bigint } {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("must be an object", { field: "options", value: options });
  }
  return {
    from: toOrderId(options.from ?? 1n, "from"),
    to: options.to === undefined ? undefined : toInteger(options.to, "to", 0n, UINT256_MAX),
    pageSize: toInteger(
      options.pageSize ?? MARKET_LIMITS.defaultPageSize,
      "pageSize",
      1n,
      MARKET_LIMITS.maxPageSize,
      `must be 1 to ${MARKET_LIMITS.maxPageSize}`,
    ),
  };
}

function toApproveFlag(options: MarketDeliveryOptions): boolean {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("must be an object", { field: "options", value: options });
  }
  const approve = options.approve ?? false;
  if (typeof approve !== "boolean") {
    throw new InvalidArgumentError("must be a boolean", { field: "options.approve", value: approve });
  }
  return approve;
}
