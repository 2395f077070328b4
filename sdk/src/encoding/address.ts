/**
 * EIP-55 checksummed addresses (internal), as ethers v6's `getAddress` and `isAddress` read them, including the
 * direct ICAP form (`XE..`) ethers also accepts. Pure: browser-safe.
 */
import { keccak256Bytes } from "./bytes";

/** The zero address (ethers' `ZeroAddress`). */
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function checksum(address: string): string {
  const chars = address.toLowerCase().substring(2).split("");
  const expanded = new Uint8Array(40);
  for (let i = 0; i < 40; ++i) expanded[i] = chars[i].charCodeAt(0);
  const hashed = keccak256Bytes(expanded);
  for (let i = 0; i < 40; i += 2) {
    if (hashed[i >> 1] >> 4 >= 8) chars[i] = chars[i].toUpperCase();
    if ((hashed[i >> 1] & 0x0f) >= 8) chars[i + 1] = chars[i + 1].toUpperCase();
  }
  return "0x" + chars.join("");
}

const IBAN_LOOKUP: Record<string, string> = {};
for (let i = 0; i < 10; ++i) IBAN_LOOKUP[String(i)] = String(i);
for (let i = 0; i < 26; ++i) IBAN_LOOKUP[String.fromCharCode(65 + i)] = String(10 + i);

function ibanChecksum(icap: string): string {
  const upper = icap.toUpperCase();
  let expanded = (upper.substring(4) + upper.substring(0, 2) + "00")
    .split("")
    .map((c) => IBAN_LOOKUP[c])
    .join("");
  while (expanded.length >= 15) {
    const block = expanded.substring(0, 15);
    expanded = String(parseInt(block, 10) % 97) + expanded.substring(block.length);
  }
  return String(98 - (parseInt(expanded, 10) % 97)).padStart(2, "0");
}

function fromBase36(text: string): bigint {
  let result = 0n;
  for (const c of text.toLowerCase()) result = result * 36n + BigInt(parseInt(c, 36));
  return result;
}

/**
 * The checksummed form of `address` (40 hex digits, `0x` optional; mixed case must carry a correct checksum; or
 * ICAP direct).
 *
 * @throws TypeError if `address` is none of these.
 */
export function getAddress(address: string): string {
  if (typeof address !== "string") throw new TypeError("invalid address");
  if (/^(0x)?[0-9a-fA-F]{40}$/.test(address)) {
    const prefixed = address.startsWith("0x") ? address : "0x" + address;
    const result = checksum(prefixed);
    if (/([A-F].*[a-f])|([a-f].*[A-F])/.test(prefixed) && result !== prefixed) {
      throw new TypeError(`bad address checksum: ${address}`);
    }
    return result;
  }
  if (/^XE[0-9]{2}[0-9A-Za-z]{30,31}$/.test(address)) {
    if (address.substring(2, 4) !== ibanChecksum(address)) throw new TypeError(`bad icap checksum: ${address}`);
    return checksum("0x" + fromBase36(address.substring(4)).toString(16).padStart(40, "0"));
  }
  throw new TypeError(`invalid address: ${address}`);
}

/** Whether {@link getAddress} accepts `value`. */
export function isAddress(value: unknown): value is string {
  try {
    getAddress(value as string);
    return true;
  } catch {
    return false;
  }
}
