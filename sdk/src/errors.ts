/**
 * Typed errors of the SDK, and decoding of contract reverts into them.
 *
 * Two families:
 * - {@link InvalidArgumentError} (and its subclasses, such as `InvalidTadigError`): bad input, thrown by the SDK
 *   *before* anything is sent, naming the offending field.
 * - {@link RoamLedgerContractError}: a revert of one of the suite's contracts, decoded from its custom error (e.g.
 *   `OperatorRegistry_TadigTaken`), or from the OpenZeppelin errors the suite inherits (e.g.
 *   `AccessManagedUnauthorized`).
 *
 * Pure: no chain library. The ABIs are the generated `as const` literals of `viem/abis.ts` (plain data), and revert
 * data is decoded with the SDK's own ABI decoder (`encoding/abi.ts`, differential-tested against ethers' `Interface`).
 */
import { abiDecode, canonicalType, fromJsonParam, id, toBytes, type AbiParam } from "./encoding";
import {
  capacityMarketAbi,
  capacityTokenAbi,
  operatorRegistryAbi,
  periodSettlementAbi,
  roamingAgreementsAbi,
  roamLedgerManagerAbi,
  tokenStandardErrorsAbi,
  settlementVaultAbi,
  usageChallengesAbi,
  usageClearingAbi,
} from "./viem/abis";

/*//////////////////////////////////////////////////////////////////////////
                                INPUT ERRORS
//////////////////////////////////////////////////////////////////////////*/

/** Bad input to the SDK, detected before anything is sent. `field` names the offending parameter, if known. */
export class InvalidArgumentError extends Error {
  override name: string = "InvalidArgumentError";
  /** The parameter that was rejected, e.g. `"admin"`, `"tadigs[2]"` (undefined when the caller did not say). */
  readonly field: string | undefined;
  /** The rejected value, as given. */
  readonly value: unknown;
  /** Why it was rejected, without the field name (e.g. `"not an address"`). */
  readonly reason: string;

  constructor(reason: string, options: { field?: string; value?: unknown; cause?: unknown } = {}) {
    const where = options.field === undefined ? "" : `${options.field}: `;
    super(`${where}${reason} (got ${describeValue(options.value)})`, { cause: options.cause });
    this.field = options.field;
    this.value = options.value;
    this.reason = reason;
  }
}

/** A write was attempted through a client whose runner cannot send transactions (a provider, or none). */
export class SignerRequiredError extends Error {
  override name: string = "SignerRequiredError";

