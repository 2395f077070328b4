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
        "Resolution(bytes32 batchId,uint16 round,uint16 disputed,uint128 held,uint128 payAmount)"
    );

    /// @notice The leaf of a record: `keccak256(bytes.concat(keccak256(abi.encode(recordId, subscriberHash,
    /// uint8(service), eventStart, chargedVolume, index))))`, the double hash `StandardMerkleTree` uses with types
    /// `["bytes32","bytes32","uint8","uint64","uint64","uint32"]`.
    function leafHash(RecordLeaf calldata leaf) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(leaf))));
    }

    /// @notice The EIP-712 struct hash of a batch header: the batch id. The header is static, its `totals` field
    /// already the struct hash of the totals, so its encoding is the typehash and its ten words.
    /// @dev Hashed straight from the calldata words, after the range checks Solidity's decoder would make (a field
    /// above its type reverts without data): uint8 direction, uint32 sequence, uint40 periods, uint128 taxes.
    function hashHeader(BatchHeader calldata h) internal pure returns (bytes32 result) {
        bytes32 typehash = BATCH_HEADER_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let dirty := or(shr(8, calldataload(add(h, 0x20))), shr(32, calldataload(add(h, 0x40))))
            dirty := or(dirty, or(shr(40, calldataload(add(h, 0x60))), shr(40, calldataload(add(h, 0x80)))))
            if or(dirty, shr(128, calldataload(add(h, 0xc0)))) {
                revert(0, 0)
            }
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            mstore(m, typehash)
            calldatacopy(add(m, 0x20), h, 0x140)
            result := keccak256(m, 0x160)
        }
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

    /// @notice The EIP-712 struct hash of a batch's totals given packed, one word per service: `service |
    /// volume << 8 | recordCount << 72 | tax << 104` ({IUsageClearing.submitBatch}); the same hash as {hashTotals} of
    /// the unpacked arrays.
    /// @dev Reverts without data, as Solidity's decoder does for a value above its type, for a word with bits above
    /// the 232 its fields take: the packing is then one-to-one, and the fields read later are the ones hashed.
    function hashPackedTotals(uint256[] calldata entries) internal pure returns (bytes32 result) {
        bytes32 typehash = BATCH_TOTALS_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let n := entries.length
            let size := shl(5, n)
            let m := mload(0x40) // scratch above the free memory pointer, not kept: four arrays of n words
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                let entry := calldataload(add(entries.offset, shl(5, i)))
                if shr(232, entry) {
                    revert(0, 0)
                }
                let at := add(m, shl(5, i))
                mstore(at, and(entry, 0xff))
                at := add(at, size)
                mstore(at, and(shr(8, entry), 0xffffffffffffffff))
                at := add(at, size)
                mstore(at, and(shr(72, entry), 0xffffffff))
                mstore(add(at, size), shr(104, entry))
            }
            let out := add(m, shl(2, size))
            mstore(out, typehash)
            mstore(add(out, 0x20), keccak256(m, size))
            mstore(add(out, 0x40), keccak256(add(m, size), size))
            mstore(add(out, 0x60), keccak256(add(m, shl(1, size)), size))
            mstore(add(out, 0x80), keccak256(add(m, mul(3, size)), size))
            result := keccak256(out, 0xa0)
        }
    }

    /// @notice The EIP-712 struct hash of a voucher.
    function hashVoucher(Voucher calldata v) internal pure returns (bytes32) {
        return keccak256(abi.encode(VOUCHER_TYPEHASH, v.agreementId, v.direction, v.cumulativeAmount, v.expiry));
    }

    /// @notice The EIP-712 struct hash of a resolution.
    function hashResolution(Resolution memory r) internal pure returns (bytes32) {
        return keccak256(abi.encode(RESOLUTION_TYPEHASH, r.batchId, r.round, r.disputed, r.held, r.payAmount));
    }
}
