/**
 * `roamledger batch show|accept|finalize <agreementId> <direction> <root>`: a submitted batch, found by its lane and
 * Merkle root (what `usage submit` prints), and the steps that get the visited network paid. Each write is safe to
 * re-run: a batch already in the state the step leads to is reported (`already-done`) and nothing is sent. The writes go
 * through the journal of `../resume.ts`, so a run that crashed before or after broadcasting is settled first (its
 * signed transaction waited for, or broadcast again with the same bytes) and the step is never sent twice.
 */
import type { Command } from "commander";

import { ClearingClient, type BatchInfo, type BatchHeader } from "@roamledger/sdk";
import { agreementView, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { findLaneBatch, stateOf } from "../lane";
import type { Action } from "../program";
import { afterEarlierRuns } from "../resume";

export function register(program: Command, action: Action): void {
  const batch = program
    .command("batch")
    .description("submitted batches: list them; by lane and root: show, accept, finalize, reject, return, resolve");
  batch
    .command("show <agreementId> <direction> <root>")
    .description("the batch's status, charge and held part (token decimals), disputed records, round and final time")
    .action(action((ctx, a: string, d: string, r: string) => step(ctx, "show", a, d, r)));
  batch
    .command("accept <agreementId> <direction> <root>")
    .description("accept a pending batch inside its window (home network); re-run: nothing sent once accepted or final")
    .action(action((ctx, a: string, d: string, r: string) => step(ctx, "accept", a, d, r)));
  batch
    .command("finalize <agreementId> <direction> <root>")
    .description(
      "record an accepted batch, or a pending one past its window, in the vault (anyone); re-run: nothing sent once final",
    )
    .action(action((ctx, a: string, d: string, r: string) => step(ctx, "finalize", a, d, r)));
}

/** The statuses after which each step has nothing left to do. */
const DONE: Record<"accept" | "finalize", readonly BatchInfo["status"][]> = {
  accept: ["Accepted", "Final"],
  finalize: ["Final"],
};

async function step(
  ctx: Context,
  kind: "show" | "accept" | "finalize",
  agreementArg: string,
  directionArg: string,
  rootArg: string,
): Promise<void> {
  const { batchId, header } = await findLaneBatch(ctx, agreementArg, directionArg, rootArg);
  const address = (await ctx.addresses()).clearing;
  const reader = new ClearingClient(address, await ctx.provider());
  const before = await reader.getBatch(batchId);
  if (kind === "show") {
    const view = await describe(ctx, batchId, header, before);
    ctx.out.result(view, lines(batchId, view));
    return;
  }
  if (DONE[kind].includes(before.status)) {
    const view = await describe(ctx, batchId, header, before);
    ctx.out.result({ status: "already-done", ...view }, [
      `batch ${batchId} is ${before.status}: nothing to ${kind}, nothing sent`,
    ]);
    return;
  }
  const receipt = await afterEarlierRuns(ctx, `batch ${kind}`, async (signer) => {
    // An earlier run's transaction, settled just now, may have done the step.
    if (DONE[kind].includes((await reader.getBatch(batchId)).status)) return undefined;
    const clearing = new ClearingClient(address, signer);
    return kind === "accept" ? clearing.accept(header) : clearing.finalize(header);
  });
  const after = await reader.getBatch(batchId);
  if (receipt === undefined) {
    const view = await describe(ctx, batchId, header, after);
    ctx.out.result({ status: "already-done", ...view }, [
      `batch ${batchId} is ${after.status}: an earlier run's transaction did the ${kind}; nothing sent`,
    ]);
    return;
  }
  const view = await describe(ctx, batchId, header, after);
  ctx.out.result({ status: "sent", ...view, txHash: receipt.hash }, [
    `${kind === "accept" ? "accepted" : "finalized"} batch ${batchId}: now ${view.batchStatus}`,
    ...lines(batchId, view).slice(1),
    `  tx ${receipt.hash}`,
  ]);
}

type BatchView = {
  batchId: string;
  agreementId: string;
  direction: number;
  sequence: bigint;
  batchStatus: BatchInfo["status"];
  token: string;
  /** Token units, and the same as a decimal of the token. */
  charge: bigint;
  chargeDecimal: string;
  held: bigint;
  heldDecimal: string;
  disputed: bigint;
  round: bigint;
  /** ISO-8601 UTC: when the window ends (a pending batch may be finalized from then on). */
  finalAt: string;
};

async function describe(ctx: Context, batchId: string, header: BatchHeader, b: BatchInfo): Promise<BatchView> {
  const direction = Number(header.direction) as 0 | 1;
  const view = await agreementView(ctx, header.agreementId, direction);
  const token = view.terms.token;
  const decimals = await tokenDecimals(await ctx.provider(), token);
  const { batchStatus, ...amounts } = stateOf(b, decimals);
  // batchStatus before token, as this command always printed it; the rest as every batch command prints a state.
  return {
    batchId,
    agreementId: header.agreementId,
    direction,
    sequence: BigInt(header.sequence),
    batchStatus,
    token,
    ...amounts,
  };
}

function lines(batchId: string, v: BatchView): string[] {
  return [
    `batch ${batchId} (agreement ${v.agreementId}, direction ${v.direction}, sequence ${v.sequence}): ${v.batchStatus}`,
    `  charge ${v.chargeDecimal}, held ${v.heldDecimal} (token ${v.token})`,
    `  ${v.disputed} record(s) disputed, round ${v.round}, window ends ${v.finalAt}`,
  ];
}
