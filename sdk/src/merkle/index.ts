/**
 * Record leaves and the record Merkle tree of usage batches (docs/ARCHITECTURE.md section 7): the leaf encoding
 * shared with `RecordLeaf.sol`, a fast builder identical to `@openzeppelin/merkle-tree`'s `StandardMerkleTree`, and
 * proof verification that replays OpenZeppelin's `MerkleProof`.
 *
 * Pure: no chain I/O, no Node-only API; runs in browsers.
 */
export * from "./leaf";
export * from "./tree";
