/**
 * From an ingested CDR file to a batch ready to submit: the header (per-service totals, Merkle root), the record tree
 * (for the proofs the parties exchange later) and the batch id. Pure: browser-safe.
 */
import { ZERO_HASH } from "../encoding";
import { InvalidArgumentError } from "../errors";
import type { RecordLeaf } from "../merkle/leaf";
import { buildRecordTree, EncodedRecordLeaves, type RecordTree } from "../merkle/tree";
import { UINT32_MAX } from "../rating/types";
import { batchIdOf, type BatchHeader } from "../typedData/clearing";
import { requireObject, toBytes32, toInteger, toUint, type UintLike } from "../validation";
import { assertValidCdrs } from "./errors";
import type { CdrBatchIngest, IngestResult } from "./types";

/** What {@link prepareBatch} needs besides the ingested file: the header's fields that do not come from the records. */
export interface PrepareBatchOptions {
  /** The agreement's id (bytes32). */
  readonly agreementId: string;
  /** 0: party A is the visited network and charges party B; 1: the reverse. */
  readonly direction: UintLike;
  /** The batch's sequence on (agreement, direction): the lane's last sequence plus one (1 or more, `uint32`). */
  readonly sequence: UintLike;
  /** Start of the usage the batch covers, Unix seconds (`uint40`). */
  readonly periodStart: UintLike;
  /** End of the usage the batch covers, exclusive, Unix seconds (`uint40`, after `periodStart`). */
  readonly periodEnd: UintLike;
  /** The id of the terms' base tariff of the direction (bytes32, not zero). */
  readonly baseTariff: string;
  /** The hash of the (encrypted) record file the counterparty will fetch (bytes32). */
  readonly fileHash: string;
}

/** A batch ready to submit (see {@link prepareBatch}). */
export interface PreparedBatch {
  /** The header: the options' fields, the ingestion's per-service totals and the records' Merkle root. */
  readonly header: BatchHeader;
  /** The Merkle tree of the records, leaves in file order (for proofs and multi-proofs). */
  readonly tree: RecordTree;
  /**
   * The record leaves, in file order (`leaves[i]` equals `tree.leaves[i]`). From an `ingestCdrBatch` result they are
   * decoded when first read: use `tree.leaf(i)` for a few.
   */
  readonly leaves: RecordLeaf[];
  /** The batch id: the header's EIP-712 struct hash (the contract's `hashBatchHeader`). */
  readonly batchId: string;
}

/**
 * Turns a validated CDR file into a batch: the header's `services`, `volumes`, `recordCounts` and `taxes` are the
 * ingestion's totals, its `root` the Merkle root of the ingestion's leaves ({@link buildRecordTree}); the other fields
 * come from `options`. Nothing is sent: submit `header` with `ClearingClient.submitBatch`.
 *
 * A file with any invalid record is refused whole (nothing of it is built, so nothing of it can be submitted). What
 * ingestion keeps rather than refuses is kept here too: records outside `[periodStart, periodEnd)`, duplicates and
 * records of services the base tariff does not cover are in the batch, and the counterparty can prove them on
 * chain; check `result.stats` before submitting.
 *
 * @param result What `ingestCdrBatch`, `ingestCdrs` (or `ingestCdrRecords`, `ingestCdrFile`) returned for the file.
 * @param options The header's other fields.
 * @returns The header, the record tree, the leaves and the batch id.
 * @throws CdrFileError (listing the file's issues) when `result.ok` is false, before anything else is looked at.
 * @throws InvalidArgumentError naming the field when an option is invalid (`agreementId`, `direction`, `sequence`,
 *   `periodStart`, `periodEnd`, `baseTariff`, `fileHash`), or `result.leaves` when the file has no record.
 */
export function prepareBatch(result: IngestResult | CdrBatchIngest, options: PrepareBatchOptions): PreparedBatch {
  requireObject(result, "result");
  assertValidCdrs(result);
  requireObject(options, "options");
  const agreementId = toBytes32(options.agreementId, "agreementId");
  const direction = toInteger(options.direction, "direction", 0n, 1n, "must be 0 or 1");
  const sequence = toInteger(options.sequence, "sequence", 1n, UINT32_MAX, `must be 1 to ${UINT32_MAX} (uint32)`);
  const periodStart = toUint(options.periodStart, 40, "periodStart");
  const periodEnd = toUint(options.periodEnd, 40, "periodEnd");
  if (periodEnd <= periodStart) {
    throw new InvalidArgumentError(`must be after periodStart (${periodStart})`, {
      field: "periodEnd",
      value: options.periodEnd,
    });
  }
  const baseTariff = toBytes32(options.baseTariff, "baseTariff");
  if (baseTariff === ZERO_HASH) {
    throw new InvalidArgumentError("must be a tariff id, not zero", { field: "baseTariff", value: options.baseTariff });
  }
  const fileHash = toBytes32(options.fileHash, "fileHash");
  const leaves: unknown = result.leaves;
  if (!(leaves instanceof EncodedRecordLeaves || Array.isArray(leaves)) || leaves.length === 0) {
    throw new InvalidArgumentError("a batch needs at least one record", {
      field: "result.leaves",
      value: result.leaves,
    });
  }

  const tree = buildRecordTree(result.leaves);
  const { totals } = result;
  const header: BatchHeader = {
    agreementId,
    direction,
    sequence,
    periodStart,
    periodEnd,
    baseTariff,
    services: [...totals.services],
    volumes: [...totals.volumes],
    recordCounts: [...totals.recordCounts],
    taxes: [...totals.taxes],
    root: tree.root,
    fileHash,
  };
  let decoded: RecordLeaf[] | undefined;
  return {
    header,
    tree,
    get leaves(): RecordLeaf[] {
      decoded ??= [...tree.leaves];
      return decoded;
    },
    batchId: batchIdOf(header),
  };
}
