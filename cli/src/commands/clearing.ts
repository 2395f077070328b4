/**
 * The clearing steps of `roamledger batch` beyond show/accept/finalize: `list` (a lane's batches from the clearing
 * contract's events, paged by block ranges), `reject` (the home network rejects a batch whole), `return` (record-level
 * fraud proofs that take records out of a batch), `resolution sign` and `resolve` (both parties settle a held part).
 * Every write is safe to re-run: what the chain already has is reported (`already-done`) and not sent again.
 *
 * Escalation has no entry point for the parties: a held part the parties do not resolve becomes the arbiter's to
 * decide once `finalAt + escalationTimeout` has passed (`resolveEscalated`, restricted to the arbiter role, outside
 * this CLI). `list` and `resolution sign` print that time (`escalationDueAt`).
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { verifyTypedData, ZeroAddress } from "ethers";

import {
  prepareBatch,
  AgreementsClient,
  BATCH_STATUS,
  ClearingClient,
  type BatchInfo,
  RegistryClient,
  decimalToUnits,
  unitsToDecimal,
  buildFraudProofs,
  FraudKind,
  reconcileBatches,
  RejectCode,
  type UsageClearing,
  UsageClearing__factory,
  RESOLUTION_TYPES,
  signResolution,
  type BatchHeader,
  type Resolution,
} from "@roamledger/sdk";
import {
  agreementView,
  headerOfRoot,
  parseBytes32,
  parseDirection,
  parseUint,
  publishedTariff,
  tokenDecimals,
} from "../chain";
import { readCdrFile } from "../cdrfile";
import type { Context } from "../context";
import { isoTime as iso } from "../format";
import { CliUserError } from "../errors";
import { asObject, readJsonFile, toJson } from "../json";
import type { Action } from "../program";
import { afterEarlierRuns } from "../resume";
import { sharedSecret } from "./usage";

/** Blocks per `eth_getLogs` request of `batch list` unless `--block-range` says otherwise. */
export const DEFAULT_BLOCK_RANGE = 10_000n;

const REJECT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RejectCode).map(([k, v]) => [v, k]));
const FRAUD_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FraudKind).map(([k, v]) => [v, k]));

export function register(program: Command, action: Action): void {
  const batch = program.commands.find((c) => c.name() === "batch") ?? program.command("batch");
  batch
    .command("list <agreementId>")
    .description("the agreement's batches (from BatchSubmitted events): root, status, charge, times (ISO-8601 UTC)")
    .option("--direction <0|1>", "only this direction")
    .option("--status <status>", `only this status (${BATCH_STATUS.slice(1).join(", ")})`)
    .option("--from-block <n>", "first block to search (default 0)")
    .option("--to-block <n>", "last block to search (default: the latest)")
    .option("--block-range <n>", `blocks per log request, for RPCs that limit it (default ${DEFAULT_BLOCK_RANGE})`)
    .action(action(list));
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
  const resolution = batch
    .command("resolution")
    .description("resolutions of a batch's held (disputed) part, signed by both parties");
  resolution
    .command("sign <agreementId> <direction> <root>")
    .description("sign Resolution(batchId, round, disputed, held, payAmount) of the batch as it is now, and write it")
    .requiredOption("--pay <decimal>", "what is paid of the held part, in tokens (exact decimal); the rest is waived")
    .option("--out <file>", "write the signed resolution there (default: print it)")
    .action(action(signResolutionCommand));
  batch
    .command("resolve <agreementId> <direction> <root>")
    .description(
      "settle the held part with the partner's signed resolution (--signature-file) and this key's signature; " +
        "refused (nothing sent) when the batch moved since it was signed; re-run: nothing sent once resolved",
    )
    .requiredOption("--signature-file <json>", "the partner's signed resolution (`batch resolution sign --out`)")
    .action(action(resolve));
}

/*//////////////////////////////////////////////////////////////////////////
                                   HELPERS
//////////////////////////////////////////////////////////////////////////*/

interface LaneBatch {
  batchId: string;
  header: BatchHeader;
  address: string;
  reader: ClearingClient;
  contract: UsageClearing;
  before: BatchInfo;
  token: string;
  decimals: number;
}

