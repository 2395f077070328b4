import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionReceipt, Interface } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { classIdOf, PayVia, type ClassTerms } from "../../sdk/src/capacity";
import type { AgreementTerms } from "../../sdk/src";
import type {
  CapacityMarket,
  CapacityToken,
  ClearingInspector,
  MockStablecoin,
  VaultInspector,
} from "../../sdk/src/typechain";
import { DAY, discountTariff, signedOffer } from "../helpers/agreements";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import { dataTerms, sliceTerms } from "../helpers/capacity";
import { deployClearingFixture, type ClearingFixture } from "../helpers/clearing";
import {
  asGovernor,
  attempt,
  checkClearing,
  clearingArbitraries,
  count,
  newStats,
  pick,
  pin,
  type CampaignWorld,
} from "../helpers/clearingCampaign";
import { agreementModel, ClearingModel, type AgreementModel } from "../helpers/clearingModel";
import { scheduleAndExecute } from "../helpers/fixtures";
import {
  checkVault,
  eventsOf,
  expectEvents,
  MAX_OBLIGATION,
  VaultLedger,
  type ExpectedEvent,
  type RawAccount,
  type Refusal,
} from "../helpers/ledger";
import { fillRef } from "../helpers/market";
import { Svc } from "../helpers/rating";
import { CYCLE } from "../helpers/vault";

/**
 * Invariants E1-E5 of test/invariant/README.md: end-to-end solvency of the real suite (no account stands in for a
 * suite contract). Random sequences of actions across clearing (submissions, acceptance, finalization, disputes,
 * resolutions, rejections, fraud proofs, vouchers, escalations), period settlement (a true-up in parts too), the
 * capacity token (a data class and a slice class with SLA credits: mint, transfer, SLA breaches), the market (listings
 * bought through the vault or by direct payment, bids and fills, in two tokens) and the vault (deposits, withdrawals,
 * queue processing, cycle closes, donations, the second token disallowed and allowed again), between alpha, beta and
 * gamma. The clearing and the vault are predicted exactly by the models of test/helpers/clearingModel.ts and
 * ledger.ts; capacity and market outcomes by the model below; an SLA breach's credits are taken from its receipt (the
 * crediting rule is K7's, checked by capacity-sla.invariant.test.ts), but every vault event they cause is predicted. After every
 * action: per token, the vault's balance equals its liabilities plus its surplus, the liabilities equal the members'
 * accounts, and every account is the model's; the clearing's views are the model's too.
 *
 * CI: SUITE_INVARIANT_RUNS sequences of up to SUITE_INVARIANT_DEPTH actions (else INVARIANT_RUNS, INVARIANT_DEPTH).
 */

const SEQUENCES = campaignSize("SUITE_INVARIANT_RUNS", 30, 2, "INVARIANT_RUNS");
const DEPTH = campaignSize("SUITE_INVARIANT_DEPTH", 60, 8, "INVARIANT_DEPTH");
const ESCALATION_TIMEOUT = 30n * BigInt(DAY);
const UNIT = 1_000_000n;
/** A3's direction-0 condition: a send-or-pay commitment above what 8 vault obligations carry. */
const HUGE_CONDITION = {
  kind: 2,
  includingTaxes: false,
  includedServices: 1 << Svc.VoiceMO,
  commitment: 11n * MAX_OBLIGATION + 3n,
};

const stats = newStats();
/** Units each member holds at first, by member (alpha, beta, gamma) and class (data, slice). */
const INITIAL_UNITS: readonly (readonly bigint[])[] = [
  [100n, 10n],
  [20n, 3n],
  [0n, 3n],
];

interface ClassModel {
  terms: ClassTerms;
  id: bigint;
  minted: bigint;
}

interface Order {
  /** Member index (0 alpha, 1 beta, 2 gamma). */
  owner: number;
  cls: number;
  token: number;
  unitPrice: bigint;
  remaining: bigint;
  expiry: bigint;
}

interface Fixture extends ClearingFixture {
  a3: { agreementId: string; terms: AgreementTerms };
  eurc: MockStablecoin;
  classes: { terms: ClassTerms; id: bigint; minted: bigint }[];
  clearingInspector: ClearingInspector;
  vaultInspector: VaultInspector;
  tokens: {
    token: MockStablecoin;
    address: string;
    config: TokenConfig;
    liabilities: bigint;
    accounts: [bigint, RawAccount][];
  }[];
}

