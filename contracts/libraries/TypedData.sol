// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AgreementTerms, Amendment } from "../types/AgreementTypes.sol";

/// @title TypedData
/// @notice EIP-712 type hashes and struct hashes of the suite's signed messages, identical to the SDK's
/// `sdk/src/typedData`. Enums are encoded as `uint8`; a fixed-size array is the hash of its elements' encodings
/// concatenated (for structs, their struct hashes), as EIP-712 and ethers' `TypedDataEncoder` define.
library TypedData {
    /// @notice `keccak256` of the `Condition` type.
    bytes32 internal constant CONDITION_TYPEHASH = keccak256(
        "Condition(uint8 kind,bool includingTaxes,uint16 includedServices,uint128 commitment)"
    );

    /// @notice `keccak256` of the `AgreementTerms` type (with its referenced `Condition` type appended).
    bytes32 internal constant TERMS_TYPEHASH = keccak256(
        "AgreementTerms(uint32 proposer,address token,uint40 validFrom,uint40 validUntil,uint32 periodLength,"
        "uint32 disputeWindow,uint32 submissionGrace,uint32 noticePeriod,bytes32[2] baseTariff,"
        "bytes32[2] discountTariff,Condition[2] conditions,bytes32 documentCommitment)"
        "Condition(uint8 kind,bool includingTaxes,uint16 includedServices,uint128 commitment)"
    );

    /// @notice `keccak256` of the `Offer` type (with `AgreementTerms` and `Condition` appended, in that order).
    bytes32 internal constant OFFER_TYPEHASH = keccak256(
        "Offer(AgreementTerms terms,uint32 counterparty,uint64 expiry,uint256 nonce)"
        "AgreementTerms(uint32 proposer,address token,uint40 validFrom,uint40 validUntil,uint32 periodLength,"
        "uint32 disputeWindow,uint32 submissionGrace,uint32 noticePeriod,bytes32[2] baseTariff,"
        "bytes32[2] discountTariff,Condition[2] conditions,bytes32 documentCommitment)"
        "Condition(uint8 kind,bool includingTaxes,uint16 includedServices,uint128 commitment)"
    );

    /// @notice `keccak256` of the `Amendment` type.
    bytes32 internal constant AMENDMENT_TYPEHASH = keccak256(
        "Amendment(bytes32 agreementId,uint32 baseVersion,bytes32 newTermsHash,uint40 effectiveFrom)"
    );

    /// @notice The EIP-712 struct hash of agreement terms: the "terms hash" stored per version and signed in
    /// amendments. Reverts (without data, as Solidity's ABI decoder does) if a field does not fit its type, so terms
    /// that hash are well-formed.
    /// @dev `AgreementTerms` is fully static, so its calldata is 21 contiguous words: 0-7 the scalar fields, 8-9
    /// `baseTariff`, 10-11 `discountTariff`, 12-15 and 16-19 the two conditions (kind, includingTaxes,
    /// includedServices, commitment), 20 `documentCommitment`. The hash is computed from those words directly, in one
    /// pass that also checks their ranges, instead of field by field.
    function hashTerms(AgreementTerms calldata t) internal pure returns (bytes32 result) {
        bytes32 termsTypehash = TERMS_TYPEHASH;
        bytes32 conditionTypehash = CONDITION_TYPEHASH;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Range checks: uint32 proposer, address token, uint40 validFrom and validUntil, uint32 durations;
            // per condition a ConditionKind (0-2), a bool, a uint16 and a uint128.
            let dirty := or(shr(32, calldataload(t)), shr(160, calldataload(add(t, 0x20))))
            dirty := or(dirty, or(shr(40, calldataload(add(t, 0x40))), shr(40, calldataload(add(t, 0x60)))))
            dirty := or(dirty, or(shr(32, calldataload(add(t, 0x80))), shr(32, calldataload(add(t, 0xa0)))))
            dirty := or(dirty, or(shr(32, calldataload(add(t, 0xc0))), shr(32, calldataload(add(t, 0xe0)))))
            for {
                let c := add(t, 0x180)
            } lt(c, add(t, 0x280)) {
                c := add(c, 0x80)
            } {
                dirty := or(dirty, or(gt(calldataload(c), 2), gt(calldataload(add(c, 0x20)), 1)))
                dirty := or(dirty, or(shr(16, calldataload(add(c, 0x40))), shr(128, calldataload(add(c, 0x60)))))
            }
            if dirty {
                revert(0, 0)
            }

            let m := mload(0x40) // free memory, used as scratch (not allocated: nothing is kept there)
            // The two conditions' struct hashes, then the hash of their concatenation (`Condition[2]`).
            mstore(m, conditionTypehash)
            calldatacopy(add(m, 0x20), add(t, 0x180), 0x80)
            mstore(add(m, 0x200), keccak256(m, 0xa0))
            calldatacopy(add(m, 0x20), add(t, 0x200), 0x80)
            mstore(add(m, 0x220), keccak256(m, 0xa0))
            let conditions := keccak256(add(m, 0x200), 0x40)
            // `bytes32[2]` arrays: the hash of their two words.
            calldatacopy(m, add(t, 0x100), 0x80)
            let base := keccak256(m, 0x40)
            let discount := keccak256(add(m, 0x40), 0x40)
            // encodeData: typehash, words 0-7, the three array hashes, documentCommitment.
            mstore(m, termsTypehash)
            calldatacopy(add(m, 0x20), t, 0x100)
            mstore(add(m, 0x120), base)
            mstore(add(m, 0x140), discount)
            mstore(add(m, 0x160), conditions)
            mstore(add(m, 0x180), calldataload(add(t, 0x280)))
            result := keccak256(m, 0x1a0)
        }
    }

    /// @notice The EIP-712 struct hash of an offer whose terms hash to `termsHash`.
    function hashOffer(
        bytes32 termsHash,
        uint32 counterparty,
        uint64 expiry,
        uint256 nonce
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(OFFER_TYPEHASH, termsHash, counterparty, expiry, nonce));
    }

    /// @notice The EIP-712 struct hash of an amendment.
    function hashAmendment(Amendment calldata a) internal pure returns (bytes32) {
        return keccak256(abi.encode(AMENDMENT_TYPEHASH, a.agreementId, a.baseVersion, a.newTermsHash, a.effectiveFrom));
    }
}
