// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Rating } from "./Rating.sol";
import { Service, Tariff } from "../types/RatingTypes.sol";

/// @title RateCard
/// @notice A base tariff's rate card: what rating a batch reads of the tariff, packed in words and kept as the code of
/// a contract created once per tariff, so that a submission reads it with one `EXTCODECOPY` instead of taking the
/// tariff as calldata and hashing it.
/// @dev The card's words: the plan count, then per plan (in the tariff's order, services ascending) a header word
/// `service | tierCount << 8 | increment << 16` followed by one word per tier `start << 192 | fixedPrice << 96 |
/// linearPrice`. Nothing else of the plan is kept: a base tariff holds only Threshold and Access plans, which rate the
/// same way. The card contract's code is a STOP byte followed by the card, so it cannot run; its creation code is ten
/// bytes that return that code.
///
/// Submissions read the card in the rating kernel {BatchRating.rate}; the challenge calls (disputes, fraud proofs,
/// rejections) read it with {load}, {find} and {rate} below, so that none of them takes the tariff as calldata. Both
/// compute {Rating.rateBase}'s sum and round it with {Rating.toAmount}: the clearing tests hold all three to the SDK's
/// engine.
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
                // service | tierCount << 8 | increment << 16 (the plan's first and third words)
                mstore(out, or(or(calldataload(plan), shl(8, count)), shl(16, calldataload(add(plan, 0x40)))))
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

    /// @notice Copies the card held by `card` to memory; returns where its first word (the plan count) is.
    function load(address card) internal view returns (uint256 at) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let size := sub(extcodesize(card), 1) // a multiple of 32: the card's words after the STOP byte
            at := mload(0x40)
            extcodecopy(card, at, 1, size)
            mstore(0x40, add(at, size))
        }
    }

    /// @notice The plan of `service` in the card at `card` (services ascending): whether it has one, its position and
    /// where its header word is.
    function find(uint256 card, Service service) internal pure returns (bool found, uint256 position, uint256 plan) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let plans := mload(card)
            plan := add(card, 0x20)
            for {} lt(position, plans) {} {
                let header := mload(plan)
                let s := and(header, 0xff)
                if eq(s, service) {
                    found := 1
                    break
                }
                if gt(s, service) {
                    break
                }
                plan := add(plan, shl(5, add(and(shr(8, header), 0xff), 1)))
                position := add(position, 1)
            }
        }
    }

    /// @notice The plan at `position` (below the card's plan count) of the card at `card`: where its header word is.
    function planAt(uint256 card, uint256 position) internal pure returns (uint256 plan) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            plan := add(card, 0x20)
            for {
                let i := 0
            } lt(i, position) {
                i := add(i, 1)
            } {
                plan := add(plan, shl(5, add(and(shr(8, mload(plan)), 0xff), 1)))
            }
        }
    }

    /// @notice The plan after the one whose header word is at `plan`.
    function next(uint256 plan) internal pure returns (uint256 following) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            following := add(plan, shl(5, add(and(shr(8, mload(plan)), 0xff), 1)))
        }
    }

    /// @notice The plan count of the card at `card`.
    function planCount(uint256 card) internal pure returns (uint256 n) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            n := mload(card)
        }
    }

    /// @notice The service of the plan whose header word is at `plan`.
    function serviceOf(uint256 plan) internal pure returns (Service service) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            service := and(mload(plan), 0xff)
        }
    }

    /// @notice The charging increment of the plan whose header word is at `plan`.
    function incrementOf(uint256 plan) internal pure returns (uint256 increment) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            increment := and(shr(16, mload(plan)), 0xffffffff)
        }
    }

    /// @notice `R(volume)` under the plan whose header word is at `plan`: {Rating.rateBase} of the same plan, with
    /// the one rounding of {Rating.toAmount}.
    function rate(uint256 plan, uint256 volume, uint8 decimals) internal pure returns (uint256) {
        Service service = serviceOf(plan);
        uint256 unit = Rating.ratingUnit(service);
        uint256 sum;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Σ over the tiers the volume reaches of fixedPrice * U + linearPrice * (part of the volume in the tier).
            let count := and(shr(8, mload(plan)), 0xff)
            let tier := add(plan, 0x20)
            let last := add(plan, shl(5, count))
            for {} iszero(gt(tier, last)) {
                tier := add(tier, 0x20)
            } {
                let word := mload(tier)
                let start := shr(192, word)
                if iszero(gt(volume, start)) {
                    break
                }
                let upTo := volume
                if lt(tier, last) {
                    let nextStart := shr(192, mload(add(tier, 0x20)))
                    if lt(nextStart, volume) {
                        upTo := nextStart
                    }
                }
                let fixedPart := mul(and(shr(96, word), 0xffffffffffffffffffffffff), unit)
                sum := add(sum, add(fixedPart, mul(and(word, 0xffffffffffffffffffffffff), sub(upTo, start))))
            }
        }
        return Rating.toAmount(service, sum, unit, decimals);
    }
}
