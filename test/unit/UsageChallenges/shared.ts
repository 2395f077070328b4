import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import {
  batchIdOf,
  computeTariffId,
  type Tariff,
  type AgreementTerms,
  toOnChainBatch,
  type BatchHeader,
} from "../../../sdk/src";
import { leafFromTuple, type leafTuple, type RecordLeaf } from "../../../sdk/src/merkle/leaf";
import { rate } from "../../../sdk/src/rating/engine";
import type { PlanKind, Service, ServicePlan } from "../../../sdk/src/rating/types";
import { DAY, iotTariff, signedOffer } from "../../helpers/agreements";
import {
  submitArgs,
  BatchStatus as HelperBatchStatus,
  buildBatch,
  deployClearingFixture,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";

/**
 * Shared setup of the challenge-side and period-settlement unit tests: batches built from explicit record lists (so
 * every volume, and therefore every charge, is known), an independent model of the running-volume rating built on the
 * SDK's rating engine, and an agreement whose direction-0 discount is conditional on ContractRevenue with taxes.
 */

/** BatchStatus of contracts/types/ClearingTypes.sol, with `Accepted` (4), which the helpers' list lacks. */
export const BatchStatus = { ...HelperBatchStatus, Accepted: 4n } as const;

/** The settlement token's decimals in the clearing fixture. */
export const DECIMALS = 6;

/** The fixture IOT tariff's services, in plan order: position `i` of `periodVolumes` is `IOT_SERVICES[i]`. */
export const IOT_SERVICES = [Svc.VoiceMO, Svc.SmsMO, Svc.Data, Svc.VoLTE] as const;

/** A record's volume per service that is a multiple of the IOT tariff's increment. */
export const VOICE = 12_000n; // 200 minutes
export const DATA = 512_000n; // 500 KiB
export const SMS = 1n;
export const VOLTE = 180n;

/** One record of a batch: its service and charged volume; by default its event starts inside the batch period. */
export interface RecordSpec {
  service: number;
  volume: bigint;
  /** Absolute event start (Unix seconds); default: inside `[periodStart, periodEnd)`. */
  eventStart?: bigint;
  /** Default: unique per (tag, index). */
  recordId?: string;
}

/** `[start, end)` of day `day` of the agreement's first period. */
export function dayBounds(f: ClearingFixture, day: number): [bigint, bigint] {
  const start = BigInt(f.terms.validFrom) + BigInt(day * DAY);
  return [start, start + BigInt(DAY)];
}

/** The SDK form of a plan of a tariff passed to the contracts. */
export function sdkPlan(tariff: Tariff, service: number): ServicePlan {
  const plan = tariff.plans.find((p) => Number(p.service) === service);
  if (plan === undefined) throw new Error(`no plan for service ${service}`);
  const tiers = (list: typeof plan.tiers) =>
    list.map((t) => ({ start: BigInt(t.start), fixedPrice: BigInt(t.fixedPrice), linearPrice: BigInt(t.linearPrice) }));
  return {
    service: Number(plan.service) as Service,
    kind: Number(plan.kind) as PlanKind,
    increment: BigInt(plan.increment),
    tiers: tiers(plan.tiers),
    unbalancedTiers: tiers(plan.unbalancedTiers),
  };
}

/** `R_s(V)`: what `tariff` (default: the fixture's IOT tariff) values `volume` of `service` at, in base units. */
export function rated(service: number, volume: bigint, opposite = 0n, tariff: Tariff = iotTariff()): bigint {
  return rate(sdkPlan(tariff, service), volume, opposite, DECIMALS);
}

/** `R_s(V) − R_s(V − v)` (at most to zero): the marginal charge of removing `volume` from a running volume. */
export function marginal(service: number, running: bigint, volume: bigint): bigint {
  const next = volume < running ? running - volume : 0n;
  return rated(service, running) - rated(service, next);
}

/**
 * A batch of `records` (indexed 0.. in file order). Its totals count only the services the base tariff covers (a
 * record of another service is in the tree, as a VPMN might slip it in, but no header could carry it).
 */
export function makeBatch(
  f: ClearingFixture,
  options: {
    sequence: number;
    day: number;
    records: RecordSpec[];
    direction?: number;
    agreementId?: string;
    taxes?: Record<number, bigint>;
    tariff?: Tariff;
    tag?: string;
  },
): Batch {
  const agreementId = options.agreementId ?? f.agreementId;
  const direction = options.direction ?? 0;
  const [start, end] = dayBounds(f, options.day);
  const tag = options.tag ?? `${agreementId}/${direction}/${options.sequence}`;
  const leaves: RecordLeaf[] = options.records.map((r, index) => ({
    recordId: r.recordId ?? ethers.id(`${tag}/${index}`),
    subscriberHash: ethers.id(`subscriber ${index % 5}`),
    service: r.service as Service,
    eventStart: r.eventStart ?? start + 60n * BigInt(index + 1),
    chargedVolume: r.volume,
    index,
  }));
  const tariff = options.tariff ?? iotTariff();
  const covered = new Set(tariff.plans.map((p) => Number(p.service)));
  const base = {
    agreementId,
    direction,
    sequence: options.sequence,
    periodStart: start,
    periodEnd: end,
    baseTariff: computeTariffId(tariff),
  };
  const full = buildBatch({ ...base, leaves, taxes: options.taxes });
  const totals = buildBatch({ ...base, leaves: leaves.filter((l) => covered.has(l.service)), taxes: options.taxes });
  const header: BatchHeader = { ...totals.header, root: full.tree.root };
  return { header, batchId: batchIdOf(header), leaves, tree: full.tree };
}

/** A tree whose values may repeat (a malformed file): the multi-proof of the values at `valueIndices`. */
export function multiProofOfValues(
  tree: StandardMerkleTree<ReturnType<typeof leafTuple>>,
  valueIndices: number[],
): { leaves: RecordLeaf[]; proof: string[]; proofFlags: boolean[] } {
  const multi = tree.getMultiProof(valueIndices);
  return { leaves: multi.leaves.map((v) => leafFromTuple(v)), proof: multi.proof, proofFlags: multi.proofFlags };
}

/**
 * Submits `batch` as the visited network's admin of its direction (alice for 0, bob for 1), after putting its agreement
 * in clearing with `terms` (version 0) and `tariff` (its base tariff both ways) if it is not yet.
 */
export async function submit(
  f: ClearingFixture,
  batch: Batch,
  terms: AgreementTerms = f.terms,
  tariff: Tariff = f.tariff,
): Promise<void> {
  const agreementId = String(batch.header.agreementId);
  if ((await f.clearing.clearingConfig(agreementId)).token === ethers.ZeroAddress) {
    await f.clearing.enableClearing(agreementId, terms, [tariff, tariff]);
  }
  const vpmnAdmin = Number(batch.header.direction) === 0 ? f.accounts.alice : f.accounts.bob;
  await f.clearing.connect(vpmnAdmin).submitBatch(...submitArgs(batch.header), "ipfs://batch", "0x");
}

/** The running volumes of a period, by IOT plan position. */
export async function volumesOf(
  f: ClearingFixture,
  direction = 0,
  period = 0,
  agreementId: string = f.agreementId,
): Promise<bigint[]> {
  return [...(await f.clearing.periodVolumes(agreementId, direction, period, IOT_SERVICES.length))];
}

/** What a batch still counts in its period, by IOT plan position ({@link IOT_SERVICES}). */
export async function batchVolumesOf(f: ClearingFixture, batch: Batch): Promise<bigint[]> {
  return [...(await f.clearing.batchVolumes(toOnChainBatch(batch.header).header, IOT_SERVICES.length))];
}

/** The drift of a period. */
export async function driftOf(
  f: ClearingFixture,
  direction = 0,
  period = 0,
  agreementId: string = f.agreementId,
): Promise<bigint> {
  return (await f.clearing.periodCorrections(agreementId, direction, period)).drift;
}

/** A batch's stored record as plain values. */
export async function batchOf(
  f: ClearingFixture,
  batchId: string,
): Promise<{ status: bigint; charge: bigint; held: bigint; disputed: bigint; finalAt: bigint }> {
  const b = await f.clearing.getBatch(batchId);
  return { status: b.status, charge: b.charge, held: b.held, disputed: b.disputed, finalAt: b.finalAt };
}

/** Where {ClearingStorage} starts (ERC-7201 `roamledger.storage.UsageClearing`); `batches` is its third member. */
const CLEARING_STORAGE = 0x306f03afd50839b20b69df852b86236757d40cebdfd77b338c4d8c2ba586bb00n;

/**
 * Sets a batch's `disputed` count (the top 16 bits of its one-slot record) in storage, to test the bound without
 * 65,535 disputes.
 */
export async function setDisputed(f: ClearingFixture, batchId: string, disputed: bigint): Promise<void> {
  const slot = ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [batchId, CLEARING_STORAGE + 2n]),
  );
  const word = BigInt(await ethers.provider.getStorage(f.clearingAddress, slot));
  const next = (word & ((1n << 240n) - 1n)) | (disputed << 240n);
  await ethers.provider.send("hardhat_setStorageAt", [f.clearingAddress, slot, ethers.toBeHex(next, 32)]);
}

