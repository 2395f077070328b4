/**
 * The home network's reconciliation of usage batches (docs/ARCHITECTURE.md section 7): matching against its own
 * records, fraud provable on chain, RAP-like disputes, and the payloads (`proveFraud` proofs, `dispute`
 * multi-proofs) built from the report.
 *
 * Pure: bigint arithmetic only, no chain I/O, no Node-only API; runs in browsers.
 */
export * from "./codes";
export * from "./types";
export {
  batchesById,
  buildDisputes,
  buildFraudProofs,
  DEFAULT_MAX_LEAVES_PER_DISPUTE,
  reconcileBatches,
} from "./reconcile";
export type { BatchesById } from "./reconcile";
