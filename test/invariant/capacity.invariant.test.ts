import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { PayVia } from "../../sdk/src/capacity";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import { DAY, deployCapacityFixture, HOUR, USDC, type CapacityFixture } from "../helpers/capacity";

/**
 * Invariants K1-K5 of test/invariant/README.md, checked by random sequences of capacity actions (mint, transfer,
 * redeem, list, buy by either payment path, bid, fill, cancel, suspend or reinstate a member, time) on alpha's data
 * class, against a TypeScript model that predicts every outcome or its refusal. After each action every unit balance,
 * the class's supply, every member's free vault balance and every order's remaining quantity are compared with it.
 */

const SEQUENCES = campaignSize("CAPACITY_INVARIANT_RUNS", 60, 2, "INVARIANT_RUNS");
const DEPTH = campaignSize("CAPACITY_INVARIANT_DEPTH", 30, 6, "INVARIANT_DEPTH");
const stats = { actions: 0, refused: 0, fills: 0 };

/** Members by index: 0 alpha (alice, the issuer), 1 beta (bob), 2 gamma (carol); 3 is the outsider eve. */
const PEOPLE = 4;

interface Order {
  owner: number;
  remaining: bigint;
  unitPrice: bigint;
  expiry: bigint;
}

interface Model {
  units: bigint[];
  minted: bigint;
  redeemed: bigint;
  /** Free vault balances (USDC) of the three members. */
  free: bigint[];
  /** ERC-20 wallets (USDC) of the three members' payout addresses (alpha, beta: their payouts; gamma: carol). */
  wallets: Map<string, bigint>;
  active: boolean[];
  listings: Order[];
  bids: Order[];
}

interface Real {
  f: CapacityFixture;
  people: HardhatEthersSigner[];
}

/** Sends are thunks, called only once the model has made its prediction: no transaction promise waits unhandled. */
async function refused(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await expect(tx).to.be.reverted;
  stats.refused++;
}

const now = async () => BigInt(await time.latest()) + 1n; // the next block's timestamp
const isMember = (m: Model, who: number) => who < 3 && m.active[who];

async function check(m: Model, real: Real): Promise<void> {
  const { f, people } = real;
  // K2, K4: every unit balance and every member's free vault balance is what the model says.
  const balances = await f.capacity.balanceOfBatch(
    people.map((p) => p.address),
    people.map(() => f.dataId),
  );
  expect(balances).to.deep.equal(m.units);
  for (let i = 0; i < 3; i++) expect(await f.vault.freeBalanceOf(i + 1, f.usdc)).to.equal(m.free[i]);
  for (const [address, amount] of m.wallets) expect(await f.usdc.balanceOf(address)).to.equal(amount);
  // K1: minted never exceeds the maximum, and the supply is what was minted less what was redeemed.
  const info = await f.capacity.classInfo(f.dataId);
  expect(info.minted).to.equal(m.minted);
  expect(m.minted <= info.maxSupply).to.equal(true);
  expect(await f.capacity["totalSupply(uint256)"](f.dataId)).to.equal(m.minted - m.redeemed);
  expect(m.units.reduce((s, u) => s + u, 0n)).to.equal(m.minted - m.redeemed);
  // K5: every order's remaining quantity.
  for (let i = 0; i < m.listings.length; i++) {
    expect((await f.market.getListing(i + 1)).remaining).to.equal(m.listings[i].remaining);
  }
  for (let i = 0; i < m.bids.length; i++)
    expect((await f.market.getBid(i + 1)).remaining).to.equal(m.bids[i].remaining);
}

class Mint implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const send = () => f.capacity.connect(people[0]).mint(f.dataId, people[this.to], this.amount, "0x");
    const t = await now();
    const ok =
      m.active[0] &&
      this.amount > 0n &&
      m.minted + this.amount <= 1_000n &&
      t < BigInt(f.data.validUntil) &&
      isMember(m, this.to);
    if (!ok) return refused(send());
    await send();
    m.minted += this.amount;
    m.units[this.to] += this.amount;
  }
  toString = () => `Mint(${this.to}, ${this.amount})`;
}

