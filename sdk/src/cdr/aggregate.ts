/**
 * Aggregation of records into a batch's per-service totals (the header's `services`, `volumes`, `recordCounts` and
 * `taxes`). Pure: browser-safe.
 */
import { InvalidArgumentError } from "../errors";
import { SERVICE_COUNT, type Service } from "../rating/types";
import type { BatchTotals } from "./types";

/** What {@link aggregateRecords} reads of a record. */
export interface AggregatableRecord {
  readonly service: Service;
  /** The volume after rounding. */
  readonly chargedVolume: bigint;
  /** The record's tax (0 when absent). */
  readonly tax?: bigint;
}

/**
 * The per-service totals of `records`: for each service that appears (ascending id), the sum of `chargedVolume`, the
 * number of records and the sum of `tax`. Exact (bigint) sums, no bound checked.
 *
 * @throws InvalidArgumentError if a record's service is not a service id, or a volume or tax is not a non-negative
 *   bigint.
 */
export function aggregateRecords(records: Iterable<AggregatableRecord>): BatchTotals {
  const volumes = new Array<bigint>(SERVICE_COUNT).fill(0n);
  const counts = new Array<bigint>(SERVICE_COUNT).fill(0n);
  const taxes = new Array<bigint>(SERVICE_COUNT).fill(0n);
  let i = 0;
  for (const record of records) {
    const { service, chargedVolume } = record;
    const tax = record.tax ?? 0n;
    if (!Number.isInteger(service) || service < 0 || service >= SERVICE_COUNT) {
      throw new InvalidArgumentError("not a service id (0 to 8)", { field: `records[${i}].service`, value: service });
    }
    if (typeof chargedVolume !== "bigint" || chargedVolume < 0n) {
      throw new InvalidArgumentError("must be a non-negative bigint", {
        field: `records[${i}].chargedVolume`,
        value: chargedVolume,
      });
    }
    if (typeof tax !== "bigint" || tax < 0n) {
      throw new InvalidArgumentError("must be a non-negative bigint", { field: `records[${i}].tax`, value: tax });
    }
    volumes[service] += chargedVolume;
    counts[service] += 1n;
    taxes[service] += tax;
    i += 1;
  }
  const totals: BatchTotals = { services: [], volumes: [], recordCounts: [], taxes: [] };
  for (let s = 0; s < SERVICE_COUNT; ++s) {
    if (counts[s] === 0n) continue;
    totals.services.push(s as Service);
    totals.volumes.push(volumes[s]);
    totals.recordCounts.push(counts[s]);
    totals.taxes.push(taxes[s]);
  }
  return totals;
}

/** The sum of all services' taxes of `totals` (the batch header's single `taxes` figure, if it carries one). */
export function totalTaxes(totals: BatchTotals): bigint {
  return totals.taxes.reduce((sum, tax) => sum + tax, 0n);
}
