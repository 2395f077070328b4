import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import type { MockCapacityReceiver } from "../../../sdk/src/typechain";
import { deployCapacityFixture, type CapacityFixture } from "../../helpers/capacity";

/** A contract that is the admin of a fourth operator (delta), as a multisig would be. */
async function withContractMember(): Promise<CapacityFixture & { receiver: MockCapacityReceiver }> {
  const f = await deployCapacityFixture();
  const receiver = (await (
    await ethers.getContractFactory("MockCapacityReceiver")
  ).deploy()) as unknown as MockCapacityReceiver;
  await f.registry
    .connect(f.accounts.registrar)
    .registerOperator([encodeTadig("FRAXX")], receiver, f.accounts.dave, [ethers.Wallet.createRandom().address], "");
  return { ...f, receiver };
}

describe("CapacityToken.mint", () => {
  describe("when the token is paused", () => {
    it("should revert with EnforcedPause", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await f.capacity.connect(f.accounts.pauser).pause();
      await expect(
        f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 1n, "0x"),
      ).to.be.revertedWithCustomError(f.capacity, "EnforcedPause");
    });
  });

  describe("when the class does not exist", () => {
    it("should revert with UnknownClass", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.alice).mint(42n, f.accounts.bob, 1n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
        .withArgs(42n);
    });
  });

  describe("when the caller is not the admin of the active issuer", () => {
    it("should revert for an attacker, a holder and another operator", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 5n, "0x");
      for (const who of [a.eve, a.bob, a.carol]) {
        await expect(f.capacity.connect(who).mint(f.dataId, who, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
          .withArgs(f.alpha, who.address);
      }
    });

    it("should revert when the issuer is suspended", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await f.registry.connect(f.accounts.pauser).suspendOperator(f.alpha, ethers.ZeroHash);
      await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 1n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
        .withArgs(f.alpha, f.accounts.alice.address);
    });
  });

  describe("when the issuer mints", () => {
    it("should revert with ZeroAmount for nothing", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(
        f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 0n, "0x"),
      ).to.be.revertedWithCustomError(f.capacity, "CapacityToken_ZeroAmount");
    });

    it("should revert with ExceedsMaxSupply past the maximum, and accept exactly up to it", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 901n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ExceedsMaxSupply")
        .withArgs(f.dataId, 100n, 901n, 1_000n);
      await f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 900n, "0x");
      expect((await f.capacity.classInfo(f.dataId)).minted).to.equal(1_000n);
      await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 1n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ExceedsMaxSupply")
        .withArgs(f.dataId, 1_000n, 1n, 1_000n);
    });

    it("should never mint again what was redeemed", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.alice, 900n, "0x");
      await time.increaseTo(f.data.validFrom);
      await f.capacity.connect(f.accounts.alice).redeem(f.dataId, 500n, ethers.ZeroHash);
      expect(await f.capacity["totalSupply(uint256)"](f.dataId)).to.equal(500n);
      await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.alice, 1n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ExceedsMaxSupply")
        .withArgs(f.dataId, 1_000n, 1n, 1_000n);
    });

    it("should revert with ClassExpired once the class's validity is over", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await time.increaseTo(f.data.validUntil);
      await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.bob, 1n, "0x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ClassExpired")
        .withArgs(f.dataId, f.data.validUntil);
    });

    describe("when the recipient is not an active operator's admin", () => {
      it("should revert with NotMember for an outsider, a signer key and a suspended operator's admin", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await f.registry.connect(a.pauser).suspendOperator(f.gamma, ethers.ZeroHash);
        for (const to of [a.eve, a.bobSigner, a.carol]) {
          await expect(f.capacity.connect(a.alice).mint(f.dataId, to, 1n, "0x"))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotMember")
            .withArgs(to.address);
        }
      });

      it("should revert with ERC1155InvalidReceiver for the zero address", async () => {
        const f = await loadFixture(deployCapacityFixture);
        await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, ethers.ZeroAddress, 1n, "0x"))
          .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidReceiver")
          .withArgs(ethers.ZeroAddress);
      });
    });

    describe("when the recipient is a contract member", () => {
      it("should call its hook with the data, and mint", async () => {
        const f = await loadFixture(withContractMember);
        await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.receiver, 3n, "0x1234"))
          .to.emit(f.receiver, "Received")
          .withArgs(f.accounts.alice.address, ethers.ZeroAddress, f.dataId, 3n);
        expect(await f.capacity.balanceOf(f.receiver, f.dataId)).to.equal(3n);
      });

      it("should revert with ERC1155InvalidReceiver when the hook refuses, and mint nothing", async () => {
        const f = await loadFixture(withContractMember);
        for (const mode of [1, 2]) {
          await f.receiver.configure(mode, ethers.ZeroAddress, "0x", false);
          await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.receiver, 3n, "0x"))
            .to.be.revertedWithCustomError(f.capacity, "ERC1155InvalidReceiver")
            .withArgs(await f.receiver.getAddress());
        }
        await f.receiver.configure(3, ethers.ZeroAddress, "0x", false);
        await expect(
          f.capacity.connect(f.accounts.alice).mint(f.dataId, f.receiver, 3n, "0x"),
        ).to.be.revertedWithCustomError(f.receiver, "MockCapacityReceiver_Refused");
        expect((await f.capacity.classInfo(f.dataId)).minted).to.equal(100n);
      });

      it("should refuse a mint re-entered from the hook (nonReentrant)", async () => {
        const f = await loadFixture(withContractMember);
        const again = f.capacity.interface.encodeFunctionData("mint", [f.dataId, f.accounts.bob.address, 1n, "0x"]);
        await f.receiver.configure(4, await f.capacity.getAddress(), again, false);
        await expect(
          f.capacity.connect(f.accounts.alice).mint(f.dataId, f.receiver, 1n, "0x"),
        ).to.be.revertedWithCustomError(f.capacity, "ReentrancyGuardReentrantCall");
      });
    });

    describe("when everything holds", () => {
      it("should credit the recipient, count the supply and emit TransferSingle from zero", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const a = f.accounts;
        await expect(f.capacity.connect(a.alice).mint(f.dataId, a.bob, 40n, "0x"))
          .to.emit(f.capacity, "TransferSingle")
          .withArgs(a.alice.address, ethers.ZeroAddress, a.bob.address, f.dataId, 40n);
        expect(await f.capacity.balanceOf(a.bob, f.dataId)).to.equal(40n);
        expect(await f.capacity["totalSupply(uint256)"](f.dataId)).to.equal(140n);
        expect(await f.capacity.exists(f.dataId)).to.equal(true);
        expect((await f.capacity.classInfo(f.dataId)).minted).to.equal(140n);
      });

      it("should mint before the validity starts (forward sales)", async () => {
        const f = await loadFixture(deployCapacityFixture);
        expect(BigInt(await time.latest())).to.be.lessThan(BigInt(f.data.validFrom));
        await expect(f.capacity.connect(f.accounts.alice).mint(f.dataId, f.accounts.carol, 1n, "0x")).to.emit(
          f.capacity,
          "TransferSingle",
        );
      });
    });
  });
});
