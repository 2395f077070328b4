/**
 * Client of the `CapacityToken` (ERC-1155 capacity classes, docs/ARCHITECTURE.md section 9) for ethers v6: typed
 * reads, writes that return their receipt, and pure transaction builders (`client.build.*`) for multisigs, custody
 * systems and governance proposals.
 *
 * Every input is validated before anything is sent (ids, addresses, amounts, the class terms against their Solidity
 * types and the contract's rules that need no chain state), and an invalid one throws an {@link InvalidArgumentError}
 * naming the field. Reverts surface as {@link RoamLedgerContractError}, decoded with the suite's errors plus the
 * ERC-20 and ERC-1155 ones (see {@link capacityErrorDecoder}).
 *
 * {@link CapacityClient.preflightSpectrum} checks a spectrum class against its band plan (read from the chain) before
 * {@link CapacityClient.createClass} sends it; {@link CapacityClient.preflightBandPlan} checks a new band plan against
 * those that exist.
 */
import {
  AbiCoder,
  isHexString,
  keccak256,
  type ContractRunner,
  type LogDescription,
  type Overrides,
  type TransactionReceipt,
} from "ethers";

import { ErrorDecoder, InvalidArgumentError, SUITE_ERROR_SOURCES, type ErrorAbiSource } from "../errors";
import { expandMetadataUri } from "../capacity/metadata";
import {
  bandPlansOverlap,
  blockWords,
  CAPACITY_LIMITS,
  CapacityKind,
  channelBand,
  classIdOf as localClassIdOf,
  maxSlaCredit,
  normalizeClassTerms,
  spectrumWindow,
  type BandPlan,
  type ClassTerms,
} from "../capacity/terms";
import { toAddress, toBytes32, toInteger, toOperatorId, toUint, type UintLike } from "../validation";
import { lazyInterface, SuiteClient, TransactionBuilder } from "./base";
import type { BuiltTransaction } from "./registry";
import { sendBuilt } from "./send";
import type { CapacityToken } from "../typechain/contracts/CapacityToken";
import { CapacityToken__factory } from "../typechain/factories/contracts/CapacityToken__factory";
import { IERC20Errors__factory } from "../typechain/factories/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC20Errors__factory";
import { IERC1155Errors__factory } from "../typechain/factories/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC1155Errors__factory";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** The normalized terms of a class (every integer a bigint, addresses checksummed, bytes32 lower case). */
export type NormalizedClassTerms = ReturnType<typeof normalizeClassTerms>;

/** A class's record (`classInfo`). */
export interface CapacityClassInfo {
  classId: bigint;
  issuerId: bigint;
  kind: CapacityKind;
  validFrom: bigint;
  validUntil: bigint;
  maxSupply: bigint;
  /** Units minted so far (redeemed units are burnt, never minted again). */
  minted: bigint;
}

/** A band plan as the contract returns it. */
export interface BandPlanInfo extends BandPlan {
  originKHz: bigint;
  channelWidthKHz: bigint;
  channelCount: bigint;
  slotSeconds: bigint;
  epoch: bigint;
  slotCount: bigint;
}

/** A band plan with its id (see {@link CapacityClient.bandPlans}). */
export interface NumberedBandPlan extends BandPlanInfo {
  bandPlanId: bigint;
}

/** The record of an SLA breach (`slaBreach`): all zero if it was never recorded. */
export interface SlaBreachRecord {
  /** Whether the breach was recorded (its first call fixed how many units it may credit). */
  recorded: boolean;
  /** Units the breach may still credit. */
  remaining: bigint;
}

/** The outcome of {@link CapacityClient.createClass}. */
export interface CreatedClass {
  /** The class's ERC-1155 id, read from the `ClassCreated` event. */
  classId: bigint;
  receipt: TransactionReceipt;
}

/** One holder credited for a breach (`SlaCredited`). */
export interface SlaCredit {
  holderId: bigint;
  /** The units credited: the holder's balance at the call, or what the breach could still credit if less. */
  units: bigint;
  /** What the issuer owes the holder, in the slice's credit token (recorded in the vault unless zero). */
  credit: bigint;
  /** Units the breach may still credit after this holder. */
  remaining: bigint;
}

