/**
 * The SDK's paged event reads (`sdk/src/paging.ts`), used by `AgreementsClient.getTerms` and by the CLI: pages cover
 * the range exactly once, in order, and never span more than `blockRange` blocks; without a `blockRange` one request
 * reads up to "latest" and the latest block is never asked for. Over a real node and an RPC that refuses wide ranges:
 * test/cli/escalation.test.ts ("event paging").
 */
import { expect } from "chai";

import { InvalidArgumentError } from "../../sdk/src/errors";
import { pagesOf, readEventRange } from "../../sdk/src/paging";

/** A reader over events at `blocks` that refuses requests wider than `limit` blocks, and records what it was asked. */
function fakeChain(blocks: number[], limit: number, latest: number) {
  const requests: [number, number | "latest"][] = [];
  let latestReads = 0;
  const read = (from: number, to: number | "latest"): Promise<number[]> => {
    requests.push([from, to]);
    const end = to === "latest" ? latest : to;
    if (end - from + 1 > limit) return Promise.reject(new Error(`block range too large: ${from}..${end}`));
    return Promise.resolve(blocks.filter((b) => b >= from && b <= end));
  };
  const head = () => {
    latestReads++;
    return Promise.resolve(latest);
  };
  return { read, head, requests, latestReads: () => latestReads };
}

describe("SDK event paging (sdk/src/paging.ts)", () => {
  describe("pagesOf", () => {
    it("should cover fromBlock..toBlock once, in pages of at most blockRange blocks", () => {
      expect(pagesOf({ fromBlock: 0n, toBlock: 9n, blockRange: 4n })).to.deep.equal([
        [0, 3],
        [4, 7],
        [8, 9],
      ]);
      expect(pagesOf({ fromBlock: 7n, toBlock: 7n, blockRange: 1n })).to.deep.equal([[7, 7]]);
      expect(pagesOf({ fromBlock: 8n, toBlock: 7n, blockRange: 1n })).to.deep.equal([]);
    });

    it("should refuse a blockRange of 0, naming it", () => {
      expect(() => pagesOf({ fromBlock: 0n, toBlock: 1n, blockRange: 0n }))
        .to.throw(InvalidArgumentError)
        .with.property("field", "blockRange");
    });
  });

  describe("readEventRange", () => {
    const blocks = [0, 3, 4, 9, 10, 10, 17, 25];

    it("should read once up to 'latest' without a blockRange, and not ask for the latest block", async () => {
      const chain = fakeChain(blocks, 1_000, 25);
      expect(await readEventRange(chain.read, {}, chain.head)).to.deep.equal({ events: blocks, requests: 1 });
      expect(chain.requests).to.deep.equal([[0, "latest"]]);
      expect(chain.latestReads()).to.equal(0);
      const bounded = fakeChain(blocks, 1_000, 25);
      expect((await readEventRange(bounded.read, { fromBlock: 4, toBlock: "10" }, bounded.head)).events).to.deep.equal([
        4, 9, 10, 10,
      ]);
      expect(bounded.requests).to.deep.equal([[4, 10]]);
    });

    it("should give, paged for an RPC that refuses wide ranges, what one wide read gives", async () => {
      const strict = fakeChain(blocks, 5, 25);
      const paged = await readEventRange(strict.read, { blockRange: 5n }, strict.head);
      expect(paged).to.deep.equal({ events: blocks, requests: 6 });
      expect(strict.latestReads()).to.equal(1);
      expect(strict.requests.every(([from, to]) => to !== "latest" && to - from + 1 <= 5)).to.equal(true);
      expect(strict.requests.at(-1)).to.deep.equal([25, 25]);
      // The same RPC refuses the single wide read, with its own error: no silent gap.
      let error: unknown;
      await readEventRange(fakeChain(blocks, 5, 25).read, {}, strict.head).catch((e: unknown) => (error = e));
      expect((error as Error).message).to.equal("block range too large: 0..25");
    });

    it("should refuse bad bounds naming the field", async () => {
      const chain = fakeChain(blocks, 5, 25);
      for (const [range, field] of [
        [{ fromBlock: -1 }, "fromBlock"],
        [{ toBlock: "0x10" }, "toBlock"],
        [{ blockRange: 1.5 }, "blockRange"],
        [{ blockRange: 0 }, "blockRange"],
      ] as const) {
        let error: unknown;
        await readEventRange(chain.read, range, chain.head).catch((e: unknown) => (error = e));
        expect(error, field).to.be.instanceOf(InvalidArgumentError).with.property("field", field);
      }
      expect(chain.requests).to.deep.equal([]);
    });
  });
});
