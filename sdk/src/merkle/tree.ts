/**
 * A fast, exact builder of a usage batch's record Merkle tree.
 *
 * The tree is byte-identical to `@openzeppelin/merkle-tree@1.0.8`'s
 * `StandardMerkleTree.of(leaves.map(leafTuple), RECORD_LEAF_TYPES)` (default options, `sortLeaves: true`):
 * - a leaf is `keccak256(keccak256(abi.encode(recordId, subscriberHash, service, eventStart, chargedVolume, index)))`
 *   ({@link hashRecordLeaf});
 * - the leaf hashes are sorted ascending (as unsigned 256-bit numbers; equal hashes keep their input order);
 * - the tree is one array of `2n - 1` nodes: node `0` is the root, node `i` has the children `2i + 1` and `2i + 2`,
 *   and the `k`-th smallest leaf hash is node `2n - 2 - k` (the leaves fill the end of the array in reverse order);
 * - an inner node is `keccak256(min(a, b) ‖ max(a, b))` (OpenZeppelin `Hashes.commutativeKeccak256`).
 *
 * Proofs and multi-proofs are the ones `getProof` and `getMultiProof` return, and {@link verifyRecordProof} /
 * {@link verifyRecordMultiProof} replay OpenZeppelin Contracts 5.7 `MerkleProof.verifyCalldata` and
 * `MerkleProof.multiProofVerifyCalldata` step by step.
 *
 * Speed: the leaves are ABI-encoded by hand, chunk by chunk, into the memory of the WebAssembly batch Keccak of
 * `./keccak` and hashed there, the leaf hashes are radix-sorted on their first 32 bits, and the inner nodes are hashed
 * in WebAssembly too (no allocation per hash). Leaves given already encoded ({@link EncodedRecordLeaves}, what the fast
 * CSV ingestion produces) are copied into that memory as they are. Where WebAssembly is unavailable (or with
 * `{ wasm: false }`), an unrolled pure-JS Keccak-f[1600] on 32-bit words does the same work. Node hashes live in one
 * flat `Int32Array` (8 words, 32 bytes per node). The result is checked against `StandardMerkleTree` in
 * `test/sdk/merkle.test.ts`, `test/sdk/keccak.test.ts` (both paths) and `test/sdk/fastCsv.test.ts` (encoded leaves).
 *
 * Pure: no Node-only API; runs in browsers. The WebAssembly path is used on little-endian platforms only.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

import { InvalidArgumentError } from "../errors";
import type { Service } from "../rating/types";
import { leafTuple, RECORD_LEAF_TYPES, type RecordLeaf, type RecordLeafTuple } from "./leaf";
import { wasmKeccak, type WasmKeccak } from "./keccak";
import { compareHashes, sortedLeafOrder } from "./sort";

/*//////////////////////////////////////////////////////////////////////////
                                 KECCAK-256
//////////////////////////////////////////////////////////////////////////*/

/** The 24 round constants of Keccak-f[1600], low and high 32 bits. */
const RC_LO = Int32Array.of(
  0x00000001,
  0x00008082,
  0x0000808a,
  0x80008000,
  0x0000808b,
  0x80000001,
  0x80008081,
  0x00008009,
  0x0000008a,
  0x00000088,
  0x80008009,
  0x8000000a,
  0x8000808b,
  0x0000008b,
  0x00008089,
  0x00008003,
  0x00008002,
  0x00000080,
  0x0000800a,
  0x8000000a,
  0x80008081,
  0x00008080,
  0x80000001,
  0x80008008,
);
const RC_HI = Int32Array.of(
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x80000000,
  0x80000000,
  0x80000000,
  0x00000000,
  0x80000000,
);

/**
 * Keccak-f[1600] on a state of 25 lanes held as 50 32-bit words (lane `i` = words `2i` (low) and `2i + 1` (high);
 * lane `x + 5y` is `A[x][y]`), fully unrolled over local variables. Generated from the reference definition
 * (rotation offsets and round constants computed from FIPS 202); checked against `@noble/hashes` and ethers in the tests.
 */
