import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { MockStablecoin } from "../../../sdk/src/typechain";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { CYCLE, USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");

/**
 * Runs `data` on the vault as the governor: scheduled through the AccessManager, executed after the delay. Returns
 * the execution, so that its events and reverts can be asserted.
 */
async function asGovernor(f: VaultFixture, data: string): Promise<ContractTransactionResponse> {
  await f.manager.connect(f.accounts.governor).schedule(f.vault, data, 0);
  await time.increase(GOVERNOR_DELAY);
  return f.manager.connect(f.accounts.governor).execute(f.vault, data);
}

async function newStablecoin(decimals: number): Promise<MockStablecoin> {
  const factory = await ethers.getContractFactory("MockStablecoin");
  return (await factory.deploy("Test Coin", "TST", decimals)) as unknown as MockStablecoin;
}

/** Closes the open cycle of `token` once its end has come (moving time forward only if needed). */
async function closeOpenCycle(f: VaultFixture, token: MockStablecoin): Promise<void> {
  const { openEnd } = await f.vault.tokenConfig(token);
  if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
  await f.vault.closeCycle(token);
}

describe("SettlementVault.setSuiteContract", () => {
  describe("when the caller is not the admin", () => {
    it("should revert for an attacker, the governor, the pauser, a member and a suite contract", async () => {
      const { vault, suite, accounts: a } = await loadFixture(deployVault);
      for (const who of [a.eve, a.governor, a.pauser, a.alice, suite]) {
        await expect(vault.connect(who).setSuiteContract(a.eve, true))
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await vault.isSuiteContract(a.eve)).to.equal(false);
    });
  });

  describe("when the caller is the admin", () => {
    it("should add the account, emit SuiteContractSet and let it record obligations", async () => {
      const { vault, usdc, alpha, beta, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await expect(vault.connect(a.admin).setSuiteContract(a.dave, true))
        .to.emit(vault, "SuiteContractSet")
        .withArgs(a.dave.address, true);
      expect(await vault.isSuiteContract(a.dave)).to.equal(true);
      await expect(vault.connect(a.dave).recordObligation(alpha, beta, usdc, u(10), REF)).to.emit(
        vault,
        "ObligationApplied",
      );
    });

    it("should remove the account, emit SuiteContractSet and refuse it from then on", async () => {
      const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await expect(vault.connect(a.admin).setSuiteContract(suite, false))
        .to.emit(vault, "SuiteContractSet")
        .withArgs(suite.address, false);
      expect(await vault.isSuiteContract(suite)).to.equal(false);
      await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(10), REF))
        .to.be.revertedWithCustomError(vault, "SettlementVault_NotSuiteContract")
        .withArgs(suite.address);
      await expect(vault.connect(suite).transferFree(alpha, beta, usdc, u(10), REF))
        .to.be.revertedWithCustomError(vault, "SettlementVault_NotSuiteContract")
        .withArgs(suite.address);
    });
  });
});

