import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";

import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const refs = [ethers.id("ref 0"), ethers.id("ref 1"), ethers.id("ref 2")];

/**
 * Gamma holds nothing and owes, in this order: alpha 30 (ref 0), beta 20 (ref 1), alpha 10 (ref 2), all queued.
 * Alpha has deposited 100.
 */
async function withQueue(): Promise<VaultFixture> {
  const f = await deployVault();
  const { vault, usdc, suite, alpha, beta, gamma, accounts: a } = f;
  await vault.connect(a.alice).deposit(alpha, usdc, u(100));
  await vault.connect(suite).recordObligation(gamma, alpha, usdc, u(30), refs[0]);
  await vault.connect(suite).recordObligation(gamma, beta, usdc, u(20), refs[1]);
  await vault.connect(suite).recordObligation(gamma, alpha, usdc, u(10), refs[2]);
  return f;
}

/** The ObligationApplied events of a transaction, in log order, as [payer, payee, cycle, amount, ref]. */
async function appliedIn(f: VaultFixture, tx: ContractTransactionResponse) {
  const receipt = await tx.wait();
  return receipt!.logs
    .map((log) => f.vault.interface.parseLog(log))
    .filter((e) => e !== null && e.name === "ObligationApplied")
    .map((e) => [e!.args.payer, e!.args.payee, e!.args.cycle, e!.args.amount, e!.args.ref]);
}

async function closeOpenCycle(f: VaultFixture): Promise<void> {
  const { openEnd } = await f.vault.tokenConfig(f.usdc);
  if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
  await f.vault.closeCycle(f.usdc);
}

