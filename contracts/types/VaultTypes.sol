// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The settlement state of one token.
/// @dev One slot: allowed (1) + decimals (1) + cycle (4) + openEnd (5) + cycleLength (4) + nextCycleLength (4)
/// = 19 bytes.
/// @param allowed Whether deposits and obligations are accepted (withdrawals and closes always are).
/// @param cycle The open cycle; cycles are numbered from 1 (0: the token was never allowed).
/// @param openEnd When the open cycle may be closed.
/// @param cycleLength The length of the open cycle, in seconds.
/// @param nextCycleLength The length of the cycles that open from the next close on.
struct TokenConfig {
    bool allowed;
    uint8 decimals;
    uint32 cycle;
    uint40 openEnd;
    uint32 cycleLength;
    uint32 nextCycleLength;
}

/// @notice One member's account in one token.
/// @dev One slot: balance (13) + position (13) + cycle (4) + queued (2) = 32 bytes. Each obligation or deposit is at
/// most uint96, so a balance or a position needs more than 2^7 of the largest ones to approach its 2^103 bound
/// (10^13 whole units of an 18-decimal token); beyond it, operations revert (SafeCast) and never wrap.
/// @param balance The settled balance, in token base units.
/// @param position Credits minus debits in `cycle`; once `cycle` has closed it belongs to the balance (applied at
/// the next touch).
/// @param cycle The cycle that `position` belongs to.
/// @param queued How many of the member's obligations await funds (its FIFO queue holds entries `head` to
/// `head + queued - 1`). Kept here so that recording an obligation reads no other slot when nothing waits.
struct Account {
    uint104 balance;
    int104 position;
    uint32 cycle;
    uint16 queued;
}

/// @notice The gross amount one payer owed one payee in the latest cycle in which they had an obligation.
/// @dev One slot: cycle (4) + amount (28).
struct Gross {
    uint32 cycle;
    uint224 amount;
}

/// @notice An obligation waiting for its payer's funds.
/// @dev Two slots: payee (4) + amount (12); ref.
struct QueuedObligation {
    uint32 payee;
    uint96 amount;
    bytes32 ref;
}
