import { expect } from "chai";
import fc from "fast-check";
import { hexlify, keccak256, solidityPackedKeccak256 } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import { fastRecordId, fastSubscriberHash } from "../../sdk/src/cdr/hash";
import { emitKeccakModule, hexAt, wasmKeccak, wasmKeccak256 } from "../../sdk/src/merkle/keccak";
import {
  buildRecordTree,
  leafTuple,
  RECORD_LEAF_TYPES,
  recordIdOf,
  subscriberHash,
  type RecordLeaf,
} from "../../sdk/src/merkle";
import type { Service } from "../../sdk/src/rating/types";

/**
 * The WebAssembly Keccak of `sdk/src/merkle/keccak.ts` against ethers' `keccak256` (random inputs of every length
 * around the block boundaries), its batch and tree functions against ethers and `StandardMerkleTree`, and the record
 * tree's two paths (WebAssembly and pure JS) against each other and the reference. Small sizes: part of `npm test`.
 */
const RUNS = Number(process.env.KECCAK_RUNS ?? 200);

const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const leafArb: fc.Arbitrary<RecordLeaf> = fc.record({
  recordId: bytes32Arb,
  subscriberHash: bytes32Arb,
  service: fc.integer({ min: 0, max: 8 }).map((s) => s as Service),
  eventStart: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  chargedVolume: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  index: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

describe("keccak: the WebAssembly batch Keccak-256", function () {
  const k = wasmKeccak();

  it("is available here and small enough to compile synchronously in a browser (< 4 KiB)", function () {
    expect(k).to.not.equal(undefined);
    expect(emitKeccakModule().length).to.be.below(4096);
  });

  it("equals ethers' keccak256 on random inputs of 0 to 700 bytes", function () {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), (data) => {
        expect(wasmKeccak256(data)).to.equal(keccak256(data));
      }),
      { numRuns: RUNS },
    );
  });

  it("equals ethers' keccak256 at every length around the 136-byte rate", function () {
    for (const length of [0, 1, 31, 32, 33, 63, 64, 65, 134, 135, 136, 137, 191, 192, 271, 272, 273, 408, 409]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(wasmKeccak256(data), `length ${length}`).to.equal(keccak256(data));
    }
  });

  it("hashes many fixed-size inputs in one call (hashMany), strided and in place", function () {
    const wasm = k!;
    const n = 50;
    const at = wasm.reserve(n * 100 + n * 32);
    const inputs = Array.from({ length: n }, (_, i) =>
      Uint8Array.from({ length: 100 }, (_, j) => (i * 7 + j * 13) & 0xff),
    );
    inputs.forEach((input, i) => wasm.bytes.set(input, at + i * 100));
    wasm.hashMany(at, 77, 100, at + n * 100, n); // the first 77 bytes of each 100-byte slot
    for (let i = 0; i < n; i++)
      expect(hexAt(wasm.bytes, at + n * 100 + 32 * i)).to.equal(keccak256(inputs[i].slice(0, 77)));
    wasm.hashMany(at + n * 100, 32, 32, at + n * 100, n); // in place
    for (let i = 0; i < n; i++) {
      expect(hexAt(wasm.bytes, at + n * 100 + 32 * i)).to.equal(keccak256(keccak256(inputs[i].slice(0, 77))));
    }
  });

  it("computes inner nodes as commutativeKeccak256 of the children (tree)", function () {
    const wasm = k!;
    for (const n of [1, 2, 3, 5, 8, 33]) {
      const base = wasm.reserve((2 * n - 1) * 32);
      const nodes: string[] = new Array<string>(2 * n - 1);
      for (let i = 0; i < n; i++) {
        const leaf = keccak256(Uint8Array.of(n, i));
        nodes[2 * n - 2 - i] = leaf;
        wasm.bytes.set(Buffer.from(leaf.slice(2), "hex"), base + (2 * n - 2 - i) * 32);
      }
      // Two equal children too: the comparison must fall through all 32 bytes.
      if (n >= 3) {
        nodes[2 * n - 3] = nodes[2 * n - 2];
        wasm.bytes.copyWithin(base + (2 * n - 3) * 32, base + (2 * n - 2) * 32, base + (2 * n - 1) * 32);
      }
      wasm.tree(base, n);
      for (let i = n - 2; i >= 0; i--) {
        const [a, b] = [nodes[2 * i + 1], nodes[2 * i + 2]].sort();
        nodes[i] = solidityPackedKeccak256(["bytes32", "bytes32"], [a, b]);
        expect(hexAt(wasm.bytes, base + 32 * i), `n ${n}, node ${i}`).to.equal(nodes[i]);
      }
    }
  });

  it("gives ingestion's subscriber hash and record id as the reference functions (merkle/leaf.ts)", function () {
    fc.assert(
      fc.property(
        bytes32Arb,
        fc.stringMatching(/^[0-9]{6,15}$/),
        fc.integer({ min: 0, max: 8 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.string({ minLength: 1, maxLength: 64 }),
        (salt, imsi, service, eventStart, eventRef) => {
          const subscriber = fastSubscriberHash(salt, imsi);
          expect(subscriber).to.equal(subscriberHash(salt, imsi));
          expect(fastRecordId(subscriber, service as Service, eventStart, eventRef)).to.equal(
            recordIdOf(subscriber, service as Service, eventStart, eventRef),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("builds the same record tree with WebAssembly and pure JS, equal to StandardMerkleTree (ties included)", function () {
    fc.assert(
      fc.property(fc.array(leafArb, { minLength: 1, maxLength: 120 }), fc.nat(), (base, copies) => {
        const leaves = [...base];
        // Exact copies (identical leaf hashes keep their input order) and same-record copies.
        for (let c = 0; c < copies % 4; c++) leaves.push({ ...leaves[(c * 7) % leaves.length] });
        const wasm = buildRecordTree(leaves);
        const js = buildRecordTree(leaves, { wasm: false });
        const ref = StandardMerkleTree.of(leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
        expect(wasm.root).to.equal(ref.root);
        expect(js.root).to.equal(ref.root);
        expect(wasm.nodes()).to.deep.equal(js.nodes());
        for (let i = 0; i < leaves.length; i++) expect(wasm.treeIndex(i)).to.equal(js.treeIndex(i));
      }),
      { numRuns: 30 },
    );
  });
});
