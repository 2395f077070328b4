/**
 * A batch Keccak-256 in WebAssembly, emitted at run time from this file (no generated file, no build step, no
 * download): the module is a few kilobytes of bytecode written by {@link emitKeccakModule} and compiled on first use.
 *
 * What it offers, all on one linear memory the caller fills directly (no copy, no allocation per hash):
 * - `hash(in, len, out)`: `keccak256(memory[in..in + len])` into `memory[out..out + 32]`;
 * - `hashMany(in, len, stride, out, n)`: `n` such hashes of `len`-byte inputs `stride` bytes apart, outputs packed;
 * - `tree(base, n)`: the inner nodes of a `StandardMerkleTree`-layout tree whose `2n - 1` nodes of 32 bytes start at
 *   `base` and whose leaves (the last `n` nodes) are set: node `i` becomes `keccak256(min ‖ max)` of nodes `2i + 1`
 *   and `2i + 2` (OpenZeppelin `Hashes.commutativeKeccak256`), from `i = n - 2` down to the root.
 *
 * Keccak-f[1600] runs on 25 `i64` locals (24 rounds in a loop, the round constants in memory), so one permutation
 * costs a few hundred machine instructions and no call into JavaScript. Equality with ethers' `keccak256` and the tree
 * with `StandardMerkleTree` are tested in `test/sdk/keccak.test.ts`.
 *
 * Pure: browser-safe (WebAssembly only; the module is under 4 KiB, so it may be compiled synchronously on a browser's
 * main thread). Where WebAssembly is missing, or the platform is big-endian (the typed-array views the callers use
 * assume little-endian words), {@link wasmKeccak} returns `undefined` and callers keep their pure-JS path.
 */

/*//////////////////////////////////////////////////////////////////////////
                                MEMORY LAYOUT
//////////////////////////////////////////////////////////////////////////*/

/** The 24 round constants, 8 bytes each, little-endian. */
const RC_AT = 0;
/** The Keccak state: 25 lanes of 8 bytes. */
const STATE_AT = 256;
/** The padded last block of `hash` (136 bytes). */
const PAD_AT = 512;
/** A small scratch area for callers (single hashes): {@link SCRATCH_BYTES} bytes. */
export const SCRATCH_AT = 1024;
/** The size of the scratch area. */
export const SCRATCH_BYTES = 7168;
/** Where the callers' heap starts (see {@link WasmKeccak.reserve}). */
export const HEAP_AT = 8192;

/** The rate of Keccak-256 in bytes. */
const RATE = 136;
const PAGE = 65_536;

/** Keccak-f[1600]'s round constants (FIPS 202). */
const ROUND_CONSTANTS: readonly bigint[] = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
];

/** The ρ rotation offsets, indexed by lane `x + 5y`, computed from their definition (FIPS 202, 3.2.2). */
const RHO: readonly number[] = (() => {
  const r = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    r[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return r;
})();

/*//////////////////////////////////////////////////////////////////////////
                                  EMITTER
//////////////////////////////////////////////////////////////////////////*/

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 64-bit value given as a bigint in `[-2^63, 2^64)`. */
function sleb(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A length-prefixed vector of already-encoded items. */
function vec(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const I32 = 0x7f;
const I64 = 0x7e;

/** The opcodes used (WebAssembly 1.0 plus bulk memory, which every engine with BigInt support has). */
const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i64Load: 0x29,
  i32Load8u: 0x2d,
  i64Store: 0x37,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  i32Xor: 0x73,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
  void: 0x40,
} as const;

/** A small bytecode builder for one function body. */
class Code {
  readonly bytes: number[] = [];

  emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.emit(op.get, ...uleb(local));
  }
  set(local: number): this {
    return this.emit(op.set, ...uleb(local));
  }
  i32(value: number): this {
    return this.emit(op.i32Const, ...sleb(BigInt(value | 0)));
  }
  i64(value: bigint): this {
    return this.emit(op.i64Const, ...sleb(value));
  }
  /** `i64.load` at the address on the stack plus `offset`. */
  load64(offset: number): this {
    return this.emit(op.i64Load, 3, ...uleb(offset));
  }
  store64(offset: number): this {
    return this.emit(op.i64Store, 3, ...uleb(offset));
  }
  load8(offset: number): this {
    return this.emit(op.i32Load8u, 0, ...uleb(offset));
  }
  store8(offset: number): this {
    return this.emit(op.i32Store8, 0, ...uleb(offset));
  }
  /** `memory.fill(dst, value, n)` with the three operands on the stack. */
  fill(): this {
    return this.emit(0xfc, 0x0b, 0x00);
  }
  /** `memory.copy(dst, src, n)` with the three operands on the stack. */
  copy(): this {
    return this.emit(0xfc, 0x0a, 0x00, 0x00);
  }
}

/** A function: parameter and result types, local groups `[count, type]`, body. */
interface Func {
  readonly params: number[];
  readonly locals: [number, number][];
  readonly body: number[];
}

function funcBody(f: Func): number[] {
  const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, op.end];
  return [...uleb(body.length), ...body];
}

