import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { TypedDataDomain } from "ethers";

import { clearingDomain, hashAgreementTerms, signVoucher, type AgreementTerms, type Voucher } from "../../sdk/src";
import { VOUCHER_TYPES } from "../../sdk/src/typedData/clearing";
import type { ClearingInspector, MockStablecoin, UsageClearing, VaultInspector } from "../../sdk/src/typechain";
import { DAY, discountTariff, signedAmendment, signedOffer } from "../helpers/agreements";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import { coverageRunning } from "../helpers/gas";
import {
  agreementWithTariff,
  deployClearingFixture,
  eightServiceTariff,
  onChain,
  proofOf,
  type ClearingFixture,
} from "../helpers/clearing";
import {
  asGovernor,
  attempt,
  checkClearing,
  choose,
  clearingArbitraries,
  count,
  dayStart,
  expectPredicted,
  newStats,
  pick,
  pin,
  submitBatch,
  voucherRefusal,
  type CampaignWorld,
} from "../helpers/clearingCampaign";
import {
  agreementModel,
  ClearingModel,
  PERIOD,
  type AgreementModel,
  type BatchModel,
  type LaneModel,
} from "../helpers/clearingModel";
import { scheduleAndExecute } from "../helpers/fixtures";
import { checkVault, MAX_OBLIGATION, VaultLedger, type RawAccount, type Refusal } from "../helpers/ledger";
import { Svc } from "../helpers/rating";
import { CYCLE } from "../helpers/vault";

/**
 * Invariants C1-C12 of test/invariant/README.md: random sequences of clearing actions on three agreements between alpha
 * and beta, both directions each (six lanes): A1, the fixture's (the IOT base tariff both ways, a discount deal on
 * direction 0), A2 (the 8-service tariff, no discount) and A3 (A1's terms in a second token, with a send-or-pay
 * commitment so large that its true-up is recorded in parts). A TypeScript model (test/helpers/clearingModel.ts, with the
 * vault's ledger of test/helpers/ledger.ts) rates every batch and removal with the SDK's engine and predicts every
 * outcome: the exact custom error and arguments of each refusal, and every event of each success (the clearing's, the
 * settlement's and the vault's, taken from the transaction's own receipt).
 *
 * Actions: submissions (records of every kind of fraud, duplicates within and across batches), submissions whose root
 * another lane used, acceptance, finalization, disputes, rejections, fraud and duplicate proofs, resolutions whose
 * signatures were collected at an earlier moment, arbiter escalations, vouchers and their replays on other lanes,
 * agreements and deployments, an amendment of A1 from a later period and the caching of its terms, pause and
 * suspension, period settlement and true-up collection, deposits, queue processing, withdrawals, cycle closes, time.
 * After every action the contracts' views are compared with the model (one call through ClearingInspector, one per
 * token through VaultInspector), and the home network's rejection of every open batch (and a dispute of one) is
 * simulated: it must go through whatever anyone else did (liveness).
 *
 * CI: CLEARING_INVARIANT_RUNS sequences of a submission then up to CLEARING_INVARIANT_DEPTH actions.
 */

const SEQUENCES = campaignSize("CLEARING_INVARIANT_RUNS", 40, 2, "INVARIANT_RUNS");
const DEPTH = campaignSize("CLEARING_INVARIANT_DEPTH", 60, 8, "INVARIANT_DEPTH");
const ESCALATION_TIMEOUT = 30n * BigInt(DAY);
const DEPOSIT = 1_000_000n * 1_000_000n;
/** A3's direction-0 condition: a send-or-pay commitment of 17 vault obligations and 5 base units, on voice. */
const HUGE_CONDITION = {
  kind: 2,
  includingTaxes: false,
  includedServices: 1 << Svc.VoiceMO,
  commitment: 17n * MAX_OBLIGATION + 5n,
};

interface TokenState {
  token: MockStablecoin;
  address: string;
  config: { allowed: boolean; cycle: bigint; openEnd: bigint; nextCycleLength: bigint };
  liabilities: bigint;
  accounts: [bigint, RawAccount][];
}

