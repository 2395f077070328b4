/**
 * `roamledger reconcile` and `roamledger dispute`: the home network checks a visited network's batch file against its
 * own records (SDK `reconcileBatches`), then proves the fraud and raises the disputes on chain.
 */
import type { Command } from "commander";

import {
  prepareBatch,
  ClearingClient,
  FraudKind,
  buildDisputes,
  buildFraudProofs,
  reconcileBatches,
  type ReconcileBatch,
  type ReconciliationReport,
  type BatchHeader,
} from "@roamledger/sdk";
import {
  agreementView,
  cdrIngestOptions,
  headerOfRoot,
  parseBytes32,
  parseDirection,
  type AgreementView,
} from "../chain";
import { readCdrFile } from "../cdrfile";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { crashPoint } from "../journal";
import type { Action } from "../program";
import { sharedSecret } from "./usage";

interface ReconcileOptions {
  home: string;
  agreement: string;
  direction: string;
  secret?: string;
  progress?: boolean;
}

function options(command: Command): Command {
  return command
    .requiredOption("--home <file>", "the home network's own records of the period (CDR file)")
    .requiredOption("--agreement <id>", "the agreement id (bytes32)")
    .requiredOption("--direction <0|1>", "the direction of the batch")
    .option("--secret <bytes32>", "the parties' shared secret (default: env ROAMLEDGER_SHARED_SECRET)")
    .option("--progress", "always draw the progress bar");
}

export function register(program: Command, action: Action): void {
  options(
    program
      .command("reconcile <batchFile>")
      .description(
        "reconcile the visited network's batch file (its batch found on chain by root) against the home records: " +
          "matched, mismatched, extra, missing, the provable fraud and the disputes; sends nothing",
      ),
  ).action(action(reconcile));
  options(
    program
      .command("dispute <batchFile>")
      .description(
        "reconcile as `reconcile` does, then send the fraud proofs and the disputes it built (home network). " +
          "Safe to re-run: records the batch marks as challenged already (by an earlier run) are skipped and " +
          "reported, so nothing is sent twice; with nothing missing it sends nothing (exit 0)",
      ),
  ).action(action(dispute));
}

interface Reconciled {
  view: AgreementView;
  header: BatchHeader;
  batch: ReconcileBatch;
  report: ReconciliationReport;
}

async function run(ctx: Context, batchFile: string, opts: ReconcileOptions): Promise<Reconciled> {
  const agreementId = parseBytes32(opts.agreement, "agreement");
  const direction = parseDirection(opts.direction);
  const secret = sharedSecret(ctx, opts.secret);
  const view = await agreementView(ctx, agreementId, direction);
  const ingest = { ...cdrIngestOptions(view, direction, secret), progress: opts.progress };
  const { result } = await readCdrFile(ctx, batchFile, ingest);
  const prepared = prepareBatch(result, {
    agreementId,
    direction,
    sequence: 1n,
    periodStart: 0n,
    periodEnd: 1n,
    baseTariff: view.baseTariffId,
    fileHash: `0x${"00".repeat(32)}`,
  });
  const found = await headerOfRoot(ctx, agreementId, direction, prepared.header.root);
  if (found === undefined) {
    throw new CliUserError(`no batch of the lane has the root of ${batchFile} (${prepared.header.root})`, "batchFile");
  }
  const home = await readCdrFile(ctx, opts.home, ingest);
  const subscribers = new Set(home.result.records.map((r) => r.subscriberHash));
  const clearing = new ClearingClient((await ctx.addresses()).clearing, await ctx.provider());
  const batch: ReconcileBatch = {
    batchId: found.batchId,
    sequence: BigInt(found.header.sequence),
    periodStart: BigInt(found.header.periodStart),
    periodEnd: BigInt(found.header.periodEnd),
    leaves: prepared.leaves,
    tree: prepared.tree,
    final: await clearing.isFinal(found.batchId),
  };
  const report = reconcileBatches({
    home: { subscribers, records: home.result.leaves },
    batches: [batch],
    increments: new Map(view.baseTariff.plans.map((p) => [p.service, p.increment])),
    validity: { from: view.terms.validFrom, until: view.terms.validUntil },
  });
  return { view, header: found.header, batch, report };
}

/** A fraud kind's name (read when a command runs: the SDK is not loaded to register the commands). */
const kindName = (kind: number): string =>
  Object.entries(FraudKind).find(([, value]) => value === kind)?.[0] ?? String(kind);

function summary(r: Reconciled) {
  const count = <T>(list: readonly T[], key: (x: T) => string) =>
    list.reduce<Record<string, number>>((acc, x) => ({ ...acc, [key(x)]: (acc[key(x)] ?? 0) + 1 }), {});
  return {
    batchId: r.batch.batchId,
    sequence: r.batch.sequence,
    final: r.batch.final,
    records: r.batch.leaves.length,
    matched: r.report.matched.length,
    mismatched: r.report.mismatched.length,
    extra: r.report.extra.length,
    missing: r.report.missing.length,
    fraud: r.report.fraud.length,
    fraudByKind: count(r.report.fraud, (f) => kindName(f.kind)),
    disputes: r.report.disputes.length,
    disputesByCode: count(r.report.disputes, (d) => String(d.code)),
    late: r.report.lateFindings.fraud.length + r.report.lateFindings.disputes.length,
  };
}

