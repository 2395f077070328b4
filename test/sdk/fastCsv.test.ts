/**
 * The fast CSV path of `ingestCdrBatch` against the general path (`ingestCdrs`), and the encoded leaves it produces.
 *
 * The property that matters: for any input, `ingestCdrBatch` gives exactly what `ingestCdrs` gives (validity, issues,
 * leaves, totals, stats). Random valid files of every shape the fast path takes must take it (`path: "fast"`); random
 * mutations of them (quotes, stray characters, long numbers, ISO times, deleted characters...) must give the general
 * path's result, whichever path ran.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { id } from "ethers";
import fc from "fast-check";

import {
  CDR_COLUMNS,
  formatIsoTimestamp,
  ingestCdrBatch,
  ingestCdrs,
  type CdrBatchIngest,
  type IngestOptions,
  type IngestResult,
} from "../../sdk/src/cdr";
import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  buildRecordTree,
  encodeRecordLeaf,
  EncodedRecordLeaves,
  leafTuple,
  RECORD_LEAF_TYPES,
  type RecordLeaf,
} from "../../sdk/src/merkle";
import { Service, SERVICE_KEYS, SERVICE_NAMES } from "../../sdk/src/rating";
import { campaignSize } from "../helpers/campaign";
import { CDR_TARIFF } from "../helpers/cdr";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

const VALID_FROM = 1_772_323_200n;
const DAY = 86_400n;
const PERIOD = 7n * DAY;

const TARIFF = CDR_TARIFF;

function options(overrides: Partial<IngestOptions> = {}): IngestOptions {
  return {
    agreementId: id("agreement DEUD1-GBRCN"),
    direction: 0,
    sharedSecret: id("shared secret"),
    validFrom: VALID_FROM,
    periodLength: PERIOD,
    tariff: TARIFF,
    batchPeriod: { start: VALID_FROM + DAY, end: VALID_FROM + 20n * DAY },
    ...overrides,
  };
}

/** Bigints as tagged strings, so that results compare as JSON. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)));
}

/** Expects the batch result to be exactly what `ingestCdrs` gives for the same file. */
function expectSameAsGeneral(batch: CdrBatchIngest, general: IngestResult): void {
  expect(batch.ok, "ok").to.equal(general.ok);
  expect(plain(batch.errors), "errors").to.deep.equal(plain(general.errors));
  expect(batch.truncated, "truncated").to.equal(general.truncated);
  expect(plain(batch.totals), "totals").to.deep.equal(plain(general.totals));
  expect(plain(batch.stats), "stats").to.deep.equal(plain(general.stats));
  expect(batch.leaves.length, "leaves").to.equal(general.leaves.length);
  expect(plain(batch.leaves.toArray()), "leaves").to.deep.equal(plain(general.leaves));
}

async function both(
  source: string | Uint8Array | (string | Uint8Array)[],
  overrides: Partial<IngestOptions> = {},
): Promise<{ batch: CdrBatchIngest; general: IngestResult }> {
  const batch = await ingestCdrBatch(source, "csv", options(overrides));
  const general = await ingestCdrs(source, "csv", options(overrides));
  expectSameAsGeneral(batch, general);
  return { batch, general };
}

const HEADER = CDR_COLUMNS.join(",");
const T1 = VALID_FROM + 3_600n;

function csv(...rows: string[]): string {
  return [HEADER, ...rows].map((line) => `${line}\n`).join("");
}

/*//////////////////////////////////////////////////////////////////////////
                              RANDOM VALID FILES
//////////////////////////////////////////////////////////////////////////*/

interface Row {
  eventRef: string;
  imsi: string;
  service: string;
  eventStart: string;
  rawVolume: string;
  tax: string;
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((d) => d.join(""));
/** Printable ASCII without the double quote and the comma; no space at either end. */
const refChar = fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x22 && c !== 0x2c);
const eventRef = fc
  .array(refChar, { minLength: 1, maxLength: 64 })
  .map((codes) => String.fromCharCode(...codes))
  .filter((ref) => !ref.startsWith(" ") && !ref.endsWith(" "));
