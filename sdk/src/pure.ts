/**
 * `@roamledger/sdk/pure`: the provider-free modules only — no client, no network access, no Node-only API. They run
 * in browsers, workers and Node alike, with ethers, viem or neither: they import no chain library (hashing, ABI and
 * EIP-712 encoding are the SDK's own, on `@noble/hashes`; `test/sdk/pure-imports.test.ts` walks their imports).
 *
 * Governance role ids, TADIG codes, typed errors and revert decoding, the exact rating engine and the BWRP adapter,
 * EIP-712 typed data, netting previews, CDR ingestion (streams), Merkle batches, reconciliation, capacity terms and
 * deployment addresses by chain id.
 *
 * @packageDocumentation
 */
export * from "./governance";
export * from "./tadig";
export * from "./errors";
export * from "./rating";
export * from "./typedData/agreements";
export * from "./typedData/clearing";
export * from "./netting";
export * from "./cdr";
export * from "./merkle";
export * from "./reconcile";
export * from "./capacity";
export * from "./deployments";
