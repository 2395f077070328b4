// SPDX-License-Identifier: Apache-2.0
// Test-only tokens that misbehave the ways real tokens do, kept together; ERC-20 metadata names are lower-case by the
// standard, and the reentrant token needs a raw call and a revert bubble.
// solhint-disable one-contract-per-file, const-name-snakecase, avoid-low-level-calls, no-inline-assembly
pragma solidity 0.8.30;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Keeps a 1% fee on every transfer: the recipient gets less than was sent.
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("Fee Token", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0xFEE), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @notice Returns nothing from transfer and transferFrom (like USDT on Ethereum); reverts on failure.
contract NoReturnToken {
    string public constant name = "No Return Token";
    string public constant symbol = "NRT";
    uint8 public constant decimals = 6;
    mapping(address account => uint256 amount) public balanceOf;
    mapping(address owner => mapping(address spender => uint256 amount)) public allowance;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @notice Returns false instead of reverting when a transfer cannot be made, and moves nothing then.
contract ReturnFalseToken is ERC20 {
    bool public failTransfers;

    constructor() ERC20("Return False Token", "RFT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFailTransfers(bool fail) external {
        failTransfers = fail;
    }

    function transfer(address to, uint256 amount) public override returns (bool) {
        if (failTransfers) return false;
        return super.transfer(to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        if (failTransfers) return false;
        return super.transferFrom(from, to, amount);
    }
}

/// @notice On every transfer, calls back into a target with prepared calldata (to try re-entering the vault).
contract ReentrantToken is ERC20 {
    address public victim;
    bytes public payload;
    bool public reentered;
    bytes public revertData;

    constructor() ERC20("Reentrant Token", "RNT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address victim_, bytes calldata payload_) external {
        victim = victim_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (victim != address(0) && from != address(0) && to != address(0)) {
            address t = victim;
            victim = address(0); // one attempt per arming
            (bool ok, bytes memory data) = t.call(payload);
            reentered = ok;
            revertData = data;
            if (!ok) {
                // Bubble the victim's refusal up, so the test sees exactly what stopped the re-entry.
                assembly {
                    revert(add(data, 32), mload(data))
                }
            }
        }
    }
}
