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
 * Pure: depends only on `ethers` and the generated ABIs, so it runs in browsers as well as Node.
 */
import { ErrorFragment, Interface, type JsonFragment, type Result } from "ethers";

import { OperatorRegistry__factory } from "./typechain/factories/contracts/OperatorRegistry__factory";
import { RoamingAgreements__factory } from "./typechain/factories/contracts/RoamingAgreements__factory";
import { SettlementVault__factory } from "./typechain/factories/contracts/SettlementVault__factory";
import { PeriodSettlement__factory } from "./typechain/factories/contracts/PeriodSettlement__factory";
import { CapacityToken__factory } from "./typechain/factories/contracts/CapacityToken__factory";
import { CapacityMarket__factory } from "./typechain/factories/contracts/CapacityMarket__factory";
import { UsageChallenges__factory } from "./typechain/factories/contracts/UsageChallenges__factory";
import { UsageClearing__factory } from "./typechain/factories/contracts/UsageClearing__factory";
import { RoamLedgerManager__factory } from "./typechain/factories/contracts/governance/RoamLedgerManager__factory";
import { AccessManaged__factory } from "./typechain/factories/@openzeppelin/contracts/access/manager/AccessManaged__factory";

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

/** The ABI of one contract whose errors the decoder knows. */
export interface ErrorAbiSource {
  /** A label for the source, e.g. the contract name. */
  readonly contract: string;
  readonly abi: readonly JsonFragment[];
}

/**
 * Every contract of the suite whose custom errors {@link decodeRoamLedgerError} recognises. To teach the decoder a new
 * contract, append its TypeChain factory's ABI here. Inherited OpenZeppelin errors (`AccessManaged*`,
 * `AccessManager*`, `SafeCast*`, `Address*`...) come with the ABIs that use them.
 */
export const SUITE_ERROR_SOURCES: readonly ErrorAbiSource[] = [
  { contract: "OperatorRegistry", abi: OperatorRegistry__factory.abi },
  { contract: "RoamingAgreements", abi: RoamingAgreements__factory.abi },
  { contract: "SettlementVault", abi: SettlementVault__factory.abi },
  { contract: "UsageClearing", abi: UsageClearing__factory.abi },
  { contract: "UsageChallenges", abi: UsageChallenges__factory.abi },
  { contract: "PeriodSettlement", abi: PeriodSettlement__factory.abi },
  { contract: "CapacityToken", abi: CapacityToken__factory.abi },
  { contract: "CapacityMarket", abi: CapacityMarket__factory.abi },
  { contract: "RoamLedgerManager", abi: RoamLedgerManager__factory.abi },
  { contract: "AccessManaged", abi: AccessManaged__factory.abi },
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

/** Decodes revert data against a fixed set of ABIs. */
export class ErrorDecoder {
  readonly #iface: Interface;

  /** @param sources The ABIs to know (errors with the same selector are taken from the first source). */
  constructor(sources: readonly ErrorAbiSource[]) {
    const seen = new Set<string>();
    const fragments: JsonFragment[] = [];
    for (const source of sources) {
      for (const fragment of source.abi) {
        if (fragment.type !== "error") continue;
        const selector = ErrorFragment.from(fragment).selector;
        if (seen.has(selector)) continue;
        seen.add(selector);
        fragments.push(fragment);
      }
    }
    this.#iface = new Interface(fragments);
  }

  /** The errors this decoder knows, by signature. */
  get errorSignatures(): string[] {
    const out: string[] = [];
    this.#iface.forEachError((fragment: ErrorFragment) => out.push(fragment.format("sighash")));
    return out;
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
    let parsed;
    try {
      parsed = this.#iface.parseError(data);
    } catch {
      return undefined; // a known selector but malformed arguments: not ours to interpret
    }
    if (parsed === null) return undefined;
    const { args: named, positional } = resultToArgs(parsed.fragment, parsed.args);
    return new RoamLedgerContractError({
      name: parsed.name,
      signature: parsed.signature,
      selector: parsed.selector,
      args: named,
      positionalArgs: positional,
      data: data.toLowerCase(),
      params: parsed.fragment.inputs.map((input) => ({ name: input.name, type: input.type })),
      cause: typeof cause === "string" ? undefined : cause,
    });
  }
}

function resultToArgs(
  fragment: ErrorFragment,
  result: Result,
): { args: Record<string, unknown>; positional: unknown[] } {
  const positional = result.toArray(true);
  const args: Record<string, unknown> = {};
  fragment.inputs.forEach((input, i) => {
    if (input.name !== "") args[input.name] = positional[i];
  });
  return { args, positional };
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
