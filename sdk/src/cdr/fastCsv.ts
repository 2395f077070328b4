/**
 * The fast path of CSV ingestion (`ingestCdrBatch`): one synchronous pass over the file's bytes in memory, no object
 * per record. It computes what `ingestCdrs` computes (the same checks, rounding, pseudonyms, record ids, leaves,
 * totals and stats: differential-tested in `test/sdk/fastCsv.test.ts`) and writes each record's leaf straight into
 * one buffer of leaf encodings ({@link EncodedRecordLeaves}); the pseudonyms and record ids are hashed by the
 * WebAssembly Keccak (`merkle/keccak.ts`) in its scratch memory.
 *
 * It only takes files it can read without doubt, and declines the rest (returns `undefined`) so that the general
 * path reads them and reports their issues, line by line, as it always did:
 * - a file with any issue at all (the fast path never reports one: an invalid file is refused whole anyway);
 * - any double quote, and any byte outside printable ASCII but a line feed or a carriage return before one (so: a
 *   tab, a lone carriage return, UTF-8 beyond ASCII); an empty first line; a header naming a column that is not a CDR
 *   column (even with `allowExtraFields`);
 * - an integer field of more than 15 digits (they are read as exact JS integers), an ISO-8601 `eventStart` other than
 *   `YYYY-MM-DDTHH:MM:SSZ`;
 * - `validFrom` or `periodLength` above 2^53 - 1, or no WebAssembly.
 *
 * Pure: browser-safe.
 */
import { SCRATCH_AT, wasmKeccak } from "../merkle/keccak";
import { periodSalt } from "../merkle/leaf";
import { compareHashes, sortedLeafOrder } from "../merkle/sort";
import { EncodedRecordLeaves } from "../merkle/tree";
import { SERVICE_COUNT, SERVICE_KEYS, SERVICE_NAMES, type Service, type ServiceKey } from "../rating/types";
import type { Context } from "./options";
import { CDR_COLUMNS, MAX_EVENT_REF_LENGTH, REQUIRED_CDR_COLUMNS, type BatchTotals, type IngestStats } from "./types";

/** What the fast path returns for a valid file. */
export interface FastCsvIngest {
  readonly leaves: EncodedRecordLeaves;
  readonly totals: BatchTotals;
  readonly stats: IngestStats;
}

const LEAF_BYTES = 192;
const LEAF_WORDS = 48;
/** Digits read as an exact JS integer (10^15 - 1 < 2^53 - 1). */
const MAX_NUMBER_DIGITS = 15;
const TWO_32 = 4_294_967_296;

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
const SPACE = 32;
const ZERO = 48;
const NINE = 57;

/** Column positions in {@link CDR_COLUMNS} order. */
const EVENT_REF = 0;
const IMSI = 1;
const SERVICE = 2;
const EVENT_START = 3;
const RAW_VOLUME = 4;
const TAX = 5;

/** The service tokens (keys, Solidity names, decimal ids) as bytes, by length. */
const TOKENS: readonly (readonly { bytes: Uint8Array; service: Service }[])[] = (() => {
  const byLength: { bytes: Uint8Array; service: Service }[][] = [];
  for (let id = 0; id < SERVICE_COUNT; id++) {
    for (const token of [SERVICE_KEYS[id], SERVICE_NAMES[id], String(id)]) {
      const bytes = Uint8Array.from(token, (ch) => ch.charCodeAt(0));
      (byLength[bytes.length] ??= []).push({ bytes, service: id as Service });
    }
  }
  return byLength;
})();

function serviceAt(b: Uint8Array, from: number, to: number): number {
  const candidates = TOKENS[to - from];
  if (candidates === undefined) return -1;
  for (const { bytes, service } of candidates) {
    let k = 0;
    while (k < bytes.length && b[from + k] === bytes[k]) k++;
    if (k === bytes.length) return service;
  }
  return -1;
}

