import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { MockStablecoin } from "../../../sdk/src/typechain";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");
const REASON = ethers.id("consortium decision");

async function asGovernor(f: VaultFixture, target: string, data: string) {
  await f.manager.connect(f.accounts.governor).schedule(target, data, 0);
  await time.increase(GOVERNOR_DELAY);
  return f.manager.connect(f.accounts.governor).execute(target, data);
}

async function closeOpenCycle(f: VaultFixture, token: MockStablecoin): Promise<void> {
  const { openEnd } = await f.vault.tokenConfig(token);
  if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
  await f.vault.closeCycle(token);
}

/** Alpha has deposited 100 USDC, beta 50. */
async function withDeposits(): Promise<VaultFixture> {
  const f = await deployVault();
  await f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(100));
  await f.vault.connect(f.accounts.bob).deposit(f.beta, f.usdc, u(50));
  return f;
}

describe("SettlementVault.withdraw", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert for an attacker, another member's admin, the payout address and the suite", async () => {
      const { vault, usdc, suite, alpha, accounts: a } = await loadFixture(withDeposits);
      for (const who of [a.eve, a.bob, a.alicePayout, a.aliceSigner, suite, a.admin]) {
        await expect(vault.connect(who).withdraw(alpha, usdc, u(1)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NotOperatorAdmin")
          .withArgs(alpha, who.address);
      }
    });

    it("should revert for an operator that does not exist", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(withDeposits);
      await expect(vault.connect(a.eve).withdraw(99, usdc, u(1)))
        .to.be.revertedWithCustomError(vault, "SettlementVault_NotOperatorAdmin")
        .withArgs(99, a.eve.address);
    });

    it("should follow an admin transfer: the old admin is refused, the new one pays the same payout", async () => {
      const { vault, usdc, registry, alpha, accounts: a } = await loadFixture(withDeposits);
      await registry.connect(a.alice).transferAdmin(alpha, a.dave);
      await registry.connect(a.dave).acceptAdmin(alpha);
      await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(1)))
        .to.be.revertedWithCustomError(vault, "SettlementVault_NotOperatorAdmin")
        .withArgs(alpha, a.alice.address);
      await expect(vault.connect(a.dave).withdraw(alpha, usdc, u(1))).to.changeTokenBalance(usdc, a.alicePayout, u(1));
    });
  });

  describe("when the caller is the operator's admin", () => {
    describe("when the amount is zero", () => {
      it("should revert", async () => {
        const { vault, usdc, alpha, accounts: a } = await loadFixture(withDeposits);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, 0)).to.be.revertedWithCustomError(
          vault,
          "SettlementVault_ZeroAmount",
        );
      });
    });

    describe("when the amount is above the free balance", () => {
      it("should revert exactly at free + 1 and pay exactly the free balance", async () => {
        const { vault, usdc, alpha, accounts: a } = await loadFixture(withDeposits);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(100) + 1n))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(alpha, await usdc.getAddress(), u(100), u(100) + 1n);
        await vault.connect(a.alice).withdraw(alpha, usdc, u(100));
        expect(await vault.balanceOf(alpha, usdc)).to.equal(0n);
      });

      it("should revert with a free balance of zero in a token the operator never held", async () => {
        const { vault, eurc, alpha, accounts: a } = await loadFixture(withDeposits);
        await expect(vault.connect(a.alice).withdraw(alpha, eurc, 1))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(alpha, await eurc.getAddress(), 0, 1);
      });

      it("should lock the collateral that an open net debit needs", async () => {
        const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(withDeposits);
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(80), REF);
        expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(20));
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(20) + 1n))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(alpha, await usdc.getAddress(), u(20), u(20) + 1n);
        await vault.connect(a.alice).withdraw(alpha, usdc, u(20));
        // The debit stays fully covered: -OP <= E.
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(80));
        expect(await vault.openPositionOf(alpha, usdc)).to.equal(-u(80));
      });

      it("should not let open-cycle credits be withdrawn until the cycle closes", async () => {
        const f = await loadFixture(withDeposits);
        const { vault, usdc, suite, alpha, beta, accounts: a } = f;
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), REF);
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(50));
        await expect(vault.connect(a.bob).withdraw(beta, usdc, u(80)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(beta, await usdc.getAddress(), u(50), u(80));
        await closeOpenCycle(f, usdc);
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(80));
        await expect(vault.connect(a.bob).withdraw(beta, usdc, u(80)))
          .to.emit(vault, "PositionSettled")
          .withArgs(beta, await usdc.getAddress(), 1, u(30));
        expect(await vault.balanceOf(beta, usdc)).to.equal(0n);
      });
    });

    describe("when the amount is within the free balance", () => {
      it("should pay the operator's payout address, lower the liabilities and emit Withdrawn", async () => {
        const { vault, usdc, alpha, accounts: a } = await loadFixture(withDeposits);
        const tx = vault.connect(a.alice).withdraw(alpha, usdc, u(40));
        await expect(tx)
          .to.emit(vault, "Withdrawn")
          .withArgs(alpha, await usdc.getAddress(), a.alicePayout.address, u(40));
        await expect(tx).to.changeTokenBalances(usdc, [vault, a.alicePayout, a.alice], [-u(40), u(40), 0]);
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(60));
        expect(await vault.totalLiabilities(usdc)).to.equal(u(110));
      });

      it("should pay a payout address changed in the registry", async () => {
        const { vault, usdc, registry, alpha, accounts: a } = await loadFixture(withDeposits);
        await registry.connect(a.alice).setPayout(alpha, a.dave);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(1)))
          .to.emit(vault, "Withdrawn")
          .withArgs(alpha, await usdc.getAddress(), a.dave.address, u(1));
      });

      it("should work while the vault is paused", async () => {
        const { vault, usdc, alpha, accounts: a } = await loadFixture(withDeposits);
        await vault.connect(a.pauser).pause();
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(100))).to.changeTokenBalance(
          usdc,
          a.alicePayout,
          u(100),
        );
      });

      it("should work while the operator is suspended, and after it exited", async () => {
        const f = await loadFixture(withDeposits);
        const { vault, usdc, registry, alpha, beta, accounts: a } = f;
        await registry.connect(a.pauser).suspendOperator(alpha, REASON);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(100))).to.changeTokenBalance(
          usdc,
          a.alicePayout,
          u(100),
        );
        await asGovernor(
          f,
          await registry.getAddress(),
          registry.interface.encodeFunctionData("exitOperator", [beta, REASON]),
        );
        await expect(vault.connect(a.bob).withdraw(beta, usdc, u(50))).to.changeTokenBalance(usdc, a.bobPayout, u(50));
      });

      it("should work after the token is disallowed", async () => {
        const f = await loadFixture(withDeposits);
        const { vault, usdc, alpha, accounts: a } = f;
        await asGovernor(
          f,
          await vault.getAddress(),
          vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]),
        );
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(100))).to.changeTokenBalance(
          usdc,
          a.alicePayout,
          u(100),
        );
      });
    });
  });
});
