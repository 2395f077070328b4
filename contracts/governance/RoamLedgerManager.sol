// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import { AccessManager } from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title RoamLedgerManager
/// @notice The one OpenZeppelin `AccessManager` that governs every contract of the suite. It adds nothing to
/// OpenZeppelin's implementation; it exists so that the deployment has a named, verifiable artifact.
/// @dev Role ids are in {Roles}. The initial admin is the deploying account only for the time of the deployment: the
/// deploy module grants ADMIN to the consortium's account with an execution delay (ten days by default, so members see
/// every admin decision coming and can withdraw first) and the deployer renounces its role in the same deployment.
contract RoamLedgerManager is AccessManager {
    constructor(address initialAdmin) AccessManager(initialAdmin) {}
}
