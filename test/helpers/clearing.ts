import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { TypedDataDomain } from "ethers";

import {
  batchIdOf,
  clearingDomain,
  computeTariffId,
  parseTariff,
  packBatchTotals,
  toOnChainBatch,
  type Tariff,
  type AgreementTerms,
  type BatchHeader,
} from "../../sdk/src";
import { leafTuple, RECORD_LEAF_TYPES, type RecordLeaf } from "../../sdk/src/merkle/leaf";
import { deployAgreementFixture, DAY, iotTariff, signedOffer, type AgreementFixture } from "./agreements";
import { scheduleAndExecute } from "./fixtures";
import { Kind, Svc } from "./rating";
import { CYCLE } from "./vault";

/** One whole unit of the fixture's 6-decimal token. */
export const UNIT = 1_000_000n;
/** Dispute reason codes (RAP-like) and fatal reject codes. */
export const Code = { UnknownSubscriber: 10, DuplicateEvent: 11, ImpossibleSequence: 12, Other: 19 } as const;
export const Reject = { FileUnreadable: 100, WrongRecipient: 101, TotalsMismatch: 102, Other: 109 } as const;
export const Fraud = { None: 0, Duplicate: 1, OutsidePeriod: 2, BadIncrement: 3, ServiceNotCovered: 4 } as const;
export const BatchStatus = { None: 0n, Pending: 1n, Final: 2n, Rejected: 3n, Accepted: 4n } as const;

export interface ClearingFixture extends AgreementFixture {
  clearingAddress: string;
  clearingDomain: TypedDataDomain;
  /** The base tariff of both directions (the fixture's IOT tariff). */
  tariff: Tariff;
  /** Party A (alpha) is the visited network of direction 0, party B (beta) its home network. */
  vpmn: bigint;
  hpmn: bigint;
}

/**
 * The agreement fixture (alpha and beta, IOT base tariff both ways, a discount tariff on direction 0), with its token
 * allowed in the vault, 1,000,000 units deposited by each party, and the clock two days into the first period.
 */
export async function deployClearingFixture(): Promise<ClearingFixture> {
  const f = await deployAgreementFixture();
  const { manager, vault, accounts: a } = f;
  const data = vault.interface.encodeFunctionData("allowToken", [f.tokenAddress, CYCLE]);
  await scheduleAndExecute(manager, a.governor, await vault.getAddress(), data);
  for (const [holder, id] of [
    [a.alice, f.alpha],
    [a.bob, f.beta],
  ] as const) {
    await f.token.mint(holder, 1_000_000n * UNIT);
    await f.token.connect(holder).approve(vault, ethers.MaxUint256);
    await vault.connect(holder).deposit(id, f.token, 1_000_000n * UNIT);
  }
  await time.increaseTo(BigInt(f.terms.validFrom) + BigInt(2 * DAY));
  const clearingAddress = await f.clearing.getAddress();
  return {
    ...f,
    clearingAddress,
    clearingDomain: clearingDomain({ chainId: f.chainId, verifyingContract: clearingAddress }),
    tariff: iotTariff(),
    vpmn: f.alpha,
    hpmn: f.beta,
  };
}

/** A deterministic record of `service`: a fixed subscriber pool, event starts spread inside `[start, end)`. */
export function makeRecord(
  i: number,
  service: number,
  start: bigint,
  end: bigint,
  chargedVolume: bigint,
  index = i,
): RecordLeaf {
  const subscriberHash = ethers.keccak256(ethers.toBeHex(1000 + (i % 37), 32));
  const eventStart = start + ((BigInt(i) * 7919n) % (end - start));
  const recordId = ethers.solidityPackedKeccak256(
    ["bytes32", "uint8", "uint64", "uint256"],
    [subscriberHash, service, eventStart, i],
  );
  return { recordId, subscriberHash, service: service as RecordLeaf["service"], eventStart, chargedVolume, index };
}

/** The default volumes of a generated record per service (multiples of the IOT tariff's increments). */
const VOLUMES: Record<number, bigint> = {
  [Svc.VoiceMO]: 120n,
  [Svc.VoiceMT]: 60n,
  [Svc.SmsMO]: 1n,
  [Svc.SmsMT]: 1n,
  [Svc.Data]: 1024n * 500n,
  [Svc.VoLTE]: 180n,
  [Svc.IoTAccess]: 1n,
  [Svc.SliceHours]: 1n,
};

/** `perService` records of each service, indexed 0.. in file order, all inside `[start, end)`. */
export function makeRecords(services: readonly number[], perService: number, start: bigint, end: bigint): RecordLeaf[] {
  const leaves: RecordLeaf[] = [];
  for (const service of services) {
    for (let k = 0; k < perService; k++) {
      leaves.push(makeRecord(leaves.length, service, start, end, VOLUMES[service] ?? 1n));
    }
  }
  return leaves;
}

export interface Batch {
  header: BatchHeader;
  batchId: string;
  leaves: RecordLeaf[];
  tree: StandardMerkleTree<ReturnType<typeof leafTuple>>;
}

