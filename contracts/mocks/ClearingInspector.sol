// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IUsageClearing } from "../interfaces/IUsageClearing.sol";
import { Batch, BatchHeader, Lane, OperatorClearingStats, PeriodCorrections } from "../types/ClearingTypes.sol";

/// @title ClearingInspector
/// @notice Test only: reads everything the clearing invariant tests check (batches with their kept volumes and
/// challenge marks, periods, lanes, operator statistics), for many of each, in one call.
contract ClearingInspector {
    /// @param header The batch's header.
    /// @param plans How many base-plan positions of its kept volumes to read.
    /// @param leaves How many record indices (from 0, at most 256) of its challenge marks to read.
    struct BatchQuery {
        BatchHeader header;
        uint256 plans;
        uint256 leaves;
    }

    struct BatchView {
        Batch batch;
        uint64[] volumes;
        /// Bit `i` set when the record at index `i` was disputed or proven.
        uint256 challenged;
    }

    struct PeriodQuery {
        bytes32 agreementId;
        uint8 direction;
        uint256 period;
        uint256 plans;
    }

    struct PeriodView {
        uint64[] volumes;
        PeriodCorrections corrections;
    }

    struct LaneQuery {
        bytes32 agreementId;
        uint8 direction;
    }

    function inspect(
        IUsageClearing clearing,
        BatchQuery[] calldata batchQueries,
        PeriodQuery[] calldata periodQueries,
        LaneQuery[] calldata laneQueries,
        uint32[] calldata operators
    )
        external
        view
        returns (
            BatchView[] memory batches,
            PeriodView[] memory periods,
            Lane[] memory lanes,
            OperatorClearingStats[] memory stats
        )
    {
        batches = new BatchView[](batchQueries.length);
        for (uint256 i; i < batchQueries.length; ++i) {
            batches[i] = _batch(clearing, batchQueries[i]);
        }
        periods = new PeriodView[](periodQueries.length);
        for (uint256 i; i < periodQueries.length; ++i) {
            PeriodQuery calldata q = periodQueries[i];
            periods[i].volumes = clearing.periodVolumes(q.agreementId, q.direction, q.period, q.plans);
            periods[i].corrections = clearing.periodCorrections(q.agreementId, q.direction, q.period);
        }
        lanes = new Lane[](laneQueries.length);
        for (uint256 i; i < laneQueries.length; ++i) {
            lanes[i] = clearing.lane(laneQueries[i].agreementId, laneQueries[i].direction);
        }
        stats = new OperatorClearingStats[](operators.length);
        for (uint256 i; i < operators.length; ++i) {
            stats[i] = clearing.operatorStats(operators[i]);
        }
    }

    function _batch(IUsageClearing clearing, BatchQuery calldata q) private view returns (BatchView memory v) {
        bytes32 batchId = clearing.hashBatchHeader(q.header);
        v.batch = clearing.getBatch(batchId);
        v.volumes = clearing.batchVolumes(q.header, q.plans);
        for (uint256 k; k < q.leaves && k < 256; ++k) {
            if (clearing.isChallenged(batchId, uint32(k))) v.challenged |= 1 << k;
        }
    }
}
