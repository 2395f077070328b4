import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionReceipt, ContractTransactionResponse, TypedDataDomain } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { ClearingClient, RESOLUTION_TYPES, signResolution, signVoucher, type Resolution } from "../../sdk/src";
import type {
  ClearingInspector,
  MockStablecoin,
  PeriodSettlement,
  RoamLedgerManager,
  SettlementVault,
  UsageClearing,
  VaultInspector,
} from "../../sdk/src/typechain";
import { DAY } from "./agreements";
import { batchArgs, multiProofOf, onChain, proofOf, submitArgs } from "./clearing";
import {
  Status,
  type AgreementModel,
  type BatchModel,
  type ClearingModel,
  type LaneModel,
  type RecordSpec,
} from "./clearingModel";
import { GOVERNOR_DELAY } from "./fixtures";
import { expectEvents, MAX_OBLIGATION, type Refusal, type VaultLedger } from "./ledger";

/**
 * The actions of the clearing invariant campaigns (test/invariant/clearing.invariant.test.ts and
 * suite.invariant.test.ts) on a {@link CampaignWorld}: the contracts, the {@link ClearingModel} and its vault ledger. Each
 * action pins the next block's timestamp (so that the model knows it), asks the model for the outcome, sends the
 * transaction, and either expects the exact refusal or compares every event of the receipt with the model's
 * prediction. {@link checkClearing} compares the clearing's views with the model after every action.
 */

/** Both parties' signatures of a resolution of a batch's held part, collected at some moment. */
export interface SignedResolution {
  b: BatchModel;
  resolution: Resolution;
  hpmnSignature: string;
  vpmnSignature: string;
}

/** A voucher signed by some key, kept for replays. */
export interface SignedVoucher {
  lane: LaneModel;
  voucher: { agreementId: string; direction: number; cumulativeAmount: bigint; expiry: bigint };
  signature: string;
}

/** What a campaign counts (printed at its end): actions, refusals by error name, and named counters. */
export interface CampaignStats {
  actions: number;
  refused: number;
  refusals: Record<string, number>;
  counters: Record<string, number>;
}

export function newStats(): CampaignStats {
  return { actions: 0, refused: 0, refusals: {}, counters: {} };
}

/** Adds `n` to a named counter. */
export function count(w: { stats: CampaignStats }, name: string, n = 1): void {
  w.stats.counters[name] = (w.stats.counters[name] ?? 0) + n;
}

/** Everything the shared actions need. */
export interface CampaignWorld {
  clearing: UsageClearing;
  settlement: PeriodSettlement;
  vault: SettlementVault;
  manager: RoamLedgerManager;
  clearingInspector: ClearingInspector;
  vaultInspector: VaultInspector;
  /** The clearing's EIP-712 domain. */
  domain: TypedDataDomain;
  eve: HardhatEthersSigner;
  arbiter: HardhatEthersSigner;
  governor: HardhatEthersSigner;
  m: ClearingModel;
  ledger: VaultLedger;
  /** Admin accounts, signer keys and payout addresses, by operator id. */
  admins: Map<bigint, HardhatEthersSigner>;
  keys: Map<bigint, HardhatEthersSigner>;
  payouts: Map<bigint, string>;
  /** The operators whose vault accounts the campaign moves, and those whose clearing statistics it checks. */
  members: bigint[];
  operators: bigint[];
  tokens: { address: string; token: MockStablecoin }[];
  resolutions: SignedResolution[];
  vouchers: SignedVoucher[];
  stats: CampaignStats;
  /** Which open batch the next liveness check also disputes. */
  turn: number;
}

export type CampaignCommand = fc.AsyncCommand<CampaignWorld, CampaignWorld>;

/*//////////////////////////////////////////////////////////////////////////
                                   DRIVING
//////////////////////////////////////////////////////////////////////////*/

/** Pins the next block's timestamp to one second after the latest, and returns it: the model's "now". */
export async function pin(): Promise<bigint> {
  const next = BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(next);
  return next;
}

/**
 * Sends a transaction the model judged: a refusal must revert with exactly its custom error and arguments; otherwise it
 * must succeed, and its receipt is returned. Sends are thunks, called only once the model has decided.
 */
