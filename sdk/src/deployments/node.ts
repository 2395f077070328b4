/**
 * Node-only: reading a deployment of the suite from the files Hardhat Ignition writes
 * (`<dir>/chain-<id>/deployed_addresses.json`). Exported by `@roamledger/sdk/node`, not by the browser-safe entries.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { InvalidArgumentError } from "../errors";
import { parseIgnitionAddresses, type RoamLedgerDeployment } from "./index";

/** Where `deploy/modules/RoamLedger.ts` records its deployments, relative to the project root. */
export const DEFAULT_DEPLOYMENTS_DIR = "deploy/deployments";

/** The path of the `deployed_addresses.json` of `chainId` under `dir`. */
export function deploymentFilePath(chainId: number | bigint, dir: string = DEFAULT_DEPLOYMENTS_DIR): string {
  return path.join(dir, `chain-${chainId}`, "deployed_addresses.json");
}

/**
 * Reads and validates an Ignition `deployed_addresses.json` file for `chainId`.
 * @throws Error naming the file when it cannot be read or parsed; InvalidArgumentError naming a missing key.
 */
export async function readDeploymentFile(file: string, chainId: number | bigint): Promise<RoamLedgerDeployment> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the deployment file ${file}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`is not JSON: ${(error as Error).message}`, { field: file, value: text });
  }
  return parseIgnitionAddresses(json, Number(chainId));
}

/**
 * The deployment of `chainId` recorded by Ignition under `dir` (default `deploy/deployments`, relative to the
 * working directory): `<dir>/chain-<id>/deployed_addresses.json`.
 */
export async function loadDeployment(
  chainId: number | bigint,
  dir: string = DEFAULT_DEPLOYMENTS_DIR,
): Promise<RoamLedgerDeployment> {
  return readDeploymentFile(deploymentFilePath(chainId, dir), chainId);
}