/** Function indices. */
const PERMUTE = 0;

/** `permute()`: Keccak-f[1600] on the state at {@link STATE_AT}. Locals: a 0-24, b 25-49, c 50-54, d 55-59, round 60. */
function permuteFunc(): Func {
  const A = (i: number) => i;
  const B = (i: number) => 25 + i;
  const C = (x: number) => 50 + x;
  const D = (x: number) => 55 + x;
  const ROUND = 60;
  const c = new Code();
  for (let i = 0; i < 25; i++)
    c.i32(0)
      .load64(STATE_AT + 8 * i)
      .set(A(i));
  c.i32(0).set(ROUND);
  c.emit(op.loop, op.void);
  // θ
  for (let x = 0; x < 5; x++) {
    c.get(A(x));
    for (let y = 1; y < 5; y++) c.get(A(x + 5 * y)).emit(op.i64Xor);
    c.set(C(x));
  }
  for (let x = 0; x < 5; x++) {
    c.get(C((x + 4) % 5))
      .get(C((x + 1) % 5))
      .i64(1n)
      .emit(op.i64Rotl, op.i64Xor)
      .set(D(x));
  }
  // ρ and π, with θ's final xor: B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y]).
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      c.get(A(x + 5 * y))
        .get(D(x))
        .emit(op.i64Xor);
      const r = RHO[x + 5 * y];
      if (r !== 0) c.i64(BigInt(r)).emit(op.i64Rotl);
      c.set(B(y + 5 * ((2 * x + 3 * y) % 5)));
    }
  }
  // χ
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      c.get(B(x + 5 * y))
        .get(B(((x + 1) % 5) + 5 * y))
        .i64(-1n)
        .emit(op.i64Xor)
        .get(B(((x + 2) % 5) + 5 * y))
        .emit(op.i64And, op.i64Xor)
        .set(A(x + 5 * y));
    }
  }
  // ι
  c.get(A(0)).get(ROUND).i32(3).emit(op.i32Shl).load64(RC_AT).emit(op.i64Xor).set(A(0));
  c.get(ROUND)
    .i32(1)
    .emit(op.i32Add, op.tee, ...uleb(ROUND))
    .i32(24)
    .emit(op.i32LtU, op.brIf, 0);
  c.emit(op.end);
  for (let i = 0; i < 25; i++)
    c.i32(0)
      .get(A(i))
      .store64(STATE_AT + 8 * i);
  return {
    params: [],
    locals: [
      [60, I64],
      [1, I32],
    ],
    body: c.bytes,
  };
}

/** `hash(in, len, out)`: keccak256 of `len` bytes at `in` into the 32 bytes at `out` (which may overlap `in`). */
function hashFunc(): Func {
  const IN = 0;
  const LEN = 1;
  const OUT = 2;
  const c = new Code();
  c.i32(STATE_AT).i32(0).i32(200).fill();
  // Full blocks.
  c.emit(op.block, op.void, op.loop, op.void);
  c.get(LEN).i32(RATE).emit(op.i32LtU, op.brIf, 1);
  for (let j = 0; j < RATE / 8; j++) {
    c.i32(0)
      .i32(0)
      .load64(STATE_AT + 8 * j)
      .get(IN)
      .load64(8 * j)
      .emit(op.i64Xor)
      .store64(STATE_AT + 8 * j);
  }
  c.emit(op.call, PERMUTE);
  c.get(IN).i32(RATE).emit(op.i32Add).set(IN);
  c.get(LEN).i32(RATE).emit(op.i32Sub).set(LEN);
  c.emit(op.br, 0, op.end, op.end);
  // The last, padded block: pad10*1 with Keccak's domain byte 0x01.
  c.i32(PAD_AT).i32(0).i32(RATE).fill();
  c.i32(PAD_AT).get(IN).get(LEN).copy();
  c.get(LEN).get(LEN).load8(PAD_AT).i32(0x01).emit(op.i32Xor).store8(PAD_AT);
  c.i32(0)
    .i32(0)
    .load8(PAD_AT + RATE - 1)
    .i32(0x80)
    .emit(op.i32Xor)
    .store8(PAD_AT + RATE - 1);
  for (let j = 0; j < RATE / 8; j++) {
    c.i32(0)
      .i32(0)
      .load64(STATE_AT + 8 * j)
      .i32(0)
      .load64(PAD_AT + 8 * j)
      .emit(op.i64Xor)
      .store64(STATE_AT + 8 * j);
  }
  c.emit(op.call, PERMUTE);
  for (let j = 0; j < 4; j++)
    c.get(OUT)
      .i32(0)
      .load64(STATE_AT + 8 * j)
      .store64(8 * j);
  return { params: [I32, I32, I32], locals: [], body: c.bytes };
}