/** The outcome of {@link CapacityClient.recordSlaBreach} and {@link CapacityClient.arbitrateSlaBreach}. */
export interface SlaBreachResult {
  /** {@link slaBreachIdOf}: the same breach whichever path records it, whatever the evidence. */
  breachId: string;
  classId: bigint;
  /** This call's evidence hash. */
  evidence: string;
  byArbiter: boolean;
  /**
   * Units the breach could still credit as the call started; on its first call, the class's supply outside the
   * issuer's admin account.
   */
  creditable: bigint;
  /** The holders credited, in the order of the call. */
  credits: SlaCredit[];
  receipt: TransactionReceipt;
}

/** What {@link CapacityClient.preflightSpectrum} checked. */
export interface SpectrumPreflight {
  plan: BandPlanInfo;
  /** Grid words the block reserves (at most {@link CAPACITY_LIMITS.maxBlockWords}). */
  words: bigint;
  /** The block's time window, which is the class's validity. */
  validFrom: bigint;
  validUntil: bigint;
  /** The block's frequency range `[lowKHz, highKHz)`. */
  lowKHz: bigint;
  highKHz: bigint;
}

const UINT64_MAX = 2n ** 64n - 1n;

/*//////////////////////////////////////////////////////////////////////////
                                   ERRORS
//////////////////////////////////////////////////////////////////////////*/

/** The ABIs the capacity and market clients decode reverts with: the suite's plus the ERC-20 and ERC-1155 errors. */
export const CAPACITY_ERROR_SOURCES: readonly ErrorAbiSource[] = [
  ...SUITE_ERROR_SOURCES,
  { contract: "IERC20Errors", abi: IERC20Errors__factory.abi },
  { contract: "IERC1155Errors", abi: IERC1155Errors__factory.abi },
];

let decoder: ErrorDecoder | undefined;

/** The decoder for {@link CAPACITY_ERROR_SOURCES}, built on first use. */
export function capacityErrorDecoder(): ErrorDecoder {
  decoder ??= new ErrorDecoder(CAPACITY_ERROR_SOURCES);
  return decoder;
}

/** Awaits `operation`, rethrowing a known revert as a {@link RoamLedgerContractError}. */
async function capacityDecoded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw capacityErrorDecoder().decode(error) ?? error;
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                 PURE HELPERS
//////////////////////////////////////////////////////////////////////////*/

/**
 * The id of an SLA breach: `keccak256(abi.encode(classId, from, to))`, as `CapacityToken.slaBreachIdOf` and
 * `SlaBreachRecorded` have it. The evidence is not part of it: the issuer's and the arbiter's records of one window are
 * one breach.
 */
export function slaBreachIdOf(classId: UintLike, from: UintLike, to: UintLike): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint256", "uint40", "uint40"],
      [toUint(classId, 256, "classId"), toUint(from, 40, "from"), toUint(to, 40, "to")],
    ),
  );
}

/** The vault reference of a holder's SLA credit: `keccak256(abi.encode(breachId, holderId))`. */
export function slaCreditRef(breachId: string, holderId: UintLike): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "uint32"],
      [toBytes32(breachId, "breachId"), toOperatorId(holderId, "holderId")],
    ),
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                 VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function toClassId(value: UintLike, field = "classId"): bigint {
  return toUint(value, 256, field);
}

/** A number of units: 1 to `2^64 - 1` (no class has more: `maxSupply` is a `uint64`). */
function toUnits(value: UintLike, field = "amount"): bigint {
  return toInteger(value, field, 1n, UINT64_MAX, `must be 1 to ${UINT64_MAX} units`);
}

function toBytes(value: string, field: string): string {
  if (typeof value !== "string" || !isHexString(value) || value.length % 2 !== 0) {
    throw new InvalidArgumentError("must be hex bytes (0x and an even number of hex digits)", { field, value });
  }
  return value;
}

function toText(value: string, field: string): string {
  if (typeof value !== "string") throw new InvalidArgumentError("must be a string", { field, value });
  return value;
}

function toBool(value: boolean, field: string): boolean {
  if (typeof value !== "boolean") throw new InvalidArgumentError("must be a boolean", { field, value });
  return value;
}

