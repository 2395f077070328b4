/**
 * Types of the home network's reconciliation (`sdk/src/reconcile/`): its own view, the visited network's batches, the
 * report and the on-chain payloads built from it.
 *
 * Conventions: volumes and times are `bigint` (volume units, Unix seconds); a leaf is addressed by its batch id and
 * its `position` in that batch's `leaves` array (its input position in the batch's `RecordTree`), which is not
 * necessarily its `index` field.
 */
import type { RecordLeaf } from "../merkle/leaf";
import type { RecordTree } from "../merkle/tree";
import type { Service } from "../rating/types";
import type { DisputeCode, FraudKind } from "./codes";

/*//////////////////////////////////////////////////////////////////////////
                                   INPUTS
//////////////////////////////////////////////////////////////////////////*/

/** What the home network (HPMN) knows for the period. */
export interface HomeView {
  /**
   * The `subscriberHash` values of the subscribers it provisioned for the period (computed by the caller with
   * `subscriberHash(periodSalt(...), imsi)`; lower-case hex, as those functions return).
   */
  readonly subscribers: ReadonlySet<string>;
  /**
   * Its own usage records of the same events, when it has them (e.g. from NRTRDE or its own probes). Matched to the
   * batches by `recordId`; their `index` is ignored. If two share a `recordId`, the first counts.
   */
  readonly records?: readonly RecordLeaf[];
}

/** One visited-network (VPMN) batch of the (agreement, direction) being reconciled. */
export interface ReconcileBatch {
  /** The batch id (the EIP-712 hash of its header); unique among the batches given. */
  readonly batchId: string;
  /** Its sequence number on the (agreement, direction); unique among the batches given. */
  readonly sequence: bigint;
  /** Start of the usage it covers (Unix seconds, inclusive). */
  readonly periodStart: bigint;
  /** End of the usage it covers (exclusive). */
  readonly periodEnd: bigint;
  /** Its record leaves, in file order (the input of its Merkle tree). */
  readonly leaves: readonly RecordLeaf[];
  /** Its Merkle tree, if already built (from exactly `leaves`, in that order); built on demand otherwise. */
  readonly tree?: RecordTree;
  /** True when it can no longer be challenged (accepted, or its dispute window is over). */
  readonly final: boolean;
}

/** Everything `reconcileBatches` looks at. */
export interface ReconcileInput {
  /** The home network's own view. */
  readonly home: HomeView;
  /**
   * The batches to examine, of one (agreement, direction), in any order. Leave out rejected batches: their leaves are
   * gone, and a copy in one cannot be the kept copy of a duplicate.
   */
  readonly batches: readonly ReconcileBatch[];
  /** The services the base tariff covers, with their charging increment in volume units (each greater than 0). */
  readonly increments: ReadonlyMap<Service, bigint>;
  /** The agreement's validity window: `from` inclusive, `until` exclusive (Unix seconds). */
  readonly validity: { readonly from: bigint; readonly until: bigint };
}

/*//////////////////////////////////////////////////////////////////////////
                                   REPORT
//////////////////////////////////////////////////////////////////////////*/

/** A leaf of a given batch. */
export interface LeafRef {
  readonly batchId: string;
  /** The leaf's position in the batch's `leaves` (its input position in the batch's tree). */
  readonly position: number;
  readonly leaf: RecordLeaf;
}

/** A batch leaf that agrees with the home network's record of the same `recordId`. */
export interface MatchedRecord extends LeafRef {
  /** The home network's record. */
  readonly homeRecord: RecordLeaf;
}

/** A batch leaf whose `recordId` the home network knows, but with another charged volume (or service or start). */
export interface MismatchedRecord extends LeafRef {
  /** The home network's record. */
  readonly homeRecord: RecordLeaf;
  /** The volume the batch charges. */
  readonly batchVolume: bigint;
  /** The volume the home network recorded. */
  readonly homeVolume: bigint;
  /** The fields that differ, among `service`, `eventStart` and `chargedVolume`. */
  readonly differences: readonly ("service" | "eventStart" | "chargedVolume")[];
}

/** A leaf provable as fraud on chain. */
export interface FraudFinding extends LeafRef {
  readonly kind: FraudKind;
  /** For {@link FraudKind.Duplicate}: the copy that is kept (the earliest copy with no other fraud). */
  readonly kept?: LeafRef;
}

