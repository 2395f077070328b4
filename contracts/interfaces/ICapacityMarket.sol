// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { Bid, Listing, PayVia } from "../types/CapacityTypes.sol";

/// @title ICapacityMarket
/// @notice A market for capacity tokens ({ICapacityToken}) between the consortium's operators, with delivery versus
/// payment: a purchase moves the units and the stablecoin in one transaction, or nothing (docs/ARCHITECTURE.md
/// section 10).
///
/// Listings are fixed-price offers, filled in parts until sold out, cancelled or expired. The units stay with the
/// seller (whose admin approved the market with `setApprovalForAll`) until a fill. A buyer pays `quantity x unitPrice`
/// exactly, either from its free balance in the {ISettlementVault} to the seller's, or by an ERC-20 transfer to the
/// seller's payout address. Bids are requests for quote: any holder may fill them, and they are paid from the
/// buyer's free vault balance when filled (nothing is escrowed).
///
/// Every party is the admin account of an active operator, and an order fills only while the account that placed it is
/// still its operator's admin (after an admin transfer, the order is stale: the new admin cancels it and places a new
/// one). Payment tokens are those the vault allows, checked again at every fill. A direct payment does not touch the
/// vault, so pausing the vault stops vault-paid fills only; pausing the market stops all. An order may outlive its
/// class: fills after the class's validity revert in the token.
interface ICapacityMarket {
    /*//////////////////////////////////////////////////////////////////////////
                                       EVENTS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a seller lists units.
    event Listed(
        uint256 indexed listingId,
        uint256 indexed classId,
        uint32 indexed sellerId,
        address seller,
        address token,
        uint256 unitPrice,
        uint256 quantity,
        uint40 expiry
    );

    /// @notice Emitted when the seller cancels a listing; `remaining` units are no longer for sale.
    event ListingCancelled(uint256 indexed listingId, uint256 remaining);

    /// @notice Emitted per purchase: `quantity` units delivered for `price`, paid as `payVia` says (vault `ref` =
    /// `keccak256(abi.encode(0, listingId))`).
    event Bought(
        uint256 indexed listingId,
        uint32 indexed buyerId,
        address buyer,
        uint256 quantity,
        uint256 price,
        PayVia payVia
    );

    /// @notice Emitted when a buyer places a bid.
    event BidPlaced(
        uint256 indexed bidId,
        uint256 indexed classId,
        uint32 indexed buyerId,
        address buyer,
        address token,
        uint256 unitPrice,
        uint256 quantity,
        uint40 expiry
    );

    /// @notice Emitted when the buyer cancels a bid; `remaining` units are no longer wanted.
    event BidCancelled(uint256 indexed bidId, uint256 remaining);

    /// @notice Emitted per fill of a bid: `quantity` units delivered for `price`, paid from the buyer's free vault
    /// balance (`ref` = `keccak256(abi.encode(1, bidId))`).
    event BidFilled(uint256 indexed bidId, uint32 indexed sellerId, address seller, uint256 quantity, uint256 price);

    /*//////////////////////////////////////////////////////////////////////////
                                       ERRORS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The account is not the admin of an active operator, or no longer the admin of its order's operator.
    error CapacityMarket_NotMember(address account);

    /// @notice A zero quantity.
    error CapacityMarket_ZeroQuantity();

    /// @notice A zero unit price.
    error CapacityMarket_ZeroPrice();

    /// @notice The expiry is already past.
    error CapacityMarket_InvalidExpiry(uint40 expiry);

    /// @notice The payment token is not allowed in the vault.
    error CapacityMarket_TokenNotAllowed(address token);

    /// @notice No such class, or its validity is over.
    error CapacityMarket_ClassNotTradable(uint256 classId);

    /// @notice The seller does not hold the units it lists.
    error CapacityMarket_InsufficientBalance(uint256 classId, uint256 balance, uint256 quantity);

    /// @notice The seller's admin has not approved the market to deliver its units.
    error CapacityMarket_NotApproved(address seller);

    /// @notice No listing has this id.
    error CapacityMarket_UnknownListing(uint256 listingId);

    /// @notice No bid has this id.
    error CapacityMarket_UnknownBid(uint256 bidId);

    /// @notice The listing or bid is sold out, filled or cancelled.
    error CapacityMarket_Closed(uint256 id);

    /// @notice The listing or bid expired.
    error CapacityMarket_Expired(uint256 id, uint40 expiry);

    /// @notice More units asked than remain.
    error CapacityMarket_InsufficientRemaining(uint256 id, uint256 remaining, uint256 quantity);

