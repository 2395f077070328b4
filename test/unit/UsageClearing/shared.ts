import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";

import {
  computeTariffId,
  hashAgreementTerms,
  hashBatchTotals,
  rate,
  RESOLUTION_TYPES,
  type Tariff,
  type AgreementTerms,
  type BatchHeader,
  type OnChainBatchTotals,
  type PlanKind,
  type Service,
  type ServicePlan,
} from "../../../sdk/src";
import type { RecordLeaf } from "../../../sdk/src/merkle/leaf";
import { DAY, PERIOD, signedAmendment } from "../../helpers/agreements";
import {
  submitArgs,
  onChain,
  BatchStatus as HelperBatchStatus,
  buildBatch,
  Code,
  deployClearingFixture,
  makeRecord,
  multiProofOf,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { Svc } from "../../helpers/rating";

/*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS
//////////////////////////////////////////////////////////////////////////*/

/** The fixture token's decimals: what the rating engine rounds to. */
export const DECIMALS = 6;
export const UINT96_MAX = 2n ** 96n - 1n;
export const UINT88_MAX = 2n ** 88n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
/** BatchStatus of contracts/types/ClearingTypes.sol, with `Accepted` (4), which the helpers' list lacks. */
export const BatchStatus = { ...HelperBatchStatus, Accepted: 4n } as const;
/** OperatorStatus of contracts/types/OperatorTypes.sol. */
export const Status = { None: 0n, Active: 1n, Suspended: 2n, Exited: 3n } as const;
export const URI = "ipfs://bafy-batch";

/** Per service, the charged volume of each record (in file order, services ascending). */
export type Usage = Partial<Record<number, readonly bigint[]>>;

/**
 * The default batch: 2 voice MO calls (record 0 lasts 120 s), 3 SMS MO and 2 data sessions, all multiples of the IOT
 * tariff's increments, with taxes on SMS and data.
 */
export const USAGE: Usage = {
  [Svc.VoiceMO]: [120n, 300n],
  [Svc.SmsMO]: [1n, 1n, 1n],
  [Svc.Data]: [1024n * 500n, 1024n * 300n],
};
export const TAXES: Record<number, bigint> = { [Svc.SmsMO]: 250_000n, [Svc.Data]: 1_500_000n };

/*//////////////////////////////////////////////////////////////////////////
                                   BATCHES
//////////////////////////////////////////////////////////////////////////*/

/** The records of `usage`, indexed 0.. in file order, with record ids unique to `salt`. */
export function leavesOf(usage: Usage, start: bigint, end: bigint, salt: string): RecordLeaf[] {
  const leaves: RecordLeaf[] = [];
  const services = Object.keys(usage)
    .map(Number)
    .sort((x, y) => x - y);
  for (const service of services) {
    for (const volume of usage[service] ?? []) {
      const leaf = makeRecord(leaves.length, service, start, end, volume);
      leaves.push({ ...leaf, recordId: ethers.id(`${salt}/${leaf.index}`) });
    }
  }
  return leaves;
}

export interface BatchOptions {
  sequence: number;
  direction?: number;
  agreementId?: string;
  periodStart?: bigint;
  periodEnd?: bigint;
  usage?: Usage;
  taxes?: Record<number, bigint>;
  /** Distinguishes batches of equal content (their roots and file hashes differ). */
  tag?: string;
  /** The base tariff the header names (default: the fixture's IOT tariff). */
  tariff?: Tariff;
}

/** The first day of the agreement's first period, `[validFrom, validFrom + 1 day)`. */
export function firstDay(f: ClearingFixture): [bigint, bigint] {
  const start = BigInt(f.terms.validFrom);
  return [start, start + BigInt(DAY)];
}

/** A batch of `usage` (default {@link USAGE} with {@link TAXES}) over the first day, on `f`'s agreement. */
export function usageBatch(f: ClearingFixture, options: BatchOptions): Batch {
  const [dayStart, dayEnd] = firstDay(f);
  const periodStart = options.periodStart ?? dayStart;
  const periodEnd = options.periodEnd ?? dayEnd;
  const agreementId = options.agreementId ?? f.agreementId;
  const direction = options.direction ?? 0;
  const salt = `${agreementId}/${direction}/${options.sequence}/${options.tag ?? ""}`;
  return buildBatch({
    agreementId,
    direction,
    sequence: options.sequence,
    periodStart,
    periodEnd,
    leaves: leavesOf(options.usage ?? USAGE, periodStart, periodEnd, salt),
    taxes: options.taxes ?? (options.usage === undefined ? TAXES : {}),
    fileHash: ethers.id(`file ${salt}`),
    baseTariff: options.tariff === undefined ? undefined : computeTariffId(options.tariff),
  });
}

export interface SubmitOptions {
  by?: HardhatEthersSigner;
  /**
   * The agreement's version-0 terms and its base tariff (both directions), with which {@link inClearing} puts it in
   * clearing before the batch if it is not yet (default: the fixture's).
   */
  terms?: AgreementTerms;
  tariff?: Tariff;
  uri?: string;
  signature?: string;
}

/**
 * Puts `agreementId` in clearing unless it already is (`enableClearing`, which caches its version-0 terms): the
 * one-time step a VPMN takes before its first batch, so that a test's first submission finds the agreement ready.
 */
export async function inClearing(f: ClearingFixture, agreementId: string, options: SubmitOptions = {}): Promise<void> {
  if ((await f.clearing.clearingConfig(agreementId)).token !== ethers.ZeroAddress) return;
  if ((await f.agreements.getAgreement(agreementId).catch(() => null)) === null) return; // unknown: left to the test
  const tariff = options.tariff ?? f.tariff;
  await f.clearing.enableClearing(agreementId, options.terms ?? f.terms, [tariff, tariff]);
}

/** Caches version `version` of the fixture agreement's terms (`cacheTerms`, base tariff `tariff` both ways). */
export async function cached(
  f: ClearingFixture,
  version: number,
  terms: AgreementTerms,
  tariff: Tariff = f.tariff,
): Promise<ContractTransactionResponse> {
  return f.clearing.cacheTerms(f.agreementId, version, terms, [tariff, tariff]);
}

/** Submits `header` as the VPMN of direction 0 (alice) unless told otherwise (its agreement put in clearing first). */
export async function submit(
  f: ClearingFixture,
  header: BatchHeader,
  options: SubmitOptions = {},
): Promise<ContractTransactionResponse> {
  await inClearing(f, String(header.agreementId), options);
  return f.clearing
    .connect(options.by ?? f.accounts.alice)
    .submitBatch(...submitArgs(header), options.uri ?? URI, options.signature ?? "0x");
}

/** A batch's totals as the contract takes them (`BatchTotals`), any service id allowed. */
export interface Totals {
  services: number[];
  volumes: bigint[];
  recordCounts: bigint[];
  taxes: bigint[];
}
/** A static header as the contract takes it (`BatchHeader`). */
export type OnChainHeader = ReturnType<typeof onChain>;

/**
 * `submitBatch` with on-chain pieces given as they are, so that a test may send what the SDK would refuse to build
 * (a direction above 1, empty totals, a header whose fields disagree with its totals), the totals packed.
 */
export async function submitOnChain(
  f: ClearingFixture,
  header: OnChainHeader,
  totals: Totals,
  options: SubmitOptions = {},
): Promise<ContractTransactionResponse> {
  await inClearing(f, header.agreementId, options);
  return f.clearing
    .connect(options.by ?? f.accounts.alice)
    .submitBatch(header, packed(totals), options.uri ?? URI, options.signature ?? "0x");
}

/**
 * `totals` packed as `submitBatch` takes them (`service | volume << 8 | recordCount << 72 | tax << 104` per service),
 * without the SDK's checks, so that a test may send out-of-range values (aligned arrays only).
 */
export function packed(totals: Totals): bigint[] {
  return totals.services.map(
    (s, i) =>
      BigInt(s) |
      (BigInt(totals.volumes[i]) << 8n) |
      (BigInt(totals.recordCounts[i]) << 72n) |
      (BigInt(totals.taxes[i]) << 104n),
  );
}

/**
 * The on-chain header of `header` carrying other `totals`: its `totals` field their hash and its `taxes` their sum
 * (unless `taxes` is given), so that only the totals themselves are at fault.
 */
export function withTotals(header: BatchHeader, totals: Totals, taxes?: bigint): [OnChainHeader, Totals] {
  const sum = totals.taxes.reduce((s, t) => s + BigInt(t), 0n);
  return [{ ...onChain(header), totals: totalsHash(totals), taxes: taxes ?? sum }, totals];
}

/** The struct hash of `totals` (the SDK's `hashBatchTotals`, for totals of any service id). */
export function totalsHash(totals: Totals): string {
  return hashBatchTotals(totals as OnChainBatchTotals);
}

/** The timestamp the next block will have, fixed now so that a test knows `finalAt` in advance. */
export async function nextTimestamp(offset = 60n): Promise<bigint> {
  const at = BigInt(await time.latest()) + offset;
  await time.setNextBlockTimestamp(at);
  return at;
}

/*//////////////////////////////////////////////////////////////////////////
                        RATING (SDK ENGINE, INDEPENDENT)
//////////////////////////////////////////////////////////////////////////*/

/** The base plan of `service` in `tariff`, as the SDK rating engine takes it. */
export function planOf(tariff: Tariff, service: number): ServicePlan {
  const p = tariff.plans.find((x) => Number(x.service) === service);
  if (p === undefined) throw new Error(`no plan for service ${service}`);
  const tiers = (list: typeof p.tiers) =>
    list.map((t) => ({ start: BigInt(t.start), fixedPrice: BigInt(t.fixedPrice), linearPrice: BigInt(t.linearPrice) }));
  return {
    service: Number(p.service) as Service,
    kind: Number(p.kind) as PlanKind,
    increment: BigInt(p.increment),
    tiers: tiers(p.tiers),
    unbalancedTiers: tiers(p.unbalancedTiers),
  };
}

/** `R_s(V)`: the base plan's rounded period result for a running volume `V` of `service`. */
export function periodResult(tariff: Tariff, service: number, volume: bigint): bigint {
  return rate(planOf(tariff, service), volume, 0n, DECIMALS);
}

/** Running volumes by service. */
export type Volumes = Partial<Record<number, bigint>>;

/**
 * What the contract should charge for `header` when the period's running volumes are `running`:
 * `Σ_s R_s(V_s + v_s) − R_s(V_s)`. Adds the batch's volumes to `running`.
 */
export function chargeOf(tariff: Tariff, header: BatchHeader, running: Volumes = {}): bigint {
  let charge = 0n;
  header.services.forEach((s, i) => {
    const service = Number(s);
    const before = running[service] ?? 0n;
    const after = before + BigInt(header.volumes[i]);
    charge += periodResult(tariff, service, after) - periodResult(tariff, service, before);
    running[service] = after;
  });
  return charge;
}

/** The batch's total taxes. */
export function taxesOf(header: BatchHeader): bigint {
  return header.taxes.reduce<bigint>((sum, t) => sum + BigInt(t), 0n);
}

/** `R_s(V) − R_s(V − v)`: the marginal charge of a record of volume `v` when the running volume is `V`. */
export function marginalOf(tariff: Tariff, service: number, running: bigint, volume: bigint): bigint {
  const after = volume < running ? running - volume : 0n;
  return periodResult(tariff, service, running) - periodResult(tariff, service, after);
}

/** The running volumes as {IUsageClearing.periodVolumes} lists them: one per base-tariff plan position. */
export function volumesByPosition(tariff: Tariff, running: Volumes): bigint[] {
  return tariff.plans.map((p) => running[Number(p.service)] ?? 0n);
}

/** The vault `ref` of a resolution: `keccak256(abi.encode(batchId, round))`. */
export function resolutionRef(batchId: string, round: number | bigint): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint16"], [batchId, round]));
}

