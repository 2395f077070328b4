/**
 * Capacity classes as `CapacityToken` defines them (docs/ARCHITECTURE.md section 9): the class terms, their ERC-1155
 * id, the spectrum grid's arithmetic and the SLA credit formula, computed exactly as the contract does. Pure: no
 * provider, no Node-only API.
 */
import {
  abiEncodeBytes,
  bytesToHex,
  decodeBytes32String,
  encodeBytes32String,
  keccak256Bytes,
  parseParam,
  ZERO_ADDRESS,
  ZERO_HASH,
  type AbiParam,
} from "../encoding";
import { InvalidArgumentError } from "../errors";
import { toAddress, toBytes32, toInteger, toOperatorId, toUint, type UintLike } from "../validation";

/** What a class sells (the contract's `CapacityKind`). */
export const CapacityKind = { Data: 0, Voice: 1, Iot: 2, Slice: 3, Spectrum: 4 } as const;
export type CapacityKind = (typeof CapacityKind)[keyof typeof CapacityKind];

/** How a market purchase is paid (the contract's `PayVia`). */
export const PayVia = { Vault: 0, Direct: 1 } as const;
export type PayVia = (typeof PayVia)[keyof typeof PayVia];

/** A slice's SLA (all zero for other kinds). */
export interface SliceTerms {
  /** S-NSSAI: slice/service type (8 bits) then slice differentiator (24 bits). */
  snssai: UintLike;
  throughputKbps: UintLike;
  latencyMs: UintLike;
  /** Basis points, at most 10,000. */
  availabilityBp: UintLike;
  /** The vault token credits are paid in (zero address when there are no credits). */
  creditToken: string;
  /** Credit per unit held per hour of breach, in `creditToken` base units. */
  creditPerUnitHour: UintLike;
}

/** A spectrum block: channels `[firstChannel, +channelCount)` x slots `[firstSlot, +slotCount)` (zero for others). */
export interface SpectrumTerms {
  bandPlanId: UintLike;
  /**
   * The licence area. Area ids are one suite-wide namespace of disjoint licence areas: an id is the same ground in
   * every band plan, and two ids never share any.
   */
  areaId: UintLike;
  firstChannel: UintLike;
  channelCount: UintLike;
  firstSlot: UintLike;
  slotCount: UintLike;
  exclusive: boolean;
}

/** Everything that defines a class; its id is `keccak256(abi.encode(terms))`. */
export interface ClassTerms {
  issuerId: UintLike;
  kind: CapacityKind;
  /** `bytes32` ASCII label (see {@link encodeLabel}). */
  unit: string;
  validFrom: UintLike;
  validUntil: UintLike;
  maxSupply: UintLike;
  /** `bytes32`: a network (TADIG) or region code, as a label or a hash. */
  region: string;
  salt: string;
  slice: SliceTerms;
  spectrum: SpectrumTerms;
}

/**
 * A band plan of the spectrum grid: channels `[0, channelCount)` of `channelWidthKHz` from `originKHz`, slots
 * `[0, slotCount)` of `slotSeconds` from `epoch`. It covers the rectangle {@link bandPlanExtent}, which must overlap
 * no other plan's ({@link bandPlansOverlap}).
 */
export interface BandPlan {
  originKHz: UintLike;
  channelWidthKHz: UintLike;
  channelCount: UintLike;
  slotSeconds: UintLike;
  epoch: UintLike;
  /** How many slots the plan has: it ends at `epoch + slotCount * slotSeconds`. */
  slotCount: UintLike;
}

/** The ABI type of `ClassTerms`, as `abi.encode` sees it. */
export const CLASS_TERMS_ABI =
  "tuple(uint32 issuerId,uint8 kind,bytes32 unit,uint40 validFrom,uint40 validUntil,uint64 maxSupply,bytes32 region," +
  "bytes32 salt,tuple(uint32 snssai,uint32 throughputKbps,uint32 latencyMs,uint16 availabilityBp,address creditToken," +
  "uint128 creditPerUnitHour) slice,tuple(uint32 bandPlanId,uint32 areaId,uint16 firstChannel,uint16 channelCount," +
  "uint32 firstSlot,uint32 slotCount,bool exclusive) spectrum)";

