import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { deployClearingFixture } from "../../helpers/clearing";
import { scheduleAndExecute } from "../../helpers/fixtures";
import { amendFromSecondPeriod, enabled, submit, usageBatch, withPendingBatch } from "./shared";

describe("UsageClearing.enableClearing", () => {
  describe("when the agreement does not exist", () => {
    it("should revert (the agreements contract refuses the id)", async () => {
      const f = await loadFixture(deployClearingFixture);
      const unknown = ethers.id("no agreement");
      await expect(f.clearing.enableClearing(unknown, f.terms))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownAgreement")
        .withArgs(unknown);
    });
  });

  describe("when the terms are not version 0 of the agreement", () => {
    it("should revert for altered terms", async () => {
      const f = await loadFixture(deployClearingFixture);
      const altered = { ...f.terms, submissionGrace: 0 };
      await expect(f.clearing.enableClearing(f.agreementId, altered))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 0);
    });

    it("should revert for the terms of a later version, and take version 0 after an amendment", async () => {
      const f = await loadFixture(deployClearingFixture);
      const amended = await amendFromSecondPeriod(f);
      await expect(f.clearing.enableClearing(f.agreementId, amended))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsMismatch")
        .withArgs(f.agreementId, 0);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms)).to.emit(f.clearing, "ClearingEnabled");
    });
  });

  describe("when the vault does not allow the agreement's token", () => {
    it("should revert with the token", async () => {
      const f = await loadFixture(deployClearingFixture);
      const data = f.vault.interface.encodeFunctionData("disallowToken", [f.tokenAddress]);
      await scheduleAndExecute(f.manager, f.accounts.governor, await f.vault.getAddress(), data);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TokenNotAllowed")
        .withArgs(f.tokenAddress);
      // A first batch, which would enable clearing, is refused the same way.
      await expect(submit(f, usageBatch(f, { sequence: 1 }).header))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TokenNotAllowed")
        .withArgs(f.tokenAddress);
    });
  });

  describe("when the agreement is in clearing already", () => {
    it("should revert after enableClearing", async () => {
      const f = await loadFixture(enabled);
      await expect(f.clearing.connect(f.accounts.eve).enableClearing(f.agreementId, f.terms))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingAlreadyEnabled")
        .withArgs(f.agreementId);
    });

    it("should revert after the agreement's first batch enabled it", async () => {
      const f = await loadFixture(withPendingBatch);
      await expect(f.clearing.enableClearing(f.agreementId, f.terms))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingAlreadyEnabled")
        .withArgs(f.agreementId);
    });
  });

  describe("when the terms are version 0, the token is allowed and clearing is not enabled", () => {
    it("should let anyone enable it and emit ClearingEnabled with the token and the parties", async () => {
      const f = await loadFixture(deployClearingFixture);
      await expect(f.clearing.connect(f.accounts.eve).enableClearing(f.agreementId, f.terms))
        .to.emit(f.clearing, "ClearingEnabled")
        .withArgs(f.agreementId, f.tokenAddress, f.alpha, f.beta);
    });

    it("should record the token and the parties, open both lanes with the decimals, and enroll the parties", async () => {
      const f = await loadFixture(deployClearingFixture);
      expect((await f.clearing.clearingConfig(f.agreementId)).token).to.equal(ethers.ZeroAddress);
      expect((await f.clearing.operatorStats(f.alpha)).enrolled).to.equal(false);
      await f.clearing.enableClearing(f.agreementId, f.terms);
      const config = await f.clearing.clearingConfig(f.agreementId);
      expect([config.token, config.partyA, config.partyB]).to.deep.equal([f.tokenAddress, f.alpha, f.beta]);
      for (const direction of [0, 1]) {
        const lane = await f.clearing.lane(f.agreementId, direction);
        expect([lane.sequence, lane.voucherRedeemed, lane.decimals, lane.open]).to.deep.equal([0n, 0n, 6n, true]);
      }
      for (const id of [f.alpha, f.beta]) {
        const stats = await f.clearing.operatorStats(id);
        expect([stats.fraudProven, stats.batchesRejected, stats.enrolled]).to.deep.equal([0n, 0n, true]);
      }
      expect((await f.clearing.operatorStats(f.gamma)).enrolled).to.equal(false);
    });

    it("should not emit ClearingEnabled again on the agreement's first batch", async () => {
      const f = await loadFixture(enabled);
      const tx = submit(f, usageBatch(f, { sequence: 1 }).header);
      await expect(tx).to.emit(f.clearing, "BatchSubmitted");
      await expect(tx).to.not.emit(f.clearing, "ClearingEnabled");
    });
  });
});
