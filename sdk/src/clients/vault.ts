/**
 * Client of the `SettlementVault` for ethers v6: typed reads, writes that return their receipt, and pure transaction
 * builders (`client.build.*`) for multisigs, custody systems and governance proposals.
 *
 * Every input is validated before anything is sent (addresses, operator ids, amounts within the vault's bounds), and
 * an invalid one throws an {@link InvalidArgumentError} naming the field. Reverts surface as
 * {@link RoamLedgerContractError}, decoded with the suite's and the token standards' errors (`suiteErrorDecoder`).
 *
 * Deposits pull tokens from the sender: either approve first (`deposit(..., { approve: "exact" })` does it when the
 * allowance is short) or let {@link VaultClient.depositWithPermit} sign an EIP-2612 permit in the same transaction.
 * {@link VaultClient.nettingSnapshot} reads the state a {@link NettingPreview} can start from.
 */
import {
  Contract,
  getAddress,
  isHexString,
  MaxUint256,
  Signature,
  type ContractRunner,
  type Overrides,
  type Provider,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";

import { InvalidArgumentError, SignerRequiredError, suiteErrorDecoder } from "../errors";
import { atBlock as at, sendBuilt } from "./send";
import type { NettingAccountInit, NettingGrossInit, NettingInit, NettingTokenInit } from "../netting/types";
import { VAULT_LIMITS } from "../netting/types";
import { toAddress, toBytes32, toInteger, toOperatorId, type UintLike } from "../validation";
import { lazyInterface, SuiteClient, TransactionBuilder } from "./base";
import type { BuiltTransaction } from "./registry";
import type { SettlementVault } from "../typechain/contracts/SettlementVault";
import { SettlementVault__factory } from "../typechain/factories/contracts/SettlementVault__factory";
import { ERC20Permit__factory } from "../typechain/factories/@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit__factory";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** A token's settlement state (`tokenConfig`). */
export interface VaultTokenConfig {
  /** Whether deposits and obligations are accepted (withdrawals and closes always are). */
  allowed: boolean;
  decimals: number;
  /** The open cycle (0: the token was never allowed). */
  cycle: bigint;
  /** When the open cycle may be closed (Unix seconds). */
  openEnd: bigint;
  /** The length of the open cycle, in seconds. */
  cycleLength: bigint;
  /** The length of the cycles that open from the next close on. */
  nextCycleLength: bigint;
}

/** An account as stored (`accountOf`), before a position of a closed cycle is applied. */
export interface VaultAccountInfo {
  balance: bigint;
  position: bigint;
  cycle: bigint;
  queued: bigint;
}

/** One operator's figures in one token, read at one block. */
export interface VaultMemberInfo {
  operatorId: bigint;
  token: string;
  /** `balanceOf`: the settled balance plus a position of a closed cycle not yet applied. */
  balance: bigint;
  /** `freeBalanceOf`: what the operator may withdraw now. */
  free: bigint;
  /** `openPositionOf`: credits minus debits in the open cycle. */
  openPosition: bigint;
  /** `queueLength`: the operator's obligations awaiting funds. */
  queued: bigint;
}

/** An obligation awaiting its payer's funds. */
export interface VaultQueuedObligation {
  payee: bigint;
  amount: bigint;
  ref: string;
}

/** `bilateralGross`: the amount, and whether the vault still retains the figure of that cycle. */
export interface VaultBilateralGross {
  gross: bigint;
  retained: boolean;
}

/** Options of {@link VaultClient.deposit}. */
export interface VaultDepositOptions {
  /**
   * Approve the vault first if the sender's allowance is below the amount: `"exact"` approves the amount, `"max"`
   * an unlimited allowance. Default: no approval (the allowance must already suffice).
   */
  approve?: "exact" | "max" | false;
}

/** Options of {@link VaultClient.signPermit} and {@link VaultClient.depositWithPermit}. */
export interface VaultPermitOptions {
  /** When the permit expires (Unix seconds). Default: the latest block's time plus {@link PERMIT_DEFAULT_TTL}. */
  deadline?: UintLike;
  /** The EIP-712 version, for a token without `eip712Domain()` and without `version()` (default "1"). */
  version?: string;
  /** The nonce to sign (default: the token's `nonces(owner)`). */
  nonce?: UintLike;
}

/** A signed EIP-2612 permit. */
export interface VaultPermitSignature {
  token: string;
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
  /** The 65-byte signature, hex. */
  signature: string;
  /** The EIP-712 domain that was signed. */
  domain: TypedDataDomain;
}

/** The split signature `depositWithPermit` takes, or a 65-byte hex signature. */
export type VaultPermitSignatureLike = { v: number; r: string; s: string } | string;

/** Options of the paging helpers. */
export interface VaultPageOptions {
  /** How many entries to read per call (default 100). */
  pageSize?: UintLike;
  /** The block to read at (default: the latest block when the first page is read, so that all pages agree). */
  blockTag?: number | string;
}

/** The outcome of {@link VaultClient.processQueue}. */
export interface VaultProcessQueueResult {
  /** How many obligations were applied (counted from the `ObligationApplied` events). */
  applied: bigint;
  receipt: TransactionReceipt;
}

/** The EIP-2612 `Permit` type. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The default lifetime of a permit, in seconds. */
export const PERMIT_DEFAULT_TTL = 3600;

const UINT256_MAX = 2n ** 256n - 1n;
const DEFAULT_PAGE_SIZE = 100n;

/*//////////////////////////////////////////////////////////////////////////
                                   ERRORS
//////////////////////////////////////////////////////////////////////////*/

async function decoded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw suiteErrorDecoder().decode(error) ?? error;
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                 VALIDATION
//////////////////////////////////////////////////////////////////////////*/

function toOperator(value: UintLike, field = "operatorId"): bigint {
  return toOperatorId(value, field, 1n);
}

function toSplitSignature(value: VaultPermitSignatureLike, field: string): { v: number; r: string; s: string } {
  if (typeof value === "string") {
    if (!isHexString(value, 65)) {
      throw new InvalidArgumentError("must be a 65-byte signature (0x and 130 hex digits)", { field, value });
    }
    try {
      const sig = Signature.from(value);
      return { v: sig.v, r: sig.r, s: sig.s };
    } catch (cause) {
      throw new InvalidArgumentError("not a valid signature", { field, value, cause });
    }
  }
  if (typeof value !== "object" || value === null) {
    throw new InvalidArgumentError("must be { v, r, s } or a 65-byte hex signature", { field, value });
  }
  if (value.v !== 27 && value.v !== 28) {
    throw new InvalidArgumentError("must be 27 or 28", { field: `${field}.v`, value: value.v });
  }
  return { v: value.v, r: toBytes32(value.r, `${field}.r`), s: toBytes32(value.s, `${field}.s`) };
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

const iface = lazyInterface(SettlementVault__factory);

/**
 * Pure builders of the vault's write transactions (and of the token approval a deposit needs): each validates its
 * input, encodes the call and returns `{ to, data, value: 0n }`, without touching the network.
 */
export class VaultTransactionBuilder extends TransactionBuilder {
  /** `token.approve(vault, amount)`: the allowance a {@link deposit} needs (sent to the token, not the vault). */
  approve(token: string, amount: UintLike): BuiltTransaction {
    const to = toAddress(token, "token");
    const value = toInteger(amount, "amount", 0n, UINT256_MAX);
    const data = ERC20Permit__factory.createInterface().encodeFunctionData("approve", [this.address, value]);
    return { to, data, value: 0n };
  }

  /** `deposit(operatorId, token, amount)` (anyone, for a registered operator; needs the allowance). */
  deposit(operatorId: UintLike, token: string, amount: UintLike): BuiltTransaction {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 1n, VAULT_LIMITS.maxAmount);
    return this.tx(iface().encodeFunctionData("deposit", [id, t, value]));
  }

  /** `depositWithPermit(operatorId, token, amount, deadline, v, r, s)`; the permit must be signed by the sender. */
  depositWithPermit(
    operatorId: UintLike,
    token: string,
    amount: UintLike,
    deadline: UintLike,
    signature: VaultPermitSignatureLike,
  ): BuiltTransaction {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 1n, VAULT_LIMITS.maxAmount);
    const until = toInteger(deadline, "deadline", 0n, UINT256_MAX);
    const { v, r, s } = toSplitSignature(signature, "signature");
    return this.tx(iface().encodeFunctionData("depositWithPermit", [id, t, value, until, v, r, s]));
  }

  /** `withdraw(operatorId, token, amount)` (the operator's admin; paid to its payout address). */
  withdraw(operatorId: UintLike, token: string, amount: UintLike): BuiltTransaction {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 1n, UINT256_MAX);
    return this.tx(iface().encodeFunctionData("withdraw", [id, t, value]));
  }

  /** `closeCycle(token)` (anyone, once the open cycle's end has passed). */
  closeCycle(token: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("closeCycle", [toAddress(token, "token")]));
  }

  /** `processQueue(payer, token, maxCount)` (anyone). */
  processQueue(payer: UintLike, token: string, maxCount: UintLike): BuiltTransaction {
    const id = toOperator(payer, "payer");
    const t = toAddress(token, "token");
    const count = toInteger(maxCount, "maxCount", 1n, UINT256_MAX);
    return this.tx(iface().encodeFunctionData("processQueue", [id, t, count]));
  }

  /** `recordObligation(payer, payee, token, amount, ref)` (a suite contract). */
  recordObligation(payer: UintLike, payee: UintLike, token: string, amount: UintLike, ref: string): BuiltTransaction {
    const from = toOperator(payer, "payer");
    const to = toOperator(payee, "payee");
    if (from === to) throw new InvalidArgumentError("must differ from payer", { field: "payee", value: payee });
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 1n, VAULT_LIMITS.maxAmount);
    return this.tx(iface().encodeFunctionData("recordObligation", [from, to, t, value, toBytes32(ref, "ref")]));
  }

  /** `transferFree(from, to, token, amount, ref)` (a suite contract). */
  transferFree(from: UintLike, to: UintLike, token: string, amount: UintLike, ref: string): BuiltTransaction {
    const source = toOperator(from, "from");
    const target = toOperator(to, "to");
    if (source === target) throw new InvalidArgumentError("must differ from from", { field: "to", value: to });
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 1n, UINT256_MAX);
    return this.tx(iface().encodeFunctionData("transferFree", [source, target, t, value, toBytes32(ref, "ref")]));
  }

  /** `allowToken(token, cycleLength)` (restricted: governor). */
  allowToken(token: string, cycleLength: UintLike): BuiltTransaction {
    const t = toAddress(token, "token");
    const length = toInteger(cycleLength, "cycleLength", 1n, VAULT_LIMITS.maxCycleLength);
    return this.tx(iface().encodeFunctionData("allowToken", [t, length]));
  }

  /** `disallowToken(token)` (restricted: governor). */
  disallowToken(token: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("disallowToken", [toAddress(token, "token")]));
  }

  /** `setCycleLength(token, cycleLength)` (restricted: governor); applies from the next cycle. */
  setCycleLength(token: string, cycleLength: UintLike): BuiltTransaction {
    const t = toAddress(token, "token");
    const length = toInteger(cycleLength, "cycleLength", 1n, VAULT_LIMITS.maxCycleLength);
    return this.tx(iface().encodeFunctionData("setCycleLength", [t, length]));
  }

  /** `setSuiteContract(account, isSuite)` (restricted: admin). */
  setSuiteContract(account: string, isSuite: boolean): BuiltTransaction {
    const a = toAddress(account, "account");
    if (typeof isSuite !== "boolean") throw new InvalidArgumentError("must be a boolean", { field: "isSuite" });
    return this.tx(iface().encodeFunctionData("setSuiteContract", [a, isSuite]));
  }

  /** `pause()` (restricted: pauser). */
  pause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("pause"));
  }

  /** `unpause()` (restricted: governor). */
  unpause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("unpause"));
  }

  /** `recover(token, to)` (restricted: admin): sweeps the surplus above what the vault owes. */
  recover(token: string, to: string): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("recover", [toAddress(token, "token"), toAddress(to, "to")]));
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   CLIENT
//////////////////////////////////////////////////////////////////////////*/

