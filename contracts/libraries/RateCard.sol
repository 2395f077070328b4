// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Tariff } from "../types/RatingTypes.sol";

/// @title RateCard
/// @notice A base tariff's rate card: what rating a batch reads of the tariff, packed in words and kept as the code of
/// a contract created once per tariff, so that a submission reads it with one `EXTCODECOPY` instead of taking the
/// tariff as calldata and hashing it.
/// @dev The card's words: the plan count, then per plan (in the tariff's order, services ascending) a header word
/// `service | tierCount << 8` followed by one word per tier `start << 192 | fixedPrice << 96 | linearPrice`. Nothing
/// else of the plan is kept: a base tariff holds only Threshold and Access plans, which rate the same way, and the
/// charging increment is not part of rating. The card contract's code is a STOP byte followed by the card, so it
/// cannot run; its creation code is ten bytes that return that code.
library RateCard {
    /// @notice Creates the rate card of `tariff`, which the caller checked against a published base tariff's id
    /// ({TariffHash.ofCalldata}: a canonical encoding of a validated tariff, every value within its type).
    /// @return card The contract holding the card.
    /// @return size The card's length in bytes.
    function create(Tariff calldata tariff) internal returns (address card, uint256 size) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let heads := add(add(tariff, calldataload(tariff)), 0x20)
            let plans := calldataload(sub(heads, 0x20))
            let m := mload(0x40) // scratch above the free memory pointer, not kept
            let card_ := add(m, 0x20) // the creation code's ten bytes and the STOP byte end at card_
            mstore(card_, plans)
            let out := add(card_, 0x20)
            for {
                let i := 0
            } lt(i, plans) {
                i := add(i, 1)
            } {
                let plan := add(heads, calldataload(add(heads, shl(5, i))))
                let tiers := add(plan, calldataload(add(plan, 0x60)))
                let count := calldataload(tiers)
                mstore(out, or(calldataload(plan), shl(8, count)))
                out := add(out, 0x20)
                let tier := add(tiers, 0x20)
                for {
                    let t := 0
                } lt(t, count) {
                    t := add(t, 1)
                } {
                    let fixedPrice := shl(96, calldataload(add(tier, 0x20)))
                    mstore(out, or(or(shl(192, calldataload(tier)), fixedPrice), calldataload(add(tier, 0x40))))
                    out := add(out, 0x20)
                    tier := add(tier, 0x60)
                }
            }
            size := sub(out, card_)
            // PUSH2 (size + 1), DUP1, PUSH1 0x0a, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN, then STOP: the
            // creation code copies its bytes from offset 10 on (STOP and the card) and returns them as the code.
            mstore(m, or(shl(80, 0x61), or(shl(64, add(size, 1)), 0x80600a3d393df300)))
            card := create(0, add(m, 21), add(size, 11))
            if iszero(card) {
                revert(0, 0)
            }
        }
    }
}
