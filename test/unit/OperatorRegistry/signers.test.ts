import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { deployRegistryWithOperators, randomAddresses } from "../../helpers/fixtures";

describe("OperatorRegistry.addSigner", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert for an attacker, another operator's admin, the operator's own signer and governance", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.bob, a.aliceSigner, a.registrar, a.admin]) {
        await expect(registry.connect(who).addSigner(alpha, a.spareSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
          .withArgs(alpha, who.address);
      }
    });

    it("should revert for an unknown operator", async () => {
      const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.eve).addSigner(99, a.spareSigner))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
        .withArgs(99, a.eve.address);
    });
  });

  describe("when the caller is the operator's admin", () => {
    describe("when the key is the zero address", () => {
      it("should revert", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).addSigner(alpha, ethers.ZeroAddress))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_ZeroAddress")
          .withArgs("signer");
      });
    });

    describe("when the key was registered before", () => {
      it("should revert for its own active key, another operator's key and a revoked key", async () => {
        const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).addSigner(alpha, a.aliceSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.aliceSigner.address, alpha);
        await expect(registry.connect(a.alice).addSigner(alpha, a.bobSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.bobSigner.address, beta);
        await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
        await expect(registry.connect(a.alice).addSigner(alpha, a.aliceSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.aliceSigner.address, alpha);
      });
    });

    describe("when 16 keys are active", () => {
      it("should revert, and accept again once one is revoked", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        for (const k of randomAddresses(15)) await registry.connect(a.alice).addSigner(alpha, k);
        await expect(registry.connect(a.alice).addSigner(alpha, a.spareSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TooManySigners")
          .withArgs(alpha, 16);
        await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
        await registry.connect(a.alice).addSigner(alpha, a.spareSigner);
        expect((await registry.getOperator(alpha)).activeSigners).to.equal(16n);
      });
    });

    describe("when the key is new", () => {
      it("should add it, stamp when, and emit SignerAdded", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).addSigner(alpha, a.spareSigner))
          .to.emit(registry, "SignerAdded")
          .withArgs(alpha, a.spareSigner.address);
        const key = await registry.signerKey(a.spareSigner);
        expect([key.operatorId, key.addedAt, key.revokedAt]).to.deep.equal([alpha, BigInt(await time.latest()), 0n]);
        expect(await registry.isSigner(alpha, a.spareSigner)).to.equal(true);
        expect((await registry.getOperator(alpha)).activeSigners).to.equal(2n);
      });
    });
  });
});

describe("OperatorRegistry.revokeSigner", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert, even for the key itself", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      for (const who of [a.eve, a.aliceSigner, a.bob]) {
        await expect(registry.connect(who).revokeSigner(alpha, a.aliceSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
          .withArgs(alpha, who.address);
      }
    });
  });

  describe("when the caller is the operator's admin", () => {
    describe("when the key is not an active key of the operator", () => {
      it("should revert for another operator's key, an unknown key and a revoked key", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        for (const k of [a.bobSigner.address, a.spareSigner.address]) {
          await expect(registry.connect(a.alice).revokeSigner(alpha, k))
            .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActiveSigner")
            .withArgs(alpha, k);
        }
        await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
        await expect(registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActiveSigner")
          .withArgs(alpha, a.aliceSigner.address);
      });
    });

    describe("when the key is active", () => {
      it("should revoke it from this block on, keep its history and emit SignerRevoked", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        const before = await registry.signerKey(a.aliceSigner);
        await expect(registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner))
          .to.emit(registry, "SignerRevoked")
          .withArgs(alpha, a.aliceSigner.address);
        const after = await registry.signerKey(a.aliceSigner);
        expect([after.operatorId, after.addedAt, after.revokedAt]).to.deep.equal([
          alpha,
          before.addedAt,
          BigInt(await time.latest()),
        ]);
        expect(await registry.isSigner(alpha, a.aliceSigner)).to.equal(false);
        expect((await registry.getOperator(alpha)).activeSigners).to.equal(0n);
      });
    });
  });
});

describe("OperatorRegistry.rotateSigner", () => {
  describe("when the caller is not the operator's admin", () => {
    it("should revert", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await expect(registry.connect(a.eve).rotateSigner(alpha, a.aliceSigner, a.eve))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotAdmin")
        .withArgs(alpha, a.eve.address);
    });
  });

  describe("when the caller is the operator's admin", () => {
    describe("when the old key is not active", () => {
      it("should revert", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).rotateSigner(alpha, a.bobSigner, a.spareSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActiveSigner")
          .withArgs(alpha, a.bobSigner.address);
      });
    });

    describe("when the new key was registered before", () => {
      it("should revert and leave the old key active", async () => {
        const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(registry.connect(a.alice).rotateSigner(alpha, a.aliceSigner, a.bobSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.bobSigner.address, beta);
        expect(await registry.isSigner(alpha, a.aliceSigner)).to.equal(true);
      });
    });

    describe("when the operator has exited", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployRegistryWithOperators);
        const { registry, accounts: a, alpha } = f;
        const data = registry.interface.encodeFunctionData("exitOperator", [alpha, ethers.ZeroHash]);
        await f.manager.connect(a.governor).schedule(registry, data, 0);
        await time.increase(2 * 24 * 3600);
        await f.manager.connect(a.governor).execute(registry, data);
        await expect(registry.connect(a.alice).rotateSigner(alpha, a.aliceSigner, a.spareSigner))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidStatus")
          .withArgs(alpha, 3);
      });
    });

    describe("when both keys are valid", () => {
      it("should revoke the old key and add the new one in one transaction", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        const tx = registry.connect(a.alice).rotateSigner(alpha, a.aliceSigner, a.spareSigner);
        await expect(tx).to.emit(registry, "SignerRevoked").withArgs(alpha, a.aliceSigner.address);
        await expect(tx).to.emit(registry, "SignerAdded").withArgs(alpha, a.spareSigner.address);
        expect(await registry.isSigner(alpha, a.aliceSigner)).to.equal(false);
        expect(await registry.isSigner(alpha, a.spareSigner)).to.equal(true);
        expect((await registry.getOperator(alpha)).activeSigners).to.equal(1n);
      });
    });
  });
});
