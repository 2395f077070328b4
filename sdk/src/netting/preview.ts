/**
 * The netting preview: the TypeScript twin of `contracts/SettlementVault.sol`'s accounting.
 *
 * Given an initial state (or simply starting balances) and a sequence of vault calls, it computes what the vault would
 * do, call by call: which obligations are applied and which are queued, each member's balance, free balance, open
 * position and queue, the bilateral gross amounts, the events emitted, and, per cycle, the net positions, the payments
 * that settle them and the gross-versus-net statistics. The Solidity code is the specification; the checks run in the
 * same order and raise a {@link NettingError} with the same name and arguments as the revert.
 *
 * The rules (docs/ARCHITECTURE.md section 8):
 * - Per (member, token) one account `{ balance, position, cycle }`. A position of a cycle that has closed belongs to
 *   the balance and is applied at the member's next "touch" (emitting `PositionSettled`); the views report the
 *   effective figures. Closing a cycle only advances the token's cycle number.
 * - Finality: an obligation is applied to the open cycle only if the payer's queue is empty and its resulting net
 *   debit `max(0, -(position - amount))` is at most its effective balance; otherwise it joins the payer's FIFO queue,
 *   whole. `processQueue` applies queued obligations in order and stops at the first that does not fit.
 * - Free balance = effective balance - max(0, -open position): what `withdraw` and `transferFree` may take.
 * - Bounds: amounts at most `uint96` each; balances `uint104` and positions `int104`, beyond which the vault reverts
 *   with SafeCast's errors (or a checked-arithmetic panic), as the preview does.
 *
 * Not modelled: access control (callers are assumed entitled), token transfers (assumed to deliver in full), and the
 * token's own holdings (`surplus`, `recover`). Every call is atomic: one that raises leaves the preview unchanged, as a
 * reverted transaction leaves the vault.
 *
 * Pure: bigint arithmetic only, no chain I/O, no Node-only API; runs in browsers.
 */
import { InvalidArgumentError } from "../errors";
import type { UintLike } from "../validation";
import { NETTING_PANIC_ARITHMETIC, NettingError } from "./errors";
import { positionsFromMap, settlementPlan, sortGross, statsOf } from "./settlement";
import {
  VAULT_LIMITS,
  type BilateralGross,
  type MemberPosition,
  type NettingAccount,
  type NettingAppliedObligation,
  type NettingCycleReport,
  type NettingEvent,
  type NettingInit,
  type NettingLog,
  type NettingMemberView,
  type NettingQueuedObligation,
  type NettingQueuedObligationInit,
  type NettingResult,
  type NettingTokenConfig,
} from "./types";
import {
  requireRecord,
  toAmount,
  toBool,
  toDecimals,
  toMemberId,
  toRef,
  toSigned,
  toTokenKey,
  toUintN,
} from "./validation";

/*//////////////////////////////////////////////////////////////////////////
                                INTERNAL STATE
//////////////////////////////////////////////////////////////////////////*/

interface AccountRec {
  balance: bigint;
  position: bigint;
  cycle: bigint;
}

interface QueueRec {
  /** The index of `entries[0]` (the contract's queue head). */
  head: bigint;
  entries: NettingQueuedObligation[];
}

interface GrossRec {
  cycle: bigint;
  amount: bigint;
}

interface CycleRec {
  cycle: bigint;
  positions: Map<bigint, bigint>;
  gross: Map<string, BilateralGross>;
  obligations: NettingAppliedObligation[];
  closed: boolean;
  closedAt: bigint | undefined;
  complete: boolean;
}

interface TokenRec {
  key: string;
  allowed: boolean;
  decimals: number | undefined;
  cycle: bigint;
  openEnd: bigint | undefined;
  cycleLength: bigint | undefined;
  nextCycleLength: bigint | undefined;
  liabilities: bigint;
  accounts: Map<bigint, AccountRec>;
  queues: Map<bigint, QueueRec>;
  /** The vault's `Gross` slot per `payer:payee`: the latest cycle with an obligation, and its amount. */
  latestGross: Map<string, GrossRec>;
  cycles: Map<bigint, CycleRec>;
}

const UINT256 = 2n ** 256n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT224_MAX = 2n ** 224n - 1n;
const MAX_LIMIT = UINT256 - 1n;

function pairKey(payer: bigint, payee: bigint): string {
  return `${payer}:${payee}`;
}

