export * from "./governance";
export * from "./tadig";
export * from "./errors";
export * from "./clients/registry";

export type {
  OperatorRegistry,
  OperatorRegistryInterface,
  OperatorViewStruct,
  OperatorViewStructOutput,
  SignerKeyStruct,
  SignerKeyStructOutput,
} from "./typechain/contracts/OperatorRegistry";
export type { RoamLedgerManager, RoamLedgerManagerInterface } from "./typechain/contracts/governance/RoamLedgerManager";
export { OperatorRegistry__factory } from "./typechain/factories/contracts/OperatorRegistry__factory";
export { RoamLedgerManager__factory } from "./typechain/factories/contracts/governance/RoamLedgerManager__factory";