function toTerms(terms: ClassTerms): NormalizedClassTerms {
  if (typeof terms !== "object" || terms === null) {
    throw new InvalidArgumentError("must be an object", { field: "terms", value: terms });
  }
  for (const part of ["slice", "spectrum"] as const) {
    if (typeof terms[part] !== "object" || terms[part] === null) {
      throw new InvalidArgumentError("must be an object", { field: part, value: terms[part] });
    }
  }
  return normalizeClassTerms(terms);
}

/**
 * The terms of a class to create, checked against every rule of `createClass` that needs no chain state (the band
 * plan, the time and existing classes are the contract's to check).
 */
function toNewClassTerms(terms: ClassTerms): NormalizedClassTerms {
  const t = toTerms(terms);
  if (t.validUntil <= t.validFrom) {
    throw new InvalidArgumentError(`must be after validFrom (${t.validFrom})`, {
      field: "validUntil",
      value: terms.validUntil,
    });
  }
  if (t.maxSupply === 0n) throw new InvalidArgumentError("must be at least 1", { field: "maxSupply", value: 0n });
  const s = t.slice;
  if (t.kind === CapacityKind.Slice) {
    if (BigInt(s.availabilityBp) > 10_000n) {
      throw new InvalidArgumentError("must be at most 10,000 basis points", {
        field: "slice.availabilityBp",
        value: s.availabilityBp,
      });
    }
    const maxCredit = maxSlaCredit(t);
    if (maxCredit > CAPACITY_LIMITS.maxSlaCredit) {
      throw new InvalidArgumentError(
        `the largest credit to one holder (every unit over the whole validity), ${maxCredit}, exceeds one vault ` +
          `obligation's maximum, ${CAPACITY_LIMITS.maxSlaCredit}`,
        { field: "slice.creditPerUnitHour", value: s.creditPerUnitHour },
      );
    }
    if (BigInt(s.creditPerUnitHour) !== 0n && BigInt(s.creditToken) === 0n) {
      throw new InvalidArgumentError("must be a vault token when creditPerUnitHour is not zero", {
        field: "slice.creditToken",
        value: s.creditToken,
      });
    }
  } else if (
    [s.snssai, s.throughputKbps, s.latencyMs, s.availabilityBp, s.creditPerUnitHour].some((x) => BigInt(x) !== 0n) ||
    BigInt(s.creditToken) !== 0n
  ) {
    throw new InvalidArgumentError("must be all zero for a class that is not a slice", { field: "slice", value: s });
  }
  const g = t.spectrum;
  if (t.kind === CapacityKind.Spectrum) {
    if (BigInt(g.bandPlanId) === 0n) {
      throw new InvalidArgumentError("must be a band plan id (from 1)", { field: "spectrum.bandPlanId", value: 0n });
    }
    if (BigInt(g.channelCount) === 0n) {
      throw new InvalidArgumentError("must be at least 1", { field: "spectrum.channelCount", value: 0n });
    }
    if (BigInt(g.slotCount) === 0n) {
      throw new InvalidArgumentError("must be at least 1", { field: "spectrum.slotCount", value: 0n });
    }
    const words = blockWords(g);
    if (words > CAPACITY_LIMITS.maxBlockWords) {
      throw new InvalidArgumentError(
        `the block touches ${words} grid words (groups of 4 channels x runs of 64 slots), at most ${CAPACITY_LIMITS.maxBlockWords}`,
        { field: "spectrum", value: g },
      );
    }
    if (g.exclusive && t.maxSupply !== 1n) {
      throw new InvalidArgumentError("must be 1 for an exclusive spectrum block", {
        field: "maxSupply",
        value: terms.maxSupply,
      });
    }
  } else if (
    [g.bandPlanId, g.areaId, g.firstChannel, g.channelCount, g.firstSlot, g.slotCount].some((x) => BigInt(x) !== 0n) ||
    g.exclusive
  ) {
    throw new InvalidArgumentError("must be all zero for a class that is not spectrum", {
      field: "spectrum",
      value: g,
    });
  }
  return t;
}

