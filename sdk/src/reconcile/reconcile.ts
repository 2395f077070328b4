/**
 * The home network's (HPMN) reconciliation of a visited network's (VPMN) usage batches, and the on-chain payloads
 * (fraud proofs, dispute multi-proofs) built from its report.
 *
 * Rules, per leaf of every batch given (batches taken in sequence order, the leaves of a batch in `index` order):
 * 1. **Fraud** (provable on chain), at most one kind per leaf, by priority:
 *    `ServiceNotCovered` (no increment for its service) > `OutsidePeriod` (`eventStart` outside the batch's
 *    `[periodStart, periodEnd)` or the validity `[from, until)`) > `BadIncrement` (`chargedVolume % increment != 0`) >
 *    `Duplicate`.
 *    Duplicates: among the copies of one `recordId` (across the batches given and within each), the **kept** copy is
 *    the earliest one — lowest sequence, then lowest `index` — that has none of the first three kinds; every later
 *    copy without those kinds is a `Duplicate` of it (the finding names the kept copy). A copy that has one of those
 *    kinds is reported with that kind only, whether it comes before or after the kept copy.
 * 2. **Matching**, for the leaves with no fraud, against `home.records` by `recordId` (only when they are given):
 *    `matched` (same service, `eventStart` and `chargedVolume`), `mismatched` (anything of those differs), `extra`
 *    (unknown `recordId`); `missing` lists the home records whose `recordId` is in no batch at all.
 * 3. **Disputes**, for the leaves with no fraud: `UnknownSubscriber` (its `subscriberHash` is not in
 *    `home.subscribers`) > `Other` (mismatched). `DuplicateEvent` and `ImpossibleSequence` are never raised here.
 * Findings on final batches go to `lateFindings` instead of `fraud` / `disputes`; matching covers every batch.
 *
 * Cost: one pass over the leaves with `Map`s keyed by `recordId` (a sort only for a batch whose leaves are not in
 * `index` order). Pure: no chain I/O, no Node-only API.
 */
import { InvalidArgumentError } from "../errors";
import type { RecordLeaf } from "../merkle/leaf";
import { buildRecordTree, type RecordTree } from "../merkle/tree";
import type { Service } from "../rating/types";
import { DisputeCode, FraudKind } from "./codes";
import type {
  BatchDispute,
  ReconcileBatchTotals,
  BuildDisputesOptions,
  DisputeFinding,
  FraudFinding,
  FraudProof,
  LeafRef,
  MatchedRecord,
  MismatchedRecord,
  ReconcileBatch,
  ReconcileInput,
  ReconciliationReport,
} from "./types";

/** The default most leaves in one dispute transaction. */
export const DEFAULT_MAX_LEAVES_PER_DISPUTE = 256;

/*//////////////////////////////////////////////////////////////////////////
                                 RECONCILE
//////////////////////////////////////////////////////////////////////////*/

/** Per-batch accumulators while reconciling. */
interface BatchTally {
  fraud: number;
  disputed: number;
  late: number;
  removed: Map<Service, bigint>;
}

/**
 * Reconciles the visited network's batches of one (agreement, direction) against the home network's view. See the
 * module documentation for the rules.
 *
 * @throws InvalidArgumentError if a batch id or sequence is given twice, an increment is not a positive bigint, or a
 * batch or leaf field has the wrong type.
 */
