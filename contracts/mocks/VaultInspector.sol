// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { ISettlementVault } from "../interfaces/ISettlementVault.sol";
import { Account, TokenConfig } from "../types/VaultTypes.sol";

/// @title VaultInspector
/// @notice Test only: reads everything the vault's invariant tests check, for many members, in one call.
contract VaultInspector {
    struct MemberView {
        uint32 id;
        Account raw;
        uint256 balance;
        uint256 free;
        int256 openPosition;
        uint256 queued;
    }

    struct TokenView {
        TokenConfig config;
        uint256 held;
        uint256 liabilities;
        uint256 surplus;
        MemberView[] members;
    }

    function inspect(
        ISettlementVault vault,
        IERC20 token,
        uint32[] calldata ids
    ) external view returns (TokenView memory v) {
        v.config = vault.tokenConfig(token);
        v.held = token.balanceOf(address(vault));
        v.liabilities = vault.totalLiabilities(token);
        v.surplus = vault.surplus(token);
        v.members = new MemberView[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            uint32 id = ids[i];
            v.members[i] = MemberView({
                id: id,
                raw: vault.accountOf(id, token),
                balance: vault.balanceOf(id, token),
                free: vault.freeBalanceOf(id, token),
                openPosition: vault.openPositionOf(id, token),
                queued: vault.queueLength(id, token)
            });
        }
    }
}
