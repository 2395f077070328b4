import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { MockStablecoin } from "../../../sdk/src/typechain";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { CYCLE, USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");

/**
 * Cycle 1 of USDC with a net: alpha deposited 100 and owes beta 80; beta deposited 50 and owes gamma 30.
 * Positions: alpha -80, beta +50, gamma +30.
 */
async function withOpenPositions(): Promise<VaultFixture> {
  const f = await deployVault();
  const { vault, usdc, suite, alpha, beta, gamma, accounts: a } = f;
  await vault.connect(a.alice).deposit(alpha, usdc, u(100));
  await vault.connect(a.bob).deposit(beta, usdc, u(50));
  await vault.connect(suite).recordObligation(alpha, beta, usdc, u(80), REF);
  await vault.connect(suite).recordObligation(beta, gamma, usdc, u(30), REF);
  return f;
}

async function rawAccounts(f: VaultFixture, token: MockStablecoin) {
  return Promise.all([f.alpha, f.beta, f.gamma].map(async (id) => [...(await f.vault.accountOf(id, token))]));
}

describe("SettlementVault.closeCycle", () => {
  describe("when the token was never allowed", () => {
    it("should revert", async () => {
      const { vault } = await loadFixture(deployVault);
      const token = ethers.Wallet.createRandom().address;
      await expect(vault.closeCycle(token))
        .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
        .withArgs(token);
    });
  });

  describe("when the open cycle has not ended", () => {
    it("should revert one second before its end, with the end", async () => {
      const { vault, usdc } = await loadFixture(deployVault);
      const { openEnd } = await vault.tokenConfig(usdc);
      await time.setNextBlockTimestamp(openEnd - 1n);
      await expect(vault.closeCycle(usdc))
        .to.be.revertedWithCustomError(vault, "SettlementVault_CycleNotEnded")
        .withArgs(await usdc.getAddress(), openEnd);
    });

    it("should revert for the cycle that a close just opened", async () => {
      const { vault, usdc } = await loadFixture(deployVault);
      await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
      await vault.closeCycle(usdc);
      const { openEnd } = await vault.tokenConfig(usdc);
      await expect(vault.closeCycle(usdc))
        .to.be.revertedWithCustomError(vault, "SettlementVault_CycleNotEnded")
        .withArgs(await usdc.getAddress(), openEnd);
    });
  });

  describe("when the open cycle has ended", () => {
    it("should let anyone close it at its end, open the next one and emit CycleClosed", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(deployVault);
      const { openEnd } = await vault.tokenConfig(usdc);
      await time.setNextBlockTimestamp(openEnd);
      await expect(vault.connect(a.eve).closeCycle(usdc))
        .to.emit(vault, "CycleClosed")
        .withArgs(await usdc.getAddress(), 1, openEnd, openEnd + BigInt(CYCLE));
      const config = await vault.tokenConfig(usdc);
      expect([config.cycle, config.openEnd, config.cycleLength]).to.deep.equal([
        2n,
        openEnd + BigInt(CYCLE),
        BigInt(CYCLE),
      ]);
    });

    it("should start the next cycle at the close, not at the old end, when closed late", async () => {
      const { vault, usdc } = await loadFixture(deployVault);
      const { openEnd } = await vault.tokenConfig(usdc);
      const late = openEnd + 3n * 24n * 3600n;
      await time.setNextBlockTimestamp(late);
      await expect(vault.closeCycle(usdc))
        .to.emit(vault, "CycleClosed")
        .withArgs(await usdc.getAddress(), 1, late, late + BigInt(CYCLE));
    });

    it("should close only that token's cycle", async () => {
      const { vault, usdc, eurc } = await loadFixture(deployVault);
      const eurcBefore = await vault.tokenConfig(eurc);
      await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
      await vault.closeCycle(usdc);
      expect([...(await vault.tokenConfig(eurc))]).to.deep.equal([...eurcBefore]);
    });

    it("should close while the vault is paused and after the token is disallowed", async () => {
      const f = await loadFixture(deployVault);
      const { vault, usdc, accounts: a } = f;
      await vault.connect(a.pauser).pause();
      const data = vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]);
      await f.manager.connect(a.governor).schedule(vault, data, 0);
      await time.increase(GOVERNOR_DELAY);
      await f.manager.connect(a.governor).execute(vault, data);
      await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
      await expect(vault.closeCycle(usdc)).to.emit(vault, "CycleClosed");
      expect((await vault.tokenConfig(usdc)).cycle).to.equal(2n);
    });

    describe("when members hold positions in it (O(1): applied lazily)", () => {
      it("should write no member's account and emit nothing but CycleClosed", async () => {
        const f = await loadFixture(withOpenPositions);
        const { vault, usdc } = f;
        const before = await rawAccounts(f, usdc);
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        const receipt = await (await vault.closeCycle(usdc)).wait();
        expect(receipt!.logs.length).to.equal(1);
        expect(vault.interface.parseLog(receipt!.logs[0])!.name).to.equal("CycleClosed");
        expect(await rawAccounts(f, usdc)).to.deep.equal(before);
      });

      it("should show the positions as balances in the views at once", async () => {
        const f = await loadFixture(withOpenPositions);
        const { vault, usdc, alpha, beta, gamma } = f;
        const ids = [alpha, beta, gamma];
        const view = async () =>
          Promise.all(
            ids.map(async (id) => [
              await vault.balanceOf(id, usdc),
              await vault.freeBalanceOf(id, usdc),
              await vault.openPositionOf(id, usdc),
            ]),
          );
        expect(await view()).to.deep.equal([
          [u(100), u(20), -u(80)],
          [u(50), u(50), u(50)], // +80 -30; credits are not free before the close
          [0n, 0n, u(30)],
        ]);
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        await vault.closeCycle(usdc);
        expect(await view()).to.deep.equal([
          [u(20), u(20), 0n],
          [u(100), u(100), 0n],
          [u(30), u(30), 0n],
        ]);
        // Effective balances add up to what the vault holds.
        expect(u(20) + u(100) + u(30)).to.equal(await vault.totalLiabilities(usdc));
      });

      it("should apply each member's closed position at its next touch, once, with PositionSettled", async () => {
        const f = await loadFixture(withOpenPositions);
        const { vault, usdc, alpha, accounts: a } = f;
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        await vault.closeCycle(usdc);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(1)))
          .to.emit(vault, "PositionSettled")
          .withArgs(alpha, await usdc.getAddress(), 1, -u(80));
        const account = await vault.accountOf(alpha, usdc);
        expect([account.balance, account.position, account.cycle]).to.deep.equal([u(19), 0n, 2n]);
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(1))).to.not.emit(vault, "PositionSettled");
      });

      it("should apply a position even when several cycles closed since", async () => {
        const f = await loadFixture(withOpenPositions);
        const { vault, usdc, gamma, accounts: a } = f;
        for (let i = 0; i < 3; ++i) {
          await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
          await vault.closeCycle(usdc);
        }
        expect(await vault.balanceOf(gamma, usdc)).to.equal(u(30));
        await expect(vault.connect(a.carol).withdraw(gamma, usdc, u(30)))
          .to.emit(vault, "PositionSettled")
          .withArgs(gamma, await usdc.getAddress(), 1, u(30));
        expect((await vault.accountOf(gamma, usdc)).cycle).to.equal(4n);
      });
    });
  });
});