function keccakF1600(s: Int32Array): void {
  let a00l = s[0],
    a00h = s[1],
    a10l = s[2],
    a10h = s[3],
    a20l = s[4],
    a20h = s[5],
    a30l = s[6],
    a30h = s[7],
    a40l = s[8],
    a40h = s[9],
    a01l = s[10],
    a01h = s[11],
    a11l = s[12],
    a11h = s[13],
    a21l = s[14],
    a21h = s[15],
    a31l = s[16],
    a31h = s[17],
    a41l = s[18],
    a41h = s[19],
    a02l = s[20],
    a02h = s[21],
    a12l = s[22],
    a12h = s[23],
    a22l = s[24],
    a22h = s[25],
    a32l = s[26],
    a32h = s[27],
    a42l = s[28],
    a42h = s[29],
    a03l = s[30],
    a03h = s[31],
    a13l = s[32],
    a13h = s[33],
    a23l = s[34],
    a23h = s[35],
    a33l = s[36],
    a33h = s[37],
    a43l = s[38],
    a43h = s[39],
    a04l = s[40],
    a04h = s[41],
    a14l = s[42],
    a14h = s[43],
    a24l = s[44],
    a24h = s[45],
    a34l = s[46],
    a34h = s[47],
    a44l = s[48],
    a44h = s[49];
  for (let round = 0; round < 24; round++) {
    // θ: column parities, then each lane ^= C[x-1] ^ rot(C[x+1], 1).
    const c0l = a00l ^ a01l ^ a02l ^ a03l ^ a04l;
    const c0h = a00h ^ a01h ^ a02h ^ a03h ^ a04h;
    const c1l = a10l ^ a11l ^ a12l ^ a13l ^ a14l;
    const c1h = a10h ^ a11h ^ a12h ^ a13h ^ a14h;
    const c2l = a20l ^ a21l ^ a22l ^ a23l ^ a24l;
    const c2h = a20h ^ a21h ^ a22h ^ a23h ^ a24h;
    const c3l = a30l ^ a31l ^ a32l ^ a33l ^ a34l;
    const c3h = a30h ^ a31h ^ a32h ^ a33h ^ a34h;
    const c4l = a40l ^ a41l ^ a42l ^ a43l ^ a44l;
    const c4h = a40h ^ a41h ^ a42h ^ a43h ^ a44h;
    const d0l = c4l ^ ((c1l << 1) | (c1h >>> 31));
    const d0h = c4h ^ ((c1h << 1) | (c1l >>> 31));
    const d1l = c0l ^ ((c2l << 1) | (c2h >>> 31));
    const d1h = c0h ^ ((c2h << 1) | (c2l >>> 31));
    const d2l = c1l ^ ((c3l << 1) | (c3h >>> 31));
    const d2h = c1h ^ ((c3h << 1) | (c3l >>> 31));
    const d3l = c2l ^ ((c4l << 1) | (c4h >>> 31));
    const d3h = c2h ^ ((c4h << 1) | (c4l >>> 31));
    const d4l = c3l ^ ((c0l << 1) | (c0h >>> 31));
    const d4h = c3h ^ ((c0h << 1) | (c0l >>> 31));
    // ρ and π: B[y][2x + 3y] = rot(A[x][y] ^ D[x], r[x][y]).
    const t00l = a00l ^ d0l;
    const t00h = a00h ^ d0h;
    const t01l = a01l ^ d0l;
    const t01h = a01h ^ d0h;
    const t02l = a02l ^ d0l;
    const t02h = a02h ^ d0h;
    const t03l = a03l ^ d0l;
    const t03h = a03h ^ d0h;
    const t04l = a04l ^ d0l;
    const t04h = a04h ^ d0h;
    const t10l = a10l ^ d1l;
    const t10h = a10h ^ d1h;
    const t11l = a11l ^ d1l;
    const t11h = a11h ^ d1h;
    const t12l = a12l ^ d1l;
    const t12h = a12h ^ d1h;
    const t13l = a13l ^ d1l;
    const t13h = a13h ^ d1h;
    const t14l = a14l ^ d1l;
    const t14h = a14h ^ d1h;
    const t20l = a20l ^ d2l;
    const t20h = a20h ^ d2h;
    const t21l = a21l ^ d2l;
    const t21h = a21h ^ d2h;
    const t22l = a22l ^ d2l;
    const t22h = a22h ^ d2h;
    const t23l = a23l ^ d2l;
    const t23h = a23h ^ d2h;
    const t24l = a24l ^ d2l;
    const t24h = a24h ^ d2h;
    const t30l = a30l ^ d3l;
    const t30h = a30h ^ d3h;
    const t31l = a31l ^ d3l;
    const t31h = a31h ^ d3h;
    const t32l = a32l ^ d3l;
    const t32h = a32h ^ d3h;
    const t33l = a33l ^ d3l;
    const t33h = a33h ^ d3h;
    const t34l = a34l ^ d3l;
    const t34h = a34h ^ d3h;
    const t40l = a40l ^ d4l;
    const t40h = a40h ^ d4h;
    const t41l = a41l ^ d4l;
    const t41h = a41h ^ d4h;
    const t42l = a42l ^ d4l;
    const t42h = a42h ^ d4h;
    const t43l = a43l ^ d4l;
    const t43h = a43h ^ d4h;
    const t44l = a44l ^ d4l;
    const t44h = a44h ^ d4h;
    const b00l = t00l;
    const b00h = t00h;
    const b13l = (t01h << 4) | (t01l >>> 28);
    const b13h = (t01l << 4) | (t01h >>> 28);
    const b21l = (t02l << 3) | (t02h >>> 29);
    const b21h = (t02h << 3) | (t02l >>> 29);
    const b34l = (t03h << 9) | (t03l >>> 23);
    const b34h = (t03l << 9) | (t03h >>> 23);
    const b42l = (t04l << 18) | (t04h >>> 14);
    const b42h = (t04h << 18) | (t04l >>> 14);
    const b02l = (t10l << 1) | (t10h >>> 31);
    const b02h = (t10h << 1) | (t10l >>> 31);
    const b10l = (t11h << 12) | (t11l >>> 20);
    const b10h = (t11l << 12) | (t11h >>> 20);
    const b23l = (t12l << 10) | (t12h >>> 22);
    const b23h = (t12h << 10) | (t12l >>> 22);
    const b31l = (t13h << 13) | (t13l >>> 19);
    const b31h = (t13l << 13) | (t13h >>> 19);
    const b44l = (t14l << 2) | (t14h >>> 30);
    const b44h = (t14h << 2) | (t14l >>> 30);
    const b04l = (t20h << 30) | (t20l >>> 2);
    const b04h = (t20l << 30) | (t20h >>> 2);
    const b12l = (t21l << 6) | (t21h >>> 26);
    const b12h = (t21h << 6) | (t21l >>> 26);
    const b20l = (t22h << 11) | (t22l >>> 21);
    const b20h = (t22l << 11) | (t22h >>> 21);
    const b33l = (t23l << 15) | (t23h >>> 17);
    const b33h = (t23h << 15) | (t23l >>> 17);
    const b41l = (t24h << 29) | (t24l >>> 3);
    const b41h = (t24l << 29) | (t24h >>> 3);
    const b01l = (t30l << 28) | (t30h >>> 4);
    const b01h = (t30h << 28) | (t30l >>> 4);
    const b14l = (t31h << 23) | (t31l >>> 9);
    const b14h = (t31l << 23) | (t31h >>> 9);
    const b22l = (t32l << 25) | (t32h >>> 7);
    const b22h = (t32h << 25) | (t32l >>> 7);
    const b30l = (t33l << 21) | (t33h >>> 11);
    const b30h = (t33h << 21) | (t33l >>> 11);
    const b43l = (t34h << 24) | (t34l >>> 8);
    const b43h = (t34l << 24) | (t34h >>> 8);
    const b03l = (t40l << 27) | (t40h >>> 5);
    const b03h = (t40h << 27) | (t40l >>> 5);
    const b11l = (t41l << 20) | (t41h >>> 12);
    const b11h = (t41h << 20) | (t41l >>> 12);
    const b24l = (t42h << 7) | (t42l >>> 25);
    const b24h = (t42l << 7) | (t42h >>> 25);
    const b32l = (t43l << 8) | (t43h >>> 24);
    const b32h = (t43h << 8) | (t43l >>> 24);
    const b40l = (t44l << 14) | (t44h >>> 18);
    const b40h = (t44h << 14) | (t44l >>> 18);
    // χ: A[x][y] = B[x][y] ^ (~B[x+1][y] & B[x+2][y]); ι on lane (0, 0).
    a00l = b00l ^ (~b10l & b20l);
    a00h = b00h ^ (~b10h & b20h);
    a10l = b10l ^ (~b20l & b30l);
    a10h = b10h ^ (~b20h & b30h);
    a20l = b20l ^ (~b30l & b40l);
    a20h = b20h ^ (~b30h & b40h);
    a30l = b30l ^ (~b40l & b00l);
    a30h = b30h ^ (~b40h & b00h);
    a40l = b40l ^ (~b00l & b10l);
    a40h = b40h ^ (~b00h & b10h);
    a01l = b01l ^ (~b11l & b21l);
    a01h = b01h ^ (~b11h & b21h);
    a11l = b11l ^ (~b21l & b31l);
    a11h = b11h ^ (~b21h & b31h);
    a21l = b21l ^ (~b31l & b41l);
    a21h = b21h ^ (~b31h & b41h);
    a31l = b31l ^ (~b41l & b01l);
    a31h = b31h ^ (~b41h & b01h);
    a41l = b41l ^ (~b01l & b11l);
    a41h = b41h ^ (~b01h & b11h);
    a02l = b02l ^ (~b12l & b22l);
    a02h = b02h ^ (~b12h & b22h);
    a12l = b12l ^ (~b22l & b32l);
    a12h = b12h ^ (~b22h & b32h);
    a22l = b22l ^ (~b32l & b42l);
    a22h = b22h ^ (~b32h & b42h);
    a32l = b32l ^ (~b42l & b02l);
    a32h = b32h ^ (~b42h & b02h);
    a42l = b42l ^ (~b02l & b12l);
    a42h = b42h ^ (~b02h & b12h);
    a03l = b03l ^ (~b13l & b23l);
    a03h = b03h ^ (~b13h & b23h);
    a13l = b13l ^ (~b23l & b33l);
    a13h = b13h ^ (~b23h & b33h);
    a23l = b23l ^ (~b33l & b43l);
    a23h = b23h ^ (~b33h & b43h);
    a33l = b33l ^ (~b43l & b03l);
    a33h = b33h ^ (~b43h & b03h);
    a43l = b43l ^ (~b03l & b13l);
    a43h = b43h ^ (~b03h & b13h);
    a04l = b04l ^ (~b14l & b24l);
    a04h = b04h ^ (~b14h & b24h);
    a14l = b14l ^ (~b24l & b34l);
    a14h = b14h ^ (~b24h & b34h);
    a24l = b24l ^ (~b34l & b44l);
    a24h = b24h ^ (~b34h & b44h);
    a34l = b34l ^ (~b44l & b04l);
    a34h = b34h ^ (~b44h & b04h);
    a44l = b44l ^ (~b04l & b14l);
    a44h = b44h ^ (~b04h & b14h);
    a00l ^= RC_LO[round];
    a00h ^= RC_HI[round];
  }
  s[0] = a00l;
  s[1] = a00h;
  s[2] = a10l;
  s[3] = a10h;
  s[4] = a20l;
  s[5] = a20h;
  s[6] = a30l;
  s[7] = a30h;
  s[8] = a40l;
  s[9] = a40h;
  s[10] = a01l;
  s[11] = a01h;
  s[12] = a11l;
  s[13] = a11h;
  s[14] = a21l;
  s[15] = a21h;
  s[16] = a31l;
  s[17] = a31h;
  s[18] = a41l;
  s[19] = a41h;
  s[20] = a02l;
  s[21] = a02h;
  s[22] = a12l;
  s[23] = a12h;
  s[24] = a22l;
  s[25] = a22h;
  s[26] = a32l;
  s[27] = a32h;
  s[28] = a42l;
  s[29] = a42h;
  s[30] = a03l;
  s[31] = a03h;
  s[32] = a13l;
  s[33] = a13h;
  s[34] = a23l;
  s[35] = a23h;
  s[36] = a33l;
  s[37] = a33h;
  s[38] = a43l;
  s[39] = a43h;
  s[40] = a04l;
  s[41] = a04h;
  s[42] = a14l;
  s[43] = a14h;
  s[44] = a24l;
  s[45] = a24h;
  s[46] = a34l;
  s[47] = a34h;
  s[48] = a44l;
  s[49] = a44h;
}