/** The batch of (agreement, direction) with `root`, its state, and the lane's token. */
async function laneBatch(ctx: Context, agreementArg: string, directionArg: string, rootArg: string) {
  const agreementId = parseBytes32(agreementArg, "agreementId");
  const direction = parseDirection(directionArg);
  const root = parseBytes32(rootArg, "root");
  const found = await headerOfRoot(ctx, agreementId, direction, root);
  if (found === undefined) {
    throw new CliUserError(`no batch of agreement ${agreementId}, direction ${direction} has root ${root}`, "root");
  }
  const address = (await ctx.addresses()).clearing;
  const provider = await ctx.provider();
  const reader = new ClearingClient(address, provider);
  const contract = UsageClearing__factory.connect(address, provider);
  const { token, decimals } = await laneToken(ctx, contract, agreementId);
  const before = await reader.getBatch(found.batchId);
  return { ...found, address, reader, contract, before, token, decimals } satisfies LaneBatch;
}

async function laneToken(
  ctx: Context,
  contract: UsageClearing,
  agreementId: string,
): Promise<{ token: string; decimals: number }> {
  const config = await contract.clearingConfig(agreementId);
  if (config.token === ZeroAddress) {
    throw new CliUserError(`agreement ${agreementId} is not in clearing on this chain`, "agreementId");
  }
  return { token: config.token, decimals: await tokenDecimals(await ctx.provider(), config.token) };
}

