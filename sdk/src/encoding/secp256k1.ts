/**
 * Public-key recovery on secp256k1 (internal), for checking a received EIP-712 signature without a chain library:
 * {@link recoverAddress} is ethers v6's `recoverAddress(digest, signature)` for signature strings (65 bytes with `v`
 * of 0, 1, 27, 28 or EIP-155 style, or 64-byte EIP-2098 compact). Verification only: no secret ever reaches this
 * code, so it needs no constant-time arithmetic. Pure: browser-safe.
 */
import { getAddress } from "./address";
import { bytesToHex, keccak256Bytes, toBytes } from "./bytes";

const P = 2n ** 256n - 2n ** 32n - 977n;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

/** A point in Jacobian coordinates (`x = X / Z^2`, `y = Y / Z^3`); `Z = 0` is the point at infinity. */
type Jacobian = readonly [bigint, bigint, bigint];
const INFINITY: Jacobian = [0n, 1n, 0n];

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function pow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** The inverse of `a` modulo the prime `m` (extended Euclid). */
function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError("not invertible");
  return mod(oldS, m);
}

function double([x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return INFINITY;
  const yy = (y * y) % P;
  const s = (4n * x * yy) % P;
  const m = (3n * x * x) % P;
  const x3 = mod(m * m - 2n * s, P);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, P);
  return [x3, y3, (2n * y * z) % P];
}

function add(a: Jacobian, b: Jacobian): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const z1z1 = (a[2] * a[2]) % P;
  const z2z2 = (b[2] * b[2]) % P;
  const u1 = (a[0] * z2z2) % P;
  const u2 = (b[0] * z1z1) % P;
  const s1 = (a[1] * b[2] * z2z2) % P;
  const s2 = (b[1] * a[2] * z1z1) % P;
  if (u1 === u2) return s1 === s2 ? double(a) : INFINITY;
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  const hh = (h * h) % P;
  const hhh = (h * hh) % P;
  const v = (u1 * hh) % P;
  const x3 = mod(r * r - hhh - 2n * v, P);
  const y3 = mod(r * (v - x3) - s1 * hhh, P);
  return [x3, y3, (a[2] * b[2] * h) % P];
}

/** `u1 * G + u2 * R` (Shamir's trick: one pass over the bits of both scalars). */
function mulAdd(r: Jacobian, u1: bigint, u2: bigint): Jacobian {
  const g: Jacobian = [GX, GY, 1n];
  const gr = add(g, r);
  let acc = INFINITY;
  for (let i = 255; i >= 0; --i) {
    acc = double(acc);
    const a = (u1 >> BigInt(i)) & 1n;
    const b = (u2 >> BigInt(i)) & 1n;
    if (a && b) acc = add(acc, gr);
    else if (a) acc = add(acc, g);
    else if (b) acc = add(acc, r);
  }
  return acc;
}

/** The signature's `r`, `s` and y parity, read as ethers' `Signature.from(string)` reads them. */
function parseSignature(signature: string): { r: bigint; s: bigint; yParity: number } {
  const bytes = toBytes(signature, "signature");
  const word = (from: number) => BigInt(bytesToHex(bytes.subarray(from, from + 32)));
  if (bytes.length === 64) {
    const yParity = bytes[32] >> 7;
    bytes[32] &= 0x7f;
    return { r: word(0), s: word(32), yParity };
  }
  if (bytes.length === 65) {
    // ethers reads `s` through a getter that refuses a high bit (EIP-2098 reserves it for the parity).
    if (bytes[32] >= 0x80) throw new RangeError("non-canonical s");
    const v = bytes[64];
    let yParity: number;
    if (v === 0 || v === 27) yParity = 0;
    else if (v === 1 || v === 28) yParity = 1;
    else if (v >= 35) yParity = v & 1 ? 0 : 1;
    else throw new RangeError("invalid v");
    return { r: word(0), s: word(32), yParity };
  }
  throw new RangeError("invalid raw signature length");
}

/**
 * The checksummed address whose key produced `signature` over the 32-byte `digest`.
 *
 * @throws RangeError if the signature is malformed or recovers no key.
 */
export function recoverAddress(digest: string, signature: string): string {
  const hash = toBytes(digest, "digest");
  if (hash.length !== 32) throw new RangeError("invalid digest length");
  const { r, s, yParity } = parseSignature(signature);
  if (r <= 0n || r >= N || s <= 0n || s >= N) throw new RangeError("signature r or s out of range");
  // R = (r, y) with y of the given parity on y^2 = x^3 + 7 (p = 3 mod 4, so sqrt(a) = a^((p + 1) / 4)).
  const y2 = mod(r * r * r + 7n, P);
  let y = pow(y2, (P + 1n) / 4n, P);
  if ((y * y) % P !== y2) throw new RangeError("signature r is not on the curve");
  if (Number(y & 1n) !== yParity) y = P - y;
  const e = mod(BigInt(bytesToHex(hash)), N);
  const rInv = invert(r, N);
  const q = mulAdd([r, y, 1n], mod(-e * rInv, N), mod(s * rInv, N));
  if (q[2] === 0n) throw new RangeError("signature recovers the point at infinity");
  const zInv = invert(q[2], P);
  const zInv2 = (zInv * zInv) % P;
  const x = (q[0] * zInv2) % P;
  const qy = (q[1] * zInv2 * zInv) % P;
  const publicKey = new Uint8Array(64);
  publicKey.set(toBytes("0x" + x.toString(16).padStart(64, "0")), 0);
  publicKey.set(toBytes("0x" + qy.toString(16).padStart(64, "0")), 32);
  return getAddress(bytesToHex(keccak256Bytes(publicKey).subarray(12)));
}