export async function attempt(
  w: { stats: CampaignStats },
  send: () => Promise<ContractTransactionResponse>,
  refusal: Refusal | undefined,
): Promise<ContractTransactionReceipt | undefined> {
  if (refusal !== undefined) {
    await expect(send())
      .to.be.revertedWithCustomError(refusal.on, refusal.name)
      .withArgs(...refusal.args);
    w.stats.refused++;
    w.stats.refusals[refusal.name] = (w.stats.refusals[refusal.name] ?? 0) + 1;
    return undefined;
  }
  const receipt = await (await send()).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

/** Compares every event of a receipt (clearing, settlement, vault) with what the model predicted. */
export function expectPredicted(w: CampaignWorld, receipt: ContractTransactionReceipt): void {
  const e = w.m.takeEvents();
  count(w, "trueUpParts", e.settlement.filter((x) => x.name === "TrueUpPartRecorded").length);
  expectEvents(w.clearing, receipt, e.clearing, "clearing events");
  expectEvents(w.settlement, receipt, e.settlement, "settlement events");
  expectEvents(w.vault, receipt, e.vault, "vault events");
}

export const pick = <T>(list: readonly T[], i: number): T => list[i % list.length];

export function openBatches(w: CampaignWorld, now: bigint): BatchModel[] {
  return w.m.batches.filter((b) => w.m.isOpen(b, now));
}

/**
 * A batch: usually one of the first non-empty set that `prefer` selects, in order (so that actions mostly meet a batch
 * they can act on), sometimes any batch (so that refusals are exercised too).
 */
export function choose(w: CampaignWorld, i: number, ...prefer: ((b: BatchModel) => boolean)[]): BatchModel {
  if (i % 4 !== 3) {
    for (const p of prefer) {
      const preferred = w.m.batches.filter(p);
      if (preferred.length > 0) return pick(preferred, i);
    }
  }
  return pick(w.m.batches, i);
}

export async function checkClearing(w: CampaignWorld): Promise<void> {
  const { m } = w;
  const [batches, periods, lanes, opStats] = await w.clearingInspector.inspect(
    w.clearing,
    m.batches.map((b) => ({
      header: onChain(b.batch.header),
      plans: b.lane.agreement.plans.length,
      leaves: b.batch.leaves.length,
    })),
    [...m.periods.values()].map((p) => ({
      agreementId: p.lane.agreement.id,
      direction: p.lane.direction,
      period: p.period,
      plans: p.lane.agreement.plans.length,
    })),
    m.lanes.map((l) => ({ agreementId: l.agreement.id, direction: l.direction })),
    w.operators,
  );
  // Batches: status, charge, held, round, disputed count (C2, C3, C6), kept volumes and challenge marks (C6, C7).
  m.batches.forEach((b, i) => {
    const v = batches[i];
    expect(
      [v.batch.status, v.batch.finalAt, v.batch.charge, v.batch.held, v.batch.round, v.batch.disputed],
      `batch ${b.lane.key}#${b.batch.header.sequence}`,
    ).to.deep.equal([Status[b.status], b.finalAt, b.charge, b.held, BigInt(b.round), BigInt(b.disputed)]);
    expect([...v.volumes], "C7: what the batch still counts").to.deep.equal(b.remaining);
    let bits = 0n;
    for (const k of b.challenged) bits |= 1n << BigInt(k);
    expect(v.challenged, "C6: challenge marks").to.equal(bits);
  });
  // Lanes (C1: sequences; C11: the voucher amount redeemed).
  m.lanes.forEach((l, i) => {
    expect([lanes[i].sequence, lanes[i].voucherRedeemed], `lane ${l.key}`).to.deep.equal([
      BigInt(l.sequence),
      l.voucherRedeemed,
    ]);
    // C11: the redeemed amount is the highest cumulative amount the HPMN signed and someone redeemed, never more
    // than it signed, and exactly the sum of the voucher obligations of the lane.
    expect(l.voucherRedeemed <= l.signedMax, "C11: vouchers within what the HPMN signed").to.equal(true);
    const vouchers = l.voucherRefs.reduce((s, ref) => s + w.ledger.obligations.get(ref)!.amount, 0n);
    expect(vouchers, "C11: Σ voucher obligations = the amount redeemed").to.equal(l.voucherRedeemed);
  });
  expect(
    opStats.map((s) => [s.fraudProven, s.batchesRejected]),
    "operator statistics",
  ).to.deep.equal(w.operators.map((id) => [m.stats.get(id)!.fraudProven, m.stats.get(id)!.batchesRejected]));
  // Periods: volumes, drift and included taxes (C5), unchanged after readiness (C9).
  const latest = BigInt(await time.latest());
  [...m.periods.values()].forEach((p, i) => {
    const v = periods[i];
    const figures = { volumes: [...v.volumes], drift: v.corrections.drift, included: v.corrections.includedTaxes };
    expect(figures, `period ${p.lane.key}:${p.period}`).to.deep.equal({
      volumes: p.volumes,
      drift: p.drift,
      included: p.included,
    });
    const a = p.lane.agreement;
    const charges = m.periodBatches(p.lane, p.period).reduce((s, b) => s + b.charge, 0n);
    const exact = p.volumes.reduce((s, v, pos) => s + m.rated(a, pos, v), 0n);
    expect(charges, "C5: Σ charges = Σ R(V) + drift").to.equal(exact + p.drift);
    if (latest >= m.readyAt(a, p.period)) {
      p.frozen ??= { volumes: [...p.volumes], drift: p.drift, included: p.included };
      expect(figures, "C9: a period's figures never change after its readiness").to.deep.equal(p.frozen);
    }
  });
  // C4, C10: the vault holds, per batch, exactly its final charge plus taxes, and resolution payments never exceed
  // what was held; per lane, batches and resolutions never take more than was charged on submission.
  for (const l of m.lanes) {
    let recorded = 0n;
    let charged = 0n;
    for (const b of m.batches.filter((x) => x.lane === l)) {
      const o = w.ledger.obligations.get(b.batch.batchId);
      if (b.status === "Final") {
        expect(o?.amount ?? 0n, "C4: a final batch's obligation").to.equal(b.charge + b.taxes);
      } else {
        expect(o, "C4: only final batches reach the vault").to.equal(undefined);
      }
      recorded += (o?.amount ?? 0n) + b.paid;
      charged += b.submittedCharge + b.taxes;
    }
    expect(recorded <= charged, "C10: the vault never takes more than a lane's batches charged").to.equal(true);
  }
  // C8 (liveness): for every open batch, the home network's rejection would go through now, whatever anyone else did;
  // and so would a dispute of one of its records not yet challenged (one open batch per check, in turn).
  const now = await pin();
  const open = openBatches(w, now);
  for (const b of open) {
    const hpmn = w.admins.get(b.lane.hpmn)!;
    await w.clearing.connect(hpmn).reject.staticCall(...batchArgs(b.batch.header), 109, { blockTag: "pending" });
    count(w, "livenessChecks");
  }
  if (open.length > 0) {
    const b = open[w.turn++ % open.length];
    const index = b.batch.leaves.findIndex((_, k) => !b.challenged.has(k));
    if (index >= 0) {
      await w.clearing
        .connect(w.admins.get(b.lane.hpmn)!)
        .dispute.staticCall(onChain(b.batch.header), multiProofOf(b.batch, [index]), [19], { blockTag: "pending" });
    }
  }
}

/** The start of the day of `now` (days counted from the agreement's start), less `daysBack` days. */
export function dayStart(a: AgreementModel, now: bigint, daysBack: number): bigint {
  const day = BigInt(DAY);
  return a.validFrom + ((now - a.validFrom) / day) * day - BigInt(daysBack) * day;
}

export async function submitBatch(
  w: CampaignWorld,
  lane: LaneModel,
  batch: BatchModel["batch"],
  now: bigint,
): Promise<boolean> {
  const uri = `ipfs://${lane.key}/${batch.header.sequence}`;
  const refusal = w.m.submitRefusal(lane, batch, now);
  const send = () => w.clearing.connect(w.admins.get(lane.vpmn)!).submitBatch(...submitArgs(batch.header), uri, "0x");
  const receipt = await attempt(w, send, refusal);
  if (receipt === undefined) return false;
  w.m.submit(lane, batch, now, uri);
  expectPredicted(w, receipt);
  count(w, "submitted");
  return true;
}

export class Submit implements CampaignCommand {
  constructor(
    readonly lane: number,
    readonly daysBack: number,
    readonly records: RecordSpec[],
    readonly taxSeed: number,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const now = await pin();
    const lane = pick(w.m.lanes, this.lane);
    const start = dayStart(lane.agreement, now, this.daysBack);
    const batch = w.m.buildBatch(lane, start, this.records, this.taxSeed, `${w.m.batches.length}`);
    await submitBatch(w, lane, batch, now);
  }
  toString = () =>
    `Submit(lane ${this.lane}, -${this.daysBack} d, ${JSON.stringify(this.records)}, taxes ${this.taxSeed})`;
}

/**
 * The caller of a home network's action on `b` (its admin, or eve the outsider) and the refusal every such action
 * shares: the window, then eve's lack of the role; `otherwise` for the action's own refusal.
 */
function hpmnCall(
  w: CampaignWorld,
  b: BatchModel,
  now: bigint,
  byEve: boolean,
  otherwise: () => Refusal | undefined,
): { caller: HardhatEthersSigner; refusal: Refusal | undefined } {
  const caller = byEve ? w.eve : w.admins.get(b.lane.hpmn)!;
  const refusal =
    w.m.windowRefusal(b, now) ??
    (byEve
      ? { on: w.clearing, name: "UsageClearing_NotOperatorAccount", args: [b.lane.hpmn, caller.address] }
      : otherwise());
  return { caller, refusal };
}

export class Accept implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly byEve: boolean,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = await pin();
    const b = choose(w, this.batch, (x) => w.m.isOpen(x, now));
    const { caller, refusal } = hpmnCall(w, b, now, this.byEve, () => undefined);
    const receipt = await attempt(w, () => w.clearing.connect(caller).accept(onChain(b.batch.header)), refusal);
    if (receipt === undefined) return;
    w.m.accept(b);
    expectPredicted(w, receipt);
  }
  toString = () => `Accept(${this.batch}${this.byEve ? ", by eve" : ""})`;
}

