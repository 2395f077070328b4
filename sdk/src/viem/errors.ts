/**
 * Reverts seen through viem, decoded into the SDK's typed errors: the same {@link RoamLedgerContractError} (by error
 * name) that ethers users get from the clients, so that error handling does not depend on the library.
 */
import { BaseError, ContractFunctionRevertedError } from "viem";

import { ErrorDecoder, RoamLedgerContractError, suiteErrorDecoder } from "../errors";

/**
 * Decodes a revert into a {@link RoamLedgerContractError}, by the Solidity error's name.
 *
 * @param errorOrData What viem threw (a `ContractFunctionExecutionError` wrapping a `ContractFunctionRevertedError`,
 *   a `CallExecutionError`, a `TransactionExecutionError`...: the revert data is looked for along the `cause` chain),
 *   or raw revert data (hex).
 * @param decoder The ABIs to decode with (default: the SDK's one decoder, `suiteErrorDecoder`).
 * @returns The decoded error, with the viem error as its `cause`; undefined when no revert data the ABIs know is found.
 */
export function decodeRoamLedgerRevert(
  errorOrData: unknown,
  decoder: ErrorDecoder = suiteErrorDecoder(),
): RoamLedgerContractError | undefined {
  if (errorOrData instanceof RoamLedgerContractError) return errorOrData;
  if (errorOrData instanceof BaseError) {
    const reverted = errorOrData.walk((e) => e instanceof ContractFunctionRevertedError);
    const raw = reverted instanceof ContractFunctionRevertedError ? reverted.raw : undefined;
    if (raw !== undefined) {
      const decoded = decoder.decode(raw);
      if (decoded !== undefined) {
        decoded.cause = errorOrData;
        return decoded;
      }
    }
  }
  return decoder.decode(errorOrData);
}

/**
 * Awaits `operation` and, if it rejects with a revert {@link decodeRoamLedgerRevert} knows, rethrows it as a
 * {@link RoamLedgerContractError}; any other rejection is rethrown as is.
 *
 * @example
 * ```ts
 * await withDecodedRevert(() => walletClient.writeContract({ address, abi: settlementVaultAbi, functionName: "withdraw", args }));
 * ```
 */
export async function withDecodedRevert<T>(
  operation: Promise<T> | (() => Promise<T>),
  decoder: ErrorDecoder = suiteErrorDecoder(),
): Promise<T> {
  try {
    return await (typeof operation === "function" ? operation() : operation);
  } catch (error) {
    throw decodeRoamLedgerRevert(error, decoder) ?? error;
  }
}