const serviceToken = fc
  .integer({ min: 0, max: 8 })
  .chain((s) => fc.constantFrom(SERVICE_KEYS[s], SERVICE_NAMES[s], String(s)));

const row: fc.Arbitrary<Row> = fc.record({
  eventRef: fc.oneof(eventRef, fc.constantFrom("E1", "E2", "E3")), // a few shared references make duplicates
  imsi: fc.oneof(digits(6, 15), fc.constantFrom("214070000000001", "001010123456789", "2140700")),
  service: serviceToken,
  eventStart: fc
    .bigInt({ min: 0n, max: 40n * DAY })
    .map((offset) =>
      offset % 3n === 0n
        ? `0${VALID_FROM + offset}`
        : offset % 3n === 1n
          ? formatIsoTimestamp(VALID_FROM + offset)
          : `${VALID_FROM + offset}`,
    ),
  rawVolume: fc.oneof(digits(1, 15), fc.constantFrom("0", "60", "61", "999999999999999")),
  tax: fc.oneof(digits(0, 15), fc.constant("")),
});

interface FileShape {
  rows: Row[];
  /** Column order: a permutation of the six columns, or of the five without tax. */
  columns: (keyof Row)[];
  crlf: boolean;
  bom: boolean;
  finalNewline: boolean;
  /** Positions (in rows) after which an empty line is inserted. */
  emptyAfter: number[];
  /** Chunk size of the byte array source (0: one string). */
  chunk: number;
}

const fileShape: fc.Arbitrary<FileShape> = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 30 }),
  columns: fc.boolean().chain((withTax) =>
    fc.shuffledSubarray([...CDR_COLUMNS].filter((c) => withTax || c !== "tax") as (keyof Row)[], {
      minLength: withTax ? 6 : 5,
      maxLength: withTax ? 6 : 5,
    }),
  ),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  emptyAfter: fc.array(fc.nat(30), { maxLength: 3 }),
  chunk: fc.constantFrom(0, 1, 7, 64, 4096),
});

function fileText(shape: FileShape): string {
  const eol = shape.crlf ? "\r\n" : "\n";
  const lines = [shape.columns.join(",")];
  shape.rows.forEach((r, i) => {
    lines.push(shape.columns.map((c) => r[c]).join(","));
    if (shape.emptyAfter.includes(i) && i < shape.rows.length - 1) lines.push("");
  });
  return (shape.bom ? "\ufeff" : "") + lines.join(eol) + (shape.finalNewline ? eol : "");
}

function source(text: string, chunk: number): string | Uint8Array[] {
  if (chunk === 0) return text;
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) chunks.push(bytes.subarray(at, at + chunk));
  return chunks;
}

/*//////////////////////////////////////////////////////////////////////////
                                    TESTS
//////////////////////////////////////////////////////////////////////////*/

