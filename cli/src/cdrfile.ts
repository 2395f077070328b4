/**
 * Reading a CDR file for a command: read once through the SDK's ingestion, with a progress bar (stderr) and the
 * file's SHA-256 (the default `fileHash` of a batch) computed on the way. {@link readCdrFile} streams it through
 * `ingestCdrs` (records as objects); {@link readCdrBatchFile} reads a file of up to {@link IN_MEMORY_MAX_BYTES}
 * (or `--in-memory-max`) whole and ingests it with `ingestCdrBatch` (the fast CSV path: a million records in a few
 * seconds, at about ten times the file's size in memory); a larger one streams through the general path (memory bounded
 * by the leaves, not the file).
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { Presets, SingleBar } from "cli-progress";

import {
  assertValidCdrs,
  ingestCdrBatch,
  ingestCdrs,
  type CdrBatchIngest,
  type CdrFormat,
  type IngestOptions,
  type IngestResult,
} from "@roamledger/sdk";
import { cdrFormatOfPath } from "@roamledger/sdk/node";
import type { Context } from "./context";
import { CliUserError } from "./errors";

/** Files from this size on get a progress bar (when stderr is a terminal, or with `--progress`). */
export const PROGRESS_MIN_BYTES = 256 * 1024;

/**
 * {@link readCdrBatchFile} holds files up to this size in memory by default (the fast path needs the whole file, and
 * costs about ten times its size: a 1 GiB file read whole took about 10 GB). 128 MiB is over a million records.
 */
export const IN_MEMORY_MAX_BYTES = 128 * 1024 * 1024;

export interface ReadCdrOptions extends IngestOptions {
  format?: CdrFormat;
  /** true: always draw the bar (even when stderr is not a terminal); false: never; undefined: large files on a TTY. */
  progress?: boolean;
  /** Files larger than this many bytes stream instead of being read whole (default {@link IN_MEMORY_MAX_BYTES}). */
  inMemoryMaxBytes?: number;
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
 * {@link readCdrFile} for a batch: `ingestCdrBatch` on the whole file in memory (up to `options.inMemoryMaxBytes`,
 * default {@link IN_MEMORY_MAX_BYTES}), streamed above; leaves as encodings; the same checks, issues and exit codes.
 */
export async function readCdrBatchFile(
  ctx: Context,
  file: string,
  options: ReadCdrOptions,
): Promise<{ result: CdrBatchIngest; sha256: string; bytes: number }> {
  return readWith(ctx, file, options, async (chunks, format, size) => {
    if (size > (options.inMemoryMaxBytes ?? IN_MEMORY_MAX_BYTES)) return ingestCdrBatch(chunks(), format, options);
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
