/**
 * Input validation shared by the typed-data builders and the agreements client (not part of the public API): each
 * helper normalises one value or throws an {@link InvalidArgumentError} naming the field.
 */
import { getAddress, isHexString, ZeroAddress } from "ethers";

import { InvalidArgumentError } from "../errors";

/** An unsigned integer: a bigint or a safe-integer number. */
export type UintLike = bigint | number;

/** Normalises an unsigned integer of `bits` bits; throws an InvalidArgumentError naming `field` otherwise. */
export function toUint(value: UintLike, bits: number, field: string): bigint {
  let n: bigint;
  if (typeof value === "bigint") {
    n = value;
  } else if (typeof value === "number" && Number.isSafeInteger(value)) {
    n = BigInt(value);
  } else {
    throw new InvalidArgumentError("must be an integer (bigint or safe integer number)", { field, value });
  }
  if (n < 0n || n >= 1n << BigInt(bits)) {
    throw new InvalidArgumentError(`must be an unsigned integer of ${bits} bits`, { field, value });
  }
  return n;
}

/** Normalises a bytes32 (`0x` + 64 hex digits) to lower case. */
export function toBytes32(value: string, field: string): string {
  if (typeof value !== "string" || !isHexString(value, 32)) {
    throw new InvalidArgumentError("must be a bytes32 (0x and 64 hex digits)", { field, value });
  }
  return value.toLowerCase();
}

/** Normalises an address (checksummed); the zero address is refused unless `allowZero`. */
export function toAddress(value: string, field: string, allowZero = false): string {
  if (typeof value !== "string") throw new InvalidArgumentError("must be an address string", { field, value });
  let address: string;
  try {
    address = getAddress(value);
  } catch (cause) {
    throw new InvalidArgumentError("not a valid address (20 bytes hex, with a correct checksum if mixed-case)", {
      field,
      value,
      cause,
    });
  }
  if (!allowZero && address === ZeroAddress) {
    throw new InvalidArgumentError("must not be the zero address", { field, value });
  }
  return address;
}

/** Throws unless `value` is a non-null object. */
export function requireObject(value: unknown, field: string): void {
  if (typeof value !== "object" || value === null)
    throw new InvalidArgumentError("must be an object", { field, value });
}
