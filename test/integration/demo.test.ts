import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { decimalToUnits } from "../../sdk/src";
import { MEMBERS } from "../../scripts/demo/consortium";
import { secondsToDays } from "../../scripts/demo/distribution";
import type { DemoReport } from "../../scripts/demo/report";
import { describeUnlessCoverage } from "../helpers/gas";
import { ROOT, runProcess, stopAllProcesses } from "../helpers/processes";
import { AMOUNT, chartColours, figures, markerValue, numberCells, statementRows } from "../unit/demo/html";

/**
 * The README's main job, run as a user runs it (`hardhat run scripts/demo.ts`, its own process and in-process chain),
 * at a small traffic scale so that it takes seconds: it must finish, and its JSON and HTML reports must add up: the
 * statement per cycle from the vault's events to its balances and to the operators' monthly figures, the page's amounts
 * formatted, every chart colour in a legend, and the settlement-time chart's median and maximum those of the delays.
 * (The page's rendering in detail is tested on a fixed report in test/unit/demo/report.test.ts.) There is no time
 * limit: the test waits for the process to exit, and `after` kills it if the test ended first.
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

    // The statement per cycle: every closed cycle and the open one (the withdrawals), each line adding up from its
    // opening (the previous close) to its closing (the vault's balance), and over the month to the operators' figures.
    const units = (d: string) => signed(d);
    const closed = report.cycles.filter((c) => c.closedAt !== null);
    expect(closed.map((c) => c.cycle)).to.deep.equal([...Array(report.netting.cyclesClosed).keys()].map((i) => i + 1));
    expect(report.cycles.at(-1)!.closedAt).to.equal(null);
    const closing = new Map<number, bigint>();
    const month = new Map<number, { deposits: bigint; received: bigint; paid: bigint; transfers: bigint }>();
    for (const cycle of report.cycles) {
      expect(cycle.lines.map((l) => l.id)).to.deep.equal(MEMBERS.map((_, i) => i + 1));
      for (const l of cycle.lines) {
        expect(units(l.opening), `cycle ${cycle.cycle} #${l.id}`).to.equal(closing.get(l.id) ?? 0n);
        const moved = units(l.deposits) + units(l.received) - units(l.paid) + units(l.transfers) - units(l.withdrawn);
        expect(units(l.opening) + moved, `cycle ${cycle.cycle} #${l.id}`).to.equal(units(l.closing));
        closing.set(l.id, units(l.closing));
        const m = month.get(l.id) ?? { deposits: 0n, received: 0n, paid: 0n, transfers: 0n };
        m.deposits += units(l.deposits);
        m.received += units(l.received);
        m.paid += units(l.paid);
        m.transfers += units(l.transfers);
        month.set(l.id, m);
      }
    }
    for (const o of report.consortium) {
      const m = month.get(o.id)!;
      expect(m.deposits, o.name).to.equal(MEMBERS[o.id - 1].prefund * 10n ** BigInt(report.token.decimals));
      expect(m.received, o.name).to.equal(units(o.grossOwed));
      expect(m.paid, o.name).to.equal(units(o.grossOwes));
      expect(closing.get(o.id), o.name).to.equal(m.deposits + units(o.net) + m.transfers - units(o.withdrawn));
    }
    // Capacity bought from vault balances: one buyer's loss is the seller's gain.
    expect([...month.values()].reduce((s, m) => s + m.transfers, 0n)).to.equal(0n);
    expect([...month.values()].some((m) => m.transfers !== 0n)).to.equal(true);
    // ... and the page shows those lines, amounts with separators and six decimals.
    expect(statementRows(html, "line")).to.have.length(report.cycles.length * MEMBERS.length);
    const amounts = numberCells(html).filter((c) => c.includes("."));
    expect(amounts.length).to.be.greaterThan(report.cycles.length * MEMBERS.length * 7);
    for (const a of amounts) expect(a).to.match(AMOUNT);
    expect(html.replace(/<[^>]*>/g, " ").match(/\d{4,}\.\d/g), "an unformatted amount").to.equal(null);

    // Every colour of every chart is in its legend.
    const charts = figures(html);
    expect(charts).to.have.length(5);
    for (const chart of charts) {
      const { drawn, swatches } = chartColours(chart);
      for (const colour of drawn) expect(swatches, chart.slice(0, 80)).to.include(colour);
    }

    // Usage to settlement: one delay per batch; the chart marks their median and maximum, as the figures say.
    const delays = [...report.settlementTime.delaysSeconds].sort((a, b) => a - b);
    expect(delays).to.have.length(report.usage.batches);
    const n = delays.length;
    const median = n % 2 === 1 ? delays[(n - 1) / 2] : (delays[n / 2 - 1] + delays[n / 2]) / 2;
    const histogram = charts.find((c) => c.includes("Usage-to-settlement"))!;
    expect(markerValue(histogram, "median")).to.equal(median);
    expect(markerValue(histogram, "maximum")).to.equal(delays[n - 1]);
    expect(report.settlementTime.medianDays).to.equal(secondsToDays(median));
    expect(report.settlementTime.maxDays).to.equal(secondsToDays(delays[n - 1]));
  });
});