class Transfer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const send = () =>
      f.capacity
        .connect(people[this.from])
        .safeTransferFrom(people[this.from], people[this.to], f.dataId, this.amount, "0x");
    const ok = m.units[this.from] >= this.amount && (await now()) < BigInt(f.data.validUntil) && isMember(m, this.to);
    if (!ok) return refused(send());
    await send();
    m.units[this.from] -= this.amount;
    m.units[this.to] += this.amount;
  }
  toString = () => `Transfer(${this.from} -> ${this.to}, ${this.amount})`;
}

class Redeem implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const send = () => f.capacity.connect(people[this.who]).redeem(f.dataId, this.amount, ethers.ZeroHash);
    const t = await now();
    const ok =
      this.who < 3 &&
      this.amount > 0n &&
      m.units[this.who] >= this.amount &&
      t >= BigInt(f.data.validFrom) &&
      t < BigInt(f.data.validUntil);
    if (!ok) return refused(send());
    await send();
    m.units[this.who] -= this.amount;
    m.redeemed += this.amount;
  }
  toString = () => `Redeem(${this.who}, ${this.amount})`;
}

class List implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly seller: number,
    readonly quantity: bigint,
    readonly unitPrice: bigint,
    readonly days: number,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const t = await now();
    const expiry = t + BigInt(this.days * DAY);
    const send = () =>
      f.market.connect(people[this.seller]).list(f.dataId, f.usdc, this.unitPrice, this.quantity, expiry);
    const ok =
      isMember(m, this.seller) &&
      this.quantity > 0n &&
      m.units[this.seller] >= this.quantity &&
      t < BigInt(f.data.validUntil);
    if (!ok) return refused(send());
    await send();
    m.listings.push({ owner: this.seller, remaining: this.quantity, unitPrice: this.unitPrice, expiry });
  }
  toString = () => `List(${this.seller}, ${this.quantity} @ ${this.unitPrice}, ${this.days} d)`;
}

/**
 * A fill's quantity from a share of what remains: 0 stays 0 (refused), above 100% asks one unit too many (refused),
 * otherwise at least one unit.
 */
function fillQuantity(share: bigint, remaining: bigint): bigint {
  if (share === 0n) return 0n;
  if (share > 100n) return remaining + 1n;
  const q = (remaining * share) / 100n;
  return q === 0n ? 1n : q;
}

class Buy implements fc.AsyncCommand<Model, Real> {
  quantity = 0n;
  constructor(
    readonly buyer: number,
    readonly index: number,
    readonly share: bigint,
    readonly direct: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.listings.length > 0;
  async run(m: Model, { f, people }: Real) {
    const id = (this.index % m.listings.length) + 1;
    const l = m.listings[id - 1];
    this.quantity = fillQuantity(this.share, l.remaining);
    const price = this.quantity * l.unitPrice;
    const payout =
      l.owner === 0
        ? f.accounts.alicePayout.address
        : l.owner === 1
          ? f.accounts.bobPayout.address
          : f.accounts.carol.address;
    const buyerWallet = people[this.buyer].address;
    const send = () =>
      f.market.connect(people[this.buyer]).buy(id, this.quantity, this.direct ? PayVia.Direct : PayVia.Vault);
    const t = await now();
    const funds = this.direct ? (m.wallets.get(buyerWallet) ?? 0n) : (m.free[this.buyer] ?? 0n);
    const ok =
      l.remaining > 0n &&
      t <= l.expiry &&
      this.quantity > 0n &&
      this.quantity <= l.remaining &&
      isMember(m, this.buyer) &&
      this.buyer !== l.owner &&
      m.active[l.owner] &&
      funds >= price &&
      m.units[l.owner] >= this.quantity &&
      t < BigInt(f.data.validUntil);
    if (!ok) return refused(send());
    await send();
    stats.fills++;
    l.remaining -= this.quantity;
    m.units[l.owner] -= this.quantity;
    m.units[this.buyer] += this.quantity;
    if (this.direct) {
      m.wallets.set(buyerWallet, funds - price);
      m.wallets.set(payout, (m.wallets.get(payout) ?? 0n) + price);
    } else {
      m.free[this.buyer] -= price;
      m.free[l.owner] += price;
    }
  }
  toString = () => `Buy(${this.buyer}, #${this.index}, ${this.share}%, ${this.direct ? "direct" : "vault"})`;
}

class PlaceBid implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly buyer: number,
    readonly quantity: bigint,
    readonly unitPrice: bigint,
    readonly days: number,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const t = await now();
    const expiry = t + BigInt(this.days * DAY);
    const send = () =>
      f.market.connect(people[this.buyer]).bid(f.dataId, f.usdc, this.unitPrice, this.quantity, expiry);
    if (!isMember(m, this.buyer) || this.quantity === 0n || t >= BigInt(f.data.validUntil)) return refused(send());
    await send();
    m.bids.push({ owner: this.buyer, remaining: this.quantity, unitPrice: this.unitPrice, expiry });
  }
  toString = () => `Bid(${this.buyer}, ${this.quantity} @ ${this.unitPrice}, ${this.days} d)`;
}

