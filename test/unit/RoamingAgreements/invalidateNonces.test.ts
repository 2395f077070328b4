import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { nonceBitmapPosition } from "../../../sdk/src";
import { deployAgreementsFixture } from "../../helpers/agreements";

describe("RoamingAgreements.invalidateNonces", () => {
  describe("when the caller is neither the operator's admin nor one of its active keys", () => {
    it("should revert for an attacker, another operator's admin and key, and a revoked key", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      await f.registry.connect(a.alice).addSigner(f.alpha, a.spareSigner);
      await f.registry.connect(a.alice).revokeSigner(f.alpha, a.spareSigner);
      for (const who of [a.eve, a.bob, a.bobSigner, a.spareSigner, a.alicePayout]) {
        await expect(f.agreements.connect(who).invalidateNonces(f.alpha, 0, 1))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotOperatorAccount")
          .withArgs(f.alpha, who.address);
      }
    });

    it("should revert for an unknown operator", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      for (const id of [0, 99]) {
        await expect(f.agreements.connect(f.accounts.eve).invalidateNonces(id, 0, 1))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotOperatorAccount")
          .withArgs(id, f.accounts.eve.address);
      }
    });
  });

  describe("when the caller is the operator's admin or one of its active keys", () => {
    it("should set the mask's bits in the word, keep the bits set before, and emit NoncesInvalidated", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      await expect(f.agreements.connect(a.alice).invalidateNonces(f.alpha, 2, 0b0101))
        .to.emit(f.agreements, "NoncesInvalidated")
        .withArgs(f.alpha, 2, 0b0101);
      await expect(f.agreements.connect(a.aliceSigner).invalidateNonces(f.alpha, 2, 0b0110))
        .to.emit(f.agreements, "NoncesInvalidated")
        .withArgs(f.alpha, 2, 0b0110);
      expect(await f.agreements.nonceBitmap(f.alpha, 2)).to.equal(0b0111n);
      expect(await f.agreements.nonceBitmap(f.alpha, 3)).to.equal(0n);
      expect(await f.agreements.nonceBitmap(f.beta, 2)).to.equal(0n);
      for (const [nonce, revoked] of [
        [512n, true],
        [513n, true],
        [514n, true],
        [515n, false],
        [0n, false],
        [2n, false],
      ] as [bigint, boolean][]) {
        expect(await f.agreements.isNonceRevoked(f.alpha, nonce), `nonce ${nonce}`).to.equal(revoked);
      }
    });

    it("should revoke the highest nonce of the highest word", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const nonce = ethers.MaxUint256;
      const { wordIndex, mask } = nonceBitmapPosition(nonce);
      await f.agreements.connect(f.accounts.alice).invalidateNonces(f.alpha, wordIndex, mask);
      expect(await f.agreements.isNonceRevoked(f.alpha, nonce)).to.equal(true);
      expect(await f.agreements.isNonceRevoked(f.alpha, nonce - 1n)).to.equal(false);
    });

    it("should work while the contract is paused and while the operator is suspended", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await f.agreements.connect(f.accounts.pauser).pause();
      await f.registry.connect(f.accounts.pauser).suspendOperator(f.alpha, ethers.ZeroHash);
      await f.agreements.connect(f.accounts.aliceSigner).invalidateNonces(f.alpha, 0, 1);
      expect(await f.agreements.isNonceRevoked(f.alpha, 0)).to.equal(true);
    });
  });
});
