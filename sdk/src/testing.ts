/**
 * `@roamledger/sdk/testing`: test tooling, kept out of the application entry points. A deterministic generator of
 * synthetic CDRs (seeded, with injected duplicates, phantom records and records out of their period, and the truth of
 * what was injected) for tests, demos and benchmarks; write its records with the CDR writers of the main entry
 * (`cdrCsvLine`, `writeCdrCsv`, ...).
 *
 * Pure: browser-safe.
 *
 * @packageDocumentation
 */
export * from "./cdr/synthetic";
