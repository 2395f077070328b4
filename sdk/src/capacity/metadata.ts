/**
 * ERC-1155 metadata of capacity classes: the JSON a class's metadata URI serves, per the ERC-1155 "Metadata URI JSON
 * Schema" (`name`, `description`, `image`, `decimals`, `properties`), with RoamLedger's properties derived from the
 * class terms. Also the ERC-1155 `{id}` substitution of metadata URIs.
 *
 * The JSON holds no floating point and no bigint: integers that always fit a JSON number exactly (`uint32` and
 * below) are numbers, larger ones (`maxSupply`, `creditPerUnitHour`, frequencies in kHz) are decimal strings, and
 * percentages are computed with integers only. Pure: no provider, no Node-only API.
 */
import { decodeBytes32String, getAddress, isHexString, ZERO_HASH } from "../encoding";
import { InvalidArgumentError } from "../errors";
import { toUint, type UintLike } from "../validation";
import {
  blockWords,
  CapacityKind,
  channelBand,
  classIdHex,
  classIdOf,
  normalizeClassTerms,
  spectrumWindow,
  type BandPlan,
  type ClassTerms,
} from "./terms";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** The name of a {@link CapacityKind}, as the metadata shows it. */
export type CapacityKindName = "Data" | "Voice" | "Iot" | "Slice" | "Spectrum";

/** The SLA of a slice class, as the metadata shows it. */
export interface SliceMetadata {
  /** The S-NSSAI as 8 hex digits (`0x` + SST + SD), as the terms hold it. */
  snssai: string;
  /** Slice/service type: the S-NSSAI's top 8 bits (0 to 255). */
  sst: number;
  /** Slice differentiator: the S-NSSAI's low 24 bits, as 6 lowercase hex digits (3GPP TS 29.571 `Snssai.sd`). */
  sd: string;
  throughputKbps: number;
  latencyMs: number;
  /** Availability in basis points (0 to 10,000). */
  availabilityBp: number;
  /** The same as a percentage with two decimals, e.g. `"99.99%"` (computed with integers). */
  availability: string;
  /** The vault token credits are paid in (checksummed; the zero address when there are no credits). */
  creditToken: string;
  /** Credit per unit held per hour of breach, in `creditToken` base units (decimal string). */
  creditPerUnitHour: string;
}

/** The spectrum block of a spectrum class, as the metadata shows it. */
export interface SpectrumMetadata {
  bandPlanId: number;
  areaId: number;
  firstChannel: number;
  channelCount: number;
  firstSlot: number;
  slotCount: number;
  exclusive: boolean;
  /** The block's time window (the class's validity), ISO 8601 UTC. */
  window: { start: string; end: string };
  /** The block's frequency range `[lowKHz, highKHz)` (decimal strings); only when the band plan was given. */
  band?: { lowKHz: string; highKHz: string };
}

/** RoamLedger's properties of a class (the `properties` of its ERC-1155 metadata). */
export interface CapacityMetadataProperties {
  /** The class's ERC-1155 id, as `{id}` substitutes it: 64 lowercase hex digits, no prefix. */
  classId: string;
  kind: CapacityKindName;
  /** What one token is: the unit's label (e.g. `"GB"`), or its `bytes32` hex if it is not a label. */
  unit: string;
  /** The issuing operator. */
  issuerId: number;
  /** Where the capacity is usable: the region's label (e.g. `"DEUD1"`) or its `bytes32` hash; absent if zero. */
  region?: string;
  /** Start of use, inclusive (ISO 8601 UTC). */
  validFrom: string;
  /** End of use, exclusive (ISO 8601 UTC). */
  validUntil: string;
  /** How many units may ever be minted (decimal string). */
  maxSupply: string;
  /** Only for slice classes. */
  slice?: SliceMetadata;
  /** Only for spectrum classes. */
  spectrum?: SpectrumMetadata;
}

/** The ERC-1155 metadata JSON of a class. */
export interface CapacityClassMetadata {
  name: string;
  description: string;
  /** A URI of an image (`image/*`) representing the class. */
  image?: string;
  /** Always 0: capacity units are indivisible. */
  decimals: 0;
  properties: CapacityMetadataProperties;
}