interface Fixture extends ClearingFixture {
  a2: { agreementId: string; terms: AgreementTerms };
  a3: { agreementId: string; terms: AgreementTerms };
  second: UsageClearing;
  secondDomain: TypedDataDomain;
  clearingInspector: ClearingInspector;
  vaultInspector: VaultInspector;
  /** The two settlement tokens (the fixture's, and a second one A3 settles in) as the fixture leaves them. */
  tokens: TokenState[];
}

/** The shared campaign world, with this campaign's fixture and agreements. */
interface World extends CampaignWorld {
  f: Fixture;
  a1: AgreementModel;
  a2: AgreementModel;
  a3: AgreementModel;
}

type Cmd = fc.AsyncCommand<World, World>;

const stats = newStats();

/** C1-C12 on the clearing's views, then V1-V6 on the vault's. */
async function check(w: World): Promise<void> {
  await checkClearing(w);
  await checkVault(w.vault, w.vaultInspector, w.ledger);
}

/*//////////////////////////////////////////////////////////////////////////
                        ACTIONS OF THIS CAMPAIGN ONLY
//////////////////////////////////////////////////////////////////////////*/

/**
 * C8: an honest submission is never blocked by another lane. The lane's VPMN submits records identical to another
 * batch's (so the same root); only a root its own lane used is refused.
 */
class CopyRoot implements Cmd {
  constructor(
    readonly source: number,
    readonly lane: number,
    readonly daysBack: number,
  ) {}
  check = (w: Readonly<World>) => w.m.batches.length > 0;
  async run(w: World) {
    const now = await pin();
    const source = pick(w.m.batches, this.source);
    const covers = (l: LaneModel) =>
      source.batch.leaves.some((leaf) => l.agreement.plans.some((p) => Number(p.service) === Number(leaf.service)));
    const wanted = pick(w.m.lanes, this.lane);
    const lane = covers(wanted) ? wanted : source.lane;
    const start = dayStart(lane.agreement, now, this.daysBack);
    const leaves = source.batch.leaves;
    const batch = w.m.batchOf(lane, start, start + BigInt(DAY), leaves, 0, `copy ${w.m.batches.length}`);
    expect(batch.header.root).to.equal(source.batch.header.root);
    if (await submitBatch(w, lane, batch, now)) count(w, "copiedRoots");
  }
  toString = () => `CopyRoot(batch ${this.source} -> lane ${this.lane}, -${this.daysBack} d)`;
}

/**
 * A duplicate: a record whose id an earlier record of the lane has (in an earlier batch or at a lower index). Sometimes
 * the "kept copy" is not acceptable: the record itself, or a copy on another lane (a copied root).
 */
class ProveDuplicate implements Cmd {
  constructor(
    readonly batch: number,
    readonly choice: number,
  ) {}
  check = (w: Readonly<World>) => w.m.batches.length > 0;
  async run(w: World) {
    const now = await pin();
    const { m } = w;
    const pairs = (x: BatchModel) => x.info.flatMap((_, k) => m.keptCopies(x, k).map((kept) => ({ index: k, kept })));
    const b = choose(w, this.batch, (x) => m.isOpen(x, now) && pairs(x).some((p) => !x.challenged.has(p.index)));
    const candidates = pairs(b);
    let index: number;
    let kept: { batch: BatchModel; index: number };
    if (candidates.length > 0 && this.choice % 4 !== 0) {
      ({ index, kept } = pick(candidates, this.choice));
    } else {
      index = this.choice % b.info.length;
      const id = b.batch.leaves[index].recordId;
      const elsewhere = m.lanes
        .filter((l) => l !== b.lane)
        .flatMap((l) => l.records)
        .find((r) => r.recordId === id);
      kept = elsewhere !== undefined && this.choice % 8 === 0 ? elsewhere : { batch: b, index };
    }
    const keptValid = m.keptCopies(b, index).some((c) => c.batch === kept.batch && c.index === kept.index);
    const refusal =
      m.windowRefusal(b, now) ??
      (!keptValid
        ? { on: w.f.clearing, name: "UsageClearing_InvalidKeptCopy", args: [kept.batch.batch.batchId] }
        : b.challenged.has(index)
          ? { on: w.f.clearing, name: "UsageClearing_RecordAlreadyChallenged", args: [b.batch.batchId, index] }
          : undefined);
    const eve = w.f.accounts.eve;
    const send = () =>
      w.f.clearing
        .connect(eve)
        .proveDuplicate(
          onChain(kept.batch.batch.header),
          proofOf(kept.batch.batch, kept.index),
          onChain(b.batch.header),
          proofOf(b.batch, index),
        );
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    m.proveFraud(b, index, 1, eve.address);
    expectPredicted(w, receipt);
    count(w, "duplicates");
  }
  toString = () => `ProveDuplicate(${this.batch}, ${this.choice})`;
}