/** The batch of `leaves`: totals per service (ascending), taxes per service, the records' Merkle root. */
export function buildBatch(options: {
  agreementId: string;
  direction?: number;
  sequence: number;
  periodStart: bigint;
  periodEnd: bigint;
  leaves: RecordLeaf[];
  taxes?: Record<number, bigint>;
  fileHash?: string;
  /** The base tariff's id (default: the fixture's IOT tariff). */
  baseTariff?: string;
}): Batch {
  const totals = new Map<number, { volume: bigint; count: bigint }>();
  for (const leaf of options.leaves) {
    const t = totals.get(leaf.service) ?? { volume: 0n, count: 0n };
    t.volume += leaf.chargedVolume;
    t.count += 1n;
    totals.set(leaf.service, t);
  }
  const services = [...totals.keys()].sort((x, y) => x - y);
  const tree = StandardMerkleTree.of(options.leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
  const header: BatchHeader = {
    agreementId: options.agreementId,
    direction: options.direction ?? 0,
    sequence: options.sequence,
    periodStart: options.periodStart,
    periodEnd: options.periodEnd,
    baseTariff: options.baseTariff ?? computeTariffId(iotTariff()),
    services,
    volumes: services.map((s) => totals.get(s)!.volume),
    recordCounts: services.map((s) => totals.get(s)!.count),
    taxes: services.map((s) => options.taxes?.[s] ?? 0n),
    root: tree.root,
    fileHash: options.fileHash ?? ethers.id(`file ${options.sequence}`),
  };
  return { header, batchId: batchIdOf(header), leaves: options.leaves, tree };
}

/** The static header the contract takes for an SDK header (its totals replaced by their hash). */
export function onChain(header: BatchHeader) {
  return toOnChainBatch(header).header;
}

/** `reject`'s first two arguments for an SDK header: the static header and the totals (arrays). */
export function batchArgs(header: BatchHeader) {
  const { header: h, totals } = toOnChainBatch(header);
  return [h, totals] as const;
}

/** `submitBatch`'s first two arguments for an SDK header: the static header and the packed totals. */
export function submitArgs(header: BatchHeader) {
  const { header: h, totals } = toOnChainBatch(header);
  return [h, packBatchTotals(totals)] as const;
}

/** The Merkle proof of the leaf at file position `index` of a batch. */
export function proofOf(batch: Batch, index: number): { leaf: RecordLeaf; proof: string[] } {
  for (const [i, value] of batch.tree.entries()) {
    if (Number(value[5]) === index) return { leaf: batch.leaves[index], proof: batch.tree.getProof(i) };
  }
  throw new Error(`no leaf with index ${index}`);
}

/** A multi-proof of the leaves at file positions `indices`, leaves in the order the contract checks them. */
export function multiProofOf(
  batch: Batch,
  indices: number[],
): { leaves: RecordLeaf[]; proof: string[]; proofFlags: boolean[] } {
  const treeIndices: number[] = [];
  for (const [i, value] of batch.tree.entries()) {
    if (indices.includes(Number(value[5]))) treeIndices.push(i);
  }
  const multi = batch.tree.getMultiProof(treeIndices);
  return {
    leaves: multi.leaves.map((value) => batch.leaves[Number(value[5])]),
    proof: multi.proof,
    proofFlags: multi.proofFlags,
  };
}

/** An empty multi-proof (a rejection of a batch with no challenged record). */
export const NO_RECORDS = { leaves: [], proof: [], proofFlags: [] };

/** An IOT tariff of 8 services (Threshold, IoT as Access), for the 8-service gas budget. */
export function eightServiceTariff(): Tariff {
  const flat = (service: number, increment: number, price: bigint, kind: number = Kind.Threshold) => ({
    service,
    kind,
    increment,
    tiers: [{ start: 0, fixedPrice: 0, linearPrice: price }],
    unbalancedTiers: [],
  });
  const milli = (n: bigint) => n * 10n ** 15n;
  return parseTariff({
    plans: [
      flat(Svc.VoiceMO, 60, milli(50n)),
      flat(Svc.VoiceMT, 60, milli(5n)),
      flat(Svc.SmsMO, 1, milli(10n)),
      flat(Svc.SmsMT, 1, milli(1n)),
      flat(Svc.Data, 1024, milli(2n)),
      flat(Svc.VoLTE, 60, milli(45n)),
      flat(Svc.IoTAccess, 1, milli(300n), Kind.Access),
      flat(Svc.SliceHours, 1, milli(900n)),
    ],
  });
}

/** A second agreement (alpha-beta) whose base tariff is `tariff` in both directions, without discount. */
export async function agreementWithTariff(
  f: ClearingFixture,
  tariff: Tariff,
): Promise<{ agreementId: string; terms: AgreementTerms }> {
  await f.agreements.connect(f.accounts.dave).publishTariff(tariff);
  const tariffId = computeTariffId(tariff);
  const terms: AgreementTerms = {
    ...f.terms,
    validFrom: BigInt(f.terms.validFrom),
    baseTariff: [tariffId, tariffId],
    discountTariff: [ethers.ZeroHash, ethers.ZeroHash],
    conditions: [
      { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
      { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
    ],
  };
  const { offer, signature, offerHash } = await signedOffer(f, { terms, nonce: 77n });
  await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
  return { agreementId: await f.agreements.agreementIdOf(offerHash, f.beta), terms };
}
