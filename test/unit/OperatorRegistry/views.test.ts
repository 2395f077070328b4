import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import { TADIGS, deployRegistryWithOperators, deploySuite } from "../../helpers/fixtures";

describe("OperatorRegistry views", () => {
  describe("constants", () => {
    it("should expose the limits", async () => {
      const { registry } = await loadFixture(deploySuite);
      expect(await registry.MAX_TADIGS()).to.equal(16n);
      expect(await registry.MAX_SIGNERS()).to.equal(16n);
    });
  });

  describe("getOperator", () => {
    it("should revert for id 0 and for an id past the last", async () => {
      const { registry } = await loadFixture(deployRegistryWithOperators);
      for (const id of [0, 4]) {
        await expect(registry.getOperator(id))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownOperator")
          .withArgs(id);
      }
    });
  });

  describe("listOperators", () => {
    it("should return an empty page and a zero total on an empty registry", async () => {
      const { registry } = await loadFixture(deploySuite);
      const [page, total] = await registry.listOperators(0, 10);
      expect(page.length).to.equal(0);
      expect(total).to.equal(0n);
    });

    it("should page through the operators in id order", async () => {
      const { registry } = await loadFixture(deployRegistryWithOperators);
      const [first, total] = await registry.listOperators(0, 2);
      expect(total).to.equal(3n);
      expect(first.map((o) => o.id)).to.deep.equal([1n, 2n]);
      const [second] = await registry.listOperators(2, 2);
      expect(second.map((o) => o.id)).to.deep.equal([3n]);
      expect(second[0].tadigs).to.deep.equal(TADIGS.gamma.map((t) => encodeTadig(t)));
    });

    it("should return an empty page for a zero limit or an offset at or past the end", async () => {
      const { registry } = await loadFixture(deployRegistryWithOperators);
      for (const [offset, limit] of [
        [0, 0],
        [3, 5],
        [100, 5],
        [ethers.MaxUint256, 5],
      ]) {
        const [page, total] = await registry.listOperators(offset, limit);
        expect(page.length).to.equal(0);
        expect(total).to.equal(3n);
      }
    });

    it("should accept the largest limit", async () => {
      const { registry } = await loadFixture(deployRegistryWithOperators);
      const [page] = await registry.listOperators(1, ethers.MaxUint256);
      expect(page.map((o) => o.id)).to.deep.equal([2n, 3n]);
    });
  });

  describe("lookups of what does not exist", () => {
    it("should answer with zero values, and revert only where a zero would be ambiguous", async () => {
      const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
      expect(await registry.statusOf(99)).to.equal(0n);
      expect(await registry.isActive(99)).to.equal(false);
      expect(await registry.adminOf(99)).to.equal(ethers.ZeroAddress);
      expect(await registry.payoutOf(99)).to.equal(ethers.ZeroAddress);
      expect(await registry.operatorOfAdmin(a.eve)).to.equal(0n);
      expect(await registry.tadigsOf(99)).to.deep.equal([]);
      expect(await registry.isSigner(0, a.eve)).to.equal(false);
      expect(await registry.isSigner(1, a.eve)).to.equal(false);
      const key = await registry.signerKey(a.eve);
      expect([key.operatorId, key.addedAt, key.revokedAt]).to.deep.equal([0n, 0n, 0n]);
      await expect(registry.requireActive(99))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_NotActive")
        .withArgs(99, 0);
      await expect(registry.operatorOfTadig(encodeTadig("XXXXX")))
        .to.be.revertedWithCustomError(registry, "OperatorRegistry_UnknownTadig")
        .withArgs(encodeTadig("XXXXX"));
    });

    it("should not count a key of one operator as a signer of another", async () => {
      const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
      expect(await registry.isSigner(alpha, a.aliceSigner)).to.equal(true);
      expect(await registry.isSigner(beta, a.aliceSigner)).to.equal(false);
    });
  });

  describe("accessOf", () => {
    it("should answer admin, active key and status in one call", async () => {
      const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
      expect(await registry.accessOf(a.alice, alpha)).to.deep.equal([true, false, 1n]);
      expect(await registry.accessOf(a.aliceSigner, alpha)).to.deep.equal([false, true, 1n]);
      expect(await registry.accessOf(a.aliceSigner, beta)).to.deep.equal([false, false, 1n]);
      expect(await registry.accessOf(a.eve, alpha)).to.deep.equal([false, false, 1n]);
    });

    it("should report a revoked key as inactive and a suspended operator's status", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
      await registry.connect(a.pauser).suspendOperator(alpha, ethers.ZeroHash);
      expect(await registry.accessOf(a.aliceSigner, alpha)).to.deep.equal([false, false, 2n]);
      expect(await registry.accessOf(a.alice, alpha)).to.deep.equal([true, false, 2n]);
    });

    it("should answer nothing for an unknown operator, even for the zero address", async () => {
      const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
      expect(await registry.accessOf(ethers.ZeroAddress, 99)).to.deep.equal([false, false, 0n]);
      expect(await registry.accessOf(a.eve, 0)).to.deep.equal([false, false, 0n]);
    });
  });

  describe("operatorOfAccount", () => {
    it("should name the operator an admin or an active key acts for, with its status", async () => {
      const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
      expect(await registry.operatorOfAccount(a.alice)).to.deep.equal([alpha, 1n]);
      expect(await registry.operatorOfAccount(a.bobSigner)).to.deep.equal([beta, 1n]);
      await registry.connect(a.pauser).suspendOperator(beta, ethers.ZeroHash);
      expect(await registry.operatorOfAccount(a.bobSigner)).to.deep.equal([beta, 2n]);
    });

    it("should name no operator for a revoked key or a stranger", async () => {
      const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
      expect(await registry.operatorOfAccount(a.aliceSigner)).to.deep.equal([0n, 0n]);
      expect(await registry.operatorOfAccount(a.eve)).to.deep.equal([0n, 0n]);
    });

    it("should prefer the operator an account administers over the one it is a key of", async () => {
      const { registry, accounts: a, alpha, beta } = await loadFixture(deployRegistryWithOperators);
      await registry.connect(a.bob).addSigner(beta, a.alice); // alice administers alpha and is now a key of beta
      expect(await registry.operatorOfAccount(a.alice)).to.deep.equal([alpha, 1n]);
      expect(await registry.accessOf(a.alice, beta)).to.deep.equal([false, true, 1n]);
    });
  });
});
