import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { decimalToUnits } from "../../sdk/src";
import { describeUnlessCoverage } from "../helpers/gas";
import { ROOT, runProcess, stopAllProcesses } from "../helpers/processes";
import type { DemoReport } from "../../scripts/demo/report";

/**
 * The README's main job, run as a user runs it (`hardhat run scripts/demo.ts`, its own process and in-process chain),
 * at a small traffic scale so that it takes seconds: it must finish, and its JSON and HTML reports must add up. There is
 * no time limit: the test waits for the process to exit, and `after` kills it if the test ended first.
 * Skipped under solidity-coverage (see `describeUnlessCoverage`): the same flows are covered by the integration and unit
 * tests.
 */
describeUnlessCoverage("The demo (npm run demo), as a user runs it", function () {
  const dir = mkdtempSync(path.join(tmpdir(), "roamledger-demo-"));
  after(async () => {
    await stopAllProcesses();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should run the month and write a report whose figures add up", async function () {
    // `npm run demo` is `hardhat run scripts/demo.ts`; the contracts are compiled already (`hardhat test` compiles).
    const run = await runProcess(
      path.join(ROOT, "node_modules", ".bin", "hardhat"),
      ["run", "--no-compile", "scripts/demo.ts"],
      {
        env: { ...process.env, ROAMLEDGER_DEMO_SCALE: "0.02", ROAMLEDGER_DEMO_REPORTS: dir },
      },
    );
    expect(run.code, `${run.error ?? ""}${run.stderr}${run.stdout.slice(-2_000)}`).to.equal(0);
    expect(run.stdout).to.match(/Report: .*demo\.json and .*demo\.html/);

    const report = JSON.parse(readFileSync(path.join(dir, "demo.json"), "utf8")) as DemoReport;
    const html = readFileSync(path.join(dir, "demo.html"), "utf8");
    // Four weekly batches on each of the ten lanes; the injected fraud, all of it caught.
    expect(report.usage.batches).to.equal(40);
    expect(report.fraud.provenDuplicates).to.equal(40 * report.usage.injected.duplicates);
    expect(report.fraud.provenOutOfPeriod).to.equal(40 * report.usage.injected.outOfPeriod);
    expect(report.fraud.disputedPhantoms).to.equal(40 * report.usage.injected.phantom);
    // Net positions of the month sum to zero, exactly (decimal strings of 6-decimal units).
    const signed = (d: string) =>
      d.startsWith("-") ? -decimalToUnits(d.slice(1), report.token.decimals) : decimalToUnits(d, report.token.decimals);
    expect(report.consortium.reduce((sum, o) => sum + signed(o.net), 0n)).to.equal(0n);
    expect(report.netting.netTransfers).to.be.lessThan(report.netting.grossTransfers);
    expect(report.vouchers.refusedStale).to.equal(1);
    expect(report.capacity.trades).to.have.length(2);
    expect(report.gas.operations.map((g) => g.operation)).to.include.members([
      "clearing.submitBatch",
      "clearing.proveDuplicate",
      "market.buy (vault)",
    ]);
    // The page is self-contained: charts inline, nothing fetched.
    expect(html).to.contain("<svg");
    expect(html).to.not.match(/<script|<link|src="http/);
  });
});
