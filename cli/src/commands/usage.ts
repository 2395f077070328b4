/** `roamledger usage submit <file>`: a CDR file to a batch on chain, resumable (see `../journal.ts`). */
import { createReadStream } from "node:fs";
import path from "node:path";
import type { Command } from "commander";

import {
  prepareBatch,
  firstDuplicateRecordId,
  cdrRecordLines,
  type CdrBatchIngest,
  type CdrFormat,
  ClearingClient,
  UsageClearing__factory,
  batchCharge,
  batchIdOf,
} from "@roamledger/sdk";
import { cdrFormatOfPath } from "@roamledger/sdk/node";
import {
  agreementView,
  batchOfLaneRoot,
  cdrIngestOptions,
  ensureTermsCached,
  parseBytes32,
  parseDirection,
  parseUint,
  tokenDecimals,
} from "../chain";
import { readCdrBatchFile } from "../cdrfile";
import type { Context } from "../context";
import { isoTime, tokenDecimal } from "../format";
import { CliUserError, DuplicateRecordsError } from "../errors";
import { JournalFile, JournalingSigner, settleSent } from "../journal";
import type { Action } from "../program";

interface SubmitOptions {
  agreement: string;
  direction: string;
  secret?: string;
  periodStart?: string;
  periodEnd?: string;
  sequence?: string;
  fileUri: string;
  fileHash?: string;
  format?: CdrFormat;
  progress?: boolean;
  dryRun?: boolean;
  inMemoryMax: string;
  allowDuplicates?: boolean;
}

/** The duplicated record ids of a file: how many, and the first one with its positions and lines. */
export interface DuplicatesFound {
  /** Records whose id an earlier record of the file already had (`stats.duplicateRecordIds`). */
  count: number;
  /** The first duplicated record id (in file order). */
  recordId: string;
  /** The 0-based record positions holding it (the first is the kept copy). */
  indexes: number[];
  /** Their 1-based lines in the file, aligned with `indexes` (when the file could be read again). */
  lines: number[];
}

/** The duplicates of an ingested file (undefined when there are none), with their lines read from the file. */
async function duplicatesOf(
  result: CdrBatchIngest,
  file: string,
  format: CdrFormat,
): Promise<DuplicatesFound | undefined> {
  const count = result.stats.duplicateRecordIds;
  if (count === 0) return undefined;
  const first = firstDuplicateRecordId(result.leaves);
  if (first === undefined) return undefined; // the count says otherwise: cannot happen
  const lines = await cdrRecordLines(createReadStream(file, { highWaterMark: 1 << 16 }), format, first.indexes);
  const found = first.indexes.map((i) => lines.get(i));
  return {
    count,
    recordId: first.recordId,
    indexes: first.indexes,
    lines: found.every((l) => l !== undefined) ? (found as number[]) : [],
  };
}

/** What a human reads about the duplicates. */
function duplicatesText(d: DuplicatesFound): string {
  const where =
    d.lines.length > 0 ? `lines ${d.lines.join(", ")}` : `records ${d.indexes.map((i) => `#${i + 1}`).join(", ")}`;
  return `${d.count} duplicate record id(s); the first, ${d.recordId}, on ${where}`;
}

/** The shared secret (flag or `ROAMLEDGER_SHARED_SECRET`); never printed. */
export function sharedSecret(ctx: Context, flag: string | undefined): string {
  const secret = flag ?? ctx.env.ROAMLEDGER_SHARED_SECRET;
  if (secret === undefined) {
    throw new CliUserError("the shared secret is needed: ROAMLEDGER_SHARED_SECRET or --secret", "secret");
  }
  return parseBytes32(secret, "secret");
}

