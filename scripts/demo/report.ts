/**
 * The demo's report: what the month did, as JSON (for scripts) and as one self-contained HTML page with SVG charts
 * (no external file, font or script), both written to `reports/`. Amounts are exact decimal strings in the JSON and
 * are formatted for a finance reader on the page (thousands separators, a fixed number of decimals) by
 * {@link formatUnits}, in integers; numbers are used only for drawing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { dayBins, DAY_SECONDS, distribution, secondsToDays } from "./distribution";
import { decimalToSignedUnits, formatDecimal, formatUnits } from "./format";
import { checkStatements, type CycleStatement } from "./statement";
import { barChart, escapeXml as escape, histogram, type Series } from "./svg";

export type { CycleLine, CycleStatement } from "./statement";

export interface OperatorFigures {
  id: number;
  name: string;
  tadigs: string[];
  community: boolean;
  /** What it owed and was owed, gross, over the month (decimal token units). */
  grossOwes: string;
  grossOwed: string;
  /** Owed minus owes. */
  net: string;
  /** What it withdrew at the end, above its prefunding. */
  withdrawn: string;
}

export interface GasFigure {
  operation: string;
  count: number;
  median: number;
  max: number;
  total: number;
}

export interface DemoReport {
  title: string;
  generatedAt: string;
  chainId: string;
  wallSeconds: number;
  token: { symbol: string; decimals: number };
  consortium: OperatorFigures[];
  agreements: { id: string; label: string; base: string; discount: boolean; open: boolean }[];
  usage: {
    records: number;
    batches: number;
    lanes: number;
    injected: { duplicates: number; outOfPeriod: number; phantom: number };
  };
  fraud: {
    provenDuplicates: number;
    provenOutOfPeriod: number;
    disputedPhantoms: number;
    /** Charges removed by fraud proofs, and held parts waived by joint resolutions (decimal token units). */
    removedByProofs: string;
    waivedByResolutions: string;
    fraudCountsByOperator: { id: number; name: string; proven: number }[];
  };
  charges: {
    batchCharges: string;
    voucherCharges: string;
    /** The period-end discount settlement's payments (operator names, decimal token units). */
    periodTrueUps: { payer: string; payee: string; amount: string }[];
    capacityPayments: string;
  };
  netting: {
    /** Obligations recorded (invoices: batches, vouchers, true-ups). */
    obligations: number;
    grossTransfers: number;
    bilateralNetTransfers: number;
    netTransfers: number;
    grossTotal: string;
    netTotal: string;
    paymentsAvoided: number;
    /** Net money moved as a percentage of gross, two decimals. */
    moneyMovedPercent: string;
    cyclesClosed: number;
  };
  vouchers: { redeemed: number; refusedStale: number; total: string };
  capacity: { trades: { what: string; buyer: string; seller: string; quantity: string; price: string; via: string }[] };
  /** The vault's statement per settlement cycle, the last one possibly still open (withdrawals at the end). */
  cycles: CycleStatement[];
  settlementTime: {
    /** Per finalized batch: seconds from the end of its usage period to the close of the cycle that settled it. */
    delaysSeconds: number[];
    /** Median and maximum of `delaysSeconds` in days, one decimal (see `distribution.ts`). */
    medianDays: string;
    maxDays: string;
    traditional: string;
  };
  gas: { operations: GasFigure[]; clearingTotal: number; perRecord: string };
}

/** Writes `reports/<name>.json` and `reports/<name>.html`; returns their paths. */
export function writeDemoReport(report: DemoReport, dir = "reports", name = "demo"): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const html = path.join(dir, `${name}.html`);
  writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

/** A cell: text, left-aligned unless it is an amount or a count (`num`). */
interface Cell {
  text: string;
  num?: boolean;
}
const cell = (text: string | number, num = typeof text === "number"): Cell => ({
  text: typeof text === "number" ? text.toLocaleString("en-US") : text,
  num,
});
const td = (c: Cell) => `<td${c.num === true ? ' class="num"' : ""}>${escape(c.text)}</td>`;

