/**
 * Governance of the suite: the role ids of its single OpenZeppelin `AccessManager`, which role may call which
 * restricted function of each contract, what each of those functions can do to members' money, and the delays that
 * keep every power over that money behind a window in which members can withdraw. The deployment module applies these
 * tables, the tests check them, and docs/ARCHITECTURE.md (section 3) explains them. Mirrors
 * `contracts/governance/Roles.sol`.
 */

/** Role ids (uint64 in the AccessManager). */
export const Roles = {
  /** The consortium's root authority: grants roles and maps functions to roles. AccessManager's ADMIN_ROLE. */
  ADMIN: 0n,
  /** Parameter changes and decisions with consequences for members; granted with an execution delay. */
  GOVERNOR: 1n,
  /** Onboards operators and manages their TADIG codes. */
  REGISTRAR: 2n,
  /** Decides escalated disputes and records SLA breaches; granted with an execution delay. */
  ARBITER: 3n,
  /** Emergency brake: pauses contracts and suspends operators, immediately. */
  PAUSER: 4n,
} as const;

export type RoleName = keyof typeof Roles;

const DAY = 24 * 60 * 60;

/** Default execution delay of the governor role, in seconds (two days), so members can react to a decision. */
export const DEFAULT_GOVERNOR_DELAY = 2 * DAY;

/**
 * Default execution delay of the admin role, in seconds (ten days). Every admin operation (a suite contract added to
 * the vault's list, a role granted, a function re-mapped, an authority changed) waits this long after its
 * `OperationScheduled`. It is longer than the governor's delay and than a weekly settlement cycle plus three days, so
 * that members who see an admin operation coming can close the open cycle (which turns its credits into balance) and
 * withdraw everything before it can execute; and it is longer than {@link ACCESS_MANAGER_MIN_SETBACK}, so that every
 * grant the admin can ever execute finds the grant delays of the deployment in effect.
 */
export const DEFAULT_ADMIN_DELAY = 10 * DAY;

/**
 * Default execution delay of the arbiter role, in seconds (two days, the governor's window). Its decisions move money
 * between two members (held parts of disputed batches, SLA credits), so the parties see them coming and the admin,
 * guardian of every role, can cancel a wrong one. It comes after an escalation timeout of weeks, so it costs little.
 */
export const DEFAULT_ARBITER_DELAY = 2 * DAY;

/**
 * Default grant delay, in seconds (ten days, as the admin's), of the roles of {@link GRANT_DELAYED_ROLES}: a new
 * member of one of them becomes active that long after its grant executes. This keeps the members' window even if
 * ADMIN is later held by an account without an execution delay (a timelock contract, say), and gives a legitimate
 * admin the time to revoke a wrong grant (a revocation waits out the admin's delay) before it takes effect.
 */
export const DEFAULT_GRANT_DELAY = DEFAULT_ADMIN_DELAY;

/**
 * Default target-admin delay of every suite contract, in seconds (ten days, as the admin's): the least time before a
 * change of a contract's authority (`updateAuthority`), of its function map (`setTargetFunctionRole`) or of its closed
 * flag (`setTargetClosed`) can execute, whatever the executing admin's own delay.
 */
export const DEFAULT_TARGET_ADMIN_DELAY = DEFAULT_ADMIN_DELAY;

/**
 * OpenZeppelin's `AccessManager.minSetback()`: five days. A change of a grant delay or of a target-admin delay (and a
 * decrease of an execution delay) takes effect that long after it is made (at least), so right after the deployment
 * the grant delays and target-admin delays read 0 for five days; the admin's execution delay, longer than this, covers
 * that window.
 */
export const ACCESS_MANAGER_MIN_SETBACK = 5 * DAY;

/**
 * OpenZeppelin's `AccessManager.expiration()`: one week. A scheduled operation not executed within a week of its
 * time point expires and must be scheduled again.
 */
export const ACCESS_MANAGER_EXPIRATION = 7 * DAY;

/**
 * For each contract of the suite, the role that may call each restricted function (by function name; every
 * function named here is unique in its contract, so the name identifies the selector).
 */
