/**
 * The one way the SDK's clients send a built transaction (internal): through the client's runner, waiting for the
 * receipt, with reverts decoded into typed errors.
 */
import type { ContractRunner, Overrides, TransactionReceipt, TransactionRequest } from "ethers";

import { SignerRequiredError, withDecodedErrors } from "../errors";
import type { BuiltTransaction } from "./registry";

/** Decodes a rejection of `operation` into a typed error (the suite's decoder by default). */
export type RevertDecoder = <T>(operation: () => Promise<T>) => Promise<T>;

/**
 * Sends `tx` (with `overrides`) through `runner` and waits for its receipt.
 * @throws SignerRequiredError when the runner cannot send transactions; the decoded revert when the call fails.
 */
export async function sendBuilt(
  runner: ContractRunner | null,
  action: string,
  tx: BuiltTransaction,
  overrides: Overrides = {},
  decode: RevertDecoder = withDecodedErrors,
): Promise<TransactionReceipt> {
  const sendTransaction = runner?.sendTransaction;
  if (runner === null || typeof sendTransaction !== "function") throw new SignerRequiredError(action);
  const request: TransactionRequest = { ...overrides, ...tx };
  const response = await decode(() => sendTransaction.call(runner, request));
  const receipt = await decode(() => response.wait());
  if (receipt === null) throw new Error(`${action}: transaction ${response.hash} has no receipt`);
  return receipt;
}

/** Call overrides reading at `blockTag` (none: the latest block). */
export function atBlock(blockTag: number | string | undefined): { blockTag?: number | string } {
  return blockTag === undefined ? {} : { blockTag };
}
