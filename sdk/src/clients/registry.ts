/**
 * Client of the `OperatorRegistry` for ethers v6: typed reads, writes that return their receipt, and pure
 * transaction builders (`client.build.*`) for multisigs and custody systems.
 *
 * Every input is validated before anything is sent (TADIG codes, addresses, ids), and an invalid one throws an
 * {@link InvalidArgumentError} naming the field. Reverts surface as {@link RoamLedgerContractError}.
 */
import { ZeroAddress, type ContractRunner, type Overrides, type TransactionReceipt } from "ethers";

import { InvalidArgumentError, isRoamLedgerContractError, withDecodedErrors } from "../errors";
import { sendBuilt } from "./send";
import { decodeTadig, encodeTadig } from "../tadig";
import { toAddress, toBytes32, toOperatorId, type UintLike } from "../validation";
import { lazyInterface, SuiteClient, TransactionBuilder } from "./base";
import type { OperatorRegistry, OperatorViewStructOutput } from "../typechain/contracts/OperatorRegistry";
import { OperatorRegistry__factory } from "../typechain/factories/contracts/OperatorRegistry__factory";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** The lifecycle status of a registered operator. */
export type OperatorStatusName = "active" | "suspended" | "exited";

/** One operator, as the registry's views return it, decoded. */
export interface OperatorInfo {
  id: bigint;
  status: OperatorStatusName;
  /** The account that manages the operator. */
  admin: string;
  /** The account proposed as the next admin, if a transfer is pending. */
  pendingAdmin: string | undefined;
  /** Where the operator's withdrawals go. */
  payout: string;
  /** When the operator was registered (Unix seconds). */
  joinedAt: bigint;
  /** How many signer keys are active. */
  activeSigners: number;
  /** The operator's TADIG codes, e.g. `["DEUD1"]`. */
  tadigs: string[];
  metadataURI: string;
}

/** The arguments of `registerOperator`. */
export interface RegisterOperatorParams {
  /** 1 to {@link REGISTRY_LIMITS.maxTadigs} distinct TADIG codes, e.g. `["DEUD1"]`. */
  tadigs: readonly string[];
  /** The account (ideally a multisig) that will manage the operator. */
  admin: string;
  /** The address that receives the operator's withdrawals. */
  payout: string;
  /** At most {@link REGISTRY_LIMITS.maxSigners} distinct keys that may sign EIP-712 messages for the operator. */
  signers: readonly string[];
  /** Where the operator's public profile lives. */
  metadataURI: string;
}

/** A transaction ready to be signed and sent by any wallet, multisig or custody system. */
export interface BuiltTransaction {
  to: string;
  data: string;
  value: bigint;
}

/** The outcome of {@link RegistryClient.register}. */
export interface RegisterResult {
  operatorId: bigint;
  receipt: TransactionReceipt;
}

/** Options of {@link RegistryClient.list} and {@link RegistryClient.listAll}. */
export interface ListOptions {
  /** How many operators to read per call of `listOperators` (default 100). */
  pageSize?: number;
}

/** The registry's limits (`MAX_TADIGS`, `MAX_SIGNERS`), checked before sending. */
export const REGISTRY_LIMITS = { maxTadigs: 16, maxSigners: 16 } as const;

const STATUS_NAMES: Readonly<Record<string, OperatorStatusName>> = { 1: "active", 2: "suspended", 3: "exited" };
const DEFAULT_PAGE_SIZE = 100;

