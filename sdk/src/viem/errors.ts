/**
 * Reverts seen through viem, decoded into the SDK's typed errors: the same {@link RoamLedgerContractError} (by error
 * name) that ethers users get from the clients, so that error handling does not depend on the library.
 */
import { BaseError, ContractFunctionRevertedError } from "viem";

import { ErrorDecoder, RoamLedgerContractError, SUITE_ERROR_SOURCES, type ErrorAbiSource } from "../errors";
import { ERC20Permit__factory } from "../typechain/factories/@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit__factory";
import { IERC20Errors__factory } from "../typechain/factories/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC20Errors__factory";
import { IERC1155Errors__factory } from "../typechain/factories/@openzeppelin/contracts/interfaces/draft-IERC6093.sol/IERC1155Errors__factory";

/**
 * The ABIs {@link decodeRoamLedgerRevert} knows by default: the suite's ({@link SUITE_ERROR_SOURCES}) plus the ERC-20,
 * ERC-2612 and ERC-1155 errors its vault, capacity token and market bubble up.
 */
export const VIEM_ERROR_SOURCES: readonly ErrorAbiSource[] = [
  ...SUITE_ERROR_SOURCES,
  { contract: "IERC20Errors", abi: IERC20Errors__factory.abi },
  { contract: "ERC20Permit", abi: ERC20Permit__factory.abi },
  { contract: "IERC1155Errors", abi: IERC1155Errors__factory.abi },
];

let defaultDecoder: ErrorDecoder | undefined;

/** The decoder of {@link VIEM_ERROR_SOURCES}, built on first use. */
export function viemErrorDecoder(): ErrorDecoder {
  defaultDecoder ??= new ErrorDecoder(VIEM_ERROR_SOURCES);
  return defaultDecoder;
}

/**
 * Decodes a revert into a {@link RoamLedgerContractError}, by the Solidity error's name.
 *
 * @param errorOrData What viem threw (a `ContractFunctionExecutionError` wrapping a `ContractFunctionRevertedError`,
 *   a `CallExecutionError`, a `TransactionExecutionError`...: the revert data is looked for along the `cause` chain),
 *   or raw revert data (hex).
 * @param decoder The ABIs to decode with (default {@link viemErrorDecoder}).
 * @returns The decoded error, with the viem error as its `cause`; undefined when no revert data the ABIs know is found.
 */
export function decodeRoamLedgerRevert(
  errorOrData: unknown,
  decoder: ErrorDecoder = viemErrorDecoder(),
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
  decoder: ErrorDecoder = viemErrorDecoder(),
): Promise<T> {
  try {
    return await (typeof operation === "function" ? operation() : operation);
  } catch (error) {
    throw decodeRoamLedgerRevert(error, decoder) ?? error;
  }
}
