/**
 * The CDR pipeline benchmark (issue 8): `BENCH_RECORDS` (default 1,000,000) generated CDRs, as the bytes of one CSV
 * file in memory, through the SDK's `ingestCdrBatch` (parse, validate, round each volume to its tariff increment,
 * derive the subscriber pseudonym, the record id and the leaf: the fast CSV path), the rating of the batch totals
 * (`rate`), and `buildRecordTree` (leaf hashing and the Merkle root). Side by side, on the same leaves,
 * `@openzeppelin/merkle-tree`'s `StandardMerkleTree.of`, and a check that both roots are identical.
 *
 * Then the general path (`ingestCdrs`: streaming, any format, every issue reported), on a smaller file of
 * `BENCH_GENERAL_RECORDS` (default 100,000) records, with a check that both paths give the same root for that file.
 *
 * Run it in its own process on one core (`npm run bench:pipeline`: `taskset -c 0 node --single-threaded ...`, so
 * that neither the garbage collector nor the compiler works on another core). Each figure is the median of
 * `BENCH_RUNS` runs (default 3; `BENCH_REF_RUNS` for the reference, default the same). Writes
 * `reports/bench-pipeline.json`.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import {
  buildRecordTree,
  ingestCdrBatch,
  ingestCdrs,
  PlanKind,
  rate,
  Service,
  writeCdrCsv,
  type IngestOptions,
  type ServicePlan,
  type Tariff,
} from "../../sdk/src/pure";
import { leafTuple, RECORD_LEAF_TYPES } from "../../sdk/src/merkle/leaf";
import { wasmKeccak } from "../../sdk/src/merkle/keccak";
import { envInt, machine, median, writeReport } from "./common";
import { generateCdrs } from "../../sdk/src/testing";

const RECORDS = envInt("BENCH_RECORDS", 1_000_000);
const RUNS = envInt("BENCH_RUNS", 3);
const REF_RUNS = envInt("BENCH_REF_RUNS", RUNS);
const GENERAL_RECORDS = envInt("BENCH_GENERAL_RECORDS", 100_000);

/** 2026-03-01T00:00:00Z: the agreement's start and the month's first second. */
const MONTH_START = 1_772_323_200n;
const DAY = 86_400n;
const PERIOD = 30n * DAY;

function plan(service: Service, increment: bigint, milli: bigint): ServicePlan {
  return {
    service,
    kind: PlanKind.Threshold,
    increment,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli * 10n ** 15n }],
    unbalancedTiers: [],
  };
}

/** An IOT-like tariff covering the generator's default services. */
const TARIFF: Tariff = {
  plans: [
    plan(Service.VoiceMO, 60n, 50n),
    plan(Service.VoiceMT, 60n, 5n),
    plan(Service.SmsMO, 1n, 10n),
    plan(Service.SmsMT, 1n, 1n),
    plan(Service.Data, 1_024n, 2n),
  ],
};

const OPTIONS: IngestOptions = {
  agreementId: "0x" + "a1".repeat(32),
  direction: 0,
  sharedSecret: "0x" + "5e".repeat(32),
  validFrom: MONTH_START,
  periodLength: PERIOD,
  tariff: TARIFF,
  batchPeriod: { start: MONTH_START, end: MONTH_START + PERIOD },
};

/** The month's CSV file as UTF-8 chunks of 64 KiB (what a file stream yields), built once, outside the timings. */
async function csvFile(count: number): Promise<Uint8Array[]> {
  const cdrs = generateCdrs({
    seed: "bench month",
    count,
    subscribers: 50_000,
    periodStart: MONTH_START,
    periodEnd: MONTH_START + PERIOD,
  });
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for await (const text of writeCdrCsv(cdrs, { chunkChars: 65_536 })) chunks.push(encoder.encode(text));
  return chunks;
}

function seconds(from: number): number {
  return (performance.now() - from) / 1000;
}

