import type fc from "fast-check";

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

/**
 * A model-based command that, after it runs, counts one action in `stats` and checks every invariant (`check`), so a
 * campaign compares the contracts with its model after each step.
 */
export function checkedCommand<Model extends object, Real>(
  command: fc.AsyncCommand<Model, Real>,
  stats: { actions: number },
  check: (model: Model, real: Real) => Promise<void>,
): fc.AsyncCommand<Model, Real> {
  return {
    check: (m) => command.check(m),
    run: async (m, r) => {
      await command.run(m, r);
      stats.actions++;
      await check(m, r);
    },
    toString: () => command.toString(),
  };
}
