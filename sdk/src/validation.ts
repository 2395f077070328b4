/**
 * Input validation shared by the SDK's builders and clients (only {@link UintLike} is part of the public API): each
 * helper normalises one value or throws an {@link InvalidArgumentError} naming the field, before anything is sent.
 * Pure: browser-safe.
 */
import { getAddress, isHexString, ZERO_ADDRESS } from "./encoding";
import { InvalidArgumentError } from "./errors";

/**
 * The one integer input type of the SDK: every function, builder and client that takes an integer (an id, an amount,
 * a volume, a time, a count) takes a `UintLike` and reads it exactly, through one validating converter (`toUint`),
 * into a `bigint`; outputs are always `bigint`.
 *
 * Accepted:
 * - a `bigint`;
 * - a safe-integer `number` (`Number.isSafeInteger`: at most 2^53 - 1 in magnitude);
 * - a string of decimal digits (`"0"`, `"50000000000000000"`), read exactly at any size: the form JSON written by
 *   the CLI (and `JSON.stringify` with bigints as strings) takes, so such JSON goes back into the SDK after a plain
 *   `JSON.parse`.
 *
 * Refused, with an {@link InvalidArgumentError} naming the field: fractions (`1.5`, `"1.5"`), unsafe numbers
 * (`2 ** 53`, which has lost its exact value already), exponents (`"1e3"`), hex (`"0x1"`), signs other than a leading
 * `-` (which then fails the range check of an unsigned field), spaces, the empty string, anything else; and a value out
 * of the field's range (e.g. `"must be an unsigned integer of 32 bits"`).
 */
export type UintLike = bigint | number | string;

/** A decimal integer as text: an optional `-`, then digits (no sign `+`, no spaces, no exponent, no hex). */
const DECIMAL_INTEGER = /^-?[0-9]+$/;

/** The largest operator id (`uint32`). */
export const MAX_OPERATOR_ID = 2n ** 32n - 1n;

/**
 * Normalises an integer within `[min, max]`; throws an InvalidArgumentError naming `field` otherwise (`range` is the
 * message for a value out of range; by default "must be min to max").
 */
export function toInteger(value: UintLike, field: string, min: bigint, max: bigint, range?: string): bigint {
  let n: bigint;
  if (typeof value === "bigint") {
    n = value;
  } else if (typeof value === "number" && Number.isSafeInteger(value)) {
    n = BigInt(value);
  } else if (typeof value === "string" && DECIMAL_INTEGER.test(value)) {
    n = BigInt(value); // exact at any size: never through a float
  } else {
    throw new InvalidArgumentError("must be an integer (bigint, safe integer number or decimal string)", {
      field,
      value,
    });
  }
  if (n < min || n > max) throw new InvalidArgumentError(range ?? `must be ${min} to ${max}`, { field, value });
  return n;
}

/** Normalises an unsigned integer of `bits` bits. */
export function toUint(value: UintLike, bits: number, field: string): bigint {
  return toInteger(value, field, 0n, (1n << BigInt(bits)) - 1n, `must be an unsigned integer of ${bits} bits`);
}

/** Normalises an operator id: `min` (1 by default; 0 means "none") to `uint32` max. */
export function toOperatorId(value: UintLike, field = "operatorId", min = 1n): bigint {
  return toInteger(value, field, min, MAX_OPERATOR_ID, `must be an operator id, ${min} to ${MAX_OPERATOR_ID}`);
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
  if (!allowZero && address === ZERO_ADDRESS) {
    throw new InvalidArgumentError("must not be the zero address", { field, value });
  }
  return address;
}

/** Throws unless `value` is a non-null object. */
export function requireObject(value: unknown, field: string): void {
  if (typeof value !== "object" || value === null)
    throw new InvalidArgumentError("must be an object", { field, value });
}

/** Checks a 65-byte ECDSA signature (`0x` + 130 hex digits); with `allowEmpty`, `"0x"` (no signature) passes too. */
export function toSignature(value: string, field: string, allowEmpty = false): string {
  if (allowEmpty && value === "0x") return value;
  if (typeof value !== "string" || !isHexString(value, 65)) {
    throw new InvalidArgumentError("must be a 65-byte signature (0x and 130 hex digits)", { field, value });
  }
  return value;
}
