// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { Account, QueuedObligation, TokenConfig } from "../types/VaultTypes.sol";

/// @title ISettlementVault
/// @notice Escrow of ERC-20 stablecoins for the consortium's operators, with multilateral netting per settlement
/// cycle and guaranteed settlement.
///
/// Model (docs/ARCHITECTURE.md section 8). Per (operator, token) the vault keeps a settled `balance` and a `position`
/// (credits minus debits) in one cycle. Obligations recorded by the suite's contracts move positions in the token's
/// open cycle; closing a cycle only advances the token's cycle number (O(1), whatever the number of members), and a
/// member's position in a closed cycle is added to its balance lazily, at its next "touch". Views report effective
/// figures that already include it.
///
/// Finality. An obligation is applied only if the payer's resulting net debit in the open cycle is covered by its
/// effective balance; otherwise it waits, whole, in the payer's FIFO queue until deposits cover it. Withdrawals can
/// never take collateral that an open net debit needs. Hence every cycle's positions sum to zero, no balance is ever
/// negative, and closing a cycle can never fail for lack of funds.
///
/// Tokens. Only allow-listed, standard ERC-20s with at most 18 decimals. A deposit that delivers less than the amount
/// sent (fee-on-transfer) is refused; rebasing tokens are not supported.
interface ISettlementVault {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted when the admin adds a contract of the suite to, or removes it from, those that may record
    /// obligations and move free balances.
    event SuiteContractSet(address indexed account, bool isSuite);

    /// @notice Emitted when governance allows a token; cycle 1 opens at once and ends at `openEnd`.
    event TokenAllowed(IERC20 indexed token, uint8 decimals, uint32 cycleLength, uint40 openEnd);

    /// @notice Emitted when governance stops new deposits and obligations in a token (withdrawals go on).
    event TokenDisallowed(IERC20 indexed token);

    /// @notice Emitted when governance changes a token's cycle length; it applies from the next cycle.
    event CycleLengthChanged(IERC20 indexed token, uint32 cycleLength);

    /// @notice Emitted when `cycle` of `token` closes; cycle `cycle + 1` opens and ends at `nextEnd`.
    event CycleClosed(IERC20 indexed token, uint32 indexed cycle, uint40 closedAt, uint40 nextEnd);

    /// @notice Emitted when a member's position in a closed `cycle` is added to its balance.
    event PositionSettled(uint32 indexed operatorId, IERC20 indexed token, uint32 indexed cycle, int256 position);

    /// @notice Emitted on every deposit, crediting `operatorId` with `amount` sent by `from`.
    event Deposited(uint32 indexed operatorId, IERC20 indexed token, address indexed from, uint256 amount);

    /// @notice Emitted on every withdrawal, paying `amount` to the operator's payout address `to`.
    event Withdrawn(uint32 indexed operatorId, IERC20 indexed token, address indexed to, uint256 amount);

    /// @notice Emitted when an obligation enters `cycle`: the payer's position falls by `amount`, the payee's rises.
    /// Summing these events per (token, cycle, payer, payee) rebuilds every bilateral invoice.
    event ObligationApplied(
        IERC20 indexed token,
        uint32 indexed payer,
        uint32 indexed payee,
        uint32 cycle,
        uint256 amount,
        bytes32 ref
    );

    /// @notice Emitted when an obligation waits for funds, at `index` of the payer's queue.
    event ObligationQueued(
        IERC20 indexed token,
        uint32 indexed payer,
        uint32 indexed payee,
        uint64 index,
        uint256 amount,
        bytes32 ref
    );

    /// @notice Emitted when the suite moves free balance between members at once (delivery versus payment).
    event FreeBalanceTransferred(
        IERC20 indexed token,
        uint32 indexed from,
        uint32 indexed to,
        uint256 amount,
        bytes32 ref
    );