/*//////////////////////////////////////////////////////////////////////////
                                 VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function toAddresses(values: readonly string[], field: string, min: number, max: number): string[] {
  if (!Array.isArray(values)) throw new InvalidArgumentError("must be an array of addresses", { field, value: values });
  if (values.length < min || values.length > max) {
    throw new InvalidArgumentError(`must hold ${min} to ${max} addresses`, { field, value: values });
  }
  const out: string[] = [];
  values.forEach((value, i) => {
    const address = toAddress(value, `${field}[${i}]`);
    if (out.includes(address)) throw new InvalidArgumentError("appears twice", { field: `${field}[${i}]`, value });
    out.push(address);
  });
  return out;
}

function toTadigs(values: readonly string[], field: string): string[] {
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError("must be an array of TADIG codes", { field, value: values });
  }
  if (values.length === 0 || values.length > REGISTRY_LIMITS.maxTadigs) {
    throw new InvalidArgumentError(`must hold 1 to ${REGISTRY_LIMITS.maxTadigs} TADIG codes`, { field, value: values });
  }
  const out: string[] = [];
  values.forEach((value, i) => {
    const encoded = encodeTadig(value, `${field}[${i}]`);
    if (out.includes(encoded)) throw new InvalidArgumentError("appears twice", { field: `${field}[${i}]`, value });
    out.push(encoded);
  });
  return out;
}

function toString(value: string, field: string): string {
  if (typeof value !== "string") throw new InvalidArgumentError("must be a string", { field, value });
  return value;
}

function toCount(value: number | bigint, field: string, min: number): bigint {
  const ok =
    (typeof value === "number" && Number.isSafeInteger(value) && value >= min) ||
    (typeof value === "bigint" && value >= BigInt(min));
  if (!ok) throw new InvalidArgumentError(`must be an integer >= ${min}`, { field, value });
  return BigInt(value);
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

const iface = lazyInterface(OperatorRegistry__factory);

/**
 * Pure builders of the registry's write transactions: each validates its input, encodes the call and returns
 * `{ to, data, value: 0n }`, without touching the network.
 */
export class RegistryTransactionBuilder extends TransactionBuilder {
  /** `registerOperator` (restricted: registrar). */
  register(params: RegisterOperatorParams): BuiltTransaction {
    if (typeof params !== "object" || params === null) {
      throw new InvalidArgumentError("must be an object", { field: "params", value: params });
    }
    const tadigs = toTadigs(params.tadigs, "tadigs");
    const admin = toAddress(params.admin, "admin");
    const payout = toAddress(params.payout, "payout");
    const signers = toAddresses(params.signers, "signers", 1, REGISTRY_LIMITS.maxSigners);
    const metadataURI = toString(params.metadataURI, "metadataURI");
    return this.tx(iface().encodeFunctionData("registerOperator", [tadigs, admin, payout, signers, metadataURI]));
  }

  /** `addTadig` (restricted: registrar). */
  addTadig(operatorId: UintLike, tadig: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("addTadig", [toOperatorId(operatorId), encodeTadig(tadig, "tadig")]));
  }

  /** `removeTadig` (restricted: registrar). */
  removeTadig(operatorId: UintLike, tadig: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("removeTadig", [toOperatorId(operatorId), encodeTadig(tadig, "tadig")]));
  }

  /** `suspendOperator` (restricted: pauser). `reason` is a bytes32 hash of the decision record. */
  suspendOperator(operatorId: UintLike, reason: string): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("suspendOperator", [toOperatorId(operatorId), toBytes32(reason, "reason")]),
    );
  }

  /** `reinstateOperator` (restricted: governor). */
  reinstateOperator(operatorId: UintLike, reason: string): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("reinstateOperator", [toOperatorId(operatorId), toBytes32(reason, "reason")]),
    );
  }

  /** `exitOperator` (restricted: governor). */
  exitOperator(operatorId: UintLike, reason: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("exitOperator", [toOperatorId(operatorId), toBytes32(reason, "reason")]));
  }

  /** `addSigner` (the operator's admin). */
  addSigner(operatorId: UintLike, signer: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("addSigner", [toOperatorId(operatorId), toAddress(signer, "signer")]));
  }

  /** `revokeSigner` (the operator's admin). */
  revokeSigner(operatorId: UintLike, signer: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("revokeSigner", [toOperatorId(operatorId), toAddress(signer, "signer")]));
  }

  /** `rotateSigner` (the operator's admin): revokes `oldSigner` and adds `newSigner`. */
  rotateSigner(operatorId: UintLike, oldSigner: string, newSigner: string): BuiltTransaction {
    const id = toOperatorId(operatorId);
    const previous = toAddress(oldSigner, "oldSigner");
    const next = toAddress(newSigner, "newSigner");
    if (previous === next) {
      throw new InvalidArgumentError("must differ from oldSigner", { field: "newSigner", value: newSigner });
    }
    return this.tx(iface().encodeFunctionData("rotateSigner", [id, previous, next]));
  }

  /** `setPayout` (the operator's admin). */
  setPayout(operatorId: UintLike, payout: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("setPayout", [toOperatorId(operatorId), toAddress(payout, "payout")]));
  }

  /** `setMetadataURI` (the operator's admin). */
  setMetadataURI(operatorId: UintLike, metadataURI: string): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("setMetadataURI", [toOperatorId(operatorId), toString(metadataURI, "metadataURI")]),
    );
  }

  /** `transferAdmin` (the operator's admin). The zero address cancels a pending transfer. */
  transferAdmin(operatorId: UintLike, newAdmin: string): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("transferAdmin", [toOperatorId(operatorId), toAddress(newAdmin, "newAdmin", true)]),
    );
  }

  /** `acceptAdmin` (the pending admin). */
  acceptAdmin(operatorId: UintLike): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("acceptAdmin", [toOperatorId(operatorId)]));
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   CLIENT
//////////////////////////////////////////////////////////////////////////*/

