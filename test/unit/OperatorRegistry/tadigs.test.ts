import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { ethers } from "hardhat";

import { encodeTadig } from "../../../sdk/src/tadig";
import { deployRegistryWithOperators, scheduleAndExecute } from "../../helpers/fixtures";

const T = encodeTadig;
const ZERO_HASH = ethers.ZeroHash;

describe("OperatorRegistry.addTadig", () => {
  describe("when the caller does not hold the registrar role", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.alice, a.admin]) {
        await expect(registry.connect(who).addTadig(alpha, T("DEUD3")))
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the registrar", () => {
    describe("when the operator is unknown", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).addTadig(99, T("DEUD3")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownOperator")
          .withArgs(99);
      });
    });

    describe("when the operator has exited", () => {
      it("should revert", async () => {
        const { registry, manager, accounts: a, gamma } = await loadFixture(deployRegistryWithOperators);
        const data = registry.interface.encodeFunctionData("exitOperator", [gamma, ZERO_HASH]);
        await scheduleAndExecute(manager, a.governor, await registry.getAddress(), data);
        await expect(registry.connect(a.registrar).addTadig(gamma, T("KENC2")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(gamma, 3);
      });
    });

    describe("when the operator already holds 16 codes", () => {
      it("should revert", async () => {
        const { registry, accounts: a, gamma } = await loadFixture(deployRegistryWithOperators);
        for (let i = 0; i < 15; i++)
          await registry.connect(a.registrar).addTadig(gamma, T(`KEN${String(i).padStart(2, "0")}`));
        await expect(registry.connect(a.registrar).addTadig(gamma, T("KENZZ")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigCount")
          .withArgs(17, 16);
      });
    });

    describe("when the code is malformed", () => {
      it("should revert", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).addTadig(alpha, "0x4445556431"))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidTadig")
          .withArgs("0x4445556431");
      });
    });

    describe("when the code is held by an operator", () => {
      it("should revert, naming the holder", async () => {
        const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).addTadig(alpha, T("GBRCN")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigTaken")
          .withArgs(T("GBRCN"), beta);
        await expect(registry.connect(a.registrar).addTadig(alpha, T("DEUD1")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigTaken")
          .withArgs(T("DEUD1"), alpha);
      });
    });

    describe("when the code is free", () => {
      it("should assign it and emit TadigAdded", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).addTadig(alpha, T("AUTT2")))
          .to.emit(registry, "TadigAdded")
          .withArgs(alpha, T("AUTT2"));
        expect(await registry.tadigsOf(alpha)).to.deep.equal([T("DEUD1"), T("DEUD2"), T("AUTT2")]);
        expect(await registry.operatorOfTadig(T("AUTT2"))).to.equal(alpha);
      });

      it("should also work while the operator is suspended", async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        await registry.connect(a.pauser).suspendOperator(beta, ZERO_HASH);
        await registry.connect(a.registrar).addTadig(beta, T("GBRC2"));
        expect(await registry.operatorOfTadig(T("GBRC2"))).to.equal(beta);
      });
    });
  });
});

describe("OperatorRegistry.removeTadig", () => {
  describe("when the caller does not hold the registrar role", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.eve).removeTadig(alpha, T("DEUD1")))
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(a.eve.address);
    });
  });

  describe("when the caller is the registrar", () => {
    describe("when the code does not belong to the operator", () => {
      it("should revert for another operator's code, an unassigned code and operator 0", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        const cases: [bigint, string][] = [
          [alpha, T("GBRCN")],
          [alpha, T("NOONE")],
          [0n, T("NOONE")],
        ];
        for (const [id, code] of cases) {
          await expect(registry.connect(a.registrar).removeTadig(id, code))
            .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigNotOwned")
            .withArgs(id, code);
        }
      });
    });

    describe("when the operator has exited", () => {
      it("should revert: its codes stay reserved to it", async () => {
        const { registry, manager, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        const data = registry.interface.encodeFunctionData("exitOperator", [alpha, ZERO_HASH]);
        await scheduleAndExecute(manager, a.governor, await registry.getAddress(), data);
        await expect(registry.connect(a.registrar).removeTadig(alpha, T("DEUD2")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(alpha, 3);
      });
    });

    describe("when the code is the operator's last", () => {
      it("should revert", async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).removeTadig(beta, T("GBRCN")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigCount")
          .withArgs(0, 16);
      });
    });

    describe("when the operator holds the code and others", () => {
      it("should remove it, free it for others, and emit TadigRemoved", async () => {
        const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.registrar).removeTadig(alpha, T("DEUD2")))
          .to.emit(registry, "TadigRemoved")
          .withArgs(alpha, T("DEUD2"));
        expect(await registry.tadigsOf(alpha)).to.deep.equal([T("DEUD1")]);
        await expect(registry.operatorOfTadig(T("DEUD2")))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownTadig")
          .withArgs(T("DEUD2"));
        await registry.connect(a.registrar).addTadig(beta, T("DEUD2"));
        expect(await registry.operatorOfTadig(T("DEUD2"))).to.equal(beta);
      });

      it("should keep the other codes when removing the first, a middle or the last one", async () => {
        const { registry, accounts: a, gamma } = await loadFixture(deployRegistryWithOperators);
        for (const c of ["KEN02", "KEN03", "KEN04"]) await registry.connect(a.registrar).addTadig(gamma, T(c));
        // [KENCN, KEN02, KEN03, KEN04]
        await registry.connect(a.registrar).removeTadig(gamma, T("KENCN")); // first: last moves in
        expect(await registry.tadigsOf(gamma)).to.deep.equal([T("KEN04"), T("KEN02"), T("KEN03")]);
        await registry.connect(a.registrar).removeTadig(gamma, T("KEN02")); // middle
        expect(await registry.tadigsOf(gamma)).to.deep.equal([T("KEN04"), T("KEN03")]);
        await registry.connect(a.registrar).removeTadig(gamma, T("KEN03")); // last
        expect(await registry.tadigsOf(gamma)).to.deep.equal([T("KEN04")]);
      });
    });
  });
});
