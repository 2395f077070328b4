// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Service, ServicePlan, Tariff } from "../types/RatingTypes.sol";

/// @title TariffHash
/// @notice The id of a tariff given as calldata, `keccak256(abi.encode(tariff))` ({IRoamingAgreements.tariffIdOf}),
/// hashed from the calldata bytes themselves instead of re-encoding the nested arrays in memory; and, for a tariff
/// whose calldata was checked that way, direct access to its plans.
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

    /// @notice The number of plans of a tariff whose calldata {ofCalldata} checked against a published id.
    function planCount(Tariff calldata tariff) internal pure returns (uint256 n) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            n := calldataload(add(tariff, calldataload(tariff)))
        }
    }

    /// @notice Plan `position` (below {planCount}) of a tariff whose calldata {ofCalldata} checked against a published
    /// id: its canonical offsets need no re-validation.
    function planAt(Tariff calldata tariff, uint256 position) internal pure returns (ServicePlan calldata plan) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let heads := add(add(tariff, calldataload(tariff)), 0x20)
            plan := add(heads, calldataload(add(heads, shl(5, position))))
        }
    }

    /// @notice Where `service`'s plan is in a tariff whose calldata {ofCalldata} checked (plans are sorted by service).
    function positionOf(Tariff calldata tariff, Service service) internal pure returns (bool found, uint256 position) {
        uint256 n = planCount(tariff);
        for (; position < n; ++position) {
            Service s = planAt(tariff, position).service;
            if (s == service) return (true, position);
            if (s > service) break;
        }
    }
}
