/**
 * Writes `docs/benchmarks.md` (and `reports/bench.json`) from the results the benches left in `reports/`
 * (`bench-pipeline.json`, `bench-gas.json`). Deterministic apart from the measured figures and the machine. What the file
 * holds from "## Recorded runs" on (runs made by hand, such as the deep invariant campaign) is kept as it is.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { Machine } from "./common";
import { readReport, writeReport } from "./common";

interface PipelineReport {
  machine: Machine;
  records: number;
  runs: number;
  referenceRuns: number;
  csvBytes: number;
  keccak: string;
  root: string;
  rootsIdentical: boolean;
  median: {
    ingestSeconds: number;
    rateSeconds: number;
    treeSeconds: number;
    totalSeconds: number;
    cpuSeconds: number;
    referenceSeconds: number;
    referenceCpuSeconds: number;
  };
  general?: { records: number; medianSeconds: number; fastPath: string; rootsIdentical: boolean };
  all: { runs: { totalSeconds: number }[]; referenceSeconds: number[]; generalSeconds?: number[] };
  pipelinePeakRssBytes: number;
  peakRssBytes: number;
  loadAverage: number[];
}

interface GasReport {
  machine: Machine;
  runs: number;
  partners: number;
  settlement: {
    members: number;
    obligations: number;
    recordObligationGas: { total: string; median: string };
    closeCycleGas: string;
    memberSettlement: {
      payers: number;
      receivers: number;
      flat: number;
      payerGas: { median: string; max: string };
      receiverGas: { median: string; max: string };
      totalGas: string;
    };
    gross: { transfers: number; value: string; gas: string };
    net: { transfers: number; value: string; gas: string; gasWithClose: string };
  }[];
  batches: {
    records: number;
    services: number;
    submitGas: string;
    acceptGas: string;
    finalizeGas: string;
    totalGas: string;
    gasPerRecord: number;
    submitGasPerRecord: number;
  }[];
}

const TARGET_SECONDS = 5;
const TARGET_SPEEDUP = 3;
const MiB = 2 ** 20;

const int = (v: string | number | bigint) => BigInt(v).toLocaleString("en");
const usdc = (v: string) => (BigInt(v) / 1_000_000n).toLocaleString("en");
const fixed = (v: number, digits = 2) => v.toFixed(digits);
const pct = (part: bigint, whole: bigint) =>
  whole === 0n ? "0" : ((part * 1000n) / whole).toString().replace(/(\d)$/, ".$1");

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} logical cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}`;
}

function pipelineSection(p: PipelineReport | undefined): string {
  if (p === undefined) return "_Not run: `npm run bench:pipeline` writes `reports/bench-pipeline.json`._\n";
  const m = p.median;
  const perSecond = p.records / m.totalSeconds;
  const speedupTree = m.referenceSeconds / m.treeSeconds;
  const speedupPipeline = m.referenceSeconds / m.totalSeconds;
  const full = p.records >= 1_000_000;
  const metTime = full && m.totalSeconds <= TARGET_SECONDS;
  const metSpeedup = speedupTree >= TARGET_SPEEDUP;
  return [
    `Machine: ${machineLine(p.machine)}. Load average when the run ended: ${p.loadAverage.map((x) => x.toFixed(2)).join(", ")} ` +
      `(other jobs shared the machine: wall-clock times include their interference; the CPU time column does not).`,
    "",
    `${int(p.records)} generated CDRs (one month, ${int(50_000)} subscribers, 5 services) as one ${fixed(p.csvBytes / MiB, 1)} MiB ` +
      `CSV file in memory, on one core (\`taskset -c 0 node --single-threaded\`), Keccak: ${p.keccak}. ` +
      `Medians of ${p.runs} runs (the reference: ${p.referenceRuns}).`,
    "",
    table(
      ["Stage", "Median time (s)", "Records per second"],
      [
        [
          "parse + validate + round + derive leaves (`ingestCdrBatch`, fast CSV path)",
          fixed(m.ingestSeconds),
          int(Math.round(p.records / m.ingestSeconds)),
        ],
        ["rate the batch totals (`rate`)", fixed(m.rateSeconds, 4), "-"],
        [
          "leaf hashing + Merkle root (`buildRecordTree`)",
          fixed(m.treeSeconds),
          int(Math.round(p.records / m.treeSeconds)),
        ],
        [
          `**whole pipeline** (CPU time ${fixed(m.cpuSeconds)} s)`,
          `**${fixed(m.totalSeconds)}**`,
          `**${int(Math.round(perSecond))}**`,
        ],
        [
          `reference: \`StandardMerkleTree.of\` on the same leaves (CPU ${fixed(m.referenceCpuSeconds)} s)`,
          fixed(m.referenceSeconds),
          int(Math.round(p.records / m.referenceSeconds)),
        ],
      ],
    ),
    "",
    `- Every run, whole pipeline (s): ${p.all.runs.map((r) => fixed(r.totalSeconds)).join(", ")} (a first run in a ` +
      `process also pays for the JIT compilation of the hot loops); the reference: ` +
      `${p.all.referenceSeconds.map((x) => fixed(x, 0)).join(", ")} s.`,
    `- Roots identical (SDK and \`StandardMerkleTree\`): **${p.rootsIdentical ? "yes" : "NO"}** (\`${p.root}\`).`,
    `- Tree speedup over the reference (same leaves): **${fixed(speedupTree, 1)}x**; whole pipeline (CSV to root) against the ` +
      `reference's tree alone: ${fixed(speedupPipeline, 1)}x.`,
    `- Peak memory (max RSS) over the pipeline runs: **${fixed(p.pipelinePeakRssBytes / MiB, 0)} MiB** (the CSV bytes, ` +
      `the leaf encodings, 192 bytes a record, and the tree of one run held at once); with the reference too (it needs ` +
      `the leaves as objects): ${fixed(p.peakRssBytes / MiB, 0)} MiB.`,
    ...(p.general === undefined
      ? []
      : [
          `- The general path (\`ingestCdrs\`: streaming, CSV, NDJSON or JSON, every issue reported with its line; what ` +
            `\`ingestCdrBatch\` falls back to for a file the fast path declines), on ${int(p.general.records)} records of ` +
            `the same generator: ${fixed(p.general.medianSeconds)} s, ` +
            `**${int(Math.round(p.general.records / p.general.medianSeconds))} records per second**; the same root as ` +
            `the fast path for that file: **${p.general.rootsIdentical ? "yes" : "NO"}**.`,
        ]),
    `- Target: 1M records in <= ${TARGET_SECONDS} s: **${full ? (metTime ? "met" : "not met") : `not measured (${int(p.records)} records)`}**; >= ${TARGET_SPEEDUP}x the reference: ` +
      `**${metSpeedup ? "met" : "not met"}**.`,
    "",
  ].join("\n");
}

function settlementSection(g: GasReport | undefined): string {
  if (g === undefined || g.settlement.length === 0)
    return "_Not run: `npm run bench:gas` writes `reports/bench-gas.json`._\n";
  const rows = g.settlement.map((s) => [
    int(s.members),
    int(s.obligations),
    int(s.closeCycleGas),
    `${int(s.memberSettlement.payerGas.median)} / ${int(s.memberSettlement.payerGas.max)}`,
    `${int(s.memberSettlement.receiverGas.median)} / ${int(s.memberSettlement.receiverGas.max)}`,
    `${s.memberSettlement.payers} / ${s.memberSettlement.receivers} / ${s.memberSettlement.flat}`,
    int(s.recordObligationGas.median),
  ]);
  const compare = g.settlement.map((s) => [
    int(s.members),
    int(s.gross.transfers),
    usdc(s.gross.value),
    int(s.gross.gas),
    int(s.net.transfers),
    usdc(s.net.value),
    int(s.net.gasWithClose),
    `${pct(BigInt(s.gross.gas) - BigInt(s.net.gasWithClose), BigInt(s.gross.gas))}%`,
    int(s.recordObligationGas.total),
  ]);
  return [
    `Machine: ${machineLine(g.machine)}. Gas is deterministic (the same in every run; \`BENCH_GAS_RUNS=2\` checks it).`,
    "",
    `A random month (seeded): each member owes ${g.partners} random other members 1 to 5,000 USDC each. Every member ` +
      "keeps a standing float in the vault (what it owes in the month, funded once), so every obligation is final when " +
      "recorded. After `closeCycle`, each member's settlement of the month is one transfer: a net payer tops its float up " +
      "by its net debit (`deposit`), a net receiver withdraws its net credit (`withdraw`, which also applies its closed " +
      "position); members at zero do nothing.",
    "",
    table(
      [
        "Members",
        "Obligations",
        "`closeCycle` gas",
        "Payer settlement gas (median / max)",
        "Receiver settlement gas (median / max)",
        "Payers / receivers / flat",
        "`recordObligation` gas (median)",
      ],
      rows,
    ),
    "",
    "Gross bilateral settlement vs multilateral netting, same month: gross is one ERC-20 `transfer` per ordered pair " +
      "with obligations (payer's admin to payee's payout address); net is `closeCycle` plus one vault transfer per member " +
      "with a non-zero position. Recording the obligations (last column) is the clearing's cost and is the same " +
      "information in both cases; it is not counted in either total.",
    "",
    table(
      [
        "Members",
        "Gross transfers",
        "Gross value (USDC)",
        "Gross gas",
        "Net transfers",
        "Net value (USDC)",
        "Net gas (incl. close)",
        "Gas saved",
        "Recording gas (both)",
      ],
      compare,
    ),
    "",
  ].join("\n");
}

function costSection(g: GasReport | undefined): string {
  if (g === undefined || g.batches.length === 0)
    return "_Not run: `npm run bench:gas` writes `reports/bench-gas.json`._\n";
  const rows = g.batches.map((b) => [
    int(b.records),
    String(b.services),
    int(b.submitGas),
    int(b.acceptGas),
    int(b.finalizeGas),
    int(b.totalGas),
    b.submitGasPerRecord >= 1 ? fixed(b.submitGasPerRecord, 1) : fixed(b.submitGasPerRecord, 4),
    b.gasPerRecord >= 1 ? fixed(b.gasPerRecord, 1) : fixed(b.gasPerRecord, 4),
  ]);
  return [
    "A batch of generated records of one day (the clearing fixture's IOT tariff, its services), submitted by the " +
      "visited network through `UsageClearing.submitBatch` (header and totals, only the Merkle root of the records), " +
      "accepted by the home network (which makes it final) and finalized into the vault (`finalize`, anyone). The " +
      "leaves are derived as `ingestCdrs` derives them and the root by `buildRecordTree`.",
    "",
    table(
      [
        "Records",
        "Services",
        "Submit gas",
        "Accept gas",
        "Finalize gas",
        "Total gas",
        "Submit gas / record",
        "Total gas / record",
      ],
      rows,
    ),
    "",
  ].join("\n");
}

/** The heading from which `docs/benchmarks.md` is written by hand (runs no bench repeats): kept as it is. */
const KEPT_HEADING = "## Recorded runs";

