import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { FeeOnTransferToken, NoReturnToken, ReentrantToken, ReturnFalseToken } from "../../../sdk/src/typechain";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { CYCLE, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

const E18 = 10n ** 18n;
const REF = ethers.id("clearing batch 2026-W48");

interface MaliciousFixture extends VaultFixture {
  fee: FeeOnTransferToken;
  noReturn: NoReturnToken;
  returnFalse: ReturnFalseToken;
  reentrant: ReentrantToken;
}

/**
 * The vault fixture plus the four misbehaving tokens of contracts/mocks/MaliciousTokens.sol, each allowed by the
 * governor (a token must be on the allow-list before the vault touches it) and held by alice, approved to the vault.
 */
async function withMaliciousTokens(): Promise<MaliciousFixture> {
  const f = await deployVault();
  const { vault, manager, accounts: a } = f;
  const deploy = async (name: string) => (await ethers.getContractFactory(name)).deploy();
  const fee = (await deploy("FeeOnTransferToken")) as unknown as FeeOnTransferToken;
  const noReturn = (await deploy("NoReturnToken")) as unknown as NoReturnToken;
  const returnFalse = (await deploy("ReturnFalseToken")) as unknown as ReturnFalseToken;
  const reentrant = (await deploy("ReentrantToken")) as unknown as ReentrantToken;
  for (const token of [fee, noReturn, returnFalse, reentrant]) {
    const data = vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), CYCLE]);
    await manager.connect(a.governor).schedule(vault, data, 0);
    await time.increase(GOVERNOR_DELAY);
    await manager.connect(a.governor).execute(vault, data);
    await token.mint(a.alice, 1_000n * E18);
    await token.connect(a.alice).approve(vault, ethers.MaxUint256);
  }
  return { ...f, fee, noReturn, returnFalse, reentrant };
}