class FillBid implements fc.AsyncCommand<Model, Real> {
  quantity = 0n;
  constructor(
    readonly seller: number,
    readonly index: number,
    readonly share: bigint,
  ) {}
  check = (m: Readonly<Model>) => m.bids.length > 0;
  async run(m: Model, { f, people }: Real) {
    const id = (this.index % m.bids.length) + 1;
    const b = m.bids[id - 1];
    this.quantity = fillQuantity(this.share, b.remaining);
    const price = this.quantity * b.unitPrice;
    const send = () => f.market.connect(people[this.seller]).fillBid(id, this.quantity);
    const t = await now();
    const ok =
      b.remaining > 0n &&
      t <= b.expiry &&
      this.quantity > 0n &&
      this.quantity <= b.remaining &&
      isMember(m, this.seller) &&
      this.seller !== b.owner &&
      m.active[b.owner] &&
      m.free[b.owner] >= price &&
      m.units[this.seller] >= this.quantity &&
      t < BigInt(f.data.validUntil);
    if (!ok) return refused(send());
    await send();
    stats.fills++;
    b.remaining -= this.quantity;
    m.units[this.seller] -= this.quantity;
    m.units[b.owner] += this.quantity;
    m.free[b.owner] -= price;
    m.free[this.seller] += price;
  }
  toString = () => `FillBid(${this.seller}, #${this.index}, ${this.share}%)`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly index: number,
    readonly bid: boolean,
  ) {}
  check = (m: Readonly<Model>) => (this.bid ? m.bids : m.listings).length > 0;
  async run(m: Model, { f, people }: Real) {
    const orders = this.bid ? m.bids : m.listings;
    const id = (this.index % orders.length) + 1;
    const o = orders[id - 1];
    const market = f.market.connect(people[this.who]);
    const send = () => (this.bid ? market.cancelBid(id) : market.cancelListing(id));
    if (o.remaining === 0n || o.owner !== this.who) return refused(send());
    await send();
    o.remaining = 0n;
  }
  toString = () => `Cancel(${this.who}, ${this.bid ? "bid" : "listing"} #${this.index})`;
}

class SetStatus implements fc.AsyncCommand<Model, Real> {
  constructor(readonly who: number) {}
  check = () => true;
  async run(m: Model, { f }: Real) {
    const a = f.accounts;
    if (m.active[this.who]) {
      await f.registry.connect(a.pauser).suspendOperator(this.who + 1, ethers.ZeroHash);
    } else {
      const data = f.registry.interface.encodeFunctionData("reinstateOperator", [this.who + 1, ethers.ZeroHash]);
      await f.manager.connect(a.governor).schedule(f.registry, data, 0);
      await time.increase(2 * DAY);
      await f.manager.connect(a.governor).execute(f.registry, data);
    }
    m.active[this.who] = !m.active[this.who];
  }
  toString = () => `ToggleStatus(${this.who})`;
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run() {
    await time.increase(this.seconds);
  }
  toString = () => `Wait(${this.seconds})`;
}

const checked = (command: fc.AsyncCommand<Model, Real>) => checkedCommand(command, stats, check);

/** The capacity fixture with every member's admin approving the market, and bob and carol approving USDC to it. */
async function invariantFixture(): Promise<CapacityFixture> {
  const f = await deployCapacityFixture();
  for (const who of [f.accounts.bob, f.accounts.carol]) {
    await f.capacity.connect(who).setApprovalForAll(f.market, true);
  }
  for (const who of [f.accounts.alice, f.accounts.bob, f.accounts.carol]) {
    await f.usdc.connect(who).approve(f.market, ethers.MaxUint256);
  }
  return f;
}

