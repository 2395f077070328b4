/**
 * Finding the duplicated record ids of a batch's leaves (ingestion only counts them, in `stats.duplicateRecordIds`):
 * what a visited network checks before submitting, since the home network can prove each duplicate as fraud. Pure:
 * browser-safe.
 */
import { InvalidArgumentError } from "../errors";
import { EncodedRecordLeaves, type RecordLeavesInput } from "../merkle/tree";

/** The first record id met twice in a batch, and every position holding it. */
export interface DuplicateRecordId {
  /** The record id (bytes32, lower-case hex). */
  readonly recordId: string;
  /** The 0-based positions of the leaves with that id (`RecordLeaf.index`), ascending: the first is the kept copy. */
  readonly indexes: number[];
}

/** Bytes of one encoded leaf (see `EncodedRecordLeaves`); its record id is the first 32. */
const LEAF_BYTES = 192;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** `0x` + the hex of the 32 bytes at `bytes[at..]`. */
function idAt(bytes: Uint8Array, at: number): string {
  let hex = "0x";
  for (let i = at; i < at + 32; i++) hex += HEX[bytes[i]];
  return hex;
}

/**
 * The first duplicated record id of `leaves` in file order (the id of the first leaf whose id an earlier leaf already
 * had), with all its positions; undefined when every id is unique. One pass, a hash set of the ids seen.
 *
 * @param leaves The leaves, as objects or encoded (`CdrBatchIngest.leaves`, `IngestResult.leaves`).
 * @throws InvalidArgumentError naming `leaves` when it is neither.
 */
export function firstDuplicateRecordId(leaves: RecordLeavesInput): DuplicateRecordId | undefined {
  let idOf: (i: number) => string;
  if (leaves instanceof EncodedRecordLeaves) {
    const bytes = leaves.bytes;
    idOf = (i) => idAt(bytes, i * LEAF_BYTES);
  } else if (Array.isArray(leaves)) {
    const list = leaves as RecordLeavesInput & unknown[];
    idOf = (i) => String((list[i] as { recordId: unknown }).recordId).toLowerCase();
  } else {
    throw new InvalidArgumentError("must be record leaves (an array or EncodedRecordLeaves)", {
      field: "leaves",
      value: leaves,
    });
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < leaves.length; i++) {
    const id = idOf(i);
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, i);
      continue;
    }
    const indexes = [first, i];
    for (let k = i + 1; k < leaves.length; k++) if (idOf(k) === id) indexes.push(k);
    return { recordId: id, indexes };
  }
  return undefined;
}
