/**
 * The types of CDR ingestion: the raw record a visited network (VPMN) reports, the record once validated and committed
 * to (its {@link RecordLeaf}), the options of an ingestion and its result.
 *
 * Every amount, volume and time is a `bigint`. Pure: browser-safe.
 */
import type { RecordLeaf } from "../merkle/leaf";
import type { EncodedRecordLeaves } from "../merkle/tree";
import type { Service, ServiceKey, Tariff } from "../rating/types";

/*//////////////////////////////////////////////////////////////////////////
                                  THE RECORD
//////////////////////////////////////////////////////////////////////////*/

/**
 * The columns of a CDR file (CSV header names, JSON keys), in the order {@link cdrCsvLine} writes them. All are
 * required except `tax`.
 */
export const CDR_COLUMNS = ["eventRef", "imsi", "service", "eventStart", "rawVolume", "tax"] as const;
/** A CDR column name. */
export type CdrColumn = (typeof CDR_COLUMNS)[number];
/** The columns every record must have (all but `tax`, which defaults to 0). */
export const REQUIRED_CDR_COLUMNS: readonly CdrColumn[] = ["eventRef", "imsi", "service", "eventStart", "rawVolume"];

/** The longest `eventRef` accepted, in characters (printable ASCII). */
export const MAX_EVENT_REF_LENGTH = 64;

/**
 * One call detail record as the visited network reports it, after its fields were parsed (not yet checked against an
 * agreement). Also what `generateCdrs` (`@roamledger/sdk/testing`) produces and {@link cdrCsvLine} writes.
 */
export interface CdrRecord {
  /** The VPMN's own reference of the event: 1 to 64 printable ASCII characters, no leading or trailing space. */
  readonly eventRef: string;
  /** The subscriber's IMSI: 6 to 15 digits. Personal data: never leaves the two parties in clear. */
  readonly imsi: string;
  readonly service: Service;
  /** Start of the event, Unix seconds (`uint64`). */
  readonly eventStart: bigint;
  /** The volume before rounding, in the service's volume unit (seconds, messages, bytes, devices, hours...). */
  readonly rawVolume: bigint;
  /** The tax reported with the event, settlement-token base units (0 when the file has none). */
  readonly tax: bigint;
}

/** A record that passed validation, with what the batch commits to. */
export interface IngestedRecord extends CdrRecord {
  /** 0-based position among the file's records (the header excluded; invalid records take a position too). */
  readonly index: number;
  /** The 1-based physical line of the file the record starts on (for a JSON array: the line its element starts on). */
  readonly line: number;
  /** The agreement period of `eventStart`: `(eventStart - validFrom) / periodLength`. */
  readonly period: bigint;
  /** `keccak256(abi.encode(periodSalt, imsi))`, lower-case hex. */
  readonly subscriberHash: string;
  /** `keccak256(abi.encode(subscriberHash, service, eventStart, eventRef))`, lower-case hex. */
  readonly recordId: string;
  /** `rawVolume` rounded up to the service's increment in the base tariff (`rawVolume` itself when not covered). */
  readonly chargedVolume: bigint;
  /**
   * False when the base tariff has no plan for the service. Such a record is kept (the file is what the VPMN sent)
   * but flagged: the counterparty can prove it (`SERVICE_NOT_COVERED`).
   */
  readonly covered: boolean;
  /** False when a batch period was given and `eventStart` lies outside it (kept, and counted in the stats). */
  readonly inBatchPeriod: boolean;
  /** The leaf of the batch's Merkle tree (the same object as the result's `leaves[i]`). */
  readonly leaf: RecordLeaf;
}

/*//////////////////////////////////////////////////////////////////////////
                                   OPTIONS
//////////////////////////////////////////////////////////////////////////*/

/** The file formats {@link ingestCdrs} reads. `json` is a top-level array of objects; `ndjson` one object a line. */
export type CdrFormat = "csv" | "ndjson" | "json";

/**
 * What {@link ingestCdrs} reads: a Node `Readable`, any (async) iterable of text or byte chunks, or a whole text.
 * Byte chunks are decoded as UTF-8 (a multi-byte character may be split across chunks).
 */
export type CdrSource = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> | string | Uint8Array;

/** A half-open time window `[start, end)`, Unix seconds. */
export interface TimeWindow {
  readonly start: bigint;
  readonly end: bigint;
}

/** The agreement a file is ingested under, and how strict to be. */
export interface IngestOptions {
  /** The agreement's id (bytes32). */
  readonly agreementId: string;
  /** The direction of the usage (0 or 1). Informational: checked, and not used in any hash. */
  readonly direction: 0 | 1;
  /** The secret the two parties share off chain, salting subscriber pseudonyms (bytes32). */
  readonly sharedSecret: string;
  /** The agreement's start, Unix seconds. Events before it are invalid. */
  readonly validFrom: bigint;
  /** The agreement's period length in seconds (> 0): period `k` is `[validFrom + k * periodLength, +periodLength)`. */
  readonly periodLength: bigint;
  /** Optional: the agreement's end, Unix seconds; events at or after it are invalid. */
  readonly validUntil?: bigint;
  /** The base tariff: its plans give each service's charging increment. */
  readonly tariff: Tariff;
  /**
   * Stop after this many issues (default 100): the result is then `truncated`, its errors incomplete and its stats
   * cover only what was read.
   */
  readonly maxErrors?: number;
  /** Optional: the batch's period. Records outside it are kept (the VPMN's file is what it is) and counted. */
  readonly batchPeriod?: TimeWindow;
  /** Accept (and ignore) columns or keys other than {@link CDR_COLUMNS}; by default they make the file invalid. */
  readonly allowExtraFields?: boolean;
}