export function reconcileBatches(input: ReconcileInput): ReconciliationReport {
  const { home, batches, increments, validity } = input;
  checkInput(input);
  const ordered = [...batches].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));

  const homeById = home.records === undefined ? undefined : indexHomeRecords(home.records);
  const subscribers = home.subscribers;
  const seen = new Set<string>();
  const keptById = new Map<string, LeafRef>();

  const matched: MatchedRecord[] = [];
  const mismatched: MismatchedRecord[] = [];
  const extra: LeafRef[] = [];
  const fraud: FraudFinding[] = [];
  const disputes: DisputeFinding[] = [];
  const lateFraud: FraudFinding[] = [];
  const lateDisputes: DisputeFinding[] = [];
  const totals: ReconcileBatchTotals[] = [];

  for (const batch of ordered) {
    const { batchId, leaves, periodStart, periodEnd } = batch;
    const from = validity.from > periodStart ? validity.from : periodStart;
    const until = validity.until < periodEnd ? validity.until : periodEnd;
    const tally: BatchTally = { fraud: 0, disputed: 0, late: 0, removed: new Map() };
    const remove = (leaf: RecordLeaf): void => {
      tally.removed.set(leaf.service, (tally.removed.get(leaf.service) ?? 0n) + leaf.chargedVolume);
    };

    for (const position of positionsByIndex(leaves)) {
      const leaf = leaves[position];
      const id = leaf.recordId.toLowerCase();
      seen.add(id);

      // 1. Fraud.
      let kind: FraudKind | 0 = 0;
      let kept: LeafRef | undefined;
      const increment = increments.get(leaf.service);
      if (increment === undefined) kind = FraudKind.ServiceNotCovered;
      else if (leaf.eventStart < from || leaf.eventStart >= until) kind = FraudKind.OutsidePeriod;
      else if (leaf.chargedVolume % increment !== 0n) kind = FraudKind.BadIncrement;
      else {
        kept = keptById.get(id);
        if (kept === undefined) keptById.set(id, { batchId, position, leaf });
        else kind = FraudKind.Duplicate;
      }
      if (kind !== 0) {
        const finding: FraudFinding =
          kept === undefined ? { batchId, position, leaf, kind } : { batchId, position, leaf, kind, kept };
        if (batch.final) {
          lateFraud.push(finding);
          tally.late++;
        } else {
          fraud.push(finding);
          tally.fraud++;
          remove(leaf);
        }
        continue;
      }

      // 2. Matching.
      let mismatch: RecordLeaf | undefined;
      if (homeById !== undefined) {
        const homeRecord = homeById.get(id);
        if (homeRecord === undefined) extra.push({ batchId, position, leaf });
        else {
          const differences = differencesOf(leaf, homeRecord);
          if (differences.length === 0) matched.push({ batchId, position, leaf, homeRecord });
          else {
            mismatch = homeRecord;
            mismatched.push({
              batchId,
              position,
              leaf,
              homeRecord,
              batchVolume: leaf.chargedVolume,
              homeVolume: homeRecord.chargedVolume,
              differences,
            });
          }
        }
      }

      // 3. Disputes.
      let dispute: DisputeFinding | undefined;
      if (!knows(subscribers, leaf.subscriberHash)) {
        dispute = { batchId, position, leaf, code: DisputeCode.UnknownSubscriber };
      } else if (mismatch !== undefined) {
        dispute = { batchId, position, leaf, code: DisputeCode.Other, homeRecord: mismatch };
      }
      if (dispute !== undefined) {
        if (batch.final) {
          lateDisputes.push(dispute);
          tally.late++;
        } else {
          disputes.push(dispute);
          tally.disputed++;
          remove(leaf);
        }
      }
    }

    totals.push({
      batchId,
      sequence: batch.sequence,
      final: batch.final,
      records: leaves.length,
      fraud: tally.fraud,
      disputed: tally.disputed,
      late: tally.late,
      removedVolume: tally.removed,
    });
  }

  const missing: RecordLeaf[] = [];
  if (homeById !== undefined) {
    for (const [id, record] of homeById) if (!seen.has(id)) missing.push(record);
  }

  return {
    matched,
    mismatched,
    extra,
    missing,
    fraud,
    disputes,
    lateFindings: { fraud: lateFraud, disputes: lateDisputes },
    totals,
  };
}

/** Whether the home network knows a subscriber pseudonym (as given, or in lower case). */
function knows(subscribers: ReadonlySet<string>, hash: string): boolean {
  return subscribers.has(hash) || subscribers.has(hash.toLowerCase());
}