const HASH = 1;

/** `hashMany(in, len, stride, out, n)`: `n` hashes of `len` bytes, inputs `stride` apart, outputs packed. */
function hashManyFunc(): Func {
  const [IN, LEN, STRIDE, OUT, N] = [0, 1, 2, 3, 4];
  const c = new Code();
  c.emit(op.block, op.void, op.loop, op.void);
  c.get(N).emit(op.i32Eqz, op.brIf, 1);
  c.get(IN).get(LEN).get(OUT).emit(op.call, HASH);
  c.get(IN).get(STRIDE).emit(op.i32Add).set(IN);
  c.get(OUT).i32(32).emit(op.i32Add).set(OUT);
  c.get(N).i32(1).emit(op.i32Sub).set(N);
  c.emit(op.br, 0, op.end, op.end);
  return { params: [I32, I32, I32, I32, I32], locals: [], body: c.bytes };
}

/** `tree(base, n)`: the inner nodes of a tree of `n` leaves (see the module's comment). */
function treeFunc(): Func {
  const [BASE, N] = [0, 1];
  const [I, A, B, K, X, Y, T] = [2, 3, 4, 5, 6, 7, 8];
  const c = new Code();
  c.get(N).i32(2).emit(op.i32LtU, op.if, op.void, op.return, op.end);
  c.get(N).i32(2).emit(op.i32Sub).set(I);
  c.emit(op.block, op.void, op.loop, op.void);
  // a = base + 64i + 32 (node 2i + 1), b = a + 32 (node 2i + 2)
  c.get(BASE)
    .get(I)
    .i32(6)
    .emit(op.i32Shl, op.i32Add)
    .i32(32)
    .emit(op.i32Add, op.tee, ...uleb(A));
  c.i32(32).emit(op.i32Add).set(B);
  // Compare as big-endian numbers: the first differing byte decides; swap if a > b.
  c.i32(0).set(K);
  c.emit(op.block, op.void, op.loop, op.void);
  c.get(A).get(K).emit(op.i32Add).load8(0).set(X);
  c.get(B).get(K).emit(op.i32Add).load8(0).set(Y);
  c.get(X).get(Y).emit(op.i32Ne, op.if, op.void);
  c.get(X).get(Y).emit(op.i32GtU, op.if, op.void);
  c.get(A).set(T).get(B).set(A).get(T).set(B);
  c.emit(op.end, op.br, 2, op.end);
  c.get(K)
    .i32(1)
    .emit(op.i32Add, op.tee, ...uleb(K))
    .i32(32)
    .emit(op.i32LtU, op.brIf, 0);
  c.emit(op.end, op.end);
  // The state: min ‖ max, padding (0x01 after the 64 bytes, 0x80 in the rate's last byte).
  for (let j = 0; j < 4; j++)
    c.i32(0)
      .get(A)
      .load64(8 * j)
      .store64(STATE_AT + 8 * j);
  for (let j = 0; j < 4; j++)
    c.i32(0)
      .get(B)
      .load64(8 * j)
      .store64(STATE_AT + 32 + 8 * j);
  c.i32(STATE_AT + 64)
    .i32(0)
    .i32(200 - 64)
    .fill();
  c.i32(0)
    .i64(1n)
    .store64(STATE_AT + 64);
  c.i32(0)
    .i64(0x8000000000000000n)
    .store64(STATE_AT + RATE - 8);
  c.emit(op.call, PERMUTE);
  // node i = base + 32i
  for (let j = 0; j < 4; j++) {
    c.get(BASE)
      .get(I)
      .i32(5)
      .emit(op.i32Shl, op.i32Add)
      .i32(0)
      .load64(STATE_AT + 8 * j)
      .store64(8 * j);
  }
  c.get(I).emit(op.i32Eqz, op.brIf, 1);
  c.get(I).i32(1).emit(op.i32Sub).set(I);
  c.emit(op.br, 0, op.end, op.end);
  return { params: [I32, I32], locals: [[7, I32]], body: c.bytes };
}

