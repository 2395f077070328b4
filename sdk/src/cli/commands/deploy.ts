/**
 * `roamledger deploy`: deploys the suite with Hardhat Ignition (`deploy/modules/RoamLedger.ts`) to the RPC, by running
 * `hardhat ignition deploy --network remote` in the project (its `remote` network reads `ROAMLEDGER_RPC_URL` and
 * `ROAMLEDGER_PRIVATE_KEY`). Ignition's journal in `deploy/deployments/<id>/` makes a re-run redeploy nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";

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
    .option("--parameters <file>", "Ignition parameters JSON (e.g. deploy/parameters/localhost.json)")
    .option("--deployment-id <id>", "Ignition deployment id (default: chain-<chainId>)")
    .option("--project <dir>", "the repository's root (default: found from the working directory)")
    .action(action(deploy));
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
  const parameters = opts.parameters === undefined ? undefined : path.resolve(opts.parameters);
  if (parameters !== undefined && !existsSync(parameters))
    throw new CliUserError(`--parameters: no file ${parameters}`, "parameters");
  const chainId = await ctx.chainId();
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
  if (parameters !== undefined) args.push("--parameters", parameters);
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
