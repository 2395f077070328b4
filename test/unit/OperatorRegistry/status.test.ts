import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import { GOVERNOR_DELAY, deployRegistryWithOperators, scheduleAndExecute } from "../../helpers/fixtures";
import type { RegistryFixture } from "../../helpers/fixtures";

const Status = { None: 0n, Active: 1n, Suspended: 2n, Exited: 3n };
const REASON = ethers.id("consortium decision 2026-11-26 #7");

async function governor(f: RegistryFixture, fn: "reinstateOperator" | "exitOperator", id: bigint | number) {
  const data =
    fn === "exitOperator"
      ? f.registry.interface.encodeFunctionData("exitOperator", [id, REASON])
      : f.registry.interface.encodeFunctionData("reinstateOperator", [id, REASON]);
  await scheduleAndExecute(f.manager, f.accounts.governor, await f.registry.getAddress(), data);
}

describe("OperatorRegistry.suspendOperator", () => {
  describe("when the caller does not hold the pauser role", () => {
    it("should revert, for an attacker and for the governor", async () => {
      const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.governor, a.registrar, a.bob]) {
        await expect(registry.connect(who).suspendOperator(beta, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the pauser", () => {
    describe("when the operator is unknown", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
        for (const id of [0, 99]) {
          await expect(registry.connect(a.pauser).suspendOperator(id, REASON))
            .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownOperator")
            .withArgs(id);
        }
      });
    });

    describe("when the operator is not active", () => {
      it("should revert for a suspended and for an exited operator", async () => {
        const f = await loadFixture(deployRegistryWithOperators);
        const { registry, accounts: a, beta, gamma } = f;
        await registry.connect(a.pauser).suspendOperator(beta, REASON);
        await expect(registry.connect(a.pauser).suspendOperator(beta, REASON))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(beta, Status.Suspended);
        await governor(f, "exitOperator", gamma);
        await expect(registry.connect(a.pauser).suspendOperator(gamma, REASON))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(gamma, Status.Exited);
      });
    });

    describe("when the operator is active", () => {
      it("should suspend it at once and emit OperatorStatusChanged with the reason", async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.pauser).suspendOperator(beta, REASON))
          .to.emit(registry, "OperatorStatusChanged")
          .withArgs(beta, Status.Active, Status.Suspended, REASON);
        expect(await registry.statusOf(beta)).to.equal(Status.Suspended);
        expect(await registry.isActive(beta)).to.equal(false);
        await expect(registry.requireActive(beta))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActive")
          .withArgs(beta, Status.Suspended);
      });

      it("should leave the operator able to manage its keys, payout and metadata", async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        await registry.connect(a.pauser).suspendOperator(beta, REASON);
        await registry.connect(a.bob).rotateSigner(beta, a.bobSigner, a.spareSigner);
        await registry.connect(a.bob).setPayout(beta, a.dave);
        await registry.connect(a.bob).setMetadataURI(beta, "ipfs://beta-v2");
        const op = await registry.getOperator(beta);
        expect([op.payout, op.metadataURI, op.activeSigners]).to.deep.equal([a.dave.address, "ipfs://beta-v2", 1n]);
      });
    });
  });
});