/** A copy of `leaf` with a field changed (its proof no longer holds). */
export function tampered(leaf: RecordLeaf): RecordLeaf {
  return { ...leaf, chargedVolume: leaf.chargedVolume + 1n };
}

/*//////////////////////////////////////////////////////////////////////////
                       THE SHARED TWO-BATCH SCENARIO
//////////////////////////////////////////////////////////////////////////*/

/**
 * Batch A (sequence 1, day 0): three voice records (indices 0-2), one SMS (3), two data records (4, 5), and a voice
 * record whose event starts before the batch period (6, OutsidePeriod); 2 units of data taxes. Total voice 48,000 s.
 * Batch B (sequence 2, day 1): three voice records, one SMS, one VoLTE. Total voice 36,000 s.
 * Both direction 0 of period 0, submitted in that order: the running voice volume is 84,000 s, past the IOT voice
 * tariff's 60,000 s tier (a fixed 10 units, then 0.04 a minute instead of 0.05), so removals are not linear.
 */
export interface TwoBatches extends ClearingFixture {
  a: Batch;
  b: Batch;
}

export const A_TAXES = 2_000_000n;

/** The clearing fixture with the agreement in clearing and batches A and B submitted. */
export async function twoBatches(): Promise<TwoBatches> {
  const f = await loadFixture(deployClearingFixture);
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  const a = batchA(f);
  const b = batchB(f);
  await submit(f, a);
  await submit(f, b);
  return { ...f, a, b };
}

