/**
 * Public-key recovery on secp256k1 (internal), for checking a received EIP-712 signature without a chain library:
 * {@link recoverAddress} is ethers v6's `recoverAddress(digest, signature)` for signature strings (65 bytes with `v`
 * of 0, 1, 27, 28 or EIP-155 style, or 64-byte EIP-2098 compact). The curve arithmetic is `@noble/curves` (audited,
 * the implementation ethers and viem use); this module parses the signature as ethers does. Pure: browser-safe.
 */
import { secp256k1 } from "@noble/curves/secp256k1";

import { getAddress } from "./address";
import { bytesToHex, keccak256Bytes, toBytes } from "./bytes";

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
  if (r <= 0n || r >= secp256k1.CURVE.n || s <= 0n || s >= secp256k1.CURVE.n) {
    throw new RangeError("signature r or s out of range");
  }
  let point;
  try {
    point = new secp256k1.Signature(r, s).addRecoveryBit(yParity).recoverPublicKey(hash);
  } catch (cause) {
    throw new RangeError("signature recovers no key", { cause });
  }
  const publicKey = point.toRawBytes(false).subarray(1); // x ‖ y, without the 0x04 prefix
  return getAddress(bytesToHex(keccak256Bytes(publicKey).subarray(12)));
}
