/**
 * The demo's report: what the month did, as JSON (for scripts) and as one self-contained HTML page with SVG charts
 * (no external file, font or script), both written to `reports/`. Amounts are exact decimal strings; numbers are used
 * only for drawing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

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
  charges: { batchCharges: string; voucherCharges: string; periodTrueUps: string[]; capacityPayments: string };
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
  settlementTime: { medianDays: string; maxDays: string; traditional: string };
  gas: { operations: GasFigure[]; clearingTotal: number; perRecord: string };
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** Writes `reports/<name>.json` and `reports/<name>.html`; returns their paths. */
export function writeDemoReport(report: DemoReport, dir = "reports", name = "demo"): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const html = path.join(dir, `${name}.html`);
  writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(html, renderHtml(report));
  return { json, html };
}

interface Bar {
  label: string;
  values: { value: number; text: string; color: string }[];
}

/** A horizontal bar chart (one or several bars per row), as inline SVG. */
function barChart(title: string, rows: Bar[], legend: { name: string; color: string }[] = []): string {
  const width = 760;
  const labelWidth = 190;
  const barHeight = 14;
  const rowGap = 10;
  const perRow = Math.max(1, ...rows.map((r) => r.values.length));
  const rowHeight = perRow * (barHeight + 2) + rowGap;
  const height = rows.length * rowHeight + 30 + (legend.length > 0 ? 20 : 0);
  const max = Math.max(1, ...rows.flatMap((r) => r.values.map((v) => v.value)));
  const scale = (width - labelWidth - 140) / max;
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = 20 + i * rowHeight;
    parts.push(`<text x="0" y="${y + barHeight}" class="label">${escape(row.label)}</text>`);
    row.values.forEach((v, j) => {
      const by = y + j * (barHeight + 2);
      const w = Math.max(1, v.value * scale);
      parts.push(`<rect x="${labelWidth}" y="${by}" width="${w.toFixed(1)}" height="${barHeight}" fill="${v.color}"/>`);
      parts.push(
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${by + barHeight - 3}" class="value">${escape(v.text)}</text>`,
      );
    });
  });
  legend.forEach((l, i) => {
    const x = labelWidth + i * 160;
    const y = height - 8;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${l.color}"/>`);
    parts.push(`<text x="${x + 18}" y="${y}" class="label">${escape(l.name)}</text>`);
  });
  return (
    `<figure><figcaption>${escape(title)}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escape(title)}">${parts.join("")}</svg></figure>`
  );
}

function table(headers: string[], rows: (string | number)[][]): string {
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escape(String(c))}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const num = (decimal: string) => Number(decimal);
const BLUE = "#2b6cb0";
const ORANGE = "#dd6b20";
const GREEN = "#2f855a";
const RED = "#c53030";

/** The report as one self-contained HTML page. */
export function renderHtml(r: DemoReport): string {
  const sym = r.token.symbol;
  const grossNet = barChart(
    `Gross owed vs net position per operator (${sym})`,
    r.consortium.map((o) => ({
      label: `#${o.id} ${o.name}`,
      values: [
        { value: num(o.grossOwes), text: `owes ${o.grossOwes}`, color: ORANGE },
        { value: num(o.grossOwed), text: `owed ${o.grossOwed}`, color: BLUE },
        { value: Math.abs(num(o.net)), text: `net ${o.net}`, color: num(o.net) >= 0 ? GREEN : RED },
      ],
    })),
    [
      { name: "gross owes", color: ORANGE },
      { name: "gross owed", color: BLUE },
      { name: "net (green: receives)", color: GREEN },
    ],
  );
  const transfers = barChart("Payments needed to settle the month", [
    {
      label: "gross bilateral",
      values: [{ value: r.netting.grossTransfers, text: String(r.netting.grossTransfers), color: ORANGE }],
    },
    {
      label: "bilateral netting",
      values: [{ value: r.netting.bilateralNetTransfers, text: String(r.netting.bilateralNetTransfers), color: BLUE }],
    },
    {
      label: "multilateral netting",
      values: [{ value: r.netting.netTransfers, text: String(r.netting.netTransfers), color: GREEN }],
    },
  ]);
  const fraud = barChart("Fraud caught on chain", [
    {
      label: "duplicates (proven)",
      values: [{ value: r.fraud.provenDuplicates, text: String(r.fraud.provenDuplicates), color: RED }],
    },
    {
      label: "out of period (proven)",
      values: [{ value: r.fraud.provenOutOfPeriod, text: String(r.fraud.provenOutOfPeriod), color: RED }],
    },
    {
      label: "phantom subscribers (disputed)",
      values: [{ value: r.fraud.disputedPhantoms, text: String(r.fraud.disputedPhantoms), color: ORANGE }],
    },
  ]);
  const gas = barChart(
    "Gas per operation (median)",
    r.gas.operations.map((g) => ({
      label: g.operation,
      values: [{ value: g.median, text: `${g.median.toLocaleString("en-US")} (x${g.count})`, color: BLUE }],
    })),
  );
  const operators = table(
    ["id", "operator", "TADIGs", `gross owes (${sym})`, `gross owed (${sym})`, `net (${sym})`, `withdrawn (${sym})`],
    r.consortium.map((o) => [
      o.id,
      o.name + (o.community ? " (community)" : ""),
      o.tadigs.join(", "),
      o.grossOwes,
      o.grossOwed,
      o.net,
      o.withdrawn,
    ]),
  );
  const trades = table(
    ["what", "seller", "buyer", "quantity", `price (${sym})`, "paid via"],
    r.capacity.trades.map((t) => [t.what, t.seller, t.buyer, t.quantity, t.price, t.via]),
  );
  const agreements = table(
    ["agreement", "parties", "base tariff", "discount deal", "offer"],
    r.agreements.map((a) => [
      a.id.slice(0, 14) + "…",
      a.label,
      a.base,
      a.discount ? "yes (period end)" : "no",
      a.open ? "open offer" : "bilateral",
    ]),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1a202c}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e2e8f0}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.8rem}
