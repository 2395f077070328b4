/**
 * CDR files: the record model, streaming ingestion with validation (CSV, NDJSON, JSON array), rounding to the
 * tariff's increments, record leaves, aggregation into batch totals, and writers of CDR files (the synthetic
 * generator of tests and demos is in `@roamledger/sdk/testing`).
 *
 * Browser-safe. Reading files from disk is in `./node` (Node only, not re-exported here).
 */
export * from "./types";
export * from "./errors";
export * from "./fields";
export * from "./aggregate";
export * from "./ingest";
export * from "./writers";
export { CSV_REASONS } from "./csv";
export { JSON_REASONS } from "./json";
export { MAX_RECORD_CHARS } from "./text";
export * from "./batch";
export * from "./duplicates";
