/**
 * Typed viem contract instances of a deployment of the suite: `getContract` over the generated `as const` ABIs, so
 * that `contracts.registry.read.getOperator([1])` and `contracts.vault.write.withdraw([...])` are fully typed.
 */
import { getContract, type Client, type GetContractReturnType } from "viem";

import { toDeployment, type HexAddress, type RoamLedgerAddresses } from "../deployments";
import {
  capacityMarketAbi,
  capacityTokenAbi,
  operatorRegistryAbi,
  periodSettlementAbi,
  roamingAgreementsAbi,
  roamLedgerManagerAbi,
  settlementVaultAbi,
  usageClearingAbi,
} from "./abis";

/**
 * What the helpers accept as a viem client: a `PublicClient` (reads), a `WalletClient` (writes, and reads through
 * its transport), or both as `{ public, wallet }` (as viem's `getContract` takes them).
 */
export type RoamLedgerViemClient =
  Client | { public: Client; wallet?: Client | undefined } | { public?: Client | undefined; wallet: Client };

/** The parameters of {@link getRoamLedgerContracts}. */
export interface GetRoamLedgerContractsParameters<client extends RoamLedgerViemClient> {
  /** A viem client (see {@link RoamLedgerViemClient}). */
  client: client;
  /** The deployment's addresses (e.g. `deploymentFor(chainId)` or `loadDeployment(chainId)`). */
  addresses: RoamLedgerAddresses;
}

/** The suite's contracts as typed viem contract instances. */
export interface RoamLedgerContracts<client extends RoamLedgerViemClient = RoamLedgerViemClient> {
  manager: GetContractReturnType<typeof roamLedgerManagerAbi, client, HexAddress>;
  registry: GetContractReturnType<typeof operatorRegistryAbi, client, HexAddress>;
  agreements: GetContractReturnType<typeof roamingAgreementsAbi, client, HexAddress>;
  vault: GetContractReturnType<typeof settlementVaultAbi, client, HexAddress>;
  clearing: GetContractReturnType<typeof usageClearingAbi, client, HexAddress>;
  settlement: GetContractReturnType<typeof periodSettlementAbi, client, HexAddress>;
  capacity: GetContractReturnType<typeof capacityTokenAbi, client, HexAddress>;
  market: GetContractReturnType<typeof capacityMarketAbi, client, HexAddress>;
}

/**
 * Typed viem contract instances of every contract of a deployment (the addresses are validated first).
 *
 * @example
 * ```ts
 * const contracts = getRoamLedgerContracts({ client: publicClient, addresses: deployment });
 * const count = await contracts.registry.read.operatorCount();
 * ```
 * @throws InvalidArgumentError naming a malformed address.
 */
export function getRoamLedgerContracts<const client extends RoamLedgerViemClient>(
  parameters: GetRoamLedgerContractsParameters<client>,
): RoamLedgerContracts<client> {
  const { client, addresses } = parameters;
  const a = toDeployment({ chainId: 1, ...addresses });
  // viem's getContract is generic over the client's transport, chain and account; the instances' types are fixed by
  // the annotations of RoamLedgerContracts.
  const make = (abi: readonly unknown[], address: HexAddress) =>
    getContract({ abi, address, client: client as Client });
  return {
    manager: make(roamLedgerManagerAbi, a.manager),
    registry: make(operatorRegistryAbi, a.registry),
    agreements: make(roamingAgreementsAbi, a.agreements),
    vault: make(settlementVaultAbi, a.vault),
    clearing: make(usageClearingAbi, a.clearing),
    settlement: make(periodSettlementAbi, a.settlement),
    capacity: make(capacityTokenAbi, a.capacity),
    market: make(capacityMarketAbi, a.market),
  } as unknown as RoamLedgerContracts<client>;
}