/** 32-bit words per hash. */
const WORDS = 8;
/** Bytes of an ABI-encoded leaf: six 32-byte words. */
const LEAF_BYTES = 192;
/** The rate of Keccak-256 in 32-bit words (136 bytes). */
const RATE_WORDS = 34;
/** The last word of the rate, where the final padding bit goes (byte 135, bit 7). */
const PAD_END = 0x80000000 | 0;

/** The Keccak state, reused by every hash (the hashing functions are synchronous, so one scratch state suffices). */
const state = new Int32Array(50);
/** The ABI encoding of the leaf being hashed; the bytes no field writes stay zero. */
const encodedLeaf = new Uint8Array(LEAF_BYTES);
/** Scratch for one parsed bytes32. */
const scratch = new Uint8Array(32);

/** The little-endian 32-bit word at `offset` of `bytes` (Keccak lanes are little-endian). */
function wordAt(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24);
}

/** Hashes the leaf held in {@link encodedLeaf} twice and writes the 8 words of the leaf hash to `out[at..]`. */
function hashEncodedLeaf(out: Int32Array, at: number): void {
  const s = state;
  // keccak256(encoded): two blocks (136 + 56 bytes).
  for (let j = 0; j < RATE_WORDS; j++) s[j] = wordAt(encodedLeaf, 4 * j);
  s.fill(0, RATE_WORDS);
  keccakF1600(s);
  for (let j = 0; j < 14; j++) s[j] ^= wordAt(encodedLeaf, 136 + 4 * j);
  s[14] ^= 0x01; // pad10*1 with Keccak's domain byte 0x01, right after the 56 bytes
  s[RATE_WORDS - 1] ^= PAD_END;
  keccakF1600(s);
  // keccak256(inner): the 32-byte inner hash is already in words 0..7.
  s.fill(0, WORDS);
  s[WORDS] = 0x01;
  s[RATE_WORDS - 1] = PAD_END;
  keccakF1600(s);
  for (let j = 0; j < WORDS; j++) out[at + j] = s[j];
}

/**
 * `commutativeKeccak256(a, b)`: `keccak256(min ‖ max)`, written to `out[oo..]`. `out` may be one of the inputs: they
 * are read before it is written.
 */
