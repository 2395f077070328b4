/**
 * `@roamledger/sdk/node`: the Node-only helpers (file system access), kept out of the browser-safe entry points.
 *
 * - CDR files: {@link ingestCdrFile} and friends (streaming a file from disk).
 * - Deployments: {@link loadDeployment} reads `deploy/deployments/<deployment id>/deployed_addresses.json`.
 *
 * @packageDocumentation
 */
export * from "./cdr/node";
export * from "./deployments/node";
