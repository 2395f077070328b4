/**
 * The `roamledger` CLI (commander). `main(argv)` runs it and resolves to the exit code (see `./errors.ts`):
 * 0 ok, 1 user error, 2 chain error, 3 connection/configuration error, 4 internal error.
 */
import { CommanderError } from "commander";

import * as agreement from "./commands/agreement";
import * as batch from "./commands/batch";
import * as batchList from "./commands/batch-list";
import * as batchReject from "./commands/batch-reject";
import * as batchResolution from "./commands/batch-resolution";
import * as bids from "./commands/bids";
import * as capacity from "./commands/capacity";
import * as cycle from "./commands/cycle";
import * as deploy from "./commands/deploy";
import * as escalation from "./commands/escalation";
import * as dev from "./commands/dev";
import * as governance from "./commands/governance";
import * as market from "./commands/market";
import * as offer from "./commands/offer";
import * as operator from "./commands/operator";
import * as period from "./commands/period";
import * as reconcile from "./commands/reconcile";
import * as report from "./commands/report";
import * as tariff from "./commands/tariff";
import * as usage from "./commands/usage";
import * as vault from "./commands/vault";
import * as voucher from "./commands/voucher";
import type { Context } from "./context";
import { classifyError, EXIT } from "./errors";
import { Output, type CliIo } from "./output";
import { buildProgram } from "./program";

export { EXIT, EXIT_CODES_HELP, classifyError } from "./errors";
export type { CliIo } from "./output";

export const COMMAND_MODULES = [
  deploy,
  dev,
  operator,
  tariff,
  offer,
  usage,
  reconcile,
  batch,
  batchList,
  batchReject,
  batchResolution,
  escalation,
  period,
  voucher,
  vault,
  cycle,
  market,
  report,
  agreement,
  capacity,
  bids,
  governance,
];

/** The process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Runs the CLI.
 * @param argv The full argument vector (`process.argv`: node, script, arguments...).
 * @returns The exit code.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const args = argv.slice(2);
  const jsonMode = args.includes("--json");
  let ctx: Context | undefined;
  const program = buildProgram(io, COMMAND_MODULES, (c) => (ctx = c));
  if (jsonMode) program.configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: () => undefined });
  try {
    await program.parseAsync(argv as string[]);
    return EXIT.ok;
  } catch (error) {
    const out = ctx?.out ?? new Output(io, jsonMode, args.includes("--quiet"));
    if (error instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.help", "commander.version"].includes(error.code)) return EXIT.ok;
      // commander printed its message already, except in --json mode
      if (jsonMode) {
        out.error({ kind: "user", code: EXIT.user, name: error.code, message: error.message.replace(/^error: /, "") });
      }
      return EXIT.user;
    }
    const classified = classifyError(error);
    out.error(classified);
    if (classified.code === EXIT.internal && io.env.ROAMLEDGER_DEBUG !== undefined)
      io.stderr.write(`${String((error as Error).stack)}\n`);
    return classified.code;
  } finally {
    ctx?.close();
  }
}