function hashPair(a: Int32Array, ao: number, b: Int32Array, bo: number, out: Int32Array, oo: number): void {
  const s = state;
  const swap = compareHashes(a, ao, b, bo) > 0;
  const first = swap ? b : a;
  const fo = swap ? bo : ao;
  const second = swap ? a : b;
  const so = swap ? ao : bo;
  for (let j = 0; j < WORDS; j++) {
    s[j] = first[fo + j];
    s[WORDS + j] = second[so + j];
  }
  s.fill(0, 2 * WORDS);
  s[2 * WORDS] = 0x01;
  s[RATE_WORDS - 1] = PAD_END;
  keccakF1600(s);
  for (let j = 0; j < WORDS; j++) out[oo + j] = s[j];
}

/*//////////////////////////////////////////////////////////////////////////
                              ENCODING AND HEX
//////////////////////////////////////////////////////////////////////////*/

/** Hex digit values by character code, -1 for anything else. */
const HEX_DIGITS = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[65 + i] = 10 + i;
    table[97 + i] = 10 + i;
  }
  return table;
})();

/** The two lower-case hex digits of each byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

const UINT64_LIMIT = 1n << 64n;
const UINT32_LIMIT = 2 ** 32;

const BYTES32_REASON = "not a bytes32 (0x and 64 hex digits)";

/** Parses a `0x`-prefixed 64-digit hex string into `out[offset..offset + 32]`; false if it is not one. */
function parseBytes32(value: unknown, out: Uint8Array, offset: number): boolean {
  if (typeof value !== "string" || value.length !== 66 || value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120) {
    return false;
  }
  for (let i = 0; i < 32; i++) {
    const hi = value.charCodeAt(2 + 2 * i);
    const lo = value.charCodeAt(3 + 2 * i);
    const h = hi < 128 ? HEX_DIGITS[hi] : -1;
    const l = lo < 128 ? HEX_DIGITS[lo] : -1;
    if ((h | l) < 0) return false;
    out[offset + i] = (h << 4) | l;
  }
  return true;
}

/** Parses a bytes32 hex string into 8 little-endian words at `out[at..]`; throws naming `field` if it is not one. */
function parseHashWords(value: unknown, out: Int32Array, at: number, field: string): void {
  if (!parseBytes32(value, scratch, 0)) throw new InvalidArgumentError(BYTES32_REASON, { field, value });
  for (let j = 0; j < WORDS; j++) out[at + j] = wordAt(scratch, 4 * j);
}

/** The `0x` hex string of the hash at `words[at..at + 8]`. */
function hashHex(words: Int32Array, at: number): string {
  let hex = "0x";
  for (let j = 0; j < WORDS; j++) {
    const w = words[at + j];
    hex += HEX_BYTES[w & 0xff] + HEX_BYTES[(w >>> 8) & 0xff] + HEX_BYTES[(w >>> 16) & 0xff] + HEX_BYTES[w >>> 24];
  }
  return hex;
}

/** Writes `value` big-endian into `out[offset..offset + 8]`; false if it is not a `uint64` bigint. */
function writeUint64(value: unknown, out: Uint8Array, offset: number): boolean {
  if (typeof value !== "bigint" || value < 0n || value >= UINT64_LIMIT) return false;
  const hi = Number(value >> 32n);
  const lo = Number(value & 0xffffffffn);
  out[offset] = hi >>> 24;
  out[offset + 1] = (hi >>> 16) & 0xff;
  out[offset + 2] = (hi >>> 8) & 0xff;
  out[offset + 3] = hi & 0xff;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = (lo >>> 16) & 0xff;
  out[offset + 6] = (lo >>> 8) & 0xff;
  out[offset + 7] = lo & 0xff;
  return true;
}

/** The error for a bad leaf field; `position` < 0 means `name` is a lone leaf, not an array element. */
function leafFieldError(
  name: string,
  position: number,
  key: string,
  reason: string,
  value: unknown,
): InvalidArgumentError {
  const leaf = position < 0 ? name : `${name}[${position}]`;
  return new InvalidArgumentError(reason, { field: key === "" ? leaf : `${leaf}.${key}`, value });
}

/**
 * Writes `abi.encode(recordId, subscriberHash, uint8 service, uint64 eventStart, uint64 chargedVolume,
 * uint32 index)` into `out[at..at + 192]`, checking every field. Only the value bytes are written: the padding bytes of
 * `out` must be zero. A bad field throws, named `name.key` or `name[position].key` (built only then: this runs once
 * per leaf of a million-leaf tree).
 */
function encodeLeafInto(leaf: RecordLeaf, out: Uint8Array, name: string, position: number, at = 0): void {
  if (typeof leaf !== "object" || leaf === null) throw leafFieldError(name, position, "", "not a record leaf", leaf);
  if (!parseBytes32(leaf.recordId, out, at)) {
    throw leafFieldError(name, position, "recordId", BYTES32_REASON, leaf.recordId);
  }
  if (!parseBytes32(leaf.subscriberHash, out, at + 32)) {
    throw leafFieldError(name, position, "subscriberHash", BYTES32_REASON, leaf.subscriberHash);
  }
  const service: unknown = leaf.service;
  if (typeof service !== "number" || !Number.isInteger(service) || service < 0 || service > 255) {
    throw leafFieldError(name, position, "service", "not a uint8", service);
  }
  out[at + 95] = service;
  if (!writeUint64(leaf.eventStart, out, at + 120)) {
    throw leafFieldError(name, position, "eventStart", "not a uint64 bigint", leaf.eventStart);
  }
  if (!writeUint64(leaf.chargedVolume, out, at + 152)) {
    throw leafFieldError(name, position, "chargedVolume", "not a uint64 bigint", leaf.chargedVolume);
  }
  const index: unknown = leaf.index;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= UINT32_LIMIT) {
    throw leafFieldError(name, position, "index", "not a uint32", index);
  }
  out[at + 188] = index >>> 24;
  out[at + 189] = (index >>> 16) & 0xff;
  out[at + 190] = (index >>> 8) & 0xff;
  out[at + 191] = index & 0xff;
}

/** Checks and hashes one leaf, writing its 8 words to `out[at..]` (see {@link encodeLeafInto} for the names). */
function hashLeafWords(leaf: RecordLeaf, out: Int32Array, at: number, name: string, position: number): void {
  encodeLeafInto(leaf, encodedLeaf, name, position);
  hashEncodedLeaf(out, at);
}

