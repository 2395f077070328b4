/**
 * Writers of CDR files: records as CSV lines (RFC 4180 quoting), JSON objects and NDJSON, in the columns and encodings
 * the ingestion reads back (`ingestCdrs`), streamed in chunks of a bounded size.
 *
 * Pure: no file access (the writers yield strings; the caller writes them).
 */
import { SERVICE_KEYS } from "../rating/types";
import { CDR_COLUMNS, type CdrRecord } from "./types";

/*//////////////////////////////////////////////////////////////////////////
                                   WRITERS
//////////////////////////////////////////////////////////////////////////*/

/** Options of the file writers. */
export interface CdrWriterOptions {
  /** The line break; default `"\n"`. */
  readonly lineEnding?: "\n" | "\r\n";
  /** Roughly how many characters each yielded chunk holds; default 65,536. */
  readonly chunkChars?: number;
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line, with its line break. */
export function cdrCsvHeader(lineEnding: "\n" | "\r\n" = "\n"): string {
  return CDR_COLUMNS.join(",") + lineEnding;
}

/**
 * One record as a CSV line (columns {@link CDR_COLUMNS}, service by its key, times in Unix seconds), with its line
 * break.
 */
export function cdrCsvLine(record: CdrRecord, lineEnding: "\n" | "\r\n" = "\n"): string {
  return (
    `${csvField(record.eventRef)},${record.imsi},${SERVICE_KEYS[record.service]},` +
    `${record.eventStart},${record.rawVolume},${record.tax}${lineEnding}`
  );
}

/** One record as a JSON-ready object: service by its key, integers as decimal strings (exact). */
export function cdrToJson(record: CdrRecord): Record<string, string> {
  return {
    eventRef: record.eventRef,
    imsi: record.imsi,
    service: SERVICE_KEYS[record.service],
    eventStart: record.eventStart.toString(),
    rawVolume: record.rawVolume.toString(),
    tax: record.tax.toString(),
  };
}

/**
 * A file as text chunks of about `chunkChars` characters: `head`, one `line` per record, `tail`. Sync iterables are
 * read synchronously (only the chunks are awaited).
 */
async function* writeFile(
  records: Iterable<CdrRecord> | AsyncIterable<CdrRecord>,
  head: string,
  line: (record: CdrRecord, first: boolean) => string,
  tail: string,
  chunkChars: number,
): AsyncGenerator<string, void, undefined> {
  let parts: string[] = [head];
  let size = head.length;
  let first = true;
  const add = (record: CdrRecord): string | undefined => {
    const text = line(record, first);
    first = false;
    parts.push(text);
    size += text.length;
    if (size < chunkChars) return undefined;
    const chunk = parts.join("");
    parts = [];
    size = 0;
    return chunk;
  };
  if (Symbol.asyncIterator in records) {
    for await (const record of records as AsyncIterable<CdrRecord>) {
      const chunk = add(record);
      if (chunk !== undefined) yield chunk;
    }
  } else {
    for (const record of records as Iterable<CdrRecord>) {
      const chunk = add(record);
      if (chunk !== undefined) yield chunk;
    }
  }
  parts.push(tail);
  const last = parts.join("");
  if (last.length > 0) yield last;
}

/** A CSV CDR file (header, then one line a record) as text chunks of about `chunkChars` characters. */
export function writeCdrCsv(
  records: Iterable<CdrRecord> | AsyncIterable<CdrRecord>,
  options: CdrWriterOptions = {},
): AsyncGenerator<string, void, undefined> {
  const eol = options.lineEnding ?? "\n";
  return writeFile(records, cdrCsvHeader(eol), (record) => cdrCsvLine(record, eol), "", options.chunkChars ?? 65_536);
}

/** An NDJSON CDR file (one {@link cdrToJson} object a line) as text chunks. */
export function writeCdrNdjson(
  records: Iterable<CdrRecord> | AsyncIterable<CdrRecord>,
  options: CdrWriterOptions = {},
): AsyncGenerator<string, void, undefined> {
  const eol = options.lineEnding ?? "\n";
  return writeFile(records, "", (record) => JSON.stringify(cdrToJson(record)) + eol, "", options.chunkChars ?? 65_536);
}

/** A JSON-array CDR file (one {@link cdrToJson} object a line, inside `[` `]`) as text chunks. */
export function writeCdrJson(
  records: Iterable<CdrRecord> | AsyncIterable<CdrRecord>,
  options: CdrWriterOptions = {},
): AsyncGenerator<string, void, undefined> {
  const eol = options.lineEnding ?? "\n";
  return writeFile(
    records,
    "[",
    (record, first) => `${first ? "" : ","}${eol}${JSON.stringify(cdrToJson(record))}`,
    `${eol}]${eol}`,
    options.chunkChars ?? 65_536,
  );
}
