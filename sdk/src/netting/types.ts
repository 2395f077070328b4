/**
 * Types of the netting preview (`sdk/src/netting/`): its initial state, the events it replays, what each event does
 * (result and the vault's events, "logs"), its views, and the per-cycle settlement reports.
 *
 * Conventions: money is always `bigint` in token base units; member ids are operator ids (`uint32`, 1 and up) and come
 * back as `bigint`; a token is identified by a string key, normally its checksummed address (error arguments and logs
 * carry the same string). Counts that cannot overflow a double (numbers of transfers) are `number`.
 */
import type { UintLike } from "../validation";

/** The vault's storage bounds, as the contract enforces them (`VaultTypes.sol`). */
export const VAULT_LIMITS = {
  /** The largest operator id (`uint32`). */
  maxOperatorId: 2n ** 32n - 1n,
  /** The largest single deposit or obligation (`uint96`). */
  maxAmount: 2n ** 96n - 1n,
  /** The largest balance (`Account.balance`, `uint104`). */
  maxBalance: 2n ** 104n - 1n,
  /** The position bounds (`Account.position`, `int104`). */
  minPosition: -(2n ** 103n),
  maxPosition: 2n ** 103n - 1n,
  /** The most obligations one payer may have waiting in one token (`Account.queued`, `uint16`). */
  maxQueue: 65_535n,
  /** The largest cycle number (`uint32`). */
  maxCycle: 2n ** 32n - 1n,
  /** The largest cycle end (`uint40`). */
  maxTimestamp: 2n ** 40n - 1n,
  /** The longest cycle (`uint32` seconds). */
  maxCycleLength: 2n ** 32n - 1n,
  /** The most decimals an allowed token may have. */
  maxDecimals: 18,
} as const;

/** The `bytes32` reference used when an event gives none. */
export const ZERO_REF = `0x${"0".repeat(64)}`;

/*//////////////////////////////////////////////////////////////////////////
                                INITIAL STATE
//////////////////////////////////////////////////////////////////////////*/

/**
 * One token's cycle state at the start. A token the preview meets without a declaration is taken as allowed, in its
 * cycle 1, with no known end (closes are then not time-checked).
 */
export interface NettingTokenInit {
  token: string;
  /** Whether deposits and obligations are accepted (default true). */
  allowed?: boolean;
  /** The open cycle (default 1n). `0n` means "never allowed", which requires `allowed: false`. */
  cycle?: bigint;
  /** When the open cycle may close (Unix seconds); unknown if omitted. */
  openEnd?: bigint;
  /** The length of the open cycle, in seconds. */
  cycleLength?: bigint;
  /** The length of the cycles that open from the next close on (default `cycleLength`). */
  nextCycleLength?: bigint;
  /** The token's decimals, if known (reported in `tokenConfig` and `TokenAllowed`). */
  decimals?: number;
  /**
   * What the vault owes in this token (`totalLiabilities`). Default: the sum over the accounts given of
   * `balance + pendingPosition` (open positions sum to zero), which is exact when every member is given.
   */
  totalLiabilities?: bigint;
}

/** One obligation waiting in a payer's queue. */
export interface NettingQueuedObligationInit {
  payee: UintLike;
  amount: bigint;
  /** Default {@link ZERO_REF}. */
  ref?: string;
}

/**
 * One member's account in one token at the start. A member has at most one position: either in the open cycle, or of
 * a closed cycle not yet applied to its balance (as the contract's single `Account` slot).
 */
export interface NettingAccountInit {
  member: UintLike;
  token: string;
  /** The settled balance (default 0n). */
  balance?: bigint;
  /** The position (credits minus debits) in the open cycle (default 0n). Open positions must sum to zero. */
  openPosition?: bigint;
  /** A position of a closed cycle, not yet applied to the balance (default 0n). */
  pendingPosition?: bigint;
  /** The cycle of `pendingPosition` (default: the open cycle minus one). */
  pendingCycle?: bigint;
  /** The index of the first waiting obligation (default 0n); only used for the indexes of `ObligationQueued`. */
  queueHead?: bigint;
  /** The member's waiting obligations as payer, oldest first. */
  queue?: readonly NettingQueuedObligationInit[];
}

/** The gross amount the vault retains for a pair: the latest cycle in which `payer` owed `payee`. */
export interface NettingGrossInit {
  token: string;
  cycle: bigint;
  payer: UintLike;
  payee: UintLike;
  amount: bigint;
}

/** The state the preview starts from. Everything is optional: an empty vault with implicitly allowed tokens. */
export interface NettingInit {
  tokens?: readonly NettingTokenInit[];
  accounts?: readonly NettingAccountInit[];
  /** Retained bilateral gross amounts (those of the open cycle also seed its report). */
  gross?: readonly NettingGrossInit[];
  /** The registered operators. If given, deposits to any other id revert `UnknownOperator`; otherwise only id 0 does. */
  registered?: readonly UintLike[];
  /** Whether the vault is paused (default false). */
  paused?: boolean;
}