    /// @notice Only the account that placed a listing or bid, or its operator's current admin, may cancel it.
    error CapacityMarket_NotOwner(uint256 id, address caller);

    /// @notice An operator cannot trade with itself.
    error CapacityMarket_SelfTrade(uint32 operatorId);

    /// @notice A direct payment delivered a different amount than the price (fee-on-transfer tokens are refused).
    error CapacityMarket_TransferMismatch(uint256 expected, uint256 received);

    /*//////////////////////////////////////////////////////////////////////////
                                  CONSTANT FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice The capacity token traded.
    function capacityToken() external view returns (address);

    /// @notice The settlement vault that pays.
    function vault() external view returns (address);

    /// @notice The operator registry.
    function registry() external view returns (address);

    /// @notice How many listings were created; they are numbered from 1.
    function listingCount() external view returns (uint256);

    /// @notice How many bids were placed; they are numbered from 1.
    function bidCount() external view returns (uint256);

    /// @notice A listing (reverts for an unknown id).
    function getListing(uint256 listingId) external view returns (Listing memory);

    /// @notice A bid (reverts for an unknown id).
    function getBid(uint256 bidId) external view returns (Bid memory);

    /*//////////////////////////////////////////////////////////////////////////
                                GOVERNANCE FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Stops listing, bidding, buying and filling (cancelling still works). Restricted (pauser).
    function pause() external;

    /// @notice Lifts {pause}. Restricted (governor).
    function unpause() external;

    /*//////////////////////////////////////////////////////////////////////////
                                  MEMBER FUNCTIONS
    //////////////////////////////////////////////////////////////////////////*/

    /// @notice Lists `quantity` units of a class for sale at `unitPrice` until `expiry`.
    /// @dev Emits {Listed}. Requirements: not paused; the caller is an active operator's admin; `quantity` and
    /// `unitPrice` non-zero; `expiry` not past; `token` allowed in the vault; the class exists and is not expired; the
    /// caller holds `quantity` units and approved the market.
    function list(
        uint256 classId,
        address token,
        uint128 unitPrice,
        uint64 quantity,
        uint40 expiry
    ) external returns (uint256 listingId);

    /// @notice Cancels what remains of a listing.
    /// @dev Emits {ListingCancelled}. Requirements: the listing exists and is open; the caller is the account that
    /// listed it or the seller operator's current admin. Works while paused.
    function cancelListing(uint256 listingId) external;

    /// @notice Buys `quantity` units of a listing: pays the seller and receives the units, in one transaction.
    /// @dev Emits {Bought}. Requirements: not paused; the listing exists, is open and not expired;
    /// `0 < quantity <= remaining`; the caller is an active operator's admin, not the seller's; the listing account
    /// is still the admin of the active seller. `Vault`: the buyer's free vault balance covers the price. `Direct`:
    /// the token is still allowed in the vault, the buyer approved the market for the price, and the seller's payout
    /// address receives exactly the price. The delivery reverts as the token does (expired
    /// class, seller's balance or approval gone).
    function buy(uint256 listingId, uint64 quantity, PayVia payVia) external;

    /// @notice Bids for `quantity` units of a class at `unitPrice` until `expiry`, paid from the caller's free vault
    /// balance when filled.
    /// @dev Emits {BidPlaced}. Requirements: not paused; the caller is an active operator's admin; `quantity` and
    /// `unitPrice` non-zero; `expiry` not past; `token` allowed in the vault; the class exists and is not expired.
    function bid(
        uint256 classId,
        address token,
        uint128 unitPrice,
        uint64 quantity,
        uint40 expiry
    ) external returns (uint256 bidId);

    /// @notice Cancels what remains of a bid.
    /// @dev Emits {BidCancelled}. Requirements: the bid exists and is open; the caller is the account that placed
    /// it or the buyer operator's current admin. Works while paused.
    function cancelBid(uint256 bidId) external;

    /// @notice Sells `quantity` of the caller's units into a bid: the buyer's free vault balance pays the caller,
    /// and the units go to the buyer, in one transaction.
    /// @dev Emits {BidFilled}. Requirements: not paused; the bid exists, is open and not expired;
    /// `0 < quantity <= remaining`; the caller is an active operator's admin, not the buyer's; the bid account is
    /// still the admin of the active buyer; the buyer's free balance covers the price; the caller holds the units and
    /// approved the market.
    function fillBid(uint256 bidId, uint64 quantity) external;
}
