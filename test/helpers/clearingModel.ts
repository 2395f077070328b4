import { ethers } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import {
  applyCondition,
  batchCharge,
  batchIdOf,
  computeTariffId,
  hashAgreementTerms,
  hashVoucher,
  rate,
  type Tariff,
  type AgreementTerms,
  type BatchHeader,
  type Condition,
  type ConditionKind,
  type PlanKind,
  type Service,
  type ServicePlan,
} from "../../sdk/src";
import { leafTuple, RECORD_LEAF_TYPES, type RecordLeaf } from "../../sdk/src/merkle/leaf";
import type { PeriodSettlement, SettlementVault, UsageClearing } from "../../sdk/src/typechain";
import { DAY } from "./agreements";
import type { Batch } from "./clearing";
import { MAX_OBLIGATION, type ExpectedEvent, type Refusal, type VaultLedger } from "./ledger";

/**
 * A TypeScript model of usage clearing and period settlement (docs/ARCHITECTURE.md section 7), shared by the clearing
 * and end-to-end invariant campaigns. It keeps, per (agreement, direction) lane, its batches, per period the running
 * volumes, drift and included taxes, rates every submission and removal with the SDK's engine, predicts every refusal
 * (the exact custom error and arguments, in the contract's order of checks) and every event, and records the vault
 * obligations in a {@link VaultLedger}. It reads nothing from the chain.
 */

/** The settlement token's decimals in every campaign. */
export const DECIMALS = 6;
/** `ceil`-free: period length of the fixture's terms. */
export const PERIOD = 30n * BigInt(DAY);
/** An empty tariff: what `settlePeriod` takes for a direction without a discount tariff. */
export const EMPTY_TARIFF: Tariff = { plans: [] };
/** `BatchStatus` of contracts/types/ClearingTypes.sol. */
export const Status = { Pending: 1n, Final: 2n, Rejected: 3n, Accepted: 4n } as const;
export type StatusName = keyof typeof Status;

/** A base tariff's plans as the SDK engine takes them, in plan order. */
export function sdkPlans(tariff: Tariff): ServicePlan[] {
  const tiers = (list: Tariff["plans"][number]["tiers"]) =>
    list.map((t) => ({ start: BigInt(t.start), fixedPrice: BigInt(t.fixedPrice), linearPrice: BigInt(t.linearPrice) }));
  return tariff.plans.map((p) => ({
    service: Number(p.service) as Service,
    kind: Number(p.kind) as PlanKind,
    increment: BigInt(p.increment),
    tiers: tiers(p.tiers),
    unbalancedTiers: tiers(p.unbalancedTiers),
  }));
}

export interface VersionModel {
  terms: AgreementTerms;
  effectiveFrom: bigint;
  /** The terms' EIP-712 hash: what the clearing caches them under. */
  hash: string;
}

export interface TrueUp {
  remaining: bigint;
  nextPart: bigint;
  homePays: boolean;
  /** Every part recorded so far (their sum plus `remaining` is the difference). */
  recorded: bigint;
  difference: bigint;
}

export interface AgreementModel {
  name: string;
  id: string;
  partyA: bigint;
  partyB: bigint;
  token: string;
  validFrom: bigint;
  /** The base tariff of both directions. */
  tariff: Tariff;
  tariffId: string;
  plans: ServicePlan[];
  /** A service its base tariff does not price (records of it are provable ServiceNotCovered). */
  uncovered: number;
  versions: VersionModel[];
  /** The terms hashes cached in clearing (a version whose terms equal a cached version's is cached too). */
  cached: Set<string>;
  /** Tariffs by id (the discount tariffs the terms name). */
  tariffs: Map<string, Tariff>;
  settled: Set<bigint>;
  trueUps: Map<string, TrueUp>;
}

export interface LaneModel {
  key: string;
  agreement: AgreementModel;
  direction: 0 | 1;
  vpmn: bigint;
  hpmn: bigint;
  sequence: number;
  voucherRedeemed: bigint;
  /** The highest cumulative amount the HPMN signed for this lane, in this deployment's domain. */
  signedMax: bigint;
  /** The vault references of the vouchers redeemed on the lane. */
  voucherRefs: string[];
  /** Every record submitted on the lane, for duplicates. */
  records: { recordId: string; batch: BatchModel; index: number }[];
}

