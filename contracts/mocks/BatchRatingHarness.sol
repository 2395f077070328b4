// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { BatchRating } from "../libraries/BatchRating.sol";
import { RateCard } from "../libraries/RateCard.sol";
import { Rating } from "../libraries/Rating.sol";
import { Service, Tariff } from "../types/RatingTypes.sol";

/// @title BatchRatingHarness
/// @notice Test-only: runs the {BatchRating} kernel on its own, with a rate card created from a base tariff and period
/// volumes given per call, so that the differential test can hold it to {Rating.rateBase} and to the SDK's
/// `batchCharge`. Each call first writes the period's volumes and clears the batch's own, so calls are independent.
contract BatchRatingHarness {
    uint256 private constant VOLUME_MASK = type(uint64).max;

    mapping(uint256 word => uint256 packed) private _period;
    mapping(uint256 word => uint256 packed) private _own;

    /// @notice {BatchRating.rate} of the packed `totals` under `tariff`'s rate card, the period holding
    /// `periodVolumes` (one per plan) before the batch.
    /// @return charge The batch's charge.
    /// @return periodAfter The period's volumes after the batch, by plan position.
    /// @return ownAfter The batch's own volumes ({BatchRating.rate}'s `ownWords`, less the one added to each field).
    function rate(
        Tariff calldata tariff,
        uint64[] calldata periodVolumes,
        uint256[] calldata totals,
        uint8 decimals
    ) external returns (uint256 charge, uint64[] memory periodAfter, uint64[] memory ownAfter) {
        (address card, uint256 size) = RateCard.create(tariff);
        uint256 n = periodVolumes.length;
        uint256 words = (n + 3) >> 2;
        for (uint256 w; w < words; ++w) {
            uint256 word;
            for (uint256 p = w << 2; p < n && p < (w + 1) << 2; ++p) {
                word |= uint256(periodVolumes[p]) << ((p & 3) << 6);
            }
            _period[w] = word;
            delete _own[w];
        }
        charge = BatchRating.rate(totals, card, size, decimals, _period, _own);
        periodAfter = new uint64[](n);
        ownAfter = new uint64[](n);
        for (uint256 p; p < n; ++p) {
            uint256 shift = (p & 3) << 6;
            periodAfter[p] = uint64((_period[p >> 2] >> shift) & VOLUME_MASK);
            uint256 field = (_own[p >> 2] >> shift) & VOLUME_MASK;
            if (field > 1) ownAfter[p] = uint64(field - 1);
        }
    }

    /// @notice The same charge by {Rating.rateBase}, service by service: `Σ R(V + v) − R(V)` (`R(0) = 0`), for
    /// `services` ascending, each with a plan in `tariff`.
    function rateByRating(
        Tariff calldata tariff,
        uint64[] calldata periodVolumes,
        Service[] calldata services,
        uint64[] calldata volumes,
        uint8 decimals
    ) external pure returns (uint256 charge) {
        for (uint256 i; i < services.length; ++i) {
            uint256 p;
            while (tariff.plans[p].service != services[i]) ++p;
            uint256 current = periodVolumes[p];
            uint256 next = current + volumes[i];
            uint256 before = current == 0 ? 0 : Rating.rateBase(tariff.plans[p], current, decimals);
            charge += Rating.rateBase(tariff.plans[p], next, decimals) - before;
        }
    }
}