/** Options of {@link buildClassMetadata}. */
export interface ClassMetadataOptions {
  name: string;
  description: string;
  image?: string;
  /** The band plan of a spectrum class: adds its frequency range, and checks the window against the validity. */
  plan?: BandPlan;
}

const KIND_NAMES: readonly CapacityKindName[] = ["Data", "Voice", "Iot", "Slice", "Spectrum"];
const UINT16_MAX = 2n ** 16n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT128_MAX = 2n ** 128n - 1n;
const ISO_DATE = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/*//////////////////////////////////////////////////////////////////////////
                                   BUILDING
//////////////////////////////////////////////////////////////////////////*/

/** Unix seconds as ISO 8601 UTC without milliseconds, e.g. `2026-01-01T00:00:00Z`. */
function isoOf(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** The label a `bytes32` holds, if it is a zero-padded printable ASCII string; else undefined. */
function labelOf(value: string): string | undefined {
  let label: string;
  try {
    label = decodeBytes32String(value);
  } catch {
    return undefined;
  }
  return /^[\x20-\x7e]+$/.test(label) ? label : undefined;
}

/** Basis points as a percentage with two decimals, with integers only: 9999 → `"99.99%"`. */
export function formatBasisPoints(bp: UintLike, field = "availabilityBp"): string {
  const n = toUint(bp, 16, field);
  return `${n / 100n}.${(n % 100n).toString().padStart(2, "0")}%`;
}

function requireText(value: unknown, field: string, allowEmpty: boolean): string {
  if (typeof value !== "string" || (!allowEmpty && value.trim().length === 0)) {
    throw new InvalidArgumentError(allowEmpty ? "must be a string" : "must be a non-empty string", { field, value });
  }
  return value;
}

function requireImage(value: unknown, field: string): string {
  if (typeof value !== "string" || !URI_SCHEME.test(value)) {
    throw new InvalidArgumentError("must be a URI with a scheme (e.g. ipfs://... or https://...)", { field, value });
  }
  return value;
}

/**
 * The ERC-1155 metadata JSON of the class with `terms`. Kind-specific properties appear only for their kind: the SLA of
 * a slice (S-NSSAI split into SST and SD, availability as a percentage), the block of spectrum (and, given
 * `options.plan`, its frequency range). The result is plain JSON (`JSON.stringify` works on it).
 *
 * @throws InvalidArgumentError naming the field: terms out of their Solidity types, an empty `name`, an `image` that is
 *   not a URI, or a `plan` whose time window is not the spectrum class's validity.
 */
export function buildClassMetadata(terms: ClassTerms, options: ClassMetadataOptions): CapacityClassMetadata {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("must be an object", { field: "options", value: options });
  }
  const name = requireText(options.name, "name", false);
  const description = requireText(options.description, "description", true);
  const image = options.image === undefined ? undefined : requireImage(options.image, "image");
  const t = normalizeClassTerms(terms);

  const region = t.region === ZERO_HASH ? undefined : (labelOf(t.region) ?? t.region);
  const properties: CapacityMetadataProperties = {
    classId: classIdHex(classIdOf(t)),
    kind: KIND_NAMES[t.kind],
    unit: labelOf(t.unit) ?? t.unit,
    issuerId: Number(t.issuerId),
    ...(region === undefined ? {} : { region }),
    validFrom: isoOf(t.validFrom),
    validUntil: isoOf(t.validUntil),
    maxSupply: t.maxSupply.toString(),
  };

  if (t.kind === CapacityKind.Slice) {
    const s = t.slice;
    const snssai = BigInt(s.snssai);
    properties.slice = {
      snssai: "0x" + snssai.toString(16).padStart(8, "0"),
      sst: Number(snssai >> 24n),
      sd: (snssai & 0xffffffn).toString(16).padStart(6, "0"),
      throughputKbps: Number(s.throughputKbps),
      latencyMs: Number(s.latencyMs),
      availabilityBp: Number(s.availabilityBp),
      availability: formatBasisPoints(s.availabilityBp, "slice.availabilityBp"),
      creditToken: s.creditToken,
      creditPerUnitHour: BigInt(s.creditPerUnitHour).toString(),
    };
  }

  if (t.kind === CapacityKind.Spectrum) {
    const g = t.spectrum;
    const spectrum: SpectrumMetadata = {
      bandPlanId: Number(g.bandPlanId),
      areaId: Number(g.areaId),
      firstChannel: Number(g.firstChannel),
      channelCount: Number(g.channelCount),
      firstSlot: Number(g.firstSlot),
      slotCount: Number(g.slotCount),
      exclusive: g.exclusive,
      window: { start: isoOf(t.validFrom), end: isoOf(t.validUntil) },
    };
    if (options.plan !== undefined) {
      const window = spectrumWindow(options.plan, g.firstSlot, g.slotCount);
      if (window.validFrom !== t.validFrom || window.validUntil !== t.validUntil) {
        throw new InvalidArgumentError(
          `its window for the block, [${window.validFrom}, ${window.validUntil}), is not the class's validity ` +
            `[${t.validFrom}, ${t.validUntil}) (another band plan?)`,
          { field: "plan", value: options.plan },
        );
      }
      const { lowKHz, highKHz } = channelBand(options.plan, g.firstChannel, g.channelCount);
      spectrum.band = { lowKHz: lowKHz.toString(), highKHz: highKHz.toString() };
    }
    properties.spectrum = spectrum;
  }

  return { name, description, ...(image === undefined ? {} : { image }), decimals: 0, properties };
}

