// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Rating } from "../libraries/Rating.sol";
import { Condition, Service, ServiceFigures, ServiceOutcome, ServicePlan } from "../types/RatingTypes.sol";

// The library works on memory; decoding the arguments into memory is what the gas measurement wants.
// solhint-disable gas-calldata-parameters

/// @title RatingHarness
/// @notice Test-only: exposes the pure {Rating} library so that tests (and the differential test against the SDK's
/// TypeScript twin) can call it, and measures the gas of one rating with the plan already in memory.
contract RatingHarness {
    function ratingUnit(Service service) external pure returns (uint256) {
        return Rating.ratingUnit(service);
    }

    function chargedVolume(uint256 rawVolume, uint32 increment) external pure returns (uint256) {
        return Rating.chargedVolume(rawVolume, increment);
    }

    function validatePlan(ServicePlan memory plan) external pure {
        Rating.validatePlan(plan);
    }

    function validatePlans(ServicePlan[] memory plans) external pure {
        Rating.validatePlans(plans);
    }

    function rate(
        ServicePlan memory plan,
        uint256 volume,
        uint256 oppositeVolume,
        uint8 decimals
    ) external pure returns (uint256) {
        return Rating.rate(plan, volume, oppositeVolume, decimals);
    }

    /// @notice {rate}, and the gas that the library call alone used (the plan is already decoded into memory).
    function rateWithGas(
        ServicePlan memory plan,
        uint256 volume,
        uint256 oppositeVolume,
        uint8 decimals
    ) external view returns (uint256 amount, uint256 gasUsed) {
        uint256 before = gasleft();
        amount = Rating.rate(plan, volume, oppositeVolume, decimals);
        gasUsed = before - gasleft();
    }

    function applyCondition(
        Condition memory condition,
        ServiceFigures[] memory figures
    ) external pure returns (ServiceOutcome[] memory outcomes, bool dealApplies) {
        return Rating.applyCondition(condition, figures);
    }
}