describe("OperatorRegistry.reinstateOperator", () => {
  describe("when the governor calls directly (its role carries an execution delay)", () => {
    it("should revert", async () => {
      const { registry, manager, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.pauser).suspendOperator(beta, REASON);
      // A delayed caller is sent to the manager to consume a scheduled operation, and there is none.
      const data = registry.interface.encodeFunctionData("reinstateOperator", [beta, REASON]);
      await expect(registry.connect(a.governor).reinstateOperator(beta, REASON))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(await manager.hashOperation(a.governor, registry, data));
    });
  });

  describe("when an attacker or the pauser calls or schedules", () => {
    it("should revert", async () => {
      const { registry, manager, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.pauser).suspendOperator(beta, REASON);
      const data = registry.interface.encodeFunctionData("reinstateOperator", [beta, REASON]);
      const selector = data.slice(0, 10);
      for (const who of [a.eve, a.pauser]) {
        await expect(registry.connect(who).reinstateOperator(beta, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
        await expect(manager.connect(who).schedule(registry, data, 0))
          .to.be.revertedWithCustomError(manager, "AccessManagerUnauthorizedCall")
          .withArgs(who.address, await registry.getAddress(), selector);
      }
    });
  });

  describe("when the governor schedules it", () => {
    it("should refuse execution before the delay has passed", async () => {
      const { registry, manager, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.pauser).suspendOperator(beta, REASON);
      const data = registry.interface.encodeFunctionData("reinstateOperator", [beta, REASON]);
      await manager.connect(a.governor).schedule(registry, data, 0);
      const opId = await manager.hashOperation(a.governor, registry, data);
      await time.increase(GOVERNOR_DELAY - 10);
      await expect(manager.connect(a.governor).execute(registry, data))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotReady")
        .withArgs(opId);
    });

    describe("when the operator is not suspended", () => {
      it("should revert for an active, an exited and an unknown operator", async () => {
        const f = await loadFixture(deployRegistryWithOperators);
        const { registry, beta, gamma } = f;
        await expect(governor(f, "reinstateOperator", beta))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(beta, Status.Active);
        await governor(f, "exitOperator", gamma);
        await expect(governor(f, "reinstateOperator", gamma))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(gamma, Status.Exited);
        await expect(governor(f, "reinstateOperator", 42))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownOperator")
          .withArgs(42);
      });
    });

    describe("when the operator is suspended", () => {
      it("should make it active again once the delay has passed", async () => {
        const f = await loadFixture(deployRegistryWithOperators);
        const { registry, accounts: a, beta } = f;
        await registry.connect(a.pauser).suspendOperator(beta, REASON);
        const data = registry.interface.encodeFunctionData("reinstateOperator", [beta, REASON]);
        await f.manager.connect(a.governor).schedule(registry, data, 0);
        await time.increase(GOVERNOR_DELAY);
        await expect(f.manager.connect(a.governor).execute(registry, data))
          .to.emit(registry, "OperatorStatusChanged")
          .withArgs(beta, Status.Suspended, Status.Active, REASON);
        expect(await registry.isActive(beta)).to.equal(true);
        await registry.requireActive(beta);
      });
    });
  });
});

describe("OperatorRegistry.exitOperator", () => {
  describe("when the caller is not the governor acting through the manager", () => {
    it("should revert", async () => {
      const { registry, manager, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.pauser, a.admin, a.bob]) {
        await expect(registry.connect(who).exitOperator(beta, REASON))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      const data = registry.interface.encodeFunctionData("exitOperator", [beta, REASON]);
      await expect(registry.connect(a.governor).exitOperator(beta, REASON))
        .to.be.revertedWithCustomError(manager, "AccessManagerNotScheduled")
        .withArgs(await manager.hashOperation(a.governor, registry, data));
    });
  });

  describe("when the governor executes it after the delay", () => {
    it("should revert for an unknown or an already exited operator", async () => {
      const f = await loadFixture(deployRegistryWithOperators);
      await expect(governor(f, "exitOperator", 7))
        .to.be.revertedWithCustomError(f.registry, "OperatorRegistry_UnknownOperator")
        .withArgs(7);
      await governor(f, "exitOperator", f.gamma);
      await expect(governor(f, "exitOperator", f.gamma))
        .to.be.revertedWithCustomError(f.registry, "OperatorRegistry_InvalidStatus")
        .withArgs(f.gamma, Status.Exited);
    });

    it("should exit an active operator", async () => {
      const f = await loadFixture(deployRegistryWithOperators);
      const data = f.registry.interface.encodeFunctionData("exitOperator", [f.beta, REASON]);
      await f.manager.connect(f.accounts.governor).schedule(f.registry, data, 0);
      await time.increase(GOVERNOR_DELAY);
      await expect(f.manager.connect(f.accounts.governor).execute(f.registry, data))
        .to.emit(f.registry, "OperatorStatusChanged")
        .withArgs(f.beta, Status.Active, Status.Exited, REASON);
    });

    it("should exit a suspended operator", async () => {
      const f = await loadFixture(deployRegistryWithOperators);
      await f.registry.connect(f.accounts.pauser).suspendOperator(f.beta, REASON);
      await governor(f, "exitOperator", f.beta);
      expect(await f.registry.statusOf(f.beta)).to.equal(Status.Exited);
    });

    it("should keep its codes reserved, its payout changeable and its keys revocable, but refuse new keys", async () => {
      const f = await loadFixture(deployRegistryWithOperators);
      const { registry, accounts: a, beta } = f;
      await governor(f, "exitOperator", beta);
      expect(await registry.operatorOfTadig(encodeTadig("GBRCN"))).to.equal(beta);
      await registry.connect(a.bob).setPayout(beta, a.dave);
      await registry.connect(a.bob).revokeSigner(beta, a.bobSigner);
      await expect(registry.connect(a.bob).addSigner(beta, a.spareSigner))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
        .withArgs(beta, Status.Exited);
      await expect(registry.requireActive(beta))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActive")
        .withArgs(beta, Status.Exited);
    });
  });
});
