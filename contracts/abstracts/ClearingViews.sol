// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IOperatorRegistry } from "../interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "../interfaces/IRoamingAgreements.sol";
import { IUsageClearing } from "../interfaces/IUsageClearing.sol";
import { ClearingHashes } from "../libraries/ClearingHashes.sol";
import { ClearingStorage } from "../libraries/ClearingStorage.sol";
import {
    Batch,
    BatchHeader,
    BatchStatus,
    BatchTotals,
    ClearingConfig,
    Lane,
    OperatorClearingStats,
    PeriodCorrections,
    SubmissionTerms,
    Voucher
} from "../types/ClearingTypes.sol";
import { ClearingBase } from "./ClearingBase.sol";

/// @title ClearingViews
/// @notice The read side of {UsageClearing}: its views of the clearing state ({ClearingStorage}) and its pure hashes
/// ({ClearingHashes}). Documentation in {IUsageClearing}.
abstract contract ClearingViews is IUsageClearing, ClearingBase {
    /// @inheritdoc IUsageClearing
    function registry() external view override returns (IOperatorRegistry) {
        return _registry;
    }

    /// @inheritdoc IUsageClearing
    function agreements() external view override returns (IRoamingAgreements) {
        return _agreements;
    }

    /// @inheritdoc IUsageClearing
    function escalationTimeout() external view override returns (uint32) {
        return ClearingStorage.layout().escalationTimeout;
    }

    /// @inheritdoc IUsageClearing
    function clearingConfig(bytes32 agreementId) external view override returns (ClearingConfig memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.configs[agreementId];
    }

    /// @inheritdoc IUsageClearing
    function lane(bytes32 agreementId, uint8 direction) external view override returns (Lane memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        _checkDirection(direction);
        return $.lanes[agreementId][direction];
    }

    /// @inheritdoc IUsageClearing
    function submissionTerms(
        bytes32 termsHash,
        uint8 direction,
        bytes32 baseTariff
    ) external view override returns (SubmissionTerms memory) {
        return ClearingStorage.layout().submissionTerms[_submissionKey(termsHash, direction, baseTariff)];
    }

    /// @inheritdoc IUsageClearing
    function getBatch(bytes32 batchId) external view override returns (Batch memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.batches[batchId];
    }

    /// @inheritdoc IUsageClearing
    function isRootUsed(bytes32 agreementId, uint8 direction, bytes32 root) external view override returns (bool) {
        return ClearingStorage.layout().batchVolumes[_laneRoot(agreementId, direction, root)][0] != 0;
    }

    /// @inheritdoc IUsageClearing
    function batchVolumes(
        BatchHeader calldata header,
        uint256 count
    ) external view override returns (uint64[] memory volumes) {
        mapping(uint256 word => uint256 packed) storage words = ClearingStorage.layout().batchVolumes[
            _laneRoot(header.agreementId, header.direction, header.root)
        ];
        volumes = new uint64[](count);
        for (uint256 p; p < count; ++p) {
            uint256 field = (words[p >> 2] >> ((p & 3) << 6)) & VOLUME_MASK;
            if (field > 1) volumes[p] = uint64(field - 1);
        }
    }

    /// @inheritdoc IUsageClearing
    function isFinal(bytes32 batchId) external view override returns (bool) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        Batch memory b = $.batches[batchId];
        return
            b.status == BatchStatus.Final ||
            b.status == BatchStatus.Accepted ||
            (b.status == BatchStatus.Pending && block.timestamp >= b.finalAt);
    }

    /// @inheritdoc IUsageClearing
    function isChallenged(bytes32 batchId, uint32 index) external view override returns (bool) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return ($.challenged[batchId][index >> 8] >> (index & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IUsageClearing
    function periodVolumes(
        bytes32 agreementId,
        uint8 direction,
        uint256 period,
        uint256 count
    ) external view override returns (uint64[] memory volumes) {
        bytes32 key = _periodKey(agreementId, direction, period);
        volumes = new uint64[](count);
        for (uint256 p; p < count; ++p) {
            volumes[p] = uint64(_volumeAt(key, p));
        }
    }

    /// @inheritdoc IUsageClearing
    function periodCorrections(
        bytes32 agreementId,
        uint8 direction,
        uint256 period
    ) external view override returns (PeriodCorrections memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.corrections[_periodKey(agreementId, direction, period)];
    }

    /// @inheritdoc IUsageClearing
    function operatorStats(uint32 operatorId) external view override returns (OperatorClearingStats memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.stats[operatorId];
    }

    /// @inheritdoc IUsageClearing
    function hashBatchHeader(BatchHeader calldata header) external pure override returns (bytes32) {
        return ClearingHashes.hashHeader(header);
    }

    /// @inheritdoc IUsageClearing
    function hashBatchTotals(BatchTotals calldata totals) external pure override returns (bytes32) {
        return ClearingHashes.hashTotals(totals);
    }

    /// @inheritdoc IUsageClearing
    function hashVoucher(Voucher calldata voucher) external pure override returns (bytes32) {
        return ClearingHashes.hashVoucher(voucher);
    }
}