/** The vault's open cycle of the fixture token (the `cycle` of an `ObligationApplied`). */
export async function openCycle(f: ClearingFixture): Promise<bigint> {
  return (await f.vault.tokenConfig(f.token)).cycle;
}

/*//////////////////////////////////////////////////////////////////////////
                                  GOVERNANCE
//////////////////////////////////////////////////////////////////////////*/

/**
 * Runs `data` on the clearing contract as the governor: scheduled through the AccessManager and executed after the
 * governor's delay (as `scheduleAndExecute`), returning the execution so that its events can be asserted.
 */
export async function asGovernor(f: ClearingFixture, data: string): Promise<ContractTransactionResponse> {
  await f.manager.connect(f.accounts.governor).schedule(f.clearingAddress, data, 0);
  await time.increase(GOVERNOR_DELAY);
  return f.manager.connect(f.accounts.governor).execute(f.clearingAddress, data);
}

/** Amends the agreement from its second period on (version 1: a 5-day dispute window). Returns the new terms. */
export async function amendFromSecondPeriod(f: ClearingFixture): Promise<AgreementTerms> {
  const newTerms: AgreementTerms = { ...f.terms, disputeWindow: 5 * DAY };
  const amendment = {
    agreementId: f.agreementId,
    baseVersion: 0,
    newTermsHash: hashAgreementTerms(newTerms),
    effectiveFrom: BigInt(f.terms.validFrom) + BigInt(PERIOD),
  };
  const { signatureA, signatureB } = await signedAmendment(f, amendment);
  await f.agreements.amend(amendment, f.terms, newTerms, signatureA, signatureB);
  return newTerms;
}

