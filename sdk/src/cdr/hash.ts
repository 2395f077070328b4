/**
 * Fast equivalents of `merkle/leaf.ts`'s {@link subscriberHash} and {@link recordIdOf} for ingestion: the same
 * `keccak256(abi.encode(...))`, with the ABI encoding written by hand into one buffer instead of through ethers'
 * `AbiCoder` (which costs about 100 µs a call: ten times the hash). Equality with the reference functions is
 * differential-tested (`test/sdk/cdr.test.ts`). The encoding is written straight into the memory of the WebAssembly
 * Keccak (`merkle/keccak.ts`) and hashed there (`@noble/hashes`' Keccak-256 where WebAssembly is unavailable). Pure:
 * browser-safe.
 */
import { keccak256, utf8Bytes } from "../encoding";

import { hexAt, SCRATCH_AT, SCRATCH_BYTES, wasmKeccak } from "../merkle/keccak";

import type { Service } from "../rating/types";

const HEX_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; ++i) table[0x30 + i] = i;
  for (let i = 0; i < 6; ++i) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  return table;
})();

/** Writes a bytes32 given as `0x` + 64 hex digits at `offset`. */
function writeBytes32(buffer: Uint8Array, offset: number, hex: string): void {
  if (hex.length !== 66) throw new TypeError(`not a bytes32: ${hex}`);
  for (let i = 0; i < 32; ++i) {
    const hi = HEX_VALUE[hex.charCodeAt(2 + 2 * i)] ?? -1;
    const lo = HEX_VALUE[hex.charCodeAt(3 + 2 * i)] ?? -1;
    if (hi < 0 || lo < 0) throw new TypeError(`not a bytes32: ${hex}`);
    buffer[offset + i] = (hi << 4) | lo;
  }
}

/** Writes an unsigned integer as the 32-byte big-endian word at `offset`. */
function writeUint(buffer: Uint8Array, offset: number, value: bigint): void {
  let v = value;
  for (let i = offset + 31; i >= offset && v > 0n; --i) {
    buffer[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** The UTF-8 bytes of `text` (ASCII fast path). */
function utf8(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return utf8Bytes(text);
    bytes[i] = c;
  }
  return bytes;
}

/** The dynamic tail of an ABI `string`: length word, then the bytes padded to 32. */
function tailSize(length: number): number {
  return 32 + Math.ceil(length / 32) * 32;
}

/**
 * `keccak256` of an encoding of `size` bytes that `write` puts at `buffer[at..at + size]` (zeroed beforehand): in the
 * WebAssembly hasher's scratch memory when it is available and the encoding fits, else in a fresh array.
 */
function hashEncoding(size: number, write: (buffer: Uint8Array, at: number) => void): string {
  const wasm = wasmKeccak();
  if (wasm === undefined || size + 32 > SCRATCH_BYTES) {
    const buffer = new Uint8Array(size);
    write(buffer, 0);
    return keccak256(buffer);
  }
  const bytes = wasm.bytes;
  bytes.fill(0, SCRATCH_AT, SCRATCH_AT + size);
  write(bytes, SCRATCH_AT);
  const out = SCRATCH_AT + size;
  wasm.hash(SCRATCH_AT, size, out);
  return hexAt(bytes, out);
}

/** `keccak256(abi.encode(bytes32 salt, string imsi))`, as `subscriberHash` in `merkle/leaf.ts`. */
export function fastSubscriberHash(salt: string, imsi: string): string {
  const data = utf8(imsi);
  return hashEncoding(64 + tailSize(data.length), (buffer, at) => {
    writeBytes32(buffer, at, salt);
    buffer[at + 63] = 0x40;
    writeUint(buffer, at + 64, BigInt(data.length));
    buffer.set(data, at + 96);
  });
}

/**
 * `keccak256(abi.encode(bytes32 subscriberHash, uint8 service, uint64 eventStart, string eventRef))`, as `recordIdOf`
 * in `merkle/leaf.ts` (`service` and `eventStart` must be in range: the caller validated them).
 */
export function fastRecordId(subscriber: string, service: Service, eventStart: bigint, eventRef: string): string {
  const data = utf8(eventRef);
  return hashEncoding(128 + tailSize(data.length), (buffer, at) => {
    writeBytes32(buffer, at, subscriber);
    buffer[at + 63] = service;
    writeUint(buffer, at + 64, eventStart);
    buffer[at + 127] = 0x80;
    writeUint(buffer, at + 128, BigInt(data.length));
    buffer.set(data, at + 160);
  });
}
