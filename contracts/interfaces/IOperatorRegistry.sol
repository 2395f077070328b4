// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { OperatorStatus, OperatorView, SignerKey } from "../types/OperatorTypes.sol";

/// @title IOperatorRegistry
/// @notice Who the consortium's members are: their TADIG codes, their admin account, the signer keys that sign
/// EIP-712 messages on their behalf, where they are paid, and whether they may act.
/// @dev Operators are numbered from 1 in registration order; id 0 means "none". Onboarding, TADIG management and
/// status changes are governed through the suite's `AccessManager` (functions marked "Restricted"); an operator's
/// admin account manages its own keys, payout address and metadata.
interface IOperatorRegistry {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted when the consortium onboards an operator (followed by its {TadigAdded} and {SignerAdded}).
    event OperatorRegistered(uint32 indexed operatorId, address indexed admin, address payout, string metadataURI);

    /// @notice Emitted when a TADIG code is assigned to an operator.
    event TadigAdded(uint32 indexed operatorId, bytes5 indexed tadig);

    /// @notice Emitted when a TADIG code is taken from an operator; the code may then be assigned again.
    event TadigRemoved(uint32 indexed operatorId, bytes5 indexed tadig);

    /// @notice Emitted when a key may start signing for an operator.
    event SignerAdded(uint32 indexed operatorId, address indexed signer);

    /// @notice Emitted when a key may no longer sign for an operator. What it signed before stays valid where it
    /// was already accepted.
    event SignerRevoked(uint32 indexed operatorId, address indexed signer);

    /// @notice Emitted when an operator changes the address that receives its withdrawals.
    event PayoutChanged(uint32 indexed operatorId, address previousPayout, address newPayout);

    /// @notice Emitted when an operator changes its metadata URI.
    event MetadataURIChanged(uint32 indexed operatorId, string metadataURI);

    /// @notice Emitted when an operator's admin proposes a new admin (zero cancels a pending proposal).
    event AdminTransferStarted(uint32 indexed operatorId, address indexed currentAdmin, address indexed pendingAdmin);

    /// @notice Emitted when the proposed admin accepts and becomes the operator's admin.
    event AdminTransferred(uint32 indexed operatorId, address indexed previousAdmin, address indexed newAdmin);

    /// @notice Emitted on every status change, with the reason given by governance (a hash of the decision record).
    event OperatorStatusChanged(
        uint32 indexed operatorId,
        OperatorStatus previousStatus,
        OperatorStatus newStatus,
        bytes32 reason
    );

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice `tadig` is not of the form `[A-Z]{3}[A-Z0-9]{2}`.
    error OperatorRegistry_InvalidTadig(bytes5 tadig);

    /// @notice `tadig` already belongs to operator `ownerId`.
    error OperatorRegistry_TadigTaken(bytes5 tadig, uint32 ownerId);

    /// @notice No operator holds `tadig`.
    error OperatorRegistry_UnknownTadig(bytes5 tadig);

    /// @notice `tadig` does not belong to operator `operatorId`.
    error OperatorRegistry_TadigNotOwned(uint32 operatorId, bytes5 tadig);

    /// @notice An operator needs at least one TADIG code and may hold at most `max`.
    error OperatorRegistry_TadigCount(uint256 count, uint256 max);

    /// @notice An operator is registered with 1 to `max` signer keys; `count` were given.
    error OperatorRegistry_SignerCount(uint256 count, uint256 max);

    /// @notice An operator may hold at most `max` active signer keys.
    error OperatorRegistry_TooManySigners(uint32 operatorId, uint256 max);

    /// @notice `field` must not be the zero address.
    error OperatorRegistry_ZeroAddress(string field);

    /// @notice No operator has id `operatorId`.
    error OperatorRegistry_UnknownOperator(uint32 operatorId);

    /// @notice `account` is already the admin of operator `operatorId`.
    error OperatorRegistry_AdminTaken(address account, uint32 operatorId);

    /// @notice `caller` is not the admin of operator `operatorId`.
    error OperatorRegistry_NotAdmin(uint32 operatorId, address caller);

    /// @notice `caller` is not the pending admin of operator `operatorId`.
    error OperatorRegistry_NotPendingAdmin(uint32 operatorId, address caller);

    /// @notice `signer` was registered before, for operator `ownerId` (a key is never reused, even once revoked).
    error OperatorRegistry_SignerTaken(address signer, uint32 ownerId);

    /// @notice `signer` is not an active signer key of operator `operatorId`.
    error OperatorRegistry_NotActiveSigner(uint32 operatorId, address signer);

