/**
 * `roamledger batch reject` (the home network rejects a pending batch whole) and `batch return` (record-level fraud
 * proofs take records out of a pending batch). Safe to re-run: a rejected batch, or records already challenged on
 * chain, are reported (`already-done`) and nothing is sent for them again.
 */
import type { Command } from "commander";

import {
  prepareBatch,
  AgreementsClient,
  ClearingClient,
  type BatchInfo,
  unitsToDecimal,
  buildFraudProofs,
  FraudKind,
  reconcileBatches,
  RejectCode,
} from "@roamledger/sdk";
import { agreementView, cdrIngestOptions, parseBytes32, publishedTariff } from "../chain";
import { readCdrFile } from "../cdrfile";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { readEvents } from "../events";
import { laneBatch, stateOf } from "../lane";
import type { Action } from "../program";
import { afterEarlierRuns } from "../resume";
import { sharedSecret } from "./usage";

/** A reject code's name (read when a command runs: the SDK is not loaded to register the commands). */
const rejectName = (code: number): string | undefined =>
  Object.entries(RejectCode).find(([, value]) => value === code)?.[0];
/** A fraud kind's name. */
const fraudName = (kind: number): string =>
  Object.entries(FraudKind).find(([, value]) => value === kind)?.[0] ?? String(kind);

export function register(program: Command, action: Action): void {
  const batch = program.commands.find((c) => c.name() === "batch") ?? program.command("batch");
  batch
    .command("reject <agreementId> <direction> <root>")
    .description(
      "reject a pending batch whole inside its window (home network): its charge and held part are dropped and " +
        "what it still counts leaves its period; re-run: nothing sent once rejected",
    )
    .requiredOption("--reason <code|name>", "100 FileUnreadable, 101 WrongRecipient, 102 TotalsMismatch, 109 Other")
    .action(action(reject));
  batch
    .command("return <agreementId> <direction> <root>")
    .description(
      "take records out of a pending batch with fraud proofs (anyone): duplicates in the file, records outside the " +
        "period, bad increments, services the tariff does not cover; re-run: records already challenged are skipped",
    )
    .requiredOption("--file <cdrFile>", "the batch's CDR file (its Merkle root must be the batch's)")
    .requiredOption("--records <ids>", "comma-separated record ids (bytes32) or record indexes in the file")
    .option("--secret <bytes32>", "the parties' shared secret (default: env ROAMLEDGER_SHARED_SECRET)")
    .action(action(returnRecords));
}

/*//////////////////////////////////////////////////////////////////////////
                                    REJECT
//////////////////////////////////////////////////////////////////////////*/

/** A `--reason` value: a reject code (100, 101, 102, 109) or its name (any case). */
export function parseRejectReason(value: string): number {
  const byName = Object.entries(RejectCode).find(([name]) => name.toLowerCase() === value.toLowerCase());
  if (byName !== undefined) return byName[1];
  if (/^[0-9]+$/.test(value) && rejectName(Number(value)) !== undefined) return Number(value);
  const allowed = Object.entries(RejectCode)
    .map(([name, code]) => `${code} ${name}`)
    .join(", ");
  throw new CliUserError(`reason: must be one of ${allowed} (got ${JSON.stringify(value)})`, "reason");
}

