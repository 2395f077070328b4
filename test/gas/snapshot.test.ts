import { expect } from "chai";

import { coverageRunning, unmeasuredScenarios, writeSnapshotIfUpdating } from "../helpers/gas";

/**
 * A root hook: it runs once, after every test of the run, so every gas scenario has been measured by then.
 * With UPDATE_GAS_SNAPSHOT=1 it rewrites test/gas/gas-snapshot.json; otherwise it fails on entries of the snapshot
 * that no test measured any more (a renamed or removed scenario), so the committed file never goes stale.
 */
after(function () {
  if (coverageRunning) return;
  if (process.env.UPDATE_GAS_SNAPSHOT === "1") {
    writeSnapshotIfUpdating();
    return;
  }
  const stale = unmeasuredScenarios();
  expect(
    stale,
    `stale gas scenarios (rewrite the snapshot with npm run gas:snapshot): ${stale.join(", ")}`,
  ).to.deep.equal([]);
});
