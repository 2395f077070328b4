/**
 * The SDK's transaction builders (`client.build.*` of the ethers clients) return `{ to, data, value }`; viem wants
 * `0x`-typed fields. {@link toViemRequest} converts one, validated.
 */
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";

import { InvalidArgumentError } from "../errors";

/** A built transaction as the SDK's builders return it (structurally: `BuiltTransaction`). */
export interface BuiltTransactionLike {
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
}

/** The fields of a viem `sendTransaction` (or `prepareTransactionRequest`) request a built transaction fixes. */
export interface ViemTransactionRequest {
  to: Address;
  data: Hex;
  value: bigint;
}

/**
 * A built transaction (e.g. `new VaultClient(address).build.withdraw(...)`) as a viem request:
 * `walletClient.sendTransaction({ ...toViemRequest(built), account })`.
 *
 * @throws InvalidArgumentError naming `to`, `data` or `value` when malformed.
 */
export function toViemRequest(built: BuiltTransactionLike): ViemTransactionRequest {
  if (typeof built !== "object" || built === null) {
    throw new InvalidArgumentError("must be a built transaction { to, data, value }", { field: "built", value: built });
  }
  if (typeof built.to !== "string" || !isAddress(built.to, { strict: false })) {
    throw new InvalidArgumentError("must be an address", { field: "to", value: built.to });
  }
  if (typeof built.data !== "string" || !isHex(built.data, { strict: true }) || built.data.length % 2 !== 0) {
    throw new InvalidArgumentError("must be 0x-prefixed hex bytes", { field: "data", value: built.data });
  }
  if (typeof built.value !== "bigint" || built.value < 0n) {
    throw new InvalidArgumentError("must be a non-negative bigint", { field: "value", value: built.value });
  }
  return { to: getAddress(built.to), data: built.data.toLowerCase() as Hex, value: built.value };
}
