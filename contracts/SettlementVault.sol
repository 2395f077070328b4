// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { IERC20Metadata } from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import { IERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";
import { ReentrancyGuard } from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import { OperatorStatus } from "./types/OperatorTypes.sol";
import { Account, Gross, QueuedObligation, TokenConfig } from "./types/VaultTypes.sol";

/// @title SettlementVault
/// @notice See the documentation in {ISettlementVault}.
/// @dev Guards: the functions that move tokens (deposits, withdrawals, recovery) are `nonReentrant`; the others make
/// no call to a token or to any contract but the suite's AccessManager, so they cannot be re-entered.
contract SettlementVault is ISettlementVault, AccessManaged, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using SafeCast for int256;

    /*//////////////////////////////////////////////////////////////////////////
                                       STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementVault
    uint256 public constant override MAX_OBLIGATION = type(uint96).max;

    IOperatorRegistry private immutable _registry;

    mapping(address account => bool isSuite) private _suiteContracts;
    mapping(IERC20 token => TokenConfig config) private _tokens;
    mapping(IERC20 token => uint256 amount) private _liabilities;
    mapping(IERC20 token => mapping(uint32 operatorId => Account account)) private _accounts;
    mapping(IERC20 token => mapping(uint32 payer => mapping(uint32 payee => Gross gross))) private _gross;
    mapping(IERC20 token => mapping(uint32 payer => uint64 head)) private _queueHeads;
    mapping(IERC20 token => mapping(uint32 payer => mapping(uint64 index => QueuedObligation entry))) private _queued;

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    /// @param registry_ The operator registry.
    constructor(address authority, IOperatorRegistry registry_) AccessManaged(authority) {
        _registry = registry_;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                      MODIFIERS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev The suite's contracts record obligations on every clearing step, so their check is one storage read
    /// rather than an AccessManager call; who is on the list is governed through the AccessManager
    /// ({setSuiteContract}).
    modifier onlySuite() {
        if (!_suiteContracts[msg.sender]) revert SettlementVault_NotSuiteContract(msg.sender);
        _;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementVault
    function registry() external view override returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ISettlementVault
    function isSuiteContract(address account) external view override returns (bool) {
        return _suiteContracts[account];
    }

    /// @inheritdoc ISettlementVault
    function tokenConfig(IERC20 token) external view override returns (TokenConfig memory) {
        return _tokens[token];
    }

    /// @inheritdoc ISettlementVault
    function accountOf(uint32 operatorId, IERC20 token) external view override returns (Account memory) {
        return _accounts[token][operatorId];
    }

    /// @inheritdoc ISettlementVault
    function balanceOf(uint32 operatorId, IERC20 token) public view override returns (uint256) {
        return _settled(_accounts[token][operatorId], _tokens[token].cycle).balance;
    }

    /// @inheritdoc ISettlementVault
    function openPositionOf(uint32 operatorId, IERC20 token) public view override returns (int256) {
        return _settled(_accounts[token][operatorId], _tokens[token].cycle).position;
    }

    /// @inheritdoc ISettlementVault
    function freeBalanceOf(uint32 operatorId, IERC20 token) external view override returns (uint256) {
        return _free(_settled(_accounts[token][operatorId], _tokens[token].cycle));
    }

    /// @inheritdoc ISettlementVault
    function bilateralGross(
        IERC20 token,
        uint32 cycle,
        uint32 payer,
        uint32 payee
    ) external view override returns (uint256 gross, bool retained) {
        uint32 current = _tokens[token].cycle;
        if (cycle > current) revert SettlementVault_FutureCycle(token, cycle, current);
        Gross memory g = _gross[token][payer][payee];
        if (g.cycle == cycle) return (g.amount, true);
        // The stored figure is of a later cycle: this one's was overwritten. An earlier stored cycle means the pair
        // had no obligation in `cycle`.
        return (0, g.cycle < cycle);
    }

    /// @inheritdoc ISettlementVault
    function queueLength(uint32 payer, IERC20 token) external view override returns (uint256) {
        return _accounts[token][payer].queued;
    }

    /// @inheritdoc ISettlementVault
    function queuedObligations(
        uint32 payer,
        IERC20 token,
        uint256 offset,
        uint256 limit
    ) external view override returns (QueuedObligation[] memory page) {
        uint64 head = _queueHeads[token][payer];
        uint256 length = _accounts[token][payer].queued;
        uint256 size = offset >= length ? 0 : length - offset;
        if (size > limit) size = limit;
        page = new QueuedObligation[](size);
        for (uint256 i; i < size; ++i) {
            // Safe: offset + i < queued <= uint16.
            page[i] = _queued[token][payer][head + uint64(offset + i)];
        }
    }

    /// @inheritdoc ISettlementVault
    function totalLiabilities(IERC20 token) external view override returns (uint256) {
        return _liabilities[token];
    }

    /// @inheritdoc ISettlementVault
    function surplus(IERC20 token) public view override returns (uint256) {
        uint256 held = token.balanceOf(address(this));
        uint256 owed = _liabilities[token];
        return held > owed ? held - owed : 0;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementVault
    function setSuiteContract(address account, bool isSuite) external override restricted {
        _suiteContracts[account] = isSuite;
        emit SuiteContractSet(account, isSuite);
    }

    /// @inheritdoc ISettlementVault
    function allowToken(IERC20 token, uint32 cycleLength) external override restricted {
        TokenConfig storage config = _tokens[token];
        if (config.allowed) revert SettlementVault_TokenAlreadyAllowed(token);
        if (cycleLength == 0) revert SettlementVault_ZeroCycleLength();
        uint8 decimals = IERC20Metadata(address(token)).decimals();
        if (decimals > 18) revert SettlementVault_UnsupportedDecimals(token, decimals);

        config.allowed = true;
        config.decimals = decimals;
        config.nextCycleLength = cycleLength;
        if (config.cycle == 0) {
            // First allowance: open cycle 1. A token allowed again keeps its cycle running.
            config.cycle = 1;
            config.cycleLength = cycleLength;
            config.openEnd = uint40(block.timestamp) + cycleLength;
        }
        emit TokenAllowed(token, decimals, cycleLength, config.openEnd);
    }

    /// @inheritdoc ISettlementVault
    function disallowToken(IERC20 token) external override restricted {
        TokenConfig storage config = _tokens[token];
        if (!config.allowed) revert SettlementVault_TokenNotAllowed(token);
        config.allowed = false;
        emit TokenDisallowed(token);
    }

    /// @inheritdoc ISettlementVault
    function setCycleLength(IERC20 token, uint32 cycleLength) external override restricted {
        TokenConfig storage config = _tokens[token];
        if (config.cycle == 0) revert SettlementVault_TokenNotAllowed(token);
        if (cycleLength == 0) revert SettlementVault_ZeroCycleLength();
        config.nextCycleLength = cycleLength;
        emit CycleLengthChanged(token, cycleLength);
    }

    /// @inheritdoc ISettlementVault
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc ISettlementVault
    function unpause() external override restricted {
        _unpause();
    }

    /// @inheritdoc ISettlementVault
    function recover(IERC20 token, address to) external override restricted nonReentrant {
        uint256 amount = surplus(token);
        if (amount == 0) revert SettlementVault_NoSurplus(token);
        emit SurplusRecovered(token, to, amount);
        token.safeTransfer(to, amount);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementVault
    function deposit(uint32 operatorId, IERC20 token, uint256 amount) external override whenNotPaused nonReentrant {
        _deposit(operatorId, token, amount);
    }

    /// @inheritdoc ISettlementVault
    function depositWithPermit(
        uint32 operatorId,
        IERC20 token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override whenNotPaused nonReentrant {
        // A permit can be front-run (its signature is public once sent): ignore a failure and rely on the allowance,
        // which the transfer below checks anyway.
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(operatorId, token, amount);
    }

    /// @inheritdoc ISettlementVault
    function withdraw(uint32 operatorId, IERC20 token, uint256 amount) external override nonReentrant {
        // Checks.
        if (_registry.adminOf(operatorId) != msg.sender)
            revert SettlementVault_NotOperatorAdmin(operatorId, msg.sender);
        if (amount == 0) revert SettlementVault_ZeroAmount();
        Account memory account = _touch(token, operatorId, _tokens[token].cycle);
        uint256 free = _free(account);
        if (amount > free) revert SettlementVault_InsufficientFreeBalance(operatorId, token, free, amount);
        address to = _registry.payoutOf(operatorId);

        // Effects.
        account.balance -= uint104(amount); // amount <= free <= balance
        _store(token, operatorId, account);
        _liabilities[token] -= amount;
        emit Withdrawn(operatorId, token, to, amount);

        // Interactions.
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc ISettlementVault
    function closeCycle(IERC20 token) external override {
        TokenConfig storage config = _tokens[token];
        uint32 cycle = config.cycle;
        if (cycle == 0) revert SettlementVault_TokenNotAllowed(token);
        if (block.timestamp < config.openEnd) revert SettlementVault_CycleNotEnded(token, config.openEnd);

        // O(1): members' positions of the closed cycle are applied to their balances at their next touch.
        uint32 length = config.nextCycleLength;
        uint40 nextEnd = uint40(block.timestamp) + length;
        config.cycle = cycle + 1;
        config.cycleLength = length;
        config.openEnd = nextEnd;
        emit CycleClosed(token, cycle, uint40(block.timestamp), nextEnd);
    }

    /// @inheritdoc ISettlementVault
    function processQueue(
        uint32 payer,
        IERC20 token,
        uint256 maxCount
    ) external override whenNotPaused returns (uint256 applied) {
        if (maxCount == 0) revert SettlementVault_ZeroCount();
        // Obligations queued before a token was disallowed are still owed: processing them is settlement, not new
        // business, so it needs only a token that was allowed once.
        uint32 cycle = _tokens[token].cycle;
        if (cycle == 0) revert SettlementVault_TokenNotAllowed(token);
        if (_accounts[token][payer].queued == 0) return 0;
        Account memory payerAccount = _touch(token, payer, cycle);

        uint64 head = _queueHeads[token][payer];
        while (applied < maxCount && payerAccount.queued > 0) {
            QueuedObligation memory entry = _queued[token][payer][head];
            if (!_covers(payerAccount, entry.amount)) break;
            _debit(payerAccount, entry.amount);
            _credit(token, entry.payee, cycle, entry.amount);
            _addGross(token, cycle, payer, entry.payee, entry.amount);
            emit ObligationApplied(token, payer, entry.payee, cycle, entry.amount, entry.ref);
            delete _queued[token][payer][head];
            head += 1;
            payerAccount.queued -= 1;
            applied += 1;
        }
        _store(token, payer, payerAccount);
        _queueHeads[token][payer] = head;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  SUITE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementVault
    function recordObligation(
        uint32 payer,
        uint32 payee,
        IERC20 token,
        uint256 amount,
        bytes32 ref
    ) external override onlySuite whenNotPaused returns (bool applied) {
        // Checks: a token allowed once. What is owed in a token disallowed since must still reach the vault.
        TokenConfig memory config = _tokens[token];
        if (config.cycle == 0) revert SettlementVault_TokenNotAllowed(token);
        if (payer == payee) revert SettlementVault_SelfObligation(payer);
        if (payer == 0) revert SettlementVault_UnknownOperator(payer);
        if (payee == 0) revert SettlementVault_UnknownOperator(payee);
        _checkAmount(amount);

        // Effects: nothing jumps the payer's queue, and nothing is applied that its funds do not cover.
        Account memory payerAccount = _touch(token, payer, config.cycle);
        if (payerAccount.queued == 0 && _covers(payerAccount, amount)) {
            _debit(payerAccount, amount);
            _store(token, payer, payerAccount);
            _credit(token, payee, config.cycle, amount);
            _addGross(token, config.cycle, payer, payee, amount);
            emit ObligationApplied(token, payer, payee, config.cycle, amount, ref);
            return true;
        }
        if (payerAccount.queued == type(uint16).max) revert SettlementVault_QueueFull(payer, token);
        uint64 index = _queueHeads[token][payer] + payerAccount.queued;
        _queued[token][payer][index] = QueuedObligation({ payee: payee, amount: uint96(amount), ref: ref });
        payerAccount.queued += 1;
        _store(token, payer, payerAccount); // also keeps a position that _touch settled
        emit ObligationQueued(token, payer, payee, index, amount, ref);
        return false;
    }

    /// @inheritdoc ISettlementVault
    function transferFree(
        uint32 from,
        uint32 to,
        IERC20 token,
        uint256 amount,
        bytes32 ref
    ) external override onlySuite whenNotPaused {
        TokenConfig memory config = _requireAllowed(token);
        if (from == to) revert SettlementVault_SelfObligation(from);
        if (to == 0) revert SettlementVault_UnknownOperator(to);
        if (amount == 0) revert SettlementVault_ZeroAmount();

        Account memory source = _touch(token, from, config.cycle);
        uint256 free = _free(source);
        if (amount > free) revert SettlementVault_InsufficientFreeBalance(from, token, free, amount);
        source.balance -= uint104(amount);
        _store(token, from, source);
        Account memory target = _touch(token, to, config.cycle);
        target.balance += amount.toUint104();
        _store(token, to, target);
        emit FreeBalanceTransferred(token, from, to, amount, ref);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    function _requireAllowed(IERC20 token) private view returns (TokenConfig memory config) {
        config = _tokens[token];
        if (!config.allowed) revert SettlementVault_TokenNotAllowed(token);
    }

    function _checkAmount(uint256 amount) private pure {
        if (amount == 0) revert SettlementVault_ZeroAmount();
        if (amount > MAX_OBLIGATION) revert SettlementVault_AmountTooLarge(amount);
    }

    function _deposit(uint32 operatorId, IERC20 token, uint256 amount) private {
        // Checks: an allowed token, or one allowed once in which the operator owes obligations waiting for funds.
        TokenConfig memory config = _tokens[token];
        if (!config.allowed && (config.cycle == 0 || _accounts[token][operatorId].queued == 0)) {
            revert SettlementVault_TokenNotAllowed(token);
        }
        _checkAmount(amount);
        if (_registry.statusOf(operatorId) == OperatorStatus.None) revert SettlementVault_UnknownOperator(operatorId);

        // Interactions first, then effects: the credit depends on what actually arrived. Guarded by nonReentrant.
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert SettlementVault_TransferMismatch(amount, received);

        Account memory account = _touch(token, operatorId, config.cycle);
        account.balance += amount.toUint104();
        _store(token, operatorId, account);
        _liabilities[token] += amount;
        emit Deposited(operatorId, token, msg.sender, amount);
    }

    /// @dev The account as it is once a position of a closed cycle is applied (the account is not written).
    function _settled(Account memory account, uint32 currentCycle) private pure returns (Account memory) {
        if (account.cycle < currentCycle) {
            if (account.position != 0) {
                // Never negative: a debit was applied only while the balance covered it, and nothing since could take
                // that collateral (withdrawals and transfers stop at the free balance).
                account.balance = uint256(int256(uint256(account.balance)) + account.position).toUint104();
                account.position = 0;
            }
            account.cycle = currentCycle;
        }
        return account;
    }

    /// @dev Loads an account and applies a pending position of a closed cycle (emitting {PositionSettled}); the
    /// caller stores it back.
    function _touch(IERC20 token, uint32 operatorId, uint32 currentCycle) private returns (Account memory account) {
        account = _accounts[token][operatorId];
        if (account.cycle < currentCycle && account.position != 0) {
            emit PositionSettled(operatorId, token, account.cycle, account.position);
        }
        account = _settled(account, currentCycle);
    }

    function _store(IERC20 token, uint32 operatorId, Account memory account) private {
        _accounts[token][operatorId] = account;
    }

    /// @dev The free balance: the balance less any net debit of the open cycle (the account is settled).
    function _free(Account memory account) private pure returns (uint256) {
        uint256 debit = account.position < 0 ? uint256(-int256(account.position)) : 0;
        return account.balance - debit; // never negative: see _covers
    }

    /// @dev Whether the settled account's balance covers its net debit once `amount` more is debited.
    function _covers(Account memory account, uint256 amount) private pure returns (bool) {
        int256 next = int256(account.position) - int256(amount);
        return next >= 0 || uint256(-next) <= account.balance;
    }

    /// @dev Debits the open position of a settled account that {_covers} the amount (in memory; the caller stores it).
    function _debit(Account memory account, uint256 amount) private pure {
        account.position = (int256(account.position) - int256(amount)).toInt104();
    }

    function _credit(IERC20 token, uint32 payee, uint32 cycle, uint256 amount) private {
        Account memory account = _touch(token, payee, cycle);
        account.position = (int256(account.position) + int256(amount)).toInt104();
        _store(token, payee, account);
    }

    function _addGross(IERC20 token, uint32 cycle, uint32 payer, uint32 payee, uint256 amount) private {
        Gross storage g = _gross[token][payer][payee];
        if (g.cycle == cycle) {
            g.amount += uint224(amount); // amount <= uint96: 2^128 obligations would be needed to overflow
        } else {
            g.cycle = cycle;
            g.amount = uint224(amount);
        }
    }
}
