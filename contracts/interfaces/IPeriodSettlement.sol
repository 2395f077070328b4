// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IRoamingAgreements } from "./IRoamingAgreements.sol";
import { ISettlementVault } from "./ISettlementVault.sol";
import { IUsageClearing } from "./IUsageClearing.sol";
import { AgreementTerms } from "../types/AgreementTypes.sol";
import { Tariff } from "../types/RatingTypes.sol";

/// @title IPeriodSettlement
/// @notice Period-end settlement of roaming discount deals. Once an agreement period is closed (its end, plus the
/// submission grace, plus the dispute window, so every batch of it is final by time), anyone may settle it, once.
/// Per direction with a discount tariff, the deal is valued over the period's final running volumes kept by
/// {IUsageClearing} (both directions, for Ratio plans), the paying party's condition is applied
/// ({Rating.applyCondition}), and the difference with what the period's batches charged under the base tariff is
/// recorded in the {ISettlementVault}: positive, the home network pays it; negative, the visited network refunds it.
/// Without a discount tariff nothing is recorded. Vouchers take no part; taxes only count toward a ContractRevenue
/// commitment that includes them; resolution payments of held records are outside.
/// @dev `charged = Σ_s R_base,s(V_s) + drift`, the drift being what rejections and capped removals moved away from
/// the exact period result ({IUsageClearing.periodCorrections}). A service the discount tariff does not price keeps
/// its base value; services it prices that the base tariff does not carry no volume and are ignored.
interface IPeriodSettlement {
    /// @notice Emitted per direction when a period is settled. `difference = target − charged`, recorded in the vault
    /// when non-zero, as one obligation (`ref = keccak256(abi.encode(agreementId, period, direction))`), or, above the
    /// most one obligation carries ({ISettlementVault.MAX_OBLIGATION}), as parts ({TrueUpPartRecorded}).
    /// @param exactBase `Σ_s R_base,s(V_s)` over the period's final volumes.
    /// @param charged What the period's batches charged (`exactBase + drift`).
    /// @param target What the discount deal says is owed (`charged` without a discount tariff).
    event PeriodSettled(
        bytes32 indexed agreementId,
        uint256 indexed period,
        uint8 indexed direction,
        uint256 exactBase,
        int256 charged,
        uint256 target,
        int256 difference
    );

    /// @notice Emitted per part of a true-up above {ISettlementVault.MAX_OBLIGATION}, recorded in the vault with
    /// `ref = key = keccak256(abi.encode(agreementId, period, direction))` for part 0 and `keccak256(abi.encode(key,
    /// part))` for the next ones; `remaining` is what is still to record ({collectTrueUp}).
    event TrueUpPartRecorded(
        bytes32 indexed agreementId,
        uint256 indexed period,
        uint8 indexed direction,
        uint32 part,
        uint256 amount,
        uint256 remaining
    );

    /// @notice `field` must not be the zero address.
    error PeriodSettlement_ZeroAddress(string field);

    /// @notice Nothing of the true-up of (`agreementId`, `period`, `direction`) remains to record.
    error PeriodSettlement_NothingOutstanding(bytes32 agreementId, uint256 period, uint8 direction);

    /// @notice The agreement `agreementId` is not in clearing.
    error PeriodSettlement_ClearingNotEnabled(bytes32 agreementId);

    /// @notice The agreement has no period `period`.
    error PeriodSettlement_UnknownPeriod(bytes32 agreementId, uint256 period);

    /// @notice The terms given do not hash to version `version`, in force at the period's start.
    error PeriodSettlement_TermsMismatch(bytes32 agreementId, uint32 version);

    /// @notice The tariff given hashes to `given`, not to `expected` (the terms' tariff).
    error PeriodSettlement_TariffMismatch(bytes32 expected, bytes32 given);

    /// @notice The period can be settled from `readyAt` on (its end, plus the submission grace and dispute window).
    error PeriodSettlement_PeriodNotReady(bytes32 agreementId, uint256 period, uint256 readyAt);

    /// @notice The period was settled before.
    error PeriodSettlement_PeriodSettled(bytes32 agreementId, uint256 period);

    /// @notice The clearing contract whose running volumes are settled.
    function clearing() external view returns (IUsageClearing);

    /// @notice The roaming agreements contract.
    function agreements() external view returns (IRoamingAgreements);

    /// @notice The settlement vault, which lists this contract as a suite contract.
    function vault() external view returns (ISettlementVault);

    /// @notice How many parts of a true-up one call records at most (settling, or collecting the rest).
    function MAX_PARTS_PER_CALL() external view returns (uint256);

    /// @notice Whether the period was settled.
    function isPeriodSettled(bytes32 agreementId, uint256 period) external view returns (bool);

    /// @notice What remains to record of a settled direction's true-up (zero when it was recorded whole), and the
    /// index of its next part.
    function outstandingTrueUp(
        bytes32 agreementId,
        uint256 period,
        uint8 direction
    ) external view returns (uint256 remaining, uint32 nextPart);

    /// @notice Settles an agreement period, both directions, once; anyone may.
    /// @dev Emits {PeriodSettled} twice (direction 0, then 1).
    ///
    /// Requirements, checked in this order:
    /// - The agreement is in clearing, and has period `period`.
    /// - `terms` are the terms in force at the period's start.
    /// - `now >= period end + submissionGrace + disputeWindow`.
    /// - `baseTariffs[d]` are the terms' base tariffs and, for a direction with a discount tariff,
    ///   `discountTariffs[d]` its discount tariff (ignored otherwise: pass an empty tariff).
    /// - The period was not settled before.
    /// - A true-up is recorded whole when it fits one obligation, else in parts of {ISettlementVault.MAX_OBLIGATION}
    ///   (at most {MAX_PARTS_PER_CALL} in this call; {collectTrueUp} records the rest). No amount makes a period
    ///   unsettleable, and each direction's true-up is recorded independently of the other's size.
    function settlePeriod(
        bytes32 agreementId,
        uint256 period,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs,
        Tariff[2] calldata discountTariffs
    ) external;

    /// @notice Records up to {MAX_PARTS_PER_CALL} more parts of a settled direction's true-up; anyone may.
    /// @dev Emits {TrueUpPartRecorded} per part. Requirements: something of it remains ({outstandingTrueUp}).
    function collectTrueUp(bytes32 agreementId, uint256 period, uint8 direction) external;
}
