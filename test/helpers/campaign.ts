import type fc from "fast-check";

import { coverageRunning } from "./gas";

/**
 * The size of a random campaign (invariant sequences, differential cases): the environment variable `name` if set,
 * else the variable `shared` if given and set (`INVARIANT_RUNS`, `INVARIANT_DEPTH`: one deep run of every campaign),
 * else the CI size, or a small size under solidity-coverage, whose instrumented contracts run many times slower and
 * which only measures which lines run. A value that is not a positive integer is refused, naming the variable.
 */
export function campaignSize(name: string, ci: number, underCoverage: number, shared?: string): number {
  for (const variable of shared === undefined ? [name] : [name, shared]) {
    const fromEnv = process.env[variable];
    if (fromEnv === undefined || fromEnv === "") continue;
    const size = Number(fromEnv);
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`${variable} must be a positive integer, got "${fromEnv}"`);
    }
    return size;
  }
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
