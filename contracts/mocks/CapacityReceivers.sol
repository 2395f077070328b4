// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { IERC1155Receiver } from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import { IERC165 } from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @notice An operator admin that is a contract (as a multisig would be), with a configurable ERC-1155 receiver hook:
/// accept, answer a wrong value, revert with or without data, or re-enter a target during the hook. Test only.
contract MockCapacityReceiver is IERC1155Receiver {
    enum Mode {
        Accept,
        WrongValue,
        RevertEmpty,
        RevertMessage,
        Reenter
    }

    /// @notice Emitted when the hook re-entered its target and the call failed but was swallowed.
    event ReentryFailed(bytes revertData);

    /// @notice Emitted per hook call that accepted units.
    event Received(address operator, address from, uint256 id, uint256 value);

    error MockCapacityReceiver_Refused();

    address public immutable owner;
    Mode public mode;
    address public reentryTarget;
    bytes public payload;
    bool public swallow;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Sets how the hook answers; in Reenter mode it calls `target_` with `payload_`, and bubbles the
    /// failure unless `swallow_`.
    function configure(Mode mode_, address target_, bytes calldata payload_, bool swallow_) external {
        mode = mode_;
        reentryTarget = target_;
        payload = payload_;
        swallow = swallow_;
    }

    /// @notice Acts as the operator admin: any call, bubbling its revert.
    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        require(msg.sender == owner, MockCapacityReceiver_Refused());
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = to.call(data);
        if (!ok) _bubble(result);
    }

    function onERC1155Received(
        address operator,
        address from,
        uint256 id,
        uint256 value,
        bytes calldata
    ) external override returns (bytes4) {
        _hook();
        emit Received(operator, from, id, value);
        return mode == Mode.WrongValue ? bytes4(0xdeadbeef) : this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address operator,
        address from,
        uint256[] calldata ids,
        uint256[] calldata values,
        bytes calldata
    ) external override returns (bytes4) {
        _hook();
        for (uint256 i; i < ids.length; ++i) emit Received(operator, from, ids[i], values[i]);
        return mode == Mode.WrongValue ? bytes4(0xdeadbeef) : this.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure override returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _hook() private {
        if (mode == Mode.RevertEmpty) _bubble("");
        if (mode == Mode.RevertMessage) revert MockCapacityReceiver_Refused();
        if (mode == Mode.Reenter) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = reentryTarget.call(payload);
            if (!ok) {
                if (!swallow) _bubble(data);
                emit ReentryFailed(data);
            }
        }
    }

    function _bubble(bytes memory data) private pure {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            revert(add(data, 0x20), mload(data))
        }
    }
}
