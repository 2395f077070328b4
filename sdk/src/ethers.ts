/**
 * `@roamledger/sdk/ethers`: the same as `@roamledger/sdk` (the ethers v6 entry point), under an explicit name.
 *
 * @packageDocumentation
 */
export * from "./index";
