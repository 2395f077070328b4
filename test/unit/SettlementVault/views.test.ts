import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const ref = (i: number) => ethers.id(`ref ${i}`);

async function closeOpenCycle(f: VaultFixture): Promise<void> {
  const { openEnd } = await f.vault.tokenConfig(f.usdc);
  if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
  await f.vault.closeCycle(f.usdc);
}

/** Alpha deposited 100 and owes beta 30 in cycle 1; beta deposited 50. */
async function withObligation(): Promise<VaultFixture> {
  const f = await deployVault();
  const { vault, usdc, suite, alpha, beta, accounts: a } = f;
  await vault.connect(a.alice).deposit(alpha, usdc, u(100));
  await vault.connect(a.bob).deposit(beta, usdc, u(50));
  await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), ref(0));
  return f;
}

/** Gamma holds nothing and owes alpha 1, 2, 3, 4 and 5 USDC, all queued (refs 1 to 5). */
async function withFiveQueued(): Promise<VaultFixture> {
  const f = await deployVault();
  for (let i = 1; i <= 5; ++i) {
    await f.vault.connect(f.suite).recordObligation(f.gamma, f.alpha, f.usdc, u(i), ref(i));
  }
  return f;
}

describe("SettlementVault views", () => {
  describe("registry, isSuiteContract and tokenConfig", () => {
    it("should report the registry, the suite list and a never-allowed token as all zero", async () => {
      const { vault, registry, suite, accounts: a } = await loadFixture(deployVault);
      expect(await vault.registry()).to.equal(await registry.getAddress());
      expect(await vault.isSuiteContract(suite)).to.equal(true);
      expect(await vault.isSuiteContract(a.eve)).to.equal(false);
      const config = await vault.tokenConfig(ethers.Wallet.createRandom().address);
      expect([...config]).to.deep.equal([false, 0n, 0n, 0n, 0n, 0n]);
    });
  });

  describe("balanceOf, freeBalanceOf, openPositionOf and accountOf", () => {
    describe("when the operator never touched the token", () => {
      it("should report zeros", async () => {
        const { vault, usdc, gamma } = await loadFixture(withObligation);
        expect(await vault.balanceOf(gamma, usdc)).to.equal(0n);
        expect(await vault.freeBalanceOf(gamma, usdc)).to.equal(0n);
        expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
        expect([...(await vault.accountOf(gamma, usdc))]).to.deep.equal([0n, 0n, 0n, 0n]);
      });
    });

    describe("when the cycle is open", () => {
      it("should report the settled balance, the open position and the free balance net of a debit", async () => {
        const { vault, usdc, alpha, beta } = await loadFixture(withObligation);
        expect([
          await vault.balanceOf(alpha, usdc),
          await vault.openPositionOf(alpha, usdc),
          await vault.freeBalanceOf(alpha, usdc),
        ]).to.deep.equal([u(100), -u(30), u(70)]);
        expect([
          await vault.balanceOf(beta, usdc),
          await vault.openPositionOf(beta, usdc),
          await vault.freeBalanceOf(beta, usdc),
        ]).to.deep.equal([u(50), u(30), u(50)]);
      });
    });

    describe("when the cycle closed and nobody touched the accounts since", () => {
      it("should report effective figures, while accountOf still shows the stored ones", async () => {
        const f = await loadFixture(withObligation);
        const { vault, usdc, alpha, beta } = f;
        await closeOpenCycle(f);
        expect([
          await vault.balanceOf(alpha, usdc),
          await vault.openPositionOf(alpha, usdc),
          await vault.freeBalanceOf(alpha, usdc),
        ]).to.deep.equal([u(70), 0n, u(70)]);
        expect([
          await vault.balanceOf(beta, usdc),
          await vault.openPositionOf(beta, usdc),
          await vault.freeBalanceOf(beta, usdc),
        ]).to.deep.equal([u(80), 0n, u(80)]);
        expect([...(await vault.accountOf(alpha, usdc))]).to.deep.equal([u(100), -u(30), 1n, 0n]);
        expect([...(await vault.accountOf(beta, usdc))]).to.deep.equal([u(50), u(30), 1n, 0n]);
      });
    });
  });

  describe("bilateralGross", () => {
    describe("when the cycle is after the token's open cycle", () => {
      it("should revert with the open cycle, also for a token never allowed", async () => {
        const { vault, usdc, alpha, beta } = await loadFixture(withObligation);
        await expect(vault.bilateralGross(usdc, 2, alpha, beta))
          .to.be.revertedWithCustomError(vault, "SettlementVault_FutureCycle")
          .withArgs(await usdc.getAddress(), 2, 1);
        const never = ethers.Wallet.createRandom().address;
        await expect(vault.bilateralGross(never, 1, alpha, beta))
          .to.be.revertedWithCustomError(vault, "SettlementVault_FutureCycle")
          .withArgs(never, 1, 0);
      });
    });

    describe("when the pair's latest obligation is in the cycle asked about", () => {
      it("should return the gross amount, retained, for that direction only", async () => {
        const { vault, usdc, alpha, beta } = await loadFixture(withObligation);
        expect(await vault.bilateralGross(usdc, 1, alpha, beta)).to.deep.equal([u(30), true]);
        expect(await vault.bilateralGross(usdc, 1, beta, alpha)).to.deep.equal([0n, true]);
      });
    });

    describe("when the pair had no obligation in or after the cycle asked about", () => {
      it("should return zero, retained (the pair had none then)", async () => {
        const f = await loadFixture(withObligation);
        const { vault, usdc, alpha, beta, gamma } = f;
        expect(await vault.bilateralGross(usdc, 1, alpha, gamma)).to.deep.equal([0n, true]);
        await closeOpenCycle(f);
        expect(await vault.bilateralGross(usdc, 2, alpha, beta)).to.deep.equal([0n, true]);
        expect(await vault.bilateralGross(usdc, 1, alpha, beta)).to.deep.equal([u(30), true]); // still the latest
      });
    });

    describe("when the pair had an obligation in a later cycle", () => {
      it("should return zero, not retained: the figure must be rebuilt from ObligationApplied events", async () => {
        const f = await loadFixture(withObligation);
        const { vault, usdc, suite, alpha, beta } = f;
        await closeOpenCycle(f);
        await closeOpenCycle(f);
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(5), ref(1));
        expect(await vault.bilateralGross(usdc, 3, alpha, beta)).to.deep.equal([u(5), true]);
        expect(await vault.bilateralGross(usdc, 2, alpha, beta)).to.deep.equal([0n, false]);
        expect(await vault.bilateralGross(usdc, 1, alpha, beta)).to.deep.equal([0n, false]);
        const events = await vault.queryFilter(vault.filters.ObligationApplied(usdc, alpha, beta));
        expect(events.filter((e) => e.args.cycle === 1n).reduce((s, e) => s + e.args.amount, 0n)).to.equal(u(30));
      });
    });
  });

  describe("queueLength and queuedObligations", () => {
    it("should page through the queue oldest first", async () => {
      const { vault, usdc, alpha, gamma } = await loadFixture(withFiveQueued);
      const page = async (offset: number, limit: number | bigint) =>
        (await vault.queuedObligations(gamma, usdc, offset, limit)).map((e) => [e.payee, e.amount, e.ref]);
      expect(await vault.queueLength(gamma, usdc)).to.equal(5n);
      expect(await page(0, 2)).to.deep.equal([
        [alpha, u(1), ref(1)],
        [alpha, u(2), ref(2)],
      ]);
      expect(await page(2, 2)).to.deep.equal([
        [alpha, u(3), ref(3)],
        [alpha, u(4), ref(4)],
      ]);
      expect(await page(4, 2)).to.deep.equal([[alpha, u(5), ref(5)]]);
      expect(await page(1, ethers.MaxUint256)).to.have.length(4);
      expect(await page(5, 2)).to.deep.equal([]);
      expect(await page(0, 0)).to.deep.equal([]);
      expect(await vault.queuedObligations(alpha, usdc, 0, 10)).to.deep.equal([]);
    });

    it("should start at the oldest entry still waiting once some were applied", async () => {
      const { vault, usdc, alpha, gamma, accounts: a } = await loadFixture(withFiveQueued);
      await vault.connect(a.carol).deposit(gamma, usdc, u(3));
      await vault.processQueue(gamma, usdc, 5); // applies 1 and 2
      expect(await vault.queueLength(gamma, usdc)).to.equal(3n);
      const rest = await vault.queuedObligations(gamma, usdc, 0, 10);
      expect(rest.map((e) => [e.payee, e.amount, e.ref])).to.deep.equal([
        [alpha, u(3), ref(3)],
        [alpha, u(4), ref(4)],
        [alpha, u(5), ref(5)],
      ]);
      expect((await vault.queuedObligations(gamma, usdc, 2, 10)).map((e) => e.amount)).to.deep.equal([u(5)]);
    });
  });

  describe("totalLiabilities and surplus", () => {
    it("should count deposits minus withdrawals, whatever obligations, transfers and closes happen", async () => {
      const f = await loadFixture(withObligation);
      const { vault, usdc, suite, alpha, beta, gamma, accounts: a } = f;
      expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
      await vault.connect(suite).transferFree(beta, gamma, usdc, u(10), ref(1));
      await closeOpenCycle(f);
      expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
      await vault.connect(a.alice).withdraw(alpha, usdc, u(70));
      expect(await vault.totalLiabilities(usdc)).to.equal(u(80));
      const effective = await Promise.all([alpha, beta, gamma].map((id) => vault.balanceOf(id, usdc)));
      expect(effective.reduce((s, b) => s + b, 0n)).to.equal(u(80));
      expect(await vault.totalLiabilities(f.eurc)).to.equal(0n);
    });

    it("should report as surplus only what the vault holds above its liabilities", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(withObligation);
      expect(await vault.surplus(usdc)).to.equal(0n);
      await usdc.connect(a.carol).transfer(vault, u(2));
      expect(await vault.surplus(usdc)).to.equal(u(2));
      expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
    });
  });
});