export function register(program: Command, action: Action): void {
  const usage = program.command("usage").description("usage clearing: submit CDR files as batches");
  usage
    .command("submit <file>")
    .description(
      "ingest a CDR file (.csv, .ndjson, .jsonl, .json; streamed), build its batch (Merkle root) and submit it. " +
        "Nothing is sent if any record is invalid (each issue is listed with its line and field, exit 1). " +
        "Resumable: re-running after a crash asks the chain first and never submits twice.",
    )
    .requiredOption("--agreement <id>", "the agreement id (bytes32)")
    .requiredOption("--direction <0|1>", "0: party A is the visited network (charges B); 1: the reverse")
    .option("--secret <bytes32>", "the parties' shared secret (default: env ROAMLEDGER_SHARED_SECRET)")
    .option("--period-start <unix>", "start of the usage covered (default: the first event)")
    .option("--period-end <unix>", "end of the usage covered, exclusive (default: the last event + 1 s)")
    .option("--sequence <n>", "the batch's sequence (default: the lane's last + 1)")
    .option("--file-uri <uri>", "where the counterparty fetches the (encrypted) file", "")
    .option("--file-hash <bytes32>", "hash of the (encrypted) file (default: SHA-256 of the file)")
    .option("--format <csv|ndjson|json>", "the file's format (default: from its extension)")
    .option("--progress", "always draw the progress bar (default: files of 256 KiB and more, on a terminal)")
    .option("--no-progress", "never draw the progress bar")
    .option("--dry-run", "ingest and build the batch, print it, send nothing")
    .option(
      "--in-memory-max <MiB>",
      "files larger than this stream through the general path instead of being read whole for the fast one " +
        "(which needs about ten times the file's size in memory)",
      "128",
    )
    .option(
      "--allow-duplicates",
      "submit a file that holds a record id twice (by default it is refused, exit 1: the counterparty can prove " +
        "each duplicate as fraud)",
    )
    .action(action(submit));
}

