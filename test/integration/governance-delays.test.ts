import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, Interface } from "ethers";

import { batchIdOf, type BatchHeader } from "../../sdk/src";
import {
  ACCESS_MANAGER_MIN_SETBACK,
  ADMIN_FUNCTIONS,
  DEFAULT_ADMIN_DELAY,
  DEFAULT_GOVERNOR_DELAY,
  DEFAULT_GRANT_DELAY,
  DEFAULT_TARGET_ADMIN_DELAY,
  FUNCTION_ROLES,
  FUNDS_POWERS,
  GRANT_DELAYED_ROLES,
  ROLE_DELAYS,
  Roles,
  type GovernedContract,
  type RoleName,
} from "../../sdk/src/governance";
import { sliceTerms } from "../helpers/capacity";
import { onChain } from "../helpers/clearing";
import { deployGovernedSuite, deployWith, namedAccounts, roleHolders, type SuiteFixture } from "../helpers/fixtures";
import { DEPOSITS, OPEN_DEBT, deployGovernedVault } from "../helpers/governance";
import { CYCLE } from "../helpers/vault";

/** The contract of each governed name in a fixture. */
function contractsOf(f: SuiteFixture): Record<GovernedContract, BaseContract & { interface: Interface }> {
  return {
    OperatorRegistry: f.registry,
    RoamingAgreements: f.agreements,
    UsageClearing: f.clearing,
    CapacityToken: f.capacity,
    CapacityMarket: f.market,
    SettlementVault: f.vault,
  };
}

function holders(f: SuiteFixture): Record<RoleName, HardhatEthersSigner> {
  const a = f.accounts;
  return { ADMIN: a.admin, GOVERNOR: a.governor, REGISTRAR: a.registrar, PAUSER: a.pauser, ARBITER: a.arbiter };
}

/** The role a restricted function of `contract` belongs to (ADMIN when FUNCTION_ROLES does not list it). */
function roleOf(contract: GovernedContract, fn: string): RoleName {
  return (FUNCTION_ROLES[contract] as Record<string, RoleName>)[fn] ?? "ADMIN";
}