describe("SettlementVault.allowToken", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser, the admin and a member", async () => {
      const { vault, accounts: a } = await loadFixture(deployVault);
      const token = await newStablecoin(6);
      for (const who of [a.eve, a.pauser, a.admin, a.alice]) {
        await expect(vault.connect(who).allowToken(token, CYCLE))
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the governor calls directly (its role carries an execution delay)", () => {
    it("should revert: nothing was scheduled", async () => {
      const { vault, manager, accounts: a } = await loadFixture(deployVault);
      const token = await newStablecoin(6);
      const data = vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), CYCLE]);
      await expect(vault.connect(a.governor).allowToken(token, CYCLE))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(await manager.hashOperation(a.governor, vault, data));
    });
  });

  describe("when the governor acts through the manager", () => {
    describe("when the token is already allowed", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployVault);
        const data = f.vault.interface.encodeFunctionData("allowToken", [await f.usdc.getAddress(), CYCLE]);
        await expect(asGovernor(f, data))
          .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenAlreadyAllowed")
          .withArgs(await f.usdc.getAddress());
      });
    });

    describe("when the cycle length is zero", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployVault);
        const token = await newStablecoin(6);
        const data = f.vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), 0]);
        await expect(asGovernor(f, data)).to.be.revertedWithCustomError(f.vault, "SettlementVault_ZeroCycleLength");
      });
    });

    describe("when the token has more than 18 decimals", () => {
      it("should revert with its decimals", async () => {
        const f = await loadFixture(deployVault);
        const token = await newStablecoin(19);
        const data = f.vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), CYCLE]);
        await expect(asGovernor(f, data))
          .to.be.revertedWithCustomError(f.vault, "SettlementVault_UnsupportedDecimals")
          .withArgs(await token.getAddress(), 19);
        expect((await f.vault.tokenConfig(token)).cycle).to.equal(0n);
      });
    });

    describe("when the token is new, with at most 18 decimals", () => {
      it("should open cycle 1 at once, ending one cycle length later, and emit TokenAllowed", async () => {
        const f = await loadFixture(deployVault);
        for (const [decimals, length] of [
          [18, 3600],
          [0, CYCLE],
        ]) {
          const token = await newStablecoin(decimals);
          const data = f.vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), length]);
          const tx = await asGovernor(f, data);
          const at = BigInt(await time.latest()); // the block of the execution
          await expect(tx)
            .to.emit(f.vault, "TokenAllowed")
            .withArgs(await token.getAddress(), decimals, length, at + BigInt(length));
          const config = await f.vault.tokenConfig(token);
          expect([
            config.allowed,
            config.decimals,
            config.cycle,
            config.cycleLength,
            config.nextCycleLength,
            config.openEnd,
          ]).to.deep.equal([true, BigInt(decimals), 1n, BigInt(length), BigInt(length), at + BigInt(length)]);
        }
      });
    });

    describe("when the token was allowed before and then disallowed", () => {
      it("should allow it again, keep its open cycle and its end, and apply the new length from the next cycle", async () => {
        const f = await loadFixture(deployVault);
        const { vault, usdc } = f;
        await closeOpenCycle(f, usdc); // cycle 2 is open
        const before = await vault.tokenConfig(usdc);
        await asGovernor(f, vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]));
        const data = vault.interface.encodeFunctionData("allowToken", [await usdc.getAddress(), 3600]);
        await expect(asGovernor(f, data))
          .to.emit(vault, "TokenAllowed")
          .withArgs(await usdc.getAddress(), 6, 3600, before.openEnd);
        const after = await vault.tokenConfig(usdc);
        expect([after.allowed, after.cycle, after.openEnd, after.cycleLength, after.nextCycleLength]).to.deep.equal([
          true,
          2n,
          before.openEnd,
          BigInt(CYCLE),
          3600n,
        ]);
        await closeOpenCycle(f, usdc);
        const next = await vault.tokenConfig(usdc);
        expect(next.cycle).to.equal(3n);
        expect(next.openEnd).to.equal(BigInt(await time.latest()) + 3600n);
      });
    });
  });
});

