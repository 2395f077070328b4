// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { ERC1155 } from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import { ERC1155Supply } from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";
import { ReentrancyGuard } from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import { Math } from "@openzeppelin/contracts/utils/math/Math.sol";

import { ICapacityToken } from "./interfaces/ICapacityToken.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import {
    BandPlan,
    CapacityKind,
    ClassInfo,
    ClassTerms,
    SlaBreach,
    SliceTerms,
    SpectrumTerms
} from "./types/CapacityTypes.sol";
import { OperatorStatus } from "./types/OperatorTypes.sol";

/// @title CapacityToken
/// @notice See the documentation in {ICapacityToken}.
/// @dev Guards: minting, redeeming and SLA credits are `nonReentrant` (minting calls the receiver's hook, credits
/// call the vault). Standard ERC-1155 transfers are not guarded, so a receiver may pass units on from its hook, as
/// the standard allows; every transfer still goes through {_update}'s checks.
contract CapacityToken is ICapacityToken, ERC1155Supply, AccessManaged, Pausable, ReentrancyGuard {
    /*//////////////////////////////////////////////////////////////////////////
                                      CONSTANTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityToken
    uint256 public constant override MAX_BLOCK_WORDS = 64;

    /// @inheritdoc ICapacityToken
    uint256 public constant override MAX_BREACH_HOLDERS = 32;

    /// @inheritdoc ICapacityToken
    uint256 public constant override MAX_BAND_PLANS = 64;

    /// @inheritdoc ICapacityToken
    uint256 public constant override MAX_SLA_CREDIT = type(uint96).max;

    /*//////////////////////////////////////////////////////////////////////////
                                       STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    IOperatorRegistry private immutable _registry;
    ISettlementVault private immutable _vault;

    mapping(uint256 classId => ClassInfo info) private _classes;
    mapping(uint256 classId => string classURI) private _classURIs;
    mapping(uint32 bandPlanId => BandPlan plan) private _bandPlans;
    uint32 private _bandPlanCount;
    // Bit `(channel % 4) * 64 + slot % 64` of the word keyed by (band plan, area, channel / 4, slot / 64): the
    // channel-slot is reserved. A word is 4 channels x 64 slots, so a block of 4 x 96 touches 2 to 6 words.
    mapping(bytes32 key => uint256 bits) private _grid;
    mapping(bytes32 breachId => SlaBreach breach) private _breaches;
    mapping(bytes32 breachId => mapping(uint32 holderId => bool credited)) private _credited;

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    /// @param registry_ The operator registry.
    /// @param vault_ The settlement vault (this contract must be on its suite list to record SLA credits).
    /// @param baseURI The base metadata URI, with ERC-1155 `{id}` substitution.
    constructor(
        address authority,
        IOperatorRegistry registry_,
        ISettlementVault vault_,
        string memory baseURI
    ) ERC1155(baseURI) AccessManaged(authority) {
        _registry = registry_;
        _vault = vault_;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityToken
    function registry() external view override returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ICapacityToken
    function vault() external view override returns (address) {
        return address(_vault);
    }

    /// @inheritdoc ICapacityToken
    function classIdOf(ClassTerms calldata terms) public pure override returns (uint256) {
        return uint256(keccak256(abi.encode(terms)));
    }

    /// @inheritdoc ICapacityToken
    function classInfo(uint256 classId) external view override returns (ClassInfo memory) {
        return _classes[classId];
    }

    /// @inheritdoc ICapacityToken
    function bandPlanCount() external view override returns (uint32) {
        return _bandPlanCount;
    }

    /// @inheritdoc ICapacityToken
    function bandPlan(uint32 bandPlanId) public view override returns (BandPlan memory plan) {
        plan = _bandPlans[bandPlanId];
        if (plan.channelWidthKHz == 0) revert CapacityToken_UnknownBandPlan(bandPlanId);
    }

    /// @inheritdoc ICapacityToken
    function isReserved(
        uint32 bandPlanId,
        uint32 areaId,
        uint16 channel,
        uint32 slot
    ) external view override returns (bool) {
        uint256 bit = (uint256(channel & 3) << 6) | (slot & 63);
        return (_grid[_gridKey(bandPlanId, areaId, channel >> 2, slot >> 6)] >> bit) & 1 == 1;
    }

    /// @inheritdoc ICapacityToken
    function isCredited(bytes32 breachId, uint32 holderId) external view override returns (bool) {
        return _credited[breachId][holderId];
    }

    /// @inheritdoc ICapacityToken
    function slaBreachIdOf(uint256 classId, uint40 from, uint40 to) public pure override returns (bytes32) {
        return keccak256(abi.encode(classId, from, to));
    }

    /// @inheritdoc ICapacityToken
    function slaBreach(bytes32 breachId) external view override returns (SlaBreach memory) {
        return _breaches[breachId];
    }

    /// @notice The metadata URI of a class: its own if the issuer set one, else the base URI (with `{id}`).
    function uri(uint256 classId) public view override returns (string memory) {
        string memory own = _classURIs[classId];
        return bytes(own).length != 0 ? own : super.uri(classId);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityToken
    function createBandPlan(BandPlan calldata plan) external override restricted returns (uint32 bandPlanId) {
        // Checks.
        if (plan.channelWidthKHz == 0 || plan.channelCount == 0 || plan.slotSeconds == 0 || plan.slotCount == 0) {
            revert CapacityToken_InvalidBandPlan();
        }
        uint32 count = _bandPlanCount;
        if (count >= MAX_BAND_PLANS) revert CapacityToken_TooManyBandPlans(MAX_BAND_PLANS);
        (uint256 lowKHz, uint256 highKHz, uint256 start, uint256 end) = _extentOf(plan);
        // Read through a storage pointer: cheaper than copying each plan to memory. The rectangles overlap when both
        // their frequency ranges and their time ranges do (all half-open).
        for (uint32 id = 1; id <= count; ++id) {
            BandPlan storage other = _bandPlans[id];
            uint256 otherLow = other.originKHz;
            uint256 otherHigh = otherLow + uint256(other.channelWidthKHz) * other.channelCount;
            if (lowKHz >= otherHigh || otherLow >= highKHz) continue;
            uint256 otherStart = other.epoch;
            uint256 otherEnd = otherStart + uint256(other.slotSeconds) * other.slotCount;
            if (start < otherEnd && otherStart < end) revert CapacityToken_BandPlanOverlap(id);
        }

        // Effects.
        bandPlanId = count + 1;
        _bandPlanCount = bandPlanId;
        _bandPlans[bandPlanId] = plan;
        emit BandPlanCreated(bandPlanId, plan);
    }

    /// @inheritdoc ICapacityToken
    function setBaseURI(string calldata baseURI) external override restricted {
        _setURI(baseURI);
        emit BaseURISet(baseURI);
    }

    /// @inheritdoc ICapacityToken
    function arbitrateSlaBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        address[] calldata holders
    ) external override restricted nonReentrant {
        _recordBreach(terms, from, to, evidence, holders, true);
    }

    /// @inheritdoc ICapacityToken
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc ICapacityToken
    function unpause() external override restricted {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  ISSUER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityToken
    function createClass(
        ClassTerms calldata terms,
        string calldata classURI
    ) external override whenNotPaused returns (uint256 classId) {
        // Checks.
        _requireIssuer(terms.issuerId, true);
        classId = classIdOf(terms);
        if (_classes[classId].issuerId != 0) revert CapacityToken_ClassExists(classId);
        if (terms.validFrom >= terms.validUntil || terms.validUntil <= block.timestamp) {
            revert CapacityToken_InvalidValidity(terms.validFrom, terms.validUntil);
        }
        if (terms.maxSupply == 0) revert CapacityToken_InvalidMaxSupply(0);
        _checkSlice(terms);
        bool reserve = _checkSpectrum(terms);

        // Effects.
        _classes[classId] = ClassInfo({
            issuerId: terms.issuerId,
            kind: terms.kind,
            validFrom: terms.validFrom,
            validUntil: terms.validUntil,
            maxSupply: terms.maxSupply,
            minted: 0
        });
        if (reserve) _reserve(terms.spectrum);
        emit ClassCreated(classId, terms.issuerId, terms.kind, terms);
        if (bytes(classURI).length != 0) {
            _classURIs[classId] = classURI;
            emit URI(classURI, classId);
        }
    }

    /// @inheritdoc ICapacityToken
    function mint(
        uint256 classId,
        address to,
        uint256 amount,
        bytes calldata data
    ) external override whenNotPaused nonReentrant {
        ClassInfo memory info = _requireClass(classId);
        _requireIssuer(info.issuerId, true);
        if (amount == 0) revert CapacityToken_ZeroAmount();
        if (amount > info.maxSupply - info.minted) {
            revert CapacityToken_ExceedsMaxSupply(classId, info.minted, amount, info.maxSupply);
        }
        // Safe cast: minted + amount <= maxSupply, a uint64.
        _classes[classId].minted = info.minted + uint64(amount);
        _mint(to, classId, amount, data);
    }

    /// @inheritdoc ICapacityToken
    function setClassURI(uint256 classId, string calldata classURI) external override {
        _requireIssuer(_requireClass(classId).issuerId, true);
        _classURIs[classId] = classURI;
        emit URI(uri(classId), classId);
    }

    /// @inheritdoc ICapacityToken
    function recordSlaBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        address[] calldata holders
    ) external override nonReentrant {
        _requireIssuer(terms.issuerId, false);
        _recordBreach(terms, from, to, evidence, holders, false);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  HOLDER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityToken
    function redeem(uint256 classId, uint256 amount, bytes32 provisioningRef) external override nonReentrant {
        ClassInfo memory info = _requireClass(classId);
        if (amount == 0) revert CapacityToken_ZeroAmount();
        if (block.timestamp < info.validFrom) revert CapacityToken_NotYetValid(classId, info.validFrom);
        if (block.timestamp >= info.validUntil) revert CapacityToken_ClassExpired(classId, info.validUntil);
        uint32 holderId = _registry.operatorOfAdmin(msg.sender);
        if (holderId == 0) revert CapacityToken_NotMember(msg.sender);
        _burn(msg.sender, classId, amount);
        emit Redeemed(classId, holderId, info.issuerId, msg.sender, amount, provisioningRef);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  INTERNAL FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev Every balance change passes here. Mints and transfers: the class exists and has not expired, `to` is an
    /// active operator's admin, and transfers stop while paused (mints check the pause themselves). Burns (redeeming)
    /// are checked by {redeem}.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override {
        if (to != address(0)) {
            if (from != address(0)) _requireNotPaused();
            uint256 n = ids.length;
            for (uint256 i; i < n; ++i) {
                uint256 id = ids[i];
                ClassInfo memory info = _requireClass(id);
                if (block.timestamp >= info.validUntil) revert CapacityToken_ClassExpired(id, info.validUntil);
            }
            uint32 operatorId = _registry.operatorOfAdmin(to);
            if (operatorId == 0 || !_registry.isActive(operatorId)) revert CapacityToken_NotMember(to);
        }
        super._update(from, to, ids, values);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    function _requireClass(uint256 classId) private view returns (ClassInfo memory info) {
        info = _classes[classId];
        if (info.issuerId == 0) revert CapacityToken_UnknownClass(classId);
    }

    /// @dev The caller is the admin of `issuerId`, which must be active when `active` is set.
    function _requireIssuer(uint32 issuerId, bool active) private view {
        (bool isAdmin, , OperatorStatus status) = _registry.accessOf(msg.sender, issuerId);
        if (!isAdmin || (active && status != OperatorStatus.Active)) {
            revert CapacityToken_NotIssuer(issuerId, msg.sender);
        }
    }

    /// @dev Checks the slice terms. A credit is `units x creditPerUnitHour x seconds / 3600` rounded half up, with
    /// `units <= maxSupply` and `seconds <= validUntil - validFrom`: its largest value must fit one vault obligation.
    function _checkSlice(ClassTerms calldata terms) private view {
        CapacityKind kind = terms.kind;
        SliceTerms calldata slice = terms.slice;
        if (kind != CapacityKind.Slice) {
            if (
                slice.snssai != 0 ||
                slice.throughputKbps != 0 ||
                slice.latencyMs != 0 ||
                slice.availabilityBp != 0 ||
                slice.creditToken != address(0) ||
                slice.creditPerUnitHour != 0
            ) revert CapacityToken_TermsOfOtherKind(kind);
            return;
        }
        if (slice.availabilityBp > 10_000) revert CapacityToken_InvalidAvailability(slice.availabilityBp);
        if (slice.creditPerUnitHour == 0) return;
        // uint128 x uint64 x uint40: the product fits 232 bits.
        uint256 maxCredit =
            (uint256(slice.creditPerUnitHour) * terms.maxSupply * (terms.validUntil - terms.validFrom) + 1800) / 3600;
        if (maxCredit > MAX_SLA_CREDIT) revert CapacityToken_CreditTooLarge(maxCredit, MAX_SLA_CREDIT);
        if (!_vault.tokenConfig(IERC20(slice.creditToken)).allowed) {
            revert CapacityToken_CreditTokenNotAllowed(slice.creditToken);
        }
    }

    /// @dev Checks the spectrum terms; returns whether the block must be reserved in the grid (exclusive spectrum).
    function _checkSpectrum(ClassTerms calldata terms) private view returns (bool reserve) {
        SpectrumTerms calldata s = terms.spectrum;
        if (terms.kind != CapacityKind.Spectrum) {
            if (
                s.bandPlanId != 0 ||
                s.areaId != 0 ||
                s.firstChannel != 0 ||
                s.channelCount != 0 ||
                s.firstSlot != 0 ||
                s.slotCount != 0 ||
                s.exclusive
            ) revert CapacityToken_TermsOfOtherKind(terms.kind);
            return false;
        }
        BandPlan memory plan = bandPlan(s.bandPlanId);
        if (s.channelCount == 0 || s.slotCount == 0 || uint256(s.firstChannel) + s.channelCount > plan.channelCount) {
            revert CapacityToken_InvalidBlock(s.firstChannel, s.channelCount, s.slotCount);
        }
        uint256 endSlot = uint256(s.firstSlot) + s.slotCount;
        if (endSlot > plan.slotCount) revert CapacityToken_SlotsOutsidePlan(s.firstSlot, s.slotCount, plan.slotCount);
        uint256 endChannel = uint256(s.firstChannel) + s.channelCount;
        uint256 words = ((endChannel - 1) / 4 - s.firstChannel / 4 + 1) * ((endSlot - 1) / 64 - s.firstSlot / 64 + 1);
        if (words > MAX_BLOCK_WORDS) revert CapacityToken_BlockTooLarge(words, MAX_BLOCK_WORDS);
        uint256 expectedFrom = plan.epoch + uint256(s.firstSlot) * plan.slotSeconds;
        uint256 expectedUntil = plan.epoch + endSlot * plan.slotSeconds;
        if (terms.validFrom != expectedFrom || terms.validUntil != expectedUntil) {
            revert CapacityToken_SpectrumWindowMismatch(expectedFrom, expectedUntil);
        }
        if (s.exclusive && terms.maxSupply != 1) revert CapacityToken_InvalidMaxSupply(terms.maxSupply);
        return s.exclusive;
    }

    /// @dev Reserves the block's channel-slots, word by word; reverts at the first one already reserved. A grid word
    /// holds 4 channels x 64 slots: bit `(channel % 4) * 64 + slot % 64` of the word keyed by
    /// `(channel / 4, slot / 64)`. Words are visited slot run by slot run, then channel group by channel group.
    function _reserve(SpectrumTerms calldata s) private {
        uint256 firstSlot = s.firstSlot;
        uint256 endSlot = firstSlot + s.slotCount;
        uint256 firstChannel = s.firstChannel;
        uint256 endChannel = firstChannel + s.channelCount;
        uint256 lastWord = (endSlot - 1) >> 6;
        uint256 lastGroup = (endChannel - 1) >> 2;
        for (uint256 w = firstSlot >> 6; w <= lastWord; ++w) {
            uint256 slotMask = _rangeMask(firstSlot, endSlot, w << 6);
            for (uint256 g = firstChannel >> 2; g <= lastGroup; ++g) {
                uint256 mask = _rangeMask(firstChannel, endChannel, g << 2);
                uint256 cells;
                for (uint256 lane; lane < 4; ++lane) {
                    if ((mask >> lane) & 1 == 1) cells |= slotMask << (lane << 6);
                }
                bytes32 key = _gridKey(s.bandPlanId, s.areaId, g, w);
                uint256 bits = _grid[key];
                uint256 shared = bits & cells;
                if (shared != 0) _revertOverlap(shared, g, w);
                _grid[key] = bits | cells;
            }
        }
    }

    /// @dev The bits `[from, to)` of a 64-bit range starting at `base`, clipped to it.
    function _rangeMask(uint256 from, uint256 to, uint256 base) private pure returns (uint256) {
        uint256 lo = Math.max(from, base) - base;
        uint256 hi = Math.min(to, base + 64) - base;
        return ((uint256(1) << (hi - lo)) - 1) << lo;
    }

    /// @dev Reverts with the lowest shared cell of a grid word: its lowest set bit (isolated by two's complement).
    function _revertOverlap(uint256 shared, uint256 group, uint256 word) private pure {
        uint256 lowest;
        unchecked {
            lowest = shared & (~shared + 1);
        }
        uint256 bit = Math.log2(lowest);
        // Safe casts: the channel is below the plan's uint16 channel count, the slot below the block's uint32 end.
        revert CapacityToken_SpectrumOverlap(uint16((group << 2) + (bit >> 6)), uint32((word << 6) + (bit & 63)));
    }

    function _gridKey(uint32 bandPlanId, uint32 areaId, uint256 group, uint256 word) private pure returns (bytes32) {
        return keccak256(abi.encode(bandPlanId, areaId, group, word));
    }

    /// @dev The frequencies `[lowKHz, highKHz)` and the time `[start, end)` a new band plan covers.
    function _extentOf(
        BandPlan calldata plan
    ) private pure returns (uint256 lowKHz, uint256 highKHz, uint256 start, uint256 end) {
        lowKHz = plan.originKHz;
        highKHz = lowKHz + uint256(plan.channelWidthKHz) * plan.channelCount;
        start = plan.epoch;
        end = start + uint256(plan.slotSeconds) * plan.slotCount;
    }

    /// @dev Records (or continues) the breach `slaBreachIdOf(classId, from, to)` and credits `holders`.
    function _recordBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        address[] calldata holders,
        bool byArbiter
    ) private {
        uint256 n = holders.length;
        (bytes32 breachId, uint256 classId) = _openBreach(terms, from, to, evidence, n, byArbiter);
        uint256 perUnit = uint256(terms.slice.creditPerUnitHour) * (to - from);
        for (uint256 i; i < n; ++i) {
            _credit(breachId, classId, terms, holders[i], perUnit);
        }
    }

    /// @dev Checks a breach call; on the breach's first record, stores it with the units it may credit in all: the
    /// supply outside the issuer's admin account (the caller on the issuer's path, which {_requireIssuer} checked).
    /// Emits {SlaBreachRecorded}.
    function _openBreach(
        ClassTerms calldata terms,
        uint40 from,
        uint40 to,
        bytes32 evidence,
        uint256 holderCount,
        bool byArbiter
    ) private returns (bytes32 breachId, uint256 classId) {
        // Checks.
        classId = classIdOf(terms);
        ClassInfo memory info = _requireClass(classId);
        if (info.kind != CapacityKind.Slice) revert CapacityToken_NotSlice(classId);
        if (from >= to || from < info.validFrom || to > info.validUntil || to > block.timestamp) {
            revert CapacityToken_InvalidBreachWindow(from, to);
        }
        if (holderCount > MAX_BREACH_HOLDERS) revert CapacityToken_TooManyHolders(holderCount, MAX_BREACH_HOLDERS);

        // Effects.
        breachId = slaBreachIdOf(classId, from, to);
        SlaBreach memory breach = _breaches[breachId];
        if (!breach.recorded) {
            address issuerAdmin = byArbiter ? _registry.adminOf(terms.issuerId) : msg.sender;
            // Safe cast: the supply never exceeds maxSupply, a uint64.
            breach = SlaBreach({
                recorded: true,
                remaining: uint64(totalSupply(classId) - balanceOf(issuerAdmin, classId))
            });
            _breaches[breachId] = breach;
        }
        emit SlaBreachRecorded(breachId, classId, from, to, evidence, byArbiter, breach.remaining);
    }

    /// @dev Credits one holder `units = min(balance, breach.remaining)`: `units x creditPerUnitHour x seconds / 3600`,
    /// rounded half up.
    function _credit(
        bytes32 breachId,
        uint256 classId,
        ClassTerms calldata terms,
        address holder,
        uint256 perUnit
    ) private {
        // Checks.
        uint32 holderId = _registry.operatorOfAdmin(holder);
        uint256 balance = balanceOf(holder, classId);
        if (holderId == 0 || holderId == terms.issuerId || balance == 0) revert CapacityToken_NothingToCredit(holder);
        if (_credited[breachId][holderId]) revert CapacityToken_AlreadyCredited(breachId, holderId);
        SlaBreach storage breach = _breaches[breachId];
        uint64 remaining = breach.remaining;
        if (remaining == 0) revert CapacityToken_BreachFullyCredited(breachId, holder);

        // Effects.
        // Safe cast: units <= remaining, a uint64.
        uint64 units = uint64(Math.min(balance, remaining));
        remaining -= units;
        breach.remaining = remaining;
        _credited[breachId][holderId] = true;
        // units <= uint64, perUnit <= uint128 x uint40: the product fits 232 bits; the class's terms bound the credit
        // to MAX_SLA_CREDIT (see {_checkSlice}).
        uint256 credit = (units * perUnit + 1800) / 3600;
        emit SlaCredited(breachId, holderId, units, credit, remaining);

        // Interactions.
        if (credit != 0) {
            bytes32 ref = keccak256(abi.encode(breachId, holderId));
            _vault.recordObligation(terms.issuerId, holderId, IERC20(terms.slice.creditToken), credit, ref);
        }
    }
}
