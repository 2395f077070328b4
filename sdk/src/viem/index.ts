/**
 * `@roamledger/sdk/viem`: the entry point for viem users.
 *
 * - The suite's ABIs as `as const` literals ({@link operatorRegistryAbi}, {@link settlementVaultAbi}...), generated
 *   from the artifacts.
 * - {@link getRoamLedgerContracts}: typed `getContract` instances of a deployment.
 * - Typed reads that take a viem client and the deployment's addresses ({@link readOperatorByTadig},
 *   {@link readFreeBalance}, {@link readBatchStatus}, {@link readListing}...).
 * - {@link decodeRoamLedgerRevert}: viem errors decoded into the SDK's {@link RoamLedgerContractError} by error name.
 * - {@link toViemRequest}: the SDK's `{ to, data, value }` transaction builders as viem requests.
 *
 * The provider-free modules (rating, typed data, netting, deployments...) are in `@roamledger/sdk/pure`. Browser-safe.
 *
 * @packageDocumentation
 */
export * from "./abis";
export * from "./contracts";
export * from "./reads";
export * from "./errors";
export * from "./transactions";
export { RoamLedgerContractError, isRoamLedgerContractError, InvalidArgumentError } from "../errors";
export type { RoamLedgerAddresses, RoamLedgerDeployment, HexAddress } from "../deployments";
export type { UintLike } from "../validation";