export class Finalize implements CampaignCommand {
  constructor(readonly batch: number) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = await pin();
    const b = choose(w, this.batch, (x) => x.status === "Accepted" || (x.status === "Pending" && now >= x.finalAt));
    const refusal = w.m.finalizeRefusal(b, now);
    const receipt = await attempt(w, () => w.clearing.connect(w.eve).finalize(onChain(b.batch.header)), refusal);
    if (receipt === undefined) return;
    w.m.finalize(b);
    expectPredicted(w, receipt);
    count(w, "finalized");
  }
  toString = () => `Finalize(${this.batch})`;
}

export class Dispute implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly picks: number[],
    readonly byEve: boolean,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = await pin();
    const signed = new Set(w.resolutions.map((r) => r.b));
    const b = choose(
      w,
      this.batch,
      (x) => this.batch % 2 === 0 && w.m.isOpen(x, now) && signed.has(x),
      (x) => w.m.isOpen(x, now),
    );
    const n = b.batch.leaves.length;
    const wanted = [...new Set(this.picks.map((p) => p % n))];
    const records = multiProofOf(b.batch, wanted);
    const indices = records.leaves.map((leaf) => Number(leaf.index));
    const codes = indices.map((_, k) => [10, 11, 12, 19][k % 4]);
    const already = w.m.firstChallenged(b, indices);
    const { caller, refusal } = hpmnCall(w, b, now, this.byEve, () =>
      already !== undefined
        ? { on: w.clearing, name: "UsageClearing_RecordAlreadyChallenged", args: [b.batch.batchId, already] }
        : undefined,
    );
    const send = () => w.clearing.connect(caller).dispute(onChain(b.batch.header), records, codes);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.m.dispute(b, indices, codes);
    expectPredicted(w, receipt);
    count(w, "disputed", indices.length);
  }
  toString = () => `Dispute(${this.batch}, [${this.picks}]${this.byEve ? ", by eve" : ""})`;
}

