/**
 * What the agreement, capacity, market-bid and governance commands share: command groups other modules may have
 * created already, ISO-8601 times, JSON given inline or as a file, and the once-only journal of actions the chain
 * alone cannot recognise as done (a mint, a redemption, a bid, a fill).
 *
 * The once-only journal keeps one file per action (`<journal>/<chainId>/ops/<key>.json`), keyed by the hash of what
 * was asked (command, sender, arguments and an optional `--ref` label). The main transaction is journaled after it is
 * signed and before it is broadcast (see {@link JournalingSigner}); a re-run asks the chain what became of it
 * ({@link settleSent}) and sends nothing when it succeeded. A deliberate repeat takes another `--ref`.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { keccak256, toUtf8Bytes, type TransactionReceipt } from "ethers";

import type { Context } from "./context";
import { isoTime } from "./format";
import { CliUserError } from "./errors";
import { asObject, parseJsonExact, readJsonFile, toJson } from "./json";
import { JournalFile, JournalingSigner, settleSent, type JournalEntry } from "./journal";

/** The command group `name` of `parent`: the one another module registered, or a new one. */
export function group(parent: Command, name: string, description: string): Command {
  return parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(description);
}

/*//////////////////////////////////////////////////////////////////////////
                                    TIMES
//////////////////////////////////////////////////////////////////////////*/

/** A unix time as ISO-8601 UTC (see `./format.ts`). */
export const isoUtc = isoTime;

/**
 * A time argument: ISO-8601 with a zone (`2026-12-06T00:00:00Z`, `...+01:00`) or a date (`2026-12-06`, midnight UTC),
 * or Unix seconds; returns Unix seconds. A time that is not a whole second is refused.
 */
export function parseTime(value: string | undefined, field: string): bigint {
  if (value !== undefined && /^[0-9]+$/.test(value)) return BigInt(value);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.0+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const ms = value !== undefined && iso.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms) || ms % 1000 !== 0) {
    throw new CliUserError(
      `${field}: must be an ISO-8601 time with a zone (2026-12-06T00:00:00Z), a date or Unix seconds (got ${JSON.stringify(value)})`,
      field,
    );
  }
  return BigInt(ms / 1000);
}

/** The latest block's timestamp (the chain's "now"). */
export async function chainNow(ctx: Context): Promise<bigint> {
  return BigInt((await (await ctx.provider()).getBlock("latest"))?.timestamp ?? 0);
}

/*//////////////////////////////////////////////////////////////////////////
                                    JSON
//////////////////////////////////////////////////////////////////////////*/

/** A JSON object given inline (`{...}`) or as a file path, parsed exactly (integers as bigints). */
export function jsonArg(value: string | undefined, field: string): Record<string, unknown> {
  if (value === undefined) throw new CliUserError(`${field}: required (inline JSON or a file)`, field);
  const parsed = value.trimStart().startsWith("{") ? parseJsonExact(value, field) : readJsonFile(value, field);
  try {
    return asObject(parsed, field);
  } catch {
    throw new CliUserError(`${field}: must be a JSON object`, field);
  }
}

/*//////////////////////////////////////////////////////////////////////////
                               ONCE-ONLY JOURNAL
//////////////////////////////////////////////////////////////////////////*/

/** What {@link journaledOnce} did. */
export interface OnceOutcome {
  status: "done" | "already-done";
  txHash: string | undefined;
  /** What `describe` made of the receipt (now, or by the run that sent it). */
  result: Record<string, unknown>;
}

/**
 * Runs `send` at most once for `intent` (see the module's comment). Only the transaction whose selector is
 * `intent.selector` is journaled: approvals that come before must be idempotent (checked, then sent only if needed).
 * @param describe What to keep of the main transaction's receipt (ids read from its events).
 */
export async function journaledOnce(
  ctx: Context,
  intent: Record<string, unknown> & { command: string; selector: string; ref?: string },
  send: (signer: JournalingSigner) => Promise<TransactionReceipt>,
  describe: (receipt: TransactionReceipt) => Record<string, unknown>,
): Promise<OnceOutcome> {
  const wallet = await ctx.signer();
  const provider = await ctx.provider();
  const full = { ...intent, from: wallet.address };
  const key = keccak256(toUtf8Bytes(toJson(full, 0)));
  const file = new JournalFile(path.join(await ctx.journalDir(), "ops", `${key.slice(2)}.json`));
  const entry: JournalEntry | undefined = existsSync(file.file) ? file.read() : undefined;
  if (entry?.state === "done") {
    return { status: "already-done", txHash: entry.tx?.hash, result: entry.result ?? {} };
  }
  if (entry?.state === "sent" && entry.tx !== undefined) {
    ctx.out.note(`journal: transaction ${entry.tx.hash} was sent by an earlier run; asking the chain`);
    const settled = await settleSent(provider, entry.tx);
    if (settled.status === "success") {
      const result = describe(settled.receipt);
      file.update({ state: "done", result });
      return { status: "already-done", txHash: entry.tx.hash, result };
    }
    file.update({ state: settled.status === "dropped" ? "dropped" : "failed" }); // then send it anew
  }
  const signer = new JournalingSigner(
    wallet,
    (tx) => {
      if (tx.selector === intent.selector) file.write({ kind: intent.command, state: "sent", intent: full, tx });
    },
    ctx.env,
  );
  const receipt = await send(signer); // on a failure the entry stays "sent": the next run asks the chain first
  const result = describe(receipt);
  if (file.read() !== undefined) file.update({ state: "done", result });
  return { status: "done", txHash: receipt.hash, result };
}
