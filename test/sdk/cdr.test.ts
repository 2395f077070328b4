import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { AbiCoder, id, keccak256 } from "ethers";

import { InvalidArgumentError } from "../../sdk/src/errors";
import { hashRecordLeaf, periodSalt, recordIdOf, subscriberHash } from "../../sdk/src/merkle/leaf";
import { RatingError, Service, SERVICE_KEYS, SERVICE_NAMES, UINT128_MAX, UINT64_MAX } from "../../sdk/src/rating";
import {
  aggregateRecords,
  assertValidCdrs,
  cdrRecordLines,
  CDR_COLUMNS,
  CDR_REASONS,
  cdrCsvHeader,
  cdrCsvLine,
  CdrFileError,
  cdrToJson,
  CSV_REASONS,
  DEFAULT_MAX_ERRORS,
  FILE_FIELD,
  firstDuplicateRecordId,
  formatCdrIssue,
  formatIsoTimestamp,
  HEADER_FIELD,
  INGEST_REASONS,
  ingestCdrBatch,
  ingestCdrRecords,
  ingestCdrs,
  ingestCdrsOrThrow,
  isCdrFileError,
  JSON_REASONS,
  parseCdrFields,
  parseEventStart,
  parseIsoTimestamp,
  RECORD_FIELD,
  totalTaxes,
  writeCdrCsv,
  writeCdrJson,
  writeCdrNdjson,
  type CdrFormat,
  type CdrRecord,
  type CdrValidationIssue,
  type IngestOptions,
  type IngestResult,
} from "../../sdk/src/cdr";
import { fastRecordId, fastSubscriberHash } from "../../sdk/src/cdr/hash";
import { topLevelNumberLiterals } from "../../sdk/src/cdr/json";
import { cdrFormatOfPath, ingestCdrFile, ingestCdrFileOrThrow } from "../../sdk/src/cdr/node";
import { CDR_TARIFF, thresholdPlan } from "../helpers/cdr";
import { generateCdrs, Prng32, seed32 } from "../../sdk/src/testing";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

const AGREEMENT = id("agreement DEUD1-GBRCN 2026");
const SECRET = id("shared secret of DEUD1 and GBRCN");
/** 2026-03-01T00:00:00Z. */
const VALID_FROM = 1_772_323_200n;
const DAY = 86_400n;
/** 30-day agreement periods. */
const PERIOD = 30n * DAY;
/** 01:00 on the first day. */
const T1 = VALID_FROM + 3_600n;

const plan = thresholdPlan;
const TARIFF = CDR_TARIFF;

function options(overrides: Partial<IngestOptions> = {}): IngestOptions {
  return {
    agreementId: AGREEMENT,
    direction: 0,
    sharedSecret: SECRET,
    validFrom: VALID_FROM,
    periodLength: PERIOD,
    tariff: TARIFF,
    ...overrides,
  };
}

const HEADER = CDR_COLUMNS.join(",");
const ROW = `E1,214070000000001,voiceMO,${T1},61,5`;

/** A CSV text: the header then the rows, `\n` after each line. */
function csv(...rows: string[]): string {
  return [HEADER, ...rows].map((line) => `${line}\n`).join("");
}

function ingestCsv(text: string, overrides: Partial<IngestOptions> = {}): Promise<IngestResult> {
  return ingestCdrs(text, "csv", options(overrides));
}

/** The issues as `[line, field]` pairs. */
function where(result: IngestResult): [number, string][] {
  return result.errors.map((issue) => [issue.line, issue.field]);
}

/** Expects exactly one issue, at `line` and `field` (and with `reason` if given); returns it. */
function expectOneIssue(result: IngestResult, line: number, field: string, reason?: string): CdrValidationIssue {
  expect(result.ok, "ok").to.equal(false);
  expect(where(result)).to.deep.equal([[line, field]]);
  if (reason !== undefined) expect(result.errors[0].reason).to.equal(reason);
  return result.errors[0];
}

/** Runs `call`, expects an InvalidArgumentError naming `field`. */
async function expectInvalidArgument(call: () => Promise<unknown>, field: string): Promise<void> {
  let caught: unknown;
  try {
    await call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError on ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
}

/** `text` cut at the given positions. */
function splitText(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(text.slice(from, p));
    from = p;
  }
  chunks.push(text.slice(from));
  return chunks;
}

/** The UTF-8 bytes of `text` cut at the given positions (possibly inside a character). */
function splitBytes(text: string, cuts: readonly number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.slice(from, p));
    from = p;
  }
  chunks.push(bytes.slice(from));
  return chunks;
}

async function* asyncChunks<T>(chunks: readonly T[]): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk;
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += chunk;
  return text;
}

const coder = AbiCoder.defaultAbiCoder();

/** The leaf fields recomputed from the formulas, with ethers' AbiCoder, independently of the SDK. */
function expectedHashes(imsi: string, service: number, eventStart: bigint, eventRef: string, period: bigint) {
  const salt = keccak256(coder.encode(["bytes32", "bytes32", "uint256"], [SECRET, AGREEMENT, period]));
  const subscriber = keccak256(coder.encode(["bytes32", "string"], [salt, imsi]));
  const recordId = keccak256(
    coder.encode(["bytes32", "uint8", "uint64", "string"], [subscriber, service, eventStart, eventRef]),
  );
  return { subscriberHash: subscriber, recordId };
}

/*//////////////////////////////////////////////////////////////////////////
                                    TESTS
//////////////////////////////////////////////////////////////////////////*/