describe("SettlementVault.disallowToken", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser and the admin", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(deployVault);
      for (const who of [a.eve, a.pauser, a.admin]) {
        await expect(vault.connect(who).disallowToken(usdc))
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the governor acts through the manager", () => {
    describe("when the token is not allowed", () => {
      it("should revert for a token never allowed and for one already disallowed", async () => {
        const f = await loadFixture(deployVault);
        const never = await (await newStablecoin(6)).getAddress();
        const disallow = (t: string) => asGovernor(f, f.vault.interface.encodeFunctionData("disallowToken", [t]));
        await expect(disallow(never))
          .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenNotAllowed")
          .withArgs(never);
        const usdc = await f.usdc.getAddress();
        await disallow(usdc);
        await expect(disallow(usdc))
          .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenNotAllowed")
          .withArgs(usdc);
      });
    });

    describe("when the token is allowed", () => {
      it("should emit TokenDisallowed and keep the cycle state", async () => {
        const f = await loadFixture(deployVault);
        const before = await f.vault.tokenConfig(f.usdc);
        const data = f.vault.interface.encodeFunctionData("disallowToken", [await f.usdc.getAddress()]);
        await expect(asGovernor(f, data))
          .to.emit(f.vault, "TokenDisallowed")
          .withArgs(await f.usdc.getAddress());
        const after = await f.vault.tokenConfig(f.usdc);
        expect(after.allowed).to.equal(false);
        expect([after.cycle, after.openEnd, after.cycleLength, after.decimals]).to.deep.equal([
          before.cycle,
          before.openEnd,
          before.cycleLength,
          before.decimals,
        ]);
      });

      it("should stop new business in it (deposits, free-balance transfers), not what is owed or queue processing", async () => {
        const f = await loadFixture(deployVault);
        const { vault, usdc, eurc, suite, alpha, beta, accounts: a } = f;
        await vault.connect(a.alice).deposit(alpha, usdc, u(100));
        await asGovernor(f, vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]));
        const t = await usdc.getAddress();
        await expect(vault.connect(a.alice).deposit(alpha, usdc, u(1)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(t);
        // What is owed in it still reaches the vault (issue 14: a disallowance never freezes what is owed).
        await expect(vault.connect(suite).recordObligation(alpha, beta, usdc, u(1), REF)).to.emit(
          vault,
          "ObligationApplied",
        );
        await expect(vault.connect(suite).transferFree(alpha, beta, usdc, u(1), REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
          .withArgs(t);
        expect(await vault.processQueue.staticCall(alpha, usdc, 1)).to.equal(0n); // nothing queued, and no refusal
        // The other token is not affected.
        await expect(vault.connect(a.alice).deposit(alpha, eurc, u(1))).to.emit(vault, "Deposited");
      });

      it("should still let members withdraw and anyone close cycles", async () => {
        const f = await loadFixture(deployVault);
        const { vault, usdc, alpha, accounts: a } = f;
        await vault.connect(a.alice).deposit(alpha, usdc, u(100));
        await asGovernor(f, vault.interface.encodeFunctionData("disallowToken", [await usdc.getAddress()]));
        await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(100))).to.changeTokenBalances(
          usdc,
          [vault, a.alicePayout],
          [-u(100), u(100)],
        );
        const { openEnd } = await vault.tokenConfig(usdc);
        await time.increaseTo(openEnd);
        await expect(vault.connect(a.eve).closeCycle(usdc)).to.emit(vault, "CycleClosed");
      });
    });
  });
});

describe("SettlementVault.setCycleLength", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser and the admin", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(deployVault);
      for (const who of [a.eve, a.pauser, a.admin]) {
        await expect(vault.connect(who).setCycleLength(usdc, 3600))
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the governor acts through the manager", () => {
    describe("when the token was never allowed", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployVault);
        const token = await newStablecoin(6);
        const data = f.vault.interface.encodeFunctionData("setCycleLength", [await token.getAddress(), 3600]);
        await expect(asGovernor(f, data))
          .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenNotAllowed")
          .withArgs(await token.getAddress());
      });
    });

    describe("when the length is zero", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployVault);
        const data = f.vault.interface.encodeFunctionData("setCycleLength", [await f.usdc.getAddress(), 0]);
        await expect(asGovernor(f, data)).to.be.revertedWithCustomError(f.vault, "SettlementVault_ZeroCycleLength");
      });
    });

    describe("when the token was allowed once", () => {
      it("should leave the open cycle's end unchanged and apply the new length from the next cycle", async () => {
        const f = await loadFixture(deployVault);
        const { vault, usdc } = f;
        const before = await vault.tokenConfig(usdc);
        const data = vault.interface.encodeFunctionData("setCycleLength", [await usdc.getAddress(), 3600]);
        await expect(asGovernor(f, data))
          .to.emit(vault, "CycleLengthChanged")
          .withArgs(await usdc.getAddress(), 3600);
        const pending = await vault.tokenConfig(usdc);
        expect([pending.cycle, pending.openEnd, pending.cycleLength, pending.nextCycleLength]).to.deep.equal([
          before.cycle,
          before.openEnd,
          BigInt(CYCLE),
          3600n,
        ]);
        // Cycle 1 still ends at its original end.
        await time.setNextBlockTimestamp(before.openEnd - 1n);
        await expect(vault.closeCycle(usdc))
          .to.be.revertedWithCustomError(vault, "SettlementVault_CycleNotEnded")
          .withArgs(await usdc.getAddress(), before.openEnd);
        await time.setNextBlockTimestamp(before.openEnd);
        await expect(vault.closeCycle(usdc))
          .to.emit(vault, "CycleClosed")
          .withArgs(await usdc.getAddress(), 1, before.openEnd, before.openEnd + 3600n);
        const next = await vault.tokenConfig(usdc);
        expect([next.cycle, next.cycleLength, next.openEnd]).to.deep.equal([2n, 3600n, before.openEnd + 3600n]);
      });

      it("should accept a change while the token is disallowed", async () => {
        const f = await loadFixture(deployVault);
        const t = await f.usdc.getAddress();
        await asGovernor(f, f.vault.interface.encodeFunctionData("disallowToken", [t]));
        await expect(asGovernor(f, f.vault.interface.encodeFunctionData("setCycleLength", [t, 60])))
          .to.emit(f.vault, "CycleLengthChanged")
          .withArgs(t, 60);
        expect((await f.vault.tokenConfig(t)).nextCycleLength).to.equal(60n);
      });
    });
  });
});

