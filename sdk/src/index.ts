/**
 * `@roamledger/sdk` (also `@roamledger/sdk/ethers`): the entry point for ethers v6 users — every provider-free
 * module (as in `@roamledger/sdk/pure`), the clients of the suite's contracts (reads, writes and `client.build.*`
 * transaction builders returning `{ to, data, value }`), and the TypeChain types and factories. Browser-safe.
 *
 * viem users import `@roamledger/sdk/viem`; Node-only helpers (files) are in `@roamledger/sdk/node`.
 *
 * @packageDocumentation
 */
export * from "./pure";
export { AgreementsClient, termsFromResult } from "./clients/agreements";
export type { AgreementInfo, AgreementStatusName, AmendParams, TariffRecordInfo } from "./clients/agreements";
export { CapacityClient, slaBreachIdOf, slaCreditRef } from "./clients/capacity";
export type {
  BandPlanInfo,
  CapacityClassInfo,
  CreatedClass,
  NumberedBandPlan,
  SlaBreachRecord,
  SlaBreachResult,
  SlaCredit,
  SpectrumPreflight,
} from "./clients/capacity";
export {
  BATCH_STATUS,
  ClearingClient,
  DISPUTE_CODES,
  FRAUD_KINDS,
  REJECT_CODES,
  SettlementClient,
} from "./clients/clearing";
export type { BatchInfo, RecordMultiProofArg, RecordProofArg, SubmittedBatch } from "./clients/clearing";
export { MARKET_LIMITS, MarketClient, marketPrice } from "./clients/market";
export type {
  BidPlacedResult,
  CapacityBid,
  CapacityListing,
  ListedResult,
  MarketBuyOptions,
  MarketDeliveryOptions,
  MarketOpenOptions,
  MarketRangeOptions,
} from "./clients/market";
export { REGISTRY_LIMITS, RegistryClient } from "./clients/registry";
export type {
  BuiltTransaction,
  ListOptions,
  OperatorInfo,
  OperatorStatusName,
  RegisterOperatorParams,
  RegisterResult,
} from "./clients/registry";
export { sendBuilt } from "./clients/send";
export type { RevertDecoder } from "./clients/send";
export { PERMIT_DEFAULT_TTL, VaultClient } from "./clients/vault";
export type {
  VaultAccountInfo,
  VaultBilateralGross,
  VaultDepositOptions,
  VaultMemberInfo,
  VaultPageOptions,
  VaultPermitOptions,
  VaultPermitSignature,
  VaultPermitSignatureLike,
  VaultProcessQueueResult,
  VaultQueuedObligation,
  VaultTokenConfig,
} from "./clients/vault";
export type { CapacityMarket } from "./typechain/contracts/CapacityMarket";
export type { CapacityToken } from "./typechain/contracts/CapacityToken";
export type { OperatorRegistry } from "./typechain/contracts/OperatorRegistry";
export type { PeriodSettlement } from "./typechain/contracts/PeriodSettlement";
export type { RoamingAgreements } from "./typechain/contracts/RoamingAgreements";
export type { SettlementVault } from "./typechain/contracts/SettlementVault";
export type { UsageClearing } from "./typechain/contracts/UsageClearing";
export type { RoamLedgerManager } from "./typechain/contracts/governance/RoamLedgerManager";
export { CapacityMarket__factory } from "./typechain/factories/contracts/CapacityMarket__factory";
export { CapacityToken__factory } from "./typechain/factories/contracts/CapacityToken__factory";
export { OperatorRegistry__factory } from "./typechain/factories/contracts/OperatorRegistry__factory";
export { PeriodSettlement__factory } from "./typechain/factories/contracts/PeriodSettlement__factory";
export { RoamingAgreements__factory } from "./typechain/factories/contracts/RoamingAgreements__factory";
export { SettlementVault__factory } from "./typechain/factories/contracts/SettlementVault__factory";
export { UsageClearing__factory } from "./typechain/factories/contracts/UsageClearing__factory";
export { RoamLedgerManager__factory } from "./typechain/factories/contracts/governance/RoamLedgerManager__factory";