describe("Governance delays (the deploy module's defaults)", () => {
  describe("when the suite is deployed with the module's defaults", () => {
    it("should grant each role its default execution delay and leave the deployer with no role", async () => {
      const f = await loadFixture(deployGovernedSuite);
      for (const [role, holder] of Object.entries(holders(f)) as [RoleName, HardhatEthersSigner][]) {
        expect(await f.manager.hasRole(Roles[role], holder), role).to.deep.equal([
          true,
          BigInt(ROLE_DELAYS[role].execution),
        ]);
        expect(await f.manager.hasRole(Roles[role], f.accounts.deployer), role).to.deep.equal([false, 0n]);
      }
    });

    it("should give the admin a delay longer than the governor's, a weekly cycle and AccessManager's setback", () => {
      expect(DEFAULT_ADMIN_DELAY).to.be.greaterThan(DEFAULT_GOVERNOR_DELAY);
      expect(DEFAULT_ADMIN_DELAY).to.be.greaterThan(CYCLE);
      expect(DEFAULT_ADMIN_DELAY).to.be.greaterThan(ACCESS_MANAGER_MIN_SETBACK);
      expect(ROLE_DELAYS.PAUSER.execution).to.equal(0);
    });

    describe("given AccessManager's minimum setback of five days", () => {
      it("should apply the grant delays and the target-admin delays five days after the deployment, not before", async () => {
        const f = await loadFixture(deployGovernedSuite);
        const expectDelays = async (grant: (role: RoleName) => number, target: number) => {
          for (const role of Object.keys(Roles) as RoleName[]) {
            expect(await f.manager.getRoleGrantDelay(Roles[role]), role).to.equal(BigInt(grant(role)));
          }
          for (const [name, contract] of Object.entries(contractsOf(f))) {
            expect(await f.manager.getTargetAdminDelay(contract), name).to.equal(BigInt(target));
          }
        };
        await expectDelays(() => 0, 0);
        await time.increase(ACCESS_MANAGER_MIN_SETBACK);
        await expectDelays((role) => ROLE_DELAYS[role].grant, DEFAULT_TARGET_ADMIN_DELAY);
        expect(GRANT_DELAYED_ROLES.map((role) => ROLE_DELAYS[role].grant)).to.deep.equal([
          DEFAULT_GRANT_DELAY,
          DEFAULT_GRANT_DELAY,
          DEFAULT_GRANT_DELAY,
        ]);
      });

      it("should still hold back a grant scheduled at once: it executes after the admin's delay, under the grant delay", async () => {
        const f = await loadFixture(deployGovernedSuite);
        const { manager, accounts: a } = f;
        const data = manager.interface.encodeFunctionData("grantRole", [Roles.ARBITER, a.dave.address, 0]);
        await manager.connect(a.admin).schedule(manager, data, 0);
        const scheduledAt = BigInt(await time.latest());
        const executedAt = await manager.getSchedule(await manager.hashOperation(a.admin, manager, data));
        expect(executedAt).to.equal(scheduledAt + BigInt(DEFAULT_ADMIN_DELAY));
        expect(executedAt).to.be.greaterThan(scheduledAt + BigInt(ACCESS_MANAGER_MIN_SETBACK));
        await time.setNextBlockTimestamp(executedAt);
        await expect(manager.connect(a.admin).execute(manager, data))
          .to.emit(manager, "RoleGranted")
          .withArgs(Roles.ARBITER, a.dave.address, 0, executedAt + BigInt(DEFAULT_GRANT_DELAY), true);
        expect(await manager.hasRole(Roles.ARBITER, a.dave)).to.deep.equal([false, 0n]);
        await time.increaseTo(executedAt + BigInt(DEFAULT_GRANT_DELAY));
        expect(await manager.hasRole(Roles.ARBITER, a.dave)).to.deep.equal([true, 0n]);
      });
    });
  });

  describe("when the admin parameter names the deployer", () => {
    /** The failed deployment's error and its manager (the deployment's first contract). */
    async function deployNamingTheDeployer() {
      const a = await namedAccounts();
      const nonce = await a.deployer.getNonce();
      const failure = await deployWith({ ...roleHolders(a), admin: a.deployer.address }).then(
        () => expect.fail("the deployment should fail"),
        (error: unknown) => String(error),
      );
      const manager = await ethers.getContractAt(
        "RoamLedgerManager",
        ethers.getCreateAddress({ from: a.deployer.address, nonce }),
      );
      return { a, failure, manager };
    }

    it("should fail before the deployer renounces ADMIN, which it keeps (behind the admin's delay)", async () => {
      const { a, failure, manager } = await loadFixture(deployNamingTheDeployer);
      // The deployer's own calls after its grant need scheduling; the renunciation, last, never runs.
      expect(failure).to.match(/AccessManagerNotScheduled/);
      expect(failure).to.not.contain("renounce");
      expect(await manager.hasRole(Roles.ADMIN, a.deployer)).to.deep.equal([true, BigInt(DEFAULT_ADMIN_DELAY)]);
    });
  });

  describe("FUNDS_POWERS: what each restricted function can do to members' money", () => {
    it("should classify exactly the restricted functions of FUNCTION_ROLES and ADMIN_FUNCTIONS", () => {
      for (const contract of Object.keys(FUNCTION_ROLES) as GovernedContract[]) {
        const restricted = [
          ...Object.keys(FUNCTION_ROLES[contract]),
          ...((ADMIN_FUNCTIONS as Partial<Record<GovernedContract, readonly string[]>>)[contract] ?? []),
        ];
        expect(Object.keys(FUNDS_POWERS[contract]).sort(), contract).to.deep.equal(restricted.sort());
      }
    });

    it("should keep every function that moves or freezes funds behind a role with an execution and a grant delay", async () => {
      const f = await loadFixture(deployGovernedSuite);
      await time.increase(ACCESS_MANAGER_MIN_SETBACK);
      const targets = contractsOf(f);
      let guarded = 0;
      for (const contract of Object.keys(FUNDS_POWERS) as GovernedContract[]) {
        for (const [fn, { effect }] of Object.entries(FUNDS_POWERS[contract])) {
          const role = roleOf(contract, fn);
          const selector = targets[contract].interface.getFunction(fn)!.selector;
          expect(await f.manager.getTargetFunctionRole(targets[contract], selector), fn).to.equal(Roles[role]);
          if (effect === "none") continue;
          guarded += 1;
          expect(GRANT_DELAYED_ROLES, `${contract}.${fn}`).to.include(role);
          const [, delay] = await f.manager.hasRole(Roles[role], holders(f)[role]);
          expect(delay, `${contract}.${fn}`).to.be.at.least(BigInt(DEFAULT_GOVERNOR_DELAY));
          expect(await f.manager.getRoleGrantDelay(Roles[role]), `${contract}.${fn}`).to.be.at.least(
            BigInt(DEFAULT_GOVERNOR_DELAY),
          );
        }
      }
      // setSuiteContract, resolveEscalated, arbitrateSlaBreach, setCycleLength.
      expect(guarded).to.equal(4);
    });

    it("should leave the pauser, which acts at once, only powers that neither move nor freeze funds", () => {
      for (const contract of Object.keys(FUNDS_POWERS) as GovernedContract[]) {
        for (const [fn, { effect }] of Object.entries(FUNDS_POWERS[contract])) {
          if (roleOf(contract, fn) === "PAUSER") expect(effect, `${contract}.${fn}`).to.equal("none");
        }
      }
    });
  });

  describe("when the arbiter decides (an execution delay of two days)", () => {
    /** An escalated decision on a batch nobody submitted, and an SLA breach of a class nobody issued. */
    async function decisions(f: SuiteFixture) {
      const header: BatchHeader = {
        agreementId: ethers.id("no agreement"),
        direction: 0,
        sequence: 1,
        periodStart: 0n,
        periodEnd: 1n,
        baseTariff: ethers.ZeroHash,
        services: [0],
        volumes: [0n],
        recordCounts: [0n],
        taxes: [0n],
        root: ethers.ZeroHash,
        fileHash: ethers.ZeroHash,
      };
      const now = BigInt(await time.latest());
      const terms = sliceTerms({ alpha: 1n, now }, ethers.ZeroAddress);
      const holders = [f.accounts.bob.address];
      const resolve = f.clearing.interface.encodeFunctionData("resolveEscalated", [onChain(header), 1n]);
      const breach = f.capacity.interface.encodeFunctionData("arbitrateSlaBreach", [
        terms,
        now - 3600n,
        now,
        ethers.ZeroHash,
        holders,
      ]);
      const arbiter = f.manager.connect(f.accounts.arbiter);
      return [
        {
          target: await f.clearing.getAddress(),
          data: resolve,
          /** Executed after the delay, the decision reaches the contract, which refuses the unknown batch. */
          reached: () =>
            expect(arbiter.execute(f.clearing, resolve))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
              .withArgs(batchIdOf(header)),
        },
        {
          target: await f.capacity.getAddress(),
          data: breach,
          reached: async () =>
            expect(arbiter.execute(f.capacity, breach))
              .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
              .withArgs(await f.capacity.classIdOf(terms)),
        },
      ];
    }

    it("should refuse a direct decision with AccessManagerNotScheduled", async () => {
      const f = await loadFixture(deployGovernedSuite);
      const { manager, accounts: a } = f;
      for (const { target, data } of await decisions(f)) {
        await expect(a.arbiter.sendTransaction({ to: target, data }))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
          .withArgs(await manager.hashOperation(a.arbiter, target, data));
      }
    });

    it("should refuse it with AccessManagerNotReady before the delay, and reach the decision after it", async () => {
      const f = await loadFixture(deployGovernedSuite);
      const { manager, accounts: a } = f;
      const list = await decisions(f);
      for (const { target, data } of list) {
        await manager.connect(a.arbiter).schedule(target, data, 0);
        await expect(manager.connect(a.arbiter).execute(target, data))
          .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
          .withArgs(await manager.hashOperation(a.arbiter, target, data));
      }
      await time.increase(ROLE_DELAYS.ARBITER.execution);
      for (const { reached } of list) await reached();
    });

    it("should let the admin, guardian of every role, cancel a scheduled decision", async () => {
      const f = await loadFixture(deployGovernedSuite);
      const { manager, accounts: a } = f;
      const [{ target, data }] = await decisions(f);
      await manager.connect(a.arbiter).schedule(target, data, 0);
      const id = await manager.hashOperation(a.arbiter, target, data);
      await expect(manager.connect(a.admin).cancel(a.arbiter, target, data))
        .to.emit(manager, "OperationCanceled")
        .withArgs(id, 1n);
      await time.increase(ROLE_DELAYS.ARBITER.execution);
      await expect(manager.connect(a.arbiter).execute(target, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(id);
    });
  });

  describe("when the pauser pulls the brake (no delay)", () => {
    it("should pause the vault and suspend an operator at once, and every member should still withdraw in full", async () => {
      const f = await loadFixture(deployGovernedVault);
      const { vault, registry, usdc, accounts: a } = f;
      await expect(vault.connect(a.pauser).pause()).to.emit(vault, "Paused").withArgs(a.pauser.address);
      await registry.connect(a.pauser).suspendOperator(f.alpha, ethers.id("case 1"));
      await expect(vault.connect(a.alice).deposit(f.alpha, usdc, 1n)).to.be.revertedWithCustomError(
        vault,
        "EnforcedPause",
      );

      const members = [
        [f.alpha, a.alice],
        [f.beta, a.bob],
        [f.gamma, a.carol],
      ] as const;
      const withdrawAll = async () => {
        for (const [id, admin] of members) {
          const free = await vault.freeBalanceOf(id, usdc);
          if (free > 0n) await expect(vault.connect(admin).withdraw(id, usdc, free)).to.emit(vault, "Withdrawn");
        }
      };
      await withdrawAll();
      // The open cycle still closes while paused; beta's credit becomes free and alpha's debit is settled.
      await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
      await vault.connect(a.eve).closeCycle(usdc);
      await withdrawAll();

      expect(await usdc.balanceOf(a.alicePayout)).to.equal(DEPOSITS.alpha - OPEN_DEBT);
      expect(await usdc.balanceOf(a.bobPayout)).to.equal(DEPOSITS.beta + OPEN_DEBT);
      expect(await usdc.balanceOf(a.carol)).to.equal(DEPOSITS.gamma);
      expect(await vault.totalLiabilities(usdc)).to.equal(0n);
      expect(await vault.paused()).to.equal(true);
    });
  });
});