/** The arguments of a breach, checked against the slice's terms (the time is the contract's to check). */
function toBreach(terms: ClassTerms, from: UintLike, to: UintLike, evidence: string, holders: readonly string[]) {
  const t = toTerms(terms);
  if (t.kind !== CapacityKind.Slice) {
    throw new InvalidArgumentError("must be Slice: only slice classes have SLA credits", {
      field: "kind",
      value: terms.kind,
    });
  }
  const start = toUint(from, 40, "from");
  const end = toUint(to, 40, "to");
  if (start < t.validFrom) {
    throw new InvalidArgumentError(`must not be before the class's validFrom (${t.validFrom})`, {
      field: "from",
      value: from,
    });
  }
  if (end <= start) throw new InvalidArgumentError(`must be after from (${start})`, { field: "to", value: to });
  if (end > t.validUntil) {
    throw new InvalidArgumentError(`must not be after the class's validUntil (${t.validUntil})`, {
      field: "to",
      value: to,
    });
  }
  const proof = toBytes32(evidence, "evidence");
  if (!Array.isArray(holders)) {
    throw new InvalidArgumentError("must be an array of addresses", { field: "holders", value: holders });
  }
  if (holders.length > CAPACITY_LIMITS.maxBreachHolders) {
    throw new InvalidArgumentError(`must hold at most ${CAPACITY_LIMITS.maxBreachHolders} holders per call`, {
      field: "holders",
      value: holders,
    });
  }
  const accounts: string[] = [];
  holders.forEach((holder, i) => {
    const account = toAddress(holder, `holders[${i}]`);
    if (accounts.includes(account)) {
      throw new InvalidArgumentError("appears twice", { field: `holders[${i}]`, value: holder });
    }
    accounts.push(account);
  });
  return { terms: t, from: start, to: end, evidence: proof, holders: accounts };
}

function toBandPlan(plan: BandPlan): BandPlanInfo {
  if (typeof plan !== "object" || plan === null) {
    throw new InvalidArgumentError("must be an object", { field: "plan", value: plan });
  }
  const nonZero = (value: UintLike, bits: number, field: string) =>
    toInteger(value, field, 1n, (1n << BigInt(bits)) - 1n, `must be 1 to 2^${bits} - 1`);
  return {
    originKHz: toUint(plan.originKHz, 64, "plan.originKHz"),
    channelWidthKHz: nonZero(plan.channelWidthKHz, 32, "plan.channelWidthKHz"),
    channelCount: nonZero(plan.channelCount, 16, "plan.channelCount"),
    slotSeconds: nonZero(plan.slotSeconds, 32, "plan.slotSeconds"),
    epoch: toUint(plan.epoch, 40, "plan.epoch"),
    slotCount: nonZero(plan.slotCount, 32, "plan.slotCount"),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

const iface = lazyInterface(CapacityToken__factory);

/**
 * Pure builders of the capacity token's write transactions: each validates its input, encodes the call and returns
 * `{ to, data, value: 0n }`, without touching the network.
 */
export class CapacityTransactionBuilder extends TransactionBuilder {
  /** `createClass(terms, classURI)` (the issuer's admin); `classURI` empty: the base URI. */
  createClass(terms: ClassTerms, classURI = ""): BuiltTransaction {
    const t = toNewClassTerms(terms);
    return this.tx(iface().encodeFunctionData("createClass", [t, toText(classURI, "classURI")]));
  }

  /** `mint(classId, to, amount, data)` (the issuer's admin; `to` an active operator's admin). */
  mint(classId: UintLike, to: string, amount: UintLike, data = "0x"): BuiltTransaction {
    const id = toClassId(classId);
    const target = toAddress(to, "to");
    const value = toUnits(amount);
    return this.tx(iface().encodeFunctionData("mint", [id, target, value, toBytes(data, "data")]));
  }

  /** `redeem(classId, amount, provisioningRef)` (a holder, inside the class's validity). */
  redeem(classId: UintLike, amount: UintLike, provisioningRef: string): BuiltTransaction {
    const id = toClassId(classId);
    const value = toUnits(amount);
    const ref = toBytes32(provisioningRef, "provisioningRef");
    return this.tx(iface().encodeFunctionData("redeem", [id, value, ref]));
  }

  /** `setClassURI(classId, classURI)` (the issuer's admin); an empty URI falls back to the base URI. */
  setClassURI(classId: UintLike, classURI: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("setClassURI", [toClassId(classId), toText(classURI, "classURI")]));
  }

  /** `setApprovalForAll(operator, approved)` (a holder; e.g. the market, to list or fill bids). */
  setApprovalForAll(operator: string, approved: boolean): BuiltTransaction {
    const account = toAddress(operator, "operator");
    return this.tx(iface().encodeFunctionData("setApprovalForAll", [account, toBool(approved, "approved")]));
  }

  /** `safeTransferFrom(from, to, classId, amount, data)` (the holder, or an account it approved). */
  safeTransferFrom(from: string, to: string, classId: UintLike, amount: UintLike, data = "0x"): BuiltTransaction {
    const source = toAddress(from, "from");
    const target = toAddress(to, "to");
    if (source === target) throw new InvalidArgumentError("must differ from from", { field: "to", value: to });
    const id = toClassId(classId);
    const value = toUnits(amount);
    return this.tx(iface().encodeFunctionData("safeTransferFrom", [source, target, id, value, toBytes(data, "data")]));
  }

  /** `recordSlaBreach(terms, from, to, evidence, holders)` (the issuer's admin), at most 32 distinct holders. */
  recordSlaBreach(
    terms: ClassTerms,
    from: UintLike,
    to: UintLike,
    evidence: string,
    holders: readonly string[],
  ): BuiltTransaction {
    const b = toBreach(terms, from, to, evidence, holders);
    return this.tx(iface().encodeFunctionData("recordSlaBreach", [b.terms, b.from, b.to, b.evidence, b.holders]));
  }

  /** `arbitrateSlaBreach(terms, from, to, evidence, holders)` (restricted: arbiter). */
  arbitrateSlaBreach(
    terms: ClassTerms,
    from: UintLike,
    to: UintLike,
    evidence: string,
    holders: readonly string[],
  ): BuiltTransaction {
    const b = toBreach(terms, from, to, evidence, holders);
    return this.tx(iface().encodeFunctionData("arbitrateSlaBreach", [b.terms, b.from, b.to, b.evidence, b.holders]));
  }

  /**
   * `createBandPlan(plan)` (restricted: governor). The plan must overlap no existing plan: see
   * {@link CapacityClient.preflightBandPlan}.
   */
  createBandPlan(plan: BandPlan): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("createBandPlan", [toBandPlan(plan)]));
  }

  /** `setBaseURI(baseURI)` (restricted: governor); clients substitute `{id}` in it. */
  setBaseURI(baseURI: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("setBaseURI", [toText(baseURI, "baseURI")]));
  }

  /** `pause()` (restricted: pauser): stops class creation, minting and transfers, never redemption. */
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

