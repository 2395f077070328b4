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
    Voucher
} from "./types/ClearingTypes.sol";
import { OperatorStatus } from "./types/OperatorTypes.sol";
import { Service, ServicePlan, Tariff } from "./types/RatingTypes.sol";
import { TokenConfig } from "./types/VaultTypes.sol";
import { TariffHash } from "./libraries/TariffHash.sol";
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
    uint256 public constant override MAX_CHALLENGES = CHALLENGE_LIMIT;

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
    function getBatch(bytes32 batchId) external view override returns (Batch memory) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.batches[batchId];
    }

    /// @inheritdoc IUsageClearing
    function batchOfRoot(bytes32 root) external view override returns (bytes32) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        return $.batchOfRoot[root];
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
    function enableClearing(bytes32 agreementId, AgreementTerms calldata terms) external override {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        (Agreement memory a, , bytes32 hash) = _agreements.termsAt(agreementId, 0);
        if (TypedData.hashTerms(terms) != hash) revert UsageClearing_TermsMismatch(agreementId, 0);
        if ($.configs[agreementId].token != address(0)) revert UsageClearing_ClearingAlreadyEnabled(agreementId);
        _enable(agreementId, terms.token, a);
    }

    /// @inheritdoc IUsageClearing
    function submitBatch(
        BatchHeader calldata header,
        BatchTotals calldata totals,
        AgreementTerms calldata terms,
        Tariff calldata baseTariff,
        string calldata fileURI,
        bytes calldata signature
    ) external override whenNotPaused returns (bytes32 batchId) {
        batchId = ClearingHashes.hashHeader(header);
        (uint256 period, uint8 decimals) = _checkSubmission(batchId, header, terms, baseTariff, signature);
        Recorded memory r = _recordBatch(batchId, header, totals, terms, baseTariff, period, decimals);
        _emitSubmitted(batchId, header, period, r, fileURI);
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
    function reject(
        BatchHeader calldata,
        BatchTotals calldata,
        uint16,
        AgreementTerms calldata,
        Tariff calldata,
        RecordMultiProof calldata
    ) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function dispute(
        BatchHeader calldata,
        Tariff calldata,
        RecordMultiProof calldata,
        uint8[] calldata
    ) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function proveFraud(FraudKind, BatchHeader calldata, Tariff calldata, RecordProof calldata) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageClearing
    function proveDuplicate(
        BatchHeader calldata,
        RecordProof calldata,
        BatchHeader calldata,
        Tariff calldata,
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
        bytes32 digest = _hashTypedDataV4(
            ClearingHashes.hashResolution(
                Resolution({ batchId: batchId, round: b.round, payAmount: uint128(payAmount) })
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

    /// @dev The checks of a submission: the terms and tariff, who submits, the period, the sequence and the root
    /// (enabling clearing on the agreement's first batch). Returns the agreement period and the token's decimals.
    function _checkSubmission(
        bytes32 batchId,
        BatchHeader calldata header,
        AgreementTerms calldata terms,
        Tariff calldata baseTariff,
        bytes calldata signature
    ) private returns (uint256 period, uint8 decimals) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        Agreement memory a = _loadTerms(header, terms, baseTariff);
        (uint32 vpmn, ) = _parties(a.partyA, a.partyB, header.direction);
        _authorizeSubmitter(vpmn, batchId, signature);
        period = _checkBatchPeriod(header, a, terms.submissionGrace);
        Lane memory laneState = $.lanes[header.agreementId][header.direction];
        if (!laneState.open) {
            _enable(header.agreementId, terms.token, a);
            laneState = $.lanes[header.agreementId][header.direction];
        }
        if (header.sequence != uint256(laneState.sequence) + 1) {
            revert UsageClearing_SequenceMismatch(laneState.sequence + 1, header.sequence);
        }
        bytes32 usedBy = $.batchOfRoot[header.root];
        if (header.root == bytes32(0) || usedBy != bytes32(0)) revert UsageClearing_RootUsed(header.root, usedBy);
        decimals = laneState.decimals;
    }

    /// @dev The effects of a submission: the sequence, the root, the period's running volumes and taxes, the batch.
    function _recordBatch(
        bytes32 batchId,
        BatchHeader calldata header,
        BatchTotals calldata totals,
        AgreementTerms calldata terms,
        Tariff calldata baseTariff,
        uint256 period,
        uint8 decimals
    ) private returns (Recorded memory r) {
        _checkTotals(header, totals);
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        $.lanes[header.agreementId][header.direction].sequence = header.sequence;
        $.batchOfRoot[header.root] = batchId;
        bytes32 key = _periodKey(header.agreementId, header.direction, period);
        r.charge = _rateBatch(totals, baseTariff, key, decimals);
        r.taxes = _trackTaxes(totals, terms.conditions[header.direction], key, true);
        if (r.taxes != header.taxes) revert UsageClearing_TaxesMismatch(header.taxes, r.taxes);
        if (r.charge > type(uint88).max || r.charge + r.taxes > type(uint96).max) {
            revert UsageClearing_AmountTooLarge(r.charge + r.taxes);
        }
        r.finalAt = uint40(block.timestamp + terms.disputeWindow);
        $.batches[batchId] = Batch({
            finalAt: r.finalAt,
            status: BatchStatus.Pending,
            charge: uint88(r.charge),
            held: 0,
            round: 0,
            challenged: 0
        });
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

    /// @dev Rates a batch: per service, the increase of the base plan's period result as its volume is added.
    function _rateBatch(
        BatchTotals calldata totals,
        Tariff calldata baseTariff,
        bytes32 key,
        uint8 decimals
    ) private returns (uint256 charge) {
        uint256 n = totals.services.length;
        if (n == 0 || totals.volumes.length != n || totals.recordCounts.length != n || totals.taxes.length != n)
            revert UsageClearing_MalformedTotals();
        uint256 position;
        uint256 amount;
        for (uint256 i; i < n; ++i) {
            (amount, position) = _rateService(totals, baseTariff, key, decimals, i, position);
            charge += amount;
        }
    }

    /// @dev Rates service `i` of the totals (strictly above service `i - 1`), whose plan is found from `position` on.
    function _rateService(
        BatchTotals calldata totals,
        Tariff calldata baseTariff,
        bytes32 key,
        uint8 decimals,
        uint256 i,
        uint256 from
    ) private returns (uint256 amount, uint256 position) {
        Service service = totals.services[i];
        if (i != 0 && service <= totals.services[i - 1]) revert UsageClearing_ServiceNotRated(i, service);
        uint256 plans = TariffHash.planCount(baseTariff);
        position = from;
        while (position < plans && TariffHash.planAt(baseTariff, position).service < service) ++position;
        if (position == plans) revert UsageClearing_ServiceNotRated(i, service);
        ServicePlan calldata plan = TariffHash.planAt(baseTariff, position);
        if (plan.service != service) revert UsageClearing_ServiceNotRated(i, service);
        amount = _addVolume(key, plan, position, totals.volumes[i], decimals);
    }

    /// @dev Raises the running volume at `position` by `volume`; returns `R(V + volume) − R(V)` (base plans, Threshold
    /// and Access, never decrease as the volume grows).
    function _addVolume(
        bytes32 key,
        ServicePlan calldata planData,
        uint256 position,
        uint256 volume,
        uint8 decimals
    ) private returns (uint256) {
        ClearingStorage.Layout storage $ = ClearingStorage.layout();
        uint256 word = $.volumes[key][position >> 2];
        uint256 shift = (position & 3) << 6;
        uint256 current = (word >> shift) & VOLUME_MASK;
        uint256 next = current + volume;
        if (next > VOLUME_MASK) revert UsageClearing_VolumeOverflow(planData.service, next);
        $.volumes[key][position >> 2] = (word & ~(VOLUME_MASK << shift)) | (next << shift);
        // R(0) = 0: no tier is reached by a zero volume (the first batch of a period rates once per service).
        uint256 before = current == 0 ? 0 : Rating.rateBase(planData, current, decimals);
        return Rating.rateBase(planData, next, decimals) - before;
    }

    /// @dev Checks who submits: the caller (admin or active key of the VPMN), or the signer of the header (an active
    /// key) when a relayer brings a signature; the VPMN must be active.
    function _authorizeSubmitter(uint32 vpmn, bytes32 batchId, bytes calldata signature) private view {
        bool relayed = signature.length != 0;
        address account = relayed ? ECDSA.recover(_hashTypedDataV4(batchId), signature) : msg.sender;
        (bool isAdmin, bool isActiveSigner, OperatorStatus status) = _registry.accessOf(account, vpmn);
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
        signer = ECDSA.recover(digest, signature);
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