export class Reject implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly byEve: boolean,
    readonly code: number,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = await pin();
    const b = choose(w, this.batch, (x) => w.m.isOpen(x, now));
    const { caller, refusal } = hpmnCall(w, b, now, this.byEve, () =>
      ![100, 101, 102, 109].includes(this.code)
        ? { on: w.clearing, name: "UsageClearing_InvalidReasonCode", args: [this.code] }
        : undefined,
    );
    const send = () => w.clearing.connect(caller).reject(...batchArgs(b.batch.header), this.code);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.m.reject(b, this.code);
    expectPredicted(w, receipt);
    count(w, "rejected");
  }
  toString = () => `Reject(${this.batch}, ${this.code}${this.byEve ? ", by eve" : ""})`;
}

/** OutsidePeriod (2), BadIncrement (3) or ServiceNotCovered (4), by anyone; usually of a record that shows it. */
export class ProveFraud implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly leaf: number,
    readonly kind: number,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = await pin();
    const kind = [2, 3, 4][this.kind % 3];
    const b = choose(w, this.batch, (x) => w.m.isOpen(x, now) && x.info.some((_, k) => w.m.shows(x, k, kind)));
    const showing = b.info.map((_, k) => k).filter((k) => w.m.shows(b, k, kind));
    const index = showing.length > 0 && this.leaf % 5 !== 0 ? pick(showing, this.leaf) : this.leaf % b.info.length;
    const refusal =
      w.m.windowRefusal(b, now) ??
      (!w.m.shows(b, index, kind)
        ? { on: w.clearing, name: "UsageClearing_NotFraud", args: [kind] }
        : b.challenged.has(index)
          ? { on: w.clearing, name: "UsageClearing_RecordAlreadyChallenged", args: [b.batch.batchId, index] }
          : undefined);
    const eve = w.eve;
    const send = () => w.clearing.connect(eve).proveFraud(kind, onChain(b.batch.header), proofOf(b.batch, index));
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.m.proveFraud(b, index, kind, eve.address);
    expectPredicted(w, receipt);
    count(w, "proven");
  }
  toString = () => `ProveFraud(${this.batch}, leaf ${this.leaf}, kind ${[2, 3, 4][this.kind % 3]})`;
}

