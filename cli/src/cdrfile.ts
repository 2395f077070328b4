/**
 * Reading a CDR file for a command: read once through the SDK's ingestion, with a progress bar (stderr) and the
 * file's SHA-256 (the default `fileHash` of a batch) computed on the way. {@link readCdrFile} streams it through
 * `ingestCdrs` (records as objects); {@link readCdrBatchFile} reads a file of up to {@link IN_MEMORY_MAX_BYTES}
 * whole and ingests it with `ingestCdrBatch` (the fast CSV path: a million records in a few seconds); a larger one
 * streams.
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { Presets, SingleBar } from "cli-progress";

import { assertValidCdrs } from "@roamledger/sdk";
import { ingestCdrBatch, ingestCdrs } from "@roamledger/sdk";
import { cdrFormatOfPath } from "@roamledger/sdk/node";
import type { CdrBatchIngest, CdrFormat, IngestOptions, IngestResult } from "@roamledger/sdk";
import type { Context } from "./context";
import { CliUserError } from "./errors";

/** Files from this size on get a progress bar (when stderr is a terminal, or with `--progress`). */
export const PROGRESS_MIN_BYTES = 256 * 1024;

/** {@link readCdrBatchFile} holds files up to this size in memory (the fast path needs the whole file). */
export const IN_MEMORY_MAX_BYTES = 1024 * 1024 * 1024;

export interface ReadCdrOptions extends IngestOptions {
  format?: CdrFormat;
  /** true: always draw the bar (even when stderr is not a terminal); false: never; undefined: large files on a TTY. */
  progress?: boolean;
}

/** Ingests `file`; throws a `CdrFileError` (exit 1, every issue with its line and field) unless every record is valid. */
export async function readCdrFile(
  ctx: Context,
  file: string,
  options: ReadCdrOptions,
): Promise<{ result: IngestResult; sha256: string; bytes: number }> {
  return readWith(ctx, file, options, (chunks, format) => ingestCdrs(chunks(), format, options));
}

/**
 * {@link readCdrFile} for a batch: `ingestCdrBatch` on the whole file in memory (up to {@link IN_MEMORY_MAX_BYTES}),
 * leaves as encodings; the same checks, issues and exit codes.
 */
export async function readCdrBatchFile(
  ctx: Context,
  file: string,
  options: ReadCdrOptions,
): Promise<{ result: CdrBatchIngest; sha256: string; bytes: number }> {
  return readWith(ctx, file, options, async (chunks, format, size) => {
    if (size > IN_MEMORY_MAX_BYTES) return ingestCdrBatch(chunks(), format, options);
    const whole: Buffer[] = [];
    for await (const chunk of chunks()) whole.push(chunk);
    return ingestCdrBatch(whole, format, options);
  });
}

async function readWith<R extends Pick<IngestResult, "ok" | "errors" | "truncated">>(
  ctx: Context,
  file: string,
  options: ReadCdrOptions,
  ingest: (chunks: () => AsyncGenerator<Buffer>, format: CdrFormat, size: number) => Promise<R>,
): Promise<{ result: R; sha256: string; bytes: number }> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CliUserError(`cannot read the CDR file ${file}`, "file");
  }
  const format = options.format ?? cdrFormatOfPath(file);
  const hash = createHash("sha256");
  const show =
    options.progress === true || (options.progress === undefined && ctx.out.progress && size >= PROGRESS_MIN_BYTES);
  const bar =
    show && !ctx.out.json && !ctx.out.quiet
      ? new SingleBar(
          {
            format: "ingesting {file} |{bar}| {percentage}% | {value}/{total} bytes",
            stream: ctx.out.io.stderr as NodeJS.WritableStream,
            noTTYOutput: true,
            notTTYSchedule: 500,
            hideCursor: false,
          },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(size, 0, { file });
  let read = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
      const buffer = chunk as Buffer;
      hash.update(buffer);
      read += buffer.length;
      bar?.update(read);
      yield buffer;
    }
  }
  try {
    const result = await ingest(chunks, format, size);
    bar?.update(read);
    return { result: assertValidCdrs(result), sha256: "0x" + hash.digest("hex"), bytes: read };
  } finally {
    bar?.stop();
  }
}