describe("SDK: fast CSV ingestion (ingestCdrBatch)", function () {
  describe("random valid files", function () {
    it("take the fast path and give exactly what ingestCdrs gives", async function () {
      let fast = 0;
      await fc.assert(
        fc.asyncProperty(fileShape, async (shape) => {
          const { batch } = await both(source(fileText(shape), shape.chunk));
          expect(batch.ok, "a random valid file is valid").to.equal(true);
          expect(batch.path, "a valid file takes the fast path").to.equal("fast");
          fast++;
        }),
        { numRuns: campaignSize("FAST_CSV_RUNS", 300, 30) },
      );
      expect(fast, "valid files met").to.be.greaterThan(0);
    });

    it("give the StandardMerkleTree root of ingestCdrs' leaves", async function () {
      await fc.assert(
        fc.asyncProperty(fileShape, async (shape) => {
          const text = fileText(shape);
          const batch = await ingestCdrBatch(text, "csv", options());
          const general = await ingestCdrs(text, "csv", options());
          const reference = StandardMerkleTree.of(general.leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
          expect(buildRecordTree(batch.leaves).root).to.equal(reference.root);
        }),
        { numRuns: campaignSize("FAST_CSV_TREE_RUNS", 40, 5) },
      );
    });
  });

  describe("random mutations of valid files", function () {
    /** One edit of the text: insert, delete or replace a character, or swap a field for an awkward value. */
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("insert", "delete", "replace", "field"),
      char: fc.constantFrom(
        '"',
        ",",
        "\r",
        "\n",
        " ",
        "\t",
        "é",
        "0",
        "9",
        "a",
        "-",
        "T",
        ":",
        "Z",
        "\u0000",
        "\ufeff",
      ),
      value: fc.constantFrom(
        "1234567890123456", // 16 digits: beyond the fast path's exact integers
        "2026-02-29T00:00:00Z", // not a leap year
        "2026-13-01T00:00:00Z",
        "2026-03-01T24:00:00Z",
        "18446744073709551616", // 2^64
        formatIsoTimestamp(T1),
        '"quoted, with a comma"',
        "",
        " E1",
        "x".repeat(65),
      ),
    });

    it("give exactly what ingestCdrs gives, whichever path runs", async function () {
      const paths = { fast: 0, general: 0 };
      await fc.assert(
        fc.asyncProperty(fileShape, fc.array(edit, { minLength: 1, maxLength: 3 }), async (shape, edits) => {
          let text = fileText(shape);
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            if (e.kind === "insert") text = text.slice(0, at) + e.char + text.slice(at);
            else if (e.kind === "delete") text = text.slice(0, at) + text.slice(at + 1);
            else if (e.kind === "replace") text = text.slice(0, at) + e.char + text.slice(at + 1);
            else {
              // Replace the field around `at` (between the nearest commas or line ends).
              const start = Math.max(text.lastIndexOf(",", at - 1), text.lastIndexOf("\n", at - 1)) + 1;
              const ends = [text.indexOf(",", at), text.indexOf("\n", at)].filter((x) => x >= 0);
              const end = ends.length === 0 ? text.length : Math.min(...ends);
              text = text.slice(0, start) + e.value + text.slice(Math.max(start, end));
            }
          }
          const { batch } = await both(source(text, shape.chunk));
          paths[batch.path]++;
        }),
        // The CI size under coverage too: this is TypeScript (no instrumented contract), and the two assertions below need
        // enough mutations for both paths to be met (40 met none on the fast path once).
        { numRuns: campaignSize("FAST_CSV_MUTATION_RUNS", 400, 400) },
      );
      expect(paths.fast, "mutated files on the fast path").to.be.greaterThan(0);
      expect(paths.general, "mutated files on the general path").to.be.greaterThan(0);
    });
  });

  describe("what the fast path declines (the general path reads it, with the same result)", function () {
    const row = `E1,214070000000001,voiceMO,${T1},61,5`;
    const cases: [string, string, Partial<IngestOptions>?][] = [
      ["a quoted field", csv(`"E1",214070000000001,voiceMO,${T1},61,5`)],
      ["a quoted field with a comma", csv(`"E,1",214070000000001,voiceMO,${T1},61,5`)],
      ["an ISO-8601 eventStart with a fraction", csv(`E1,214070000000001,voiceMO,2026-03-01T01:00:00.5Z,61,5`)],
      ["an ISO-8601 eventStart with an offset", csv(`E1,214070000000001,voiceMO,2026-03-01T01:00:00+01:00,61,5`)],
      [
        "an ISO-8601 eventStart on a day that does not exist",
        csv(`E1,214070000000001,voiceMO,2026-02-29T01:00:00Z,61,5`),
      ],
      ["an ISO-8601 eventStart before 1970", csv(`E1,214070000000001,voiceMO,1969-12-31T23:59:59Z,61,5`)],
      ["a 20-digit eventStart", csv(`E1,214070000000001,voiceMO,000000000${T1},61,5`)],
      ["a 16-digit volume", csv(`E1,214070000000001,voiceMO,${T1},1234567890123456,5`)],
      ["a 16-digit tax", csv(`E1,214070000000001,voiceMO,${T1},61,1234567890123456`)],
      ["non-ASCII text", csv(`É1,214070000000001,voiceMO,${T1},61,5`)],
      ["a tab", csv(`E\t1,214070000000001,voiceMO,${T1},61,5`)],
      ["a lone carriage return", csv(`E1,214070000000001,voiceMO,${T1},61,5\rE2,214070000000001,voiceMO,${T1},61,5`)],
      ["a last header line ending in a lone CR", `${HEADER}\r`],
      ["an extra column", `${HEADER},note\n${row},x\n`],
      ["an extra column, allowed", `${HEADER},note\n${row},x\n`, { allowExtraFields: true }],
      ["a missing column", `eventRef,imsi,service,eventStart\nE1,214070000000001,voiceMO,${T1}\n`],
      ["a column named twice", `${HEADER},imsi\n${row},214070000000001\n`],
      ["an empty first line", `\n${HEADER}\n${row}\n`],
      ["a header only", `${HEADER}\n`],
      ["an empty file", ""],
      ["a record with too few fields", csv(`E1,214070000000001,voiceMO,${T1},61`)],
      ["a record with too many fields", csv(`${row},7`)],
      ["an invalid IMSI", csv(`E1,21407,voiceMO,${T1},61,5`)],
      ["an unknown service", csv(`E1,214070000000001,sms,${T1},61,5`)],
      ["an event before validFrom", csv(`E1,214070000000001,voiceMO,${VALID_FROM - 1n},61,5`)],
      ["an event at validUntil", csv(row), { validUntil: T1 }],
      ["a reference with a leading space", csv(` E1,214070000000001,voiceMO,${T1},61,5`)],
      ["a reference of 65 characters", csv(`${"x".repeat(65)},214070000000001,voiceMO,${T1},61,5`)],
      ["an empty reference", csv(`,214070000000001,voiceMO,${T1},61,5`)],
      ["validFrom above 2^53", csv(row), { validFrom: 2n ** 53n, batchPeriod: undefined }],
      ["periodLength above 2^53", csv(row), { periodLength: 2n ** 53n }],
      [
        "a volume total above uint64",
        csv(...Array.from({ length: 20_000 }, (_, i) => `E${i},214070000000001,volte,${T1},999999999999999,0`)),
      ],
    ];
    for (const [name, text, overrides] of cases) {
      it(`declines ${name}`, async function () {
        const { batch } = await both(text, overrides);
        expect(batch.path).to.equal("general");
      });
    }

    it("declines a stream (it could not be read twice) and another format", async function () {
      async function* stream(): AsyncGenerator<string> {
        yield csv(`E1,214070000000001,voiceMO,${T1},61,5`);
      }
      const streamed = await ingestCdrBatch(stream(), "csv", options());
      expect([streamed.ok, streamed.path]).to.deep.equal([true, "general"]);
      const ndjson = await ingestCdrBatch(
        '{"eventRef":"E1","imsi":"214070000000001","service":"data","eventStart":"1772326800","rawVolume":"1"}\n',
        "ndjson",
        options(),
      );
      expect([ndjson.ok, ndjson.path, ndjson.format]).to.deep.equal([true, "general", "ndjson"]);
    });

    it("checks the options first, as ingestCdrs does", async function () {
      for (const [bad, field] of [
        [{ agreementId: "0x12" }, "agreementId"],
        [{ periodLength: 0n }, "periodLength"],
      ] as const) {
        let caught: unknown;
        try {
          await ingestCdrBatch(csv(row), "csv", options(bad));
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(InvalidArgumentError);
        expect((caught as InvalidArgumentError).field).to.equal(field);
      }
    });
  });

  describe("what the fast path takes", function () {
    it("a BOM, CRLF, columns in any order, no tax column, empty lines, no final newline", async function () {
      const text =
        "\ufeffimsi,eventStart,eventRef,rawVolume,service\r\n" +
        `214070000000001,${T1},E1,61,voiceMO\r\n\r\n` +
        `001010123456789,0${T1 + 1n},E 2,0,Data\r\n` +
        `214070000000001,${T1},E1,61,0`;
      const { batch } = await both(text);
      expect([batch.ok, batch.path, batch.leaves.length]).to.deep.equal([true, "fast", 3]);
      expect(batch.stats.duplicateRecordIds).to.equal(1);
      expect(batch.totals.volumes).to.deep.equal([240n, 0n]); // two 61 s calls by the minute; 0 bytes
    });

    it("ISO-8601 times, read as parseIsoTimestamp reads them (random times from 1970 to 2199)", async function () {
      await fc.assert(
        fc.asyncProperty(fc.bigInt({ min: 0n, max: 7_258_118_399n }), async (seconds) => {
          const text = csv(`E1,214070000000001,data,${formatIsoTimestamp(seconds)},1,0`);
          const { batch } = await both(text, { validFrom: 0n, batchPeriod: undefined });
          expect([batch.path, batch.stats.firstEventStart]).to.deep.equal(["fast", seconds]);
        }),
        { numRuns: campaignSize("FAST_CSV_ISO_RUNS", 300, 30) },
      );
      for (const leapDay of ["2000-02-29T00:00:00Z", "2024-02-29T23:59:59Z", "2100-03-01T00:00:00Z"]) {
        const { batch } = await both(csv(`E1,214070000000001,data,${leapDay},1,0`), {
          validFrom: 0n,
          batchPeriod: undefined,
        });
        expect(batch.path, leapDay).to.equal("fast");
      }
      const { batch } = await both(csv(`E1,214070000000001,data,2100-02-29T00:00:00Z,1,0`), { validFrom: 0n });
      expect([batch.ok, batch.path]).to.deep.equal([false, "general"]); // 2100 is not a leap year
    });

    it("bounds above 2^53 (validUntil, the batch period)", async function () {
      const text = csv(`E1,214070000000001,voiceMO,${T1},61,5`);
      for (const overrides of [
        { validUntil: 2n ** 64n },
        { batchPeriod: { start: 2n ** 60n, end: 2n ** 64n } },
        { batchPeriod: { start: 0n, end: 2n ** 60n } },
      ]) {
        const { batch } = await both(text, overrides);
        expect(batch.path).to.equal("fast");
      }
    });

    it("records of uncovered services, out of the batch period, in several periods", async function () {
      const text = csv(
        `E1,214070000000001,volte,${VALID_FROM},7,1`,
        `E2,214070000000001,voiceMO,${VALID_FROM + PERIOD},1,0`,
        `E3,214070000000002,smsMT,${VALID_FROM + 3n * PERIOD + 5n},1,`,
      );
      const { batch } = await both(text);
      expect(batch.path).to.equal("fast");
      expect(batch.stats.uncoveredService).to.equal(1);
      expect(batch.stats.outOfBatchPeriod).to.equal(2);
      expect(batch.stats.periods).to.deep.equal([0n, 1n, 3n]);
    });

    it("bytes, a text, or an array of chunks, with the same result", async function () {
      const text = csv(`E1,214070000000001,voiceMO,${T1},61,5`, `E2,214070000000002,data,${T1},1001,0`);
      const bytes = new TextEncoder().encode(text);
      const roots = new Set<string>();
      for (const src of [text, bytes, [bytes.subarray(0, 10), bytes.subarray(10)], [text.slice(0, 5), text.slice(5)]]) {
        const batch = await ingestCdrBatch(src, "csv", options());
        expect(batch.path).to.equal("fast");
        roots.add(buildRecordTree(batch.leaves).root);
      }
      expect(roots.size).to.equal(1);
    });
  });
});

