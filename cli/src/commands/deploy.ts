/**
 * `roamledger deploy`: deploys the suite with Hardhat Ignition (`deploy/modules/RoamLedger.ts`) to the RPC, by running
 * `hardhat ignition deploy --network remote` in the project (its `remote` network reads `ROAMLEDGER_RPC_URL` and
 * `ROAMLEDGER_PRIVATE_KEY`). Ignition's journal in `deploy/deployments/<deployment id>/` makes a re-run redeploy
 * nothing. The deployment id defaults to `chain-<chainId>-<genesis hash prefix>`, so two nodes on one chain id (two
 * local nodes) never share a record. The report says what this run did, read from the journal lines it appended.
 *
 * The parameters file must name every role's holder (`admin`, `governor`, `registrar`, `pauser`, `arbiter`), none of
 * them the deploying key: the deployment ends with the deployer renouncing ADMIN, holding no role.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";

import { Roles } from "@roamledger/sdk";
import { DEPLOYMENTS_DIR, MODULE_PATH, type Context, type SuiteAddresses } from "../context";
import { CliChainError, CliUserError } from "../errors";
import type { Action } from "../program";

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

/** The journal's lines (Ignition's `journal.jsonl`: one JSON message a line), none if there is no journal yet. */
function journalLines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
    : [];
}

/** What a run of Ignition did, from the journal messages it appended. */
export interface DeployReport {
  /** The contracts deployed, in journal order. */
  deployed: { future: string; contract: string; address: string }[];
  /** The contract calls that completed. */
  calls: number;
  /** The transactions sent (deployments and calls). */
  transactions: number;
}

/** Reads Ignition journal messages (DEPLOYMENT_EXECUTION_STATE_*, CALL_EXECUTION_STATE_COMPLETE, TRANSACTION_SEND). */
export function journalReport(lines: readonly string[]): DeployReport {
  const names = new Map<string, string>();
  const report: DeployReport = { deployed: [], calls: 0, transactions: 0 };
  for (const line of lines) {
    const message = JSON.parse(line) as {
      type?: string;
      futureId?: string;
      contractName?: string;
      result?: { type?: string; address?: string };
    };
    if (message.type === "DEPLOYMENT_EXECUTION_STATE_INITIALIZE" && message.futureId !== undefined) {
      names.set(message.futureId, message.contractName ?? message.futureId);
    } else if (message.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE" && message.result?.type === "SUCCESS") {
      const future = message.futureId as string;
      report.deployed.push({
        future,
        contract: names.get(future) ?? future.split("#").pop() ?? future,
        address: message.result.address as string,
      });
    } else if (message.type === "CALL_EXECUTION_STATE_COMPLETE" && message.result?.type === "SUCCESS") {
      report.calls += 1;
    } else if (message.type === "TRANSACTION_SEND") {
      report.transactions += 1;
    }
  }
  return report;
}

async function deploy(ctx: Context, opts: { parameters?: string }): Promise<void> {
  const root = ctx.projectRoot();
  if (root === undefined) {
    throw new CliUserError(
      `no RoamLedger repository (hardhat.config.ts and ${MODULE_PATH}) found from the CLI or here: pass --project`,
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
  const { dir, deploymentId } = await ctx.projectDeployment();
  const given = ctx.options.deployment;
  if (given !== undefined && given !== "" && (await ctx.deployment()).dir !== dir) {
    throw new CliUserError(
      `--deployment: deploy writes the record ${dir} (in ${DEPLOYMENTS_DIR} of the repository, by --deployment-id); ` +
        `${given} is another record`,
      "deployment",
    );
  }
  const journal = path.join(dir, "journal.jsonl");
  const before = journalLines(journal).length;

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
  // The record just written, checked live on this chain (a stale record is refused, exit 3).
  const addresses: SuiteAddresses = await ctx.addresses();
  const { deployed, calls, transactions } = journalReport(journalLines(journal).slice(before));
  const changed = transactions > 0;
  ctx.out.result(
    { chainId, deploymentId, deploymentDir: dir, addressesFile, changed, deployed, calls, transactions, addresses },
    [
      changed
        ? `deployed ${deployed.length} contract(s) and sent ${calls} call(s) (deployment ${deploymentId}, chain ${chainId})`
        : `nothing to deploy: deployment ${deploymentId} is complete`,
      ...deployed.map((d) => `  + ${d.contract} ${d.address}`),
      ...Object.entries(addresses).map(([name, address]) => `  ${name.padEnd(11)} ${address}`),
      `  record      ${addressesFile}`,
    ],
  );
}