/** What `file` holds from `KEPT_HEADING` on (with a blank line before it), or nothing. */
function keptSection(file: string): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(`\n${KEPT_HEADING}\n`);
  return at < 0 ? "" : `\n${text.slice(at + 1)}`;
}

function main(): void {
  const pipeline = readReport<PipelineReport>("bench-pipeline.json");
  const gas = readReport<GasReport>("bench-gas.json");
  const doc = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (`scripts/bench/`), which is not part of `npm test`. Everything below is measured by " +
      "that command; only the figures and the machine line change from one run to the next.",
    "",
    "Reproduce:",
    "",
    "```sh",
    "npm ci",
    "npm run bench            # all: pipeline, gas, then this file",
    "npm run bench:pipeline   # CDR pipeline only (BENCH_RECORDS, BENCH_RUNS, BENCH_REF_RUNS, BENCH_GENERAL_RECORDS)",
    "npm run bench:gas        # settlement and cost per record (BENCH_MEMBERS, BENCH_PARTNERS, BENCH_BATCHES)",
    "npm run bench:report     # rewrite this file from reports/bench-*.json",
    "```",
    "",
    "## CDR pipeline",
    "",
    "Command: `npm run bench:pipeline` (`hardhat compile` for the bindings, then `taskset -c 0 node --single-threaded " +
      "--expose-gc --max-old-space-size=8192 -r ts-node/register/transpile-only scripts/bench/pipeline.ts`).",
    "",
    pipelineSection(pipeline),
    "## Settlement at scale",
    "",
    "Command: `npm run bench:gas` (`hardhat run scripts/bench/gas.ts`, Hardhat's in-process network).",
    "",
    settlementSection(gas),
    "## Cost per record",
    "",
    "Command: `npm run bench:gas` (same run).",
    "",
    costSection(gas),
  ].join("\n");
  const file = path.join(__dirname, "..", "..", "docs", "benchmarks.md");
  writeFileSync(file, doc + keptSection(file));
  writeReport("bench.json", { pipeline, gas });
  console.log(`wrote ${file}`);
}

main();