/**
 * Both parties sign a resolution of a batch's held part now, through the SDK (`ClearingClient.resolutionOf` reads the
 * batch's round, disputed count and held amount): the signatures are kept and submitted by a later action.
 */
export class SignResolution implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly share: number,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    const now = BigInt(await time.latest()) + 1n;
    // Mostly a batch whose window is open, so that later disputes may change it after the signatures.
    const b = choose(
      w,
      this.batch,
      (x) => x.held > 0n && w.m.isOpen(x, now),
      (x) => w.m.isOpen(x, now),
      (x) => x.held > 0n,
    );
    const pay = (b.held * BigInt(this.share)) / 100n;
    const client = new ClearingClient(await w.clearing.getAddress(), ethers.provider);
    const resolution = await client.resolutionOf(b.batch.batchId, pay);
    expect([resolution.round, resolution.disputed, resolution.held], "the SDK reads the model's state").to.deep.equal([
      BigInt(b.round),
      BigInt(b.disputed),
      b.held,
    ]);
    w.resolutions.push({
      b,
      resolution,
      hpmnSignature: await signResolution(w.keys.get(b.lane.hpmn)!, w.domain, resolution),
      vpmnSignature: await signResolution(w.keys.get(b.lane.vpmn)!, w.domain, resolution),
    });
  }
  toString = () => `SignResolution(${this.batch}, ${this.share}%)`;
}

/**
 * C12: submits signatures collected earlier. They apply only if the batch is exactly as both parties saw it (same
 * round, disputed count and held amount); otherwise they recover another signer and are refused.
 */
export class SubmitResolution implements CampaignCommand {
  constructor(readonly which: number) {}
  check = (w: Readonly<CampaignWorld>) => w.resolutions.length > 0;
  async run(w: CampaignWorld) {
    await pin();
    const unchangedSince = (r: SignedResolution) =>
      BigInt(r.resolution.round) === BigInt(r.b.round) &&
      BigInt(r.resolution.disputed) === BigInt(r.b.disputed) &&
      BigInt(r.resolution.held) === r.b.held;
    // Mostly signatures of a batch that holds something; half of those, when there are, of a batch changed since.
    const live = w.resolutions.filter((r) => r.b.held > 0n);
    const stale = live.filter((r) => !unchangedSince(r));
    const s =
      stale.length > 0 && this.which % 2 === 0
        ? pick(stale, this.which)
        : live.length > 0 && this.which % 4 !== 3
          ? pick(live, this.which)
          : pick(w.resolutions, this.which);
    const { b } = s;
    const pay = BigInt(s.resolution.payAmount);
    const current = { batchId: b.batch.batchId, round: b.round, disputed: b.disputed, held: b.held, payAmount: pay };
    const unchanged = unchangedSince(s);
    const recovered = ethers.verifyTypedData(w.domain, RESOLUTION_TYPES, current, s.hpmnSignature);
    const refusal =
      w.m.heldRefusal(b, pay) ??
      (!unchanged
        ? { on: w.clearing, name: "UsageClearing_SignerNotAuthorized", args: [b.lane.hpmn, recovered] }
        : undefined);
    const send = () =>
      w.clearing.connect(w.eve).resolve(onChain(b.batch.header), pay, s.hpmnSignature, s.vpmnSignature);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) {
      if (b.held > 0n && !unchanged) count(w, "staleResolutions");
      return;
    }
    // C12: what is paid plus what is waived is exactly the held part both parties signed over.
    expect(b.held, "C12: the held part resolved is the one signed").to.equal(BigInt(s.resolution.held));
    w.m.resolve(b, pay, false);
    expectPredicted(w, receipt);
    count(w, "resolved");
  }
  toString = () => `SubmitResolution(${this.which})`;
}

/** The arbiter decides a held part; with `jump`, once the clock is moved to when it may (if it may not yet). */
export class Escalate implements CampaignCommand {
  constructor(
    readonly batch: number,
    readonly share: number,
    readonly jump: boolean,
  ) {}
  check = (w: Readonly<CampaignWorld>) => w.m.batches.length > 0;
  async run(w: CampaignWorld) {
    let now = await pin();
    const b = choose(w, this.batch, (x) => x.held > 0n);
    const pay = (b.held * BigInt(this.share)) / 100n + (this.share > 100 ? 1n : 0n);
    const dueAt = b.finalAt + w.m.escalationTimeout;
    if (this.jump && b.held > 0n && now < dueAt) {
      await time.increaseTo(dueAt + 17n);
      now = await pin();
    }
    const refusal =
      w.m.heldRefusal(b, pay) ??
      (now < dueAt
        ? { on: w.clearing, name: "UsageClearing_EscalationNotDue", args: [b.batch.batchId, dueAt] }
        : undefined);
    const send = () => w.clearing.connect(w.arbiter).resolveEscalated(onChain(b.batch.header), pay);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.m.resolve(b, pay, true);
    expectPredicted(w, receipt);
    count(w, "escalated");
  }
  toString = () => `Escalate(${this.batch}, ${this.share}%${this.jump ? ", when due" : ""})`;
}