/** The home records by lower-case `recordId`, the first of each id. */
function indexHomeRecords(records: readonly RecordLeaf[]): Map<string, RecordLeaf> {
  if (!Array.isArray(records)) {
    throw new InvalidArgumentError("not an array of record leaves", { field: "home.records", value: records });
  }
  const byId = new Map<string, RecordLeaf>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    checkLeaf(record, "home.records", i);
    const id = record.recordId.toLowerCase();
    if (!byId.has(id)) byId.set(id, record);
  }
  return byId;
}

/** The fields in which a batch leaf differs from the home record of the same `recordId`. */
function differencesOf(leaf: RecordLeaf, home: RecordLeaf): MismatchedRecord["differences"] {
  const differences: ("service" | "eventStart" | "chargedVolume")[] = [];
  if (leaf.service !== home.service) differences.push("service");
  if (leaf.eventStart !== home.eventStart) differences.push("eventStart");
  if (leaf.chargedVolume !== home.chargedVolume) differences.push("chargedVolume");
  return differences;
}

/** The positions of `leaves` in ascending `index` (then position) order: the order duplicates are judged in. */
function positionsByIndex(leaves: readonly RecordLeaf[]): Uint32Array {
  const positions = new Uint32Array(leaves.length);
  let sorted = true;
  for (let p = 0; p < leaves.length; p++) {
    positions[p] = p;
    if (p > 0 && leaves[p].index < leaves[p - 1].index) sorted = false;
  }
  if (!sorted) positions.sort((a, b) => leaves[a].index - leaves[b].index || a - b);
  return positions;
}

/** Checks the shapes the reconciliation relies on (the ranges are the tree builder's business). */
function checkInput(input: ReconcileInput): void {
  const { home, batches, increments, validity } = input;
  if (typeof home !== "object" || home === null || !(home.subscribers instanceof Set)) {
    throw new InvalidArgumentError("home.subscribers must be a Set", { field: "home.subscribers", value: home });
  }
  if (!(increments instanceof Map)) {
    throw new InvalidArgumentError("not a Map of service increments", { field: "increments", value: increments });
  }
  for (const [service, increment] of increments) {
    if (typeof increment !== "bigint" || increment <= 0n) {
      throw new InvalidArgumentError("an increment must be a positive bigint", {
        field: `increments[${String(service)}]`,
        value: increment,
      });
    }
  }
  if (typeof validity !== "object" || validity === null) {
    throw new InvalidArgumentError("not a validity window", { field: "validity", value: validity });
  }
  checkBigint(validity.from, "validity.from");
  checkBigint(validity.until, "validity.until");
  if (!Array.isArray(batches)) {
    throw new InvalidArgumentError("not an array of batches", { field: "batches", value: batches });
  }
  const ids = new Set<string>();
  const sequences = new Set<bigint>();
  batches.forEach((batch, b) => {
    const field = `batches[${b}]`;
    if (typeof batch !== "object" || batch === null) {
      throw new InvalidArgumentError("not a batch", { field, value: batch });
    }
    if (typeof batch.batchId !== "string") {
      throw new InvalidArgumentError("not a string", { field: `${field}.batchId`, value: batch.batchId });
    }
    if (ids.has(batch.batchId)) {
      throw new InvalidArgumentError("batch given twice", { field: `${field}.batchId`, value: batch.batchId });
    }
    ids.add(batch.batchId);
    checkBigint(batch.sequence, `${field}.sequence`);
    if (sequences.has(batch.sequence)) {
      throw new InvalidArgumentError("two batches with one sequence", {
        field: `${field}.sequence`,
        value: batch.sequence,
      });
    }
    sequences.add(batch.sequence);
    checkBigint(batch.periodStart, `${field}.periodStart`);
    checkBigint(batch.periodEnd, `${field}.periodEnd`);
    if (typeof batch.final !== "boolean") {
      throw new InvalidArgumentError("not a boolean", { field: `${field}.final`, value: batch.final });
    }
    if (!Array.isArray(batch.leaves)) {
      throw new InvalidArgumentError("not an array of record leaves", {
        field: `${field}.leaves`,
        value: batch.leaves,
      });
    }
    const leavesField = `${field}.leaves`;
    for (let p = 0; p < batch.leaves.length; p++) checkLeaf(batch.leaves[p], leavesField, p);
  });
}

