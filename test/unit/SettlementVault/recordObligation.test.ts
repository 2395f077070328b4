import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setStorageAt, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");
const REF2 = ethers.id("voucher 17");
const UINT96_MAX = 2n ** 96n - 1n;
const INT96_MAX = 2n ** 95n - 1n;

/** Alpha has deposited 100 USDC, beta 50, gamma nothing. */
async function withDeposits(): Promise<VaultFixture> {
  const f = await deployVault();
  await f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(100));
  await f.vault.connect(f.accounts.bob).deposit(f.beta, f.usdc, u(50));
  return f;
}

async function closeOpenCycle(f: VaultFixture): Promise<void> {
  const { openEnd } = await f.vault.tokenConfig(f.usdc);
  if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
  await f.vault.closeCycle(f.usdc);
}

/**
 * The storage slot of `_accounts[token][operatorId]`: the fifth state variable (slot 4) of SettlementVault, after
 * AccessManaged's and Pausable's packed slot 0, `_suiteContracts` (1), `_tokens` (2) and `_liabilities` (3).
 * The test that uses it first checks it against {accountOf}.
 */
function accountSlot(token: string, operatorId: bigint): string {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const inner = ethers.keccak256(coder.encode(["address", "uint256"], [token, 4n]));
  return ethers.keccak256(coder.encode(["uint256", "bytes32"], [operatorId, inner]));
}

/** Packs an Account {uint112 balance; int96 position; uint32 cycle; uint16 queued} into its slot. */
function packAccount(balance: bigint, position: bigint, cycle: bigint, queued: bigint): bigint {
  return balance | (BigInt.asUintN(96, position) << 112n) | (cycle << 208n) | (queued << 240n);
}