export function batchA(f: ClearingFixture): Batch {
  const [start] = dayBounds(f, 0);
  return makeBatch(f, {
    sequence: 1,
    day: 0,
    records: [
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.SmsMO, volume: SMS },
      { service: Svc.Data, volume: DATA },
      { service: Svc.Data, volume: DATA },
      { service: Svc.VoiceMO, volume: VOICE, eventStart: start - 1n },
    ],
    taxes: { [Svc.Data]: A_TAXES },
  });
}

export function batchB(f: ClearingFixture): Batch {
  return makeBatch(f, {
    sequence: 2,
    day: 1,
    records: [
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.SmsMO, volume: SMS },
      { service: Svc.VoLTE, volume: VOLTE },
    ],
  });
}

/*//////////////////////////////////////////////////////////////////////////
                     AN AGREEMENT WITH ANOTHER CONDITION
//////////////////////////////////////////////////////////////////////////*/

/** A condition as the terms carry it. */
export interface ConditionArg {
  kind: number;
  includingTaxes: boolean;
  includedServices: number;
  commitment: bigint;
}

export const UNCONDITIONAL: ConditionArg = { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0n };

/**
 * A second alpha-beta agreement with the fixture's periods and IOT base tariffs, the fixture's discount tariff on
 * direction 0 under `condition`, no discount on direction 1; offered by alpha (nonce `nonce`), accepted by bob.
 */
export async function agreementWithCondition(
  f: ClearingFixture,
  condition: ConditionArg,
  nonce = 78n,
): Promise<{ agreementId: string; terms: AgreementTerms }> {
  const terms: AgreementTerms = {
    ...f.terms,
    validFrom: BigInt(f.terms.validFrom),
    baseTariff: [f.iotTariffId, f.iotTariffId],
    discountTariff: [f.discountTariffId, ethers.ZeroHash],
    conditions: [condition, UNCONDITIONAL],
  };
  const { offer, signature, offerHash } = await signedOffer(f, { terms, nonce });
  await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
  return { agreementId: await f.agreements.agreementIdOf(offerHash, f.beta), terms };
}
