/**
 * The rating engine's TypeScript twin (`contracts/libraries/Rating.sol`) and the GSMA BWRP JSON adapter.
 *
 * Pure: no chain I/O, no Node-only API, no floating point.
 */
export * from "./types";
export * from "./engine";
export * from "./batch";
export * from "./bwrp";
export * from "./tariff";