/** Reads and writes the `CapacityToken` at one address. */
export class CapacityClient extends SuiteClient<CapacityToken, CapacityTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new CapacityTransactionBuilder(address), runner, CapacityToken__factory);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     READS
  //////////////////////////////////////////////////////////////////////////*/

  /** The ERC-1155 id of the class with `terms` (computed locally, as the contract's `classIdOf`). */
  classIdOf(terms: ClassTerms): bigint {
    return localClassIdOf(toTerms(terms));
  }

  /** A class's record, or undefined if no class has this id. */
  async classInfo(classId: UintLike): Promise<CapacityClassInfo | undefined> {
    const id = toClassId(classId);
    const info = await capacityDecoded(() => this.contract.classInfo(id));
    if (info.issuerId === 0n) return undefined;
    return {
      classId: id,
      issuerId: info.issuerId,
      kind: Number(info.kind) as CapacityKind,
      validFrom: info.validFrom,
      validUntil: info.validUntil,
      maxSupply: info.maxSupply,
      minted: info.minted,
    };
  }

  /** The units of `classId` that `account` holds. */
  async balanceOf(account: string, classId: UintLike): Promise<bigint> {
    const a = toAddress(account, "account");
    const id = toClassId(classId);
    return capacityDecoded(() => this.contract.balanceOf(a, id));
  }

  /** What `account` holds of each of `classIds`, read in one `balanceOfBatch` call (duplicates are read once). */
  async holdings(account: string, classIds: readonly UintLike[]): Promise<Map<bigint, bigint>> {
    const a = toAddress(account, "account");
    if (!Array.isArray(classIds)) {
      throw new InvalidArgumentError("must be an array of class ids", { field: "classIds", value: classIds });
    }
    const ids = [...new Set(classIds.map((id, i) => toClassId(id, `classIds[${i}]`)))];
    const out = new Map<bigint, bigint>();
    if (ids.length === 0) return out;
    const balances = await capacityDecoded(() =>
      this.contract.balanceOfBatch(
        ids.map(() => a),
        ids,
      ),
    );
    ids.forEach((id, i) => out.set(id, balances[i]));
    return out;
  }

  /** The units of `classId` in circulation (minted less redeemed). */
  async totalSupply(classId: UintLike): Promise<bigint> {
    const id = toClassId(classId);
    return capacityDecoded(() => this.contract["totalSupply(uint256)"](id));
  }

  /** Whether `operator` may move every class `account` holds (e.g. the market). */
  async isApprovedForAll(account: string, operator: string): Promise<boolean> {
    const a = toAddress(account, "account");
    const o = toAddress(operator, "operator");
    return capacityDecoded(() => this.contract.isApprovedForAll(a, o));
  }

  /** The metadata URI of a class, with ERC-1155 `{id}` substitution applied (the class's own URI, or the base one). */
  async uri(classId: UintLike): Promise<string> {
    const id = toClassId(classId);
    return expandMetadataUri(await capacityDecoded(() => this.contract.uri(id)), id);
  }

  /** How many band plans exist; they are numbered from 1. */
  async bandPlanCount(): Promise<bigint> {
    return capacityDecoded(() => this.contract.bandPlanCount());
  }

  /**
   * A band plan of the spectrum grid.
   * @throws RoamLedgerContractError `CapacityToken_UnknownBandPlan` for an unknown id.
   */
  async bandPlan(bandPlanId: UintLike): Promise<BandPlanInfo> {
    const id = toInteger(bandPlanId, "bandPlanId", 1n, 2n ** 32n - 1n, "must be a band plan id, 1 to 2^32 - 1");
    const p = await capacityDecoded(() => this.contract.bandPlan(id));
    return {
      originKHz: p.originKHz,
      channelWidthKHz: p.channelWidthKHz,
      channelCount: p.channelCount,
      slotSeconds: p.slotSeconds,
      epoch: p.epoch,
      slotCount: p.slotCount,
    };
  }

  /** Every band plan, by id (at most {@link CAPACITY_LIMITS.maxBandPlans}, one call each). */
  async bandPlans(): Promise<NumberedBandPlan[]> {
    const count = await this.bandPlanCount();
    const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
    const plans = await Promise.all(ids.map((id) => this.bandPlan(id)));
    return plans.map((plan, i) => ({ bandPlanId: ids[i], ...plan }));
  }

  /**
   * Checks a band plan as `createBandPlan` will, against the plans on chain: the field types, non-zero sizes, room
   * for another plan, and no overlap in frequency x time with an existing plan ({@link bandPlansOverlap}).
   * @returns The id the plan would get.
   * @throws InvalidArgumentError naming the field (`plan` for a full list or an overlap, which names the lowest
   * overlapping plan, as `CapacityToken_BandPlanOverlap` does).
   */
  async preflightBandPlan(plan: BandPlan): Promise<bigint> {
    const p = toBandPlan(plan);
    const existing = await this.bandPlans();
    if (BigInt(existing.length) >= CAPACITY_LIMITS.maxBandPlans) {
      throw new InvalidArgumentError(`there are already ${CAPACITY_LIMITS.maxBandPlans} band plans, the maximum`, {
        field: "plan",
        value: plan,
      });
    }
    const other = existing.find((e) => bandPlansOverlap(p, e));
    if (other !== undefined) {
      throw new InvalidArgumentError(`overlaps band plan ${other.bandPlanId} in frequency x time`, {
        field: "plan",
        value: plan,
      });
    }
    return BigInt(existing.length) + 1n;
  }

  /** Whether an exclusive block reserves this channel-slot of a band plan's area. */
  async isReserved(bandPlanId: UintLike, areaId: UintLike, channel: UintLike, slot: UintLike): Promise<boolean> {
    const plan = toUint(bandPlanId, 32, "bandPlanId");
    const area = toUint(areaId, 32, "areaId");
    const c = toUint(channel, 16, "channel");
    const s = toUint(slot, 32, "slot");
    return capacityDecoded(() => this.contract.isReserved(plan, area, c, s));
  }

  /** Whether operator `holderId` was credited for `breachId` (see {@link slaBreachIdOf}). */
  async isCredited(breachId: string, holderId: UintLike): Promise<boolean> {
    const b = toBytes32(breachId, "breachId");
    const h = toOperatorId(holderId, "holderId");
    return capacityDecoded(() => this.contract.isCredited(b, h));
  }

  /** Whether `breachId` was recorded, and how many units it may still credit (see {@link slaBreachIdOf}). */
  async slaBreach(breachId: string): Promise<SlaBreachRecord> {
    const b = toBytes32(breachId, "breachId");
    const record = await capacityDecoded(() => this.contract.slaBreach(b));
    return { recorded: record.recorded, remaining: record.remaining };
  }

  /**
   * Checks a spectrum class against its band plan, read from the chain, before {@link createClass} sends it: the
   * rules that need no chain state (as the builder does), a known band plan, channels and slots inside it, at most
   * {@link CAPACITY_LIMITS.maxBlockWords} grid words, and a validity equal to the block's time window
   * ({@link spectrumWindow}). Reservations by other classes are not checked (the contract refuses an overlap with
   * `CapacityToken_SpectrumOverlap`).
   * @throws InvalidArgumentError naming the field; RoamLedgerContractError `CapacityToken_UnknownBandPlan`.
   */
  async preflightSpectrum(terms: ClassTerms): Promise<SpectrumPreflight> {
    const t = toNewClassTerms(terms);
    if (t.kind !== CapacityKind.Spectrum) {
      throw new InvalidArgumentError("must be Spectrum", { field: "kind", value: terms.kind });
    }
    const g = t.spectrum;
    const plan = await this.bandPlan(g.bandPlanId);
    if (BigInt(g.firstChannel) + BigInt(g.channelCount) > plan.channelCount) {
      throw new InvalidArgumentError(
        `channels [${g.firstChannel}, +${g.channelCount}) leave the band plan's ${plan.channelCount} channels`,
        { field: "spectrum.channelCount", value: g.channelCount },
      );
    }
    if (BigInt(g.firstSlot) + BigInt(g.slotCount) > plan.slotCount) {
      throw new InvalidArgumentError(
        `slots [${g.firstSlot}, +${g.slotCount}) leave the band plan's ${plan.slotCount} slots`,
        { field: "spectrum.slotCount", value: g.slotCount },
      );
    }
    const words = blockWords(g);
    const window = spectrumWindow(plan, g.firstSlot, g.slotCount);
    if (t.validFrom !== window.validFrom) {
      throw new InvalidArgumentError(`must be the block's start, ${window.validFrom}`, {
        field: "validFrom",
        value: terms.validFrom,
      });
    }
    if (t.validUntil !== window.validUntil) {
      throw new InvalidArgumentError(`must be the block's end, ${window.validUntil}`, {
        field: "validUntil",
        value: terms.validUntil,
      });
    }
    const band = channelBand(plan, g.firstChannel, g.channelCount);
    return { plan, words, ...window, ...band };
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     WRITES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Creates a class (the issuer's admin); nothing is minted yet. For spectrum, {@link preflightSpectrum} first.
   * @returns The class id, read from the `ClassCreated` event, and the receipt.
   */
  async createClass(terms: ClassTerms, classURI = "", overrides?: Overrides): Promise<CreatedClass> {
    const receipt = await this.#send("createClass", this.build.createClass(terms, classURI), overrides);
    for (const parsed of this.#events(receipt)) {
      if (parsed.name === "ClassCreated") return { classId: parsed.args.classId as bigint, receipt };
    }
    throw new Error(`createClass: transaction ${receipt.hash} emitted no ClassCreated event`);
  }

  /** Mints units of a class to an active operator's admin (the issuer's admin), within its maximum supply. */
  async mint(
    classId: UintLike,
    to: string,
    amount: UintLike,
    data = "0x",
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("mint", this.build.mint(classId, to, amount, data), overrides);
  }

  /**
   * Burns `amount` of the sender's units to use them; `provisioningRef` is the hash of the (off-chain) provisioning
   * request the issuer's network serves.
   */
  async redeem(
    classId: UintLike,
    amount: UintLike,
    provisioningRef: string,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("redeem", this.build.redeem(classId, amount, provisioningRef), overrides);
  }

  /** Sets (or with an empty string, clears) a class's own metadata URI (the issuer's admin). */
  async setClassURI(classId: UintLike, classURI: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("setClassURI", this.build.setClassURI(classId, classURI), overrides);
  }

  /** Lets `operator` (e.g. the market) move all of the sender's units, or revokes it. */
  async setApprovalForAll(operator: string, approved: boolean, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("setApprovalForAll", this.build.setApprovalForAll(operator, approved), overrides);
  }

  /** Transfers units from `from` (the sender, or an account that approved it) to an active operator's admin. */
  async safeTransferFrom(
    from: string,
    to: string,
    classId: UintLike,
    amount: UintLike,
    data = "0x",
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("safeTransferFrom", this.build.safeTransferFrom(from, to, classId, amount, data), overrides);
  }

  /**
   * Records an SLA breach of a slice class over `[from, to)` as its issuer's admin, crediting each of `holders` (at
   * most 32, distinct) `units x creditPerUnitHour x (to - from) / 3600`, rounded half up ({@link slaCredit}), with
   * `units = min(balance, remaining)`: the breach's first record (by either path) fixes the units it may credit in
   * all, the class's supply outside the issuer's admin account. A holder named once nothing is left is refused
   * (`CapacityToken_BreachFullyCredited`); read {@link slaBreach} to see what is left.
   * @returns The breach id and the credits, read from the events, and the receipt.
   */
  async recordSlaBreach(
    terms: ClassTerms,
    from: UintLike,
    to: UintLike,
    evidence: string,
    holders: readonly string[],
    overrides?: Overrides,
  ): Promise<SlaBreachResult> {
    const tx = this.build.recordSlaBreach(terms, from, to, evidence, holders);
    return this.#breachResult("recordSlaBreach", await this.#send("recordSlaBreach", tx, overrides));
  }

  /** Records an SLA breach as the arbiter (see {@link recordSlaBreach}). */
  async arbitrateSlaBreach(
    terms: ClassTerms,
    from: UintLike,
    to: UintLike,
    evidence: string,
    holders: readonly string[],
    overrides?: Overrides,
  ): Promise<SlaBreachResult> {
    const tx = this.build.arbitrateSlaBreach(terms, from, to, evidence, holders);
    return this.#breachResult("arbitrateSlaBreach", await this.#send("arbitrateSlaBreach", tx, overrides));
  }

  /*//////////////////////////////////////////////////////////////////////////
                                   INTERNALS
  //////////////////////////////////////////////////////////////////////////*/

  #breachResult(action: string, receipt: TransactionReceipt): SlaBreachResult {
    let recorded: Omit<SlaBreachResult, "credits" | "receipt"> | undefined;
    const credits: SlaCredit[] = [];
    for (const parsed of this.#events(receipt)) {
      if (parsed.name === "SlaBreachRecorded") {
        recorded = {
          breachId: parsed.args.breachId as string,
          classId: parsed.args.classId as bigint,
          evidence: parsed.args.evidence as string,
          byArbiter: parsed.args.byArbiter as boolean,
          creditable: parsed.args.creditable as bigint,
        };
      } else if (parsed.name === "SlaCredited") {
        credits.push({
          holderId: parsed.args.holderId as bigint,
          units: parsed.args.units as bigint,
          credit: parsed.args.credit as bigint,
          remaining: parsed.args.remaining as bigint,
        });
      }
    }
    if (recorded === undefined) throw new Error(`${action}: transaction ${receipt.hash} emitted no SlaBreachRecorded`);
    return { ...recorded, credits, receipt };
  }

  /** The token's events in `receipt`, parsed, in log order. */
  #events(receipt: TransactionReceipt): LogDescription[] {
    const out: LogDescription[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      const parsed = iface().parseLog(log);
      if (parsed !== null) out.push(parsed);
    }
    return out;
  }

  /** Sends a built transaction through the runner and waits for its receipt, decoding any revert. */
  async #send(action: string, tx: BuiltTransaction, overrides: Overrides = {}): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides, capacityDecoded);
  }
}
