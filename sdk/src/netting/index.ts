/**
 * The netting preview (docs/ARCHITECTURE.md section 8): the `SettlementVault`'s cycle, netting and finality rules
 * replayed off-chain, and stateless multilateral netting (obligations -> net positions -> payments).
 *
 * Pure: bigint arithmetic only, no chain I/O, no Node-only API; runs in browsers.
 */
export * from "./types";
export { NETTING_ERRORS, NETTING_PANIC_ARITHMETIC, NettingError, isNettingError } from "./errors";
export type { NettingErrorArg, NettingErrorCode } from "./errors";
export { NettingPreview, simulateNetting } from "./preview";
export type { NettingSimulation, NettingStep } from "./preview";
export {
  bilateralGrossOf,
  netPositions,
  nettingStats,
  nettingSummary,
  paymentsOf,
  receiptsOf,
  settlementPlan,
} from "./settlement";