/*//////////////////////////////////////////////////////////////////////////
                                  VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function fail(path: string, reason: string, value: unknown): never {
  throw new InvalidArgumentError(reason, { field: path, value });
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be an object", value);
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, path: string, allowEmpty = false): string {
  if (typeof value !== "string") fail(path, "must be a string", value);
  if (!allowEmpty && value.length === 0) fail(path, "must not be empty", value);
  return value;
}

function integerAt(value: unknown, path: string, min: bigint, max: bigint): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) fail(path, "must be an integer (JSON number)", value);
  if (BigInt(value) < min || BigInt(value) > max) fail(path, `must be ${min} to ${max}`, value);
  return value;
}

/** A decimal string without sign or leading zeros, within `[min, max]`. */
function decimalAt(value: unknown, path: string, min: bigint, max: bigint): string {
  if (typeof value !== "string" || !/^(?:0|[1-9]\d*)$/.test(value)) {
    fail(path, "must be a decimal integer string (no sign, no leading zeros)", value);
  }
  const n = BigInt(value);
  if (n < min || n > max) fail(path, `must be ${min} to ${max}`, value);
  return value;
}

function booleanAt(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") fail(path, "must be a boolean", value);
  return value;
}

/** An ISO 8601 UTC date-time; returns it with its time in milliseconds. */
function dateAt(value: unknown, path: string): { text: string; ms: number } {
  if (typeof value !== "string" || !ISO_DATE.test(value)) {
    fail(path, "must be an ISO 8601 UTC date-time (e.g. 2026-01-01T00:00:00Z)", value);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) fail(path, "is not a valid date", value);
  return { text: value, ms };
}

/** A `bytes32` label or hash: a printable ASCII label of 1 to 31 characters, or `0x` and 64 hex digits. */
function labelAt(value: unknown, path: string): string {
  const text = stringAt(value, path);
  if (isHexString(text, 32)) return text;
  if (text.length > 31 || !/^[\x20-\x7e]+$/.test(text)) {
    fail(path, "must be a label of 1 to 31 printable ASCII characters, or a bytes32 hex", value);
  }
  return text;
}