/*//////////////////////////////////////////////////////////////////////////
                                   EVENTS
//////////////////////////////////////////////////////////////////////////*/

/** `deposit(member, token, amount)` by anyone holding the tokens (the transfer is assumed to succeed in full). */
export interface NettingDepositEvent {
  type: "deposit";
  member: UintLike;
  token: string;
  amount: bigint;
}

/** `recordObligation(payer, payee, token, amount, ref)` by a suite contract. */
export interface NettingObligationEvent {
  type: "obligation";
  payer: UintLike;
  payee: UintLike;
  token: string;
  amount: bigint;
  /** Default {@link ZERO_REF}. */
  ref?: string;
}

/** `closeCycle(token)` at `timestamp` (if given, it is checked against the cycle's end and sets the next end). */
export interface NettingCloseCycleEvent {
  type: "closeCycle";
  token: string;
  timestamp?: bigint;
}

/** `processQueue(payer, token, maxCount)` (also after the token was disallowed: those obligations are still owed). */
export interface NettingProcessQueueEvent {
  type: "processQueue";
  payer: UintLike;
  token: string;
  maxCount: UintLike;
}

/** `withdraw(member, token, amount)` by the member's admin (the caller is assumed to be the admin). */
export interface NettingWithdrawEvent {
  type: "withdraw";
  member: UintLike;
  token: string;
  amount: bigint;
}

/** `transferFree(from, to, token, amount, ref)` by a suite contract. */
export interface NettingTransferFreeEvent {
  type: "transferFree";
  from: UintLike;
  to: UintLike;
  token: string;
  amount: bigint;
  /** Default {@link ZERO_REF}. */
  ref?: string;
}

/** `pause()` / `unpause()`. */
export interface NettingPauseEvent {
  type: "pause" | "unpause";
}

/** `allowToken(token, cycleLength)` at `timestamp` (sets the first cycle's end if given). */
export interface NettingAllowTokenEvent {
  type: "allowToken";
  token: string;
  cycleLength: UintLike;
  /** The token's decimals, if known (more than 18 reverts `UnsupportedDecimals`). */
  decimals?: number;
  timestamp?: bigint;
}

/** `disallowToken(token)`. */
export interface NettingDisallowTokenEvent {
  type: "disallowToken";
  token: string;
}

/** `setCycleLength(token, cycleLength)`. */
export interface NettingSetCycleLengthEvent {
  type: "setCycleLength";
  token: string;
  cycleLength: UintLike;
}

/** One call of the vault, as the preview replays it. Access control is not modelled: callers are assumed entitled. */
export type NettingEvent =
  | NettingDepositEvent
  | NettingObligationEvent
  | NettingCloseCycleEvent
  | NettingProcessQueueEvent
  | NettingWithdrawEvent
  | NettingTransferFreeEvent
  | NettingPauseEvent
  | NettingAllowTokenEvent
  | NettingDisallowTokenEvent
  | NettingSetCycleLengthEvent;

/*//////////////////////////////////////////////////////////////////////////
                                    LOGS
//////////////////////////////////////////////////////////////////////////*/

/**
 * An event the vault would emit, in emission order, with the contract's argument names. Addresses the preview does
 * not know (depositor, payout address, pauser) are left out; a time not known is `undefined`.
 */
export type NettingLog =
  | { name: "PositionSettled"; operatorId: bigint; token: string; cycle: bigint; position: bigint }
  | { name: "Deposited"; operatorId: bigint; token: string; amount: bigint }
  | { name: "Withdrawn"; operatorId: bigint; token: string; amount: bigint }
  | {
      name: "ObligationApplied";
      token: string;
      payer: bigint;
      payee: bigint;
      cycle: bigint;
      amount: bigint;
      ref: string;
    }
  | {
      name: "ObligationQueued";
      token: string;
      payer: bigint;
      payee: bigint;
      index: bigint;
      amount: bigint;
      ref: string;
    }
  | { name: "FreeBalanceTransferred"; token: string; from: bigint; to: bigint; amount: bigint; ref: string }
  | {
      name: "CycleClosed";
      token: string;
      cycle: bigint;
      closedAt: bigint | undefined;
      nextEnd: bigint | undefined;
    }
  | {
      name: "TokenAllowed";
      token: string;
      decimals: number | undefined;
      cycleLength: bigint;
      openEnd: bigint | undefined;
    }
  | { name: "TokenDisallowed"; token: string }
  | { name: "CycleLengthChanged"; token: string; cycleLength: bigint }
  | { name: "Paused" }
  | { name: "Unpaused" };

/*//////////////////////////////////////////////////////////////////////////
                                   RESULTS
//////////////////////////////////////////////////////////////////////////*/

/** An obligation that entered a cycle. */
export interface NettingAppliedObligation {
  token: string;
  cycle: bigint;
  payer: bigint;
  payee: bigint;
  amount: bigint;
  ref: string;
  /** Whether it waited in the payer's queue first (applied by `processQueue`). */
  fromQueue: boolean;
}