function byId(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function newCycle(cycle: bigint, complete: boolean): CycleRec {
  return {
    cycle,
    positions: new Map(),
    gross: new Map(),
    obligations: [],
    closed: false,
    closedAt: undefined,
    complete,
  };
}

function emptyToken(key: string, allowed: boolean, cycle: bigint): TokenRec {
  const token: TokenRec = {
    key,
    allowed,
    decimals: undefined,
    cycle,
    openEnd: undefined,
    cycleLength: undefined,
    nextCycleLength: undefined,
    liabilities: 0n,
    accounts: new Map(),
    queues: new Map(),
    latestGross: new Map(),
    cycles: new Map(),
  };
  if (cycle > 0n) token.cycles.set(cycle, newCycle(cycle, true));
  return token;
}

function cloneToken(t: TokenRec): TokenRec {
  const cycles = new Map<bigint, CycleRec>();
  for (const [n, c] of t.cycles) {
    const gross = new Map<string, BilateralGross>();
    for (const [k, g] of c.gross) gross.set(k, { ...g });
    cycles.set(n, { ...c, positions: new Map(c.positions), gross, obligations: [...c.obligations] });
  }
  const accounts = new Map<bigint, AccountRec>();
  for (const [m, a] of t.accounts) accounts.set(m, { ...a });
  const queues = new Map<bigint, QueueRec>();
  for (const [m, q] of t.queues) queues.set(m, { head: q.head, entries: [...q.entries] });
  const latestGross = new Map<string, GrossRec>();
  for (const [k, g] of t.latestGross) latestGross.set(k, { ...g });
  return { ...t, accounts, queues, latestGross, cycles };
}

/*//////////////////////////////////////////////////////////////////////////
                              ACCOUNT ARITHMETIC
//////////////////////////////////////////////////////////////////////////*/

/** `_settled`: the account once a position of a closed cycle is applied (a new object). */
function settled(account: AccountRec, currentCycle: bigint): AccountRec {
  const out = { ...account };
  if (out.cycle < currentCycle) {
    if (out.position !== 0n) {
      const sum = out.balance + out.position;
      // uint256(int256(balance) + position).toUint104(): a negative sum wraps to a huge uint256.
      if (sum < 0n || sum > VAULT_LIMITS.maxBalance) {
        throw new NettingError("SafeCastOverflowedUintDowncast", [104n, sum < 0n ? sum + UINT256 : sum]);
      }
      out.balance = sum;
      out.position = 0n;
    }
    out.cycle = currentCycle;
  }
  return out;
}

/** `_free`: the balance less any net debit (the account is settled). */
function freeOf(account: AccountRec): bigint {
  const debit = account.position < 0n ? -account.position : 0n;
  if (debit > account.balance) throw new NettingError("Panic", [NETTING_PANIC_ARITHMETIC]);
  return account.balance - debit;
}

/** `_covers`: whether the balance covers the net debit once `amount` more is debited. */
function covers(account: AccountRec, amount: bigint): boolean {
  const next = account.position - amount;
  return next >= 0n || -next <= account.balance;
}

/** `toInt104` of a new position. */
function toPosition(value: bigint): bigint {
  if (value < VAULT_LIMITS.minPosition || value > VAULT_LIMITS.maxPosition) {
    throw new NettingError("SafeCastOverflowedIntDowncast", [104n, value]);
  }
  return value;
}

/** A `uint104` balance after a checked addition. */
function addBalance(balance: bigint, amount: bigint): bigint {
  const sum = balance + amount;
  if (sum > VAULT_LIMITS.maxBalance) throw new NettingError("Panic", [NETTING_PANIC_ARITHMETIC]);
  return sum;
}

/**
 * One call in progress on one token: accounts are read through an overlay, effects are deferred, and nothing reaches
 * the preview unless the call completes (a revert leaves no trace).
 */
class Tx {
  readonly logs: NettingLog[] = [];
  readonly #accounts = new Map<bigint, AccountRec>();
  readonly #effects: (() => void)[] = [];

  constructor(readonly token: TokenRec) {}

  /** The account as stored (through the overlay), as a copy the caller may change and {@link store}. */
  load(member: bigint): AccountRec {
    const account = this.#accounts.get(member) ?? this.token.accounts.get(member);
    return account === undefined ? { balance: 0n, position: 0n, cycle: 0n } : { ...account };
  }

  /** `_touch`: loads and settles the account, emitting `PositionSettled` for a pending position. */
  touch(member: bigint, currentCycle: bigint): AccountRec {
    const account = this.load(member);
    if (account.cycle < currentCycle && account.position !== 0n) {
      this.logs.push({
        name: "PositionSettled",
        operatorId: member,
        token: this.token.key,
        cycle: account.cycle,
        position: account.position,
      });
    }
    return settled(account, currentCycle);
  }

  store(member: bigint, account: AccountRec): void {
    this.#accounts.set(member, { ...account });
  }

  /** Defers a change of the token's state to the commit. */
  effect(change: () => void): void {
    this.#effects.push(change);
  }

  commit(): NettingLog[] {
    for (const [member, account] of this.#accounts) this.token.accounts.set(member, account);
    for (const change of this.#effects) change();
    return this.logs;
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   PREVIEW
//////////////////////////////////////////////////////////////////////////*/

/** One event of {@link simulateNetting} and what came of it: a result, or the error the vault would revert with. */
export type NettingStep =
  | { index: number; event: NettingEvent; ok: true; result: NettingResult }
  | { index: number; event: NettingEvent; ok: false; error: NettingError };

/** The vault's accounting, replayed off-chain. See the module documentation. */
export class NettingPreview {
  #paused = false;
  #registered: Set<bigint> | undefined;
  #tokens = new Map<string, TokenRec>();

  /**
   * @param init The state to start from (see {@link NettingInit}); default an empty vault.
   * @throws InvalidArgumentError for a state the vault could never be in (naming the field, e.g.
   *   `init.accounts[1].openPosition`): a debit above the balance, open positions that do not sum to zero, a member
   *   with both an open and a pending position, a queue entry to oneself...
   */
  constructor(init: NettingInit = {}) {
    requireRecord(init, "init");
    this.#paused = toBool(init.paused, "init.paused", false);
    if (init.registered !== undefined) {
      if (!Array.isArray(init.registered)) {
        throw new InvalidArgumentError("must be an array of operator ids", {
          field: "init.registered",
          value: init.registered,
        });
      }
      this.#registered = new Set(init.registered.map((id, i) => toMemberId(id, `init.registered[${i}]`)));
    }
    this.#initTokens(init);
    this.#initAccounts(init);
    this.#initGross(init);
  }

  #initTokens(init: NettingInit): void {
    (init.tokens ?? []).forEach((t, i) => {
      const at = `init.tokens[${i}]`;
      requireRecord(t, at);
      const key = toTokenKey(t.token, `${at}.token`);
      if (this.#tokens.has(key)) throw new InvalidArgumentError("appears twice", { field: `${at}.token`, value: key });
      const allowed = toBool(t.allowed, `${at}.allowed`, true);
      const cycle = t.cycle === undefined ? 1n : toUintN(t.cycle, 32, `${at}.cycle`);
      if (cycle === 0n && allowed) {
        throw new InvalidArgumentError("cycle 0 means never allowed: set allowed to false", {
          field: `${at}.cycle`,
          value: t.cycle,
        });
      }
      const token = emptyToken(key, allowed, cycle);
      token.cycles.forEach((c) => (c.complete = false));
      token.decimals = toDecimals(t.decimals, `${at}.decimals`);
      token.openEnd = t.openEnd === undefined ? undefined : toUintN(t.openEnd, 40, `${at}.openEnd`);
      token.cycleLength = t.cycleLength === undefined ? undefined : toUintN(t.cycleLength, 32, `${at}.cycleLength`);
      token.nextCycleLength =
        t.nextCycleLength === undefined ? token.cycleLength : toUintN(t.nextCycleLength, 32, `${at}.nextCycleLength`);
      this.#tokens.set(key, token);
    });
  }

  #initAccounts(init: NettingInit): void {
    const openSums = new Map<string, bigint>();
    const seen = new Set<string>();
    (init.accounts ?? []).forEach((a, i) => {
      const at = `init.accounts[${i}]`;
      requireRecord(a, at);
      const member = toMemberId(a.member, `${at}.member`);
      if (member === 0n) throw new InvalidArgumentError("operator id 0 holds no account", { field: `${at}.member` });
      const token = this.#token(toTokenKey(a.token, `${at}.token`));
      const id = `${token.key}\u0000${member}`;
      if (seen.has(id)) throw new InvalidArgumentError("appears twice for this token", { field: `${at}.member` });
      seen.add(id);
      if (token.cycle === 0n && (a.balance ?? 0n) !== 0n) {
        throw new InvalidArgumentError("a token never allowed holds no balance", { field: `${at}.balance` });
      }
      const balance = toAmount(a.balance ?? 0n, `${at}.balance`, VAULT_LIMITS.maxBalance);
      const { minPosition: lo, maxPosition: hi } = VAULT_LIMITS;
      const open = toSigned(a.openPosition ?? 0n, `${at}.openPosition`, lo, hi);
      const pending = toSigned(a.pendingPosition ?? 0n, `${at}.pendingPosition`, lo, hi);
      let account: AccountRec;
      if (pending !== 0n) {
        if (open !== 0n) {
          throw new InvalidArgumentError("an account holds one position: an open one or a pending one, not both", {
            field: `${at}.pendingPosition`,
            value: pending,
          });
        }
        const cycle =
          a.pendingCycle === undefined ? token.cycle - 1n : toUintN(a.pendingCycle, 32, `${at}.pendingCycle`);
        if (cycle < 1n || cycle >= token.cycle) {
          throw new InvalidArgumentError(`must be a closed cycle, 1 to ${token.cycle - 1n}`, {
            field: `${at}.pendingCycle`,
            value: a.pendingCycle ?? cycle,
          });
        }
        if (balance + pending < 0n) {
          throw new InvalidArgumentError("would make the effective balance negative", {
            field: `${at}.pendingPosition`,
            value: pending,
          });
        }
        account = { balance, position: pending, cycle };
      } else {
        if (-open > balance) {
          throw new InvalidArgumentError("a net debit must be covered by the balance", {
            field: `${at}.openPosition`,
            value: open,
          });
        }
        account = { balance, position: open, cycle: token.cycle };
        if (open !== 0n) {
          openSums.set(token.key, (openSums.get(token.key) ?? 0n) + open);
          token.cycles.get(token.cycle)?.positions.set(member, open);
        }
      }
      token.accounts.set(member, account);
      token.liabilities += balance + pending;
      this.#initQueue(token, member, a.queue, a.queueHead, at);
    });
    for (const [key, sum] of openSums) {
      if (sum !== 0n) {
        throw new InvalidArgumentError(
          `open positions in ${key} must sum to zero (they sum to ${sum}): give every member with a position`,
          { field: "init.accounts" },
        );
      }
    }
    (init.tokens ?? []).forEach((t, i) => {
      if (t.totalLiabilities === undefined) return;
      this.#tokens.get(t.token)!.liabilities = toAmount(t.totalLiabilities, `init.tokens[${i}].totalLiabilities`);
    });
  }

  #initQueue(
    token: TokenRec,
    member: bigint,
    queue: readonly NettingQueuedObligationInit[] | undefined,
    queueHead: bigint | undefined,
    at: string,
  ): void {
    const head = queueHead === undefined ? 0n : toUintN(queueHead, 64, `${at}.queueHead`);
    if (queue === undefined) {
      if (head !== 0n) token.queues.set(member, { head, entries: [] });
      return;
    }
    if (!Array.isArray(queue)) {
      throw new InvalidArgumentError("must be an array of queued obligations", { field: `${at}.queue`, value: queue });
    }
    if (BigInt(queue.length) > VAULT_LIMITS.maxQueue) {
      throw new InvalidArgumentError(`must hold at most ${VAULT_LIMITS.maxQueue} entries`, { field: `${at}.queue` });
    }
    if (head + BigInt(queue.length) > UINT64_MAX) {
      throw new InvalidArgumentError("queue indexes must fit in uint64", { field: `${at}.queueHead`, value: head });
    }
    const entries = queue.map((q, j) => {
      const e = `${at}.queue[${j}]`;
      requireRecord(q, e);
      const payee = toMemberId(q.payee, `${e}.payee`);
      if (payee === 0n || payee === member) {
        throw new InvalidArgumentError("must be another operator's id", { field: `${e}.payee`, value: q.payee });
      }
      const amount = toAmount(q.amount, `${e}.amount`, VAULT_LIMITS.maxAmount);
      if (amount === 0n)
        throw new InvalidArgumentError("must be above zero", { field: `${e}.amount`, value: q.amount });
      return { payee, amount, ref: toRef(q.ref, `${e}.ref`) };
    });
    token.queues.set(member, { head, entries });
  }

  #initGross(init: NettingInit): void {
    (init.gross ?? []).forEach((g, i) => {
      const at = `init.gross[${i}]`;
      requireRecord(g, at);
      const token = this.#token(toTokenKey(g.token, `${at}.token`));
      const cycle = toUintN(g.cycle, 32, `${at}.cycle`);
      if (cycle < 1n || cycle > token.cycle) {
        throw new InvalidArgumentError(`must be a cycle of the token, 1 to ${token.cycle}`, {
          field: `${at}.cycle`,
          value: g.cycle,
        });
      }
      const payer = toMemberId(g.payer, `${at}.payer`);
      const payee = toMemberId(g.payee, `${at}.payee`);
      if (payer === payee) throw new InvalidArgumentError("must differ from payer", { field: `${at}.payee` });
      const amount = toAmount(g.amount, `${at}.amount`, UINT224_MAX);
      const key = pairKey(payer, payee);
      if (token.latestGross.has(key)) {
        throw new InvalidArgumentError("the vault retains one figure per pair: appears twice", { field: at });
      }
      token.latestGross.set(key, { cycle, amount });
      if (cycle === token.cycle && amount > 0n) token.cycles.get(cycle)?.gross.set(key, { payer, payee, amount });
    });
  }

  /** The token's record, created on first use as allowed in its cycle 1 (a token the caller did not declare). */
  #token(key: string): TokenRec {
    let token = this.#tokens.get(key);
    if (token === undefined) {
      token = emptyToken(key, true, 1n);
      this.#tokens.set(key, token);
    }
    return token;
  }

  /** The token's record for a view, without creating it. */
  #peek(key: string, field = "token"): TokenRec {
    const checked = toTokenKey(key, field);
    return this.#tokens.get(checked) ?? emptyToken(checked, true, 1n);
  }

  /** An independent copy of the preview (for what-if questions). */
  clone(): NettingPreview {
    const copy = new NettingPreview();
    copy.#paused = this.#paused;
    copy.#registered = this.#registered === undefined ? undefined : new Set(this.#registered);
    for (const [key, token] of this.#tokens) copy.#tokens.set(key, cloneToken(token));
    return copy;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                    EVENTS
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Applies one vault call and returns what it did.
   * @throws NettingError what the vault would revert with (the preview is then unchanged).
   * @throws InvalidArgumentError for an event the ABI could not encode (naming the field, e.g. `event.amount`).
   */
  apply(event: NettingEvent): NettingResult {
    requireRecord(event, "event");
    switch (event.type) {
      case "deposit":
        return this.deposit(event.member, event.token, event.amount);
      case "obligation":
        return this.recordObligation(event.payer, event.payee, event.token, event.amount, event.ref);
      case "closeCycle":
        return this.closeCycle(event.token, event.timestamp);
      case "processQueue":
        return this.processQueue(event.payer, event.token, event.maxCount);
      case "withdraw":
        return this.withdraw(event.member, event.token, event.amount);
      case "transferFree":
        return this.transferFree(event.from, event.to, event.token, event.amount, event.ref);
      case "pause":
        return this.pause();
      case "unpause":
        return this.unpause();
      case "allowToken":
        return this.allowToken(event.token, event.cycleLength, event.decimals, event.timestamp);
      case "disallowToken":
        return this.disallowToken(event.token);
      case "setCycleLength":
        return this.setCycleLength(event.token, event.cycleLength);
      default:
        throw new InvalidArgumentError("unknown event type", {
          field: "event.type",
          value: (event as { type?: unknown }).type,
        });
    }
  }

  /** Like {@link apply}, but returns a revert as a failed step instead of throwing (InvalidArgumentError still throws). */
  try(event: NettingEvent, index = 0): NettingStep {
    try {
      return { index, event, ok: true, result: this.apply(event) };
    } catch (error) {
      if (error instanceof NettingError) return { index, event, ok: false, error };
      throw error;
    }
  }

  #requireNotPaused(): void {
    if (this.#paused) throw new NettingError("EnforcedPause");
  }

  #requireAllowed(token: TokenRec): void {
    if (!token.allowed) throw new NettingError("SettlementVault_TokenNotAllowed", [token.key]);
  }

  /** A token allowed once: what is owed in it is still recorded after it is disallowed (issue 14). */
  #requireAllowedOnce(token: TokenRec): void {
    if (token.cycle === 0n) throw new NettingError("SettlementVault_TokenNotAllowed", [token.key]);
  }

  /** `_checkAmount`: above zero and at most uint96. */
  #checkAmount(amount: bigint): void {
    if (amount === 0n) throw new NettingError("SettlementVault_ZeroAmount");
    if (amount > VAULT_LIMITS.maxAmount) throw new NettingError("SettlementVault_AmountTooLarge", [amount]);
  }

  /** `deposit(operatorId, token, amount)`. */
  deposit(member: UintLike, token: string, amount: bigint): NettingResult {
    const id = toMemberId(member, "member");
    const key = toTokenKey(token, "token");
    const value = toAmount(amount, "amount");
    this.#requireNotPaused();
    const t = this.#token(key);
    // An allowed token, or one allowed once in which the member has obligations waiting for funds.
    if (!t.allowed && (t.cycle === 0n || (t.queues.get(id)?.entries.length ?? 0) === 0)) {
      throw new NettingError("SettlementVault_TokenNotAllowed", [t.key]);
    }
    this.#checkAmount(value);
    if (id === 0n || (this.#registered !== undefined && !this.#registered.has(id))) {
      throw new NettingError("SettlementVault_UnknownOperator", [id]);
    }
    const tx = new Tx(t);
    const account = tx.touch(id, t.cycle);
    account.balance = addBalance(account.balance, value);
    tx.store(id, account);
    tx.effect(() => (t.liabilities += value));
    tx.logs.push({ name: "Deposited", operatorId: id, token: key, amount: value });
    return { type: "deposit", logs: tx.commit() };
  }

  /** `recordObligation(payer, payee, token, amount, ref)`: applied to the open cycle, or queued. */
  recordObligation(payer: UintLike, payee: UintLike, token: string, amount: bigint, ref?: string): NettingResult {
    const from = toMemberId(payer, "payer");
    const to = toMemberId(payee, "payee");
    const key = toTokenKey(token, "token");
    const value = toAmount(amount, "amount");
    const reference = toRef(ref, "ref");
    this.#requireNotPaused();
    const t = this.#token(key);
    this.#requireAllowedOnce(t);
    if (from === to) throw new NettingError("SettlementVault_SelfObligation", [from]);
    if (from === 0n) throw new NettingError("SettlementVault_UnknownOperator", [from]);
    if (to === 0n) throw new NettingError("SettlementVault_UnknownOperator", [to]);
    this.#checkAmount(value);

    const tx = new Tx(t);
    const account = tx.touch(from, t.cycle);
    const queue = t.queues.get(from);
    const queued = BigInt(queue?.entries.length ?? 0);
    if (queued === 0n && covers(account, value)) {
      this.#applyObligation(tx, from, account, to, value, reference, false);
      tx.store(from, account);
      return { type: "obligation", applied: true, cycle: t.cycle, index: undefined, logs: tx.commit() };
    }
    if (queued === VAULT_LIMITS.maxQueue) throw new NettingError("SettlementVault_QueueFull", [from, key]);
    const index = (queue?.head ?? 0n) + queued;
    tx.store(from, account);
    tx.effect(() => {
      const q = t.queues.get(from) ?? { head: 0n, entries: [] };
      q.entries.push({ payee: to, amount: value, ref: reference });
      t.queues.set(from, q);
    });
    tx.logs.push({
      name: "ObligationQueued",
      token: key,
      payer: from,
      payee: to,
      index,
      amount: value,
      ref: reference,
    });
    return { type: "obligation", applied: false, cycle: t.cycle, index, logs: tx.commit() };
  }

  /**
   * Debits the (settled, covering) payer account in memory, credits the payee, adds the gross and records the
   * application; the caller stores the payer account.
   */
  #applyObligation(
    tx: Tx,
    payer: bigint,
    payerAccount: AccountRec,
    payee: bigint,
    amount: bigint,
    ref: string,
    fromQueue: boolean,
  ): NettingAppliedObligation {
    const t = tx.token;
    const cycle = t.cycle;
    payerAccount.position = toPosition(payerAccount.position - amount);
    // The contract stores the payer before crediting the payee (recordObligation), or keeps it in memory
    // (processQueue); payer != payee, so the order does not change the outcome.
    const payeeAccount = tx.touch(payee, cycle);
    payeeAccount.position = toPosition(payeeAccount.position + amount);
    tx.store(payee, payeeAccount);
    const applied: NettingAppliedObligation = { token: t.key, cycle, payer, payee, amount, ref, fromQueue };
    tx.effect(() => {
      const record = t.cycles.get(cycle) ?? newCycle(cycle, false);
      t.cycles.set(cycle, record);
      record.positions.set(payer, (record.positions.get(payer) ?? 0n) - amount);
      record.positions.set(payee, (record.positions.get(payee) ?? 0n) + amount);
      const key = pairKey(payer, payee);
      const gross = record.gross.get(key);
      if (gross === undefined) record.gross.set(key, { payer, payee, amount });
      else gross.amount += amount;
      record.obligations.push(applied);
      const latest = t.latestGross.get(key);
      if (latest !== undefined && latest.cycle === cycle) latest.amount += amount;
      else t.latestGross.set(key, { cycle, amount });
    });
    tx.logs.push({ name: "ObligationApplied", token: t.key, payer, payee, cycle, amount, ref });
    return applied;
  }

  /** `processQueue(payer, token, maxCount)`: applies queued obligations in order, stopping at the first uncovered. */
  processQueue(payer: UintLike, token: string, maxCount: UintLike): NettingResult {
    const from = toMemberId(payer, "payer");
    const key = toTokenKey(token, "token");
    const max = toUintN(maxCount, 256, "maxCount");
    this.#requireNotPaused();
    if (max === 0n) throw new NettingError("SettlementVault_ZeroCount");
    const t = this.#token(key);
    // Queued obligations are still owed after the token is disallowed: a token allowed once is enough.
    if (t.cycle === 0n) throw new NettingError("SettlementVault_TokenNotAllowed", [key]);
    const entries = t.queues.get(from)?.entries ?? [];
    // Nothing waits: the contract returns before touching the account (no PositionSettled, nothing stored).
    if (entries.length === 0) return { type: "processQueue", applied: 0n, obligations: [], remaining: 0n, logs: [] };
    const tx = new Tx(t);
    const account = tx.touch(from, t.cycle);
    const obligations: NettingAppliedObligation[] = [];
    let applied = 0n;
    while (applied < max && applied < BigInt(entries.length)) {
      const entry = entries[Number(applied)];
      if (!covers(account, entry.amount)) break;
      obligations.push(this.#applyObligation(tx, from, account, entry.payee, entry.amount, entry.ref, true));
      applied += 1n;
    }
    tx.store(from, account);
    const count = Number(applied);
    tx.effect(() => {
      const q = t.queues.get(from)!;
      q.entries.splice(0, count);
      q.head += applied;
    });
    const remaining = BigInt(entries.length) - applied;
    return { type: "processQueue", applied, obligations, remaining, logs: tx.commit() };
  }

  /** `withdraw(operatorId, token, amount)` (the caller is assumed to be the operator's admin). */
  withdraw(member: UintLike, token: string, amount: bigint): NettingResult {
    const id = toMemberId(member, "member");
    const key = toTokenKey(token, "token");
    const value = toAmount(amount, "amount");
    if (value === 0n) throw new NettingError("SettlementVault_ZeroAmount");
    const t = this.#token(key);
    const tx = new Tx(t);
    const account = tx.touch(id, t.cycle);
    const free = freeOf(account);
    if (value > free) throw new NettingError("SettlementVault_InsufficientFreeBalance", [id, key, free, value]);
    account.balance -= value;
    tx.store(id, account);
    tx.effect(() => (t.liabilities -= value));
    tx.logs.push({ name: "Withdrawn", operatorId: id, token: key, amount: value });
    return { type: "withdraw", logs: tx.commit() };
  }

  /** `transferFree(from, to, token, amount, ref)`: moves free balance at once, outside cycles. */
  transferFree(from: UintLike, to: UintLike, token: string, amount: bigint, ref?: string): NettingResult {
    const source = toMemberId(from, "from");
    const target = toMemberId(to, "to");
    const key = toTokenKey(token, "token");
    const value = toAmount(amount, "amount");
    const reference = toRef(ref, "ref");
    this.#requireNotPaused();
    const t = this.#token(key);
    this.#requireAllowed(t);
    if (source === target) throw new NettingError("SettlementVault_SelfObligation", [source]);
    if (target === 0n) throw new NettingError("SettlementVault_UnknownOperator", [target]);
    if (value === 0n) throw new NettingError("SettlementVault_ZeroAmount");
    const tx = new Tx(t);
    const sourceAccount = tx.touch(source, t.cycle);
    const free = freeOf(sourceAccount);
    if (value > free) throw new NettingError("SettlementVault_InsufficientFreeBalance", [source, key, free, value]);
    sourceAccount.balance -= value;
    tx.store(source, sourceAccount);
    const targetAccount = tx.touch(target, t.cycle);
    targetAccount.balance = addBalance(targetAccount.balance, value);
    tx.store(target, targetAccount);
    tx.logs.push({
      name: "FreeBalanceTransferred",
      token: key,
      from: source,
      to: target,
      amount: value,
      ref: reference,
    });
    return { type: "transferFree", logs: tx.commit() };
  }

  /**
   * `closeCycle(token)`. With a `timestamp`, a cycle whose end is known and not reached reverts `CycleNotEnded`, and
   * the next cycle's end becomes `timestamp + nextCycleLength`; without one, the close is not time-checked and the
   * next end is unknown.
   */
  closeCycle(token: string, timestamp?: bigint): NettingResult {
    const key = toTokenKey(token, "token");
    const now = timestamp === undefined ? undefined : toUintN(timestamp, 256, "timestamp");
    const t = this.#token(key);
    if (t.cycle === 0n) throw new NettingError("SettlementVault_TokenNotAllowed", [key]);
    if (now !== undefined && t.openEnd !== undefined && now < t.openEnd) {
      throw new NettingError("SettlementVault_CycleNotEnded", [key, t.openEnd]);
    }
    const length = t.nextCycleLength;
    let nextEnd: bigint | undefined;
    if (now !== undefined && length !== undefined) {
      // uint40(block.timestamp) + length, in checked uint40 arithmetic.
      nextEnd = (now % 2n ** 40n) + length;
      if (nextEnd > VAULT_LIMITS.maxTimestamp) throw new NettingError("Panic", [NETTING_PANIC_ARITHMETIC]);
    }
    const closed = t.cycle;
    if (closed === VAULT_LIMITS.maxCycle) throw new NettingError("Panic", [NETTING_PANIC_ARITHMETIC]);
    const opened = closed + 1n;
    const record = t.cycles.get(closed);
    if (record !== undefined) {
      record.closed = true;
      record.closedAt = now === undefined ? undefined : now % 2n ** 40n;
    }
    t.cycle = opened;
    t.cycleLength = length;
    t.openEnd = nextEnd;
    t.cycles.set(opened, newCycle(opened, true));
    const logs: NettingLog[] = [
      {
        name: "CycleClosed",
        token: key,
        cycle: closed,
        closedAt: now === undefined ? undefined : now % 2n ** 40n,
        nextEnd,
      },
    ];
    return { type: "closeCycle", closed, opened, nextEnd, logs };
  }

  /** `pause()`. */
  pause(): NettingResult {
    if (this.#paused) throw new NettingError("EnforcedPause");
    this.#paused = true;
    return { type: "pause", logs: [{ name: "Paused" }] };
  }

  /** `unpause()`. */
  unpause(): NettingResult {
    if (!this.#paused) throw new NettingError("ExpectedPause");
    this.#paused = false;
    return { type: "unpause", logs: [{ name: "Unpaused" }] };
  }

  /** `allowToken(token, cycleLength)`: a token allowed for the first time opens its cycle 1. */
  allowToken(token: string, cycleLength: UintLike, decimals?: number, timestamp?: bigint): NettingResult {
    const key = toTokenKey(token, "token");
    const length = toUintN(cycleLength, 32, "cycleLength");
    const dec = toDecimals(decimals, "decimals");
    const now = timestamp === undefined ? undefined : toUintN(timestamp, 256, "timestamp");
    const t = this.#tokens.get(key) ?? emptyToken(key, false, 0n);
    if (t.allowed) throw new NettingError("SettlementVault_TokenAlreadyAllowed", [key]);
    if (length === 0n) throw new NettingError("SettlementVault_ZeroCycleLength");
    if (dec !== undefined && dec > VAULT_LIMITS.maxDecimals) {
      throw new NettingError("SettlementVault_UnsupportedDecimals", [key, BigInt(dec)]);
    }
    let openEnd = t.openEnd;
    if (t.cycle === 0n && now !== undefined) {
      openEnd = (now % 2n ** 40n) + length;
      if (openEnd > VAULT_LIMITS.maxTimestamp) throw new NettingError("Panic", [NETTING_PANIC_ARITHMETIC]);
    }
    t.allowed = true;
    t.decimals = dec ?? t.decimals;
    t.nextCycleLength = length;
    if (t.cycle === 0n) {
      t.cycle = 1n;
      t.cycleLength = length;
      t.openEnd = now === undefined ? undefined : openEnd;
      t.cycles.set(1n, newCycle(1n, true));
    }
    this.#tokens.set(key, t);
    return {
      type: "allowToken",
      logs: [{ name: "TokenAllowed", token: key, decimals: t.decimals, cycleLength: length, openEnd: t.openEnd }],
    };
  }

  /** `disallowToken(token)`: no new deposits (but a member's with obligations waiting) or transfers; what is owed is still recorded; withdrawals, queue processing and closes go on. */
  disallowToken(token: string): NettingResult {
    const key = toTokenKey(token, "token");
    const t = this.#token(key);
    this.#requireAllowed(t);
    t.allowed = false;
    return { type: "disallowToken", logs: [{ name: "TokenDisallowed", token: key }] };
  }

  /** `setCycleLength(token, cycleLength)`: the length of the cycles that open from the next close on. */
  setCycleLength(token: string, cycleLength: UintLike): NettingResult {
    const key = toTokenKey(token, "token");
    const length = toUintN(cycleLength, 32, "cycleLength");
    const t = this.#token(key);
    if (t.cycle === 0n) throw new NettingError("SettlementVault_TokenNotAllowed", [key]);
    if (length === 0n) throw new NettingError("SettlementVault_ZeroCycleLength");
    t.nextCycleLength = length;
    return { type: "setCycleLength", logs: [{ name: "CycleLengthChanged", token: key, cycleLength: length }] };
  }

  /*//////////////////////////////////////////////////////////////////////////
                                    VIEWS
  //////////////////////////////////////////////////////////////////////////*/

  /** Whether the vault is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The tokens the preview knows, in the order it met them. */
  get tokens(): string[] {
    return [...this.#tokens.keys()];
  }

  /** `tokenConfig(token)`. */
  tokenConfig(token: string): NettingTokenConfig {
    const t = this.#peek(token);
    return {
      token: t.key,
      allowed: t.allowed,
      decimals: t.decimals,
      cycle: t.cycle,
      openEnd: t.openEnd,
      cycleLength: t.cycleLength,
      nextCycleLength: t.nextCycleLength,
    };
  }

  /** The open cycle of `token`. */
  currentCycle(token: string): bigint {
    return this.#peek(token).cycle;
  }

  /** `accountOf(member, token)`: the account as stored, before a pending position is applied. */
  accountOf(member: UintLike, token: string): NettingAccount {
    const id = toMemberId(member, "member");
    const t = this.#peek(token);
    const account = t.accounts.get(id) ?? { balance: 0n, position: 0n, cycle: 0n };
    return { ...account, queued: BigInt(t.queues.get(id)?.entries.length ?? 0) };
  }

  #settledAccount(member: UintLike, token: string): AccountRec {
    const id = toMemberId(member, "member");
    const t = this.#peek(token);
    return settled(t.accounts.get(id) ?? { balance: 0n, position: 0n, cycle: 0n }, t.cycle);
  }

  /** `balanceOf(member, token)`: the effective balance (settled balance plus a pending position of a closed cycle). */
  balanceOf(member: UintLike, token: string): bigint {
    return this.#settledAccount(member, token).balance;
  }

  /** `openPositionOf(member, token)`: the position in the open cycle. */
  openPositionOf(member: UintLike, token: string): bigint {
    return this.#settledAccount(member, token).position;
  }

  /** `freeBalanceOf(member, token)`: what the member may withdraw now. */
  freeBalanceOf(member: UintLike, token: string): bigint {
    return freeOf(this.#settledAccount(member, token));
  }

  /** `queueLength(payer, token)`. */
  queueLength(payer: UintLike, token: string): bigint {
    return BigInt(this.#peek(token).queues.get(toMemberId(payer, "payer"))?.entries.length ?? 0);
  }

  /** The index the payer's next queued obligation would get (the queue head plus its length). */
  queueTail(payer: UintLike, token: string): bigint {
    const queue = this.#peek(token).queues.get(toMemberId(payer, "payer"));
    return queue === undefined ? 0n : queue.head + BigInt(queue.entries.length);
  }

  /** `queuedObligations(payer, token, offset, limit)`: a page of the payer's queue, oldest first. */
  queuedObligations(
    payer: UintLike,
    token: string,
    offset: UintLike = 0n,
    limit: UintLike = MAX_LIMIT,
  ): NettingQueuedObligation[] {
    const id = toMemberId(payer, "payer");
    const from = toUintN(offset, 256, "offset");
    const size = toUintN(limit, 256, "limit");
    const entries = this.#peek(token).queues.get(id)?.entries ?? [];
    if (from >= BigInt(entries.length)) return [];
    const end = from + size > BigInt(entries.length) ? entries.length : Number(from + size);
    return entries.slice(Number(from), end).map((e) => ({ ...e }));
  }

  /** One member's figures in `token`: balance, free balance, open position and queue length (the vault's views). */
  memberView(member: UintLike, token: string): NettingMemberView {
    const id = toMemberId(member, "member");
    const t = this.#peek(token);
    const account = this.#settledAccount(id, t.key);
    return {
      member: id,
      token: t.key,
      balance: account.balance,
      free: freeOf(account),
      openPosition: account.position,
      queued: this.queueLength(id, t.key),
    };
  }

  /** The members with an account or a queue in `token`, in ascending id. */
  members(token: string): bigint[] {
    const t = this.#peek(token);
    return [...new Set([...t.accounts.keys(), ...t.queues.keys()])].sort(byId);
  }

  /** `totalLiabilities(token)`: what the vault owes its members (deposits minus withdrawals). */
  totalLiabilities(token: string): bigint {
    return this.#peek(token).liabilities;
  }

  /**
   * `bilateralGross(token, cycle, payer, payee)`, with the vault's retention: it keeps one figure per pair, that of the
   * latest cycle in which the pair had an obligation, so an older cycle answers `{ gross: 0n, retained: false }`.
   * @throws NettingError `SettlementVault_FutureCycle` for a cycle after the open one.
   */
  bilateralGross(
    token: string,
    cycle: UintLike,
    payer: UintLike,
    payee: UintLike,
  ): { gross: bigint; retained: boolean } {
    const t = this.#peek(token);
    const n = toUintN(cycle, 32, "cycle");
    const from = toMemberId(payer, "payer");
    const to = toMemberId(payee, "payee");
    if (n > t.cycle) throw new NettingError("SettlementVault_FutureCycle", [t.key, n, t.cycle]);
    const g = t.latestGross.get(pairKey(from, to)) ?? { cycle: 0n, amount: 0n };
    if (g.cycle === n) return { gross: g.amount, retained: true };
    return { gross: 0n, retained: g.cycle < n };
  }

  #cycle(token: string, cycle: UintLike | undefined): [TokenRec, CycleRec] {
    const t = this.#peek(token);
    const n = cycle === undefined ? t.cycle : toUintN(cycle, 32, "cycle");
    const record = t.cycles.get(n);
    if (record === undefined) {
      const known = [...t.cycles.keys()].sort(byId);
      throw new InvalidArgumentError(
        known.length === 0
          ? "the preview knows no cycle of this token"
          : `the preview knows cycles ${known[0]} to ${known[known.length - 1]} of this token`,
        { field: "cycle", value: cycle },
      );
    }
    return [t, record];
  }

  /** The full bilateral gross of (payer, payee) in a cycle the preview knows (not only the latest, as the vault). */
  grossOf(token: string, cycle: UintLike, payer: UintLike, payee: UintLike): bigint {
    const [, record] = this.#cycle(token, cycle);
    return record.gross.get(pairKey(toMemberId(payer, "payer"), toMemberId(payee, "payee")))?.amount ?? 0n;
  }

  /** The members' positions in a cycle (default the open one), in ascending id; they sum to zero. */
  positionsOf(token: string, cycle?: UintLike): MemberPosition[] {
    const [, record] = this.#cycle(token, cycle);
    return positionsFromMap(record.positions);
  }

  /**
   * The settlement report of a cycle (default the open one): net positions, bilateral gross, the payments that settle
   * it and the gross-versus-net statistics.
   */
  cycleReport(token: string, cycle?: UintLike): NettingCycleReport {
    const [t, record] = this.#cycle(token, cycle);
    const positions = positionsFromMap(record.positions);
    const gross = sortGross([...record.gross.values()].map((g) => ({ ...g })));
    const plan = settlementPlan(positions);
    return {
      token: t.key,
      cycle: record.cycle,
      status: record.closed ? "closed" : "open",
      closedAt: record.closedAt,
      complete: record.complete,
      obligations: [...record.obligations],
      positions,
      gross,
      plan,
      stats: statsOf(record.obligations.length, gross, positions, plan),
    };
  }

  /** The reports of every cycle of `token` the preview knows, oldest first. */
  cycleReports(token: string): NettingCycleReport[] {
    const t = this.#peek(token);
    return [...t.cycles.keys()].sort(byId).map((n) => this.cycleReport(t.key, n));
  }
}

/** The outcome of {@link simulateNetting}. */
export interface NettingSimulation {
  /** The state after the last event. */
  preview: NettingPreview;
  /** One step per event: its result, or the error the vault would revert with (the state then unchanged). */
  steps: NettingStep[];
}

/**
 * Replays `events` from `init`. An event the vault would revert is recorded as a failed step and leaves the state
 * unchanged, as a reverted transaction; replay goes on with the next event.
 */
export function simulateNetting(events: Iterable<NettingEvent>, init: NettingInit = {}): NettingSimulation {
  const preview = new NettingPreview(init);
  const steps: NettingStep[] = [];
  let index = 0;
  for (const event of events) {
    steps.push(preview.try(event, index));
    index += 1;
  }
  return { preview, steps };
}
