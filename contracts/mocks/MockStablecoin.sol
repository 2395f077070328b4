// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import { ERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockStablecoin
/// @notice Test only: a USDC-like stablecoin with EIP-2612 permit, configurable decimals and free minting.
contract MockStablecoin is ERC20, ERC20Permit {
    uint8 private immutable _tokenDecimals;

    constructor(string memory name, string memory symbol, uint8 tokenDecimals) ERC20(name, symbol) ERC20Permit(name) {
        _tokenDecimals = tokenDecimals;
    }

    function decimals() public view override returns (uint8) {
        return _tokenDecimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
