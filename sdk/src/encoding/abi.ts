/**
 * Solidity ABI encoding and decoding (internal), as `abi.encode` writes it and ethers v6's `AbiCoder` reads it:
 * `uint<N>`, `int<N>`, `address`, `bool`, `bytes<N>`, `bytes`, `string`, tuples and arrays (fixed and dynamic).
 * Enough for the SDK's leaves, ids and class terms, and for decoding custom errors. Pure: browser-safe.
 */
import { getAddress } from "./address";
import { bytesToHex, concatBytes, toBigInt, toBytes, utf8Bytes, utf8String } from "./bytes";

/** A parameter type, parsed. */
export interface AbiParam {
  /** The canonical type, e.g. `uint256`, `bytes32[2]`, `tuple(uint8,bool)[]` (tuples spelled `tuple`). */
  readonly type: string;
  readonly name: string;
  /** The element kind. */
  readonly base: "uint" | "int" | "address" | "bool" | "fixedBytes" | "bytes" | "string" | "tuple" | "array";
  /** Bits of an integer, bytes of a `bytes<N>`. */
  readonly size: number;
  /** Of a tuple. */
  readonly components: readonly AbiParam[];
  /** Of an array. */
  readonly element?: AbiParam;
  /** Of an array: its length, or -1 when dynamic. */
  readonly length: number;
}

/** A parameter as JSON ABIs describe it. */
export interface JsonAbiParam {
  readonly type?: string;
  readonly name?: string;
  readonly components?: readonly JsonAbiParam[];
}

function elementary(type: string, name: string): AbiParam {
  const common = { name, components: [], length: 0 };
  let match = /^(u?)int(\d*)$/.exec(type);
  if (match !== null) {
    const size = match[2] === "" ? 256 : Number(match[2]);
    if (size === 0 || size > 256 || size % 8 !== 0 || (match[2] !== "" && String(size) !== match[2])) {
      throw new TypeError(`invalid type: ${type}`);
    }
    return { ...common, type: `${match[1]}int${size}`, base: match[1] === "u" ? "uint" : "int", size };
  }
  match = /^bytes(\d+)$/.exec(type);
  if (match !== null) {
    const size = Number(match[1]);
    if (size === 0 || size > 32 || String(size) !== match[1]) throw new TypeError(`invalid type: ${type}`);
    return { ...common, type, base: "fixedBytes", size };
  }
  if (type === "address" || type === "bool" || type === "bytes" || type === "string") {
    return { ...common, type, base: type, size: 0 };
  }
  throw new TypeError(`invalid type: ${type}`);
}

/** Wraps `inner` in the array suffixes `suffix` (e.g. `[2][]`). */
function withArrays(inner: AbiParam, suffix: string, name: string): AbiParam {
  let param = inner;
  const re = /\[(\d*)\]/g;
  let consumed = 0;
  for (let m = re.exec(suffix); m !== null; m = re.exec(suffix)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    const length = m[1] === "" ? -1 : Number(m[1]);
    param = {
      type: `${param.type}[${m[1]}]`,
      name,
      base: "array",
      size: 0,
      components: [],
      element: { ...param, name: "" },
      length,
    };
  }
  if (consumed !== suffix.length) throw new TypeError(`invalid type suffix: ${suffix}`);
  return param.base === "array" ? param : { ...param, name };
}

/** Splits `text` at its top-level commas. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; ++i) {
    if (text[i] === "(") ++depth;
    else if (text[i] === ")") --depth;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** Parses a human-readable parameter, e.g. `bytes32`, `uint8[] totals`, `tuple(uint32 a, bool b) terms`. */