/**
 * Both parties' signer keys' signatures of `Resolution(batchId, round, disputed, held, payAmount)`; `disputed` and
 * `held` default to the batch's state on chain now (what both parties see when they sign).
 */
export async function signedResolution(
  f: ClearingFixture,
  batchId: string,
  round: number | bigint,
  payAmount: bigint,
  seen?: { disputed: bigint; held: bigint },
): Promise<{ hpmnSignature: string; vpmnSignature: string }> {
  const { disputed, held } = seen ?? (await f.clearing.getBatch(batchId));
  // Signed as raw typed data, not through the SDK's signResolution, which refuses a payAmount above the held amount:
  // the tests send such signatures to the contract too.
  const resolution = { batchId, round, disputed, held, payAmount };
  return {
    hpmnSignature: await f.accounts.bobSigner.signTypedData(f.clearingDomain, RESOLUTION_TYPES, resolution),
    vpmnSignature: await f.accounts.aliceSigner.signTypedData(f.clearingDomain, RESOLUTION_TYPES, resolution),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

// Each scenario builds on its parent through `loadFixture`, so that the suite is deployed once: restoring an earlier
// snapshot drops the later ones, and rebuilding a scenario then costs its own few transactions, not a deployment.

/** The clearing fixture with the agreement put in clearing by `enableClearing` (no batch yet). */
export async function enabled(): Promise<ClearingFixture> {
  const f = await loadFixture(deployClearingFixture);
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  return f;
}

export interface PendingFixture extends ClearingFixture {
  /** Batch 1 of direction 0 ({@link USAGE}, {@link TAXES}), submitted by alice (the agreement put in clearing first). */
  batch: Batch;
  /** Its charge and taxes, computed with the SDK engine. */
  charge: bigint;
  taxes: bigint;
  /** When it was submitted, and when its window ends. */
  submittedAt: bigint;
  finalAt: bigint;
}

export async function withPendingBatch(): Promise<PendingFixture> {
  const f = await loadFixture(enabled);
  const batch = usageBatch(f, { sequence: 1 });
  const submittedAt = await nextTimestamp();
  await submit(f, batch.header);
  return {
    ...f,
    batch,
    charge: chargeOf(f.tariff, batch.header),
    taxes: taxesOf(batch.header),
    submittedAt,
    finalAt: submittedAt + BigInt(f.terms.disputeWindow),
  };
}

export interface HeldFixture extends PendingFixture {
  /** What bob's dispute of record 0 (voice MO, 120 s) moved from the charge to the held part. */
  held: bigint;
}

/** {@link withPendingBatch}, then bob disputes record 0: `charge` is what is left, `held` what moved. */
export async function withHeldBatch(): Promise<HeldFixture> {
  const f = await loadFixture(withPendingBatch);
  const voice = USAGE[Svc.VoiceMO] ?? [];
  const running = voice.reduce((sum, v) => sum + v, 0n);
  const marginal = marginalOf(f.tariff, Svc.VoiceMO, running, voice[0]);
  const held = marginal < f.charge ? marginal : f.charge;
  await f.clearing
    .connect(f.accounts.bob)
    .dispute(onChain(f.batch.header), multiProofOf(f.batch, [0]), [Code.UnknownSubscriber]);
  return { ...f, held, charge: f.charge - held };
}
