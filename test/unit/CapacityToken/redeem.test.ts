import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { deployCapacityFixture, type CapacityFixture } from "../../helpers/capacity";

const REF = ethers.id("encrypted provisioning request #1");

/** The fixture with the data class in its validity window, bob holding 20 units. */
async function inUse(): Promise<CapacityFixture> {
  const f = await deployCapacityFixture();
  const a = f.accounts;
  await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 20n, "0x");
  await time.increaseTo(f.data.validFrom);
  return f;
}

describe("CapacityToken.redeem", () => {
  describe("when the class does not exist", () => {
    it("should revert with UnknownClass", async () => {
      const f = await loadFixture(inUse);
      await expect(f.capacity.connect(f.accounts.bob).redeem(7n, 1n, REF))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
        .withArgs(7n);
    });
  });

  describe("when the amount is zero", () => {
    it("should revert with ZeroAmount", async () => {
      const f = await loadFixture(inUse);
      await expect(f.capacity.connect(f.accounts.bob).redeem(f.dataId, 0n, REF)).to.be.revertedWithCustomError(
        f.capacity,
        "CapacityToken_ZeroAmount",
      );
    });
  });

  describe("when outside the validity window", () => {
    it("should revert with NotYetValid before validFrom", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.alice).redeem(f.dataId, 1n, REF))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotYetValid")
        .withArgs(f.dataId, f.data.validFrom);
    });

    it("should work at the last second and revert with ClassExpired from validUntil on", async () => {
      const f = await loadFixture(inUse);
      await time.setNextBlockTimestamp(BigInt(f.data.validUntil) - 1n);
      await f.capacity.connect(f.accounts.bob).redeem(f.dataId, 1n, REF);
      await expect(f.capacity.connect(f.accounts.bob).redeem(f.dataId, 1n, REF))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ClassExpired")
        .withArgs(f.dataId, f.data.validUntil);
    });
  });

  describe("when the caller is not an operator's admin", () => {
    it("should revert with NotMember for an outsider and a signer key", async () => {
      const f = await loadFixture(inUse);
      for (const who of [f.accounts.eve, f.accounts.bobSigner]) {
        await expect(f.capacity.connect(who).redeem(f.dataId, 1n, REF))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotMember")
          .withArgs(who.address);
      }
    });
  });

  describe("when the holder lacks the units", () => {
    it("should revert with ERC1155InsufficientBalance", async () => {
      const f = await loadFixture(inUse);
      await expect(f.capacity.connect(f.accounts.bob).redeem(f.dataId, 21n, REF))
        .to.be.revertedWithCustomError(f.capacity, "ERC1155InsufficientBalance")
        .withArgs(f.accounts.bob.address, 20n, 21n, f.dataId);
    });
  });

  describe("when everything holds", () => {
    it("should burn the units and tell the issuer what to provision", async () => {
      const f = await loadFixture(inUse);
      const a = f.accounts;
      const tx = f.capacity.connect(a.bob).redeem(f.dataId, 8n, REF);
      await expect(tx)
        .to.emit(f.capacity, "TransferSingle")
        .withArgs(a.bob.address, a.bob.address, ethers.ZeroAddress, f.dataId, 8n);
      await expect(tx).to.emit(f.capacity, "Redeemed").withArgs(f.dataId, f.beta, f.alpha, a.bob.address, 8n, REF);
      expect(await f.capacity.balanceOf(a.bob, f.dataId)).to.equal(12n);
      expect(await f.capacity["totalSupply(uint256)"](f.dataId)).to.equal(92n);
      expect((await f.capacity.classInfo(f.dataId)).minted).to.equal(100n);
    });

    it("should work for a suspended holder and while the token is paused", async () => {
      const f = await loadFixture(inUse);
      const a = f.accounts;
      await f.registry.connect(a.pauser).suspendOperator(f.beta, ethers.ZeroHash);
      await f.capacity.connect(a.pauser).pause();
      await expect(f.capacity.connect(a.bob).redeem(f.dataId, 20n, REF))
        .to.emit(f.capacity, "Redeemed")
        .withArgs(f.dataId, f.beta, f.alpha, a.bob.address, 20n, REF);
      expect(await f.capacity.balanceOf(a.bob, f.dataId)).to.equal(0n);
    });

    it("should let the issuer redeem units it holds itself", async () => {
      const f = await loadFixture(inUse);
      await expect(f.capacity.connect(f.accounts.alice).redeem(f.dataId, 1n, REF))
        .to.emit(f.capacity, "Redeemed")
        .withArgs(f.dataId, f.alpha, f.alpha, f.accounts.alice.address, 1n, REF);
    });
  });
});
