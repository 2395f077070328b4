import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { FUNCTION_ROLES, Roles } from "../../sdk/src/governance";
import { encodeTadig } from "../../sdk/src/tadig";
import { GOVERNOR_DELAY, deployRegistryWithOperators, deploySuite, randomAddresses } from "../helpers/fixtures";

describe("Governance of the suite (deploy module + AccessManager)", () => {
  it("should map every restricted function of the registry to the role of FUNCTION_ROLES", async () => {
    const { registry, manager } = await loadFixture(deploySuite);
    for (const [name, role] of Object.entries(FUNCTION_ROLES.OperatorRegistry)) {
      const selector = registry.interface.getFunction(name as keyof typeof FUNCTION_ROLES.OperatorRegistry).selector;
      expect(await manager.getTargetFunctionRole(registry, selector), name).to.equal(Roles[role]);
    }
  });

  it("should classify every state-changing function: governed by a role, or checked by the contract itself", async () => {
    const { registry } = await loadFixture(deploySuite);
    // Functions an operator's admin (or pending admin) calls; the registry itself checks the caller.
    const operatorFunctions = [
      "addSigner",
      "revokeSigner",
      "rotateSigner",
      "setPayout",
      "setMetadataURI",
      "transferAdmin",
      "acceptAdmin",
      "setAuthority", // AccessManaged: only the manager itself may call it.
    ];
    const stateChanging: string[] = [];
    registry.interface.forEachFunction((fn) => {
      if (fn.stateMutability !== "view" && fn.stateMutability !== "pure") stateChanging.push(fn.name);
    });
    expect(stateChanging.sort()).to.deep.equal(
      [...Object.keys(FUNCTION_ROLES.OperatorRegistry), ...operatorFunctions].sort(),
    );
  });

  it("should grant each role to its holder, with the governor's execution delay", async () => {
    const { manager, accounts: a } = await loadFixture(deploySuite);
    const expected: [bigint, string, bigint][] = [
      [Roles.ADMIN, a.admin.address, 0n],
      [Roles.GOVERNOR, a.governor.address, BigInt(GOVERNOR_DELAY)],
      [Roles.REGISTRAR, a.registrar.address, 0n],
      [Roles.PAUSER, a.pauser.address, 0n],
      [Roles.ARBITER, a.arbiter.address, 0n],
    ];
    for (const [role, who, delay] of expected) {
      const [isMember, executionDelay] = await manager.hasRole(role, who);
      expect([isMember, executionDelay]).to.deep.equal([true, delay]);
    }
    const [eveIsAdmin] = await manager.hasRole(Roles.ADMIN, a.eve);
    expect(eveIsAdmin).to.equal(false);
  });

  it("should point the registry at the manager", async () => {
    const { registry, manager } = await loadFixture(deploySuite);
    expect(await registry.authority()).to.equal(await manager.getAddress());
  });

  describe("when an attacker tries to take over", () => {
    it("should refuse role grants, function re-mapping and a change of authority", async () => {
      const { registry, manager, accounts: a } = await loadFixture(deploySuite);
      await expect(manager.connect(a.eve).grantRole(Roles.REGISTRAR, a.eve, 0))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
        .withArgs(a.eve.address, Roles.ADMIN);
      const selector = registry.interface.getFunction("registerOperator").selector;
      await expect(manager.connect(a.eve).setTargetFunctionRole(registry, [selector], 2n ** 64n - 1n))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedAccount")
        .withArgs(a.eve.address, Roles.ADMIN);
      await expect(registry.connect(a.eve).setAuthority(a.eve))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(a.eve.address);
    });
  });

  describe("when the admin closes the registry", () => {
    it("should stop every restricted function and leave the operators' own functions working", async () => {
      const { registry, manager, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await manager.connect(a.admin).setTargetClosed(registry, true);
      await expect(registry.connect(a.registrar).addTadig(alpha, encodeTadig("DEUD3")))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(a.registrar.address);
      await registry.connect(a.alice).setPayout(alpha, a.dave);
      expect(await registry.payoutOf(alpha)).to.equal(a.dave.address);
    });
  });

  describe("when the admin grants a new registrar", () => {
    it("should let the new registrar onboard at once and the revoked one no more", async () => {
      const { registry, manager, accounts: a } = await loadFixture(deploySuite);
      await manager.connect(a.admin).grantRole(Roles.REGISTRAR, a.dave, 0);
      await manager.connect(a.admin).revokeRole(Roles.REGISTRAR, a.registrar);
      await registry.connect(a.dave).registerOperator([encodeTadig("FRAF1")], a.alice, a.alice, randomAddresses(1), "");
      await expect(
        registry.connect(a.registrar).registerOperator([encodeTadig("FRAF2")], a.bob, a.bob, randomAddresses(1), ""),
      )
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(a.registrar.address);
      expect(ethers.isAddress(await registry.adminOf(1))).to.equal(true);
    });
  });
});
