// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";

import { ClearingBase } from "./abstracts/ClearingBase.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import { IUsageClearing } from "./interfaces/IUsageClearing.sol";
import { ClearingHashes } from "./libraries/ClearingHashes.sol";
import { ClearingStorage } from "./libraries/ClearingStorage.sol";
import { RateCard } from "./libraries/RateCard.sol";
import { Rating } from "./libraries/Rating.sol";
import { TypedData } from "./libraries/TypedData.sol";
import { Agreement, AgreementTerms } from "./types/AgreementTypes.sol";
import {
    Batch,
    BatchHeader,
    BatchStatus,
    BatchTotals,
    ClearingConfig,
    FraudKind,
    Lane,
    OperatorClearingStats,
    PeriodCorrections,
    RecordMultiProof,
    RecordProof,
    Resolution,
    SubmissionTerms,
    Voucher
} from "./types/ClearingTypes.sol";
import { OperatorStatus } from "./types/OperatorTypes.sol";
import { Condition, ConditionKind, Tariff } from "./types/RatingTypes.sol";
import { TokenConfig } from "./types/VaultTypes.sol";
import { UsageChallenges } from "./UsageChallenges.sol";

/// @title UsageClearing
/// @notice See the documentation in {IUsageClearing}.
contract UsageClearing is IUsageClearing, ClearingBase, AccessManaged, EIP712, Pausable {
    using SafeCast for uint256;
    using SafeCast for int256;

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANTS & STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageClearing
    uint256 public constant override MAX_DISPUTES = DISPUTE_LIMIT;

    /// @inheritdoc IUsageClearing
    ISettlementVault public immutable override vault;

    /// @notice The module that runs {reject}, {dispute}, {proveFraud} and {proveDuplicate} on this contract's state
    /// (by `delegatecall`), deployed by the constructor.
    address public immutable challenges;

    /// @dev What a submission recorded: the batch's charge, its taxes and the end of its window.
    struct Recorded {
        uint256 charge;
        uint256 taxes;
        uint40 finalAt;
    }

    /// @dev What a submission's checks found: the agreement period, the token's decimals, and the storage slot of the
    /// batch's own volume words ({ClearingStorage.Layout.batchVolumes} under its lane root), computed once.
    struct Submission {
        uint256 period;
        uint8 decimals;
        uint256 ownSlot;
    }

    /// @dev Who pays whom, in which token, on one (agreement, direction).
    struct Parties {
        uint32 vpmn;
        uint32 hpmn;
        address token;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    /// @param registry_ The operator registry.
    /// @param agreements_ The roaming agreements contract.
    /// @param vault_ The settlement vault (which must list this contract as a suite contract).
    /// @param escalationTimeout_ How long after a batch's window the arbiter may decide its held part.
    constructor(
        address authority,
        IOperatorRegistry registry_,
        IRoamingAgreements agreements_,
        ISettlementVault vault_,
        uint32 escalationTimeout_
    ) ClearingBase(registry_, agreements_) AccessManaged(authority) EIP712("RoamLedger UsageClearing", "1") {
        if (address(vault_) == address(0)) revert UsageClearing_ZeroAddress("vault");
        if (escalationTimeout_ == 0) revert UsageClearing_ZeroEscalationTimeout();
        vault = vault_;
        challenges = address(new UsageChallenges(registry_, agreements_));
        ClearingStorage.layout().escalationTimeout = escalationTimeout_;
        emit EscalationTimeoutSet(escalationTimeout_);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

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

    /// @inheritdoc IUsageClearing
    function hashTypedData(bytes32 structHash) external view override returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageClearing
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc IUsageClearing
    function unpause() external override restricted {
        _unpause();
    }

    /// @inheritdoc IUsageClearing
    function setEscalationTimeout(uint32 timeout) external override restricted {
        if (timeout == 0) revert UsageClearing_ZeroEscalationTimeout();
        ClearingStorage.layout().escalationTimeout = timeout;
        emit EscalationTimeoutSet(timeout);
    }

    /// @inheritdoc IUsageClearing
    function resolveEscalated(BatchHeader calldata header, uint256 payAmount) external override restricted {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _heldBatch(batchId, payAmount);
        uint256 dueAt = uint256(b.finalAt) + ClearingStorage.layout().escalationTimeout;
        if (block.timestamp < dueAt) revert UsageClearing_EscalationNotDue(batchId, dueAt);
        Parties memory parties = _partiesOf(header.agreementId, header.direction);
        _resolve(batchId, b, parties, payAmount, true);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUsageClearing
    function enableClearing(
        bytes32 agreementId,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs
    ) external override {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        (Agreement memory a, , bytes32 hash) = _agreements.termsAt(agreementId, 0);
        if (TypedData.hashTerms(terms) != hash) revert UsageClearing_TermsMismatch(agreementId, 0);
        if ($.configs[agreementId].token != address(0)) revert UsageClearing_ClearingAlreadyEnabled(agreementId);
        _enable(agreementId, terms.token, a);
        _cacheTerms(agreementId, 0, hash, terms, baseTariffs);
    }

    /// @inheritdoc IUsageClearing
    function cacheTerms(
        bytes32 agreementId,
        uint32 version,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs
    ) external override {
        bytes32 hash = _agreements.termsHash(agreementId, version);
        if (TypedData.hashTerms(terms) != hash) revert UsageClearing_TermsMismatch(agreementId, version);
        if (ClearingStorage.layout().configs[agreementId].token == address(0)) {
            revert UsageClearing_ClearingNotEnabled(agreementId);
        }
        _cacheTerms(agreementId, version, hash, terms, baseTariffs);
    }

    /// @inheritdoc IUsageClearing
    function submitBatch(
        BatchHeader calldata header,
        uint256[] calldata totals,
        string calldata fileURI,
        bytes calldata signature
    ) external override whenNotPaused returns (bytes32 batchId) {
        batchId = ClearingHashes.hashHeader(header);
        (Submission memory sub, SubmissionTerms memory st) = _checkSubmission(batchId, header, signature);
        Recorded memory r = _recordBatch(batchId, header, totals, st, sub);
        _emitSubmitted(batchId, header, sub.period, r, fileURI);
    }

    /// @inheritdoc IUsageClearing
    function accept(BatchHeader calldata header) external override {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _openBatch(batchId);
        Parties memory parties = _partiesOf(header.agreementId, header.direction);
        _requireAccount(parties.hpmn);
        b.status = BatchStatus.Accepted;
        ClearingStorage.layout().batches[batchId] = b;
        emit BatchAccepted(batchId);
    }

    /// @inheritdoc IUsageClearing
    function finalize(BatchHeader calldata header) external override {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _getBatch(batchId);
        bool accepted = b.status == BatchStatus.Accepted;
        if (!accepted && (b.status != BatchStatus.Pending || block.timestamp < b.finalAt)) {
            revert UsageClearing_NotFinalizable(batchId, b.status, b.finalAt);
        }
        // The header is the batch's (its hash found the batch): its direction was checked on submission.
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        ClearingConfig memory c = $.configs[header.agreementId];
        (uint32 vpmn, uint32 hpmn) = _parties(c.partyA, c.partyB, header.direction);
        uint256 amount = b.charge + uint256(header.taxes);
        $.batches[batchId].status = BatchStatus.Final;
        emit BatchFinalized(batchId, amount, accepted);
        if (amount != 0) vault.recordObligation(hpmn, vpmn, IERC20(c.token), amount, batchId);
    }

    /// @inheritdoc IUsageClearing
    function reject(BatchHeader calldata, BatchTotals calldata, uint16) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function dispute(BatchHeader calldata, RecordMultiProof calldata, uint8[] calldata) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function proveFraud(FraudKind, BatchHeader calldata, RecordProof calldata) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function proveDuplicate(
        BatchHeader calldata,
        RecordProof calldata,
        BatchHeader calldata,
        RecordProof calldata
    ) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function resolve(
        BatchHeader calldata header,
        uint256 payAmount,
        bytes calldata hpmnSignature,
        bytes calldata vpmnSignature
    ) external override {
        bytes32 batchId = ClearingHashes.hashHeader(header);
        Batch memory b = _heldBatch(batchId, payAmount);
        Parties memory parties = _partiesOf(header.agreementId, header.direction);
        // The signatures name the batch's state now: a dispute after signing changes `disputed` and `held`.
        bytes32 digest = _hashTypedDataV4(
            ClearingHashes.hashResolution(
                Resolution({
                    batchId: batchId,
                    round: b.round,
                    disputed: b.disputed,
                    held: b.held,
                    payAmount: uint128(payAmount)
                })
            )
        );
        _requireSignedBy(parties.hpmn, digest, hpmnSignature);
        _requireSignedBy(parties.vpmn, digest, vpmnSignature);
        _resolve(batchId, b, parties, payAmount, false);
    }

    /// @inheritdoc IUsageClearing
    function redeemVoucher(Voucher calldata voucher, bytes calldata signature) external override whenNotPaused {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        // Checks.
        Parties memory parties = _partiesOf(voucher.agreementId, voucher.direction);
        if (block.timestamp > voucher.expiry) revert UsageClearing_VoucherExpired(voucher.expiry);
        bytes32 structHash = ClearingHashes.hashVoucher(voucher);
        address signer = _requireSignedBy(parties.hpmn, _hashTypedDataV4(structHash), signature);
        Lane storage laneRef = $.lanes[voucher.agreementId][voucher.direction];
        uint128 redeemed = laneRef.voucherRedeemed;
        if (voucher.cumulativeAmount <= redeemed) {
            revert UsageClearing_StaleVoucher(voucher.cumulativeAmount, redeemed);
        }
        uint256 increase = voucher.cumulativeAmount - redeemed;
        if (increase > type(uint96).max) revert UsageClearing_AmountTooLarge(increase);

        // Effects.
        laneRef.voucherRedeemed = voucher.cumulativeAmount;
        emit VoucherRedeemed(voucher.agreementId, voucher.direction, signer, voucher.cumulativeAmount, increase);

        // Interactions.
        vault.recordObligation(parties.hpmn, parties.vpmn, IERC20(parties.token), increase, structHash);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev The checks of a submission: the terms in force (cached), who submits, the period, the lane, the sequence
    /// and the root. Returns the agreement period, the token's decimals and what the terms give the submission.
    function _checkSubmission(
        bytes32 batchId,
        BatchHeader calldata header,
        bytes calldata signature
    ) private view returns (Submission memory sub, SubmissionTerms memory st) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        Agreement memory a;
        (a, st) = _loadSubmissionTerms(header);
        (uint32 vpmn, ) = _parties(a.partyA, a.partyB, header.direction);
        _authorizeSubmitter(vpmn, batchId, signature);
        sub.period = _checkBatchPeriod(header, a, st.submissionGrace);
        Lane memory laneState = $.lanes[header.agreementId][header.direction];
        // Cached terms are found by their hash: another agreement with the same terms may have cached them.
        if (!laneState.open) revert UsageClearing_ClearingNotEnabled(header.agreementId);
        if (header.sequence != uint256(laneState.sequence) + 1) {
            revert UsageClearing_SequenceMismatch(laneState.sequence + 1, header.sequence);
        }
        // A root is unique per lane only: another lane cannot block this one by using its root first. Word 0 of the
        // batch's own volumes, always written by a submission, marks it.
        mapping(uint256 word => uint256 packed) storage own = $.batchVolumes[
            _laneRoot(header.agreementId, header.direction, header.root)
        ];
        if (header.root == bytes32(0) || own[0] != 0) {
            revert UsageClearing_RootUsed(header.agreementId, header.direction, header.root);
        }
        uint256 ownSlot;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ownSlot := own.slot
        }
        sub.ownSlot = ownSlot;
        sub.decimals = laneState.decimals;
    }

    /// @dev The effects of a submission: the sequence, the root, the period's running volumes and taxes, the batch.
    function _recordBatch(
        bytes32 batchId,
        BatchHeader calldata header,
        uint256[] calldata totals,
        SubmissionTerms memory st,
        Submission memory sub
    ) private returns (Recorded memory r) {
        bytes32 given = ClearingHashes.hashPackedTotals(totals);
        if (given != header.totals) revert UsageClearing_TotalsMismatch(header.totals, given);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        $.lanes[header.agreementId][header.direction].sequence = header.sequence;
        bytes32 key = _periodKey(header.agreementId, header.direction, sub.period);
        r.charge = _rateBatch(totals, st, key, sub.ownSlot, sub.decimals);
        r.taxes = _addTaxes(totals, st.taxedServices, key);
        if (r.taxes != header.taxes) revert UsageClearing_TaxesMismatch(header.taxes, r.taxes);
        if (r.charge > type(uint88).max || r.charge + r.taxes > type(uint96).max) {
            revert UsageClearing_AmountTooLarge(r.charge + r.taxes);
        }
        r.finalAt = uint40(block.timestamp + st.disputeWindow);
        // Batch({finalAt, status: Pending, charge, held: 0, round: 0, disputed: 0}), its one slot written at once.
        uint256 packed = uint256(r.finalAt) | (uint256(uint8(BatchStatus.Pending)) << 40) | (r.charge << 48);
        Batch storage stored = $.batches[batchId];
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(stored.slot, packed)
        }
    }

    function _emitSubmitted(
        bytes32 batchId,
        BatchHeader calldata header,
        uint256 period,
        Recorded memory r,
        string calldata fileURI
    ) private {
        emit BatchSubmitted(
            batchId,
            header.agreementId,
            header.direction,
            header.sequence,
            period,
            header.root,
            r.charge,
            r.taxes,
            r.finalAt,
            fileURI
        );
    }

    /// @dev Records the agreement's token, parties and decimals, and enrolls the parties.
    function _enable(bytes32 agreementId, address token, Agreement memory a) private {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        TokenConfig memory config = vault.tokenConfig(IERC20(token));
        if (!config.allowed) revert UsageClearing_TokenNotAllowed(token);
        $.configs[agreementId] = ClearingConfig({ token: token, partyA: a.partyA, partyB: a.partyB });
        Lane memory fresh = Lane({
            sequence: 0,
            voucherRedeemed: 0,
            decimals: config.decimals,
            open: true,
            validFrom: a.validFrom,
            periodLength: a.periodLength
        });
        $.lanes[agreementId][0] = fresh;
        $.lanes[agreementId][1] = fresh;
        _enroll(a.partyA);
        _enroll(a.partyB);
        emit ClearingEnabled(agreementId, token, a.partyA, a.partyB);
    }

    function _enroll(uint32 operatorId) private {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        if (!$.stats[operatorId].enrolled) $.stats[operatorId].enrolled = true;
    }

    /// @dev Caches what submissions need of `terms` (version `version`, hash `hash`) per direction, after checking the
    /// base tariffs given against the terms' ids; creates the rate card of a tariff met for the first time.
    function _cacheTerms(
        bytes32 agreementId,
        uint32 version,
        bytes32 hash,
        AgreementTerms calldata terms,
        Tariff[2] calldata baseTariffs
    ) private {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        for (uint8 direction; direction < 2; ++direction) {
            bytes32 tariffId = terms.baseTariff[direction];
            Tariff calldata tariff = baseTariffs[direction];
            _checkTariff(tariffId, tariff);
            address card = $.rateCards[tariffId];
            uint256 size;
            if (card == address(0)) {
                (card, size) = RateCard.create(tariff);
                $.rateCards[tariffId] = card;
            } else {
                size = card.code.length - 1;
            }
            Condition calldata condition = terms.conditions[direction];
            bool tracked = condition.kind == ConditionKind.ContractRevenue && condition.includingTaxes;
            $.submissionTerms[_submissionKey(hash, direction, tariffId)] = SubmissionTerms({
                rateCard: card,
                disputeWindow: terms.disputeWindow,
                submissionGrace: terms.submissionGrace,
                taxedServices: tracked ? condition.includedServices : 0,
                rateCardSize: uint16(size)
            });
        }
        emit TermsCached(agreementId, version, hash);
    }

    /// @dev Pays `payAmount` of the held part and waives the rest; the next dispute opens a new round.
    function _resolve(
        bytes32 batchId,
        Batch memory b,
        Parties memory parties,
        uint256 payAmount,
        bool byArbiter
    ) private {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        uint256 held = b.held;
        uint16 round = b.round;
        b.held = 0;
        b.round = round + 1;
        $.batches[batchId] = b;
        emit DisputeResolved(batchId, round, payAmount, held - payAmount, byArbiter);
        if (payAmount != 0) {
            bytes32 ref = keccak256(abi.encode(batchId, round));
            vault.recordObligation(parties.hpmn, parties.vpmn, IERC20(parties.token), payAmount, ref);
        }
    }

    /// @dev Rates a batch and adds its volumes to the period's running volumes, in one pass over its services: each
    /// strictly above the one before, its plan found in the base tariff's rate card ({RateCard}) from the previous
    /// service's plan on, charged the increase of the plan's period result `R(V + v) − R(V)` (base plans, Threshold
    /// and Access, never decrease as the volume grows; `R(0) = 0`). Each volume word is read and written once, and
    /// both results come from one walk over the tiers: the same sums and the one rounding as {Rating.rateBase}.
    /// The batch's own volumes are written alongside, by plan position, plus one each, under its lane root
    /// ({ClearingStorage.Layout.batchVolumes}): the same word indices as the period's, and word 0 always (it marks the
    /// root as used on the lane), so that removals and a rejection take back exactly what the batch added.
    /// Written as one assembly loop (a submission's hottest code: a Solidity loop costs ~1,400 gas more per service),
    /// hence longer than the usual function.
    // solhint-disable-next-line function-max-lines
    function _rateBatch(
        uint256[] calldata totals,
        SubmissionTerms memory st,
        bytes32 key,
        uint256 ownSlot,
        uint8 decimals
    ) private returns (uint256 charge) {
        uint256 n = totals.length;
        if (n == 0) revert UsageClearing_MalformedTotals();
        uint256 cardAt;
        {
            mapping(uint256 word => uint256 packed) storage words = ClearingStorage.layout().volumes[key];
            uint256 scale = 10 ** uint256(decimals); // at most 10^18: the vault allows no token with more decimals
            bytes4 notRated = UsageClearing_ServiceNotRated.selector;
            bytes4 volumeOverflow = UsageClearing_VolumeOverflow.selector;
            bytes4 amountOverflow = Rating.Rating_AmountOverflow.selector;
            address card = st.rateCard;
            uint256 size = st.rateCardSize;
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                // Allocated: the rate card, then six words just below the new free memory pointer: the slot of the
                // batch's own volume words, three error selectors, the decimals' scale and the slot of the period's
                // volume words.
                cardAt := mload(0x40)
                extcodecopy(card, cardAt, 1, size)
                let top := add(add(cardAt, size), 0xc0)
                mstore(0x40, top)
                mstore(sub(top, 0xc0), ownSlot)
                mstore(sub(top, 0xa0), notRated)
                mstore(sub(top, 0x80), volumeOverflow)
                mstore(sub(top, 0x60), amountOverflow)
                mstore(sub(top, 0x40), scale)
                mstore(sub(top, 0x20), words.slot)
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

    /// @dev The batch's total taxes; adds those of `taxedServices` (the services a ContractRevenue condition with taxes
    /// includes: the only taxes a period settlement needs) to the period's corrections. {ClearingBase._trackTaxes} on
    /// submission, with the condition cached.
    function _addTaxes(uint256[] calldata totals, uint256 taxedServices, bytes32 key) private returns (uint256 total) {
        uint256 included;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            for {
                let i := 0
            } lt(i, totals.length) {
                i := add(i, 1)
            } {
                // Words checked clean when hashed: the tax is the top 128 bits used; the service was range-checked by
                // the rating.
                let entry := calldataload(add(totals.offset, shl(5, i)))
                let tax := shr(104, entry)
                total := add(total, tax)
                if and(shr(and(entry, 0xff), taxedServices), 1) {
                    included := add(included, tax)
                }
            }
        }
        if (included != 0) {
            PeriodCorrections storage corrections = ClearingStorage.layout().corrections[key];
            corrections.includedTaxes = (corrections.includedTaxes + included).toUint128();
        }
    }

    /// @dev The agreement's record and what a submission needs of its terms in force at the batch's start: the terms
    /// cached with the header's base tariff as the direction's. The agreements contract is asked by a plain static
    /// call whose result (the suite's own contract's clean encoding) is read as it is.
    function _loadSubmissionTerms(
        BatchHeader calldata header
    ) private view returns (Agreement memory a, SubmissionTerms memory st) {
        uint8 direction = header.direction;
        _checkDirection(direction);
        address target = address(_agreements);
        bytes4 selector = IRoamingAgreements.termsAt.selector;
        bytes32 agreementId = header.agreementId;
        uint256 start = header.periodStart;
        uint256 version;
        bytes32 hash;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 4), agreementId)
            mstore(add(m, 0x24), start)
            if iszero(staticcall(gas(), target, m, 0x44, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            // (Agreement: eight static words, uint32 version, bytes32 hash)
            if lt(returndatasize(), 0x140) {
                revert(0, 0)
            }
            returndatacopy(a, 0, 0x100)
            returndatacopy(0, 0x100, 0x40)
            version := mload(0)
            hash := mload(0x20)
        }
        st = ClearingStorage.layout().submissionTerms[_submissionKey(hash, direction, header.baseTariff)];
        if (st.rateCard == address(0)) {
            revert UsageClearing_TermsNotCached(agreementId, uint32(version), header.baseTariff);
        }
    }

    /// @dev Checks who submits: the caller (admin or active key of the VPMN), or the signer of the header (an active
    /// key) when a relayer brings a signature; the VPMN must be active. The registry is asked by a plain static call.
    function _authorizeSubmitter(uint32 vpmn, bytes32 batchId, bytes calldata signature) private view {
        bool relayed = signature.length != 0;
        address account = relayed ? ECDSA.recoverCalldata(_hashTypedDataV4(batchId), signature) : msg.sender;
        address target = address(_registry);
        bytes4 selector = IOperatorRegistry.accessOf.selector;
        bool isAdmin;
        bool isActiveSigner;
        OperatorStatus status;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 4), account)
            mstore(add(m, 0x24), vpmn)
            if iszero(staticcall(gas(), target, m, 0x44, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            // (bool isAdmin, bool isActiveSigner, OperatorStatus status)
            if lt(returndatasize(), 0x60) {
                revert(0, 0)
            }
            returndatacopy(m, 0, 0x60)
            isAdmin := mload(m)
            isActiveSigner := mload(add(m, 0x20))
            status := mload(add(m, 0x40))
        }
        if (relayed) {
            if (!isActiveSigner) revert UsageClearing_SignerNotAuthorized(vpmn, account);
        } else if (!isAdmin && !isActiveSigner) {
            revert UsageClearing_NotOperatorAccount(vpmn, account);
        }
        if (status != OperatorStatus.Active) revert UsageClearing_OperatorNotActive(vpmn, status);
    }

    /// @dev The batch's agreement period; reverts unless `[periodStart, periodEnd)` is over and inside it, and the
    /// period's submission deadline has not passed.
    function _checkBatchPeriod(
        BatchHeader calldata header,
        Agreement memory a,
        uint32 grace
    ) private view returns (uint256 period) {
        if (
            header.periodStart >= header.periodEnd ||
            header.periodStart < a.validFrom ||
            header.periodEnd > block.timestamp
        ) revert UsageClearing_InvalidBatchPeriod(header.periodStart, header.periodEnd);
        period = (header.periodStart - a.validFrom) / a.periodLength;
        uint256 end = uint256(a.validFrom) + (period + 1) * a.periodLength;
        if (end > a.validUntil) end = a.validUntil;
        if (header.periodEnd > end) revert UsageClearing_InvalidBatchPeriod(header.periodStart, header.periodEnd);
        uint256 deadline = end + grace;
        if (block.timestamp > deadline) revert UsageClearing_SubmissionClosed(header.agreementId, period, deadline);
    }

    /// @dev Reverts unless `signature` of `digest` is by an active signer key of `operatorId`; returns that key.
    function _requireSignedBy(
        uint32 operatorId,
        bytes32 digest,
        bytes calldata signature
    ) private view returns (address signer) {
        signer = ECDSA.recoverCalldata(digest, signature);
        (, bool isActiveSigner, ) = _registry.accessOf(signer, operatorId);
        if (!isActiveSigner) revert UsageClearing_SignerNotAuthorized(operatorId, signer);
    }

    /// @dev A batch with a held part of at least `payAmount`.
    function _heldBatch(bytes32 batchId, uint256 payAmount) private view returns (Batch memory b) {
        b = _getBatch(batchId);
        if (b.held == 0) revert UsageClearing_NothingHeld(batchId);
        if (payAmount > b.held) revert UsageClearing_PayAmountTooLarge(payAmount, b.held);
    }

    /// @dev The VPMN, the HPMN and the token of an agreement in clearing, for a direction.
    function _partiesOf(bytes32 agreementId, uint8 direction) private view returns (Parties memory parties) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        _checkDirection(direction);
        ClearingConfig memory c = $.configs[agreementId];
        if (c.token == address(0)) revert UsageClearing_ClearingNotEnabled(agreementId);
        (parties.vpmn, parties.hpmn) = _parties(c.partyA, c.partyB, direction);
        parties.token = c.token;
    }

    /// @dev Runs the current call in {challenges} on this contract's state and returns or reverts what it does.
    function _delegateToChallenges() private {
        address module = challenges;
        // solhint-disable-next-line no-inline-assembly
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }
}
