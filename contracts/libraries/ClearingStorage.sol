// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {
    Batch,
    ClearingConfig,
    Lane,
    OperatorClearingStats,
    PeriodCorrections,
    SubmissionTerms
} from "../types/ClearingTypes.sol";

/// @title ClearingStorage
/// @notice The state of usage clearing, in one ERC-7201 namespace shared by {UsageClearing} and the module it
/// delegates challenges to ({UsageChallenges}), so neither depends on the other's inherited storage layout.
library ClearingStorage {
    /// @custom:storage-location erc7201:roamledger.storage.UsageClearing
    struct Layout {
        mapping(bytes32 agreementId => ClearingConfig config) configs;
        mapping(bytes32 agreementId => Lane[2] lanes) lanes;
        mapping(bytes32 batchId => Batch batch) batches;
        // Per lane root `keccak256(abi.encode(agreementId, direction, root))`: the batch's volumes still counted in its
        // period, by base-plan position, four uint64 fields per word, each the volume plus one (so a word a submission
        // wrote is never zero); word 0 is always written, and marks the root as used on the lane.
        mapping(bytes32 laneRoot => mapping(uint256 word => uint256 packed)) batchVolumes;
        // Running volumes per (agreement, direction, period): uint64 each, four per word, by base-plan position.
        mapping(bytes32 periodKey => mapping(uint256 word => uint256 packed)) volumes;
        mapping(bytes32 periodKey => PeriodCorrections corrections) corrections;
        // Bit `index % 256` of word `index / 256`: the record at `index` of the batch was disputed or proven.
        mapping(bytes32 batchId => mapping(uint256 word => uint256 bits)) challenged;
        mapping(uint32 operatorId => OperatorClearingStats stats) stats;
        uint32 escalationTimeout;
        // Per keccak256(abi.encode(termsHash, direction, baseTariffId)): what a submission needs of those terms.
        mapping(bytes32 key => SubmissionTerms terms) submissionTerms;
        // Per base tariff id: the contract holding its rate card, created once.
        mapping(bytes32 tariffId => address rateCard) rateCards;
    }

    /// @dev `keccak256(abi.encode(uint256(keccak256("roamledger.storage.UsageClearing")) - 1))` with its last byte
    /// cleared (ERC-7201).
    bytes32 private constant LOCATION = 0x306f03afd50839b20b69df852b86236757d40cebdfd77b338c4d8c2ba586bb00;

    /// @notice The clearing state.
    function layout() internal pure returns (Layout storage $) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            $.slot := LOCATION
        }
    }
}