/** The bytes of the module: one exported memory (`memory`) and the functions `hash`, `hashMany` and `tree`. */
export function emitKeccakModule(): Uint8Array {
  const funcs = [permuteFunc(), hashFunc(), hashManyFunc(), treeFunc()];
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0x00]);
  const exportsOf: [string, number, number][] = [
    ["memory", 0x02, 0],
    ["hash", 0x00, 1],
    ["hashMany", 0x00, 2],
    ["tree", 0x00, 3],
  ];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec(exportsOf.map(([n, kind, index]) => [...name(n), kind, ...uleb(index)]))),
    ...section(10, vec(funcs.map(funcBody))),
  ];
  return Uint8Array.from(bytes);
}

/*//////////////////////////////////////////////////////////////////////////
                                  RUNTIME
//////////////////////////////////////////////////////////////////////////*/

/** The part of the WebAssembly API used here (typed locally: the project's `lib` has no DOM types). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface KeccakExports {
  readonly memory: WasmMemory;
  hash(input: number, length: number, output: number): void;
  hashMany(input: number, length: number, stride: number, output: number, count: number): void;
  tree(base: number, leaves: number): void;
}

/**
 * The compiled module and its memory. Addresses are byte offsets in {@link bytes}. The callers' data lives in the
 * scratch area (`SCRATCH_AT`, small inputs) or the heap (`HEAP_AT` on, sized by {@link reserve}). Single-threaded and
 * synchronous: one caller at a time, nothing kept across calls.
 */
export class WasmKeccak {
  readonly #exports: KeccakExports;
  #bytes: Uint8Array;

  constructor(exports: KeccakExports) {
    this.#exports = exports;
    this.#bytes = new Uint8Array(exports.memory.buffer);
    const view = new DataView(exports.memory.buffer);
    ROUND_CONSTANTS.forEach((rc, i) => view.setBigUint64(RC_AT + 8 * i, rc, true));
  }

  /** The memory's bytes (a new view after {@link reserve} grew it: do not keep it across a `reserve`). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** The memory's buffer (the same caveat as {@link bytes}). */
  get buffer(): ArrayBuffer {
    return this.#bytes.buffer as ArrayBuffer;
  }

  /** Makes sure the heap holds `size` bytes from {@link HEAP_AT}, growing the memory if needed; returns `HEAP_AT`. */
  reserve(size: number): number {
    const needed = HEAP_AT + size;
    const memory = this.#exports.memory;
    if (memory.buffer.byteLength < needed) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
      this.#bytes = new Uint8Array(memory.buffer);
    }
    return HEAP_AT;
  }

  /** `keccak256(bytes[input..input + length])` into `bytes[output..output + 32]`. */
  hash(input: number, length: number, output: number): void {
    this.#exports.hash(input, length, output);
  }

  /** `count` hashes of `length` bytes, inputs `stride` bytes apart from `input`, outputs packed from `output`. */
  hashMany(input: number, length: number, stride: number, output: number, count: number): void {
    this.#exports.hashMany(input, length, stride, output, count);
  }

  /** The inner nodes of the `2n - 1`-node tree at `base` whose last `n` nodes (the leaves) are set. */
  tree(base: number, leaves: number): void {
    this.#exports.tree(base, leaves);
  }
}

let instance: WasmKeccak | null | undefined;

/** Whether typed arrays are little-endian here (they are on every platform Node and browsers ship for). */
function littleEndian(): boolean {
  return new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
}

/**
 * The shared batch hasher, compiled on first call; `undefined` where WebAssembly is unavailable or the platform is
 * big-endian (then use a pure-JS Keccak). Set `ROAMLEDGER_NO_WASM=1` to force `undefined` (tests of the fallback).
 */
export function wasmKeccak(): WasmKeccak | undefined {
  if (instance === undefined) {
    instance = null;
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (env?.ROAMLEDGER_NO_WASM !== "1" && api !== undefined && littleEndian()) {
      try {
        const module = new api.Module(emitKeccakModule());
        const exports = new api.Instance(module).exports as KeccakExports;
        instance = new WasmKeccak(exports);
      } catch {
        instance = null;
      }
    }
  }
  return instance ?? undefined;
}

/** The two lower-case hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `0x` + the lower-case hex of `bytes[at..at + length]`. */
export function hexAt(bytes: Uint8Array, at: number, length = 32): string {
  let hex = "0x";
  for (let i = at; i < at + length; i++) hex += HEX[bytes[i]];
  return hex;
}

/**
 * `keccak256(data)` as a `0x` hex string through the WebAssembly hasher, or `undefined` if it is unavailable. Meant
 * for tests and occasional use: batch callers should write into {@link WasmKeccak.bytes} directly.
 */
export function wasmKeccak256(data: Uint8Array): string | undefined {
  const k = wasmKeccak();
  if (k === undefined) return undefined;
  const at = k.reserve(data.length + 32);
  k.bytes.set(data, at);
  k.hash(at, data.length, at + data.length);
  return hexAt(k.bytes, at + data.length);
}
