// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IUsageClearing } from "../interfaces/IUsageClearing.sol";
import { Rating } from "./Rating.sol";

/// @title BatchRating
/// @notice The rating kernel of a usage batch: what {UsageClearing.submitBatch} charges for a batch's per-service
/// volumes under its base tariff's rate card ({RateCard}), at the margin of the period's running volumes, and how
/// those volumes and the batch's own grow. The SDK's twin is `batchCharge` (sdk/src/rating/batch.ts); the pair is
/// held together by test/sdk/batch-rating.differential.test.ts through {BatchRatingHarness}.
/// @dev Internal, so inlined into its caller: no `DELEGATECALL`, no call overhead.
library BatchRating {
    /// @notice Rates a batch and adds its volumes to the period's running volumes, in one pass over its services: each
    /// strictly above the one before, its plan found in the base tariff's rate card ({RateCard}) from the previous
    /// service's plan on, charged the increase of the plan's period result `R(V + v) − R(V)` (base plans, Threshold and
    /// Access, never decrease as the volume grows; `R(0) = 0`). Each volume word is read and written once, and both
    /// results come from one walk over the tiers: the same sums and the one rounding as {Rating.rateBase}. The batch's
    /// own volumes are written alongside, by plan position, plus one each (`ownWords`, in {UsageClearing} the lane
    /// root's {ClearingStorage.Layout.batchVolumes}): the same word indices as the period's, and word 0 always (it
    /// marks the root as used on the lane), so that removals and a rejection take back exactly what the batch added.
    /// Written as one assembly loop (a submission's hottest code: a Solidity loop costs ~1,400 gas more per service),
    /// hence longer than the usual function.
    ///
    /// Requirements, checked in this order per service `i`: at least one service ({UsageClearing_MalformedTotals}); a
    /// `Service` value (else an empty revert, as Solidity's decoder); above service `i - 1` and with a plan in the card
    /// ({UsageClearing_ServiceNotRated}(i, service)); the running volume plus `v` fits uint64 and `v < 2^64 − 1`
    /// ({UsageClearing_VolumeOverflow}(service, volume)); `R(V + v)` fits uint128 ({Rating_AmountOverflow}). Assumes
    /// the totals' words are clean (checked by {ClearingHashes.hashPackedTotals}: `service | volume << 8 | ...`),
    /// `decimals <= 18` and `ownWords` fresh (every word zero).
    /// @param totals The batch's packed totals, one word per service.
    /// @param rateCard The contract holding the base tariff's rate card ({RateCard.create}).
    /// @param cardSize The card's length in bytes.
    /// @param decimals The settlement token's decimals.
    /// @param periodWords The period's running volumes: uint64 each, four per word, by plan position.
    /// @param ownWords The batch's own volumes, laid out as `periodWords`, each field the volume plus one.
    /// @return charge `Σ_s R_s(V_s + v_s) − R_s(V_s)`, in token units.
    // solhint-disable-next-line function-max-lines
    function rate(
        uint256[] calldata totals,
        address rateCard,
        uint256 cardSize,
        uint8 decimals,
        mapping(uint256 word => uint256 packed) storage periodWords,
        mapping(uint256 word => uint256 packed) storage ownWords
    ) internal returns (uint256 charge) {
        uint256 n = totals.length;
        if (n == 0) revert IUsageClearing.UsageClearing_MalformedTotals();
        uint256 cardAt;
        {
            uint256 scale = 10 ** uint256(decimals); // at most 10^18: the vault allows no token with more decimals
            bytes4 notRated = IUsageClearing.UsageClearing_ServiceNotRated.selector;
            bytes4 volumeOverflow = IUsageClearing.UsageClearing_VolumeOverflow.selector;
            bytes4 amountOverflow = Rating.Rating_AmountOverflow.selector;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                // Allocated: the rate card, then six words just below the new free memory pointer: the slot of the
                // batch's own volume words, three error selectors, the decimals' scale and the slot of the period's
                // volume words.
                cardAt := mload(0x40)
                extcodecopy(rateCard, cardAt, 1, cardSize)
                let top := add(add(cardAt, cardSize), 0xc0)
                mstore(0x40, top)
                mstore(sub(top, 0xc0), ownWords.slot)
                mstore(sub(top, 0xa0), notRated)
                mstore(sub(top, 0x80), volumeOverflow)
                mstore(sub(top, 0x60), amountOverflow)
                mstore(sub(top, 0x40), scale)
                mstore(sub(top, 0x20), periodWords.slot)
            }
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            /// Reverts with the error whose selector is `which` bytes below the free memory pointer, and arguments `a`
            /// and `b`.
            function fail(which, a, b) {
                let m := mload(0x40)
                mstore(m, mload(sub(m, which)))
                mstore(add(m, 4), a)
                mstore(add(m, 0x24), b)
                revert(m, 0x44)
            }
            /// Service `i` (of the packed totals whose words start at `ptr`), strictly above service `i - 1`.
            function serviceAt(ptr, i) -> service {
                service := and(calldataload(add(ptr, shl(5, i))), 0xff)
                if gt(service, 8) {
                    revert(0, 0) // not a Service, as Solidity's decoder reverts
                }
                if i {
                    if iszero(gt(service, and(calldataload(add(ptr, shl(5, sub(i, 1)))), 0xff))) {
                        fail(0xa0, i, service)
                    }
                }
            }
            /// The plan of `service` (service `i`), searched from plan `from` (its header at `at`) on, among `plans`:
            /// its header's address and its position.
            function planOf(at, from, plans, i, service) -> plan, position {
                plan := at
                for {
                    position := from
                } 1 {
                    position := add(position, 1)
                } {
                    if eq(position, plans) {
                        fail(0xa0, i, service)
                    }
                    let planService := and(mload(plan), 0xff)
                    if iszero(lt(planService, service)) {
                        if gt(planService, service) {
                            fail(0xa0, i, service)
                        }
                        break
                    }
                    plan := add(plan, shl(5, add(and(shr(8, mload(plan)), 0xff), 1)))
                }
            }
            /// The slot of volume word `index` of the period.
            function wordSlot(index) -> slot {
                mstore(0, index)
                mstore(0x20, mload(sub(mload(0x40), 0x20)))
                slot := keccak256(0, 0x40)
            }
            /// The slot of word `index` of the batch's own volumes.
            function ownSlot(index) -> slot {
                mstore(0, index)
                mstore(0x20, mload(sub(mload(0x40), 0xc0)))
                slot := keccak256(0, 0x40)
            }
            function min(a, b) -> m {
                m := a
                if lt(b, a) {
                    m := b
                }
            }
            /// Σ over the tiers reached of fixedPrice * U + linearPrice * (part of the volume in the tier), for the
            /// volumes after (`next`) and before (`current`) the batch, over the plan whose header is at `plan`.
            function tierSums(plan, unit, current, next) -> sumNext, sumCurrent {
                let tier := add(plan, 0x20)
                let last := add(plan, shl(5, and(shr(8, mload(plan)), 0xff)))
                for {} iszero(gt(tier, last)) {
                    tier := add(tier, 0x20)
                } {
                    let word := mload(tier)
                    let start := shr(192, word)
                    if iszero(gt(next, start)) {
                        break
                    }
                    let end := not(0)
                    if lt(tier, last) {
                        end := shr(192, mload(add(tier, 0x20)))
                    }
                    let fixedPart := mul(and(shr(96, word), 0xffffffffffffffffffffffff), unit)
                    let linear := and(word, 0xffffffffffffffffffffffff)
                    sumNext := add(sumNext, add(fixedPart, mul(linear, sub(min(next, end), start))))
                    if gt(current, start) {
                        sumCurrent := add(sumCurrent, add(fixedPart, mul(linear, sub(min(current, end), start))))
                    }
                }
            }
            /// `R(next) − R(current)` under a plan: the one rounding (half up) of {Rating.toAmount} applied to each
            /// sum; R(current) <= R(next), which must fit uint128.
            function marginal(plan, service, current, next) -> amount {
                let unit := 1
                if or(lt(service, 2), eq(service, 5)) {
                    unit := 60 // VoiceMO, VoiceMT, VoLTE: per minute ({Rating.ratingUnit})
                }
                if eq(service, 4) {
                    unit := 1000000 // Data: per MB
                }
                let sumNext, sumCurrent := tierSums(plan, unit, current, next)
                let factor := mload(sub(mload(0x40), 0x40))
                let denominator := mul(unit, 1000000000000000000)
                let half := shr(1, denominator)
                amount := div(add(mul(sumNext, factor), half), denominator)
                if gt(amount, 0xffffffffffffffffffffffffffffffff) {
                    fail(0x60, service, amount)
                }
                amount := sub(amount, div(add(mul(sumCurrent, factor), half), denominator))
            }
            /// Rates the `count` services of the packed totals at `entries` and adds their volumes, each volume word
            /// read and written once (positions ascend). `card` is the rate card in memory.
            function rateAll(entries, count, card) -> total {
                let plans := mload(card)
                let plan := add(card, 0x20)
                let position := 0
                let word := 0
                // The batch's own word: four fields of volume + 1 (empty fields hold 1).
                let empty := 0x0000000000000001000000000000000100000000000000010000000000000001
                let own := empty
                for {
                    let i := 0
                } lt(i, count) {
                    i := add(i, 1)
                } {
                    let service := serviceAt(entries, i)
                    {
                        let previous := shr(2, position)
                        plan, position := planOf(plan, position, plans, i, service)
                        if iszero(i) {
                            word := sload(wordSlot(shr(2, position)))
                            // Word 0 marks the root as used on the lane, whatever plans the batch has.
                            if shr(2, position) {
                                sstore(ownSlot(0), empty)
                            }
                        }
                        if and(iszero(iszero(i)), iszero(eq(shr(2, position), previous))) {
                            sstore(wordSlot(previous), word)
                            sstore(ownSlot(previous), own)
                            word := sload(wordSlot(shr(2, position)))
                            own := empty
                        }
                    }
                    // The running volume: uint64 at (position % 4) of word position / 4.
                    let added := and(shr(8, calldataload(add(entries, shl(5, i)))), 0xffffffffffffffff)
                    let shift := shl(6, and(position, 3))
                    let current := and(shr(shift, word), 0xffffffffffffffff)
                    let volume := add(current, added)
                    // The batch's field holds its volume plus one: 2^64 - 1 is refused too (it would only fit an empty
                    // period, and no real batch has it).
                    if or(gt(volume, 0xffffffffffffffff), eq(added, 0xffffffffffffffff)) {
                        fail(0x80, service, add(volume, eq(added, 0xffffffffffffffff)))
                    }
                    word := or(and(word, not(shl(shift, 0xffffffffffffffff))), shl(shift, volume))
                    own := add(own, shl(shift, added))
                    total := add(total, marginal(plan, service, current, volume))
                }
                sstore(wordSlot(shr(2, position)), word)
                sstore(ownSlot(shr(2, position)), own)
            }
            // The packed totals (their words checked clean by {ClearingHashes.hashPackedTotals}) and the rate card.
            charge := rateAll(totals.offset, n, cardAt)
        }
    }
}