/*//////////////////////////////////////////////////////////////////////////
                                    RESULT
//////////////////////////////////////////////////////////////////////////*/

/** Issue field of an error about the file as a whole (syntax, encoding, size). */
export const FILE_FIELD = "(file)";
/** Issue field of an error about the CSV header. */
export const HEADER_FIELD = "(header)";
/** Issue field of an error about one record as a whole (field count, malformed JSON, not an object). */
export const RECORD_FIELD = "(record)";

/** One reason a file is invalid. */
export interface CdrValidationIssue {
  /**
   * The 1-based physical line: of the record (where it starts) or of the problem. For CSV the header is line 1 (the
   * first record line 2); for NDJSON the line of the object; for a JSON array the line the element starts on.
   */
  readonly line: number;
  /** JSON arrays only: the element's position, 1-based (`index + 1`), for issues about one element. */
  readonly recordNumber?: number;
  /** The column or key (e.g. `"rawVolume"`), or {@link FILE_FIELD}, {@link HEADER_FIELD}, {@link RECORD_FIELD}. */
  readonly field: string;
  /** The rejected value as read (a string for CSV; a JSON number is given as its literal text). */
  readonly value: unknown;
  /** Why, without the field name, e.g. `"must be a non-negative integer"`. */
  readonly reason: string;
}

/** The per-service sums of a list of records, services ascending (the batch header's arrays). */
export interface BatchTotals {
  /** The services that appear, ascending ids. */
  readonly services: Service[];
  /** Sum of `chargedVolume` per service. */
  readonly volumes: bigint[];
  /** Number of records per service. */
  readonly recordCounts: bigint[];
  /** Sum of `tax` per service. */
  readonly taxes: bigint[];
}

/** Counts of an ingestion (over the valid records unless said otherwise). */
export interface IngestStats {
  /** Records read (data lines / elements), valid or not. */
  readonly records: number;
  /** Records that passed validation (the length of `records`). */
  readonly valid: number;
  /** Valid records outside the batch period (0 without `batchPeriod`). */
  readonly outOfBatchPeriod: number;
  /** Valid records of a service the base tariff does not cover. */
  readonly uncoveredService: number;
  /** Valid records whose `recordId` an earlier record of the file already had (kept: detected downstream). */
  readonly duplicateRecordIds: number;
  /** Valid records per service. */
  readonly perService: Record<ServiceKey, number>;
  /** The agreement periods the valid records fall in, ascending (a batch must lie in one). */
  readonly periods: bigint[];
  /** The earliest `eventStart` (undefined without valid records). */
  readonly firstEventStart: bigint | undefined;
  /** The latest `eventStart` (undefined without valid records). */
  readonly lastEventStart: bigint | undefined;
}

/** What {@link ingestCdrs} returns. Callers must check `ok`: a file with any issue must not be submitted. */
export interface IngestResult {
  /** True when the file has no issue at all. */
  readonly ok: boolean;
  /** The format read. */
  readonly format: CdrFormat | "records";
  /** The valid records, in file order (kept even when `ok` is false). */
  readonly records: IngestedRecord[];
  /** Their leaves, `leaves[i] === records[i].leaf`. */
  readonly leaves: RecordLeaf[];
  /** The issues, in file order (at most `maxErrors`). */
  readonly errors: CdrValidationIssue[];
  /** True when reading stopped at `maxErrors` issues. */
  readonly truncated: boolean;
  /** The totals of the valid records ({@link aggregateRecords}). */
  readonly totals: BatchTotals;
  readonly stats: IngestStats;
}

/**
 * What {@link ingestCdrBatch} returns: {@link IngestResult} without the per-record objects, the leaves as one buffer
 * of their encodings. Callers must check `ok`.
 */
export interface CdrBatchIngest {
  /** True when the file has no issue at all. */
  readonly ok: boolean;
  /** The format read. */
  readonly format: CdrFormat;
  /** The valid records' leaves, in file order ({@link buildRecordTree} takes them as they are). */
  readonly leaves: EncodedRecordLeaves;
  /** The issues, in file order (at most `maxErrors`). */
  readonly errors: CdrValidationIssue[];
  /** True when reading stopped at `maxErrors` issues. */
  readonly truncated: boolean;
  /** The totals of the valid records. */
  readonly totals: BatchTotals;
  readonly stats: IngestStats;
  /** `"fast"`: the file took the fast CSV path; `"general"`: {@link ingestCdrs} read it. The results are the same. */
  readonly path: "fast" | "general";
}