/** A batch's state as the commands print it (amounts in token units and as decimals). */
function stateOf(b: BatchInfo, decimals: number) {
  return {
    batchStatus: b.status,
    charge: b.charge,
    chargeDecimal: unitsToDecimal(b.charge, decimals),
    held: b.held,
    heldDecimal: unitsToDecimal(b.held, decimals),
    disputed: b.disputed,
    round: b.round,
    finalAt: iso(b.finalAt),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                     LIST
//////////////////////////////////////////////////////////////////////////*/

interface ListOptions {
  direction?: string;
  status?: string;
  fromBlock?: string;
  toBlock?: string;
  blockRange?: string;
}

/** A `--status` value: a `BatchStatus` name (any case). */
export function parseStatus(value: string): BatchInfo["status"] {
  const found = BATCH_STATUS.slice(1).find((s) => s.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new CliUserError(
      `status: must be one of ${BATCH_STATUS.slice(1).join(", ")} (got ${JSON.stringify(value)})`,
      "status",
    );
  }
  return found;
}

async function list(ctx: Context, agreementArg: string, opts: ListOptions): Promise<void> {
  const agreementId = parseBytes32(agreementArg, "agreementId");
  const direction = opts.direction === undefined ? undefined : parseDirection(opts.direction);
  const status = opts.status === undefined ? undefined : parseStatus(opts.status);
  const fromBlock = parseUint(opts.fromBlock ?? "0", "from-block");
  const range = parseUint(opts.blockRange ?? String(DEFAULT_BLOCK_RANGE), "block-range");
  if (range === 0n) throw new CliUserError('block-range: must be at least 1 (got "0")', "block-range");
  const provider = await ctx.provider();
  const latest = BigInt(await provider.getBlockNumber());
  const toBlock = opts.toBlock === undefined ? latest : parseUint(opts.toBlock, "to-block");
  if (toBlock < fromBlock) {
    const field = opts.toBlock === undefined ? "from-block" : "to-block";
    throw new CliUserError(`${field}: the range ${fromBlock}..${toBlock} is empty (latest block ${latest})`, field);
  }
  const address = (await ctx.addresses()).clearing;
  const contract = UsageClearing__factory.connect(address, provider);
  const reader = new ClearingClient(address, provider);
  const { token, decimals } = await laneToken(ctx, contract, agreementId);
  const timeout = await contract.escalationTimeout();
  const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);

  const filter = contract.filters.BatchSubmitted(undefined, agreementId, direction);
  const events = [];
  let requests = 0;
  for (let start = fromBlock; start <= toBlock; start += range) {
    const end = start + range - 1n < toBlock ? start + range - 1n : toBlock;
    events.push(...(await contract.queryFilter(filter, Number(start), Number(end))));
    requests++;
  }
  const times = new Map<number, bigint>();
  const batches = [];
  for (const e of events) {
    const b = await reader.getBatch(e.args.batchId);
    if (status !== undefined && b.status !== status) continue;
    if (!times.has(e.blockNumber)) {
      times.set(e.blockNumber, BigInt((await provider.getBlock(e.blockNumber))?.timestamp ?? 0));
    }
    batches.push({
      batchId: e.args.batchId,
      direction: Number(e.args.direction),
      sequence: e.args.sequence,
      period: e.args.period,
      root: e.args.root,
      ...stateOf(b, decimals),
      final: b.status === "Final" || b.status === "Accepted" || (b.status === "Pending" && now >= b.finalAt),
      taxes: e.args.taxes,
      taxesDecimal: unitsToDecimal(e.args.taxes, decimals),
      submittedAt: iso(times.get(e.blockNumber) as bigint),
      escalationDueAt: b.held > 0n ? iso(b.finalAt + timeout) : undefined,
      fileURI: e.args.fileURI,
      blockNumber: e.blockNumber,
      txHash: e.transactionHash,
    });
  }
  ctx.out.result(
    { agreementId, token, decimals, fromBlock, toBlock, blockRange: range, requests, count: batches.length, batches },
    [
      `${batches.length} batch(es) of agreement ${agreementId} in blocks ${fromBlock}..${toBlock} (token ${token})`,
      ...batches.map(
        (b) =>
          `  d${b.direction} #${b.sequence} ${b.batchStatus}${b.final && b.batchStatus === "Pending" ? " (final by time)" : ""}` +
          ` charge ${b.chargeDecimal} held ${b.heldDecimal} root ${b.root} submitted ${b.submittedAt} window ends ${b.finalAt}`,
      ),
    ],
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                    REJECT
//////////////////////////////////////////////////////////////////////////*/

/** A `--reason` value: a reject code (100, 101, 102, 109) or its name (any case). */
export function parseRejectReason(value: string): number {
  const byName = Object.entries(RejectCode).find(([name]) => name.toLowerCase() === value.toLowerCase());
  if (byName !== undefined) return byName[1];
  if (/^[0-9]+$/.test(value) && REJECT_NAMES[Number(value)] !== undefined) return Number(value);
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
    const events = await lane.contract.queryFilter(lane.contract.filters.BatchRejected(batchId), 0);
    const code = events.length > 0 ? Number(events[0].args.reasonCode) : undefined;
    ctx.out.result(
      {
        status: "already-done",
        batchId,
        reasonCode: code,
        reason: code === undefined ? undefined : REJECT_NAMES[code],
        ...stateOf(b, decimals),
      },
      [
        `batch ${batchId} is Rejected already` +
          (code === undefined ? "" : ` (reason ${code} ${REJECT_NAMES[code]})`) +
          ": nothing sent",
      ],
    );
  };
  if (before.status === "Rejected") return alreadyRejected(before);
  // What leaves the period: the batch's volumes less what its challenged records took already (kept per batch).
  const { header } = lane;
  const { agreements } = await ctx.addresses();
  const tariff = await publishedTariff(new AgreementsClient(agreements, await ctx.provider()), header.baseTariff);
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
      reason: REJECT_NAMES[reasonCode],
      chargeDropped: before.charge,
      chargeDroppedDecimal: unitsToDecimal(before.charge, decimals),
      heldDropped: before.held,
      volumesLeft: leaving.filter((v) => v.volume > 0n),
      ...stateOf(after, decimals),
      txHash: receipt.hash,
    },
    [
      `rejected batch ${batchId} (reason ${reasonCode} ${REJECT_NAMES[reasonCode]}): ` +
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
  const { result } = await readCdrFile(ctx, opts.file, {
    agreementId: header.agreementId,
    direction,
    sharedSecret: secret,
    validFrom: view.terms.validFrom,
    validUntil: view.terms.validUntil,
    periodLength: view.terms.periodLength,
    tariff: view.baseTariff,
  });
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
    kind: FRAUD_NAMES[f.kind],
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

/*//////////////////////////////////////////////////////////////////////////
                                  RESOLUTION
//////////////////////////////////////////////////////////////////////////*/

/** The signed resolution file `resolution sign` writes and `resolve` reads. */
interface SignedResolution {
  resolution: Resolution;
  signature: string;
  signer: string;
  /** "hpmn" or "vpmn": which party's key signed it. */
  party: "hpmn" | "vpmn";
  operatorId: bigint;
}

/** Which party of the lane `address` is an active signer key of (the visited network charges on its direction). */
async function partyOf(
  ctx: Context,
  agreementId: string,
  direction: 0 | 1,
  address: string,
  field: string,
): Promise<{ party: "hpmn" | "vpmn"; operatorId: bigint }> {
  const view = await agreementView(ctx, agreementId, direction);
  const vpmn = direction === 0 ? view.partyA : view.partyB;
  const hpmn = direction === 0 ? view.partyB : view.partyA;
  const registry = new RegistryClient((await ctx.addresses()).registry, await ctx.provider());
  if (await registry.isSigner(hpmn, address)) return { party: "hpmn", operatorId: hpmn };
  if (await registry.isSigner(vpmn, address)) return { party: "vpmn", operatorId: vpmn };
  throw new CliUserError(
    `${field}: ${address} is not an active signer key of operator #${hpmn} (home) nor #${vpmn} (visited)`,
    field,
  );
}

async function signResolutionCommand(
  ctx: Context,
  a: string,
  d: string,
  r: string,
  opts: { pay: string; out?: string },
): Promise<void> {
  const lane = await laneBatch(ctx, a, d, r);
  const { batchId, header, before, decimals } = lane;
  const payAmount = decimalToUnits(opts.pay, decimals, "pay");
  if (before.held === 0n) {
    throw new CliUserError(`batch ${batchId} holds nothing to resolve (round ${before.round})`, "root");
  }
  if (payAmount > before.held) {
    throw new CliUserError(`pay: ${opts.pay} exceeds the held amount ${unitsToDecimal(before.held, decimals)}`, "pay");
  }
  const resolution = await lane.reader.resolutionOf(batchId, payAmount);
  const signer = await ctx.signer();
  const { party, operatorId } = await partyOf(
    ctx,
    header.agreementId,
    Number(header.direction) as 0 | 1,
    signer.address,
    "key",
  );
  const signature = await signResolution(signer, await lane.reader.connect(signer).domain(), resolution);
  const signed: SignedResolution = { resolution, signature, signer: signer.address, party, operatorId };
  const timeout = await lane.contract.escalationTimeout();
  const file = { ...signed, payDecimal: unitsToDecimal(payAmount, decimals), token: lane.token, decimals };
  if (opts.out !== undefined) writeFileSync(opts.out, toJson(file) + "\n");
  ctx.out.result(
    { ...file, file: opts.out, escalationDueAt: iso(before.finalAt + timeout) },
    opts.out === undefined
      ? toJson(file)
      : `resolution of batch ${batchId} (round ${resolution.round}): pay ${file.payDecimal} of ` +
          `${unitsToDecimal(before.held, decimals)} held, signed by the ${party} (${signer.address}), written to ${opts.out}`,
  );
}

/** Reads a signed resolution file, checking its shape and that its signature is its signer's. */
async function readSignedResolution(ctx: Context, file: string, lane: LaneBatch): Promise<SignedResolution> {
  const field = "signature-file";
  const raw = asObject(readJsonFile(file, field), field);
  const res = asObject(raw.resolution, `${field}: resolution`);
  if (typeof raw.signature !== "string" || typeof raw.signer !== "string") {
    throw new CliUserError(
      `${field}: needs "resolution", "signature" and "signer" (from \`batch resolution sign\`)`,
      field,
    );
  }
  for (const key of ["round", "disputed", "held", "payAmount"]) {
    if (typeof res[key] !== "bigint") throw new CliUserError(`${field}: resolution.${key} must be an integer`, field);
  }
  const resolution: Resolution = {
    batchId: String(res.batchId),
    round: res.round as bigint,
    disputed: res.disputed as bigint,
    held: res.held as bigint,
    payAmount: res.payAmount as bigint,
  };
  if (resolution.batchId.toLowerCase() !== lane.batchId.toLowerCase()) {
    throw new CliUserError(`${field}: it resolves batch ${resolution.batchId}, not ${lane.batchId}`, field);
  }
  let recovered: string;
  try {
    recovered = verifyTypedData(await lane.reader.domain(), RESOLUTION_TYPES, resolution, raw.signature);
  } catch {
    throw new CliUserError(`${field}: the signature is not a valid signature of the resolution`, field);
  }
  if (recovered.toLowerCase() !== raw.signer.toLowerCase()) {
    throw new CliUserError(
      `${field}: the signature is by ${recovered}, not by the signer it names (${raw.signer})`,
      field,
    );
  }
  const { party, operatorId } = await partyOf(
    ctx,
    lane.header.agreementId,
    Number(lane.header.direction) as 0 | 1,
    recovered,
    field,
  );
  return { resolution, signature: raw.signature, signer: recovered, party, operatorId };
}

async function resolve(ctx: Context, a: string, d: string, r: string, opts: { signatureFile: string }): Promise<void> {
  const lane = await laneBatch(ctx, a, d, r);
  const { batchId, header, before, decimals } = lane;
  const partner = await readSignedResolution(ctx, opts.signatureFile, lane);
  const res = partner.resolution;
  const round = BigInt(res.round);

  // Re-run: the round it names was resolved already (by this command, the other party or the arbiter).
  const alreadyResolved = async (b: BatchInfo): Promise<void> => {
    const events = await lane.contract.queryFilter(lane.contract.filters.DisputeResolved(batchId, round), 0);
    const e = events[0];
    ctx.out.result(
      {
        status: "already-done",
        batchId,
        resolvedRound: round,
        payAmount: e?.args.payAmount,
        waived: e?.args.waived,
        byArbiter: e?.args.byArbiter,
        txHash: e?.transactionHash,
        ...stateOf(b, decimals),
      },
      [
        `round ${round} of batch ${batchId} is resolved already` +
          (e === undefined ? "" : ` (tx ${e.transactionHash})`) +
          ": nothing sent",
      ],
    );
  };
  if (before.round > round) return alreadyResolved(before);
  // The contract would refuse a resolution of another state (another signer recovers): say why, send nothing.
  const checkState = (b: BatchInfo): void => {
    const now = { round: b.round, disputed: b.disputed, held: b.held };
    const signed = { round, disputed: BigInt(res.disputed), held: BigInt(res.held) };
    if (signed.round !== now.round || signed.disputed !== now.disputed || signed.held !== now.held) {
      throw new CliUserError(
        `signature-file: it was signed for round ${signed.round}, ${signed.disputed} disputed, held ${signed.held}; ` +
          `the batch now has round ${now.round}, ${now.disputed} disputed, held ${now.held}: both parties must sign again`,
        "signature-file",
        { signed, now },
      );
    }
  };
  checkState(before);
  const wallet = await ctx.signer();
  const own = await partyOf(ctx, header.agreementId, Number(header.direction) as 0 | 1, wallet.address, "key");
  if (own.party === partner.party) {
    throw new CliUserError(
      `signature-file: it is signed by the ${partner.party} as this key is: give the other party's signature`,
      "signature-file",
    );
  }
  const receipt = await afterEarlierRuns(ctx, "batch resolve", async (signer) => {
    const current = await lane.reader.getBatch(batchId);
    if (current.round > round) return undefined; // an earlier run's resolution, now mined
    checkState(current);
    const clearing = new ClearingClient(lane.address, signer);
    const ownSignature = await signResolution(signer, await clearing.domain(), res);
    const [hpmnSig, vpmnSig] =
      own.party === "hpmn" ? [ownSignature, partner.signature] : [partner.signature, ownSignature];
    return clearing.resolve(header, res.payAmount, hpmnSig, vpmnSig);
  });
  if (receipt === undefined) return alreadyResolved(await lane.reader.getBatch(batchId));
  const after = await lane.reader.getBatch(batchId);
  const pay = BigInt(res.payAmount);
  ctx.out.result(
    {
      status: "sent",
      batchId,
      resolvedRound: round,
      payAmount: pay,
      payDecimal: unitsToDecimal(pay, decimals),
      waived: before.held - pay,
      ...stateOf(after, decimals),
      txHash: receipt.hash,
    },
    [
      `resolved round ${round} of batch ${batchId}: paid ${unitsToDecimal(pay, decimals)}, ` +
        `waived ${unitsToDecimal(before.held - pay, decimals)}`,
      `  tx ${receipt.hash}`,
    ],
  );
}
