/**
 * EIP-712 struct hashes and digests (internal), as ethers v6's `TypedDataEncoder` computes them for a set of types
 * with one primary type: nested structs, arrays of atoms or of structs (fixed or dynamic length), `string` and
 * `bytes` (hashed), atoms. Pure: browser-safe.
 */
import { getAddress } from "./address";
import { concatBytes, keccak256Bytes, toBigInt, toBytes, utf8Bytes } from "./bytes";
import { uintWord } from "./abi";

/** A field of an EIP-712 struct (structurally ethers' `TypedDataField`). */
export interface TypedDataField {
  name: string;
  type: string;
}

/** An EIP-712 domain (structurally ethers' `TypedDataDomain`): absent or null fields are left out. */
export interface TypedDataDomain {
  name?: null | string;
  version?: null | string;
  /** A bigint, a safe integer number or an integer string. */
  chainId?: null | bigint | number | string;
  verifyingContract?: null | string;
  salt?: null | string | Uint8Array;
}

const DOMAIN_FIELD_TYPES: Record<string, string> = {
  name: "string",
  version: "string",
  chainId: "uint256",
  verifyingContract: "address",
  salt: "bytes32",
};
const DOMAIN_FIELD_NAMES = ["name", "version", "chainId", "verifyingContract", "salt"];

type Encoder = (value: unknown) => Uint8Array;

/** The encoder of one set of types, with its encoders by type cached. */
class StructEncoder {
  readonly #types: Record<string, readonly TypedDataField[]>;
  /** `encodeType` of each struct (itself, then its dependencies sorted). */
  readonly #fullTypes = new Map<string, string>();
  readonly #typeHashes = new Map<string, Uint8Array>();
  readonly #encoders = new Map<string, Encoder>();

  constructor(types: Record<string, readonly TypedDataField[]>) {
    this.#types = types;
    for (const name of Object.keys(types)) {
      const deps = new Set<string>();
      this.#collect(name, deps);
      deps.delete(name);
      const full = [name, ...[...deps].sort()].map((t) => this.#encodeType(t)).join("");
      this.#fullTypes.set(name, full);
      this.#typeHashes.set(name, keccak256Bytes(utf8Bytes(full)));
    }
  }

  #encodeType(name: string): string {
    return `${name}(${this.#types[name].map((f) => `${f.type} ${f.name}`).join(",")})`;
  }

  #collect(name: string, found: Set<string>): void {
    if (found.has(name)) return;
    found.add(name);
    for (const field of this.#types[name]) {
      const base = field.type.replace(/(\[\d*\])+$/, "");
      if (this.#types[base] !== undefined) this.#collect(base, found);
    }
  }

  /** `encodeData` of `value` as a `type`; structs are hashed by the caller where they are members. */
  encoder(type: string): Encoder {
    let encoder = this.#encoders.get(type);
    if (encoder === undefined) {
      encoder = this.#makeEncoder(type);
      this.#encoders.set(type, encoder);
    }
    return encoder;
  }

