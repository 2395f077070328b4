// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { Tadig } from "./libraries/Tadig.sol";
import { Operator, OperatorStatus, OperatorView, SignerKey } from "./types/OperatorTypes.sol";

/// @title OperatorRegistry
/// @notice See the documentation in {IOperatorRegistry}.
contract OperatorRegistry is IOperatorRegistry, AccessManaged {
    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS & STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    uint256 public constant override MAX_TADIGS = 16;

    /// @inheritdoc IOperatorRegistry
    uint256 public constant override MAX_SIGNERS = 16;

    /// @inheritdoc IOperatorRegistry
    uint32 public override operatorCount;

    mapping(uint32 operatorId => Operator operator) private _operators;
    mapping(uint32 operatorId => bytes5[] tadigs) private _tadigs;
    mapping(bytes5 tadig => uint32 operatorId) private _operatorOfTadig;
    mapping(address admin => uint32 operatorId) private _operatorOfAdmin;
    mapping(address signer => SignerKey key) private _signerKeys;

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    constructor(address authority) AccessManaged(authority) {}

    /*//////////////////////////////////////////////////////////////////////////
                                      MODIFIERS
    //////////////////////////////////////////////////////////////////////////*/

    modifier onlyOperatorAdmin(uint32 operatorId) {
        if (_operators[operatorId].admin != msg.sender) {
            revert OperatorRegistry_NotAdmin(operatorId, msg.sender);
        }
        _;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function getOperator(uint32 operatorId) external view override returns (OperatorView memory) {
        _requireKnown(operatorId);
        return _view(operatorId);
    }

    /// @inheritdoc IOperatorRegistry
    function listOperators(
        uint256 offset,
        uint256 limit
    ) external view override returns (OperatorView[] memory page, uint256 total) {
        total = operatorCount;
        uint256 size = offset >= total ? 0 : total - offset;
        if (size > limit) size = limit;
        page = new OperatorView[](size);
        for (uint256 i; i < size; ++i) {
            // Safe: offset + i + 1 <= total, which fits in uint32.
            page[i] = _view(uint32(offset + i + 1));
        }
    }

    /// @inheritdoc IOperatorRegistry
    function statusOf(uint32 operatorId) external view override returns (OperatorStatus) {
        return _operators[operatorId].status;
    }

    /// @inheritdoc IOperatorRegistry
    function isActive(uint32 operatorId) external view override returns (bool) {
        return _operators[operatorId].status == OperatorStatus.Active;
    }

    /// @inheritdoc IOperatorRegistry
    function requireActive(uint32 operatorId) external view override {
        OperatorStatus status = _operators[operatorId].status;
        if (status != OperatorStatus.Active) revert OperatorRegistry_NotActive(operatorId, status);
    }

    /// @inheritdoc IOperatorRegistry
    function adminOf(uint32 operatorId) external view override returns (address) {
        return _operators[operatorId].admin;
    }

    /// @inheritdoc IOperatorRegistry
    function payoutOf(uint32 operatorId) external view override returns (address) {
        return _operators[operatorId].payout;
    }

    /// @inheritdoc IOperatorRegistry
    function operatorOfAdmin(address account) external view override returns (uint32) {
        return _operatorOfAdmin[account];
    }

    /// @inheritdoc IOperatorRegistry
    function operatorOfTadig(bytes5 tadig) external view override returns (uint32 operatorId) {
        operatorId = _operatorOfTadig[tadig];
        if (operatorId == 0) revert OperatorRegistry_UnknownTadig(tadig);
    }

    /// @inheritdoc IOperatorRegistry
    function tadigsOf(uint32 operatorId) external view override returns (bytes5[] memory) {
        return _tadigs[operatorId];
    }

    /// @inheritdoc IOperatorRegistry
    function isSigner(uint32 operatorId, address signer) external view override returns (bool) {
        SignerKey memory key = _signerKeys[signer];
        return operatorId != 0 && key.operatorId == operatorId && key.revokedAt == 0;
    }

    /// @inheritdoc IOperatorRegistry
    function signerKey(address signer) external view override returns (SignerKey memory) {
        return _signerKeys[signer];
    }

    /// @inheritdoc IOperatorRegistry
    function accessOf(
        address account,
        uint32 operatorId
    ) external view override returns (bool isAdmin, bool isActiveSigner, OperatorStatus status) {
        Operator storage op = _operators[operatorId];
        status = op.status;
        if (status == OperatorStatus.None) return (false, false, status);
        isAdmin = op.admin == account;
        SignerKey memory key = _signerKeys[account];
        isActiveSigner = key.operatorId == operatorId && key.revokedAt == 0;
    }

    /// @inheritdoc IOperatorRegistry
    function operatorOfAccount(
        address account
    ) external view override returns (uint32 operatorId, OperatorStatus status) {
        operatorId = _operatorOfAdmin[account];
        if (operatorId == 0) {
            SignerKey memory key = _signerKeys[account];
            if (key.revokedAt != 0) return (0, OperatorStatus.None);
            operatorId = key.operatorId;
        }
        status = _operators[operatorId].status;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function registerOperator(
        bytes5[] calldata tadigs,
        address admin,
        address payout,
        address[] calldata signers,
        string calldata metadataURI
    ) external override restricted returns (uint32 operatorId) {
        // Checks.
        if (tadigs.length == 0 || tadigs.length > MAX_TADIGS) {
            revert OperatorRegistry_TadigCount(tadigs.length, MAX_TADIGS);
        }
        if (signers.length == 0 || signers.length > MAX_SIGNERS) {
            revert OperatorRegistry_SignerCount(signers.length, MAX_SIGNERS);
        }
        if (admin == address(0)) revert OperatorRegistry_ZeroAddress("admin");
        if (payout == address(0)) revert OperatorRegistry_ZeroAddress("payout");
        uint32 adminOfOther = _operatorOfAdmin[admin];
        if (adminOfOther != 0) revert OperatorRegistry_AdminTaken(admin, adminOfOther);

        // Effects.
        operatorId = ++operatorCount;
        Operator storage op = _operators[operatorId];
        op.admin = admin;
        op.status = OperatorStatus.Active;
        op.joinedAt = uint40(block.timestamp);
        op.payout = payout;
        op.metadataURI = metadataURI;
        _operatorOfAdmin[admin] = operatorId;
        emit OperatorRegistered(operatorId, admin, payout, metadataURI);

        // Each helper checks its own item (well-formed, not taken) before writing it; a failure reverts everything.
        for (uint256 i; i < tadigs.length; ++i) {
            _addTadig(operatorId, tadigs[i]);
        }
        for (uint256 i; i < signers.length; ++i) {
            _addSigner(operatorId, op, signers[i]);
        }
    }

    /// @inheritdoc IOperatorRegistry
    function addTadig(uint32 operatorId, bytes5 tadig) external override restricted {
        Operator storage op = _operators[operatorId];
        _requireKnown(operatorId);
        if (op.status == OperatorStatus.Exited) revert OperatorRegistry_InvalidStatus(operatorId, op.status);
        uint256 count = _tadigs[operatorId].length;
        if (count >= MAX_TADIGS) revert OperatorRegistry_TadigCount(count + 1, MAX_TADIGS);
        _addTadig(operatorId, tadig);
    }

    /// @inheritdoc IOperatorRegistry
    function removeTadig(uint32 operatorId, bytes5 tadig) external override restricted {
        // Checks.
        if (_operatorOfTadig[tadig] != operatorId || operatorId == 0) {
            revert OperatorRegistry_TadigNotOwned(operatorId, tadig);
        }
        OperatorStatus status = _operators[operatorId].status;
        if (status == OperatorStatus.Exited) revert OperatorRegistry_InvalidStatus(operatorId, status);
        bytes5[] storage list = _tadigs[operatorId];
        uint256 last = list.length - 1;
        if (last == 0) revert OperatorRegistry_TadigCount(0, MAX_TADIGS);

        // Effects: swap with the last code and pop (the list holds at most MAX_TADIGS entries).

        for (uint256 i; i <= last; ++i) {
            if (list[i] == tadig) {
                list[i] = list[last];
                list.pop();
                break;
            }
        }
        delete _operatorOfTadig[tadig];
        emit TadigRemoved(operatorId, tadig);
    }

    /// @inheritdoc IOperatorRegistry
    function suspendOperator(uint32 operatorId, bytes32 reason) external override restricted {
        _transition(operatorId, OperatorStatus.Active, OperatorStatus.Active, OperatorStatus.Suspended, reason);
    }

    /// @inheritdoc IOperatorRegistry
    function reinstateOperator(uint32 operatorId, bytes32 reason) external override restricted {
        _transition(operatorId, OperatorStatus.Suspended, OperatorStatus.Suspended, OperatorStatus.Active, reason);
    }

    /// @inheritdoc IOperatorRegistry
    function exitOperator(uint32 operatorId, bytes32 reason) external override restricted {
        _transition(operatorId, OperatorStatus.Active, OperatorStatus.Suspended, OperatorStatus.Exited, reason);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 OPERATOR FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function addSigner(uint32 operatorId, address signer) external override onlyOperatorAdmin(operatorId) {
        Operator storage op = _operators[operatorId];
        if (op.status == OperatorStatus.Exited) revert OperatorRegistry_InvalidStatus(operatorId, op.status);
        _addSigner(operatorId, op, signer);
    }

    /// @inheritdoc IOperatorRegistry
    function revokeSigner(uint32 operatorId, address signer) external override onlyOperatorAdmin(operatorId) {
        _revokeSigner(operatorId, signer);
    }

    /// @inheritdoc IOperatorRegistry
    function rotateSigner(
        uint32 operatorId,
        address oldSigner,
        address newSigner
    ) external override onlyOperatorAdmin(operatorId) {
        Operator storage op = _operators[operatorId];
        if (op.status == OperatorStatus.Exited) revert OperatorRegistry_InvalidStatus(operatorId, op.status);
        _revokeSigner(operatorId, oldSigner);
        _addSigner(operatorId, op, newSigner);
    }

    /// @inheritdoc IOperatorRegistry
    function setPayout(uint32 operatorId, address payout) external override onlyOperatorAdmin(operatorId) {
        if (payout == address(0)) revert OperatorRegistry_ZeroAddress("payout");
        Operator storage op = _operators[operatorId];
        address previous = op.payout;
        op.payout = payout;
        emit PayoutChanged(operatorId, previous, payout);
    }

    /// @inheritdoc IOperatorRegistry
    function setMetadataURI(
        uint32 operatorId,
        string calldata metadataURI
    ) external override onlyOperatorAdmin(operatorId) {
        _operators[operatorId].metadataURI = metadataURI;
        emit MetadataURIChanged(operatorId, metadataURI);
    }

    /// @inheritdoc IOperatorRegistry
    function transferAdmin(uint32 operatorId, address newAdmin) external override onlyOperatorAdmin(operatorId) {
        uint32 adminOfOther = _operatorOfAdmin[newAdmin];
        if (adminOfOther != 0) revert OperatorRegistry_AdminTaken(newAdmin, adminOfOther);
        _operators[operatorId].pendingAdmin = newAdmin;
        emit AdminTransferStarted(operatorId, msg.sender, newAdmin);
    }

    /// @inheritdoc IOperatorRegistry
    function acceptAdmin(uint32 operatorId) external override {
        Operator storage op = _operators[operatorId];
        // Checks: a zero pending admin never matches, since no transaction comes from the zero address.
        if (op.pendingAdmin != msg.sender) revert OperatorRegistry_NotPendingAdmin(operatorId, msg.sender);
        uint32 adminOfOther = _operatorOfAdmin[msg.sender];
        if (adminOfOther != 0) revert OperatorRegistry_AdminTaken(msg.sender, adminOfOther);

        // Effects.
        address previous = op.admin;
        delete _operatorOfAdmin[previous];
        _operatorOfAdmin[msg.sender] = operatorId;
        op.admin = msg.sender;
        op.pendingAdmin = address(0);
        emit AdminTransferred(operatorId, previous, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                 PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    function _requireKnown(uint32 operatorId) private view {
        if (_operators[operatorId].status == OperatorStatus.None) revert OperatorRegistry_UnknownOperator(operatorId);
    }

    function _view(uint32 operatorId) private view returns (OperatorView memory v) {
        Operator storage op = _operators[operatorId];
        v.id = operatorId;
        v.status = op.status;
        v.admin = op.admin;
        v.pendingAdmin = op.pendingAdmin;
        v.payout = op.payout;
        v.joinedAt = op.joinedAt;
        v.activeSigners = op.activeSigners;
        v.tadigs = _tadigs[operatorId];
        v.metadataURI = op.metadataURI;
    }

    function _addTadig(uint32 operatorId, bytes5 tadig) private {
        if (!Tadig.isValid(tadig)) revert OperatorRegistry_InvalidTadig(tadig);
        uint32 owner = _operatorOfTadig[tadig];
        if (owner != 0) revert OperatorRegistry_TadigTaken(tadig, owner);
        _operatorOfTadig[tadig] = operatorId;
        _tadigs[operatorId].push(tadig);
        emit TadigAdded(operatorId, tadig);
    }

    function _addSigner(uint32 operatorId, Operator storage op, address signer) private {
        if (signer == address(0)) revert OperatorRegistry_ZeroAddress("signer");
        uint32 owner = _signerKeys[signer].operatorId;
        if (owner != 0) revert OperatorRegistry_SignerTaken(signer, owner);
        if (op.activeSigners >= MAX_SIGNERS) revert OperatorRegistry_TooManySigners(operatorId, MAX_SIGNERS);
        _signerKeys[signer] = SignerKey({ operatorId: operatorId, addedAt: uint40(block.timestamp), revokedAt: 0 });
        op.activeSigners += 1;
        emit SignerAdded(operatorId, signer);
    }

    function _revokeSigner(uint32 operatorId, address signer) private {
        SignerKey storage key = _signerKeys[signer];
        if (key.operatorId != operatorId || key.revokedAt != 0) {
            revert OperatorRegistry_NotActiveSigner(operatorId, signer);
        }
        key.revokedAt = uint40(block.timestamp);
        _operators[operatorId].activeSigners -= 1;
        emit SignerRevoked(operatorId, signer);
    }

    /// @dev Moves `operatorId` to `to` if its status is `fromA` or `fromB`.
    function _transition(
        uint32 operatorId,
        OperatorStatus fromA,
        OperatorStatus fromB,
        OperatorStatus to,
        bytes32 reason
    ) private {
        Operator storage op = _operators[operatorId];
        OperatorStatus current = op.status;
        if (current == OperatorStatus.None) revert OperatorRegistry_UnknownOperator(operatorId);
        if (current != fromA && current != fromB) revert OperatorRegistry_InvalidStatus(operatorId, current);
        op.status = to;
        emit OperatorStatusChanged(operatorId, current, to, reason);
    }
}
