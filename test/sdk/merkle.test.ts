import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, hexlify, keccak256 } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  getMultiProof as ozGetMultiProof,
  getProof as ozGetProof,
  makeMerkleTree,
  processProof,
} from "@openzeppelin/merkle-tree/dist/core";

import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  buildRecordTree,
  encodeRecordLeaf,
  fastRecordLeafHash,
  hashRecordLeaf,
  leafTuple,
  RECORD_LEAF_TYPES,
  recordTreeRoot,
  RecordTree,
  verifyRecordMultiProof,
  verifyRecordProof,
  type RecordLeaf,
  type RecordLeafTuple,
} from "../../sdk/src/merkle";
import type { Service } from "../../sdk/src/rating/types";

/**
 * The record tree against `@openzeppelin/merkle-tree@1.0.8`'s `StandardMerkleTree` (the layout the contracts verify
 * with `MerkleProof`): roots, node arrays, proofs and multi-proofs must be identical, and every proof must verify with
 * both libraries. `MERKLE_RUNS` sets the number of random leaf sets (default 25).
 */
const RUNS = Number(process.env.MERKLE_RUNS ?? 25);
const TYPES = [...RECORD_LEAF_TYPES];
const U64 = 2n ** 64n - 1n;
const U32 = 2 ** 32 - 1;
const coder = AbiCoder.defaultAbiCoder();

const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const leafArb: fc.Arbitrary<RecordLeaf> = fc.record({
  recordId: bytes32Arb,
  subscriberHash: bytes32Arb,
  service: fc.integer({ min: 0, max: 8 }).map((s) => s as Service),
  eventStart: fc.bigInt({ min: 0n, max: U64 }),
  chargedVolume: fc.bigInt({ min: 0n, max: U64 }),
  index: fc.integer({ min: 0, max: U32 }),
});

/**
 * 1..300 leaves, some of them copies of another leaf's tuple with a different `index` (the same record twice in one
 * file) and, rarely, exact copies (identical leaves, which `StandardMerkleTree` keeps in input order).
 */
const leafSetArb: fc.Arbitrary<RecordLeaf[]> = fc
  .tuple(
    fc.array(leafArb, { minLength: 1, maxLength: 300, size: "max" }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: U32 }), fc.boolean()), { maxLength: 20 }),
  )
  .map(([base, copies]) => {
    const leaves = base.slice(0, Math.max(1, base.length - copies.length));
    for (const [from, index, exact] of copies) {
      const source = leaves[from % leaves.length];
      leaves.push(exact ? { ...source } : { ...source, index });
    }
    return leaves;
  });

function leaf(i: number, overrides: Partial<RecordLeaf> = {}): RecordLeaf {
  return {
    recordId: keccak256(coder.encode(["string", "uint256"], ["record", i])),
    subscriberHash: keccak256(coder.encode(["string", "uint256"], ["subscriber", i % 7])),
    service: (i % 9) as Service,
    eventStart: 1_700_000_000n + BigInt(i) * 60n,
    chargedVolume: BigInt(i) * 60n,
    index: i,
    ...overrides,
  };
}

function ozTree(leaves: readonly RecordLeaf[]): StandardMerkleTree<RecordLeafTuple> {
  return StandardMerkleTree.of(leaves.map(leafTuple), TYPES);
}

/** Distinct positions from `picks`, in the random order they come. */
function positions(picks: readonly number[], n: number): number[] {
  return [...new Set(picks.map((p) => p % n))];
}

