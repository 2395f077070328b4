/**
 * JSON files of the CLI (tariffs, terms, signed offers, vouchers): integers are exact. On output every bigint becomes
 * a decimal string; on input a string of digits becomes a bigint, and a JSON number that is not a safe integer is
 * refused (write large integers as strings: `"50000000000000000"`), so no amount ever passes through floating point.
 */
import { readFileSync, writeFileSync } from "node:fs";

import { CliUserError } from "./errors";

/** `JSON.stringify` with bigints as decimal strings (and `indent` spaces). */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), indent);
}

/** Parses JSON text exactly (see the module's comment); `what` names the input in errors. */
export function parseJsonExact(text: string, what: string): unknown {
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (typeof value === "number" && !Number.isSafeInteger(value)) {
        throw new CliUserError(
          `${what}: ${key === "" ? "value" : `"${key}"`} is ${value}: write amounts and large integers as decimal strings (no floating point)`,
          key,
        );
      }
      if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return BigInt(value);
      return value;
    }) as unknown;
  } catch (error) {
    if (error instanceof CliUserError) throw error;
    throw new CliUserError(`${what}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads and parses a JSON file exactly. */
export function readJsonFile(path: string, what = path): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliUserError(
      `${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      "file",
    );
  }
  return parseJsonExact(text, what);
}

/** Writes `value` as JSON (bigints as strings). */
export function writeJsonFile(path: string, value: unknown): void {
  writeFileSync(path, toJson(value) + "\n");
}

/** `value` as an object, or a user error naming `what`. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliUserError(`${what}: must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