function summaryLines(s: ReturnType<typeof summary>): string[] {
  return [
    `batch ${s.batchId} (sequence ${s.sequence}${s.final ? ", final" : ""}): ${s.records} records`,
    `  matched ${s.matched}, mismatched ${s.mismatched}, extra ${s.extra}, missing ${s.missing}`,
    `  provable fraud ${s.fraud}${
      s.fraud > 0
        ? ` (${Object.entries(s.fraudByKind)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")})`
        : ""
    }`,
    `  disputes ${s.disputes}${
      s.disputes > 0
        ? ` (codes ${Object.entries(s.disputesByCode)
            .map(([k, n]) => `${k}: ${n}`)
            .join(", ")})`
        : ""
    }`,
    ...(s.late > 0 ? [`  ${s.late} finding(s) too late: the batch is final`] : []),
  ];
}

async function reconcile(ctx: Context, batchFile: string, opts: ReconcileOptions): Promise<void> {
  const r = await run(ctx, batchFile, opts);
  const s = summary(r);
  ctx.out.result(
    {
      ...s,
      fraudFindings: r.report.fraud.map((f) => ({
        kind: kindName(f.kind),
        index: f.leaf.index,
        recordId: f.leaf.recordId,
      })),
      disputeFindings: r.report.disputes.map((d) => ({ code: d.code, index: d.leaf.index, recordId: d.leaf.recordId })),
    },
    summaryLines(s),
  );
}

/**
 * Sends what the reconciliation found and the chain does not have yet. Safe to re-run (after a crash, or when done): a
 * record the batch marks as challenged already (proven as fraud or disputed by an earlier run) is skipped, so nothing
 * is sent twice and a re-run with nothing missing sends nothing.
 */
async function dispute(ctx: Context, batchFile: string, opts: ReconcileOptions): Promise<void> {
  if (!ctx.hasKey) await ctx.signer(); // fail fast (exit 1) before reading files
  const r = await run(ctx, batchFile, opts);
  const clearing = new ClearingClient((await ctx.addresses()).clearing, await ctx.runner());

  // What the chain has already: the challenge marks of the records the report would send.
  const findings = [...r.report.fraud, ...r.report.disputes];
  const challenged = await clearing.challengedOf(
    r.batch.batchId,
    findings.map((f) => f.leaf.index),
  );
  const missing = (f: (typeof findings)[number]) => !challenged.has(BigInt(f.leaf.index));
  const todo: ReconciliationReport = {
    ...r.report,
    fraud: r.report.fraud.filter(missing),
    disputes: r.report.disputes.filter(missing),
  };
  const skipped = {
    proofs: r.report.fraud.length - todo.fraud.length,
    disputedRecords: r.report.disputes.length - todo.disputes.length,
  };
  if (skipped.proofs + skipped.disputedRecords > 0) {
    ctx.out.note(
      `already on chain: ${skipped.proofs} fraud proof(s) and ${skipped.disputedRecords} disputed record(s); not sent again`,
    );
  }

  const txs: string[] = [];
  for (const proof of buildFraudProofs(todo, [r.batch])) {
    const record = { leaf: proof.leaf, proof: proof.proof };
    const receipt =
      proof.kind === FraudKind.Duplicate
        ? await clearing.proveDuplicate(r.header, { leaf: proof.keptLeaf, proof: proof.keptProof }, r.header, record)
        : await clearing.proveFraud(proof.kind, r.header, record);
    txs.push(receipt.hash);
  }
  crashPoint("after-proofs", ctx.env);
  const disputes = buildDisputes(todo, [r.batch]);
  for (const d of disputes) txs.push((await clearing.dispute(r.header, d, d.codes)).hash);

  const state = await clearing.getBatch(r.batch.batchId);
  const s = summary(r);
  const status = txs.length > 0 ? "sent" : findings.length > 0 ? "already-done" : "nothing-to-send";
  ctx.out.result(
    {
      ...s,
      status,
      proofsSent: todo.fraud.length,
      disputeCalls: disputes.length,
      disputedRecordsSent: todo.disputes.length,
      skipped,
      txHashes: txs,
      batch: state,
    },
    [
      ...summaryLines(s),
      `sent ${todo.fraud.length} fraud proof(s) and ${disputes.length} dispute call(s)` +
        (skipped.proofs + skipped.disputedRecords > 0
          ? `; skipped ${skipped.proofs} proof(s) and ${skipped.disputedRecords} disputed record(s) already on chain`
          : "") +
        `; batch now charges ${state.charge}, holds ${state.held}`,
    ],
  );
}