export function parseParam(text: string): AbiParam {
  const source = text.trim();
  const open = source.startsWith("tuple(") ? 5 : source.startsWith("(") ? 0 : -1;
  if (open >= 0) {
    let depth = 0;
    let close = -1;
    for (let i = open; i < source.length; ++i) {
      if (source[i] === "(") ++depth;
      else if (source[i] === ")" && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) throw new TypeError(`unbalanced parentheses: ${text}`);
    const inner = source.slice(open + 1, close);
    const components = inner.trim() === "" ? [] : splitTop(inner).map(parseParam);
    const rest = /^((?:\[\d*\])*)\s*([A-Za-z_$][A-Za-z0-9_$]*)?$/.exec(source.slice(close + 1).trim());
    if (rest === null) throw new TypeError(`invalid parameter: ${text}`);
    return withArrays(tupleOf(components, ""), rest[1], rest[2] ?? "");
  }
  const match = /^([a-z0-9]+)((?:\[\d*\])*)\s*([A-Za-z_$][A-Za-z0-9_$]*)?$/.exec(source);
  if (match === null) throw new TypeError(`invalid parameter: ${text}`);
  return withArrays(elementary(match[1], ""), match[2], match[3] ?? "");
}

function tupleOf(components: readonly AbiParam[], name: string): AbiParam {
  return {
    type: `tuple(${components.map((c) => c.type).join(",")})`,
    name,
    base: "tuple",
    size: 0,
    components,
    length: 0,
  };
}

/** Parses a JSON ABI parameter (`{ type: "tuple[]", components: [...] }`). */
export function fromJsonParam(param: JsonAbiParam): AbiParam {
  const name = param.name ?? "";
  const type = param.type ?? "";
  if (type.startsWith("tuple")) {
    const components = (param.components ?? []).map(fromJsonParam);
    return withArrays(tupleOf(components, ""), type.slice(5), name);
  }
  const match = /^([a-z0-9]+)((?:\[\d*\])*)$/.exec(type);
  if (match === null) throw new TypeError(`invalid type: ${type}`);
  return withArrays(elementary(match[1], ""), match[2], name);
}

/** A parameter as given to {@link abiEncode}: parsed, human-readable or JSON. */
export type AbiParamLike = AbiParam | string | JsonAbiParam;

function toParam(param: AbiParamLike): AbiParam {
  if (typeof param === "string") return parseParam(param);
  if ("base" in param) return param;
  return fromJsonParam(param);
}

/** The type as a selector spells it (`tuple(a,b)` → `(a,b)`). */
export function canonicalType(param: AbiParam): string {
  if (param.base === "tuple") return `(${param.components.map(canonicalType).join(",")})`;
  if (param.base === "array" && param.element !== undefined) {
    return `${canonicalType(param.element)}[${param.length < 0 ? "" : param.length}]`;
  }
  return param.type;
}

/*//////////////////////////////////////////////////////////////////////////
                                  ENCODING
//////////////////////////////////////////////////////////////////////////*/

function isDynamic(param: AbiParam): boolean {
  if (param.base === "bytes" || param.base === "string") return true;
  if (param.base === "array") return param.length < 0 || isDynamic(param.element as AbiParam);
  if (param.base === "tuple") return param.components.some(isDynamic);
  return false;
}

const MAX_UINT256 = (1n << 256n) - 1n;

/** A 32-byte big-endian word of `value` (0 ≤ value < 2^256). */
export function uintWord(value: bigint): Uint8Array {
  const word = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0 && v > 0n; --i) {
    word[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return word;
}

function padded(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 32) * 32);
  out.set(bytes);
  return out;
}

function encodeValue(param: AbiParam, value: unknown): Uint8Array {
  switch (param.base) {
    case "uint":
    case "int": {
      let n = toBigInt(value, param.name || "value");
      if (param.base === "uint") {
        if (n < 0n || n >> BigInt(param.size) !== 0n) throw new RangeError(`value out-of-bounds for ${param.type}`);
      } else {
        const bound = 1n << BigInt(param.size - 1);
        if (n >= bound || n < -bound) throw new RangeError(`value out-of-bounds for ${param.type}`);
        if (n < 0n) n = (n + (1n << 256n)) & MAX_UINT256;
      }
      return uintWord(n);
    }
    case "address": {
      const word = new Uint8Array(32);
      word.set(toBytes(getAddress(value as string)), 12);
      return word;
    }
    case "bool":
      return uintWord(value ? 1n : 0n);
    case "fixedBytes": {
      const bytes = toBytes(value as string, param.name || "value");
      if (bytes.length !== param.size) throw new RangeError(`incorrect data length for ${param.type}`);
      return padded(bytes);
    }
    case "bytes":
    case "string": {
      const bytes = param.base === "string" ? utf8Bytes(value as string) : toBytes(value as string);
      return concatBytes([uintWord(BigInt(bytes.length)), padded(bytes)]);
    }
    case "tuple":
      return encodeSequence(param.components, tupleValues(param, value));
    case "array": {
      if (!Array.isArray(value)) throw new TypeError(`expected an array for ${param.type}`);
      if (param.length >= 0 && value.length !== param.length) {
        throw new RangeError(`wrong array length for ${param.type}`);
      }
      const element = param.element as AbiParam;
      const body = encodeSequence(
        value.map(() => element),
        value,
      );
      return param.length < 0 ? concatBytes([uintWord(BigInt(value.length)), body]) : body;
    }
  }
}

function tupleValues(param: AbiParam, value: unknown): readonly unknown[] {
  let values: readonly unknown[];
  if (Array.isArray(value)) {
    values = value;
  } else if (typeof value === "object" && value !== null) {
    values = param.components.map((c) => {
      if (c.name === "") throw new TypeError("cannot encode object for signature with missing names");
      return (value as Record<string, unknown>)[c.name];
    });
  } else {
    throw new TypeError(`invalid tuple value for ${param.type}`);
  }
  if (values.length !== param.components.length) throw new RangeError(`types/value length mismatch`);
  return values;
}