    /// @notice Emitted when the admin sweeps a surplus (tokens sent to the vault outside deposits).
    event SurplusRecovered(IERC20 indexed token, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice `caller` is not one of the suite's contracts (see {setSuiteContract}).
    error SettlementVault_NotSuiteContract(address caller);

    /// @notice `token` is not allowed (or no longer allowed) for this action.
    error SettlementVault_TokenNotAllowed(IERC20 token);

    /// @notice `token` is already allowed.
    error SettlementVault_TokenAlreadyAllowed(IERC20 token);

    /// @notice `token` has `decimals` decimals; at most 18 are supported.
    error SettlementVault_UnsupportedDecimals(IERC20 token, uint8 decimals);

    /// @notice A cycle length of zero.
    error SettlementVault_ZeroCycleLength();

    /// @notice The open cycle of `token` ends at `openEnd`; it cannot close before.
    error SettlementVault_CycleNotEnded(IERC20 token, uint40 openEnd);

    /// @notice No operator has id `operatorId`.
    error SettlementVault_UnknownOperator(uint32 operatorId);

    /// @notice `caller` is not the admin of operator `operatorId`.
    error SettlementVault_NotOperatorAdmin(uint32 operatorId, address caller);

    /// @notice An amount of zero.
    error SettlementVault_ZeroAmount();

    /// @notice `amount` is above the most one obligation or deposit may carry (uint96).
    error SettlementVault_AmountTooLarge(uint256 amount);

    /// @notice An obligation whose payer and payee are the same operator.
    error SettlementVault_SelfObligation(uint32 operatorId);

    /// @notice The token delivered `received` where `expected` was sent (fee-on-transfer tokens are not supported).
    error SettlementVault_TransferMismatch(uint256 expected, uint256 received);

    /// @notice `operatorId` has only `free` of `token` free, less than `amount`.
    error SettlementVault_InsufficientFreeBalance(uint32 operatorId, IERC20 token, uint256 free, uint256 amount);

    /// @notice `payer` already has the most obligations (65,535) waiting in `token`; it must deposit first.
    error SettlementVault_QueueFull(uint32 payer, IERC20 token);

    /// @notice A `maxCount` of zero.
    error SettlementVault_ZeroCount();

    /// @notice The open cycle of `token` is `current`; only it and older cycles can be asked about.
    error SettlementVault_FutureCycle(IERC20 token, uint32 cycle, uint32 current);

    /// @notice `token` has no surplus above what the vault owes its members.
    error SettlementVault_NoSurplus(IERC20 token);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The operator registry whose members hold accounts here.
    function registry() external view returns (address);

    /// @notice The most one obligation or deposit may carry (uint96). Suite contracts record a larger amount as
    /// several obligations.
    function MAX_OBLIGATION() external view returns (uint256);

    /// @notice Whether `account` is one of the suite's contracts, which record obligations and move free balances.
    function isSuiteContract(address account) external view returns (bool);

    /// @notice The configuration and cycle state of `token` (all zero if it was never allowed).
    function tokenConfig(IERC20 token) external view returns (TokenConfig memory);

    /// @notice The raw account of `operatorId` in `token`, as stored (before any pending position is applied).
    function accountOf(uint32 operatorId, IERC20 token) external view returns (Account memory);

    /// @notice The effective balance: the settled balance plus a position of a closed cycle not yet applied.
    function balanceOf(uint32 operatorId, IERC20 token) external view returns (uint256);

    /// @notice The position of `operatorId` in the open cycle of `token` (credits minus debits).
    function openPositionOf(uint32 operatorId, IERC20 token) external view returns (int256);

    /// @notice What `operatorId` can withdraw now: the effective balance less any net debit of the open cycle.
    function freeBalanceOf(uint32 operatorId, IERC20 token) external view returns (uint256);

    /// @notice The gross amount `payer` owed `payee` in `cycle` of `token` (sum of applied obligations).
    /// @dev The vault keeps one figure per pair: the latest cycle in which the pair had an obligation. For an older
    /// cycle the answer is `retained == false` and the figure must be rebuilt from {ObligationApplied} events.
    function bilateralGross(
        IERC20 token,
        uint32 cycle,
        uint32 payer,
        uint32 payee
    ) external view returns (uint256 gross, bool retained);

    /// @notice How many obligations of `payer` in `token` await funds.
    function queueLength(uint32 payer, IERC20 token) external view returns (uint256);

    /// @notice A page of `payer`'s queued obligations in `token`, oldest first.
    function queuedObligations(
        uint32 payer,
        IERC20 token,
        uint256 offset,
        uint256 limit
    ) external view returns (QueuedObligation[] memory page);

    /// @notice What the vault owes its members in `token`: deposits minus withdrawals (positions sum to zero).
    function totalLiabilities(IERC20 token) external view returns (uint256);

    /// @notice Tokens held above {totalLiabilities}, which {recover} may sweep.
    function surplus(IERC20 token) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Adds `account` to (or removes it from) the suite's contracts, which may record obligations and move
    /// free balances: a decision for the consortium's root, since such a contract moves members' money.
    /// @dev Emits {SuiteContractSet}. Restricted (admin).
    function setSuiteContract(address account, bool isSuite) external;

    /// @notice Allows `token` for settlement and opens its cycle 1.
    /// @dev Emits {TokenAllowed}. Restricted (governor). Requirements: not allowed yet; decimals at most 18;
    /// `cycleLength > 0`.
    function allowToken(IERC20 token, uint32 cycleLength) external;

    /// @notice Stops new business in `token`: deposits (but those of a member with obligations waiting for funds),
    /// free-balance transfers (market purchases) and new agreements in clearing. What is already owed still reaches
    /// the vault (obligations from final batches, resolutions, vouchers, period true-ups and SLA credits), queues are
    /// still processed, balances stay withdrawable and cycles still close.
    /// @dev Emits {TokenDisallowed}. Restricted (governor). Requirements: the token is allowed.
    function disallowToken(IERC20 token) external;

    /// @notice Sets the length of the cycles of `token` that open from now on.
    /// @dev Emits {CycleLengthChanged}. Restricted (governor). Requirements: the token was allowed once;
    /// `cycleLength > 0`.
    function setCycleLength(IERC20 token, uint32 cycleLength) external;

    /// @notice Stops deposits, obligations, queue processing and free-balance transfers. Never withdrawals nor closes.
    /// @dev Restricted (pauser).
    function pause() external;

    /// @notice Lifts {pause}.
    /// @dev Restricted (governor).
    function unpause() external;

    /// @notice Sends `to` the surplus of `token`: what the vault holds above what it owes its members.
    /// @dev Emits {SurplusRecovered}. Restricted (admin). Requirements: a surplus above zero.
    function recover(IERC20 token, address to) external;

    /*//////////////////////////////////////////////////////////////////////////
                                 MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Credits `operatorId` with `amount` of `token`, pulled from the caller (who approved the vault).
    /// @dev Emits {Deposited}. Requirements: not paused; the token is allowed, or was allowed once and the operator
    /// has obligations waiting for funds in it (so that a disallowed token never freezes what it owes); `0 < amount <=
    /// uint96`; the operator is registered; the vault receives exactly `amount`.
    function deposit(uint32 operatorId, IERC20 token, uint256 amount) external;

    /// @notice {deposit} with an EIP-2612 permit signed by the caller. A permit that fails (e.g. already used by a
    /// front-runner) is ignored, and the deposit then relies on the allowance.
    function depositWithPermit(
        uint32 operatorId,
        IERC20 token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Pays `amount` of the operator's free balance to its payout address. Works while paused, suspended,
    /// exited or after the token is disallowed.
    /// @dev Emits {Withdrawn}. Requirements: the caller is the operator's admin; `0 < amount <= free balance`.
    function withdraw(uint32 operatorId, IERC20 token, uint256 amount) external;

    /// @notice Closes the open cycle of `token` once its end has passed. Anyone may call it; it costs the same
    /// whatever the number of members.
    /// @dev Emits {CycleClosed}. Requirements: the token was allowed once; `block.timestamp >= openEnd`.
    function closeCycle(IERC20 token) external;

    /// @notice Applies up to `maxCount` of `payer`'s queued obligations in `token`, oldest first, stopping at the first
    /// that its funds do not cover. Anyone may call it, also after the token was disallowed (those obligations are
    /// still owed).
    /// @dev Emits {ObligationApplied} per applied obligation. Requirements: not paused; `maxCount > 0`; the token was
    /// allowed once.
    /// @return applied How many obligations were applied.
    function processQueue(uint32 payer, IERC20 token, uint256 maxCount) external returns (uint256 applied);

    /*//////////////////////////////////////////////////////////////////////////
                                  SUITE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Records that `payer` owes `payee` `amount` of `token` because of `ref` (a batch, a voucher, a trade).
    /// Applied to the open cycle at once if the payer's funds cover its resulting net debit and nothing of it is
    /// queued; otherwise queued, whole, until they do.
    /// @dev Emits {ObligationApplied} or {ObligationQueued}. Requirements: the caller is a suite contract; not
    /// paused; the token was allowed once (a token disallowed since still takes what is owed in it); `payer !=
    /// payee`, both non-zero; `0 < amount <=` {MAX_OBLIGATION}; fewer than 65,535 obligations of the payer already
    /// waiting. The suite's contracts are trusted to name registered operators.
    /// @return applied Whether the obligation entered the open cycle (false: queued).
    function recordObligation(
        uint32 payer,
        uint32 payee,
        IERC20 token,
        uint256 amount,
        bytes32 ref
    ) external returns (bool applied);

    /// @notice Moves `amount` of `from`'s free balance to `to` at once, outside cycles (delivery versus payment).
    /// @dev Emits {FreeBalanceTransferred}. Requirements: the caller is a suite contract; not paused; the token is
    /// allowed; `from != to`; `0 < amount <= free balance of from`.
    function transferFree(uint32 from, uint32 to, IERC20 token, uint256 amount, bytes32 ref) external;
}