describe("Invariants: CapacityToken and CapacityMarket (model-based random sequences)", () => {
  it(`should hold over ${SEQUENCES} random sequences of up to ${DEPTH} capacity actions`, async () => {
    const person = fc.nat(PEOPLE - 1);
    const member = fc.nat(2);
    // Mostly small quantities and prices that funds cover, sometimes zero or too much (refusals are predicted too).
    const quantity = fc.oneof(fc.bigInt(1n, 15n), fc.bigInt(1n, 15n), fc.bigInt(0n, 120n));
    const price = fc.oneof(fc.bigInt(1n, 100n * USDC), fc.bigInt(1n, 100n * USDC), fc.bigInt(1n, 20_000n * USDC));
    // Alpha holds the units at first: let it sell more often; members buy more often than the outsider.
    const seller = fc.constantFrom(0, 0, 1, 2, 3);
    const buyer = fc.constantFrom(1, 2, 1, 2, 0, 3);
    const share = fc.oneof(fc.bigInt(1n, 100n), fc.bigInt(1n, 100n), fc.bigInt(1n, 100n), fc.constantFrom(0n, 101n));
    const index = fc.nat(3);
    const commands = [
      fc.tuple(person, fc.bigInt(0n, 400n)).map(([to, n]) => new Mint(to, n)),
      fc.tuple(member, person, quantity).map(([a, b, n]) => new Transfer(a, b, n)),
      fc.tuple(person, quantity).map(([w, n]) => new Redeem(w, n)),
      fc.tuple(seller, quantity, price, fc.integer({ min: 1, max: 10 })).map(([s, n, p, d]) => new List(s, n, p, d)),
      fc.tuple(seller, quantity, price, fc.integer({ min: 1, max: 10 })).map(([s, n, p, d]) => new List(s, n, p, d)),
      fc.tuple(buyer, index, share, fc.boolean()).map(([b, i, n, d]) => new Buy(b, i, n, d)),
      fc.tuple(buyer, index, share, fc.boolean()).map(([b, i, n, d]) => new Buy(b, i, n, d)),
      fc.tuple(buyer, quantity, price, fc.integer({ min: 1, max: 10 })).map(([b, n, p, d]) => new PlaceBid(b, n, p, d)),
      fc.tuple(seller, index, share).map(([s, i, n]) => new FillBid(s, i, n)),
      fc.tuple(seller, index, share).map(([s, i, n]) => new FillBid(s, i, n)),
      fc.tuple(person, index, fc.boolean()).map(([w, i, b]) => new Cancel(w, i, b)),
      member.map((w) => new SetStatus(w)),
      // Odd offsets keep every deadline (expiries, validity) clear of the blocks' timestamps by more than clock drift.
      fc.constantFrom(HOUR + 17, HOUR + 17, DAY + 1_234, 3 * DAY + 4_321, 12 * DAY + 777).map((s) => new Wait(s)),
    ].map((arb) => arb.map(checked));

    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: DEPTH, size: "max" }), async (cmds) => {
        const f = await loadFixture(invariantFixture);
        const a = f.accounts;
        const people = [a.alice, a.bob, a.carol, a.eve];
        const wallets = new Map<string, bigint>();
        for (const w of [a.alice, a.bob, a.carol, a.eve, a.alicePayout, a.bobPayout]) {
          wallets.set(w.address, await f.usdc.balanceOf(w));
        }
        const free = await Promise.all([1, 2, 3].map((id) => f.vault.freeBalanceOf(id, f.usdc)));
        const model: Model = {
          units: [100n, 0n, 0n, 0n],
          minted: 100n,
          redeemed: 0n,
          free,
          wallets,
          active: [true, true, true],
          listings: [],
          bids: [],
        };
        await fc.asyncModelRun(() => ({ model, real: { f, people } }), cmds);
      }),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      capacity invariant campaign: ${stats.actions} actions (${stats.fills} fills), ${stats.refused} refused as predicted`,
    );
  });
});