function validateSlice(value: unknown, path: string): SliceMetadata {
  const s = objectAt(value, path);
  const snssaiText = stringAt(s.snssai, `${path}.snssai`);
  if (!/^0x[0-9a-fA-F]{8}$/.test(snssaiText)) fail(`${path}.snssai`, "must be 0x and 8 hex digits", s.snssai);
  const sst = integerAt(s.sst, `${path}.sst`, 0n, 255n);
  const sd = stringAt(s.sd, `${path}.sd`);
  if (!/^[0-9a-fA-F]{6}$/.test(sd)) fail(`${path}.sd`, "must be 6 hex digits", s.sd);
  const snssai = BigInt(snssaiText);
  if (snssai >> 24n !== BigInt(sst) || (snssai & 0xffffffn) !== BigInt("0x" + sd)) {
    fail(`${path}.snssai`, `must be SST then SD (0x${sst.toString(16).padStart(2, "0")}${sd})`, s.snssai);
  }
  const availabilityBp = integerAt(s.availabilityBp, `${path}.availabilityBp`, 0n, 10_000n);
  const availability = stringAt(s.availability, `${path}.availability`);
  const expected = formatBasisPoints(availabilityBp);
  if (availability !== expected) fail(`${path}.availability`, `must be ${expected} (availabilityBp)`, availability);
  const tokenText = stringAt(s.creditToken, `${path}.creditToken`);
  let creditToken: string;
  try {
    creditToken = getAddress(tokenText);
  } catch {
    fail(`${path}.creditToken`, "must be an address", s.creditToken);
  }
  return {
    snssai: snssaiText,
    sst,
    sd,
    throughputKbps: integerAt(s.throughputKbps, `${path}.throughputKbps`, 0n, UINT32_MAX),
    latencyMs: integerAt(s.latencyMs, `${path}.latencyMs`, 0n, UINT32_MAX),
    availabilityBp,
    availability,
    creditToken,
    creditPerUnitHour: decimalAt(s.creditPerUnitHour, `${path}.creditPerUnitHour`, 0n, UINT128_MAX),
  };
}

function validateSpectrum(value: unknown, path: string): SpectrumMetadata {
  const g = objectAt(value, path);
  const firstSlot = integerAt(g.firstSlot, `${path}.firstSlot`, 0n, UINT32_MAX);
  const slotCount = integerAt(g.slotCount, `${path}.slotCount`, 1n, UINT32_MAX);
  const firstChannel = integerAt(g.firstChannel, `${path}.firstChannel`, 0n, UINT16_MAX);
  const channelCount = integerAt(g.channelCount, `${path}.channelCount`, 1n, UINT16_MAX);
  const words = blockWords({ firstChannel, channelCount, firstSlot, slotCount });
  if (words > 64n) fail(`${path}.channelCount`, `the block touches ${words} grid words (at most 64)`, channelCount);
  const w = objectAt(g.window, `${path}.window`);
  const start = dateAt(w.start, `${path}.window.start`);
  const end = dateAt(w.end, `${path}.window.end`);
  if (end.ms <= start.ms) fail(`${path}.window.end`, "must be after window.start", w.end);
  const out: SpectrumMetadata = {
    bandPlanId: integerAt(g.bandPlanId, `${path}.bandPlanId`, 1n, UINT32_MAX),
    areaId: integerAt(g.areaId, `${path}.areaId`, 0n, UINT32_MAX),
    firstChannel,
    channelCount,
    firstSlot,
    slotCount,
    exclusive: booleanAt(g.exclusive, `${path}.exclusive`),
    window: { start: start.text, end: end.text },
  };
  if (g.band !== undefined) {
    const b = objectAt(g.band, `${path}.band`);
    const lowKHz = decimalAt(b.lowKHz, `${path}.band.lowKHz`, 0n, UINT64_MAX + UINT16_MAX * UINT32_MAX);
    const highKHz = decimalAt(b.highKHz, `${path}.band.highKHz`, 0n, UINT64_MAX + 2n * UINT16_MAX * UINT32_MAX);
    if (BigInt(highKHz) <= BigInt(lowKHz)) fail(`${path}.band.highKHz`, "must be above band.lowKHz", b.highKHz);
    out.band = { lowKHz, highKHz };
  }
  return out;
}