/** Why a voucher is refused on our deployment, in the contract's order (`recovered`: who the signature names). */
export function voucherRefusal(
  w: CampaignWorld,
  lane: LaneModel,
  cumulative: bigint,
  expiry: bigint,
  recovered: string,
  now: bigint,
): Refusal | undefined {
  const { clearing } = w;
  if (w.m.paused) return { on: clearing, name: "EnforcedPause", args: [] };
  if (now > expiry) return { on: clearing, name: "UsageClearing_VoucherExpired", args: [expiry] };
  if (recovered !== w.keys.get(lane.hpmn)!.address) {
    return { on: clearing, name: "UsageClearing_SignerNotAuthorized", args: [lane.hpmn, recovered] };
  }
  if (cumulative <= lane.voucherRedeemed) {
    return { on: clearing, name: "UsageClearing_StaleVoucher", args: [cumulative, lane.voucherRedeemed] };
  }
  return undefined;
}

/** A voucher signed by the lane's HPMN (or, variant 2, by the VPMN's key), expired in variant 1; anyone redeems. */
export class RedeemVoucher implements CampaignCommand {
  constructor(
    readonly lane: number,
    readonly step: bigint,
    readonly variant: number,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const now = await pin();
    const lane = pick(w.m.lanes, this.lane);
    const cumulative = lane.voucherRedeemed + this.step;
    const expiry = this.variant === 1 ? now - 1n : now + BigInt(DAY);
    const voucher = { agreementId: lane.agreement.id, direction: lane.direction, cumulativeAmount: cumulative, expiry };
    const signer = w.keys.get(this.variant === 2 ? lane.vpmn : lane.hpmn)!;
    const signature = await signVoucher(signer, w.domain, voucher);
    if (signer === w.keys.get(lane.hpmn) && cumulative > lane.signedMax) lane.signedMax = cumulative;
    w.vouchers.push({ lane, voucher, signature });
    const refusal = voucherRefusal(w, lane, cumulative, expiry, signer.address, now);
    const send = () => w.clearing.connect(w.eve).redeemVoucher(voucher, signature);
    const receipt = await attempt(w, send, refusal);
    if (receipt === undefined) return;
    w.m.redeem(lane, voucher, signer.address);
    expectPredicted(w, receipt);
    count(w, "vouchers");
  }
  toString = () => `RedeemVoucher(lane ${this.lane}, +${this.step}, variant ${this.variant})`;
}

/**
 * C9: settles a period (anyone): the events name the deal the SDK's engine computes, the true-up is recorded whole or
 * in parts, and the period's batch charges plus the true-up equal the deal's value.
 */
export class Settle implements CampaignCommand {
  constructor(
    readonly agreement: number,
    readonly period: number,
    readonly jump: boolean,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    let now = await pin();
    const a = pick(w.m.agreements, this.agreement);
    const unsettled = [...Array(Number(w.m.periodOf(a, now)) + 1).keys()].map(BigInt).filter((p) => !a.settled.has(p));
    if (this.jump && unsettled.length > 0 && now < w.m.readyAt(a, unsettled[0])) {
      // With `jump`, the clock first moves to the earliest unsettled period's readiness.
      await time.increaseTo(w.m.readyAt(a, unsettled[0]) + 29n);
      now = await pin();
    }
    const current = w.m.periodOf(a, now);
    const ready = [...Array(Number(current) + 1).keys()]
      .map(BigInt)
      .filter((p) => now >= w.m.readyAt(a, p) && !a.settled.has(p));
    const period =
      ready.length > 0 && this.period % 3 !== 0 ? pick(ready, this.period) : BigInt(this.period) % (current + 1n);
    const refusal = w.m.settleRefusal(a, period, now);
    const receipt = await attempt(
      w,
      () => w.settlement.connect(w.eve).settlePeriod(...w.m.settlementArgs(a, period)),
      refusal,
    );
    if (receipt === undefined) return;
    const deals = w.m.settle(a, period);
    expectPredicted(w, receipt);
    for (const direction of [0, 1] as const) {
      const lane = w.m.lanes.find((l) => l.agreement === a && l.direction === direction)!;
      const charges = w.m.periodBatches(lane, period).reduce((s, b) => s + b.charge, 0n);
      expect(charges, "C9: the period's batches charged what the settlement found").to.equal(deals[direction].charged);
      expect(charges + deals[direction].difference, "C9: charges + true-up = the deal's value").to.equal(
        deals[direction].target,
      );
      expect(await w.settlement.outstandingTrueUp(a.id, period, direction)).to.deep.equal(
        w.m.outstanding(a, period, direction),
      );
    }
    count(w, "settled");
  }
  toString = () => `Settle(agreement ${this.agreement}, ${this.period}${this.jump ? ", when ready" : ""})`;
}