describe("SettlementVault with misbehaving tokens", () => {
  describe("when the token keeps a fee on transfer", () => {
    it("should refuse the deposit with TransferMismatch(expected, received) and credit nothing", async () => {
      const { vault, fee, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
      await expect(vault.connect(a.alice).deposit(alpha, fee, 100n * E18))
        .to.be.revertedWithCustomError(vault, "SettlementVault_TransferMismatch")
        .withArgs(100n * E18, 99n * E18);
      expect(await vault.balanceOf(alpha, fee)).to.equal(0n);
      expect(await fee.balanceOf(vault)).to.equal(0n);
    });
  });

  describe("when the token returns nothing from transfer and transferFrom (USDT-like)", () => {
    it("should accept deposits and pay withdrawals through SafeERC20", async () => {
      const { vault, noReturn, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
      await expect(vault.connect(a.alice).deposit(alpha, noReturn, 100n * E18))
        .to.emit(vault, "Deposited")
        .withArgs(alpha, await noReturn.getAddress(), a.alice.address, 100n * E18);
      expect(await noReturn.balanceOf(vault)).to.equal(100n * E18);
      await expect(vault.connect(a.alice).withdraw(alpha, noReturn, 40n * E18))
        .to.emit(vault, "Withdrawn")
        .withArgs(alpha, await noReturn.getAddress(), a.alicePayout.address, 40n * E18);
      expect(await noReturn.balanceOf(a.alicePayout)).to.equal(40n * E18);
      expect(await vault.balanceOf(alpha, noReturn)).to.equal(60n * E18);
    });

    it("should ignore the missing permit function of depositWithPermit and use the allowance", async () => {
      const { vault, noReturn, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
      const junk = ethers.id("junk");
      await expect(vault.connect(a.alice).depositWithPermit(alpha, noReturn, E18, 0, 27, junk, junk)).to.emit(
        vault,
        "Deposited",
      );
    });
  });

  describe("when the token returns false instead of reverting", () => {
    it("should refuse a deposit whose transferFrom returned false (SafeERC20FailedOperation)", async () => {
      const { vault, returnFalse, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
      await returnFalse.setFailTransfers(true);
      await expect(vault.connect(a.alice).deposit(alpha, returnFalse, E18))
        .to.be.revertedWithCustomError(vault, "SafeERC20FailedOperation")
        .withArgs(await returnFalse.getAddress());
      expect(await vault.balanceOf(alpha, returnFalse)).to.equal(0n);
    });

    it("should revert a withdrawal whose transfer returned false, keeping the member's balance", async () => {
      const { vault, returnFalse, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
      await vault.connect(a.alice).deposit(alpha, returnFalse, 5n * E18);
      await returnFalse.setFailTransfers(true);
      await expect(vault.connect(a.alice).withdraw(alpha, returnFalse, 5n * E18))
        .to.be.revertedWithCustomError(vault, "SafeERC20FailedOperation")
        .withArgs(await returnFalse.getAddress());
      expect(await vault.balanceOf(alpha, returnFalse)).to.equal(5n * E18);
      expect(await vault.totalLiabilities(returnFalse)).to.equal(5n * E18);
    });
  });

  describe("when the token calls back into the vault during a transfer", () => {
    describe("when it re-enters during a deposit's transferFrom", () => {
      it("should stop a re-entry into withdraw and into deposit with ReentrancyGuardReentrantCall", async () => {
        const { vault, reentrant, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
        await vault.connect(a.alice).deposit(alpha, reentrant, 10n * E18);
        const payloads = [
          vault.interface.encodeFunctionData("withdraw", [alpha, await reentrant.getAddress(), 10n * E18]),
          vault.interface.encodeFunctionData("deposit", [alpha, await reentrant.getAddress(), E18]),
        ];
        for (const payload of payloads) {
          await reentrant.arm(vault, payload);
          await expect(vault.connect(a.alice).deposit(alpha, reentrant, E18)).to.be.revertedWithCustomError(
            vault,
            "ReentrancyGuardReentrantCall",
          );
        }
        expect(await vault.balanceOf(alpha, reentrant)).to.equal(10n * E18);
        expect(await reentrant.balanceOf(vault)).to.equal(10n * E18);
      });
    });

    describe("when it re-enters during a withdrawal's transfer", () => {
      it("should stop a re-entry into withdraw and into deposit with ReentrancyGuardReentrantCall", async () => {
        const { vault, reentrant, alpha, accounts: a } = await loadFixture(withMaliciousTokens);
        await vault.connect(a.alice).deposit(alpha, reentrant, 10n * E18);
        const payloads = [
          vault.interface.encodeFunctionData("withdraw", [alpha, await reentrant.getAddress(), 5n * E18]),
          vault.interface.encodeFunctionData("deposit", [alpha, await reentrant.getAddress(), E18]),
        ];
        for (const payload of payloads) {
          await reentrant.arm(vault, payload);
          await expect(vault.connect(a.alice).withdraw(alpha, reentrant, 5n * E18)).to.be.revertedWithCustomError(
            vault,
            "ReentrancyGuardReentrantCall",
          );
        }
        expect(await vault.balanceOf(alpha, reentrant)).to.equal(10n * E18);
        expect(await reentrant.balanceOf(a.alicePayout)).to.equal(0n);
      });
    });

    // Why the functions without `nonReentrant` are safe from a token's callback:
    // - recordObligation and transferFree are `onlySuite`: a token (or anything it calls on an attacker's behalf) is
    //   not on the suite list, so a callback gets SettlementVault_NotSuiteContract.
    // - closeCycle only advances the token's cycle counter once its end has passed; it reads and writes no account.
    // - processQueue makes no external call and moves no token: it only turns queued obligations into positions, and
    //   only as far as the payer's *accounted* funds cover them. The two guarded functions that do call the token keep
    //   their accounting consistent at the moment of the call: a deposit credits the member only after the transfer
    //   (so during the callback the incoming tokens are not yet funds), and a withdrawal debits the member before the
    //   transfer (checks-effects-interactions; so during the callback the outgoing tokens are no longer funds). A
    //   callback into processQueue therefore sees either the state before the deposit or the state after the
    //   withdrawal, both of which are consistent, and can neither pay out nor double-count anything.
    describe("when it calls processQueue, which is not guarded, during a transfer", () => {
      /** Alpha holds 100 RNT and owes beta 150 RNT, queued. */
      async function withQueuedDebit(): Promise<MaliciousFixture> {
        const f = await withMaliciousTokens();
        await f.vault.connect(f.accounts.alice).deposit(f.alpha, f.reentrant, 100n * E18);
        await f.vault.connect(f.suite).recordObligation(f.alpha, f.beta, f.reentrant, 150n * E18, REF);
        return f;
      }

      it("should not count a deposit's incoming tokens before they are credited", async () => {
        const { vault, reentrant, alpha, accounts: a } = await loadFixture(withQueuedDebit);
        await reentrant.arm(
          vault,
          vault.interface.encodeFunctionData("processQueue", [alpha, await reentrant.getAddress(), 10]),
        );
        await expect(vault.connect(a.alice).deposit(alpha, reentrant, 100n * E18)).to.not.emit(
          vault,
          "ObligationApplied",
        );
        expect(await reentrant.reentered()).to.equal(true); // the call went through, and applied nothing
        expect(await vault.queueLength(alpha, reentrant)).to.equal(1n);
        expect(await vault.balanceOf(alpha, reentrant)).to.equal(200n * E18);
        expect(await reentrant.balanceOf(vault)).to.equal(await vault.totalLiabilities(reentrant));
      });

      it("should not let a withdrawal's outgoing tokens cover a queued obligation", async () => {
        const { vault, reentrant, alpha, beta, accounts: a } = await loadFixture(withQueuedDebit);
        await vault.connect(a.alice).deposit(alpha, reentrant, 100n * E18); // 200: the 150 now fits, not yet applied
        await reentrant.arm(
          vault,
          vault.interface.encodeFunctionData("processQueue", [alpha, await reentrant.getAddress(), 10]),
        );
        // Had the vault paid before debiting, the callback would apply the 150 against 200 and the withdrawal would
        // then leave 100 behind a debit of 150. It debits first, so the callback sees 100 and applies nothing.
        await expect(vault.connect(a.alice).withdraw(alpha, reentrant, 100n * E18)).to.not.emit(
          vault,
          "ObligationApplied",
        );
        expect(await reentrant.reentered()).to.equal(true);
        expect(await vault.queueLength(alpha, reentrant)).to.equal(1n);
        expect(await vault.balanceOf(alpha, reentrant)).to.equal(100n * E18);
        expect(await vault.openPositionOf(alpha, reentrant)).to.equal(0n);
        expect(await vault.openPositionOf(beta, reentrant)).to.equal(0n);
        expect(await reentrant.balanceOf(a.alicePayout)).to.equal(100n * E18);
        expect(await reentrant.balanceOf(vault)).to.equal(await vault.totalLiabilities(reentrant));
      });

      it("should refuse a callback into the suite-only functions", async () => {
        const { vault, reentrant, alpha, beta, accounts: a } = await loadFixture(withQueuedDebit);
        await reentrant.arm(
          vault,
          vault.interface.encodeFunctionData("transferFree", [alpha, beta, await reentrant.getAddress(), E18, REF]),
        );
        await expect(vault.connect(a.alice).deposit(alpha, reentrant, E18))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NotSuiteContract")
          .withArgs(await reentrant.getAddress());
      });
    });
  });
});
