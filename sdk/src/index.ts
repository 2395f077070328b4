/**
 * `@roamledger/sdk` (also `@roamledger/sdk/ethers`): the entry point for ethers v6 users — every provider-free
 * module (as in `@roamledger/sdk/pure`), the clients of the suite's contracts (reads, writes and `client.build.*`
 * transaction builders returning `{ to, data, value }`), and the TypeChain types and factories. Browser-safe.
 *
 * viem users import `@roamledger/sdk/viem`; Node-only helpers (files) are in `@roamledger/sdk/node`.
 *
 * @packageDocumentation
 */
export * from "./governance";
export * from "./tadig";
export * from "./errors";
export * from "./clients/registry";
export * from "./typedData/agreements";
export * from "./clients/agreements";
export * from "./rating";
export * from "./netting";
export * from "./clients/vault";

export type {
  OperatorRegistry,
  OperatorRegistryInterface,
  OperatorViewStruct,
  OperatorViewStructOutput,
  SignerKeyStruct,
  SignerKeyStructOutput,
} from "./typechain/contracts/OperatorRegistry";
export type { RoamLedgerManager, RoamLedgerManagerInterface } from "./typechain/contracts/governance/RoamLedgerManager";
export type {
  RoamingAgreements,
  RoamingAgreementsInterface,
  AgreementStruct,
  AgreementStructOutput,
  AgreementTermsStruct,
  AgreementTermsStructOutput,
  AmendmentStruct,
  OfferStruct,
  TariffStruct,
  TariffRecordStruct,
  TermsVersionStruct,
} from "./typechain/contracts/RoamingAgreements";
export { OperatorRegistry__factory } from "./typechain/factories/contracts/OperatorRegistry__factory";
export { RoamingAgreements__factory } from "./typechain/factories/contracts/RoamingAgreements__factory";
export { RoamLedgerManager__factory } from "./typechain/factories/contracts/governance/RoamLedgerManager__factory";
export type { SettlementVault, SettlementVaultInterface } from "./typechain/contracts/SettlementVault";
export { SettlementVault__factory } from "./typechain/factories/contracts/SettlementVault__factory";
export type { UsageClearing, UsageClearingInterface } from "./typechain/contracts/UsageClearing";
export { UsageClearing__factory } from "./typechain/factories/contracts/UsageClearing__factory";
export type { PeriodSettlement, PeriodSettlementInterface } from "./typechain/contracts/PeriodSettlement";
export { PeriodSettlement__factory } from "./typechain/factories/contracts/PeriodSettlement__factory";
/** Sends a built `{ to, data, value }` with a signer and waits for its receipt, reverts decoded (as the clients do). */
export { sendBuilt, type RevertDecoder } from "./clients/send";
export * from "./cdr";
export * from "./typedData/clearing";
export * from "./merkle";
export * from "./reconcile";
export * from "./clients/clearing";
export * from "./capacity";
export * from "./clients/capacity";
export * from "./clients/market";
export * from "./deployments";
export type {
  CapacityToken,
  CapacityTokenInterface,
  BandPlanStruct,
  BandPlanStructOutput,
  ClassInfoStruct,
  ClassInfoStructOutput,
  ClassTermsStruct,
  ClassTermsStructOutput,
  SliceTermsStruct,
  SliceTermsStructOutput,
  SpectrumTermsStruct,
  SpectrumTermsStructOutput,
} from "./typechain/contracts/CapacityToken";
export { CapacityToken__factory } from "./typechain/factories/contracts/CapacityToken__factory";
export type {
  CapacityMarket,
  CapacityMarketInterface,
  BidStruct,
  BidStructOutput,
  ListingStruct,
  ListingStructOutput,
} from "./typechain/contracts/CapacityMarket";
export { CapacityMarket__factory } from "./typechain/factories/contracts/CapacityMarket__factory";