describe("CDR ingestion (sdk/src/cdr)", function () {
  describe("when a CSV file is valid", function () {
    it("should derive period, subscriber hash, record id, charged volume, index and leaf of each record", async function () {
      const later = VALID_FROM + PERIOD + 10n; // period 1
      const result = await ingestCsv(csv(ROW, `E2,214070000000002,data,${later},1,0`));
      expect(result.ok).to.equal(true);
      expect(result.errors).to.deep.equal([]);
      expect(result.records).to.have.length(2);
      const [first, second] = result.records;

      expect(first).to.include({
        eventRef: "E1",
        imsi: "214070000000001",
        service: Service.VoiceMO,
        eventStart: T1,
        rawVolume: 61n,
        tax: 5n,
        index: 0,
        line: 2,
        period: 0n,
        chargedVolume: 120n,
        covered: true,
        inBatchPeriod: true,
      });
      expect(first).to.include(expectedHashes("214070000000001", 0, T1, "E1", 0n));
      expect(second).to.include({ index: 1, line: 3, period: 1n, chargedVolume: 1_000n, service: Service.Data });
      expect(second).to.include(expectedHashes("214070000000002", 4, later, "E2", 1n));

      expect(result.leaves).to.deep.equal([
        {
          recordId: first.recordId,
          subscriberHash: first.subscriberHash,
          service: 0,
          eventStart: T1,
          chargedVolume: 120n,
          index: 0,
        },
        {
          recordId: second.recordId,
          subscriberHash: second.subscriberHash,
          service: 4,
          eventStart: later,
          chargedVolume: 1_000n,
          index: 1,
        },
      ]);
      expect(result.leaves[0]).to.equal(first.leaf);
      expect(hashRecordLeaf(result.leaves[0])).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("should use the leaf module's formulas (periodSalt, subscriberHash, recordIdOf)", async function () {
      const result = await ingestCsv(csv(ROW));
      const salt = periodSalt(SECRET, AGREEMENT, 0n);
      const subscriber = subscriberHash(salt, "214070000000001");
      expect(result.records[0].subscriberHash).to.equal(subscriber);
      expect(result.records[0].recordId).to.equal(recordIdOf(subscriber, Service.VoiceMO, T1, "E1"));
    });

    it("should pseudonymise one IMSI differently in different periods and agreements", async function () {
      const next = VALID_FROM + PERIOD;
      const a = await ingestCsv(csv(ROW, `E2,214070000000001,voiceMO,${next},61,0`));
      expect(a.records[0].subscriberHash).to.not.equal(a.records[1].subscriberHash);
      const b = await ingestCsv(csv(ROW), { agreementId: id("another agreement") });
      expect(b.records[0].subscriberHash).to.not.equal(a.records[0].subscriberHash);
    });

    it("should accept a service's key, Solidity name or id", async function () {
      const rows = [];
      for (let s = 0; s < 9; ++s) {
        rows.push(`K${s},214070000000001,${SERVICE_KEYS[s]},${T1},1,0`);
        rows.push(`N${s},214070000000001,${SERVICE_NAMES[s]},${T1},1,0`);
        rows.push(`I${s},214070000000001,${s},${T1},1,0`);
      }
      const result = await ingestCsv(csv(...rows));
      expect(result.ok).to.equal(true);
      expect(result.records.map((r) => r.service)).to.deep.equal(Array.from({ length: 9 }, (_, s) => [s, s, s]).flat());
    });

    it("should read an ISO-8601 UTC eventStart as the same second as Unix seconds", async function () {
      const result = await ingestCsv(csv(ROW, `E1,214070000000001,voiceMO,2026-03-01T01:00:00Z,61,5`));
      expect(result.ok).to.equal(true);
      expect(result.records[1].eventStart).to.equal(T1);
      expect(result.records[1].recordId).to.equal(result.records[0].recordId);
    });

    it("should parse volumes and taxes beyond 2^53 exactly, as bigints", async function () {
      const big = 2n ** 53n + 1n;
      const result = await ingestCsv(csv(`E1,214070000000001,smsMO,${T1},${big},${UINT128_MAX}`));
      expect(result.ok).to.equal(true);
      expect(result.records[0].rawVolume).to.equal(big);
      expect(result.records[0].chargedVolume).to.equal(big);
      expect(result.records[0].tax).to.equal(UINT128_MAX);
    });

    it("should default tax to 0 without a tax column, or with an empty cell", async function () {
      const noColumn = await ingestCsv(
        `eventRef,imsi,service,eventStart,rawVolume\nE1,214070000000001,voiceMO,${T1},61\n`,
      );
      expect(noColumn.ok).to.equal(true);
      expect(noColumn.records[0].tax).to.equal(0n);
      const empty = await ingestCsv(csv(`E1,214070000000001,voiceMO,${T1},61,`));
      expect(empty.ok).to.equal(true);
      expect(empty.records[0].tax).to.equal(0n);
    });

    it("should accept the columns in any order", async function () {
      const text = `rawVolume,tax,service,eventStart,imsi,eventRef\n61,5,voiceMO,${T1},214070000000001,E1\n`;
      const reordered = await ingestCsv(text);
      const plain = await ingestCsv(csv(ROW));
      expect(reordered.records).to.deep.equal(plain.records);
    });

    it("should accept a file with a header and no record (empty batch)", async function () {
      const result = await ingestCsv(`${HEADER}\n`);
      expect(result.ok).to.equal(true);
      expect(result.records).to.deep.equal([]);
      expect(result.totals).to.deep.equal({ services: [], volumes: [], recordCounts: [], taxes: [] });
      expect(result.stats).to.include({ records: 0, valid: 0, firstEventStart: undefined, lastEventStart: undefined });
    });

    it("should read the last line without a line break", async function () {
      const result = await ingestCsv(`${HEADER}\n${ROW}`);
      expect(result.ok).to.equal(true);
      expect(result.records).to.have.length(1);
    });

    it("should read a Node Readable, an async iterable and bytes alike", async function () {
      const { Readable } = await import("stream");
      const text = csv(ROW, ROW.replace("E1", "E2"));
      const reference = await ingestCsv(text);
      expect(await ingestCdrs(Readable.from([Buffer.from(text)]), "csv", options())).to.deep.equal(reference);
      expect(await ingestCdrs(asyncChunks([text]), "csv", options())).to.deep.equal(reference);
      expect(await ingestCdrs(new TextEncoder().encode(text), "csv", options())).to.deep.equal(reference);
    });
  });

  describe("when a record breaks a validation rule", function () {
    // [label, row, field, reason]: each row is the only record, on line 2.
    const CASES: [string, string, string, string][] = [
      ["an empty eventRef", `,214070000000001,voiceMO,${T1},61,0`, "eventRef", CDR_REASONS.eventRef],
      [
        "a 65-character eventRef",
        `${"R".repeat(65)},214070000000001,voiceMO,${T1},61,0`,
        "eventRef",
        CDR_REASONS.eventRef,
      ],
      ["a tab in eventRef", `E\t1,214070000000001,voiceMO,${T1},61,0`, "eventRef", CDR_REASONS.eventRef],
      ["a non-ASCII eventRef", `É1,214070000000001,voiceMO,${T1},61,0`, "eventRef", CDR_REASONS.eventRef],
      ["a leading space in eventRef", ` E1,214070000000001,voiceMO,${T1},61,0`, "eventRef", CDR_REASONS.eventRefSpace],
      ["a trailing space in eventRef", `E1 ,214070000000001,voiceMO,${T1},61,0`, "eventRef", CDR_REASONS.eventRefSpace],
      ["a 5-digit IMSI", `E1,21407,voiceMO,${T1},61,0`, "imsi", CDR_REASONS.imsi],
      ["a 16-digit IMSI", `E1,2140700000000012,voiceMO,${T1},61,0`, "imsi", CDR_REASONS.imsi],
      ["a letter in the IMSI", `E1,21407000000000A,voiceMO,${T1},61,0`, "imsi", CDR_REASONS.imsi],
      ["an empty IMSI", `E1,,voiceMO,${T1},61,0`, "imsi", CDR_REASONS.imsi],
      ["an unknown service", `E1,214070000000001,voice,${T1},61,0`, "service", CDR_REASONS.service],
      ["a service key in the wrong case", `E1,214070000000001,VOICEMO,${T1},61,0`, "service", CDR_REASONS.service],
      ["service id 9", `E1,214070000000001,9,${T1},61,0`, "service", CDR_REASONS.service],
      ["service id 00", `E1,214070000000001,00,${T1},61,0`, "service", CDR_REASONS.service],
      ["a negative eventStart", `E1,214070000000001,voiceMO,-1,61,0`, "eventStart", CDR_REASONS.eventStart],
      ["a decimal eventStart", `E1,214070000000001,voiceMO,${T1}.5,61,0`, "eventStart", CDR_REASONS.eventStart],
      ["an eventStart with exponent", `E1,214070000000001,voiceMO,1.7e9,61,0`, "eventStart", CDR_REASONS.eventStart],
      [
        "fractional ISO seconds",
        `E1,214070000000001,voiceMO,2026-03-01T01:00:00.5Z,61,0`,
        "eventStart",
        CDR_REASONS.eventStartFraction,
      ],
      [
        "an ISO offset",
        `E1,214070000000001,voiceMO,2026-03-01T01:00:00+01:00,61,0`,
        "eventStart",
        CDR_REASONS.eventStartUtc,
      ],
      [
        "an ISO time without zone",
        `E1,214070000000001,voiceMO,2026-03-01T01:00:00,61,0`,
        "eventStart",
        CDR_REASONS.eventStartUtc,
      ],
      ["a date-only ISO", `E1,214070000000001,voiceMO,2026-03-01,61,0`, "eventStart", CDR_REASONS.eventStart],
      [
        "29 February of a common year",
        `E1,214070000000001,voiceMO,2027-02-29T00:00:00Z,61,0`,
        "eventStart",
        CDR_REASONS.eventStartDate,
      ],
      [
        "a leap second",
        `E1,214070000000001,voiceMO,2026-03-01T23:59:60Z,61,0`,
        "eventStart",
        CDR_REASONS.eventStartDate,
      ],
      [
        "an eventStart above uint64",
        `E1,214070000000001,voiceMO,${UINT64_MAX + 1n},61,0`,
        "eventStart",
        CDR_REASONS.uint64,
      ],
      [
        "an eventStart before validFrom",
        `E1,214070000000001,voiceMO,${VALID_FROM - 1n},61,0`,
        "eventStart",
        INGEST_REASONS.beforeValidFrom(VALID_FROM),
      ],
      ["a negative rawVolume", `E1,214070000000001,voiceMO,${T1},-3,0`, "rawVolume", CDR_REASONS.uint],
      ["a signed rawVolume", `E1,214070000000001,voiceMO,${T1},+3,0`, "rawVolume", CDR_REASONS.uint],
      ["a decimal rawVolume", `E1,214070000000001,voiceMO,${T1},1.0,0`, "rawVolume", CDR_REASONS.uint],
      ["a rawVolume with exponent", `E1,214070000000001,voiceMO,${T1},1e3,0`, "rawVolume", CDR_REASONS.uint],
      ["an empty rawVolume", `E1,214070000000001,voiceMO,${T1},,0`, "rawVolume", CDR_REASONS.uint],
      ["a space before rawVolume", `E1,214070000000001,voiceMO,${T1}, 61,0`, "rawVolume", CDR_REASONS.uint],
      [
        "a rawVolume above uint64",
        `E1,214070000000001,smsMO,${T1},${UINT64_MAX + 1n},0`,
        "rawVolume",
        CDR_REASONS.uint64,
      ],
      [
        "a rawVolume that rounds above uint64",
        `E1,214070000000001,voiceMO,${T1},${UINT64_MAX},0`,
        "rawVolume",
        INGEST_REASONS.chargedTooLarge(60n),
      ],
      ["a negative tax", `E1,214070000000001,voiceMO,${T1},61,-1`, "tax", CDR_REASONS.uint],
      ["a decimal tax", `E1,214070000000001,voiceMO,${T1},61,0.5`, "tax", CDR_REASONS.uint],
      ["a tax above uint128", `E1,214070000000001,voiceMO,${T1},61,${UINT128_MAX + 1n}`, "tax", CDR_REASONS.uint128],
    ];
    for (const [label, row, field, reason] of CASES) {
      it(`should refuse ${label}: line 2, field ${field}`, async function () {
        expectOneIssue(await ingestCsv(csv(row)), 2, field, reason);
      });
    }

    it("should refuse an eventStart at or after validUntil, when given", async function () {
      const validUntil = VALID_FROM + 2n * PERIOD;
      const result = await ingestCsv(csv(`E1,214070000000001,voiceMO,${validUntil},61,0`, ROW), { validUntil });
      expectOneIssue(result, 2, "eventStart", INGEST_REASONS.afterValidUntil(validUntil));
    });

    it("should refuse a file whose total volume of a service exceeds uint64 (at the record that overflows)", async function () {
      const half = UINT64_MAX / 2n + 1n;
      const result = await ingestCsv(
        csv(`E1,214070000000001,smsMO,${T1},${half},0`, `E2,214070000000001,smsMO,${T1},${half},0`),
      );
      expectOneIssue(result, 3, "rawVolume", INGEST_REASONS.totalTooLarge("smsMO"));
    });

    it("should report every invalid field of a record, in column order, with the value as read", async function () {
      const result = await ingestCsv(csv(`,123,voice,soon,-3,x`));
      expect(where(result)).to.deep.equal([
        [2, "eventRef"],
        [2, "imsi"],
        [2, "service"],
        [2, "eventStart"],
        [2, "rawVolume"],
        [2, "tax"],
      ]);
      expect(result.errors.map((e) => e.value)).to.deep.equal(["", "123", "voice", "soon", "-3", "x"]);
    });

    it("should make the whole file invalid, keep the valid records, and give invalid records their position", async function () {
      const result = await ingestCsv(csv(ROW, `E2,214070000000002,voiceMO,${T1},-3,0`, ROW.replace("E1", "E3")));
      expectOneIssue(result, 3, "rawVolume");
      expect(result.records.map((r) => [r.eventRef, r.index, r.line])).to.deep.equal([
        ["E1", 0, 2],
        ["E3", 2, 4],
      ]);
      expect(result.stats).to.include({ records: 3, valid: 2 });
    });

    it("should stop at maxErrors and say the list is truncated", async function () {
      const bad = Array.from({ length: 10 }, (_, i) => `B${i},214070000000001,voiceMO,${T1},-${i},0`);
      const result = await ingestCsv(csv(...bad), { maxErrors: 3 });
      expect(result.ok).to.equal(false);
      expect(result.truncated).to.equal(true);
      expect(where(result)).to.deep.equal([
        [2, "rawVolume"],
        [3, "rawVolume"],
        [4, "rawVolume"],
      ]);
      const all = await ingestCsv(csv(...bad));
      expect(all.errors).to.have.length(10);
      expect(all.truncated).to.equal(false);
      expect(DEFAULT_MAX_ERRORS).to.equal(100);
    });

    it("should not count duplicate event references as errors (detected downstream)", async function () {
      const result = await ingestCsv(csv(ROW, ROW, ROW.replace("E1", "E2")));
      expect(result.ok).to.equal(true);
      expect(result.records).to.have.length(3);
      expect(result.records[0].recordId).to.equal(result.records[1].recordId);
      expect(result.leaves[0]).to.not.deep.equal(result.leaves[1]); // index differs: two leaves
      expect(result.stats.duplicateRecordIds).to.equal(1);
    });
  });

  describe("when an invalid file is to be refused as a whole", function () {
    it("should throw a CdrFileError listing the issues from assertValidCdrs and ingestCdrsOrThrow", async function () {
      const text = csv(ROW, ROW, ROW, ROW, ROW, `E7,214070000000001,voiceMO,${T1},-3,0`);
      const result = await ingestCsv(text);
      expect(() => assertValidCdrs(result)).to.throw(CdrFileError);
      let caught: unknown;
      try {
        await ingestCdrsOrThrow(text, "csv", options());
      } catch (error) {
        caught = error;
      }
      expect(isCdrFileError(caught)).to.equal(true);
      const error = caught as CdrFileError;
      expect(error.name).to.equal("CdrFileError");
      expect(error.issues).to.deep.equal(result.errors);
      expect(error.message).to.equal(
        'invalid CDR file, 1 issue: line 7, field rawVolume: must be a non-negative integer (got "-3")',
      );
    });

    it("should list the first five issues and count the rest", async function () {
      const bad = Array.from({ length: 7 }, (_, i) => `B${i},214070000000001,voiceMO,${T1},x,0`);
      const error = new CdrFileError((await ingestCsv(csv(...bad))).errors);
      expect(error.message).to.match(
        /^invalid CDR file, 7 issues: line 2, field rawVolume: .*; line 6, field rawVolume: must be a non-negative integer \(got "x"\); and 2 more$/,
      );
    });

    it("should return a valid result unchanged", async function () {
      const result = await ingestCsv(csv(ROW));
      expect(assertValidCdrs(result)).to.equal(result);
      expect((await ingestCdrsOrThrow(csv(ROW), "csv", options())).records).to.have.length(1);
    });

    it("should format a missing value without a 'got' part, and a JSON element by record number", function () {
      expect(formatCdrIssue({ line: 3, field: "imsi", value: undefined, reason: "is required" })).to.equal(
        "line 3, field imsi: is required",
      );
      expect(formatCdrIssue({ line: 1, recordNumber: 4, field: "tax", value: 1.5, reason: "r" })).to.equal(
        "record 4 (line 1), field tax: r (got 1.5)",
      );
    });
  });

  describe("when the CSV text uses quoting, CRLF, a BOM or empty lines", function () {
    it("should unquote fields with commas, doubled quotes and line breaks, and keep physical line numbers", async function () {
      const text = csv(
        `"E,1",214070000000001,voiceMO,${T1},61,0`,
        `"say ""hi""",214070000000001,voiceMO,${T1},61,0`,
        `"two\nlines",214070000000001,voiceMO,${T1},61,0`,
        `E4,214070000000001,voiceMO,${T1},-1,0`,
      );
      const result = await ingestCsv(text);
      expect(result.records.map((r) => [r.eventRef, r.line])).to.deep.equal([
        ["E,1", 2],
        ['say "hi"', 3],
      ]);
      // "two\nlines" is refused (a line break is not printable) on line 4; the next record is on line 6.
      expect(where(result)).to.deep.equal([
        [4, "eventRef"],
        [6, "rawVolume"],
      ]);
    });

    it("should read CRLF line breaks (also inside quotes) as LF, with the same lines", async function () {
      const rows = [`"a\nb",1,x,y,z,0`, ROW, `E3,214070000000001,voiceMO,${T1},-1,0`];
      const lf = await ingestCsv(csv(...rows));
      const crlf = await ingestCsv(csv(...rows).replace(/\n/g, "\r\n"));
      expect(where(crlf)).to.deep.equal(where(lf));
      expect([...new Set(where(lf).map(([line]) => line))]).to.deep.equal([2, 5]);
      expect(crlf.records.map((r) => r.line)).to.deep.equal([4]);
      expect(crlf.records.map((r) => r.recordId)).to.deep.equal(lf.records.map((r) => r.recordId));
    });

    it("should accept mixed line breaks", async function () {
      const result = await ingestCsv(`${HEADER}\r\n${ROW}\n${ROW.replace("E1", "E2")}\r\n`);
      expect(result.ok).to.equal(true);
      expect(result.records.map((r) => r.line)).to.deep.equal([2, 3]);
    });

    it("should skip a byte order mark, given as text or as bytes", async function () {
      const reference = await ingestCsv(csv(ROW));
      expect(await ingestCsv(`\uFEFF${csv(ROW)}`)).to.deep.equal(reference);
      const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(csv(ROW))]);
      expect(
        await ingestCdrs(splitBytes("", []).concat([bytes.slice(0, 2), bytes.slice(2)]), "csv", options()),
      ).to.deep.equal(reference);
    });

    it("should skip empty lines and count them in line numbers", async function () {
      const result = await ingestCsv(
        `\n${HEADER}\n\n${ROW}\r\n\r\n\n${ROW.replace("E1", "E2").replace("61", "x")}\n\n`,
      );
      expect(result.records.map((r) => [r.index, r.line])).to.deep.equal([[0, 4]]);
      expect(where(result)).to.deep.equal([[7, "rawVolume"]]);
    });

    it("should refuse a line of spaces (a record with one field)", async function () {
      const result = await ingestCsv(csv(ROW, "   "));
      expectOneIssue(result, 3, RECORD_FIELD, CSV_REASONS.fieldCount(1, 6));
    });

    it("should refuse invalid UTF-8 bytes", async function () {
      const bytes = new Uint8Array([...new TextEncoder().encode(csv(ROW)), 0xff, 0x0a]);
      const result = await ingestCdrs(bytes, "csv", options());
      expect(result.ok).to.equal(false);
      expect(result.errors.map((e) => [e.field, e.reason])).to.deep.equal([[FILE_FIELD, INGEST_REASONS.decoding]]);
    });
  });

  describe("when the CSV header is wrong or missing", function () {
    it("should refuse an empty file: line 1, (header)", async function () {
      expectOneIssue(await ingestCsv(""), 1, HEADER_FIELD, CSV_REASONS.empty);
      expectOneIssue(await ingestCsv("\n\n"), 1, HEADER_FIELD, CSV_REASONS.empty);
    });

    it("should refuse a file whose first line is a record (no header) and read no further", async function () {
      const result = await ingestCsv(`${ROW}\n${ROW}\n`);
      expectOneIssue(result, 1, HEADER_FIELD, CSV_REASONS.headerMissing);
      expect(result.stats.records).to.equal(0);
    });

    it("should refuse a header missing a required column, naming the column", async function () {
      const result = await ingestCsv(`eventRef,imsi,service,eventStart,tax\nE1,214070000000001,voiceMO,${T1},0\n`);
      expectOneIssue(result, 1, "rawVolume", CSV_REASONS.missingColumn);
      expect(result.stats.records).to.equal(0);
    });

    it("should refuse a column named twice", async function () {
      const result = await ingestCsv(`${HEADER},imsi\n`);
      expectOneIssue(result, 1, "imsi", CSV_REASONS.duplicateColumn);
    });

    it("should refuse an unknown column, and still check the records", async function () {
      const result = await ingestCsv(`${HEADER},note\n${ROW},hello\nE2,x,voiceMO,${T1},61,0,\n`);
      expect(where(result)).to.deep.equal([
        [1, "note"],
        [3, "imsi"],
      ]);
      expect(result.errors[0].reason).to.equal(CSV_REASONS.unknownColumn);
    });

    it("should accept and ignore an unknown column with allowExtraFields", async function () {
      const result = await ingestCsv(`${HEADER},note\n${ROW},hello\n`, { allowExtraFields: true });
      expect(result.ok).to.equal(true);
      expect(result.records[0]).to.not.have.property("note");
      expect(result.records[0].leaf).to.deep.equal((await ingestCsv(csv(ROW))).records[0].leaf);
    });

    it("should hint at a near-miss column name (names are matched exactly)", async function () {
      const result = await ingestCsv(`eventRef, imsi,service,eventStart,rawVolume\n`);
      expect(where(result)).to.deep.equal([
        [1, " imsi"],
        [1, "imsi"],
      ]);
      expect(result.errors[0].reason).to.contain('did you mean "imsi"?');
    });

    it("should report the header's physical line after leading empty lines", async function () {
      const result = await ingestCsv(`\n\neventRef,imsi\n`);
      expect(result.errors.map((e) => e.line)).to.deep.equal([3, 3, 3]);
    });
  });

  describe("when the CSV syntax is broken", function () {
    it("should refuse an unterminated quote, at its line, and stop", async function () {
      const result = await ingestCsv(csv(ROW, `"E2,214070000000001,voiceMO,${T1},61,0`, ROW));
      expect(result.ok).to.equal(false);
      expect(result.errors).to.have.length(1);
      expect(result.errors[0]).to.include({ field: FILE_FIELD });
      expect(result.errors[0].reason).to.match(/^CSV syntax error: Quote Not Closed/);
      expect(result.errors[0].line).to.equal(3); // where the unclosed record starts
    });

    it("should refuse a character after a closing quote, at its line", async function () {
      const result = await ingestCsv(csv(ROW, `"E2"x,214070000000001,voiceMO,${T1},61,0`));
      expect(where(result)).to.deep.equal([[3, FILE_FIELD]]);
      expect(result.errors[0].reason).to.match(/^CSV syntax error: Invalid Closing Quote/);
    });

    it("should refuse a record with too many or too few fields, and go on", async function () {
      const result = await ingestCsv(csv(`${ROW},extra`, "E2,214070000000001", ROW));
      expect(where(result)).to.deep.equal([
        [2, RECORD_FIELD],
        [3, RECORD_FIELD],
      ]);
      expect(result.errors.map((e) => e.reason)).to.deep.equal([
        CSV_REASONS.fieldCount(7, 6),
        CSV_REASONS.fieldCount(2, 6),
      ]);
      expect(result.records.map((r) => r.index)).to.deep.equal([2]);
    });

    it("should refuse a record longer than the record limit", async function () {
      const result = await ingestCsv(csv(`"${"x".repeat(70_000)}",1,2,3,4,5`));
      expect(where(result)).to.deep.equal([[2, FILE_FIELD]]);
      expect(result.errors[0].reason).to.match(/Max Record Size/);
    });
  });

  describe("when the file is NDJSON", function () {
    const line = (fields: Record<string, unknown>): string => JSON.stringify(fields);
    const base = {
      eventRef: "E1",
      imsi: "214070000000001",
      service: "voiceMO",
      eventStart: `${T1}`,
      rawVolume: "61",
      tax: "5",
    };

    it("should give the same records as the CSV of the same data", async function () {
      const result = await ingestCdrs(`${line(base)}\n`, "ndjson", options());
      expect(result.ok).to.equal(true);
      expect(result.records).to.deep.equal((await ingestCsv(csv(ROW))).records.map((r) => ({ ...r, line: 1 })));
    });

    it("should read JSON numbers by their literal text: exact when integral, refused otherwise", async function () {
      const text = [
        `{"eventRef":"E1","imsi":214070000000001,"service":0,"eventStart":${T1},"rawVolume":18446744073709551615,"tax":0}`,
        `{"eventRef":"E2","imsi":"214070000000001","service":"smsMO","eventStart":${T1},"rawVolume":1e3}`,
        `{"eventRef":"E3","imsi":"214070000000001","service":"smsMO","eventStart":${T1},"rawVolume":-3}`,
        `{"eventRef":"E4","imsi":"214070000000001","service":"smsMO","eventStart":${T1},"rawVolume":2.0}`,
        `{"eventRef":"E5","imsi":"214070000000001","service":"smsMO","eventStart":${T1},"rawVolume":18446744073709551616}`,
      ].join("\n");
      const result = await ingestCdrs(text, "ndjson", options({ tariff: { plans: [plan(Service.VoiceMO, 1n)] } }));
      expect(result.records.map((r) => r.rawVolume)).to.deep.equal([UINT64_MAX]);
      expect(result.records[0].imsi).to.equal("214070000000001");
      expect(result.errors.map((e) => [e.line, e.field, e.value, e.reason])).to.deep.equal([
        [2, "rawVolume", "1e3", CDR_REASONS.uint],
        [3, "rawVolume", "-3", CDR_REASONS.uint],
        [4, "rawVolume", "2.0", CDR_REASONS.uint],
        [5, "rawVolume", "18446744073709551616", CDR_REASONS.uint64],
      ]);
    });

    it("should refuse a missing key, an unknown key, and a value of the wrong type, naming each", async function () {
      const { rawVolume: _omitted, ...missing } = base;
      const text = [
        line(missing),
        line({ ...base, note: "x" }),
        line({ ...base, tax: null }),
        line({ ...base, imsi: true }),
      ].join("\n");
      const result = await ingestCdrs(text, "ndjson", options());
      expect(result.errors.map((e) => [e.line, e.field, e.reason])).to.deep.equal([
        [1, "rawVolume", CDR_REASONS.required],
        [2, "note", CDR_REASONS.unknownField],
        [3, "tax", CDR_REASONS.uint],
        [4, "imsi", CDR_REASONS.imsi],
      ]);
      const extra = await ingestCdrs(line({ ...base, note: "x" }), "ndjson", options({ allowExtraFields: true }));
      expect(extra.ok).to.equal(true);
    });

    it("should refuse a malformed line or a non-object, and go on", async function () {
      const text = [line(base), `{"eventRef": "E2",`, `[1,2]`, `"text"`, line({ ...base, eventRef: "E5" })].join("\n");
      const result = await ingestCdrs(text, "ndjson", options());
      expect(where(result)).to.deep.equal([
        [2, RECORD_FIELD],
        [3, RECORD_FIELD],
        [4, RECORD_FIELD],
      ]);
      expect(result.errors[0].reason).to.match(/^malformed JSON: /);
      expect(result.errors[1].reason).to.equal(JSON_REASONS.notObject);
      expect(result.records.map((r) => [r.eventRef, r.index, r.line])).to.deep.equal([
        ["E1", 0, 1],
        ["E5", 4, 5],
      ]);
    });

    it("should skip blank lines, read CRLF, and count physical lines", async function () {
      const text = `\r\n${line(base)}\r\n   \r\n${line({ ...base, rawVolume: "x" })}`;
      const result = await ingestCdrs(text, "ndjson", options());
      expect(result.records.map((r) => r.line)).to.deep.equal([2]);
      expect(where(result)).to.deep.equal([[4, "rawVolume"]]);
    });

    it("should refuse an over-long line and resume after it", async function () {
      const text = `${line({ ...base, eventRef: "x".repeat(70_000) })}\n${line(base)}\n`;
      const chunks = splitText(text, [10, 30_000, 65_000, 69_000]);
      const result = await ingestCdrs(chunks, "ndjson", options());
      expect(where(result)).to.deep.equal([[1, RECORD_FIELD]]);
      expect(result.errors[0].reason).to.equal(JSON_REASONS.tooLong);
      expect(result.records.map((r) => [r.index, r.line])).to.deep.equal([[1, 2]]);
    });

    it("should accept an empty file as an empty batch", async function () {
      const result = await ingestCdrs("", "ndjson", options());
      expect(result.ok).to.equal(true);
      expect(result.records).to.deep.equal([]);
    });
  });

  describe("when the file is a JSON array", function () {
    const base = {
      eventRef: "E1",
      imsi: "214070000000001",
      service: "voiceMO",
      eventStart: `${T1}`,
      rawVolume: "61",
      tax: "5",
    };

    it("should read a pretty-printed array, report element numbers and physical lines", async function () {
      const text = JSON.stringify([base, { ...base, eventRef: "E2", rawVolume: "-3" }, base], null, 2);
      const result = await ingestCdrs(text, "json", options());
      expect(result.records.map((r) => [r.index, r.line])).to.deep.equal([
        [0, 2],
        [2, 18],
      ]);
      expect(result.errors).to.deep.equal([
        { line: 10, recordNumber: 2, field: "rawVolume", value: "-3", reason: CDR_REASONS.uint },
      ]);
      expect(formatCdrIssue(result.errors[0])).to.equal(
        'record 2 (line 10), field rawVolume: must be a non-negative integer (got "-3")',
      );
    });

    it("should give the same records as the CSV and NDJSON of the same data", async function () {
      const records = (await ingestCsv(csv(ROW, ROW.replace("E1", "E2")))).records.map((r) => r.leaf);
      const json = await ingestCdrs(JSON.stringify([base, { ...base, eventRef: "E2" }]), "json", options());
      expect(json.records.map((r) => r.leaf)).to.deep.equal(records);
    });

    it("should not be misled by brackets, braces, commas and escapes inside strings", async function () {
      const tricky = 'a]}{[,\\"\\\\';
      const text = `[{"eventRef":"${tricky}","imsi":"\\u0032\\u00314070000000001","service":"voiceMO","eventStart":"${T1}","rawVolume":"61"}]`;
      const result = await ingestCdrs(text, "json", options());
      expect(result.ok, JSON.stringify(result.errors)).to.equal(true);
      expect(result.records[0].eventRef).to.equal('a]}{[,"\\');
      expect(result.records[0].imsi).to.equal("214070000000001");
    });

    it("should accept an empty array", async function () {
      const result = await ingestCdrs(" [ ] \n", "json", options());
      expect(result.ok).to.equal(true);
      expect(result.stats.records).to.equal(0);
    });

    // [label, text, line, field, reason]
    const STRUCTURE: [string, string, number, string, string][] = [
      ["an empty file", "  \n", 2, FILE_FIELD, JSON_REASONS.empty],
      ["a top-level object", `{"eventRef":"E1"}`, 1, FILE_FIELD, JSON_REASONS.notArray],
      ["a trailing comma", `[${JSON.stringify(base)},\n]`, 2, FILE_FIELD, JSON_REASONS.trailingComma],
      [
        "two commas in a row",
        `[${JSON.stringify(base)},,${JSON.stringify(base)}]`,
        1,
        FILE_FIELD,
        JSON_REASONS.emptyElement,
      ],
      [
        "a missing comma",
        `[${JSON.stringify(base)} ${JSON.stringify(base)}]`,
        1,
        FILE_FIELD,
        JSON_REASONS.expectedSeparator,
      ],
      ["content after the array", `[${JSON.stringify(base)}]\nx`, 2, FILE_FIELD, JSON_REASONS.afterEnd],
      ["an unclosed array", `[${JSON.stringify(base)},\n`, 2, FILE_FIELD, JSON_REASONS.unterminated],
      ["an unterminated string", `[{"eventRef":"E1`, 1, FILE_FIELD, JSON_REASONS.unterminated],
    ];
    for (const [label, text, line, field, reason] of STRUCTURE) {
      it(`should refuse ${label}: line ${line}, ${field}`, async function () {
        expectOneIssue(await ingestCdrs(text, "json", options()), line, field, reason);
      });
    }

    it("should refuse elements that are not objects or not JSON, by element number, and go on", async function () {
      const text = `[1, "E", null, [${JSON.stringify(base)}], {"eventRef": tru}, ${JSON.stringify(base)}]`;
      const result = await ingestCdrs(text, "json", options());
      expect(result.errors.map((e) => [e.recordNumber, e.field])).to.deep.equal([
        [1, RECORD_FIELD],
        [2, RECORD_FIELD],
        [3, RECORD_FIELD],
        [4, RECORD_FIELD],
        [5, RECORD_FIELD],
      ]);
      expect(result.errors[4].reason).to.match(/^malformed JSON/);
      expect(result.records.map((r) => r.index)).to.deep.equal([5]);
    });

    it("should find the literal text of top-level numbers only", function () {
      const literals = topLevelNumberLiterals(
        `{"a": 1e3, "b":{"c":5}, "d" : -0.5 ,"e":[1],"f":"7","g":12345678901234567890}`,
      );
      expect([...literals]).to.deep.equal([
        ["a", "1e3"],
        ["d", "-0.5"],
        ["g", "12345678901234567890"],
      ]);
    });
  });

  describe("when a file arrives in chunks split at awkward places", function () {
    const records: CdrRecord[] = [
      { eventRef: 'q"uo,te', imsi: "214070000000001", service: 0, eventStart: T1, rawVolume: 61n, tax: 1n },
      {
        eventRef: "back\\slash]}",
        imsi: "214070000000002",
        service: 4,
        eventStart: T1 + 9n,
        rawVolume: 12_345n,
        tax: 0n,
      },
      { eventRef: "E3", imsi: "214070000000003", service: 5, eventStart: T1 + 99n, rawVolume: 7n, tax: 2n },
      { eventRef: "E4", imsi: "214070000000003", service: 2, eventStart: T1 + 999n, rawVolume: 1n, tax: 0n },
    ];

    async function texts(): Promise<Record<CdrFormat, string>> {
      return {
        csv: await collect(writeCdrCsv(records, { lineEnding: "\r\n" })),
        ndjson: await collect(writeCdrNdjson(records, { lineEnding: "\r\n" })),
        json: await collect(writeCdrJson(records)),
      };
    }

    for (const format of ["csv", "ndjson", "json"] as const) {
      it(`should give the one-chunk result for any split of a ${format} file (text and UTF-8 bytes)`, async function () {
        const valid = (await texts())[format];
        // Also an invalid variant: a bad value and multi-byte characters, whose bytes may be split.
        const invalid = valid.replace("E3", "€ü😀").replace("12345", "12x45");
        const opts = options({ allowExtraFields: true });
        const whole = {
          valid: await ingestCdrs(valid, format, opts),
          invalid: await ingestCdrs(invalid, format, opts),
        };
        expect(whole.valid.ok).to.equal(true);
        expect(whole.valid.records).to.have.length(4);
        expect(whole.invalid.errors.map((e) => e.field)).to.deep.equal(["rawVolume", "eventRef"]);
        await fc.assert(
          fc.asyncProperty(
            fc.boolean(),
            fc.boolean(),
            fc.array(fc.nat(), { maxLength: 24 }),
            async (useInvalid, asBytes, cuts) => {
              const text = useInvalid ? invalid : valid;
              const chunks = asBytes ? splitBytes(text, cuts) : splitText(text, cuts);
              const result = await ingestCdrs(asyncChunks<string | Uint8Array>(chunks), format, opts);
              expect(result).to.deep.equal(useInvalid ? whole.invalid : whole.valid);
            },
          ),
          { numRuns: 60 },
        );
      });
    }

    // Found by the property above (seed 1467588911): a text chunk ending between the halves of a surrogate pair.
    for (const format of ["csv", "ndjson", "json"] as const) {
      it(`should keep a character split between two text chunks whole (${format})`, async function () {
        const invalid = (await texts())[format].replace("E3", "€ü😀").replace("12345", "12x45");
        const opts = options({ allowExtraFields: true });
        const at = invalid.indexOf("😀") + 1; // between the high and the low surrogate
        const split = await ingestCdrs(asyncChunks<string>([invalid.slice(0, at), invalid.slice(at)]), format, opts);
        expect(split).to.deep.equal(await ingestCdrs(invalid, format, opts));
        expect(split.errors.find((e) => e.field === "eventRef")?.value).to.equal("€ü😀");
      });
    }

    it("should split inside every escape of a JSON string alike (exhaustive cut positions)", async function () {
      const text = `[{"eventRef":"a\\\\b\\"c\\u0041","imsi":"214070000000001","service":"smsMO","eventStart":${T1},"rawVolume":1}]`;
      const reference = await ingestCdrs(text, "json", options());
      expect(reference.ok, JSON.stringify(reference.errors)).to.equal(true);
      expect(reference.records[0].eventRef).to.equal('a\\b"cA');
      for (let cut = 0; cut <= text.length; ++cut) {
        expect(await ingestCdrs([text.slice(0, cut), text.slice(cut)], "json", options())).to.deep.equal(reference);
      }
    });
  });

  describe("when volumes are rounded to the tariff's increments", function () {
    const cases: [Service, bigint, bigint][] = [
      [Service.VoiceMO, 0n, 0n],
      [Service.VoiceMO, 1n, 60n],
      [Service.VoiceMO, 60n, 60n],
      [Service.VoiceMO, 61n, 120n],
      [Service.VoiceMT, 31n, 60n],
      [Service.VoiceMT, 30n, 30n],
      [Service.SmsMO, 3n, 3n],
      [Service.Data, 1n, 1_000n],
      [Service.Data, 1_000_001n, 1_001_000n],
    ];
    for (const [service, raw, charged] of cases) {
      it(`should charge ${raw} ${SERVICE_KEYS[service]} as ${charged}`, async function () {
        const result = await ingestCsv(csv(`E1,214070000000001,${SERVICE_KEYS[service]},${T1},${raw},0`));
        expect(result.records[0].chargedVolume).to.equal(charged);
        expect(result.records[0].leaf.chargedVolume).to.equal(charged);
      });
    }

    it("should keep and flag a record of a service without a plan, charging its raw volume", async function () {
      const result = await ingestCsv(csv(ROW, `E2,214070000000001,volte,${T1},61,0`));
      expect(result.ok).to.equal(true);
      expect(result.records[1]).to.include({ covered: false, chargedVolume: 61n, service: Service.VoLTE });
      expect(result.records[0].covered).to.equal(true);
      expect(result.stats.uncoveredService).to.equal(1);
    });
  });

  describe("when records are aggregated", function () {
    it("should total volumes, counts and taxes per service, services ascending, only those present", async function () {
      const result = await ingestCsv(
        csv(
          `E1,214070000000001,data,${T1},1500,7`,
          `E2,214070000000001,voiceMO,${T1},61,5`,
          `E3,214070000000002,voiceMO,${T1},1,0`,
          `E4,214070000000002,data,${T1},1,1`,
        ),
      );
      expect(result.totals).to.deep.equal({
        services: [Service.VoiceMO, Service.Data],
        volumes: [180n, 3_000n],
        recordCounts: [2n, 2n],
        taxes: [5n, 8n],
      });
      expect(aggregateRecords(result.records)).to.deep.equal(result.totals);
      expect(totalTaxes(result.totals)).to.equal(13n);
    });

    it("should aggregate any record list (a pure function), and an empty one to empty arrays", function () {
      expect(
        aggregateRecords([
          { service: Service.SmsMT, chargedVolume: 1n },
          { service: Service.VoiceMT, chargedVolume: 30n, tax: 2n },
          { service: Service.SmsMT, chargedVolume: 1n, tax: 1n },
        ]),
      ).to.deep.equal({ services: [1, 3], volumes: [30n, 2n], recordCounts: [1n, 2n], taxes: [2n, 1n] });
      expect(aggregateRecords([])).to.deep.equal({ services: [], volumes: [], recordCounts: [], taxes: [] });
    });

    it("should agree with a naive sum on random records (fast-check)", function () {
      const arb = fc.array(
        fc.record({
          service: fc.integer({ min: 0, max: 8 }),
          chargedVolume: fc.bigInt({ min: 0n, max: UINT64_MAX }),
          tax: fc.bigInt({ min: 0n, max: 10n ** 12n }),
        }),
        { maxLength: 40 },
      );
      fc.assert(
        fc.property(arb, (records) => {
          const totals = aggregateRecords(records.map((r) => ({ ...r, service: r.service as Service })));
          totals.services.forEach((s, i) => {
            const mine = records.filter((r) => r.service === s);
            expect(totals.volumes[i]).to.equal(mine.reduce((a, r) => a + r.chargedVolume, 0n));
            expect(totals.taxes[i]).to.equal(mine.reduce((a, r) => a + r.tax, 0n));
            expect(totals.recordCounts[i]).to.equal(BigInt(mine.length));
          });
          expect(totals.services).to.deep.equal([...new Set(records.map((r) => r.service))].sort((a, b) => a - b));
        }),
        { numRuns: 100 },
      );
    });

    it("should refuse a record that is not a record", function () {
      expect(() => aggregateRecords([{ service: 9 as Service, chargedVolume: 1n }])).to.throw(InvalidArgumentError);
      expect(() => aggregateRecords([{ service: 0, chargedVolume: -1n }])).to.throw(InvalidArgumentError);
    });
  });

  describe("when a file holds a record id twice", function () {
    const e1 = ROW;
    const e2 = ROW.replace("E1", "E2");
    const e3 = ROW.replace("E1", "E3");
    // Records 0..5; record 2 is the first duplicate (of 0), record 5 a third copy of it, record 4 a copy of 1. An empty
    // line after the header shifts the lines: record i is on line i + 3.
    const text = `${HEADER}\n\n${[e1, e2, e1, e3, e2, e1].join("\n")}\n`;

    it("should find the first duplicated record id and all its positions, from leaves as objects or encoded", async function () {
      const general = await ingestCdrs(text, "csv", options());
      expect(general.stats.duplicateRecordIds).to.equal(3);
      const expected = { recordId: general.records[0].recordId, indexes: [0, 2, 5] };
      expect(firstDuplicateRecordId(general.leaves)).to.deep.equal(expected);
      const batch = await ingestCdrBatch(text, "csv", options());
      expect(batch.stats.duplicateRecordIds).to.equal(3);
      expect(firstDuplicateRecordId(batch.leaves)).to.deep.equal(expected);
    });

    it("should find none when every record id is unique", async function () {
      const unique = await ingestCdrBatch(csv(e1, e2, e3), "csv", options());
      expect(unique.stats.duplicateRecordIds).to.equal(0);
      expect(firstDuplicateRecordId(unique.leaves)).to.equal(undefined);
      expect(firstDuplicateRecordId([])).to.equal(undefined);
      expect(() => firstDuplicateRecordId({} as never))
        .to.throw(InvalidArgumentError)
        .with.property("field", "leaves");
    });

    it("should name the lines of records by position, in every format, as ingestion does", async function () {
      const general = await ingestCdrs(text, "csv", options());
      const lines = await cdrRecordLines(text, "csv", [0, 2, 5]);
      expect([...lines]).to.deep.equal([
        [0, 3],
        [2, 5],
        [5, 8],
      ]);
      for (const i of [0, 2, 5]) expect(lines.get(i)).to.equal(general.records[i].line);
      // In chunks, as a stream gives them.
      expect(await cdrRecordLines(asyncChunks(splitText(text, [7, 40, 41, 90])), "csv", [5])).to.deep.equal(
        new Map([[5, 8]]),
      );
      const records: CdrRecord[] = ["A", "B", "C", "D"].map((ref) => ({
        eventRef: ref,
        imsi: "214070000000001",
        service: Service.VoiceMO,
        eventStart: T1,
        rawVolume: 61n,
        tax: 0n,
      }));
      for (const [format, write] of [
        ["ndjson", writeCdrNdjson],
        ["json", writeCdrJson],
      ] as const) {
        const ingested = await ingestCdrs(write(records, { chunkChars: 50 }), format, options());
        expect(ingested.ok, format).to.equal(true);
        const found = await cdrRecordLines(write(records, { chunkChars: 50 }), format, [1, 3]);
        expect(found, format).to.deep.equal(
          new Map([
            [1, ingested.records[1].line],
            [3, ingested.records[3].line],
          ]),
        );
      }
      // Positions past the end are missing; an unknown format is refused.
      expect(await cdrRecordLines(text, "csv", [6, 99])).to.deep.equal(new Map());
      await expectInvalidArgument(() => cdrRecordLines(text, "xml" as CdrFormat, [0]), "format");
    });
  });

  describe("when a batch period is given", function () {
    it("should keep records outside it, flag and count them", async function () {
      const batchPeriod = { start: VALID_FROM + DAY, end: VALID_FROM + 2n * DAY };
      const result = await ingestCsv(
        csv(
          `E1,214070000000001,voiceMO,${batchPeriod.start - 1n},61,0`,
          `E2,214070000000001,voiceMO,${batchPeriod.start},61,0`,
          `E3,214070000000001,voiceMO,${batchPeriod.end - 1n},61,0`,
          `E4,214070000000001,voiceMO,${batchPeriod.end},61,0`,
        ),
        { batchPeriod },
      );
      expect(result.ok).to.equal(true);
      expect(result.records.map((r) => r.inBatchPeriod)).to.deep.equal([false, true, true, false]);
      expect(result.stats.outOfBatchPeriod).to.equal(2);
    });

    it("should report stats: per-service counts, periods, first and last event", async function () {
      const result = await ingestCsv(
        csv(ROW, `E2,214070000000001,data,${VALID_FROM + PERIOD},1,0`, ROW.replace("E1", "E3")),
      );
      expect(result.stats.perService).to.deep.equal({
        voiceMO: 2,
        voiceMT: 0,
        smsMO: 0,
        smsMT: 0,
        data: 1,
        volte: 0,
        iotAccess: 0,
        sliceHours: 0,
        spectrumMHzHours: 0,
      });
      expect(result.stats.periods).to.deep.equal([0n, 1n]);
      expect(result.stats.firstEventStart).to.equal(T1);
      expect(result.stats.lastEventStart).to.equal(VALID_FROM + PERIOD);
    });
  });

  describe("when the options are invalid", function () {
    it("should throw an InvalidArgumentError naming the option, before reading", async function () {
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { agreementId: "0x12" }), "agreementId");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { sharedSecret: "secret" }), "sharedSecret");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { direction: 2 as 0 }), "direction");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { periodLength: 0n }), "periodLength");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { validFrom: 5 as unknown as bigint }), "validFrom");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { validUntil: VALID_FROM }), "validUntil");
      await expectInvalidArgument(() => ingestCsv(csv(ROW), { maxErrors: 0 }), "maxErrors");
      await expectInvalidArgument(
        () => ingestCsv(csv(ROW), { batchPeriod: { start: T1, end: T1 } }),
        "batchPeriod.end",
      );
      await expectInvalidArgument(() => ingestCdrs(csv(ROW), "xml" as CdrFormat, options()), "format");
      await expectInvalidArgument(() => ingestCdrs([{} as unknown as string], "csv", options()), "source");
    });

    it("should throw the tariff's RatingError for an invalid tariff", async function () {
      let caught: unknown;
      try {
        await ingestCsv(csv(ROW), { tariff: { plans: [plan(Service.Data, 0n)] } });
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(RatingError);
      expect((caught as RatingError).code).to.equal("Rating_ZeroIncrement");
    });
  });

  describe("when fields are parsed on their own", function () {
    it("should parse a record object with bigints, safe numbers and strings", function () {
      const parsed = parseCdrFields({
        eventRef: "E1",
        imsi: "214070000000001",
        service: 4,
        eventStart: T1,
        rawVolume: 5,
      });
      expect(parsed).to.deep.equal({
        ok: true,
        cdr: { eventRef: "E1", imsi: "214070000000001", service: 4, eventStart: T1, rawVolume: 5n, tax: 0n },
      });
      const unsafe = parseCdrFields({
        eventRef: "E1",
        imsi: "214070000000001",
        service: 4,
        eventStart: T1,
        rawVolume: 2 ** 60,
      });
      expect(unsafe).to.deep.equal({
        ok: false,
        issues: [{ field: "rawVolume", value: 2 ** 60, reason: CDR_REASONS.unsafeNumber }],
      });
    });

    it("should convert ISO timestamps exactly like Date.UTC, both ways (fast-check)", function () {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 253_402_300_799 }), (seconds) => {
          const iso = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
          expect(parseIsoTimestamp(iso)).to.equal(BigInt(seconds));
          expect(formatIsoTimestamp(BigInt(seconds))).to.equal(iso);
          expect(parseEventStart(iso)).to.equal(BigInt(seconds));
        }),
        { numRuns: 300 },
      );
      expect(parseIsoTimestamp("2024-02-29T12:00:00Z")).to.equal(BigInt(Date.UTC(2024, 1, 29, 12) / 1000));
      expect(parseIsoTimestamp("1969-12-31T23:59:59Z")).to.deep.equal({ reason: CDR_REASONS.eventStartEpoch });
      expect(parseIsoTimestamp("2026-13-01T00:00:00Z")).to.deep.equal({ reason: CDR_REASONS.eventStartDate });
      expect(parseIsoTimestamp("2026-03-01t00:00:00z")).to.deep.equal({ reason: CDR_REASONS.eventStart });
    });

    it("should hash exactly as the leaf module's subscriberHash and recordIdOf (fast-check)", function () {
      const ascii = fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        maxLength: 70,
      });
      const any = fc.string({ unit: "grapheme", maxLength: 40 });
      const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
      fc.assert(
        fc.property(
          bytes32,
          fc.oneof(ascii, any),
          fc.integer({ min: 0, max: 8 }),
          fc.bigInt({ min: 0n, max: UINT64_MAX }),
          (h, text, service, start) => {
            expect(fastSubscriberHash(h, text)).to.equal(subscriberHash(h, text));
            expect(fastRecordId(h, service as Service, start, text)).to.equal(
              recordIdOf(h, service as Service, start, text),
            );
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe("when records come from memory", function () {
    it("should ingest objects as a file, with record numbers", async function () {
      const result = await ingestCdrRecords(
        [
          {
            eventRef: "E1",
            imsi: "214070000000001",
            service: Service.VoiceMO,
            eventStart: T1,
            rawVolume: 61n,
            tax: 5n,
          },
          { eventRef: "E2", imsi: "x", service: Service.VoiceMO, eventStart: T1, rawVolume: 61n },
          null as unknown as Record<string, unknown>,
        ],
        options(),
      );
      expect(result.format).to.equal("records");
      expect(result.records.map((r) => r.leaf)).to.deep.equal((await ingestCsv(csv(ROW))).leaves);
      expect(result.errors.map((e) => [e.line, e.recordNumber, e.field])).to.deep.equal([
        [2, 2, "imsi"],
        [3, 3, RECORD_FIELD],
      ]);
    });
  });

  describe("when synthetic CDRs are generated", function () {
    const periodStart = VALID_FROM + DAY;
    const periodEnd = periodStart + 30n * DAY;
    const base = {
      seed: 42,
      count: 10_000,
      subscribers: 800,
      periodStart,
      periodEnd,
      validFrom: VALID_FROM,
      inject: { duplicates: 25, outOfPeriod: 15, phantom: 10, uncoveredService: { service: Service.VoLTE, n: 5 } },
    };

    it("should be deterministic from the seed, and differ with another seed", function () {
      const a = [...generateCdrs({ ...base, count: 500 })];
      const b = [...generateCdrs({ ...base, count: 500 })];
      const c = [...generateCdrs({ ...base, count: 500, seed: 43 })];
      expect(a).to.deep.equal(b);
      expect(a).to.not.deep.equal(c);
      expect(generateCdrs({ ...base, seed: "x" }).record(1234)).to.deep.equal(
        generateCdrs({ ...base, seed: "x" }).record(1234),
      );
      expect(seed32("1")).to.not.equal(seed32(1)); // a string seed is not its number
      const rng = new Prng32(7);
      const draws = Array.from({ length: 5 }, () => rng.next());
      expect(draws).to.deep.equal(
        Array.from(
          { length: 5 },
          (
            (r) => () =>
              r.next()
          )(new Prng32(7)),
        ),
      );
      for (let i = 0; i < 1000; ++i) expect(Number(rng.belowBig(10n ** 30n))).to.be.lessThan(1e30);
    });

    it("should produce the ground truth it says, within the period and ranges", function () {
      const set = generateCdrs(base);
      const records = [...set];
      const { truth } = set;
      expect(records).to.have.length(10_000);
      expect(truth.duplicates).to.have.length(25);
      expect(truth.outOfPeriod).to.have.length(15);
      expect(truth.phantom).to.have.length(10);
      expect(truth.uncoveredService).to.have.length(5);
      expect(truth.subscribers).to.have.length(800);
      expect(new Set(truth.subscribers).size).to.equal(800);
      const special = new Set([
        ...truth.duplicates.map((d) => d.index),
        ...truth.outOfPeriod,
        ...truth.phantom,
        ...truth.uncoveredService,
      ]);
      expect(special.size).to.equal(55);
      expect(special.has(0)).to.equal(false);
      const subscribers = new Set(truth.subscribers);
      for (const { index, originalIndex } of truth.duplicates) {
        expect(originalIndex).to.be.lessThan(index);
        expect(special.has(originalIndex)).to.equal(false);
        expect(records[index]).to.deep.equal(records[originalIndex]);
      }
      records.forEach((r, i) => {
        expect(r.imsi).to.match(/^21407[0-9]{10}$/);
        expect(subscribers.has(r.imsi)).to.equal(!truth.phantom.includes(i));
        const inPeriod = r.eventStart >= periodStart && r.eventStart < periodEnd;
        expect(inPeriod).to.equal(!truth.outOfPeriod.includes(i));
        expect(r.eventStart >= VALID_FROM).to.equal(true);
        expect(r.service === Service.VoLTE).to.equal(truth.uncoveredService.includes(i));
        if (r.service === Service.Data) expect(r.rawVolume >= 1_000n && r.rawVolume <= 200_000_000n).to.equal(true);
        if (r.service <= Service.VoiceMT) expect(r.rawVolume >= 5n && r.rawVolume <= 1_800n).to.equal(true);
        if (r.service === Service.SmsMO || r.service === Service.SmsMT) expect(r.rawVolume).to.equal(1n);
      });
      expect(new Set(records.map((r) => r.eventRef)).size).to.equal(10_000 - 25);
    });

    it("should ingest 10,000 generated records from CSV, and the stats should match the ground truth", async function () {
      const set = generateCdrs(base);
      const result = await ingestCdrs(
        writeCdrCsv(set),
        "csv",
        options({ batchPeriod: { start: periodStart, end: periodEnd } }),
      );
      expect(result.ok, JSON.stringify(result.errors.slice(0, 3))).to.equal(true);
      expect(result.records).to.have.length(10_000);
      expect(result.stats.duplicateRecordIds).to.equal(25);
      expect(result.stats.outOfBatchPeriod).to.equal(15);
      expect(result.stats.uncoveredService).to.equal(5);
      const subscribers = new Set(set.truth.subscribers);
      expect(result.records.filter((r) => !subscribers.has(r.imsi)).map((r) => r.index)).to.deep.equal(
        set.truth.phantom,
      );
      expect(result.records.filter((r) => !r.inBatchPeriod).map((r) => r.index)).to.deep.equal(set.truth.outOfPeriod);
      expect(result.records.filter((r) => !r.covered).map((r) => r.index)).to.deep.equal(set.truth.uncoveredService);
      const seen = new Map<string, number>();
      const duplicates: number[] = [];
      for (const r of result.records) {
        if (seen.has(r.recordId)) duplicates.push(r.index);
        else seen.set(r.recordId, r.index);
      }
      expect(duplicates).to.deep.equal(set.truth.duplicates.map((d) => d.index));
      expect(result.totals.recordCounts.reduce((a, b) => a + b, 0n)).to.equal(10_000n);
    });

    it("should write NDJSON and JSON arrays that ingest to the same leaves as the CSV", async function () {
      const set = generateCdrs({ ...base, count: 300 });
      const fromCsv = await ingestCdrs(writeCdrCsv(set, { chunkChars: 1000 }), "csv", options());
      const fromNdjson = await ingestCdrs(writeCdrNdjson(set, { chunkChars: 777 }), "ndjson", options());
      const fromJson = await ingestCdrs(writeCdrJson(set, { chunkChars: 555 }), "json", options());
      expect(fromCsv.ok).to.equal(true);
      expect(fromNdjson.leaves).to.deep.equal(fromCsv.leaves);
      expect(fromJson.leaves).to.deep.equal(fromCsv.leaves);
      expect(cdrCsvHeader()).to.equal(`${HEADER}\n`);
      const r = set.record(0);
      const key = SERVICE_KEYS[r.service];
      expect(cdrCsvLine(r)).to.equal(`${r.eventRef},${r.imsi},${key},${r.eventStart},${r.rawVolume},0\n`);
      expect(cdrCsvLine({ ...r, eventRef: 'a,"b' }, "\r\n")).to.match(/^"a,""b",.*\r\n$/);
      expect(cdrToJson(r)).to.deep.equal({
        eventRef: r.eventRef,
        imsi: r.imsi,
        service: key,
        eventStart: `${r.eventStart}`,
        rawVolume: `${r.rawVolume}`,
        tax: "0",
      });
    });

    it("should generate and write 200,000 records as CSV in time linear in their number", async function () {
      // Not a wall-clock limit (it would measure the machine and its load): the CPU time of this process per record for
      // 200,000 records against 20,000, which stays near 1 for linear work and grows tenfold for quadratic work.
      // Absolute speed is measured by `npm run bench` (docs/benchmarks.md).
      const csv = async (count: number) => {
        const before = process.cpuUsage();
        const set = generateCdrs({ ...base, count, subscribers: count / 10, tax: { min: 0n, max: 100n } });
        let chars = 0;
        for await (const chunk of writeCdrCsv(set)) chars += chunk.length;
        const used = process.cpuUsage(before);
        return { chars, perRecord: (used.user + used.system) / count };
      };
      const small = await csv(20_000);
      const large = await csv(200_000);
      expect(small.chars).to.be.greaterThan(20_000 * 40);
      expect(large.chars).to.be.greaterThan(200_000 * 40);
      const ratio = large.perRecord / small.perRecord;
      expect(ratio, `CPU time per record, 200,000 vs 20,000 records: ${ratio.toFixed(2)}x`).to.be.lessThan(3);
    });

    it("should refuse impossible options", function () {
      expect(() => generateCdrs({ ...base, count: 10, inject: { duplicates: 10 } })).to.throw(InvalidArgumentError);
      expect(() => generateCdrs({ ...base, periodEnd: periodStart })).to.throw(InvalidArgumentError);
      expect(() => generateCdrs({ ...base, imsiPrefix: "21a07" })).to.throw(InvalidArgumentError);
      expect(() => generateCdrs({ ...base, subscribers: 0 })).to.throw(InvalidArgumentError);
      expect(() => generateCdrs(base).record(10_000)).to.throw(InvalidArgumentError);
    });

    it("should fill a file densely with injected records when asked", function () {
      const set = generateCdrs({ ...base, count: 20, inject: { duplicates: 6, phantom: 7, outOfPeriod: 6 } });
      expect(set.truth.duplicates.length + set.truth.phantom.length + set.truth.outOfPeriod.length).to.equal(19);
      expect([...set]).to.have.length(20);
    });
  });

  describe("when a file is read from disk (Node)", function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), "roamledger-cdr-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("should pick the format from the extension and stream the file", async function () {
      const set = generateCdrs({
        seed: 1,
        count: 200,
        subscribers: 20,
        periodStart: VALID_FROM,
        periodEnd: VALID_FROM + DAY,
      });
      const csvPath = join(dir, "batch.CSV");
      const ndjsonPath = join(dir, "batch.jsonl");
      const jsonPath = join(dir, "batch.json");
      writeFileSync(csvPath, await collect(writeCdrCsv(set)));
      writeFileSync(ndjsonPath, await collect(writeCdrNdjson(set)));
      writeFileSync(jsonPath, await collect(writeCdrJson(set)));
      const fromCsv = await ingestCdrFile(csvPath, options());
      expect(fromCsv.ok).to.equal(true);
      expect(fromCsv.format).to.equal("csv");
      expect((await ingestCdrFile(ndjsonPath, options())).leaves).to.deep.equal(fromCsv.leaves);
      expect((await ingestCdrFileOrThrow(jsonPath, options())).leaves).to.deep.equal(fromCsv.leaves);
      expect(cdrFormatOfPath("x.ndjson")).to.equal("ndjson");
    });

    it("should refuse an unknown extension, unless the format is given", async function () {
      const path = join(dir, "batch.txt");
      writeFileSync(path, csv(ROW));
      await expectInvalidArgument(() => ingestCdrFile(path, options()), "path");
      expect((await ingestCdrFile(path, { ...options(), format: "csv" })).ok).to.equal(true);
    });

    it("should throw a CdrFileError for an invalid file, and the file system's error for a missing one", async function () {
      const path = join(dir, "bad.csv");
      writeFileSync(path, csv(ROW.replace("61", "6.1")));
      let caught: unknown;
      try {
        await ingestCdrFileOrThrow(path, options());
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(CdrFileError);
      let missing: unknown;
      try {
        await ingestCdrFile(join(dir, "missing.csv"), options());
      } catch (error) {
        missing = error;
      }
      expect((missing as { code?: string }).code).to.equal("ENOENT");
    });
  });
});
