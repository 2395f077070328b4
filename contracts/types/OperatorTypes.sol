// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Lifecycle of a consortium member.
/// @dev `None` is the zero value of an id that was never registered. `Suspended` blocks new agreements and usage
/// submissions but never the withdrawal of what the operator is owed. `Exited` is final.
enum OperatorStatus {
    None,
    Active,
    Suspended,
    Exited
}

/// @notice Storage record of one operator.
/// @dev Slot 0: admin (20) + status (1) + activeSigners (1) + joinedAt (5) = 27 bytes.
/// Slot 1: payout. Slot 2: pendingAdmin. Slot 3+: metadataURI.
struct Operator {
    address admin;
    OperatorStatus status;
    uint8 activeSigners;
    uint40 joinedAt;
    address payout;
    address pendingAdmin;
    string metadataURI;
}

/// @notice Record of one signer key. A key belongs to one operator for ever: once revoked it cannot be added again,
/// so its history (when it could sign, and for whom) never changes.
/// @dev One slot: operatorId (4) + addedAt (5) + revokedAt (5).
struct SignerKey {
    uint32 operatorId;
    uint40 addedAt;
    uint40 revokedAt;
}

/// @notice What the registry's views return for one operator. Only ever in memory, so its order favours readers.
// solhint-disable-next-line gas-struct-packing
struct OperatorView {
    uint32 id;
    OperatorStatus status;
    address admin;
    address pendingAdmin;
    address payout;
    uint40 joinedAt;
    uint8 activeSigners;
    bytes5[] tadigs;
    string metadataURI;
}
