// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManaged } from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import { IERC1155 } from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";
import { ReentrancyGuard } from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import { ICapacityMarket } from "./interfaces/ICapacityMarket.sol";
import { ICapacityToken } from "./interfaces/ICapacityToken.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { ISettlementVault } from "./interfaces/ISettlementVault.sol";
import { Bid, ClassInfo, Listing, PayVia } from "./types/CapacityTypes.sol";

/// @title CapacityMarket
/// @notice See the documentation in {ICapacityMarket}.
/// @dev Guards: every state-changing function is `nonReentrant`. A purchase makes two calls after its effects, the
/// payment (vault or ERC-20) and then the delivery (`safeTransferFrom`, whose receiver hook is the re-entry point); if
/// either fails, the whole purchase reverts.
contract CapacityMarket is ICapacityMarket, AccessManaged, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////////////////
                                       STORAGE
    //////////////////////////////////////////////////////////////////////////*/

    IOperatorRegistry private immutable _registry;
    ISettlementVault private immutable _vault;
    ICapacityToken private immutable _capacity;

    mapping(uint256 listingId => Listing listing) private _listings;
    mapping(uint256 bidId => Bid bid) private _bids;
    uint256 private _listingCount;
    uint256 private _bidCount;

    /*//////////////////////////////////////////////////////////////////////////
                                     CONSTRUCTOR
    //////////////////////////////////////////////////////////////////////////*/

    /// @param authority The suite's `AccessManager`.
    /// @param registry_ The operator registry.
    /// @param vault_ The settlement vault (this contract must be on its suite list to move free balances).
    /// @param capacity_ The capacity token.
    constructor(
        address authority,
        IOperatorRegistry registry_,
        ISettlementVault vault_,
        ICapacityToken capacity_
    ) AccessManaged(authority) {
        _registry = registry_;
        _vault = vault_;
        _capacity = capacity_;
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityMarket
    function capacityToken() external view override returns (address) {
        return address(_capacity);
    }

    /// @inheritdoc ICapacityMarket
    function vault() external view override returns (address) {
        return address(_vault);
    }

    /// @inheritdoc ICapacityMarket
    function registry() external view override returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ICapacityMarket
    function listingCount() external view override returns (uint256) {
        return _listingCount;
    }

    /// @inheritdoc ICapacityMarket
    function bidCount() external view override returns (uint256) {
        return _bidCount;
    }

    /// @inheritdoc ICapacityMarket
    function getListing(uint256 listingId) public view override returns (Listing memory listing) {
        listing = _listings[listingId];
        if (listing.seller == address(0)) revert CapacityMarket_UnknownListing(listingId);
    }

    /// @inheritdoc ICapacityMarket
    function getBid(uint256 bidId) public view override returns (Bid memory bid_) {
        bid_ = _bids[bidId];
        if (bid_.buyer == address(0)) revert CapacityMarket_UnknownBid(bidId);
    }

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityMarket
    function pause() external override restricted {
        _pause();
    }

    /// @inheritdoc ICapacityMarket
    function unpause() external override restricted {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICapacityMarket
    function list(
        uint256 classId,
        address token,
        uint128 unitPrice,
        uint64 quantity,
        uint40 expiry
    ) external override whenNotPaused nonReentrant returns (uint256 listingId) {
        uint32 sellerId = _checkOrder(classId, token, unitPrice, quantity, expiry);
        uint256 balance = IERC1155(address(_capacity)).balanceOf(msg.sender, classId);
        if (balance < quantity) revert CapacityMarket_InsufficientBalance(classId, balance, quantity);
        if (!IERC1155(address(_capacity)).isApprovedForAll(msg.sender, address(this))) {
            revert CapacityMarket_NotApproved(msg.sender);
        }
        listingId = ++_listingCount;
        _listings[listingId] = Listing({
            classId: classId,
            seller: msg.sender,
            sellerId: sellerId,
            expiry: expiry,
            token: token,
            remaining: quantity,
            unitPrice: unitPrice
        });
        emit Listed(listingId, classId, sellerId, msg.sender, token, unitPrice, quantity, expiry);
    }

    /// @inheritdoc ICapacityMarket
    function cancelListing(uint256 listingId) external override nonReentrant {
        Listing memory listing = getListing(listingId);
        if (listing.remaining == 0) revert CapacityMarket_Closed(listingId);
        _requireOwner(listingId, listing.seller, listing.sellerId);
        _listings[listingId].remaining = 0;
        emit ListingCancelled(listingId, listing.remaining);
    }

    /// @inheritdoc ICapacityMarket
    function buy(uint256 listingId, uint64 quantity, PayVia payVia) external override whenNotPaused nonReentrant {
        // Checks.
        Listing memory listing = getListing(listingId);
        _checkFill(listingId, listing.remaining, listing.expiry, quantity);
        uint32 buyerId = _requireMember(msg.sender);
        if (buyerId == listing.sellerId) revert CapacityMarket_SelfTrade(buyerId);
        _requireStillMember(listing.seller, listing.sellerId);
        if (payVia == PayVia.Direct) _requireAllowed(listing.token);
        uint256 price = uint256(quantity) * listing.unitPrice;

        // Effects.
        _listings[listingId].remaining = listing.remaining - quantity;
        emit Bought(listingId, buyerId, msg.sender, quantity, price, payVia);

        // Interactions: payment, then delivery (the receiver's hook runs last).
        if (payVia == PayVia.Vault) {
            _vault.transferFree(buyerId, listing.sellerId, IERC20(listing.token), price, _ref(0, listingId));
        } else {
            _payDirect(IERC20(listing.token), _registry.payoutOf(listing.sellerId), price);
        }
        IERC1155(address(_capacity)).safeTransferFrom(listing.seller, msg.sender, listing.classId, quantity, "");
    }

    /// @inheritdoc ICapacityMarket
    function bid(
        uint256 classId,
        address token,
        uint128 unitPrice,
        uint64 quantity,
        uint40 expiry
    ) external override whenNotPaused nonReentrant returns (uint256 bidId) {
        uint32 buyerId = _checkOrder(classId, token, unitPrice, quantity, expiry);
        bidId = ++_bidCount;
        _bids[bidId] = Bid({
            classId: classId,
            buyer: msg.sender,
            buyerId: buyerId,
            expiry: expiry,
            token: token,
            remaining: quantity,
            unitPrice: unitPrice
        });
        emit BidPlaced(bidId, classId, buyerId, msg.sender, token, unitPrice, quantity, expiry);
    }

    /// @inheritdoc ICapacityMarket
    function cancelBid(uint256 bidId) external override nonReentrant {
        Bid memory b = getBid(bidId);
        if (b.remaining == 0) revert CapacityMarket_Closed(bidId);
        _requireOwner(bidId, b.buyer, b.buyerId);
        _bids[bidId].remaining = 0;
        emit BidCancelled(bidId, b.remaining);
    }

    /// @inheritdoc ICapacityMarket
    function fillBid(uint256 bidId, uint64 quantity) external override whenNotPaused nonReentrant {
        // Checks.
        Bid memory b = getBid(bidId);
        _checkFill(bidId, b.remaining, b.expiry, quantity);
        uint32 sellerId = _requireMember(msg.sender);
        if (sellerId == b.buyerId) revert CapacityMarket_SelfTrade(sellerId);
        _requireStillMember(b.buyer, b.buyerId);
        uint256 price = uint256(quantity) * b.unitPrice;

        // Effects.
        _bids[bidId].remaining = b.remaining - quantity;
        emit BidFilled(bidId, sellerId, msg.sender, quantity, price);

        // Interactions: payment, then delivery.
        _vault.transferFree(b.buyerId, sellerId, IERC20(b.token), price, _ref(1, bidId));
        IERC1155(address(_capacity)).safeTransferFrom(msg.sender, b.buyer, b.classId, quantity, "");
    }

    /*//////////////////////////////////////////////////////////////////////////
                                  PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @dev The caller's operator, which must be active and administered by `account`.
    function _requireMember(address account) private view returns (uint32 operatorId) {
        operatorId = _registry.operatorOfAdmin(account);
        if (operatorId == 0 || !_registry.isActive(operatorId)) revert CapacityMarket_NotMember(account);
    }

    /// @dev The account that placed an order must still be the admin of the order's operator, which must be active:
    /// an order whose account was handed over (admin transfer) is stale and fills nothing.
    function _requireStillMember(address account, uint32 operatorId) private view {
        if (_registry.operatorOfAdmin(account) != operatorId || !_registry.isActive(operatorId)) {
            revert CapacityMarket_NotMember(account);
        }
    }

    /// @dev An order is cancelled by the account that placed it or by its operator's current admin.
    function _requireOwner(uint256 id, address account, uint32 operatorId) private view {
        if (msg.sender != account && _registry.operatorOfAdmin(msg.sender) != operatorId) {
            revert CapacityMarket_NotOwner(id, msg.sender);
        }
    }

    function _requireAllowed(address token) private view {
        if (!_vault.tokenConfig(IERC20(token)).allowed) revert CapacityMarket_TokenNotAllowed(token);
    }

    /// @dev The checks shared by listings and bids; returns the caller's operator.
    function _checkOrder(
        uint256 classId,
        address token,
        uint128 unitPrice,
        uint64 quantity,
        uint40 expiry
    ) private view returns (uint32 operatorId) {
        operatorId = _requireMember(msg.sender);
        if (quantity == 0) revert CapacityMarket_ZeroQuantity();
        if (unitPrice == 0) revert CapacityMarket_ZeroPrice();
        if (expiry < block.timestamp) revert CapacityMarket_InvalidExpiry(expiry);
        _requireAllowed(token);
        ClassInfo memory info = _capacity.classInfo(classId);
        if (info.issuerId == 0 || block.timestamp >= info.validUntil) revert CapacityMarket_ClassNotTradable(classId);
    }

    /// @dev The checks shared by purchases and bid fills, on the order's state.
    function _checkFill(uint256 id, uint64 remaining, uint40 expiry, uint64 quantity) private view {
        if (remaining == 0) revert CapacityMarket_Closed(id);
        if (block.timestamp > expiry) revert CapacityMarket_Expired(id, expiry);
        if (quantity == 0) revert CapacityMarket_ZeroQuantity();
        if (quantity > remaining) revert CapacityMarket_InsufficientRemaining(id, remaining, quantity);
    }

    /// @dev Pays `price` from the buyer to `payout` by ERC-20 transfer; the payout must receive exactly `price`.
    function _payDirect(IERC20 token, address payout, uint256 price) private {
        uint256 before = token.balanceOf(payout);
        token.safeTransferFrom(msg.sender, payout, price);
        uint256 received = token.balanceOf(payout) - before;
        if (received != price) revert CapacityMarket_TransferMismatch(price, received);
    }

    /// @dev The vault reference of a fill: kind 0 for a listing, 1 for a bid.
    function _ref(uint8 kind, uint256 id) private pure returns (bytes32) {
        return keccak256(abi.encode(kind, id));
    }
}
