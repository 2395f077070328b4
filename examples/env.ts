/**
 * Configuration shared by the examples, from environment variables:
 *
 * - `ROAMLEDGER_RPC_URL`: the JSON-RPC endpoint (default `http://127.0.0.1:8545`).
 * - `ROAMLEDGER_DEPLOYMENT`: a deployment's record, its directory or its `deployed_addresses.json` (as for the CLI).
 * - `ROAMLEDGER_DEPLOYMENTS_DIR`: else, a deployments root holding `<deployment id>/deployed_addresses.json`, the id
 *   `ROAMLEDGER_DEPLOYMENT_ID` or the chain's default `chain-<id>-<genesis hash prefix>` (`deploymentIdOf`).
 *   Without either: the SDK's known deployment of the chain, else that record under `deploy/deployments/` (where
 *   `roamledger deploy` writes).
 * - `ROAMLEDGER_PRIVATE_KEY` (and others named by each example): keys of the accounts that send.
 */
import { deploymentFor, type RoamLedgerDeployment } from "@roamledger/sdk/pure";
import { loadDeployment, readDeploymentFile } from "@roamledger/sdk/node";

export const RPC_URL = process.env.ROAMLEDGER_RPC_URL ?? "http://127.0.0.1:8545";

/** The hash of the chain's block 0 (the default deployment id is made from it). */
async function genesisHash(): Promise<string> {
  const response = await fetch(RPC_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x0", false] }),
  });
  const body = (await response.json()) as { result?: { hash?: string } };
  if (typeof body.result?.hash !== "string") throw new Error(`${RPC_URL} returned no block 0`);
  return body.result.hash;
}

/** The deployment of the suite on `chainId` (see above). */
export async function deployment(chainId: number | bigint): Promise<RoamLedgerDeployment> {
  const record = process.env.ROAMLEDGER_DEPLOYMENT;
  if (record !== undefined && record !== "") return readDeploymentFile(record, chainId);
  const dir = process.env.ROAMLEDGER_DEPLOYMENTS_DIR;
  const id = process.env.ROAMLEDGER_DEPLOYMENT_ID;
  const deploymentId = id === undefined || id === "" ? undefined : id;
  if (dir === undefined || dir === "") {
    const known = deploymentFor(chainId);
    if (known !== undefined) return known;
  }
  return loadDeployment({
    chainId,
    deploymentId,
    genesisHash: deploymentId === undefined ? await genesisHash() : undefined,
    dir: dir === undefined || dir === "" ? undefined : dir,
  });
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
