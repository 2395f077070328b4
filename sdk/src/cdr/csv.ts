/**
 * The CSV reader of CDR files, on `csv-parse`'s streaming parser: RFC 4180 quoting, `\n` or `\r\n` line breaks (mixed
 * too), a byte order mark, empty lines skipped. The first line is the header and must name the columns exactly.
 *
 * Records are taken from the parser as it reads (its `on_record` hook), chunk by chunk: the file is never held whole.
 * Line numbers are physical lines (a quoted field may span several).
 */
import { parse, type CsvError, type InfoRecord } from "csv-parse";

import { MAX_RECORD_CHARS, type ReaderItem } from "./text";
import { CDR_COLUMNS, HEADER_FIELD, FILE_FIELD, RECORD_FIELD, REQUIRED_CDR_COLUMNS } from "./types";

const KNOWN: ReadonlySet<string> = new Set(CDR_COLUMNS);

/** The reasons of the CSV reader's structural issues. */
export const CSV_REASONS = {
  empty: "the file is empty: the first line must be a header naming the columns",
  headerMissing: `the header is missing: the first line must name the columns (${CDR_COLUMNS.join(",")}; tax optional)`,
  missingColumn: "required column missing from the header",
  duplicateColumn: "column named twice in the header",
  unknownColumn: "unknown column (only eventRef, imsi, service, eventStart, rawVolume and tax are allowed)",
  fieldCount: (got: number, expected: number): string => `has ${got} fields, the header has ${expected}`,
  syntax: (message: string): string => `CSV syntax error: ${message}`,
} as const;

/** csv-parse's line count is off inside quoted fields: it counts each of `\r` and `\n` of a `\r\n`. */
function lineBreaks(fields: readonly string[]): { real: number; extra: number } {
  let real = 0;
  let extra = 0;
  for (const field of fields) {
    if (field.indexOf("\n") === -1 && field.indexOf("\r") === -1) continue;
    for (let i = 0; i < field.length; ++i) {
      const c = field.charCodeAt(i);
      if (c === 13) {
        real += 1;
        if (field.charCodeAt(i + 1) === 10) {
          extra += 1;
          i += 1;
        }
      } else if (c === 10) {
        real += 1;
      }
    }
  }
  return { real, extra };
}

interface Row {
  readonly fields: string[];
  /** csv-parse's line count at the record's end. */
  readonly lines: number;
}

interface Header {
  /** For each column position, the CDR column it holds, or undefined for an ignored extra column. */
  readonly names: (string | undefined)[];
}

/** Checks the header row; returns the column mapping and its issues. */
function readHeader(
  names: readonly string[],
  line: number,
  allowExtra: boolean,
): { header?: Header; issues: ReaderItem[] } {
  const issue = (field: string, value: unknown, reason: string, fatal: boolean): ReaderItem => ({
    kind: "issue",
    issue: { line, field, value, reason },
    isRecord: false,
    fatal,
  });
  if (!names.some((name) => KNOWN.has(name))) {
    return { issues: [issue(HEADER_FIELD, names.join(","), CSV_REASONS.headerMissing, true)] };
  }
  const issues: ReaderItem[] = [];
  const seen = new Set<string>();
  const mapped: (string | undefined)[] = [];
  for (const name of names) {
    if (KNOWN.has(name)) {
      if (seen.has(name)) issues.push(issue(name, name, CSV_REASONS.duplicateColumn, true));
      seen.add(name);
      mapped.push(name);
    } else {
      mapped.push(undefined);
      if (!allowExtra) issues.push(issue(name, name, unknownColumnReason(name), false));
    }
  }
  for (const column of REQUIRED_CDR_COLUMNS) {
    if (!seen.has(column)) issues.push(issue(column, undefined, CSV_REASONS.missingColumn, true));
  }
  return { header: issues.some((i) => i.kind === "issue" && i.fatal) ? undefined : { names: mapped }, issues };
}