async function submit(ctx: Context, file: string, opts: SubmitOptions): Promise<void> {
  const agreementId = parseBytes32(opts.agreement, "agreement");
  const direction = parseDirection(opts.direction);
  const secret = sharedSecret(ctx, opts.secret);
  const givenStart = opts.periodStart === undefined ? undefined : parseUint(opts.periodStart, "period-start");
  const givenEnd = opts.periodEnd === undefined ? undefined : parseUint(opts.periodEnd, "period-end");
  if (!ctx.hasKey && opts.dryRun !== true) await ctx.signer(); // fail fast on a missing key (exit 1)

  const view = await agreementView(ctx, agreementId, direction, givenStart);
  const { result, sha256 } = await readCdrBatchFile(ctx, file, {
    ...cdrIngestOptions(view, direction, secret),
    batchPeriod: givenStart !== undefined && givenEnd !== undefined ? { start: givenStart, end: givenEnd } : undefined,
    format: opts.format,
    progress: opts.progress,
    inMemoryMaxBytes: Number(parseUint(opts.inMemoryMax, "in-memory-max")) * 1024 * 1024,
  });
  // Duplicated record ids: each hands the counterparty a fraud proof. Refused (nothing sent, dry run included) unless
  // the user says so.
  const duplicates = await duplicatesOf(result, file, opts.format ?? cdrFormatOfPath(file));
  if (duplicates !== undefined) {
    if (opts.allowDuplicates !== true) {
      throw new DuplicateRecordsError(
        `${file}: ${duplicatesText(duplicates)}. The counterparty can prove each duplicate as fraud; nothing was ` +
          "sent. Remove them, or pass --allow-duplicates to submit the file as it is",
        "allow-duplicates",
        { ...duplicates },
      );
    }
    ctx.out.note(`warning: ${duplicatesText(duplicates)} (submitted anyway: --allow-duplicates)`);
  }
  const periodStart = givenStart ?? result.stats.firstEventStart ?? 0n;
  const periodEnd = givenEnd ?? (result.stats.lastEventStart ?? 0n) + 1n;
  const prepared = prepareBatch(result, {
    agreementId,
    direction,
    sequence: opts.sequence === undefined ? 1n : parseUint(opts.sequence, "sequence"),
    periodStart,
    periodEnd,
    baseTariff: view.baseTariffId,
    fileHash: opts.fileHash === undefined ? sha256 : parseBytes32(opts.fileHash, "file-hash"),
  });
  const root = prepared.header.root;
  const stats = result.stats;
  const summary = {
    file: path.resolve(file),
    records: stats.valid,
    root,
    periodStart,
    periodEnd,
    outOfBatchPeriod: stats.outOfBatchPeriod,
    duplicateRecordIds: stats.duplicateRecordIds,
    ...(duplicates === undefined ? {} : { duplicates }),
    uncoveredService: stats.uncoveredService,
  };
  ctx.out.note(`${stats.valid} records, root ${root}`);

  const provider = await ctx.provider();
  const { clearing: clearingAddress } = await ctx.addresses();
  const contract = UsageClearing__factory.connect(clearingAddress, provider);
  const journal = new JournalFile(path.join(await ctx.journalDir(), `${root}.json`));

  // 1. A transaction sent by an earlier run: ask the chain what became of it (wait, or rebroadcast the same bytes).
  const earlier = journal.read();
  if (earlier?.state === "sent" && earlier.tx !== undefined) {
    ctx.out.note(`journal: an earlier run sent ${earlier.tx.hash} (nonce ${earlier.tx.nonce}); asking the chain`);
    const settled = await settleSent(provider, earlier.tx);
    journal.update({
      state: settled.status === "success" ? "done" : settled.status === "dropped" ? "dropped" : "failed",
    });
  }

  // 2. The root stored already: reported, nothing sent.
  const stored = await batchOfLaneRoot(ctx, contract, agreementId, direction, root);
  if (stored !== undefined) {
    if (earlier !== undefined) journal.update({ state: "done", result: { batchId: stored } });
    const batch = await new ClearingClient(clearingAddress, provider).getBatch(stored);
    ctx.out.result(
      { status: "already-submitted", batchId: stored, batchStatus: batch.status, charge: batch.charge, ...summary },
      [`already submitted: batch ${stored} (${batch.status}) holds root ${root}; nothing sent`],
    );
    return;
  }

  // 3. A new submission: the next sequence of the lane, journaled before anything is sent.
  const sequence =
    opts.sequence === undefined
      ? (await contract.lane(agreementId, direction)).sequence + 1n
      : prepared.header.sequence;
  const header = { ...prepared.header, sequence };
  const batchId = batchIdOf(header);
  if (opts.dryRun === true) {
    // The charge the contract would rate now: each service at the margin of its period's volumes so far.
    const tariff = view.baseTariff;
    const period = (periodStart - BigInt(view.terms.validFrom)) / BigInt(view.terms.periodLength);
    const before = await contract.periodVolumes(agreementId, direction, period, tariff.plans.length);
    const decimals = await tokenDecimals(provider, view.terms.token);
    const services = header.services.map((service) => Number(service));
    const charge = batchCharge(tariff.plans, [...before], services, header.volumes, decimals);
    const chargeDecimal = tokenDecimal(charge, decimals);
    ctx.out.result({ status: "dry-run", batchId, sequence, charge, chargeDecimal, header, ...summary }, [
      `dry run: batch ${batchId} (sequence ${sequence}), ${stats.valid} records, root ${root}; nothing sent`,
      `  charge if submitted now: ${chargeDecimal} (token ${view.terms.token})`,
      ...(duplicates === undefined ? [] : [`  ${duplicatesText(duplicates)} (allowed: --allow-duplicates)`]),
    ]);
    return;
  }
  // The terms in force must be cached in clearing first (once per agreement and terms version). This is its own
  // transaction, idempotent and not journaled: a re-run finds the terms cached and sends nothing.
  await ensureTermsCached(ctx, new ClearingClient(clearingAddress, await ctx.signer()), view, direction);
  const intent = { command: "usage submit", agreementId, direction, root, batchId, file: summary.file };
  journal.write({ kind: "usage-submit", state: "prepared", intent: { ...intent, header } });
  const signer = new JournalingSigner(await ctx.signer(), (tx) => journal.update({ state: "sent", tx }), ctx.env);
  let submitted;
  try {
    submitted = await new ClearingClient(clearingAddress, signer).submitBatch(header, { fileURI: opts.fileUri });
  } catch (error) {
    if (journal.read()?.state === "prepared") journal.update({ state: "failed" });
    throw error; // a "sent" entry stays: the next run settles it with the chain first
  }
  journal.update({
    state: "done",
    result: { batchId, charge: submitted.charge, finalAt: submitted.finalAt, txHash: submitted.receipt.hash },
  });
  ctx.out.result(
    {
      status: "submitted",
      batchId,
      sequence,
      charge: submitted.charge,
      finalAt: submitted.finalAt,
      txHash: submitted.receipt.hash,
      ...summary,
    },
    [
      `submitted batch ${batchId} (sequence ${sequence}): ${stats.valid} records, charge ` +
        `${tokenDecimal(submitted.charge, await tokenDecimals(provider, view.terms.token))}, window ends ` +
        `${isoTime(submitted.finalAt)}`,
      `  tx ${submitted.receipt.hash}`,
    ],
  );
}