/** What one event did (the vault's return value, where it has one), with the logs it emitted. */
export type NettingResult =
  | { type: "deposit"; logs: readonly NettingLog[] }
  | {
      type: "obligation";
      /** True: applied to the open cycle `cycle`. False: queued at `index` of the payer's queue. */
      applied: boolean;
      cycle: bigint;
      index: bigint | undefined;
      logs: readonly NettingLog[];
    }
  | {
      type: "processQueue";
      /** How many were applied (the function's return value). */
      applied: bigint;
      obligations: readonly NettingAppliedObligation[];
      /** How many still wait. */
      remaining: bigint;
      logs: readonly NettingLog[];
    }
  | { type: "closeCycle"; closed: bigint; opened: bigint; nextEnd: bigint | undefined; logs: readonly NettingLog[] }
  | { type: "withdraw"; logs: readonly NettingLog[] }
  | { type: "transferFree"; logs: readonly NettingLog[] }
  | {
      type: "pause" | "unpause" | "allowToken" | "disallowToken" | "setCycleLength";
      logs: readonly NettingLog[];
    };

/*//////////////////////////////////////////////////////////////////////////
                                    VIEWS
//////////////////////////////////////////////////////////////////////////*/

/** An account as the vault stores it (`accountOf`): before a position of a closed cycle is applied. */
export interface NettingAccount {
  balance: bigint;
  position: bigint;
  cycle: bigint;
  queued: bigint;
}

/** One member's figures in one token, as the vault's views report them. */
export interface NettingMemberView {
  member: bigint;
  token: string;
  /** `balanceOf`: the settled balance plus a position of a closed cycle not yet applied. */
  balance: bigint;
  /** `freeBalanceOf`: the effective balance less any net debit of the open cycle (withdrawable). */
  free: bigint;
  /** `openPositionOf`: credits minus debits in the open cycle. */
  openPosition: bigint;
  /** `queueLength`: obligations of the member awaiting funds. */
  queued: bigint;
}

/** An obligation awaiting its payer's funds (`queuedObligations`). */
export interface NettingQueuedObligation {
  payee: bigint;
  amount: bigint;
  ref: string;
}

/** A token's state (`tokenConfig`); times and lengths the preview does not know are `undefined`. */
export interface NettingTokenConfig {
  token: string;
  allowed: boolean;
  decimals: number | undefined;
  cycle: bigint;
  openEnd: bigint | undefined;
  cycleLength: bigint | undefined;
  nextCycleLength: bigint | undefined;
}

/*//////////////////////////////////////////////////////////////////////////
                                 SETTLEMENT
//////////////////////////////////////////////////////////////////////////*/

/** A member's net position: credits minus debits. */
export interface MemberPosition {
  member: bigint;
  position: bigint;
}

/** The gross amount `payer` owed `payee` (sum of obligations). */
export interface BilateralGross {
  payer: bigint;
  payee: bigint;
  amount: bigint;
}

/** One payment of a settlement plan. */
export interface SettlementPayment {
  from: bigint;
  to: bigint;
  amount: bigint;
}

/** An obligation as the stateless netting functions take it. */
export interface NettingObligation {
  payer: UintLike;
  payee: UintLike;
  amount: bigint;
}

/** The netting effect: transfers needed gross, bilaterally netted, and multilaterally netted. */
export interface NettingStats {
  /** Obligations counted (for a cycle report: those applied while the preview watched). */
  obligations: number;
  /** Ordered pairs (payer, payee) with a gross amount: one bilateral invoice each. */
  grossTransfers: number;
  /** The sum of the bilateral gross amounts. */
  grossTotal: bigint;
  /** Unordered pairs whose amounts do not cancel out: one transfer each after bilateral netting. */
  bilateralNetTransfers: number;
  bilateralNetTotal: bigint;
  /** Payments of the multilateral settlement plan (at most members - 1). */
  netTransfers: number;
  /** The sum of the net debits (= of the net credits). */
  netTotal: bigint;
}

/** The multilateral netting of a set of obligations. */
export interface NettingSummary {
  /** Every member involved, by id; sums to zero. */
  positions: MemberPosition[];
  /** Bilateral gross amounts by (payer, payee). */
  gross: BilateralGross[];
  /** Who pays whom, see {@link settlementPlan}. */
  plan: SettlementPayment[];
  stats: NettingStats;
}

/** One cycle of one token, as the preview saw it. */
export interface NettingCycleReport extends NettingSummary {
  token: string;
  cycle: bigint;
  status: "open" | "closed";
  /** When it closed, if the close was timestamped. */
  closedAt: bigint | undefined;
  /**
   * False for the cycle that was open when the preview started: its positions and gross come from the initial state,
   * its obligations only from what was applied since.
   */
  complete: boolean;
  /** The obligations applied to it while the preview watched, in order. */
  obligations: NettingAppliedObligation[];
}
