import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import { deployRegistryWithOperators, randomAddresses } from "../../helpers/fixtures";

describe("OperatorRegistry.setPayout", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.alicePayout, a.aliceSigner]) {
        await expect(registry.connect(who).setPayout(alpha, a.eve))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
          .withArgs(alpha, who.address);
      }
    });
  });

  describe("when the caller is the operator's admin", () => {
    it("should revert for the zero address", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.alice).setPayout(alpha, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_ZeroAddress")
        .withArgs("payout");
    });

    it("should change the payout and emit PayoutChanged with the previous one", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.alice).setPayout(alpha, a.dave))
        .to.emit(registry, "PayoutChanged")
        .withArgs(alpha, a.alicePayout.address, a.dave.address);
      expect(await registry.payoutOf(alpha)).to.equal(a.dave.address);
    });
  });
});

describe("OperatorRegistry.setMetadataURI", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.eve).setMetadataURI(alpha, "ipfs://evil"))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
        .withArgs(alpha, a.eve.address);
    });
  });

  describe("when the caller is the operator's admin", () => {
    it("should change the URI and emit MetadataURIChanged", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.alice).setMetadataURI(alpha, "ipfs://alpha-v2"))
        .to.emit(registry, "MetadataURIChanged")
        .withArgs(alpha, "ipfs://alpha-v2");
      expect((await registry.getOperator(alpha)).metadataURI).to.equal("ipfs://alpha-v2");
    });
  });
});

describe("OperatorRegistry.transferAdmin", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.eve).transferAdmin(alpha, a.eve))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
        .withArgs(alpha, a.eve.address);
    });
  });

  describe("when the caller is the operator's admin", () => {
    describe("when the new admin administers an operator", () => {
      it("should revert, also for the caller itself", async () => {
        const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).transferAdmin(alpha, a.bob))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_AdminTaken")
          .withArgs(a.bob.address, beta);
        await expect(registry.connect(a.alice).transferAdmin(alpha, a.alice))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_AdminTaken")
          .withArgs(a.alice.address, alpha);
      });
    });

    describe("when the new admin is free", () => {
      it("should record it as pending and emit AdminTransferStarted, without changing the admin yet", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).transferAdmin(alpha, a.dave))
          .to.emit(registry, "AdminTransferStarted")
          .withArgs(alpha, a.alice.address, a.dave.address);
        const op = await registry.getOperator(alpha);
        expect([op.admin, op.pendingAdmin]).to.deep.equal([a.alice.address, a.dave.address]);
        expect(await registry.operatorOfAdmin(a.dave)).to.equal(0n);
      });

      it("should cancel a pending transfer when given the zero address", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await registry.connect(a.alice).transferAdmin(alpha, a.dave);
        await registry.connect(a.alice).transferAdmin(alpha, ethers.ZeroAddress);
        expect((await registry.getOperator(alpha)).pendingAdmin).to.equal(ethers.ZeroAddress);
        await expect(registry.connect(a.dave).acceptAdmin(alpha))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotPendingAdmin")
          .withArgs(alpha, a.dave.address);
      });
    });
  });
});

describe("OperatorRegistry.acceptAdmin", () => {
  describe("when the caller is not the pending admin", () => {
    it("should revert, for an attacker and for the current admin", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.alice).transferAdmin(alpha, a.dave);
      for (const who of [a.eve, a.alice]) {
        await expect(registry.connect(who).acceptAdmin(alpha))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotPendingAdmin")
          .withArgs(alpha, who.address);
      }
    });
  });

  describe("when the pending admin became another operator's admin meanwhile", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.alice).transferAdmin(alpha, a.dave);
      await registry
        .connect(a.registrar)
        .registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, randomAddresses(1), "");
      await expect(registry.connect(a.dave).acceptAdmin(alpha))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_AdminTaken")
        .withArgs(a.dave.address, 4);
    });
  });

  describe("when the caller is the pending admin", () => {
    it("should hand over the operator and emit AdminTransferred", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.alice).transferAdmin(alpha, a.dave);
      await expect(registry.connect(a.dave).acceptAdmin(alpha))
        .to.emit(registry, "AdminTransferred")
        .withArgs(alpha, a.alice.address, a.dave.address);
      const op = await registry.getOperator(alpha);
      expect([op.admin, op.pendingAdmin]).to.deep.equal([a.dave.address, ethers.ZeroAddress]);
      expect(await registry.operatorOfAdmin(a.dave)).to.equal(alpha);
      expect(await registry.operatorOfAdmin(a.alice)).to.equal(0n);
      expect(await registry.adminOf(alpha)).to.equal(a.dave.address);
      // The previous admin has lost every right and is free to administer another operator.
      await expect(registry.connect(a.alice).setMetadataURI(alpha, "x"))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
        .withArgs(alpha, a.alice.address);
      await registry
        .connect(a.registrar)
        .registerOperator([encodeTadig("FRAF1")], a.alice, a.alice, randomAddresses(1), "");
      expect(await registry.operatorOfAdmin(a.alice)).to.equal(4n);
    });
  });
});
