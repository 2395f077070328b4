/**
 * Bytes, hex and UTF-8 helpers and Keccak-256, on `@noble/hashes` only (internal: the SDK's pure modules use them
 * instead of a chain library). Each behaves as the `ethers` v6 function of the same name for the inputs the SDK
 * gives it (differential-tested in `test/sdk/encoding.differential.test.ts`). Pure: browser-safe.
 */
import { keccak_256 } from "@noble/hashes/sha3";

/** A `bytes32` of zeros (ethers' `ZeroHash`). */
export const ZERO_HASH = "0x0000000000000000000000000000000000000000000000000000000000000000";

const HEX_DIGITS = "0123456789abcdef";
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4] + HEX_DIGITS[i & 15]);
const HEX_STRING = /^0x[0-9A-Fa-f]*$/;

/**
 * Whether `value` is `0x` and hex digits; with `length`, exactly that many bytes (ethers' `isHexString`; `true`
 * requires an even number of digits).
 */
export function isHexString(value: unknown, length?: number | boolean): boolean {
  if (typeof value !== "string" || !HEX_STRING.test(value)) return false;
  if (typeof length === "number" && value.length !== 2 + 2 * length) return false;
  if (length === true && value.length % 2 !== 0) return false;
  return true;
}

/** `bytes` as `0x` and lower-case hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; ++i) out += BYTE_HEX[bytes[i]];
  return out;
}

/**
 * The bytes of `value`: a `Uint8Array` (copied) or `0x` and an even number of hex digits (ethers' `getBytesCopy`).
 *
 * @throws TypeError for anything else.
 */
export function toBytes(value: Uint8Array | string, field = "value"): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value !== "string" || !isHexString(value, true)) throw new TypeError(`${field}: invalid BytesLike value`);
  const bytes = new Uint8Array((value.length - 2) / 2);
  for (let i = 0; i < bytes.length; ++i) bytes[i] = parseInt(value.substring(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}

/** The concatenation of `parts`. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Keccak-256 of bytes (or of `0x` hex), as `0x` and 64 lower-case hex digits (ethers' `keccak256`). */
export function keccak256(data: Uint8Array | string): string {
  return bytesToHex(keccak_256(typeof data === "string" ? toBytes(data, "data") : data));
}

/** Keccak-256 of bytes, as bytes. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * The UTF-8 bytes of `text`, exactly as ethers' `toUtf8Bytes` writes them: an unpaired high surrogate throws, an
 * unpaired low surrogate is written as its 3-byte form (no replacement character, unlike `TextEncoder`).
 */
export function utf8Bytes(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("invalid string value");
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = (c >> 6) | 0xc0;
      out[n++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800) {
      ++i;
      const c2 = text.charCodeAt(i);
      if (i >= text.length || (c2 & 0xfc00) !== 0xdc00) throw new TypeError("invalid surrogate pair");
      const pair = 0x10000 + ((c & 0x03ff) << 10) + (c2 & 0x03ff);
      out[n++] = (pair >> 18) | 0xf0;
      out[n++] = ((pair >> 12) & 0x3f) | 0x80;
      out[n++] = ((pair >> 6) & 0x3f) | 0x80;
      out[n++] = (pair & 0x3f) | 0x80;
    } else {
      out[n++] = (c >> 12) | 0xe0;
      out[n++] = ((c >> 6) & 0x3f) | 0x80;
      out[n++] = (c & 0x3f) | 0x80;
    }
  }
  return out.slice(0, n);
}

let strictDecoder: { decode(bytes: Uint8Array): string } | undefined;

/** The text of UTF-8 `bytes`; throws on malformed UTF-8 (ethers' strict `toUtf8String`; a BOM is kept). */
export function utf8String(bytes: Uint8Array): string {
  strictDecoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  return strictDecoder.decode(bytes);
}

/** `keccak256` of the UTF-8 bytes of `text` (ethers' `id`). */
export function id(text: string): string {
  return keccak256(utf8Bytes(text));
}

/** `text` as a zero-padded `bytes32` (ethers' `encodeBytes32String`): at most 31 UTF-8 bytes. */
export function encodeBytes32String(text: string): string {
  const bytes = utf8Bytes(text);
  if (bytes.length > 31) throw new Error("bytes32 string must be less than 32 bytes");
  const out = new Uint8Array(32);
  out.set(bytes);
  return bytesToHex(out);
}

/** The text a zero-padded, null-terminated `bytes32` holds (ethers' `decodeBytes32String`). */
export function decodeBytes32String(value: Uint8Array | string): string {
  const data = toBytes(value);
  if (data.length !== 32) throw new Error("invalid bytes32 string - not 32 bytes long");
  if (data[31] !== 0) throw new Error("invalid bytes32 string - no null terminator");
  let length = 31;
  while (data[length - 1] === 0) --length;
  return utf8String(data.subarray(0, length));
}

/**
 * An integer as ethers' `getBigInt` reads it: a bigint, a safe integer number, or a string `BigInt` parses (decimal,
 * `0x` hex...; a leading `-` negates).
 */
export function toBigInt(value: unknown, field = "value"): bigint {
  switch (typeof value) {
    case "bigint":
      return value;
    case "number":
      if (!Number.isInteger(value)) throw new RangeError(`${field}: underflow`);
      if (!Number.isSafeInteger(value)) throw new RangeError(`${field}: overflow`);
      return BigInt(value);
    case "string":
      try {
        if (value === "") throw new Error("empty string");
        if (value[0] === "-" && value[1] !== "-") return -BigInt(value.substring(1));
        return BigInt(value);
      } catch (e) {
        throw new TypeError(`${field}: invalid BigNumberish string: ${(e as Error).message}`);
      }
    default:
      throw new TypeError(`${field}: invalid BigNumberish value`);
  }
}
