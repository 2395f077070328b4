import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { FUNCTION_ROLES, Roles } from "../../sdk/src/governance";
import { deploySuite } from "../helpers/fixtures";

describe("Governance of SettlementVault (deploy module + AccessManager)", () => {
  it("should map every restricted function to the role of FUNCTION_ROLES", async () => {
    const { vault, manager } = await loadFixture(deploySuite);
    for (const [name, role] of Object.entries(FUNCTION_ROLES.SettlementVault)) {
      const selector = vault.interface.getFunction(name as keyof typeof FUNCTION_ROLES.SettlementVault).selector;
      expect(await manager.getTargetFunctionRole(vault, selector), name).to.equal(Roles[role]);
    }
  });

  it("should classify every state-changing function: a role, the admin, the suite list, or the member itself", async () => {
    const { vault, manager } = await loadFixture(deploySuite);
    // ADMIN-only (AccessManager's default for an unmapped restricted function).
    const adminOnly = ["setSuiteContract", "recover"];
    // Not restricted: members and anyone (the contract checks the caller), or the vault's own suite list.
    const unrestricted = [
      "deposit", // anyone, for a registered operator
      "depositWithPermit",
      "withdraw", // the operator's admin
      "closeCycle", // anyone, once the cycle has ended
      "processQueue", // anyone
      "recordObligation", // the suite's contracts (the vault's list)
      "transferFree",
      "setAuthority", // AccessManaged: only the manager itself may call it.
    ];
    const stateChanging: string[] = [];
    vault.interface.forEachFunction((fn) => {
      if (fn.stateMutability !== "view" && fn.stateMutability !== "pure") stateChanging.push(fn.name);
    });
    expect(stateChanging.sort()).to.deep.equal(
      [...Object.keys(FUNCTION_ROLES.SettlementVault), ...adminOnly, ...unrestricted].sort(),
    );
    for (const name of adminOnly) {
      const selector = vault.interface.getFunction(name as "recover").selector;
      expect(await manager.getTargetFunctionRole(vault, selector), name).to.equal(Roles.ADMIN);
    }
  });

  it("should start with no suite contract and no allowed token", async () => {
    const { vault, accounts: a } = await loadFixture(deploySuite);
    expect(await vault.isSuiteContract(a.admin)).to.equal(false);
    expect((await vault.tokenConfig(a.admin.address)).cycle).to.equal(0n);
  });

  describe("when an attacker tries to take over", () => {
    it("should refuse joining the suite list, recovering funds, pausing and a change of authority", async () => {
      const { vault, accounts: a } = await loadFixture(deploySuite);
      const attempts = [
        () => vault.connect(a.eve).setSuiteContract(a.eve, true),
        () => vault.connect(a.eve).recover(a.eve.address, a.eve),
        () => vault.connect(a.eve).pause(),
        () => vault.connect(a.eve).allowToken(a.eve.address, 1),
        () => vault.connect(a.eve).setAuthority(a.eve),
      ];
      for (const attempt of attempts) {
        await expect(attempt())
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(a.eve.address);
      }
    });
  });
});