/** A leaf the home network disputes (the chain cannot judge it: it is held until the parties or the arbiter settle). */
export interface DisputeFinding extends LeafRef {
  readonly code: DisputeCode;
  /** For a volume mismatch ({@link DisputeCode.Other}): the home network's record. */
  readonly homeRecord?: RecordLeaf;
}

/** Per-batch figures of a report. */
export interface ReconcileBatchTotals {
  readonly batchId: string;
  readonly sequence: bigint;
  readonly final: boolean;
  /** Leaves in the batch. */
  readonly records: number;
  /** Actionable fraud findings (0 for a final batch). */
  readonly fraud: number;
  /** Actionable disputes (0 for a final batch). */
  readonly disputed: number;
  /** Findings that came too late: the batch is final (fraud and disputes). */
  readonly late: number;
  /**
   * The charged volume the actionable findings take out of the batch, per service (fraud and disputes together; a
   * service appears only if at least one of its leaves is removed).
   */
  readonly removedVolume: ReadonlyMap<Service, bigint>;
}

/** What `reconcileBatches` found. Lists are in batch sequence order, then leaf `index` order. */
export interface ReconciliationReport {
  /** Leaves (with no fraud) that agree with the home network's record; empty without `home.records`. */
  readonly matched: readonly MatchedRecord[];
  /** Leaves (with no fraud) whose `recordId` the home network knows with different figures. */
  readonly mismatched: readonly MismatchedRecord[];
  /** Leaves (with no fraud) the home network has no record of; empty without `home.records`. */
  readonly extra: readonly LeafRef[];
  /** The home network's records whose `recordId` is in no batch; empty without `home.records`. */
  readonly missing: readonly RecordLeaf[];
  /** Fraud provable now: at most one finding per leaf, leaves of batches that are not final. */
  readonly fraud: readonly FraudFinding[];
  /** Disputes to raise now: leaves with no fraud, of batches that are not final. */
  readonly disputes: readonly DisputeFinding[];
  /** The same findings for leaves of final batches, which can no longer be acted on. */
  readonly lateFindings: {
    readonly fraud: readonly FraudFinding[];
    readonly disputes: readonly DisputeFinding[];
  };
  /** One entry per batch, in sequence order. */
  readonly totals: readonly ReconcileBatchTotals[];
}

/*//////////////////////////////////////////////////////////////////////////
                                  PAYLOADS
//////////////////////////////////////////////////////////////////////////*/

/** A fraud proof for `proveFraud`: the leaf and its Merkle proof in its batch. */
export interface SimpleFraudProof {
  readonly kind: typeof FraudKind.OutsidePeriod | typeof FraudKind.BadIncrement | typeof FraudKind.ServiceNotCovered;
  readonly batchId: string;
  readonly leaf: RecordLeaf;
  readonly proof: string[];
}

/** A duplicate proof: the offending leaf and the kept copy, each with its proof in its own batch. */
export interface DuplicateFraudProof {
  readonly kind: typeof FraudKind.Duplicate;
  readonly batchId: string;
  readonly leaf: RecordLeaf;
  readonly proof: string[];
  readonly keptBatchId: string;
  readonly keptLeaf: RecordLeaf;
  readonly keptProof: string[];
}

/** A fraud proof of either shape. */
export type FraudProof = SimpleFraudProof | DuplicateFraudProof;

/**
 * One `dispute` call: leaves of one batch with their multi-proof and aligned codes. `leaves` are in the order the
 * contract consumes them (see `RecordTree.multiProof`), and `codes[k]` is the code of `leaves[k]`.
 */
export interface BatchDispute {
  readonly batchId: string;
  readonly leaves: RecordLeaf[];
  readonly proof: string[];
  readonly proofFlags: boolean[];
  readonly codes: DisputeCode[];
  /** The leaves' positions in the batch, aligned with `leaves`. */
  readonly positions: number[];
}

/** Options of `buildDisputes`. */
export interface BuildDisputesOptions {
  /** The most leaves in one dispute (one transaction); larger sets are split. Default 256. */
  readonly maxLeavesPerDispute?: number;
}