export const FUNCTION_ROLES = {
  OperatorRegistry: {
    registerOperator: "REGISTRAR",
    addTadig: "REGISTRAR",
    removeTadig: "REGISTRAR",
    suspendOperator: "PAUSER",
    reinstateOperator: "GOVERNOR",
    exitOperator: "GOVERNOR",
  },
  RoamingAgreements: {
    pause: "PAUSER",
    unpause: "GOVERNOR",
  },
  UsageClearing: {
    pause: "PAUSER",
    unpause: "GOVERNOR",
    setEscalationTimeout: "GOVERNOR",
    resolveEscalated: "ARBITER",
  },
  CapacityToken: {
    createBandPlan: "GOVERNOR",
    setBaseURI: "GOVERNOR",
    arbitrateSlaBreach: "ARBITER",
    pause: "PAUSER",
    unpause: "GOVERNOR",
  },
  CapacityMarket: {
    pause: "PAUSER",
    unpause: "GOVERNOR",
  },
  // Not listed, so ADMIN-only: setSuiteContract (which contracts may record obligations) and recover.
  SettlementVault: {
    allowToken: "GOVERNOR",
    disallowToken: "GOVERNOR",
    setCycleLength: "GOVERNOR",
    unpause: "GOVERNOR",
    pause: "PAUSER",
  },
} as const satisfies Record<string, Record<string, RoleName>>;

export type GovernedContract = keyof typeof FUNCTION_ROLES;

/**
 * Restricted functions left to ADMIN (AccessManager's default role for a function not mapped): not in
 * {@link FUNCTION_ROLES}, so the deployment maps nothing for them.
 */
export const ADMIN_FUNCTIONS = {
  SettlementVault: ["setSuiteContract", "recover"],
} as const satisfies Partial<Record<GovernedContract, readonly string[]>>;

/**
 * What a restricted function can do to members' money in the vault (free balances, open credits, and claims on
 * future deposits):
 * - `moves`: takes value from a member without its signature, or lets an account do so;
 * - `freezes`: keeps value a member is owed from becoming withdrawable, for as long as the caller chooses;
 * - `none`: neither. It may stop new business (pause, suspend, disallow a token, exit a member), never a withdrawal
 *   nor a cycle close: `withdraw` and `closeCycle` are not restricted and not pausable.
 */
export type FundsEffect = "moves" | "freezes" | "none";

type RestrictedFunction<C extends GovernedContract> =
  | keyof (typeof FUNCTION_ROLES)[C]
  | (C extends keyof typeof ADMIN_FUNCTIONS ? (typeof ADMIN_FUNCTIONS)[C][number] : never);

/** Whether, and why, a restricted function can move or freeze members' money. */
export interface FundsPower {
  effect: FundsEffect;
  why: string;
}

/**
 * Every restricted function of the suite (those of {@link FUNCTION_ROLES} and {@link ADMIN_FUNCTIONS}) classified by
 * {@link FundsEffect}. Every function that moves or freezes funds belongs to a role with an execution delay and a grant
 * delay ({@link ROLE_DELAYS}); the tests check it. The AccessManager's own admin functions (`grantRole`,
 * `setTargetFunctionRole`, `updateAuthority`, ...) can hand any of these powers to anyone, so they all move funds:
 * they wait out the admin's execution delay, and the target-admin delay where AccessManager applies one.
 */
