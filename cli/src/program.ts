/** The commander program: global options, the commands, help text and the wrapper that gives actions a context. */
import { Command, Option } from "commander";

import { Context, type GlobalOptions } from "./context";
import { EXIT_CODES_HELP } from "./errors";
import { Output, type CliIo } from "./output";
import { cliVersion } from "./version";

/** Wraps a command's handler: it receives the run's {@link Context}, then commander's arguments. */
export type Action = <A extends unknown[]>(
  fn: (ctx: Context, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

/** Registers one command group on the program. */
export type CommandModule = { register(program: Command, action: Action): void };

export const DEFAULT_RPC = "http://127.0.0.1:8545";

const CONFIG_HELP = `
Configuration (flags win over the environment):
  ROAMLEDGER_RPC_URL            --rpc (default ${DEFAULT_RPC})
  ROAMLEDGER_PRIVATE_KEY        --key: the account that sends and signs
  ROAMLEDGER_KEYSTORE           --keystore: an encrypted JSON keystore, its password in ROAMLEDGER_KEYSTORE_PASSWORD
  ROAMLEDGER_DEPLOYMENT         --deployment: a deployment's record, its directory or its deployed_addresses.json
                                (default <project>/deploy/deployments/<deployment id>/)
  ROAMLEDGER_DEPLOYMENT_ID      --deployment-id (default chain-<chainId>-<first 8 hex digits of the genesis block hash>)
  ROAMLEDGER_PROJECT            --project: the repository's root (default: the clone the CLI runs from)
  ROAMLEDGER_JOURNAL_DIR        --journal (default <deployment record>/cli-journal/)
  ROAMLEDGER_BLOCK_RANGE        --block-range: blocks per eth_getLogs request, for RPCs that limit it (default 10000)
  ROAMLEDGER_SHARED_SECRET      the shared secret salting subscriber pseudonyms (usage, reconcile, dispute)
Secrets (keys, passwords, shared secrets) are never printed.`;

/**
 * The program. `onContext` is called with the global options once an action runs (the caller keeps the context to
 * report errors in the right output mode and to close the provider).
 */
export function buildProgram(io: CliIo, modules: CommandModule[], onContext: (ctx: Context) => void): Command {
  const program = new Command("roamledger");
  program
    .description("RoamLedger operator CLI: rate, clear and settle roaming charges on an EVM chain")
    .version(cliVersion(), "-V, --version", "print the version (of the @roamledger/cli package) and exit")
    .addOption(new Option("--rpc <url>", "JSON-RPC URL of the chain").env("ROAMLEDGER_RPC_URL").default(DEFAULT_RPC))
    .addOption(new Option("--key <hex>", "private key of the sending/signing account").env("ROAMLEDGER_PRIVATE_KEY"))
    .addOption(new Option("--keystore <file>", "encrypted JSON keystore (password: env)").env("ROAMLEDGER_KEYSTORE"))
    .addOption(
      new Option("--deployment <dir|json>", "the deployment's deployed_addresses.json or its directory").env(
        "ROAMLEDGER_DEPLOYMENT",
      ),
    )
    .addOption(
      new Option("--deployment-id <id>", "deployment id (default chain-<chainId>-<genesis hash prefix>)").env(
        "ROAMLEDGER_DEPLOYMENT_ID",
      ),
    )
    .addOption(new Option("--project <dir>", "the repository's root (deploy/deployments)").env("ROAMLEDGER_PROJECT"))
    .addOption(new Option("--journal <dir>", "journal directory of resumable commands").env("ROAMLEDGER_JOURNAL_DIR"))
    .addOption(
      new Option(
        "--block-range <n>",
        "blocks per eth_getLogs request of commands that read events (default 10000)",
      ).env("ROAMLEDGER_BLOCK_RANGE"),
    )
    .option("--json", "machine output: exactly one JSON document on stdout")
    .option("--quiet", "no notes or progress on stderr")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const action: Action =
    (fn) =>
    async (...args) => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals() as GlobalOptions;
      const out = new Output(io, options.json === true, options.quiet === true);
      const ctx = new Context(options, out, io.env);
      onContext(ctx);
      await fn(ctx, ...args);
    };
  for (const m of modules) m.register(program, action);

  const addHelp = (command: Command): void => {
    command.addHelpText("after", command === program ? `${CONFIG_HELP}\n${EXIT_CODES_HELP}` : EXIT_CODES_HELP);
    for (const sub of command.commands) addHelp(sub);
  };
  addHelp(program);
  return program;
}
