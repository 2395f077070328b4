/**
 * `roamledger batch escalation <agreementId> <direction> <root>`: where a batch's held (disputed) part stands towards
 * escalation. A held part the parties do not resolve with a co-signed resolution (`batch resolve`) becomes the
 * arbiter's to decide once its dispute window plus the clearing contract's `escalationTimeout` has passed; the arbiter
 * then decides it with `roamledger governance resolve-escalated` (scheduled, then executed after the arbiter's delay).
 */
import type { Command } from "commander";

import { unitsToDecimal } from "@roamledger/sdk";
import type { Context } from "../context";
import { readEvents } from "../events";
import { isoTime } from "../format";
import { laneBatch, stateOf, type LaneBatch } from "../lane";
import { chainNow } from "../ops";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const batch = program.commands.find((c) => c.name() === "batch") ?? program.command("batch");
  batch
    .command("escalation <agreementId> <direction> <root>")
    .description(
      "whether the batch's held part is disputed, when it becomes the arbiter's to decide (ISO-8601 UTC), whether " +
        "that is now, the held amount (token decimals) and the arbiter's past decisions of the batch",
    )
    .action(action(show));
}

/** A batch's escalation: its state, when escalation is due and whether it is now, and the arbiter's decisions. */
export async function escalationOf(ctx: Context, lane: LaneBatch) {
  const { batchId, before: b, decimals } = lane;
  const timeout = await lane.contract.escalationTimeout();
  const now = await chainNow(ctx);
  const dueAt = b.finalAt + timeout;
  const filter = lane.contract.filters.DisputeResolved(batchId);
  const resolved = await readEvents(ctx, (from, to) => lane.contract.queryFilter(filter, from, to));
  return {
    batchId,
    token: lane.token,
    decimals,
    ...stateOf(b, decimals),
    disputedNow: b.held > 0n,
    escalationTimeout: timeout,
    escalationDue: dueAt,
    escalationDueAt: isoTime(dueAt),
    /** Whether the arbiter may decide the held part now. */
    due: b.held > 0n && now >= dueAt,
    now: isoTime(now),
    resolutions: resolved.map((e) => ({
      round: e.args.round,
      payAmount: e.args.payAmount,
      payDecimal: unitsToDecimal(e.args.payAmount, decimals),
      waived: e.args.waived,
      waivedDecimal: unitsToDecimal(e.args.waived, decimals),
      byArbiter: e.args.byArbiter,
      txHash: e.transactionHash,
    })),
  };
}

async function show(ctx: Context, a: string, d: string, r: string): Promise<void> {
  const lane = await laneBatch(ctx, a, d, r);
  const v = await escalationOf(ctx, lane);
  const state = !v.disputedNow
    ? "nothing held: nothing to escalate"
    : v.due
      ? `escalated since ${v.escalationDueAt}: the arbiter may decide the held part (governance resolve-escalated)`
      : `disputed: escalation due at ${v.escalationDueAt} unless the parties resolve it first (batch resolve)`;
  ctx.out.result(v, [
    `batch ${v.batchId}: ${v.batchStatus}, ${state}`,
    `  held ${v.heldDecimal} of charge ${v.chargeDecimal} (token ${v.token}), ${v.disputed} record(s) disputed, ` +
      `round ${v.round}`,
    `  window ends ${v.finalAt}, escalation timeout ${v.escalationTimeout} s, chain time ${v.now}`,
    ...v.resolutions.map(
      (x) =>
        `  round ${x.round} resolved ${x.byArbiter ? "by the arbiter" : "by the parties"}: paid ${x.payDecimal}, ` +
        `waived ${x.waivedDecimal} (tx ${x.txHash})`,
    ),
  ]);
}
