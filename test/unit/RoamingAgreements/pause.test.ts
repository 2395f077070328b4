import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { deployAgreementsFixture } from "../../helpers/agreements";
import { scheduleAndExecute } from "../../helpers/fixtures";

describe("RoamingAgreements.pause", () => {
  describe("when the caller is not the pauser", () => {
    it("should revert for an attacker, the governor, the admin and a member", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      for (const who of [a.eve, a.governor, a.admin, a.alice, a.registrar]) {
        await expect(f.agreements.connect(who).pause())
          .to.be.revertedWithCustomError(f.agreements, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the pauser", () => {
    it("should pause at once and emit Paused", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await expect(f.agreements.connect(f.accounts.pauser).pause())
        .to.emit(f.agreements, "Paused")
        .withArgs(f.accounts.pauser.address);
      expect(await f.agreements.paused()).to.equal(true);
    });

    it("should revert when already paused", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await f.agreements.connect(f.accounts.pauser).pause();
      await expect(f.agreements.connect(f.accounts.pauser).pause()).to.be.revertedWithCustomError(
        f.agreements,
        "EnforcedPause",
      );
    });
  });
});

describe("RoamingAgreements.unpause", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker and for the pauser", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await f.agreements.connect(f.accounts.pauser).pause();
      for (const who of [f.accounts.eve, f.accounts.pauser]) {
        await expect(f.agreements.connect(who).unpause())
          .to.be.revertedWithCustomError(f.agreements, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the governor", () => {
    it("should revert without a scheduled operation (the governor's delay applies)", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await f.agreements.connect(f.accounts.pauser).pause();
      await expect(f.agreements.connect(f.accounts.governor).unpause()).to.be.revertedWithCustomError(
        f.manager,
        "AccessManagerNotScheduled",
      );
    });

    it("should unpause after the delay and emit Unpaused", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await f.agreements.connect(f.accounts.pauser).pause();
      const data = f.agreements.interface.encodeFunctionData("unpause");
      await expect(scheduleAndExecute(f.manager, f.accounts.governor, f.agreementsAddress, data)).to.not.be.reverted;
      expect(await f.agreements.paused()).to.equal(false);
    });

    it("should revert when not paused", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const data = f.agreements.interface.encodeFunctionData("unpause");
      await expect(
        scheduleAndExecute(f.manager, f.accounts.governor, f.agreementsAddress, data),
      ).to.be.revertedWithCustomError(f.agreements, "ExpectedPause");
    });
  });
});
