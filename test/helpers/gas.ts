import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import type { ContractTransactionResponse } from "ethers";

/**
 * The committed per-operation gas snapshot (test/gas/gas-snapshot.json): one named scenario per user-facing
 * operation. Gas is deterministic, so a figure that rises by more than {@link TOLERANCE_PERCENT}% over the
 * snapshot, or above its budget, fails the test. `npm run gas:snapshot` rewrites the file on purpose.
 */
export const SNAPSHOT_FILE = path.join(__dirname, "..", "gas", "gas-snapshot.json");
export const TOLERANCE_PERCENT = 1n;

const updating = process.env.UPDATE_GAS_SNAPSHOT === "1";
/** solidity-coverage instruments the bytecode, which inflates gas: figures mean nothing under it. */
export const coverageRunning =
  (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;

/**
 * `describe`, or `describe.skip` under solidity-coverage: for suites that start Hardhat in other processes (a node,
 * Ignition deployments, `hardhat run`), which recompile the plain contracts over the instrumented artifacts the coverage
 * run is using. Such suites test the TypeScript (CLI, examples, deployment tooling, the demo), not the contracts, and
 * run in every `npm test`.
 */
export const describeUnlessCoverage = coverageRunning ? describe.skip : describe;

type Snapshot = Record<string, number>;

function readSnapshot(): Snapshot {
  return existsSync(SNAPSHOT_FILE) ? (JSON.parse(readFileSync(SNAPSHOT_FILE, "utf8")) as Snapshot) : {};
}

const committed = readSnapshot();
const measured: Snapshot = {};

/** The gas a mined transaction used. */
export async function gasUsed(tx: Promise<ContractTransactionResponse> | ContractTransactionResponse): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return receipt.gasUsed;
}

/**
 * Checks one scenario's gas against its budget and the committed snapshot, and records it.
 * Returns a failure message, or undefined when the figure is acceptable.
 */
export function checkGas(name: string, gas: bigint, budget?: bigint): string | undefined {
  if (coverageRunning) return undefined;
  if (name in measured) return `gas scenario "${name}" measured twice`;
  measured[name] = Number(gas);
  if (budget !== undefined && gas > budget) return `${name}: ${gas} gas exceeds its budget of ${budget}`;
  if (updating) return undefined;
  const previous = committed[name];
  if (previous === undefined) return `${name}: not in the gas snapshot; run \`npm run gas:snapshot\` to add it`;
  const limit = (BigInt(previous) * (100n + TOLERANCE_PERCENT)) / 100n;
  if (gas > limit) return `${name}: ${gas} gas is more than ${TOLERANCE_PERCENT}% above the snapshot's ${previous}`;
  return undefined;
}

/** Scenarios of the snapshot that no test measured in this run (only meaningful after the whole gas suite ran). */
export function unmeasuredScenarios(): string[] {
  return Object.keys(committed).filter((name) => !(name in measured));
}

/** Writes the measured figures as the new snapshot, when `UPDATE_GAS_SNAPSHOT=1`. */
export function writeSnapshotIfUpdating(): void {
  if (!updating || coverageRunning) return;
  const sorted = Object.fromEntries(Object.entries(measured).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(SNAPSHOT_FILE, JSON.stringify(sorted, null, 2) + "\n");
  console.log(`      gas snapshot written: ${Object.keys(sorted).length} scenarios -> ${SNAPSHOT_FILE}`);
}
