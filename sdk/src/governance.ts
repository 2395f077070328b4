/**
 * Governance of the suite: the role ids of its single OpenZeppelin `AccessManager` and which role may call which
 * restricted function of each contract. The deployment modules apply this table, the tests check it, and
 * docs/ARCHITECTURE.md explains it. Mirrors `contracts/governance/Roles.sol`.
 */

/** Role ids (uint64 in the AccessManager). */
export const Roles = {
  /** The consortium's root authority: grants roles and maps functions to roles. AccessManager's ADMIN_ROLE. */
  ADMIN: 0n,
  /** Parameter changes and decisions with consequences for members; granted with an execution delay. */
  GOVERNOR: 1n,
  /** Onboards operators and manages their TADIG codes. */
  REGISTRAR: 2n,
  /** Decides escalated disputes and records SLA breaches. */
  ARBITER: 3n,
  /** Emergency brake: pauses contracts and suspends operators, immediately. */
  PAUSER: 4n,
} as const;

export type RoleName = keyof typeof Roles;

/** Default execution delay of the governor role, in seconds (two days), so members can react to a decision. */
export const DEFAULT_GOVERNOR_DELAY = 2 * 24 * 60 * 60;

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