function table(headers: Cell[], rows: Cell[][], cls = ""): string {
  const head = headers.map((h) => `<th${h.num === true ? ' class="num"' : ""}>${escape(h.text)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map(td).join("")}</tr>`).join("");
  return `<table${cls === "" ? "" : ` class="${cls}"`}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Displayed decimals: the token's, exact, up to 6; an 18-decimal token's amounts are rounded to 6 (and say so). */
export const MAX_DISPLAY_DECIMALS = 6;

const BLUE = "#2b6cb0";
const ORANGE = "#dd6b20";
const GREEN = "#2f855a";
const RED = "#c53030";
const PURPLE = "#6b46c1";
const GREY = "#4a5568";

/** The report as one self-contained HTML page. */
export function renderHtml(r: DemoReport): string {
  const sym = r.token.symbol;
  const shown = Math.min(r.token.decimals, MAX_DISPLAY_DECIMALS);
  const units = (d: string) => decimalToSignedUnits(d, r.token.decimals);
  /** An amount of the report, formatted: "1,234.500000". */
  const amount = (d: string) => formatUnits(units(d), r.token.decimals, shown);
  /** Bar lengths only: an amount as a plain number (never displayed). */
  const length = (d: string) => Math.abs(Number(units(d)));
  const money = (d: string): Cell => ({ text: amount(d), num: true });
  const byId = new Map(r.consortium.map((o) => [o.id, o]));
  const operatorName = (id: number) => byId.get(id)?.name ?? `#${id}`;

  const owes: Series = { name: "gross owes", color: ORANGE };
  const owed: Series = { name: "gross owed", color: BLUE };
  const receives: Series = { name: "net: receives", color: GREEN };
  const pays: Series = { name: "net: pays", color: RED };
  const grossNet = barChart(
    `Gross owed vs net position per operator (${sym})`,
    r.consortium.map((o) => ({
      label: `#${o.id} ${o.name}`,
      values: [
        { series: owes, value: length(o.grossOwes), text: `owes ${amount(o.grossOwes)}` },
        { series: owed, value: length(o.grossOwed), text: `owed ${amount(o.grossOwed)}` },
        { series: units(o.net) >= 0n ? receives : pays, value: length(o.net), text: `net ${amount(o.net)}` },
      ],
    })),
  );
  const payments: Series = { name: "payments needed", color: BLUE };
  const transfers = barChart(
    "Payments needed to settle the month",
    (
      [
        ["gross bilateral", r.netting.grossTransfers],
        ["bilateral netting", r.netting.bilateralNetTransfers],
        ["multilateral netting", r.netting.netTransfers],
      ] as const
    ).map(([label, n]) => ({ label, values: [{ series: payments, value: n, text: n.toLocaleString("en-US") }] })),
  );
  const proven: Series = { name: "proven on chain (charge removed)", color: RED };
  const disputed: Series = { name: "disputed (held part waived jointly)", color: ORANGE };
  const fraud = barChart(
    "Fraud caught on chain (records)",
    (
      [
        ["duplicates", r.fraud.provenDuplicates, proven],
        ["out of period", r.fraud.provenOutOfPeriod, proven],
        ["phantom subscribers", r.fraud.disputedPhantoms, disputed],
      ] as const
    ).map(([label, n, series]) => ({ label, values: [{ series, value: n, text: n.toLocaleString("en-US") }] })),
  );
  const medianGas: Series = { name: "median gas per transaction", color: PURPLE };
  const gas = barChart(
    "Gas per operation (median)",
    r.gas.operations.map((g) => ({
      label: g.operation,
      values: [{ series: medianGas, value: g.median, text: `${g.median.toLocaleString("en-US")} (x${g.count})` }],
    })),
  );

  const delays = r.settlementTime.delaysSeconds;
  let settlement = "<p>No batch was settled.</p>";
  let medianDays = "-";
  if (delays.length > 0) {
    const d = distribution(delays);
    medianDays = secondsToDays(d.median);
    const maxDays = secondsToDays(d.max);
    settlement =
      `<p>${d.count.toLocaleString("en-US")} batches, from the end of their usage week to the close of the cycle that ` +
      `settled them: median ${medianDays} days, maximum ${maxDays} days (traditionally ` +
      `${escape(r.settlementTime.traditional)}).</p>` +
      histogram(
        "Usage-to-settlement time (batches per day of delay)",
        dayBins(delays),
        { name: "batches settled, per day of delay", color: BLUE },
        [
          {
            key: "median",
            series: { name: `median: ${medianDays} days`, color: GREEN },
            at: d.median / DAY_SECONDS,
            label: `median ${medianDays} d`,
            value: String(d.median),
          },
          {
            key: "maximum",
            series: { name: `maximum: ${maxDays} days`, color: RED },
            at: d.max / DAY_SECONDS,
            label: `maximum ${maxDays} d`,
            value: String(d.max),
          },
        ],
        "days from the end of the usage week to the close of the settling cycle",
      );
  }

  const operators = table(
    [
      cell("id", true),
      cell("operator"),
      cell("TADIGs"),
      cell(`gross owes (${sym})`, true),
      cell(`gross owed (${sym})`, true),
      cell(`net (${sym})`, true),
      cell(`withdrawn (${sym})`, true),
    ],
    r.consortium.map((o) => [
      cell(o.id),
      cell(o.name + (o.community ? " (community)" : "")),
      cell(o.tadigs.join(", ")),
      money(o.grossOwes),
      money(o.grossOwed),
      money(o.net),
      money(o.withdrawn),
    ]),
  );
  const trades = table(
    [
      cell("what"),
      cell("seller"),
      cell("buyer"),
      cell("quantity", true),
      cell(`price (${sym})`, true),
      cell("paid via"),
    ],
    r.capacity.trades.map((t) => [
      cell(t.what),
      cell(t.seller),
      cell(t.buyer),
      cell(formatUnits(BigInt(t.quantity), 0), true),
      money(t.price),
      cell(t.via),
    ]),
  );
  const agreements = table(
    [cell("agreement"), cell("parties"), cell("base tariff"), cell("discount deal"), cell("offer")],
    r.agreements.map((a) => [
      cell(a.id.slice(0, 14) + "…"),
      cell(a.label),
      cell(a.base),
      cell(a.discount ? "yes (period end)" : "no"),
      cell(a.open ? "open offer" : "bilateral"),
    ]),
  );
  const trueUps =
    r.charges.periodTrueUps.length === 0
      ? "none"
      : r.charges.periodTrueUps.map((t) => `${t.payer} to ${t.payee} ${amount(t.amount)} ${sym}`).join("; ");
  const exactness =
    shown === r.token.decimals
      ? `exact, ${shown} decimals`
      : `rounded half away from zero to ${shown} of the token's ${r.token.decimals} decimals`;
  const m = (d: string) => `${escape(amount(d))} ${escape(sym)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1080px;margin:2rem auto;padding:0 1rem;color:#1a202c}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e2e8f0}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem}
.kpi{background:#f7fafc;border:1px solid #e2e8f0;border-radius:8px;padding:.7rem;overflow-wrap:anywhere}.kpi b{display:block;font-size:1.3rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e2e8f0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.cycle th{background:#edf2f7;text-align:left}tr.total td{font-weight:600;border-bottom:2px solid #cbd5e0}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.4rem}
svg text{font-size:11px;fill:#2d3748}svg .value,svg .axis{fill:${GREY}}small{color:#718096}
</style></head><body>
<h1>${escape(r.title)}</h1>
<p><small>Chain id ${escape(r.chainId)} · generated ${escape(r.generatedAt)} · ${r.wallSeconds.toFixed(1)} s of wall time · amounts in ${escape(sym)} (${exactness}; "," separates thousands)</small></p>
<div class="kpis">
<div class="kpi"><b>${r.usage.records.toLocaleString("en-US")}</b>usage records in ${r.usage.batches} batches</div>
<div class="kpi"><b>${(r.fraud.provenDuplicates + r.fraud.provenOutOfPeriod).toLocaleString("en-US")}</b>records proven fraudulent on chain</div>
<div class="kpi"><b>${r.netting.paymentsAvoided} of ${r.netting.grossTransfers}</b>payments avoided by netting</div>
<div class="kpi"><b>${escape(r.netting.moneyMovedPercent)}%</b>of gross money actually moved</div>
<div class="kpi"><b>${escape(medianDays)} days</b>median usage-to-settlement (traditionally ${escape(r.settlementTime.traditional)})</div>
<div class="kpi"><b>${escape(formatDecimal(r.gas.perRecord, 2))}</b>gas per usage record</div>
</div>
<h2>Operators</h2><div class="scroll">${operators}</div>${grossNet}
<h2>Vault statement per settlement cycle (${escape(sym)})</h2>
<p>Each operator's vault balance, cycle by cycle: opening + deposits + received - paid + transfers - withdrawn = closing. Obligations (received, paid) are netted at the cycle's close; transfers (capacity bought from vault balances) and withdrawals move the balance at once.</p>
<div class="scroll">${cycleTable(r, (u) => formatUnits(u, r.token.decimals, shown), operatorName)}</div>
<h2>Netting</h2>
<p>${r.netting.obligations} obligations (batch invoices, vouchers, period-end true-ups). Gross: ${r.netting.grossTransfers} bilateral payments of ${m(r.netting.grossTotal)}; with multilateral netting over ${r.netting.cyclesClosed} weekly cycles: ${r.netting.netTransfers} payments of ${m(r.netting.netTotal)}.</p>${transfers}
<h2>Usage to settlement</h2>${settlement}
<h2>Clearing and fraud</h2>
<p>${r.usage.records.toLocaleString("en-US")} records on ${r.usage.lanes} lanes (agreement x direction), submitted as weekly batches (one transaction each, only the Merkle root on chain). Injected per batch: ${r.usage.injected.duplicates} duplicates, ${r.usage.injected.outOfPeriod} out-of-period records, ${r.usage.injected.phantom} phantom subscribers. Fraud proofs removed ${m(r.fraud.removedByProofs)}; joint resolutions waived ${m(r.fraud.waivedByResolutions)} held for the phantoms.</p>${fraud}
<p>Charges: batches ${m(r.charges.batchCharges)}, vouchers ${m(r.charges.voucherCharges)}, capacity ${m(r.charges.capacityPayments)}; period-end discount true-ups: ${escape(trueUps)}.</p>
<h2>Agreements</h2><div class="scroll">${agreements}</div>
<h2>Capacity and spectrum</h2><div class="scroll">${trades}</div>
<h2>Gas</h2><p>Clearing gas in all: ${r.gas.clearingTotal.toLocaleString("en-US")} (${escape(formatDecimal(r.gas.perRecord, 2))} per record).</p>${gas}
</body></html>
`;
}