  /** The 32 bytes that stand for a member of `type` holding `value`. */
  #member(type: string, value: unknown): Uint8Array {
    const encoded = this.encoder(type)(value);
    return this.#fullTypes.has(type) ? keccak256Bytes(encoded) : encoded;
  }

  #makeEncoder(type: string): Encoder {
    const fields = this.#types[type];
    if (fields !== undefined) {
      const typeHash = this.#typeHashes.get(type) as Uint8Array;
      return (value) =>
        concatBytes([typeHash, ...fields.map((f) => this.#member(f.type, (value as Record<string, unknown>)[f.name]))]);
    }
    const array = /^(.*)\[(\d*)\]$/.exec(type);
    if (array !== null) {
      const [, element, length] = array;
      return (value) => {
        if (!Array.isArray(value)) throw new TypeError(`expected an array for ${type}`);
        if (length !== "" && Number(length) !== value.length) {
          throw new RangeError(`array length mismatch; expected length ${length}`);
        }
        return keccak256Bytes(concatBytes(value.map((item) => this.#member(element, item))));
      };
    }
    const int = /^(u?)int(\d+)$/.exec(type);
    if (int !== null) {
      const bits = Number(int[2]);
      const signed = int[1] === "";
      const upper = (1n << BigInt(signed ? bits - 1 : bits)) - 1n;
      const lower = signed ? -(upper + 1n) : 0n;
      return (value) => {
        const n = toBigInt(value);
        if (n < lower || n > upper) throw new RangeError(`value out-of-bounds for ${type}`);
        return uintWord(n < 0n ? (1n << 256n) + n : n);
      };
    }
    const fixed = /^bytes(\d+)$/.exec(type);
    if (fixed !== null) {
      const width = Number(fixed[1]);
      return (value) => {
        const bytes = toBytes(value as string);
        if (bytes.length !== width) throw new RangeError(`invalid length for ${type}`);
        const word = new Uint8Array(32);
        word.set(bytes);
        return word;
      };
    }
    switch (type) {
      case "address":
        return (value) => {
          const word = new Uint8Array(32);
          word.set(toBytes(getAddress(value as string)), 12);
          return word;
        };
      case "bool":
        return (value) => uintWord(value ? 1n : 0n);
      case "bytes":
        return (value) => keccak256Bytes(toBytes(value as string));
      case "string":
        return (value) => keccak256Bytes(utf8Bytes(value as string));
    }
    throw new TypeError(`unknown type: ${type}`);
  }

  /** The struct hash of `value` as a `type`. */
  hashStruct(type: string, value: unknown): Uint8Array {
    if (this.#types[type] === undefined) throw new TypeError(`unknown type: ${type}`);
    return keccak256Bytes(this.encoder(type)(value));
  }
}

const encoders = new Map<string, StructEncoder>();
const MAX_CACHED = 64;

/** The encoder of `types`, cached by content (the SDK hashes with a few constant type sets). */
function encoderOf(types: Record<string, readonly TypedDataField[]>): StructEncoder {
  const key = JSON.stringify(types);
  let encoder = encoders.get(key);
  if (encoder === undefined) {
    encoder = new StructEncoder(types);
    if (encoders.size >= MAX_CACHED) encoders.clear();
    encoders.set(key, encoder);
  }
  return encoder;
}

/** The single struct of `types` no other one references (ethers' `primaryType`). */
export function primaryTypeOf(types: Record<string, readonly TypedDataField[]>): string {
  const referenced = new Set<string>();
  for (const fields of Object.values(types)) {
    for (const field of fields) referenced.add(field.type.replace(/(\[\d*\])+$/, ""));
  }
  const roots = Object.keys(types).filter((name) => !referenced.has(name));
  if (roots.length !== 1) throw new TypeError("ambiguous primary types or unused types");
  return roots[0];
}

function hex(bytes: Uint8Array): string {
  let out = "0x";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * `hashStruct(value)` of the struct `type` of `types` (ethers' `TypedDataEncoder.hashStruct`). */
export function hashStruct(type: string, types: Record<string, readonly TypedDataField[]>, value: unknown): string {
  return hex(encoderOf(types).hashStruct(type, value));
}

/** The domain separator of `domain` (ethers' `TypedDataEncoder.hashDomain`). */
export function hashDomainBytes(domain: TypedDataDomain): Uint8Array {
  const fields: TypedDataField[] = [];
  for (const name in domain) {
    if ((domain as Record<string, unknown>)[name] == null) continue;
    const type = DOMAIN_FIELD_TYPES[name];
    if (type === undefined) throw new TypeError(`invalid typed-data domain key: ${JSON.stringify(name)}`);
    fields.push({ name, type });
  }
  fields.sort((a, b) => DOMAIN_FIELD_NAMES.indexOf(a.name) - DOMAIN_FIELD_NAMES.indexOf(b.name));
  return new StructEncoder({ EIP712Domain: fields }).hashStruct("EIP712Domain", domain);
}

/** The domain separator of `domain`, as hex. */
export function hashDomain(domain: TypedDataDomain): string {
  return hex(hashDomainBytes(domain));
}

/**
 * The digest an EIP-712 signature signs: `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))` of the primary
 * type of `types` (ethers' `TypedDataEncoder.hash`).
 */
export function hashTypedData(
  domain: TypedDataDomain,
  types: Record<string, readonly TypedDataField[]>,
  message: unknown,
): string {
  const struct = encoderOf(types).hashStruct(primaryTypeOf(types), message);
  return hex(keccak256Bytes(concatBytes([Uint8Array.of(0x19, 0x01), hashDomainBytes(domain), struct])));
}
