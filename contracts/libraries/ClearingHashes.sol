// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { BatchHeader, BatchTotals, RecordLeaf, Resolution, Voucher } from "../types/ClearingTypes.sol";
import { Service } from "../types/RatingTypes.sol";

/// @title ClearingHashes
/// @notice The hashes of usage clearing, identical to the SDK's (`sdk/src/merkle/leaf.ts`,
/// `sdk/src/typedData/clearing.ts`): the record leaf of the `StandardMerkleTree` of OpenZeppelin's merkle-tree
/// package, and the
/// EIP-712 struct hashes of batch headers, vouchers and resolutions. Enums are encoded as `uint8`; a dynamic array is
/// the hash of its elements' 32-byte encodings concatenated, as EIP-712 defines.
library ClearingHashes {
    /// @notice `keccak256` of the `BatchTotals` type.
    bytes32 internal constant BATCH_TOTALS_TYPEHASH = keccak256(
        "BatchTotals(uint8[] services,uint64[] volumes,uint32[] recordCounts,uint128[] taxes)"
    );

    /// @notice `keccak256` of the `BatchHeader` type (with the `BatchTotals` type it references appended).
    bytes32 internal constant BATCH_HEADER_TYPEHASH = keccak256(
        "BatchHeader(bytes32 agreementId,uint8 direction,uint32 sequence,uint40 periodStart,uint40 periodEnd,"
        "bytes32 baseTariff,uint128 taxes,BatchTotals totals,bytes32 root,bytes32 fileHash)"
        "BatchTotals(uint8[] services,uint64[] volumes,uint32[] recordCounts,uint128[] taxes)"
    );

    /// @notice `keccak256` of the `Voucher` type.
    bytes32 internal constant VOUCHER_TYPEHASH = keccak256(
        "Voucher(bytes32 agreementId,uint8 direction,uint128 cumulativeAmount,uint64 expiry)"
    );

    /// @notice `keccak256` of the `Resolution` type.
    bytes32 internal constant RESOLUTION_TYPEHASH = keccak256(
        "Resolution(bytes32 batchId,uint16 round,uint128 payAmount)"
    );

    /// @notice The leaf of a record: `keccak256(bytes.concat(keccak256(abi.encode(recordId, subscriberHash,
    /// uint8(service), eventStart, chargedVolume, index))))`, the double hash `StandardMerkleTree` uses with types
    /// `["bytes32","bytes32","uint8","uint64","uint64","uint32"]`.
    function leafHash(RecordLeaf calldata leaf) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf))));
    }

    /// @notice The EIP-712 struct hash of a batch header: the batch id. The header is static, its `totals` field
    /// already the struct hash of the totals, so its encoding is the typehash and its ten words.
    function hashHeader(BatchHeader calldata h) internal pure returns (bytes32) {
        return keccak256(abi.encode(BATCH_HEADER_TYPEHASH, h));
    }

    /// @notice The EIP-712 struct hash of a batch's totals (each array: the hash of its 32-byte elements).
    /// @dev Each array is hashed straight from its calldata words. A word with bits above its type (which the
    /// SDK never produces) hashes as it is; the contract's later typed reads of services, volumes and taxes revert
    /// on such a word, and record counts are only reported.
    function hashTotals(BatchTotals calldata t) internal pure returns (bytes32) {
        Service[] calldata services = t.services;
        uint64[] calldata volumes = t.volumes;
        uint32[] calldata recordCounts = t.recordCounts;
        uint128[] calldata taxes = t.taxes;
        bytes32 a;
        bytes32 b;
        bytes32 c;
        bytes32 d;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            calldatacopy(m, services.offset, shl(5, services.length))
            a := keccak256(m, shl(5, services.length))
            calldatacopy(m, volumes.offset, shl(5, volumes.length))
            b := keccak256(m, shl(5, volumes.length))
            calldatacopy(m, recordCounts.offset, shl(5, recordCounts.length))
            c := keccak256(m, shl(5, recordCounts.length))
            calldatacopy(m, taxes.offset, shl(5, taxes.length))
            d := keccak256(m, shl(5, taxes.length))
        }
        return keccak256(abi.encode(BATCH_TOTALS_TYPEHASH, a, b, c, d));
    }

    /// @notice The EIP-712 struct hash of a voucher.
    function hashVoucher(Voucher calldata v) internal pure returns (bytes32) {
        return keccak256(abi.encode(VOUCHER_TYPEHASH, v.agreementId, v.direction, v.cumulativeAmount, v.expiry));
    }

    /// @notice The EIP-712 struct hash of a resolution.
    function hashResolution(Resolution memory r) internal pure returns (bytes32) {
        return keccak256(abi.encode(RESOLUTION_TYPEHASH, r.batchId, r.round, r.payAmount));
    }
}