/**
 * C11: a signed voucher replayed: as it is (stale once redeemed), on another lane of the same agreement or on another
 * agreement (its fields changed: the signature then names no HPMN key), on the second deployment, or signed for the
 * second deployment and brought to this one.
 */
class ReplayVoucher implements Cmd {
  constructor(
    readonly which: number,
    readonly variant: number,
    readonly target: number,
  ) {}
  check = (w: Readonly<World>) => w.vouchers.length > 0;
  async run(w: World) {
    const now = await pin();
    const s = pick(w.vouchers, this.which);
    const eve = w.f.accounts.eve;
    const recover = (domain: TypedDataDomain, v: Voucher, sig: string) =>
      ethers.verifyTypedData(domain, VOUCHER_TYPES, v, sig);
    if (this.variant === 0 || this.variant === 1) {
      // On this deployment: as it is (0), or on another lane (1).
      const others = w.m.lanes.filter((l) => l !== s.lane);
      const lane = this.variant === 0 ? s.lane : pick(others, this.target);
      const voucher = { ...s.voucher, agreementId: lane.agreement.id, direction: lane.direction };
      const recovered = recover(w.f.clearingDomain, voucher, s.signature);
      const refusal = voucherRefusal(w, lane, voucher.cumulativeAmount, voucher.expiry, recovered, now);
      const receipt = await attempt(w, () => w.f.clearing.connect(eve).redeemVoucher(voucher, s.signature), refusal);
      if (receipt === undefined) return void count(w, "replays");
      w.m.redeem(lane, voucher, recovered);
      expectPredicted(w, receipt);
      count(w, "vouchers");
      return;
    }
    if (this.variant === 2) {
      // This deployment's voucher on the second deployment (whose clearing is enabled for both agreements).
      const recovered = recover(w.f.secondDomain, s.voucher, s.signature);
      const refusal: Refusal =
        now > s.voucher.expiry
          ? { on: w.f.second, name: "UsageClearing_VoucherExpired", args: [s.voucher.expiry] }
          : { on: w.f.second, name: "UsageClearing_SignerNotAuthorized", args: [s.lane.hpmn, recovered] };
      await attempt(w, () => w.f.second.connect(eve).redeemVoucher(s.voucher, s.signature), refusal);
      count(w, "replays");
      return;
    }
    // A voucher the HPMN signed for the second deployment, brought to this one.
    const lane = s.lane;
    const voucher = {
      ...s.voucher,
      cumulativeAmount: lane.voucherRedeemed + 1n + BigInt(this.target),
      expiry: now + 60n,
    };
    const signature = await signVoucher(w.keys.get(lane.hpmn)!, w.f.secondDomain, voucher);
    const recovered = recover(w.f.clearingDomain, voucher, signature);
    const refusal = voucherRefusal(w, lane, voucher.cumulativeAmount, voucher.expiry, recovered, now);
    await attempt(w, () => w.f.clearing.connect(eve).redeemVoucher(voucher, signature), refusal);
    count(w, "replays");
  }
  toString = () => `ReplayVoucher(${this.which}, variant ${this.variant}, target ${this.target})`;
}

/** The direction-0 conditions an amendment of the first agreement may bring. */
function condition(choice: number, seed: bigint) {
  if (choice === 0)
    return {
      kind: 2,
      includingTaxes: false,
      includedServices: (1 << Svc.VoiceMO) | (1 << Svc.Data),
      commitment: 50_000_000_000n,
    };
  if (choice === 1)
    return {
      kind: 1,
      includingTaxes: true,
      includedServices: (1 << Svc.VoiceMO) | (1 << Svc.Data),
      commitment: 30_000_000n,
    };
  // A send-or-pay commitment above what 8 vault obligations carry: the true-up is recorded in parts.
  return { kind: 2, includingTaxes: false, includedServices: 1 << Svc.VoiceMO, commitment: 9n * MAX_OBLIGATION + seed };
}