/** Bounds the contract enforces. */
export const CAPACITY_LIMITS = {
  /** Grid words (groups of 4 channels x runs of 64 slots touched) one spectrum class may reserve. */
  maxBlockWords: 64n,
  /** Holders one SLA breach call may credit. */
  maxBreachHolders: 32,
  /** Band plans there may be. */
  maxBandPlans: 64n,
  /** The largest SLA credit a slice class may owe one holder: the vault's largest obligation, `2^96 - 1`. */
  maxSlaCredit: 2n ** 96n - 1n,
  /** A grid word holds this many channels ... */
  channelsPerWord: 4n,
  /** ... times this many slots. */
  slotsPerWord: 64n,
} as const;

/** Slice terms of a class that is not a slice. */
export function emptySlice(): SliceTerms {
  return {
    snssai: 0,
    throughputKbps: 0,
    latencyMs: 0,
    availabilityBp: 0,
    creditToken: ZERO_ADDRESS,
    creditPerUnitHour: 0n,
  };
}

/** Spectrum terms of a class that is not spectrum. */
export function emptySpectrum(): SpectrumTerms {
  return { bandPlanId: 0, areaId: 0, firstChannel: 0, channelCount: 0, firstSlot: 0, slotCount: 0, exclusive: false };
}

/** A unit or region label as `bytes32` (ASCII, at most 31 characters). */
export function encodeLabel(label: string, field = "unit"): string {
  if (label.length === 0 || label.length > 31 || !/^[\x20-\x7e]+$/.test(label)) {
    throw new InvalidArgumentError("must be 1 to 31 printable ASCII characters", { field, value: label });
  }
  return encodeBytes32String(label);
}

/** The label a `bytes32` unit or region holds (throws if it is not a zero-padded string). */
export function decodeLabel(value: string): string {
  return decodeBytes32String(value);
}

/** The terms in the exact integer form the contract takes, every field checked against its Solidity type. */
export function normalizeClassTerms(terms: ClassTerms): ClassTerms & {
  issuerId: bigint;
  validFrom: bigint;
  validUntil: bigint;
  maxSupply: bigint;
} {
  const kind = Number(terms.kind);
  if (!Object.values(CapacityKind).includes(kind as CapacityKind)) {
    throw new InvalidArgumentError(`must be one of ${Object.keys(CapacityKind).join(", ")} (0 to 4)`, {
      field: "kind",
      value: terms.kind,
    });
  }
  const s = terms.slice;
  const g = terms.spectrum;
  return {
    issuerId: toOperatorId(terms.issuerId, "issuerId"),
    kind: kind as CapacityKind,
    unit: toBytes32(terms.unit, "unit"),
    validFrom: toUint(terms.validFrom, 40, "validFrom"),
    validUntil: toUint(terms.validUntil, 40, "validUntil"),
    maxSupply: toUint(terms.maxSupply, 64, "maxSupply"),
    region: toBytes32(terms.region, "region"),
    salt: toBytes32(terms.salt, "salt"),
    slice: {
      snssai: toUint(s.snssai, 32, "slice.snssai"),
      throughputKbps: toUint(s.throughputKbps, 32, "slice.throughputKbps"),
      latencyMs: toUint(s.latencyMs, 32, "slice.latencyMs"),
      availabilityBp: toUint(s.availabilityBp, 16, "slice.availabilityBp"),
      creditToken: toAddress(s.creditToken, "slice.creditToken", true),
      creditPerUnitHour: toUint(s.creditPerUnitHour, 128, "slice.creditPerUnitHour"),
    },
    spectrum: {
      bandPlanId: toUint(g.bandPlanId, 32, "spectrum.bandPlanId"),
      areaId: toUint(g.areaId, 32, "spectrum.areaId"),
      firstChannel: toUint(g.firstChannel, 16, "spectrum.firstChannel"),
      channelCount: toUint(g.channelCount, 16, "spectrum.channelCount"),
      firstSlot: toUint(g.firstSlot, 32, "spectrum.firstSlot"),
      slotCount: toUint(g.slotCount, 32, "spectrum.slotCount"),
      exclusive: Boolean(g.exclusive),
    },
  };
}

/** The ERC-1155 id of a class: `uint256(keccak256(abi.encode(terms)))`, as `CapacityToken.classIdOf`. */
export function classIdOf(terms: ClassTerms): bigint {
  return BigInt(bytesToHex(keccak256Bytes(abiEncodeBytes([classTermsParam()], [normalizeClassTerms(terms)]))));
}

let classTerms: AbiParam | undefined;

function classTermsParam(): AbiParam {
  classTerms ??= parseParam(CLASS_TERMS_ABI);
  return classTerms;
}

/** The id as ERC-1155 metadata clients substitute it for `{id}`: 64 lowercase hex digits, no prefix. */
export function classIdHex(classId: bigint): string {
  return toUint(classId, 256, "classId").toString(16).padStart(64, "0");
}