/**
 * Checks that `json` (e.g. `JSON.parse` of a class's metadata) is capacity-class metadata as
 * {@link buildClassMetadata} makes it, and returns it typed (fields this schema does not define are left out).
 *
 * @throws InvalidArgumentError whose `field` is the JSON path of the first bad field, e.g. `$.properties.slice.sd`
 *   (`$` for the document itself).
 */
export function validateClassMetadata(json: unknown): CapacityClassMetadata {
  const root = objectAt(json, "$");
  const name = stringAt(root.name, "$.name");
  if (name.trim().length === 0) fail("$.name", "must not be blank", root.name);
  const description = stringAt(root.description, "$.description", true);
  const image = root.image === undefined ? undefined : requireImage(root.image, "$.image");
  if (root.decimals !== 0) fail("$.decimals", "must be 0 (capacity units are indivisible)", root.decimals);

  const p = objectAt(root.properties, "$.properties");
  const classId = stringAt(p.classId, "$.properties.classId");
  if (!/^[0-9a-f]{64}$/.test(classId)) fail("$.properties.classId", "must be 64 lowercase hex digits", p.classId);
  const kind = stringAt(p.kind, "$.properties.kind") as CapacityKindName;
  if (!KIND_NAMES.includes(kind)) fail("$.properties.kind", `must be one of ${KIND_NAMES.join(", ")}`, p.kind);
  const unit = labelAt(p.unit, "$.properties.unit");
  const issuerId = integerAt(p.issuerId, "$.properties.issuerId", 1n, UINT32_MAX);
  const region = p.region === undefined ? undefined : labelAt(p.region, "$.properties.region");
  const validFrom = dateAt(p.validFrom, "$.properties.validFrom");
  const validUntil = dateAt(p.validUntil, "$.properties.validUntil");
  if (validUntil.ms <= validFrom.ms) fail("$.properties.validUntil", "must be after validFrom", p.validUntil);
  const maxSupply = decimalAt(p.maxSupply, "$.properties.maxSupply", 1n, UINT64_MAX);

  const properties: CapacityMetadataProperties = {
    classId,
    kind,
    unit,
    issuerId,
    ...(region === undefined ? {} : { region }),
    validFrom: validFrom.text,
    validUntil: validUntil.text,
    maxSupply,
  };
  if (kind === "Slice") {
    properties.slice = validateSlice(p.slice, "$.properties.slice");
  } else if (p.slice !== undefined) {
    fail("$.properties.slice", `must be absent for a ${kind} class`, p.slice);
  }
  if (kind === "Spectrum") {
    const spectrum = validateSpectrum(p.spectrum, "$.properties.spectrum");
    if (Date.parse(spectrum.window.start) !== validFrom.ms || Date.parse(spectrum.window.end) !== validUntil.ms) {
      fail("$.properties.spectrum.window", "must be the class's validity [validFrom, validUntil)", p.spectrum);
    }
    if (spectrum.exclusive && maxSupply !== "1") {
      fail("$.properties.maxSupply", "must be 1 for an exclusive spectrum block", p.maxSupply);
    }
    properties.spectrum = spectrum;
  } else if (p.spectrum !== undefined) {
    fail("$.properties.spectrum", `must be absent for a ${kind} class`, p.spectrum);
  }

  return { name, description, ...(image === undefined ? {} : { image }), decimals: 0, properties };
}

/*//////////////////////////////////////////////////////////////////////////
                                     URIS
//////////////////////////////////////////////////////////////////////////*/

/**
 * A metadata URI with ERC-1155 `{id}` substitution applied: every `{id}` becomes the class id as 64 lowercase hex
 * digits (e.g. `https://x/{id}.json` → `https://x/00…2a.json`). A URI without `{id}` is returned as is.
 */
export function expandMetadataUri(template: string, classId: UintLike): string {
  if (typeof template !== "string")
    throw new InvalidArgumentError("must be a string", { field: "template", value: template });
  const hex = classIdHex(toUint(classId, 256, "classId"));
  return template.split("{id}").join(hex);
}