/**
 * Amends the first agreement from the next period on (both parties' keys sign; anyone submits): another dispute window
 * and direction-0 condition. Submissions for its periods need its terms cached (`cacheTerms`).
 */
class Amend implements Cmd {
  constructor(
    readonly window: number,
    readonly condition: number,
    readonly seed: bigint,
  ) {}
  check = () => true;
  async run(w: World) {
    const now = await pin();
    const a = w.a1;
    const latest = a.versions[a.versions.length - 1];
    const newTerms: AgreementTerms = {
      ...latest.terms,
      disputeWindow: [2, 5, 7][this.window % 3] * DAY,
      conditions: [condition(this.condition % 3, this.seed), latest.terms.conditions[1]],
    };
    const effectiveFrom = a.validFrom + (w.m.periodOf(a, now) + 1n) * PERIOD;
    const amendment = {
      agreementId: a.id,
      baseVersion: a.versions.length - 1,
      newTermsHash: hashAgreementTerms(newTerms),
      effectiveFrom,
    };
    const { signatureA, signatureB } = await signedAmendment(w.f, amendment);
    const suspended = [a.partyA, a.partyB].find((id) => w.m.status.get(id) !== 1n);
    const refusal: Refusal | undefined =
      suspended === undefined
        ? undefined
        : { on: w.f.agreements, name: "RoamingAgreements_NotActive", args: [suspended, w.m.status.get(suspended)] };
    const send = () => w.f.agreements.amend(amendment, latest.terms, newTerms, signatureA, signatureB);
    if ((await attempt(w, send, refusal)) === undefined) return;
    a.versions.push({ terms: newTerms, effectiveFrom, hash: amendment.newTermsHash });
    count(w, "amendments");
  }
  toString = () => `Amend(window ${this.window}, condition ${this.condition})`;
}

/** Anyone caches a later version's terms (caching again rewrites the same entries). */
class CacheTerms implements Cmd {
  constructor(readonly version: number) {}
  check = (w: Readonly<World>) => w.a1.versions.length > 1;
  async run(w: World) {
    await pin();
    const a = w.a1;
    const version = 1 + (this.version % (a.versions.length - 1));
    const v = a.versions[version];
    const receipt = await attempt(
      w,
      () => w.f.clearing.connect(w.f.accounts.eve).cacheTerms(a.id, version, v.terms, [a.tariff, a.tariff]),
      undefined,
    );
    a.cached.add(v.hash);
    w.m.expected.clearing.push({ name: "TermsCached", args: [a.id, version, v.hash] });
    expectPredicted(w, receipt!);
  }
  toString = () => `CacheTerms(${this.version})`;
}

/** The pauser stops submissions and redemptions at once; the governor lets them resume (after its delay). */
class TogglePause implements Cmd {
  check = () => true;
  async run(w: World) {
    if (!w.m.paused) {
      await pin();
      await w.f.clearing.connect(w.f.accounts.pauser).pause();
    } else {
      await asGovernor(w, w.f.clearingAddress, w.f.clearing.interface.encodeFunctionData("unpause"));
    }
    w.m.paused = !w.m.paused;
  }
  toString = () => "TogglePause";
}

/** The pauser suspends a party at once; the governor reinstates it (after its delay). */
class ToggleStatus implements Cmd {
  constructor(readonly party: number) {}
  check = () => true;
  async run(w: World) {
    const id = this.party % 2 === 0 ? w.f.alpha : w.f.beta;
    const reason = ethers.id("invariant campaign");
    if (w.m.status.get(id) === 1n) {
      await pin();
      await w.f.registry.connect(w.f.accounts.pauser).suspendOperator(id, reason);
      w.m.status.set(id, 2n);
    } else {
      const registry = await w.f.registry.getAddress();
      await asGovernor(w, registry, w.f.registry.interface.encodeFunctionData("reinstateOperator", [id, reason]));
      w.m.status.set(id, 1n);
    }
  }
  toString = () => `ToggleStatus(${this.party % 2 === 0 ? "alpha" : "beta"})`;
}

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

/**
 * The clearing fixture's agreement (IOT both ways, the discount deal on direction 0) and a second alpha-beta agreement
 * on the 8-service tariff, both in clearing; a second deployment of UsageClearing (another EIP-712 domain) with both
 * agreements in clearing too; the inspectors.
 */
