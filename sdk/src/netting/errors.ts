/**
 * The errors of the netting preview: what the `SettlementVault` would revert with.
 *
 * `code` is the Solidity error's name, e.g. `"SettlementVault_InsufficientFreeBalance"`, and `args` its arguments in
 * declaration order: `bigint` for integers and the token's key (the string the preview was given, normally the token
 * address) for an `IERC20`. The same names and argument orders as the contract's ABI, so a preview error can be
 * compared with a decoded revert one to one.
 *
 * Pure: no chain I/O, no Node-only API.
 */

/** The errors the preview can raise, with their parameters in declaration order (as in the contract's ABI). */
export const NETTING_ERRORS = {
  SettlementVault_TokenNotAllowed: [["token", "address"]],
  SettlementVault_TokenAlreadyAllowed: [["token", "address"]],
  SettlementVault_UnsupportedDecimals: [
    ["token", "address"],
    ["decimals", "uint8"],
  ],
  SettlementVault_ZeroCycleLength: [],
  SettlementVault_CycleNotEnded: [
    ["token", "address"],
    ["openEnd", "uint40"],
  ],
  SettlementVault_UnknownOperator: [["operatorId", "uint32"]],
  SettlementVault_ZeroAmount: [],
  SettlementVault_AmountTooLarge: [["amount", "uint256"]],
  SettlementVault_SelfObligation: [["operatorId", "uint32"]],
  SettlementVault_InsufficientFreeBalance: [
    ["operatorId", "uint32"],
    ["token", "address"],
    ["free", "uint256"],
    ["amount", "uint256"],
  ],
  SettlementVault_QueueFull: [
    ["payer", "uint32"],
    ["token", "address"],
  ],
  SettlementVault_ZeroCount: [],
  SettlementVault_FutureCycle: [
    ["token", "address"],
    ["cycle", "uint32"],
    ["current", "uint32"],
  ],
  /** OpenZeppelin `Pausable`: the vault is paused. */
  EnforcedPause: [],
  /** OpenZeppelin `Pausable`: `unpause` while not paused. */
  ExpectedPause: [],
  /** OpenZeppelin `SafeCast` (only reachable with amounts near the storage bounds). */
  SafeCastOverflowedUintDowncast: [
    ["bits", "uint8"],
    ["value", "uint256"],
  ],
  SafeCastOverflowedIntDowncast: [
    ["bits", "uint8"],
    ["value", "int256"],
  ],
  /** Solidity's checked arithmetic: `0x11` (overflow or underflow). */
  Panic: [["code", "uint256"]],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

/** The name of an error the preview can raise (the Solidity error's name). */
export type NettingErrorCode = keyof typeof NETTING_ERRORS;

/** One argument of a {@link NettingError}: an integer, or a token key for an `address` parameter. */
export type NettingErrorArg = bigint | string;

/** What the `SettlementVault` would revert with, raised by the netting preview. */
export class NettingError extends Error {
  override name: string = "NettingError";
  /** The Solidity error's name, e.g. `"SettlementVault_InsufficientFreeBalance"`. */
  readonly code: NettingErrorCode;
  /** The error's arguments in declaration order. */
  readonly args: readonly NettingErrorArg[];

  constructor(code: NettingErrorCode, args: readonly NettingErrorArg[] = []) {
    const params: readonly (readonly [string, string])[] = NETTING_ERRORS[code];
    const shown = args.map((arg, i) => {
      const label = params[i]?.[0] ?? "?";
      return `${label}: ${code === "Panic" && typeof arg === "bigint" ? `0x${arg.toString(16)}` : String(arg)}`;
    });
    super(`${code}(${shown.join(", ")})`);
    this.code = code;
    this.args = Object.freeze([...args]);
  }

  /** The Solidity signature, e.g. `"SettlementVault_QueueFull(uint32,address)"`. */
  get signature(): string {
    const params: readonly (readonly [string, string])[] = NETTING_ERRORS[this.code];
    return `${this.code}(${params.map(([, type]) => type).join(",")})`;
  }

  /** The arguments by parameter name, e.g. `{ operatorId: 1n, token: "0x…", free: 70n, amount: 100n }`. */
  get namedArgs(): Readonly<Record<string, NettingErrorArg>> {
    const params: readonly (readonly [string, string])[] = NETTING_ERRORS[this.code];
    const out: Record<string, NettingErrorArg> = {};
    params.forEach(([name], i) => {
      const arg = this.args[i];
      if (arg !== undefined) out[name] = arg;
    });
    return Object.freeze(out);
  }
}

/** Whether `error` is a {@link NettingError}, optionally with the given code. */
export function isNettingError(error: unknown, code?: NettingErrorCode): error is NettingError {
  return error instanceof NettingError && (code === undefined || error.code === code);
}

/** Solidity's panic code for checked arithmetic that overflows or underflows. */
export const NETTING_PANIC_ARITHMETIC = 0x11n;
