/**
 * How the CLI classifies failures into exit codes, and the errors it throws itself.
 *
 * | code | kind         | when                                                                                  |
 * | ---- | ------------ | ------------------------------------------------------------------------------------- |
 * | 0    |              | success                                                                               |
 * | 1    | `user`       | a bad flag, argument or file (`InvalidArgumentError`, `CdrFileError`), no key given    |
 * | 2    | `chain`      | a revert (decoded to the contract error's name and arguments) or a failed transaction |
 * | 3    | `connection` | the RPC cannot be reached, or no deployment is known for its chain                    |
 * | 4    | `internal`   | anything else (a bug: please report it)                                               |
 */
import {
  CdrFileError,
  InvalidArgumentError,
  RoamLedgerContractError,
  SignerRequiredError,
  decodeRoamLedgerError,
} from "@roamledger/sdk";

export const EXIT = { ok: 0, user: 1, chain: 2, connection: 3, internal: 4 } as const;
export type ErrorKind = "user" | "chain" | "connection" | "internal";

/** The exit-code table as printed at the end of every `--help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  user error: bad flag, argument or file content (the message names the field or line), missing key
  2  chain error: the transaction reverted (decoded contract error name and arguments) or failed
  3  connection or configuration error: RPC unreachable, no deployment known for the chain
  4  internal error (a bug)
With --json, an error is printed on stdout as {"ok":false,"error":{"kind","name","message","field"?,"args"?}}.`;

/** A user error found by the CLI itself (bad flag value, missing key, unreadable file...). */
export class CliUserError extends Error {
  override name = "CliUserError";
  readonly field: string | undefined;
  /** What the error is about, for machines (`error.args` with `--json`). */
  readonly args: Record<string, unknown> | undefined;
  constructor(message: string, field?: string, args?: Record<string, unknown>) {
    super(message);
    this.field = field;
    this.args = args;
  }
}

/** A CDR file holding a record id twice: refused unless `--allow-duplicates` (the partner could prove it as fraud). */
export class DuplicateRecordsError extends CliUserError {
  override name = "DuplicateRecordsError";
}

/** The RPC cannot be reached, or the deployment of its chain is unknown. */
export class CliConnectionError extends Error {
  override name = "CliConnectionError";
}

/** A transaction that was mined but failed, or could not be sent (nonce, funds...). */
export class CliChainError extends Error {
  override name = "CliChainError";
}

/** What an error becomes on the way out: its kind, exit code and JSON shape. */
export interface ClassifiedError {
  kind: ErrorKind;
  code: number;
  name: string;
  message: string;
  field?: string;
  args?: Record<string, unknown>;
  /** For an invalid CDR file: every issue (line, field, reason). */
  issues?: readonly { line: number; field: string; reason: string; value?: unknown }[];
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT", "EAI_AGAIN"]);
const CHAIN_CODES = new Set([
  "CALL_EXCEPTION",
  "INSUFFICIENT_FUNDS",
  "NONCE_EXPIRED",
  "REPLACEMENT_UNDERPRICED",
  "TRANSACTION_REPLACED",
  "UNPREDICTABLE_GAS_LIMIT",
  "ACTION_REJECTED",
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Classifies any thrown value. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof CdrFileError) {
    return {
      kind: "user",
      code: EXIT.user,
      name: error.name,
      message: error.message,
      field: error.issues[0]?.field,
      issues: error.issues.map((i) => ({ line: i.line, field: i.field, reason: i.reason, value: i.value })),
    };
  }
  if (error instanceof CliUserError && error.args !== undefined) {
    const { name, message, field, args } = error;
    return { kind: "user", code: EXIT.user, name, message, field, args };
  }
  if (error instanceof InvalidArgumentError || error instanceof CliUserError) {
    return { kind: "user", code: EXIT.user, name: error.name, message: error.message, field: error.field };
  }
  if (error instanceof SignerRequiredError) {
    return { kind: "user", code: EXIT.user, name: error.name, message: error.message };
  }
  if (error instanceof CliConnectionError) {
    return { kind: "connection", code: EXIT.connection, name: error.name, message: error.message };
  }
  const decoded = error instanceof RoamLedgerContractError ? error : decodeRoamLedgerError(error);
  if (decoded !== undefined) {
    return {
      kind: "chain",
      code: EXIT.chain,
      name: decoded.name,
      message: decoded.message,
      args: { ...decoded.args },
    };
  }
  if (error instanceof CliChainError) {
    return { kind: "chain", code: EXIT.chain, name: error.name, message: error.message };
  }
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : "Error";
  if (code !== undefined && (CONNECTION_CODES.has(code) || code === "NETWORK_ERROR" || code === "TIMEOUT")) {
    return { kind: "connection", code: EXIT.connection, name: code, message };
  }
  if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
    return { kind: "user", code: EXIT.user, name: code, message };
  }
  if (code !== undefined && CHAIN_CODES.has(code)) {
    return { kind: "chain", code: EXIT.chain, name: code, message: shortEthersMessage(message) };
  }
  return { kind: "internal", code: EXIT.internal, name, message };
}

/** The first line of an ethers message, without its appended JSON diagnostics. */
function shortEthersMessage(message: string): string {
  return message.split(" (")[0];
}
