// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Tariff } from "../types/RatingTypes.sol";

/// @title TariffHash
/// @notice The id of a tariff given as calldata, `keccak256(abi.encode(tariff))` ({IRoamingAgreements.tariffIdOf}),
/// hashed from the calldata bytes themselves instead of re-encoding the nested arrays in memory.
/// @dev The bytes hashed are `0x20` followed by the calldata from the tariff's start to the end of its last array, the
/// extent found by following the encoding's offsets. For a canonical encoding these bytes are exactly
/// `abi.encode(tariff)`. Any other encoding (gaps, reordered or overlapping parts) hashes differently and is refused
/// by the caller's comparison with the expected id: bytes that hash to the id are, barring a keccak collision, the
/// canonical encoding of the published tariff, and Solidity's calldata accessors then read that tariff from them.
library TariffHash {
    /// @notice `keccak256(abi.encode(tariff))` for a canonically encoded `tariff`.
    function ofCalldata(Tariff calldata tariff) internal pure returns (bytes32 hash) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let plans := add(tariff, calldataload(tariff))
            let heads := add(plans, 0x20)
            let n := calldataload(plans)
            let end := add(heads, shl(5, n))
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                let plan := add(heads, calldataload(add(heads, shl(5, i))))
                let unbalanced := add(plan, calldataload(add(plan, 0x80)))
                let planEnd := add(add(unbalanced, 0x20), mul(calldataload(unbalanced), 0x60))
                if gt(planEnd, end) {
                    end := planEnd
                }
            }
            let length := sub(end, tariff)
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            mstore(m, 0x20)
            calldatacopy(add(m, 0x20), tariff, length)
            hash := keccak256(m, add(length, 0x20))
        }
    }
}