/**
 * `abi.encode(bytes32 recordId, bytes32 subscriberHash, uint8 service, uint64 eventStart, uint64 chargedVolume,
 * uint32 index)` of a leaf (192 bytes), as `RecordLeaf.sol` and `StandardMerkleTree` encode it.
 *
 * @throws InvalidArgumentError if a field is out of its Solidity type's range (`field` names it, e.g.
 * `"leaf.eventStart"`).
 */
export function encodeRecordLeaf(leaf: RecordLeaf): Uint8Array {
  const out = new Uint8Array(LEAF_BYTES);
  encodeLeafInto(leaf, out, "leaf", -1);
  return out;
}

/**
 * The double-hashed leaf (same value as {@link hashRecordLeaf}), computed with the tree's fast hasher.
 *
 * @throws InvalidArgumentError if a field is out of its Solidity type's range.
 */
export function fastRecordLeafHash(leaf: RecordLeaf): string {
  const words = new Int32Array(WORDS);
  hashLeafWords(leaf, words, 0, "leaf", -1);
  return hashHex(words, 0);
}

/*//////////////////////////////////////////////////////////////////////////
                              ENCODED LEAVES
//////////////////////////////////////////////////////////////////////////*/

/** The byte ranges of a leaf encoding that no field writes: they must be zero. */
const PADDING: readonly (readonly [number, number])[] = [
  [64, 95],
  [96, 120],
  [128, 152],
  [160, 188],
];

/** The uint64 at `bytes[at..at + 8]`, big-endian. */
function readUint64(bytes: Uint8Array, at: number): bigint {
  const hi = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  const lo = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * A batch's record leaves as one buffer of their ABI encodings (192 bytes each, {@link encodeRecordLeaf}'s bytes, in
 * input order): the compact form the fast CSV ingestion (`ingestCdrBatch`) produces and {@link buildRecordTree} hashes
 * without re-encoding. A million leaves take 192 MB here instead of a million objects with two hex strings and two
 * bigints each. Leaves are decoded to {@link RecordLeaf} objects only when asked for ({@link at}, {@link toArray}).
 */
export class EncodedRecordLeaves {
  /** The encodings, `192 * length` bytes. Read-only by contract: the tree built from it keeps a reference. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** The number of leaves. */
  get length(): number {
    return this.bytes.length / LEAF_BYTES;
  }

  /**
   * Wraps leaf encodings, checking that each is one (its padding bytes are zero; every field is then in range).
   *
   * @throws InvalidArgumentError naming `bytes` (the length is not a multiple of 192) or `bytes[i]` (leaf `i` has a
   *   non-zero padding byte).
   */
  static fromBytes(bytes: Uint8Array): EncodedRecordLeaves {
    if (!(bytes instanceof Uint8Array) || bytes.length % LEAF_BYTES !== 0) {
      throw new InvalidArgumentError(`not leaf encodings (a multiple of ${LEAF_BYTES} bytes)`, {
        field: "bytes",
        value: bytes instanceof Uint8Array ? bytes.length : bytes,
      });
    }
    const n = bytes.length / LEAF_BYTES;
    // Fast: the padding words of each leaf OR-ed (aligned input); the byte loop names the first bad byte.
    const words = bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : null;
    for (let i = 0; i < n; i++) {
      const at = i * LEAF_BYTES;
      if (words !== null) {
        const w = at >>> 2;
        let or = bytes[at + 92] | bytes[at + 93] | bytes[at + 94];
        for (let j = 16; j < 23; j++) or |= words[w + j]; // bytes 64..91
        for (let j = 24; j < 30; j++) or |= words[w + j]; // bytes 96..119
        for (let j = 32; j < 38; j++) or |= words[w + j]; // bytes 128..151
        for (let j = 40; j < 47; j++) or |= words[w + j]; // bytes 160..187
        if (or === 0) continue;
      }
      for (const [from, to] of PADDING) {
        for (let b = at + from; b < at + to; b++) {
          if (bytes[b] !== 0) {
            throw new InvalidArgumentError(`byte ${b - at} of the encoding is padding and must be zero`, {
              field: `bytes[${i}]`,
              value: bytes[b],
            });
          }
        }
      }
    }
    return new EncodedRecordLeaves(bytes);
  }

  /**
   * Encodes leaf objects.
   *
   * @throws InvalidArgumentError naming `leaves[i].field` if a field is out of its Solidity type's range.
   */
  static fromLeaves(leaves: readonly RecordLeaf[]): EncodedRecordLeaves {
    if (!Array.isArray(leaves)) {
      throw new InvalidArgumentError("not an array of record leaves", { field: "leaves", value: leaves });
    }
    const bytes = new Uint8Array(leaves.length * LEAF_BYTES);
    for (let i = 0; i < leaves.length; i++) encodeLeafInto(leaves[i], bytes, "leaves", i, i * LEAF_BYTES);
    return new EncodedRecordLeaves(bytes);
  }

