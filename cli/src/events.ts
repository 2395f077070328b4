/**
 * Reading contract events in pages of blocks. RPCs limit the block range of one `eth_getLogs` request (often to 10,000
 * blocks or fewer): every command that reads events reads them from `--from-block` (default 0: the deployment record
 * holds no block number) to the latest block in requests of at most `--block-range` blocks (a global option, default
 * {@link DEFAULT_BLOCK_RANGE}), through {@link readEvents} (the SDK's `readPaged`), or the SDK's own searches (terms) through
 * {@link eventRange}.
 */
import { pagesOf, readPaged, type BlockPages, type EventRange } from "@roamledger/sdk";

import type { Context } from "./context";
import { parseUint } from "./chain";
import { CliUserError } from "./errors";

/** Blocks per `eth_getLogs` request unless `--block-range` (`ROAMLEDGER_BLOCK_RANGE`) says otherwise. */
export const DEFAULT_BLOCK_RANGE = 10_000n;

/** The blocks to read, and how many a request may span (the SDK's {@link BlockPages}). */
export type BlockRange = BlockPages;

export { pagesOf, readPaged };

/** `--block-range` (global): at least 1. */
export function blockRangeOf(value: string | undefined): bigint {
  const range = parseUint(value ?? String(DEFAULT_BLOCK_RANGE), "block-range");
  if (range === 0n) throw new CliUserError('block-range: must be at least 1 (got "0")', "block-range");
  return range;
}

/**
 * The blocks a command reads events from: `fromBlock` (its `--from-block`, default 0) to `toBlock` (its `--to-block`,
 * default the latest block), paged by the global `--block-range`. An empty range is refused, naming the flag.
 */
export async function blockRange(
  ctx: Context,
  opts: { fromBlock?: string; toBlock?: string } = {},
): Promise<BlockRange & { latest: bigint }> {
  const fromBlock = parseUint(opts.fromBlock ?? "0", "from-block");
  const blockRange = blockRangeOf(ctx.options.blockRange);
  const latest = BigInt(await (await ctx.provider()).getBlockNumber());
  const toBlock = opts.toBlock === undefined ? latest : parseUint(opts.toBlock, "to-block");
  if (toBlock < fromBlock) {
    const field = opts.toBlock === undefined ? "from-block" : "to-block";
    throw new CliUserError(`${field}: the range ${fromBlock}..${toBlock} is empty (latest block ${latest})`, field);
  }
  return { fromBlock, toBlock, blockRange, latest };
}

/** Every event `read` finds from block 0 to the latest, paged by `--block-range` (lookups of one id, one hash...). */
export async function readEvents<T>(
  ctx: Context,
  read: (fromBlock: number, toBlock: number) => Promise<T[]>,
): Promise<T[]> {
  return (await readPaged(read, await blockRange(ctx))).events;
}

/** The SDK's search range for a lookup over the whole chain (e.g. `AgreementsClient.getTerms`), paged by `--block-range`. */
export function eventRange(ctx: Context): EventRange {
  return { fromBlock: 0n, blockRange: blockRangeOf(ctx.options.blockRange) };
}