describe("SDK: EncodedRecordLeaves", function () {
  const leaves: RecordLeaf[] = Array.from({ length: 9 }, (_, i) => ({
    recordId: id(`record ${i}`),
    subscriberHash: id(`subscriber ${i % 3}`),
    service: (i % 9) as Service,
    eventStart: VALID_FROM + BigInt(i),
    chargedVolume: i === 8 ? 2n ** 64n - 1n : BigInt(i * 1000),
    index: i === 8 ? 2 ** 32 - 1 : i,
  }));

  it("encodes leaves as encodeRecordLeaf does, and decodes them back", function () {
    const encoded = EncodedRecordLeaves.fromLeaves(leaves);
    expect(encoded.length).to.equal(leaves.length);
    leaves.forEach((leaf, i) => {
      expect(encoded.bytes.subarray(192 * i, 192 * (i + 1))).to.deep.equal(encodeRecordLeaf(leaf));
      expect(encoded.at(i)).to.deep.equal(leaf);
    });
    expect(encoded.toArray()).to.deep.equal(leaves);
    expect(EncodedRecordLeaves.fromBytes(encoded.bytes).toArray()).to.deep.equal(leaves);
  });

  it("refuses a bad leaf, naming it and its field", function () {
    expect(() => EncodedRecordLeaves.fromLeaves([leaves[0], { ...leaves[1], eventStart: -1n }]))
      .to.throw(InvalidArgumentError)
      .with.property("field", "leaves[1].eventStart");
    expect(() => EncodedRecordLeaves.fromLeaves("x" as never))
      .to.throw(InvalidArgumentError)
      .with.property("field", "leaves");
  });

  it("refuses bytes that are not leaf encodings, naming the leaf and the byte", function () {
    expect(() => EncodedRecordLeaves.fromBytes(new Uint8Array(191)))
      .to.throw(InvalidArgumentError)
      .with.property("field", "bytes");
    for (const at of [64, 94, 96, 119, 128, 151, 160, 187]) {
      const bytes = EncodedRecordLeaves.fromLeaves(leaves).bytes.slice();
      bytes[192 * 4 + at] = 1;
      expect(() => EncodedRecordLeaves.fromBytes(bytes), `byte ${at}`)
        .to.throw(InvalidArgumentError, `byte ${at} of the encoding is padding`)
        .with.property("field", "bytes[4]");
      // Unaligned bytes take the byte-by-byte check, with the same verdict.
      const unaligned = new Uint8Array(bytes.length + 1);
      unaligned.set(bytes, 1);
      expect(() => EncodedRecordLeaves.fromBytes(unaligned.subarray(1)))
        .to.throw(InvalidArgumentError)
        .with.property("field", "bytes[4]");
    }
    const ok = new Uint8Array(EncodedRecordLeaves.fromLeaves(leaves).bytes.length + 1);
    ok.set(EncodedRecordLeaves.fromLeaves(leaves).bytes, 1);
    expect(EncodedRecordLeaves.fromBytes(ok.subarray(1)).toArray()).to.deep.equal(leaves);
  });

  it("refuses a position out of range", function () {
    const encoded = EncodedRecordLeaves.fromLeaves(leaves);
    for (const bad of [-1, 9, 1.5]) {
      expect(() => encoded.at(bad))
        .to.throw(InvalidArgumentError, "not a leaf position (0 to 8)")
        .with.property("field", "i");
    }
  });

  for (const wasm of [true, false]) {
    it(`builds the same tree as from the objects (${wasm ? "WebAssembly" : "pure JS"})`, function () {
      const encoded = EncodedRecordLeaves.fromLeaves(leaves);
      const fromObjects = buildRecordTree(leaves, { wasm });
      const fromEncoded = buildRecordTree(encoded, { wasm });
      const reference = StandardMerkleTree.of(leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
      expect(fromEncoded.root).to.equal(reference.root);
      expect(fromEncoded.nodes()).to.deep.equal(fromObjects.nodes());
      expect(fromEncoded.source).to.equal(encoded);
      expect(fromEncoded.length).to.equal(leaves.length);
      for (let i = 0; i < leaves.length; i++) {
        expect(fromEncoded.leaf(i)).to.deep.equal(leaves[i]);
        expect(fromEncoded.proof(i)).to.deep.equal(reference.getProof(i));
      }
      expect(fromEncoded.multiProof([1, 5, 7])).to.deep.equal(fromObjects.multiProof([1, 5, 7]));
      expect(fromEncoded.leaves).to.deep.equal(leaves);
      expect(Object.isFrozen(fromEncoded.leaves)).to.equal(true);
      expect(fromEncoded.leaf(3)).to.equal(fromEncoded.leaves[3]); // decoded once, then reused
      expect(fromEncoded.toStandardTree().root).to.equal(reference.root);
    });
  }

  it("refuses an empty set of leaves", function () {
    expect(() => buildRecordTree(EncodedRecordLeaves.fromLeaves([])))
      .to.throw(InvalidArgumentError, "a batch needs at least one record")
      .with.property("field", "leaves");
  });
});