  /** The leaf at position `i`, decoded. */
  at(i: number): RecordLeaf {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new InvalidArgumentError(`not a leaf position (0 to ${this.length - 1})`, { field: "i", value: i });
    }
    const b = this.bytes;
    const at = i * LEAF_BYTES;
    return {
      recordId: hexOf(b, at),
      subscriberHash: hexOf(b, at + 32),
      service: b[at + 95] as Service,
      eventStart: readUint64(b, at + 120),
      chargedVolume: readUint64(b, at + 152),
      index: ((b[at + 188] << 24) | (b[at + 189] << 16) | (b[at + 190] << 8) | b[at + 191]) >>> 0,
    };
  }

  /** Every leaf, decoded (a million objects for a million leaves: use {@link at} for a few). */
  toArray(): RecordLeaf[] {
    const out = new Array<RecordLeaf>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** `0x` + the hex of the 32 bytes at `bytes[at..]`. */
function hexOf(bytes: Uint8Array, at: number): string {
  let hex = "0x";
  for (let i = at; i < at + 32; i++) hex += HEX_BYTES[bytes[i]];
  return hex;
}

/** The leaves as {@link buildRecordTree} takes them: objects, or their encodings. */
export type RecordLeavesInput = readonly RecordLeaf[] | EncodedRecordLeaves;

/** Leaves encoded per chunk by the WebAssembly path (192 bytes each: 1.5 MiB). */
const ENCODE_CHUNK = 8192;

/*//////////////////////////////////////////////////////////////////////////
                                  THE TREE
//////////////////////////////////////////////////////////////////////////*/

/**
 * A multi-proof of several leaves of one tree, as `StandardMerkleTree.getMultiProof` returns it and
 * `MerkleProof.multiProofVerifyCalldata` consumes it.
 */
export interface RecordMultiProof {
  /** The leaves, in the order the contract must receive them (ascending leaf hash; not the order asked for). */
  readonly leaves: RecordLeaf[];
  /** The leaves' hashes, aligned with `leaves`. */
  readonly leafHashes: string[];
  /** The sibling hashes the verifier consumes. */
  readonly proof: string[];
  /** Per hashing step: true to take the second input from the leaves/computed hashes, false from `proof`. */
  readonly proofFlags: boolean[];
  /** The leaves' positions in the tree's input, aligned with `leaves`. */
  readonly indices: number[];
}

/** What {@link verifyRecordMultiProof} takes: a multi-proof's leaves (in their proof order), proof and flags. */
export interface RecordMultiProofInput {
  /** The leaves, in the order the contract receives them. */
  readonly leaves: readonly RecordLeaf[];
  /** The sibling hashes (bytes32). */
  readonly proof: readonly string[];
  /** One flag per hashing step. */
  readonly proofFlags: readonly boolean[];
}

/** Options of {@link buildRecordTree}. */
export interface BuildRecordTreeOptions {
  /**
   * Hash with the WebAssembly Keccak of `./keccak` when it is available (default true); false forces the pure-JS
   * Keccak (same tree, several times slower).
   */
  readonly wasm?: boolean;
}

/**
 * The Merkle tree of a batch's record leaves, identical to `StandardMerkleTree.of(leaves.map(leafTuple),
 * RECORD_LEAF_TYPES)`. Build it with {@link buildRecordTree}. Leaves are addressed by their position in the input
 * (like `StandardMerkleTree`'s value index), not by their `index` field.
 */
export class RecordTree {
  /** The Merkle root, `0x` + 64 lower-case hex digits. */
  readonly root: string;
  /** The leaves in input order: objects, or their encodings (decoded on demand). */
  readonly #source: RecordLeavesInput;
  /** The decoded leaves, once {@link leaves} was asked for (encoded input only). */
  #decoded: readonly RecordLeaf[] | undefined;
  /** The nodes in `StandardMerkleTree` order, 8 words each. */
  readonly #nodes: Int32Array;
  /** Input position of each leaf by tree index minus `length - 1`. */
  readonly #inputAt: Uint32Array;
  /** Tree index of each input position. */
  readonly #treeIndexOf: Uint32Array;

  private constructor(source: RecordLeavesInput, nodes: Int32Array, inputAt: Uint32Array, treeIndexOf: Uint32Array) {
    this.#source = source;
    this.#nodes = nodes;
    this.#inputAt = inputAt;
    this.#treeIndexOf = treeIndexOf;
    this.root = hashHex(nodes, 0);
  }

  /**
   * Builds the tree of `leaves` (see {@link buildRecordTree}).
   *
   * @throws InvalidArgumentError if `leaves` is empty or a leaf field is out of range.
   */
  static build(leaves: RecordLeavesInput, options: BuildRecordTreeOptions = {}): RecordTree {
    const encoded = leaves instanceof EncodedRecordLeaves ? leaves : undefined;
    if (encoded === undefined && !Array.isArray(leaves)) {
      throw new InvalidArgumentError("not an array of record leaves", { field: "leaves", value: leaves });
    }
    const n = leaves.length;
    if (n === 0) {
      throw new InvalidArgumentError("a batch needs at least one record", { field: "leaves", value: leaves });
    }
    const copy = encoded ?? Object.freeze((leaves as readonly RecordLeaf[]).slice());
    const wasm = options.wasm === false ? undefined : wasmKeccak();
    if (wasm !== undefined) return RecordTree.#buildWasm(copy, wasm);
    // 1. Leaf hashes, in input order.
    const hashes = new Int32Array(n * WORDS);
    if (encoded === undefined) {
      const objects = copy as readonly RecordLeaf[];
      for (let i = 0; i < n; i++) hashLeafWords(objects[i], hashes, i * WORDS, "leaves", i);
    } else {
      for (let i = 0; i < n; i++) {
        encodedLeaf.set(encoded.bytes.subarray(i * LEAF_BYTES, (i + 1) * LEAF_BYTES));
        hashEncodedLeaf(hashes, i * WORDS);
      }
    }
    // 2. Input positions sorted by leaf hash; ties (identical leaves) keep input order, as Array.prototype.sort does.
    const order = sortedLeafOrder(hashes, 0, n);
    // 3. The k-th smallest leaf is node 2n - 2 - k; inner nodes from the last to the root.
    const total = 2 * n - 1;
    const nodes = new Int32Array(total * WORDS);
    const treeIndexOf = new Uint32Array(n);
    const inputAt = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const input = order[k];
      const t = total - 1 - k;
      for (let j = 0; j < WORDS; j++) nodes[t * WORDS + j] = hashes[input * WORDS + j];
      treeIndexOf[input] = t;
      inputAt[t - (n - 1)] = input;
    }
    for (let i = n - 2; i >= 0; i--) hashPair(nodes, (2 * i + 1) * WORDS, nodes, (2 * i + 2) * WORDS, nodes, i * WORDS);
    return new RecordTree(copy, nodes, inputAt, treeIndexOf);
  }

  /**
   * {@link build} on the WebAssembly hasher: the leaves are encoded chunk by chunk into its memory and hashed there
   * (two `hashMany` passes: `keccak256(keccak256(encoding))`), sorted, laid out as the tree's last `n` nodes, and the
   * inner nodes are computed by its `tree` function; the nodes are then copied out. Same layout and tie-breaking as the
   * pure-JS path.
   */
  static #buildWasm(leaves: RecordLeavesInput, wasm: WasmKeccak): RecordTree {
    const n = leaves.length;
    const total = 2 * n - 1;
    const chunk = Math.min(n, ENCODE_CHUNK);
    // Heap: leaf hashes (n * 32) | nodes ((2n - 1) * 32) | encoding chunk (chunk * 192).
    const hashesAt = wasm.reserve(n * 32 + total * 32 + chunk * LEAF_BYTES);
    const nodesAt = hashesAt + n * 32;
    const encodeAt = nodesAt + total * 32;
    const bytes = wasm.bytes;
    bytes.fill(0, encodeAt, encodeAt + chunk * LEAF_BYTES);
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      if (leaves instanceof EncodedRecordLeaves) {
        bytes.set(leaves.bytes.subarray(start * LEAF_BYTES, (start + count) * LEAF_BYTES), encodeAt);
      } else {
        for (let k = 0; k < count; k++) {
          encodeLeafInto(leaves[start + k], bytes, "leaves", start + k, encodeAt + k * LEAF_BYTES);
        }
      }
      const out = hashesAt + start * 32;
      wasm.hashMany(encodeAt, LEAF_BYTES, LEAF_BYTES, out, count);
      wasm.hashMany(out, 32, 32, out, count);
    }
    const words = new Int32Array(wasm.buffer);
    const order = sortedLeafOrder(words, hashesAt >>> 2, n);
    const treeIndexOf = new Uint32Array(n);
    const inputAt = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const input = order[k];
      const t = total - 1 - k;
      const from = (hashesAt >>> 2) + input * WORDS;
      words.copyWithin((nodesAt >>> 2) + t * WORDS, from, from + WORDS);
      treeIndexOf[input] = t;
      inputAt[t - (n - 1)] = input;
    }
    wasm.tree(nodesAt, n);
    const nodes = words.slice(nodesAt >>> 2, (nodesAt >>> 2) + total * WORDS);
    return new RecordTree(leaves, nodes, inputAt, treeIndexOf);
  }

  /** The number of leaves. */
  get length(): number {
    return this.#source.length;
  }

  /**
   * The leaves in input order (frozen). Built from {@link EncodedRecordLeaves}, they are decoded on the first call
   * (a million objects for a million leaves): {@link leaf} decodes one.
   */
  get leaves(): readonly RecordLeaf[] {
    const source = this.#source;
    if (!(source instanceof EncodedRecordLeaves)) return source;
    this.#decoded ??= Object.freeze(source.toArray());
    return this.#decoded;
  }

  /** The leaves in input order as given: objects, or their encodings. */
  get source(): RecordLeavesInput {
    return this.#source;
  }

  /** The leaf at input position `i`. */
  leaf(i: number): RecordLeaf {
    const at = this.#checkIndex(i, "i");
    const source = this.#source;
    if (!(source instanceof EncodedRecordLeaves)) return source[at];
    return this.#decoded?.[at] ?? source.at(at);
  }

  /** The hash of the leaf at input position `i` (`StandardMerkleTree.leafHash`). */
  leafHash(i: number): string {
    return hashHex(this.#nodes, this.#treeIndexOf[this.#checkIndex(i, "i")] * WORDS);
  }

  /** The position of the leaf at input position `i` in the node array (`StandardMerkleTree`'s `treeIndex`). */
  treeIndex(i: number): number {
    return this.#treeIndexOf[this.#checkIndex(i, "i")];
  }

  /** The tree's nodes as hex strings, root first: `StandardMerkleTree.dump().tree`. Slow for large trees. */
  nodes(): string[] {
    const out = new Array<string>(this.#nodes.length / WORDS);
    for (let t = 0; t < out.length; t++) out[t] = hashHex(this.#nodes, t * WORDS);
    return out;
  }

  /** The proof of the leaf at input position `i`, leaf to root: `StandardMerkleTree.getProof(i)`. */
  proof(i: number): string[] {
    let t = this.#treeIndexOf[this.#checkIndex(i, "i")];
    const proof: string[] = [];
    while (t > 0) {
      const sibling = t % 2 === 1 ? t + 1 : t - 1;
      proof.push(hashHex(this.#nodes, sibling * WORDS));
      t = (t - 1) >>> 1;
    }
    return proof;
  }

  /**
   * The multi-proof of the leaves at the given input positions: `StandardMerkleTree.getMultiProof(indices)`, with
   * the leaves reordered as the contract needs them (ascending leaf hash). With no indices, the proof is `[root]`.
   *
   * @throws InvalidArgumentError if an index is out of range or given twice.
   */
  multiProof(indices: readonly number[]): RecordMultiProof {
    if (!Array.isArray(indices)) {
      throw new InvalidArgumentError("not an array of indices", { field: "indices", value: indices });
    }
    const treeIndices = indices.map((i, k) => this.#treeIndexOf[this.#checkIndex(i, `indices[${k}]`)]);
    treeIndices.sort((a, b) => b - a);
    for (let k = 1; k < treeIndices.length; k++) {
      if (treeIndices[k] === treeIndices[k - 1]) {
        const input = this.#inputAt[treeIndices[k] - (this.length - 1)];
        throw new InvalidArgumentError("cannot prove a leaf twice", { field: "indices", value: input });
      }
    }
    // A queue of tree indices: take from the front, push parents at the back (core.getMultiProof).
    const queue = treeIndices.slice();
    let head = 0;
    const proof: string[] = [];
    const proofFlags: boolean[] = [];
    while (head < queue.length && queue[head] > 0) {
      const j = queue[head++];
      const sibling = j % 2 === 1 ? j + 1 : j - 1;
      if (head < queue.length && queue[head] === sibling) {
        proofFlags.push(true);
        head++;
      } else {
        proofFlags.push(false);
        proof.push(hashHex(this.#nodes, sibling * WORDS));
      }
      queue.push((j - 1) >>> 1);
    }
    if (treeIndices.length === 0) proof.push(this.root);
    const inputs = treeIndices.map((t) => this.#inputAt[t - (this.length - 1)]);
    return {
      leaves: inputs.map((i) => this.leaf(i)),
      leafHashes: treeIndices.map((t) => hashHex(this.#nodes, t * WORDS)),
      proof,
      proofFlags,
      indices: inputs,
    };
  }

  /** The same tree as an `@openzeppelin/merkle-tree` `StandardMerkleTree` (rebuilt from the leaves: slow). */
  toStandardTree(): StandardMerkleTree<RecordLeafTuple> {
    return StandardMerkleTree.of(this.leaves.map(leafTuple), [...RECORD_LEAF_TYPES]);
  }

  /** See {@link verifyRecordProof}. */
  static verifyRecordProof(root: string, leaf: RecordLeaf, proof: readonly string[]): boolean {
    return verifyRecordProof(root, leaf, proof);
  }

  /** See {@link verifyRecordMultiProof}. */
  static verifyRecordMultiProof(root: string, multiProof: RecordMultiProofInput): boolean {
    return verifyRecordMultiProof(root, multiProof);
  }

  #checkIndex(i: number, field: string): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new InvalidArgumentError(`not a leaf position (0 to ${this.length - 1})`, { field, value: i });
    }
    return i;
  }
}

/**
 * Builds the Merkle tree of a batch's records, identical to `StandardMerkleTree.of(leaves.map(leafTuple),
 * RECORD_LEAF_TYPES)` but many times faster (a million leaves in seconds).
 *
 * @throws InvalidArgumentError if `leaves` is empty (a batch has at least one record) or a leaf field is out of its
 * Solidity type's range (`field` names it, e.g. `"leaves[3].eventStart"`).
 */
export function buildRecordTree(leaves: RecordLeavesInput, options: BuildRecordTreeOptions = {}): RecordTree {
  return RecordTree.build(leaves, options);
}

/**
 * The Merkle root of a batch's records (see {@link buildRecordTree}).
 *
 * @throws InvalidArgumentError as {@link buildRecordTree}.
 */
export function recordTreeRoot(leaves: RecordLeavesInput): string {
  return RecordTree.build(leaves).root;
}

/*//////////////////////////////////////////////////////////////////////////
                                VERIFICATION
//////////////////////////////////////////////////////////////////////////*/

/**
 * Whether `proof` proves `leaf` under `root`, exactly as `MerkleProof.verifyCalldata(proof, root, leafHash)` with the
 * leaf hash of {@link hashRecordLeaf}: the leaf hash folded with each proof element by `commutativeKeccak256`.
 *
 * @throws InvalidArgumentError if `root` or a proof element is not a bytes32, or a leaf field is out of range.
 */
export function verifyRecordProof(root: string, leaf: RecordLeaf, proof: readonly string[]): boolean {
  const expected = new Int32Array(WORDS);
  parseHashWords(root, expected, 0, "root");
  if (!Array.isArray(proof)) {
    throw new InvalidArgumentError("not an array of bytes32", { field: "proof", value: proof });
  }
  const current = new Int32Array(WORDS);
  hashLeafWords(leaf, current, 0, "leaf", -1);
  const sibling = new Int32Array(WORDS);
  for (let k = 0; k < proof.length; k++) {
    parseHashWords(proof[k], sibling, 0, `proof[${k}]`);
    hashPair(current, 0, sibling, 0, current, 0);
  }
  return compareHashes(current, 0, expected, 0) === 0;
}

/**
 * Whether a multi-proof proves its leaves under `root`, exactly as `MerkleProof.multiProofVerifyCalldata(proof,
 * proofFlags, root, leafHashes)` with the leaves hashed in the order given. Where the contract reverts (lengths that
 * do not add up, `MerkleProofInvalidMultiproof`, or an out-of-bounds read), this returns false. As on chain, no
 * leaves, no flags and `proof = [root]` verify.
 *
 * @throws InvalidArgumentError if `root` or a proof element is not a bytes32, a flag is not a boolean, or a leaf
 * field is out of range.
 */
export function verifyRecordMultiProof(root: string, multiProof: RecordMultiProofInput): boolean {
  const expected = new Int32Array(WORDS);
  parseHashWords(root, expected, 0, "root");
  const { leaves, proof, proofFlags } = multiProof;
  if (!Array.isArray(leaves)) throw new InvalidArgumentError("not an array", { field: "leaves", value: leaves });
  if (!Array.isArray(proof)) throw new InvalidArgumentError("not an array", { field: "proof", value: proof });
  if (!Array.isArray(proofFlags)) {
    throw new InvalidArgumentError("not an array", { field: "proofFlags", value: proofFlags });
  }
  const leafWords = new Int32Array(leaves.length * WORDS);
  for (let i = 0; i < leaves.length; i++) hashLeafWords(leaves[i], leafWords, i * WORDS, "leaves", i);
  const proofWords = new Int32Array(proof.length * WORDS);
  for (let k = 0; k < proof.length; k++) parseHashWords(proof[k], proofWords, k * WORDS, `proof[${k}]`);
  for (let k = 0; k < proofFlags.length; k++) {
    if (typeof proofFlags[k] !== "boolean") {
      throw new InvalidArgumentError("not a boolean", { field: `proofFlags[${k}]`, value: proofFlags[k] });
    }
  }
  const leavesLen = leaves.length;
  const flagsLen = proofFlags.length;
  if (leavesLen + proof.length !== flagsLen + 1) return false; // MerkleProofInvalidMultiproof
  if (flagsLen === 0) {
    return leavesLen > 0
      ? compareHashes(leafWords, 0, expected, 0) === 0
      : compareHashes(proofWords, 0, expected, 0) === 0;
  }
  // `hashes` is a zeroed memory array of flagsLen slots: reading a slot not yet written gives bytes32(0).
  const hashes = new Int32Array(flagsLen * WORDS);
  let leafPos = 0;
  let hashPos = 0;
  let proofPos = 0;
  for (let i = 0; i < flagsLen; i++) {
    let a: Int32Array;
    let ao: number;
    if (leafPos < leavesLen) {
      a = leafWords;
      ao = leafPos++ * WORDS;
    } else {
      if (hashPos >= flagsLen) return false; // out-of-bounds memory read: Panic(0x32)
      a = hashes;
      ao = hashPos++ * WORDS;
    }
    let b: Int32Array;
    let bo: number;
    if (proofFlags[i]) {
      if (leafPos < leavesLen) {
        b = leafWords;
        bo = leafPos++ * WORDS;
      } else {
        if (hashPos >= flagsLen) return false;
        b = hashes;
        bo = hashPos++ * WORDS;
      }
    } else {
      if (proofPos >= proof.length) return false; // out-of-bounds calldata read
      b = proofWords;
      bo = proofPos++ * WORDS;
    }
    hashPair(a, ao, b, bo, hashes, i * WORDS);
  }
  if (proofPos !== proof.length) return false; // MerkleProofInvalidMultiproof
  return compareHashes(hashes, (flagsLen - 1) * WORDS, expected, 0) === 0;
}
