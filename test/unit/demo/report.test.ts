import { expect } from "chai";

import { decimalToSignedUnits } from "../../../scripts/demo/format";
import { renderHtml, type DemoReport } from "../../../scripts/demo/report";
import { cycleStatements, type Movement, type Snapshot } from "../../../scripts/demo/statement";
import { barChart, FONT_PX, textWidth } from "../../../scripts/demo/svg";
import { all, AMOUNT, chartColours, figures, markerValue, numberCells, statementRows, unescape } from "./html";

/**
 * The demo's HTML page, rendered from a small fixed report (no chain): what a finance reader sees. Amounts are checked
 * as text (separators, decimals), statements as arithmetic on that text, charts as geometry of their SVG.
 */

const U = 1_000_000n; // one dUSD in 6-decimal units
const DAY = 86_400;
const LONG_NAME = "Valley Community Network of the Upper Rio Grande and Beyond";

/** Three operators, two closed cycles and the open one (a withdrawal), built by `cycleStatements` from movements. */
const balances = (entries: [number, bigint][]) => new Map(entries);
const SNAPSHOTS: Snapshot[] = [
  {
    cycle: 1,
    closedAt: "2026-12-18T04:45:07.000Z",
    balances: balances([
      [1, 40_000n * U - 1_234_500_000n + 1n],
      [2, 20_000n * U + 1_234_500_000n],
      [3, 2_000n * U - 1n],
    ]),
  },
  {
    cycle: 2,
    closedAt: "2026-12-25T04:45:07.000Z",
    balances: balances([
      [1, 40_000n * U - 1_234_500_000n + 1n + 600n * U],
      [2, 20_000n * U + 1_234_500_000n - 10n * U],
      [3, 2_000n * U - 1n + 10n * U - 600n * U],
    ]),
  },
  {
    cycle: 3,
    closedAt: null,
    balances: balances([
      [1, 40_000n * U - 1_234_500_000n + 1n + 600n * U],
      [2, 20_000n * U + 1_234_500_000n - 10n * U - 1_234_500_000n],
      [3, 2_000n * U - 1n + 10n * U - 600n * U],
    ]),
  },
];
const MOVEMENTS: Movement[] = [
  { kind: "deposit", operator: 1, cycle: 1, amount: 40_000n * U },
  { kind: "deposit", operator: 2, cycle: 1, amount: 20_000n * U },
  { kind: "deposit", operator: 3, cycle: 1, amount: 2_000n * U },
  { kind: "paid", operator: 1, cycle: 1, amount: 1_234_500_000n },
  { kind: "received", operator: 2, cycle: 1, amount: 1_234_500_000n },
  { kind: "paid", operator: 3, cycle: 1, amount: 1n },
  { kind: "received", operator: 1, cycle: 1, amount: 1n },
  { kind: "paid", operator: 2, cycle: 2, amount: 10n * U },
  { kind: "received", operator: 3, cycle: 2, amount: 10n * U },
  { kind: "transferOut", operator: 3, cycle: 2, amount: 600n * U },
  { kind: "transferIn", operator: 1, cycle: 2, amount: 600n * U },
  { kind: "withdrawal", operator: 2, cycle: 3, amount: 1_234_500_000n },
];
/** Usage-to-settlement delays: an even count, so the median is the mean of the middle two. */
const DELAYS = [3 * DAY + 100, 10 * DAY, 3_600, 4 * DAY + 50, 2 * DAY + 7, 5 * DAY + 1];

function fixture(): DemoReport {
  return {
    title: "Fixed report",
    generatedAt: "2026-12-06T00:00:00.000Z",
    chainId: "31337",
    wallSeconds: 1.5,
    token: { symbol: "dUSD", decimals: 6 },
    consortium: [
      {
        id: 1,
        name: "Nordwind Mobil",
        tadigs: ["DEUNW"],
        community: false,
        grossOwes: "1234.5",
        grossOwed: "0.000001",
        net: "-1234.499999",
        withdrawn: "0",
      },
      {
        id: 2,
        name: "Albion Telecom",
        tadigs: ["GBRAT"],
        community: false,
        grossOwes: "10",
        grossOwed: "1234.5",
        net: "1224.5",
        withdrawn: "1234.5",
      },
      {
        id: 3,
        name: LONG_NAME,
        tadigs: ["USAV1"],
        community: true,
        grossOwes: "0.000001",
        grossOwed: "10",
        net: "9.999999",
        withdrawn: "0",
      },
    ],
    agreements: [{ id: "0x" + "ab".repeat(32), label: "Nordwind - Albion", base: "iot", discount: true, open: false }],
    usage: { records: 123_456, batches: 6, lanes: 2, injected: { duplicates: 3, outOfPeriod: 2, phantom: 2 } },
    fraud: {
      provenDuplicates: 18,
      provenOutOfPeriod: 12,
      disputedPhantoms: 12,
      removedByProofs: "98765.4321",
      waivedByResolutions: "0.5",
      fraudCountsByOperator: [{ id: 1, name: "Nordwind Mobil", proven: 30 }],
    },
    charges: {
      batchCharges: "1234567.891011",
      voucherCharges: "310",
      periodTrueUps: [{ payer: "Nordwind Mobil", payee: "Albion Telecom", amount: "47.26" }],
      capacityPayments: "1500",
    },
    netting: {
      obligations: 3,
      grossTransfers: 3,
      bilateralNetTransfers: 3,
      netTransfers: 2,
      grossTotal: "1244.500001",
      netTotal: "1234.499999",
      paymentsAvoided: 1,
      moneyMovedPercent: "99.19",
      cyclesClosed: 2,
    },
    vouchers: { redeemed: 2, refusedStale: 1, total: "310" },
    capacity: {
      trades: [
        { what: "data, GB", seller: "Nordwind Mobil", buyer: LONG_NAME, quantity: "1200", price: "600", via: "vault" },
      ],
    },
    cycles: cycleStatements([1, 2, 3], SNAPSHOTS, MOVEMENTS, 6),
    settlementTime: { delaysSeconds: DELAYS, medianDays: "3.5", maxDays: "10.0", traditional: "30-90 days" },
    gas: {
      operations: [
        { operation: "clearing.submitBatch", count: 6, median: 128_049, max: 130_000, total: 770_000 },
        { operation: `a very long operation name, ${"x".repeat(80)}`, count: 1, median: 5, max: 5, total: 5 },
      ],
      clearingTotal: 1_234_567,
      perRecord: "12345.67",
    },
  };
}

