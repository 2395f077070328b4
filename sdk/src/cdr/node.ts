/**
 * Node-only helpers of CDR ingestion: reading a file from disk, streaming. Kept apart from the rest of `sdk/src/cdr`
 * (which is browser-safe) and not re-exported by its index: import it from `@roamledger/sdk/node`.
 */
import { createReadStream } from "fs";
import { extname } from "path";

import { InvalidArgumentError } from "../errors";
import { assertValidCdrs } from "./errors";
import { ingestCdrs } from "./ingest";
import type { CdrFormat, IngestOptions, IngestResult } from "./types";

/** File extensions and their formats. */
export const CDR_FILE_EXTENSIONS: Readonly<Record<string, CdrFormat>> = Object.freeze({
  ".csv": "csv",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".json": "json",
});

/**
 * The format of a CDR file from its extension (case-insensitive): `.csv`, `.ndjson` / `.jsonl`, `.json`.
 *
 * @throws InvalidArgumentError for another extension.
 */
export function cdrFormatOfPath(path: string): CdrFormat {
  const format = CDR_FILE_EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new InvalidArgumentError("must end with .csv, .ndjson, .jsonl or .json (or give the format)", {
      field: "path",
      value: path,
    });
  }
  return format;
}

/** Options of {@link ingestCdrFile}: the ingestion's, and optionally the format (otherwise from the extension). */
export interface IngestFileOptions extends IngestOptions {
  readonly format?: CdrFormat;
}

/**
 * Ingests a CDR file from disk, streaming (`fs.createReadStream`): files larger than memory are fine, only the
 * records are kept.
 *
 * @throws InvalidArgumentError for an unknown extension (without `format`) or invalid options; the file system's
 *   error (e.g. `ENOENT`) if the file cannot be read.
 */
export async function ingestCdrFile(path: string, options: IngestFileOptions): Promise<IngestResult> {
  const format = options.format ?? cdrFormatOfPath(path);
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  try {
    return await ingestCdrs(stream, format, options);
  } finally {
    stream.destroy();
  }
}

/** {@link ingestCdrFile}, throwing a `CdrFileError` (exported by the other entry points) unless the file is valid. */
export async function ingestCdrFileOrThrow(path: string, options: IngestFileOptions): Promise<IngestResult> {
  return assertValidCdrs(await ingestCdrFile(path, options));
}