export interface LeafInfo {
  covered: boolean;
  position: number;
  outside: boolean;
  badIncrement: boolean;
}

export interface BatchModel {
  lane: LaneModel;
  batch: Batch;
  period: bigint;
  version: number;
  status: StatusName;
  finalAt: bigint;
  charge: bigint;
  /** The charge when it was submitted (removals only lower it). */
  submittedCharge: bigint;
  held: bigint;
  round: number;
  disputed: number;
  challenged: Set<number>;
  /** By base-plan position: what the batch still counts in its period. */
  remaining: bigint[];
  taxes: bigint;
  /** Its taxes of the services the period's condition tracks. */
  included: bigint;
  info: LeafInfo[];
  /** Resolution payments recorded for its held parts. */
  paid: bigint;
}

export interface PeriodModel {
  lane: LaneModel;
  period: bigint;
  volumes: bigint[];
  drift: bigint;
  included: bigint;
  /** The figures seen at the period's readiness, which no later action may change. */
  frozen?: { volumes: bigint[]; drift: bigint; included: bigint };
}

/** A batch's records: what a campaign chooses per record. */
export interface RecordSpec {
  /** Which service (by the lane's pool: its base services, then one it does not price). */
  svc: number;
  /** Volume multiplier. */
  size: number;
  /** A volume that is not a multiple of the service's increment (provable BadIncrement where the increment is > 1). */
  bad: boolean;
  /** An event outside the batch's period (provable OutsidePeriod). */
  outside: boolean;
  /** Copies the record id of an earlier record of the lane or of the batch (provable Duplicate), by index. */
  dup: number | null;
}

/** The volume of one increment-sized unit of usage per service, scaled by a record's size. */
const UNIT_VOLUME: Record<number, bigint> = {
  0: 120n,
  1: 60n,
  2: 1n,
  3: 1n,
  4: 512_000n,
  5: 180n,
  6: 1n,
  7: 1n,
  8: 1n,
};

export const coder = ethers.AbiCoder.defaultAbiCoder();

/** The vault reference of a resolution payment: `keccak256(abi.encode(batchId, round))`. */
export function resolutionRef(batchId: string, round: number): string {
  return ethers.keccak256(coder.encode(["bytes32", "uint16"], [batchId, round]));
}

/** The key of a direction's true-up, also the vault reference of its part 0. */
export function trueUpKey(agreementId: string, period: bigint, direction: number): string {
  return ethers.keccak256(coder.encode(["bytes32", "uint256", "uint8"], [agreementId, period, direction]));
}

/** The vault reference of part `part` of a true-up. */
export function partRef(key: string, part: bigint): string {
  return part === 0n ? key : ethers.keccak256(coder.encode(["bytes32", "uint32"], [key, part]));
}

/** Checked contracts a model's predictions name. */
export interface ClearingContracts {
  clearing: UsageClearing;
  settlement: PeriodSettlement;
  vault: SettlementVault;
}

export class ClearingModel {
  readonly lanes: LaneModel[] = [];
  readonly batches: BatchModel[] = [];
  readonly periods = new Map<string, PeriodModel>();
  readonly byId = new Map<string, BatchModel>();
  paused = false;
  /** Registry status by operator id (1 active, 2 suspended). */
  readonly status = new Map<bigint, bigint>();
  readonly stats = new Map<bigint, { fraudProven: bigint; batchesRejected: bigint }>();
  readonly expected: { clearing: ExpectedEvent[]; settlement: ExpectedEvent[] } = { clearing: [], settlement: [] };

  constructor(
    readonly c: ClearingContracts,
    readonly ledger: VaultLedger,
    readonly agreements: AgreementModel[],
    readonly escalationTimeout: bigint,
  ) {
    for (const a of agreements) {
      for (const direction of [0, 1] as const) {
        const [vpmn, hpmn] = direction === 0 ? [a.partyA, a.partyB] : [a.partyB, a.partyA];
        this.lanes.push({
          key: `${a.name}/${direction}`,
          agreement: a,
          direction,
          vpmn,
          hpmn,
          sequence: 0,
          voucherRedeemed: 0n,
          signedMax: 0n,
          voucherRefs: [],
          records: [],
        });
      }
      for (const id of [a.partyA, a.partyB]) {
        this.status.set(id, 1n);
        this.stats.set(id, { fraudProven: 0n, batchesRejected: 0n });
      }
    }
  }