async function reject(ctx: Context, a: string, d: string, r: string, opts: { reason: string }): Promise<void> {
  const reasonCode = parseRejectReason(opts.reason);
  const lane = await laneBatch(ctx, a, d, r);
  const { batchId, before, decimals } = lane;
  const alreadyRejected = async (b: BatchInfo): Promise<void> => {
    const events = await readEvents(ctx, (from, to) =>
      lane.contract.queryFilter(lane.contract.filters.BatchRejected(batchId), from, to),
    );
    const code = events.length > 0 ? Number(events[0].args.reasonCode) : undefined;
    ctx.out.result(
      {
        status: "already-done",
        batchId,
        reasonCode: code,
        reason: code === undefined ? undefined : rejectName(code),
        ...stateOf(b, decimals),
      },
      [
        `batch ${batchId} is Rejected already` +
          (code === undefined ? "" : ` (reason ${code} ${rejectName(code)})`) +
          ": nothing sent",
      ],
    );
  };
  if (before.status === "Rejected") return alreadyRejected(before);
  // What leaves the period: the batch's volumes less what its challenged records took already (kept per batch).
  const { header } = lane;
  const { agreements } = await ctx.addresses();
  const tariff = await publishedTariff(ctx, new AgreementsClient(agreements, await ctx.provider()), header.baseTariff);
  const volumes = await lane.reader.batchVolumes(header, tariff.plans.length);
  const leaving = tariff.plans.map((p, i) => ({ service: Number(p.service), volume: volumes[i] }));
  // The contract checks the batch's totals (as submitted, rebuilt from its submission) against the header.
  const receipt = await afterEarlierRuns(ctx, "batch reject", async (signer) => {
    if ((await lane.reader.getBatch(batchId)).status === "Rejected") return undefined; // an earlier run's, now mined
    return new ClearingClient(lane.address, signer).reject(header, reasonCode);
  });
  const after = await lane.reader.getBatch(batchId);
  if (receipt === undefined) return alreadyRejected(after);
  ctx.out.result(
    {
      status: "sent",
      batchId,
      reasonCode,
      reason: rejectName(reasonCode),
      chargeDropped: before.charge,
      chargeDroppedDecimal: unitsToDecimal(before.charge, decimals),
      heldDropped: before.held,
      volumesLeft: leaving.filter((v) => v.volume > 0n),
      ...stateOf(after, decimals),
      txHash: receipt.hash,
    },
    [
      `rejected batch ${batchId} (reason ${reasonCode} ${rejectName(reasonCode)}): ` +
        `charge ${unitsToDecimal(before.charge, decimals)} and held ${unitsToDecimal(before.held, decimals)} dropped`,
      `  tx ${receipt.hash}`,
    ],
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                    RETURN
//////////////////////////////////////////////////////////////////////////*/

/** `--records`: record ids (bytes32) and record indexes (integers), comma-separated. */
function parseRecords(value: string): { ids: Set<string>; indexes: Set<bigint> } {
  const ids = new Set<string>();
  const indexes = new Set<bigint>();
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) throw new CliUserError("records: give at least one record id or index", "records");
  for (const part of parts) {
    if (/^[0-9]+$/.test(part)) indexes.add(BigInt(part));
    else ids.add(parseBytes32(part, "records"));
  }
  return { ids, indexes };
}

async function returnRecords(
  ctx: Context,
  a: string,
  d: string,
  r: string,
  opts: { file: string; records: string; secret?: string },
): Promise<void> {
  const wanted = parseRecords(opts.records);
  const secret = sharedSecret(ctx, opts.secret);
  const lane = await laneBatch(ctx, a, d, r);
  const { batchId, header, decimals } = lane;
  const direction = Number(header.direction) as 0 | 1;
  const view = await agreementView(ctx, header.agreementId, direction, BigInt(header.periodStart));
  const { result } = await readCdrFile(ctx, opts.file, cdrIngestOptions(view, direction, secret));
  const prepared = prepareBatch(result, {
    agreementId: header.agreementId,
    direction,
    sequence: header.sequence,
    periodStart: header.periodStart,
    periodEnd: header.periodEnd,
    baseTariff: header.baseTariff,
    fileHash: header.fileHash,
  });
  if (prepared.header.root.toLowerCase() !== header.root.toLowerCase()) {
    throw new CliUserError(
      `file: the Merkle root of ${opts.file} is ${prepared.header.root}, not the batch's ${header.root}`,
      "file",
    );
  }

  // The fraud the contract judges, found by the SDK's reconciliation of the batch alone (every subscriber known).
  const reconcileBatch = {
    batchId,
    sequence: BigInt(header.sequence),
    periodStart: BigInt(header.periodStart),
    periodEnd: BigInt(header.periodEnd),
    leaves: prepared.leaves,
    tree: prepared.tree,
    final: false, // the contract judges the window: a closed one is refused with its decoded error
  };
  const report = reconcileBatches({
    home: { subscribers: new Set(prepared.leaves.map((l) => l.subscriberHash)) },
    batches: [reconcileBatch],
    increments: new Map(view.baseTariff.plans.map((p) => [p.service, p.increment])),
    validity: { from: view.terms.validFrom, until: view.terms.validUntil },
  });
  const selected = report.fraud.filter(
    (f) => wanted.indexes.has(BigInt(f.leaf.index)) || wanted.ids.has(f.leaf.recordId.toLowerCase()),
  );
  const shown = new Set([...selected.map((f) => BigInt(f.leaf.index))]);
  const selectedIds = new Set(selected.map((f) => f.leaf.recordId.toLowerCase()));
  const unproven = [
    ...[...wanted.indexes].filter((i) => !shown.has(i)).map(String),
    ...[...wanted.ids].filter((id) => !selectedIds.has(id)),
  ];
  if (unproven.length > 0) {
    const outOfFile = [...wanted.indexes].filter((i) => i >= BigInt(prepared.leaves.length));
    throw new CliUserError(
      outOfFile.length > 0
        ? `records: the file has ${prepared.leaves.length} records, no index ${outOfFile.join(", ")}`
        : `records: no fraud the contract judges shows in ${unproven.join(", ")} ` +
            "(a duplicate's first copy is kept: give the later copies; dispute the others with `dispute`)",
      "records",
      { unproven },
    );
  }

  const { challenged, txs } = await afterEarlierRuns(ctx, "batch return", async (signer) => {
    const marked = await lane.reader.challengedOf(
      batchId,
      selected.map((f) => f.leaf.index),
    );
    const todo = selected.filter((f) => !marked.has(BigInt(f.leaf.index)));
    const hashes: string[] = [];
    const clearing = new ClearingClient(lane.address, signer);
    for (const proof of buildFraudProofs({ ...report, fraud: todo }, [reconcileBatch])) {
      const record = { leaf: proof.leaf, proof: proof.proof };
      const receipt =
        proof.kind === FraudKind.Duplicate
          ? await clearing.proveDuplicate(header, { leaf: proof.keptLeaf, proof: proof.keptProof }, header, record)
          : await clearing.proveFraud(proof.kind, header, record);
      hashes.push(receipt.hash);
    }
    return { challenged: marked, txs: hashes };
  });
  const skipped = challenged.size;
  const after = await lane.reader.getBatch(batchId);
  const records = selected.map((f) => ({
    index: f.leaf.index,
    recordId: f.leaf.recordId,
    kind: fraudName(f.kind),
    sent: !challenged.has(BigInt(f.leaf.index)),
  }));
  ctx.out.result(
    {
      status: txs.length > 0 ? "sent" : "already-done",
      batchId,
      proofsSent: txs.length,
      skipped,
      records,
      ...stateOf(after, decimals),
      txHashes: txs,
    },
    [
      `batch ${batchId}: ${txs.length} record(s) returned with fraud proofs` +
        (skipped > 0 ? `, ${skipped} already challenged on chain (not sent again)` : ""),
      ...records.map((x) => `  #${x.index} ${x.kind} ${x.recordId}${x.sent ? "" : " (already challenged)"}`),
      `  batch now charges ${unitsToDecimal(after.charge, decimals)}, holds ${unitsToDecimal(after.held, decimals)}`,
    ],
  );
}