export class CollectTrueUp implements CampaignCommand {
  constructor(
    readonly which: number,
    readonly period: number,
    readonly direction: number,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    await pin();
    const open = w.m.agreements.flatMap((a) =>
      [...a.trueUps.entries()]
        .filter(([, t]) => t.remaining > 0n)
        .map(([k]) => ({ a, period: BigInt(k.split(":")[0]), direction: Number(k.split(":")[1]) as 0 | 1 })),
    );
    const target =
      open.length > 0 && this.which % 4 !== 0
        ? pick(open, this.which)
        : {
            a: pick(w.m.agreements, this.which),
            period: BigInt(this.period),
            direction: (this.direction % 2) as 0 | 1,
          };
    const { a, period, direction } = target;
    const refusal = w.m.collectRefusal(a, period, direction);
    const receipt = await attempt(w, () => w.settlement.connect(w.eve).collectTrueUp(a.id, period, direction), refusal);
    if (receipt === undefined) return;
    w.m.collect(a, period, direction);
    expectPredicted(w, receipt);
    const t = a.trueUps.get(`${period}:${direction}`)!;
    expect(await w.settlement.outstandingTrueUp(a.id, period, direction)).to.deep.equal([t.remaining, t.nextPart]);
    if (t.remaining === 0n) {
      expect(t.recorded, "C9: every part of a true-up recorded, once").to.equal(
        t.difference > 0n ? t.difference : -t.difference,
      );
    }
  }
  toString = () => `CollectTrueUp(${this.which}, ${this.period}, ${this.direction})`;
}

/** A party deposits (sometimes the most one deposit carries, so that a true-up part in its queue can be paid). */
export class Deposit implements CampaignCommand {
  constructor(
    readonly member: number,
    readonly token: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const id = pick(w.members, this.member);
    const admin = w.admins.get(id)!;
    const t = pick(w.tokens, this.token);
    const token = t.address;
    await pin();
    await t.token.mint(admin, this.amount);
    await pin();
    const refusal = w.ledger.depositRefusal(w.vault, token, id, this.amount);
    const receipt = await attempt(w, () => w.vault.connect(admin).deposit(id, token, this.amount), refusal);
    if (receipt === undefined) return;
    w.ledger.deposit(token, id, this.amount, admin.address);
    expectPredicted(w, receipt);
  }
  toString = () => `Deposit(#${this.member}, token ${this.token}, ${this.amount})`;
}

export class ProcessQueue implements CampaignCommand {
  constructor(
    readonly member: number,
    readonly token: number,
    readonly max: number,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const id = pick(w.members, this.member);
    const token = pick(w.tokens, this.token).address;
    await pin();
    const receipt = await attempt(w, () => w.vault.connect(w.eve).processQueue(id, token, this.max), undefined);
    w.ledger.processQueue(token, id, BigInt(this.max));
    expectPredicted(w, receipt!);
  }
  toString = () => `ProcessQueue(#${this.member}, token ${this.token}, ${this.max})`;
}

export class Withdraw implements CampaignCommand {
  constructor(
    readonly member: number,
    readonly token: number,
    readonly share: number,
  ) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const id = pick(w.members, this.member);
    const token = pick(w.tokens, this.token).address;
    await pin();
    const free = w.ledger.free(token, id);
    const amount = (free * BigInt(this.share)) / 1000n + (this.share > 1000 ? 1n : 0n);
    const refusal = w.ledger.withdrawRefusal(w.vault, token, id, amount);
    const admin = w.admins.get(id)!;
    const receipt = await attempt(w, () => w.vault.connect(admin).withdraw(id, token, amount), refusal);
    if (receipt === undefined) return;
    w.ledger.withdraw(token, id, amount, w.payouts.get(id)!);
    expectPredicted(w, receipt);
  }
  toString = () => `Withdraw(#${this.member}, token ${this.token}, ${this.share}‰)`;
}

export class CloseCycle implements CampaignCommand {
  constructor(readonly token: number) {}
  check = () => true;
  async run(w: CampaignWorld) {
    const now = await pin();
    const token = pick(w.tokens, this.token).address;
    const refusal = w.ledger.closeRefusal(w.vault, token, now);
    const receipt = await attempt(w, () => w.vault.connect(w.eve).closeCycle(token), refusal);
    if (receipt === undefined) return;
    w.ledger.closeCycle(token, now);
    expectPredicted(w, receipt);
  }
  toString = () => `CloseCycle(token ${this.token})`;
}