type PermitSigner = ContractRunner & {
  getAddress(): Promise<string>;
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, { name: string; type: string }[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
};

const VERSION_ABI = ["function version() view returns (string)"];

/** Reads and writes the `SettlementVault` at one address. */
export class VaultClient extends SuiteClient<SettlementVault, VaultTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new VaultTransactionBuilder(address), runner, SettlementVault__factory);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     READS
  //////////////////////////////////////////////////////////////////////////*/

  /** The operator registry whose members hold accounts here. */
  async registry(): Promise<string> {
    return decoded(() => this.contract.registry());
  }

  /** Whether `account` is on the vault's list of suite contracts. */
  async isSuiteContract(account: string): Promise<boolean> {
    const a = toAddress(account, "account", true);
    return decoded(() => this.contract.isSuiteContract(a));
  }

  /** A token's settlement state (all zero if it was never allowed). */
  async tokenConfig(token: string, blockTag?: number | string): Promise<VaultTokenConfig> {
    const t = toAddress(token, "token");
    const c = await decoded(() => this.contract.tokenConfig(t, at(blockTag)));
    return {
      allowed: c.allowed,
      decimals: Number(c.decimals),
      cycle: c.cycle,
      openEnd: c.openEnd,
      cycleLength: c.cycleLength,
      nextCycleLength: c.nextCycleLength,
    };
  }

  /** The raw account of `operatorId` in `token`, as stored. */
  async accountOf(operatorId: UintLike, token: string, blockTag?: number | string): Promise<VaultAccountInfo> {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    const a = await decoded(() => this.contract.accountOf(id, t, at(blockTag)));
    return { balance: a.balance, position: a.position, cycle: a.cycle, queued: a.queued };
  }

  /** The effective balance: the settled balance plus a position of a closed cycle not yet applied. */
  async balanceOf(operatorId: UintLike, token: string): Promise<bigint> {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    return decoded(() => this.contract.balanceOf(id, t));
  }

  /** What `operatorId` may withdraw now: the effective balance less any net debit of the open cycle. */
  async freeBalanceOf(operatorId: UintLike, token: string): Promise<bigint> {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    return decoded(() => this.contract.freeBalanceOf(id, t));
  }

  /** The position of `operatorId` in the open cycle of `token` (credits minus debits). */
  async openPositionOf(operatorId: UintLike, token: string): Promise<bigint> {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    return decoded(() => this.contract.openPositionOf(id, t));
  }

  /** How many obligations of `payer` in `token` await funds. */
  async queueLength(payer: UintLike, token: string): Promise<bigint> {
    const id = toOperator(payer, "payer");
    const t = toAddress(token, "token");
    return decoded(() => this.contract.queueLength(id, t));
  }

  /** Balance, free balance, open position and queue length of `operatorId` in `token`, read at one block. */
  async memberInfo(operatorId: UintLike, token: string, blockTag?: number | string): Promise<VaultMemberInfo> {
    const id = toOperator(operatorId);
    const t = toAddress(token, "token");
    const tag = blockTag ?? (await this.#latestBlock());
    const [balance, free, openPosition, queued] = await decoded(() =>
      Promise.all([
        this.contract.balanceOf(id, t, at(tag)),
        this.contract.freeBalanceOf(id, t, at(tag)),
        this.contract.openPositionOf(id, t, at(tag)),
        this.contract.queueLength(id, t, at(tag)),
      ]),
    );
    return { operatorId: id, token: t, balance, free, openPosition, queued };
  }

  /**
   * The gross amount `payer` owed `payee` in `cycle` of `token`. The vault keeps one figure per pair (the latest
   * cycle with an obligation): for an older cycle `retained` is false and the figure must be rebuilt from the
   * `ObligationApplied` events.
   */
  async bilateralGross(
    token: string,
    cycle: UintLike,
    payer: UintLike,
    payee: UintLike,
    blockTag?: number | string,
  ): Promise<VaultBilateralGross> {
    const t = toAddress(token, "token");
    const n = toInteger(cycle, "cycle", 0n, VAULT_LIMITS.maxCycle);
    const from = toOperator(payer, "payer");
    const to = toOperator(payee, "payee");
    const [gross, retained] = await decoded(() => this.contract.bilateralGross(t, n, from, to, at(blockTag)));
    return { gross, retained };
  }

  /** One page of `payer`'s queued obligations in `token`, oldest first (`queuedObligations`). */
  async queuedObligations(
    payer: UintLike,
    token: string,
    offset: UintLike = 0,
    limit: UintLike = DEFAULT_PAGE_SIZE,
    blockTag?: number | string,
  ): Promise<VaultQueuedObligation[]> {
    const id = toOperator(payer, "payer");
    const t = toAddress(token, "token");
    const from = toInteger(offset, "offset", 0n, UINT256_MAX);
    const size = toInteger(limit, "limit", 1n, UINT256_MAX);
    const page = await decoded(() => this.contract.queuedObligations(id, t, from, size, at(blockTag)));
    return page.map((e) => ({ payee: e.payee, amount: e.amount, ref: e.ref }));
  }

  /** Every queued obligation of `payer` in `token`, oldest first, read a page at a time at one block. */
  async *iterateQueuedObligations(
    payer: UintLike,
    token: string,
    options: VaultPageOptions = {},
  ): AsyncGenerator<VaultQueuedObligation, void, undefined> {
    const id = toOperator(payer, "payer");
    const t = toAddress(token, "token");
    const pageSize = toInteger(options.pageSize ?? DEFAULT_PAGE_SIZE, "pageSize", 1n, UINT256_MAX);
    const blockTag = options.blockTag ?? (await this.#latestBlock());
    let offset = 0n;
    for (;;) {
      const page = await this.queuedObligations(id, t, offset, pageSize, blockTag);
      yield* page;
      offset += BigInt(page.length);
      if (BigInt(page.length) < pageSize) return;
    }
  }

  /** Every queued obligation of `payer` in `token` (see {@link iterateQueuedObligations}). */
  async allQueuedObligations(
    payer: UintLike,
    token: string,
    options: VaultPageOptions = {},
  ): Promise<VaultQueuedObligation[]> {
    const all: VaultQueuedObligation[] = [];
    for await (const entry of this.iterateQueuedObligations(payer, token, options)) all.push(entry);
    return all;
  }

  /** What the vault owes its members in `token` (deposits minus withdrawals). */
  async totalLiabilities(token: string): Promise<bigint> {
    const t = toAddress(token, "token");
    return decoded(() => this.contract.totalLiabilities(t));
  }

  /** Tokens held above {@link totalLiabilities}, which the admin may `recover`. */
  async surplus(token: string): Promise<bigint> {
    const t = toAddress(token, "token");
    return decoded(() => this.contract.surplus(t));
  }

  /**
   * The state a {@link NettingPreview} can start from, read at one block: each token's cycle state and liabilities,
   * each member's account and queue, and the gross amounts of the open cycle between the members given. Give every
   * member with an open position (their positions must sum to zero).
   *
   * @example `new NettingPreview(await client.nettingSnapshot([usdc], [1, 2, 3]))`
   */
  async nettingSnapshot(
    tokens: readonly string[],
    members: readonly UintLike[],
    options: { blockTag?: number | string } = {},
  ): Promise<NettingInit> {
    if (!Array.isArray(tokens)) throw new InvalidArgumentError("must be an array of addresses", { field: "tokens" });
    if (!Array.isArray(members))
      throw new InvalidArgumentError("must be an array of operator ids", { field: "members" });
    const ts = tokens.map((t, i) => toAddress(t, `tokens[${i}]`));
    const ids = members.map((m, i) => toOperator(m, `members[${i}]`));
    const blockTag = options.blockTag ?? (await this.#latestBlock());
    const tokenInits: NettingTokenInit[] = [];
    const accounts: NettingAccountInit[] = [];
    const gross: NettingGrossInit[] = [];
    for (const token of ts) {
      const [config, liabilities] = await Promise.all([
        this.tokenConfig(token, blockTag),
        decoded(() => this.contract.totalLiabilities(token, at(blockTag))),
      ]);
      tokenInits.push({
        token,
        allowed: config.allowed,
        cycle: config.cycle,
        openEnd: config.cycle === 0n ? undefined : config.openEnd,
        cycleLength: config.cycle === 0n ? undefined : config.cycleLength,
        nextCycleLength: config.cycle === 0n ? undefined : config.nextCycleLength,
        decimals: config.cycle === 0n ? undefined : config.decimals,
        totalLiabilities: liabilities,
      });
      for (const member of ids) {
        const account = await this.accountOf(member, token, blockTag);
        const pending = account.cycle < config.cycle ? account.position : 0n;
        const queue =
          account.queued === 0n
            ? []
            : await this.allQueuedObligations(member, token, { blockTag, pageSize: account.queued });
        accounts.push({
          member,
          token,
          balance: account.balance,
          openPosition: account.cycle < config.cycle ? 0n : account.position,
          pendingPosition: pending,
          pendingCycle: pending === 0n ? undefined : account.cycle,
          queue,
        });
        if (config.cycle === 0n) continue;
        for (const payee of ids) {
          if (payee === member) continue;
          const g = await this.bilateralGross(token, config.cycle, member, payee, blockTag);
          if (g.retained && g.gross > 0n)
            gross.push({ token, cycle: config.cycle, payer: member, payee, amount: g.gross });
        }
      }
    }
    return { tokens: tokenInits, accounts, gross };
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     WRITES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Approves the vault to pull `amount` of `token` from the sender if its allowance is below it.
   * @param mode `"exact"` approves `amount`; `"max"` an unlimited allowance.
   * @returns The approval's receipt, or undefined if the allowance already sufficed.
   */
  async ensureAllowance(
    token: string,
    amount: UintLike,
    mode: "exact" | "max" = "exact",
    overrides?: Overrides,
  ): Promise<TransactionReceipt | undefined> {
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 0n, UINT256_MAX);
    if (mode !== "exact" && mode !== "max") {
      throw new InvalidArgumentError('must be "exact" or "max"', { field: "mode", value: mode });
    }
    const owner = await this.#senderAddress("approve");
    const erc20 = ERC20Permit__factory.connect(t, this.runner);
    const allowance = await decoded(() => erc20.allowance(owner, this.address));
    if (allowance >= value) return undefined;
    return this.#send("approve", this.build.approve(t, mode === "max" ? MaxUint256 : value), overrides);
  }

  /**
   * Deposits `amount` of `token` for `operatorId` (anyone may deposit for a registered operator), pulled from the
   * sender. With `options.approve`, approves the vault first if the allowance is short.
   */
  async deposit(
    operatorId: UintLike,
    token: string,
    amount: UintLike,
    options: VaultDepositOptions = {},
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    const tx = this.build.deposit(operatorId, token, amount);
    const approve = options.approve ?? false;
    if (approve !== false && approve !== "exact" && approve !== "max") {
      throw new InvalidArgumentError('must be "exact", "max" or false', { field: "options.approve", value: approve });
    }
    if (approve !== false) await this.ensureAllowance(token, amount, approve);
    return this.#send("deposit", tx, overrides);
  }

  /**
   * Signs an EIP-2612 permit letting the vault pull `amount` of `token` from the signer. The domain comes from the
   * token's `eip712Domain()` (EIP-5267) if it has one; otherwise from `name()`, `version()` (or `options.version`,
   * default "1"), the chain id and the token's address.
   */
  async signPermit(token: string, amount: UintLike, options: VaultPermitOptions = {}): Promise<VaultPermitSignature> {
    const t = toAddress(token, "token");
    const value = toInteger(amount, "amount", 0n, UINT256_MAX);
    const deadlineGiven =
      options.deadline === undefined ? undefined : toInteger(options.deadline, "options.deadline", 0n, UINT256_MAX);
    const nonceGiven =
      options.nonce === undefined ? undefined : toInteger(options.nonce, "options.nonce", 0n, UINT256_MAX);
    if (options.version !== undefined && typeof options.version !== "string") {
      throw new InvalidArgumentError("must be a string", { field: "options.version", value: options.version });
    }
    const signer = this.#permitSigner("signPermit");
    const owner = getAddress(await signer.getAddress());
    const erc20 = ERC20Permit__factory.connect(t, this.runner);
    const nonce = nonceGiven ?? (await decoded(() => erc20.nonces(owner)));
    const deadline = deadlineGiven ?? (await this.#latestTimestamp()) + BigInt(PERMIT_DEFAULT_TTL);
    const domain = await this.#permitDomain(t, options.version);
    const message = { owner, spender: this.address, value, nonce, deadline };
    const signature = await signer.signTypedData(
      domain,
      { Permit: PERMIT_TYPES.Permit.map((f) => ({ ...f })) },
      message,
    );
    const sig = Signature.from(signature);
    return {
      token: t,
      owner,
      spender: this.address,
      value,
      nonce,
      deadline,
      v: sig.v,
      r: sig.r,
      s: sig.s,
      signature,
      domain,
    };
  }

  /**
   * Deposits with an EIP-2612 permit signed by the sender in the same call (no prior approval). The vault ignores a
   * permit that fails (e.g. one a front-runner already used) and relies on the allowance then.
   */
  async depositWithPermit(
    operatorId: UintLike,
    token: string,
    amount: UintLike,
    options: VaultPermitOptions = {},
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    this.build.deposit(operatorId, token, amount); // validate before signing
    const permit = await this.signPermit(token, amount, options);
    const tx = this.build.depositWithPermit(operatorId, token, amount, permit.deadline, permit);
    return this.#send("depositWithPermit", tx, overrides);
  }

  /** Withdraws `amount` of the operator's free balance to its payout address (the operator's admin). */
  async withdraw(
    operatorId: UintLike,
    token: string,
    amount: UintLike,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("withdraw", this.build.withdraw(operatorId, token, amount), overrides);
  }

  /** Closes the open cycle of `token` (anyone, once its end has passed). */
  async closeCycle(token: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("closeCycle", this.build.closeCycle(token), overrides);
  }

  /** Applies up to `maxCount` of `payer`'s queued obligations in `token`, oldest first (anyone). */
  async processQueue(
    payer: UintLike,
    token: string,
    maxCount: UintLike,
    overrides?: Overrides,
  ): Promise<VaultProcessQueueResult> {
    const receipt = await this.#send("processQueue", this.build.processQueue(payer, token, maxCount), overrides);
    let applied = 0n;
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      if (iface().parseLog(log)?.name === "ObligationApplied") applied += 1n;
    }
    return { applied, receipt };
  }

  /*//////////////////////////////////////////////////////////////////////////
                                   INTERNALS
  //////////////////////////////////////////////////////////////////////////*/

  #provider(): Provider | null {
    return this.runner?.provider ?? null;
  }

  async #latestBlock(): Promise<number | undefined> {
    const provider = this.#provider();
    return provider === null ? undefined : provider.getBlockNumber();
  }

  async #latestTimestamp(): Promise<bigint> {
    const block = await this.#provider()?.getBlock("latest");
    if (block === null || block === undefined) throw new Error("signPermit: cannot read the latest block's time");
    return BigInt(block.timestamp);
  }

  async #senderAddress(action: string): Promise<string> {
    const runner = this.runner as (ContractRunner & { getAddress?: () => Promise<string> }) | null;
    if (runner === null || typeof runner.getAddress !== "function") throw new SignerRequiredError(action);
    return getAddress(await runner.getAddress());
  }

  #permitSigner(action: string): PermitSigner {
    const runner = this.runner as Partial<PermitSigner> | null;
    if (runner === null || typeof runner.getAddress !== "function" || typeof runner.signTypedData !== "function") {
      throw new SignerRequiredError(action);
    }
    return runner as PermitSigner;
  }

  async #permitDomain(token: string, version: string | undefined): Promise<TypedDataDomain> {
    const erc20 = ERC20Permit__factory.connect(token, this.runner);
    try {
      const d = await erc20.eip712Domain();
      const fields = Number(d.fields);
      const domain: TypedDataDomain = {};
      if (fields & 0x01) domain.name = d.name;
      if (fields & 0x02) domain.version = d.version;
      if (fields & 0x04) domain.chainId = d.chainId;
      if (fields & 0x08) domain.verifyingContract = d.verifyingContract;
      if (fields & 0x10) domain.salt = d.salt;
      return domain;
    } catch {
      // No EIP-5267: build the usual domain from name(), version() and the chain.
    }
    const name = await decoded(() => erc20.name());
    let v = version;
    if (v === undefined) {
      try {
        v = (await new Contract(token, VERSION_ABI, this.runner).getFunction("version").staticCall()) as string;
      } catch {
        v = "1";
      }
    }
    const network = await this.#provider()?.getNetwork();
    if (network === undefined) throw new Error("signPermit: the runner has no provider to read the chain id from");
    return { name, version: v, chainId: network.chainId, verifyingContract: token };
  }

  /** Sends a built transaction through the runner and waits for its receipt, decoding any revert. */
  async #send(action: string, tx: BuiltTransaction, overrides: Overrides = {}): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides, decoded);
  }
}
