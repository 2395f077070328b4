import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("capacity trade 42");

/** Alpha has deposited 100 USDC and owes beta 80 in the open cycle (free: 20); beta deposited 50. */
async function withDebit(): Promise<VaultFixture> {
  const f = await deployVault();
  const { vault, usdc, suite, alpha, beta, accounts: a } = f;
  await vault.connect(a.alice).deposit(alpha, usdc, u(100));
  await vault.connect(a.bob).deposit(beta, usdc, u(50));
  await vault.connect(suite).recordObligation(alpha, beta, usdc, u(80), REF);
  return f;
}

describe("SettlementVault.transferFree", () => {
  describe("when the caller is not a suite contract", () => {
    it("should revert for an attacker, the admin and the member itself", async () => {
      const { vault, usdc, alpha, beta, accounts: a } = await loadFixture(withDebit);
      for (const who of [a.eve, a.admin, a.alice]) {
        await expect(vault.connect(who).transferFree(alpha, beta, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NotSuiteContract")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is a suite contract", () => {
    describe("when the vault is paused", () => {
      it("should revert", async () => {
        const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(withDebit);
        await vault.connect(a.pauser).pause();
        await expect(vault.connect(suite).transferFree(alpha, beta, usdc, u(1), REF)).to.be.revertedWithCustomError(
          vault,
          "EnforcedPause",
        );
      });
    });

    describe("when the token is not allowed", () => {
      it("should revert for a token never allowed and for a disallowed one", async () => {
        const f = await loadFixture(withDebit);
        const { vault, usdc, suite, alpha, beta, accounts: a } = f;
        const never = ethers.Wallet.createRandom().address;
        await expect(vault.connect(suite).transferFree(alpha, beta, never, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(never);
        const data = vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]);
        await f.manager.connect(a.governor).schedule(vault, data, 0);
        await time.increase(GOVERNOR_DELAY);
        await f.manager.connect(a.governor).execute(vault, data);
        await expect(vault.connect(suite).transferFree(alpha, beta, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(await usdc.getAddress());
      });
    });

    describe("when the arguments are invalid", () => {
      it("should revert for the same member, a zero recipient and a zero amount", async () => {
        const { vault, usdc, suite, alpha } = await loadFixture(withDebit);
        await expect(vault.connect(suite).transferFree(alpha, alpha, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_SelfObligation")
          .withArgs(alpha);
        await expect(vault.connect(suite).transferFree(alpha, 0, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_UnknownOperator")
          .withArgs(0);
        await expect(vault.connect(suite).transferFree(alpha, 2, usdc, 0, REF)).to.be.revertedWithCustomError(
          vault,
          "SettlementVault_ZeroAmount",
        );
      });
    });

    describe("when the amount is above the sender's free balance", () => {
      it("should revert at free + 1: collateral of an open debit cannot move", async () => {
        const { vault, usdc, suite, alpha, gamma } = await loadFixture(withDebit);
        await expect(vault.connect(suite).transferFree(alpha, gamma, usdc, u(20) + 1n, REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(alpha, await usdc.getAddress(), u(20), u(20) + 1n);
      });

      it("should revert for credits of the open cycle, which are not free yet", async () => {
        const { vault, usdc, suite, beta, gamma } = await loadFixture(withDebit);
        // Beta: balance 50, open position +80; free 50.
        await expect(vault.connect(suite).transferFree(beta, gamma, usdc, u(51), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(beta, await usdc.getAddress(), u(50), u(51));
      });
    });

    describe("when the amount is within the sender's free balance", () => {
      it("should move the balance at once, outside cycles, and emit FreeBalanceTransferred", async () => {
        const { vault, usdc, suite, alpha, gamma, accounts: a } = await loadFixture(withDebit);
        const tx = vault.connect(suite).transferFree(alpha, gamma, usdc, u(20), REF);
        await expect(tx)
          .to.emit(vault, "FreeBalanceTransferred")
          .withArgs(await usdc.getAddress(), alpha, gamma, u(20), REF);
        await expect(tx).to.changeTokenBalance(usdc, vault, 0);
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(80));
        expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(0n);
        expect(await vault.openPositionOf(alpha, usdc)).to.equal(-u(80)); // still fully covered
        expect(await vault.balanceOf(gamma, usdc)).to.equal(u(20));
        expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
        expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
        // The recipient may withdraw it at once.
        await expect(vault.connect(a.carol).withdraw(gamma, usdc, u(20))).to.changeTokenBalance(usdc, a.carol, u(20));
      });

      it("should first apply both members' positions of a closed cycle", async () => {
        const f = await loadFixture(withDebit);
        const { vault, usdc, suite, alpha, beta } = f;
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        await vault.closeCycle(usdc);
        const tx = vault.connect(suite).transferFree(beta, alpha, usdc, u(130), REF);
        await expect(tx)
          .to.emit(vault, "PositionSettled")
          .withArgs(beta, await usdc.getAddress(), 1, u(80));
        await expect(tx)
          .to.emit(vault, "PositionSettled")
          .withArgs(alpha, await usdc.getAddress(), 1, -u(80));
        expect(await vault.balanceOf(beta, usdc)).to.equal(0n);
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(150));
        const account = await vault.accountOf(alpha, usdc);
        expect([account.balance, account.position, account.cycle]).to.deep.equal([u(150), 0n, 2n]);
      });
    });
  });
});
