import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { DEFAULT_ADMIN_DELAY, DEFAULT_GRANT_DELAY, Roles } from "../../sdk/src/governance";
import type { RoamLedgerManager } from "../../sdk/src/typechain";
import { DEPOSITS, OPEN_DEBT, deployGovernedVault, scheduledOperations } from "../helpers/governance";

/**
 * The admin's key is stolen: the attacker holds the consortium's ADMIN account (deployed through the module with its
 * production delays). Every admin operation waits ten days after its `OperationScheduled`, so members who watch the
 * manager withdraw everything first (closing the open weekly cycle on the way), and a legitimate second admin can
 * cancel the operations outright.
 */
describe("Governance: a stolen admin key", () => {
  const PUBLIC_ROLE = 2n ** 64n - 1n;
  const REF = ethers.id("attacker");

  /** The governed vault, a manager of the attacker's own, and the attacker's three operations, scheduled. */
  async function deployScheduledTheft() {
    const f = await deployGovernedVault();
    const { manager, vault, accounts: a } = f;
    const attacker = a.admin; // the stolen key
    const factory = await ethers.getContractFactory("RoamLedgerManager");
    const attackerManager = (await factory.connect(attacker).deploy(attacker)) as unknown as RoamLedgerManager;
    const vaultAddress = await vault.getAddress();
    const managerAddress = await manager.getAddress();
    const operations = [
      { target: vaultAddress, data: vault.interface.encodeFunctionData("setSuiteContract", [attacker.address, true]) },
      {
        target: managerAddress,
        data: manager.interface.encodeFunctionData("grantRole", [Roles.GOVERNOR, attacker.address, 0]),
      },
      {
        target: managerAddress,
        data: manager.interface.encodeFunctionData("updateAuthority", [
          vaultAddress,
          await attackerManager.getAddress(),
        ]),
      },
    ];
    const scheduledAt: bigint[] = [];
    for (const { target, data } of operations) {
      await manager.connect(attacker).schedule(target, data, 0);
      scheduledAt.push(BigInt(await time.latest()));
    }
    const ids = await Promise.all(operations.map((o) => manager.hashOperation(attacker, o.target, o.data)));
    const when = await Promise.all(ids.map((id) => manager.getSchedule(id)));
    return { ...f, attacker, attackerManager, vaultAddress, managerAddress, operations, ids, when, scheduledAt };
  }

  /** What the members do when their monitor shows an admin operation: withdraw everything they can. */
  async function withdrawEverything(f: Awaited<ReturnType<typeof deployScheduledTheft>>): Promise<void> {
    const { vault, usdc, accounts: a } = f;
    const members = [
      [f.alpha, a.alice],
      [f.beta, a.bob],
      [f.gamma, a.carol],
    ] as const;
    for (const [id, admin] of members) {
      const free = await vault.freeBalanceOf(id, usdc);
      if (free > 0n) await vault.connect(admin).withdraw(id, usdc, free);
    }
  }

  describe("given the suite as the module deploys it", () => {
    it("should leave the deployer with no role and the consortium's account as admin, behind the admin's delay", async () => {
      const { manager, accounts: a } = await loadFixture(deployScheduledTheft);
      for (const role of Object.values(Roles)) {
        expect(await manager.hasRole(role, a.deployer), `role ${role}`).to.deep.equal([false, 0n]);
        expect((await manager.getAccess(role, a.deployer))[0], `role ${role}`).to.equal(0n);
      }
      expect(await manager.hasRole(Roles.ADMIN, a.admin)).to.deep.equal([true, BigInt(DEFAULT_ADMIN_DELAY)]);
    });
  });

  describe("when the attacker schedules joining the suite list, becoming governor and moving the vault's authority", () => {
    it("should announce each operation with OperationScheduled, executable only after the admin's delay", async () => {
      const f = await loadFixture(deployScheduledTheft);
      const seen = await scheduledOperations(f.manager, f.watchFrom + 1, { [f.vaultAddress]: f.vault.interface });
      expect(seen.map((s) => s.call)).to.deep.equal([
        `setSuiteContract(${f.attacker.address}, true)`,
        `grantRole(${Roles.GOVERNOR}, ${f.attacker.address}, 0)`,
        `updateAuthority(${f.vaultAddress}, ${await f.attackerManager.getAddress()})`,
      ]);
      seen.forEach((s, i) => {
        expect([s.operationId, s.caller, s.target]).to.deep.equal([
          f.ids[i],
          f.attacker.address,
          f.operations[i].target,
        ]);
        expect(s.when).to.equal(f.scheduledAt[i] + BigInt(DEFAULT_ADMIN_DELAY));
        expect(f.when[i]).to.equal(s.when);
      });
    });

    it("should refuse every early execution with AccessManagerNotReady, through the manager or directly", async () => {
      const f = await loadFixture(deployScheduledTheft);
      const { manager, vault, attacker, attackerManager, ids } = f;
      const attempts = async () => {
        for (const [i, { target, data }] of f.operations.entries()) {
          await expect(manager.connect(attacker).execute(target, data))
            .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
            .withArgs(ids[i]);
        }
        await expect(vault.connect(attacker).setSuiteContract(attacker, true))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
          .withArgs(ids[0]);
        await expect(manager.connect(attacker).grantRole(Roles.GOVERNOR, attacker, 0))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
          .withArgs(ids[1]);
        await expect(manager.connect(attacker).updateAuthority(vault, attackerManager))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
          .withArgs(ids[2]);
      };
      await attempts(); // at once
      await time.increaseTo(f.when[0] - 60n);
      await attempts(); // a minute before the first time point
      expect(await vault.isSuiteContract(attacker)).to.equal(false);
    });

    it("should refuse every unscheduled admin operation with AccessManagerNotScheduled, and no shorter schedule", async () => {
      const {
        manager,
        vault,
        usdc,
        accounts: a,
        attacker,
        vaultAddress,
        managerAddress,
      } = await loadFixture(deployScheduledTheft);
      const m = manager.interface;
      const selector = vault.interface.getFunction("setSuiteContract").selector;
      const calls = [
        { target: managerAddress, data: m.encodeFunctionData("grantRole", [Roles.ADMIN, a.eve.address, 0]) },
        { target: managerAddress, data: m.encodeFunctionData("revokeRole", [Roles.PAUSER, a.pauser.address]) },
        { target: managerAddress, data: m.encodeFunctionData("setGrantDelay", [Roles.GOVERNOR, 0]) },
        { target: managerAddress, data: m.encodeFunctionData("setTargetAdminDelay", [vaultAddress, 0]) },
        {
          target: managerAddress,
          data: m.encodeFunctionData("setTargetFunctionRole", [vaultAddress, [selector], PUBLIC_ROLE]),
        },
        { target: managerAddress, data: m.encodeFunctionData("setTargetClosed", [vaultAddress, true]) },
        {
          target: vaultAddress,
          data: vault.interface.encodeFunctionData("recover", [await usdc.getAddress(), attacker.address]),
        },
      ];
      for (const { target, data } of calls) {
        await expect(attacker.sendTransaction({ to: target, data }))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
          .withArgs(await manager.hashOperation(attacker, target, data));
      }
      // Asking for an earlier time point than the delay allows is refused outright.
      const [grant] = calls;
      await expect(manager.connect(attacker).schedule(managerAddress, grant.data, (await time.latest()) + 60))
        .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
        .withArgs(attacker.address, managerAddress, grant.data.slice(0, 10));
    });

    describe("given the members withdraw before the delay ends", () => {
      it("should let them take out every balance, the open cycle's credits once it closes, and leave nothing", async () => {
        const f = await loadFixture(deployScheduledTheft);
        const { vault, usdc, accounts: a } = f;
        // At once: the free balances (alpha's open debit stays locked until the cycle closes; beta's credit is open).
        await withdrawEverything(f);
        expect(await usdc.balanceOf(a.alicePayout)).to.equal(DEPOSITS.alpha - OPEN_DEBT);
        expect(await usdc.balanceOf(a.bobPayout)).to.equal(DEPOSITS.beta);
        expect(await usdc.balanceOf(a.carol)).to.equal(DEPOSITS.gamma);
        // The weekly cycle ends before the admin's ten days: anyone closes it, and beta takes its credit out too.
        const { openEnd } = await vault.tokenConfig(usdc);
        expect(openEnd).to.be.lessThan(f.when[0]);
        await time.increaseTo(openEnd);
        await vault.connect(a.eve).closeCycle(usdc);
        await withdrawEverything(f);
        expect(await usdc.balanceOf(a.bobPayout)).to.equal(DEPOSITS.beta + OPEN_DEBT);
        expect(await vault.totalLiabilities(usdc)).to.equal(0n);
        expect(await usdc.balanceOf(vault)).to.equal(0n);
        expect(BigInt(await time.latest())).to.be.lessThan(f.when[0]);
      });

      it("should then let the attacker execute, and take nothing: transfers refused, obligations only queued", async () => {
        const f = await loadFixture(deployScheduledTheft);
        const { manager, vault, usdc, accounts: a, attacker, attackerManager } = f;
        await withdrawEverything(f);
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        await vault.closeCycle(usdc);
        await withdrawEverything(f);

        await time.increaseTo(f.when[2]);
        const executedAt: bigint[] = [];
        for (const { target, data } of f.operations) {
          await manager.connect(attacker).execute(target, data);
          executedAt.push(BigInt(await time.latest()));
        }
        expect(await vault.isSuiteContract(attacker)).to.equal(true);
        expect(await vault.authority()).to.equal(await attackerManager.getAddress());
        // The self-grant executed, but the governor role waits out its grant delay.
        const [since] = await manager.getAccess(Roles.GOVERNOR, attacker);
        expect(since).to.equal(executedAt[1] + BigInt(DEFAULT_GRANT_DELAY));
        expect(await manager.hasRole(Roles.GOVERNOR, attacker)).to.deep.equal([false, 0n]);

        const amount = DEPOSITS.alpha;
        const t = await usdc.getAddress();
        await expect(vault.connect(attacker).transferFree(f.alpha, f.gamma, usdc, amount, REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(f.alpha, t, 0n, amount);
        await expect(vault.connect(attacker).transferFree(f.beta, f.gamma, usdc, 1n, REF))
          .to.be.revertedWithCustomError(vault, "SettlementVault_InsufficientFreeBalance")
          .withArgs(f.beta, t, 0n, 1n);
        await expect(vault.connect(attacker).recordObligation(f.alpha, f.gamma, usdc, amount, REF))
          .to.emit(vault, "ObligationQueued")
          .withArgs(t, f.alpha, f.gamma, 0n, amount, REF);
        expect(await vault.freeBalanceOf(f.gamma, usdc)).to.equal(0n);
        // Its own authority lets it call the vault's restricted functions at once: there is no surplus either.
        await expect(vault.connect(attacker).recover(usdc, attacker))
          .to.be.revertedWithCustomError(vault, "SettlementVault_NoSurplus")
          .withArgs(t);
        expect(await usdc.balanceOf(attacker)).to.equal(0n);
        expect(await usdc.balanceOf(a.carol)).to.equal(DEPOSITS.gamma);
      });
    });

    describe("given a member who does not withdraw", () => {
      it("should lose its free balance once the attacker's operations execute: the delay is what protects it", async () => {
        const f = await loadFixture(deployScheduledTheft);
        const { manager, vault, usdc, attacker } = f;
        await time.increaseTo(f.when[0]);
        await manager.connect(attacker).execute(f.operations[0].target, f.operations[0].data);
        await expect(vault.connect(attacker).transferFree(f.gamma, f.alpha, usdc, DEPOSITS.gamma, REF))
          .to.emit(vault, "FreeBalanceTransferred")
          .withArgs(await usdc.getAddress(), f.gamma, f.alpha, DEPOSITS.gamma, REF);
        expect(await vault.freeBalanceOf(f.gamma, usdc)).to.equal(0n);
      });
    });

    describe("given a legitimate admin cancels the operations", () => {
      it("should cancel them at once, and the attacker's executions should revert with AccessManagerNotScheduled", async () => {
        const f = await loadFixture(deployScheduledTheft);
        const { manager, vault, council, attacker } = f;
        expect((await manager.hasRole(Roles.ADMIN, council))[0]).to.equal(true);
        for (const [i, { target, data }] of f.operations.entries()) {
          await expect(manager.connect(council).cancel(attacker, target, data))
            .to.emit(manager, "OperationCanceled")
            .withArgs(f.ids[i], 1n);
        }
        await time.increaseTo(f.when[2]);
        for (const [i, { target, data }] of f.operations.entries()) {
          await expect(manager.connect(attacker).execute(target, data))
            .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
            .withArgs(f.ids[i]);
        }
        expect(await vault.isSuiteContract(attacker)).to.equal(false);
        expect(await vault.authority()).to.equal(f.managerAddress);
        expect((await manager.getAccess(Roles.GOVERNOR, attacker))[0]).to.equal(0n);
      });

      it("should refuse a cancellation by anyone who is not an admin", async () => {
        const { manager, accounts: a, attacker, operations } = await loadFixture(deployScheduledTheft);
        const [{ target, data }] = operations;
        await expect(manager.connect(a.eve).cancel(attacker, target, data))
          .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCancel")
          .withArgs(a.eve.address, attacker.address, target, data.slice(0, 10));
      });
    });
  });
});
