/**
 * Fails when the contracts' line coverage is below the thresholds: 95% over all contracts, and 100% for each file
 * listed in FULL_COVERAGE. Reads coverage/coverage-summary.json, written by `npm run coverage`.
 *
 * Usage: ts-node scripts/check-coverage.ts [minimumPercent]
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const FULL_COVERAGE = ["contracts/OperatorRegistry.sol", "contracts/libraries/Tadig.sol"];

interface Metric {
  total: number;
  covered: number;
  pct: number;
}
type Summary = Record<string, { lines: Metric; branches: Metric; functions: Metric; statements: Metric }>;

function main(): void {
  const minimum = Number(process.argv[2] ?? "95");
  const file = path.join(process.cwd(), "coverage", "coverage-summary.json");
  const summary = JSON.parse(readFileSync(file, "utf8")) as Summary;
  const failures: string[] = [];

  const total = summary.total.lines;
  console.log(`contracts: ${total.covered}/${total.total} lines covered (${total.pct}%), minimum ${minimum}%`);
  if (total.pct < minimum) failures.push(`total line coverage ${total.pct}% < ${minimum}%`);

  for (const wanted of FULL_COVERAGE) {
    const key = Object.keys(summary).find((k) => k !== "total" && path.resolve(k) === path.resolve(wanted));
    if (key === undefined) {
      failures.push(`${wanted}: missing from the coverage report`);
      continue;
    }
    const lines = summary[key].lines;
    console.log(`${wanted}: ${lines.covered}/${lines.total} lines (${lines.pct}%), required 100%`);
    if (lines.covered !== lines.total) failures.push(`${wanted}: ${lines.pct}% < 100%`);
  }

  if (failures.length > 0) {
    console.error(`coverage check failed:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
}

main();
