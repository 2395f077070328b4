/**
 * GSMA TADIG codes, as the contracts store them: 5 bytes of ASCII (`bytes5`), 3 upper-case letters (the ISO 3166
 * alpha-3 country code) followed by 2 upper-case letters or digits, e.g. `DEUD1`, `GBRCN`.
 *
 * Mirrors `contracts/libraries/Tadig.sol` exactly: nothing is normalised, so lower-case, padding and non-ASCII
 * characters are rejected here just as the contract rejects them. Pure: runs in browsers as well as Node.
 */
import { InvalidArgumentError } from "./errors";

/** A well-formed TADIG code: `[A-Z]{3}[A-Z0-9]{2}`. */
export const TADIG_PATTERN = /^[A-Z]{3}[A-Z0-9]{2}$/;

/** The length of a TADIG code, in characters and in bytes. */
export const TADIG_LENGTH = 5;

const BYTES5_HEX = /^0x[0-9a-fA-F]{10}$/;

/** A TADIG code (or its `bytes5` encoding) that is not well-formed. */
export class InvalidTadigError extends InvalidArgumentError {
  override name: string = "InvalidTadigError";

  constructor(value: unknown, field?: string, reason = "not a TADIG code ([A-Z]{3}[A-Z0-9]{2})") {
    super(reason, { field, value });
  }
}

/** Whether `value` is a well-formed TADIG code (a string; no trimming, no case folding). */
export function isTadig(value: unknown): value is string {
  return typeof value === "string" && TADIG_PATTERN.test(value);
}

/**
 * Whether 5 bytes hold a well-formed TADIG code: byte for byte the rule of `Tadig.isValid(bytes5)`.
 *
 * @param value `0x` followed by exactly 10 hex digits, or a `Uint8Array` of length 5. Anything else is `false`.
 */
export function isTadigBytes(value: string | Uint8Array): boolean {
  let bytes: Uint8Array;
  if (typeof value === "string") {
    if (!BYTES5_HEX.test(value)) return false;
    bytes = hexToBytes(value);
  } else if (value instanceof Uint8Array && value.length === TADIG_LENGTH) {
    bytes = value;
  } else {
    return false;
  }
  for (let i = 0; i < TADIG_LENGTH; ++i) {
    const c = bytes[i];
    const upper = c >= 0x41 && c <= 0x5a; // A-Z
    if (i < 3) {
      if (!upper) return false;
    } else if (!upper && !(c >= 0x30 && c <= 0x39)) {
      // 0-9
      return false;
    }
  }
  return true;
}

/**
 * Encodes a TADIG code as the contracts' `bytes5`.
 *
 * @param code E.g. `"DEUD1"`.
 * @param field The name of the parameter being encoded, for the error message.
 * @returns `0x` and 10 lower-case hex digits, e.g. `"0x4445554431"`.
 * @throws InvalidTadigError if `code` is not well-formed (lower-case is not accepted).
 */
export function encodeTadig(code: string, field?: string): string {
  if (!isTadig(code)) throw new InvalidTadigError(code, field, whyNotTadig(code));
  let hex = "0x";
  for (let i = 0; i < TADIG_LENGTH; ++i) hex += code.charCodeAt(i).toString(16).padStart(2, "0");
  return hex;
}

/**
 * Decodes a `bytes5` read from a contract into its TADIG code.
 *
 * @param hex `0x` followed by exactly 10 hex digits (either case).
 * @param field The name of the parameter being decoded, for the error message.
 * @throws InvalidTadigError if `hex` is not 5 bytes or does not hold a well-formed code.
 */
export function decodeTadig(hex: string, field?: string): string {
  if (typeof hex !== "string" || !BYTES5_HEX.test(hex)) {
    throw new InvalidTadigError(hex, field, "not a bytes5 value (0x and 10 hex digits)");
  }
  if (!isTadigBytes(hex)) throw new InvalidTadigError(hex, field, "does not hold a TADIG code ([A-Z]{3}[A-Z0-9]{2})");
  return String.fromCharCode(...hexToBytes(hex));
}

/**
 * Encodes a list of TADIG codes (see {@link encodeTadig}).
 *
 * @param field The name of the list parameter; an error names the element, e.g. `"tadigs[2]"`.
 */
export function encodeTadigs(codes: readonly string[], field = "tadigs"): string[] {
  if (!Array.isArray(codes)) throw new InvalidArgumentError("must be an array of TADIG codes", { field, value: codes });
  return codes.map((code, i) => encodeTadig(code, `${field}[${i}]`));
}

function whyNotTadig(code: unknown): string {
  if (typeof code !== "string") return "must be a string";
  if (code.length !== TADIG_LENGTH) return `must be ${TADIG_LENGTH} characters ([A-Z]{3}[A-Z0-9]{2})`;
  if (/^[A-Za-z]{3}[A-Za-z0-9]{2}$/.test(code)) {
    return "must be upper-case ([A-Z]{3}[A-Z0-9]{2})";
  }
  return "not a TADIG code ([A-Z]{3}[A-Z0-9]{2})";
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; ++i) bytes[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}
