import { expect } from "chai";
import type { ContractTransactionReceipt, Interface } from "ethers";

import type { SettlementVault, VaultInspector } from "../../sdk/src/typechain";

/** The most one vault obligation carries (`SettlementVault.MAX_OBLIGATION`, uint96). */
export const MAX_OBLIGATION = 2n ** 96n - 1n;

/** A refusal the model predicts: the contract whose interface declares the error, its name and its arguments. */
export interface Refusal {
  on: { interface: Interface };
  name: string;
  args: readonly unknown[];
}

/** One event the model expects a contract to emit, with every argument (in declaration order). */
export interface ExpectedEvent {
  name: string;
  args: readonly unknown[];
}

/** An account as the vault stores it (`Account`), raw: a closed cycle's position not yet applied. */
export interface RawAccount {
  balance: bigint;
  position: bigint;
  cycle: bigint;
  queued: bigint;
}

interface TokenState {
  allowed: boolean;
  cycle: bigint;
  openEnd: bigint;
  nextCycleLength: bigint;
  /** Deposits less withdrawals: what the vault owes its members (`totalLiabilities`). */
  liabilities: bigint;
  /** Tokens sent to the vault outside deposits (its surplus). */
  donated: bigint;
}

interface QueuedEntry {
  payee: bigint;
  amount: bigint;
  ref: string;
}

/** What became of one obligation, by its vault reference. */
export interface ObligationRecord {
  token: string;
  payer: bigint;
  payee: bigint;
  amount: bigint;
  status: "applied" | "queued";
}

const lower = (a: string) => a.toLowerCase();

/**
 * A model of the SettlementVault's ledger (docs/ARCHITECTURE.md section 8), kept by the invariant campaigns from their
 * own actions only: raw accounts per (token, member) with the touch rule, the open cycle per token, FIFO queues per
 * payer, the finality rule, and every obligation by reference. Each operation predicts the vault events its
 * transaction emits (`takeEvents`), so a campaign compares them with the receipt, and {@link checkVault} compares the
 * vault's views with the model after every action.
 */
export class VaultLedger {
  private readonly tokens = new Map<string, TokenState>();
  private readonly accounts = new Map<string, RawAccount>();
  private readonly queues = new Map<string, QueuedEntry[]>();
  private readonly heads = new Map<string, bigint>();
  /** Every obligation ever recorded, by reference (V4: a reference is recorded once, applied at most once). */
  readonly obligations = new Map<string, ObligationRecord>();
  private expected: ExpectedEvent[] = [];
  readonly stats = { applied: 0, queued: 0, fromQueue: 0, closes: 0 };

  constructor(readonly members: readonly bigint[]) {}

  /** Starts the model from a token's state as a fixture left it (its liabilities, surplus and open cycle). */
  seedToken(
    token: string,
    config: { allowed: boolean; cycle: bigint; openEnd: bigint; nextCycleLength: bigint },
    liabilities: bigint,
    donated: bigint,
  ): void {
    this.tokens.set(lower(token), { ...config, liabilities, donated });
  }

  /** Starts the model from a member's raw account as a fixture left it (nothing queued). */
  seedAccount(token: string, id: bigint, raw: RawAccount): void {
    this.accounts.set(this.key(token, id), { ...raw });
  }

  token(token: string): Readonly<TokenState> {
    const t = this.tokens.get(lower(token));
    if (t === undefined) throw new Error(`unknown token ${token}`);
    return t;
  }

  tokenList(): string[] {
    return [...this.tokens.keys()];
  }

  /** The events the operations since the last call predicted, in order; clears them. */
  takeEvents(): ExpectedEvent[] {
    const events = this.expected;
    this.expected = [];
    return events;
  }

  private key(token: string, id: bigint): string {
    return `${lower(token)}:${id}`;
  }

  raw(token: string, id: bigint): RawAccount {
    return { ...(this.accounts.get(this.key(token, id)) ?? { balance: 0n, position: 0n, cycle: 0n, queued: 0n }) };
  }

  private settled(account: RawAccount, cycle: bigint): RawAccount {
    const a = { ...account };
    if (a.cycle < cycle) {
      if (a.position !== 0n) {
        a.balance += a.position;
        a.position = 0n;
      }
      a.cycle = cycle;
    }
    return a;
  }

  /** `_touch`: the account with a closed cycle's position applied (`PositionSettled` when there was one). */
  private touch(token: string, id: bigint): RawAccount {
    const cycle = this.token(token).cycle;
    const raw = this.raw(token, id);
    if (raw.cycle < cycle && raw.position !== 0n) {
      this.expected.push({ name: "PositionSettled", args: [id, token, raw.cycle, raw.position] });
    }
    return this.settled(raw, cycle);
  }

