/**
 * The options of an ingestion, checked once before anything is read (shared by `ingestCdrs` and the fast CSV path).
 * Internal: not re-exported from the package.
 */
import { InvalidArgumentError } from "../errors";
import { validateTariff } from "../rating/engine";
import { UINT64_MAX, type Service } from "../rating/types";
import { toBytes32, toInteger } from "../validation";
import type { IngestOptions, TimeWindow } from "./types";

/** The default of {@link IngestOptions.maxErrors}. */
export const DEFAULT_MAX_ERRORS = 100;

/** Options once checked. */
export interface Context {
  readonly agreementId: string;
  readonly sharedSecret: string;
  readonly validFrom: bigint;
  readonly periodLength: bigint;
  readonly validUntil: bigint | undefined;
  readonly increments: ReadonlyMap<Service, bigint>;
  readonly maxErrors: number;
  readonly batchPeriod: TimeWindow | undefined;
  readonly allowExtraFields: boolean;
}

/** Checks the options; throws an InvalidArgumentError (or the tariff's RatingError) before anything is read. */
export function checkOptions(options: IngestOptions): Context {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("must be an object", { field: "options", value: options });
  }
  const agreementId = toBytes32(options.agreementId, "agreementId");
  const sharedSecret = toBytes32(options.sharedSecret, "sharedSecret");
  if (options.direction !== 0 && options.direction !== 1) {
    throw new InvalidArgumentError("must be 0 or 1", { field: "direction", value: options.direction });
  }
  const validFrom = bigintField(options.validFrom, "validFrom", 0n, UINT64_MAX);
  const periodLength = bigintField(options.periodLength, "periodLength", 1n, UINT64_MAX);
  const validUntil =
    options.validUntil === undefined
      ? undefined
      : bigintField(options.validUntil, "validUntil", validFrom + 1n, UINT64_MAX + 1n);
  validateTariff(options.tariff);
  const increments = new Map<Service, bigint>();
  for (const plan of options.tariff.plans) increments.set(plan.service, BigInt(plan.increment));
  const maxErrors =
    options.maxErrors === undefined
      ? DEFAULT_MAX_ERRORS
      : Number(toInteger(options.maxErrors, "maxErrors", 1n, BigInt(Number.MAX_SAFE_INTEGER)));
  let batchPeriod: TimeWindow | undefined;
  if (options.batchPeriod !== undefined) {
    const start = bigintField(options.batchPeriod.start, "batchPeriod.start", 0n, UINT64_MAX);
    const end = bigintField(options.batchPeriod.end, "batchPeriod.end", start + 1n, UINT64_MAX + 1n);
    batchPeriod = { start, end };
  }
  return {
    agreementId,
    sharedSecret,
    validFrom,
    periodLength,
    validUntil,
    increments,
    maxErrors,
    batchPeriod,
    allowExtraFields: options.allowExtraFields === true,
  };
}

function bigintField(value: unknown, field: string, min: bigint, max: bigint): bigint {
  if (typeof value !== "bigint") throw new InvalidArgumentError("must be a bigint", { field, value });
  if (value < min || value > max) throw new InvalidArgumentError(`must be ${min} to ${max}`, { field, value });
  return value;
}
