/**
 * The SDK's own encoding toolkit (internal, not public API): Keccak-256, hex and UTF-8, checksummed addresses, ABI
 * encoding, EIP-712 hashing and signer recovery, on `@noble/hashes` only, so that the pure modules import no chain
 * library (`ethers` and `viem` are optional peers). Each function is differential-tested against its `ethers`
 * counterpart (`test/sdk/encoding.differential.test.ts`). Pure: browser-safe.
 */
export * from "./bytes";
export * from "./address";
export * from "./abi";
export * from "./typedData";
export * from "./secp256k1";
