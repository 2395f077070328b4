/**
 * Reading contract events in pages of blocks. RPCs limit the block range of one `eth_getLogs` request (often to 10,000
 * blocks or fewer, some to 1,000): a search over a long chain reads `fromBlock..toBlock` in requests of at most
 * `blockRange` blocks. Provider-free: the caller gives the read of one page (an ethers `queryFilter`, a viem
 * `getContractEvents`...).
 */
import { InvalidArgumentError } from "./errors";
import { toUint, type UintLike } from "./validation";

/** Where an event search looks, and how many blocks one request may span. */
export interface EventRange {
  /** The first block (default 0). */
  fromBlock?: UintLike;
  /** The last block (default the latest). */
  toBlock?: UintLike;
  /** The most blocks one request spans (at least 1); without it, one request covers the whole range. */
  blockRange?: UintLike;
}

/** A search's blocks, resolved: inclusive `fromBlock..toBlock`, in requests of at most `blockRange` blocks. */
export interface BlockPages {
  fromBlock: bigint;
  toBlock: bigint;
  blockRange: bigint;
}

/** What a paged read found, in block order, and how many requests it took. */
export interface Paged<T> {
  events: T[];
  requests: number;
}

/** The pages of `range`: inclusive `[from, to]` pairs of at most `blockRange` blocks each, in order (none if empty). */
export function pagesOf(range: BlockPages): [number, number][] {
  if (range.blockRange < 1n) {
    throw new InvalidArgumentError("must be at least 1", { field: "blockRange", value: range.blockRange });
  }
  const pages: [number, number][] = [];
  for (let start = range.fromBlock; start <= range.toBlock; start += range.blockRange) {
    const end = start + range.blockRange - 1n < range.toBlock ? start + range.blockRange - 1n : range.toBlock;
    pages.push([Number(start), Number(end)]);
  }
  return pages;
}

/**
 * Reads `read(from, to)` page by page over `range` and returns the events in block order. A request the RPC refuses
 * is not retried: its error is thrown, and a smaller `blockRange` is the caller's answer.
 */
export async function readPaged<T>(
  read: (fromBlock: number, toBlock: number) => Promise<T[]>,
  range: BlockPages,
): Promise<Paged<T>> {
  const events: T[] = [];
  let requests = 0;
  for (const [from, to] of pagesOf(range)) {
    events.push(...(await read(from, to)));
    requests++;
  }
  return { events, requests };
}

/**
 * Resolves `range` against the chain's `latest` block (read only when needed, through `latest()`) and reads it with
 * `read`: one request from `fromBlock` to `toBlock` (or `"latest"`) without a `blockRange`, else pages.
 */
export async function readEventRange<T>(
  read: (fromBlock: number, toBlock: number | "latest") => Promise<T[]>,
  range: EventRange,
  latest: () => Promise<number | bigint>,
): Promise<Paged<T>> {
  const fromBlock = toUint(range.fromBlock ?? 0n, 64, "fromBlock");
  const toBlock = range.toBlock === undefined ? undefined : toUint(range.toBlock, 64, "toBlock");
  if (range.blockRange === undefined) {
    return { events: await read(Number(fromBlock), toBlock === undefined ? "latest" : Number(toBlock)), requests: 1 };
  }
  const blockRange = toUint(range.blockRange, 64, "blockRange");
  return readPaged(read, { fromBlock, toBlock: toBlock ?? BigInt(await latest()), blockRange });
}
