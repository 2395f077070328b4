/**
 * The error of an invalid CDR file, and how its issues are written. Pure: browser-safe.
 */
import type { CdrValidationIssue, IngestResult } from "./types";

/** How many issues a {@link CdrFileError}'s message lists before "and N more". */
export const ISSUES_IN_MESSAGE = 5;

/**
 * One issue as a line of text: `line 7, field rawVolume: must be a non-negative integer (got "-3")`; for an element
 * of a JSON array `record 3 (line 7), field ...`. A missing value (`undefined`) shows no "got" part.
 */
export function formatCdrIssue(issue: CdrValidationIssue): string {
  const where =
    issue.recordNumber === undefined ? `line ${issue.line}` : `record ${issue.recordNumber} (line ${issue.line})`;
  const got = issue.value === undefined ? "" : ` (got ${describeValue(issue.value)})`;
  return `${where}, field ${issue.field}: ${issue.reason}${got}`;
}

/** A CDR file with at least one issue: nothing of it may be submitted. */
export class CdrFileError extends Error {
  override name: string = "CdrFileError";
  /** Every issue found (at most the ingestion's `maxErrors`). */
  readonly issues: readonly CdrValidationIssue[];
  /** True when the ingestion stopped at `maxErrors` (there may be more issues). */
  readonly truncated: boolean;

  /**
   * @param issues The issues, in file order (at least one).
   * @param truncated Whether the ingestion stopped early.
   */
  constructor(issues: readonly CdrValidationIssue[], truncated = false) {
    const shown = issues.slice(0, ISSUES_IN_MESSAGE).map(formatCdrIssue);
    const more = issues.length - shown.length;
    const tail = more > 0 ? `; and ${more} more${truncated ? " (stopped at maxErrors)" : ""}` : "";
    const count = `${issues.length}${truncated ? "+" : ""} issue${issues.length === 1 ? "" : "s"}`;
    super(`invalid CDR file, ${count}: ${shown.join("; ")}${tail}`);
    this.issues = Object.freeze([...issues]);
    this.truncated = truncated;
  }
}

/** Whether `error` is a {@link CdrFileError}. */
export function isCdrFileError(error: unknown): error is CdrFileError {
  return error instanceof CdrFileError;
}

/**
 * Throws a {@link CdrFileError} listing the result's issues unless the ingestion found none.
 *
 * @returns The result, for chaining.
 */
export function assertValidCdrs<T extends Pick<IngestResult, "ok" | "errors" | "truncated">>(result: T): T {
  if (!result.ok) throw new CdrFileError(result.errors, result.truncated);
  return result;
}

/** A value as the issue messages show it: strings quoted, bigints with `n`, objects by kind. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}