describe("SettlementVault.processQueue", () => {
  describe("when maxCount is zero", () => {
    it("should revert", async () => {
      const { vault, usdc, gamma } = await loadFixture(withQueue);
      await expect(vault.processQueue(gamma, usdc, 0)).to.be.revertedWithCustomError(
        vault,
        "SettlementVault_ZeroCount",
      );
    });
  });

  describe("when the vault is paused", () => {
    it("should revert", async () => {
      const { vault, usdc, gamma, accounts: a } = await loadFixture(withQueue);
      await vault.connect(a.carol).deposit(gamma, usdc, u(100));
      await vault.connect(a.pauser).pause();
      await expect(vault.processQueue(gamma, usdc, 3)).to.be.revertedWithCustomError(vault, "EnforcedPause");
    });
  });

  describe("when the token is disallowed", () => {
    // Obligations queued before the disallowance are still owed: processing them is settlement, not new business.
    it("should still apply the obligations queued before", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, gamma, accounts: a } = f;
      await vault.connect(a.carol).deposit(gamma, usdc, u(100));
      const data = vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]);
      await f.manager.connect(a.governor).schedule(vault, data, 0);
      await time.increase(GOVERNOR_DELAY);
      await f.manager.connect(a.governor).execute(vault, data);
      await expect(vault.processQueue(gamma, usdc, 3)).to.emit(vault, "ObligationApplied");
    });
  });

  describe("when the payer's queue is empty", () => {
    it("should return 0 and apply nothing", async () => {
      const { vault, usdc, alpha } = await loadFixture(withQueue);
      expect(await vault.processQueue.staticCall(alpha, usdc, 5)).to.equal(0n);
      await expect(vault.processQueue(alpha, usdc, 5)).to.not.emit(vault, "ObligationApplied");
    });

    // Regression: processQueue once emitted PositionSettled for a settled position it did not store, so an indexer
    // summing those events counted a position twice. It now returns before touching the account.
    it("should not emit PositionSettled for a position it does not store", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, alpha, gamma, accounts: a } = f;
      await vault.connect(a.carol).deposit(gamma, usdc, u(100));
      await vault.processQueue(gamma, usdc, 3); // alpha is now owed 40 in cycle 1
      await closeOpenCycle(f);
      const settled = vault.filters.PositionSettled(alpha, usdc);
      const from = await ethers.provider.getBlockNumber();
      await vault.connect(a.eve).processQueue(alpha, usdc, 1); // alpha has nothing queued
      await vault.connect(a.alice).withdraw(alpha, usdc, u(1)); // alpha's first real touch after the close
      const events = await vault.queryFilter(settled, from + 1);
      expect(events.map((e) => [e.args.cycle, e.args.position])).to.deep.equal([[1n, u(40)]]);
    });
  });

  describe("when the payer's funds cover its queued obligations", () => {
    it("should apply them oldest first, in the open cycle, return the count and empty the queue", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, alpha, beta, gamma, accounts: a } = f;
      await vault.connect(a.carol).deposit(gamma, usdc, u(60));
      expect(await vault.processQueue.staticCall(gamma, usdc, 10)).to.equal(3n);
      const tx = await vault.processQueue(gamma, usdc, 10);
      expect(await appliedIn(f, tx)).to.deep.equal([
        [gamma, alpha, 1n, u(30), refs[0]],
        [gamma, beta, 1n, u(20), refs[1]],
        [gamma, alpha, 1n, u(10), refs[2]],
      ]);
      expect(await vault.queueLength(gamma, usdc)).to.equal(0n);
      expect(await vault.queuedObligations(gamma, usdc, 0, 10)).to.deep.equal([]);
      expect(await vault.openPositionOf(gamma, usdc)).to.equal(-u(60));
      expect(await vault.openPositionOf(alpha, usdc)).to.equal(u(40));
      expect(await vault.openPositionOf(beta, usdc)).to.equal(u(20));
      expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(0n);
      expect(await vault.bilateralGross(usdc, 1, gamma, alpha)).to.deep.equal([u(40), true]);
      expect(await vault.bilateralGross(usdc, 1, gamma, beta)).to.deep.equal([u(20), true]);
    });

    it("should let anyone process it, and let new obligations of the payer apply directly afterwards", async () => {
      const { vault, usdc, suite, alpha, gamma, accounts: a } = await loadFixture(withQueue);
      await vault.connect(a.carol).deposit(gamma, usdc, u(61));
      await expect(vault.connect(a.eve).processQueue(gamma, usdc, 3)).to.emit(vault, "ObligationApplied");
      await expect(vault.connect(suite).recordObligation(gamma, alpha, usdc, u(1), refs[0])).to.emit(
        vault,
        "ObligationApplied",
      );
    });

    it("should apply at most maxCount of them, leaving the rest queued in order", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, alpha, beta, gamma, accounts: a } = f;
      await vault.connect(a.carol).deposit(gamma, usdc, u(60));
      const first = await vault.processQueue(gamma, usdc, 2);
      expect(await appliedIn(f, first)).to.deep.equal([
        [gamma, alpha, 1n, u(30), refs[0]],
        [gamma, beta, 1n, u(20), refs[1]],
      ]);
      expect(await vault.queueLength(gamma, usdc)).to.equal(1n);
      const rest = await vault.queuedObligations(gamma, usdc, 0, 10);
      expect(rest.map((e) => [e.payee, e.amount, e.ref])).to.deep.equal([[alpha, u(10), refs[2]]]);
      const second = await vault.processQueue(gamma, usdc, 2);
      expect(await appliedIn(f, second)).to.deep.equal([[gamma, alpha, 1n, u(10), refs[2]]]);
    });

    it("should count the payer's credits of the open cycle as funds", async () => {
      const { vault, usdc, suite, alpha, gamma } = await loadFixture(withQueue);
      // Alpha owes gamma 50 in this cycle: gamma's +50 covers its first two queued obligations (30 + 20).
      await vault.connect(suite).recordObligation(alpha, gamma, usdc, u(50), refs[0]);
      expect(await vault.processQueue.staticCall(gamma, usdc, 3)).to.equal(2n);
      await vault.processQueue(gamma, usdc, 3);
      expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
      expect(await vault.queueLength(gamma, usdc)).to.equal(1n);
    });

    it("should apply obligations queued in a closed cycle to the cycle open when processed", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, alpha, gamma, accounts: a } = f;
      await closeOpenCycle(f);
      await vault.connect(a.carol).deposit(gamma, usdc, u(30));
      await expect(vault.processQueue(gamma, usdc, 1))
        .to.emit(vault, "ObligationApplied")
        .withArgs(await usdc.getAddress(), gamma, alpha, 2, u(30), refs[0]);
      expect(await vault.bilateralGross(usdc, 2, gamma, alpha)).to.deep.equal([u(30), true]);
      expect(await vault.bilateralGross(usdc, 1, gamma, alpha)).to.deep.equal([0n, false]);
    });
  });

  describe("when the payer's funds do not cover the oldest queued obligation", () => {
    it("should stop there and apply nothing, even if a later one would fit", async () => {
      const { vault, usdc, gamma, accounts: a } = await loadFixture(withQueue);
      await vault.connect(a.carol).deposit(gamma, usdc, u(29)); // the 20 and the 10 would fit, the 30 does not
      expect(await vault.processQueue.staticCall(gamma, usdc, 3)).to.equal(0n);
      await expect(vault.processQueue(gamma, usdc, 3)).to.not.emit(vault, "ObligationApplied");
      expect(await vault.queueLength(gamma, usdc)).to.equal(3n);
      expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
    });

    it("should stop at the first entry that no longer fits", async () => {
      const f = await loadFixture(withQueue);
      const { vault, usdc, alpha, gamma, accounts: a } = f;
      await vault.connect(a.carol).deposit(gamma, usdc, u(45)); // 30 fits, 30 + 20 does not
      const tx = await vault.processQueue(gamma, usdc, 3);
      expect(await appliedIn(f, tx)).to.deep.equal([[gamma, alpha, 1n, u(30), refs[0]]]);
      expect(await vault.queueLength(gamma, usdc)).to.equal(2n);
      expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(u(15));
    });
  });
});