/** A fresh random salt is the caller's business; this one makes classes with otherwise equal terms distinct. */
export function saltOf(n: UintLike): string {
  return "0x" + toUint(n, 256, "salt").toString(16).padStart(64, "0");
}

/** ZeroHash, for terms that need no salt or region. */
export const NO_LABEL = ZERO_HASH;

/** The time window `[validFrom, validUntil)` of slots `[firstSlot, +slotCount)`: a spectrum class's validity. */
export function spectrumWindow(
  plan: BandPlan,
  firstSlot: UintLike,
  slotCount: UintLike,
): { validFrom: bigint; validUntil: bigint } {
  const seconds = toInteger(plan.slotSeconds, "plan.slotSeconds", 1n, 2n ** 32n - 1n);
  const epoch = toUint(plan.epoch, 40, "plan.epoch");
  const first = toUint(firstSlot, 32, "firstSlot");
  const count = toInteger(slotCount, "slotCount", 1n, 2n ** 32n - 1n);
  return { validFrom: epoch + first * seconds, validUntil: epoch + (first + count) * seconds };
}

/** The slot that contains `timestamp` (throws before the plan's epoch). */
export function slotAt(plan: BandPlan, timestamp: UintLike): bigint {
  const epoch = toUint(plan.epoch, 40, "plan.epoch");
  const t = toInteger(timestamp, "timestamp", epoch, 2n ** 40n - 1n, "at or after the plan's epoch");
  return (t - epoch) / toInteger(plan.slotSeconds, "plan.slotSeconds", 1n, 2n ** 32n - 1n);
}

/** The frequency range `[lowKHz, highKHz)` of channels `[firstChannel, +channelCount)`. */
export function channelBand(
  plan: BandPlan,
  firstChannel: UintLike,
  channelCount: UintLike = 1,
): { lowKHz: bigint; highKHz: bigint } {
  const width = toUint(plan.channelWidthKHz, 32, "plan.channelWidthKHz");
  const first = toUint(firstChannel, 16, "firstChannel");
  const lowKHz = toUint(plan.originKHz, 64, "plan.originKHz") + first * width;
  return { lowKHz, highKHz: lowKHz + toUint(channelCount, 16, "channelCount") * width };
}

/**
 * How many grid words a block reserves: the groups of 4 channels it touches times the runs of 64 slots it touches
 * (the contract's bound is 64).
 */
export function blockWords(
  spectrum: Pick<SpectrumTerms, "firstChannel" | "channelCount" | "firstSlot" | "slotCount">,
): bigint {
  const spans = (first: bigint, count: bigint, per: bigint) =>
    count === 0n ? 0n : (first + count - 1n) / per - first / per + 1n;
  const { channelsPerWord, slotsPerWord } = CAPACITY_LIMITS;
  return (
    spans(BigInt(spectrum.firstChannel), BigInt(spectrum.channelCount), channelsPerWord) *
    spans(BigInt(spectrum.firstSlot), BigInt(spectrum.slotCount), slotsPerWord)
  );
}

/**
 * The first channel-slot two blocks share (the lowest slot, then the lowest channel), or undefined if they share
 * none. Blocks of different band plans or areas never overlap: band plans never overlap one another in frequency x
 * time ({@link bandPlansOverlap}), and areas are disjoint ground. {@link spectrumOverlap} says the same physically.
 */
export function firstSharedCell(a: SpectrumTerms, b: SpectrumTerms): { channel: bigint; slot: bigint } | undefined {
  if (BigInt(a.bandPlanId) !== BigInt(b.bandPlanId) || BigInt(a.areaId) !== BigInt(b.areaId)) return undefined;
  const lowChannel = max(BigInt(a.firstChannel), BigInt(b.firstChannel));
  const endChannel = min(
    BigInt(a.firstChannel) + BigInt(a.channelCount),
    BigInt(b.firstChannel) + BigInt(b.channelCount),
  );
  const lowSlot = max(BigInt(a.firstSlot), BigInt(b.firstSlot));
  const endSlot = min(BigInt(a.firstSlot) + BigInt(a.slotCount), BigInt(b.firstSlot) + BigInt(b.slotCount));
  return lowChannel < endChannel && lowSlot < endSlot ? { channel: lowChannel, slot: lowSlot } : undefined;
}