    /// @notice Operator `operatorId` is in `status`, which does not allow this action.
    error OperatorRegistry_InvalidStatus(uint32 operatorId, OperatorStatus status);

    /// @notice Operator `operatorId` is not active (it is `status`).
    error OperatorRegistry_NotActive(uint32 operatorId, OperatorStatus status);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The most TADIG codes one operator may hold.
    function MAX_TADIGS() external view returns (uint256);

    /// @notice The most signer keys one operator may have active at once.
    function MAX_SIGNERS() external view returns (uint256);

    /// @notice The number of operators ever registered (the highest id).
    function operatorCount() external view returns (uint32);

    /// @notice One operator, with its TADIG codes.
    /// @dev Reverts with {OperatorRegistry_UnknownOperator} for an id that was never registered.
    function getOperator(uint32 operatorId) external view returns (OperatorView memory);

    /// @notice A page of operators in id order, starting at id `offset + 1`.
    /// @param offset How many operators to skip.
    /// @param limit The most operators to return.
    /// @return page The operators of the page (shorter than `limit` at the end).
    /// @return total The number of operators ever registered.
    function listOperators(
        uint256 offset,
        uint256 limit
    ) external view returns (OperatorView[] memory page, uint256 total);

    /// @notice The status of `operatorId` (`None` if it was never registered).
    function statusOf(uint32 operatorId) external view returns (OperatorStatus);

    /// @notice Whether `operatorId` is registered and active.
    function isActive(uint32 operatorId) external view returns (bool);

    /// @notice Reverts with {OperatorRegistry_NotActive} unless `operatorId` is active. For the suite's contracts.
    function requireActive(uint32 operatorId) external view;

    /// @notice The admin account of `operatorId` (zero if unknown).
    function adminOf(uint32 operatorId) external view returns (address);

    /// @notice The address that receives `operatorId`'s withdrawals (zero if unknown).
    function payoutOf(uint32 operatorId) external view returns (address);

    /// @notice The operator whose admin is `account`, or 0.
    function operatorOfAdmin(address account) external view returns (uint32);

    /// @notice The operator that holds `tadig`.
    /// @dev Reverts with {OperatorRegistry_UnknownTadig} when no operator holds it.
    function operatorOfTadig(bytes5 tadig) external view returns (uint32);

    /// @notice The TADIG codes of `operatorId` (at most {MAX_TADIGS}).
    function tadigsOf(uint32 operatorId) external view returns (bytes5[] memory);

    /// @notice Whether `signer` is an active (not revoked) signer key of `operatorId`.
    function isSigner(uint32 operatorId, address signer) external view returns (bool);

    /// @notice The record of `signer`: its operator, when it was added and when it was revoked (0 if it is active).
    /// All zero for a key that was never registered.
    function signerKey(address signer) external view returns (SignerKey memory);

    /// @notice How `account` may act for `operatorId`, and that operator's status, in one call (the suite's contracts
    /// check a caller or a signature this way).
    /// @return isAdmin Whether `account` is the operator's admin.
    /// @return isActiveSigner Whether `account` is an active (not revoked) signer key of the operator.
    /// @return status The operator's status (`None` if it was never registered).
    function accessOf(
        address account,
        uint32 operatorId
    ) external view returns (bool isAdmin, bool isActiveSigner, OperatorStatus status);

    /// @notice The operator `account` acts for: the one it administers, else the one whose active signer key it is,
    /// with that operator's status; `(0, None)` if neither. An account that administers one operator and is a key of
    /// another acts for the one it administers.
    function operatorOfAccount(address account) external view returns (uint32 operatorId, OperatorStatus status);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Onboards an operator, active at once.
    /// @dev Emits {OperatorRegistered}, then one {TadigAdded} per code and one {SignerAdded} per key.
    ///
    /// Requirements:
    /// - Restricted (registrar).
    /// - `tadigs` holds 1 to {MAX_TADIGS} well-formed codes that no operator holds; `signers` 1 to {MAX_SIGNERS}.
    /// - `admin`, `payout` and each signer are non-zero; `admin` administers no other operator; no signer was ever
    ///   registered before.
    ///
    /// @param tadigs The operator's TADIG codes as ASCII `bytes5`.
    /// @param admin The account (ideally the operator's multisig) that manages the operator.
    /// @param payout The address that receives the operator's withdrawals.
    /// @param signers The keys that may sign EIP-712 messages for the operator.
    /// @param metadataURI Where the operator's public profile lives (name, contacts, IOT documents).
    /// @return operatorId The new operator's id.
    function registerOperator(
        bytes5[] calldata tadigs,
        address admin,
        address payout,
        address[] calldata signers,
        string calldata metadataURI
    ) external returns (uint32 operatorId);

