/**
 * `roamledger deploy`: deploys the suite with Hardhat Ignition (`deploy/modules/RoamLedger.ts`) to the RPC, by running
 * `hardhat ignition deploy --network remote` in the project (its `remote` network reads `ROAMLEDGER_RPC_URL` and
 * `ROAMLEDGER_PRIVATE_KEY`). Ignition's journal in `deploy/deployments/<id>/` makes a re-run redeploy nothing.
 *
 * The parameters file must name every role's holder (`admin`, `governor`, `registrar`, `pauser`, `arbiter`), none of
 * them the deploying key: the deployment ends with the deployer renouncing ADMIN, holding no role.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";

import { Roles } from "@roamledger/sdk";
import { DEPLOYMENT_KEYS, type Context, type SuiteAddresses } from "../context";
import { CliChainError, CliUserError } from "../errors";
import type { Action } from "../program";

export const MODULE_PATH = path.join("deploy", "modules", "RoamLedger.ts");

export function register(program: Command, action: Action): void {
  program
    .command("deploy")
    .description(
      "deploy the suite with Hardhat Ignition to the RPC (needs a clone of the repository); re-running redeploys " +
        "nothing and prints the same addresses",
    )
    .requiredOption(
      "--parameters <file>",
      "Ignition parameters JSON naming the role holders (e.g. deploy/parameters/localhost.json)",
    )
    .option("--deployment-id <id>", "Ignition deployment id (default: chain-<chainId>)")
    .option("--project <dir>", "the repository's root (default: found from the working directory)")
    .action(action(deploy));
}

/** The role holders a parameters file names (every role is required: the module has no default for them). */
function roleHolders(file: string): Record<string, string> {
  let values: Record<string, unknown>;
  try {
    values = (JSON.parse(readFileSync(file, "utf8")) as { RoamLedger?: Record<string, unknown> }).RoamLedger ?? {};
  } catch {
    throw new CliUserError(`--parameters: ${file} is not JSON`, "parameters");
  }
  const holders: Record<string, string> = {};
  for (const role of Object.keys(Roles)) {
    const name = role.toLowerCase();
    const value = values[name];
    if (typeof value !== "string" || value === "") {
      throw new CliUserError(`--parameters: RoamLedger.${name} (the ${role} account) is required`, "parameters");
    }
    holders[name] = value;
  }
  return holders;
}

/** The directory holding hardhat.config.ts: `dir` or its nearest ancestor. */
function findProject(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, "hardhat.config.ts")) && existsSync(path.join(current, MODULE_PATH)))
      return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function journalLines(file: string): number {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "").length
    : 0;
}

async function deploy(
  ctx: Context,
  opts: { parameters?: string; deploymentId?: string; project?: string },
): Promise<void> {
  const root = opts.project === undefined ? findProject(process.cwd()) : findProject(opts.project);
  if (root === undefined) {
    throw new CliUserError(
      `no RoamLedger repository (hardhat.config.ts and ${MODULE_PATH}) here: pass --project`,
      "project",
    );
  }
  if (opts.parameters === undefined) throw new CliUserError("--parameters: required", "parameters");
  const parameters = path.resolve(opts.parameters);
  if (!existsSync(parameters)) throw new CliUserError(`--parameters: no file ${parameters}`, "parameters");
  const holders = roleHolders(parameters);
  const chainId = await ctx.chainId();
  if (ctx.hasKey) {
    const deployer = (await ctx.signer()).address.toLowerCase();
    const taken = Object.entries(holders).find(([, account]) => account.toLowerCase() === deployer);
    if (taken !== undefined) {
      throw new CliUserError(
        `--parameters: ${taken[0]} is the deploying key, which renounces ADMIN and must hold no role`,
        "parameters",
      );
    }
  }
  const deploymentId = opts.deploymentId ?? `chain-${chainId}`;
  if (!/^[a-zA-Z0-9_-]+$/.test(deploymentId))
    throw new CliUserError("--deployment-id: letters, digits, - and _ only", "deployment-id");
  const dir = path.join(root, "deploy", "deployments", deploymentId);
  const journal = path.join(dir, "journal.jsonl");
  const before = journalLines(journal);

  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    ROAMLEDGER_RPC_URL: ctx.options.rpc,
    HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "false",
  };
  delete env.ROAMLEDGER_PRIVATE_KEY;
  if (ctx.hasKey) env.ROAMLEDGER_PRIVATE_KEY = (await ctx.signer()).privateKey; // to the child only, never printed
  const hardhat = require.resolve("hardhat/internal/cli/cli", { paths: [root] });
  const args = [hardhat, "ignition", "deploy", MODULE_PATH, "--network", "remote", "--deployment-id", deploymentId];
  args.push("--parameters", parameters);
  ctx.out.note(`deploying with Ignition (deployment ${deploymentId}) to ${ctx.options.rpc}`);
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const forward = (chunk: Buffer) => {
      output.push(chunk.toString());
      ctx.out.note(chunk.toString().trimEnd());
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  const addressesFile = path.join(dir, "deployed_addresses.json");
  if (code !== 0 || !existsSync(addressesFile)) {
    const tail = output.join("").trim().split("\n").slice(-8).join("\n");
    throw new CliChainError(`Ignition deployment failed (exit ${code}):\n${tail}`);
  }
  const record = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
  const addresses = Object.fromEntries(
    Object.entries(DEPLOYMENT_KEYS).map(([name, id]) => [name, record[id]]),
  ) as unknown as SuiteAddresses;
  const sent = journalLines(journal) - before;
  const changed = before === 0 || sent > 0;
  ctx.out.result({ chainId, deploymentId, deploymentDir: dir, addressesFile, changed, addresses }, [
    changed
      ? `deployed (deployment ${deploymentId}, chain ${chainId})`
      : `nothing to deploy: deployment ${deploymentId} is complete`,
    ...Object.entries(addresses).map(([name, address]) => `  ${name.padEnd(11)} ${address}`),
    `  record      ${addressesFile}`,
  ]);
}
