/**
 * Input checks of the netting module (internal): each normalises one value or throws an {@link InvalidArgumentError}
 * naming the field. They reject what the ABI could not encode (a negative amount, an id above `uint32`, a number
 * where money must be a bigint); what the contract itself rejects (a zero amount, an amount above `uint96`) is left to
 * the preview, which raises the contract's error.
 */
import { InvalidArgumentError } from "../errors";
import { toOperatorId, toUint, type UintLike } from "../validation";
import { ZERO_REF } from "./types";

const UINT256_MAX = 2n ** 256n - 1n;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** An operator id, `0` to `uint32` max (0 is accepted here: the contract decides what it does with it). */
export function toMemberId(value: UintLike, field: string): bigint {
  return toOperatorId(value, field, 0n);
}

/** An amount of money: a bigint, `0` to `max` (default `uint256` max). */
export function toAmount(value: bigint, field: string, max: bigint = UINT256_MAX): bigint {
  if (typeof value !== "bigint") {
    throw new InvalidArgumentError("must be a bigint amount in token base units", { field, value });
  }
  if (value < 0n || value > max) throw new InvalidArgumentError(`must be 0 to ${max}`, { field, value });
  return value;
}

/** A signed amount: a bigint within `[min, max]`. */
export function toSigned(value: bigint, field: string, min: bigint, max: bigint): bigint {
  if (typeof value !== "bigint") throw new InvalidArgumentError("must be a bigint", { field, value });
  if (value < min || value > max) throw new InvalidArgumentError(`must be ${min} to ${max}`, { field, value });
  return value;
}

/** An unsigned integer of `bits` bits: a bigint or a safe-integer number. */
export const toUintN = toUint;

/** A token key: a non-empty string (normally the token's checksummed address). */
export function toTokenKey(value: string, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidArgumentError("must be a non-empty string (the token's address)", { field, value });
  }
  return value;
}

/** A `bytes32` reference, lower-cased; undefined gives {@link ZERO_REF}. */
export function toRef(value: string | undefined, field: string): string {
  if (value === undefined) return ZERO_REF;
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw new InvalidArgumentError("must be a bytes32 (0x and 64 hex digits)", { field, value });
  }
  return value.toLowerCase();
}

/** A non-null object. */
export function requireRecord(value: unknown, field: string): void {
  if (typeof value !== "object" || value === null)
    throw new InvalidArgumentError("must be an object", { field, value });
}

/** An optional boolean. */
export function toBool(value: boolean | undefined, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new InvalidArgumentError("must be a boolean", { field, value });
  return value;
}

/** An optional token decimals figure (`uint8`). */
export function toDecimals(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0 || value > 255) {
    throw new InvalidArgumentError("must be an integer, 0 to 255", { field, value });
  }
  return value;
}
