import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole USDC, as the example counts. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const ref = (n: number) => ethers.id(`worked example obligation ${n}`);

/**
 * docs/ARCHITECTURE.md section 8, "Worked example", reproduced step by step: A = alpha (admin alice), B = beta (bob),
 * C = gamma (carol); USDC with a 7-day cycle. Every number of both tables is asserted.
 */
describe("SettlementVault: the worked example of docs/ARCHITECTURE.md section 8", () => {
  async function start(): Promise<VaultFixture> {
    const f = await deployVault();
    // At the start A has deposited 100, B 50 and C nothing.
    await f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(100));
    await f.vault.connect(f.accounts.bob).deposit(f.beta, f.usdc, u(50));
    return f;
  }

  it("should give every figure of cycle 1 and cycle 2", async () => {
    const f = await loadFixture(start);
    const { vault, usdc, suite, alpha: A, beta: B, gamma: C, accounts: a } = f;
    const token = await usdc.getAddress();
    const positions = async () => Promise.all([A, B, C].map((id) => vault.openPositionOf(id, usdc)));
    const balances = async () => Promise.all([A, B, C].map((id) => vault.balanceOf(id, usdc)));
    const frees = async () => Promise.all([A, B, C].map((id) => vault.freeBalanceOf(id, usdc)));

    // ---------------------------------------------------------------- Cycle 1
    expect((await vault.tokenConfig(usdc)).cycle).to.equal(1n);
    expect((await vault.tokenConfig(usdc)).cycleLength).to.equal(7n * 24n * 3600n);
    expect(await balances()).to.deep.equal([u(100), u(50), 0n]);

    // 1. A owes B 80: debit 80 <= 100, applied.
    await expect(vault.connect(suite).recordObligation(A, B, usdc, u(80), ref(1)))
      .to.emit(vault, "ObligationApplied")
      .withArgs(token, A, B, 1, u(80), ref(1));
    expect(await positions()).to.deep.equal([-u(80), u(80), 0n]);

    // 2. B owes C 120: +80 - 120, debit 40 <= 50, applied.
    await expect(vault.connect(suite).recordObligation(B, C, usdc, u(120), ref(2)))
      .to.emit(vault, "ObligationApplied")
      .withArgs(token, B, C, 1, u(120), ref(2));
    expect(await positions()).to.deep.equal([-u(80), -u(40), u(120)]);

    // 3. C owes A 60: +120 - 60 = +60, no debit, applied (C has no balance at all).
    await expect(vault.connect(suite).recordObligation(C, A, usdc, u(60), ref(3)))
      .to.emit(vault, "ObligationApplied")
      .withArgs(token, C, A, 1, u(60), ref(3));
    expect(await positions()).to.deep.equal([-u(20), -u(40), u(60)]);

    // 4. C owes B 30: +60 - 30 = +30, no debit, applied.
    await expect(vault.connect(suite).recordObligation(C, B, usdc, u(30), ref(4)))
      .to.emit(vault, "ObligationApplied")
      .withArgs(token, C, B, 1, u(30), ref(4));
    expect(await positions()).to.deep.equal([-u(20), -u(10), u(30)]);

    // 5. A owes C 150: -20 - 150, debit 170 > 100, queued; positions unchanged.
    await expect(vault.connect(suite).recordObligation(A, C, usdc, u(150), ref(5)))
      .to.emit(vault, "ObligationQueued")
      .withArgs(token, A, C, 0, u(150), ref(5));
    expect(await positions()).to.deep.equal([-u(20), -u(10), u(30)]);

    // Positions sum to 0. Free balances during the cycle: A 80, B 40, C 0.
    expect((await positions()).reduce((s, p) => s + p, 0n)).to.equal(0n);
    expect(await frees()).to.deep.equal([u(80), u(40), 0n]);
    // C's +30 is withdrawable only after the close.
    await expect(vault.connect(a.carol).withdraw(C, usdc, u(30)))
      .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
      .withArgs(C, token, 0, u(30));

    // Bilateral gross: A->B 80, B->C 120, C->A 60, C->B 30: 290 in four payments.
    const gross = [
      [A, B, u(80)],
      [B, C, u(120)],
      [C, A, u(60)],
      [C, B, u(30)],
    ] as const;
    let grossTotal = 0n;
    for (const [payer, payee, amount] of gross) {
      expect(await vault.bilateralGross(usdc, 1, payer, payee)).to.deep.equal([amount, true]);
      grossTotal += amount;
    }
    expect(grossTotal).to.equal(u(290));
    expect(await vault.bilateralGross(usdc, 1, A, C)).to.deep.equal([0n, true]); // obligation 5 is not applied
    // Netted, A pays 20 and B pays 10, both to C.
    expect(await positions()).to.deep.equal([-u(20), -u(10), u(30)]);

    // After 7 days anyone calls closeCycle: no member's storage is written...
    const stored = async () => Promise.all([A, B, C].map(async (id) => [...(await vault.accountOf(id, usdc))]));
    const before = await stored();
    await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
    const close1 = await (await vault.connect(a.eve).closeCycle(usdc)).wait();
    expect(close1!.logs.length).to.equal(1); // CycleClosed only
    expect(await stored()).to.deep.equal(before);
    // ...yet the views show effective balances A 80, B 40, C 30.
    expect(await balances()).to.deep.equal([u(80), u(40), u(30)]);
    // Obligation 5 waits in A's queue, visible to C.
    expect(await vault.queueLength(A, usdc)).to.equal(1n);
    const queued = await vault.queuedObligations(A, usdc, 0, 10);
    expect(queued.map((e) => [e.payee, e.amount, e.ref])).to.deep.equal([[C, u(150), ref(5)]]);

    // ---------------------------------------------------------------- Cycle 2
    expect((await vault.tokenConfig(usdc)).cycle).to.equal(2n);

    // 1. A deposits 100: touch A, its cycle-1 position applies, 100 - 20 = 80; after the deposit A's balance is 180.
    await expect(vault.connect(a.alice).deposit(A, usdc, u(100)))
      .to.emit(vault, "PositionSettled")
      .withArgs(A, token, 1, -u(20));
    expect([...(await vault.accountOf(A, usdc))]).to.deep.equal([u(180), 0n, 2n, 1n]);

    // 2. processQueue(A, USDC, 10): touch C, balance 0 + 30 = 30. Obligation 5: 150 <= 180 + 0, applied: A -150, C +150.
    const process = vault.connect(a.eve).processQueue(A, usdc, 10);
    await expect(process).to.emit(vault, "PositionSettled").withArgs(C, token, 1, u(30));
    await expect(process).to.emit(vault, "ObligationApplied").withArgs(token, A, C, 2, u(150), ref(5));
    expect([...(await vault.accountOf(C, usdc))]).to.deep.equal([u(30), u(150), 2n, 0n]);
    expect(await positions()).to.deep.equal([-u(150), 0n, u(150)]);
    expect(await vault.queueLength(A, usdc)).to.equal(0n);

    // 3. B owes A 40: touch B, balance 50 - 10 = 40. Debit 40 <= 40, applied: B -40, A -110.
    const third = vault.connect(suite).recordObligation(B, A, usdc, u(40), ref(6));
    await expect(third).to.emit(vault, "PositionSettled").withArgs(B, token, 1, -u(10));
    await expect(third).to.emit(vault, "ObligationApplied").withArgs(token, B, A, 2, u(40), ref(6));
    expect([...(await vault.accountOf(B, usdc))]).to.deep.equal([u(40), -u(40), 2n, 0n]);
    expect(await positions()).to.deep.equal([-u(110), -u(40), u(150)]);

    // 4. C withdraws 30: free = 30 + min(0, +150) = 30, so it succeeds; C's balance becomes 0.
    expect(await vault.freeBalanceOf(C, usdc)).to.equal(u(30));
    await expect(vault.connect(a.carol).withdraw(C, usdc, u(30)))
      .to.emit(vault, "Withdrawn")
      .withArgs(C, token, a.carol.address, u(30));
    expect(await vault.balanceOf(C, usdc)).to.equal(0n);

    // 5. A tries to withdraw 100: free = 180 - 110 = 70, so it reverts InsufficientFreeBalance(A, USDC, 70, 100).
    expect(await vault.freeBalanceOf(A, usdc)).to.equal(u(70));
    await expect(vault.connect(a.alice).withdraw(A, usdc, u(100)))
      .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
      .withArgs(A, token, u(70), u(100));

    // After cycle 2 closes, the positions are A -110, B -40, C +150, summing to 0...
    await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
    await vault.closeCycle(usdc);
    const cycle2 = await Promise.all([A, B, C].map(async (id) => (await vault.accountOf(id, usdc)).position));
    expect(cycle2).to.deep.equal([-u(110), -u(40), u(150)]);
    expect(cycle2.reduce((s, p) => s + p, 0n)).to.equal(0n);
    // ...the effective balances are A 70, B 0, C 150, 220 in total...
    expect(await balances()).to.deep.equal([u(70), 0n, u(150)]);
    // ...which matches the vault's holdings: 250 deposited minus 30 withdrawn.
    expect(await usdc.balanceOf(vault)).to.equal(u(250) - u(30));
    expect(await vault.totalLiabilities(usdc)).to.equal(u(220));
    expect(await vault.surplus(usdc)).to.equal(0n);
  });
});