  private store(token: string, id: bigint, account: RawAccount): void {
    this.accounts.set(this.key(token, id), account);
  }

  /** The effective balance, as `balanceOf` reads it. */
  balance(token: string, id: bigint): bigint {
    return this.settled(this.raw(token, id), this.token(token).cycle).balance;
  }

  /** The open position, as `openPositionOf` reads it. */
  openPosition(token: string, id: bigint): bigint {
    return this.settled(this.raw(token, id), this.token(token).cycle).position;
  }

  /** The free balance: the effective balance less the open net debit. */
  free(token: string, id: bigint): bigint {
    const a = this.settled(this.raw(token, id), this.token(token).cycle);
    return a.balance - (a.position < 0n ? -a.position : 0n);
  }

  queued(token: string, id: bigint): bigint {
    return this.raw(token, id).queued;
  }

  private covers(a: RawAccount, amount: bigint): boolean {
    const next = a.position - amount;
    return next >= 0n || -next <= a.balance;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                    REFUSALS
  //////////////////////////////////////////////////////////////////////////*/

  /** Why `deposit` is refused, if it is: an allowed token (or one allowed once, by a member with a queue), amount. */
  depositRefusal(vault: SettlementVault, token: string, id: bigint, amount: bigint): Refusal | undefined {
    const t = this.token(token);
    if (!t.allowed && (t.cycle === 0n || this.queued(token, id) === 0n)) {
      return { on: vault, name: "SettlementVault_TokenNotAllowed", args: [token] };
    }
    if (amount === 0n) return { on: vault, name: "SettlementVault_ZeroAmount", args: [] };
    if (amount > MAX_OBLIGATION) return { on: vault, name: "SettlementVault_AmountTooLarge", args: [amount] };
    return undefined;
  }

  withdrawRefusal(vault: SettlementVault, token: string, id: bigint, amount: bigint): Refusal | undefined {
    if (amount === 0n) return { on: vault, name: "SettlementVault_ZeroAmount", args: [] };
    const free = this.free(token, id);
    if (amount > free) {
      return { on: vault, name: "SettlementVault_InsufficientFreeBalance", args: [id, token, free, amount] };
    }
    return undefined;
  }

  /** Why `recordObligation` is refused, if it is (the suite contracts only ever send valid parties). */
  recordRefusal(vault: SettlementVault, token: string, amount: bigint): Refusal | undefined {
    if (this.token(token).cycle === 0n) return { on: vault, name: "SettlementVault_TokenNotAllowed", args: [token] };
    if (amount === 0n) return { on: vault, name: "SettlementVault_ZeroAmount", args: [] };
    if (amount > MAX_OBLIGATION) return { on: vault, name: "SettlementVault_AmountTooLarge", args: [amount] };
    return undefined;
  }

  transferRefusal(vault: SettlementVault, token: string, from: bigint, amount: bigint): Refusal | undefined {
    if (!this.token(token).allowed) return { on: vault, name: "SettlementVault_TokenNotAllowed", args: [token] };
    if (amount === 0n) return { on: vault, name: "SettlementVault_ZeroAmount", args: [] };
    const free = this.free(token, from);
    if (amount > free) {
      return { on: vault, name: "SettlementVault_InsufficientFreeBalance", args: [from, token, free, amount] };
    }
    return undefined;
  }

  closeRefusal(vault: SettlementVault, token: string, now: bigint): Refusal | undefined {
    const t = this.token(token);
    if (now < t.openEnd) return { on: vault, name: "SettlementVault_CycleNotEnded", args: [token, t.openEnd] };
    return undefined;
  }

  /*//////////////////////////////////////////////////////////////////////////
                                   OPERATIONS
  //////////////////////////////////////////////////////////////////////////*/

  deposit(token: string, id: bigint, amount: bigint, from: string): void {
    const a = this.touch(token, id);
    a.balance += amount;
    this.store(token, id, a);
    (this.tokens.get(lower(token)) as TokenState).liabilities += amount;
    this.expected.push({ name: "Deposited", args: [id, token, from, amount] });
  }

  withdraw(token: string, id: bigint, amount: bigint, to: string): void {
    const a = this.touch(token, id);
    a.balance -= amount;
    this.store(token, id, a);
    (this.tokens.get(lower(token)) as TokenState).liabilities -= amount;
    this.expected.push({ name: "Withdrawn", args: [id, token, to, amount] });
  }

  donate(token: string, amount: bigint): void {
    (this.tokens.get(lower(token)) as TokenState).donated += amount;
  }

  private credit(token: string, payee: bigint, amount: bigint): void {
    const a = this.touch(token, payee);
    a.position += amount;
    this.store(token, payee, a);
  }

  /**
   * `recordObligation`: applied to the open cycle when the payer has nothing queued and its funds cover the resulting
   * net debit, else queued. Returns what became of it.
   */
  record(token: string, payer: bigint, payee: bigint, amount: bigint, ref: string): "applied" | "queued" {
    expect(this.obligations.has(ref), `V4: vault reference ${ref} recorded twice`).to.equal(false);
    const cycle = this.token(token).cycle;
    const a = this.touch(token, payer);
    if (a.queued === 0n && this.covers(a, amount)) {
      a.position -= amount;
      this.store(token, payer, a);
      this.credit(token, payee, amount);
      this.expected.push({ name: "ObligationApplied", args: [token, payer, payee, cycle, amount, ref] });
      this.obligations.set(ref, { token: lower(token), payer, payee, amount, status: "applied" });
      this.stats.applied++;
      return "applied";
    }
    const q = this.queues.get(this.key(token, payer)) ?? [];
    const index = (this.heads.get(this.key(token, payer)) ?? 0n) + a.queued;
    q.push({ payee, amount, ref });
    this.queues.set(this.key(token, payer), q);
    a.queued += 1n;
    this.store(token, payer, a);
    this.expected.push({ name: "ObligationQueued", args: [token, payer, payee, index, amount, ref] });
    this.obligations.set(ref, { token: lower(token), payer, payee, amount, status: "queued" });
    this.stats.queued++;
    return "queued";
  }

  /** Whether the payer's funds cover the head of its queue now (false when nothing is queued). */
  headCovered(token: string, payer: bigint): boolean {
    const a = this.settled(this.raw(token, payer), this.token(token).cycle);
    const q = this.queues.get(this.key(token, payer)) ?? [];
    return a.queued > 0n && this.covers(a, q[0].amount);
  }

  /** `processQueue`: applies the payer's queue in order while its funds cover the head. Returns how many. */
  processQueue(token: string, payer: bigint, maxCount: bigint): number {
    if (this.queued(token, payer) === 0n) return 0;
    const cycle = this.token(token).cycle;
    const a = this.touch(token, payer);
    const q = this.queues.get(this.key(token, payer)) ?? [];
    let applied = 0;
    while (BigInt(applied) < maxCount && a.queued > 0n) {
      const entry = q[0];
      if (!this.covers(a, entry.amount)) break;
      a.position -= entry.amount;
      this.credit(token, entry.payee, entry.amount);
      this.expected.push({
        name: "ObligationApplied",
        args: [token, payer, entry.payee, cycle, entry.amount, entry.ref],
      });
      const o = this.obligations.get(entry.ref) as ObligationRecord;
      expect(o.status, `V4: obligation ${entry.ref} applied twice`).to.equal("queued");
      o.status = "applied";
      q.shift();
      a.queued -= 1n;
      applied++;
      this.stats.fromQueue++;
    }
    this.store(token, payer, a);
    this.heads.set(this.key(token, payer), (this.heads.get(this.key(token, payer)) ?? 0n) + BigInt(applied));
    return applied;
  }

  transferFree(token: string, from: bigint, to: bigint, amount: bigint, ref: string): void {
    const source = this.touch(token, from);
    source.balance -= amount;
    this.store(token, from, source);
    const target = this.touch(token, to);
    target.balance += amount;
    this.store(token, to, target);
    this.expected.push({ name: "FreeBalanceTransferred", args: [token, from, to, amount, ref] });
  }

  closeCycle(token: string, now: bigint): void {
    const t = this.tokens.get(lower(token)) as TokenState;
    const nextEnd = now + t.nextCycleLength;
    this.expected.push({ name: "CycleClosed", args: [token, t.cycle, now, nextEnd] });
    t.cycle += 1n;
    t.openEnd = nextEnd;
    this.stats.closes++;
  }

  disallow(token: string): void {
    (this.tokens.get(lower(token)) as TokenState).allowed = false;
    this.expected.push({ name: "TokenDisallowed", args: [token] });
  }

  /** `allowToken` again: the token keeps its running cycle; the next cycles take `cycleLength`. */
  allow(token: string, cycleLength: bigint, decimals: bigint): void {
    const t = this.tokens.get(lower(token)) as TokenState;
    t.allowed = true;
    t.nextCycleLength = cycleLength;
    this.expected.push({ name: "TokenAllowed", args: [token, decimals, cycleLength, t.openEnd] });
  }
}

/** The vault's events in a receipt, as (name, args) in log order. */
export function vaultEventsOf(vault: SettlementVault, receipt: ContractTransactionReceipt): ExpectedEvent[] {
  return eventsOf(vault, receipt);
}

/** The events a contract emitted in a receipt, as (name, args) in log order. */
export function eventsOf(
  contract: { interface: Interface; target: unknown },
  receipt: ContractTransactionReceipt,
): ExpectedEvent[] {
  const address = lower(String(contract.target));
  const events: ExpectedEvent[] = [];
  for (const log of receipt.logs) {
    if (lower(log.address) !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed !== null) events.push({ name: parsed.name, args: [...parsed.args] });
  }
  return events;
}

/** Normalises event arguments for comparison: addresses and hashes in lower case, numbers as bigints. */
function normalised(events: readonly ExpectedEvent[]): { name: string; args: unknown[] }[] {
  const norm = (v: unknown): unknown => {
    if (typeof v === "string") return v.toLowerCase();
    if (typeof v === "number") return BigInt(v);
    if (typeof v === "boolean") return v;
    if (typeof v === "bigint") return v;
    if (Array.isArray(v)) return v.map(norm);
    return v;
  };
  return events.map((e) => ({ name: e.name, args: e.args.map(norm) }));
}

/** Asserts that a contract emitted exactly `expected` (names and arguments, in order) in `receipt`. */
export function expectEvents(
  contract: { interface: Interface; target: unknown },
  receipt: ContractTransactionReceipt,
  expected: readonly ExpectedEvent[],
  what: string,
): void {
  expect(normalised(eventsOf(contract, receipt)), what).to.deep.equal(normalised(expected));
}

/**
 * V1-V4 and V6 on the vault's own views, one call per token (`VaultInspector`), against the ledger: the vault's token
 * balance equals its liabilities plus its surplus (exactly what was sent outside deposits), the liabilities equal the
 * members' raw accounts (balance plus any unapplied position), the open positions sum to zero, and every member's raw
 * account, effective balance, free balance, open position and queue length are the model's.
 */
export async function checkVault(
  vault: SettlementVault,
  inspector: VaultInspector,
  ledger: VaultLedger,
): Promise<void> {
  for (const token of ledger.tokenList()) {
    const t = ledger.token(token);
    const v = await inspector.inspect(vault, token, [...ledger.members]);
    expect([v.config.cycle, v.config.openEnd, v.config.allowed], "vault: token cycle").to.deep.equal([
      t.cycle,
      t.openEnd,
      t.allowed,
    ]);
    expect(v.liabilities, "V1: liabilities = deposits - withdrawals").to.equal(t.liabilities);
    expect(v.held, "V1: token balance = liabilities + surplus").to.equal(v.liabilities + v.surplus);
    expect(v.surplus, "V1: surplus = what was sent outside deposits").to.equal(t.donated);
    let accounts = 0n;
    let open = 0n;
    for (const m of v.members) {
      const raw = ledger.raw(token, m.id);
      expect(
        [m.raw.balance, m.raw.position, m.raw.cycle, m.raw.queued],
        `vault: raw account of #${m.id} in ${token}`,
      ).to.deep.equal([raw.balance, raw.position, raw.cycle, raw.queued]);
      expect(
        [m.balance, m.free, m.openPosition, m.queued],
        `vault: balance, free, open position, queue of #${m.id}`,
      ).to.deep.equal([
        ledger.balance(token, m.id),
        ledger.free(token, m.id),
        ledger.openPosition(token, m.id),
        raw.queued,
      ]);
      expect(m.balance + (m.openPosition < 0n ? m.openPosition : 0n), "V6: open debit covered").to.be.gte(0n);
      accounts += m.raw.balance + m.raw.position;
      open += m.openPosition;
      // Liveness: a queue whose head the payer's funds cover advances for anyone who asks, and only then.
      if (raw.queued > 0n) {
        const advances = await vault.processQueue.staticCall(m.id, token, 1, { blockTag: "pending" });
        expect(advances, `V7: queue of #${m.id} advances once its head is covered`).to.equal(
          ledger.headCovered(token, m.id) ? 1n : 0n,
        );
      }
    }
    expect(accounts, "V1: liabilities = Σ raw accounts").to.equal(v.liabilities);
    expect(open, "V2: open positions sum to zero").to.equal(0n);
  }
}