/** A formatted amount back to units: the separators removed, then exact parsing. */
const units = (text: string) => decimalToSignedUnits(text.replace(/,/g, ""), 6);
const rows = statementRows;

describe("The demo report page (fixed input)", function () {
  const html = renderHtml(fixture());

  describe("amounts", function () {
    it("should write every amount with thousands separators and the token's six decimals", function () {
      for (const expected of [
        "1,234.500000", // gross owes
        "-1,234.499999", // a negative net
        "0.000001", // one unit
        "1,234,567.891011", // batch charges
        "98,765.432100 dUSD", // removed by fraud proofs
        "Nordwind Mobil to Albion Telecom 47.260000 dUSD", // a true-up
        "40,000.000000", // a deposit
      ]) {
        expect(html).to.contain(expected);
      }
      const amounts = numberCells(html).filter((c) => c.includes("."));
      expect(amounts.length).to.be.greaterThan(40);
      for (const a of amounts) expect(a).to.match(AMOUNT);
    });

    it("should write no number of four digits or more without separators", function () {
      const text = html.replace(/<[^>]*>/g, " "); // attributes (coordinates, ids) are not read
      expect(text.match(/\d{4,}\.\d/g), "an unformatted amount").to.equal(null);
      expect(text).to.contain("12,345.67"); // gas per record
    });
  });

  describe("the statement per cycle", function () {
    const lines = rows(html, "line");
    const columns = ["opening", "deposits", "received", "paid", "transfers", "withdrawn", "closing"];
    const value = (cells: string[], column: string) => units(cells[1 + columns.indexOf(column)]);

    it("should show every operator in every cycle, the open one last", function () {
      expect(lines.map((l) => l.cycle)).to.deep.equal([1, 1, 1, 2, 2, 2, 3, 3, 3]);
      expect(html).to.contain("Cycle 1 · closed 2026-12-18 04:45 UTC");
      expect(html).to.contain("Cycle 3 · open when the report was written");
    });

    it("should add up: opening + deposits + received - paid + transfers - withdrawn = closing", function () {
      for (const { cells } of lines) {
        for (const c of cells.slice(1)) expect(c).to.match(AMOUNT);
        const sum =
          value(cells, "opening") +
          value(cells, "deposits") +
          value(cells, "received") -
          value(cells, "paid") +
          value(cells, "transfers") -
          value(cells, "withdrawn");
        expect(sum, cells[0]).to.equal(value(cells, "closing"));
      }
    });

    it("should open each cycle with the previous cycle's closing balance", function () {
      const closing = new Map<string, bigint>();
      for (const { cells } of lines) {
        expect(value(cells, "opening"), cells[0]).to.equal(closing.get(cells[0]) ?? 0n);
        closing.set(cells[0], value(cells, "closing"));
      }
    });

    it("should close on the vault's balances", function () {
      for (const { cycle, cells } of lines) {
        const id = Number(/^#(\d+)/.exec(cells[0])![1]);
        expect(value(cells, "closing")).to.equal(SNAPSHOTS[cycle - 1].balances.get(id));
      }
    });

    it("should total each column per cycle, received equal to paid", function () {
      for (const total of rows(html, "total")) {
        for (const column of columns) {
          const sum = lines.filter((l) => l.cycle === total.cycle).reduce((s, l) => s + value(l.cells, column), 0n);
          expect(value(total.cells, column), `cycle ${total.cycle} ${column}`).to.equal(sum);
        }
        expect(value(total.cells, "received")).to.equal(value(total.cells, "paid"));
      }
    });

    it("should refuse to render a statement that does not add up", function () {
      const report = fixture();
      report.cycles[1].lines[0].closing = "39365.500002";
      expect(() => renderHtml(report)).to.throw("cycle 2, operator 1: closes with 39365.500002");
    });

    it("should refuse to build a statement from movements that miss a balance change", function () {
      expect(() => cycleStatements([1, 2, 3], SNAPSHOTS, MOVEMENTS.slice(1), 6)).to.throw("cycle 1, operator 1");
    });
  });

  describe("charts", function () {
    const charts = figures(html);

    it("should name every colour drawn in a chart in that chart's legend", function () {
      expect(charts).to.have.length(5);
      for (const chart of charts) {
        const { drawn, swatches, names } = chartColours(chart);
        expect(drawn.size, chart.slice(0, 80)).to.be.greaterThan(0);
        for (const colour of drawn) expect(swatches, chart.slice(0, 80)).to.include(colour);
        expect(new Set(swatches).size, "one entry per colour").to.equal(swatches.length);
        expect(names).to.have.length(swatches.length);
      }
    });

    it("should colour a paying net position and a receiving one differently, both in the legend", function () {
      const grossNet = charts[0];
      expect(grossNet).to.contain(">net: pays<").and.to.contain(">net: receives<");
    });

    it("should refuse one colour for two series", function () {
      const row = (name: string) => ({
        label: name,
        values: [{ series: { name, color: "#000" }, value: 1, text: "1" }],
      });
      expect(() => barChart("t", [row("a"), row("b")])).to.throw('colour #000 stands for both "a" and "b"');
    });

    it("should keep every text inside its chart and off the other texts of its line", function () {
      for (const chart of charts) {
        const [, width, height] = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(chart)!.map(Number);
        const texts = all(
          chart,
          /<text x="([\d.-]+)" y="([\d.-]+)" text-anchor="(\w+)" class="(\w+)">([^<]*)<\/text>/g,
        );
        expect(texts.length).to.be.greaterThan(2);
        const boxes = texts.map((m) => {
          const [x, y, w] = [Number(m[1]), Number(m[2]), textWidth(unescape(m[5]))];
          const left = m[3] === "start" ? x : m[3] === "end" ? x - w : x - w / 2;
          return { left, right: left + w, y, cls: m[4], text: unescape(m[5]) };
        });
        for (const b of boxes) {
          expect(b.left, b.text).to.be.at.least(0);
          expect(b.right, b.text).to.be.at.most(width);
          expect(b.y - FONT_PX, b.text).to.be.at.least(0);
          expect(b.y, b.text).to.be.at.most(height);
        }
        for (const a of boxes) {
          for (const b of boxes) {
            if (a !== b && a.y === b.y)
              expect(a.right <= b.left || b.right <= a.left, `${a.text} / ${b.text}`).to.equal(true);
          }
        }
        // A bar chart's row labels end before its bars start.
        const barStarts = all(chart, /<rect class="bar" x="([\d.]+)" y="[\d.]+" width/g).map((m) => Number(m[1]));
        if (barStarts.length > 0 && new Set(barStarts).size === 1) {
          for (const b of boxes.filter((x) => x.cls === "label")) expect(b.right, b.text).to.be.at.most(barStarts[0]);
        }
      }
    });

    it("should widen a bar chart rather than let a long label overflow", function () {
      const gas = charts[4];
      const [, width] = /viewBox="0 0 ([\d.]+) /.exec(gas)!.map(Number);
      expect(width).to.be.greaterThan(760);
      expect(charts[0]).to.contain(`#3 ${LONG_NAME}`);
    });
  });

  describe("the usage-to-settlement distribution", function () {
    const sorted = [...DELAYS].sort((a, b) => a - b);
    const median = (sorted[2] + sorted[3]) / 2; // six values: 3.5 days and 75 s
    const max = sorted[sorted.length - 1];
    const chart = figures(html).find((f) => f.includes("Usage-to-settlement"))!;
    const marker = (key: string) => markerValue(chart, key);

    it("should mark the median and maximum computed from the delays", function () {
      expect(marker("median")).to.equal(median);
      expect(marker("maximum")).to.equal(max);
      expect(chart).to.contain(">median: 3.5 days<").and.to.contain(">maximum: 10.0 days<");
      expect(html).to.contain("median 3.5 days, maximum 10.0 days");
    });

    it("should count every delay once, in its day", function () {
      const counts = all(chart, /data-count="(\d+)"/g).map((m) => Number(m[1]));
      expect(counts).to.have.length(Math.floor(max / DAY) + 1);
      expect(counts.reduce((a, b) => a + b, 0)).to.equal(DELAYS.length);
      counts.forEach((c, day) => {
        expect(c, `day ${day}`).to.equal(DELAYS.filter((d) => Math.floor(d / DAY) === day).length);
      });
    });

    it("should say so when no batch was settled", function () {
      const report = fixture();
      report.settlementTime.delaysSeconds = [];
      const page = renderHtml(report);
      expect(page).to.contain("No batch was settled.");
      expect(figures(page)).to.have.length(4);
    });
  });
});