function toOperatorInfo(view: OperatorViewStructOutput): OperatorInfo {
  const status = STATUS_NAMES[view.status.toString()];
  if (status === undefined) throw new Error(`OperatorRegistry returned operator ${view.id} with status ${view.status}`);
  return {
    id: view.id,
    status,
    admin: view.admin,
    pendingAdmin: view.pendingAdmin === ZeroAddress ? undefined : view.pendingAdmin,
    payout: view.payout,
    joinedAt: view.joinedAt,
    activeSigners: Number(view.activeSigners),
    tadigs: view.tadigs.map((tadig) => decodeTadig(tadig, "tadigs")),
    metadataURI: view.metadataURI,
  };
}

/** Reads and writes the `OperatorRegistry` at one address. */
export class RegistryClient extends SuiteClient<OperatorRegistry, RegistryTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new RegistryTransactionBuilder(address), runner, OperatorRegistry__factory);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     READS
  //////////////////////////////////////////////////////////////////////////*/

  /** The number of operators ever registered (the highest id). */
  async operatorCount(): Promise<bigint> {
    return withDecodedErrors(() => this.contract.operatorCount());
  }

  /**
   * One operator.
   * @throws RoamLedgerContractError `OperatorRegistry_UnknownOperator` for an id that was never registered.
   */
  async getOperator(operatorId: UintLike): Promise<OperatorInfo> {
    const id = toOperatorId(operatorId);
    return toOperatorInfo(await withDecodedErrors(() => this.contract.getOperator(id)));
  }

  /** The operator that holds `tadig` (e.g. `"DEUD1"`), or undefined if none does. */
  async findByTadig(tadig: string): Promise<OperatorInfo | undefined> {
    const encoded = encodeTadig(tadig, "tadig");
    let id: bigint;
    try {
      id = await withDecodedErrors(() => this.contract.operatorOfTadig(encoded));
    } catch (error) {
      if (isRoamLedgerContractError(error, "OperatorRegistry_UnknownTadig")) return undefined;
      throw error;
    }
    return this.getOperator(id);
  }

  /** One page of operators in id order, starting at id `offset + 1`; `total` is the number ever registered. */
  async listPage(
    offset: number | bigint,
    limit: number | bigint,
  ): Promise<{ operators: OperatorInfo[]; total: bigint }> {
    const from = toCount(offset, "offset", 0);
    const size = toCount(limit, "limit", 1);
    const [page, total] = await withDecodedErrors(() => this.contract.listOperators(from, size));
    return { operators: page.map(toOperatorInfo), total };
  }

  /** Every operator, in id order, read `pageSize` at a time. */
  async *list(options: ListOptions = {}): AsyncGenerator<OperatorInfo, void, undefined> {
    const pageSize = toCount(options.pageSize ?? DEFAULT_PAGE_SIZE, "pageSize", 1);
    let offset = 0n;
    for (;;) {
      const { operators, total } = await this.listPage(offset, pageSize);
      yield* operators;
      offset += BigInt(operators.length);
      if (BigInt(operators.length) < pageSize || offset >= total) return;
    }
  }

  /** Every operator, in id order (see {@link list}). */
  async listAll(options: ListOptions = {}): Promise<OperatorInfo[]> {
    const all: OperatorInfo[] = [];
    for await (const operator of this.list(options)) all.push(operator);
    return all;
  }

  /** Whether `operatorId` is registered and active. */
  async isActive(operatorId: UintLike): Promise<boolean> {
    const id = toOperatorId(operatorId);
    return withDecodedErrors(() => this.contract.isActive(id));
  }

  /** Whether `signer` is an active signer key of `operatorId`. */
  async isSigner(operatorId: UintLike, signer: string): Promise<boolean> {
    const id = toOperatorId(operatorId);
    const address = toAddress(signer, "signer", true);
    return withDecodedErrors(() => this.contract.isSigner(id, address));
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     WRITES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Onboards an operator (the runner must hold the registrar role).
   * @returns The new operator's id, read from the `OperatorRegistered` event, and the receipt.
   */
  async register(params: RegisterOperatorParams, overrides?: Overrides): Promise<RegisterResult> {
    const receipt = await this.#send("register", this.build.register(params), overrides);
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      const parsed = iface().parseLog(log);
      if (parsed?.name === "OperatorRegistered") return { operatorId: parsed.args.operatorId as bigint, receipt };
    }
    throw new Error(`register: transaction ${receipt.hash} emitted no OperatorRegistered event`);
  }

  /** Assigns one more TADIG code to an operator (registrar). */
  async addTadig(operatorId: UintLike, tadig: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("addTadig", this.build.addTadig(operatorId, tadig), overrides);
  }

  /** Takes a TADIG code from an operator (registrar). */
  async removeTadig(operatorId: UintLike, tadig: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("removeTadig", this.build.removeTadig(operatorId, tadig), overrides);
  }

  /** Suspends an active operator (pauser). */
  async suspendOperator(operatorId: UintLike, reason: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("suspendOperator", this.build.suspendOperator(operatorId, reason), overrides);
  }

  /** Makes a suspended operator active again (governor). */
  async reinstateOperator(operatorId: UintLike, reason: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("reinstateOperator", this.build.reinstateOperator(operatorId, reason), overrides);
  }

  /** Ends an operator's membership for ever (governor). */
  async exitOperator(operatorId: UintLike, reason: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("exitOperator", this.build.exitOperator(operatorId, reason), overrides);
  }

  /** Adds a signer key (the operator's admin). */
  async addSigner(operatorId: UintLike, signer: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("addSigner", this.build.addSigner(operatorId, signer), overrides);
  }

  /** Revokes a signer key (the operator's admin). */
  async revokeSigner(operatorId: UintLike, signer: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("revokeSigner", this.build.revokeSigner(operatorId, signer), overrides);
  }

  /** Revokes `oldSigner` and adds `newSigner` in one transaction (the operator's admin). */
  async rotateSigner(
    operatorId: UintLike,
    oldSigner: string,
    newSigner: string,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("rotateSigner", this.build.rotateSigner(operatorId, oldSigner, newSigner), overrides);
  }

  /** Changes where the operator's withdrawals go (the operator's admin). */
  async setPayout(operatorId: UintLike, payout: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("setPayout", this.build.setPayout(operatorId, payout), overrides);
  }

  /** Changes the operator's metadata URI (the operator's admin). */
  async setMetadataURI(operatorId: UintLike, metadataURI: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("setMetadataURI", this.build.setMetadataURI(operatorId, metadataURI), overrides);
  }

  /** Proposes a new admin, who takes over with {@link acceptAdmin}; the zero address cancels (the operator's admin). */
  async transferAdmin(operatorId: UintLike, newAdmin: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("transferAdmin", this.build.transferAdmin(operatorId, newAdmin), overrides);
  }

  /** Completes an admin transfer (the pending admin). */
  async acceptAdmin(operatorId: UintLike, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("acceptAdmin", this.build.acceptAdmin(operatorId), overrides);
  }

  /** Sends a built transaction through the runner and waits for its receipt, decoding any revert. */
  async #send(action: string, tx: BuiltTransaction, overrides: Overrides = {}): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides);
  }
}