async function invariantFixture(): Promise<Fixture> {
  const f = await deployClearingFixture();
  const a = f.accounts;
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  const eight = eightServiceTariff();
  const a2 = await agreementWithTariff(f, eight);
  await f.clearing.enableClearing(a2.agreementId, a2.terms, [eight, eight]);
  // A3: the fixture's terms in a second token, with a send-or-pay commitment above what 8 obligations carry.
  const eurc = (await ethers.deployContract("MockStablecoin", ["Euro Coin", "EURC", 6])) as unknown as MockStablecoin;
  const vaultAddress = await f.vault.getAddress();
  const allow = f.vault.interface.encodeFunctionData("allowToken", [await eurc.getAddress(), CYCLE]);
  await scheduleAndExecute(f.manager, a.governor, vaultAddress, allow);
  for (const holder of [a.alice, a.bob]) await eurc.connect(holder).approve(f.vault, ethers.MaxUint256);
  const a3Terms: AgreementTerms = {
    ...f.terms,
    validFrom: BigInt(f.terms.validFrom),
    token: await eurc.getAddress(),
    conditions: [HUGE_CONDITION, { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0n }],
  };
  const offer = await signedOffer(f, { terms: a3Terms, nonce: 79n });
  await f.agreements.connect(a.bob).acceptOffer(offer.offer, offer.signature);
  const a3 = { agreementId: await f.agreements.agreementIdOf(offer.offerHash, f.beta), terms: a3Terms };
  await f.clearing.enableClearing(a3.agreementId, a3Terms, [f.tariff, f.tariff]);
  // Under solidity-coverage the instrumented contract costs more to deploy than the 2^24 gas hardhat-ethers gives a
  // transaction by default there: the limit is then given explicitly (that network's block gas limit is far higher).
  const second = (await ethers.deployContract(
    "UsageClearing",
    [f.manager, f.registry, f.agreements, f.vault, ESCALATION_TIMEOUT],
    coverageRunning ? { gasLimit: 100_000_000n } : {},
  )) as unknown as UsageClearing;
  await second.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  await second.enableClearing(a2.agreementId, a2.terms, [eight, eight]);
  await second.enableClearing(a3.agreementId, a3Terms, [f.tariff, f.tariff]);
  expect(await f.clearing.escalationTimeout()).to.equal(ESCALATION_TIMEOUT);
  const clearingInspector = (await ethers.deployContract("ClearingInspector")) as unknown as ClearingInspector;
  const vaultInspector = (await ethers.deployContract("VaultInspector")) as unknown as VaultInspector;
  const tokens: TokenState[] = [];
  for (const token of [f.token, eurc]) {
    const v = await vaultInspector.inspect(f.vault, token, [f.alpha, f.beta]);
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
      accounts: v.members.map((x) => [
        x.id,
        { balance: x.raw.balance, position: x.raw.position, cycle: x.raw.cycle, queued: x.raw.queued },
      ]),
    });
  }
  expect(tokens.map((t) => t.liabilities)).to.deep.equal([2n * DEPOSIT, 0n]);
  const secondDomain = clearingDomain({ chainId: f.chainId, verifyingContract: await second.getAddress() });
  return { ...f, a2, a3, second, secondDomain, clearingInspector, vaultInspector, tokens };
}