function encodeSequence(params: readonly AbiParam[], values: readonly unknown[]): Uint8Array {
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let headSize = 0;
  const encoded = params.map((param, i) => {
    const bytes = encodeValue(param, values[i]);
    headSize += isDynamic(param) ? 32 : bytes.length;
    return bytes;
  });
  let tailAt = headSize;
  params.forEach((param, i) => {
    if (isDynamic(param)) {
      heads.push(uintWord(BigInt(tailAt)));
      tails.push(encoded[i]);
      tailAt += encoded[i].length;
    } else {
      heads.push(encoded[i]);
    }
  });
  return concatBytes([...heads, ...tails]);
}

/** `abi.encode(values...)` of `types`, as bytes. */
export function abiEncodeBytes(types: readonly AbiParamLike[], values: readonly unknown[]): Uint8Array {
  if (types.length !== values.length) throw new RangeError("types/values length mismatch");
  return encodeSequence(types.map(toParam), values);
}

/** `abi.encode(values...)` of `types`, as `0x` hex (ethers' `AbiCoder.encode`). */
export function abiEncode(types: readonly AbiParamLike[], values: readonly unknown[]): string {
  return bytesToHex(abiEncodeBytes(types, values));
}

/*//////////////////////////////////////////////////////////////////////////
                                  DECODING
//////////////////////////////////////////////////////////////////////////*/

function readWord(data: Uint8Array, at: number): bigint {
  if (at + 32 > data.length) throw new RangeError("data out-of-bounds");
  let n = 0n;
  for (let i = at; i < at + 32; ++i) n = (n << 8n) | BigInt(data[i]);
  return n;
}

function readIndex(data: Uint8Array, at: number): number {
  const n = readWord(data, at);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("overflow");
  return Number(n);
}

function readBytes(data: Uint8Array, at: number, length: number): Uint8Array {
  if (at + Math.ceil(length / 32) * 32 > data.length) throw new RangeError("data out-of-bounds");
  return data.slice(at, at + length);
}

/** Decodes `param` whose head is at `at`, in a block that starts at `base`. */
function decodeValue(param: AbiParam, data: Uint8Array, base: number, at: number): unknown {
  if (isDynamic(param)) {
    const start = base + readIndex(data, at);
    return decodeAt(param, data, start);
  }
  return decodeAt(param, data, at);
}

function decodeAt(param: AbiParam, data: Uint8Array, at: number): unknown {
  switch (param.base) {
    case "uint":
    case "int": {
      const bits = BigInt(param.size);
      let n = readWord(data, at) & ((1n << bits) - 1n);
      if (param.base === "int" && n >> (bits - 1n) === 1n) n -= 1n << bits;
      return n;
    }
    case "address": {
      const n = readWord(data, at);
      if (n >> 160n !== 0n) throw new RangeError("value exceeds width (20 bytes)");
      return getAddress("0x" + n.toString(16).padStart(40, "0"));
    }
    case "bool":
      return readWord(data, at) !== 0n;
    case "fixedBytes":
      return bytesToHex(readBytes(data, at, 32).subarray(0, param.size));
    case "bytes":
    case "string": {
      const length = readIndex(data, at);
      const bytes = readBytes(data, at + 32, length);
      return param.base === "string" ? utf8String(bytes) : bytesToHex(bytes);
    }
    case "tuple":
      return decodeSequence(param.components, data, at);
    case "array": {
      const element = param.element as AbiParam;
      if (param.length >= 0) return decodeSequence(Array<AbiParam>(param.length).fill(element), data, at);
      const length = readIndex(data, at);
      if (at + 32 + length * 32 > data.length) throw new RangeError("data out-of-bounds");
      return decodeSequence(Array<AbiParam>(length).fill(element), data, at + 32);
    }
  }
}

function headSize(param: AbiParam): number {
  if (isDynamic(param)) return 32;
  if (param.base === "tuple") return param.components.reduce((sum, c) => sum + headSize(c), 0);
  if (param.base === "array") return param.length * headSize(param.element as AbiParam);
  return 32;
}

function decodeSequence(params: readonly AbiParam[], data: Uint8Array, base: number): unknown[] {
  const out: unknown[] = [];
  let at = base;
  for (const param of params) {
    out.push(decodeValue(param, data, base, at));
    at += headSize(param);
  }
  return out;
}

/**
 * Decodes `abi.encode`d `data` of `types` (strict about lengths, as ethers' `AbiCoder.decode`): integers as bigints,
 * addresses checksummed, `bytes<N>`/`bytes` as lower-case hex, tuples and arrays as arrays.
 *
 * @throws RangeError or TypeError on data that does not fit `types`.
 */
export function abiDecode(types: readonly AbiParamLike[], data: Uint8Array | string): unknown[] {
  return decodeSequence(types.map(toParam), typeof data === "string" ? toBytes(data) : data, 0);
}
