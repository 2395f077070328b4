/**
 * Deployment addresses of the suite by chain id: the typed {@link RoamLedgerDeployment}, the mapping from Hardhat
 * Ignition's `deployed_addresses.json` (written by `deploy/modules/RoamLedger.ts` into
 * `deploy/deployments/chain-<id>/`), and a registry of known deployments.
 *
 * Pure (no file access; reading a deployment from disk is `loadDeployment` in `@roamledger/sdk/node`).
 */
import { getAddress, isAddress } from "../encoding";
import { InvalidArgumentError } from "../errors";

/** A `0x`-prefixed, checksummed address (the form viem's `Address` and ethers both accept). */
export type HexAddress = `0x${string}`;

/** The addresses of the suite's contracts, by the future ids of the deploy module. */
export interface RoamLedgerAddresses {
  /** `RoamLedgerManager`, the AccessManager that governs every contract. */
  readonly manager: HexAddress;
  /** `OperatorRegistry`. */
  readonly registry: HexAddress;
  /** `RoamingAgreements`. */
  readonly agreements: HexAddress;
  /** `SettlementVault`. */
  readonly vault: HexAddress;
  /** `UsageClearing` (its challenge module, `UsageChallenges`, is read from it: `challenges()`). */
  readonly clearing: HexAddress;
  /** `PeriodSettlement`. */
  readonly settlement: HexAddress;
  /** `CapacityToken`. */
  readonly capacity: HexAddress;
  /** `CapacityMarket`. */
  readonly market: HexAddress;
}

/** One deployment of the suite: its chain and its contracts' addresses. */
export interface RoamLedgerDeployment extends RoamLedgerAddresses {
  /** The EIP-155 chain id. */
  readonly chainId: number;
}

/** The contract keys of a deployment, in the order the deploy module deploys them. */
export const DEPLOYMENT_CONTRACTS = [
  "manager",
  "registry",
  "agreements",
  "vault",
  "clearing",
  "settlement",
  "capacity",
  "market",
] as const satisfies readonly (keyof RoamLedgerAddresses)[];

/** The Ignition future id of each contract of `deploy/modules/RoamLedger.ts` (keys of `deployed_addresses.json`). */
export const IGNITION_FUTURE_IDS: Readonly<Record<keyof RoamLedgerAddresses, string>> = Object.freeze({
  manager: "RoamLedger#RoamLedgerManager",
  registry: "RoamLedger#OperatorRegistry",
  agreements: "RoamLedger#RoamingAgreements",
  vault: "RoamLedger#SettlementVault",
  clearing: "RoamLedger#UsageClearing",
  settlement: "RoamLedger#PeriodSettlement",
  capacity: "RoamLedger#CapacityToken",
  market: "RoamLedger#CapacityMarket",
});

function toChainId(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError("must be a positive integer chain id", { field: "chainId", value });
  }
  return value;
}

function toHexAddress(value: unknown, field: string): HexAddress {
  if (typeof value !== "string" || !isAddress(value)) {
    throw new InvalidArgumentError("must be an address", { field, value });
  }
  return getAddress(value) as HexAddress;
}

/**
 * The deployment recorded in Ignition's `deployed_addresses.json` (its parsed content) for `chainId`.
 *
 * @throws InvalidArgumentError naming the missing or malformed key (e.g. `RoamLedger#CapacityMarket`).
 */
export function parseIgnitionAddresses(json: unknown, chainId: number): RoamLedgerDeployment {
  const id = toChainId(chainId);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidArgumentError("must be the object of deployed_addresses.json", { field: "json", value: json });
  }
  const record = json as Record<string, unknown>;
  const out: Record<string, unknown> = { chainId: id };
  for (const key of DEPLOYMENT_CONTRACTS) {
    const futureId = IGNITION_FUTURE_IDS[key];
    if (!(futureId in record)) {
      throw new InvalidArgumentError(`has no "${futureId}" (is the deployment complete?)`, {
        field: "json",
        value: json,
      });
    }
    out[key] = toHexAddress(record[futureId], futureId);
  }
  return Object.freeze(out) as unknown as RoamLedgerDeployment;
}

/**
 * A deployment validated and normalized (checksummed addresses, frozen).
 * @throws InvalidArgumentError naming the missing or malformed field.
 */
export function toDeployment(value: RoamLedgerDeployment): RoamLedgerDeployment {
  if (typeof value !== "object" || value === null) {
    throw new InvalidArgumentError("must be an object", { field: "deployment", value });
  }
  const out: Record<string, unknown> = { chainId: toChainId(value.chainId) };
  for (const key of DEPLOYMENT_CONTRACTS) out[key] = toHexAddress(value[key], key);
  return Object.freeze(out) as unknown as RoamLedgerDeployment;
}

/**
 * The deployments shipped with this release, by chain id. None is public yet; a consortium that deploys the suite
 * adds its own at run time with {@link registerDeployment} (or here, in a release).
 */
export const COMMITTED_DEPLOYMENTS: Readonly<Record<number, RoamLedgerDeployment>> = Object.freeze({});

const KNOWN_DEPLOYMENTS = new Map<number, RoamLedgerDeployment>(
  Object.values(COMMITTED_DEPLOYMENTS).map((deployment) => [deployment.chainId, toDeployment(deployment)]),
);

/** The deployment known for `chainId` (committed or registered), or undefined. */
export function deploymentFor(chainId: number | bigint): RoamLedgerDeployment | undefined {
  return KNOWN_DEPLOYMENTS.get(Number(chainId));
}

/** Every known deployment, by chain id. */
export function knownDeployments(): RoamLedgerDeployment[] {
  return [...KNOWN_DEPLOYMENTS.values()].sort((a, b) => a.chainId - b.chainId);
}

/**
 * Makes `deployment` the one {@link deploymentFor} returns for its chain (replacing any other), validated first.
 * @returns The normalized deployment.
 */
export function registerDeployment(deployment: RoamLedgerDeployment): RoamLedgerDeployment {
  const normalized = toDeployment(deployment);
  KNOWN_DEPLOYMENTS.set(normalized.chainId, normalized);
  return normalized;
}

/** Forgets the deployment registered for `chainId`; returns whether there was one. */
export function unregisterDeployment(chainId: number | bigint): boolean {
  return KNOWN_DEPLOYMENTS.delete(Number(chainId));
}