/** The frequencies `[lowKHz, highKHz)` and the time `[start, end)` a band plan covers. */
export function bandPlanExtent(plan: BandPlan): { lowKHz: bigint; highKHz: bigint; start: bigint; end: bigint } {
  const lowKHz = toUint(plan.originKHz, 64, "plan.originKHz");
  const width = toUint(plan.channelWidthKHz, 32, "plan.channelWidthKHz");
  const start = toUint(plan.epoch, 40, "plan.epoch");
  const seconds = toUint(plan.slotSeconds, 32, "plan.slotSeconds");
  const highKHz = lowKHz + width * toUint(plan.channelCount, 16, "plan.channelCount");
  return { lowKHz, highKHz, start, end: start + seconds * toUint(plan.slotCount, 32, "plan.slotCount") };
}

/**
 * Whether two band plans overlap in frequency x time, the rule by which `createBandPlan` refuses a plan
 * (`CapacityToken_BandPlanOverlap`): their frequency ranges and their time ranges both intersect. Ranges are
 * half-open, so plans that only touch (one's top channel edge is the other's origin, or one ends when the other
 * starts) do not overlap.
 */
export function bandPlansOverlap(a: BandPlan, b: BandPlan): boolean {
  const x = bandPlanExtent(a);
  const y = bandPlanExtent(b);
  return x.lowKHz < y.highKHz && y.lowKHz < x.highKHz && x.start < y.end && y.start < x.end;
}

/** What a block of `plan` covers physically: its area, frequencies `[lowKHz, highKHz)` and time `[start, end)`. */
export function spectrumExtent(
  plan: BandPlan,
  spectrum: Pick<SpectrumTerms, "areaId" | "firstChannel" | "channelCount" | "firstSlot" | "slotCount">,
): { areaId: bigint; lowKHz: bigint; highKHz: bigint; start: bigint; end: bigint } {
  const { lowKHz, highKHz } = channelBand(plan, spectrum.firstChannel, spectrum.channelCount);
  const { validFrom, validUntil } = spectrumWindow(plan, spectrum.firstSlot, spectrum.slotCount);
  return { areaId: toUint(spectrum.areaId, 32, "areaId"), lowKHz, highKHz, start: validFrom, end: validUntil };
}

/**
 * Whether two blocks, each with its band plan, share spectrum, time and ground: the same area, and intersecting
 * frequencies and times. Computed physically, not on the plan-relative grid; `CapacityToken` never issues two exclusive
 * blocks for which it holds.
 */
export function spectrumOverlap(
  a: { plan: BandPlan; spectrum: SpectrumTerms },
  b: { plan: BandPlan; spectrum: SpectrumTerms },
): boolean {
  const x = spectrumExtent(a.plan, a.spectrum);
  const y = spectrumExtent(b.plan, b.spectrum);
  return x.areaId === y.areaId && x.lowKHz < y.highKHz && y.lowKHz < x.highKHz && x.start < y.end && y.start < x.end;
}

/**
 * The largest SLA credit a slice class can owe one holder: every unit (`maxSupply`) over the whole validity,
 * `creditPerUnitHour x maxSupply x (validUntil - validFrom) / 3600` rounded half up as {@link slaCredit} rounds.
 * `createClass` refuses a slice whose figure exceeds {@link CAPACITY_LIMITS.maxSlaCredit}
 * (`CapacityToken_CreditTooLarge`), so every credit fits one vault obligation. Zero for a validity that is empty.
 */
export function maxSlaCredit(
  terms: Pick<ClassTerms, "maxSupply" | "validFrom" | "validUntil"> & {
    slice: Pick<SliceTerms, "creditPerUnitHour">;
  },
): bigint {
  const supply = toUint(terms.maxSupply, 64, "maxSupply");
  const rate = toUint(terms.slice.creditPerUnitHour, 128, "slice.creditPerUnitHour");
  const from = toUint(terms.validFrom, 40, "validFrom");
  const until = toUint(terms.validUntil, 40, "validUntil");
  return until <= from ? 0n : slaCredit(supply, rate, from, until);
}

/**
 * The SLA credit of `units` held over a breach `[from, to)`: `units x creditPerUnitHour x (to - from) / 3600`, rounded
 * half up, exactly as `CapacityToken` records it.
 */
export function slaCredit(units: UintLike, creditPerUnitHour: UintLike, from: UintLike, to: UintLike): bigint {
  const start = toUint(from, 40, "from");
  const end = toUint(to, 40, "to");
  if (end <= start) throw new InvalidArgumentError(`must be after from (${start})`, { field: "to", value: to });
  const product = toUint(units, 256, "units") * toUint(creditPerUnitHour, 128, "creditPerUnitHour") * (end - start);
  return (product + 1800n) / 3600n;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
