/**
 * The record leaf of a usage batch: the one encoding shared by the SDK, `contracts/libraries/RecordLeaf.sol` and
 * `@openzeppelin/merkle-tree`'s `StandardMerkleTree`. Pure: browser-safe.
 *
 * ```
 * leaf = keccak256(bytes.concat(keccak256(abi.encode(
 *          bytes32 recordId, bytes32 subscriberHash, uint8 service, uint64 eventStart, uint64 chargedVolume,
 *          uint32 index))))
 * ```
 *
 * - `subscriberHash = keccak256(abi.encode(bytes32 periodSalt, string imsi))` with
 *   `periodSalt = keccak256(abi.encode(bytes32 sharedSecret, bytes32 agreementId, uint256 period))`, where `period`
 *   is the agreement period of the event's start. No IMSI or MSISDN reaches the chain, and a subscriber cannot be
 *   linked across periods or agreements.
 * - `recordId = keccak256(abi.encode(bytes32 subscriberHash, uint8 service, uint64 eventStart, string eventRef))`,
 *   `eventRef` being the visited network's own reference of the event (e.g. its TAP call reference). The same event
 *   billed twice has the same `recordId`, whichever batch carries it.
 * - `index` is the record's position in its batch file (0-based), so two copies of one record in one batch are
 *   two distinct leaves.
 */
import { abiEncodeBytes, bytesToHex, keccak256, keccak256Bytes, parseParam } from "../encoding";
import type { Service } from "../rating/types";
import { toUint, type UintLike } from "../validation";

/** The Solidity types of a leaf, in order: the `leafEncoding` of `StandardMerkleTree`. */
export const RECORD_LEAF_TYPES = ["bytes32", "bytes32", "uint8", "uint64", "uint64", "uint32"] as const;

/** One usage record as it is committed to in a batch's Merkle root. */
export interface RecordLeaf {
  /** bytes32, lower-case hex. */
  readonly recordId: string;
  /** bytes32, lower-case hex. */
  readonly subscriberHash: string;
  readonly service: Service;
  /** Unix seconds. */
  readonly eventStart: bigint;
  /** The volume after per-record rounding up to the service's charging increment, in volume units. */
  readonly chargedVolume: bigint;
  /** Position in the batch file, 0-based (uint32). */
  readonly index: number;
}

/** The leaf as the tuple `StandardMerkleTree` stores (and `RecordLeaf.sol` encodes). */
export type RecordLeafTuple = [string, string, number, bigint, bigint, number];

/** The leaf as a tuple in {@link RECORD_LEAF_TYPES} order. */
export function leafTuple(leaf: RecordLeaf): RecordLeafTuple {
  return [leaf.recordId, leaf.subscriberHash, leaf.service, leaf.eventStart, leaf.chargedVolume, leaf.index];
}

/** The leaf from a tuple in {@link RECORD_LEAF_TYPES} order. */
export function leafFromTuple(tuple: readonly unknown[]): RecordLeaf {
  const [recordId, subscriberHash, service, eventStart, chargedVolume, index] = tuple;
  return {
    recordId: String(recordId).toLowerCase(),
    subscriberHash: String(subscriberHash).toLowerCase(),
    service: Number(service) as Service,
    eventStart: BigInt(eventStart as bigint),
    chargedVolume: BigInt(chargedVolume as bigint),
    index: Number(index),
  };
}

const LEAF_PARAMS = RECORD_LEAF_TYPES.map(parseParam);
const SALT_PARAMS = ["bytes32", "bytes32", "uint256"].map(parseParam);
const SUBSCRIBER_PARAMS = ["bytes32", "string"].map(parseParam);
const RECORD_ID_PARAMS = ["bytes32", "uint8", "uint64", "string"].map(parseParam);

/** The double-hashed leaf, exactly as `StandardMerkleTree.leafHash` and `RecordLeaf.hash` compute it. */
export function hashRecordLeaf(leaf: RecordLeaf): string {
  return bytesToHex(keccak256Bytes(keccak256Bytes(abiEncodeBytes(LEAF_PARAMS, leafTuple(leaf)))));
}

/** `keccak256(abi.encode(sharedSecret, agreementId, period))`: the salt of one agreement period. */
export function periodSalt(sharedSecret: string, agreementId: string, period: UintLike): string {
  return keccak256(abiEncodeBytes(SALT_PARAMS, [sharedSecret, agreementId, toUint(period, 256, "period")]));
}

/** `keccak256(abi.encode(periodSalt, imsi))`: the pseudonym of a subscriber for one agreement period. */
export function subscriberHash(salt: string, imsi: string): string {
  return keccak256(abiEncodeBytes(SUBSCRIBER_PARAMS, [salt, imsi]));
}

/** `keccak256(abi.encode(subscriberHash, service, eventStart, eventRef))`: the identity of one event. */
export function recordIdOf(subscriber: string, service: Service, eventStart: bigint, eventRef: string): string {
  return keccak256(abiEncodeBytes(RECORD_ID_PARAMS, [subscriber, service, eventStart, eventRef]));
}
