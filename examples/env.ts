/**
 * Configuration shared by the examples, from environment variables:
 *
 * - `ROAMLEDGER_RPC_URL`: the JSON-RPC endpoint (default `http://127.0.0.1:8545`).
 * - `ROAMLEDGER_DEPLOYMENT`: a `deployed_addresses.json` file, or a deployments directory holding
 *   `chain-<id>/deployed_addresses.json`. Without it: the SDK's known deployment of the chain, else
 *   `deploy/deployments/chain-<id>/` (where `hardhat ignition deploy` writes).
 * - `ROAMLEDGER_PRIVATE_KEY` (and others named by each example): keys of the accounts that send.
 */
import { deploymentFor, type RoamLedgerDeployment } from "@roamledger/sdk/pure";
import { loadDeployment, readDeploymentFile } from "@roamledger/sdk/node";

export const RPC_URL = process.env.ROAMLEDGER_RPC_URL ?? "http://127.0.0.1:8545";

/** The deployment of the suite on `chainId` (see above). */
export async function deployment(chainId: number | bigint): Promise<RoamLedgerDeployment> {
  const where = process.env.ROAMLEDGER_DEPLOYMENT;
  if (where !== undefined && where !== "") {
    return where.endsWith(".json") ? readDeploymentFile(where, chainId) : loadDeployment(chainId, where);
  }
  return deploymentFor(chainId) ?? loadDeployment(chainId);
}

/** A required environment variable. */
export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`set ${name}`);
  return value;
}

/** Prints `value` as JSON (bigints as decimal strings): the examples' only output. */
export function print(value: unknown): void {
  console.log(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
}
