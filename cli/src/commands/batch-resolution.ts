/**
 * `roamledger batch resolution sign` and `batch resolve`: both parties settle a batch's held (disputed) part with a
 * co-signed resolution. Safe to re-run: a round already resolved (by the parties or the arbiter) is reported
 * (`already-done`) and nothing is sent. A held part the parties do not resolve becomes the arbiter's to decide once
 * `finalAt + escalationTimeout` has passed: `batch escalation` shows it, `governance resolve-escalated` decides it.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { verifyTypedData } from "ethers";

import {
  ClearingClient,
  type BatchInfo,
  RegistryClient,
  decimalToUnits,
  unitsToDecimal,
  RESOLUTION_TYPES,
  signResolution,
  type Resolution,
} from "@roamledger/sdk";
import { agreementView } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { readEvents } from "../events";
import { isoTime } from "../format";
import { asObject, readJsonFile, toJson } from "../json";
import { laneBatch, stateOf, type LaneBatch } from "../lane";
import type { Action } from "../program";
import { afterEarlierRuns } from "../resume";

export function register(program: Command, action: Action): void {
  const batch = program.commands.find((c) => c.name() === "batch") ?? program.command("batch");
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
    { ...file, file: opts.out, escalationDueAt: isoTime(before.finalAt + timeout) },
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
    const events = await readEvents(ctx, (from, to) =>
      lane.contract.queryFilter(lane.contract.filters.DisputeResolved(batchId, round), from, to),
    );
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