export const FUNDS_POWERS: { [C in GovernedContract]: Record<RestrictedFunction<C>, FundsPower> } = {
  OperatorRegistry: {
    registerOperator: { effect: "none", why: "adds a member; cannot change another member's admin or payout" },
    addTadig: { effect: "none", why: "network codes only" },
    removeTadig: { effect: "none", why: "network codes only" },
    suspendOperator: { effect: "none", why: "blocks new business of the member, never its withdrawals" },
    reinstateOperator: { effect: "none", why: "lifts a suspension" },
    exitOperator: { effect: "none", why: "ends membership; the vault still pays the member's admin what it holds" },
  },
  RoamingAgreements: {
    pause: { effect: "none", why: "stops new tariffs, agreements and amendments" },
    unpause: { effect: "none", why: "resumes them" },
  },
  UsageClearing: {
    pause: { effect: "none", why: "stops new submissions and vouchers; disputes, finalization and proofs go on" },
    unpause: { effect: "none", why: "resumes them" },
    setEscalationTimeout: {
      effect: "none",
      why: "changes when the (delayed) arbiter may decide a held part; the parties may settle it jointly at any time",
    },
    resolveEscalated: {
      effect: "moves",
      why: "decides how much of a disputed batch's held part the home network pays: records an obligation",
    },
  },
  CapacityToken: {
    createBandPlan: { effect: "none", why: "a spectrum grid for new classes" },
    setBaseURI: { effect: "none", why: "metadata" },
    arbitrateSlaBreach: {
      effect: "moves",
      why: "records a breach whose credits the issuer owes the holders: records obligations from the issuer",
    },
    pause: { effect: "none", why: "stops new classes and mints" },
    unpause: { effect: "none", why: "resumes them" },
  },
  CapacityMarket: {
    pause: { effect: "none", why: "stops new listings, bids and trades" },
    unpause: { effect: "none", why: "resumes them" },
  },
  SettlementVault: {
    setSuiteContract: {
      effect: "moves",
      why: "a suite contract records obligations and moves free balances (transferFree) of every member",
    },
    recover: { effect: "none", why: "sweeps only the surplus above what the vault owes its members" },
    allowToken: { effect: "none", why: "opens a new settlement token; balances in other tokens are untouched" },
    disallowToken: { effect: "none", why: "stops deposits and new obligations in it, never withdrawals or closes" },
    setCycleLength: {
      effect: "freezes",
      why: "the next cycle's credits become withdrawable only when it closes: a length of up to 136 years holds them",
    },
    pause: { effect: "none", why: "stops deposits, obligations and transfers; never withdrawals or cycle closes" },
    unpause: { effect: "none", why: "resumes them" },
  },
};

/**
 * Roles granted with a grant delay (`setGrantDelay`): those with a power that moves or freezes members' funds
 * (see {@link FUNDS_POWERS}; ADMIN holds all of them through the AccessManager).
 */
export const GRANT_DELAYED_ROLES = ["ADMIN", "GOVERNOR", "ARBITER"] as const satisfies readonly RoleName[];

/** The default delays of one role, in seconds, and why. */
export interface RoleDelays {
  /** Execution delay its holders are granted with: each of their restricted calls is scheduled, then executed. */
  execution: number;
  /** Grant delay of the role: a new member becomes active this long after its grant executes. */
  grant: number;
  why: string;
}

/** The default delays of every role, as the deployment module applies them. */
export const ROLE_DELAYS: Record<RoleName, RoleDelays> = {
  ADMIN: {
    execution: DEFAULT_ADMIN_DELAY,
    grant: DEFAULT_GRANT_DELAY,
    why:
      "adds suite contracts (which move every free balance), grants roles, re-maps functions and authorities: " +
      "longer than the governor's delay and than a weekly cycle, so members can close the cycle and withdraw all",
  },
  GOVERNOR: {
    execution: DEFAULT_GOVERNOR_DELAY,
    grant: DEFAULT_GRANT_DELAY,
    why: "can hold the next cycle's credits (setCycleLength); members see every decision coming",
  },
  ARBITER: {
    execution: DEFAULT_ARBITER_DELAY,
    grant: DEFAULT_GRANT_DELAY,
    why: "moves money between two members (held parts, SLA credits); the admin can cancel a wrong decision",
  },
  REGISTRAR: {
    execution: 0,
    grant: 0,
    why: "onboards members; cannot touch a member's balance, admin account or payout address",
  },
  PAUSER: {
    execution: 0,
    grant: 0,
    why: "the brake must act at once; it never blocks withdrawals or cycle closes, and only the governor releases it",
  },
};