/** The decimal digits `b[from..to)` as a number, or -1 if empty, not all digits, or longer than 15 digits. */
function digitsAt(b: Uint8Array, from: number, to: number): number {
  if (to <= from || to - from > MAX_NUMBER_DIGITS) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

/** The two digits at `b[at..at + 2]` as a number, or -1. */
function twoDigits(b: Uint8Array, at: number): number {
  const hi = b[at] - ZERO;
  const lo = b[at + 1] - ZERO;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

const DASH = 45;
const COLON = 58;
const LETTER_T = 84;
const LETTER_Z = 90;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * An `eventStart` as Unix seconds: digits (at most 15), or exactly `YYYY-MM-DDTHH:MM:SSZ` naming a real UTC time from
 * 1970 on (as `parseIsoTimestamp` reads it: H. Hinnant's `days_from_civil`, on small exact integers); -1 otherwise.
 */
function eventStartAt(b: Uint8Array, from: number, to: number): number {
  if (to - from !== 20) return digitsAt(b, from, to);
  if (b[from + 4] !== DASH || b[from + 7] !== DASH || b[from + 10] !== LETTER_T) return -1;
  if (b[from + 13] !== COLON || b[from + 16] !== COLON || b[from + 19] !== LETTER_Z) return -1;
  const century = twoDigits(b, from);
  const yy = twoDigits(b, from + 2);
  const month = twoDigits(b, from + 5);
  const day = twoDigits(b, from + 8);
  const hour = twoDigits(b, from + 11);
  const minute = twoDigits(b, from + 14);
  const second = twoDigits(b, from + 17);
  if ((century | yy | month | day | hour | minute | second) < 0) return -1;
  const year = century * 100 + yy;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (year < 1970 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return -1;
  if (day < 1 || day > (month === 2 && leap ? 29 : MONTH_DAYS[month - 1])) return -1;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146_097 + doe - 719_468;
  return days * 86_400 + hour * 3_600 + minute * 60 + second;
}

/** Writes the integer `value` (0 to 2^53 - 1) big-endian into `b[at..at + 8]`. */
function writeUint64(b: Uint8Array, at: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  b[at] = hi >>> 24;
  b[at + 1] = (hi >>> 16) & 0xff;
  b[at + 2] = (hi >>> 8) & 0xff;
  b[at + 3] = hi & 0xff;
  b[at + 4] = lo >>> 24;
  b[at + 5] = (lo >>> 16) & 0xff;
  b[at + 6] = (lo >>> 8) & 0xff;
  b[at + 7] = lo & 0xff;
}

/** A bigint option as a number, or -1 if it is above 2^53 - 1. */
function safe(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : -1;
}

/**
 * A bound as a number, or infinity above 2^53 - 1: every time the fast path reads is below 10^15, so the comparisons
 * with such a bound come out the same.
 */
function bound(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.POSITIVE_INFINITY;
}

/** The hex string `0x...` (64 digits) as 8 little-endian words. */
function hexWords(hex: string): Int32Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return new Int32Array(bytes.buffer);
}

/** Where the columns are in a header line, or undefined if the header is not one the fast path takes. */
function readHeader(b: Uint8Array, from: number, to: number): Int32Array | undefined {
  const names: string[] = [];
  let name = "";
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c === COMMA) {
      names.push(name);
      name = "";
    } else {
      name += String.fromCharCode(c);
    }
  }
  names.push(name);
  const columnAt = new Int32Array(names.length);
  const seen = new Set<number>();
  for (let k = 0; k < names.length; k++) {
    const column = (CDR_COLUMNS as readonly string[]).indexOf(names[k]);
    if (column < 0 || seen.has(column)) return undefined;
    seen.add(column);
    columnAt[k] = column;
  }
  for (const required of REQUIRED_CDR_COLUMNS) if (!seen.has(CDR_COLUMNS.indexOf(required))) return undefined;
  return columnAt;
}

/** An exact non-negative integer sum of safe integers: a number part, moved into a bigint before it overflows. */
class Sum {
  big = 0n;
  small = 0;

  add(value: number): void {
    if (this.small + value > Number.MAX_SAFE_INTEGER) {
      this.big += BigInt(this.small);
      this.small = 0;
    }
    this.small += value;
  }

  get value(): bigint {
    return this.big + BigInt(this.small);
  }
}

/**
 * The subscriber pseudonyms computed so far, by (period, IMSI): an open-addressing table whose keys are the period's
 * position in the file's list of periods, the IMSI's length, its leading digits and its last nine digits (all small
 * integers: exact, and no number boxed per lookup). A `Map` keyed by the IMSI's value took ten times as long.
 */
class PseudonymCache {
  #slots = new Int32Array(1 << 14);
  #keys = new Int32Array(4 * 4096);
  /** Eight little-endian words per entry: the pseudonym. */
  hashes = new Int32Array(8 * 4096);
  #count = 0;

  static #hash(period: number, length: number, high: number, low: number): number {
    let h = Math.imul(high ^ Math.imul(low, 0x9e3779b1) ^ ((period << 4) | length), 0x85ebca6b);
    h ^= h >>> 15;
    return Math.imul(h, 0xc2b2ae35) ^ (h >>> 13);
  }

  /** The entry of the key, or -1. */
  find(period: number, length: number, high: number, low: number): number {
    const slots = this.#slots;
    const keys = this.#keys;
    const mask = slots.length - 1;
    for (let slot = PseudonymCache.#hash(period, length, high, low) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] - 1;
      if (entry < 0) return -1;
      const k = 4 * entry;
      if (keys[k + 3] === low && keys[k + 2] === high && keys[k + 1] === length && keys[k] === period) return entry;
    }
  }

  /** Adds the key (absent), returning its entry, whose pseudonym the caller writes into {@link hashes}. */
  add(period: number, length: number, high: number, low: number): number {
    const entry = this.#count++;
    if (4 * this.#count > this.#keys.length) {
      this.#keys = grow(this.#keys);
      this.hashes = grow(this.hashes);
    }
    const k = 4 * entry;
    this.#keys[k] = period;
    this.#keys[k + 1] = length;
    this.#keys[k + 2] = high;
    this.#keys[k + 3] = low;
    if (2 * this.#count > this.#slots.length) {
      this.#slots = new Int32Array(this.#slots.length * 2);
      for (let e = 0; e < this.#count; e++) this.#place(e);
    } else {
      this.#place(entry);
    }
    return entry;
  }

  #place(entry: number): void {
    const slots = this.#slots;
    const keys = this.#keys;
    const mask = slots.length - 1;
    const k = 4 * entry;
    let slot = PseudonymCache.#hash(keys[k], keys[k + 1], keys[k + 2], keys[k + 3]) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = entry + 1;
  }
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/**
 * Ingests a whole CSV file given as bytes on the fast path; `undefined` when the file is one the fast path declines
 * (see the module comment), which the caller then reads with `ingestCdrs`.
 */
export function ingestCsvFast(b: Uint8Array, ctx: Context): FastCsvIngest | undefined {
  const wasm = wasmKeccak();
  const validFrom = safe(ctx.validFrom);
  const periodLength = safe(ctx.periodLength);
  const validUntil = ctx.validUntil === undefined ? Number.POSITIVE_INFINITY : bound(ctx.validUntil);
  const batchStart = ctx.batchPeriod === undefined ? 0 : bound(ctx.batchPeriod.start);
  const batchEnd = ctx.batchPeriod === undefined ? Number.POSITIVE_INFINITY : bound(ctx.batchPeriod.end);
  if (wasm === undefined || validFrom < 0 || periodLength < 0) return undefined;
  const increments = new Float64Array(SERVICE_COUNT); // 0: not covered; else the increment (uint32: exact)
  for (const [service, increment] of ctx.increments) increments[service] = Number(increment);

  const end = b.length;
  let p = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  // The header: the first line, which must not be empty.
  let headerEnd = b.indexOf(LF, p);
  if (headerEnd < 0) headerEnd = end;
  let headerTo = headerEnd;
  if (headerTo > p && b[headerTo - 1] === CR) headerTo--; // (a header ending the file has no record: declined below)
  for (let i = p; i < headerTo; i++) if (b[i] < SPACE || b[i] > 0x7e || b[i] === QUOTE) return undefined;
  if (headerTo === p) return undefined;
  const columnAt = readHeader(b, p, headerTo);
  if (columnAt === undefined) return undefined;
  const columns = columnAt.length;
  const hasTax = columnAt.includes(TAX);
  p = headerEnd + 1;

  // At most one record per remaining line.
  let capacity = 1;
  for (let i = b.indexOf(LF, p); i >= 0; i = b.indexOf(LF, i + 1)) capacity++;
  const out = new Uint8Array(capacity * LEAF_BYTES);
  const out32 = new Int32Array(out.buffer);

  // The WebAssembly scratch: the subscriber encoding (128 bytes), the record id encoding (up to 224), the hash.
  const mem = wasm.bytes;
  const mem32 = new Int32Array(wasm.buffer);
  const SUB = SCRATCH_AT;
  const REC = SCRATCH_AT + 256;
  const HASH = SCRATCH_AT + 512;
  mem.fill(0, SUB, HASH + 32);
  mem[SUB + 63] = 0x40;
  mem[REC + 127] = 0x80;

  // The periods met (position and salt), and the pseudonyms.
  const byPeriod = new Map<number, { position: number; salt: Int32Array }>();
  let lastPeriod = -1;
  let lastEntry: { position: number; salt: Int32Array } | undefined;
  const pseudonyms = new PseudonymCache();

  let lastRefLength = 0;

  const fieldFrom = new Int32Array(CDR_COLUMNS.length);
  const fieldTo = new Int32Array(CDR_COLUMNS.length);
  const volumes = Array.from({ length: SERVICE_COUNT }, () => new Sum());
  const taxes = Array.from({ length: SERVICE_COUNT }, () => new Sum());
  const perService = new Float64Array(SERVICE_COUNT);
  const periods = new Set<number>();
  let outOfBatchPeriod = 0;
  let uncovered = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = -1;
  let n = 0;

  while (p < end) {
    // One line: its fields, checked byte by byte against the plain grammar.
    let field = 0;
    let from = p;
    let i = p;
    let c = 0;
    for (; i < end; i++) {
      c = b[i];
      if (c === COMMA) {
        if (field >= columns) return undefined;
        fieldFrom[columnAt[field]] = from;
        fieldTo[columnAt[field]] = i;
        field++;
        from = i + 1;
      } else if (c < SPACE || c > 0x7e || c === QUOTE) {
        if (c === LF) break;
        if (c === CR && i + 1 < end && b[i + 1] === LF) break;
        return undefined;
      }
    }
    const lineEnd = i;
    p = c === CR ? i + 2 : i + 1;
    if (lineEnd === from && field === 0) continue; // an empty line
    if (field !== columns - 1) return undefined;
    fieldFrom[columnAt[field]] = from;
    fieldTo[columnAt[field]] = lineEnd;

    // The fields.
    const refFrom = fieldFrom[EVENT_REF];
    const refTo = fieldTo[EVENT_REF];
    const refLength = refTo - refFrom;
    if (refLength < 1 || refLength > MAX_EVENT_REF_LENGTH || b[refFrom] === SPACE || b[refTo - 1] === SPACE) {
      return undefined;
    }
    const imsiFrom = fieldFrom[IMSI];
    const imsiTo = fieldTo[IMSI];
    const imsiLength = imsiTo - imsiFrom;
    if (imsiLength < 6 || imsiLength > 15) return undefined;
    let high = 0; // the digits before the last nine
    let low = 0; // the last nine digits
    for (let j = imsiFrom; j < imsiTo; j++) {
      const d = b[j] - ZERO;
      if (d < 0 || d > 9) return undefined;
      if (j < imsiTo - 9) high = high * 10 + d;
      else low = low * 10 + d;
    }
    const service = serviceAt(b, fieldFrom[SERVICE], fieldTo[SERVICE]);
    const eventStart = eventStartAt(b, fieldFrom[EVENT_START], fieldTo[EVENT_START]);
    const raw = digitsAt(b, fieldFrom[RAW_VOLUME], fieldTo[RAW_VOLUME]);
    let tax = 0;
    if (hasTax && fieldTo[TAX] > fieldFrom[TAX]) tax = digitsAt(b, fieldFrom[TAX], fieldTo[TAX]);
    if (service < 0 || eventStart < 0 || raw < 0 || tax < 0) return undefined;
    if (eventStart < validFrom || eventStart >= validUntil) return undefined;
    const increment = increments[service];
    const rest = increment === 0 ? 0 : raw % increment;
    const charged = rest === 0 ? raw : raw - rest + increment;
    if (charged > Number.MAX_SAFE_INTEGER) return undefined;

    // The period and the subscriber's pseudonym.
    let period = Math.floor((eventStart - validFrom) / periodLength);
    const remainder = eventStart - validFrom - period * periodLength;
    if (remainder < 0) period--;
    else if (remainder >= periodLength) period++;
    if (period !== lastPeriod || lastEntry === undefined) {
      lastEntry = byPeriod.get(period);
      if (lastEntry === undefined) {
        const salt = hexWords(periodSalt(ctx.sharedSecret, ctx.agreementId, BigInt(period)));
        lastEntry = { position: byPeriod.size, salt };
        byPeriod.set(period, lastEntry);
      }
      lastPeriod = period;
    }
    let pseudonym = pseudonyms.find(lastEntry.position, imsiLength, high, low);
    if (pseudonym < 0) {
      // keccak256(abi.encode(bytes32 salt, string imsi)): salt | 0x40 | length | digits (at most 15: one word).
      for (let j = 0; j < 8; j++) mem32[(SUB >>> 2) + j] = lastEntry.salt[j];
      mem[SUB + 95] = imsiLength;
      mem.fill(0, SUB + 96, SUB + 128);
      for (let j = 0; j < imsiLength; j++) mem[SUB + 96 + j] = b[imsiFrom + j];
      wasm.hash(SUB, 128, HASH);
      pseudonym = pseudonyms.add(lastEntry.position, imsiLength, high, low);
      for (let j = 0; j < 8; j++) pseudonyms.hashes[8 * pseudonym + j] = mem32[(HASH >>> 2) + j];
    }
    const subs = pseudonyms.hashes;

    // keccak256(abi.encode(bytes32 subscriber, uint8 service, uint64 eventStart, string eventRef)).
    for (let j = 0; j < 8; j++) mem32[(REC >>> 2) + j] = subs[8 * pseudonym + j];
    mem[REC + 63] = service;
    writeUint64(mem, REC + 88, eventStart);
    mem[REC + 159] = refLength;
    for (let j = 0; j < refLength; j++) mem[REC + 160 + j] = b[refFrom + j];
    for (let j = refLength; j < lastRefLength; j++) mem[REC + 160 + j] = 0; // the previous reference's tail
    lastRefLength = refLength;
    const refWords = refLength > 32 ? 64 : 32;
    wasm.hash(REC, 160 + refWords, HASH);

    // The leaf: recordId, subscriberHash, service, eventStart, chargedVolume, index.
    const w = n * LEAF_WORDS;
    const at = n * LEAF_BYTES;
    for (let j = 0; j < 8; j++) {
      out32[w + j] = mem32[(HASH >>> 2) + j];
      out32[w + 8 + j] = subs[8 * pseudonym + j];
    }
    out[at + 95] = service;
    writeUint64(out, at + 120, eventStart);
    writeUint64(out, at + 152, charged);
    out[at + 188] = n >>> 24;
    out[at + 189] = (n >>> 16) & 0xff;
    out[at + 190] = (n >>> 8) & 0xff;
    out[at + 191] = n & 0xff;

    volumes[service].add(charged);
    taxes[service].add(tax);
    perService[service]++;
    if (increment === 0) uncovered++;
    if (eventStart < batchStart || eventStart >= batchEnd) outOfBatchPeriod++;
    periods.add(period);
    if (eventStart < first) first = eventStart;
    if (eventStart > last) last = eventStart;
    n++;
  }
  if (n === 0) return undefined;
  // Duplicate record ids (an id met before in the file): equal neighbours once the ids are sorted. A hash table would
  // cost a cache miss per record; the radix sort streams.
  const byId = sortedLeafOrder(out32, 0, n, LEAF_WORDS);
  let duplicates = 0;
  for (let k = 1; k < n; k++) {
    if (compareHashes(out32, byId[k - 1] * LEAF_WORDS, out32, byId[k] * LEAF_WORDS) === 0) duplicates++;
  }

  const totals: BatchTotals = { services: [], volumes: [], recordCounts: [], taxes: [] };
  const counts = {} as Record<ServiceKey, number>;
  for (let s = 0; s < SERVICE_COUNT; s++) {
    counts[SERVICE_KEYS[s]] = perService[s];
    if (perService[s] === 0) continue;
    const volume = volumes[s].value;
    if (volume > 0xffffffffffffffffn) return undefined; // the general path reports the record that overflows
    totals.services.push(s as Service);
    totals.volumes.push(volume);
    totals.recordCounts.push(BigInt(perService[s]));
    totals.taxes.push(taxes[s].value);
  }
  const stats: IngestStats = {
    records: n,
    valid: n,
    outOfBatchPeriod,
    uncoveredService: uncovered,
    duplicateRecordIds: duplicates,
    perService: counts,
    periods: [...periods].sort((x, y) => x - y).map(BigInt),
    firstEventStart: BigInt(first),
    lastEventStart: BigInt(last),
  };
  return { leaves: EncodedRecordLeaves.fromBytes(out.subarray(0, n * LEAF_BYTES)), totals, stats };
}
