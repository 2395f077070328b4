import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  ACCESS_MANAGER_MIN_SETBACK,
  DEFAULT_TARGET_ADMIN_DELAY,
  FUNCTION_ROLES,
  Roles,
} from "../../sdk/src/governance";
import { deployAgreementFixture, deployAgreementsFixture, iotTariff, signedOffer } from "../helpers/agreements";
import { deployGovernedSuite, deploySuite, scheduleAndExecute } from "../helpers/fixtures";

describe("Governance of RoamingAgreements (deploy module + AccessManager)", () => {
  it("should map every restricted function to the role of FUNCTION_ROLES", async () => {
    const { agreements, manager } = await loadFixture(deploySuite);
    for (const [name, role] of Object.entries(FUNCTION_ROLES.RoamingAgreements)) {
      const selector = agreements.interface.getFunction(name as keyof typeof FUNCTION_ROLES.RoamingAgreements).selector;
      expect(await manager.getTargetFunctionRole(agreements, selector), name).to.equal(Roles[role]);
    }
  });

  it("should classify every state-changing function: governed by a role, or checked by the contract itself", async () => {
    const { agreements } = await loadFixture(deploySuite);
    // Functions members call for themselves (the contract checks the caller against the registry, or anyone may
    // call them); none of them may be mapped to a role.
    const memberFunctions = [
      "publishTariff", // anyone
      "acceptOffer", // the acceptor's admin or signer key
      "invalidateNonces", // the operator's admin or signer key
      "amend", // anyone, with both parties' signatures
      "terminate", // a party's admin
      "setAuthority", // AccessManaged: only the manager itself may call it.
    ];
    const stateChanging: string[] = [];
    agreements.interface.forEachFunction((fn) => {
      if (fn.stateMutability !== "view" && fn.stateMutability !== "pure") stateChanging.push(fn.name);
    });
    expect(stateChanging.sort()).to.deep.equal(
      [...Object.keys(FUNCTION_ROLES.RoamingAgreements), ...memberFunctions].sort(),
    );
    const { manager } = await loadFixture(deploySuite);
    for (const name of memberFunctions.filter((n) => n !== "setAuthority")) {
      const selector = agreements.interface.getFunction(name as "acceptOffer").selector;
      expect(await manager.getTargetFunctionRole(agreements, selector), name).to.equal(Roles.ADMIN);
    }
  });

  it("should apply the default target-admin delay to the contract once AccessManager's minimum setback has passed", async () => {
    const { agreements, manager } = await loadFixture(deployGovernedSuite);
    expect(await manager.getTargetAdminDelay(agreements)).to.equal(0n);
    await time.increase(ACCESS_MANAGER_MIN_SETBACK);
    expect(await manager.getTargetAdminDelay(agreements)).to.equal(BigInt(DEFAULT_TARGET_ADMIN_DELAY));
  });

  describe("when an attacker tries to take over", () => {
    it("should refuse pausing, unpausing and a change of authority", async () => {
      const { agreements, accounts: a } = await loadFixture(deploySuite);
      for (const call of [() => agreements.connect(a.eve).pause(), () => agreements.connect(a.eve).unpause()]) {
        await expect(call())
          .to.be.revertedWithCustomError(agreements, "AccessManagedUnauthorized")
          .withArgs(a.eve.address);
      }
      await expect(agreements.connect(a.eve).setAuthority(a.eve))
        .to.be.revertedWithCustomError(agreements, "AccessManagedUnauthorized")
        .withArgs(a.eve.address);
    });
  });

  describe("when the pauser pulls the brake", () => {
    it("should stop new business at once, leave exits open, and need the delayed governor to resume", async () => {
      const f = await loadFixture(deployAgreementFixture);
      const a = f.accounts;
      await f.agreements.connect(a.pauser).pause();
      const { offer, signature } = await signedOffer(f, { nonce: 2 });
      await expect(f.agreements.connect(a.bob).acceptOffer(offer, signature)).to.be.revertedWithCustomError(
        f.agreements,
        "EnforcedPause",
      );
      await expect(f.agreements.connect(a.dave).publishTariff(iotTariff(7n))).to.be.revertedWithCustomError(
        f.agreements,
        "EnforcedPause",
      );
      await f.agreements.connect(a.alice).invalidateNonces(f.alpha, 0, 1 << 3);
      await f.agreements.connect(a.alice).terminate(f.agreementId, f.terms, f.terms.validUntil);

      const data = f.agreements.interface.encodeFunctionData("unpause");
      await scheduleAndExecute(f.manager, a.governor, f.agreementsAddress, data);
      await f.agreements.connect(a.bob).acceptOffer(offer, signature);
    });
  });

  describe("when the admin closes the contract in the manager", () => {
    it("should stop pause and unpause, and leave the members' functions working", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      await f.manager.connect(a.admin).setTargetClosed(f.agreements, true);
      await expect(f.agreements.connect(a.pauser).pause())
        .to.be.revertedWithCustomError(f.agreements, "AccessManagedUnauthorized")
        .withArgs(a.pauser.address);
      const { offer, signature } = await signedOffer(f);
      await f.agreements.connect(a.bob).acceptOffer(offer, signature);
    });
  });
});