/** Throws unless `value` is a bigint. */
function checkBigint(value: unknown, field: string): void {
  if (typeof value !== "bigint") throw new InvalidArgumentError("not a bigint", { field, value });
}

/** Checks the field types of `name[position]`; the field name is built only on failure. */
function checkLeaf(leaf: RecordLeaf, name: string, position: number): void {
  const bad = (key: string, value: unknown): InvalidArgumentError => {
    const base = `${name}[${position}]`;
    return new InvalidArgumentError("not a record leaf", { field: key === "" ? base : `${base}.${key}`, value });
  };
  if (typeof leaf !== "object" || leaf === null) throw bad("", leaf);
  if (typeof leaf.recordId !== "string") throw bad("recordId", leaf.recordId);
  if (typeof leaf.subscriberHash !== "string") throw bad("subscriberHash", leaf.subscriberHash);
  if (typeof leaf.service !== "number") throw bad("service", leaf.service);
  if (typeof leaf.eventStart !== "bigint") throw bad("eventStart", leaf.eventStart);
  if (typeof leaf.chargedVolume !== "bigint") throw bad("chargedVolume", leaf.chargedVolume);
  if (typeof leaf.index !== "number") throw bad("index", leaf.index);
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

/** The batches by id, as the builders take them. */
export type BatchesById = ReadonlyMap<string, ReconcileBatch>;

/** The batches keyed by `batchId` (for {@link buildFraudProofs} and {@link buildDisputes}). */
export function batchesById(batches: readonly ReconcileBatch[]): Map<string, ReconcileBatch> {
  return new Map(batches.map((batch) => [batch.batchId, batch]));
}

/** Trees of the batches, built at most once per call (or taken from `batch.tree`). */
class Trees {
  readonly #batches: BatchesById;
  readonly #trees = new Map<string, RecordTree>();

  constructor(batches: BatchesById | readonly ReconcileBatch[]) {
    this.#batches = Array.isArray(batches) ? batchesById(batches) : (batches as BatchesById);
  }

  /** The tree of `ref.batchId`, checked to hold `ref.leaf` at `ref.position`. */
  treeOf(ref: LeafRef): RecordTree {
    let tree = this.#trees.get(ref.batchId);
    if (tree === undefined) {
      const batch = this.#batches.get(ref.batchId);
      if (batch === undefined) {
        throw new InvalidArgumentError("batch not given", { field: "batchesById", value: ref.batchId });
      }
      tree = batch.tree ?? buildRecordTree(batch.leaves);
      if (tree.length !== batch.leaves.length) {
        throw new InvalidArgumentError("the batch's tree is not the tree of its leaves", {
          field: "tree",
          value: ref.batchId,
        });
      }
      this.#trees.set(ref.batchId, tree);
    }
    if (ref.position >= tree.length || !sameLeaf(tree.leaf(ref.position), ref.leaf)) {
      throw new InvalidArgumentError("the batch's tree does not hold this leaf at this position", {
        field: "position",
        value: ref.position,
      });
    }
    return tree;
  }
}

/** Whether two leaves are the same leaf (the same object, or equal fields; hex compared case-insensitively). */
function sameLeaf(a: RecordLeaf, b: RecordLeaf): boolean {
  return (
    a === b ||
    (a.recordId.toLowerCase() === b.recordId.toLowerCase() &&
      a.subscriberHash.toLowerCase() === b.subscriberHash.toLowerCase() &&
      a.service === b.service &&
      a.eventStart === b.eventStart &&
      a.chargedVolume === b.chargedVolume &&
      a.index === b.index)
  );
}

/**
 * The fraud proofs of a report's actionable findings (`report.fraud`, in its order): each leaf with its Merkle proof
 * in its batch, and for a duplicate the kept copy with its proof in its own batch. Trees missing from the batches are
 * built (once per batch).
 *
 * Send these before the disputes: a leaf is challenged once (by a proof or a dispute), and a duplicate proof needs its
 * kept copy unchallenged, while the kept copy may itself be disputed (e.g. for an unknown subscriber).
 *
 * @param batches The batches the report was made from, by id (see {@link batchesById}) or as an array.
 * @throws InvalidArgumentError if a batch is missing or its `tree` does not hold the reported leaf.
 */
export function buildFraudProofs(
  report: ReconciliationReport,
  batches: BatchesById | readonly ReconcileBatch[],
): FraudProof[] {
  const trees = new Trees(batches);
  return report.fraud.map((finding): FraudProof => {
    const proof = trees.treeOf(finding).proof(finding.position);
    if (finding.kind !== FraudKind.Duplicate) {
      return { kind: finding.kind, batchId: finding.batchId, leaf: finding.leaf, proof };
    }
    const kept = finding.kept;
    if (kept === undefined) {
      throw new InvalidArgumentError("a duplicate finding names no kept copy", { field: "kept", value: finding.leaf });
    }
    return {
      kind: FraudKind.Duplicate,
      batchId: finding.batchId,
      leaf: finding.leaf,
      proof,
      keptBatchId: kept.batchId,
      keptLeaf: kept.leaf,
      keptProof: trees.treeOf(kept).proof(kept.position),
    };
  });
}

/**
 * The dispute calls of a report's actionable disputes (`report.disputes`): per batch (in the report's order), one or
 * more {@link BatchDispute}s of at most `maxLeavesPerDispute` leaves, each with its multi-proof and the codes aligned
 * with its leaves. A large set is split along the tree's leaf order, so each part's leaves are neighbours and share
 * proof nodes.
 *
 * @param batches The batches the report was made from, by id (see {@link batchesById}) or as an array.
 * @throws InvalidArgumentError if `maxLeavesPerDispute` is not a positive integer, a batch is missing or its `tree`
 * does not hold a reported leaf.
 */
export function buildDisputes(
  report: ReconciliationReport,
  batches: BatchesById | readonly ReconcileBatch[],
  options: BuildDisputesOptions = {},
): BatchDispute[] {
  const max = options.maxLeavesPerDispute ?? DEFAULT_MAX_LEAVES_PER_DISPUTE;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InvalidArgumentError("must be a positive integer", { field: "maxLeavesPerDispute", value: max });
  }
  const trees = new Trees(batches);
  const byBatch = new Map<string, DisputeFinding[]>();
  for (const finding of report.disputes) {
    const list = byBatch.get(finding.batchId);
    if (list === undefined) byBatch.set(finding.batchId, [finding]);
    else list.push(finding);
  }

  const out: BatchDispute[] = [];
  for (const [batchId, findings] of byBatch) {
    let tree: RecordTree | undefined;
    const codes = new Map<number, DisputeFinding["code"]>();
    for (const finding of findings) {
      tree = trees.treeOf(finding);
      if (codes.has(finding.position)) {
        throw new InvalidArgumentError("a leaf is disputed twice", { field: "disputes", value: finding.position });
      }
      codes.set(finding.position, finding.code);
    }
    if (tree === undefined) continue;
    const t = tree;
    // The multi-proof's own order (descending tree index = ascending leaf hash), cut into consecutive parts.
    const positions = [...codes.keys()].sort((a, b) => t.treeIndex(b) - t.treeIndex(a));
    for (let start = 0; start < positions.length; start += max) {
      const multiProof = t.multiProof(positions.slice(start, start + max));
      out.push({
        batchId,
        leaves: multiProof.leaves,
        proof: multiProof.proof,
        proofFlags: multiProof.proofFlags,
        codes: multiProof.indices.map((p) => codes.get(p) as DisputeFinding["code"]),
        positions: multiProof.indices,
      });
    }
  }
  return out;
}