interface TokenConfig {
  allowed: boolean;
  cycle: bigint;
  openEnd: bigint;
  nextCycleLength: bigint;
}

interface World extends CampaignWorld {
  f: Fixture;
  capacity: CapacityToken;
  market: CapacityMarket;
  /** The three members' admins, by index (0 alpha, 1 beta, 2 gamma). */
  people: HardhatEthersSigner[];
  classes: ClassModel[];
  /** Units by member index and class index. */
  units: bigint[][];
  listings: Order[];
  bids: Order[];
  /** Whether the second token is allowed in the vault now. */
  secondAllowed: boolean;
}

type Cmd = fc.AsyncCommand<World, World>;

/*//////////////////////////////////////////////////////////////////////////
                                  INVARIANTS
//////////////////////////////////////////////////////////////////////////*/

/** E1-E5 on the vault (both tokens), the clearing, the units and the supplies. */
async function check(w: World): Promise<void> {
  await checkVault(w.vault, w.vaultInspector, w.ledger);
  await checkClearing(w);
  const ids = w.classes.map((c) => c.id);
  const balances = await w.capacity.balanceOfBatch(
    w.classes.flatMap(() => w.people.map((p) => p.address)),
    ids.flatMap((id) => w.people.map(() => id)),
  );
  expect(balances, "units held").to.deep.equal(w.classes.flatMap((_, c) => w.people.map((__, p) => w.units[p][c])));
  for (const cls of w.classes) {
    expect((await w.capacity.classInfo(cls.id)).minted, "K1: minted").to.equal(cls.minted);
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   HELPERS
//////////////////////////////////////////////////////////////////////////*/

/** Compares the vault's and another contract's events of a receipt with the predictions. */
function expectAll(
  w: World,
  receipt: ContractTransactionReceipt,
  others: [{ interface: Interface; target: unknown }, ExpectedEvent[]][] = [],
): void {
  const e = w.m.takeEvents();
  expectEvents(w.clearing, receipt, e.clearing, "clearing events");
  expectEvents(w.settlement, receipt, e.settlement, "settlement events");
  expectEvents(w.vault, receipt, e.vault, "vault events");
  for (const [contract, events] of others) expectEvents(contract, receipt, events, "events");
}

const memberId = (i: number) => BigInt(i + 1);

function classExpired(w: World, c: ClassModel, now: bigint): Refusal | undefined {
  const until = BigInt(c.terms.validUntil);
  return now >= until ? { on: w.capacity, name: "CapacityToken_ClassExpired", args: [c.id, until] } : undefined;
}

/*//////////////////////////////////////////////////////////////////////////
                              CAPACITY AND MARKET
//////////////////////////////////////////////////////////////////////////*/

/** The issuer (alpha) mints units of a class to a member. */
class Mint implements Cmd {
  constructor(
    readonly cls: number,
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(w: World) {
    const now = await pin();
    const c = pick(w.classes, this.cls);
    const max = BigInt(c.terms.maxSupply);
    const refusal: Refusal | undefined =
      this.amount === 0n
        ? { on: w.capacity, name: "CapacityToken_ZeroAmount", args: [] }
        : this.amount > max - c.minted
          ? { on: w.capacity, name: "CapacityToken_ExceedsMaxSupply", args: [c.id, c.minted, this.amount, max] }
          : classExpired(w, c, now);
    const to = w.people[this.to % 3];
    const receipt = await attempt(w, () => w.capacity.connect(w.people[0]).mint(c.id, to, this.amount, "0x"), refusal);
    if (receipt === undefined) return;
    c.minted += this.amount;
    w.units[this.to % 3][w.classes.indexOf(c)] += this.amount;
    expectAll(w, receipt);
    count(w, "mints");
  }
  toString = () => `Mint(class ${this.cls}, to ${this.to % 3}, ${this.amount})`;
}

class Transfer implements Cmd {
  constructor(
    readonly cls: number,
    readonly from: number,
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(w: World) {
    const now = await pin();
    const ci = this.cls % w.classes.length;
    const c = w.classes[ci];
    const [from, to] = [this.from % 3, this.to % 3];
    const held = w.units[from][ci];
    const refusal: Refusal | undefined =
      classExpired(w, c, now) ??
      (this.amount > held
        ? {
            on: w.capacity,
            name: "ERC1155InsufficientBalance",
            args: [w.people[from].address, held, this.amount, c.id],
          }
        : undefined);
    const holder = w.people[from];
    const send = () => w.capacity.connect(holder).safeTransferFrom(holder, w.people[to], c.id, this.amount, "0x");
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.units[from][ci] -= this.amount;
    w.units[to][ci] += this.amount;
    expectAll(w, receipt);
    count(w, "transfers");
  }
  toString = () => `Transfer(class ${this.cls}, ${this.from % 3} -> ${this.to % 3}, ${this.amount})`;
}

/** The revert data of a failed send, whatever layer reported it. */
function revertData(error: unknown): string | undefined {
  let e = error as { data?: unknown; error?: unknown; info?: { error?: unknown } } | undefined;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    if (typeof e.data === "string" && e.data.startsWith("0x")) return e.data;
    e = (e.error ?? e.info?.error) as typeof e;
  }
  return undefined;
}

/**
 * The issuer records an SLA breach of the slice class, crediting some holders. Which holders are credited, and how
 * much, is the capacity token's rule (tested in its unit tests, and being changed): the action accepts any outcome
 * the token decides, a refusal only with one of the token's own errors. Every credit it records must reach the vault
 * as an obligation from the issuer in the class's credit token, in whatever status the token is (allowed or not), and
 * the vault's treatment of each (applied or queued) is predicted exactly.
 */
class RecordSlaBreach implements Cmd {
  constructor(
    readonly endHoursAgo: number,
    readonly hours: number,
    readonly holders: number,
    readonly evidence: number,
  ) {}
  check = () => true;
  async run(w: World) {
    const now = await pin();
    const slice = w.classes[1];
    const to = now - BigInt(this.endHoursAgo * 3600);
    const from = to - BigInt(this.hours * 3600);
    const holders = w.people.filter((_, i) => (this.holders >> i) & 1).map((p) => p.address);
    const send = () =>
      w.capacity
        .connect(w.people[0])
        .recordSlaBreach(slice.terms, from, to, ethers.id(`evidence ${this.evidence}`), holders);
    let receipt: ContractTransactionReceipt | null;
    try {
      receipt = await (await send()).wait();
    } catch (error) {
      const data = revertData(error);
      const parsed = data === undefined ? null : w.capacity.interface.parseError(data);
      expect(parsed?.name ?? String(error), "an SLA breach is refused only by the capacity token's own rules").to.match(
        /^CapacityToken_/,
      );
      w.stats.refused++;
      w.stats.refusals[parsed!.name] = (w.stats.refusals[parsed!.name] ?? 0) + 1;
      return;
    }
    if (receipt === null) throw new Error("not mined");
    // Every credit is an obligation of the issuer in the credit token; the ledger predicts what the vault does of it.
    const creditToken = String(slice.terms.slice.creditToken);
    for (const e of eventsOf(w.vault, receipt)) {
      if (e.name !== "ObligationApplied" && e.name !== "ObligationQueued") continue;
      const [token, payer, payee] = e.args as [string, bigint, bigint];
      expect([token.toLowerCase(), payer], "E2: an SLA credit is owed by the issuer in the credit token").to.deep.equal(
        [creditToken.toLowerCase(), memberId(0)],
      );
      const amount = e.args[4] as bigint;
      const ref = e.args[5] as string;
      w.ledger.record(token, payer, payee, amount, ref);
      count(w, "slaCredits");
    }
    expectAll(w, receipt);
    count(w, "slaBreaches");
  }
  toString = () =>
    `RecordSlaBreach(${this.hours} h ending ${this.endHoursAgo} h ago, holders ${this.holders}, ${this.evidence})`;
}

/** Why an order (listing or bid) is refused by the checks both share. */
function orderRefusal(w: World, c: ClassModel, token: number, quantity: bigint, now: bigint): Refusal | undefined {
  if (quantity === 0n) return { on: w.market, name: "CapacityMarket_ZeroQuantity", args: [] };
  if (token === 1 && !w.secondAllowed) {
    return { on: w.market, name: "CapacityMarket_TokenNotAllowed", args: [w.tokens[1].address] };
  }
  if (now >= BigInt(c.terms.validUntil)) return { on: w.market, name: "CapacityMarket_ClassNotTradable", args: [c.id] };
  return undefined;
}

/** K5's orders: a listing (the seller must hold the units) or a bid, in either token, expiring `days` from now. */
class PlaceOrder implements Cmd {
  constructor(
    readonly side: "list" | "bid",
    readonly owner: number,
    readonly cls: number,
    readonly token: number,
    readonly unitPrice: bigint,
    readonly quantity: bigint,
    readonly days: number,
  ) {}
  check = () => true;
  async run(w: World) {
    const now = await pin();
    const ci = this.cls % w.classes.length;
    const c = w.classes[ci];
    const owner = this.owner % 3;
    const token = this.token % 2;
    const expiry = now + BigInt(this.days * DAY);
    const held = w.units[owner][ci];
    const refusal =
      orderRefusal(w, c, token, this.quantity, now) ??
      (this.side === "list" && held < this.quantity
        ? { on: w.market, name: "CapacityMarket_InsufficientBalance", args: [c.id, held, this.quantity] }
        : undefined);
    const market = w.market.connect(w.people[owner]);
    const args = [c.id, w.tokens[token].address, this.unitPrice, this.quantity, expiry] as const;
    const send = () => (this.side === "list" ? market.list(...args) : market.bid(...args));
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    const order = { owner, cls: ci, token, unitPrice: this.unitPrice, remaining: this.quantity, expiry };
    (this.side === "list" ? w.listings : w.bids).push(order);
    expectAll(w, receipt);
    count(w, this.side === "list" ? "listings" : "bids");
  }
  toString = () =>
    `${this.side === "list" ? "List" : "Bid"}(${this.owner % 3}, class ${this.cls}, token ${this.token % 2}, ` +
    `${this.quantity} @ ${this.unitPrice})`;
}

/** A fill's quantity from a share of what remains: 0 stays 0, above 100% asks one unit too many. */
function fillQuantity(share: number, remaining: bigint): bigint {
  if (share === 0) return 0n;
  if (share > 100) return remaining + 1n;
  const q = (remaining * BigInt(share)) / 100n;
  return q === 0n ? 1n : q;
}

/** The checks a purchase and a bid fill share on the order (`_checkFill`), then self-trade. */
function fillRefusal(
  w: World,
  id: number,
  o: Order,
  quantity: bigint,
  taker: number,
  now: bigint,
): Refusal | undefined {
  if (o.remaining === 0n) return { on: w.market, name: "CapacityMarket_Closed", args: [id] };
  if (now > o.expiry) return { on: w.market, name: "CapacityMarket_Expired", args: [id, o.expiry] };
  if (quantity === 0n) return { on: w.market, name: "CapacityMarket_ZeroQuantity", args: [] };
  if (quantity > o.remaining) {
    return { on: w.market, name: "CapacityMarket_InsufficientRemaining", args: [id, o.remaining, quantity] };
  }
  if (taker === o.owner) return { on: w.market, name: "CapacityMarket_SelfTrade", args: [memberId(taker)] };
  return undefined;
}

/** E3: a purchase pays exactly its price, from the buyer's free vault balance or by a direct transfer, for the units. */
class Buy implements Cmd {
  constructor(
    readonly buyer: number,
    readonly listing: number,
    readonly share: number,
    readonly direct: boolean,
  ) {}
  check = (w: Readonly<World>) => w.listings.length > 0;
  async run(w: World) {
    const now = await pin();
    const id = (this.listing % w.listings.length) + 1;
    const l = w.listings[id - 1];
    const c = w.classes[l.cls];
    const buyer = this.buyer % 3;
    const quantity = fillQuantity(this.share, l.remaining);
    const price = quantity * l.unitPrice;
    const token = w.tokens[l.token].address;
    const payout = w.payouts.get(memberId(l.owner))!;
    const buyerAdmin = w.people[buyer];
    const erc20 = w.tokens[l.token].token;
    const [balance, payoutBefore] = [await erc20.balanceOf(buyerAdmin), await erc20.balanceOf(payout)];
    const sellerHeld = w.units[l.owner][l.cls];
    const refusal: Refusal | undefined =
      fillRefusal(w, id, l, quantity, buyer, now) ??
      (this.direct && l.token === 1 && !w.secondAllowed
        ? { on: w.market, name: "CapacityMarket_TokenNotAllowed", args: [token] }
        : undefined) ??
      (this.direct
        ? balance < price
          ? {
              on: w.tokens[l.token].token,
              name: "ERC20InsufficientBalance",
              args: [buyerAdmin.address, balance, price],
            }
          : undefined
        : w.ledger.transferRefusal(w.vault, token, memberId(buyer), price)) ??
      classExpired(w, c, now) ??
      (sellerHeld < quantity
        ? {
            on: w.capacity,
            name: "ERC1155InsufficientBalance",
            args: [w.people[l.owner].address, sellerHeld, quantity, c.id],
          }
        : undefined);
    const send = () => w.market.connect(buyerAdmin).buy(id, quantity, this.direct ? PayVia.Direct : PayVia.Vault);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    l.remaining -= quantity;
    w.units[l.owner][l.cls] -= quantity;
    w.units[buyer][l.cls] += quantity;
    if (!this.direct) w.ledger.transferFree(token, memberId(buyer), memberId(l.owner), price, fillRef(0, BigInt(id)));
    const market: ExpectedEvent[] = [
      {
        name: "Bought",
        args: [id, memberId(buyer), buyerAdmin.address, quantity, price, this.direct ? PayVia.Direct : PayVia.Vault],
      },
    ];
    expectAll(w, receipt, [[w.market, market]]);
    expect((await w.market.getListing(id)).remaining, "K5: what remains of a listing").to.equal(l.remaining);
    if (this.direct) {
      // E3: a direct payment moves exactly the price from the buyer's wallet to the seller's payout address.
      expect([await erc20.balanceOf(buyerAdmin), await erc20.balanceOf(payout)], "E3: direct payment").to.deep.equal([
        balance - price,
        payoutBefore + price,
      ]);
    }
    count(w, this.direct ? "directBuys" : "vaultBuys");
  }
  toString = () =>
    `Buy(${this.buyer % 3}, listing ${this.listing}, ${this.share}%, ${this.direct ? "direct" : "vault"})`;
}

class FillBid implements Cmd {
  constructor(
    readonly seller: number,
    readonly bid: number,
    readonly share: number,
  ) {}
  check = (w: Readonly<World>) => w.bids.length > 0;
  async run(w: World) {
    const now = await pin();
    const id = (this.bid % w.bids.length) + 1;
    const b = w.bids[id - 1];
    const c = w.classes[b.cls];
    const seller = this.seller % 3;
    const quantity = fillQuantity(this.share, b.remaining);
    const price = quantity * b.unitPrice;
    const token = w.tokens[b.token].address;
    const held = w.units[seller][b.cls];
    const refusal: Refusal | undefined =
      fillRefusal(w, id, b, quantity, seller, now) ??
      w.ledger.transferRefusal(w.vault, token, memberId(b.owner), price) ??
      classExpired(w, c, now) ??
      (held < quantity
        ? {
            on: w.capacity,
            name: "ERC1155InsufficientBalance",
            args: [w.people[seller].address, held, quantity, c.id],
          }
        : undefined);
    const receipt = await attempt(w, () => w.market.connect(w.people[seller]).fillBid(id, quantity), refusal);
    if (receipt === undefined) return;
    b.remaining -= quantity;
    w.units[seller][b.cls] -= quantity;
    w.units[b.owner][b.cls] += quantity;
    w.ledger.transferFree(token, memberId(b.owner), memberId(seller), price, fillRef(1, BigInt(id)));
    const market: ExpectedEvent[] = [
      { name: "BidFilled", args: [id, memberId(seller), w.people[seller].address, quantity, price] },
    ];
    expectAll(w, receipt, [[w.market, market]]);
    expect((await w.market.getBid(id)).remaining, "K5: what remains of a bid").to.equal(b.remaining);
    count(w, "bidFills");
  }
  toString = () => `FillBid(${this.seller % 3}, bid ${this.bid}, ${this.share}%)`;
}

/*//////////////////////////////////////////////////////////////////////////
                                     VAULT
//////////////////////////////////////////////////////////////////////////*/

/** Someone sends tokens straight to the vault: its surplus, owed to no member. */
class Donate implements Cmd {
  constructor(
    readonly token: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(w: World) {
    const t = w.tokens[this.token % 2];
    const donor = w.f.accounts.dave;
    await pin();
    await t.token.mint(donor, this.amount);
    await pin();
    await (await t.token.connect(donor).transfer(w.vault, this.amount)).wait();
    w.ledger.donate(t.address, this.amount);
    count(w, "donations");
  }
  toString = () => `Donate(token ${this.token % 2}, ${this.amount})`;
}

/**
 * E4: the governor disallows the second token, or allows it again. Disallowed, it takes no new business (orders,
 * vault-paid fills, deposits from members with nothing queued), yet everything owed in it still reaches the vault.
 */
class ToggleToken implements Cmd {
  check = () => true;
  async run(w: World) {
    const token = w.tokens[1].address;
    const vault = await w.vault.getAddress();
    const data = w.secondAllowed
      ? w.vault.interface.encodeFunctionData("disallowToken", [token])
      : w.vault.interface.encodeFunctionData("allowToken", [token, CYCLE]);
    const receipt = await asGovernor(w, vault, data);
    if (w.secondAllowed) w.ledger.disallow(token);
    else w.ledger.allow(token, BigInt(CYCLE), 6n);
    w.secondAllowed = !w.secondAllowed;
    expectAll(w, receipt);
    count(w, w.secondAllowed ? "allowed" : "disallowed");
  }
  toString = () => "ToggleToken";
}

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

/**
 * The clearing fixture (alpha, beta, gamma; the fixture token, with alpha and beta's deposits; agreement A1 in clearing),
 * a second token allowed in the vault, agreement A3 in it (a send-or-pay commitment whose true-up is recorded in parts),
 * alpha's data and slice classes (SLA credits in the second token), everyone's approvals, gamma's deposit.
 */
async function suiteFixture(): Promise<Fixture> {
  const f = await deployClearingFixture();
  const a = f.accounts;
  const people = [a.alice, a.bob, a.carol];
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  const eurc = (await ethers.deployContract("MockStablecoin", ["Euro Coin", "EURC", 6])) as unknown as MockStablecoin;
  const eurcAddress = await eurc.getAddress();
  const vaultAddress = await f.vault.getAddress();
  const allow = f.vault.interface.encodeFunctionData("allowToken", [eurcAddress, CYCLE]);
  await scheduleAndExecute(f.manager, a.governor, vaultAddress, allow);
  for (const token of [f.token, eurc]) {
    for (const p of people) {
      await token.mint(p, 1_000_000n * UNIT);
      await token.connect(p).approve(f.vault, ethers.MaxUint256);
      await token.connect(p).approve(f.market, ethers.MaxUint256);
    }
  }
  await f.vault.connect(a.carol).deposit(f.gamma, f.token, 100_000n * UNIT);
  const a3Terms: AgreementTerms = {
    ...f.terms,
    validFrom: BigInt(f.terms.validFrom),
    token: eurcAddress,
    conditions: [HUGE_CONDITION, { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0n }],
  };
  const offer = await signedOffer(f, { terms: a3Terms, nonce: 79n });
  await f.agreements.connect(a.bob).acceptOffer(offer.offer, offer.signature);
  const a3 = { agreementId: await f.agreements.agreementIdOf(offer.offerHash, f.beta), terms: a3Terms };
  await f.clearing.enableClearing(a3.agreementId, a3Terms, [f.tariff, f.tariff]);
  // Alpha's classes, valid for 200 days from tomorrow: data units to alice (100) and bob (20), slice units to alice (10),
  // bob and carol (3 each).
  const now = BigInt(await time.latest());
  const long = { validUntil: now + 200n * BigInt(DAY) };
  const data = dataTerms({ alpha: f.alpha, now }, long);
  const slice = sliceTerms({ alpha: f.alpha, now }, eurcAddress, 2n * UNIT, long);
  const classes = [];
  for (const [terms, units] of [
    [data, INITIAL_UNITS.map((u) => u[0])],
    [slice, INITIAL_UNITS.map((u) => u[1])],
  ] as const) {
    await f.capacity.connect(a.alice).createClass(terms, "");
    const id = classIdOf(terms);
    for (const [i, n] of units.entries()) if (n > 0n) await f.capacity.connect(a.alice).mint(id, people[i], n, "0x");
    classes.push({ terms, id, minted: units.reduce((x, y) => x + y, 0n) });
  }
  for (const p of people) await f.capacity.connect(p).setApprovalForAll(f.market, true);
  const clearingInspector = (await ethers.deployContract("ClearingInspector")) as unknown as ClearingInspector;
  const vaultInspector = (await ethers.deployContract("VaultInspector")) as unknown as VaultInspector;
  const tokens = [];
  for (const token of [f.token, eurc]) {
    const v = await vaultInspector.inspect(f.vault, token, [f.alpha, f.beta, f.gamma]);
    tokens.push({
      token,
      address: await token.getAddress(),
      config: {
        allowed: v.config.allowed,
        cycle: v.config.cycle,
        openEnd: v.config.openEnd,
        nextCycleLength: v.config.nextCycleLength,
      },
      liabilities: v.liabilities,
      accounts: v.members.map(
        (x) =>
          [x.id, { balance: x.raw.balance, position: x.raw.position, cycle: x.raw.cycle, queued: x.raw.queued }] as [
            bigint,
            RawAccount,
          ],
      ),
    });
    expect(await f.vault.surplus(token), "no surplus at first").to.equal(0n);
  }
  return { ...f, a3, eurc, classes, clearingInspector, vaultInspector, tokens };
}

function newWorld(f: Fixture): World {
  const a = f.accounts;
  const members = [f.alpha, f.beta, f.gamma];
  const ledger = new VaultLedger(members);
  for (const t of f.tokens) {
    ledger.seedToken(t.address, t.config, t.liabilities, 0n);
    for (const [id, raw] of t.accounts) ledger.seedAccount(t.address, id, raw);
  }
  const common = { partyA: f.alpha, partyB: f.beta, uncovered: Svc.VoiceMT, tariff: f.tariff };
  const agreements: AgreementModel[] = [
    agreementModel({
      ...common,
      name: "A1",
      id: f.agreementId,
      token: f.tokenAddress,
      terms: f.terms,
      tariffs: [discountTariff()],
    }),
    agreementModel({
      ...common,
      name: "A3",
      id: f.a3.agreementId,
      token: f.tokens[1].address,
      terms: f.a3.terms,
      tariffs: [discountTariff()],
    }),
  ];
  const m = new ClearingModel(
    { clearing: f.clearing, settlement: f.settlement, vault: f.vault },
    ledger,
    agreements,
    ESCALATION_TIMEOUT,
  );
  const people = [a.alice, a.bob, a.carol];
  const payouts = new Map([
    [f.alpha, a.alicePayout.address],
    [f.beta, a.bobPayout.address],
    [f.gamma, a.carol.address],
  ]);
  return {
    f,
    clearing: f.clearing,
    settlement: f.settlement,
    vault: f.vault,
    manager: f.manager,
    clearingInspector: f.clearingInspector,
    vaultInspector: f.vaultInspector,
    domain: f.clearingDomain,
    eve: a.eve,
    arbiter: a.arbiter,
    governor: a.governor,
    m,
    ledger,
    admins: new Map([
      [f.alpha, a.alice],
      [f.beta, a.bob],
      [f.gamma, a.carol],
    ]),
    keys: new Map([
      [f.alpha, a.aliceSigner],
      [f.beta, a.bobSigner],
    ]),
    payouts,
    members,
    operators: [f.alpha, f.beta],
    tokens: f.tokens.map((t) => ({ address: t.address, token: t.token })),
    resolutions: [],
    vouchers: [],
    stats,
    turn: 0,
    capacity: f.capacity,
    market: f.market,
    people,
    classes: f.classes.map((c) => ({ ...c })),
    units: INITIAL_UNITS.map((u) => [...u]),
    listings: [],
    bids: [],
    secondAllowed: true,
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                   CAMPAIGN
//////////////////////////////////////////////////////////////////////////*/

const checked = (command: Cmd) => checkedCommand(command, stats, check);

describe("Invariants: end-to-end solvency of the suite (model-based random sequences)", () => {
  it(`should hold over ${SEQUENCES} random sequences of up to ${DEPTH} actions across the suite`, async () => {
    const a = clearingArbitraries({ lanes: 4, agreements: 2, members: 3, tokens: 2 });
    const person = fc.nat(2);
    const seller = fc.constantFrom(0, 0, 1, 2);
    const buyer = fc.constantFrom(1, 2, 2, 0);
    const cls = fc.nat(1);
    const token = fc.nat(1);
    const quantity = fc.oneof(fc.bigInt(1n, 15n), fc.bigInt(1n, 15n), fc.bigInt(0n, 120n));
    const price = fc.oneof(fc.bigInt(1n, 100n * UNIT), fc.bigInt(1n, 100n * UNIT), fc.bigInt(1n, 50_000n * UNIT));
    const share = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), fc.constantFrom(0, 101));
    const index = fc.nat(20);
    const days = fc.integer({ min: 1, max: 20 });
    const commands: fc.Arbitrary<Cmd>[] = [
      // Clearing and settlement.
      a.submit,
      a.submit,
      a.submit,
      a.accept,
      a.finalize,
      a.finalize,
      a.dispute,
      a.dispute,
      a.reject,
      a.fraud,
      a.sign,
      a.resolve,
      a.escalate,
      a.voucher,
      a.settle,
      a.collect,
      // Capacity.
      fc.tuple(cls, person, fc.bigInt(0n, 200n)).map(([c, t, n]) => new Mint(c, t, n)),
      fc.tuple(cls, person, person, quantity).map(([c, x, y, n]) => new Transfer(c, x, y, n)),
      fc
        .tuple(fc.nat(48), fc.integer({ min: 0, max: 72 }), fc.constantFrom(2, 4, 6, 6, 7, 1), fc.nat(3))
        .map(([s, h, m, e]) => new RecordSlaBreach(s, h, m, e)),
      // Market.
      fc
        .tuple(seller, cls, token, price, quantity, days)
        .map(([s, c, t, p, q, d]) => new PlaceOrder("list", s, c, t, p, q, d)),
      fc
        .tuple(seller, cls, token, price, quantity, days)
        .map(([s, c, t, p, q, d]) => new PlaceOrder("list", s, c, t, p, q, d)),
      fc.tuple(buyer, index, share, fc.boolean()).map(([b, i, s, d]) => new Buy(b, i, s, d)),
      fc.tuple(buyer, index, share, fc.boolean()).map(([b, i, s, d]) => new Buy(b, i, s, d)),
      fc
        .tuple(buyer, cls, token, price, quantity, days)
        .map(([b, c, t, p, q, d]) => new PlaceOrder("bid", b, c, t, p, q, d)),
      fc.tuple(seller, index, share).map(([s, i, n]) => new FillBid(s, i, n)),
      fc.tuple(seller, index, share).map(([s, i, n]) => new FillBid(s, i, n)),
      // Vault.
      a.deposit,
      a.deposit,
      a.withdraw,
      a.processQueue,
      a.closeCycle,
      fc.tuple(token, fc.bigInt(1n, 1_000n * UNIT)).map(([t, n]) => new Donate(t, n)),
      fc.constant(null).map(() => new ToggleToken()),
      // Time.
      a.wait,
      a.wait,
      a.wait,
      a.longWait,
    ];

    await fc.assert(
      fc.asyncProperty(
        // Every sequence starts with a submission (as the clearing campaign's do): none is empty, so the campaign runs
        // at least one action per sequence whatever the sizes (two sequences under coverage).
        a.submit.map(checked),
        fc.commands(
          commands.map((arb) => arb.map(checked)),
          { maxCommands: DEPTH, size: "max" },
        ),
        async (first, cmds) => {
          const f = await loadFixture(suiteFixture);
          const w = newWorld(f);
          await fc.asyncModelRun(() => ({ model: w, real: w }), [first, ...cmds]);
        },
      ),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      suite invariant campaign: ${stats.actions} actions in ${SEQUENCES} sequences, ${stats.refused} refusals as ` +
        `predicted; ${JSON.stringify(stats.counters)}`,
    );
    console.log(`      refusals by error: ${JSON.stringify(stats.refusals)}`);
    expect(stats.actions).to.be.at.least(SEQUENCES);
  });
});