.kpi{background:#f7fafc;border:1px solid #e2e8f0;border-radius:8px;padding:.7rem}.kpi b{display:block;font-size:1.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #e2e8f0;padding:.3rem .5rem;text-align:right}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.4rem}
svg .label{font-size:11px;fill:#2d3748}svg .value{font-size:11px;fill:#4a5568}small{color:#718096}
</style></head><body>
<h1>${escape(r.title)}</h1>
<p><small>Chain id ${escape(r.chainId)} · generated ${escape(r.generatedAt)} · ${r.wallSeconds.toFixed(1)} s of wall time · amounts in ${escape(sym)} (${r.token.decimals} decimals), exact</small></p>
<div class="kpis">
<div class="kpi"><b>${r.usage.records.toLocaleString("en-US")}</b>usage records in ${r.usage.batches} batches</div>
<div class="kpi"><b>${r.fraud.provenDuplicates + r.fraud.provenOutOfPeriod}</b>records proven fraudulent on chain</div>
<div class="kpi"><b>${r.netting.paymentsAvoided} of ${r.netting.grossTransfers}</b>payments avoided by netting</div>
<div class="kpi"><b>${escape(r.netting.moneyMovedPercent)}%</b>of gross money actually moved</div>
<div class="kpi"><b>${escape(r.settlementTime.medianDays)} days</b>median usage-to-settlement (traditionally ${escape(r.settlementTime.traditional)})</div>
<div class="kpi"><b>${escape(r.gas.perRecord)}</b>gas per usage record</div>
</div>
<h2>Operators</h2>${operators}${grossNet}
<h2>Netting</h2>
<p>${r.netting.obligations} obligations (batch invoices, vouchers, period-end true-ups). Gross: ${r.netting.grossTransfers} bilateral payments of ${escape(r.netting.grossTotal)} ${escape(sym)}; with multilateral netting over ${r.netting.cyclesClosed} weekly cycles: ${r.netting.netTransfers} payments of ${escape(r.netting.netTotal)} ${escape(sym)}.</p>${transfers}
<h2>Clearing and fraud</h2>
<p>${r.usage.records.toLocaleString("en-US")} records on ${r.usage.lanes} lanes (agreement x direction), submitted as weekly batches (one transaction each, only the Merkle root on chain). Injected per batch: ${r.usage.injected.duplicates} duplicates, ${r.usage.injected.outOfPeriod} out-of-period records, ${r.usage.injected.phantom} phantom subscribers. Fraud proofs removed ${escape(r.fraud.removedByProofs)} ${escape(sym)}; joint resolutions waived ${escape(r.fraud.waivedByResolutions)} ${escape(sym)} held for the phantoms.</p>${fraud}
<p>Charges: batches ${escape(r.charges.batchCharges)}, vouchers ${escape(r.charges.voucherCharges)}, period-end discount true-ups ${escape(r.charges.periodTrueUps.join(", ") || "none")} ${escape(sym)}.</p>
<h2>Agreements</h2>${agreements}
<h2>Capacity and spectrum</h2>${trades}
<h2>Gas</h2><p>Clearing gas in all: ${r.gas.clearingTotal.toLocaleString("en-US")} (${escape(r.gas.perRecord)} per record).</p>${gas}
</body></html>
`;
}
