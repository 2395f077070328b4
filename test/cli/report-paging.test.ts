/**
 * The CLI's paged event reads (`cli/src/events.ts`): the pages are the SDK's (`sdk/src/paging.ts`, tested in
 * test/sdk/paging.test.ts against a reader that refuses wide ranges); the CLI adds `--block-range` and its default. The
 * same over a real node and a refusing proxy: test/cli/escalation.test.ts ("event paging").
 */
import { expect } from "chai";

import { blockRangeOf, pagesOf, readPaged } from "../../cli/src/events";
import * as paging from "../../sdk/src/paging";

describe("CLI event paging (cli/src/events.ts)", () => {
  it("reads in the SDK's pages (one implementation)", () => {
    expect(pagesOf).to.equal(paging.pagesOf);
    expect(readPaged).to.equal(paging.readPaged);
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