function unknownColumnReason(name: string): string {
  const near = CDR_COLUMNS.find((column) => column.toLowerCase() === name.trim().toLowerCase());
  return near === undefined
    ? CSV_REASONS.unknownColumn
    : `${CSV_REASONS.unknownColumn}; did you mean "${near}"? names are matched exactly`;
}

/**
 * Reads CDRs from CSV text chunks. Yields the fields of each record (by column name) and the issues found; stops at
 * the first fatal issue (a syntax error, a missing header or column).
 */
export async function* readCsv(
  texts: AsyncIterable<string>,
  allowExtraFields: boolean,
): AsyncGenerator<ReaderItem, void, undefined> {
  const rows: Row[] = [];
  const parser = parse({
    bom: true,
    record_delimiter: ["\r\n", "\n"],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (record: string[], context: InfoRecord) => {
      rows.push({ fields: record, lines: context.lines });
      return null; // taken here: nothing is buffered in the stream
    },
  });
  let failure: CsvError | Error | undefined;
  parser.on("error", (error: Error) => {
    failure ??= error;
  });
  parser.resume();
  const closed = new Promise<void>((resolve) => parser.once("close", () => resolve()));

  let header: Header | undefined;
  let headerSeen = false;
  let drift = 0; // csv-parse's surplus line count so far
  let lastLine = 0;
  let fatal = false;

  /** The items of the rows parsed so far. */
  function* drain(): Generator<ReaderItem, void, undefined> {
    const batch = rows.splice(0);
    for (const row of batch) {
      if (fatal) return;
      const breaks = lineBreaks(row.fields);
      drift += breaks.extra;
      const line = row.lines - drift - breaks.real;
      lastLine = row.lines - drift;
      if (header === undefined) {
        headerSeen = true;
        const checked = readHeader(row.fields, line, allowExtraFields);
        yield* checked.issues;
        if (checked.header === undefined) {
          fatal = true;
          return;
        }
        header = checked.header;
        continue;
      }
      const names = header.names;
      if (row.fields.length !== names.length) {
        yield {
          kind: "issue",
          issue: {
            line,
            field: RECORD_FIELD,
            value: row.fields.length,
            reason: CSV_REASONS.fieldCount(row.fields.length, names.length),
          },
          isRecord: true,
          fatal: false,
        };
        continue;
      }
      const fields: Record<string, unknown> = {};
      for (let i = 0; i < names.length; ++i) {
        const name = names[i];
        if (name !== undefined) fields[name] = row.fields[i];
      }
      yield { kind: "record", fields, line, strictKeys: false };
    }
  }

  const failed = (): Error | undefined => failure ?? parser.errored ?? undefined;

  try {
    for await (const text of texts) {
      if (!parser.write(text)) {
        await new Promise<void>((resolve) => {
          parser.once("drain", resolve);
          parser.once("close", resolve);
        });
      }
      yield* drain();
      if (fatal || failed() !== undefined) break;
    }
    if (!fatal && failed() === undefined) {
      parser.end();
      await closed;
      yield* drain();
    }
    const error = failed();
    if (!fatal && error !== undefined) {
      // An unclosed quote is reported at the end of the file: the record it opens starts after the last one read.
      const reported = (error as { lines?: unknown }).lines;
      const unclosed = (error as { code?: unknown }).code === "CSV_QUOTE_NOT_CLOSED";
      const line = unclosed || typeof reported !== "number" ? lastLine + 1 : Math.max(1, reported - drift);
      yield {
        kind: "issue",
        issue: {
          line,
          field: FILE_FIELD,
          value: undefined,
          reason: CSV_REASONS.syntax(error.message.replace(/ at line \d+/, "")),
        },
        isRecord: false,
        fatal: true,
      };
      return;
    }
    if (!fatal && !headerSeen) {
      yield {
        kind: "issue",
        issue: { line: 1, field: HEADER_FIELD, value: undefined, reason: CSV_REASONS.empty },
        isRecord: false,
        fatal: true,
      };
    }
  } finally {
    parser.destroy();
  }
}