    /// @notice Assigns one more TADIG code to an operator (e.g. a network the group acquired).
    /// @dev Emits {TadigAdded}.
    ///
    /// Requirements:
    /// - Restricted (registrar).
    /// - The operator exists and has not exited; it holds fewer than {MAX_TADIGS} codes.
    /// - `tadig` is well-formed and held by no operator.
    function addTadig(uint32 operatorId, bytes5 tadig) external;

    /// @notice Takes a TADIG code from an operator (e.g. a network sold). Agreements reference operator ids, not
    /// TADIGs, so nothing else changes.
    /// @dev Emits {TadigRemoved}.
    ///
    /// Requirements:
    /// - Restricted (registrar).
    /// - `tadig` belongs to `operatorId`, and is not its last code.
    /// - The operator has not exited (an exited operator's codes stay reserved to it).
    function removeTadig(uint32 operatorId, bytes5 tadig) external;

    /// @notice Suspends an active operator at once: it can no longer create agreements or submit usage. It can
    /// still withdraw what it is owed and manage its keys.
    /// @dev Emits {OperatorStatusChanged}.
    ///
    /// Requirements:
    /// - Restricted (pauser).
    /// - The operator is active.
    ///
    /// @param reason A hash of the consortium's decision record.
    function suspendOperator(uint32 operatorId, bytes32 reason) external;

    /// @notice Makes a suspended operator active again.
    /// @dev Emits {OperatorStatusChanged}.
    ///
    /// Requirements:
    /// - Restricted (governor, with its execution delay).
    /// - The operator is suspended.
    function reinstateOperator(uint32 operatorId, bytes32 reason) external;

    /// @notice Ends an operator's membership for ever. Its balances stay withdrawable; its TADIG codes stay
    /// reserved to it so that history keeps one meaning.
    /// @dev Emits {OperatorStatusChanged}.
    ///
    /// Requirements:
    /// - Restricted (governor, with its execution delay).
    /// - The operator is active or suspended.
    function exitOperator(uint32 operatorId, bytes32 reason) external;

    /*//////////////////////////////////////////////////////////////////////////
                                 OPERATOR FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Adds a signer key.
    /// @dev Emits {SignerAdded}.
    ///
    /// Requirements:
    /// - The caller is the operator's admin; the operator has not exited.
    /// - `signer` is non-zero and was never registered; fewer than {MAX_SIGNERS} keys are active.
    function addSigner(uint32 operatorId, address signer) external;

    /// @notice Revokes a signer key: new signatures by it are refused from this block on. Allowed in any status, and
    /// even for the last active key, because a compromised key must always be revocable.
    /// @dev Emits {SignerRevoked}.
    ///
    /// Requirements:
    /// - The caller is the operator's admin.
    /// - `signer` is an active key of the operator.
    function revokeSigner(uint32 operatorId, address signer) external;

    /// @notice Revokes `oldSigner` and adds `newSigner` in one transaction.
    /// @dev Emits {SignerRevoked} and {SignerAdded}. Requirements of {revokeSigner} and {addSigner}.
    function rotateSigner(uint32 operatorId, address oldSigner, address newSigner) external;

    /// @notice Changes where the operator's withdrawals go. Allowed while suspended or exited, so that an operator
    /// can always collect what it is owed.
    /// @dev Emits {PayoutChanged}.
    ///
    /// Requirements:
    /// - The caller is the operator's admin; `payout` is non-zero.
    function setPayout(uint32 operatorId, address payout) external;

    /// @notice Changes the operator's metadata URI.
    /// @dev Emits {MetadataURIChanged}.
    ///
    /// Requirements:
    /// - The caller is the operator's admin.
    function setMetadataURI(uint32 operatorId, string calldata metadataURI) external;

    /// @notice Proposes a new admin account; it takes over when it calls {acceptAdmin}. Zero cancels a proposal.
    /// @dev Emits {AdminTransferStarted}.
    ///
    /// Requirements:
    /// - The caller is the operator's admin.
    /// - `newAdmin` administers no operator.
    function transferAdmin(uint32 operatorId, address newAdmin) external;

    /// @notice Completes an admin transfer.
    /// @dev Emits {AdminTransferred}.
    ///
    /// Requirements:
    /// - The caller is the operator's pending admin and still administers no operator.
    function acceptAdmin(uint32 operatorId) external;
}