/** "2026-12-06T03:41:00.000Z" as "2026-12-06 03:41 UTC". */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * The per-cycle statement: a header row per cycle, a line per operator, and the cycle's totals.
 *
 * @throws Error if a line does not add up (see {@link checkStatements}): the page never shows a statement that does
 * not balance.
 */
function cycleTable(r: DemoReport, show: (units: bigint) => string, operatorName: (id: number) => string): string {
  checkStatements(r.cycles, r.token.decimals);
  const columns = ["opening", "deposits", "received", "paid", "transfers", "withdrawn", "closing"] as const;
  const head = `<th>operator</th>` + columns.map((c) => `<th class="num">${c}</th>`).join("");
  const rows: string[] = [];
  for (const s of r.cycles) {
    const when = s.closedAt === null ? "open when the report was written" : `closed ${utc(s.closedAt)}`;
    rows.push(
      `<tr class="cycle" data-cycle="${s.cycle}"><th colspan="${columns.length + 1}">` +
        `Cycle ${s.cycle} · ${escape(when)}</th></tr>`,
    );
    const units = (d: string) => decimalToSignedUnits(d, r.token.decimals);
    for (const line of s.lines) {
      rows.push(
        `<tr class="line" data-cycle="${s.cycle}" data-operator="${line.id}">` +
          td(cell(`#${line.id} ${operatorName(line.id)}`)) +
          columns.map((c) => td({ text: show(units(line[c])), num: true })).join("") +
          `</tr>`,
      );
    }
    const total = (c: (typeof columns)[number]) => s.lines.reduce((sum, line) => sum + units(line[c]), 0n);
    rows.push(
      `<tr class="total" data-cycle="${s.cycle}">${td(cell("all operators"))}` +
        columns.map((c) => td({ text: show(total(c)), num: true })).join("") +
        `</tr>`,
    );
  }
  return `<table class="cycles"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
