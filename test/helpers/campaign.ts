import { coverageRunning } from "./gas";

/**
 * The size of a random campaign (invariant sequences, differential cases): the environment variable `name` if set,
 * else the CI size, or a small size under solidity-coverage, whose instrumented contracts run many times slower and
 * which only measures which lines run.
 */
export function campaignSize(name: string, ci: number, underCoverage: number): number {
  const fromEnv = process.env[name];
  if (fromEnv !== undefined) return Number(fromEnv);
  return coverageRunning ? underCoverage : ci;
}
