/**
 * The CLI's paged event reads (`cli/src/events.ts`): pages of at most `--block-range` blocks that cover the range
 * exactly once, in order; a reader that refuses ranges wider than N (as many RPCs refuse `eth_getLogs`) gets only
 * pages it accepts and the events come back as one read would give them. The same over a real node and a refusing
 * proxy: test/cli/escalation.test.ts ("event paging").
 */
import { expect } from "chai";

import { blockRangeOf, DEFAULT_BLOCK_RANGE, pagesOf, readPaged } from "../../cli/src/events";

/** Events at these blocks, and a reader over them that refuses any request wider than `limit` blocks. */
function fakeChain(blocks: number[], limit: number) {
  const requests: [number, number][] = [];
  const read = (from: number, to: number): Promise<number[]> => {
    requests.push([from, to]);
    if (to - from + 1 > limit) return Promise.reject(new Error(`block range too large: ${from}..${to} (max ${limit})`));
    return Promise.resolve(blocks.filter((b) => b >= from && b <= to));
  };
  return { read, requests };
}

describe("CLI event paging (cli/src/events.ts)", () => {
  it("pagesOf: contiguous pages of at most blockRange blocks covering fromBlock..toBlock once", () => {
    expect(pagesOf({ fromBlock: 0n, toBlock: 9n, blockRange: 4n })).to.deep.equal([
      [0, 3],
      [4, 7],
      [8, 9],
    ]);
    expect(pagesOf({ fromBlock: 5n, toBlock: 5n, blockRange: 10_000n })).to.deep.equal([[5, 5]]);
    expect(pagesOf({ fromBlock: 3n, toBlock: 8n, blockRange: 1n })).to.have.length(6);
    expect(pagesOf({ fromBlock: 3n, toBlock: 2n, blockRange: 1n })).to.deep.equal([]);
  });

  it("readPaged: a reader refusing ranges over 5 blocks gives, paged by 5, what one wide read gives", async () => {
    const blocks = [0, 1, 4, 5, 6, 11, 12, 12, 19, 20, 37];
    const strict = fakeChain(blocks, 5);
    const paged = await readPaged(strict.read, { fromBlock: 0n, toBlock: 37n, blockRange: 5n });
    const wide = fakeChain(blocks, 1_000);
    const once = await readPaged(wide.read, { fromBlock: 0n, toBlock: 37n, blockRange: 10_000n });
    expect(once).to.deep.equal({ events: blocks, requests: 1 });
    expect(paged).to.deep.equal({ events: blocks, requests: 8 });
    expect(strict.requests.every(([from, to]) => to - from + 1 <= 5)).to.equal(true);
    expect(strict.requests[0]).to.deep.equal([0, 4]);
    expect(strict.requests[7]).to.deep.equal([35, 37]);
    // From a later block: only what lies there.
    const later = await readPaged(fakeChain(blocks, 5).read, { fromBlock: 12n, toBlock: 37n, blockRange: 5n });
    expect(later).to.deep.equal({ events: [12, 12, 19, 20, 37], requests: 6 });
  });

  it("readPaged: a range the reader refuses fails with the reader's error (no silent gap)", async () => {
    const strict = fakeChain([1, 2, 3], 5);
    let error: unknown;
    await readPaged(strict.read, { fromBlock: 0n, toBlock: 37n, blockRange: DEFAULT_BLOCK_RANGE }).catch(
      (e: unknown) => (error = e),
    );
    expect((error as Error).message).to.equal("block range too large: 0..37 (max 5)");
  });

  it("blockRangeOf: default 10000; 0 or a non-integer is refused naming --block-range", () => {
    expect(blockRangeOf(undefined)).to.equal(10_000n);
    expect(blockRangeOf("25")).to.equal(25n);
    for (const bad of ["0", "-1", "1.5", "ten"]) {
      expect(() => blockRangeOf(bad))
        .to.throw()
        .with.property("field", "block-range");
    }
  });
});