describe("SettlementVault.pause", () => {
  describe("when the caller is not the pauser", () => {
    it("should revert for an attacker, the governor, the admin and a suite contract", async () => {
      const { vault, suite, accounts: a } = await loadFixture(deployVault);
      for (const who of [a.eve, a.governor, a.admin, suite]) {
        await expect(vault.connect(who).pause())
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the pauser", () => {
    it("should pause at once and emit Paused", async () => {
      const { vault, accounts: a } = await loadFixture(deployVault);
      await expect(vault.connect(a.pauser).pause()).to.emit(vault, "Paused").withArgs(a.pauser.address);
      expect(await vault.paused()).to.equal(true);
    });

    it("should revert when already paused", async () => {
      const { vault, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.pauser).pause();
      await expect(vault.connect(a.pauser).pause()).to.be.revertedWithCustomError(vault, "EnforcedPause");
    });

    it("should stop deposits (plain and with permit), obligations, queue processing and free-balance transfers", async () => {
      const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await vault.connect(a.pauser).pause();
      const deadline = ethers.MaxUint256;
      const zero = ethers.ZeroHash;
      const calls = [
        () => vault.connect(a.alice).deposit(alpha, usdc, u(1)),
        () => vault.connect(a.alice).depositWithPermit(alpha, usdc, u(1), deadline, 27, zero, zero),
        () => vault.connect(suite).recordObligation(alpha, beta, usdc, u(1), REF),
        () => vault.processQueue(alpha, usdc, 1),
        () => vault.connect(suite).transferFree(alpha, beta, usdc, u(1), REF),
      ];
      for (const call of calls) await expect(call()).to.be.revertedWithCustomError(vault, "EnforcedPause");
    });

    it("should never stop withdrawals of free balances nor cycle closes", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await vault.connect(a.pauser).pause();
      await expect(vault.connect(a.alice).withdraw(alpha, usdc, u(40)))
        .to.emit(vault, "Withdrawn")
        .withArgs(alpha, await usdc.getAddress(), a.alicePayout.address, u(40));
      const { openEnd } = await vault.tokenConfig(usdc);
      await time.increaseTo(openEnd);
      await expect(vault.connect(a.eve).closeCycle(usdc)).to.emit(vault, "CycleClosed");
    });
  });
});

describe("SettlementVault.unpause", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker and for the pauser", async () => {
      const { vault, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.pauser).pause();
      for (const who of [a.eve, a.pauser]) {
        await expect(vault.connect(who).unpause())
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the governor calls directly", () => {
    it("should revert: nothing was scheduled", async () => {
      const { vault, manager, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.pauser).pause();
      await expect(vault.connect(a.governor).unpause())
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(await manager.hashOperation(a.governor, vault, vault.interface.encodeFunctionData("unpause")));
    });
  });

  describe("when the governor acts through the manager", () => {
    it("should unpause after the delay, emit Unpaused and accept deposits again", async () => {
      const f = await loadFixture(deployVault);
      const { vault, usdc, alpha, accounts: a } = f;
      await vault.connect(a.pauser).pause();
      await expect(asGovernor(f, vault.interface.encodeFunctionData("unpause"))).to.emit(vault, "Unpaused");
      expect(await vault.paused()).to.equal(false);
      await expect(vault.connect(a.alice).deposit(alpha, usdc, u(1))).to.emit(vault, "Deposited");
    });

    it("should revert when not paused", async () => {
      const f = await loadFixture(deployVault);
      await expect(asGovernor(f, f.vault.interface.encodeFunctionData("unpause"))).to.be.revertedWithCustomError(
        f.vault,
        "ExpectedPause",
      );
    });
  });
});