  /** The events the operations since the last call predicted, per contract; clears them. */
  takeEvents(): { clearing: ExpectedEvent[]; settlement: ExpectedEvent[]; vault: ExpectedEvent[] } {
    const out = {
      clearing: this.expected.clearing,
      settlement: this.expected.settlement,
      vault: this.ledger.takeEvents(),
    };
    this.expected.clearing = [];
    this.expected.settlement = [];
    return out;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                  TERMS AND PERIODS
  //////////////////////////////////////////////////////////////////////////*/

  /** The version in force at `t` (`RoamingAgreements.versionAt`): the last one whose start is at most `t`. */
  versionAt(a: AgreementModel, t: bigint): number {
    let v = 0;
    for (let i = 1; i < a.versions.length; i++) if (a.versions[i].effectiveFrom <= t) v = i;
    return v;
  }

  periodOf(a: AgreementModel, t: bigint): bigint {
    return (t - a.validFrom) / PERIOD;
  }

  periodStart(a: AgreementModel, period: bigint): bigint {
    return a.validFrom + period * PERIOD;
  }

  /** When a period can be settled: its end, plus the grace and window of the terms in force at its start. */
  readyAt(a: AgreementModel, period: bigint): bigint {
    const start = this.periodStart(a, period);
    const terms = a.versions[this.versionAt(a, start)].terms;
    return start + PERIOD + BigInt(terms.submissionGrace) + BigInt(terms.disputeWindow);
  }

  /** `R_s(V)` of the base plan at `position`. */
  rated(a: AgreementModel, position: number, volume: bigint): bigint {
    return volume === 0n ? 0n : rate(a.plans[position], volume, 0n, DECIMALS);
  }

  period(lane: LaneModel, period: bigint): PeriodModel {
    const key = `${lane.key}:${period}`;
    let p = this.periods.get(key);
    if (p === undefined) {
      p = { lane, period, volumes: lane.agreement.plans.map(() => 0n), drift: 0n, included: 0n };
      this.periods.set(key, p);
    }
    return p;
  }

  /** The services a period settlement tracks the taxes of: a ContractRevenue condition that includes taxes. */
  taxedServices(lane: LaneModel, version: number): number {
    const c = lane.agreement.versions[version].terms.conditions[lane.direction];
    return Number(c.kind) === 1 && Boolean(c.includingTaxes) ? Number(c.includedServices) : 0;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                      BATCHES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * The batch a lane's VPMN builds from `specs` over `[periodStart, periodStart + 1 day)`: records in file order, the
   * totals over the records its base tariff prices (the others are in the tree only, as a VPMN might slip them in),
   * taxes on the totals' services when `taxSeed` is non-zero.
   */
  buildBatch(lane: LaneModel, periodStart: bigint, specs: readonly RecordSpec[], taxSeed: number, salt: string): Batch {
    const a = lane.agreement;
    const periodEnd = periodStart + BigInt(DAY);
    const sequence = lane.sequence + 1;
    const pool = [...a.plans.map((p) => Number(p.service)), a.uncovered];
    const leaves: RecordLeaf[] = specs.map((s, k) => {
      const service = k === 0 ? Number(a.plans[s.svc % a.plans.length].service) : pool[s.svc % pool.length];
      const increment = BigInt(a.plans.find((p) => Number(p.service) === service)?.increment ?? 1n);
      let volume = UNIT_VOLUME[service] * BigInt(1 + (s.size % 40));
      if (s.bad && increment > 1n) volume += 1n;
      const eventStart = s.outside
        ? k % 2 === 0
          ? periodEnd + BigInt(60 * k)
          : periodStart - 1n
        : periodStart + ((BigInt(k) * 7919n) % BigInt(DAY));
      return {
        recordId: ethers.id(`${lane.key}/${sequence}/${k}/${salt}`),
        subscriberHash: ethers.keccak256(ethers.toBeHex(1000 + (k % 37), 32)),
        service: service as RecordLeaf["service"],
        eventStart,
        chargedVolume: volume,
        index: k,
      };
    });
    specs.forEach((s, k) => {
      if (s.dup === null) return;
      const earlier = [...lane.records.map((r) => r.recordId), ...leaves.slice(0, k).map((l) => l.recordId)];
      if (earlier.length > 0) leaves[k] = { ...leaves[k], recordId: earlier[s.dup % earlier.length] };
    });
    return this.batchOf(lane, periodStart, periodEnd, leaves, taxSeed, `file ${lane.key}/${sequence}/${salt}`);
  }

  /** The batch of `leaves` on `lane` (header totals over the records its base tariff prices). */
  batchOf(
    lane: LaneModel,
    periodStart: bigint,
    periodEnd: bigint,
    leaves: readonly RecordLeaf[],
    taxSeed: number,
    file: string,
  ): Batch {
    const a = lane.agreement;
    const totals = new Map<number, { volume: bigint; count: bigint }>();
    for (const leaf of leaves) {
      if (!a.plans.some((p) => Number(p.service) === Number(leaf.service))) continue;
      const t = totals.get(Number(leaf.service)) ?? { volume: 0n, count: 0n };
      t.volume += BigInt(leaf.chargedVolume);
      t.count += 1n;
      totals.set(Number(leaf.service), t);
    }
    const services = [...totals.keys()].sort((x, y) => x - y);
    const tree = StandardMerkleTree.of(leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
    const header: BatchHeader = {
      agreementId: a.id,
      direction: lane.direction,
      sequence: lane.sequence + 1,
      periodStart,
      periodEnd,
      baseTariff: a.tariffId,
      services,
      volumes: services.map((s) => totals.get(s)!.volume),
      recordCounts: services.map((s) => totals.get(s)!.count),
      taxes: services.map((s) => (taxSeed === 0 ? 0n : BigInt(taxSeed * (s + 1)) * 1_000n)),
      root: tree.root,
      fileHash: ethers.id(file),
    };
    return { header, batchId: batchIdOf(header), leaves: [...leaves], tree };
  }

  /** Why a submission of `batch` by the lane's VPMN admin at `now` is refused, in the contract's order. */
  submitRefusal(lane: LaneModel, batch: Batch, now: bigint): Refusal | undefined {
    const { clearing } = this.c;
    const a = lane.agreement;
    const h = batch.header;
    const ps = BigInt(h.periodStart);
    const pe = BigInt(h.periodEnd);
    if (this.paused) return { on: clearing, name: "EnforcedPause", args: [] };
    const version = this.versionAt(a, ps);
    if (!a.cached.has(a.versions[version].hash)) {
      return { on: clearing, name: "UsageClearing_TermsNotCached", args: [a.id, version, a.tariffId] };
    }
    const status = this.status.get(lane.vpmn)!;
    if (status !== 1n) return { on: clearing, name: "UsageClearing_OperatorNotActive", args: [lane.vpmn, status] };
    if (ps >= pe || ps < a.validFrom || pe > now) {
      return { on: clearing, name: "UsageClearing_InvalidBatchPeriod", args: [ps, pe] };
    }
    const period = this.periodOf(a, ps);
    const end = this.periodStart(a, period) + PERIOD;
    if (pe > end) return { on: clearing, name: "UsageClearing_InvalidBatchPeriod", args: [ps, pe] };
    const deadline = end + BigInt(a.versions[version].terms.submissionGrace);
    if (now > deadline) return { on: clearing, name: "UsageClearing_SubmissionClosed", args: [a.id, period, deadline] };
    if (this.rootUsed(lane, h.root)) {
      return { on: clearing, name: "UsageClearing_RootUsed", args: [a.id, lane.direction, h.root] };
    }
    return undefined;
  }

  /** Whether a batch of this lane used `root` (roots are unique per lane only). */
  rootUsed(lane: LaneModel, root: string): boolean {
    return this.batches.some((b) => b.lane === lane && b.batch.header.root === root);
  }

  /** A submission: rates the batch on the period's running volumes and opens its window. */
  submit(lane: LaneModel, batch: Batch, now: bigint, fileURI: string): BatchModel {
    const a = lane.agreement;
    const h = batch.header;
    const ps = BigInt(h.periodStart);
    const pe = BigInt(h.periodEnd);
    const version = this.versionAt(a, ps);
    const period = this.periodOf(a, ps);
    const p = this.period(lane, period);
    const remaining = a.plans.map(() => 0n);
    // the SDK's twin of the contract's rating of a batch (compared with the contract's charge at every submission)
    const charge = batchCharge(a.plans, p.volumes, h.services, h.volumes, DECIMALS);
    h.services.forEach((s, i) => {
      const position = a.plans.findIndex((plan) => Number(plan.service) === Number(s));
      const v = BigInt(h.volumes[i]);
      p.volumes[position] += v;
      remaining[position] = v;
    });
    const taxed = this.taxedServices(lane, version);
    let taxes = 0n;
    let included = 0n;
    h.services.forEach((s, i) => {
      taxes += BigInt(h.taxes[i]);
      if ((taxed >> Number(s)) & 1) included += BigInt(h.taxes[i]);
    });
    p.included += included;
    const finalAt = now + BigInt(a.versions[version].terms.disputeWindow);
    const info = batch.leaves.map((leaf) => {
      const position = a.plans.findIndex((plan) => Number(plan.service) === Number(leaf.service));
      const covered = position >= 0;
      const start = BigInt(leaf.eventStart);
      return {
        covered,
        position,
        outside: start < ps || start >= pe,
        badIncrement: covered && BigInt(leaf.chargedVolume) % BigInt(a.plans[position].increment) !== 0n,
      };
    });
    const b: BatchModel = {
      lane,
      batch,
      period,
      version,
      status: "Pending",
      finalAt,
      charge,
      submittedCharge: charge,
      held: 0n,
      round: 0,
      disputed: 0,
      challenged: new Set(),
      remaining,
      taxes,
      included,
      info,
      paid: 0n,
    };
    lane.sequence += 1;
    this.batches.push(b);
    this.byId.set(batch.batchId, b);
    batch.leaves.forEach((leaf, index) => lane.records.push({ recordId: leaf.recordId, batch: b, index }));
    this.expected.clearing.push({
      name: "BatchSubmitted",
      args: [batch.batchId, a.id, lane.direction, h.sequence, period, h.root, charge, taxes, finalAt, fileURI],
    });
    return b;
  }

  /** A pending batch inside its window (`_openBatch`), else the refusal. */
  windowRefusal(b: BatchModel, now: bigint): Refusal | undefined {
    if (b.status !== "Pending" || now >= b.finalAt) {
      return {
        on: this.c.clearing,
        name: "UsageClearing_WindowClosed",
        args: [b.batch.batchId, Status[b.status], b.finalAt],
      };
    }
    return undefined;
  }

  isOpen(b: BatchModel, now: bigint): boolean {
    return b.status === "Pending" && now < b.finalAt;
  }

  accept(b: BatchModel): void {
    b.status = "Accepted";
    this.expected.clearing.push({ name: "BatchAccepted", args: [b.batch.batchId] });
  }

  finalizeRefusal(b: BatchModel, now: bigint): Refusal | undefined {
    if (b.status === "Accepted" || (b.status === "Pending" && now >= b.finalAt)) {
      const amount = b.charge + b.taxes;
      return amount === 0n ? undefined : this.ledger.recordRefusal(this.c.vault, b.lane.agreement.token, amount);
    }
    return {
      on: this.c.clearing,
      name: "UsageClearing_NotFinalizable",
      args: [b.batch.batchId, Status[b.status], b.finalAt],
    };
  }

  finalize(b: BatchModel): void {
    const amount = b.charge + b.taxes;
    this.expected.clearing.push({ name: "BatchFinalized", args: [b.batch.batchId, amount, b.status === "Accepted"] });
    b.status = "Final";
    if (amount !== 0n) this.ledger.record(b.lane.agreement.token, b.lane.hpmn, b.lane.vpmn, amount, b.batch.batchId);
  }

  /**
   * Removes record `index` of `b` from its period: at most what `b` still counts of its service (nothing for a
   * service the base tariff does not price). Returns its marginal charge `R(V) − R(V − taken)`.
   */
  private removeLeaf(b: BatchModel, index: number): bigint {
    const info = b.info[index];
    if (!info.covered) return 0n;
    const leafVolume = BigInt(b.batch.leaves[index].chargedVolume);
    const left = b.remaining[info.position];
    const taken = leafVolume < left ? leafVolume : left;
    b.remaining[info.position] = left - taken;
    return this.removeVolume(b, info.position, taken);
  }

  private removeVolume(b: BatchModel, position: number, volume: bigint): bigint {
    if (volume === 0n) return 0n;
    const p = this.period(b.lane, b.period);
    const current = p.volumes[position];
    const next = volume < current ? current - volume : 0n;
    p.volumes[position] = next;
    return this.rated(b.lane.agreement, position, current) - this.rated(b.lane.agreement, position, next);
  }

  /** The first record of `indices` (in the order the contract takes them) challenged before, if any. */
  firstChallenged(b: BatchModel, indices: readonly number[]): number | undefined {
    return indices.find((i) => b.challenged.has(i));
  }

  /** A dispute of `indices` (in the multi-proof's order) with `codes`: each record's marginal charge is held. */
  dispute(b: BatchModel, indices: readonly number[], codes: readonly number[]): void {
    let drift = 0n;
    indices.forEach((index, k) => {
      b.challenged.add(index);
      const marginal = this.removeLeaf(b, index);
      const amount = marginal < b.charge ? marginal : b.charge;
      b.charge -= amount;
      b.held += amount;
      drift += marginal - amount;
      this.expected.clearing.push({
        name: "RecordDisputed",
        args: [b.batch.batchId, b.batch.leaves[index].recordId, index, codes[k], amount],
      });
    });
    b.disputed += indices.length;
    this.period(b.lane, b.period).drift += drift;
  }

  /** Whether record `index` of `b` shows fraud of `kind` (2 OutsidePeriod, 3 BadIncrement, 4 ServiceNotCovered). */
  shows(b: BatchModel, index: number, kind: number): boolean {
    const info = b.info[index];
    if (kind === 2) return info.outside;
    if (kind === 3) return info.badIncrement;
    return !info.covered;
  }

  /** A fraud proof (any kind, duplicates included) of record `index` by `prover`. */
  proveFraud(b: BatchModel, index: number, kind: number, prover: string): void {
    b.challenged.add(index);
    const marginal = this.removeLeaf(b, index);
    const amount = marginal < b.charge ? marginal : b.charge;
    b.charge -= amount;
    this.period(b.lane, b.period).drift += marginal - amount;
    this.stats.get(b.lane.vpmn)!.fraudProven += 1n;
    this.expected.clearing.push({
      name: "FraudProven",
      args: [b.batch.batchId, b.batch.leaves[index].recordId, prover, index, kind, amount],
    });
  }

  /**
   * The kept copies `proveDuplicate` accepts for record `index` of `b`: the same record id at a lower (sequence,
   * index) of an unrejected batch of the same lane, not challenged itself.
   */
  keptCopies(b: BatchModel, index: number): { batch: BatchModel; index: number }[] {
    const id = b.batch.leaves[index].recordId;
    const seq = Number(b.batch.header.sequence);
    return b.lane.records
      .filter((r) => r.recordId === id)
      .filter((r) => {
        const s = Number(r.batch.batch.header.sequence);
        return s < seq || (s === seq && r.index < index);
      })
      .filter((r) => r.batch.status !== "Rejected" && !r.batch.challenged.has(r.index))
      .map((r) => ({ batch: r.batch, index: r.index }));
  }

  /** A rejection: what the batch still counts leaves the period, its charge and held part are dropped. */
  reject(b: BatchModel, code: number): void {
    let marginal = 0n;
    b.remaining.forEach((v, position) => {
      if (v > 0n) marginal += this.removeVolume(b, position, v);
      b.remaining[position] = 0n;
    });
    const p = this.period(b.lane, b.period);
    p.drift += marginal - b.charge;
    p.included -= b.included;
    this.stats.get(b.lane.vpmn)!.batchesRejected += 1n;
    this.expected.clearing.push({ name: "BatchRejected", args: [b.batch.batchId, code, b.charge, b.held] });
    b.status = "Rejected";
    b.charge = 0n;
    b.held = 0n;
  }

  /** Why a resolution of `b` paying `pay` is refused before its signatures are checked. */
  heldRefusal(b: BatchModel, pay: bigint): Refusal | undefined {
    const { clearing } = this.c;
    if (b.held === 0n) return { on: clearing, name: "UsageClearing_NothingHeld", args: [b.batch.batchId] };
    if (pay > b.held) return { on: clearing, name: "UsageClearing_PayAmountTooLarge", args: [pay, b.held] };
    return undefined;
  }

  /** Pays `pay` of the held part and waives the rest (`_resolve`). */
  resolve(b: BatchModel, pay: bigint, byArbiter: boolean): void {
    const round = b.round;
    this.expected.clearing.push({
      name: "DisputeResolved",
      args: [b.batch.batchId, round, pay, b.held - pay, byArbiter],
    });
    b.held = 0n;
    b.round += 1;
    b.paid += pay;
    if (pay !== 0n) {
      this.ledger.record(b.lane.agreement.token, b.lane.hpmn, b.lane.vpmn, pay, resolutionRef(b.batch.batchId, round));
    }
  }

  /** A voucher redemption: the increase over what was redeemed becomes an obligation at once. */
  redeem(lane: LaneModel, voucher: { cumulativeAmount: bigint; expiry: bigint }, signer: string): void {
    const increase = voucher.cumulativeAmount - lane.voucherRedeemed;
    lane.voucherRedeemed = voucher.cumulativeAmount;
    this.expected.clearing.push({
      name: "VoucherRedeemed",
      args: [lane.agreement.id, lane.direction, signer, voucher.cumulativeAmount, increase],
    });
    const ref = hashVoucher({ agreementId: lane.agreement.id, direction: lane.direction, ...voucher });
    lane.voucherRefs.push(ref);
    this.ledger.record(lane.agreement.token, lane.hpmn, lane.vpmn, increase, ref);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                 PERIOD SETTLEMENT
  //////////////////////////////////////////////////////////////////////////*/

  /** The arguments of `settlePeriod` for `period`: the terms in force at its start and their tariffs. */
  settlementArgs(a: AgreementModel, period: bigint) {
    const terms = a.versions[this.versionAt(a, this.periodStart(a, period))].terms;
    const discount = (d: number) =>
      terms.discountTariff[d] === ethers.ZeroHash ? EMPTY_TARIFF : a.tariffs.get(String(terms.discountTariff[d]))!;
    return [
      a.id,
      period,
      terms,
      [a.tariff, a.tariff] as [Tariff, Tariff],
      [discount(0), discount(1)] as [Tariff, Tariff],
    ] as const;
  }

  settleRefusal(a: AgreementModel, period: bigint, now: bigint): Refusal | undefined {
    const { settlement } = this.c;
    const readyAt = this.readyAt(a, period);
    if (now < readyAt)
      return { on: settlement, name: "PeriodSettlement_PeriodNotReady", args: [a.id, period, readyAt] };
    if (a.settled.has(period)) return { on: settlement, name: "PeriodSettlement_PeriodSettled", args: [a.id, period] };
    return undefined;
  }

  /**
   * The deal of one direction of a period, computed independently with the SDK's engine as the settlement unit test
   * does: per base service `charges = R_base(V)` and `dealValue = R_disc(V, V_opposite)` (the base value where the
   * discount tariff does not price it), the included taxes on the first included service, the condition applied.
   */
  deal(a: AgreementModel, period: bigint, direction: 0 | 1) {
    const lane = this.lanes.find((l) => l.agreement === a && l.direction === direction)!;
    const opposite = this.lanes.find((l) => l.agreement === a && l.direction !== direction)!;
    const own = this.period(lane, period);
    const other = this.period(opposite, period);
    const terms = a.versions[this.versionAt(a, this.periodStart(a, period))].terms;
    const discountId = String(terms.discountTariff[direction]);
    const discount = discountId === ethers.ZeroHash ? undefined : sdkPlans(a.tariffs.get(discountId)!);
    const figures = a.plans.map((plan, p) => {
      const charges = this.rated(a, p, own.volumes[p]);
      const dp = discount?.find((x) => x.service === plan.service);
      const opp = other.volumes[a.plans.findIndex((x) => x.service === plan.service)] ?? 0n;
      const dealValue = dp === undefined ? charges : rate(dp, own.volumes[p], opp, DECIMALS);
      return { service: plan.service, dealValue, charges, taxes: 0n };
    });
    const exactBase = figures.reduce((s, f) => s + f.charges, 0n);
    const charged = exactBase + own.drift;
    if (discount === undefined) return { exactBase, charged, target: charged, difference: 0n };
    const c = terms.conditions[direction];
    const condition: Condition = {
      kind: Number(c.kind) as ConditionKind,
      includingTaxes: Boolean(c.includingTaxes),
      includedServices: Number(c.includedServices),
      commitment: BigInt(c.commitment),
    };
    const first = figures.findIndex((f) => (condition.includedServices >> f.service) & 1);
    if (first >= 0) figures[first] = { ...figures[first], taxes: own.included };
    const target = applyCondition(condition, figures).outcomes.reduce((s, o) => s + o.value, 0n);
    return { exactBase, charged, target, difference: target - charged };
  }

  /** The unrejected batches of a lane's period. */
  periodBatches(lane: LaneModel, period: bigint): BatchModel[] {
    return this.batches.filter((b) => b.lane === lane && b.period === period && b.status !== "Rejected");
  }

  /** `settlePeriod`: both directions' deals; a difference is recorded whole or in parts. Returns the deals. */
  settle(a: AgreementModel, period: bigint) {
    a.settled.add(period);
    const deals = [];
    for (const direction of [0, 1] as const) {
      const d = this.deal(a, period, direction);
      deals.push(d);
      this.expected.settlement.push({
        name: "PeriodSettled",
        args: [a.id, period, direction, d.exactBase, d.charged, d.target, d.difference],
      });
      if (d.difference !== 0n) {
        const t: TrueUp = {
          remaining: d.difference > 0n ? d.difference : -d.difference,
          nextPart: 0n,
          homePays: d.difference > 0n,
          recorded: 0n,
          difference: d.difference,
        };
        a.trueUps.set(`${period}:${direction}`, t);
        this.recordParts(a, period, direction, t);
      }
    }
    return deals;
  }

  collectRefusal(a: AgreementModel, period: bigint, direction: number): Refusal | undefined {
    const t = a.trueUps.get(`${period}:${direction}`);
    if (t === undefined || t.remaining === 0n) {
      return { on: this.c.settlement, name: "PeriodSettlement_NothingOutstanding", args: [a.id, period, direction] };
    }
    return undefined;
  }

  collect(a: AgreementModel, period: bigint, direction: 0 | 1): void {
    this.recordParts(a, period, direction, a.trueUps.get(`${period}:${direction}`)!);
  }

  /** `_recordParts`: up to 8 parts of at most MAX_OBLIGATION each; the events only for a true-up in parts. */
  private recordParts(a: AgreementModel, period: bigint, direction: 0 | 1, t: TrueUp): void {
    const lane = this.lanes.find((l) => l.agreement === a && l.direction === direction)!;
    const [payer, payee] = t.homePays ? [lane.hpmn, lane.vpmn] : [lane.vpmn, lane.hpmn];
    const key = trueUpKey(a.id, period, direction);
    const parted = t.nextPart !== 0n || t.remaining > MAX_OBLIGATION;
    for (let i = 0; i < 8 && t.remaining !== 0n; i++) {
      const amount = t.remaining < MAX_OBLIGATION ? t.remaining : MAX_OBLIGATION;
      t.remaining -= amount;
      t.recorded += amount;
      if (parted) {
        this.expected.settlement.push({
          name: "TrueUpPartRecorded",
          args: [a.id, period, direction, t.nextPart, amount, t.remaining],
        });
      }
      this.ledger.record(a.token, payer, payee, amount, partRef(key, t.nextPart));
      t.nextPart += 1n;
    }
    if (!parted) t.nextPart = 0n; // recorded whole: nothing is stored (`outstandingTrueUp` reads 0, 0)
  }

  /** What `outstandingTrueUp` should read. */
  outstanding(a: AgreementModel, period: bigint, direction: number): [bigint, bigint] {
    const t = a.trueUps.get(`${period}:${direction}`);
    return t === undefined ? [0n, 0n] : [t.remaining, t.nextPart];
  }
}

/** A new agreement model for the campaigns (its version 0 cached by `enableClearing`). */
export function agreementModel(options: {
  name: string;
  id: string;
  partyA: bigint;
  partyB: bigint;
  token: string;
  terms: AgreementTerms;
  tariff: Tariff;
  uncovered: number;
  tariffs?: Tariff[];
}): AgreementModel {
  const tariffs = new Map<string, Tariff>();
  for (const t of options.tariffs ?? []) tariffs.set(computeTariffId(t), t);
  return {
    name: options.name,
    id: options.id,
    partyA: options.partyA,
    partyB: options.partyB,
    token: options.token,
    validFrom: BigInt(options.terms.validFrom),
    tariff: options.tariff,
    tariffId: computeTariffId(options.tariff),
    plans: sdkPlans(options.tariff),
    uncovered: options.uncovered,
    versions: [{ terms: options.terms, effectiveFrom: 0n, hash: hashAgreementTerms(options.terms) }],
    cached: new Set([hashAgreementTerms(options.terms)]),
    tariffs,
    settled: new Set(),
    trueUps: new Map(),
  };
}