function cpuSeconds(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

const MiB = 2 ** 20;

interface PipelineRun {
  ingestSeconds: number;
  rateSeconds: number;
  treeSeconds: number;
  totalSeconds: number;
  cpuSeconds: number;
  root: string;
}

async function main(): Promise<void> {
  console.log(`pipeline bench: ${RECORDS.toLocaleString("en")} records, ${RUNS} runs (reference ${REF_RUNS})`);
  console.log(`  keccak: ${wasmKeccak() === undefined ? "pure JS" : "WebAssembly"}`);
  const file = await csvFile(RECORDS);
  const bytes = file.reduce((s, c) => s + c.length, 0);
  console.log(`  CSV: ${(bytes / MiB).toFixed(1)} MiB`);

  const runs: PipelineRun[] = [];
  let leaves: Awaited<ReturnType<typeof ingestCdrBatch>>["leaves"] | undefined;
  let charge = 0n;
  for (let r = 0; r < RUNS; r++) {
    leaves = undefined;
    (globalThis as { gc?: () => void }).gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await ingestCdrBatch(file, "csv", OPTIONS);
    const ingestSeconds = seconds(t0);
    if (!result.ok || result.leaves.length !== RECORDS || result.path !== "fast") {
      throw new Error(`ingestion failed (${result.path} path): ${JSON.stringify(result.errors.slice(0, 3))}`);
    }
    const t1 = performance.now();
    charge = 0n;
    for (const [i, service] of result.totals.services.entries()) {
      const p = TARIFF.plans.find((x) => x.service === service);
      if (p !== undefined) charge += rate(p, result.totals.volumes[i], 0n, 6);
    }
    const rateSeconds = seconds(t1);
    const t2 = performance.now();
    const tree = buildRecordTree(result.leaves);
    const treeSeconds = seconds(t2);
    const totalSeconds = seconds(t0);
    const run = {
      ingestSeconds,
      rateSeconds,
      treeSeconds,
      totalSeconds,
      cpuSeconds: cpuSeconds(cpu0),
      root: tree.root,
    };
    runs.push(run);
    leaves = result.leaves;
    console.log(
      `  run ${r + 1}: ingest ${ingestSeconds.toFixed(2)} s, rate ${rateSeconds.toFixed(4)} s, tree ` +
        `${treeSeconds.toFixed(2)} s, total ${totalSeconds.toFixed(2)} s (CPU ${run.cpuSeconds.toFixed(2)} s)`,
    );
  }
  const pipelinePeakRss = process.resourceUsage().maxRSS * 1024;
  const roots = new Set(runs.map((r) => r.root));
  if (roots.size !== 1) throw new Error(`the runs disagree on the root: ${[...roots].join(", ")}`);
  const root = runs[0].root;

  // The reference, on the same leaves.
  const refSeconds: number[] = [];
  const refCpu: number[] = [];
  let refRoot = "";
  const tuples = (leaves as NonNullable<typeof leaves>).toArray().map(leafTuple);
  for (let r = 0; r < REF_RUNS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const ref = StandardMerkleTree.of(tuples, [...RECORD_LEAF_TYPES]);
    refSeconds.push(seconds(t0));
    refCpu.push(cpuSeconds(cpu0));
    refRoot = ref.root;
    console.log(`  reference run ${r + 1}: StandardMerkleTree.of ${refSeconds[r].toFixed(2)} s`);
    if (refRoot !== root) throw new Error(`roots differ: SDK ${root}, StandardMerkleTree ${refRoot}`);
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  tuples.length = 0;

  // The general path, on a smaller file; the same root as the fast path's for that file.
  const smallFile = await csvFile(GENERAL_RECORDS);
  const fastSmall = await ingestCdrBatch(smallFile, "csv", OPTIONS);
  const fastSmallRoot = buildRecordTree(fastSmall.leaves).root;
  const generalSeconds: number[] = [];
  let generalRoot = "";
  for (let r = 0; r < RUNS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const general = await ingestCdrs(smallFile, "csv", OPTIONS);
    generalSeconds.push(seconds(t0));
    if (!general.ok) throw new Error(`general path failed: ${JSON.stringify(general.errors.slice(0, 3))}`);
    generalRoot = buildRecordTree(general.leaves).root;
    if (generalRoot !== fastSmallRoot) throw new Error(`paths differ: general ${generalRoot}, fast ${fastSmallRoot}`);
    console.log(
      `  general path run ${r + 1}: ingestCdrs ${generalSeconds[r].toFixed(2)} s (${GENERAL_RECORDS} records)`,
    );
  }

  const med = (key: keyof Omit<PipelineRun, "root">) => median(runs.map((r) => r[key]));
  const report = {
    machine: machine(),
    records: RECORDS,
    runs: RUNS,
    referenceRuns: REF_RUNS,
    csvBytes: bytes,
    keccak: wasmKeccak() === undefined ? "pure JS" : "WebAssembly",
    root,
    referenceRoot: refRoot,
    rootsIdentical: refRoot === root,
    batchCharge: charge,
    median: {
      ingestSeconds: med("ingestSeconds"),
      rateSeconds: med("rateSeconds"),
      treeSeconds: med("treeSeconds"),
      totalSeconds: med("totalSeconds"),
      cpuSeconds: med("cpuSeconds"),
      referenceSeconds: median(refSeconds),
      referenceCpuSeconds: median(refCpu),
    },
    general: {
      records: GENERAL_RECORDS,
      medianSeconds: median(generalSeconds),
      fastPath: fastSmall.path,
      root: generalRoot,
      rootsIdentical: generalRoot === fastSmallRoot,
    },
    all: { runs, referenceSeconds: refSeconds, generalSeconds },
    pipelinePeakRssBytes: pipelinePeakRss,
    peakRssBytes: peakRss,
    loadAverage: (await import("node:os")).loadavg(),
  };
  const out = writeReport("bench-pipeline.json", report);
  const m = report.median;
  console.log(
    `  median: ${(RECORDS / m.totalSeconds).toFixed(0)} records/s, ${m.totalSeconds.toFixed(2)} s in all, ` +
      `tree ${m.treeSeconds.toFixed(2)} s vs StandardMerkleTree.of ${m.referenceSeconds.toFixed(2)} s ` +
      `(${(m.referenceSeconds / m.treeSeconds).toFixed(1)}x); peak RSS ${(pipelinePeakRss / MiB).toFixed(0)} MiB; ` +
      `roots identical: ${report.rootsIdentical}`,
  );
  console.log(`  wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