describe("SettlementVault.recordObligation", () => {
  describe("when the caller is not a suite contract", () => {
    it("should revert for an attacker, the admin, the governor and a member's admin", async () => {
      const { vault, usdc, alpha, beta, accounts: a } = await loadFixture(withDeposits);
      for (const who of [a.eve, a.admin, a.governor, a.alice]) {
        await expect(vault.connect(who).recordObligation(alpha, beta, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NotSuiteContract")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is a suite contract", () => {
    describe("when the vault is paused", () => {
      it("should revert", async () => {
        const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(withDeposits);
        await vault.connect(a.pauser).pause();
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(1), REF)).to.be.revertedWithCustomError(
          vault,
          "EnforcedPause",
        );
      });
    });

    describe("when the token was never allowed", () => {
      it("should revert", async () => {
        const { vault, suite, alpha, beta } = await loadFixture(withDeposits);
        const never = ethers.Wallet.createRandom().address;
        await expect(vault.connect(suite).recordObligation(alpha, beta, never, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(never);
      });
    });

    describe("when the token was allowed and then disallowed (the review's freeze finding)", () => {
      async function disallowed(): Promise<VaultFixture> {
        const f = await loadFixture(withDeposits);
        const data = f.vault.interface.encodeFunctionData("disallowToken", [await f.usdc.getAddress()]);
        await f.manager.connect(f.accounts.governor).schedule(f.vault, data, 0);
        await time.increase(GOVERNOR_DELAY);
        await f.manager.connect(f.accounts.governor).execute(f.vault, data);
        return f;
      }

      it("should still record what is owed: applied when covered, queued when not", async () => {
        const f = await loadFixture(disallowed);
        const { vault, usdc, suite, alpha, beta } = f;
        const { cycle } = await vault.tokenConfig(usdc);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(1), REF))
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), alpha, beta, cycle, u(1), REF);
        const free = await vault.freeBalanceOf(alpha, usdc);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, free + 1n, REF2))
          .to.emit(vault, "ObligationQueued")
          .withArgs(await usdc.getAddress(), alpha, beta, 0, free + 1n, REF2);
      });

      it("should let a payer with obligations waiting deposit to pay them, and no one else", async () => {
        const f = await loadFixture(disallowed);
        const { vault, usdc, suite, alpha, beta, accounts: a } = f;
        await expect(vault.connect(a.bob).deposit(beta, usdc, u(1)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(await usdc.getAddress());
        const free = await vault.freeBalanceOf(alpha, usdc);
        await vault.connect(suite).recordObligation(alpha, beta, usdc, free + u(1), REF);
        await usdc.mint(a.alice, u(1));
        await usdc.connect(a.alice).approve(vault, u(1));
        await expect(vault.connect(a.alice).deposit(alpha, usdc, u(1))).to.emit(vault, "Deposited");
        await expect(vault.processQueue(alpha, usdc, 1)).to.emit(vault, "ObligationApplied");
        await expect(vault.connect(a.alice).deposit(alpha, usdc, u(1)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(await usdc.getAddress());
      });
    });

    describe("when the payer and the payee are the same operator", () => {
      it("should revert", async () => {
        const { vault, usdc, suite, alpha } = await loadFixture(withDeposits);
        await expect(vault.connect(suite).recordObligation(alpha, alpha, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_SelfObligation")
          .withArgs(alpha);
      });
    });

    describe("when the payer or the payee is id zero", () => {
      it("should revert with the zero id", async () => {
        const { vault, usdc, suite, alpha } = await loadFixture(withDeposits);
        for (const [payer, payee] of [
          [0n, alpha],
          [alpha, 0n],
        ]) {
          await expect(vault.connect(suite).recordObligation(payer, payee, usdc, u(1), REF))
            .to.be.revertedWithCustomError(vault, "SettlementVault_UnknownOperator")
            .withArgs(0);
        }
      });
    });

    describe("when the amount is out of range", () => {
      it("should revert for zero and above uint96", async () => {
        const { vault, usdc, suite, alpha, beta } = await loadFixture(withDeposits);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, 0, REF)).to.be.revertedWithCustomError(
          vault,
          "SettlementVault_ZeroAmount",
        );
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, UINT96_MAX + 1n, REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_AmountTooLarge")
          .withArgs(UINT96_MAX + 1n);
      });
    });

    describe("when the payer's effective balance covers its resulting net debit and nothing of it is queued", () => {
      it("should apply it to the open cycle, return true and emit ObligationApplied", async () => {
        const { vault, usdc, suite, alpha, beta } = await loadFixture(withDeposits);
        expect(await vault.connect(suite).recordObligation.staticCall(alpha, beta, usdc, u(80), REF)).to.equal(true);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(80), REF))
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), alpha, beta, 1, u(80), REF);
        expect(await vault.openPositionOf(alpha, usdc)).to.equal(-u(80));
        expect(await vault.openPositionOf(beta, usdc)).to.equal(u(80));
        expect(await vault.bilateralGross(usdc, 1, alpha, beta)).to.deep.equal([u(80), true]);
        // Nothing moves and nothing is owed more: balances change only at the close.
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(100));
        expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
        expect(await vault.queueLength(alpha, usdc)).to.equal(0n);
      });

      it("should apply a debit equal to the effective balance, and queue one unit more", async () => {
        const { vault, usdc, suite, alpha, beta, gamma } = await loadFixture(withDeposits);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(100), REF)).to.emit(
          vault,
          "ObligationApplied",
        );
        expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(0n);
        await expect(vault.connect(suite).recordObligation(alpha, gamma, usdc, 1n, REF))
          .to.emit(vault, "ObligationQueued")
          .withArgs(await usdc.getAddress(), alpha, gamma, 0, 1n, REF);
      });

      it("should count credits of the same cycle toward covering a debit", async () => {
        const { vault, usdc, suite, alpha, beta, gamma } = await loadFixture(withDeposits);
        // Gamma has no balance at all, but is owed 60 in this cycle: it may owe up to 60.
        await vault.connect(suite).recordObligation(alpha, gamma, usdc, u(60), REF);
        await expect(vault.connect(suite).recordObligation(gamma, beta, usdc, u(60), REF))
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), gamma, beta, 1, u(60), REF);
        expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
        await expect(vault.connect(suite).recordObligation(gamma, beta, usdc, 1n, REF)).to.emit(
          vault,
          "ObligationQueued",
        );
      });

      it("should accumulate the bilateral gross of a pair within the cycle, per direction", async () => {
        const { vault, usdc, suite, alpha, beta } = await loadFixture(withDeposits);
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(10), REF);
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(15), REF2);
        await vault.connect(suite).recordObligation(beta, alpha, usdc, u(4), REF);
        expect(await vault.bilateralGross(usdc, 1, alpha, beta)).to.deep.equal([u(25), true]);
        expect(await vault.bilateralGross(usdc, 1, beta, alpha)).to.deep.equal([u(4), true]);
        expect(await vault.openPositionOf(alpha, usdc)).to.equal(-u(21));
      });

      it("should first apply both members' positions of a closed cycle", async () => {
        const f = await loadFixture(withDeposits);
        const { vault, usdc, suite, alpha, beta } = f;
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), REF);
        await closeOpenCycle(f);
        const tx = vault.connect(suite).recordObligation(alpha, beta, usdc, u(70), REF2);
        await expect(tx)
          .to.emit(vault, "PositionSettled")
          .withArgs(alpha, await usdc.getAddress(), 1, -u(30));
        await expect(tx)
          .to.emit(vault, "PositionSettled")
          .withArgs(beta, await usdc.getAddress(), 1, u(30));
        await expect(tx)
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), alpha, beta, 2, u(70), REF2);
        const [aAcc, bAcc] = [await vault.accountOf(alpha, usdc), await vault.accountOf(beta, usdc)];
        expect([aAcc.balance, aAcc.position, aAcc.cycle]).to.deep.equal([u(70), -u(70), 2n]);
        expect([bAcc.balance, bAcc.position, bAcc.cycle]).to.deep.equal([u(80), u(70), 2n]);
      });
    });

    describe("when the payer's funds do not cover its resulting net debit", () => {
      it("should queue it whole, return false, emit ObligationQueued and leave every position", async () => {
        const { vault, usdc, suite, alpha, beta, gamma } = await loadFixture(withDeposits);
        expect(await vault.connect(suite).recordObligation.staticCall(beta, gamma, usdc, u(51), REF)).to.equal(false);
        await expect(vault.connect(suite).recordObligation(beta, gamma, usdc, u(51), REF))
          .to.emit(vault, "ObligationQueued")
          .withArgs(await usdc.getAddress(), beta, gamma, 0, u(51), REF);
        expect(await vault.openPositionOf(beta, usdc)).to.equal(0n);
        expect(await vault.openPositionOf(gamma, usdc)).to.equal(0n);
        expect(await vault.freeBalanceOf(beta, usdc)).to.equal(u(50));
        expect(await vault.bilateralGross(usdc, 1, beta, gamma)).to.deep.equal([0n, true]);
        expect(await vault.queueLength(beta, usdc)).to.equal(1n);
        const page = await vault.queuedObligations(beta, usdc, 0, 10);
        expect(page.map((e) => [e.payee, e.amount, e.ref])).to.deep.equal([[gamma, u(51), REF]]);
        // The payee's account is not written.
        expect((await vault.accountOf(gamma, usdc)).cycle).to.equal(0n);
        expect(await vault.openPositionOf(alpha, usdc)).to.equal(0n);
      });

      it("should queue later obligations of that payer behind it, even those its funds cover", async () => {
        const { vault, usdc, suite, alpha, beta, gamma } = await loadFixture(withDeposits);
        await vault.connect(suite).recordObligation(beta, gamma, usdc, u(51), REF);
        await expect(vault.connect(suite).recordObligation(beta, alpha, usdc, u(1), REF2))
          .to.emit(vault, "ObligationQueued")
          .withArgs(await usdc.getAddress(), beta, alpha, 1, u(1), REF2);
        expect(await vault.openPositionOf(beta, usdc)).to.equal(0n);
        expect(await vault.queueLength(beta, usdc)).to.equal(2n);
      });

      it("should not block other payers, nor the same payer in another token", async () => {
        const { vault, usdc, eurc, suite, alpha, beta, gamma, accounts: a } = await loadFixture(withDeposits);
        await vault.connect(a.bob).deposit(beta, eurc, u(5));
        await vault.connect(suite).recordObligation(beta, gamma, usdc, u(51), REF);
        await expect(vault.connect(suite).recordObligation(alpha, gamma, usdc, u(1), REF)).to.emit(
          vault,
          "ObligationApplied",
        );
        await expect(vault.connect(suite).recordObligation(beta, gamma, eurc, u(5), REF)).to.emit(
          vault,
          "ObligationApplied",
        );
      });

      it("should still apply the payer's position of a closed cycle (stored with the queue)", async () => {
        const f = await loadFixture(withDeposits);
        const { vault, usdc, suite, alpha, beta } = f;
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), REF);
        await closeOpenCycle(f);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(71), REF))
          .to.emit(vault, "PositionSettled")
          .withArgs(alpha, await usdc.getAddress(), 1, -u(30));
        const account = await vault.accountOf(alpha, usdc);
        expect([account.balance, account.position, account.cycle, account.queued]).to.deep.equal([u(70), 0n, 2n, 1n]);
      });
    });

    describe("when the payer already has 65,535 obligations waiting", () => {
      it("should revert until it deposits", async () => {
        const { vault, usdc, suite, alpha, beta, gamma } = await loadFixture(withDeposits);
        const slot = accountSlot(await usdc.getAddress(), gamma);
        // Check the slot computation against the contract's own view first (beta's account after its deposit).
        const betaWord = await ethers.provider.getStorage(vault, accountSlot(await usdc.getAddress(), beta));
        expect(BigInt(betaWord)).to.equal(packAccount(u(50), 0n, 1n, 0n));
        // Filling a queue by 65,534 transactions is too slow; write the counter as it would be.
        await setStorageAt(await vault.getAddress(), slot, packAccount(0n, 0n, 1n, 65_534n));
        expect(await vault.queueLength(gamma, usdc)).to.equal(65_534n);
        await expect(vault.connect(suite).recordObligation(gamma, alpha, usdc, u(1), REF))
          .to.emit(vault, "ObligationQueued")
          .withArgs(await usdc.getAddress(), gamma, alpha, 65_534, u(1), REF);
        await expect(vault.connect(suite).recordObligation(gamma, alpha, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_QueueFull")
          .withArgs(gamma, await usdc.getAddress());
      });
    });

    // Regression: positions were once int96, so an obligation of 2^95 or more (within the documented uint96 bound)
    // could never be applied and, once queued, blocked its payer's queue for ever. Positions are now int104.
    describe("when the amount is above int96 but within the documented uint96 bound", () => {
      it("should apply a covered obligation of 2^95", async () => {
        const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(withDeposits);
        await usdc.mint(a.alice, UINT96_MAX);
        await vault.connect(a.alice).deposit(alpha, usdc, UINT96_MAX);
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, INT96_MAX + 1n, REF))
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), alpha, beta, 1, INT96_MAX + 1n, REF);
      });

      it("should not let an accepted obligation block its payer's queue for ever", async () => {
        const { vault, usdc, suite, alpha, beta, gamma, accounts: a } = await loadFixture(withDeposits);
        const huge = INT96_MAX + 1n;
        // Gamma holds nothing: the obligation is accepted into its queue.
        await expect(vault.connect(suite).recordObligation(gamma, beta, usdc, huge, REF)).to.emit(
          vault,
          "ObligationQueued",
        );
        await usdc.mint(a.carol, UINT96_MAX);
        await vault.connect(a.carol).deposit(gamma, usdc, UINT96_MAX);
        // Gamma's funds now cover it, so processing must apply it.
        await expect(vault.processQueue(gamma, usdc, 1))
          .to.emit(vault, "ObligationApplied")
          .withArgs(await usdc.getAddress(), gamma, beta, 1, huge, REF);
        expect(await vault.queueLength(gamma, usdc)).to.equal(0n);
        await expect(vault.connect(suite).recordObligation(gamma, alpha, usdc, u(1), REF)).to.emit(
          vault,
          "ObligationApplied",
        );
      });
    });
  });
});