function newWorld(f: Fixture): World {
  const ledger = new VaultLedger([f.alpha, f.beta]);
  for (const t of f.tokens) {
    ledger.seedToken(t.address, t.config, t.liabilities, 0n);
    for (const [id, raw] of t.accounts) ledger.seedAccount(t.address, id, raw);
  }
  const common = { partyA: f.alpha, partyB: f.beta };
  const a1 = agreementModel({
    ...common,
    name: "A1",
    id: f.agreementId,
    token: f.tokenAddress,
    terms: f.terms,
    tariff: f.tariff,
    uncovered: Svc.VoiceMT,
    tariffs: [discountTariff()],
  });
  const a2 = agreementModel({
    ...common,
    name: "A2",
    id: f.a2.agreementId,
    token: f.tokenAddress,
    terms: f.a2.terms,
    tariff: eightServiceTariff(),
    uncovered: Svc.SpectrumMHzHours,
  });
  const a3 = agreementModel({
    ...common,
    name: "A3",
    id: f.a3.agreementId,
    token: f.tokens[1].address,
    terms: f.a3.terms,
    tariff: f.tariff,
    uncovered: Svc.SmsMT,
    tariffs: [discountTariff()],
  });
  const m = new ClearingModel(
    { clearing: f.clearing, settlement: f.settlement, vault: f.vault },
    ledger,
    [a1, a2, a3],
    ESCALATION_TIMEOUT,
  );
  const a = f.accounts;
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
    a1,
    a2,
    a3,
    members: [f.alpha, f.beta],
    operators: [f.alpha, f.beta],
    tokens: f.tokens.map((t) => ({ address: t.address, token: t.token })),
    stats,
    admins: new Map([
      [f.alpha, a.alice],
      [f.beta, a.bob],
    ]),
    keys: new Map([
      [f.alpha, a.aliceSigner],
      [f.beta, a.bobSigner],
    ]),
    payouts: new Map([
      [f.alpha, a.alicePayout.address],
      [f.beta, a.bobPayout.address],
    ]),
    resolutions: [],
    vouchers: [],
    turn: 0,
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                   CAMPAIGN
//////////////////////////////////////////////////////////////////////////*/

const checked = (command: Cmd) => checkedCommand(command, stats, check);

describe("Invariants: UsageClearing and PeriodSettlement (model-based random sequences)", () => {
  it(`should hold over ${SEQUENCES} random sequences of a submission then up to ${DEPTH} clearing actions`, async () => {
    const index = fc.nat(50);
    const a = clearingArbitraries({ lanes: 6, agreements: 3, members: 2, tokens: 2 });
    // Weights by repetition: the actions that build on others (disputes, signatures, resolutions) come often enough
    // for sequences of a few dozen actions to reach them.
    const commands: fc.Arbitrary<Cmd>[] = [
      ...Array<fc.Arbitrary<Cmd>>(6).fill(a.submit),
      fc.tuple(index, fc.nat(5), fc.integer({ min: 1, max: 3 })).map(([s, l, d]) => new CopyRoot(s, l, d)),
      a.accept,
      a.accept,
      a.finalize,
      a.finalize,
      ...Array<fc.Arbitrary<Cmd>>(4).fill(a.dispute),
      a.reject,
      a.fraud,
      a.fraud,
      fc.tuple(index, index).map(([i, c]) => new ProveDuplicate(i, c)),
      ...Array<fc.Arbitrary<Cmd>>(3).fill(a.sign),
      ...Array<fc.Arbitrary<Cmd>>(3).fill(a.resolve),
      a.escalate,
      a.voucher,
      a.voucher,
      fc.tuple(index, fc.nat(3), fc.nat(10)).map(([i, v, t]) => new ReplayVoucher(i, v, t)),
      fc.tuple(fc.nat(2), fc.nat(2), fc.bigInt(1n, 1_000_000n)).map(([wi, c, s]) => new Amend(wi, c, s)),
      index.map((i) => new CacheTerms(i)),
      fc.constant(null).map(() => new TogglePause()),
      fc.nat(1).map((p) => new ToggleStatus(p)),
      a.settle,
      a.settle,
      a.collect,
      a.deposit,
      a.processQueue,
      a.withdraw,
      a.closeCycle,
      ...Array<fc.Arbitrary<Cmd>>(4).fill(a.wait),
      a.longWait,
    ];

    await fc.assert(
      fc.asyncProperty(
        a.submit.map(checked),
        fc.commands(
          commands.map((arb) => arb.map(checked)),
          { maxCommands: DEPTH, size: "max" },
        ),
        async (first, cmds) => {
          const f = await loadFixture(invariantFixture);
          const w = newWorld(f);
          await fc.asyncModelRun(() => ({ model: w, real: w }), [first, ...cmds]);
        },
      ),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      clearing invariant campaign: ${stats.actions} actions in ${SEQUENCES} sequences, ${stats.refused} ` +
        `refusals as predicted; ${JSON.stringify(stats.counters)}`,
    );
    console.log(`      refusals by error: ${JSON.stringify(stats.refusals)}`);
    expect(stats.actions).to.be.at.least(SEQUENCES);
  });
});