export class Wait implements CampaignCommand {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run() {
    await time.increase(this.seconds);
  }
  toString = () => `Wait(${this.seconds})`;
}

/** Runs `data` on `target` as the governor: scheduled, then executed after its two-day delay. Returns the receipt. */
export async function asGovernor(w: CampaignWorld, target: string, data: string): Promise<ContractTransactionReceipt> {
  const governor = w.governor;
  await pin();
  await w.manager.connect(governor).schedule(target, data, 0);
  await time.increase(GOVERNOR_DELAY);
  await pin();
  const receipt = await (await w.manager.connect(governor).execute(target, data)).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

/*//////////////////////////////////////////////////////////////////////////
                                  ARBITRARIES
//////////////////////////////////////////////////////////////////////////*/

/** What a batch's record may be: mostly honest, sometimes provable (outside, bad increment, uncovered, duplicate). */
export const recordSpec: fc.Arbitrary<RecordSpec> = fc.record({
  svc: fc.nat(20),
  size: fc.nat(60),
  bad: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  outside: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  dup: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(50) }),
});

/**
 * The shared actions' arbitraries, for a campaign of `lanes` lanes, `agreements` agreements, `members` vault members and
 * `tokens` tokens. Indices are taken modulo what exists when the action runs.
 */
export function clearingArbitraries(sizes: { lanes: number; agreements: number; members: number; tokens: number }) {
  const index = fc.nat(50);
  const member = fc.nat(sizes.members - 1);
  const token = fc.nat(sizes.tokens - 1);
  return {
    submit: fc
      .tuple(
        fc.nat(sizes.lanes - 1),
        fc.constantFrom(1, 1, 1, 2, 3, 5),
        fc.array(recordSpec, { minLength: 1, maxLength: 16 }),
        fc.nat(3),
      )
      .map(([l, d, r, t]) => new Submit(l, d, r, t)),
    accept: fc.tuple(index, fc.nat(5)).map(([i, e]) => new Accept(i, e === 0)),
    finalize: index.map((i) => new Finalize(i)),
    dispute: fc
      .tuple(index, fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }), fc.nat(5))
      .map(([i, p, e]) => new Dispute(i, p, e === 0)),
    reject: fc
      .tuple(index, fc.nat(7), fc.constantFrom(100, 101, 102, 109, 103))
      .map(([i, e, c]) => new Reject(i, e === 0, c)),
    fraud: fc.tuple(index, index, fc.nat(2)).map(([i, l, k]) => new ProveFraud(i, l, k)),
    sign: fc.tuple(index, fc.integer({ min: 0, max: 100 })).map(([i, s]) => new SignResolution(i, s)),
    resolve: index.map((i) => new SubmitResolution(i)),
    escalate: fc
      .tuple(index, fc.integer({ min: 0, max: 101 }), fc.nat(1))
      .map(([i, s, j]) => new Escalate(i, s, j === 0)),
    voucher: fc
      .tuple(fc.nat(sizes.lanes - 1), fc.bigInt(0n, 20_000_000n), fc.constantFrom(0, 0, 0, 1, 2))
      .map(([l, s, v]) => new RedeemVoucher(l, s, v)),
    settle: fc.tuple(fc.nat(sizes.agreements - 1), index, fc.nat(2)).map(([a, p, j]) => new Settle(a, p, j === 0)),
    collect: fc.tuple(index, fc.nat(3), fc.nat(1)).map(([i, p, d]) => new CollectTrueUp(i, p, d)),
    deposit: fc
      .tuple(
        member,
        token,
        fc.oneof(
          { weight: 4, arbitrary: fc.bigInt(1n, 10n ** 12n) },
          { weight: 1, arbitrary: fc.constant(MAX_OBLIGATION) },
        ),
      )
      .map(([m, t, a]) => new Deposit(m, t, a)),
    processQueue: fc.tuple(member, token, fc.integer({ min: 1, max: 4 })).map(([m, t, n]) => new ProcessQueue(m, t, n)),
    withdraw: fc
      .tuple(member, token, fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(1001)))
      .map(([m, t, s]) => new Withdraw(m, t, s)),
    closeCycle: token.map((t) => new CloseCycle(t)),
    // Odd offsets keep deadlines (windows, readiness, escalation, expiries) off the blocks' timestamps.
    wait: fc.constantFrom(3_617, 6 * 3_600 + 17, DAY + 1_234, 3 * DAY + 4_321).map((s) => new Wait(s)),
    longWait: fc.constantFrom(8 * DAY + 77, 15 * DAY + 555).map((s) => new Wait(s)),
  };
}