describe("SettlementVault.recover", () => {
  describe("when the caller is not the admin", () => {
    it("should revert for an attacker, the governor, the pauser and a suite contract", async () => {
      const { vault, usdc, suite, accounts: a } = await loadFixture(deployVault);
      await usdc.mint(vault, u(5));
      for (const who of [a.eve, a.governor, a.pauser, suite]) {
        await expect(vault.connect(who).recover(usdc, who))
          .to.be.revertedWithCustomError(vault, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the admin", () => {
    describe("when the vault holds no more than it owes", () => {
      it("should revert for an empty vault and for one holding only deposits", async () => {
        const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
        await expect(vault.connect(a.admin).recover(usdc, a.admin))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NoSurplus")
          .withArgs(await usdc.getAddress());
        await vault.connect(a.alice).deposit(alpha, usdc, u(100));
        expect(await vault.surplus(usdc)).to.equal(0n);
        await expect(vault.connect(a.admin).recover(usdc, a.admin))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NoSurplus")
          .withArgs(await usdc.getAddress());
      });
    });

    describe("when tokens were sent to the vault outside deposits", () => {
      it("should sweep exactly the surplus, emit SurplusRecovered and leave every member's balance", async () => {
        const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(deployVault);
        await vault.connect(a.alice).deposit(alpha, usdc, u(100));
        await vault.connect(a.bob).deposit(beta, usdc, u(50));
        await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), REF);
        await usdc.connect(a.carol).transfer(vault, u(7)); // sent directly: nobody is credited
        expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
        expect(await vault.surplus(usdc)).to.equal(u(7));

        const tx = vault.connect(a.admin).recover(usdc, a.dave);
        await expect(tx)
          .to.emit(vault, "SurplusRecovered")
          .withArgs(await usdc.getAddress(), a.dave.address, u(7));
        await expect(tx).to.changeTokenBalances(usdc, [vault, a.dave], [-u(7), u(7)]);
        expect(await vault.surplus(usdc)).to.equal(0n);
        expect(await vault.totalLiabilities(usdc)).to.equal(u(150));
        expect(await usdc.balanceOf(vault)).to.equal(u(150));
        await expect(vault.connect(a.admin).recover(usdc, a.dave))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NoSurplus")
          .withArgs(await usdc.getAddress());
        // What members are owed is still all there.
        await vault.connect(a.alice).withdraw(alpha, usdc, await vault.freeBalanceOf(alpha, usdc));
        await vault.connect(a.bob).withdraw(beta, usdc, await vault.freeBalanceOf(beta, usdc));
        expect(await vault.balanceOf(alpha, usdc)).to.equal(u(30)); // locked by the open debit
      });

      it("should sweep all of a token that was never allowed (the vault owes nothing in it)", async () => {
        const { vault, accounts: a } = await loadFixture(deployVault);
        const token = await newStablecoin(6);
        await token.mint(vault, u(3));
        expect(await vault.surplus(token)).to.equal(u(3));
        await expect(vault.connect(a.admin).recover(token, a.admin)).to.changeTokenBalances(
          token,
          [vault, a.admin],
          [-u(3), u(3)],
        );
      });
    });
  });
});
