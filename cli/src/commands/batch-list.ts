/**
 * `roamledger batch list <agreementId>`: a lane's batches from the clearing contract's `BatchSubmitted` events, read in
 * pages of `--block-range` blocks (`../events.ts`), with their status, amounts (token decimals) and times (ISO-8601
 * UTC), and when a held part becomes the arbiter's to decide (`escalationDueAt`).
 */
import type { Command } from "commander";

import { BATCH_STATUS, ClearingClient, type BatchInfo, unitsToDecimal, UsageClearing__factory } from "@roamledger/sdk";
import { parseBytes32, parseDirection } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { blockRange, readPaged } from "../events";
import { isoTime } from "../format";
import { laneToken, stateOf } from "../lane";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const batch = program.commands.find((c) => c.name() === "batch") ?? program.command("batch");
  batch
    .command("list <agreementId>")
    .description("the agreement's batches (from BatchSubmitted events): root, status, charge, times (ISO-8601 UTC)")
    .option("--direction <0|1>", "only this direction")
    // Literal (BATCH_STATUS less "None"): registering the commands does not load the SDK.
    .option("--status <status>", "only this status (Pending, Final, Rejected, Accepted)")
    .option("--from-block <n>", "first block to search (default 0); pages of --block-range blocks")
    .option("--to-block <n>", "last block to search (default: the latest)")
    .action(action(list));
}

/*//////////////////////////////////////////////////////////////////////////
                                     LIST
//////////////////////////////////////////////////////////////////////////*/

interface ListOptions {
  direction?: string;
  status?: string;
  fromBlock?: string;
  toBlock?: string;
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
  const range = await blockRange(ctx, opts);
  const { fromBlock, toBlock } = range;
  const provider = await ctx.provider();
  const address = (await ctx.addresses()).clearing;
  const contract = UsageClearing__factory.connect(address, provider);
  const reader = new ClearingClient(address, provider);
  const { token, decimals } = await laneToken(ctx, contract, agreementId);
  const timeout = await contract.escalationTimeout();
  const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);

  const filter = contract.filters.BatchSubmitted(undefined, agreementId, direction);
  const { events, requests } = await readPaged((from, to) => contract.queryFilter(filter, from, to), range);
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
      submittedAt: isoTime(times.get(e.blockNumber) as bigint),
      escalationDueAt: b.held > 0n ? isoTime(b.finalAt + timeout) : undefined,
      fileURI: e.args.fileURI,
      blockNumber: e.blockNumber,
      txHash: e.transactionHash,
    });
  }
  ctx.out.result(
    {
      agreementId,
      token,
      decimals,
      fromBlock,
      toBlock,
      blockRange: range.blockRange,
      requests,
      count: batches.length,
      batches,
    },
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
