/**
 * Node-only: reading a deployment of the suite from the files Hardhat Ignition writes
 * (`<dir>/<deployment id>/deployed_addresses.json`, the default id {@link deploymentIdOf} of the chain's id and genesis
 * block). Exported by `@roamledger/sdk/node`, not by the browser-safe entries.
 */
import { stat, readFile } from "node:fs/promises";
import path from "node:path";

import { InvalidArgumentError } from "../errors";
import { deploymentIdOf, parseIgnitionAddresses, toDeploymentId, type RoamLedgerDeployment } from "./index";

/** Where `deploy/modules/RoamLedger.ts` records its deployments, relative to the project root. */
export const DEFAULT_DEPLOYMENTS_DIR = "deploy/deployments";

/** Which record of which chain: the deployment id, or the genesis hash it defaults from ({@link deploymentIdOf}). */
export interface DeploymentLocation {
  /** The EIP-155 chain id. */
  chainId: number | bigint;
  /** The deployment id (Ignition's `--deployment-id`); default `deploymentIdOf({ chainId, genesisHash })`. */
  deploymentId?: string;
  /** The hash of the chain's block 0: required without `deploymentId`. */
  genesisHash?: string;
  /** The deployments root (default `deploy/deployments`, relative to the working directory). */
  dir?: string;
}

/** The directory of a deployment's record: `<dir>/<deploymentId>`. */
export function deploymentDirPath(location: DeploymentLocation): string {
  const { chainId, deploymentId, genesisHash, dir = DEFAULT_DEPLOYMENTS_DIR } = location;
  let id: string;
  if (deploymentId !== undefined) id = toDeploymentId(deploymentId);
  else if (genesisHash !== undefined) id = deploymentIdOf({ chainId, genesisHash });
  else {
    throw new InvalidArgumentError("is required without genesisHash (the default id needs the chain's genesis hash)", {
      field: "deploymentId",
      value: deploymentId,
    });
  }
  return path.join(dir, id);
}

/** The path of the `deployed_addresses.json` of a deployment: `<dir>/<deploymentId>/deployed_addresses.json`. */
export function deploymentFilePath(location: DeploymentLocation): string {
  return path.join(deploymentDirPath(location), "deployed_addresses.json");
}

/**
 * Reads and validates a deployment's record for `chainId`: its `deployed_addresses.json`, or the directory holding it.
 * @throws Error naming the file when it cannot be read or parsed; InvalidArgumentError naming a missing key.
 */
export async function readDeploymentFile(file: string, chainId: number | bigint): Promise<RoamLedgerDeployment> {
  const isDir = await stat(file).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) file = path.join(file, "deployed_addresses.json");
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
 * The deployment recorded by Ignition at `<dir>/<deploymentId>/deployed_addresses.json` (see
 * {@link DeploymentLocation}). It does not check that the chain holds code at the addresses: a client that connects
 * should (a record of a reset dev chain names nothing).
 */
export async function loadDeployment(location: DeploymentLocation): Promise<RoamLedgerDeployment> {
  return readDeploymentFile(deploymentFilePath(location), location.chainId);
}
