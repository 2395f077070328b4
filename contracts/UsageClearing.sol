// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";

import { ClearingBase } from "./abstracts/ClearingBase.sol";
import { ClearingViews } from "./abstracts/ClearingViews.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { IRoamingAgreements } from "./interfaces/IRoamingAgreements.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import { IUsageChallenges } from "./interfaces/IUsageChallenges.sol";
import { IUsageClearing } from "./interfaces/IUsageClearing.sol";
import { BatchRating } from "./libraries/BatchRating.sol";
import { ClearingHashes } from "./libraries/ClearingHashes.sol";
import { ClearingStorage } from "./libraries/ClearingStorage.sol";
import { RateCard } from "./libraries/RateCard.sol";
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
/// @notice See the documentation in {IUsageClearing}. Its parts: submissions, acceptance, finalization, resolutions,
/// vouchers and governance here; the views in {ClearingViews}; a batch's rating kernel in {BatchRating} (inlined); the
/// challenge calls in the module {UsageChallenges}, reached by `delegatecall` across {IUsageChallenges}.
contract UsageClearing is ClearingViews, AccessManaged, EIP712, Pausable {
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

    /// @inheritdoc IUsageChallenges
    function reject(BatchHeader calldata, BatchTotals calldata, uint16) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageChallenges
    function dispute(BatchHeader calldata, RecordMultiProof calldata, uint8[] calldata) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageChallenges
    function proveFraud(FraudKind, BatchHeader calldata, RecordProof calldata) external override {
        _delegateToChallenges();
    }

    /// @inheritdoc IUsageChallenges
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
        r.charge = BatchRating.rate(
            totals,
            st.rateCard,
            st.rateCardSize,
            sub.decimals,
            $.volumes[key],
            _wordsAt(sub.ownSlot)
        );
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

    /// @dev The volume words whose mapping is at `slot` ({Submission.ownSlot}, found once by {_checkSubmission}).
    function _wordsAt(uint256 slot) private pure returns (mapping(uint256 word => uint256 packed) storage words) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            words.slot := slot
        }
    }

    /// @dev Runs the current call in {challenges} on this contract's state and returns or reverts what it does. Only
    /// the four {IUsageChallenges} functions call it, and {UsageChallenges} implements that interface too, so the
    /// calldata forwarded unchanged (selector and arguments) is one the module decodes as this contract did.
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