  constructor(action: string) {
    super(`${action} sends a transaction: construct the client with a Signer (or use its transaction builders)`);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined || value === null || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/*//////////////////////////////////////////////////////////////////////////
                                CONTRACT ERRORS
//////////////////////////////////////////////////////////////////////////*/

/** A parameter of a JSON ABI fragment (structurally ethers' `JsonFragmentType`). */
export interface JsonFragmentType {
  readonly name?: string;
  readonly indexed?: boolean;
  readonly type?: string;
  readonly internalType?: string;
  readonly components?: readonly JsonFragmentType[];
}

/** A JSON ABI fragment, as the compiler writes it (structurally ethers' `JsonFragment`). */
export interface JsonFragment {
  readonly name?: string;
  readonly type?: string;
  readonly anonymous?: boolean;
  readonly payable?: boolean;
  readonly constant?: boolean;
  readonly stateMutability?: string;
  readonly inputs?: readonly JsonFragmentType[];
  readonly outputs?: readonly JsonFragmentType[];
  readonly gas?: string;
}

/** The ABI of one contract whose errors the decoder knows. */
export interface ErrorAbiSource {
  /** A label for the source, e.g. the contract name. */
  readonly contract: string;
  readonly abi: readonly JsonFragment[];
}

/**
 * The errors of OpenZeppelin's `AccessManaged` (every suite contract inherits them, so its ABI carries them too; the
 * source is kept for its label), taken by name from the generated `operatorRegistryAbi`. Equality with the TypeChain factory's is tested in `test/sdk/errors.test.ts`.
 */
const ACCESS_MANAGED_ERRORS: readonly JsonFragment[] = operatorRegistryAbi.filter(
  (fragment) => fragment.type === "error" && fragment.name.startsWith("AccessManaged"),
);

/**
 * The errors of the token standards the suite's contracts call into, which reach a caller as the token's revert: ERC-20
 * and ERC-1155 (ERC-6093, `IERC20Errors`, `IERC1155Errors`) and ERC-2612 permits (`ERC20Permit`, with its ECDSA, nonce
 * and short-string errors): `tokenStandardErrorsAbi`, generated from the OpenZeppelin artifacts with the suite's ABIs
 * (`viem/abis.ts`, `npm run abis`), not repeated here. Equality with the TypeChain factories' is tested in
 * `test/sdk/errors.test.ts`.
 */
export const TOKEN_STANDARD_ERRORS: readonly JsonFragment[] = tokenStandardErrorsAbi;

/**
 * Every contract of the suite whose custom errors {@link decodeRoamLedgerError} recognises. To teach the decoder a new
 * contract, append its ABI here (from `viem/abis.ts`, generated from the artifacts). Inherited OpenZeppelin errors (`AccessManaged*`,
 * `AccessManager*`, `SafeCast*`, `Address*`...) come with the ABIs that use them; the token standards' errors, which a
 * token raises inside a suite call, are {@link TOKEN_STANDARD_ERRORS}. This is the SDK's one decoder: the ethers
 * clients, the viem helpers and the CLI all decode with it.
 */
export const SUITE_ERROR_SOURCES: readonly ErrorAbiSource[] = [
  { contract: "OperatorRegistry", abi: operatorRegistryAbi },
  { contract: "RoamingAgreements", abi: roamingAgreementsAbi },
  { contract: "SettlementVault", abi: settlementVaultAbi },
  { contract: "UsageClearing", abi: usageClearingAbi },
  { contract: "UsageChallenges", abi: usageChallengesAbi },
  { contract: "PeriodSettlement", abi: periodSettlementAbi },
  { contract: "CapacityToken", abi: capacityTokenAbi },
  { contract: "CapacityMarket", abi: capacityMarketAbi },
  { contract: "RoamLedgerManager", abi: roamLedgerManagerAbi },
  { contract: "AccessManaged", abi: ACCESS_MANAGED_ERRORS },
  { contract: "ERC-20, ERC-1155 and ERC-2612 tokens", abi: TOKEN_STANDARD_ERRORS },
];

/** A decoded revert of one of the suite's contracts. `name` is the Solidity error's name. */
export class RoamLedgerContractError extends Error {
  /** The custom error's name, e.g. `"OperatorRegistry_TadigTaken"` (`"Error"` / `"Panic"` for the built-ins). */
  override name: string;
  /** The error's full signature, e.g. `"OperatorRegistry_TadigTaken(bytes5,uint32)"`. */
  readonly signature: string;
  /** The 4-byte selector, `0x`-prefixed. */
  readonly selector: string;
  /** The arguments by parameter name (unnamed parameters appear only in {@link positionalArgs}). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The arguments in declaration order. */
  readonly positionalArgs: readonly unknown[];
  /** The raw revert data, `0x`-prefixed. */
  readonly data: string;

  constructor(init: {
    name: string;
    signature: string;
    selector: string;
    args: Record<string, unknown>;
    positionalArgs: unknown[];
    data: string;
    /** The error's parameters in order, for the message (`name` may be empty). */
    params?: readonly { name: string; type: string }[];
    cause?: unknown;
  }) {
    const shown = init.positionalArgs.map((value, i) => {
      const param = init.params?.[i];
      const text = formatArg(value, param?.type);
      return param === undefined || param.name === "" ? text : `${param.name}: ${text}`;
    });
    super(`${init.name}(${shown.join(", ")})`, { cause: init.cause });
    this.name = init.name;
    this.signature = init.signature;
    this.selector = init.selector;
    this.args = Object.freeze({ ...init.args });
    this.positionalArgs = Object.freeze([...init.positionalArgs]);
    this.data = init.data;
  }
}

function formatArg(value: unknown, type?: string): string {
  if (typeof value === "string") return type === "string" ? JSON.stringify(value) : value;
  if (Array.isArray(value)) return `[${value.map((item) => formatArg(item)).join(", ")}]`;
  return String(value);
}

/** One error the decoder knows. */
interface KnownError {
  readonly name: string;
  /** `Name(type,...)`, as a selector is computed from. */
  readonly signature: string;
  /** `0x` and 8 lower-case hex digits. */
  readonly selector: string;
  readonly inputs: readonly AbiParam[];
}

function knownError(name: string, inputs: readonly AbiParam[]): KnownError {
  const signature = `${name}(${inputs.map(canonicalType).join(",")})`;
  return { name, signature, selector: id(signature).slice(0, 10), inputs };
}

/** The errors Solidity itself raises, which every decoder knows (as ethers' `Interface` does). */
const BUILTIN_ERRORS: ReadonlyMap<string, KnownError> = new Map(
  [
    knownError("Error", [fromJsonParam({ type: "string" })]),
    knownError("Panic", [fromJsonParam({ type: "uint256" })]),
  ].map((e) => [e.selector, e]),
);

/** Decodes revert data against a fixed set of ABIs. */
export class ErrorDecoder {
  readonly #errors = new Map<string, KnownError>();

  /** @param sources The ABIs to know (errors with the same selector are taken from the first source). */
  constructor(sources: readonly ErrorAbiSource[]) {
    for (const source of sources) {
      for (const fragment of source.abi) {
        if (fragment.type !== "error") continue;
        const inputs = (fragment.inputs ?? []).map(fromJsonParam);
        const error = knownError(fragment.name ?? "", inputs);
        if (!this.#errors.has(error.selector)) this.#errors.set(error.selector, error);
      }
    }
  }

  /** The errors this decoder knows, by signature (sorted as ethers' `Interface.forEachError` lists them). */
  get errorSignatures(): string[] {
    return [...this.#errors.values()].map((e) => e.signature).sort((a, b) => a.localeCompare(b));
  }

  /**
   * Decodes a revert. `errorOrData` may be revert data (a hex string) or an error thrown by ethers or by a provider
   * (its data is looked for in `data`, `error.data`, `info.error.data`, `cause`... and in a JSON-RPC `body`).
   * Returns undefined when no revert data is found or its selector is unknown.
   */
  decode(errorOrData: unknown): RoamLedgerContractError | undefined {
    if (errorOrData instanceof RoamLedgerContractError) return errorOrData;
    for (const data of findRevertData(errorOrData)) {
      const decoded = this.#decodeData(data, errorOrData);
      if (decoded !== undefined) return decoded;
    }
    return undefined;
  }

  #decodeData(data: string, cause: unknown): RoamLedgerContractError | undefined {
    const hex = data.toLowerCase();
    const selector = hex.slice(0, 10);
    const error = BUILTIN_ERRORS.get(selector) ?? this.#errors.get(selector);
    if (error === undefined) return undefined;
    let positional: unknown[];
    try {
      positional = abiDecode(error.inputs, toBytes(hex).subarray(4));
    } catch {
      return undefined; // a known selector but malformed arguments: not ours to interpret
    }
    const args: Record<string, unknown> = {};
    error.inputs.forEach((input, i) => {
      if (input.name !== "") args[input.name] = positional[i];
    });
    return new RoamLedgerContractError({
      name: error.name,
      signature: error.signature,
      selector: error.selector,
      args,
      positionalArgs: positional,
      data: hex,
      params: error.inputs.map((input) => ({ name: input.name, type: input.type })),
      cause: typeof cause === "string" ? undefined : cause,
    });
  }
}

const REVERT_DATA = /^0x(?:[0-9a-fA-F]{2}){4,}$/;
const NESTED_KEYS = ["data", "error", "info", "cause", "body"] as const;
const MAX_DEPTH = 6;

/** Every candidate revert data string inside `value`, outermost first. */
function findRevertData(value: unknown): string[] {
  const found: string[] = [];
  const visited = new Set<unknown>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || node === null || node === undefined) return;
    if (typeof node === "string") {
      if (REVERT_DATA.test(node)) {
        found.push(node);
      } else if (node.startsWith("{")) {
        // A JSON-RPC response body carried by a provider error.
        try {
          walk(JSON.parse(node) as unknown, depth + 1);
        } catch {
          // not JSON
        }
      }
      return;
    }
    if (typeof node !== "object" || visited.has(node)) return;
    visited.add(node);
    const record = node as Record<string, unknown>;
    for (const key of NESTED_KEYS) {
      if (key in record) walk(record[key], depth + 1);
    }
  };
  walk(value, 0);
  return found;
}

let defaultDecoder: ErrorDecoder | undefined;

/** The decoder for {@link SUITE_ERROR_SOURCES}, built on first use. */
export function suiteErrorDecoder(): ErrorDecoder {
  defaultDecoder ??= new ErrorDecoder(SUITE_ERROR_SOURCES);
  return defaultDecoder;
}

/**
 * Decodes a revert of one of the suite's contracts into a {@link RoamLedgerContractError}.
 *
 * @param errorOrData An error thrown by ethers or a provider (e.g. a `CallException`), or raw revert data.
 * @returns The decoded error, or undefined if `errorOrData` holds no revert data the suite's ABIs know.
 */
export function decodeRoamLedgerError(errorOrData: unknown): RoamLedgerContractError | undefined {
  return suiteErrorDecoder().decode(errorOrData);
}

/** Whether `error` is a decoded contract error, optionally with the given error name. */
export function isRoamLedgerContractError(error: unknown, name?: string): error is RoamLedgerContractError {
  return error instanceof RoamLedgerContractError && (name === undefined || error.name === name);
}

/**
 * Awaits `operation` and, if it rejects with a revert the suite's ABIs know, rethrows it as a
 * {@link RoamLedgerContractError} (with the original error as `cause`); any other rejection is rethrown as is.
 */
export async function withDecodedErrors<T>(operation: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof operation === "function" ? operation() : operation);
  } catch (error) {
    throw decodeRoamLedgerError(error) ?? error;
  }
}
