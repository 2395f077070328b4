// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Roles
/// @notice The role ids of the suite's single OpenZeppelin `AccessManager`. Which function each role may call is set
/// at deployment (see `deploy/` and `sdk/src/governance.ts`) and documented in docs/ARCHITECTURE.md.
library Roles {
    /// @notice The consortium's root authority (AccessManager's built-in admin role): grants roles, maps functions.
    /// Held with an execution delay (`sdk/src/governance.ts` `ROLE_DELAYS`), so no power over members' funds acts at
    /// once.
    uint64 internal constant ADMIN = 0;
    /// @notice Parameter changes and decisions with consequences for members; granted with an execution delay.
    uint64 internal constant GOVERNOR = 1;
    /// @notice Onboards operators and manages their TADIG codes.
    uint64 internal constant REGISTRAR = 2;
    /// @notice Decides escalated disputes and records SLA breaches; held with an execution delay (they move funds).
    uint64 internal constant ARBITER = 3;
    /// @notice Emergency brake: pauses contracts and suspends operators, immediately.
    uint64 internal constant PAUSER = 4;
    // The suite's own contracts, which record obligations in the vault, are not a role: the vault keeps their list
    // (`SettlementVault.setSuiteContract`, ADMIN), so that recording costs one storage read, not an AccessManager call.
}