describe("merkle: record tree", function () {
  describe("leaf encoding and hashing", function () {
    it("encodes a leaf exactly as abi.encode and hashes it as hashRecordLeaf, edge values included", function () {
      const cases: RecordLeaf[] = [
        leaf(1),
        leaf(0, { recordId: `0x${"00".repeat(32)}`, subscriberHash: `0x${"00".repeat(32)}`, eventStart: 0n }),
        leaf(2, { recordId: `0x${"ff".repeat(32)}`, subscriberHash: `0x${"ff".repeat(32)}` }),
        leaf(3, { service: 255 as Service, eventStart: U64, chargedVolume: U64, index: U32 }),
        leaf(4, { chargedVolume: 2n ** 32n, eventStart: 2n ** 32n - 1n, index: 2 ** 31 }),
      ];
      for (const l of cases) {
        expect(hexlify(encodeRecordLeaf(l))).to.equal(coder.encode(TYPES, leafTuple(l)));
        expect(fastRecordLeafHash(l)).to.equal(hashRecordLeaf(l));
      }
    });

    it("matches hashRecordLeaf on random leaves", function () {
      fc.assert(
        fc.property(leafArb, (l) => {
          expect(fastRecordLeafHash(l)).to.equal(hashRecordLeaf(l));
        }),
        { numRuns: 300 },
      );
    });

    it("accepts upper-case hex digits (same hash as lower case)", function () {
      const l = leaf(5);
      const upper = { ...l, recordId: `0x${l.recordId.slice(2).toUpperCase()}` };
      expect(fastRecordLeafHash(upper)).to.equal(hashRecordLeaf(l));
    });

    it("rejects fields outside their Solidity types, naming them", function () {
      const bad: [Partial<Record<keyof RecordLeaf, unknown>>, string][] = [
        [{ recordId: "0x1234" }, "recordId"],
        [{ recordId: `0x${"g".repeat(64)}` }, "recordId"],
        [{ subscriberHash: "00".repeat(33) }, "subscriberHash"],
        [{ subscriberHash: `0X${"00".repeat(32)}` }, "subscriberHash"],
        [{ service: 256 }, "service"],
        [{ service: -1 }, "service"],
        [{ service: 1.5 }, "service"],
        [{ eventStart: 5 }, "eventStart"],
        [{ eventStart: -1n }, "eventStart"],
        [{ chargedVolume: 2n ** 64n }, "chargedVolume"],
        [{ index: 2 ** 32 }, "index"],
        [{ index: -1 }, "index"],
        [{ index: 0.5 }, "index"],
      ];
      for (const [overrides, field] of bad) {
        const leaves = [leaf(0), { ...leaf(1), ...overrides } as RecordLeaf];
        expect(() => buildRecordTree(leaves), field)
          .to.throw(InvalidArgumentError)
          .with.property("field", `leaves[1].${field}`);
        expect(() => fastRecordLeafHash(leaves[1]), field)
          .to.throw(InvalidArgumentError)
          .with.property("field", `leaf.${field}`);
      }
    });
  });

  describe("buildRecordTree against StandardMerkleTree", function () {
    it("gives the same root, nodes, leaf hashes, proofs and multi-proofs on random leaf sets", function () {
      fc.assert(
        fc.property(leafSetArb, fc.array(fc.array(fc.nat(), { maxLength: 40 }), { maxLength: 3 }), (leaves, picks) => {
          const tree = buildRecordTree(leaves);
          const oz = ozTree(leaves);
          const dump = oz.dump();
          expect(tree.root).to.equal(oz.root);
          expect(tree.length).to.equal(leaves.length);
          expect(tree.nodes()).to.deep.equal(dump.tree);
          for (let i = 0; i < leaves.length; i++) {
            expect(tree.treeIndex(i)).to.equal(dump.values[i].treeIndex);
            expect(tree.leafHash(i)).to.equal(dump.tree[dump.values[i].treeIndex]);
            const proof = tree.proof(i);
            // Every proof against OpenZeppelin's proof builder; a sample through the tree's own (slow, self-checking)
            // getProof and StandardMerkleTree.verify.
            expect(proof).to.deep.equal(ozGetProof(dump.tree, dump.values[i].treeIndex));
            expect(verifyRecordProof(tree.root, leaves[i], proof)).to.equal(true);
            if (i % 16 === 0) {
              expect(proof).to.deep.equal(oz.getProof(i));
              expect(StandardMerkleTree.verify(tree.root, TYPES, leafTuple(leaves[i]), proof)).to.equal(true);
            }
          }
          // Random subsets in random order, then every leaf (checked against OpenZeppelin's verifier only for subsets).
          const sets = [...picks.map((p) => positions(p, leaves.length)), leaves.map((_, i) => i)];
          for (const [k, indices] of sets.entries()) {
            const subset = k < sets.length - 1;
            const ours = tree.multiProof(indices);
            const theirs = oz.getMultiProof(indices);
            expect(ours.leaves.map(leafTuple)).to.deep.equal(theirs.leaves);
            expect(ours.proof).to.deep.equal(theirs.proof);
            expect(ours.proofFlags).to.deep.equal(theirs.proofFlags);
            expect(ours.leafHashes).to.deep.equal(ours.indices.map((i) => dump.tree[dump.values[i].treeIndex]));
            expect(ours.indices.map((i) => leafTuple(leaves[i]))).to.deep.equal(theirs.leaves);
            expect([...ours.indices].sort((a, b) => a - b)).to.deep.equal([...indices].sort((a, b) => a - b));
            expect(verifyRecordMultiProof(tree.root, ours)).to.equal(true);
            if (!subset) continue;
            expect(
              StandardMerkleTree.verifyMultiProof(tree.root, TYPES, { ...ours, leaves: ours.leaves.map(leafTuple) }),
            ).to.equal(true);
            if (ours.leaves.length >= 2) {
              // Another order: both verifiers must agree on it (the commutative hash may still accept some orders).
              const reordered = { ...ours, leaves: [...ours.leaves].reverse() };
              expect(verifyRecordMultiProof(tree.root, reordered)).to.equal(
                StandardMerkleTree.verifyMultiProof(tree.root, TYPES, {
                  ...reordered,
                  leaves: reordered.leaves.map(leafTuple),
                }),
              );
            }
            if (ours.leaves.length >= 1) {
              const tampered = [...ours.leaves];
              tampered[0] = { ...tampered[0], chargedVolume: tampered[0].chargedVolume ^ 1n };
              expect(verifyRecordMultiProof(tree.root, { ...ours, leaves: tampered })).to.equal(false);
            }
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("builds a single-leaf tree: the root is the leaf hash, proofs are empty", function () {
      const l = leaf(9);
      const tree = buildRecordTree([l]);
      expect(tree.root)
        .to.equal(hashRecordLeaf(l))
        .and.to.equal(ozTree([l]).root);
      expect(tree.proof(0)).to.deep.equal([]);
      expect(verifyRecordProof(tree.root, l, [])).to.equal(true);
      const mp = tree.multiProof([0]);
      expect(mp).to.deep.equal({ leaves: [l], leafHashes: [tree.root], proof: [], proofFlags: [], indices: [0] });
      expect(verifyRecordMultiProof(tree.root, mp)).to.equal(true);
      expect(recordTreeRoot([l])).to.equal(tree.root);
    });

    it("proves no leaves with [root], as getMultiProof does and MerkleProof accepts", function () {
      const leaves = [leaf(1), leaf(2), leaf(3)];
      const tree = buildRecordTree(leaves);
      const mp = tree.multiProof([]);
      expect(mp.proof).to.deep.equal(ozTree(leaves).getMultiProof([]).proof).and.to.deep.equal([tree.root]);
      expect(verifyRecordMultiProof(tree.root, mp)).to.equal(true);
    });

    it("equals OpenZeppelin's tree on 2^16 leaves (layout and node hashing at scale, sampled leaf hashes)", function () {
      const n = 2 ** 16;
      const base = Array.from({ length: 1000 }, (_, i) => leaf(i));
      const leaves = Array.from({ length: n }, (_, i) => ({
        ...base[i % 1000],
        recordId: `0x${(i * 2654435761).toString(16).padStart(64, "0")}`,
        index: i,
      }));
      const tree = buildRecordTree(leaves);
      // Reference: OpenZeppelin's core builder over the leaf hashes sorted as StandardMerkleTree sorts them.
      const hashes = leaves.map((_, i) => tree.leafHash(i));
      // (equal-length lower-case hex strings sort as the numbers they denote)
      const sorted = [...hashes].sort();
      const reference = makeMerkleTree(sorted);
      expect(tree.root).to.equal(reference[0]);
      expect(tree.nodes().join()).to.equal(reference.join());
      for (let i = 0; i < n; i += 257) {
        expect(hashes[i]).to.equal(hashRecordLeaf(leaves[i]));
        expect(processProof(hashes[i], tree.proof(i))).to.equal(tree.root);
      }
      const indices = Array.from({ length: 300 }, (_, k) => (k * 7919) % n);
      const ours = tree.multiProof(indices);
      const theirs = ozGetMultiProof(
        reference,
        indices.map((i) => tree.treeIndex(i)),
      );
      expect(ours.leafHashes).to.deep.equal(theirs.leaves);
      expect(ours.proof).to.deep.equal(theirs.proof);
      expect(ours.proofFlags).to.deep.equal(theirs.proofFlags);
      expect(verifyRecordMultiProof(tree.root, ours)).to.equal(true);
    });

    it("converts to a StandardMerkleTree with the same root and values", function () {
      const leaves = [leaf(1), leaf(2), leaf(3), leaf(1, { index: 7 })];
      const tree = buildRecordTree(leaves);
      const standard = tree.toStandardTree();
      expect(standard.root).to.equal(tree.root);
      expect(standard.getProof(3)).to.deep.equal(tree.proof(3));
    });

    it("keeps its own copy of the leaves", function () {
      const leaves = [leaf(1), leaf(2)];
      const tree = buildRecordTree(leaves);
      leaves[0] = leaf(3);
      expect(tree.leaf(0)).to.deep.equal(leaf(1));
      expect(tree.leaves).to.have.length(2);
      expect(Object.isFrozen(tree.leaves)).to.equal(true);
    });
  });

  describe("arguments", function () {
    it("refuses an empty batch", function () {
      expect(() => buildRecordTree([]))
        .to.throw(InvalidArgumentError)
        .with.property("field", "leaves");
      expect(() => recordTreeRoot([])).to.throw(InvalidArgumentError);
    });

    it("refuses positions out of range and leaves proven twice", function () {
      const tree = buildRecordTree([leaf(1), leaf(2), leaf(3)]);
      for (const bad of [-1, 3, 1.5, Number.NaN]) {
        expect(() => tree.proof(bad)).to.throw(InvalidArgumentError);
        expect(() => tree.leafHash(bad)).to.throw(InvalidArgumentError);
        expect(() => tree.multiProof([0, bad]))
          .to.throw(InvalidArgumentError)
          .with.property("field", "indices[1]");
      }
      expect(() => tree.multiProof([2, 0, 2])).to.throw(InvalidArgumentError, "twice");
    });

    it("refuses a root or proof element that is not a bytes32", function () {
      const tree = buildRecordTree([leaf(1), leaf(2)]);
      expect(() => verifyRecordProof("0x12", leaf(1), tree.proof(0))).to.throw(InvalidArgumentError);
      expect(() => verifyRecordProof(tree.root, leaf(1), ["0x12"])).to.throw(InvalidArgumentError);
      const mp = tree.multiProof([0]);
      expect(() => verifyRecordMultiProof(tree.root, { ...mp, proof: ["nope"] }))
        .to.throw(InvalidArgumentError)
        .with.property("field", "proof[0]");
      expect(() => verifyRecordMultiProof(tree.root, { ...mp, proofFlags: [1 as unknown as boolean] })).to.throw(
        InvalidArgumentError,
      );
    });
  });

  describe("verification replays MerkleProof", function () {
    const leaves = Array.from({ length: 9 }, (_, i) => leaf(i));
    const tree = buildRecordTree(leaves);

    it("rejects a wrong leaf, a wrong root and a truncated proof", function () {
      const proof = tree.proof(4);
      expect(RecordTree.verifyRecordProof(tree.root, leaves[4], proof)).to.equal(true);
      expect(verifyRecordProof(tree.root, leaves[5], proof)).to.equal(false);
      expect(verifyRecordProof(tree.leafHash(0), leaves[4], proof)).to.equal(false);
      expect(verifyRecordProof(tree.root, leaves[4], proof.slice(1))).to.equal(false);
    });

    it("returns false where the contract reverts (MerkleProofInvalidMultiproof, out-of-bounds reads)", function () {
      const mp = tree.multiProof([1, 2, 6]);
      expect(RecordTree.verifyRecordMultiProof(tree.root, mp)).to.equal(true);
      // leaves + proof != flags + 1
      expect(verifyRecordMultiProof(tree.root, { ...mp, proof: [...mp.proof, tree.root] })).to.equal(false);
      expect(verifyRecordMultiProof(tree.root, { ...mp, proofFlags: [...mp.proofFlags, true] })).to.equal(false);
      // the counts add up but the flags ask for more proof elements than given (a calldata read out of bounds)
      const allFromProof = { ...mp, proofFlags: mp.proofFlags.map(() => false) };
      expect(verifyRecordMultiProof(tree.root, allFromProof)).to.equal(false);
      // no leaves, no flags: the single proof element is the root (as on chain)
      expect(verifyRecordMultiProof(tree.root, { leaves: [], proof: [tree.root], proofFlags: [] })).to.equal(true);
      expect(verifyRecordMultiProof(tree.root, { leaves: [], proof: [], proofFlags: [] })).to.equal(false);
      // one leaf, no flags: the leaf hash is the root
      expect(verifyRecordMultiProof(tree.root, { leaves: [leaves[0]], proof: [], proofFlags: [] })).to.equal(false);
      // counts add up, but the flag reads a hashes slot not yet written (bytes32(0)) and leaves the proof unused
      const one = buildRecordTree([leaves[0]]);
      expect(
        verifyRecordMultiProof(one.root, { leaves: [leaves[0]], proof: [tree.root], proofFlags: [true] }),
      ).to.equal(false);
    });
  });
});
